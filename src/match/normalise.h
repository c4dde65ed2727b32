/*
 * normalise.h
 *		Name normalisation, for other modules and SQL.
 */
#ifndef BRENT_MATCH_NORMALISE_H
#define BRENT_MATCH_NORMALISE_H

extern int	normalise_ascii(const char *s, int len, char *out);
extern char *normalise_name_cstring(const char *s, int len, int *outlen);

#endif							/* BRENT_MATCH_NORMALISE_H */
