/*
 * borough.c
 *		generate_borough(): the SQL entry point of the synthetic borough.
 *
 * The work happens in one transaction, in stages:
 *   1. check the arguments and the target schema;
 *   2. create the schemas and tables (SPI), the ward polygons (PostGIS);
 *   3. simulate households one at a time, each from its own random stream,
 *      writing rows straight into the new tables (writer.c), with the
 *      memory of each household released before the next;
 *   4. add keys, indexes and comments (SPI).
 * An error or a cancel anywhere aborts the transaction, so nothing is left
 * behind; memory stays flat whatever the size, as no household outlives
 * its own iteration.
 */
#include "postgres.h"

#include <math.h>

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "brent_mdm.h"
#include "synth/household.h"
#include "synth/systems.h"

PG_FUNCTION_INFO_V1(generate_borough);

#define GENERATOR_TAG "brent_mdm synthetic borough"
#define N_AIR_SITES 30

/* Random streams: one per purpose, so that adding one never shifts another. */
enum
{
	STREAM_HOUSEHOLD = 1,
	STREAM_AIR = 2,
	STREAM_EMERGING_ASB = 3,
	STREAM_CHILDREN = 4,		/* CME, CSE, EHCP: after the household's other rows */
	STREAM_HEALTH = 5			/* the demographics of the health flags */
};

/* ---- SPI helpers ---- */

static void
spi_exec(const char *sql, int expected)
{
	int			rc = SPI_execute(sql, false, 0);

	if (rc != expected)
		elog(ERROR, "generate_borough: SPI_execute failed (%d): %s", rc, sql);
}

/* Schema of the installed PostGIS, quoted, for qualifying its names. */
static char *
postgis_schema(void)
{
	bool		isnull;

	spi_exec("SELECT pg_catalog.quote_ident(n.nspname) FROM pg_catalog.pg_extension e"
			 " JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace"
			 " WHERE e.extname = 'postgis'", SPI_OK_SELECT);
	if (SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("PostGIS is not installed in this database"),
				 errhint("Run CREATE EXTENSION postgis, or install brent_mdm with CASCADE.")));
	return TextDatumGetCString(SPI_getbinval(SPI_tuptable->vals[0],
											 SPI_tuptable->tupdesc, 1, &isnull));
}

/* Number of objects (relations, functions, types) in a schema. */
static int64
schema_object_count(Oid nsp)
{
	char		sql[512];
	bool		isnull;
	int64		n;

	snprintf(sql, sizeof(sql),
			 "SELECT (SELECT count(*) FROM pg_catalog.pg_class WHERE relnamespace = %u)"
			 " + (SELECT count(*) FROM pg_catalog.pg_proc WHERE pronamespace = %u)"
			 " + (SELECT count(*) FROM pg_catalog.pg_type t WHERE typnamespace = %u"
			 "    AND typrelid = 0 AND typelem = 0)", nsp, nsp, nsp);
	spi_exec(sql, SPI_OK_SELECT);
	n = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
									1, &isnull));
	return n;
}

/* Was this schema made by generate_borough, with this truth schema? */
static bool
schema_is_generated(const char *nspname, const char *truth)
{
	StringInfoData sql;
	bool		result;

	if (!OidIsValid(get_relname_relid("about", get_namespace_oid(nspname, false))))
		return false;
	initStringInfo(&sql);
	appendStringInfo(&sql,
					 "SELECT 1 FROM %s.about g JOIN %s.about t ON t.key = 'truth_schema'"
					 " WHERE g.key = 'generator' AND g.value LIKE %s AND t.value = %s",
					 quote_identifier(nspname), quote_identifier(nspname),
					 quote_literal_cstr(GENERATOR_TAG "%"), quote_literal_cstr(truth));
	spi_exec(sql.data, SPI_OK_SELECT);
	result = SPI_processed > 0;
	pfree(sql.data);
	return result;
}

static void
check_schema_name(const char *nspname)
{
	if (strcmp(nspname, "brent_mdm") == 0 || strcmp(nspname, "public") == 0 ||
		strcmp(nspname, "information_schema") == 0 ||
		strncmp(nspname, "pg_", 3) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_RESERVED_NAME),
				 errmsg("schema \"%s\" cannot hold a synthetic borough", nspname),
				 errdetail("It is a system or shared schema."),
				 errhint("Choose another target_schema, such as 'borough'.")));
}

