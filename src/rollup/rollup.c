/*
 * rollup.c
 *		Incremental indicator rollups: periods, the measure's parser, and the
 *		capture trigger that turns a statement's transition tables into signed
 *		per-group deltas.
 *
 * An indicator (brent_mdm.define_indicator, rollup.sql) is kept in tables
 * of schema brent_mdm_rollup:
 *   <name>_base    one row per group, folded: dims, period, _n (rows),
 *                  _c (rows counted by the measure), _s (sum, numeric)
 *   <name>_delta   the same columns as arrays, signed, appended by writers
 *                  (a row holds the groups of one statement, or a few
 *                  hundred of them); no index
 *   <name>_vbase / <name>_vdelta   for count(distinct), min and max: per
 *                  group, per value, the number of rows holding it
 * and read through the view brent_mdm_rollup.<name>, which sums the folded
 * rows and the pending deltas.
 *
 * Writers never update a shared row: each statement's AFTER trigger (one
 * per event, statement level, with its transition tables) reads OLD TABLE
 * (sign -1) and NEW TABLE (sign +1), aggregates them in a hash table keyed
 * by group (groupkey.c), and appends one delta per group whose change is not
 * nil, as arrays.  Concurrent
 * writers append to the same heap without waiting for each other; each
 * delta becomes visible when its writer commits, with the rows it counts.
 *
 * The definition is carried by the trigger's arguments (written by
 * define_indicator, kept by pg_dump with the trigger), so a writer reads no
 * catalogue table and needs no privilege on the rollup: the deltas are
 * inserted here, below the permission checks, as the extension's own.
 * What the arguments describe (column numbers, the compiled filter, the
 * hash functions) is cached per trigger and dropped when the relcache entry
 * of the source or of a delta table is invalidated.
 */
#include "postgres.h"

#include "access/detoast.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/partition.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "common/int.h"
#include "executor/executor.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parse_oper.h"
#include "parser/parser.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "storage/lmgr.h"
#include "utils/syscache.h"
#include "utils/ruleutils.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "brent_mdm.h"
#include "policy/policy.h"
#include "rollup/groupkey.h"
#include "rollup/rollup.h"

/* ---- grains ---- */

typedef enum RollupGrain
{
	GRAIN_NONE = 0,
	GRAIN_DAY,
	GRAIN_WEEK,
	GRAIN_MONTH,
	GRAIN_QUARTER,
	GRAIN_YEAR,
	GRAIN_FINANCIAL_YEAR,
	GRAIN_ACADEMIC_YEAR
} RollupGrain;

static const char *const grain_names[] = {
	"", "day", "week", "month", "quarter", "year", "financial_year", "academic_year"
};

#define GRAIN_LIST "day, week (ISO, from Monday), month, quarter, year, financial_year (from 1 April), academic_year (from 1 September)"

static RollupGrain
grain_from_name(const char *name)
{
	for (int i = GRAIN_DAY; i <= GRAIN_ACADEMIC_YEAR; i++)
		if (strcmp(name, grain_names[i]) == 0)
			return (RollupGrain) i;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown grain \"%.64s\"", name),
			 errhint("A grain is one of: " GRAIN_LIST ".")));
	return GRAIN_NONE;			/* keep the compiler quiet */
}

/* first day of the period of d (infinite dates stay as they are) */
static DateADT
period_start(DateADT d, RollupGrain grain)
{
	int			jd,
				y,
				m,
				day,
				start;

	if (DATE_NOT_FINITE(d) || grain == GRAIN_DAY)
		return d;
	jd = d + POSTGRES_EPOCH_JDATE;
	if (grain == GRAIN_WEEK)
	{
		/* j2day: 0 = Sunday; ISO weeks start on Monday */
		start = jd - (j2day(jd) + 6) % 7;
	}
	else
	{
		j2date(jd, &y, &m, &day);
		switch (grain)
		{
			case GRAIN_MONTH:
				break;
			case GRAIN_QUARTER:
				m = ((m - 1) / 3) * 3 + 1;
				break;
			case GRAIN_YEAR:
				m = 1;
				break;
			case GRAIN_FINANCIAL_YEAR:
				if (m < 4)
					y--;
				m = 4;
				break;
			case GRAIN_ACADEMIC_YEAR:
				if (m < 9)
					y--;
				m = 9;
				break;
			default:
				elog(ERROR, "unexpected grain %d", (int) grain);
		}
		/* j2date gives year 0 for 1 BC; date2j counts the same way */
		start = date2j(y, m, 1);
	}
	if (start < 0 || !IS_VALID_DATE(start - POSTGRES_EPOCH_JDATE))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("the %s of date %s starts out of range", grain_names[grain],
						DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(d))))));
	return start - POSTGRES_EPOCH_JDATE;
}

/*
 * brent_mdm.period_start(d date, grain text) RETURNS date
 * IMMUTABLE STRICT.
 */
PG_FUNCTION_INFO_V1(rollup_period_start);
Datum
rollup_period_start(PG_FUNCTION_ARGS)
{
	DateADT		d = PG_GETARG_DATEADT(0);
	char	   *g = text_to_cstring(PG_GETARG_TEXT_PP(1));

	PG_RETURN_DATEADT(period_start(d, grain_from_name(g)));
}

/* ---- the measure ---- */

typedef enum RollupKind
{
	KIND_COUNT_ROWS,			/* count(*) */
	KIND_COUNT,					/* count(col) */
	KIND_COUNT_DISTINCT,
	KIND_SUM,
	KIND_AVG,
	KIND_MIN,
	KIND_MAX
} RollupKind;

static const char *const kind_names[] = {
	"count_rows", "count", "count_distinct", "sum", "avg", "min", "max"
};

#define MEASURE_FORMS "count(*), count(col), count(distinct col), sum(col), avg(col), min(col) or max(col), optionally followed by filter (where <condition>)"

static RollupKind
kind_from_name(const char *name)
{
	for (int i = 0; i < (int) lengthof(kind_names); i++)
		if (strcmp(name, kind_names[i]) == 0)
			return (RollupKind) i;
	elog(ERROR, "unknown rollup aggregate \"%s\"", name);
	return KIND_COUNT_ROWS;
}

static bool
kind_has_values(RollupKind kind)
{
	return kind == KIND_COUNT_DISTINCT || kind == KIND_MIN || kind == KIND_MAX;
}

static bool
kind_sums(RollupKind kind)
{
	return kind == KIND_SUM || kind == KIND_AVG;
}

/* a column whose sum is kept exact: integers and numeric */
static bool
summable_type(Oid typid)
{
	typid = getBaseType(typid);
	return typid == INT2OID || typid == INT4OID || typid == INT8OID || typid == NUMERICOID;
}

/* the equality operator of a type, which must hash (and sort, when asked) */
static Oid
group_eq_operator(Oid typid, bool need_order, const char *what, const char *colname)
{
	Oid			lt,
				eq,
				gt;
	bool		hashable;

	get_sort_group_operators(typid, need_order, true, need_order, &lt, &eq, &gt, &hashable);
	if (!OidIsValid(eq) || !hashable)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("%s \"%s\" is of type %s, which cannot be grouped by hashing",
						what, colname, format_type_be(typid)),
				 errhint("Use a column whose type has hashable equality (text, integers, numeric, dates, ...).")));
	return eq;
}

