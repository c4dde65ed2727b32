/*
 * trend.c
 *		Sen's slope of a series (issue 13, trends): the median of the slopes
 *		(x[j] - x[i]) / (j - i) over every pair i < j of non-NULL values, where
 *		i and j are positions in the array, so a NULL is a gap in time (the
 *		series stays on its regular grid).  Mann-Kendall is in src/geo/geo.c
 *		(mann_kendall); the direction of travel is SQL (src/indicator/trends.sql).
 *
 * The median is found by selection (Hoare's quickselect with a median of
 * three pivot), not by sorting: O(pairs) on average.  The input is bounded
 * (TREND_MAX_VALUES array elements, so at most about 12.5 million pairs and
 * 100 MB of slopes) and interrupts are checked while pairs are made and
 * while they are partitioned.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/fmgrprotos.h"
#include "utils/numeric.h"

PG_FUNCTION_INFO_V1(indicator_sen_slope);
PG_FUNCTION_INFO_V1(indicator_series_changes);

#define TREND_MAX_VALUES 5000

static void
trend_swap(double *a, double *b)
{
	double		t = *a;

	*a = *b;
	*b = t;
}

/* the k-th smallest (0-based) of x[0 .. n-1]; reorders x */
static double
trend_select(double *x, Size n, Size k)
{
	Size		lo = 0,
				hi = n - 1;
	int			rounds = 0;

	while (hi > lo)
	{
		Size		mid = lo + (hi - lo) / 2;
		double		pivot;
		Size		i,
					j;

		if ((++rounds & 15) == 0)
			CHECK_FOR_INTERRUPTS();
		/* median of three into x[mid] */
		if (x[mid] < x[lo])
			trend_swap(&x[mid], &x[lo]);
		if (x[hi] < x[lo])
			trend_swap(&x[hi], &x[lo]);
		if (x[hi] < x[mid])
			trend_swap(&x[hi], &x[mid]);
		pivot = x[mid];
		/* Hoare partition of [lo, hi] around pivot */
		i = lo;
		j = hi;
		for (;;)
		{
			while (x[i] < pivot)
				i++;
			while (x[j] > pivot)
				j--;
			if (i >= j)
				break;
			trend_swap(&x[i], &x[j]);
			i++;
			j--;
		}
		/* now x[lo .. j] <= pivot <= x[j+1 .. hi] */
		if (k <= j)
			hi = j;
		else
			lo = j + 1;
	}
	return x[k];
}

/*
 * sen_slope(series float8[]) -> float8: slope per position of the array;
 * NULL when fewer than two values are not NULL.
 */
Datum
indicator_sen_slope(PG_FUNCTION_ARGS)
{
	ArrayType  *a = PG_GETARG_ARRAYTYPE_P(0);
	Datum	   *elems;
	bool	   *enulls;
	int			n,
				m = 0;
	int		   *pos;
	double	   *v,
			   *slopes;
	Size		npairs = 0,
				k;
	double		median;

	if (ARR_NDIM(a) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("sen_slope takes a one-dimensional array"),
				 errhint("Give the series in time order, one value per period, NULL for a missing period.")));
	n = ArrayGetNItems(ARR_NDIM(a), ARR_DIMS(a));
	if (n > TREND_MAX_VALUES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("sen_slope takes at most %d values, not %d", TREND_MAX_VALUES, n),
				 errdetail("The median of %d values' pairwise slopes needs %.0f slopes.",
						   n, (double) n * (n - 1) / 2),
				 errhint("Aggregate the series to longer periods, or take its last years.")));
	deconstruct_array(a, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &elems, &enulls, &n);
	pos = palloc(sizeof(int) * Max(n, 1));
	v = palloc(sizeof(double) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		double		x;

		if (enulls[i])
			continue;
		x = DatumGetFloat8(elems[i]);
		if (isnan(x) || isinf(x))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("sen_slope takes finite values, not %g (element %d)", x, i + 1),
					 errhint("Give NULL for a missing period.")));
		pos[m] = i;
		v[m] = x;
		m++;
	}
	if (m < 2)
		PG_RETURN_NULL();

	slopes = palloc(sizeof(double) * ((Size) m * (m - 1) / 2));
	for (int i = 0; i < m; i++)
	{
		CHECK_FOR_INTERRUPTS();
		for (int j = i + 1; j < m; j++)
		{
			double		d = v[j] - v[i];

			if (isinf(d))
				ereport(ERROR,
						(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
						 errmsg("sen_slope: the difference of elements %d and %d is out of range",
								pos[i] + 1, pos[j] + 1)));
			slopes[npairs++] = d / (double) (pos[j] - pos[i]);
		}
	}
	k = npairs / 2;
	median = trend_select(slopes, npairs, k);
	if (npairs % 2 == 0)
	{
		/* the lower middle is the largest of slopes[0 .. k-1] (all <= median) */
		double		lower = slopes[0];

		for (Size i = 1; i < k; i++)
			if (slopes[i] > lower)
				lower = slopes[i];
		median = lower / 2 + median / 2;
	}
	pfree(slopes);
	PG_RETURN_FLOAT8(median);
}

