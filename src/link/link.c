/*
 * link.c
 *		dedupe() and link(): train a Fellegi-Sunter model without labels on
 *		the given table(s) and return clusters or scored pairs.  The
 *		evaluation interface of the linkage engine.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/guc.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/regproc.h"

#include "brent_mdm.h"
#include "link/link.h"

PG_FUNCTION_INFO_V1(link_dedupe);
PG_FUNCTION_INFO_V1(link_link);
PG_FUNCTION_INFO_V1(link_blocking_estimate);
PG_FUNCTION_INFO_V1(link_train_model);
PG_FUNCTION_INFO_V1(link_train_model_labelled);

#define U_SEED 42

/* settings (brent_mdm.u_sample_pairs, brent_mdm.max_candidate_pairs, brent_mdm.split_window) */
static int	u_sample_pairs = 300000;
static int	max_candidate_pairs = 100000000;
int			link_split_window = LINK_SPLIT_WINDOW;
/* brent_mdm.linkage_memory, in kB; 0: no limit */
static int	linkage_memory = LINK_MEMORY_DEFAULT;

void
link_init(void)
{
	DefineCustomIntVariable("brent_mdm.u_sample_pairs",
							"Random pairs of records from which linkage estimates u.",
							"More pairs estimate the rare levels better and take longer; the pairs are drawn with a fixed seed.",
							&u_sample_pairs, 300000, 1000, 100000000,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("brent_mdm.max_candidate_pairs",
							"Candidate pairs a linkage run may compare; a run whose blocking rules would make more is refused.",
							NULL,
							&max_candidate_pairs, 100000000, 1, INT_MAX,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("brent_mdm.linkage_memory",
							"Memory a linkage run may take in its backend; a run that would need more stops with an error before it takes it.",
							"Checked as the records are read (every 10,000), before the candidate pairs are made, and before clustering; 0: no limit.",
							&linkage_memory, LINK_MEMORY_DEFAULT, 0, INT_MAX,
							PGC_USERSET, GUC_UNIT_KB, NULL, NULL, NULL);
	DefineCustomIntVariable("brent_mdm.linkage_work_mem",
							"Memory a linkage run keeps its records in; past it, they are spilled to a temporary file.",
							"The records (their prepared values) are kept in chunks of 64 kB; past this much, the chunks used least recently are written to a temporary file and read back when needed. A run whose records fit takes no more than it needs.",
							&link_work_mem, LINK_WORK_MEM_DEFAULT, 1024, MAX_KILOBYTES,
							PGC_USERSET, GUC_UNIT_KB, NULL, NULL, NULL);
	DefineCustomIntVariable("brent_mdm.split_window",
							"Groups each group of a block of more than 500 distinct records is compared with, in each of its sort orders.",
							"Linkage compares such a block by sorted neighbourhood: its groups of identical records in up to three orders, each with the next split_window groups; more finds pairs further apart in the orders and takes longer.",
							&link_split_window, LINK_SPLIT_WINDOW, 1, 1000,
							PGC_USERSET, 0, NULL, NULL, NULL);
}

/*
 * Stops the run (54000) if the backend's memory (every memory context's
 * blocks) and more, what the next step would take, exceed
 * brent_mdm.linkage_memory; step_fmt and its arguments say what that is
 * (formatted only then).
 */
void
link_memory_check(Size more, const char *step_fmt,...)
{
	Size		used,
				limit;
	StringInfoData step;
	va_list		args;

	if (linkage_memory <= 0)
		return;
	used = MemoryContextMemAllocated(TopMemoryContext, true);
	limit = (Size) linkage_memory * 1024;
	if (used + more <= limit)
		return;
	initStringInfo(&step);
	for (;;)
	{
		int			needed;

		va_start(args, step_fmt);
		needed = appendStringInfoVA(&step, step_fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(&step, needed);
	}
	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("linkage would take more memory than brent_mdm.linkage_memory allows (%zu MB)",
					limit / (1024 * 1024)),
			 errdetail("The backend holds %zu MB; %s would take about %zu MB more.",
					   used / (1024 * 1024), step.data, more / (1024 * 1024)),
			 errhint("Raise brent_mdm.linkage_memory (a session may SET it), or link fewer records, or map columns that make fewer candidate pairs.")));
}

static LinkKind
parse_kind(const char *column, const char *kind)
{
	LinkKind	k;

	if (link_kind_from_name(kind, &k))
		return k;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown comparison kind \"%s\" for column \"%s\"", kind, column),
			 errhint("Use given_name, surname, full_name, date, postcode, text, exact, identifier, number, moved_in, moved_out or min_age.")));
	return LK_EXACT;			/* keep compiler quiet */
}

static int
kind_levels(LinkKind k)
{
	switch (k)
	{
		case LK_GIVEN_NAME:
		case LK_SURNAME:
		case LK_FULL_NAME:
		case LK_DATE:
			return 6;
		case LK_POSTCODE:
		case LK_TEXT:
			return 5;
		case LK_EXACT:
			return 3;
		case LK_IDENTIFIER:
		case LK_NUMBER:
			return 4;
		case LK_MOVED_IN:
			return 3;
		case LK_MOVED_OUT:
			return 1;			/* compared with moved_in, weighs nothing itself */
		case LK_MIN_AGE:
			return 1;			/* not compared */
	}
	return 3;
}

/*
 * A relation given as a regclass exists (a number cast to regclass is not
 * checked: dedupe(0, ...) would otherwise say "does not exist in (null)").
 */
void
link_check_relation(Oid relid)
{
	if (!OidIsValid(relid) || !SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid),
				 errhint("Name the table: 'schema.table'::regclass, or 'table' where the search path finds it.")));
}

