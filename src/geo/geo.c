/*
 * geo.c
 *		Hot spots of point events on a square grid: Getis-Ord Gi*, the
 *		space-time cube of Emerging Hot Spot Analysis (Mann-Kendall on each
 *		cell's z-scores) and quartic kernel density.
 *
 * The grid is square, of cell_size metres on the British National Grid (EPSG
 * 27700), aligned to multiples of cell_size: cell (i, j) covers
 * [i*cs, (i+1)*cs) x [j*cs, (j+1)*cs).  Its cells are those whose centre lies
 * in the area (the union of the ward polygons, by default the table "ward"
 * next to the source table); PostGIS answers that question once per cell of
 * the bounding box.  Everything else is arithmetic on arrays: a point is
 * counted into its cell by floor(x / cs), floor(y / cs); the neighbour sums of
 * Gi* (a disc of radius distance_band around each cell) are sums over runs of
 * whole cells of each grid row, read from per-row prefix sums, so a cell costs
 * 2k+1 lookups for a band of k cells, whatever the number of incidents.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "access/xact.h"
#include "storage/proc.h"
#include "catalog/namespace.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "brent_mdm.h"

PG_FUNCTION_INFO_V1(geo_hotspots);
PG_FUNCTION_INFO_V1(geo_emerging_hotspots);
PG_FUNCTION_INFO_V1(geo_kernel_density);
PG_FUNCTION_INFO_V1(geo_mann_kendall);
PG_FUNCTION_INFO_V1(geo_emerging_category);

#define GEO_SRID 27700
#define GEO_MAX_CELLS 10000000.0
#define GEO_FETCH 20000
/* relative tolerance of the distance band: a diagonal at cs*sqrt(2) is kept */
#define GEO_BAND_TOLERANCE 1e-9
/* significance of a Mann-Kendall trend in the emerging categories */
#define GEO_TREND_ALPHA 0.05

typedef struct GeoGrid
{
	double		cs;				/* cell size, metres */
	int64		i0,
				j0;				/* grid index of the bounding box's first cell */
	int			nx,
				ny;				/* bounding box, in cells */
	int			n;				/* cells whose centre is in the area */
	int32	   *index;			/* nx*ny: cell number, or -1 */
	int32	   *ci,
			   *cj;				/* n: position in the bounding box */
} GeoGrid;

typedef struct GeoSource
{
	Oid			relid;
	char	   *relname;		/* quoted, qualified */
	char	   *geomcol;		/* quoted */
	char	   *timecol;		/* quoted */
	Oid			timetype;
	Oid			geomtype;		/* PostGIS geometry */
	int32		srid;			/* of the column, after the checks */
	bool		checked;		/* typmod says Point with a SRID */
} GeoSource;

/* ---------------------------------------------------------------- SPI */

/*
 * What outlives SPI_finish is allocated here (the query's context): every
 * SPI call leaves CurrentMemoryContext at SPI's procedure context, which
 * SPI_finish deletes.
 */
static MemoryContext geo_cxt = NULL;

static void *
geo_alloc(Size size)
{
	return MemoryContextAllocExtended(geo_cxt, Max(size, 1), MCXT_ALLOC_HUGE);
}

static void *
geo_alloc0(Size size)
{
	return MemoryContextAllocExtended(geo_cxt, Max(size, 1), MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
}

static void
geo_spi_ok(int rc, const char *what)
{
	if (rc < 0)
		elog(ERROR, "brent_mdm geo: SPI failed (%d) in %s", rc, what);
}

/* quoted name of the schema of the PostGIS extension */
static char *
geo_postgis_schema(void)
{
	bool		isnull;
	int			rc = SPI_execute("SELECT n.nspname FROM pg_catalog.pg_extension e"
								 " JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace"
								 " WHERE e.extname = 'postgis'", true, 1);

	geo_spi_ok(rc, "PostGIS schema");
	if (SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("PostGIS is not installed in this database"),
				 errhint("Run CREATE EXTENSION postgis.")));
	return pstrdup(quote_identifier(NameStr(*DatumGetName(
		SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)))));
}

static char *
geo_relname(Oid relid)
{
	char	   *rel = get_rel_name(relid);

	if (rel == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)), rel);
}

static bool
geo_type_is_geometry(Oid typid, const char *ps)
{
	HeapTuple	tup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typid));
	bool		ok = false;

	if (HeapTupleIsValid(tup))
	{
		Form_pg_type t = (Form_pg_type) GETSTRUCT(tup);

		ok = strcmp(NameStr(t->typname), "geometry") == 0 &&
			strcmp(quote_identifier(get_namespace_name(t->typnamespace)), ps) == 0;
		ReleaseSysCache(tup);
	}
	return ok;
}

/*
 * The source table's columns: a geometry of points with one known SRID, and a
 * date or timestamp.  The typmod answers when it says Point and a SRID;
 * otherwise the rows of the period are checked.
 */