/* ------------------------------------------------------ series_changes */

typedef struct TrendPoint
{
	int32		month;			/* months since year 0: year * 12 + month - 1 */
	DateADT		period;
	Datum		value;
	bool		isnull;
} TrendPoint;

static int
trend_point_cmp(const void *a, const void *b)
{
	int32		x = ((const TrendPoint *) a)->month;
	int32		y = ((const TrendPoint *) b)->month;

	return (x > y) - (x < y);
}

/* round(100 * (v - base) / base, 2), NULL (false) on a zero base */
static bool
trend_pct(Datum v, Datum base, Datum zero, Datum hundred, Datum *out)
{
	Datum		d;

	if (!DatumGetBool(DirectFunctionCall2(numeric_ne, base, zero)))
		return false;
	d = DirectFunctionCall2(numeric_sub, v, base);
	d = DirectFunctionCall2(numeric_mul, hundred, d);
	d = DirectFunctionCall2(numeric_div, d, base);
	*out = DirectFunctionCall2(numeric_round, d, Int32GetDatum(2));
	return true;
}

/*
 * series_changes(periods date[], vals numeric[], step text): per period, in
 * period order, the previous period's value (the period one step before, not
 * the previous element), the change and its percent, the same for the same
 * period a year before, and the sum of the year to the period when every
 * period of it has a value.  STRICT.
 */