/* A column of relid of a type whose text says something comparable, or an error. */
static void
check_column_type(Oid relid, const char *column, const char *mapped_as)
{
	AttrNumber	attnum = get_attnum(relid, column);
	Oid			type;
	char		category;
	bool		preferred;

	if (attnum == InvalidAttrNumber)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" of the columns mapping does not exist in %s",
						column, get_rel_name(relid)),
				 mapped_as ? errdetail("It is a part of \"%s\".", mapped_as) : 0));
	/* text, numbers, dates (and enums): what a value's text form can say */
	type = getBaseType(get_atttype(relid, attnum));
	get_type_category_preferred(type, &category, &preferred);
	if (category != TYPCATEGORY_STRING && category != TYPCATEGORY_NUMERIC &&
		category != TYPCATEGORY_DATETIME && category != TYPCATEGORY_ENUM)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("column \"%s\" of %s is of type %s, which linkage cannot compare",
						column, get_rel_name(relid), format_type_be(type)),
				 errhint("Map a column of a text, number or date type (a view can cast or extract one).")));
}

static char *
jsonb_string_member(JsonbContainer *obj, const char *name, JsonbValue **found)
{
	JsonbValue	key;

	key.type = jbvString;
	key.val.string.val = (char *) name;
	key.val.string.len = strlen(name);
	*found = findJsonbValueFromContainer(obj, JB_FOBJECT, &key);
	if (*found == NULL || (*found)->type != jbvString)
		return NULL;
	return pnstrdup((*found)->val.string.val, (*found)->val.string.len);
}

/*
 * One entry of the mapping given as an object: {"kind": "date", "from":
 * ["year", "month", "day"]} (a date assembled from three columns), or
 * {"kind": k} (as the string k).  Sets *kind and from.
 */
static void
parse_column_object(const char *key, JsonbValue *v, char **kind, char *from[3])
{
	JsonbContainer *obj = v->val.binary.data;
	JsonbValue *found;
	JsonbIterator *it;
	JsonbValue	e;
	JsonbIteratorToken tok;
	int			n = 0;

	if (!JsonContainerIsObject(obj))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the comparison kind of column \"%s\" must be a string or an object", key),
				 errhint("For example \"date\", or {\"kind\": \"date\", \"from\": [\"dob_year\", \"dob_month\", \"dob_day\"]}.")));
	/* only "kind" and "from": a misspelt member would otherwise be ignored */
	it = JsonbIteratorInit(obj);
	while ((tok = JsonbIteratorNext(&it, &e, true)) != WJB_DONE)
		if (tok == WJB_KEY &&
			!(e.val.string.len == 4 && memcmp(e.val.string.val, "kind", 4) == 0) &&
			!(e.val.string.len == 4 && memcmp(e.val.string.val, "from", 4) == 0))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown member \"%.*s\" in the mapping of column \"%s\"",
							e.val.string.len, e.val.string.val, key),
					 errhint("A column's mapping object has \"kind\" and, for a date assembled from parts, \"from\".")));
	*kind = jsonb_string_member(obj, "kind", &found);
	if (*kind == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the mapping of column \"%s\" needs a \"kind\" (a string)", key)));
	from[0] = from[1] = from[2] = NULL;
	(void) jsonb_string_member(obj, "from", &found);
	if (found == NULL)
		return;
	if (found->type == jbvBinary && JsonContainerIsArray(found->val.binary.data))
	{
		it = JsonbIteratorInit(found->val.binary.data);
		while ((tok = JsonbIteratorNext(&it, &e, true)) != WJB_DONE)
			if (tok == WJB_ELEM)
			{
				if (e.type != jbvString || n >= 3)
				{
					n = -1;
					break;
				}
				from[n++] = pnstrdup(e.val.string.val, e.val.string.len);
			}
	}
	if (n != 3)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"from\" of column \"%s\" must be an array of three column names: year, month, day", key)));
}

/* The columns mapping, checked against the table(s). */
static void
parse_columns(LinkModel *lm, Jsonb *columns, Oid *relids, int nrels, const char *id_column)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	char	   *key = NULL;

	for (int r = 0; r < nrels; r++)
		link_check_relation(relids[r]);
	if (!JB_ROOT_IS_OBJECT(columns))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("columns must be a JSON object mapping column names to comparison kinds"),
				 errhint("For example '{\"first_name\": \"given_name\", \"dob\": \"date\"}'.")));
	it = JsonbIteratorInit(&columns->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
			key = pnstrdup(v.val.string.val, v.val.string.len);
		else if (tok == WJB_VALUE)
		{
			LinkColumn *c;
			char	   *kind;
			char	   *from[3] = {NULL, NULL, NULL};

			if (v.type == jbvBinary)
				parse_column_object(key, &v, &kind, from);
			else if (v.type != jbvString)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("the comparison kind of column \"%s\" must be a string", key)));
			else
				kind = pnstrdup(v.val.string.val, v.val.string.len);
			if (lm->ncolumns >= LINK_MAX_COLUMNS)
				ereport(ERROR,
						(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						 errmsg("at most %d columns can be compared", LINK_MAX_COLUMNS)));
			if (strcmp(key, id_column) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("the id column \"%s\" cannot also be compared", key)));
			c = &lm->columns[lm->ncolumns++];
			memset(c, 0, sizeof(*c));
			c->name = key;
			c->kind = parse_kind(key, kind);
			c->nlevels = kind_levels(c->kind);
			c->tf = link_kind_has_tf(c->kind);
			c->implied_by = -1;
			if (from[0] != NULL)
			{
				if (c->kind != LK_DATE && c->kind != LK_MOVED_IN && c->kind != LK_MOVED_OUT)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("column \"%s\" of kind %s cannot be assembled from parts", key, kind),
							 errhint("\"from\" assembles a date (kinds date, moved_in, moved_out) from year, month and day.")));
				for (int p = 0; p < 3; p++)
				{
					if (strcmp(from[p], id_column) == 0)
						ereport(ERROR,
								(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
								 errmsg("the id column \"%s\" cannot also be compared", from[p])));
					c->from[p] = from[p];
					for (int r = 0; r < nrels; r++)
						check_column_type(relids[r], from[p], key);
				}
			}
			else
				for (int r = 0; r < nrels; r++)
					check_column_type(relids[r], key, NULL);
		}
	}
	if (lm->ncolumns == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("columns must name at least one column to compare")));
	if ((link_find_kind(lm, LK_MOVED_IN) < 0) != (link_find_kind(lm, LK_MOVED_OUT) < 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a column of kind moved_in needs one of kind moved_out, and the other way round"),
				 errdetail("They are compared together: one record's address ending the day the other's began is a move."),
				 errhint("Map the column holding the day the record's address began to moved_in, and the day it ended to moved_out.")));
	for (int r = 0; r < nrels; r++)
		if (get_attnum(relids[r], id_column) == InvalidAttrNumber)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("id column \"%s\" does not exist in %s", id_column,
							get_rel_name(relids[r]))));
}


