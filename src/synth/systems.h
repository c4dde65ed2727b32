/*
 * systems.h
 *		Writing a simulated household into the borough's tables.
 */
#ifndef BRENT_SYNTH_SYSTEMS_H
#define BRENT_SYNTH_SYSTEMS_H

#include "synth/household.h"

extern void borough_write_household(GenContext *g, SynthRng *r, Household *hh);
extern void borough_write_children(GenContext *g, SynthRng *r, const Household *hh);

#endif							/* BRENT_SYNTH_SYSTEMS_H */
