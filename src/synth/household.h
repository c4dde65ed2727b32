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
	SynthRng	health_rng;		/* the household's STREAM_HEALTH: the health
								 * partner's demographics of its flags */
	int			upn_serial[N_SCHOOLS][100];
	/* mid-year population: persons by year, ward, sex, age band (no draws) */
	int			pop_year0;		/* first mid-year (30 June) in the window */
	int			pop_nyears;
	int64	   *pop;			/* [year][ward][sex][age] */
} GenContext;

#define POP_NBANDS 91			/* single years 0 .. 89, then 90+ (as ONS) */
#define POP_CELL(g, y, w, s, b) \
	((g)->pop[(((y) * BOROUGH_NWARDS + (w)) * 2 + (s)) * POP_NBANDS + (b)])

extern void household_make(GenContext *g, SynthRng *r, Household *hh,
						   int64 max_people);
extern const char *household_kind_name(HouseholdKind k);

#endif							/* BRENT_SYNTH_HOUSEHOLD_H */