/* rows read at a time from the query of a table's records */
#define LOAD_BATCH 10000

/*
 * Reads the records of one table (with the caller's rights), all as text,
 * LOAD_BATCH rows at a time through a cursor: the rows, their text and what
 * preparing them takes live until their batch is prepared, and only the
 * prepared records stay (in the run's store: store.c).
 */
static void
load_records(LinkModel *lm, Oid relid, const char *id_column, int side,
			 MemoryContext target)
{
	StringInfoData sql;
	MemoryContext old;
	MemoryContext batch;
	SPIPlanPtr	plan;
	Portal		portal;

	initStringInfo(&sql);
	appendStringInfo(&sql, "SELECT %s::text", quote_identifier(id_column));
	for (int c = 0; c < lm->ncolumns; c++)
	{
		/* a column, or the three parts of a date */
		for (int p = 0; p < (lm->columns[c].from[0] ? 3 : 1); p++)
		{
			const char *name = lm->columns[c].from[0] ? lm->columns[c].from[p] : lm->columns[c].name;
			Oid			type = getBaseType(get_atttype(relid, get_attnum(relid, name)));

			/*
			 * dates as their Julian day, whatever the session's DateStyle (MDY
			 * would swap day and month) and year (BC, or past 9999); infinity
			 * as itself: unreadable as a day
			 */
			if (type == DATEOID || type == TIMESTAMPOID || type == TIMESTAMPTZOID)
				appendStringInfo(&sql, ", CASE WHEN pg_catalog.isfinite(%s) THEN 'J' || pg_catalog.to_char(%s, 'J') ELSE %s::text END",
								 quote_identifier(name), quote_identifier(name), quote_identifier(name));
			else
				appendStringInfo(&sql, ", %s::text", quote_identifier(name));
		}
	}
	/* in id order: the same rows give the same result whatever their physical order */
	appendStringInfo(&sql, " FROM %s ORDER BY %s", quote_qualified_identifier(
								get_namespace_name(get_rel_namespace(relid)), get_rel_name(relid)),
					 quote_identifier(id_column));
	plan = SPI_prepare(sql.data, 0, NULL);
	if (plan == NULL)
		elog(ERROR, "linkage: could not read %s: %s", get_rel_name(relid),
			 SPI_result_code_string(SPI_result));
	portal = SPI_cursor_open(NULL, plan, NULL, NULL, true);
	/* blocks of a chunk's size: freed, the store's chunks take their place (and back) */
	batch = AllocSetContextCreate(target, "linkage: a batch of records", 0, LINK_CHUNK, LINK_CHUNK);
	for (;;)
	{
		SPI_cursor_fetch(portal, true, LOAD_BATCH);
		if (SPI_processed == 0)
			break;
		CHECK_FOR_INTERRUPTS();
		old = MemoryContextSwitchTo(batch);
		for (uint64 i = 0; i < SPI_processed; i++)
		{
			HeapTuple	tup = SPI_tuptable->vals[i];
			TupleDesc	desc = SPI_tuptable->tupdesc;
			LinkValue	vals[LINK_MAX_COLUMNS];
			LinkRecord *r;
			uint32		present = 0;
			int			held = 0;
			char	   *id = SPI_getvalue(tup, desc, 1);

			if (id == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("id column \"%s\" of %s has a NULL", id_column, get_rel_name(relid)),
						 errhint("Every record needs an id to be linked.")));
			for (int c = 0, att = 2; c < lm->ncolumns; c++)
			{
				LinkValue  *v = &vals[c];

				if (lm->columns[c].from[0] != NULL)
				{
					char	   *parts[3];

					for (int p = 0; p < 3; p++)
						parts[p] = SPI_getvalue(tup, desc, att++);
					link_prepare_date_parts(lm, c, parts, v);
				}
				else
					link_prepare_value(lm, c, SPI_getvalue(tup, desc, att++), v);
				if (v->s != NULL)
					present |= (uint32) 1 << c;
			}
			/* the values it holds, in column order (LINK_V), with its strings */
			{
				int			nheld = pg_popcount32(present);
				Size		size = MAXALIGN(offsetof(LinkRecord, v) + sizeof(LinkValue) * nheld);
				Size		idlen = strlen(id);
				char	   *p;

				size += idlen + 1;
				for (int c = 0; c < lm->ncolumns; c++)
					if (present & ((uint32) 1 << c))
						size += vals[c].len + 1;
				r = link_store_new_record(lm, size, present);
				p = (char *) r + MAXALIGN(offsetof(LinkRecord, v) + sizeof(LinkValue) * nheld);
				r->id = p;
				memcpy(p, id, idlen);
				p[idlen] = '\0';
				p += idlen + 1;
				r->side = side;
				r->present = present;
				for (int c = 0; c < lm->ncolumns; c++)
					if (present & ((uint32) 1 << c))
					{
						r->v[held] = vals[c];
						r->v[held].s = p;
						memcpy(p, vals[c].s, vals[c].len);
						p[vals[c].len] = '\0';
						p += vals[c].len + 1;
						held++;
					}
				lm->nrecords++;
			}
		}
		MemoryContextSwitchTo(old);
		MemoryContextReset(batch);
		SPI_freetuptable(SPI_tuptable);
		link_memory_check(0, "reading the records (%d so far) of %s",
						  lm->nrecords, get_rel_name(relid));
	}
	SPI_cursor_close(portal);
	SPI_freeplan(plan);
	MemoryContextDelete(batch);
	pfree(sql.data);
}