static void
geo_source(GeoSource *s, Oid relid, Name geomcol, Name timecol, const char *ps,
		   DateADT from, DateADT to)
{
	AttrNumber	ga,
				ta;
	Oid			gt;
	int32		typmod;
	Oid			coll;
	StringInfoData q;
	int			rc;
	bool		isnull;
	char		gtype[64] = "";

	s->relid = relid;
	s->relname = MemoryContextStrdup(geo_cxt, geo_relname(relid));
	ga = get_attnum(relid, NameStr(*geomcol));
	ta = get_attnum(relid, NameStr(*timecol));
	if (ga == InvalidAttrNumber || ga < 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" of %s does not exist", NameStr(*geomcol), s->relname)));
	if (ta == InvalidAttrNumber || ta < 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" of %s does not exist", NameStr(*timecol), s->relname)));
	s->geomcol = MemoryContextStrdup(geo_cxt, quote_identifier(NameStr(*geomcol)));
	s->timecol = MemoryContextStrdup(geo_cxt, quote_identifier(NameStr(*timecol)));
	get_atttypetypmodcoll(relid, ta, &s->timetype, &typmod, &coll);
	if (s->timetype != DATEOID && s->timetype != TIMESTAMPOID && s->timetype != TIMESTAMPTZOID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("column \"%s\" of %s is of type %s, not a date or timestamp",
						NameStr(*timecol), s->relname, format_type_be(s->timetype))));
	get_atttypetypmodcoll(relid, ga, &gt, &typmod, &coll);
	if (!geo_type_is_geometry(gt, ps))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("column \"%s\" of %s is of type %s, not a PostGIS geometry",
						NameStr(*geomcol), s->relname, format_type_be(gt)),
				 errhint("A geography column can be given through a view that casts it to geometry.")));
	s->geomtype = gt;
	s->srid = 0;
	s->checked = false;

	initStringInfo(&q);
	appendStringInfo(&q, "SELECT %s.postgis_typmod_type(%d), %s.postgis_typmod_srid(%d)",
					 ps, typmod, ps, typmod);
	rc = SPI_execute(q.data, true, 1);
	geo_spi_ok(rc, "typmod");
	if (SPI_processed == 1)
	{
		char	   *t = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);

		strlcpy(gtype, t ? t : "", sizeof(gtype));
		s->srid = isnull ? 0 : DatumGetInt32(d);
	}
	if (typmod >= 0 && strcmp(gtype, "Geometry") != 0 && strcmp(gtype, "Point") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("column \"%s\" of %s holds %s geometries, not points",
						NameStr(*geomcol), s->relname, gtype),
				 errhint("Give a view with a point per event, e.g. ST_PointOnSurface(geom).")));
	if (typmod >= 0 && strcmp(gtype, "Point") == 0 && s->srid > 0)
	{
		s->checked = true;
		return;
	}

	/* an unconstrained column: look at the rows of the period */
	resetStringInfo(&q);
	appendStringInfo(&q,
					 "SELECT count(*) FILTER (WHERE %s.GeometryType(g) <> 'POINT'),"
					 " min(%s.GeometryType(g)) FILTER (WHERE %s.GeometryType(g) <> 'POINT'),"
					 " count(DISTINCT %s.ST_SRID(g)), min(%s.ST_SRID(g)), max(%s.ST_SRID(g))"
					 " FROM (SELECT %s AS g FROM %s WHERE %s >= $1 AND %s < $2) s",
					 ps, ps, ps, ps, ps, ps, s->geomcol, s->relname, s->timecol, s->timecol);
	{
		Oid			types[2] = {DATEOID, DATEOID};
		Datum		vals[2] = {DateADTGetDatum(from), DateADTGetDatum(to)};
		int64		notpoint,
					nsrid;
		int32		minsrid,
					maxsrid;

		rc = SPI_execute_with_args(q.data, 2, types, vals, NULL, true, 1);
		geo_spi_ok(rc, "geometry check");
		notpoint = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		nsrid = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull));
		if (notpoint > 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("column \"%s\" of %s holds %lld geometries that are not points in the period (%s among them)",
							NameStr(*geomcol), s->relname, (long long) notpoint,
							SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2)),
					 errhint("Give a view with a point per event, e.g. ST_PointOnSurface(geom).")));
		if (nsrid == 0)
		{
			s->srid = GEO_SRID;	/* no rows: nothing to transform */
			return;
		}
		minsrid = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 4, &isnull));
		maxsrid = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 5, &isnull));
		if (nsrid > 1)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("column \"%s\" of %s mixes %lld spatial reference systems in the period (SRID %d to %d)",
							NameStr(*geomcol), s->relname, (long long) nsrid, minsrid, maxsrid),
					 errhint("Store every point in one SRID, e.g. with ST_Transform(geom, 27700).")));
		if (minsrid <= 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("column \"%s\" of %s has points of unknown SRID (0)",
							NameStr(*geomcol), s->relname),
					 errhint("Set the SRID the coordinates are in, e.g. ST_SetSRID(geom, 27700).")));
		s->srid = minsrid;
	}
}

/* The area (by default the table "ward" next to the source): its geometry column. */
static Oid
geo_area(Oid area, Oid source, char **relname, char **geomcol, const char *ps)
{
	StringInfoData q;
	int			rc;
	bool		isnull;

	if (!OidIsValid(area))
	{
		Oid			nsp = get_rel_namespace(source);

		area = get_relname_relid("ward", nsp);
		if (!OidIsValid(area))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_TABLE),
					 errmsg("no table \"ward\" in schema \"%s\" to give the borough's outline",
							get_namespace_name(nsp)),
					 errhint("Give the polygons of the borough with area => 'schema.table'.")));
	}
	*relname = geo_relname(area);
	initStringInfo(&q);
	appendStringInfo(&q,
					 "SELECT attname FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid"
					 " WHERE a.attrelid = %u AND a.attnum > 0 AND NOT a.attisdropped"
					 " AND t.typname = 'geometry' AND t.typnamespace ="
					 " (SELECT extnamespace FROM pg_catalog.pg_extension WHERE extname = 'postgis')"
					 " ORDER BY a.attnum",
					 area);
	rc = SPI_execute(q.data, true, 0);
	geo_spi_ok(rc, "area column");
	if (SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("area %s has %llu geometry columns, not one", *relname,
						(unsigned long long) SPI_processed),
				 errhint("Give a view with the one polygon column of the borough's outline.")));
	*geomcol = pstrdup(quote_identifier(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1)));
	(void) isnull;
	return area;
}

