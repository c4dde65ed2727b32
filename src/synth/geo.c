/*
 * geo.c
 *		Wards, postcodes and addresses of the synthetic borough.
 *
 * The borough is a rough outline of Brent on the British National Grid,
 * cut into 100 m cells.  Each cell goes to the ward whose seed point is
 * nearest (a discrete Voronoi diagram), so the wards, as unions of whole
 * cells with integer corners, tile the borough exactly: no gaps, no
 * overlaps, no floating-point slivers.  Postcode sectors are shared out
 * among the wards from the districts that really cover them; each postcode
 * unit sits in one cell of its ward and has one street, and every address
 * is a point strictly inside its postcode's cell.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "utils/array.h"

#include "synth/borough.h"
#include "synth/names.h"

/* The 22 wards of Brent as drawn in 2022, with approximate seed points. */
static const Ward ward_stock[BOROUGH_NWARDS] = {
	{"W01", "Alperton", 518200, 184100, {"HA0"}},
	{"W02", "Barnhill", 520500, 188600, {"HA9", "NW9"}},
	{"W03", "Brondesbury Park", 523300, 184300, {"NW6", "NW10", "NW2"}},
	{"W04", "Cricklewood and Mapesbury", 523700, 185500, {"NW2", "NW6"}},
	{"W05", "Dollis Hill", 522200, 186300, {"NW2", "NW10"}},
	{"W06", "Harlesden and Kensal Green", 521800, 183300, {"NW10"}},
	{"W07", "Kenton", 517900, 188900, {"HA3"}},
	{"W08", "Kilburn", 524600, 183900, {"NW6"}},
	{"W09", "Kingsbury", 520200, 189800, {"NW9"}},
	{"W10", "Northwick Park", 517300, 187300, {"HA1", "HA3", "HA9"}},
	{"W11", "Preston", 518300, 187500, {"HA9", "HA3"}},
	{"W12", "Queens Park", 524300, 183100, {"NW6", "NW10"}},
	{"W13", "Queensbury", 519200, 190200, {"NW9", "HA8"}},
	{"W14", "Roundwood", 521800, 184800, {"NW10"}},
	{"W15", "Stonebridge", 520300, 184000, {"NW10", "HA0"}},
	{"W16", "Sudbury", 517000, 185400, {"HA0", "HA1"}},
	{"W17", "Tokyngton", 520200, 185300, {"HA9"}},
	{"W18", "Welsh Harp", 521500, 187600, {"NW9"}},
	{"W19", "Wembley Central", 518600, 185200, {"HA9", "HA0"}},
	{"W20", "Wembley Hill", 519200, 186500, {"HA9"}},
	{"W21", "Wembley Park", 520000, 186800, {"HA9"}},
	{"W22", "Willesden Green", 522700, 184700, {"NW10", "NW2"}},
};

/* Postcode districts of Brent, in the order their sectors are handed out. */
static const char *const districts[] = {
	"HA0", "HA1", "HA3", "HA8", "HA9", "NW2", "NW6", "NW9", "NW10"};
#define NDISTRICTS lengthof(districts)

/* Letters allowed in the inward code's unit part (not C I K M O V). */
static const char unit_letters[] = "ABDEFGHJLNPQRSTUWXYZ";

/* Outline of the borough (BNG metres), clockwise from Sudbury. */
static const double outline[][2] = {
	{516500, 185500}, {517000, 187500}, {517800, 189300}, {519000, 190500},
	{520500, 190900}, {521500, 189500}, {522800, 187500}, {524300, 185700},
	{525200, 184200}, {524800, 182800}, {523200, 182700}, {521000, 183200},
	{519500, 183300}, {518000, 183800}, {516800, 184500}};

#define GRID_X0 516400.0
#define GRID_Y0 182600.0
#define GRID_X1 525300.0
#define GRID_Y1 191000.0

static bool
inside_outline(double x, double y)
{
	bool		in = false;
	int			n = lengthof(outline);

	for (int i = 0, j = n - 1; i < n; j = i++)
	{
		double		xi = outline[i][0],
					yi = outline[i][1];
		double		xj = outline[j][0],
					yj = outline[j][1];

		if (((yi > y) != (yj > y)) &&
			(x < (xj - xi) * (y - yi) / (yj - yi) + xi))
			in = !in;
	}
	return in;
}