/*
 * Reads the mapping and the records (SPI left connected); false, with a
 * warning, if there is nothing to link.
 */
static bool
load_linkage(LinkModel *lm, Oid *relids, int nrels, const char *id_column, Jsonb *columns,
			 MemoryContext target)
{
	MemoryContext old = MemoryContextSwitchTo(target);

	lm->dedupe = (nrels == 1);
	parse_columns(lm, columns, relids, nrels, id_column);
	MemoryContextSwitchTo(old);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "linkage: SPI_connect failed");
	lm->store = link_store_create(target);
	for (int r = 0; r < nrels; r++)
	{
		load_records(lm, relids[r], id_column, r, target);
		if (r == 0)
			lm->nleft = lm->nrecords;
	}
	link_store_trim(lm);
	if (lm->nrecords == 0 || (nrels == 2 && (lm->nleft == 0 || lm->nleft == lm->nrecords)))
	{
		ereport(WARNING,
				(errcode(ERRCODE_WARNING),
				 errmsg("nothing to link: a table is empty")));
		lm->nrecords = 0;
		return false;
	}
	old = MemoryContextSwitchTo(target);
	link_term_frequencies(lm);
	/*
	 * values that could not be read count as missing (a date of birth of
	 * numbers that make no date is kept as its digits): never silently
	 */
	for (int c = 0; c < lm->ncolumns; c++)
		if (lm->columns[c].nunreadable > 0)
			ereport(NOTICE,
					(lm->columns[c].ndigits == 0 ?
					 errmsg_plural("column \"%s\": " INT64_FORMAT " value could not be read as a date; it counts as missing",
								   "column \"%s\": " INT64_FORMAT " values could not be read as dates; they count as missing",
								   (unsigned long) lm->columns[c].nunreadable,
								   lm->columns[c].name, lm->columns[c].nunreadable) :
					 lm->columns[c].nunreadable == 1 ?
					 errmsg("column \"%s\": 1 value could not be read as a date; its numbers make no date, and it is compared digit by digit",
							lm->columns[c].name) :
					 lm->columns[c].ndigits == lm->columns[c].nunreadable ?
					 errmsg("column \"%s\": " INT64_FORMAT " values could not be read as dates; their numbers make no date, and they are compared digit by digit",
							lm->columns[c].name, lm->columns[c].nunreadable) :
					 errmsg("column \"%s\": " INT64_FORMAT " values could not be read as dates; " INT64_FORMAT " of them, numbers that make no date, are compared digit by digit, the others count as missing",
							lm->columns[c].name, lm->columns[c].nunreadable, lm->columns[c].ndigits),
					 lm->columns[c].ndigits == 0 ?
					 errdetail("%d records have a date there.", lm->columns[c].npresent) :
					 errdetail("%d records have a date there, and " INT64_FORMAT " its digits only. Digits agree with a date when they have day and month swapped or differ in one digit; otherwise they count as missing.",
							   lm->columns[c].npresent - (int) lm->columns[c].ndigits, lm->columns[c].ndigits),
					 lm->columns[c].from[0] ?
					 errhint("A date from parts needs a year, a month (a number or an English name) and a day that make a valid date; all three missing is a missing date.") :
					 errhint("Dates are read as YYYY-MM-DD, YYYYMMDD, DD/MM/YYYY, DD-MM-YYYY or any form PostgreSQL's date type reads (day before month); map a column of type date, or a view that converts them.")));
	for (int c = 0; c < lm->ncolumns; c++)
		if (lm->columns[c].npresent == 0)
			ereport(WARNING,
					(errcode(ERRCODE_WARNING),
					 errmsg("column \"%s\" has no usable value (all NULL, or none readable as %s); it is ignored",
							lm->columns[c].name, link_kind_name(lm->columns[c].kind))));
	MemoryContextSwitchTo(old);
	return true;
}


