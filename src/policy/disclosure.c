/*
 * disclosure.c
 *		Statistical disclosure control of published counts: small-number
 *		suppression, rounding to a base, aggregates that count rows (or
 *		distinct persons) and control the result when they finish, and
 *		secondary suppression of one- and two-way tables with their margins.
 *
 * The rules (docs/reference.md, "Statistical disclosure control"):
 *	- a count c is suppressed when 0 < c < threshold; 0 is published;
 *	- a published count is rounded to the nearest multiple of base, halves
 *	  away from zero (12 -> 10, 12.5 does not occur, 13 -> 15, 15 -> 15);
 *	- in a table, cells are suppressed in addition (secondary suppression)
 *	  so that no suppressed value can be worked out from the published cells
 *	  and totals, knowing that counts are whole numbers, that suppressed
 *	  cells are not 0 (zeros are published) and that totals are sums.
 *
 * Secondary suppression of a two-way table works on the grid of R + 1 rows
 * and C + 1 columns, the last row and column being the margins.  Every
 * primary cell is placed on a "rectangle" of four suppressed cells
 * (r, c), (r, c2), (r2, c), (r2, c2), margins allowed, chosen to suppress as
 * little as possible (already suppressed cells cost nothing, margins cost
 * more than any interior cells, the grand total most).  Adding d to (r, c)
 * and (r2, c2) and taking d from (r, c2) and (r2, c) (signs flipped on
 * margins, which are sums) changes no row or column equation, so every cell
 * of the rectangle has at least two values consistent with what is
 * published; a rectangle is only taken if d = +1 or d = -1 keeps every one
 * of its cells at 1 or more.  Every suppressed cell is on such a rectangle,
 * so none can be recovered by differencing, however rows and columns are
 * combined.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "common/int.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#define DEFAULT_THRESHOLD	10
#define DEFAULT_BASE		5
/* the grid of a two-way table, margins included, is at most this many cells */
#define MAX_GRID_CELLS		1000000

PG_FUNCTION_INFO_V1(disclosure_suppress_small);
PG_FUNCTION_INFO_V1(disclosure_round_to_base);
PG_FUNCTION_INFO_V1(disclosure_format);
PG_FUNCTION_INFO_V1(disclosure_count_trans);
PG_FUNCTION_INFO_V1(disclosure_count_combine);
PG_FUNCTION_INFO_V1(disclosure_count_serialize);
PG_FUNCTION_INFO_V1(disclosure_count_deserialize);
PG_FUNCTION_INFO_V1(disclosure_count_final);
PG_FUNCTION_INFO_V1(disclosure_count_final_default);
PG_FUNCTION_INFO_V1(disclosure_distinct_trans);
PG_FUNCTION_INFO_V1(disclosure_distinct_combine);
PG_FUNCTION_INFO_V1(disclosure_distinct_serialize);
PG_FUNCTION_INFO_V1(disclosure_distinct_deserialize);
PG_FUNCTION_INFO_V1(disclosure_distinct_final);
PG_FUNCTION_INFO_V1(disclosure_suppress_table_1);
PG_FUNCTION_INFO_V1(disclosure_suppress_table_2);

/* ---------------------------------------------------------------- rules */

static void
check_threshold(int32 threshold)
{
	if (threshold < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("threshold must be at least 1, not %d", threshold),
				 errhint("Counts from 1 to threshold - 1 are suppressed: 10 is the usual UK rule, 8 suppresses 1 to 7 as NHS England does for HES, 1 suppresses nothing.")));
}

static void
check_base(int32 base)
{
	if (base < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("rounding base must be at least 1, not %d", base),
				 errhint("Published counts are rounded to the nearest multiple of base: 5 is usual, 1 leaves them as they are.")));
}

static void
check_count(int64 count)
{
	if (count < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a count cannot be negative: " INT64_FORMAT, count)));
}

/* value rounded to the nearest multiple of base, halves away from zero */
static int64
round_to_base(int64 value, int32 base)
{
	int64		q,
				r,
				result;

	if (base == 1)
		return value;
	q = value / base;
	r = value % base;			/* same sign as value */
	if (r >= 0 ? 2 * r >= base : -2 * r >= base)
		q += (r >= 0) ? 1 : -1;
	if (pg_mul_s64_overflow(q, base, &result))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("bigint out of range rounding " INT64_FORMAT " to a multiple of %d",
						value, base)));
	return result;
}

