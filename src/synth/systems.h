/*
 * systems.h
 *		Writing a simulated household into the borough's tables.
 */
#ifndef BRENT_SYNTH_SYSTEMS_H
#define BRENT_SYNTH_SYSTEMS_H

#include "synth/household.h"

extern void borough_write_household(GenContext *g, SynthRng *r, Household *hh);
extern void borough_write_emerging_asb(GenContext *g, SynthRng *r);
extern void borough_write_children(GenContext *g, SynthRng *r, const Household *hh);

/* The planted emerging hot spot of anti-social behaviour (BNG metres). */
#define EMERGING_HOTSPOT_X 519625.0
#define EMERGING_HOTSPOT_Y 189375.0

#endif							/* BRENT_SYNTH_SYSTEMS_H */