/* The grid: the cells of cs metres whose centre is in the area. */
static void
geo_grid_build(GeoGrid *g, Oid area, Oid source, double cs, const char *ps)
{
	char	   *rel,
			   *col;
	StringInfoData q;
	int			rc;
	bool		isnull;
	int64		nsrid,
				npoly,
				nrows;
	double		xmin,
				ymin,
				xmax,
				ymax,
				fi0,
				fj0,
				fi1,
				fj1;
	Oid			types[5] = {INT8OID, INT8OID, INT8OID, INT8OID, FLOAT8OID};
	Datum		vals[5];
	Portal		portal;

	if (isnan(cs) || isinf(cs) || cs <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cell_size must be a positive number of metres, not %g", cs)));
	geo_area(area, source, &rel, &col, ps);
	initStringInfo(&q);
	appendStringInfo(&q,
					 "SELECT count(*), count(DISTINCT %s.ST_SRID(%s)), min(%s.ST_SRID(%s)),"
					 " count(*) FILTER (WHERE %s.ST_Dimension(%s) = 2) FROM %s WHERE %s IS NOT NULL",
					 ps, col, ps, col, ps, col, rel, col);
	rc = SPI_execute(q.data, true, 1);
	geo_spi_ok(rc, "area check");
	nrows = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	nsrid = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	npoly = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 4, &isnull));
	if (nrows == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("area %s has no polygons", rel)));
	if (nsrid > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("area %s mixes %lld spatial reference systems", rel, (long long) nsrid)));
	if (DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull)) <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("area %s has polygons of unknown SRID (0)", rel),
				 errhint("Set the SRID the coordinates are in, e.g. ST_SetSRID(geom, 27700).")));
	if (npoly != nrows)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("area %s has %lld geometries that are not polygons", rel,
						(long long) (nrows - npoly))));

	resetStringInfo(&q);
	appendStringInfo(&q,
					 "SELECT %s.ST_XMin(e), %s.ST_YMin(e), %s.ST_XMax(e), %s.ST_YMax(e)"
					 " FROM (SELECT %s.ST_Extent(%s.ST_Transform(%s, %d)) AS e FROM %s) s",
					 ps, ps, ps, ps, ps, ps, col, GEO_SRID, rel);
	rc = SPI_execute(q.data, true, 1);
	geo_spi_ok(rc, "area extent");
	xmin = DatumGetFloat8(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	ymin = DatumGetFloat8(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	xmax = DatumGetFloat8(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull));
	ymax = DatumGetFloat8(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 4, &isnull));

	/* the bounding box in cells, checked in floating point before any integer */
	fi0 = floor(xmin / cs);
	fj0 = floor(ymin / cs);
	fi1 = floor(xmax / cs);
	fj1 = floor(ymax / cs);
	if (!isfinite(fi0) || !isfinite(fi1) || !isfinite(fj0) || !isfinite(fj1) ||
		fabs(fi0) > 1e15 || fabs(fi1) > 1e15 || fabs(fj0) > 1e15 || fabs(fj1) > 1e15 ||
		(fi1 - fi0 + 1) * (fj1 - fj0 + 1) > GEO_MAX_CELLS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a grid of %g m cells over %s would have %.0f cells in its bounding box, more than %.0f",
						cs, rel, (fi1 - fi0 + 1) * (fj1 - fj0 + 1), GEO_MAX_CELLS),
				 errhint("Use a larger cell_size (a London borough of 43 km2 has 4,300 cells of 100 m).")));
	g->cs = cs;
	g->i0 = (int64) fi0;
	g->j0 = (int64) fj0;
	g->nx = (int) (fi1 - fi0 + 1);
	g->ny = (int) (fj1 - fj0 + 1);
	g->index = geo_alloc(sizeof(int32) * (Size) g->nx * g->ny);
	for (Size k = 0; k < (Size) g->nx * g->ny; k++)
		g->index[k] = -1;

	/* the cells whose centre is in the union of the polygons */
	resetStringInfo(&q);
	appendStringInfo(&q,
					 "WITH a AS MATERIALIZED (SELECT %s.ST_Union(%s.ST_Transform(%s, %d)) AS g FROM %s)"
					 " SELECT i - $1, j - $3 FROM a, generate_series($1, $2) i, generate_series($3, $4) j"
					 " WHERE %s.ST_Intersects(a.g, %s.ST_SetSRID(%s.ST_MakePoint((i + 0.5) * $5, (j + 0.5) * $5), %d))"
					 " ORDER BY j, i",
					 ps, ps, col, GEO_SRID, rel, ps, ps, ps, GEO_SRID);
	vals[0] = Int64GetDatum(g->i0);
	vals[1] = Int64GetDatum(g->i0 + g->nx - 1);
	vals[2] = Int64GetDatum(g->j0);
	vals[3] = Int64GetDatum(g->j0 + g->ny - 1);
	vals[4] = Float8GetDatum(cs);
	portal = SPI_cursor_open_with_args(NULL, q.data, 5, types, vals, NULL, true, 0);
	g->n = 0;
	g->ci = NULL;
	g->cj = NULL;
	{
		int			cap = 1024;

		g->ci = geo_alloc(sizeof(int32) * cap);
		g->cj = geo_alloc(sizeof(int32) * cap);
		for (;;)
		{
			SPI_cursor_fetch(portal, true, GEO_FETCH);
			if (SPI_processed == 0)
				break;
			for (uint64 r = 0; r < SPI_processed; r++)
			{
				int64		di = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 1, &isnull));
				int64		dj = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 2, &isnull));

				if (g->n == cap)
				{
					cap *= 2;
					g->ci = repalloc_huge(g->ci, sizeof(int32) * (Size) cap);
					g->cj = repalloc_huge(g->cj, sizeof(int32) * (Size) cap);
				}
				g->ci[g->n] = (int32) di;
				g->cj[g->n] = (int32) dj;
				g->index[(Size) dj * g->nx + di] = g->n;
				g->n++;
			}
			SPI_freetuptable(SPI_tuptable);
			CHECK_FOR_INTERRUPTS();
		}
	}
	SPI_cursor_close(portal);
}


/*
 * The grid, built once per statement: a query that calls these functions once
 * a month (LATERAL over 36 months, or hotspot_report's three calls) reads the
 * area once.  Within a statement a STABLE function sees one snapshot, so the
 * area cannot differ; the key is the area, the cell size, the transaction
 * (local id), the statement's start and its command id.  Kept in the
 * transaction's memory, so nothing outlives the transaction.
 */
typedef struct GeoGridCache
{
	bool		valid;
	Oid			area;			/* as given (InvalidOid: the ward table next to source) */
	Oid			source_nsp;
	double		cs;
	LocalTransactionId lxid;
	TimestampTz stmt_start;
	CommandId	cid;
	GeoGrid		grid;
} GeoGridCache;

static GeoGridCache geo_grid_cache;

static void
geo_grid(GeoGrid *g, Oid area, Oid source, double cs, const char *ps)
{
	GeoGridCache *c = &geo_grid_cache;
	Oid			nsp = get_rel_namespace(source);

	if (c->valid && c->area == area && (OidIsValid(area) || c->source_nsp == nsp) && c->cs == cs &&
		c->lxid == MyProc->lxid && c->stmt_start == GetCurrentStatementStartTimestamp() &&
		c->cid == GetCurrentCommandId(false))
	{
		*g = c->grid;
		return;
	}
	c->valid = false;
	{
		MemoryContext saved = geo_cxt;

		/* built in the transaction's memory, so that it can serve the next call */
		geo_cxt = TopTransactionContext;
		PG_TRY();
		{
			geo_grid_build(&c->grid, area, source, cs, ps);
		}
		PG_FINALLY();
		{
			geo_cxt = saved;
		}
		PG_END_TRY();
	}
	c->area = area;
	c->source_nsp = nsp;
	c->cs = cs;
	c->lxid = MyProc->lxid;
	c->stmt_start = GetCurrentStatementStartTimestamp();
	c->cid = GetCurrentCommandId(false);
	c->valid = true;
	*g = c->grid;
}

/* cell number of a point, or -1 outside the grid */
static inline int
geo_cell_of(const GeoGrid *g, double x, double y)
{
	double		fi = floor(x / g->cs) - (double) g->i0;
	double		fj = floor(y / g->cs) - (double) g->j0;

	if (!(fi >= 0 && fi < g->nx && fj >= 0 && fj < g->ny))
		return -1;
	return g->index[(Size) ((int) fj) * g->nx + (int) fi];
}

static inline int64
geo_cell_id(const GeoGrid *g, int c)
{
	/* column * 2^32 + row + 2^31: stable for a cell size, whatever the area */
	return (g->i0 + g->ci[c]) * INT64CONST(4294967296) + (g->j0 + g->cj[c]) + INT64CONST(2147483648);
}

/*
 * The points of the period, counted into cells; with steps, into cells of
 * each step (counts[step * n + cell]).  Points in no cell are counted apart.
 */
typedef struct GeoCount
{
	int64		total;
	int64		nulls;
	int64		outside;
} GeoCount;