static inline bool
is_small(int64 count, int32 threshold)
{
	return count > 0 && count < threshold;
}

/*
 * The published form of a count: false when it is suppressed, else true and
 * *published the count rounded to base.
 */
static bool
control_count(int64 count, int32 threshold, int32 base, int64 *published)
{
	if (is_small(count, threshold))
		return false;
	*published = round_to_base(count, base);
	return true;
}

/* ------------------------------------------------------- scalar functions */

/* suppress_small(count bigint, threshold int) -> bigint, NULL when suppressed */
Datum
disclosure_suppress_small(PG_FUNCTION_ARGS)
{
	int64		count = PG_GETARG_INT64(0);
	int32		threshold = PG_GETARG_INT32(1);

	check_threshold(threshold);
	check_count(count);
	if (is_small(count, threshold))
		PG_RETURN_NULL();
	PG_RETURN_INT64(count);
}

/* round_to_base(value bigint, base int) -> bigint */
Datum
disclosure_round_to_base(PG_FUNCTION_ARGS)
{
	int64		value = PG_GETARG_INT64(0);
	int32		base = PG_GETARG_INT32(1);

	check_base(base);
	PG_RETURN_INT64(round_to_base(value, base));
}

/*
 * disclosure_format(count bigint, threshold int, base int) -> text:
 * '*' when suppressed, '~' when a count that is not 0 rounds to 0 (only with
 * a threshold below base / 2), else the rounded count.
 */
Datum
disclosure_format(PG_FUNCTION_ARGS)
{
	int64		count = PG_GETARG_INT64(0);
	int32		threshold = PG_GETARG_INT32(1);
	int32		base = PG_GETARG_INT32(2);
	int64		published;
	char		buf[MAXINT8LEN + 1];

	check_threshold(threshold);
	check_base(base);
	check_count(count);
	if (!control_count(count, threshold, base, &published))
		PG_RETURN_TEXT_P(cstring_to_text("*"));
	if (published == 0 && count != 0)
		PG_RETURN_TEXT_P(cstring_to_text("~"));
	pg_lltoa(published, buf);
	PG_RETURN_TEXT_P(cstring_to_text(buf));
}

/* ------------------------------------------------------------ aggregates */

static MemoryContext
aggregate_context(FunctionCallInfo fcinfo, const char *name)
{
	MemoryContext ctx;

	if (!AggCheckCallContext(fcinfo, &ctx))
		elog(ERROR, "%s called in non-aggregate context", name);
	return ctx;
}

/*
 * The threshold and base of an aggregate call: the defaults, or arguments
 * argno and argno + 1, which must be given and be the same on every row.
 */
static void
aggregate_rules(FunctionCallInfo fcinfo, int argno, int32 *threshold, int32 *base)
{
	if (PG_NARGS() <= argno)
	{
		*threshold = DEFAULT_THRESHOLD;
		*base = DEFAULT_BASE;
		return;
	}
	if (PG_ARGISNULL(argno) || PG_ARGISNULL(argno + 1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("threshold and rounding base must not be NULL")));
	*threshold = PG_GETARG_INT32(argno);
	*base = PG_GETARG_INT32(argno + 1);
	check_threshold(*threshold);
	check_base(*base);
}

static void
same_rules(int32 t1, int32 b1, int32 t2, int32 b2)
{
	if (t1 != t2 || b1 != b2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("threshold and rounding base must be the same for every row of a group"),
				 errdetail("Found threshold %d and base %d, then threshold %d and base %d.",
						   t1, b1, t2, b2),
				 errhint("Give them as constants, as in safe_count(10, 5).")));
}

/* rows passed on between parallel workers: threshold, base, then the counts */
typedef struct RulesHeader
{
	int32		threshold;
	int32		base;
	int64		n;
} RulesHeader;

/* safe_count: the number of rows */
typedef struct CountState
{
	int64		n;
	int32		threshold;
	int32		base;
} CountState;