/*
 * brent_mdm.rollup_groupable(t regtype) RETURNS boolean: whether a
 * dimension of type t can be grouped by the capture trigger.  Internal.
 */
PG_FUNCTION_INFO_V1(rollup_groupable);
Datum
rollup_groupable(PG_FUNCTION_ARGS)
{
	Oid			typid = PG_GETARG_OID(0);
	Oid			eq;
	bool		hashable;

	if (!SearchSysCacheExists1(TYPEOID, ObjectIdGetDatum(typid)))
		PG_RETURN_BOOL(false);
	get_sort_group_operators(typid, false, false, false, NULL, &eq, NULL, &hashable);
	PG_RETURN_BOOL(OidIsValid(eq) && hashable);
}

/* measure filters: columns of the table's rows, no system column */
static bool
no_system_column_walker(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, Var) && ((Var *) node)->varattno <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("a measure's filter can only refer to the table's own columns"),
				 errdetail("System columns and whole-row references are not kept in transition tables.")));
	return expression_tree_walker(node, no_system_column_walker, context);
}

static Node *
measure_filter_analyse(Relation rel, Node *raw, const char *source)
{
	Node	   *qual = policy_condition_analyse(rel, raw, source,
												"a measure's filter", "A measure's filter");

	(void) no_system_column_walker(qual, NULL);

	/*
	 * Immutable only: a row is counted once, as it is written, by whoever
	 * writes it (and counted out, on a DROP or DETACH of a partition, by
	 * whoever runs that): a condition on the clock, the session's settings
	 * or a role's privileges (now(), current_setting, has_table_privilege)
	 * would count it otherwise than a recount, and tell whoever wrote the
	 * filter something of each writer's session.
	 */
	if (contain_mutable_functions(qual))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("a measure's filter must be immutable"),
				 errdetail("An indicator counts each row once, when it is written, in the writer's session: a condition on the time, the session's settings or a role's privileges would count rows otherwise than verify_indicator's recount."),
				 errhint("Compare the table's columns with constants, using immutable functions and operators (a date column, not a cast of text; a timestamp without time zone, or the period_column and grain, for time).")));
	return qual;
}

/*
 * brent_mdm.indicator_measure(source regclass, measure text,
 *     OUT aggregate text, OUT measure_column name, OUT filter text,
 *     OUT measure text)
 *
 * The measure read as one aggregate call over one column of the source (or
 * count(*)), with an optional FILTER condition analysed like a DPIA's row
 * filter (the table's own columns, built-in or C functions, no subquery)
 * and deparsed to its canonical form.  Nothing of the text is run; what
 * define_indicator writes into SQL is the column's name (quoted there) and
 * the deparsed condition.  STABLE STRICT; Internal.
 */
PG_FUNCTION_INFO_V1(rollup_indicator_measure);
Datum
rollup_indicator_measure(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	char	   *measure = text_to_cstring(PG_GETARG_TEXT_PP(1));
	Node	   *expr;
	FuncCall   *fc;
	char	   *fname;
	RollupKind	kind;
	char	   *colname = NULL;
	char	   *filter = NULL;
	Relation	rel;
	TupleDesc	tupdesc;
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};
	StringInfoData canon;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));

	expr = policy_parse_expression(measure);
	if (expr == NULL || !IsA(expr, FuncCall))
		ereport(ERROR,
				(errcode(ERRCODE_SYNTAX_ERROR),
				 errmsg("a measure must be one aggregate call"),
				 errdetail("Measure: %.200s", measure),
				 errhint("A measure is " MEASURE_FORMS ".")));
	fc = (FuncCall *) expr;

	if (list_length(fc->funcname) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("unknown measure \"%.64s\"", NameListToString(fc->funcname)),
				 errhint("A measure is " MEASURE_FORMS "; aggregates are named without a schema.")));
	fname = strVal(linitial(fc->funcname));
	if (strcmp(fname, "count") == 0)
		kind = fc->agg_star ? KIND_COUNT_ROWS : fc->agg_distinct ? KIND_COUNT_DISTINCT : KIND_COUNT;
	else if (strcmp(fname, "sum") == 0)
		kind = KIND_SUM;
	else if (strcmp(fname, "avg") == 0)
		kind = KIND_AVG;
	else if (strcmp(fname, "min") == 0)
		kind = KIND_MIN;
	else if (strcmp(fname, "max") == 0)
		kind = KIND_MAX;
	else
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("unknown measure \"%.64s\"", fname),
				 errhint("A measure is " MEASURE_FORMS ".")));
	if (fc->agg_order != NIL || fc->agg_within_group || fc->over != NULL ||
		fc->func_variadic || (fc->agg_distinct && kind != KIND_COUNT_DISTINCT) ||
		(fc->agg_star && kind != KIND_COUNT_ROWS))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("measure %s(...) is not supported in this form", fname),
				 errdetail("Measure: %.200s", measure),
				 errhint("A measure is " MEASURE_FORMS ".")));
	if (kind == KIND_COUNT_ROWS)
	{
		if (fc->args != NIL)
			ereport(ERROR, (errcode(ERRCODE_SYNTAX_ERROR), errmsg("count(*) takes no argument")));
	}
	else
	{
		ColumnRef  *cr;

		if (list_length(fc->args) != 1 || !IsA(linitial(fc->args), ColumnRef) ||
			list_length((cr = linitial_node(ColumnRef, fc->args))->fields) != 1 ||
			!IsA(linitial(cr->fields), String))
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("the argument of measure %s must be one column of the source table", fname),
					 errdetail("Measure: %.200s", measure),
					 errhint("Write the column's name alone, e.g. sum(amount); expressions are not measured.")));
		colname = strVal(linitial(cr->fields));
	}

	rel = table_open(relid, AccessShareLock);
	if (colname != NULL)
	{
		AttrNumber	att = get_attnum(relid, colname);
		Oid			typid;

		if (att == InvalidAttrNumber || att < 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("column \"%s\" of %s does not exist", colname, RelationGetRelationName(rel)),
					 errhint("The measure's column must be a column of the source table.")));
		typid = TupleDescAttr(RelationGetDescr(rel), att - 1)->atttypid;
		if (kind_sums(kind) && !summable_type(typid))
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("measure %s needs a numeric column: \"%s\" is of type %s",
							fname, colname, format_type_be(typid)),
					 errhint("sum and avg are kept exactly for integer and numeric columns; count(%s) counts a column of any type.",
							 quote_identifier(colname))));
		if (kind_has_values(kind))
			(void) group_eq_operator(typid, kind != KIND_COUNT_DISTINCT, "the measure's column", colname);
	}
	if (fc->agg_filter != NULL)
	{
		Node	   *qual = measure_filter_analyse(rel, fc->agg_filter, measure);

		filter = deparse_expression(qual, deparse_context_for(RelationGetRelationName(rel), relid),
									false, false);
	}
	table_close(rel, AccessShareLock);

	initStringInfo(&canon);
	if (kind == KIND_COUNT_ROWS)
		appendStringInfoString(&canon, "count(*)");
	else
		appendStringInfo(&canon, "%s(%s%s)", fname, kind == KIND_COUNT_DISTINCT ? "DISTINCT " : "",
						 quote_identifier(colname));
	if (filter)
		appendStringInfo(&canon, " FILTER (WHERE %s)", filter);

	values[0] = CStringGetTextDatum(kind_names[kind]);
	if (colname)
		values[1] = DirectFunctionCall1(namein, CStringGetDatum(colname));
	else
		nulls[1] = true;
	if (filter)
		values[2] = CStringGetTextDatum(filter);
	else
		nulls[2] = true;
	values[3] = CStringGetTextDatum(canon.data);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc), values, nulls)));
}