/*
 * Makes sure the two schemas can take the borough: each absent (created) or
 * empty (used); if either holds objects, replace must be asked for and the
 * pair must be one generate_borough made (both are then dropped and made
 * again).  Everything is checked before anything is dropped.
 */
static void
prepare_schemas(const char *main, const char *truth, bool replace)
{
	const char *names[2] = {main, truth};
	Oid			nsp[2];
	int64		objects[2];
	StringInfoData sql;

	for (int i = 0; i < 2; i++)
	{
		check_schema_name(names[i]);
		nsp[i] = get_namespace_oid(names[i], true);
		objects[i] = OidIsValid(nsp[i]) ? schema_object_count(nsp[i]) : 0;
		if (objects[i] > 0 && !replace)
			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_SCHEMA),
					 errmsg("schema \"%s\" already exists and is not empty", names[i]),
					 errdetail("It holds " INT64_FORMAT " objects.", objects[i]),
					 errhint("Pass replace => true to regenerate a borough made by generate_borough, or choose another target_schema.")));
	}
	if ((objects[0] > 0 || objects[1] > 0) &&
		(!OidIsValid(nsp[0]) || !schema_is_generated(main, truth)))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("schemas \"%s\" and \"%s\" were not made by generate_borough",
						main, truth),
				 errdetail("replace => true only drops a borough whose \"about\" table names the generator and its ground truth schema."),
				 errhint("Drop the schemas yourself if you mean to, or choose another target_schema.")));

	initStringInfo(&sql);
	for (int i = 0; i < 2; i++)
	{
		resetStringInfo(&sql);
		if (objects[i] > 0)
		{
			appendStringInfo(&sql, "DROP SCHEMA %s CASCADE", quote_identifier(names[i]));
			spi_exec(sql.data, SPI_OK_UTILITY);
			resetStringInfo(&sql);
			nsp[i] = InvalidOid;
		}
		if (!OidIsValid(nsp[i]))
		{
			appendStringInfo(&sql, "CREATE SCHEMA %s", quote_identifier(names[i]));
			spi_exec(sql.data, SPI_OK_UTILITY);
		}
	}
	pfree(sql.data);
}

/* Column list with PostGIS's geometry type qualified by its schema. */
static char *
qualify_columns(const char *columns, const char *gis)
{
	StringInfoData buf;
	const char *p = columns;
	const char *hit;

	initStringInfo(&buf);
	while ((hit = strstr(p, " geometry(")) != NULL)
	{
		appendBinaryStringInfo(&buf, p, hit - p + 1);
		appendStringInfo(&buf, "%s.", gis);
		p = hit + 1;
	}
	appendStringInfoString(&buf, p);
	return buf.data;
}

static const char *
table_schema(const BoroughTable *t, const char *main, const char *truth)
{
	return t->truth ? truth : main;
}

static void
create_tables(GenContext *g, const char *main, const char *truth, const char *gis)
{
	StringInfoData sql;

	initStringInfo(&sql);
	for (int t = 0; t < T_COUNT; t++)
	{
		const BoroughTable *bt = &borough_tables[t];
		const char *nsp = table_schema(bt, main, truth);
		Oid			relid;

		resetStringInfo(&sql);
		appendStringInfo(&sql, "CREATE TABLE %s.%s (%s)", quote_identifier(nsp),
						 quote_identifier(bt->name), qualify_columns(bt->columns, gis));
		spi_exec(sql.data, SPI_OK_UTILITY);
		resetStringInfo(&sql);
		appendStringInfo(&sql, "COMMENT ON TABLE %s.%s IS %s", quote_identifier(nsp),
						 quote_identifier(bt->name), quote_literal_cstr(bt->comment));
		spi_exec(sql.data, SPI_OK_UTILITY);
		relid = get_relname_relid(bt->name, get_namespace_oid(nsp, false));
		if (t != T_WARD)
			tw_open(&g->tw[t], relid);
	}
	pfree(sql.data);
}