/* safe_count_trans(internal [, threshold int, base int]) */
Datum
disclosure_count_trans(PG_FUNCTION_ARGS)
{
	CountState *state;

	if (PG_ARGISNULL(0))
	{
		MemoryContext ctx = aggregate_context(fcinfo, "safe_count");

		state = (CountState *) MemoryContextAlloc(ctx, sizeof(CountState));
		state->n = 0;
		aggregate_rules(fcinfo, 1, &state->threshold, &state->base);
	}
	else
	{
		state = (CountState *) PG_GETARG_POINTER(0);
		if (PG_NARGS() > 1)
		{
			int32		threshold,
						base;

			aggregate_rules(fcinfo, 1, &threshold, &base);
			same_rules(state->threshold, state->base, threshold, base);
		}
	}
	state->n++;
	PG_RETURN_POINTER(state);
}

Datum
disclosure_count_combine(PG_FUNCTION_ARGS)
{
	MemoryContext ctx = aggregate_context(fcinfo, "safe_count_combine");
	CountState *s1 = PG_ARGISNULL(0) ? NULL : (CountState *) PG_GETARG_POINTER(0);
	CountState *s2 = PG_ARGISNULL(1) ? NULL : (CountState *) PG_GETARG_POINTER(1);

	if (s2 == NULL)
	{
		if (s1 == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(s1);
	}
	if (s1 == NULL)
	{
		s1 = (CountState *) MemoryContextAlloc(ctx, sizeof(CountState));
		*s1 = *s2;
		PG_RETURN_POINTER(s1);
	}
	same_rules(s1->threshold, s1->base, s2->threshold, s2->base);
	s1->n += s2->n;
	PG_RETURN_POINTER(s1);
}

Datum
disclosure_count_serialize(PG_FUNCTION_ARGS)
{
	CountState *state = (CountState *) PG_GETARG_POINTER(0);
	bytea	   *result = (bytea *) palloc(VARHDRSZ + sizeof(RulesHeader));
	RulesHeader header = {state->threshold, state->base, state->n};

	aggregate_context(fcinfo, "safe_count_serialize");
	SET_VARSIZE(result, VARHDRSZ + sizeof(RulesHeader));
	memcpy(VARDATA(result), &header, sizeof(RulesHeader));
	PG_RETURN_BYTEA_P(result);
}

Datum
disclosure_count_deserialize(PG_FUNCTION_ARGS)
{
	MemoryContext ctx = aggregate_context(fcinfo, "safe_count_deserialize");
	bytea	   *data = PG_GETARG_BYTEA_PP(0);
	RulesHeader header;
	CountState *state;

	if (VARSIZE_ANY_EXHDR(data) != sizeof(RulesHeader))
		elog(ERROR, "safe_count state has a wrong size");
	memcpy(&header, VARDATA_ANY(data), sizeof(RulesHeader));
	state = (CountState *) MemoryContextAlloc(ctx, sizeof(CountState));
	state->threshold = header.threshold;
	state->base = header.base;
	state->n = header.n;
	PG_RETURN_POINTER(state);
}

Datum
disclosure_count_final(PG_FUNCTION_ARGS)
{
	CountState *state = PG_ARGISNULL(0) ? NULL : (CountState *) PG_GETARG_POINTER(0);
	int64		published;

	if (state == NULL)
		PG_RETURN_INT64(0);		/* no rows */
	if (!control_count(state->n, state->threshold, state->base, &published))
		PG_RETURN_NULL();
	PG_RETURN_INT64(published);
}

/*
 * safe_count(*) with the default rules: the state is count(*)'s own (int8inc,
 * int8pl: no state to serialise between parallel workers); the rules are
 * applied here, once per group.
 */
Datum
disclosure_count_final_default(PG_FUNCTION_ARGS)
{
	int64		published;

	if (!control_count(PG_GETARG_INT64(0), DEFAULT_THRESHOLD, DEFAULT_BASE, &published))
		PG_RETURN_NULL();
	PG_RETURN_INT64(published);
}

/* safe_count_distinct: the number of distinct bigint values, in a hash set */
typedef struct IdEntry
{
	int64		id;
	char		status;
} IdEntry;

/* the finaliser of SplitMix64: every bit of the id reaches the hash */
static inline uint32
id_hash(int64 id)
{
	uint64		z = (uint64) id;

	z = (z ^ (z >> 30)) * UINT64CONST(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64CONST(0x94d049bb133111eb);
	return (uint32) (z ^ (z >> 31));
}

#define SH_PREFIX		idset
#define SH_ELEMENT_TYPE	IdEntry
#define SH_KEY_TYPE		int64
#define SH_KEY			id
#define SH_HASH_KEY(tb, key) id_hash(key)
#define SH_EQUAL(tb, a, b) ((a) == (b))
#define SH_SCOPE		static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

typedef struct DistinctState
{
	idset_hash *ids;
	int32		threshold;
	int32		base;
} DistinctState;

static DistinctState *
distinct_state_new(MemoryContext ctx, int32 threshold, int32 base, uint32 size)
{
	DistinctState *state = (DistinctState *) MemoryContextAlloc(ctx, sizeof(DistinctState));

	state->ids = idset_create(ctx, Max(size, 16), NULL);
	state->threshold = threshold;
	state->base = base;
	return state;
}

/* safe_count_distinct_trans(internal, id bigint [, threshold int, base int]) */
Datum
disclosure_distinct_trans(PG_FUNCTION_ARGS)
{
	DistinctState *state;
	bool		found;

	if (PG_ARGISNULL(0))
	{
		MemoryContext ctx = aggregate_context(fcinfo, "safe_count_distinct");
		int32		threshold,
					base;

		aggregate_rules(fcinfo, 2, &threshold, &base);
		state = distinct_state_new(ctx, threshold, base, 16);
	}
	else
	{
		state = (DistinctState *) PG_GETARG_POINTER(0);
		if (PG_NARGS() > 2)
		{
			int32		threshold,
						base;

			aggregate_rules(fcinfo, 2, &threshold, &base);
			same_rules(state->threshold, state->base, threshold, base);
		}
	}
	if (!PG_ARGISNULL(1))
		idset_insert(state->ids, PG_GETARG_INT64(1), &found);
	PG_RETURN_POINTER(state);
}

Datum
disclosure_distinct_combine(PG_FUNCTION_ARGS)
{
	MemoryContext ctx = aggregate_context(fcinfo, "safe_count_distinct_combine");
	DistinctState *s1 = PG_ARGISNULL(0) ? NULL : (DistinctState *) PG_GETARG_POINTER(0);
	DistinctState *s2 = PG_ARGISNULL(1) ? NULL : (DistinctState *) PG_GETARG_POINTER(1);
	idset_iterator it;
	IdEntry    *e;
	bool		found;

	if (s2 == NULL)
	{
		if (s1 == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(s1);
	}
	if (s1 == NULL)
		s1 = distinct_state_new(ctx, s2->threshold, s2->base, s2->ids->members);
	else
		same_rules(s1->threshold, s1->base, s2->threshold, s2->base);
	idset_start_iterate(s2->ids, &it);
	while ((e = idset_iterate(s2->ids, &it)) != NULL)
		idset_insert(s1->ids, e->id, &found);
	PG_RETURN_POINTER(s1);
}

Datum
disclosure_distinct_serialize(PG_FUNCTION_ARGS)
{
	DistinctState *state = (DistinctState *) PG_GETARG_POINTER(0);
	RulesHeader header = {state->threshold, state->base, (int64) state->ids->members};
	Size		size = VARHDRSZ + sizeof(RulesHeader) + sizeof(int64) * (Size) header.n;
	bytea	   *result;
	int64	   *out;
	idset_iterator it;
	IdEntry    *e;

	aggregate_context(fcinfo, "safe_count_distinct_serialize");
	if (!AllocSizeIsValid(size))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many distinct values in one group to pass between parallel workers: " INT64_FORMAT,
						header.n),
				 errhint("SET max_parallel_workers_per_gather = 0 for this query.")));
	result = (bytea *) palloc(size);
	SET_VARSIZE(result, size);
	memcpy(VARDATA(result), &header, sizeof(RulesHeader));
	out = (int64 *) (VARDATA(result) + sizeof(RulesHeader));
	idset_start_iterate(state->ids, &it);
	while ((e = idset_iterate(state->ids, &it)) != NULL)
		*out++ = e->id;
	PG_RETURN_BYTEA_P(result);
}