static void
geo_count(const GeoGrid *g, const GeoSource *s, const char *ps, DateADT from, DateADT to,
		  ArrayType *bounds, int nsteps, int64 *counts, GeoCount *gc)
{
	StringInfoData q;
	Portal		portal;
	Oid			types[3] = {DATEOID, DATEOID, DATEARRAYOID};
	Datum		vals[3] = {DateADTGetDatum(from), DateADTGetDatum(to), PointerGetDatum(bounds)};
	char	   *geom;
	bool		isnull;

	initStringInfo(&q);
	if (s->srid == GEO_SRID)
		geom = s->geomcol;
	else
		geom = psprintf("%s.ST_Transform(%s, %d)", ps, s->geomcol, GEO_SRID);
	appendStringInfo(&q, "SELECT %s.ST_X(g), %s.ST_Y(g)%s FROM (SELECT %s AS g%s FROM %s WHERE %s >= $1 AND %s < $2) s",
					 ps, ps, bounds ? ", k" : "", geom,
					 bounds ? psprintf(", pg_catalog.width_bucket(%s::date, $3) AS k", s->timecol) : "",
					 s->relname, s->timecol, s->timecol);
	memset(gc, 0, sizeof(*gc));
	memset(counts, 0, sizeof(int64) * (Size) g->n * nsteps);
	portal = SPI_cursor_open_with_args(NULL, q.data, bounds ? 3 : 2, types, vals, NULL, true, 0);
	for (;;)
	{
		SPI_cursor_fetch(portal, true, GEO_FETCH);
		if (SPI_processed == 0)
			break;
		for (uint64 r = 0; r < SPI_processed; r++)
		{
			HeapTuple	tup = SPI_tuptable->vals[r];
			TupleDesc	td = SPI_tuptable->tupdesc;
			Datum		dx = SPI_getbinval(tup, td, 1, &isnull);
			double		x,
						y;
			int			c,
						k = 0;

			gc->total++;
			if (isnull)
			{
				gc->nulls++;
				continue;
			}
			x = DatumGetFloat8(dx);
			y = DatumGetFloat8(SPI_getbinval(tup, td, 2, &isnull));
			if (bounds)
			{
				k = DatumGetInt32(SPI_getbinval(tup, td, 3, &isnull)) - 1;
				if (isnull || k < 0 || k >= nsteps)
					elog(ERROR, "brent_mdm geo: event outside the steps of the period");
			}
			c = geo_cell_of(g, x, y);
			if (c < 0)
				gc->outside++;
			else
				counts[(Size) k * g->n + c]++;
		}
		SPI_freetuptable(SPI_tuptable);
		CHECK_FOR_INTERRUPTS();
	}
	SPI_cursor_close(portal);
}

static void
geo_count_notices(const GeoCount *gc, const GeoSource *s)
{
	if (gc->nulls > 0)
		ereport(NOTICE,
				(errmsg("%lld of %lld events of %s in the period have no location (%s is NULL); they are in no cell",
						(long long) gc->nulls, (long long) gc->total, s->relname, s->geomcol)));
	if (gc->outside > 0)
		ereport(NOTICE,
				(errmsg("%lld of %lld events of %s in the period lie outside the borough's grid; they are in no cell",
						(long long) gc->outside, (long long) gc->total, s->relname),
				 errdetail("A point outside the area, or in an edge cell whose centre is outside it, is counted here.")));
}

/* ---------------------------------------------------------------- Gi* */

/*
 * Half-widths of the disc of radius band (in cells) on each row offset:
 * w[d] = the largest di with di^2 + d^2 <= r^2 (1 + tolerance), d = 0..k.
 */
static int
geo_band(const GeoGrid *g, double band, int **widths)
{
	double		r = band / g->cs;
	double		r2 = r * r * (1 + GEO_BAND_TOLERANCE);
	int			kmax;
	int		   *w;

	if (isnan(band) || band < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("distance_band must be zero or a positive number of metres, not %g", band)));
	/* no band reaches further than the grid */
	kmax = (r2 >= (double) Max(g->nx, g->ny) * Max(g->nx, g->ny)) ? Max(g->nx, g->ny) : (int) floor(sqrt(r2));
	while ((double) (kmax + 1) * (kmax + 1) <= r2 && kmax < Max(g->nx, g->ny))
		kmax++;
	while (kmax > 0 && (double) kmax * kmax > r2)
		kmax--;
	w = palloc(sizeof(int) * (kmax + 1));
	for (int d = 0; d <= kmax; d++)
	{
		double		rest = r2 - (double) d * d;
		int			di = rest >= (double) kmax * kmax ? kmax : (int) floor(sqrt(rest));

		while (di < kmax && (double) (di + 1) * (di + 1) + (double) d * d <= r2)
			di++;
		while (di > 0 && (double) di * di + (double) d * d > r2)
			di--;
		w[d] = di;
	}
	*widths = w;
	return kmax;
}

/* Prefix sums of each grid row (ny rows of nx + 1) of the cells' values and of the cells. */
static void
geo_prefix(const GeoGrid *g, const int64 *x, int64 *px, int32 *pm)
{
	for (int j = 0; j < g->ny; j++)
	{
		Size		row = (Size) j * (g->nx + 1);

		px[row] = 0;
		if (pm)
			pm[row] = 0;
		for (int i = 0; i < g->nx; i++)
		{
			int			c = g->index[(Size) j * g->nx + i];

			px[row + i + 1] = px[row + i] + (c >= 0 ? x[c] : 0);
			if (pm)
				pm[row + i + 1] = pm[row + i] + (c >= 0 ? 1 : 0);
		}
	}
}

/*
 * Gi* of every cell from its count x: z (NaN where undefined: no variance,
 * fewer than two cells, or a cell whose band covers every cell).
 * nw: the number of cells in each cell's band (itself included), filled once.
 */
static void
geo_gistar(const GeoGrid *g, const int64 *x, int kmax, const int *w, int32 *nw,
		   bool nw_done, int64 *px, int32 *pm, double *z)
{
	int			n = g->n;
	double		mean = 0,
				var = 0,
				s;

	for (int c = 0; c < n; c++)
		mean += (double) x[c];
	mean /= n;
	for (int c = 0; c < n; c++)
		var += ((double) x[c] - mean) * ((double) x[c] - mean);
	var /= n;
	s = sqrt(var);
	geo_prefix(g, x, px, nw_done ? NULL : pm);
	for (int c = 0; c < n; c++)
	{
		int			ci = g->ci[c],
					cj = g->cj[c];
		int64		sum = 0;
		int32		cnt = 0;
		double		den;

		for (int d = -kmax; d <= kmax; d++)
		{
			int			jj = cj + d,
						lo,
						hi;
			Size		row;

			if (jj < 0 || jj >= g->ny)
				continue;
			lo = Max(0, ci - w[Abs(d)]);
			hi = Min(g->nx - 1, ci + w[Abs(d)]);
			row = (Size) jj * (g->nx + 1);
			sum += px[row + hi + 1] - px[row + lo];
			if (!nw_done)
				cnt += pm[row + hi + 1] - pm[row + lo];
		}
		if (!nw_done)
			nw[c] = cnt;
		cnt = nw[c];
		den = s * sqrt(((double) n * cnt - (double) cnt * cnt) / (n - 1));
		if (n < 2 || !(den > 0) || !isfinite(den))
			z[c] = NAN;
		else
			z[c] = ((double) sum - mean * cnt) / den;
		if ((c & 4095) == 0)
			CHECK_FOR_INTERRUPTS();
	}
}

static inline double
geo_p_two_sided(double z)
{
	return isnan(z) ? NAN : erfc(fabs(z) / M_SQRT2);
}

static int
geo_cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return x < y ? -1 : x > y ? 1 : 0;
}

/*
 * Benjamini-Hochberg over the cells' p-values at 90, 95 and 99 % confidence:
 * level[c] = 99, 95, 90 or 0 (not significant), as ArcGIS's FDR correction.
 */