/* Keys, indexes (GiST on geometry) after loading, as a bulk load should. */
static void
index_tables(const char *main, const char *truth)
{
	StringInfoData sql;

	initStringInfo(&sql);
	for (int t = 0; t < T_COUNT; t++)
	{
		const BoroughTable *bt = &borough_tables[t];
		char	   *qname = psprintf("%s.%s",
									 quote_identifier(table_schema(bt, main, truth)),
									 quote_identifier(bt->name));

		CHECK_FOR_INTERRUPTS();
		if (bt->primary_key != NULL)
		{
			resetStringInfo(&sql);
			appendStringInfo(&sql, "ALTER TABLE %s ADD PRIMARY KEY (%s)",
							 qname, bt->primary_key);
			spi_exec(sql.data, SPI_OK_UTILITY);
		}
		if (bt->indexes != NULL)
		{
			char	   *list = pstrdup(bt->indexes);
			char	   *save = NULL;

			for (char *cols = strtok_r(list, ";", &save); cols != NULL;
				 cols = strtok_r(NULL, ";", &save))
			{
				resetStringInfo(&sql);
				appendStringInfo(&sql, "CREATE INDEX ON %s (%s)", qname, cols);
				spi_exec(sql.data, SPI_OK_UTILITY);
			}
			pfree(list);
		}
		if (strstr(bt->columns, "geom geometry(") != NULL)
		{
			resetStringInfo(&sql);
			appendStringInfo(&sql, "CREATE INDEX ON %s USING gist (geom)", qname);
			spi_exec(sql.data, SPI_OK_UTILITY);
		}
		pfree(qname);
	}
	pfree(sql.data);
}

/*
 * One view over the people in the 11 systems, in common columns, as linkage
 * and the Client Index read them.  %1$s is the schema.
 */
static const char person_record_view[] =
"CREATE VIEW %1$s.person_record AS "
"SELECT 'council_tax'::text AS system, account_ref AS record_key, NULL::text AS given_name, NULL::text AS family_name, "
"       lead_liable_name AS full_name, NULL::date AS date_of_birth, NULL::text AS sex, postcode, address_line, "
"       NULL::text AS nhs_number, NULL::text AS ni_number, NULL::text AS upn, liability_start AS address_from, liability_end AS address_to FROM %1$s.council_tax "
"UNION ALL SELECT 'housing', tenancy_person_ref, forename, surname, concat_ws(' ', forename, surname), date_of_birth, NULL, "
"       postcode, address_line, NULL, ni_number, NULL, tenancy_start, tenancy_end FROM %1$s.housing "
"UNION ALL SELECT 'revenues_benefits', claim_ref, claimant_forename, claimant_surname, "
"       concat_ws(' ', claimant_forename, claimant_surname), claimant_dob, NULL, postcode, NULL, NULL, ni_number, NULL "
"      , NULL, NULL FROM %1$s.revenues_benefits "
"UNION ALL SELECT 'school_census', pupil_record_id, legal_forename, legal_surname, concat_ws(' ', legal_forename, legal_surname), "
"       date_of_birth, sex, postcode, NULL, NULL, NULL, upn, NULL, NULL FROM %1$s.school_census "
"UNION ALL SELECT 'early_years', child_ref, child_first_name, child_last_name, concat_ws(' ', child_first_name, child_last_name), "
"       child_dob, NULL, postcode, NULL, NULL, NULL, NULL, NULL, NULL FROM %1$s.early_years "
"UNION ALL SELECT 'childrens_social_care', lcs_person_id, first_name, last_name, concat_ws(' ', first_name, last_name), dob, "
"       CASE gender WHEN 'Male' THEN 'M' WHEN 'Female' THEN 'F' END, postcode, NULL, nhs_number, NULL, upn "
"      , NULL, NULL FROM %1$s.childrens_social_care "
"UNION ALL SELECT 'youth_offending', yot_case_id, forename, surname, concat_ws(' ', forename, surname), date_of_birth, gender, "
"       postcode, address_line, NULL, NULL, NULL, NULL, NULL FROM %1$s.youth_offending "
"UNION ALL SELECT 'asb_case', asb_case_ref, NULL, NULL, party_name, "
"       CASE WHEN date_of_birth ~ '^[0-9]{2}/[0-9]{2}/[0-9]{4}$' THEN to_date(date_of_birth, 'DD/MM/YYYY') END, "
"       NULL, postcode, address_line, NULL, NULL, NULL, NULL, NULL FROM %1$s.asb_case "
"UNION ALL SELECT 'adult_social_care', mosaic_id, forename, surname, concat_ws(' ', forename, surname), date_of_birth, NULL, "
"       postcode, NULL, nhs_number, NULL, NULL, NULL, NULL FROM %1$s.adult_social_care "
"UNION ALL SELECT 'electoral_register', elector_number, first_names, surname, concat_ws(' ', first_names, surname), NULL, NULL, "
"       postcode, address_line, NULL, NULL, NULL, registered_on, NULL FROM %1$s.electoral_register "
"UNION ALL SELECT 'health_visiting', hv_client_id, child_forename, child_surname, concat_ws(' ', child_forename, child_surname), "
"       child_dob, CASE sex WHEN '1' THEN 'M' WHEN '2' THEN 'F' END, postcode, NULL, nhs_number, NULL, NULL "
"      , NULL, NULL FROM %1$s.health_visiting";