/* ---- the capture trigger ---- */

/* trigger arguments, in this order (define_indicator writes them) */
enum
{
	ARG_NAME,
	ARG_KIND,
	ARG_COLUMN,
	ARG_FILTER,
	ARG_PERIOD_COLUMN,
	ARG_GRAIN,
	ARG_TIME_ZONE,
	ARG_DELTA,
	ARG_VDELTA,
	ARG_FIRST_DIM
};

/* a column of a delta table: an array of elem */
typedef struct DeltaCol
{
	Oid			elem;
	int16		typlen;
	bool		byval;
	char		align;
} DeltaCol;

typedef struct CaptureInfo
{
	Oid			tgoid;			/* hash key */
	bool		valid;
	MemoryContext cxt;
	Oid			relid;
	char	   *name;
	RollupKind	kind;
	int			ndims;
	AttrNumber *dim_att;		/* in the trigger's relation */
	AttrNumber	period_att;		/* 0: no period */
	Oid			period_type;	/* base type: date, timestamp, timestamptz */
	RollupGrain grain;
	Datum		time_zone;		/* text */
	AttrNumber	meas_att;		/* 0: count(*) */
	Oid			meas_type;		/* base type */
	ExprState  *filter;			/* NULL: none */
	AttrNumber	max_att;		/* the last of the columns above */
	Oid			delta_relid;
	Oid			vdelta_relid;	/* InvalidOid unless kind_has_values */
	DeltaCol   *delta_cols;		/* the element types of their array columns */
	DeltaCol   *vdelta_cols;
	/* group key: dims + period (+ value) */
	TupleDesc	gdesc;
	AttrNumber *gcols;
	Oid		   *geqfuncs;
	FmgrInfo   *ghashfns;
	Oid		   *gcolls;
	char	   *gkinds;			/* groupkey_kinds: NULL unless keys are bytes */
	bool		key_varlena;	/* a dimension (or counted value) of variable length */
	bool		value_varlena;	/* the counted value (count(distinct), min, max) too */
	TupleDesc	vdesc;
	AttrNumber *vcols;
	Oid		   *veqfuncs;
	FmgrInfo   *vhashfns;
	Oid		   *vcolls;
	char	   *vkinds;
} CaptureInfo;

/* per group, what one statement changed */
typedef struct GroupDelta
{
	int64		n;				/* rows */
	int64		c;				/* rows the measure counts */
	int64		isum;			/* sum of integer values, while it fits */
	Datum		nsum;			/* numeric sum beyond it; 0 = none */
} GroupDelta;

static HTAB *capture_cache = NULL;

static void
capture_relcache_callback(Datum arg, Oid relid)
{
	HASH_SEQ_STATUS status;
	CaptureInfo *info;

	if (capture_cache == NULL)
		return;
	hash_seq_init(&status, capture_cache);
	while ((info = hash_seq_search(&status)) != NULL)
		if (relid == InvalidOid || info->relid == relid || info->delta_relid == relid ||
			info->vdelta_relid == relid)
			info->valid = false;
}

static AttrNumber
capture_column(Relation rel, const char *indicator, const char *colname, Oid *typid)
{
	AttrNumber	att = get_attnum(RelationGetRelid(rel), colname);

	if (att == InvalidAttrNumber || att < 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("indicator %s: column \"%s\" of %s no longer exists",
						indicator, colname, RelationGetRelationName(rel)),
				 errhint("Drop the indicator (brent_mdm.drop_indicator) and define it again over the table as it is now.")));
	*typid = TupleDescAttr(RelationGetDescr(rel), att - 1)->atttypid;
	return att;
}

static Oid
capture_delta_relid(const char *indicator, const char *relname, int natts, Oid *types, DeltaCol **cols)
{
	Oid			nsp = get_namespace_oid("brent_mdm_rollup", false);
	Oid			relid = get_relname_relid(relname, nsp);
	Relation	rel;
	TupleDesc	desc;
	bool		ok;

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("indicator %s: its table brent_mdm_rollup.%s is missing", indicator, relname),
				 errhint("Drop the indicator (brent_mdm.drop_indicator) and define it again.")));
	*cols = palloc(sizeof(DeltaCol) * natts);
	rel = table_open(relid, AccessShareLock);
	desc = RelationGetDescr(rel);
	ok = rel->rd_rel->relkind == RELKIND_RELATION && !rel->rd_rel->relhasindex &&
		desc->natts == natts;
	for (int i = 0; ok && i < natts; i++)
	{
		Oid			arraytype = get_array_type(types[i]);

		ok = !TupleDescAttr(desc, i)->attisdropped && OidIsValid(arraytype) &&
			TupleDescAttr(desc, i)->atttypid == arraytype;
		(*cols)[i].elem = types[i];
		if (ok)
			get_typlenbyvalalign(types[i], &(*cols)[i].typlen, &(*cols)[i].byval, &(*cols)[i].align);
	}
	table_close(rel, AccessShareLock);
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("indicator %s: brent_mdm_rollup.%s no longer matches its source", indicator, relname),
				 errdetail("A delta table has arrays of the source's dimension columns, of the same types, then of periods, the counts and the sums, and no index."),
				 errhint("A source column changed type: drop the indicator (brent_mdm.drop_indicator) and define it again.")));
	return relid;
}

/* hash/equality support of a key made of the first ncols columns of desc */
static void
capture_key(TupleDesc desc, int ncols, AttrNumber **cols, Oid **eqfuncs, FmgrInfo **hashfns,
			Oid **colls)
{
	Oid		   *eqops = palloc(sizeof(Oid) * ncols);

	*cols = palloc(sizeof(AttrNumber) * ncols);
	*colls = palloc(sizeof(Oid) * ncols);
	for (int i = 0; i < ncols; i++)
	{
		Form_pg_attribute a = TupleDescAttr(desc, i);

		(*cols)[i] = i + 1;
		(*colls)[i] = a->attcollation;
		eqops[i] = group_eq_operator(a->atttypid, false, "column", NameStr(a->attname));
	}
	execTuplesHashPrepare(ncols, eqops, eqfuncs, hashfns);
}