static int
district_index(const char *d)
{
	for (int i = 0; i < (int) NDISTRICTS; i++)
		if (strcmp(districts[i], d) == 0)
			return i;
	elog(ERROR, "unknown postcode district \"%s\"", d);
	return -1;					/* keep compiler quiet */
}

void
geo_build(Geography *geo, int64 expected_addresses)
{
	int			next_sector[NDISTRICTS] = {0};
	int			total = 0;

	memcpy(geo->wards, ward_stock, sizeof(ward_stock));
	geo->x0 = GRID_X0;
	geo->y0 = GRID_Y0;
	geo->ncols = (int) ((GRID_X1 - GRID_X0) / BOROUGH_CELL);
	geo->nrows = (int) ((GRID_Y1 - GRID_Y0) / BOROUGH_CELL);
	geo->cell_ward = palloc(sizeof(int) * geo->ncols * geo->nrows);
	geo->ncells = 0;

	/* Each cell whose centre is inside the outline goes to the nearest seed. */
	for (int w = 0; w < BOROUGH_NWARDS; w++)
		geo->wards[w].ncells = 0;
	for (int row = 0; row < geo->nrows; row++)
		for (int col = 0; col < geo->ncols; col++)
		{
			double		x = geo->x0 + (col + 0.5) * BOROUGH_CELL;
			double		y = geo->y0 + (row + 0.5) * BOROUGH_CELL;
			int			best = -1;
			double		bestd = 0;

			if (inside_outline(x, y))
			{
				for (int w = 0; w < BOROUGH_NWARDS; w++)
				{
					double		dx = x - geo->wards[w].cx;
					double		dy = y - geo->wards[w].cy;
					double		d = dx * dx + dy * dy;

					if (best < 0 || d < bestd)
					{
						best = w;
						bestd = d;
					}
				}
				geo->wards[best].ncells++;
				geo->ncells++;
			}
			geo->cell_ward[row * geo->ncols + col] = best;
		}

	for (int w = 0; w < BOROUGH_NWARDS; w++)
	{
		Ward	   *ward = &geo->wards[w];

		if (ward->ncells == 0)
			elog(ERROR, "ward \"%s\" has no cells", ward->name);
		ward->cells = palloc(sizeof(int) * ward->ncells);
		ward->ncells = 0;
		ward->nsectors = 0;
		geo->ward_weight[w] = 0;
	}
	for (int c = 0; c < geo->ncols * geo->nrows; c++)
		if (geo->cell_ward[c] >= 0)
		{
			Ward	   *ward = &geo->wards[geo->cell_ward[c]];

			ward->cells[ward->ncells++] = c;
		}

	/*
	 * Postcode sectors, four per ward, handed out round-robin from the
	 * ward's own districts first, any Brent district with sectors left after.
	 */
	for (int round = 0; round < 4; round++)
		for (int w = 0; w < BOROUGH_NWARDS; w++)
		{
			Ward	   *ward = &geo->wards[w];
			int			d = -1;

			for (int k = 0; k < 3 && ward->districts[k] != NULL; k++)
			{
				int			cand = district_index(ward->districts[k]);

				if (next_sector[cand] < 10)
				{
					d = cand;
					break;
				}
			}
			for (int k = 0; d < 0 && k < (int) NDISTRICTS; k++)
				if (next_sector[k] < 10)
					d = k;
			if (d < 0)
				continue;		/* every sector taken: the ward makes do */
			snprintf(ward->sectors[ward->nsectors++], 8, "%s %d",
					 districts[d], next_sector[d]++);
		}

	/* Postcode units: about a dozen addresses each, as in Brent. */
	for (int w = 0; w < BOROUGH_NWARDS; w++)
		total += geo->wards[w].ncells;
	for (int w = 0; w < BOROUGH_NWARDS; w++)
	{
		Ward	   *ward = &geo->wards[w];
		double		share = (double) ward->ncells / total;
		int64		units = (int64) ceil(expected_addresses * share / 12.0);

		units = Max(units, 1);
		units = Min(units, (int64) ward->nsectors * 400);
		ward->nunits = (int) units;
		geo->ward_weight[w] = ward->ncells;
	}
}