static void
geo_fdr(int n, const double *p, int *level)
{
	static const double alpha[3] = {0.10, 0.05, 0.01};
	static const int conf[3] = {90, 95, 99};
	double	   *sorted = palloc(sizeof(double) * Max(n, 1));
	double		cut[3];
	int			m = 0;

	for (int c = 0; c < n; c++)
		if (!isnan(p[c]))
			sorted[m++] = p[c];
	qsort(sorted, m, sizeof(double), geo_cmp_double);
	for (int a = 0; a < 3; a++)
	{
		cut[a] = -1;
		for (int k = m; k >= 1; k--)
			if (sorted[k - 1] <= (double) k / m * alpha[a])
			{
				cut[a] = sorted[k - 1];
				break;
			}
	}
	for (int c = 0; c < n; c++)
	{
		level[c] = 0;
		if (isnan(p[c]))
			continue;
		for (int a = 0; a < 3; a++)
			if (p[c] <= cut[a])
				level[c] = conf[a];
	}
	pfree(sorted);
}

static const char *
geo_class(double z, int level)
{
	if (level == 0 || isnan(z))
		return "not significant";
	if (z > 0)
		return level == 99 ? "hot 99" : level == 95 ? "hot 95" : "hot 90";
	return level == 99 ? "cold 99" : level == 95 ? "cold 95" : "cold 90";
}

/* ---------------------------------------------------------------- output */

/* the cell's square as a geometry, through PostGIS's own binary input */
typedef struct GeoOut
{
	FmgrInfo	recv;
	Oid			ioparam;
} GeoOut;

static void
geo_out_init(GeoOut *o, Oid geomtype)
{
	Oid			recv;

	getTypeBinaryInputInfo(geomtype, &recv, &o->ioparam);
	fmgr_info(recv, &o->recv);
}

static void
geo_put_u32(StringInfo b, uint32 v)
{
	for (int i = 0; i < 4; i++)
		appendStringInfoChar(b, (char) ((v >> (8 * i)) & 0xff));
}

static void
geo_put_f64(StringInfo b, double v)
{
	uint64		u;

	memcpy(&u, &v, 8);
	for (int i = 0; i < 8; i++)
		appendStringInfoChar(b, (char) ((u >> (8 * i)) & 0xff));
}

static Datum
geo_cell_geom(GeoOut *o, const GeoGrid *g, int c)
{
	StringInfoData b;
	double		x0 = (double) (g->i0 + g->ci[c]) * g->cs,
				y0 = (double) (g->j0 + g->cj[c]) * g->cs,
				x1 = (double) (g->i0 + g->ci[c] + 1) * g->cs,
				y1 = (double) (g->j0 + g->cj[c] + 1) * g->cs;

	initStringInfo(&b);
	appendStringInfoChar(&b, 1);	/* little endian */
	geo_put_u32(&b, 3 | 0x20000000);	/* polygon with SRID */
	geo_put_u32(&b, GEO_SRID);
	geo_put_u32(&b, 1);
	geo_put_u32(&b, 5);
	geo_put_f64(&b, x0);
	geo_put_f64(&b, y0);
	geo_put_f64(&b, x0);
	geo_put_f64(&b, y1);
	geo_put_f64(&b, x1);
	geo_put_f64(&b, y1);
	geo_put_f64(&b, x1);
	geo_put_f64(&b, y0);
	geo_put_f64(&b, x0);
	geo_put_f64(&b, y0);
	return ReceiveFunctionCall(&o->recv, &b, o->ioparam, -1);
}

/* ---------------------------------------------------------------- arguments */

static void
geo_require(FunctionCallInfo fcinfo, int nargs, const char *const *names)
{
	for (int a = 0; a < nargs; a++)
		if (PG_ARGISNULL(a))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s must not be NULL", names[a])));
}

static char *
geo_date_iso(DateADT d)
{
	int			y,
				m,
				dd;

	j2date(d + POSTGRES_EPOCH_JDATE, &y, &m, &dd);
	return psprintf("%04d-%02d-%02d", y, m, dd);
}

static void
geo_cell_size(double cs)
{
	if (isnan(cs) || isinf(cs) || cs <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cell_size must be a positive number of metres, not %g", cs)));
}

static void
geo_period(DateADT from, DateADT to)
{
	if (DATE_NOT_FINITE(from) || DATE_NOT_FINITE(to))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("period_start and period_end must be finite dates")));
	if (from >= to)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the period [%s, %s) is empty", geo_date_iso(from), geo_date_iso(to)),
				 errhint("period_end is excluded: give the day after the last day of the period.")));
}

/*
 * hotspots(source, geom_column, time_column, period_start, period_end,
 *			cell_size, distance_band, area)
 */
