/*
 * compare.c
 *		String comparators on characters (code points): Jaro, Jaro-Winkler,
 *		Levenshtein, bounded Levenshtein, Damerau-Levenshtein (optimal string
 *		alignment) and token Jaccard.
 *
 * Levenshtein uses the bit-parallel algorithm of Myers (1999) in Hyyrö's
 * formulation (2001, 2003): one machine word when the shorter string has at
 * most 64 characters, blocks of words above that, a two-row dynamic program
 * only when the blocks' match masks would not fit in memory.  The bounded
 * form exits as soon as the bound cannot be met, with a band of width 2k+1
 * (Ukkonen 1985) for long strings.  OSA uses Hyyrö's (2003) bit-parallel
 * extension for transpositions.  Jaro runs in O(n + m) for long strings
 * (matches per character taken in order with one cursor each), the plain
 * window scan for short ones.
 *
 * No function here raises an error on any input: the comparators are
 * LEAKPROOF (only jaro_winkler with an explicit prefix scale checks it).
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "port/pg_bitutils.h"
#include "utils/builtins.h"

#include "match/chars.h"
#include "match/compare.h"

PG_FUNCTION_INFO_V1(match_jaro);
PG_FUNCTION_INFO_V1(match_jaro_winkler);
PG_FUNCTION_INFO_V1(match_jaro_winkler_scaled);
PG_FUNCTION_INFO_V1(match_levenshtein);
PG_FUNCTION_INFO_V1(match_levenshtein_within);
PG_FUNCTION_INFO_V1(match_damerau_levenshtein);
PG_FUNCTION_INFO_V1(match_jaccard_tokens);

#define WORD_BITS 64
/* Above this many words of match masks, Levenshtein falls back to two rows. */
#define MAX_PEQ_WORDS (8 * 1024 * 1024)

/* ---- symbol -> match mask maps ---- */

/*
 * Match masks of a pattern: for each distinct character, the positions where
 * it occurs, as bits, in nblocks words.  ASCII characters index a table
 * directly; others go through an open-addressing hash of the pattern's
 * distinct characters, whose masks are stored one after the other.  The
 * size is (128 + distinct non-ASCII characters) x blocks: a pattern of
 * 100,000 Cyrillic characters needs a few dozen masks, not 100,000.
 */
typedef struct PeqMap
{
	int			nblocks;
	uint64	   *ascii;			/* 128 * nblocks */
	int			capacity;		/* power of two, 0 if the pattern is ASCII */
	pg_wchar   *keys;
	int32	   *index;			/* per slot: -1 (empty) or the key's number */
	uint64	   *masks;			/* nkeys * nblocks */
	int			nkeys;
	const pg_wchar *pattern;	/* to clear the shared table afterwards */
	int			npattern;
} PeqMap;

/*
 * The ASCII masks of one-word patterns live in one table per backend, kept
 * all zero between calls: a call sets its pattern's entries and clears just
 * those when done, instead of clearing 1 kB every time.  If a call is
 * interrupted (an error leaves the table dirty), the next one clears it all.
 */
static uint64 shared_ascii[128];
static bool shared_ascii_dirty = true;

/* Most distinct non-ASCII characters a pattern's hash is sized for. */
#define MAX_PEQ_KEYS (1 << 22)

static inline uint32
peq_hash(pg_wchar c)
{
	return (uint32) ((c * UINT64CONST(0x9E3779B97F4A7C15)) >> 40);
}

/* Returns the mask words of c, or NULL if c does not occur. */
static inline const uint64 *
peq_get(const PeqMap *map, pg_wchar c)
{
	if (c < 128)
		return map->ascii + (size_t) c * map->nblocks;
	if (map->capacity == 0)
		return NULL;
	for (uint32 h = peq_hash(c) & (map->capacity - 1);; h = (h + 1) & (map->capacity - 1))
	{
		if (map->index[h] < 0)
			return NULL;
		if (map->keys[h] == c)
			return map->masks + (size_t) map->index[h] * map->nblocks;
	}
}

/* The number of non-ASCII c, added if new; -1 if the hash is full. */
static int32
peq_key(PeqMap *map, pg_wchar c)
{
	for (uint32 h = peq_hash(c) & (map->capacity - 1);; h = (h + 1) & (map->capacity - 1))
	{
		if (map->index[h] < 0)
		{
			if (map->nkeys >= map->capacity / 2)
				return -1;
			map->keys[h] = c;
			map->index[h] = map->nkeys++;
			return map->index[h];
		}
		if (map->keys[h] == c)
			return map->index[h];
	}
}