Datum
disclosure_distinct_deserialize(PG_FUNCTION_ARGS)
{
	MemoryContext ctx = aggregate_context(fcinfo, "safe_count_distinct_deserialize");
	bytea	   *data = PG_GETARG_BYTEA_PP(0);
	Size		len = VARSIZE_ANY_EXHDR(data);
	RulesHeader header;
	DistinctState *state;
	const char *p;
	bool		found;

	if (len < sizeof(RulesHeader))
		elog(ERROR, "safe_count_distinct state has a wrong size");
	memcpy(&header, VARDATA_ANY(data), sizeof(RulesHeader));
	if (header.n < 0 || len != sizeof(RulesHeader) + sizeof(int64) * (Size) header.n)
		elog(ERROR, "safe_count_distinct state has a wrong size");
	state = distinct_state_new(ctx, header.threshold, header.base, (uint32) Min(header.n, PG_INT32_MAX));
	p = VARDATA_ANY(data) + sizeof(RulesHeader);
	for (int64 i = 0; i < header.n; i++)
	{
		int64		id;

		memcpy(&id, p + i * sizeof(int64), sizeof(int64));
		idset_insert(state->ids, id, &found);
	}
	PG_RETURN_POINTER(state);
}

Datum
disclosure_distinct_final(PG_FUNCTION_ARGS)
{
	DistinctState *state = PG_ARGISNULL(0) ? NULL : (DistinctState *) PG_GETARG_POINTER(0);
	int64		published;

	if (state == NULL)
		PG_RETURN_INT64(0);
	if (!control_count((int64) state->ids->members, state->threshold, state->base, &published))
		PG_RETURN_NULL();
	PG_RETURN_INT64(published);
}

