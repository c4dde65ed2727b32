/*
 * chars.h
 *		Text as an array of characters (code points), for the comparators.
 *
 * Comparisons count characters, never bytes: "Zoë" has three.  Pure ASCII
 * (the usual case for normalised names) is taken byte for byte without
 * decoding; anything else is decoded with the server encoding's own
 * mb2wchar, which gives Unicode code points in a UTF-8 database.
 */
#ifndef BRENT_MATCH_CHARS_H
#define BRENT_MATCH_CHARS_H

#include "postgres.h"

#include "mb/pg_wchar.h"
#include "utils/memutils.h"

typedef struct Chars
{
	const pg_wchar *c;
	int			len;
	bool		ascii;			/* every character < 128 */
	pg_wchar	local[64];		/* storage for short strings */
} Chars;

/*
 * Allocations whose size follows the input: a text value of up to 1 GB may
 * need arrays of several GB, past palloc's limit, and the LEAKPROOF
 * comparators must not raise "invalid memory alloc request size" on any
 * input (only running out of memory, or a cancel, may stop them, as for
 * PostgreSQL's own LEAKPROOF functions).
 */
static inline void *
match_alloc(Size size)
{
	return MemoryContextAllocExtended(CurrentMemoryContext, size, MCXT_ALLOC_HUGE);
}

static inline void *
match_alloc0(Size size)
{
	return MemoryContextAllocExtended(CurrentMemoryContext, size, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
}

/* Decodes len bytes at s; uses ch->local when it is big enough. */
static inline void
chars_from_bytes(Chars *ch, const char *s, int len)
{
	pg_wchar   *out;
	bool		ascii = true;

	for (int i = 0; i < len; i++)
		if ((unsigned char) s[i] >= 0x80)
		{
			ascii = false;
			break;
		}
	out = (len <= (int) lengthof(ch->local)) ? ch->local :
		(pg_wchar *) match_alloc(sizeof(pg_wchar) * ((Size) len + 1));
	if (ascii)
	{
		for (int i = 0; i < len; i++)
			out[i] = (unsigned char) s[i];
		ch->len = len;
	}
	else
		ch->len = pg_mb2wchar_with_len(s, out, len);
	ch->c = out;
	ch->ascii = ascii;
}

static inline void
chars_from_text(Chars *ch, const text *t)
{
	chars_from_bytes(ch, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
}

static inline void
chars_free(Chars *ch)
{
	if (ch->c != ch->local)
		pfree((void *) ch->c);
}

#endif							/* BRENT_MATCH_CHARS_H */
