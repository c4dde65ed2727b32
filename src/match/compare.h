/*
 * compare.h
 *		String comparators on characters, for other modules (name_similarity,
 *		linkage) as well as SQL.
 */
#ifndef BRENT_MATCH_COMPARE_H
#define BRENT_MATCH_COMPARE_H

#include "match/chars.h"

extern double match_jaro_chars(const Chars *a, const Chars *b);
extern double match_jaro_winkler_chars(const Chars *a, const Chars *b, double prefix_scale);
extern double match_jaro_winkler_bytes(const char *a, int n, const char *b, int m,
									   double prefix_scale, bool winkler);
extern int	match_levenshtein_chars(const Chars *a, const Chars *b, int max);
extern double match_jaccard_tokens_bytes(const char *a, int alen, const char *b, int blen);

#endif							/* BRENT_MATCH_COMPARE_H */