/* Ward polygons: the union of each ward's 100 m cells (exact, no slivers). */
static void
write_wards(GenContext *g, const char *main, const char *gis)
{
	Datum		args[5];
	Oid			types[5] = {INT4ARRAYOID, INT4ARRAYOID, INT4ARRAYOID,
	TEXTARRAYOID, TEXTARRAYOID};
	Datum		codes[BOROUGH_NWARDS],
				names[BOROUGH_NWARDS];
	char	   *sql;
	int			rc;

	geo_cells_sql_arrays(&g->geo, &args[0], &args[1], &args[2]);
	for (int w = 0; w < BOROUGH_NWARDS; w++)
	{
		codes[w] = CStringGetTextDatum(g->geo.wards[w].code);
		names[w] = CStringGetTextDatum(g->geo.wards[w].name);
	}
	args[3] = PointerGetDatum(construct_array(codes, BOROUGH_NWARDS, TEXTOID, -1,
											  false, TYPALIGN_INT));
	args[4] = PointerGetDatum(construct_array(names, BOROUGH_NWARDS, TEXTOID, -1,
											  false, TYPALIGN_INT));
	sql = psprintf("INSERT INTO %s.ward (ward_code, ward_name, geom)"
				   " SELECT $4[c.w + 1], $5[c.w + 1],"
				   "   %s.ST_Multi(%s.ST_Union(%s.ST_MakeEnvelope(c.x, c.y, c.x + %d, c.y + %d, %d)))"
				   " FROM unnest($1, $2, $3) AS c(w, x, y)"
				   " GROUP BY c.w ORDER BY c.w",
				   quote_identifier(main), gis, gis, gis,
				   BOROUGH_CELL, BOROUGH_CELL, BOROUGH_SRID);
	rc = SPI_execute_with_args(sql, 5, types, args, NULL, false, 0);
	if (rc != SPI_OK_INSERT || SPI_processed != BOROUGH_NWARDS)
		elog(ERROR, "generate_borough: could not write the wards (%d)", rc);
	pfree(sql);
}

static void
write_schools(GenContext *g)
{
	TableWriter *w = &g->tw[T_SCHOOL];

	for (int i = 0; i < N_SCHOOLS; i++)
	{
		bool		primary = i < N_PRIMARY;
		/* primary i serves ward i / 3 (household.c); secondaries spread */
		int			ward = primary ? i / 3 : (i * 5) % BOROUGH_NWARDS;
		const char *street = synth_street_names[(i * 7 + 3) % synth_nstreet_names];
		char		name[96];

		snprintf(name, sizeof(name), "%s %s", street,
				 primary ? (i % 4 == 0 ? "Primary School" : i % 4 == 1 ?
							"Infant and Junior School" : i % 4 == 2 ?
							"Primary Academy" : "Church of England Primary School") :
				 (i % 2 == 0 ? "High School" : "Academy"));
		tw_int4(w, 101000 + i);
		tw_int4(w, 2000 + i);
		tw_text(w, name);
		tw_text(w, primary ? "primary" : "secondary");
		tw_text(w, g->geo.wards[ward].code);
		tw_row(w);
	}
}

/*
 * Air quality: 30 sites, monthly means.  Roadside sites read higher; NO2
 * peaks in winter and falls a few per cent a year (ULEZ); sensors fail.
 */