Datum
geo_hotspots(PG_FUNCTION_ARGS)
{
	static const char *const names[] = {"source", "geom_column", "time_column",
	"period_start", "period_end", "cell_size"};
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			source;
	DateADT		from,
				to;
	double		cs,
				band;
	Oid			area;
	GeoSource	s;
	GeoGrid		g;
	GeoCount	gc;
	char	   *ps;
	int64	   *x,
			   *px;
	int32	   *nw,
			   *pm;
	double	   *z,
			   *p;
	int		   *level,
			   *w,
				kmax;
	GeoOut		out;

	geo_require(fcinfo, 6, names);
	source = PG_GETARG_OID(0);
	from = PG_GETARG_DATEADT(3);
	to = PG_GETARG_DATEADT(4);
	cs = PG_GETARG_FLOAT8(5);
	band = PG_ARGISNULL(6) ? cs * M_SQRT2 : PG_GETARG_FLOAT8(6);
	area = PG_ARGISNULL(7) ? InvalidOid : PG_GETARG_OID(7);
	geo_period(from, to);
	geo_cell_size(cs);
	if (isnan(band) || band < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("distance_band must be zero or a positive number of metres, not %g", band)));

	InitMaterializedSRF(fcinfo, 0);
	geo_cxt = rsinfo->econtext->ecxt_per_query_memory;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "brent_mdm geo: SPI_connect failed");
	ps = geo_postgis_schema();
	geo_source(&s, source, PG_GETARG_NAME(1), PG_GETARG_NAME(2), ps, from, to);
	geo_grid(&g, area, source, cs, ps);

	x = geo_alloc(sizeof(int64) * Max(g.n, 1));
	geo_count(&g, &s, ps, from, to, NULL, 1, x, &gc);
	SPI_finish();
	geo_count_notices(&gc, &s);
	if (g.n == 0)
	{
		ereport(NOTICE,
				(errmsg("no cell of %g m has its centre inside the area", cs),
				 errhint("Use a smaller cell_size.")));
		return (Datum) 0;
	}
	if (gc.total == 0)
		ereport(NOTICE,
				(errmsg("%s has no events in the period; every cell counts 0 and has no Gi*", s.relname)));

	kmax = geo_band(&g, band, &w);
	px = geo_alloc(sizeof(int64) * (Size) (g.nx + 1) * g.ny);
	pm = geo_alloc(sizeof(int32) * (Size) (g.nx + 1) * g.ny);
	nw = geo_alloc(sizeof(int32) * g.n);
	z = geo_alloc(sizeof(double) * g.n);
	p = geo_alloc(sizeof(double) * g.n);
	level = geo_alloc(sizeof(int) * g.n);
	geo_gistar(&g, x, kmax, w, nw, false, px, pm, z);
	for (int c = 0; c < g.n; c++)
		p[c] = geo_p_two_sided(z[c]);
	geo_fdr(g.n, p, level);

	geo_out_init(&out, s.geomtype);
	for (int c = 0; c < g.n; c++)
	{
		Datum		values[6];
		bool		nulls[6] = {false, false, false, false, false, false};

		values[0] = Int64GetDatum(geo_cell_id(&g, c));
		values[1] = geo_cell_geom(&out, &g, c);
		values[2] = Int64GetDatum(x[c]);
		values[3] = Float8GetDatum(z[c]);
		nulls[3] = isnan(z[c]);
		values[4] = Float8GetDatum(p[c]);
		nulls[4] = isnan(p[c]);
		values[5] = CStringGetTextDatum(geo_class(z[c], level[c]));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		if ((c & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	return (Datum) 0;
}

/* ---------------------------------------------------------------- trends */

/*
 * Mann-Kendall on a series in time order (NaN entries left out):
 * S = sum over i < j of sign(x_j - x_i), Var(S) with the ties correction
 * n(n-1)(2n+5)/18 - sum over tie groups t(t-1)(2t+5)/18, z with continuity
 * correction (S - sign S)/sqrt(Var S), p two-sided; tau is Kendall's tau-b
 * (S over sqrt((n0 - n1) n0), n0 = n(n-1)/2, n1 = sum t(t-1)/2 over ties).
 * Fewer than 3 values, or all tied: tau and p NaN.
 */
static void
geo_mk(const double *series, int len, double *tau, double *p)
{
	double	   *v = palloc(sizeof(double) * Max(len, 1));
	double	   *sorted = palloc(sizeof(double) * Max(len, 1));
	int			n = 0;
	double		S = 0,
				var,
				ties_var = 0,
				ties_pairs = 0,
				n0,
				zz;

	for (int i = 0; i < len; i++)
		if (!isnan(series[i]))
			v[n++] = series[i];
	*tau = NAN;
	*p = NAN;
	if (n < 3)
		return;
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++)
			S += (v[j] > v[i]) - (v[j] < v[i]);
	memcpy(sorted, v, sizeof(double) * n);
	qsort(sorted, n, sizeof(double), geo_cmp_double);
	for (int i = 0; i < n;)
	{
		int			k = i;

		while (k < n && sorted[k] == sorted[i])
			k++;
		if (k - i > 1)
		{
			double		t = k - i;

			ties_var += t * (t - 1) * (2 * t + 5);
			ties_pairs += t * (t - 1) / 2;
		}
		i = k;
	}
	n0 = (double) n * (n - 1) / 2;
	var = ((double) n * (n - 1) * (2.0 * n + 5) - ties_var) / 18.0;
	if (!(var > 0) || !(n0 - ties_pairs > 0))
		return;
	*tau = S / sqrt((n0 - ties_pairs) * n0);
	zz = S > 0 ? (S - 1) / sqrt(var) : S < 0 ? (S + 1) / sqrt(var) : 0;
	*p = erfc(fabs(zz) / M_SQRT2);
	pfree(v);
	pfree(sorted);
}

/*
 * The categories of ArcGIS's Emerging Hot Spot Analysis from the series of
 * each step's significance (+1 hot, -1 cold, 0 neither) and the trend.
 * The rules, in the order they are tried (docs/reference.md):
 *   new:          final step hot; no other step significant (hot or cold)
 *   consecutive:  final step hot; the hot steps are one run of >= 2 ending at
 *                 the final step; no step before the run significant; < 90 % hot
 *   intensifying: >= 90 % of steps hot, final step hot, trend up (tau > 0, p < 0.05)
 *   diminishing:  >= 90 % of steps hot, final step hot, trend down (tau < 0, p < 0.05)
 *   persistent:   >= 90 % of steps hot, final step hot, no significant trend
 *   oscillating:  final step hot, < 90 % hot, some earlier step cold
 *   sporadic:     final step hot, < 90 % hot, no step cold
 *   historical:   final step not hot, >= 90 % of steps hot
 * and the same eight for cold spots (trend down intensifies a cold spot);
 * otherwise 'no pattern'.
 */
static const char *
geo_category(const int *sig, int n, double tau, double p, int *nhot, int *ncold)
{
	int			hot = 0,
				cold = 0;
	bool		trend_up = !isnan(p) && p < GEO_TREND_ALPHA && tau > 0;
	bool		trend_down = !isnan(p) && p < GEO_TREND_ALPHA && tau < 0;

	for (int k = 0; k < n; k++)
	{
		hot += sig[k] > 0;
		cold += sig[k] < 0;
	}
	*nhot = hot;
	*ncold = cold;
	if (n == 0)
		return "no pattern";
	for (int side = 1; side >= -1; side -= 2)
	{
		int			mine = side > 0 ? hot : cold;
		int			other = side > 0 ? cold : hot;
		bool		most = 10 * (int64) mine >= 9 * (int64) n;
		bool		up = side > 0 ? trend_up : trend_down;
		bool		down = side > 0 ? trend_down : trend_up;
		const char *const *names;
		static const char *const hotnames[] = {"new hot spot", "consecutive hot spot",
			"intensifying hot spot", "diminishing hot spot", "persistent hot spot",
		"oscillating hot spot", "sporadic hot spot", "historical hot spot"};
		static const char *const coldnames[] = {"new cold spot", "consecutive cold spot",
			"intensifying cold spot", "diminishing cold spot", "persistent cold spot",
		"oscillating cold spot", "sporadic cold spot", "historical cold spot"};

		names = side > 0 ? hotnames : coldnames;
		if (sig[n - 1] == side)
		{
			int			run = 0;

			while (run < n && sig[n - 1 - run] == side)
				run++;
			if (mine == 1 && other == 0)
				return names[0];
			if (run >= 2 && run == mine && !most)
			{
				bool		clean = true;

				for (int k = 0; k < n - run; k++)
					if (sig[k] != 0)
						clean = false;
				if (clean)
					return names[1];
			}
			if (most && up)
				return names[2];
			if (most && down)
				return names[3];
			if (most)
				return names[4];
			if (other > 0)
				return names[5];
			return names[6];
		}
	}
	if (10 * (int64) hot >= 9 * (int64) n)
		return "historical hot spot";
	if (10 * (int64) cold >= 9 * (int64) n)
		return "historical cold spot";
	return "no pattern";
}

/* step interval of a step name */
static Interval *
geo_step(text *step)
{
	char	   *s = text_to_cstring(step);
	Interval   *iv = palloc0(sizeof(Interval));

	if (strcmp(s, "month") == 0)
		iv->month = 1;
	else if (strcmp(s, "quarter") == 0)
		iv->month = 3;
	else if (strcmp(s, "year") == 0)
		iv->month = 12;
	else if (strcmp(s, "week") == 0)
		iv->day = 7;
	else if (strcmp(s, "day") == 0)
		iv->day = 1;
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("step must be 'day', 'week', 'month', 'quarter' or 'year', not \"%s\"", s)));
	return iv;
}