/* Loads, blocks, trains and scores; warns about what the user should know. */
LinkModel *
link_run(Oid *relids, int nrels, const char *id_column, Jsonb *columns,
		 const LinkModel *preset, MemoryContext target)
{
	LinkModel  *lm = MemoryContextAllocZero(target, sizeof(LinkModel));
	MemoryContext old;
	instr_time	start;
	bool		progress;

	INSTR_TIME_SET_CURRENT(start);
	if (!load_linkage(lm, relids, nrels, id_column, columns, target))
	{
		SPI_finish();
		return lm;
	}
	progress = lm->nrecords >= LINK_PROGRESS_RECORDS;
	if (progress)
		ereport(NOTICE, (errmsg("linkage: %d records loaded after %.1f s",
								lm->nrecords, seconds_since(start))));
	old = MemoryContextSwitchTo(target);
	link_store_phase(lm, LINK_PHASE_BLOCKING);
	if (preset != NULL)
	{
		/* a kept model's columns implied by others (by name) */
		for (int c = 0; c < lm->ncolumns; c++)
			for (int p = 0; p < preset->ncolumns; p++)
				if (strcmp(lm->columns[c].name, preset->columns[p].name) == 0 &&
					preset->columns[p].implied_by >= 0)
					for (int x = 0; x < lm->ncolumns; x++)
						if (strcmp(lm->columns[x].name,
								   preset->columns[preset->columns[p].implied_by].name) == 0)
						{
							lm->columns[c].implied_by = x;
							lm->columns[c].implied_through = preset->columns[p].implied_through;
							lm->columns[c].dependence = preset->columns[p].dependence;
						}
	}
	else
		link_detect_dependence(lm);
	link_block(lm, max_candidate_pairs, false);
	link_store_phase(lm, LINK_PHASE_TRAINING);
	if (progress)
	{
		double		t = seconds_since(start);

		ereport(NOTICE, (errmsg("linkage: " INT64_FORMAT " candidate pairs compared after %.1f s (%.0f pairs a second overall)",
								lm->npairs, t, lm->npairs / Max(t, 0.001))));
	}
	if (preset != NULL)
	{
		/* scoring with a kept model: its m, u and prior, this data's term frequencies */
		lm->lambda = preset->lambda;
		lm->em_converged = true;
		for (int c = 0; c < lm->ncolumns; c++)
			for (int p = 0; p < preset->ncolumns; p++)
				if (strcmp(lm->columns[c].name, preset->columns[p].name) == 0 &&
					lm->columns[c].kind == preset->columns[p].kind)
				{
					memcpy(lm->columns[c].m, preset->columns[p].m, sizeof(lm->columns[c].m));
					memcpy(lm->columns[c].u, preset->columns[p].u, sizeof(lm->columns[c].u));
				}
	}
	else
	{
		link_estimate_u(lm, u_sample_pairs, U_SEED);
		link_estimate_m(lm);
		link_store_sample(lm);
		if (progress)
			ereport(NOTICE, (errmsg("linkage: model trained after %.1f s (%d rounds of EM at most)",
									seconds_since(start), lm->em_iterations)));
	}
	if (!lm->em_converged)
		ereport(WARNING,
				(errcode(ERRCODE_WARNING),
				 errmsg("the model did not converge in %d rounds of expectation-maximisation",
						lm->em_iterations),
				 errhint("Results are usable but may be less accurate; check the columns mapping.")));
	link_score(lm);
	link_store_phase(lm, LINK_PHASE_CLUSTERING);

	/*
	 * Scored: what training and scoring needed of each pair is no longer
	 * needed (clustering and the callers use the pairs' probabilities), and
	 * is freed before clustering takes its own.
	 */
	link_array_free(lm, &lm->info);
	for (int c = 0; c < lm->ncolumns; c++)
	{
		StringInfoData buf;

		initStringInfo(&buf);
		for (int l = 1; l < lm->columns[c].nlevels; l++)
			appendStringInfo(&buf, " %d:m=%.4f,u=%.5f", l, lm->columns[c].m[l], lm->columns[c].u[l]);
		ereport(DEBUG1, (errmsg("linkage: %s (%s)%s", lm->columns[c].name,
								link_kind_name(lm->columns[c].kind), buf.data)));
	}
	if (link_store_spilled(lm))
	{
		LinkStoreStats st;

		link_store_stats(lm, &st);
		ereport(NOTICE,
				(errmsg("linkage: the records and candidate pairs took more than brent_mdm.linkage_work_mem (%d kB): they were spilled to a temporary file",
						link_work_mem),
				 errdetail("The records: %zu kB in %d chunks; the candidate pairs: " INT64_FORMAT ". Chunks written: " INT64_FORMAT "; read back: " INT64_FORMAT ".",
						   st.bytes / 1024, st.chunks, lm->npairs, st.writes, st.reads),
				 errhint("A run whose records fit in brent_mdm.linkage_work_mem reads none back; a session may SET it.")));
	}
	ereport(DEBUG1,
			(errmsg("linkage: %d records, " INT64_FORMAT " candidate pairs, EM %d rounds, lambda %.3g",
					lm->nrecords, lm->npairs, lm->em_iterations, lm->lambda)));
	MemoryContextSwitchTo(old);
	SPI_finish();
	return lm;
}

/*
 * What blocking would do, before running it: per rule, the comparisons it
 * would make, its largest block, and the blocks of more than LINK_MAX_BLOCK
 * distinct records it would split by sorted neighbourhood (how many, their
 * comparisons, the columns leading their orders).
 */