/*
 * A capture trigger acts for the indicator its arguments name only on that
 * indicator's source (or a partition of it), and writes only that indicator's
 * delta tables: the deltas are written below privilege checks, so a trigger
 * made by hand on another table (by a role that may execute rollup_capture,
 * as a definer of indicators must) would otherwise feed, or empty, another
 * role's indicator.  Read from brent_mdm.indicator itself (the writer needs
 * no privilege on it), once per trigger and cache fill.
 */
/*
 * Calls visit(name, source, arg) for each row of the catalogue
 * brent_mdm.indicator (read below privileges: it is the extension's), until
 * visit returns false.
 */
static void
indicator_catalogue_scan(bool (*visit) (const char *name, Oid source, void *arg), void *arg)
{
	Oid			nsp = get_namespace_oid("brent_mdm", true);
	Oid			catalog = OidIsValid(nsp) ? get_relname_relid("indicator", nsp) : InvalidOid;
	Relation	crel;
	TupleDesc	desc;
	Snapshot	snap;
	TableScanDesc scan;
	HeapTuple	tup;

	if (!OidIsValid(catalog))
		return;
	crel = table_open(catalog, AccessShareLock);
	desc = RelationGetDescr(crel);
	snap = RegisterSnapshot(GetLatestSnapshot());
	scan = table_beginscan(crel, snap, 0, NULL);
	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		bool		nnull,
					snull;
		Datum		n = heap_getattr(tup, 1, desc, &nnull);
		Datum		src = heap_getattr(tup, 2, desc, &snull);

		CHECK_FOR_INTERRUPTS();
		if (!nnull && !visit(TextDatumGetCString(n), snull ? InvalidOid : DatumGetObjectId(src), arg))
			break;
	}
	table_endscan(scan);
	UnregisterSnapshot(snap);
	table_close(crel, AccessShareLock);
}

typedef struct SourceOf
{
	const char *name;
	Oid			source;
} SourceOf;

static bool
visit_source_of(const char *name, Oid source, void *arg)
{
	SourceOf   *so = (SourceOf *) arg;

	if (strcmp(name, so->name) != 0)
		return true;
	so->source = source;
	return false;
}

static void
capture_check_registered(Relation rel, Trigger *tg)
{
	char	  **args = tg->tgargs;
	const char *name = args[ARG_NAME];
	SourceOf	so = {name, InvalidOid};
	Oid			source;
	Oid			relid = RelationGetRelid(rel);
	bool		ok = false;
	char		expected[NAMEDATALEN + 16];

	indicator_catalogue_scan(visit_source_of, &so);
	source = so.source;
	if (OidIsValid(source))
		ok = relid == source ||
			(rel->rd_rel->relispartition && list_member_oid(get_partition_ancestors(relid), source));
	snprintf(expected, sizeof(expected), "%s_delta", name);
	ok = ok && strcmp(args[ARG_DELTA], expected) == 0;
	snprintf(expected, sizeof(expected), "%s_vdelta", name);
	ok = ok && (args[ARG_VDELTA][0] == '\0' || strcmp(args[ARG_VDELTA], expected) == 0);
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("trigger %s on %s is not a capture trigger of indicator %s",
						tg->tgname, RelationGetRelationName(rel), name),
				 errdetail("Indicator %s is not defined over this table (brent_mdm.indicator).", name),
				 errhint("Capture triggers are made by brent_mdm.define_indicator only.")));
}

static CaptureInfo *
capture_info(TriggerData *td)
{
	Trigger    *tg = td->tg_trigger;
	Relation	rel = td->tg_relation;
	CaptureInfo *info;
	bool		found;
	MemoryContext old;
	char	  **args = tg->tgargs;
	int			ndims;
	Oid		   *types;

	if (capture_cache == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(CaptureInfo);
		capture_cache = hash_create("brent_mdm rollup triggers", 16, &ctl, HASH_ELEM | HASH_BLOBS);
		CacheRegisterRelcacheCallback(capture_relcache_callback, (Datum) 0);
	}
	info = hash_search(capture_cache, &tg->tgoid, HASH_ENTER, &found);
	if (found && info->valid)
		return info;
	if (found && info->cxt)
		cache_retire(info->cxt);	/* a capture up the stack may hold it */
	info->valid = false;
	info->cxt = NULL;
	info->relid = RelationGetRelid(rel);
	info->delta_relid = InvalidOid;
	info->vdelta_relid = InvalidOid;
	info->gkinds = info->vkinds = NULL;

	if (tg->tgnargs < ARG_FIRST_DIM)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("trigger %s is not a rollup trigger made by define_indicator", tg->tgname)));
	capture_check_registered(rel, tg);

	info->cxt = AllocSetContextCreate(CacheMemoryContext, "brent_mdm rollup trigger",
									  ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(info->cxt);

	info->name = pstrdup(args[ARG_NAME]);
	info->kind = kind_from_name(args[ARG_KIND]);
	ndims = info->ndims = tg->tgnargs - ARG_FIRST_DIM;
	info->dim_att = palloc(sizeof(AttrNumber) * (ndims + 1));
	types = palloc(sizeof(Oid) * (ndims + 5));
	for (int i = 0; i < ndims; i++)
		info->dim_att[i] = capture_column(rel, info->name, args[ARG_FIRST_DIM + i], &types[i]);
	types[ndims] = DATEOID;

	info->period_att = 0;
	info->grain = GRAIN_NONE;
	if (args[ARG_PERIOD_COLUMN][0] != '\0')
	{
		Oid			t;

		info->period_att = capture_column(rel, info->name, args[ARG_PERIOD_COLUMN], &t);
		info->period_type = getBaseType(t);
		if (info->period_type != DATEOID && info->period_type != TIMESTAMPOID &&
			info->period_type != TIMESTAMPTZOID)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("indicator %s: period column \"%s\" is no longer a date or timestamp",
							info->name, args[ARG_PERIOD_COLUMN]),
					 errhint("Drop the indicator (brent_mdm.drop_indicator) and define it again.")));
		info->grain = grain_from_name(args[ARG_GRAIN]);
	}
	info->time_zone = CStringGetTextDatum(args[ARG_TIME_ZONE]);

	info->meas_att = 0;
	if (info->kind != KIND_COUNT_ROWS)
	{
		Oid			t;

		info->meas_att = capture_column(rel, info->name, args[ARG_COLUMN], &t);
		info->meas_type = getBaseType(t);
		if (kind_sums(info->kind) && !summable_type(t))
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("indicator %s: column \"%s\" is no longer an integer or numeric column",
							info->name, args[ARG_COLUMN]),
					 errhint("Drop the indicator (brent_mdm.drop_indicator) and define it again.")));
		if (kind_has_values(info->kind))
			info->meas_type = t;	/* the value is stored as the column's type */
	}

	info->max_att = Max(info->period_att, info->meas_att);
	for (int i = 0; i < ndims; i++)
		info->max_att = Max(info->max_att, info->dim_att[i]);

	info->filter = NULL;
	if (args[ARG_FILTER][0] != '\0')
	{
		Node	   *expr;
		Node	   *qual;
		Expr	   *planned;
		int			nest = NewGUCNestLevel();

		/*
		 * The filter was deparsed by define_indicator under this search path:
		 * read it under the same one, whatever the writer's path is.
		 */
		(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
		expr = policy_parse_expression(args[ARG_FILTER]);
		if (expr == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
					 errmsg("indicator %s: its filter is not one condition", info->name),
					 errhint("Drop the indicator (brent_mdm.drop_indicator) and define it again.")));
		qual = measure_filter_analyse(rel, expr, args[ARG_FILTER]);
		AtEOXact_GUC(true, nest);
		planned = expression_planner((Expr *) qual);
		info->filter = ExecInitQual(make_ands_implicit(planned), NULL);
	}

	/* the group key: dims, period, _sc (the measured value's display scale) */
	info->gdesc = CreateTemplateTupleDesc(ndims + 2);
	for (int i = 0; i < ndims; i++)
	{
		Form_pg_attribute a = TupleDescAttr(RelationGetDescr(rel), info->dim_att[i] - 1);

		TupleDescInitEntry(info->gdesc, i + 1, NameStr(a->attname), a->atttypid, a->atttypmod, 0);
		TupleDescInitEntryCollation(info->gdesc, i + 1, a->attcollation);
	}
	TupleDescInitEntry(info->gdesc, ndims + 1, "period", DATEOID, -1, 0);
	TupleDescInitEntry(info->gdesc, ndims + 2, "_sc", INT2OID, -1, 0);
	capture_key(info->gdesc, ndims + 2, &info->gcols, &info->geqfuncs, &info->ghashfns, &info->gcolls);
	info->gkinds = groupkey_kinds(info->gdesc, ndims + 2);
	info->key_varlena = info->value_varlena = false;
	for (int i = 0; i < ndims; i++)
		info->key_varlena |= TupleDescAttr(info->gdesc, i)->attlen == -1;

	/* delta: dims, period, _sc, _n, _c, _s */
	types[ndims + 1] = INT2OID;
	types[ndims + 2] = INT8OID;
	types[ndims + 3] = INT8OID;
	types[ndims + 4] = NUMERICOID;
	info->delta_relid = capture_delta_relid(info->name, args[ARG_DELTA], ndims + 5, types, &info->delta_cols);

	if (kind_has_values(info->kind))
	{
		Form_pg_attribute a = TupleDescAttr(RelationGetDescr(rel), info->meas_att - 1);

		info->vdesc = CreateTemplateTupleDesc(ndims + 2);
		for (int i = 0; i <= ndims; i++)
			TupleDescCopyEntry(info->vdesc, i + 1, info->gdesc, i + 1);
		TupleDescInitEntry(info->vdesc, ndims + 2, "_v", a->atttypid, a->atttypmod, 0);
		TupleDescInitEntryCollation(info->vdesc, ndims + 2, a->attcollation);
		capture_key(info->vdesc, ndims + 2, &info->vcols, &info->veqfuncs, &info->vhashfns, &info->vcolls);
		info->vkinds = groupkey_kinds(info->vdesc, ndims + 2);
		info->value_varlena = a->attlen == -1;
		info->key_varlena |= info->value_varlena;
		/* vdelta: dims, period, _v, _n */
		types[ndims + 1] = a->atttypid;
		types[ndims + 2] = INT8OID;
		info->vdelta_relid = capture_delta_relid(info->name, args[ARG_VDELTA], ndims + 3, types, &info->vdelta_cols);
	}
	MemoryContextSwitchTo(old);
	info->valid = true;
	return info;
}

