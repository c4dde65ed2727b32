/*
 * phonetic.h
 *		Phonetic codes, for name_keys and linkage.
 */
#ifndef BRENT_MATCH_PHONETIC_H
#define BRENT_MATCH_PHONETIC_H

extern int	phonetic_letters(const char *s, int len, char **out, bool keep_spaces);
extern void soundex_code(const char *letters, int n, char *out);
extern int	nysiis_code(char *letters, int n, char *out);

#endif							/* BRENT_MATCH_PHONETIC_H */