/* the start of each step: period_start + k * step while before period_end */
static ArrayType *
geo_bounds(DateADT from, DateADT to, Interval *iv, int *nsteps)
{
	int			cap = 64,
				n = 0;
	Datum	   *d = palloc(sizeof(Datum) * cap);

	for (int k = 0;; k++)
	{
		Interval	m;
		Timestamp	t;
		DateADT		b;

		m.month = iv->month * k;
		m.day = iv->day * k;
		m.time = 0;
		t = DatumGetTimestamp(DirectFunctionCall2(timestamp_pl_interval,
												  DirectFunctionCall1(date_timestamp, DateADTGetDatum(from)),
												  IntervalPGetDatum(&m)));
		b = DatumGetDateADT(DirectFunctionCall1(timestamp_date, TimestampGetDatum(t)));
		if (b >= to)
			break;
		if (n == cap)
		{
			cap *= 2;
			d = repalloc(d, sizeof(Datum) * cap);
		}
		d[n++] = DateADTGetDatum(b);
		if (n > 100000)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("the period has more than 100000 steps"),
					 errhint("Use a longer step or a shorter period.")));
		CHECK_FOR_INTERRUPTS();
	}
	*nsteps = n;
	return construct_array(d, n, DATEOID, 4, true, TYPALIGN_INT);
}

/*
 * emerging_hotspots(source, geom_column, time_column, period_start,
 *					 period_end, cell_size, step, area)
 */
Datum
geo_emerging_hotspots(PG_FUNCTION_ARGS)
{
	static const char *const names[] = {"source", "geom_column", "time_column",
	"period_start", "period_end", "cell_size", "step"};
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			source;
	DateADT		from,
				to;
	double		cs;
	Oid			area;
	GeoSource	s;
	GeoGrid		g;
	GeoCount	gc;
	char	   *ps;
	int64	   *x,
			   *px;
	int32	   *nw,
			   *pm;
	double	   *z,
			   *p,
			   *series;
	int		   *level,
			   *w,
			   *sig,
				kmax,
				nsteps;
	Interval   *iv;
	ArrayType  *bounds;
	GeoOut		out;
	MemoryContext oldcxt;

	geo_require(fcinfo, 7, names);
	source = PG_GETARG_OID(0);
	from = PG_GETARG_DATEADT(3);
	to = PG_GETARG_DATEADT(4);
	cs = PG_GETARG_FLOAT8(5);
	iv = geo_step(PG_GETARG_TEXT_PP(6));
	area = PG_ARGISNULL(7) ? InvalidOid : PG_GETARG_OID(7);
	geo_period(from, to);

	InitMaterializedSRF(fcinfo, 0);
	geo_cxt = rsinfo->econtext->ecxt_per_query_memory;
	oldcxt = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	bounds = geo_bounds(from, to, iv, &nsteps);
	MemoryContextSwitchTo(oldcxt);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "brent_mdm geo: SPI_connect failed");
	ps = geo_postgis_schema();
	geo_source(&s, source, PG_GETARG_NAME(1), PG_GETARG_NAME(2), ps, from, to);
	geo_grid(&g, area, source, cs, ps);
	if ((double) g.n * nsteps > 4 * GEO_MAX_CELLS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a cube of %d cells by %d steps has more than %.0f bins", g.n, nsteps, 4 * GEO_MAX_CELLS),
				 errhint("Use a larger cell_size or a longer step.")));

	x = geo_alloc(sizeof(int64) * Max((Size) g.n * nsteps, 1));
	geo_count(&g, &s, ps, from, to, bounds, nsteps, x, &gc);
	SPI_finish();
	geo_count_notices(&gc, &s);
	if (g.n == 0)
	{
		ereport(NOTICE,
				(errmsg("no cell of %g m has its centre inside the area", cs),
				 errhint("Use a smaller cell_size.")));
		return (Datum) 0;
	}
	if (gc.total == 0)
		ereport(NOTICE,
				(errmsg("%s has no events in the period; every cell has no pattern", s.relname)));

	kmax = geo_band(&g, cs * M_SQRT2, &w);
	px = geo_alloc(sizeof(int64) * (Size) (g.nx + 1) * g.ny);
	pm = geo_alloc(sizeof(int32) * (Size) (g.nx + 1) * g.ny);
	nw = geo_alloc(sizeof(int32) * g.n);
	z = geo_alloc(sizeof(double) * (Size) g.n * nsteps);
	p = geo_alloc(sizeof(double) * g.n);
	level = geo_alloc(sizeof(int) * g.n);
	sig = geo_alloc(sizeof(int) * (Size) g.n * nsteps);
	series = palloc(sizeof(double) * nsteps);
	for (int k = 0; k < nsteps; k++)
	{
		double	   *zk = z + (Size) k * g.n;

		geo_gistar(&g, x + (Size) k * g.n, kmax, w, nw, k > 0, px, pm, zk);
		for (int c = 0; c < g.n; c++)
			p[c] = geo_p_two_sided(zk[c]);
		geo_fdr(g.n, p, level);
		for (int c = 0; c < g.n; c++)
			sig[(Size) c * nsteps + k] = level[c] == 0 ? 0 : zk[c] > 0 ? 1 : -1;
	}

	geo_out_init(&out, s.geomtype);
	for (int c = 0; c < g.n; c++)
	{
		Datum		values[7];
		bool		nulls[7] = {false, false, false, false, false, false, false};
		double		tau,
					tp;
		int			nhot,
					ncold;
		const char *cat;

		for (int k = 0; k < nsteps; k++)
			series[k] = z[(Size) k * g.n + c];
		geo_mk(series, nsteps, &tau, &tp);
		cat = geo_category(sig + (Size) c * nsteps, nsteps, tau, tp, &nhot, &ncold);
		values[0] = Int64GetDatum(geo_cell_id(&g, c));
		values[1] = geo_cell_geom(&out, &g, c);
		values[2] = CStringGetTextDatum(cat);
		values[3] = Int32GetDatum(nhot);
		values[4] = Int32GetDatum(ncold);
		values[5] = Float8GetDatum(tau);
		nulls[5] = isnan(tau);
		values[6] = Float8GetDatum(tp);
		nulls[6] = isnan(tp);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		if ((c & 255) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	return (Datum) 0;
}

/*
 * mann_kendall(series float8[]) -> (tau, p, s): the trend test of
 * emerging_hotspots, exposed for checking and for other series.
 */
Datum
geo_mann_kendall(PG_FUNCTION_ARGS)
{
	ArrayType  *a = PG_GETARG_ARRAYTYPE_P(0);
	Datum	   *elems;
	bool	   *enulls;
	int			n;
	double	   *v,
				tau,
				p;
	TupleDesc	td;
	Datum		values[2];
	bool		nulls[2] = {false, false};

	if (ARR_NDIM(a) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("mann_kendall takes a one-dimensional array")));
	deconstruct_array(a, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &elems, &enulls, &n);
	if (n > 100000)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("mann_kendall takes at most 100000 values, not %d", n)));
	v = palloc(sizeof(double) * Max(n, 1));
	for (int i = 0; i < n; i++)
		v[i] = enulls[i] ? NAN : DatumGetFloat8(elems[i]);
	geo_mk(v, n, &tau, &p);
	if (get_call_result_type(fcinfo, NULL, &td) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "brent_mdm geo: mann_kendall must return a record");
	values[0] = Float8GetDatum(tau);
	nulls[0] = isnan(tau);
	values[1] = Float8GetDatum(p);
	nulls[1] = isnan(p);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(td), values, nulls)));
}