static DateADT
capture_period(CaptureInfo *info, Datum v)
{
	DateADT		d;

	switch (info->period_type)
	{
		case DATEOID:
			d = DatumGetDateADT(v);
			break;
		case TIMESTAMPOID:
			d = DatumGetDateADT(DirectFunctionCall1(timestamp_date, v));
			break;
		default:
			/* timestamptz: the date where the indicator's time zone is */
			d = DatumGetDateADT(DirectFunctionCall1(timestamp_date,
													DirectFunctionCall2(timestamptz_zone, info->time_zone, v)));
			break;
	}
	return period_start(d, info->grain);
}

static void
overflow_error(CaptureInfo *info)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("indicator %s: a count is out of range", info->name)));
}

/*
 * The dimensions of a row (and the value count(distinct), min or max count),
 * together, must fit the folded tables' unique indexes (a btree entry holds
 * about 2.7 kB): a longer key would be appended as a delta and then stop
 * every fold of the indicator.  Checked on their raw size, whatever
 * compression would do.
 */
#define ROLLUP_KEY_MAX_BYTES 2000

static void
check_key_size(CaptureInfo *info, Datum *values, bool *isnull, Datum counted_value)
{
	Size		total = 0;

	for (int i = 0; i < info->ndims; i++)
		if (!isnull[i] && TupleDescAttr(info->gdesc, i)->attlen == -1)
			total += toast_raw_datum_size(values[i]);
	/* count(distinct), min, max: the value is a column of the values' index too */
	if (counted_value != (Datum) 0)
		total += toast_raw_datum_size(counted_value);
	if (total > ROLLUP_KEY_MAX_BYTES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("indicator %s: a row's group key takes %zu bytes, more than the %d an indicator can hold",
						info->name, total, ROLLUP_KEY_MAX_BYTES),
				 errdetail("The group key is the row's dimension values (and the value that count(distinct), min or max counts); the folded tables keep a unique index on it, whose entries are limited in size."),
				 errhint("Group by shorter values (a code rather than free text), or drop the indicator (brent_mdm.drop_indicator).")));
}

/* a numeric value a sum can take away again */
static void
check_summable(CaptureInfo *info, Numeric num)
{
	if (numeric_is_nan(num) || numeric_is_inf(num))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("indicator %s cannot sum %s", info->name,
						numeric_is_nan(num) ? "NaN" : "an infinite value"),
				 errdetail("A sum kept by deltas must be able to take a value away again."),
				 errhint("Store NULL for an unknown amount, or drop the indicator.")));
}

/* adds sign * value to a group's sum */
static void
add_to_sum(CaptureInfo *info, GroupDelta *g, Datum v, int sign, MemoryContext tablecxt)
{
	int64		x;
	MemoryContext old;

	switch (info->meas_type)
	{
		case INT2OID:
			x = DatumGetInt16(v);
			break;
		case INT4OID:
			x = DatumGetInt32(v);
			break;
		case INT8OID:
			x = DatumGetInt64(v);
			break;
		default:
			{
				check_summable(info, DatumGetNumeric(v));
				old = MemoryContextSwitchTo(tablecxt);
				if (sign < 0)
					v = DirectFunctionCall1(numeric_uminus, v);
				g->nsum = g->nsum == (Datum) 0 ? v : DirectFunctionCall2(numeric_add, g->nsum, v);
				if (g->nsum == v)
					g->nsum = PointerGetDatum(PG_DETOAST_DATUM_COPY(v));
				MemoryContextSwitchTo(old);
				return;
			}
	}
	if (sign < 0)
	{
		if (x == PG_INT64_MIN)
		{
			old = MemoryContextSwitchTo(tablecxt);
			v = DirectFunctionCall1(numeric_uminus, NumericGetDatum(int64_to_numeric(x)));
			g->nsum = g->nsum == (Datum) 0 ? v : DirectFunctionCall2(numeric_add, g->nsum, v);
			MemoryContextSwitchTo(old);
			return;
		}
		x = -x;
	}
	if (pg_add_s64_overflow(g->isum, x, &g->isum))
	{
		/* move what the integer holds to the numeric sum, then add */
		old = MemoryContextSwitchTo(tablecxt);
		v = NumericGetDatum(int64_to_numeric(g->isum));
		g->nsum = g->nsum == (Datum) 0 ? v : DirectFunctionCall2(numeric_add, g->nsum, v);
		MemoryContextSwitchTo(old);
		g->isum = x;
	}
}

