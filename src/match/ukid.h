/*
 * ukid.h
 *		UK identifiers, for other modules (linkage comparisons) and SQL.
 */
#ifndef BRENT_MATCH_UKID_H
#define BRENT_MATCH_UKID_H

typedef struct Postcode
{
	char		outward[5];		/* "HA9", "NW10", "GIR" */
	char		inward[4];		/* "6AB" */
	int			area_len;		/* letters of the area: 1 or 2 (3 for GIR) */
} Postcode;

extern bool postcode_parse(const char *s, int len, Postcode *pc);
extern const char *postcode_agreement_level(const Postcode *a, const Postcode *b);
extern bool nhs_number_valid(const char *s, int len);

#endif							/* BRENT_MATCH_UKID_H */