Datum
link_blocking_estimate(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			relids[2];
	int			nrels = PG_ARGISNULL(3) ? 1 : 2;
	LinkModel  *lm;
	MemoryContext old;

	for (int i = 0; i < 3; i++)
		if (PG_ARGISNULL(i))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("argument %d of blocking_estimate must not be NULL", i + 1)));
	relids[0] = PG_GETARG_OID(0);
	if (nrels == 2)
		relids[1] = PG_GETARG_OID(3);
	InitMaterializedSRF(fcinfo, 0);
	lm = MemoryContextAllocZero(CurrentMemoryContext, sizeof(LinkModel));
	if (load_linkage(lm, relids, nrels, NameStr(*PG_GETARG_NAME(1)), PG_GETARG_JSONB_P(2),
					 CurrentMemoryContext))
	{
		old = MemoryContextSwitchTo(CurrentMemoryContext);
		link_block(lm, PG_INT64_MAX, true);
		MemoryContextSwitchTo(old);
		for (int r = 0; r < lm->nrules; r++)
		{
			Datum		values[7];
			bool		nulls[7] = {false, false, false, false, false, false, false};

			values[0] = CStringGetTextDatum(lm->rules[r].description);
			values[1] = Int64GetDatum(lm->rules[r].comparisons);
			values[2] = Int32GetDatum(lm->rules[r].largest_block);
			values[3] = Int64GetDatum(lm->rules[r].split_blocks);
			values[4] = Int64GetDatum(lm->rules[r].split_comparisons);
			if (lm->rules[r].split_by[0] != '\0')
				values[5] = CStringGetTextDatum(lm->rules[r].split_by);
			else
				nulls[5] = true;
			values[6] = BoolGetDatum(lm->rules[r].train);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	link_store_close(lm);
	SPI_finish();
	return (Datum) 0;
}

Datum
link_dedupe(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			relid = PG_GETARG_OID(0);
	char	   *id_column = NameStr(*PG_GETARG_NAME(1));
	Jsonb	   *columns = PG_GETARG_JSONB_P(2);
	LinkModel  *lm;
	LinkArray	min_age;
	bool		ages;
	LinkArray	cluster;

	InitMaterializedSRF(fcinfo, 0);
	lm = link_run(&relid, 1, id_column, columns, NULL, CurrentMemoryContext);
	if (lm->nrecords == 0)
		return (Datum) 0;
	ages = link_min_ages(lm, &min_age);
	link_cluster(lm, 0.5, NULL, 0, ages ? &min_age : NULL, GetSQLCurrentDate(), &cluster);
	if (lm->nrecords >= LINK_PROGRESS_RECORDS)
		ereport(NOTICE, (errmsg("linkage: %d records clustered", lm->nrecords)));
	for (int i = 0; i < lm->nrecords; i++)
	{
		Datum		values[2];
		bool		nulls[2] = {false, false};

		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		values[0] = CStringGetTextDatum(LINK_REC(lm, i)->id);
		values[1] = Int64GetDatum(link_cluster_of(lm, &cluster, i));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		/* copied by the tuplestore: freed, or the ids would pile up in memory */
		pfree(DatumGetPointer(values[0]));
	}
	link_store_close(lm);
	return (Datum) 0;
}

Datum
link_link(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			relids[2] = {PG_GETARG_OID(0), PG_GETARG_OID(1)};
	char	   *id_column = NameStr(*PG_GETARG_NAME(2));
	Jsonb	   *columns = PG_GETARG_JSONB_P(3);
	LinkModel  *lm;
	LinkArray	min_age;
	bool		ages;
	DateADT		today = GetSQLCurrentDate();

	InitMaterializedSRF(fcinfo, 0);
	lm = link_run(relids, 2, id_column, columns, NULL, CurrentMemoryContext);
	ages = link_min_ages(lm, &min_age);
	for (int64 k = 0; k < lm->npairs; k++)
	{
		LinkPair	pk = *LINK_PAIR(lm, k);
		const LinkPair *p = &pk;
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		if (p->probability < 0.001)
			continue;
		/* a system that holds only adults does not hold this child */
		if (ages &&
			(link_too_young(lm, LINK_REC(lm, p->a), link_min_age_of(lm, &min_age, p->b), today) ||
			 link_too_young(lm, LINK_REC(lm, p->b), link_min_age_of(lm, &min_age, p->a), today)))
			continue;
		values[0] = CStringGetTextDatum(LINK_REC(lm, p->a)->id);
		values[1] = CStringGetTextDatum(LINK_REC(lm, p->b)->id);
		values[2] = Float8GetDatum(p->probability);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		pfree(DatumGetPointer(values[0]));
		pfree(DatumGetPointer(values[1]));
	}
	link_store_close(lm);
	return (Datum) 0;
}

static char *
rel_text(Oid relid)
{
	return DatumGetCString(DirectFunctionCall1(regclassout, ObjectIdGetDatum(relid)));
}

/* term frequencies stored this many at a time */
#define TF_BATCH 10000

/*
 * Stores a trained model as name in brent_mdm.link_model, link_model_level,
 * link_model_column and link_model_tf (replacing one of the same name), with
 * the caller's rights; each level is also returned into rsinfo if given.
 */
void
link_store_model(text *name, LinkModel *lm, const char *columns_json,
				 const char *trained_on, ReturnSetInfo *rsinfo)
{
	StringInfoData sql;
	Oid			types[3] = {TEXTOID, INT8ARRAYOID, FLOAT8ARRAYOID};
	Datum		args[3];

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "train_model: SPI_connect failed");
	args[0] = PointerGetDatum(name);

	/*
	 * Two sessions storing one name would both find no model to replace and
	 * the second would fail on the primary key: the second waits for the
	 * first to commit (a lock on the name until the end of the transaction),
	 * then replaces its model.
	 */
	if (SPI_execute_with_args("SELECT pg_catalog.pg_advisory_xact_lock("
							  "pg_catalog.hashtext('brent_mdm.link_model'), pg_catalog.hashtext($1))",
							  1, types, args, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "train_model: could not lock the model's name");
	if (SPI_execute_with_args("DELETE FROM brent_mdm.link_model WHERE model_name = $1",
							  1, types, args, NULL, false, 0) != SPI_OK_DELETE)
		elog(ERROR, "train_model: could not replace the model");
	initStringInfo(&sql);
	appendStringInfo(&sql,
					 "INSERT INTO brent_mdm.link_model (model_name, columns, trained_on, records,"
					 " candidate_pairs, prior, em_rounds, converged)"
					 " VALUES ($1, %s::jsonb, %s, %d, " INT64_FORMAT ", %.17g, %d, %s)",
					 quote_literal_cstr(columns_json), quote_literal_cstr(trained_on),
					 lm->nrecords, lm->npairs, lm->lambda, lm->em_iterations,
					 lm->em_converged ? "true" : "false");
	if (SPI_execute_with_args(sql.data, 1, types, args, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "train_model: could not store the model");
	for (int r = 0; r < lm->nrules; r++)
	{
		const LinkRuleInfo *rule = &lm->rules[r];
		const char *note = link_rule_note(lm, r);

		resetStringInfo(&sql);
		appendStringInfo(&sql,
						 "INSERT INTO brent_mdm.link_model_rule (model_name, rule_number, blocking_rule, pairs,"
						 " trained, em_rounds, dominant_share, note)"
						 " VALUES ($1, %d, %s, " INT64_FORMAT ", %s, %s, %s, %s)",
						 r + 1, quote_literal_cstr(rule->description), rule->npairs,
						 rule->trained ? "true" : "false",
						 rule->em_rounds != 0 ? psprintf("%d", rule->em_rounds) : "NULL",
						 rule->dominant_share >= 0 ? psprintf("%.17g", rule->dominant_share) : "NULL",
						 note ? quote_literal_cstr(note) : "NULL");
		if (SPI_execute_with_args(sql.data, 1, types, args, NULL, false, 0) != SPI_OK_INSERT)
			elog(ERROR, "train_model: could not store the model's rules");
	}
	for (int c = 0; c < lm->ncolumns; c++)
	{
		const LinkColumn *col = &lm->columns[c];

		for (int l = 1; l < col->nlevels; l++)
		{
			resetStringInfo(&sql);
			appendStringInfo(&sql,
							 "INSERT INTO brent_mdm.link_model_level VALUES ($1, %s, %s, %d, %s, %.17g, %.17g)",
							 quote_literal_cstr(col->name),
							 quote_literal_cstr(link_kind_name(col->kind)), l,
							 quote_literal_cstr(link_level_name(col->kind, l)), col->m[l], col->u[l]);
			if (SPI_execute_with_args(sql.data, 1, types, args, NULL, false, 0) != SPI_OK_INSERT)
				elog(ERROR, "train_model: could not store the model's levels");
			if (rsinfo != NULL)
			{
				Datum		values[7];
				bool		nulls[7] = {false};

				values[0] = PointerGetDatum(name);
				values[1] = CStringGetTextDatum(col->name);
				values[2] = CStringGetTextDatum(link_kind_name(col->kind));
				values[3] = Int32GetDatum(l);
				values[4] = CStringGetTextDatum(link_level_name(col->kind, l));
				values[5] = Float8GetDatum(col->m[l]);
				values[6] = Float8GetDatum(col->u[l]);
				tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
			}
		}
		resetStringInfo(&sql);
		appendStringInfo(&sql, "INSERT INTO brent_mdm.link_model_column (model_name, column_name, present, unreadable,"
						 " sessions, pooled_sessions, m_from, implied_by, implied_through, dependence)"
						 " VALUES ($1, %s, %d, " INT64_FORMAT ", %d, %d, %s, %s, %s, %s)",
						 quote_literal_cstr(col->name), col->npresent, col->nunreadable,
						 col->sessions, col->pooled_sessions,
						 col->m_from == LINK_M_FROM_SESSIONS ? "'sessions'" :
						 col->m_from == LINK_M_FROM_ALL_PAIRS ? "'all candidate pairs'" :
						 col->m_from == LINK_M_FROM_LABELS ? "'labelled pairs'" : "'starting values'",
						 col->implied_by >= 0 ? quote_literal_cstr(lm->columns[col->implied_by].name) : "NULL",
						 col->implied_by >= 0 ? psprintf("%d", col->implied_through) : "NULL",
						 col->implied_by >= 0 ? psprintf("%.17g", col->dependence) : "NULL");
		if (SPI_execute_with_args(sql.data, 1, types, args, NULL, false, 0) != SPI_OK_INSERT)
			elog(ERROR, "train_model: could not store the model's columns");

		/*
		 * Term frequencies of the values held by two records or more: their
		 * hashes gathered and sorted in the store, stored a batch at a time.
		 */
		if (!col->tf || col->npresent == 0)
			continue;
		{
			LinkArray	found,
						sorted;
			Datum	   *hashes = palloc(sizeof(Datum) * TF_BATCH);
			Datum	   *freqs = palloc(sizeof(Datum) * TF_BATCH);
			int			nvalues = 0;
			int64		last = -1;

			link_array_init(&found, sizeof(LinkHashCount));
			for (int i = 0; i < lm->nrecords; i++)
			{
				const LinkValue *v = LINK_V(LINK_REC(lm, i), c);
				LinkHashCount t;

				if ((i & 0x3FFF) == 0)
					CHECK_FOR_INTERRUPTS();
				if (v->s == NULL || v->tf_count < 2)
					continue;
				t.hash = v->hash;
				t.count = v->tf_count;
				*(LinkHashCount *) link_array_push(lm, &found) = t;
			}
			link_array_sort(lm, &found, link_hash_count_cmp, &sorted);
			for (int64 k = 0; k <= sorted.n; k++)
			{
				LinkHashCount t = {0, 0};

				if (k < sorted.n)
				{
					t = *(const LinkHashCount *) link_array_get(lm, &sorted, k, false);
					if ((int64) t.hash == last)
						continue;	/* its count is the same from any record */
					last = t.hash;
				}
				if (nvalues == TF_BATCH || (k == sorted.n && nvalues > 0))
				{
					Datum		targs[3];

					resetStringInfo(&sql);
					appendStringInfo(&sql,
									 "INSERT INTO brent_mdm.link_model_tf"
									 " SELECT $1, %s, h, f FROM unnest($2, $3) AS u(h, f) ON CONFLICT DO NOTHING",
									 quote_literal_cstr(col->name));
					targs[0] = PointerGetDatum(name);
					targs[1] = PointerGetDatum(construct_array(hashes, nvalues, INT8OID, 8, true, TYPALIGN_DOUBLE));
					targs[2] = PointerGetDatum(construct_array(freqs, nvalues, FLOAT8OID, 8, true, TYPALIGN_DOUBLE));
					if (SPI_execute_with_args(sql.data, 3, types, targs, NULL, false, 0) != SPI_OK_INSERT)
						elog(ERROR, "train_model: could not store the model's term frequencies");
					pfree(DatumGetPointer(targs[1]));
					pfree(DatumGetPointer(targs[2]));
					nvalues = 0;
				}
				if (k < sorted.n)
				{
					hashes[nvalues] = Int64GetDatum((int64) t.hash);
					freqs[nvalues] = Float8GetDatum((double) t.count / col->npresent);
					nvalues++;
				}
			}
			link_array_free(lm, &sorted);
			pfree(hashes);
			pfree(freqs);
		}
	}
	SPI_finish();
}

/*
 * train_model(): a model trained as dedupe() or link() trains one, stored in
 * brent_mdm.link_model and link_model_level (replacing one of the same
 * name), its levels returned.
 */
Datum
link_train_model(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			relids[2];
	int			nrels;
	text	   *name;
	LinkModel  *lm;

	for (int i = 0; i < 4; i++)
		if (PG_ARGISNULL(i))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("argument %d of train_model must not be NULL", i + 1)));
	name = PG_GETARG_TEXT_PP(0);
	relids[0] = PG_GETARG_OID(1);
	nrels = PG_ARGISNULL(4) ? 1 : 2;
	if (nrels == 2)
		relids[1] = PG_GETARG_OID(4);
	if (VARSIZE_ANY_EXHDR(name) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("model_name must not be empty")));
	InitMaterializedSRF(fcinfo, 0);
	lm = link_run(relids, nrels, NameStr(*PG_GETARG_NAME(2)), PG_GETARG_JSONB_P(3),
				  NULL, CurrentMemoryContext);
	if (lm->nrecords == 0)
		return (Datum) 0;
	link_store_model(name, lm, DatumGetCString(DirectFunctionCall1(jsonb_out, PG_GETARG_DATUM(3))),
					 nrels == 1 ? rel_text(relids[0]) :
					 psprintf("%s, %s", rel_text(relids[0]), rel_text(relids[1])),
					 rsinfo);
	link_store_close(lm);
	return (Datum) 0;
}