static void
write_air_quality(GenContext *g)
{
	SynthRng	r;
	int			y0,
				m0,
				d0,
				y1,
				m1,
				d1;

	rng_init(&r, g->seed, STREAM_AIR, 0);
	date_parts(g->window_start, &y0, &m0, &d0);
	date_parts(g->as_of, &y1, &m1, &d1);
	for (int s = 0; s < N_AIR_SITES; s++)
	{
		TableWriter *w = &g->tw[T_AIR_SITE];
		int			ward = (s * BOROUGH_NWARDS) / N_AIR_SITES;
		bool		roadside = s % 3 != 2;
		double		x,
					y,
					level = roadside ? 38 + 10 * rng_double(&r) : 22 + 6 * rng_double(&r);
		char		name[96];

		geo_random_point(&g->geo, &r, ward, &x, &y);
		snprintf(name, sizeof(name), "%s %s %d", g->geo.wards[ward].name,
				 roadside ? "roadside" : "urban background", s + 1);
		tw_int4(w, s + 1);
		tw_text(w, name);
		tw_text(w, g->geo.wards[ward].code);
		tw_point(w, x, y, BOROUGH_SRID);
		tw_row(w);

		w = &g->tw[T_AIR_READING];
		for (int ym = y0 * 12 + m0 - 1; ym <= y1 * 12 + m1 - 1; ym++)
		{
			int			month = ym % 12 + 1;
			double		years = (ym - (y0 * 12 + m0 - 1)) / 12.0;
			double		season = 1 + 0.18 * cos(2 * M_PI * (month - 1) / 12.0);
			double		trend = pow(0.96, years);
			double		no2 = level * season * trend * (0.85 + 0.3 * rng_double(&r));

			tw_int4(w, s + 1);
			tw_date(w, synth_date(ym / 12, month, 1));
			if (rng_chance(&r, 0.04))
			{
				tw_null(w);		/* the sensor was down that month */
				tw_null(w);
				tw_null(w);
			}
			else
			{
				tw_float8(w, round(no2 * 10) / 10);
				tw_float8(w, round(no2 * 0.27 * (0.8 + 0.4 * rng_double(&r)) * 10) / 10);
				tw_float8(w, round(no2 * 0.48 * (0.8 + 0.4 * rng_double(&r)) * 10) / 10);
			}
			tw_row(w);
		}
	}
}

/*
 * Mid-year population estimates (ONS style): every resident present on 30
 * June of each year in the window, at the ward of the address their household
 * held that day, by sex and single year of age (90: 90 and over).  Intervals are half-open: a person counts from the day they
 * arrive (or are born) and not on the day they leave or die; a household is
 * at an address from the day it moves in and no longer on the day it moves
 * out (on a move day, at the new address).  Reads the simulated household
 * only: no random draws, so no other table changes.
 */
static void
population_setup(GenContext *g)
{
	int			y0,
				m0,
				d0,
				y1,
				m1,
				d1;

	date_parts(g->window_start, &y0, &m0, &d0);
	date_parts(g->as_of, &y1, &m1, &d1);
	if (synth_date(y0, 6, 30) < g->window_start)
		y0++;
	if (synth_date(y1, 6, 30) > g->as_of)
		y1--;
	g->pop_year0 = y0;
	g->pop_nyears = Max(0, y1 - y0 + 1);
	g->pop = palloc0(sizeof(int64) * Max(1, g->pop_nyears) * BOROUGH_NWARDS * 2 * POP_NBANDS);
}

static void
population_count(GenContext *g, const Household *hh)
{
	for (int y = 0; y < g->pop_nyears; y++)
	{
		DateADT		t = synth_date(g->pop_year0 + y, 6, 30);
		int			ward = -1;

		for (int s = 0; s < hh->nspells; s++)
		{
			const Spell *sp = &hh->spells[s];

			if (sp->from <= t && (DATE_NOT_FINITE(sp->to) || t < sp->to))
				ward = sp->address.ward;
		}
		if (ward < 0)
			continue;
		for (int i = 0; i < hh->npeople; i++)
		{
			const Person *p = &hh->people[i];
			int			age;

			if (!(p->from <= t && (DATE_NOT_FINITE(p->to) || t < p->to) &&
				  (DATE_NOT_FINITE(p->dod) || t < p->dod)))
				continue;
			age = age_at(p->dob, t);
			POP_CELL(g, y, ward, p->sex == 'M' ? 1 : 0, Min(Max(age, 0), POP_NBANDS - 1))++;
		}
	}
}

