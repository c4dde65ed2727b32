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
#include "miscadmin.h"
#include "utils/array.h"

PG_FUNCTION_INFO_V1(indicator_sen_slope);

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