/*
 * Reads one transition table (ts), or when ts is NULL every row of rel
 * (a partition about to be truncated), into the hash tables.
 */
static void
capture_scan(CaptureInfo *info, Relation rel, Tuplestorestate *ts, int sign,
			 GroupKeyTable *groups, GroupKeyTable *vals, MemoryContext tablecxt,
			 MemoryContext rowcxt, ExprContext *econtext)
{
	TupleTableSlot *in = ts ? MakeSingleTupleTableSlot(RelationGetDescr(rel), &TTSOpsMinimalTuple)
		: table_slot_create(rel, NULL);
	TableScanDesc scan = NULL;
	Snapshot	snap = NULL;
	int			ndims = info->ndims;
	Datum	   *values = palloc(sizeof(Datum) * (ndims + 2));
	bool	   *isnull = palloc(sizeof(bool) * (ndims + 2));
	int			ptr;

	if (ts)
	{
		/* a read pointer of our own: other triggers read the same store */
		ptr = tuplestore_alloc_read_pointer(ts, EXEC_FLAG_REWIND);
		tuplestore_select_read_pointer(ts, ptr);
		tuplestore_rescan(ts);
	}
	else
	{
		/* every row there is (TRUNCATE holds ACCESS EXCLUSIVE: none in flight) */
		snap = RegisterSnapshot(GetLatestSnapshot());
		scan = table_beginscan(rel, snap, 0, NULL);
	}
	while (ts ? tuplestore_gettupleslot(ts, true, false, in)
		   : table_scan_getnextslot(scan, ForwardScanDirection, in))
	{
		MemoryContext old;
		bool		isnew;
		bool		counted;
		bool		vnull = true;
		Datum		v = (Datum) 0;
		GroupDelta *g;

		CHECK_FOR_INTERRUPTS();
		old = MemoryContextSwitchTo(rowcxt);
		/* one pass over the tuple for every column read below */
		slot_getsomeattrs(in, info->max_att);
		for (int i = 0; i < ndims; i++)
		{
			values[i] = in->tts_values[info->dim_att[i] - 1];
			isnull[i] = in->tts_isnull[info->dim_att[i] - 1];
		}
		if (info->period_att)
		{
			Datum		p = in->tts_values[info->period_att - 1];

			isnull[ndims] = in->tts_isnull[info->period_att - 1];
			if (!isnull[ndims])
				values[ndims] = DateADTGetDatum(capture_period(info, p));
		}
		else
			isnull[ndims] = true;
		if (info->filter)
		{
			econtext->ecxt_scantuple = in;
			counted = ExecQual(info->filter, econtext);
		}
		else
			counted = true;
		if (info->meas_att)
		{
			v = in->tts_values[info->meas_att - 1];
			vnull = in->tts_isnull[info->meas_att - 1];
			if (vnull)
				counted = false;
		}
		if (info->key_varlena)
			check_key_size(info, values, isnull, vals != NULL && counted && info->value_varlena ? v : (Datum) 0);

		/*
		 * sum and avg: rows are kept apart by the display scale of their
		 * value, so that the view can give the sum the scale SQL's sum has
		 * (the largest among the rows there are now, not among all the rows
		 * there ever were): avg divides at a precision that depends on it.
		 */
		isnull[ndims + 1] = true;
		if (counted && kind_sums(info->kind))
		{
			int32		scale = 0;

			if (info->meas_type == NUMERICOID)
			{
				check_summable(info, DatumGetNumeric(v));
				scale = DatumGetInt32(DirectFunctionCall1(numeric_scale, v));
			}
			values[ndims + 1] = Int16GetDatum((int16) scale);
			isnull[ndims + 1] = false;
		}
		g = (GroupDelta *) groupkey_lookup(groups, values, isnull, &isnew);
		if (pg_add_s64_overflow(g->n, sign, &g->n))
			overflow_error(info);
		if (counted)
		{
			if (pg_add_s64_overflow(g->c, sign, &g->c))
				overflow_error(info);
			if (kind_sums(info->kind))
				add_to_sum(info, g, v, sign, tablecxt);
			if (vals)
			{
				int64	   *nv;

				values[ndims + 1] = v;
				isnull[ndims + 1] = false;
				nv = (int64 *) groupkey_lookup(vals, values, isnull, &isnew);
				if (pg_add_s64_overflow(*nv, sign, nv))
					overflow_error(info);
			}
		}
		MemoryContextSwitchTo(old);
		ResetExprContext(econtext);
		MemoryContextReset(rowcxt);
	}
	if (ts)
		tuplestore_select_read_pointer(ts, 0);
	else
	{
		table_endscan(scan);
		UnregisterSnapshot(snap);
	}
	ExecDropSingleTupleTableSlot(in);
}

/*
 * Deltas are appended as arrays: a delta row holds, column by column, the
 * arrays of the groups a statement changed (a few hundred of them, as many as
 * fill about DELTA_ROW_BYTES: the delta tables' toast_tuple_target is 8160, so
 * such a row stays whole on its page, uncompressed).  A heap row per group
 * cost about 1,400 instructions (its header, its share of the WAL record);
 * an element of an array a few dozen.  Readers unnest them
 * (brent_mdm.indicator_delta_rows).
 */
#define DELTA_ROW_BYTES 7000
#define DELTA_ROW_GROUPS 2048

typedef struct DeltaWriter
{
	Relation	rel;
	TupleTableSlot *slot;
	const DeltaCol *cols;
	int			ncols;
	CommandId	cid;
	int			n;				/* groups pending */
	Size		bytes;			/* their size, estimated */
	Datum	  **values;			/* per column, DELTA_ROW_GROUPS of them */
	bool	  **isnull;
	int64		groups;			/* groups written */
} DeltaWriter;

static void
delta_begin(DeltaWriter *w, Oid relid, const DeltaCol *cols)
{
	w->rel = table_open(relid, RowExclusiveLock);
	w->ncols = RelationGetDescr(w->rel)->natts;
	w->cols = cols;
	w->slot = MakeSingleTupleTableSlot(RelationGetDescr(w->rel), table_slot_callbacks(w->rel));
	w->cid = GetCurrentCommandId(true);
	w->n = 0;
	w->bytes = 0;
	w->groups = 0;
	w->values = palloc(sizeof(Datum *) * w->ncols);
	w->isnull = palloc(sizeof(bool *) * w->ncols);
	for (int c = 0; c < w->ncols; c++)
	{
		w->values[c] = palloc(sizeof(Datum) * DELTA_ROW_GROUPS);
		w->isnull[c] = palloc(sizeof(bool) * DELTA_ROW_GROUPS);
	}
}