/* ------------------------------------------------- secondary suppression */

typedef enum CellStatus
{
	CELL_PUBLISHED = 0,
	CELL_PRIMARY,
	CELL_SECONDARY
} CellStatus;

static const char *const status_names[] = {NULL, "primary", "secondary"};

/* labels to their index, in the order they first appear */
typedef struct LabelEntry
{
	const char *label;
	int			index;
	char		status;
} LabelEntry;

#define SH_PREFIX		labelmap
#define SH_ELEMENT_TYPE	LabelEntry
#define SH_KEY_TYPE		const char *
#define SH_KEY			label
#define SH_HASH_KEY(tb, key) hash_bytes((const unsigned char *) (key), strlen(key))
#define SH_EQUAL(tb, a, b) (strcmp((a), (b)) == 0)
#define SH_SCOPE		static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

static void
need_argument(FunctionCallInfo fcinfo, int argno, const char *name)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", name)));
}

/* the elements of a one-dimensional array without NULLs */
static int
array_elements(ArrayType *array, Oid type, const char *name, Datum **values)
{
	int16		typlen;
	bool		typbyval;
	char		typalign;
	bool	   *nulls;
	int			n;

	if (ARR_NDIM(array) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a one-dimensional array", name)));
	get_typlenbyvalalign(type, &typlen, &typbyval, &typalign);
	deconstruct_array(array, type, typlen, typbyval, typalign, values, &nulls, &n);
	for (int i = 0; i < n; i++)
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s must not contain NULLs (element %d is NULL)", name, i + 1),
					 errhint(type == INT8OID ? "Give a count of 0 for an empty cell, or leave the cell out."
							 : "Give missing labels a name, as in coalesce(label, 'unknown').")));
	return n;
}

static void
check_lengths(int n1, int n2, const char *name1, const char *name2)
{
	if (n1 != n2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s and %s must have the same length (%d and %d)", name1, name2, n1, n2)));
}

static int64
add_count(int64 a, int64 b)
{
	int64		sum;

	if (pg_add_s64_overflow(a, b, &sum))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("bigint out of range adding up a total")));
	return sum;
}