/* Ward of a point, or -1 outside the borough. */
int
geo_ward_at(const Geography *geo, double x, double y)
{
	int			col = (int) floor((x - geo->x0) / BOROUGH_CELL);
	int			row = (int) floor((y - geo->y0) / BOROUGH_CELL);

	if (col < 0 || row < 0 || col >= geo->ncols || row >= geo->nrows)
		return -1;
	return geo->cell_ward[row * geo->ncols + col];
}

int
geo_pick_ward(const Geography *geo, SynthRng *r)
{
	return rng_weighted(r, geo->ward_weight, BOROUGH_NWARDS, geo->ncells);
}

/* A point strictly inside a cell: 1 m clear of its edges. */
static void
cell_point(const Geography *geo, int cell, SynthRng *r, double *x, double *y)
{
	int			row = cell / geo->ncols;
	int			col = cell % geo->ncols;

	*x = geo->x0 + col * BOROUGH_CELL + 1.0 + rng_double(r) * (BOROUGH_CELL - 2.0);
	*y = geo->y0 + row * BOROUGH_CELL + 1.0 + rng_double(r) * (BOROUGH_CELL - 2.0);
	/* centimetre precision, as address points are published */
	*x = round(*x * 100.0) / 100.0;
	*y = round(*y * 100.0) / 100.0;
}

void
geo_random_point(const Geography *geo, SynthRng *r, int ward, double *x, double *y)
{
	const Ward *wd = &geo->wards[ward];

	cell_point(geo, wd->cells[rng_int(r, wd->ncells)], r, x, y);
}

void
geo_address(const Geography *geo, SynthRng *r, int ward, int64 uprn, Address *out)
{
	const Ward *wd = &geo->wards[ward];
	int			unit = (int) rng_int(r, wd->nunits);
	int			sector = unit % wd->nsectors;
	/* letters: distinct within the sector, starting at a place of its own */
	int			k = (int) (((unit / wd->nsectors) * 7 +
							synth_mix64(((uint64) ward << 8) | (uint64) sector)) % 400);
	uint64		h = synth_mix64(((uint64) ward << 32) | (uint64) unit);
	const char *street = synth_street_names[h % synth_nstreet_names];
	const char *kind = synth_street_kinds[(h >> 16) % synth_nstreet_kinds];
	int			cell = wd->cells[(h >> 32) % wd->ncells];
	int			number = 1 + (int) ((h >> 8) % 150) + rng_range(r, 0, 24);

	out->uprn = uprn;
	out->ward = ward;
	snprintf(out->postcode, sizeof(out->postcode), "%s%c%c",
			 wd->sectors[sector], unit_letters[k / 20], unit_letters[k % 20]);
	if (rng_chance(r, 0.3))
		snprintf(out->line, sizeof(out->line), "Flat %d, %d %s %s",
				 rng_range(r, 1, 12), number, street, kind);
	else
		snprintf(out->line, sizeof(out->line), "%d %s %s", number, street, kind);
	cell_point(geo, cell, r, &out->x, &out->y);
}

/* The borough's cells as three int4 arrays (ward number, x, y of corner). */
void
geo_cells_sql_arrays(const Geography *geo, Datum *wards, Datum *xs, Datum *ys)
{
	Datum	   *w = palloc(sizeof(Datum) * geo->ncells);
	Datum	   *x = palloc(sizeof(Datum) * geo->ncells);
	Datum	   *y = palloc(sizeof(Datum) * geo->ncells);
	int			n = 0;

	for (int c = 0; c < geo->ncols * geo->nrows; c++)
	{
		if (geo->cell_ward[c] < 0)
			continue;
		w[n] = Int32GetDatum(geo->cell_ward[c]);
		x[n] = Int32GetDatum((int32) geo->x0 + (c % geo->ncols) * BOROUGH_CELL);
		y[n] = Int32GetDatum((int32) geo->y0 + (c / geo->ncols) * BOROUGH_CELL);
		n++;
	}
	*wards = PointerGetDatum(construct_array(w, n, INT4OID, 4, true, TYPALIGN_INT));
	*xs = PointerGetDatum(construct_array(x, n, INT4OID, 4, true, TYPALIGN_INT));
	*ys = PointerGetDatum(construct_array(y, n, INT4OID, 4, true, TYPALIGN_INT));
}