/*
 * A column's pending values as an array: for fixed-length values passed by
 * value (integers, dates, timestamps), none NULL, written in place; the
 * others by construct_md_array (about 60 instructions an element).
 */
static Datum
delta_array(const DeltaCol *col, Datum *values, bool *isnull, int n)
{
	bool		anynull = false;
	int			lb = 1;

	for (int i = 0; i < n && !anynull; i++)
		anynull = isnull[i];
	if (!anynull && col->byval &&
		(col->typlen == 1 || col->typlen == 2 || col->typlen == 4 || col->typlen == 8))
	{
		/* each element at a multiple of its length: its alignment divides it */
		Size		nbytes = ARR_OVERHEAD_NONULLS(1) + (Size) col->typlen * n;
		ArrayType  *a = palloc0(nbytes);
		char	   *p;

		SET_VARSIZE(a, nbytes);
		a->ndim = 1;
		a->dataoffset = 0;
		a->elemtype = col->elem;
		*ARR_DIMS(a) = n;
		*ARR_LBOUND(a) = 1;
		p = (char *) a + ARR_OVERHEAD_NONULLS(1);	/* (ARR_DATA_PTR, without a NULL bitmap) */
		for (int i = 0; i < n; i++, p += col->typlen)
			store_att_byval(p, values[i], col->typlen);
		return PointerGetDatum(a);
	}
	return PointerGetDatum(construct_md_array(values, anynull ? isnull : NULL, 1, &n, &lb, col->elem,
											  col->typlen, col->byval, col->align));
}

/* the pending groups as one delta row */
static void
delta_flush(DeltaWriter *w)
{
	TupleTableSlot *slot = w->slot;

	if (w->n == 0)
		return;
	ExecClearTuple(slot);
	for (int c = 0; c < w->ncols; c++)
	{
		slot->tts_values[c] = delta_array(&w->cols[c], w->values[c], w->isnull[c], w->n);
		slot->tts_isnull[c] = false;
	}
	ExecStoreVirtualTuple(slot);
	table_tuple_insert(w->rel, slot, w->cid, 0, NULL);
	for (int c = 0; c < w->ncols; c++)
		pfree(DatumGetPointer(slot->tts_values[c]));
	ExecClearTuple(slot);
	w->groups += w->n;
	w->n = 0;
	w->bytes = 0;
}

/* a group's delta: a value per column (kept until the next flush) */
static void
delta_add(DeltaWriter *w, const Datum *values, const bool *isnull)
{
	for (int c = 0; c < w->ncols; c++)
	{
		const DeltaCol *col = &w->cols[c];

		w->values[c][w->n] = values[c];
		w->isnull[c][w->n] = isnull[c];
		if (isnull[c])
			continue;
		w->bytes += col->typlen > 0 ? (Size) col->typlen + 4 :
			VARSIZE_ANY(DatumGetPointer(values[c])) + 4;
	}
	if (++w->n == DELTA_ROW_GROUPS || w->bytes >= DELTA_ROW_BYTES)
		delta_flush(w);
}

static int64
delta_end(DeltaWriter *w)
{
	delta_flush(w);
	ExecDropSingleTupleTableSlot(w->slot);
	for (int c = 0; c < w->ncols; c++)
	{
		pfree(w->values[c]);
		pfree(w->isnull[c]);
	}
	pfree(w->values);
	pfree(w->isnull);
	table_close(w->rel, NoLock);
	return w->groups;
}

/*
 * Appends the non-nil deltas of the hash tables; returns the groups written.
 * (The keys' values, and the sums, live in the capture's context, to the
 * end.)
 */
static int64
capture_write(CaptureInfo *info, GroupKeyTable *groups, GroupKeyTable *vals)
{
	int			ndims = info->ndims;
	DeltaWriter *w = palloc(sizeof(DeltaWriter));
	Datum	   *rowv = palloc(sizeof(Datum) * (ndims + 5));
	bool	   *rown = palloc(sizeof(bool) * (ndims + 5));
	GroupDelta *g;
	int64	   *nv;
	Datum		zero = NumericGetDatum(int64_to_numeric(0));
	int64		written = 0;

	delta_begin(w, info->delta_relid, info->delta_cols);
	groupkey_start(groups);
	while ((g = (GroupDelta *) groupkey_next(groups, rowv, rown)) != NULL)
	{
		Datum		sum = (Datum) 0;

		CHECK_FOR_INTERRUPTS();
		if (kind_sums(info->kind))
		{
			sum = NumericGetDatum(int64_to_numeric(g->isum));
			if (g->nsum != (Datum) 0)
				sum = DirectFunctionCall2(numeric_add, sum, g->nsum);
			if (g->n == 0 && g->c == 0 &&
				DatumGetInt32(DirectFunctionCall2(numeric_cmp, sum, zero)) == 0)
				continue;
		}
		else if (g->n == 0 && g->c == 0)
			continue;
		rowv[ndims + 2] = Int64GetDatum(g->n);
		rown[ndims + 2] = false;
		rowv[ndims + 3] = Int64GetDatum(g->c);
		rown[ndims + 3] = false;
		rowv[ndims + 4] = sum;
		rown[ndims + 4] = !kind_sums(info->kind);
		delta_add(w, rowv, rown);
	}
	groupkey_end(groups);
	written += delta_end(w);

	if (vals != NULL)
	{
		delta_begin(w, info->vdelta_relid, info->vdelta_cols);
		groupkey_start(vals);
		while ((nv = (int64 *) groupkey_next(vals, rowv, rown)) != NULL)
		{
			CHECK_FOR_INTERRUPTS();
			if (*nv == 0)
				continue;
			rowv[ndims + 2] = Int64GetDatum(*nv);
			rown[ndims + 2] = false;
			delta_add(w, rowv, rown);
		}
		groupkey_end(vals);
		written += delta_end(w);
	}
	pfree(w);
	return written;
}

/*
 * Adds up rows by group, with sign -1 those of `minus`, +1 those of `plus`,
 * and rel_sign (when not 0) every row of the relation (a partition being
 * truncated, attached, detached or dropped), and appends the deltas: the
 * work of a capture and of a partition's change.
 */
