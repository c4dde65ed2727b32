/*
 * borough.h
 *		Shared definitions of the synthetic borough generator.
 */
#ifndef BRENT_SYNTH_BOROUGH_H
#define BRENT_SYNTH_BOROUGH_H

#include "postgres.h"

#include "synth/rng.h"

#define BOROUGH_SRID		27700	/* British National Grid */
#define BOROUGH_CELL		100		/* metres: wards are unions of grid cells */
#define BOROUGH_NWARDS		22
#define BOROUGH_MAX_SECTORS 6
#define BOROUGH_MAX_PEOPLE	10000000

typedef struct Ward
{
	const char *code;
	const char *name;
	double		cx;				/* seed point of the ward (BNG metres) */
	double		cy;
	const char *districts[3];	/* postcode districts, most likely first */
	int			ncells;
	int		   *cells;			/* cell numbers (row * ncols + col) */
	int			nsectors;
	char		sectors[BOROUGH_MAX_SECTORS][8];	/* e.g. "HA9 4" */
	int			nunits;			/* postcode units in use in the ward */
} Ward;

typedef struct Geography
{
	Ward		wards[BOROUGH_NWARDS];
	int			ncols;
	int			nrows;
	double		x0;
	double		y0;
	int			ncells;			/* cells inside the borough */
	int		   *cell_ward;		/* ward of each grid cell, -1 outside */
	int			ward_weight[BOROUGH_NWARDS];
} Geography;

typedef struct Address
{
	int64		uprn;
	int			ward;
	char		line[96];		/* "Flat 2, 45 Harrow Road" */
	char		postcode[9];	/* "HA9 6AB" */
	double		x;
	double		y;
} Address;

extern void geo_build(Geography *geo, int64 expected_addresses);
extern void geo_address(const Geography *geo, SynthRng *r, int ward, int64 uprn,
						Address *out);
extern int	geo_ward_at(const Geography *geo, double x, double y);
extern int	geo_pick_ward(const Geography *geo, SynthRng *r);
extern void geo_random_point(const Geography *geo, SynthRng *r, int ward,
							 double *x, double *y);
extern void geo_cells_sql_arrays(const Geography *geo, Datum *wards, Datum *xs,
								 Datum *ys);

/* identifiers.c */
extern uint64 synth_nhs_number(uint64 person_index);
extern void synth_ni_number(uint64 person_index, char *out);
extern void synth_upn(int la, int estab, int year2, int serial, char *out);

#endif							/* BRENT_SYNTH_BOROUGH_H */
