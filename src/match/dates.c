/*
 * dates.c
 *		date_agreement(): how closely two dates of birth agree, in levels a
 *		linkage model can weigh (the errors clerks make: day and month
 *		swapped, one digit mistyped, the year alone wrong).
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"

#include "match/dates.h"

PG_FUNCTION_INFO_V1(match_date_agreement);

const char *const date_agreement_levels[] = {
	"exact", "day_month_transposed", "one_digit_differs", "same_month_year",
	"within_one_year", "same_day_month", "different"
};

DateAgreement
date_agreement_level(DateADT a, DateADT b)
{
	int			ya,
				ma,
				da,
				yb,
				mb,
				db;
	char		sa[16],
				sb[16];
	int			differ = 0;

	if (a == b)
		return DATE_EXACT;
	if (DATE_NOT_FINITE(a) || DATE_NOT_FINITE(b))
		return DATE_DIFFERENT;
	j2date(a + POSTGRES_EPOCH_JDATE, &ya, &ma, &da);
	j2date(b + POSTGRES_EPOCH_JDATE, &yb, &mb, &db);
	if (ya == yb && da == mb && ma == db)
		return DATE_TRANSPOSED;
	snprintf(sa, sizeof(sa), "%04d%02d%02d", ya, ma, da);
	snprintf(sb, sizeof(sb), "%04d%02d%02d", yb, mb, db);
	if (strlen(sa) == strlen(sb))
	{
		for (int i = 0; sa[i]; i++)
			differ += (sa[i] != sb[i]);
		if (differ == 1)
			return DATE_ONE_DIGIT;
	}
	if (ya == yb && ma == mb)
		return DATE_SAME_MONTH;
	if (Abs(a - b) <= 365)
		return DATE_WITHIN_YEAR;
	/*
	 * The year alone wrong: keyed from another date, or mistyped in two
	 * digits.  Not 1 January, the day systems record for a birthday not
	 * known.
	 */
	if (ma == mb && da == db && !(ma == 1 && da == 1))
		return DATE_SAME_DAY_MONTH;
	return DATE_DIFFERENT;
}

Datum
match_date_agreement(PG_FUNCTION_ARGS)
{
	DateAgreement level = date_agreement_level(PG_GETARG_DATEADT(0), PG_GETARG_DATEADT(1));

	PG_RETURN_TEXT_P(cstring_to_text(date_agreement_levels[level]));
}