static void
peq_free(PeqMap *map)
{
	if (map->ascii == shared_ascii)
	{
		for (int i = 0; i < map->npattern; i++)
			if (map->pattern[i] < 128)
				shared_ascii[map->pattern[i]] = 0;
		shared_ascii_dirty = false;
	}
	else if (map->ascii != NULL)
		pfree(map->ascii);
	if (map->capacity > 0)
	{
		pfree(map->keys);
		pfree(map->index);
		if (map->masks != NULL)
			pfree(map->masks);
	}
}

/* Builds the masks of p[0..n); false if they would be too big. */
static bool
peq_build(PeqMap *map, const Chars *p, const pg_wchar *c, int n)
{
	int			nonascii = 0;

	memset(map, 0, sizeof(PeqMap));
	map->pattern = c;
	map->npattern = n;
	map->nblocks = (n + WORD_BITS - 1) / WORD_BITS;
	if ((int64) 128 * map->nblocks > MAX_PEQ_WORDS)
		return false;
	if (!p->ascii)
		for (int i = 0; i < n; i++)
			if (c[i] >= 128)
				nonascii++;
	if (nonascii > 0)
	{
		/* the distinct non-ASCII characters first, to size the masks */
		map->capacity = 16;
		while (map->capacity < 2 * Min(nonascii, MAX_PEQ_KEYS))
			map->capacity *= 2;
		map->keys = palloc(sizeof(pg_wchar) * map->capacity);
		map->index = palloc(sizeof(int32) * map->capacity);
		memset(map->index, -1, sizeof(int32) * map->capacity);
		for (int i = 0; i < n; i++)
		{
			if ((i & 0xFFFFF) == 0xFFFFF)
				CHECK_FOR_INTERRUPTS();
			if (c[i] >= 128 && peq_key(map, c[i]) < 0)
			{
				peq_free(map);
				return false;
			}
		}
		if ((int64) (128 + map->nkeys) * map->nblocks > MAX_PEQ_WORDS)
		{
			peq_free(map);
			return false;
		}
		map->masks = palloc0(sizeof(uint64) * map->nkeys * map->nblocks);
	}
	if (map->nblocks == 1)
	{
		if (shared_ascii_dirty)
			memset(shared_ascii, 0, sizeof(shared_ascii));
		shared_ascii_dirty = true;
		map->ascii = shared_ascii;
	}
	else
		map->ascii = palloc0(sizeof(uint64) * 128 * map->nblocks);
	for (int i = 0; i < n; i++)
		((uint64 *) peq_get(map, c[i]))[i / WORD_BITS] |= UINT64CONST(1) << (i % WORD_BITS);
	return true;
}

static inline uint64
peq_word(const PeqMap *map, pg_wchar c, int block)
{
	const uint64 *m = peq_get(map, c);

	return m ? m[block] : 0;
}

/* ---- Levenshtein ---- */

/* Strips the common prefix and suffix of a and b (never changes the distance). */
static void
strip_affixes(const pg_wchar **a, int *n, const pg_wchar **b, int *m)
{
	while (*n > 0 && *m > 0 && (*a)[0] == (*b)[0])
	{
		(*a)++;
		(*b)++;
		(*n)--;
		(*m)--;
	}
	while (*n > 0 && *m > 0 && (*a)[*n - 1] == (*b)[*m - 1])
	{
		(*n)--;
		(*m)--;
	}
}

/*
 * Strips the common affixes of two strings and puts the shorter first
 * (a, n): the pattern of the bit-parallel algorithms.  Returns the Chars
 * the pattern comes from.
 */
static const Chars *
shorter_first(const Chars *ca, const Chars *cb, const pg_wchar **a, int *n,
			  const pg_wchar **b, int *m)
{
	*a = ca->c;
	*n = ca->len;
	*b = cb->c;
	*m = cb->len;
	strip_affixes(a, n, b, m);
	if (*n > *m)
	{
		const pg_wchar *t = *a;
		int			tl = *n;

		*a = *b;
		*n = *m;
		*b = t;
		*m = tl;
		return cb;
	}
	return ca;
}

/* Two-row dynamic program, O(n m) time, O(n) memory. */
static int
lev_rows(const pg_wchar *a, int n, const pg_wchar *b, int m)
{
	int		   *row = match_alloc(sizeof(int) * ((Size) n + 1));
	int			result;

	for (int i = 0; i <= n; i++)
		row[i] = i;
	for (int j = 1; j <= m; j++)
	{
		int			diag = row[0];

		CHECK_FOR_INTERRUPTS();
		row[0] = j;
		for (int i = 1; i <= n; i++)
		{
			int			up = row[i];
			int			v = diag + (a[i - 1] != b[j - 1]);

			v = Min(v, up + 1);
			v = Min(v, row[i - 1] + 1);
			row[i] = v;
			diag = up;
		}
	}
	result = row[n];
	pfree(row);
	return result;
}

