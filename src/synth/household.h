/*
 * household.h
 *		The generator's running state, and household simulation.
 */
#ifndef BRENT_SYNTH_HOUSEHOLD_H
#define BRENT_SYNTH_HOUSEHOLD_H

#include "synth/people.h"
#include "synth/tables.h"
#include "synth/writer.h"

#define N_PRIMARY 60
#define N_SECONDARY 14
#define N_SCHOOLS (N_PRIMARY + N_SECONDARY)

typedef struct GenContext
{
	int32		seed;
	int64		people;
	DateADT		as_of;
	DateADT		window_start;
	Geography	geo;
	TableWriter tw[T_COUNT];
	int64		next_person;
	int64		next_household;
	int64		next_uprn;
	int64		next_incident;
	int64		next_key[T_COUNT];	/* record numbers per table */
	int			upn_serial[N_SCHOOLS][100];
} GenContext;

extern void household_make(GenContext *g, SynthRng *r, Household *hh,
						   int64 max_people);
extern const char *household_kind_name(HouseholdKind k);

#endif							/* BRENT_SYNTH_HOUSEHOLD_H */