/* a record by the hash of its id (an array of the store, sorted) */
typedef struct IdIndex
{
	uint64		hash;
	int32		index;
} IdIndex;

static int
id_index_cmp(const void *x, const void *y)
{
	const IdIndex *a = x,
			   *b = y;

	if (a->hash != b->hash)
		return a->hash < b->hash ? -1 : 1;
	return a->index < b->index ? -1 : a->index > b->index ? 1 : 0;
}

static uint64
id_hash(const char *id)
{
	return hash_bytes_extended((const unsigned char *) id, strlen(id), 0);
}

/* The first record (by number) whose id is id, or -1. */
static int32
record_of(const LinkModel *lm, const LinkArray *ix, const char *id)
{
	IdIndex		key = {id_hash(id), -1};

	for (int64 k = link_array_lower_bound(lm, ix, &key, id_index_cmp); k < ix->n; k++)
	{
		IdIndex		e = *(const IdIndex *) link_array_get(lm, ix, k, false);

		if (e.hash != key.hash)
			break;
		if (strcmp(LINK_REC(lm, e.index)->id, id) == 0)
			return e.index;
	}
	return -1;
}

/*
 * train_model_labelled(): as train_model for one table, then m of each
 * column from the reviewers' labelled matching pairs (the share of them at
 * each level, smoothed), where labels say so; u stays from random pairs and
 * the prior from the unsupervised run.  labels has id_a, id_b and is_match.
 */