/* Ukkonen's band: distance if at most k, else k + 1.  n <= m, m - n <= k. */
static int
lev_band(const pg_wchar *a, int n, const pg_wchar *b, int m, int k)
{
	int		   *row = match_alloc(sizeof(int) * ((Size) m + 1));
	int			big = k + 1;
	int			result;

	for (int j = 0; j <= m; j++)
		row[j] = j <= k ? j : big;
	for (int i = 1; i <= n; i++)
	{
		int			lo = Max(1, i - k);
		int			hi = (int) Min((int64) m, (int64) i + k);
		int			diag = row[lo - 1];
		int			best = big;

		if ((i & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
		row[lo - 1] = (lo - 1 == 0) ? Min(i, big) : big;
		for (int j = lo; j <= hi; j++)
		{
			int			up = row[j];
			int			v = diag + (a[i - 1] != b[j - 1]);

			v = Min(v, up + 1);
			v = Min(v, row[j - 1] + 1);
			v = Min(v, big);
			row[j] = v;
			diag = up;
			best = Min(best, v);
		}
		if (hi < m)
			row[hi + 1] = big;
		if (best > k)
		{
			pfree(row);
			return big;
		}
	}
	result = Min(row[m], big);
	pfree(row);
	return result;
}

/*
 * Bit-parallel Levenshtein, pattern a (n chars, any length) against text b.
 * With max >= 0, gives up (returning max + 1) once the distance must exceed
 * max.  Returns -1 if the match masks would not fit.
 */
static int
lev_bits(const Chars *pa, const pg_wchar *a, int n, const pg_wchar *b, int m, int max)
{
	PeqMap		map;
	int			score = n;

	if (!peq_build(&map, pa, a, n))
		return -1;

	if (map.nblocks == 1)
	{
		uint64		pv = ~UINT64CONST(0);
		uint64		mv = 0;
		uint64		last = UINT64CONST(1) << (n - 1);

		for (int j = 0; j < m; j++)
		{
			uint64		eq = peq_word(&map, b[j], 0);
			uint64		xv = eq | mv;
			uint64		xh = (((eq & pv) + pv) ^ pv) | eq;
			uint64		ph = mv | ~(xh | pv);
			uint64		mh = pv & xh;

			if (ph & last)
				score++;
			else if (mh & last)
				score--;
			ph = (ph << 1) | 1;
			mh <<= 1;
			pv = mh | ~(xv | ph);
			mv = ph & xv;
			if (max >= 0 && score - (m - j - 1) > max)
			{
				score = max + 1;
				break;
			}
			if ((j & 0xFFFF) == 0xFFFF)
				CHECK_FOR_INTERRUPTS();
		}
	}
	else
	{
		int			nb = map.nblocks;
		uint64	   *pv = palloc(sizeof(uint64) * nb);
		uint64	   *mv = palloc0(sizeof(uint64) * nb);
		uint64		last = UINT64CONST(1) << ((n - 1) % WORD_BITS);

		for (int k = 0; k < nb; k++)
			pv[k] = ~UINT64CONST(0);
		for (int j = 0; j < m; j++)
		{
			const uint64 *eqs = peq_get(&map, b[j]);
			int			hin = 1;	/* row 0 grows by one per column */

			for (int k = 0; k < nb; k++)
			{
				uint64		eq = eqs ? eqs[k] : 0;
				uint64		xv = eq | mv[k];
				uint64		xh,
							ph,
							mh;
				uint64		high = (k == nb - 1) ? last : (UINT64CONST(1) << 63);
				int			hout = 0;

				if (hin < 0)
					eq |= 1;
				xh = (((eq & pv[k]) + pv[k]) ^ pv[k]) | eq;
				ph = mv[k] | ~(xh | pv[k]);
				mh = pv[k] & xh;
				if (ph & high)
					hout = 1;
				else if (mh & high)
					hout = -1;
				ph <<= 1;
				mh <<= 1;
				if (hin < 0)
					mh |= 1;
				else if (hin > 0)
					ph |= 1;
				pv[k] = mh | ~(xv | ph);
				mv[k] = ph & xv;
				hin = hout;
			}
			score += hin;
			if (max >= 0 && score - (m - j - 1) > max)
			{
				score = max + 1;
				break;
			}
			if ((j & 0x3FF) == 0x3FF)
				CHECK_FOR_INTERRUPTS();
		}
		pfree(pv);
		pfree(mv);
	}
	peq_free(&map);
	return score;
}

/*
 * Levenshtein distance of two character arrays; with max >= 0, the result
 * is capped at max + 1 ("more than max") and the work stops early.
 */
int
match_levenshtein_chars(const Chars *ca, const Chars *cb, int max)
{
	const pg_wchar *a,
			   *b;
	int			n,
				m;
	const Chars *pattern = shorter_first(ca, cb, &a, &n, &b, &m);
	int			d;

	if (max >= 0 && m - n > max)
		return max + 1;
	if (n == 0)
		return m;

	/*
	 * The distance is at most m (n <= m): a larger bound changes nothing, and
	 * clamping it keeps max + 1, 2 max + 1 and i + max below INT_MAX whatever
	 * the caller gave.
	 */
	if (max > m)
		max = m;
	if (max >= 0 && n > WORD_BITS && (2 * (int64) max + 1) * WORD_BITS < n)
		return lev_band(a, n, b, m, max);
	d = lev_bits(pattern, a, n, b, m, max);
	if (d < 0)
		d = (max >= 0) ? lev_band(a, n, b, m, max) : lev_rows(a, n, b, m);
	return (max >= 0) ? Min(d, max + 1) : d;
}

/* ---- Damerau-Levenshtein, optimal string alignment ---- */

static int
osa_rows(const pg_wchar *a, int n, const pg_wchar *b, int m)
{
	int		   *prev2 = match_alloc(sizeof(int) * ((Size) n + 1));
	int		   *prev = match_alloc(sizeof(int) * ((Size) n + 1));
	int		   *cur = match_alloc(sizeof(int) * ((Size) n + 1));
	int			result;

	for (int i = 0; i <= n; i++)
		prev[i] = i;
	for (int j = 1; j <= m; j++)
	{
		int		   *t;

		CHECK_FOR_INTERRUPTS();
		cur[0] = j;
		for (int i = 1; i <= n; i++)
		{
			int			v = prev[i - 1] + (a[i - 1] != b[j - 1]);

			v = Min(v, prev[i] + 1);
			v = Min(v, cur[i - 1] + 1);
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
				v = Min(v, prev2[i - 2] + 1);
			cur[i] = v;
		}
		t = prev2;
		prev2 = prev;
		prev = cur;
		cur = t;
	}
	result = prev[n];
	pfree(prev2);
	pfree(prev);
	pfree(cur);
	return result;
}

/*
 * Hyyrö's (2003) bit-parallel OSA, on a pattern of any number of 64-bit
 * blocks: the vectors are numbers of n bits, and each operation of the
 * one-word algorithm is carried across blocks as multi-word arithmetic does
 * (the sum's carry, and the bit shifted out of each left shift), so the
 * result is exactly that of one n-bit word.  O(n m / 64) time.  Returns -1
 * if the match masks would not fit.
 */
static int
osa_bits(const Chars *pattern, const pg_wchar *a, int n, const pg_wchar *b, int m)
{
	PeqMap		map;
	int			nb;
	int			score = n;
	uint64	   *vp,
			   *vn,
			   *d0;
	const uint64 *prev_eq = NULL;
	uint64		last;
	static const uint64 zero_word = 0;

	if (!peq_build(&map, pattern, a, n))
		return -1;
	nb = map.nblocks;
	last = UINT64CONST(1) << ((n - 1) % WORD_BITS);
	vp = palloc(sizeof(uint64) * nb);
	vn = palloc0(sizeof(uint64) * nb);
	d0 = palloc0(sizeof(uint64) * nb);
	for (int k = 0; k < nb; k++)
		vp[k] = ~UINT64CONST(0);
	for (int j = 0; j < m; j++)
	{
		const uint64 *eqs = peq_get(&map, b[j]);
		uint64		carry_add = 0,
					carry_tr = 0,
					carry_hp = 1,	/* row 0 grows by one per column */
					carry_hn = 0;

		for (int k = 0; k < nb; k++)
		{
			uint64		eq = eqs ? eqs[k] : 0;
			uint64		x = (~d0[k]) & eq;
			uint64		tr = ((x << 1) | carry_tr) & (prev_eq ? prev_eq[k] : zero_word);
			uint64		and = eq & vp[k];
			uint64		sum1 = and + vp[k];
			uint64		sum = sum1 + carry_add;
			uint64		d,
						hp,
						hn,
						hps,
						hns;

			carry_add = (sum1 < and) | (sum < sum1);
			carry_tr = x >> 63;
			d = (sum ^ vp[k]) | eq | vn[k] | tr;
			hp = vn[k] | ~(d | vp[k]);
			hn = d & vp[k];
			if (k == nb - 1)
			{
				if (hp & last)
					score++;
				else if (hn & last)
					score--;
			}
			hps = (hp << 1) | carry_hp;
			hns = (hn << 1) | carry_hn;
			carry_hp = hp >> 63;
			carry_hn = hn >> 63;
			vp[k] = hns | ~(d | hps);
			vn[k] = hps & d;
			d0[k] = d;
		}
		prev_eq = eqs;
		if (nb > 1 ? (j & 0x3FF) == 0x3FF : (j & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();
	}
	pfree(vp);
	pfree(vn);
	pfree(d0);
	peq_free(&map);
	return score;
}

static int
osa_chars(const Chars *ca, const Chars *cb)
{
	const pg_wchar *a,
			   *b;
	int			n,
				m;
	const Chars *pattern = shorter_first(ca, cb, &a, &n, &b, &m);
	int			d;

	if (n == 0)
		return m;
	d = osa_bits(pattern, a, n, b, m);
	return d >= 0 ? d : osa_rows(a, n, b, m);
}

/* ---- Jaro ---- */

typedef struct PosEntry
{
	pg_wchar	c;
	int			pos;
} PosEntry;

/*
 * Sorting a long string's characters or tokens takes seconds: the
 * comparators let a cancel in, every million calls (an error out of qsort
 * leaves nothing behind but memory of the current context).
 */
static uint32 sort_calls = 0;

static inline void
sort_interrupts(void)
{
	if ((++sort_calls & 0xFFFFF) == 0)
		CHECK_FOR_INTERRUPTS();
}

static int
pos_cmp(const void *x, const void *y)
{
	const PosEntry *a = x,
			   *b = y;

	sort_interrupts();

	if (a->c != b->c)
		return a->c < b->c ? -1 : 1;
	return a->pos - b->pos;
}

/*
 * Marks the characters of a and b that match within the window, and
 * returns how many.  For each character of a in order, the first unmatched
 * equal character of b within the window is taken.
 */
static int
jaro_match(const pg_wchar *a, int n, const pg_wchar *b, int m, int window,
		   bool *fa, bool *fb)
{
	int			matches = 0;

	if ((int64) n * (2 * window + 1) <= 4 * 1024 * 1024)
	{
		for (int i = 0; i < n; i++)
		{
			int			lo = Max(0, i - window);
			int			hi = Min(m - 1, i + window);

			for (int j = lo; j <= hi; j++)
				if (!fb[j] && a[i] == b[j])
				{
					fa[i] = fb[j] = true;
					matches++;
					break;
				}
		}
		return matches;
	}

	/*
	 * Long strings: the positions of b grouped by character.  For one
	 * character, the positions taken are increasing (a smaller free one in
	 * the window would have been taken by an earlier occurrence), so one
	 * cursor per character finds each match.
	 */
	{
		PosEntry   *pos = match_alloc(sizeof(PosEntry) * (Size) m);
		int		   *cursor = match_alloc(sizeof(int) * (Size) m);	/* per group start */

		for (int j = 0; j < m; j++)
		{
			pos[j].c = b[j];
			pos[j].pos = j;
		}
		qsort(pos, m, sizeof(PosEntry), pos_cmp);
		for (int j = 0; j < m; j++)
			cursor[j] = j;
		for (int i = 0; i < n; i++)
		{
			int			lo = 0,
						hi = m;
			int			g,
						k;

			if ((i & 0xFFFF) == 0xFFFF)
				CHECK_FOR_INTERRUPTS();
			/* first entry of a[i]'s group */
			while (lo < hi)
			{
				int			mid = (lo + hi) / 2;

				if (pos[mid].c < a[i])
					lo = mid + 1;
				else
					hi = mid;
			}
			if (lo >= m || pos[lo].c != a[i])
				continue;
			g = lo;
			k = cursor[g];
			while (k < m && pos[k].c == a[i] && pos[k].pos < i - window)
				k++;
			if (k < m && pos[k].c == a[i] && pos[k].pos <= i + window)
			{
				fa[i] = fb[pos[k].pos] = true;
				matches++;
				k++;
			}
			cursor[g] = k;
		}
		pfree(pos);
		pfree(cursor);
	}
	return matches;
}

/* Bits lo..hi of a word (positions of b within a character's window). */
static inline uint64
window_mask(int lo, int hi)
{
	uint64		mask = (hi >= 63) ? ~UINT64CONST(0) : ((UINT64CONST(1) << (hi + 1)) - 1);

	if (lo > 0)
		mask &= ~((UINT64CONST(1) << lo) - 1);
	return mask;
}

/*
 * Jaro with b in one machine word (m <= 64): the candidates of a[i] are the
 * bits of b's mask for a[i], within the window, not yet taken; the lowest
 * is the first free match, as in the scan.  Then the transpositions walk
 * the taken bits in order.
 */
static double
jaro_bits(const Chars *ca, const Chars *cb, int window)
{
	const pg_wchar *a = ca->c,
			   *b = cb->c;
	int			n = ca->len,
				m = cb->len;
	PeqMap		map;
	uint64		taken = 0;
	uint64		fa_bits[4] = {0, 0, 0, 0};	/* flags of a, if n <= 256 */
	bool	   *fa = NULL;
	int			matches = 0,
				half = 0;

	if (n > 256)
		fa = match_alloc0(sizeof(bool) * (Size) n);
	peq_build(&map, cb, b, m);
	for (int i = 0; i < n; i++)
	{
		int			lo = i - window,
					hi = i + window;
		uint64		mask,
					cand;

		if (lo >= m)
			break;
		mask = window_mask(lo, hi);
		cand = peq_word(&map, a[i], 0) & mask & ~taken;
		if (cand)
		{
			taken |= cand & (~cand + 1);	/* lowest bit */
			matches++;
			if (fa)
				fa[i] = true;
			else
				fa_bits[i / 64] |= UINT64CONST(1) << (i % 64);
		}
	}
	peq_free(&map);
	if (matches == 0)
	{
		if (fa)
			pfree(fa);
		return 0.0;
	}
	{
		uint64		rest = taken;

		for (int i = 0; i < n && rest; i++)
		{
			int			j;

			if (fa ? !fa[i] : !(fa_bits[i / 64] & (UINT64CONST(1) << (i % 64))))
				continue;
			j = pg_rightmost_one_pos64(rest);
			rest &= rest - 1;
			if (a[i] != b[j])
				half++;
		}
	}
	if (fa)
		pfree(fa);
	return ((double) matches / n + (double) matches / m +
			(double) (matches - half / 2) / matches) / 3.0;
}

/*
 * Jaro similarity, as Winkler's strcmp95 and jellyfish compute it: matches
 * within max(n, m) / 2 - 1 of each other; transpositions are half the
 * matched characters out of order, rounded down.
 */
double
match_jaro_chars(const Chars *ca, const Chars *cb)
{
	const pg_wchar *a = ca->c,
			   *b = cb->c;
	int			n = ca->len,
				m = cb->len;
	int			window,
				matches,
				half_transpositions = 0;
	bool		local_a[64],
				local_b[64];
	bool	   *fa,
			   *fb;
	double		result;

	if (n == 0 && m == 0)
		return 1.0;
	if (n == 0 || m == 0)
		return 0.0;
	window = Max(n, m) / 2 - 1;
	if (window < 0)
		window = 0;
	if (m <= 64)
		return jaro_bits(ca, cb, window);
	fa = n <= 64 ? local_a : match_alloc(sizeof(bool) * (Size) n);
	fb = m <= 64 ? local_b : match_alloc(sizeof(bool) * (Size) m);
	memset(fa, 0, sizeof(bool) * n);
	memset(fb, 0, sizeof(bool) * m);

	matches = jaro_match(a, n, b, m, window, fa, fb);
	if (matches == 0)
		result = 0.0;
	else
	{
		for (int i = 0, j = 0; i < n; i++)
		{
			if (!fa[i])
				continue;
			while (!fb[j])
				j++;
			if (a[i] != b[j])
				half_transpositions++;
			j++;
		}
		result = ((double) matches / n + (double) matches / m +
				  (double) (matches - half_transpositions / 2) / matches) / 3.0;
	}
	if (fa != local_a)
		pfree(fa);
	if (fb != local_b)
		pfree(fb);
	return result;
}

/*
 * The common case, both strings ASCII and the second at most 64 bytes: the
 * same algorithm as jaro_bits() straight on the bytes, without decoding.
 */
static double
jaro_ascii(const unsigned char *a, int n, const unsigned char *b, int m)
{
	int			window = Max(n, m) / 2 - 1;
	uint64		taken = 0;
	uint64		fa_lo = 0,
				fa_hi = 0;		/* matched positions of a (n <= 128) */
	int			matches = 0,
				half = 0;
	uint64		rest;

	if (n == 0 && m == 0)
		return 1.0;
	if (n == 0 || m == 0)
		return 0.0;
	if (window < 0)
		window = 0;
	if (shared_ascii_dirty)
		memset(shared_ascii, 0, sizeof(shared_ascii));
	shared_ascii_dirty = true;
	for (int j = 0; j < m; j++)
		shared_ascii[b[j]] |= UINT64CONST(1) << j;
	for (int i = 0; i < n; i++)
	{
		int			lo = i - window,
					hi = i + window;
		uint64		mask,
					cand;

		if (lo >= m)
			break;
		mask = window_mask(lo, hi);
		cand = shared_ascii[a[i]] & mask & ~taken;
		if (cand)
		{
			taken |= cand & (~cand + 1);
			matches++;
			if (i < 64)
				fa_lo |= UINT64CONST(1) << i;
			else
				fa_hi |= UINT64CONST(1) << (i - 64);
		}
	}
	for (int j = 0; j < m; j++)
		shared_ascii[b[j]] = 0;
	shared_ascii_dirty = false;
	if (matches == 0)
		return 0.0;
	rest = taken;
	for (int half_word = 0; half_word < 2; half_word++)
	{
		uint64		fa = half_word == 0 ? fa_lo : fa_hi;

		while (fa)
		{
			int			i = pg_rightmost_one_pos64(fa) + 64 * half_word;
			int			j = pg_rightmost_one_pos64(rest);

			fa &= fa - 1;
			rest &= rest - 1;
			if (a[i] != b[j])
				half++;
		}
	}
	return ((double) matches / n + (double) matches / m +
			(double) (matches - half / 2) / matches) / 3.0;
}

static inline bool
bytes_ascii(const char *s, int len)
{
	for (int i = 0; i < len; i++)
		if ((unsigned char) s[i] >= 0x80)
			return false;
	return true;
}

/*
 * Jaro (winkler false) or Jaro-Winkler of two strings of bytes in the
 * server encoding, through the ASCII path when it applies (the second
 * string at most 64 bytes, the first at most 128), else on their decoded
 * characters: the same result either way.
 */
double
match_jaro_winkler_bytes(const char *a, int n, const char *b, int m, double prefix_scale,
						 bool winkler)
{
	double		j;

	if (m <= 64 && n <= 128 && bytes_ascii(a, n) && bytes_ascii(b, m))
	{
		int			prefix = 0;

		j = jaro_ascii((const unsigned char *) a, n, (const unsigned char *) b, m);
		if (!winkler || j <= 0.7)
			return j;
		while (prefix < 4 && prefix < n && prefix < m && a[prefix] == b[prefix])
			prefix++;
		return j + prefix * prefix_scale * (1.0 - j);
	}
	else
	{
		Chars		ca,
					cb;

		chars_from_bytes(&ca, a, n);
		chars_from_bytes(&cb, b, m);
		j = winkler ? match_jaro_winkler_chars(&ca, &cb, prefix_scale) :
			match_jaro_chars(&ca, &cb);
		chars_free(&ca);
		chars_free(&cb);
		return j;
	}
}

static double
jaro_winkler_text(text *ta, text *tb, double prefix_scale, bool winkler)
{
	return match_jaro_winkler_bytes(VARDATA_ANY(ta), VARSIZE_ANY_EXHDR(ta),
									VARDATA_ANY(tb), VARSIZE_ANY_EXHDR(tb),
									prefix_scale, winkler);
}

double
match_jaro_winkler_chars(const Chars *a, const Chars *b, double prefix_scale)
{
	double		j = match_jaro_chars(a, b);
	int			prefix = 0;

	/* Winkler's boost, for pairs already similar (Jaro above 0.7) */
	if (j <= 0.7)
		return j;
	while (prefix < 4 && prefix < a->len && prefix < b->len &&
		   a->c[prefix] == b->c[prefix])
		prefix++;
	return j + prefix * prefix_scale * (1.0 - j);
}

/* ---- token Jaccard ---- */

typedef struct Token
{
	const char *s;
	int			len;
} Token;

static inline int
token_cmp(const void *x, const void *y)
{
	const Token *a = x,
			   *b = y;
	int			r = memcmp(a->s, b->s, Min(a->len, b->len));

	return r != 0 ? r : (a->len > b->len) - (a->len < b->len);
}

static int
token_sort_cmp(const void *x, const void *y)
{
	sort_interrupts();
	return token_cmp(x, y);
}

static inline bool
is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/*
 * Distinct whitespace-separated tokens, sorted; returns their number.  The
 * array is sized by a first count (a 140 MB value of one-letter words has
 * 70 million tokens: a huge allocation, never an error on size).
 */
static int
tokens_sorted(const char *s, int len, Token **out)
{
	Token	   *t = NULL;
	int			n = 0,
				k = 0;

	for (int pass = 0; pass < 2; pass++)
	{
		int			count = 0;

		for (int i = 0; i < len;)
		{
			int			start;

			while (i < len && is_space((unsigned char) s[i]))
				i++;
			if (i >= len)
				break;
			start = i;
			while (i < len && !is_space((unsigned char) s[i]))
				i++;
			if (pass == 1)
			{
				t[count].s = s + start;
				t[count].len = i - start;
			}
			count++;
		}
		if (pass == 0)
			t = match_alloc(sizeof(Token) * ((Size) count + 1));
		n = count;
		CHECK_FOR_INTERRUPTS();
	}
	if (n > 1)
		qsort(t, n, sizeof(Token), token_sort_cmp);
	for (int i = 0; i < n; i++)
		if (k == 0 || token_cmp(&t[k - 1], &t[i]) != 0)
			t[k++] = t[i];
	*out = t;
	return k;
}

double
match_jaccard_tokens_bytes(const char *a, int alen, const char *b, int blen)
{
	Token	   *ta,
			   *tb;
	int			na = tokens_sorted(a, alen, &ta);
	int			nb = tokens_sorted(b, blen, &tb);
	int			common = 0;
	double		result;

	for (int i = 0, j = 0; i < na && j < nb;)
	{
		int			c = token_cmp(&ta[i], &tb[j]);

		if (c == 0)
		{
			common++;
			i++;
			j++;
		}
		else if (c < 0)
			i++;
		else
			j++;
	}
	result = (na + nb == 0) ? 1.0 : (double) common / (na + nb - common);
	pfree(ta);
	pfree(tb);
	return result;
}

/* ---- SQL ---- */

/* Both text arguments as characters. */
static void
get_pair(FunctionCallInfo fcinfo, Chars *a, Chars *b)
{
	chars_from_text(a, PG_GETARG_TEXT_PP(0));
	chars_from_text(b, PG_GETARG_TEXT_PP(1));
}

static void
free_pair(Chars *a, Chars *b)
{
	chars_free(a);
	chars_free(b);
}

Datum
match_jaro(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(jaro_winkler_text(PG_GETARG_TEXT_PP(0), PG_GETARG_TEXT_PP(1), 0, false));
}

Datum
match_jaro_winkler(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(jaro_winkler_text(PG_GETARG_TEXT_PP(0), PG_GETARG_TEXT_PP(1), 0.1, true));
}

Datum
match_jaro_winkler_scaled(PG_FUNCTION_ARGS)
{
	double		p = PG_GETARG_FLOAT8(2);

	if (!(p >= 0.0 && p <= 0.25))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("prefix_scale must be between 0 and 0.25, not %g", p),
				 errdetail("Above 0.25 the score of a pair sharing a 4-character prefix can exceed 1."),
				 errhint("Winkler's value is 0.1.")));
	PG_RETURN_FLOAT8(jaro_winkler_text(PG_GETARG_TEXT_PP(0), PG_GETARG_TEXT_PP(1), p, true));
}

Datum
match_levenshtein(PG_FUNCTION_ARGS)
{
	Chars		a,
				b;
	int			d;

	get_pair(fcinfo, &a, &b);
	d = match_levenshtein_chars(&a, &b, -1);
	free_pair(&a, &b);
	PG_RETURN_INT32(d);
}

Datum
match_levenshtein_within(PG_FUNCTION_ARGS)
{
	int32		k = PG_GETARG_INT32(2);
	Chars		a,
				b;
	int			d;

	if (k < 0)
		PG_RETURN_BOOL(false);
	get_pair(fcinfo, &a, &b);
	d = match_levenshtein_chars(&a, &b, k);
	free_pair(&a, &b);
	PG_RETURN_BOOL(d <= k);
}

Datum
match_damerau_levenshtein(PG_FUNCTION_ARGS)
{
	Chars		a,
				b;
	int			d;

	get_pair(fcinfo, &a, &b);
	d = osa_chars(&a, &b);
	free_pair(&a, &b);
	PG_RETURN_INT32(d);
}

Datum
match_jaccard_tokens(PG_FUNCTION_ARGS)
{
	text	   *a = PG_GETARG_TEXT_PP(0);
	text	   *b = PG_GETARG_TEXT_PP(1);

	PG_RETURN_FLOAT8(match_jaccard_tokens_bytes(VARDATA_ANY(a), VARSIZE_ANY_EXHDR(a),
												VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b)));
}