static void
emit_cell(ReturnSetInfo *rsinfo, const char *row_label, const char *column_label,
		  const char *kind, int64 count, char status, int32 base)
{
	Datum		values[6];
	bool		nulls[6] = {false};

	nulls[0] = (row_label == NULL);
	if (row_label)
		values[0] = CStringGetTextDatum(row_label);
	nulls[1] = (column_label == NULL);
	if (column_label)
		values[1] = CStringGetTextDatum(column_label);
	values[2] = CStringGetTextDatum(kind);
	values[3] = Int64GetDatum(count);
	nulls[4] = (status != CELL_PUBLISHED);
	if (!nulls[4])
		values[4] = Int64GetDatum(round_to_base(count, base));
	nulls[5] = (status == CELL_PUBLISHED);
	if (!nulls[5])
		values[5] = CStringGetTextDatum(status_names[(int) status]);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/*
 * suppress_table(labels text[], counts bigint[], threshold int, base int):
 * a one-way table and its total.  With the total published, the suppressed
 * cells must be two or more, one of them at least 2 (so that 1 can move
 * from it to another); else the smallest other cell (all of them at least
 * threshold) is suppressed too, and, when there is none, the total.
 */
Datum
disclosure_suppress_table_1(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Datum	   *labels,
			   *counts;
	int			n;
	int32		threshold,
				base;
	int64		total = 0;
	char	   *status;
	char		total_status = CELL_PUBLISHED;
	int			suppressed = 0;
	int64		largest_suppressed = 0;
	labelmap_hash *seen;

	need_argument(fcinfo, 0, "labels");
	need_argument(fcinfo, 1, "counts");
	need_argument(fcinfo, 2, "threshold");
	need_argument(fcinfo, 3, "base");
	threshold = PG_GETARG_INT32(2);
	base = PG_GETARG_INT32(3);
	check_threshold(threshold);
	check_base(base);
	n = array_elements(PG_GETARG_ARRAYTYPE_P(0), TEXTOID, "labels", &labels);
	check_lengths(n, array_elements(PG_GETARG_ARRAYTYPE_P(1), INT8OID, "counts", &counts),
				  "labels", "counts");

	seen = labelmap_create(CurrentMemoryContext, Max(n, 16), NULL);
	status = palloc0(Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		char	   *label = TextDatumGetCString(labels[i]);
		bool		found;

		labels[i] = PointerGetDatum(label);
		labelmap_insert(seen, label, &found);
		if (found)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("label \"%s\" appears twice", label),
					 errhint("Each cell of the table is given once; aggregate by label first.")));
		check_count(DatumGetInt64(counts[i]));
		total = add_count(total, DatumGetInt64(counts[i]));
		if (is_small(DatumGetInt64(counts[i]), threshold))
		{
			status[i] = CELL_PRIMARY;
			suppressed++;
			largest_suppressed = Max(largest_suppressed, DatumGetInt64(counts[i]));
		}
	}

	if (is_small(total, threshold))
		total_status = CELL_PRIMARY;	/* so are all cells that are not 0 */
	else if (suppressed > 0 && (suppressed < 2 || largest_suppressed < 2))
	{
		int			best = -1;

		for (int i = 0; i < n; i++)
		{
			int64		c = DatumGetInt64(counts[i]);

			if (status[i] == CELL_PUBLISHED && c >= 2 &&
				(best < 0 || c < DatumGetInt64(counts[best])))
				best = i;
		}
		if (best >= 0)
			status[best] = CELL_SECONDARY;
		else
			total_status = CELL_SECONDARY;
	}

	InitMaterializedSRF(fcinfo, 0);
	for (int i = 0; i < n; i++)
		emit_cell(rsinfo, DatumGetPointer(labels[i]), NULL, "cell",
				  DatumGetInt64(counts[i]), status[i], base);
	emit_cell(rsinfo, NULL, NULL, "total", total, total_status, base);
	return (Datum) 0;
}

/* two-way tables: the grid, margins in row R and column C */
typedef struct Grid
{
	int			rows;			/* R + 1 */
	int			cols;			/* C + 1 */
	int64	   *count;
	char	   *status;
	bool	   *covered;		/* on a rectangle of suppressed cells */
	double		margin_cost;	/* more than any three interior cells */
} Grid;

#define CELL(g, r, c)	((r) * (g)->cols + (c))

/* +1 for interior cells and the grand total, -1 for the other margins */
static inline int
cell_sign(const Grid *g, int r, int c)
{
	return ((r == g->rows - 1) ? -1 : 1) * ((c == g->cols - 1) ? -1 : 1);
}