Datum
link_train_model_labelled(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	text	   *name;
	Oid			relid,
				labels;
	LinkModel  *lm;
	LinkArray	ix;				/* IdIndex: the records by the hash of their ids */
	double		counts[LINK_MAX_COLUMNS][LINK_MAX_LEVELS];
	int64		matches = 0,
				unknown = 0;
	StringInfoData sql;
	MemoryContext outer = CurrentMemoryContext;

	for (int i = 0; i < 5; i++)
		if (PG_ARGISNULL(i))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("argument %d of train_model_labelled must not be NULL", i + 1)));
	name = PG_GETARG_TEXT_PP(0);
	relid = PG_GETARG_OID(1);
	labels = PG_GETARG_OID(4);
	if (VARSIZE_ANY_EXHDR(name) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("model_name must not be empty")));
	link_check_relation(relid);
	link_check_relation(labels);
	{
		static const char *const needed[3] = {"id_a", "id_b", "is_match"};

		for (int i = 0; i < 3; i++)
			if (get_attnum(labels, needed[i]) == InvalidAttrNumber)
				ereport(ERROR,
						(errcode(ERRCODE_UNDEFINED_COLUMN),
						 errmsg("column \"%s\" of the labels does not exist in %s", needed[i], get_rel_name(labels)),
						 errhint("Labels are pairs of record ids (id_a, id_b) and whether they are one person (is_match).")));
	}
	InitMaterializedSRF(fcinfo, 0);
	lm = link_run(&relid, 1, NameStr(*PG_GETARG_NAME(2)), PG_GETARG_JSONB_P(3), NULL, outer);
	if (lm->nrecords == 0)
		return (Datum) 0;

	{
		LinkArray	unsorted;

		link_array_init(&unsorted, sizeof(IdIndex));
		for (int i = 0; i < lm->nrecords; i++)
		{
			IdIndex		e;

			if ((i & 0x3FFF) == 0)
				CHECK_FOR_INTERRUPTS();
			e.hash = id_hash(LINK_REC(lm, i)->id);
			e.index = i;
			*(IdIndex *) link_array_push(lm, &unsorted) = e;
		}
		link_array_sort(lm, &unsorted, id_index_cmp, &ix);
	}
	memset(counts, 0, sizeof(counts));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "train_model_labelled: SPI_connect failed");
	initStringInfo(&sql);
	appendStringInfo(&sql, "SELECT id_a::text, id_b::text FROM %s WHERE is_match",
					 rel_text(labels));
	if (SPI_execute(sql.data, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "train_model_labelled: could not read the labels");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		char	   *a = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
		char	   *b = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2);
		int32		ra = a ? record_of(lm, &ix, a) : -1;
		int32		rb = b ? record_of(lm, &ix, b) : -1;
		uint8		level[LINK_MAX_COLUMNS];

		if ((i & 0x3FF) == 0)
			CHECK_FOR_INTERRUPTS();
		if (ra < 0 || rb < 0)
		{
			unknown++;
			continue;
		}
		link_compare(lm, LINK_REC(lm, ra), LINK_REC(lm, rb), level);
		for (int c = 0; c < lm->ncolumns; c++)
			counts[c][level[c]] += 1;
		matches++;
	}
	SPI_finish();
	if (unknown > 0)
		ereport(WARNING,
				(errcode(ERRCODE_WARNING),
				 errmsg(INT64_FORMAT " labelled pairs name records that are not in %s; they are ignored",
						unknown, get_rel_name(relid))));
	if (matches == 0)
		ereport(WARNING,
				(errcode(ERRCODE_WARNING),
				 errmsg("no labelled matching pair: m stays as trained without labels")));
	for (int c = 0; c < lm->ncolumns && matches > 0; c++)
	{
		LinkColumn *col = &lm->columns[c];
		double		n = 0;

		for (int l = 1; l < col->nlevels; l++)
			n += counts[c][l];
		if (n == 0)
			continue;			/* no labelled pair has both values: keep EM's */
		for (int l = 1; l < col->nlevels; l++)
			col->m[l] = (counts[c][l] + 0.1) / (n + 0.1 * (col->nlevels - 1));
		link_floor_no_move(col, col->m);
		col->m_from = LINK_M_FROM_LABELS;
	}
	link_store_model(name, lm, DatumGetCString(DirectFunctionCall1(jsonb_out, PG_GETARG_DATUM(3))),
					 psprintf("%s (m from " INT64_FORMAT " labelled pairs)", rel_text(relid), matches),
					 rsinfo);
	link_store_close(lm);
	return (Datum) 0;
}
