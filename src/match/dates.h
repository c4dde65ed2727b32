/*
 * dates.h
 *		Agreement levels of two dates.
 */
#ifndef BRENT_MATCH_DATES_H
#define BRENT_MATCH_DATES_H

#include "utils/date.h"

typedef enum DateAgreement
{
	DATE_EXACT, DATE_TRANSPOSED, DATE_ONE_DIGIT, DATE_SAME_MONTH, DATE_WITHIN_YEAR,
	DATE_SAME_DAY_MONTH, DATE_DIFFERENT
} DateAgreement;

extern const char *const date_agreement_levels[];
extern DateAgreement date_agreement_level(DateADT a, DateADT b);

#endif							/* BRENT_MATCH_DATES_H */