/* what suppressing a cell costs; a cell of 0 cannot be suppressed */
static inline double
cell_cost(const Grid *g, int r, int c)
{
	int			k = CELL(g, r, c);
	int			margins = (r == g->rows - 1) + (c == g->cols - 1);

	if (g->status[k] != CELL_PUBLISHED)
		return 0;
	return (double) g->count[k] + (margins == 0 ? 0 : margins == 1 ? g->margin_cost : 3 * g->margin_cost);
}

/*
 * Whether moving 1 around the rectangle, one way or the other, keeps every
 * one of its cells at 1 or more.  Around the rectangle the interior changes
 * are +d at (r, c) and (r2, c2), -d at (r, c2) and (r2, c); on a margin
 * (a sum with the opposite sign in its equations) the change is reversed.
 */
static bool
rectangle_moves(const Grid *g, int r, int c, int r2, int c2)
{
	int			k[4] = {CELL(g, r, c), CELL(g, r, c2), CELL(g, r2, c), CELL(g, r2, c2)};
	int			change[4] = {cell_sign(g, r, c), -cell_sign(g, r, c2),
		-cell_sign(g, r2, c), cell_sign(g, r2, c2)};
	bool		up = true,
				down = true;

	for (int i = 0; i < 4; i++)
	{
		if (g->count[k[i]] < 1)
			return false;
		if (change[i] < 0 && g->count[k[i]] < 2)
			up = false;
		if (change[i] > 0 && g->count[k[i]] < 2)
			down = false;
	}
	return up || down;
}

static void
protect_cell(Grid *g, int r, int c)
{
	double		best_cost = get_float8_infinity();
	int			best_r = -1,
				best_c = -1;

	for (int r2 = 0; r2 < g->rows; r2++)
	{
		double		cost_rc2;
		double		cost_r2c;

		if (r2 == r)
			continue;
		CHECK_FOR_INTERRUPTS();
		if (g->count[CELL(g, r2, c)] < 1)
			continue;
		cost_r2c = cell_cost(g, r2, c);
		for (int c2 = 0; c2 < g->cols; c2++)
		{
			double		cost;

			if (c2 == c || g->count[CELL(g, r, c2)] < 1 || g->count[CELL(g, r2, c2)] < 1)
				continue;
			cost_rc2 = cell_cost(g, r, c2);
			cost = cost_rc2 + cost_r2c + cell_cost(g, r2, c2);
			if (cost < best_cost && rectangle_moves(g, r, c, r2, c2))
			{
				best_cost = cost;
				best_r = r2;
				best_c = c2;
			}
		}
	}
	/* there is always one: through the margins (all at least the cell) */
	if (best_r < 0)
		elog(ERROR, "suppress_table found no cells to protect cell (%d, %d)", r, c);
	{
		int			k[4] = {CELL(g, r, c), CELL(g, r, best_c), CELL(g, best_r, c), CELL(g, best_r, best_c)};

		for (int i = 0; i < 4; i++)
		{
			if (g->status[k[i]] == CELL_PUBLISHED)
				g->status[k[i]] = CELL_SECONDARY;
			g->covered[k[i]] = true;
		}
	}
}

static int
label_index(labelmap_hash *map, Datum label, const char ***names, int *n, int *allocated)
{
	char	   *s = TextDatumGetCString(label);
	bool		found;
	LabelEntry *e = labelmap_insert(map, s, &found);

	if (!found)
	{
		if (*n == *allocated)
		{
			*allocated *= 2;
			*names = repalloc(*names, sizeof(char *) * *allocated);
		}
		e->index = *n;
		(*names)[(*n)++] = s;
	}
	else
		pfree(s);
	return e->index;
}

/*
 * suppress_table(row_labels text[], column_labels text[], counts bigint[],
 * threshold int, base int): a two-way table, with row totals, column totals
 * and the grand total.  Cells not given are 0.
 */