/* Every cell, zeros included, in ward, year, sex, age order. */
static void
write_population(GenContext *g)
{
	TableWriter *w = &g->tw[T_POPULATION];
	static const char *const sexes[2] = {"F", "M"};
	int			order[BOROUGH_NWARDS];

	/* ward codes in text order, as the key sorts them */
	for (int i = 0; i < BOROUGH_NWARDS; i++)
		order[i] = i;
	for (int i = 1; i < BOROUGH_NWARDS; i++)
		for (int j = i; j > 0 && strcmp(g->geo.wards[order[j - 1]].code,
										g->geo.wards[order[j]].code) > 0; j--)
		{
			int			tmp = order[j];

			order[j] = order[j - 1];
			order[j - 1] = tmp;
		}
	for (int wi = 0; wi < BOROUGH_NWARDS; wi++)
		for (int y = 0; y < g->pop_nyears; y++)
			for (int s = 0; s < 2; s++)
				for (int a = 0; a < POP_NBANDS; a++)
				{
					int64		n = POP_CELL(g, y, order[wi], s, a);
					char		band[8];

					if (n > PG_INT32_MAX)
						ereport(ERROR,
								(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
								 errmsg("generate_borough: population cell out of range")));
					if (a >= 85)
						snprintf(band, sizeof(band), "85+");
					else
						snprintf(band, sizeof(band), "%d-%d", a / 5 * 5, a / 5 * 5 + 4);
					tw_text(w, g->geo.wards[order[wi]].code);
					tw_int4(w, g->pop_year0 + y);
					tw_text(w, sexes[s]);
					tw_int4(w, a);
					tw_text(w, band);
					tw_int4(w, (int32) n);
					tw_row(w);
				}
}

static void
about(GenContext *g, const char *key, const char *value)
{
	TableWriter *w = &g->tw[T_ABOUT];

	tw_text(w, key);
	tw_text(w, value);
	tw_row(w);
}

static char *
date_text(DateADT d)
{
	return DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(d)));
}