Datum
indicator_series_changes(PG_FUNCTION_ARGS)
{
	ArrayType  *pa = PG_GETARG_ARRAYTYPE_P(0);
	ArrayType  *va = PG_GETARG_ARRAYTYPE_P(1);
	char	   *step = text_to_cstring(PG_GETARG_TEXT_PP(2));
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			k,
				per_year,
				np,
				nv;
	Datum	   *pe,
			   *ve;
	bool	   *pn,
			   *vn;
	TrendPoint *pt;
	Datum		zero = DirectFunctionCall1(int4_numeric, Int32GetDatum(0));
	Datum		hundred = DirectFunctionCall1(int4_numeric, Int32GetDatum(100));
	int			ago = 0;

	if (strcmp(step, "month") == 0)
		k = 1;
	else if (strcmp(step, "quarter") == 0)
		k = 3;
	else if (strcmp(step, "year") == 0)
		k = 12;
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("step must be month, quarter or year, not '%.*s'",
						pg_mbcliplen(step, strlen(step), 100), step)));
	per_year = 12 / k;
	if (ARR_NDIM(pa) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("periods must be a one-dimensional array")));
	if (ARR_NDIM(va) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("vals must be a one-dimensional array")));
	deconstruct_array(pa, DATEOID, sizeof(DateADT), true, TYPALIGN_INT, &pe, &pn, &np);
	deconstruct_array(va, NUMERICOID, -1, false, TYPALIGN_INT, &ve, &vn, &nv);
	if (np != nv)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%d periods but %d values", np, nv),
				 errhint("Give one value (or NULL) per period.")));
	pt = palloc(sizeof(TrendPoint) * Max(np, 1));
	for (int i = 0; i < np; i++)
	{
		DateADT		d;
		int			y,
					m,
					day;

		d = pn[i] ? 0 : DatumGetDateADT(pe[i]);
		if (pn[i] || DATE_NOT_FINITE(d))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("period %s is not the first day of a %s",
							pn[i] ? "NULL" : DatumGetCString(DirectFunctionCall1(date_out, pe[i])), step),
					 errhint("Periods are the first day of their %s (date_trunc('%s', d)).", step, step)));
		j2date(d + POSTGRES_EPOCH_JDATE, &y, &m, &day);
		if (day != 1 || (m - 1) % k != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("period %s is not the first day of a %s",
							DatumGetCString(DirectFunctionCall1(date_out, pe[i])), step),
					 errhint("Periods are the first day of their %s (date_trunc('%s', d)).", step, step)));
		pt[i].month = y * 12 + m - 1;	/* |y| < 5.9 million: no overflow */
		pt[i].period = d;
		pt[i].value = ve[i];
		pt[i].isnull = vn[i];
	}
	if (np > 1)
		qsort(pt, np, sizeof(TrendPoint), trend_point_cmp);
	for (int i = 1; i < np; i++)
		if (pt[i].month == pt[i - 1].month)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("period %s is given more than once",
							DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(pt[i].period)))),
					 errhint("Give one value per period (add up the values of a period first).")));

	InitMaterializedSRF(fcinfo, 0);
	for (int i = 0; i < np; i++)
	{
		Datum		values[9];
		bool		nulls[9];
		int			n_year = 0;
		Datum		sum_year = zero;
		bool		have_prev = i > 0 && pt[i - 1].month == pt[i].month - k && !pt[i - 1].isnull;
		bool		have_ago;

		if ((i & 255) == 0)
			CHECK_FOR_INTERRUPTS();
		for (int c = 0; c < 9; c++)
			nulls[c] = true;
		values[0] = DateADTGetDatum(pt[i].period);
		nulls[0] = false;
		/* the same period a year before: ago walks forward with i */
		while (pt[ago].month < pt[i].month - 12)
			ago++;
		have_ago = pt[ago].month == pt[i].month - 12 && !pt[ago].isnull;
		/* the year to the period: at most per_year elements back */
		for (int j = i; j >= 0 && pt[j].month > pt[i].month - 12; j--)
			if (!pt[j].isnull)
			{
				n_year++;
				sum_year = DirectFunctionCall2(numeric_add, sum_year, pt[j].value);
			}
		if (have_prev)
		{
			values[2] = pt[i - 1].value;
			nulls[2] = false;
		}
		if (have_ago)
		{
			values[5] = pt[ago].value;
			nulls[5] = false;
		}
		if (!pt[i].isnull)
		{
			values[1] = pt[i].value;
			nulls[1] = false;
			if (have_prev)
			{
				values[3] = DirectFunctionCall2(numeric_sub, pt[i].value, pt[i - 1].value);
				nulls[3] = false;
				nulls[4] = !trend_pct(pt[i].value, pt[i - 1].value, zero, hundred, &values[4]);
			}
			if (have_ago)
			{
				values[6] = DirectFunctionCall2(numeric_sub, pt[i].value, pt[ago].value);
				nulls[6] = false;
				nulls[7] = !trend_pct(pt[i].value, pt[ago].value, zero, hundred, &values[7]);
			}
		}
		if (n_year == per_year)
		{
			values[8] = sum_year;
			nulls[8] = false;
		}
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	PG_RETURN_NULL();
}