Datum
disclosure_suppress_table_2(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Datum	   *row_labels,
			   *column_labels,
			   *counts;
	int			n,
				nrows = 0,
				ncols = 0,
				rows_allocated = 16,
				cols_allocated = 16;
	int32		threshold,
				base;
	const char **row_names = palloc(sizeof(char *) * rows_allocated);
	const char **col_names = palloc(sizeof(char *) * cols_allocated);
	int		   *row_of,
			   *col_of;
	labelmap_hash *row_map,
			   *col_map;
	bool	   *given;
	Grid		grid,
			   *g = &grid;
	int			R,
				C;

	need_argument(fcinfo, 0, "row_labels");
	need_argument(fcinfo, 1, "column_labels");
	need_argument(fcinfo, 2, "counts");
	need_argument(fcinfo, 3, "threshold");
	need_argument(fcinfo, 4, "base");
	threshold = PG_GETARG_INT32(3);
	base = PG_GETARG_INT32(4);
	check_threshold(threshold);
	check_base(base);
	n = array_elements(PG_GETARG_ARRAYTYPE_P(0), TEXTOID, "row_labels", &row_labels);
	check_lengths(n, array_elements(PG_GETARG_ARRAYTYPE_P(1), TEXTOID, "column_labels", &column_labels),
				  "row_labels", "column_labels");
	check_lengths(n, array_elements(PG_GETARG_ARRAYTYPE_P(2), INT8OID, "counts", &counts),
				  "row_labels", "counts");

	/* labels in the order they first appear */
	row_map = labelmap_create(CurrentMemoryContext, Max(n, 16), NULL);
	col_map = labelmap_create(CurrentMemoryContext, Max(n, 16), NULL);
	row_of = palloc(sizeof(int) * Max(n, 1));
	col_of = palloc(sizeof(int) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		check_count(DatumGetInt64(counts[i]));
		row_of[i] = label_index(row_map, row_labels[i], &row_names, &nrows, &rows_allocated);
		col_of[i] = label_index(col_map, column_labels[i], &col_names, &ncols, &cols_allocated);
	}
	R = nrows;
	C = ncols;
	if ((double) (R + 1) * (double) (C + 1) > MAX_GRID_CELLS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("table too large for suppress_table: %d rows by %d columns", R, C),
				 errdetail("With its margins, a table may have at most %d cells.", MAX_GRID_CELLS)));

	g->rows = R + 1;
	g->cols = C + 1;
	g->count = palloc0(sizeof(int64) * g->rows * g->cols);
	g->status = palloc0(g->rows * g->cols);
	g->covered = palloc0(sizeof(bool) * g->rows * g->cols);
	given = palloc0(sizeof(bool) * g->rows * g->cols);
	for (int i = 0; i < n; i++)
	{
		int			r = row_of[i],
					c = col_of[i];
		int64		v = DatumGetInt64(counts[i]);

		if (given[CELL(g, r, c)])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("cell (\"%s\", \"%s\") appears twice", row_names[r], col_names[c]),
					 errhint("Each cell of the table is given once; aggregate by row and column labels first.")));
		given[CELL(g, r, c)] = true;
		g->count[CELL(g, r, c)] = v;
		g->count[CELL(g, r, C)] = add_count(g->count[CELL(g, r, C)], v);
		g->count[CELL(g, R, c)] = add_count(g->count[CELL(g, R, c)], v);
		g->count[CELL(g, R, C)] = add_count(g->count[CELL(g, R, C)], v);
	}
	g->margin_cost = 4.0 * (double) g->count[CELL(g, R, C)] + 1;

	/* primary suppression, margins included */
	for (int k = 0; k < g->rows * g->cols; k++)
		if (is_small(g->count[k], threshold))
			g->status[k] = CELL_PRIMARY;

	/* secondary suppression: each primary cell onto a rectangle */
	for (int r = 0; r < g->rows; r++)
		for (int c = 0; c < g->cols; c++)
			if (g->status[CELL(g, r, c)] == CELL_PRIMARY && !g->covered[CELL(g, r, c)])
				protect_cell(g, r, c);

	InitMaterializedSRF(fcinfo, 0);
	for (int r = 0; r <= R; r++)
	{
		for (int c = 0; c <= C; c++)
		{
			const char *kind = (r < R) ? (c < C ? "cell" : "row total") : (c < C ? "column total" : "total");

			emit_cell(rsinfo, r < R ? row_names[r] : NULL, c < C ? col_names[c] : NULL, kind,
					  g->count[CELL(g, r, c)], g->status[CELL(g, r, c)], base);
		}
	}
	return (Datum) 0;
}