Datum
generate_borough(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	GenContext *g;
	int64		people;
	int32		seed;
	char	   *main;
	char	   *truth;
	char	   *gis;
	bool		replace;
	MemoryContext hhcxt,
				oldcxt;
	instr_time	start;
	int64		next_report;
	int64		households = 0;

	for (int i = 0; i < 4; i++)
		if (PG_ARGISNULL(i))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("argument %d of generate_borough must not be NULL", i + 1)));
	people = PG_GETARG_INT32(0);
	seed = PG_GETARG_INT32(1);
	main = pstrdup(NameStr(*PG_GETARG_NAME(2)));
	replace = PG_GETARG_BOOL(3);

	if (people < 1 || people > BOROUGH_MAX_PEOPLE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("people must be between 1 and %d, not " INT64_FORMAT,
						BOROUGH_MAX_PEOPLE, people),
				 errhint("Brent has about 340,000 residents; 100,000 is a good size to develop on.")));
	if (strlen(main) + strlen("_truth") >= NAMEDATALEN)
		ereport(ERROR,
				(errcode(ERRCODE_NAME_TOO_LONG),
				 errmsg("target_schema \"%s\" is too long", main),
				 errdetail("The ground truth goes in \"<target_schema>_truth\", which must fit in %d bytes.",
						   NAMEDATALEN - 1)));
	if (main[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_SCHEMA_NAME),
				 errmsg("target_schema must not be empty")));
	truth = psprintf("%s_truth", main);

	InitMaterializedSRF(fcinfo, 0);
	INSTR_TIME_SET_CURRENT(start);

	g = palloc0(sizeof(GenContext));
	g->seed = seed;
	g->people = people;
	g->as_of = synth_date(2026, 3, 31);
	g->window_start = synth_date(2021, 4, 1);

	/* 1 and 2: schemas, tables, wards */
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "generate_borough: SPI_connect failed");
	gis = postgis_schema();

	/*
	 * Two boroughs generated into one schema at once would both create it
	 * and the second would fail on a duplicate key: the second waits for the
	 * first to commit (a lock on the schema's name until the end of the
	 * transaction), then finds the schema made (an error, or replaced).
	 */
	{
		Oid			types[1] = {TEXTOID};
		Datum		args[1] = {CStringGetTextDatum(main)};

		if (SPI_execute_with_args("SELECT pg_catalog.pg_advisory_xact_lock("
								  "pg_catalog.hashtext('brent_mdm.generate_borough'), pg_catalog.hashtext($1))",
								  1, types, args, NULL, false, 0) != SPI_OK_SELECT)
			elog(ERROR, "generate_borough: could not lock the schema's name");
	}
	prepare_schemas(main, truth, replace);
	ereport(NOTICE,
			(errmsg("generate_borough: creating %s and %s for " INT64_FORMAT " people (seed %d)",
					main, truth, people, seed)));
	/* about 2.6 addresses for every 7 people (households and moves) */
	geo_build(&g->geo, people * 2 / 5 + 10);
	create_tables(g, main, truth, gis);
	write_wards(g, main, gis);

	about(g, "generator", GENERATOR_TAG " (brent_mdm " EXTVERSION ")");
	about(g, "people", psprintf(INT64_FORMAT, people));
	about(g, "seed", psprintf("%d", seed));
	about(g, "as_of", date_text(g->as_of));
	about(g, "window_start", date_text(g->window_start));
	about(g, "truth_schema", truth);
	write_schools(g);
	write_air_quality(g);
	population_setup(g);

	/* 3: households, each in its own memory, reported every tenth */
	ereport(NOTICE, (errmsg("generate_borough: simulating households")));
	hhcxt = AllocSetContextCreate(CurrentMemoryContext, "generate_borough household",
								  ALLOCSET_DEFAULT_SIZES);
	next_report = people / 10;
	while (g->next_person < people)
	{
		SynthRng	r;
		Household	hh;

		CHECK_FOR_INTERRUPTS();
		oldcxt = MemoryContextSwitchTo(hhcxt);
		rng_init(&r, seed, STREAM_HOUSEHOLD, (uint64) g->next_household);
		household_make(g, &r, &hh, people);
		rng_init(&g->health_rng, seed, STREAM_HEALTH, (uint64) hh.id);
		borough_write_household(g, &r, &hh);
		population_count(g, &hh);
		rng_init(&r, seed, STREAM_CHILDREN, (uint64) hh.id);
		borough_write_children(g, &r, &hh);
		MemoryContextSwitchTo(oldcxt);
		MemoryContextReset(hhcxt);
		households++;
		if (people >= 50000 && g->next_person >= next_report && g->next_person < people)
		{
			ereport(NOTICE,
					(errmsg("generate_borough: %d%% (" INT64_FORMAT " of " INT64_FORMAT " people) after %.1f s",
							(int) (100 * g->next_person / people), g->next_person,
							people, seconds_since(start))));
			next_report += people / 10;
		}
	}
	MemoryContextDelete(hhcxt);
	about(g, "households", psprintf(INT64_FORMAT, households));
	{
		SynthRng	r;

		/* after every household: the incidents before keep their numbers */
		rng_init(&r, seed, STREAM_EMERGING_ASB, 0);
		borough_write_emerging_asb(g, &r);
	}
	write_population(g);

	for (int t = 0; t < T_COUNT; t++)
		if (t != T_WARD)
			tw_close(&g->tw[t]);
	CommandCounterIncrement();

	/* 4: keys and indexes */
	ereport(NOTICE, (errmsg("generate_borough: building keys and indexes after %.1f s",
							seconds_since(start))));
	index_tables(main, truth);
	{
		char	   *sql = psprintf(person_record_view, quote_identifier(main));

		spi_exec(sql, SPI_OK_UTILITY);
		spi_exec(psprintf("COMMENT ON VIEW %s.person_record IS "
						  "'Every person record of the 11 source systems in common columns (system, record_key): "
						  "what linkage and the Client Index read'", quote_identifier(main)), SPI_OK_UTILITY);
	}
	SPI_finish();

	for (int t = 0; t < T_COUNT; t++)
	{
		const BoroughTable *bt = &borough_tables[t];
		Datum		values[2];
		bool		nulls[2] = {false, false};
		Oid			nsp = get_namespace_oid(table_schema(bt, main, truth), false);

		values[0] = ObjectIdGetDatum(get_relname_relid(bt->name, nsp));
		values[1] = Int64GetDatum(t == T_WARD ? BOROUGH_NWARDS : g->tw[t].rows);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	ereport(NOTICE, (errmsg("generate_borough: done in %.1f s", seconds_since(start))));
	return (Datum) 0;
}