/*
 * emerging_category(significance integer[], trend_tau, trend_p): the rule of
 * emerging_hotspots on a given series of +1 (hot), -1 (cold), 0.
 */
Datum
geo_emerging_category(PG_FUNCTION_ARGS)
{
	ArrayType  *a;
	double		tau = PG_ARGISNULL(1) ? NAN : PG_GETARG_FLOAT8(1);
	double		p = PG_ARGISNULL(2) ? NAN : PG_GETARG_FLOAT8(2);
	Datum	   *elems;
	bool	   *enulls;
	int			n,
				nhot,
				ncold;
	int		   *sig;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	a = PG_GETARG_ARRAYTYPE_P(0);
	if (ARR_NDIM(a) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("emerging_category takes a one-dimensional array")));
	deconstruct_array(a, INT4OID, 4, true, TYPALIGN_INT, &elems, &enulls, &n);
	sig = palloc(sizeof(int) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		int			v = enulls[i] ? 0 : DatumGetInt32(elems[i]);

		if (v < -1 || v > 1)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("significance must be 1 (hot), -1 (cold) or 0, not %d", v)));
		sig[i] = v;
	}
	PG_RETURN_TEXT_P(cstring_to_text(geo_category(sig, n, tau, p, &nhot, &ncold)));
}

/* ---------------------------------------------------------------- density */

/*
 * kernel_density(source, geom_column, time_column, period_start, period_end,
 *				  bandwidth, cell_size, area): quartic (biweight) kernel at each
 * cell's centre, events per square kilometre:
 *   density = sum over points within h of 3/(pi h^2) (1 - d^2/h^2)^2 * 10^6
 */
Datum
geo_kernel_density(PG_FUNCTION_ARGS)
{
	static const char *const names[] = {"source", "geom_column", "time_column",
	"period_start", "period_end", "bandwidth", "cell_size"};
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			source;
	DateADT		from,
				to;
	double		cs,
				h;
	Oid			area;
	GeoSource	s;
	GeoGrid		g;
	char	   *ps;
	int64		total = 0,
				nulls = 0;
	int64	   *counts;
	double	   *dens;
	GeoOut		out;
	StringInfoData q;
	Portal		portal;
	Oid			types[2] = {DATEOID, DATEOID};
	Datum		vals[2];
	int			k;

	geo_require(fcinfo, 7, names);
	source = PG_GETARG_OID(0);
	from = PG_GETARG_DATEADT(3);
	to = PG_GETARG_DATEADT(4);
	h = PG_GETARG_FLOAT8(5);
	cs = PG_GETARG_FLOAT8(6);
	area = PG_ARGISNULL(7) ? InvalidOid : PG_GETARG_OID(7);
	geo_period(from, to);
	if (isnan(h) || isinf(h) || h <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("bandwidth must be a positive number of metres, not %g", h)));

	InitMaterializedSRF(fcinfo, 0);
	geo_cxt = rsinfo->econtext->ecxt_per_query_memory;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "brent_mdm geo: SPI_connect failed");
	ps = geo_postgis_schema();
	geo_source(&s, source, PG_GETARG_NAME(1), PG_GETARG_NAME(2), ps, from, to);
	geo_grid(&g, area, source, cs, ps);
	if (h / cs > 2000)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a bandwidth of %g m spans more than 2000 cells of %g m", h, cs),
				 errhint("Use a larger cell_size or a smaller bandwidth.")));
	k = (int) ceil(h / cs);
	counts = geo_alloc0(sizeof(int64) * Max(g.n, 1));
	dens = geo_alloc0(sizeof(double) * Max(g.n, 1));

	initStringInfo(&q);
	appendStringInfo(&q, "SELECT %s.ST_X(g), %s.ST_Y(g) FROM (SELECT %s AS g FROM %s WHERE %s >= $1 AND %s < $2) s",
					 ps, ps,
					 s.srid == GEO_SRID ? s.geomcol : psprintf("%s.ST_Transform(%s, %d)", ps, s.geomcol, GEO_SRID),
					 s.relname, s.timecol, s.timecol);
	vals[0] = DateADTGetDatum(from);
	vals[1] = DateADTGetDatum(to);
	portal = SPI_cursor_open_with_args(NULL, q.data, 2, types, vals, NULL, true, 0);
	for (;;)
	{
		bool		isnull;

		SPI_cursor_fetch(portal, true, GEO_FETCH);
		if (SPI_processed == 0)
			break;
		for (uint64 r = 0; r < SPI_processed; r++)
		{
			HeapTuple	tup = SPI_tuptable->vals[r];
			Datum		dx = SPI_getbinval(tup, SPI_tuptable->tupdesc, 1, &isnull);
			double		x,
						y,
						fi,
						fj;
			int			c;

			total++;
			if (isnull)
			{
				nulls++;
				continue;
			}
			x = DatumGetFloat8(dx);
			y = DatumGetFloat8(SPI_getbinval(tup, SPI_tuptable->tupdesc, 2, &isnull));
			c = geo_cell_of(&g, x, y);
			if (c >= 0)
				counts[c]++;
			fi = floor(x / cs) - (double) g.i0;
			fj = floor(y / cs) - (double) g.j0;
			if (!(fi >= -k && fi < g.nx + k && fj >= -k && fj < g.ny + k))
				continue;
			for (int jj = Max(0, (int) fj - k); jj <= Min(g.ny - 1, (int) fj + k); jj++)
			{
				double		cy = ((double) (g.j0 + jj) + 0.5) * cs - y;

				for (int ii = Max(0, (int) fi - k); ii <= Min(g.nx - 1, (int) fi + k); ii++)
				{
					int			cc = g.index[(Size) jj * g.nx + ii];
					double		cx,
								u;

					if (cc < 0)
						continue;
					cx = ((double) (g.i0 + ii) + 0.5) * cs - x;
					u = (cx * cx + cy * cy) / (h * h);
					if (u < 1)
						dens[cc] += (1 - u) * (1 - u);
				}
			}
		}
		SPI_freetuptable(SPI_tuptable);
		CHECK_FOR_INTERRUPTS();
	}
	SPI_cursor_close(portal);
	SPI_finish();
	if (nulls > 0)
		ereport(NOTICE,
				(errmsg("%lld of %lld events of %s in the period have no location; they add no density",
						(long long) nulls, (long long) total, s.relname)));

	geo_out_init(&out, s.geomtype);
	for (int c = 0; c < g.n; c++)
	{
		Datum		values[4];
		bool		vnulls[4] = {false, false, false, false};

		values[0] = Int64GetDatum(geo_cell_id(&g, c));
		values[1] = geo_cell_geom(&out, &g, c);
		values[2] = Int64GetDatum(counts[c]);
		values[3] = Float8GetDatum(dens[c] * 3.0 / (M_PI * h * h) * 1e6);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, vnulls);
		if ((c & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	return (Datum) 0;
}
