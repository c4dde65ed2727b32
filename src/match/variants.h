/*
 * variants.h
 *		Name variants, name keys and full-name similarity.
 */
#ifndef BRENT_MATCH_VARIANTS_H
#define BRENT_MATCH_VARIANTS_H

extern int	name_skeleton(const char *t, int len, char *out);
extern char **variant_canonical(const char *token, int len, int *n);
extern double name_similarity_text(text *a, text *b);
extern double name_similarity_cstring(const char *a, int alen, const char *b, int blen);

#endif							/* BRENT_MATCH_VARIANTS_H */