static void
capture_apply(CaptureInfo *info, Relation rel, Tuplestorestate *minus, Tuplestorestate *plus,
			  int rel_sign)
{
	MemoryContext cxt,
				rowcxt,
				old;
	GroupKeyTable *groups,
			   *vals = NULL;
	ExprContext *econtext;
	int64		nrows;
	long		nbuckets;

	cxt = AllocSetContextCreate(CurrentMemoryContext, "brent_mdm rollup capture",
								ALLOCSET_DEFAULT_SIZES);
	rowcxt = AllocSetContextCreate(cxt, "brent_mdm rollup row", ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(cxt);
	econtext = CreateStandaloneExprContext();

	/*
	 * Room for as many groups as rows, up to a bound (growing the table as
	 * it fills rehashes every entry, several times for a big statement).
	 */
	nrows = (minus ? tuplestore_tuple_count(minus) : 0) +
		(plus ? tuplestore_tuple_count(plus) : 0) +
		(rel_sign != 0 ? (int64) Max(rel->rd_rel->reltuples, 0) : 0);
	nbuckets = (long) Min(Max(nrows, 64), 65536);
	groups = groupkey_create(info->gdesc, info->ndims + 2, info->gkinds, info->gcols, info->geqfuncs,
							 info->ghashfns, info->gcolls, nbuckets, sizeof(GroupDelta), cxt, rowcxt);
	if (kind_has_values(info->kind))
		vals = groupkey_create(info->vdesc, info->ndims + 2, info->vkinds, info->vcols, info->veqfuncs,
							   info->vhashfns, info->vcolls, nbuckets, sizeof(int64), cxt, rowcxt);
	if (minus != NULL)
		capture_scan(info, rel, minus, -1, groups, vals, cxt, rowcxt, econtext);
	if (plus != NULL)
		capture_scan(info, rel, plus, +1, groups, vals, cxt, rowcxt, econtext);
	if (rel_sign != 0)
		capture_scan(info, rel, NULL, rel_sign, groups, vals, cxt, rowcxt, econtext);
	rollup_fold_note(info->delta_relid, capture_write(info, groups, vals));
	FreeExprContext(econtext, true);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
}

/*
 * brent_mdm.rollup_capture() RETURNS trigger
 *
 * AFTER INSERT, UPDATE or DELETE FOR EACH STATEMENT, with the transition
 * tables of its event.  Internal.
 */
PG_FUNCTION_INFO_V1(rollup_capture);
Datum
rollup_capture(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	CaptureInfo *info;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_AFTER(td->tg_event) ||
		!TRIGGER_FIRED_FOR_STATEMENT(td->tg_event) || TRIGGER_FIRED_BY_TRUNCATE(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("rollup_capture must be fired AFTER INSERT, UPDATE or DELETE FOR EACH STATEMENT")));
	if (td->tg_oldtable == NULL && td->tg_newtable == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("rollup_capture needs the statement's transition tables"),
				 errhint("The trigger is made by brent_mdm.define_indicator.")));

	info = capture_info(td);
	capture_apply(info, td->tg_relation,
				  TRIGGER_FIRED_BY_INSERT(td->tg_event) ? NULL : td->tg_oldtable,
				  TRIGGER_FIRED_BY_DELETE(td->tg_event) ? NULL : td->tg_newtable, 0);
	return PointerGetDatum(NULL);
}

/* deletes every row of a rollup table (below triggers and privileges) */
static void
delete_all(Oid relid)
{
	Relation	rel = table_open(relid, RowExclusiveLock);
	Snapshot	snap = RegisterSnapshot(GetLatestSnapshot());
	TableScanDesc scan = table_beginscan(rel, snap, 0, NULL);
	TupleTableSlot *slot = table_slot_create(rel, NULL);

	while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
	{
		CHECK_FOR_INTERRUPTS();
		simple_table_tuple_delete(rel, &slot->tts_tid, snap);
	}
	ExecDropSingleTupleTableSlot(slot);
	table_endscan(scan);
	UnregisterSnapshot(snap);
	table_close(rel, NoLock);
}

static Oid
rollup_table(CaptureInfo *info, const char *suffix)
{
	char		relname[NAMEDATALEN * 2];
	Oid			relid;

	snprintf(relname, sizeof(relname), "%s%s", info->name, suffix);
	relid = get_relname_relid(relname, get_namespace_oid("brent_mdm_rollup", false));
	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("indicator %s: its table brent_mdm_rollup.%s is missing", info->name, relname),
				 errhint("Drop the indicator (brent_mdm.drop_indicator) and define it again.")));
	return relid;
}

/*
 * brent_mdm.rollup_truncate() RETURNS trigger
 *
 * AFTER TRUNCATE of an indicator's source: the indicator is emptied (the
 * source and its partitions are held in ACCESS EXCLUSIVE: no writer is in
 * flight; folders take turns on <name>_base in EXCLUSIVE mode).  Every row
 * is deleted, whichever snapshot the truncating transaction has: rows
 * committed after it are gone from the source too (TRUNCATE is not
 * MVCC-safe).  BEFORE TRUNCATE of one partition: its rows are taken away as
 * negative deltas.  Written in C, below privileges and the rollup tables'
 * triggers: no SECURITY DEFINER code runs over tables a role may own.
 * Arguments: as rollup_capture's.  Internal.
 */
PG_FUNCTION_INFO_V1(rollup_truncate);
Datum
rollup_truncate(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	CaptureInfo *info;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BY_TRUNCATE(td->tg_event) ||
		!TRIGGER_FIRED_FOR_STATEMENT(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("rollup_truncate must be fired by TRUNCATE FOR EACH STATEMENT")));
	info = capture_info(td);
	if (TRIGGER_FIRED_AFTER(td->tg_event))
	{
		Oid			base = rollup_table(info, "_base");

		LockRelationOid(base, ExclusiveLock);
		delete_all(info->delta_relid);
		delete_all(base);
		if (OidIsValid(info->vdelta_relid))
		{
			delete_all(info->vdelta_relid);
			delete_all(rollup_table(info, "_vbase"));
		}
	}
	else if (td->tg_relation->rd_rel->relkind != RELKIND_PARTITIONED_TABLE)
		/* (a partitioned partition holds no rows: its leaves' triggers count them) */
		capture_apply(info, td->tg_relation, NULL, NULL, -1);
	return PointerGetDatum(NULL);
}

/*
 * Appends sign x every row of rel (a leaf partition, locked ACCESS
 * EXCLUSIVE by the caller) as deltas of the indicator whose capture trigger
 * on rel is tg: a partition attached (+1), detached or dropped (-1).
 */
void
rollup_relation_rows(Relation rel, Trigger *tg, int sign)
{
	TriggerData td;
	CaptureInfo *info;

	memset(&td, 0, sizeof(td));
	td.type = T_TriggerData;
	td.tg_event = TRIGGER_EVENT_TRUNCATE | TRIGGER_EVENT_BEFORE;
	td.tg_relation = rel;
	td.tg_trigger = tg;
	info = capture_info(&td);
	capture_apply(info, rel, NULL, NULL, sign);
}

typedef struct NamesOn
{
	List	   *sources;
	List	   *names;
} NamesOn;

static bool
visit_names_on(const char *name, Oid source, void *arg)
{
	NamesOn    *no = (NamesOn *) arg;

	if (list_member_oid(no->sources, source))
		no->names = lappend(no->names, pstrdup(name));
	return true;
}

/*
 * The names of the indicators whose source is one of the relations
 * `sources` (read below privileges: the catalogue is the extension's).
 */
List *
rollup_indicators_on(List *sources)
{
	NamesOn		no = {sources, NIL};

	if (sources != NIL)
		indicator_catalogue_scan(visit_names_on, &no);
	return no.names;
}
