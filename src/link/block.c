/*
 * block.c
 *		Blocking: the candidate pairs a linkage run compares.
 *
 * Rules from the columns mapping (default_rules below): records that share
 * a rule's key are candidates; names are keyed by sound (Double Metaphone),
 * so that spelling and transliteration do not hide a pair.  Rules are OR-ed
 * and the pairs de-duplicated (sorted chunk by chunk in the run's store, and
 * merged: store.c).  Before any pair is made, the number of comparisons
 * the rules would generate is counted, and a run that would exceed
 * max_pairs is refused.  Blocks of more than LINK_MAX_BLOCK records (a value
 * shared by thousands: "Patel", a default date, one person loaded thousands
 * of times) are not compared pair by pair.  Their records are grouped by
 * every compared value (records identical on every compared column are one
 * group); a block of LINK_MAX_BLOCK groups or fewer is compared group by
 * group (the first record of each group with the first of each other), and
 * each group's records with its first record (a star, linear in the group's
 * size); a block of more groups is split by sorted neighbourhood (below),
 * and its stars kept.  The pairs of a star that no block compared pair by
 * pair neither train the model nor count towards its prior (copies of one
 * record say nothing of the population) and, where the records hold two
 * identifying values or more, are a match outright (LINK_PAIR_IDENTICAL).
 *
 * Sorted neighbourhood: the groups of a block of more than LINK_MAX_BLOCK
 * groups (a common city, a common surname at a large address) are sorted by
 * their values in up to LINK_SPLIT_ORDERS orders, each led by another column
 * (given name, date, surname, full name, identifier, postcode, text, ...;
 * the others following in that order, wrapping round; a column the rule
 * blocks on by its value is one value in the block, and left out), and each
 * group is compared with the next brent_mdm.split_window groups (10 by
 * default) in each order: pairs linear in the block's size (at most
 * LINK_SPLIT_ORDERS x the window a group; twice that in link), so that a pair differing
 * by a typo in the leading column of one order is still near in another.
 * They are counted exactly, before any pair is made, with the others, so
 * that max_pairs still refuses a run.  Pairs only a split block makes are
 * scored and clustered but do not train the model nor count towards its
 * prior (LINK_PAIR_NEIGHBOUR): they are neighbours in one value of a key
 * shared by more than LINK_MAX_BLOCK records, and would make every training
 * session of the rule one of that value.  A notice says how many blocks were
 * split, their records and the comparisons.
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "miscadmin.h"
#include "utils/datetime.h"
#include "utils/memutils.h"

#include "brent_mdm.h"
#include "link/link.h"
#include "match/dmetaphone.h"
#include "match/variants.h"


/* pairs a record a date alone may bring, before the date takes a name's initial */
#define DATE_RULE_MAX_PER_RECORD 4

typedef struct BlockEntry
{
	uint64		key;
	int32		record;
	uint32		present;		/* the record's columns (a guest rule's counts) */
} BlockEntry;

static int
entry_cmp(const void *x, const void *y)
{
	const BlockEntry *a = x,
			   *b = y;

	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	return a->record - b->record;
}

/* qsort's order by entry_cmp, entry_cmp inlined (link_merge_begin_sorted) */
#define CHUNK_SORT sort_entries
#define CHUNK_SORT_TYPE BlockEntry
#define CHUNK_SORT_CMP entry_cmp
#include "link/chunk_sort.h"

/* How a pair was made (the least of them, when several rules made it). */
#define PAIR_DIRECT 0			/* a block compared pair by pair */
#define PAIR_GROUPED 1			/* an oversized block, by its groups */
#define PAIR_NEIGHBOUR 2		/* an oversized block of too many groups, by
								 * sorted neighbourhood */

static uint64
mix(uint64 a, uint64 b)
{
	uint64		z = a * UINT64CONST(0x9E3779B97F4A7C15) ^ (b + UINT64CONST(0x632BE59BD9B4E019));

	z = (z ^ (z >> 30)) * UINT64CONST(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64CONST(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* What of a value a blocking rule uses. */
typedef enum Feature
{
	F_VALUE,					/* the prepared value */
	F_PHONETIC,					/* Double Metaphone of the first word */
	F_PHONETIC_ENDS,			/* Double Metaphone of the first and last words, unordered */
	F_INITIAL,					/* first letter */
	F_YEAR,						/* year of a date */
	F_PHONETIC_EACH,			/* Double Metaphone of each word (up to 4 keys) */
	F_DISTRICT,					/* outward code of a UK postcode, else the value */
	F_MOVES,					/* the days an address began, ended, and the day after
								 * (a moved_in column, with its moved_out) */
	F_MONTH_DAY,				/* month and day of a date, without its year */
	F_INWARD,					/* inward code of a UK postcode ("6AB"); none else */
	F_VARIANTS,					/* the first word, its sound and its names in the
								 * variant dictionary (Tom: thomas) */
	F_SOUND_SKELETON,			/* the first word's sound and consonant skeleton
								 * (Hoccleve, Occleve: klf) */
	F_YEAR_ON,					/* year of a date half a year on: two dates less
								 * than half a year apart share it or their year */
	F_EITHER_ORDER				/* on the given name: the sounds of given name and
								 * surname as a set (recorded the other way round,
								 * the same key); on the surname: that it is there */
} Feature;

#define RULE_MAX_PARTS 3

typedef struct BlockRule
{
	bool		train;			/* a training session may use its pairs */
	int			guest;			/* -1; or a column: the rule pairs only records of
								 * which one at least lacks a value there */
	int			nparts;
	int			col[RULE_MAX_PARTS];
	Feature		feature[RULE_MAX_PARTS];
	const LinkArray *held;		/* guest: a bit a record, set if it holds the column */
} BlockRule;

/* record i holds the column of guest rule rule (without reading the record) */
#define GUEST_HELD(lm, rule, i) \
	((*(const uint8 *) link_array_get((lm), (rule)->held, (i) / 8, false) >> ((i) % 8)) & 1)

static uint64
key_hash(const char *s, int len)
{
	return hash_bytes_extended((const unsigned char *) s, len, 0);
}

/*
 * The next word of s from *pos (words end at a space or a hyphen; two
 * together make an empty word): its start, its length in *wlen, *pos moved
 * past it and its end; -1 at the end of s.
 */
static int
next_word(const char *s, int len, int *pos, int *wlen)
{
	int			start = *pos;

	if (start >= len)
		return -1;
	while (*pos < len && s[*pos] != ' ' && s[*pos] != '-')
		(*pos)++;
	*wlen = *pos - start;
	(*pos)++;
	return start;
}

/*
 * The Double Metaphone code (at most max_length letters, into code, which has
 * room for max_length + 1) of the next word of s, from *pos, of min_length
 * letters or more (max_length at most LINK_MAX_SOUND); false if none is left.
 */
bool
link_next_word_sound(const char *s, int len, int *pos, int min_length, int max_length, char *code)
{
	int			start,
				wlen;

	while ((start = next_word(s, len, pos, &wlen)) >= 0)
	{
		char		alternate[LINK_MAX_SOUND + 1];

		if (wlen >= min_length)
		{
			double_metaphone(s + start, wlen, max_length, code, alternate);
			if (code[0])
				return true;
		}
	}
	return false;
}

/*
 * The sounds of words already coded: the hash of a word's Double Metaphone
 * code (0 for a word without one), in a table of SOUND_SLOTS slots each
 * keeping the last word that fell in it.  Blocking codes every name of every
 * record under each rule that reads its sound, and names repeat: most are
 * found here.  The code depends on the word alone, so the table is the
 * backend's, kept from run to run (SOUND_SLOTS * 32 bytes, 1 MB).  A code
 * whose hash is 0 (one in 2^64) is taken for none: the next word is tried.
 */
#define SOUND_SLOTS 32768
#define SOUND_WORD 22			/* longer words are coded each time */

typedef struct SoundSlot
{
	uint64		code;
	uint8		len;			/* 0: empty slot */
	char		word[SOUND_WORD + 1];
} SoundSlot;

StaticAssertDecl(sizeof(SoundSlot) == 32, "a sound slot is 32 bytes");

static SoundSlot *sound_slots = NULL;

static uint64
sound_of_word(const char *w, int len)
{
	char		primary[LINK_MAX_SOUND + 1];
	char		alternate[LINK_MAX_SOUND + 1];
	SoundSlot  *slot = NULL;
	uint64		code;

	if (len <= SOUND_WORD)
	{
		if (sound_slots == NULL)
			sound_slots = MemoryContextAllocZero(TopMemoryContext, sizeof(SoundSlot) * SOUND_SLOTS);
		slot = &sound_slots[key_hash(w, len) & (SOUND_SLOTS - 1)];
		if (slot->len == len && memcmp(slot->word, w, len) == 0)
			return slot->code;
	}
	double_metaphone(w, len, LINK_MAX_SOUND, primary, alternate);
	code = primary[0] ? key_hash(primary, strlen(primary)) : 0;
	if (slot != NULL)
	{
		slot->code = code;
		slot->len = len;
		memcpy(slot->word, w, len);
	}
	return code;
}

/*
 * Double Metaphone of the next word of v from *pos (of two letters or more,
 * with a code: as link_next_word_sound finds it), hashed; 0 if none.
 */
static uint64
word_code(const LinkValue *v, int *pos)
{
	int			start,
				wlen;

	while ((start = next_word(v->s, v->len, pos, &wlen)) >= 0)
	{
		uint64		code = wlen >= 2 ? sound_of_word(v->s + start, wlen) : 0;

		if (code != 0)
			return code;
	}
	return 0;
}

/* One part of a record's key under a rule; false if the value is missing. */
static bool
feature_key(const LinkRecord *r, int col, Feature f, uint64 *key)
{
	const LinkValue *v = LINK_V(r, col);

	if (v->s == NULL)
		return false;
	switch (f)
	{
		case F_VALUE:
			/*
			 * a date of digits only meets no other by them (a placeholder,
			 * 00000000, would make a crowd); no other kind's value has that
			 * date (the union is zeroed where it is not a date)
			 */
			if (v->date == LINK_DATE_DIGITS)
				return false;
			*key = v->hash;
			return true;
		case F_INITIAL:
			*key = (unsigned char) v->s[0];
			return true;
		case F_PHONETIC:
			{
				int			pos = 0;

				*key = word_code(v, &pos);
				return *key != 0;
			}
		case F_YEAR:
			{
				int			y,
							m,
							d;

				/* any year: BC, or past 9999; a date of digits only, the year it gives */
				if (v->date == LINK_DATE_DIGITS)
				{
					*key = (uint64) (int64) ((v->s[0] - '0') * 1000 + (v->s[1] - '0') * 100 +
											 (v->s[2] - '0') * 10 + (v->s[3] - '0'));
					return true;
				}
				j2date(v->date + POSTGRES_EPOCH_JDATE, &y, &m, &d);
				*key = (uint64) (int64) y;
				return true;
			}
		case F_DISTRICT:
			/* not a valid postcode: all but its last three characters, or all */
			if (v->pc_valid)
			{
				Postcode	pc;

				link_value_postcode(v, &pc);
				*key = key_hash(pc.outward, strlen(pc.outward));
			}
			else
				*key = v->len >= 5 ? key_hash(v->s, v->len - 3) : v->hash;
			return true;
		case F_INWARD:
			/* not a valid postcode (a slip in the district): its last three characters */
			if (v->pc_valid)
			{
				Postcode	pc;

				link_value_postcode(v, &pc);
				*key = key_hash(pc.inward, strlen(pc.inward));
			}
			else if (v->len >= 5)
				*key = key_hash(v->s + v->len - 3, 3);
			else
				return false;
			return true;
		case F_MONTH_DAY:
			{
				int			y,
							m,
							d;

				if (v->date == LINK_DATE_DIGITS)
					return false;
				j2date(v->date + POSTGRES_EPOCH_JDATE, &y, &m, &d);
				*key = (uint64) (m * 32 + d);
				return true;
			}
		case F_YEAR_ON:
			{
				int			y,
							m,
							d;

				if (v->date == LINK_DATE_DIGITS)
					return false;
				/* (the last days PostgreSQL holds keep their own year) */
				j2date(v->date + POSTGRES_EPOCH_JDATE +
					   (v->date <= PG_INT32_MAX - POSTGRES_EPOCH_JDATE - 183 ? 183 : 0),
					   &y, &m, &d);
				*key = (uint64) (int64) y;
				return true;
			}
		case F_MOVES:			/* several codes: part_codes */
		case F_VARIANTS:
		case F_SOUND_SKELETON:
		case F_EITHER_ORDER:
			return false;
		case F_PHONETIC_EACH:	/* several codes: part_codes */
		case F_PHONETIC_ENDS:
			{
				int			pos = 0;
				uint64		first = word_code(v, &pos),
							last = first,
							next;

				while ((next = word_code(v, &pos)) != 0)
					last = next;
				if (first == 0)
					return false;
				*key = (first < last) ? mix(first, last) : mix(last, first);
				return true;
			}
	}
	return false;
}

#define RULE_MAX_KEYS 12
#define PART_MAX_CODES 4
#define VARIANT_MAX_CODES 8

/*
 * The codes of one part of a rule for a record (0 if its value is missing):
 * one, or one per word (F_PHONETIC_EACH), or one per day (F_MOVES).
 */
static int
part_codes(const LinkModel *lm, const BlockRule *rule, int p, const LinkRecord *r, uint64 *codes)
{
	const LinkValue *v = LINK_V(r, rule->col[p]);
	int			n = 0;

	if (rule->feature[p] == F_PHONETIC_EACH)
	{
		int			pos = 0;
		uint64		code;

		if (v->s == NULL)
			return 0;
		while (n < PART_MAX_CODES && (code = word_code(v, &pos)) != 0)
		{
			bool		dup = false;

			for (int i = 0; i < n; i++)
				dup |= codes[i] == code;
			if (!dup)
				codes[n++] = code;
		}
		return n;
	}
	if (rule->feature[p] == F_VARIANTS || rule->feature[p] == F_SOUND_SKELETON)
	{
		int			end = 0;
		int			pos = 0;
		uint64		code;

		if (v->s == NULL)
			return 0;
		while (end < v->len && v->s[end] != ' ' && v->s[end] != '-')
			end++;
		if ((code = word_code(v, &pos)) != 0)
			codes[n++] = code;
		if (rule->feature[p] == F_SOUND_SKELETON)
		{
			char	   *skel = palloc(end + 1);
			int			len = name_skeleton(v->s, end, skel);

			if (len > 0)
				codes[n++] = key_hash(skel, len) ^ UINT64CONST(0x5bd1e995);
			pfree(skel);
		}
		else
		{
			int			ncanonical;
			char	  **canonical = variant_canonical(v->s, end, &ncanonical);

			/* the name itself, hashed as its variants are: Thomas meets Tom's thomas */
			codes[n++] = key_hash(v->s, end) ^ UINT64CONST(0x5bd1e995);
			for (int i = 0; i < ncanonical && n < VARIANT_MAX_CODES; i++)
			{
				uint64		c = key_hash(canonical[i], strlen(canonical[i])) ^ UINT64CONST(0x5bd1e995);
				bool		dup = false;

				for (int k = 0; k < n; k++)
					dup |= codes[k] == c;
				if (!dup)
					codes[n++] = c;
			}
		}
		return n;
	}
	if (rule->feature[p] == F_EITHER_ORDER)
	{
		int			pos = 0;
		uint64		mine,
					other;
		const LinkValue *o;

		if (v->s == NULL || (mine = word_code(v, &pos)) == 0)
			return 0;
		if (lm->columns[rule->col[p]].kind == LK_SURNAME)
		{
			codes[0] = 1;		/* read with the given name's part */
			return 1;
		}
		o = LINK_V(r, link_find_kind(lm, LK_SURNAME));
		pos = 0;
		if (o->s == NULL || (other = word_code(o, &pos)) == 0)
			return 0;
		codes[0] = mix(Min(mine, other), Max(mine, other));
		return 1;
	}
	if (rule->feature[p] == F_MOVES)
	{
		/* the day an address began meets the day another ended, or the next */
		int			out = link_find_kind(lm, LK_MOVED_OUT);

		if (v->s != NULL)
			codes[n++] = (uint64) (uint32) v->date;
		if (out >= 0 && LINK_V(r, out)->s != NULL)
		{
			codes[n++] = (uint64) (uint32) LINK_V(r, out)->date;
			codes[n++] = (uint64) (uint32) (LINK_V(r, out)->date + 1);
		}
		return n;
	}
	return feature_key(r, rule->col[p], rule->feature[p], &codes[0]) ? 1 : 0;
}

/*
 * Keys of a record under a rule (0 if a part is missing): the combinations
 * of its parts' codes.
 */
static int
rule_keys(const LinkModel *lm, const BlockRule *rule, int ruleno, const LinkRecord *r, uint64 *keys)
{
	int			nkeys = 1;

	keys[0] = ruleno;
	for (int p = 0; p < rule->nparts; p++)
	{
		uint64		codes[VARIANT_MAX_CODES];
		int			ncodes = part_codes(lm, rule, p, r, codes);
		int			n = 0;
		uint64		next[RULE_MAX_KEYS];

		if (ncodes == 0)
			return 0;
		for (int k = 0; k < nkeys; k++)
			for (int i = 0; i < ncodes && n < RULE_MAX_KEYS; i++)
				next[n++] = mix(keys[k], codes[i]);
		memcpy(keys, next, sizeof(uint64) * n);
		nkeys = n;
	}
	return nkeys;
}

static const char *const feature_words[] = {
	"%s", "sound of %s", "sounds of the first and last words of %s", "initial of %s",
	"year of %s", "sound of each word of %s", "district of %s",
	"day of %s or of %s (or the day after it)", "month and day of %s", "inward code of %s",
	"%s or its variants", "sound or skeleton of %s", "year of %s half a year on",
	"sound of %s"
};

static void
describe_rule(const LinkModel *lm, const BlockRule *rule, char *out, int outlen)
{
	int			used = 0;

	out[0] = '\0';
	for (int p = 0; p < rule->nparts && used < outlen; p++)
	{
		char		part[96];

		if (rule->feature[p] == F_MOVES)
			snprintf(part, sizeof(part), feature_words[F_MOVES], lm->columns[rule->col[p]].name,
					 lm->columns[link_find_kind(lm, LK_MOVED_OUT)].name);
		else if (rule->feature[p] == F_EITHER_ORDER && lm->columns[rule->col[p]].kind == LK_SURNAME)
			snprintf(part, sizeof(part), "sound of %s (the names in either order)",
					 lm->columns[rule->col[p]].name);
		else
			snprintf(part, sizeof(part), feature_words[rule->feature[p]],
					 lm->columns[rule->col[p]].name);
		used += snprintf(out + used, outlen - used, "%s%s", p > 0 ? " + " : "", part);
	}
	if (rule->guest >= 0 && used < outlen)
		snprintf(out + used, outlen - used, " (a record without %s)", lm->columns[rule->guest].name);
}

static bool
is_name(LinkKind k)
{
	return k == LK_GIVEN_NAME || k == LK_SURNAME || k == LK_FULL_NAME;
}

static int
add_rule(BlockRule *rules, int n, int guest, int c0, Feature f0, int c1, Feature f1, int c2, Feature f2)
{
	rules[n].train = false;
	rules[n].guest = guest;
	rules[n].nparts = 0;
	if (c0 >= 0)
	{
		rules[n].col[rules[n].nparts] = c0;
		rules[n].feature[rules[n].nparts++] = f0;
	}
	if (c1 >= 0)
	{
		rules[n].col[rules[n].nparts] = c1;
		rules[n].feature[rules[n].nparts++] = f1;
	}
	if (c2 >= 0)
	{
		rules[n].col[rules[n].nparts] = c2;
		rules[n].feature[rules[n].nparts++] = f2;
	}
	return n + 1;
}

/*
 * One typo loses no pair: where the rules above leave a column that every
 * rule on names, dates and postcodes needs (a mapping without a date, or
 * without a postcode and a full name), a pair whose records differ there
 * alone, by a typo, a missing value or a swap, would never be compared.
 * Then rules that do without it are added (not for training: their pairs are
 * chosen for disagreeing):
 *   - given name and surname, a postcode, no date nor full name: the
 *     postcode with the initial of the surname (the given name's is above);
 *   - given name and surname with a date, no postcode nor full name: the
 *     sounds of the names with the month and day of the date (a slip in the
 *     year), the date with the initial of the given name (a date rule too
 *     big takes the surname's), and the sounds of the names alone for the
 *     records without a date (one missing date; pairs with such a record
 *     only, so that the cost follows the dates missing); and for two slips,
 *     the sounds of the names with the year of the date half a year on (a
 *     date moved by weeks across a new year: two dates less than half a
 *     year apart share their year or that one), and the two names' sounds
 *     in either order with the year (names recorded the other way round and
 *     the date mistyped);
 *   - a full name and a postcode, no date nor given name and surname: the
 *     sounds of the full name with the inward code (a slip in the district),
 *     the sounds of the full name alone for records without a postcode, and
 *     the postcode alone for records without a full name.
 * Identifier and text columns are not counted on: they are often missing.
 */
static int
backup_rules(const LinkModel *lm, BlockRule *rules, int n, int given, int surname, int full,
			 int date, int postcode)
{
	if (given >= 0 && surname >= 0 && date < 0 && full < 0 && postcode >= 0)
		n = add_rule(rules, n, -1, postcode, F_VALUE, surname, F_INITIAL, -1, 0);
	if (given >= 0 && surname >= 0 && date >= 0 && full < 0 && postcode < 0)
	{
		n = add_rule(rules, n, -1, given, F_PHONETIC, surname, F_PHONETIC, date, F_MONTH_DAY);
		n = add_rule(rules, n, -1, date, F_VALUE, given, F_INITIAL, -1, 0);
		n = add_rule(rules, n, date, given, F_VARIANTS, surname, F_SOUND_SKELETON, -1, 0);
		/* two slips: a date moved across a new year; names the other way round, a date mistyped */
		n = add_rule(rules, n, -1, given, F_PHONETIC, surname, F_PHONETIC, date, F_YEAR_ON);
		n = add_rule(rules, n, -1, given, F_EITHER_ORDER, surname, F_EITHER_ORDER, date, F_YEAR);
	}
	if (full >= 0 && postcode >= 0 && date < 0 && given < 0 && surname < 0)
	{
		n = add_rule(rules, n, -1, full, F_PHONETIC_ENDS, postcode, F_INWARD, -1, 0);
		n = add_rule(rules, n, postcode, full, F_PHONETIC_ENDS, -1, 0, -1, 0);
		n = add_rule(rules, n, full, postcode, F_VALUE, -1, 0, -1, 0);
	}
	return n;
}

/*
 * The rules, from the columns mapping: each identifier, date and free-text
 * column alone; the postcode with the initial of a name; the sounds of
 * given name and surname (with the year of birth, where there is a date);
 * the sounds of the first and last words of a full name, in either order
 * (with the postcode district, where there is a postcode); the postcode
 * with the sound of any word of the full name (or the given name's
 * initial, without a full name).  Names alone
 * would make blocks of thousands where a few names are common.
 */
static int
default_rules(const LinkModel *lm, BlockRule *rules)
{
	int			n = 0;
	int			given = -1,
				surname = -1,
				full = -1,
				date = -1,
				postcode = -1;

	for (int r = 0; r < 2 * LINK_MAX_COLUMNS + 2; r++)
	{
		rules[r].train = true;
		rules[r].guest = -1;
	}

	for (int c = 0; c < lm->ncolumns; c++)
	{
		LinkKind	k = lm->columns[c].kind;

		if (k == LK_GIVEN_NAME && given < 0)
			given = c;
		else if (k == LK_SURNAME && surname < 0)
			surname = c;
		else if (k == LK_FULL_NAME && full < 0)
			full = c;
		else if (k == LK_DATE && date < 0)
			date = c;
		else if (k == LK_POSTCODE && postcode < 0)
			postcode = c;
	}
	for (int c = 0; c < lm->ncolumns; c++)
	{
		LinkKind	k = lm->columns[c].kind;

		if (k == LK_IDENTIFIER || k == LK_DATE || k == LK_TEXT)
		{
			rules[n].nparts = 1;
			rules[n].col[0] = c;
			rules[n].feature[0] = F_VALUE;
			n++;
		}
		else if (k == LK_POSTCODE)
		{
			/* the postcode with a name: any word of the full name, by sound,
			 * or the initial of the given name */
			int			name = full >= 0 ? full : given >= 0 ? given : surname;

			/*
			 * Not for training: the pairs at one address are mostly one
			 * household, whose members agree on everything but given name
			 * and date of birth, and would teach the model that families
			 * are matches.
			 */
			rules[n].train = false;
			rules[n].nparts = name >= 0 ? 2 : 1;
			rules[n].col[0] = c;
			rules[n].feature[0] = F_VALUE;
			rules[n].col[1] = name;
			rules[n].feature[1] = full >= 0 ? F_PHONETIC_EACH : F_INITIAL;
			n++;
		}
		else if (is_name(k) && c != given && c != surname && c != full)
		{
			/* further name columns: by their own sound */
			rules[n].nparts = 1;
			rules[n].col[0] = c;
			rules[n].feature[0] = F_PHONETIC_ENDS;
			n++;
		}
	}
	if (given >= 0 && surname >= 0)
	{
		/* names alone say who it is: nicknames and variant spellings too */
		bool		names_only = date < 0 && postcode < 0 && full < 0;

		rules[n].nparts = 2;
		rules[n].col[0] = given;
		rules[n].feature[0] = names_only ? F_VARIANTS : F_PHONETIC;
		rules[n].col[1] = surname;
		rules[n].feature[1] = names_only ? F_SOUND_SKELETON : F_PHONETIC;
		if (date >= 0)
		{
			rules[n].col[2] = date;
			rules[n].feature[2] = F_YEAR;
			rules[n].nparts = 3;
		}
		n++;
	}
	else if (given >= 0 || surname >= 0)
	{
		rules[n].nparts = 1;
		rules[n].col[0] = given >= 0 ? given : surname;
		rules[n].feature[0] = F_PHONETIC_ENDS;
		n++;
	}
	if (full >= 0)
	{
		rules[n].nparts = 1;
		rules[n].col[0] = full;
		rules[n].feature[0] = F_PHONETIC_ENDS;
		if (postcode >= 0)
		{
			rules[n].col[1] = postcode;
			rules[n].feature[1] = F_DISTRICT;
			rules[n].nparts = 2;
		}
		n++;
	}
	if (link_find_kind(lm, LK_MOVED_IN) >= 0 && link_find_kind(lm, LK_MOVED_OUT) >= 0 &&
		(full >= 0 || surname >= 0))
	{
		/*
		 * A move: any word of the name, by sound, with the day one address
		 * ended meeting the day the next began.  Not for training: its pairs
		 * are chosen for having different addresses.
		 */
		rules[n].train = false;
		rules[n].nparts = 2;
		rules[n].col[0] = full >= 0 ? full : surname;
		rules[n].feature[0] = F_PHONETIC_EACH;
		rules[n].col[1] = link_find_kind(lm, LK_MOVED_IN);
		rules[n].feature[1] = F_MOVES;
		n++;
	}
	n = backup_rules(lm, rules, n, given, surname, full, date, postcode);
	return n;
}

/*
 * Records identical on every compared column (both missing counts as
 * equal): a group, named by its first record (the smallest number).  They
 * share every blocking key, so a group is always whole in a block.
 */
typedef struct GroupOf
{
	int32		rep;			/* the record's group's first record */
	int32		count[2];		/* of a group (at its rep): records on each side */
	int32		first[2];		/* of a group: its first record on each side, or -1 */
} GroupOf;

typedef struct DupGroups
{
	bool		made;
	LinkArray	of;				/* GroupOf a record, in the store */
} DupGroups;

static inline const GroupOf *
group_of(const LinkModel *lm, const DupGroups *g, int32 i)
{
	return (const GroupOf *) link_array_get(lm, &g->of, i, false);
}

#define G_REP(lm, g, i) (group_of((lm), (g), (i))->rep)
#define G_COUNT(lm, g, s, rep) (group_of((lm), (g), (rep))->count[s])
#define G_FIRST(lm, g, s, rep) (group_of((lm), (g), (rep))->first[s])

typedef struct DupEntry
{
	uint64		hash;
	int32		record;
} DupEntry;

static int
dup_cmp(const void *x, const void *y)
{
	const DupEntry *a = x,
			   *b = y;

	if (a->hash != b->hash)
		return a->hash < b->hash ? -1 : 1;
	return a->record - b->record;
}

static uint64
record_hash(const LinkModel *lm, const LinkRecord *r)
{
	uint64		h = 0;

	for (int c = 0; c < lm->ncolumns; c++)
		h = mix(h, LINK_V(r, c)->s ? hash_bytes_extended((const unsigned char *) LINK_V(r, c)->s, LINK_V(r, c)->len, c)
				: UINT64CONST(0x9e3779b97f4a7c15) + c);
	return h;
}

/* Identical on every compared column (both missing counts as equal). */
static bool
records_identical(const LinkModel *lm, const LinkRecord *a, const LinkRecord *b)
{
	for (int c = 0; c < lm->ncolumns; c++)
	{
		if ((LINK_V(a, c)->s == NULL) != (LINK_V(b, c)->s == NULL))
			return false;
		if (LINK_V(a, c)->s != NULL &&
			(LINK_V(a, c)->len != LINK_V(b, c)->len || memcmp(LINK_V(a, c)->s, LINK_V(b, c)->s, LINK_V(a, c)->len) != 0))
			return false;
	}
	return true;
}

/*
 * The groups of identical records (made when a first oversized block needs
 * them): the records' hashes sorted (in the store, in runs, merged), and the
 * records of one hash compared.
 */
static void
find_groups(LinkModel *lm, DupGroups *g)
{
	int			n = lm->nrecords;
	LinkArray	hashes;
	LinkMerge	order;
	DupEntry	d;
	DupEntry   *run = NULL;		/* the records of one hash (nearly always one group) */
	int			nrun = 0,
				maxrun = 0;
	bool		more;

	link_array_make(lm, &g->of, sizeof(GroupOf), n);
	g->made = true;
	link_array_init(&hashes, sizeof(DupEntry));
	for (int i = 0; i < n; i++)
	{
		GroupOf    *o;

		if ((i & 0x3FFF) == 0)
			CHECK_FOR_INTERRUPTS();
		d.hash = record_hash(lm, LINK_REC(lm, i));
		d.record = i;
		*(DupEntry *) link_array_push(lm, &hashes) = d;
		o = (GroupOf *) link_array_get(lm, &g->of, i, true);
		o->rep = -1;
		o->first[0] = o->first[1] = -1;
	}
	link_merge_begin(lm, &hashes, dup_cmp, &order);
	more = link_merge_take(lm, &order, &d);
	while (more)
	{
		uint64		hash = d.hash;

		CHECK_FOR_INTERRUPTS();
		nrun = 0;
		do
		{
			if (nrun == maxrun)
			{
				maxrun = Max(16, 2 * maxrun);
				run = run == NULL ? palloc_extended(sizeof(DupEntry) * maxrun, MCXT_ALLOC_HUGE) :
					repalloc_huge(run, sizeof(DupEntry) * maxrun);
			}
			run[nrun++] = d;
			more = link_merge_take(lm, &order, &d);
		} while (more && d.hash == hash);
		/* each unplaced record starts a group */
		for (int z = 0; z < nrun; z++)
		{
			int32		rep = run[z].record;

			if (G_REP(lm, g, rep) >= 0)
				continue;
			((GroupOf *) link_array_get(lm, &g->of, rep, true))->rep = rep;
			for (int w = z + 1; w < nrun; w++)
				if (G_REP(lm, g, run[w].record) < 0 &&
					records_identical(lm, LINK_REC(lm, rep), LINK_REC(lm, run[w].record)))
					((GroupOf *) link_array_get(lm, &g->of, run[w].record, true))->rep = rep;
		}
	}
	if (run != NULL)
		pfree(run);
	link_array_free(lm, &hashes);
	for (int i = 0; i < n; i++)
	{
		int32		rep = G_REP(lm, g, i);
		int			side = LINK_SIDE(lm, i);
		GroupOf    *o = (GroupOf *) link_array_get(lm, &g->of, rep, true);

		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		if (o->first[side] < 0)
			o->first[side] = i;
		o->count[side]++;
	}
}

/* What one oversized block holds, by group. */
typedef struct BlockGroups
{
	int			ngroups;
	int64		comparisons;	/* to compare it by group: pairs of groups, and stars */
	int64		star_pairs;		/* the stars alone (group_star_pairs) */
} BlockGroups;

static int64 group_star_pairs(const LinkModel *lm, const DupGroups *g, int32 rep);

/*
 * The records of one oversized block, by group: e's records (or recs) sorted by
 * (group, record) into m; how many groups, and the pairs comparing it by
 * group would make.
 */
static BlockGroups
block_groups(const LinkModel *lm, const DupGroups *g, const BlockEntry *e, const int32 *recs,
			 int size, BlockEntry *m)
{
	BlockGroups bg = {0, 0, 0};
	int64		left = 0,
				right = 0,
				both = 0;

	for (int x = 0; x < size; x++)
	{
		int32		rec = recs ? recs[x] : e[x].record;

		m[x].key = (uint64) G_REP(lm, g, rec);
		m[x].record = rec;
	}
	qsort(m, size, sizeof(BlockEntry), entry_cmp);
	for (int x = 0; x < size; x++)
		if (x == 0 || m[x].key != m[x - 1].key)
		{
			int32		rep = (int32) m[x].key;

			GroupOf		o = *group_of(lm, g, rep);

			bg.ngroups++;
			bg.star_pairs += group_star_pairs(lm, g, rep);
			left += o.count[0] > 0;
			right += o.count[1] > 0;
			both += o.count[0] > 0 && o.count[1] > 0;
		}
	bg.comparisons = bg.star_pairs +
		(lm->dedupe ? (int64) bg.ngroups * (bg.ngroups - 1) / 2 : left * right - both);
	return bg;
}

/*
 * The pairs that stand for one group's pairs among themselves: dedupe, its
 * first record with each other; link, its first record on the left with each
 * of its records on the right, and its first on the right with each other on
 * the left.  All have one comparison vector (every column equal).
 */
static int64
group_star_pairs(const LinkModel *lm, const DupGroups *g, int32 rep)
{
	GroupOf		o = *group_of(lm, g, rep);

	if (lm->dedupe)
		return o.count[0] - 1;
	if (o.count[0] == 0 || o.count[1] == 0)
		return 0;
	return o.count[0] + o.count[1] - 1;
}

/*
 * Columns in which record r holds a value that says who it is: not the age
 * a system requires, nor the days an address began or ended.
 */
static int
identifying_values(const LinkModel *lm, const LinkRecord *r)
{
	int			n = 0;

	for (int c = 0; c < lm->ncolumns; c++)
	{
		LinkKind	k = lm->columns[c].kind;

		if (LINK_V(r, c)->s != NULL && k != LK_MIN_AGE && k != LK_MOVED_IN && k != LK_MOVED_OUT)
			n++;
	}
	return n;
}

/*
 * A pair as blocking makes it, with its rule and how it was made: 12 bytes
 * (a million records make millions of them before they are de-duplicated).
 */
typedef struct RawPair
{
	int32		a;
	int32		b;
	uint8		rule;
	uint8		origin;			/* PAIR_* */
} RawPair;

static int
raw_pair_cmp(const void *x, const void *y)
{
	const RawPair *p = x,
			   *q = y;

	if (p->a != q->a)
		return p->a < q->a ? -1 : 1;
	if (p->b != q->b)
		return p->b < q->b ? -1 : 1;
	if (p->rule != q->rule)
		return (int) p->rule - (int) q->rule;
	return (int) p->origin - (int) q->origin;
}

/* qsort's order by raw_pair_cmp, raw_pair_cmp inlined (link_merge_begin_sorted) */
#define CHUNK_SORT sort_raw_pairs
#define CHUNK_SORT_TYPE RawPair
#define CHUNK_SORT_CMP raw_pair_cmp
#include "link/chunk_sort.h"

/*
 * The pair (a, b) in the order the pairs of a block take (dedupe: a < b;
 * link: left record first); false if the two records are not to be compared.
 */
static inline bool
pair_order(const LinkModel *lm, int32 *a, int32 *b)
{
	int32		t;

	if (*a == *b)
		return false;
	if (lm->dedupe)
	{
		if (*a > *b)
		{
			t = *a;
			*a = *b;
			*b = t;
		}
	}
	else
	{
		if (LINK_SIDE(lm, *a) == LINK_SIDE(lm, *b))
			return false;
		if (LINK_SIDE(lm, *a) == 1)
		{
			t = *a;
			*a = *b;
			*b = t;
		}
	}
	return true;
}

/* Where pairs go: an array of the run's store (spilled with the records). */
typedef struct PairSink
{
	LinkModel  *lm;
	LinkArray	raw;			/* RawPair */
	int64		cap;			/* room for: the pairs counted before */
} PairSink;

/*
 * Appends the pair (a, b) of rule r to sink, if they are to be compared;
 * with sink NULL, only says whether they are (counting what would be made).
 */
static inline bool
add_pair(const LinkModel *lm, int32 a, int32 b, int r, uint8 origin, PairSink *sink)
{
	RawPair    *p;

	if (!pair_order(lm, &a, &b))
		return false;
	if (sink == NULL)
		return true;
	if (sink->raw.n >= sink->cap)
		elog(ERROR, "blocking made more pairs than it counted (" INT64_FORMAT ")", sink->cap);
	p = link_array_push(sink->lm, &sink->raw);
	p->a = a;
	p->b = b;
	p->rule = (uint8) r;
	p->origin = origin;
	return true;
}

/* how far ahead of the pair compared its records are asked of memory */
#define PREFETCH_PAIRS 8

/*
 * Each pair compared: its levels (and the rules' counts of pairs).  Where
 * the records are spilled, the pairs go a window at a time (a quarter of
 * brent_mdm.linkage_work_mem of them), each window's in the order of their
 * records' chunks (link_rec_order): their levels are the same in any order.
 */
static void
compare_pairs(LinkModel *lm, int nrules, instr_time start)
{
	int64		ncodes = lm->npairs;
	int64		window = ncodes;
	LinkPair   *buf = NULL;
	int64		done = 0;
	Size		reserved = 0;

	if (link_store_spilled(lm))
	{
		/* an eighth of the memory for a window of pairs, its order and its keys */
		window = Max((int64) link_work_mem * 1024 / 8 / (int64) LINK_WINDOW_PAIR_BYTES, 4096);
		window = Min(window, Max(ncodes, 1));
		reserved = link_store_reserve(lm, LINK_WINDOW_PAIR_BYTES * window);
		buf = palloc_extended(sizeof(LinkPair) * window, MCXT_ALLOC_HUGE);
	}
	for (int64 base = 0; base < ncodes; base += window)
	{
		int64		w = Min(window, ncodes - base);
		int32	   *order = NULL;

		if (buf != NULL)
		{
			for (int64 x = 0; x < w; x++)
				buf[x] = *LINK_PAIR(lm, base + x);
			order = link_rec_order(lm, buf, w);
		}
		for (int64 x = 0; x < w; x++, done++)
		{
			int64		k = base + (order ? order[x] : x);
			LinkPair	p = buf ? buf[k - base] : *LINK_PAIR(lm, k);
			LinkPairInfo *info;

			if ((done & 0x3FFF) == 0)
			{
				CHECK_FOR_INTERRUPTS();
				/* long runs: a notice at each tenth of the pairs compared */
				if (lm->nrecords >= LINK_PROGRESS_RECORDS && done > 0 &&
					done * 10 / ncodes != (done - 0x4000) * 10 / ncodes)
				{
					double		t = seconds_since(start);

					ereport(NOTICE,
							(errmsg("linkage: comparing pairs, %d%% (" INT64_FORMAT " of " INT64_FORMAT ", %.0f pairs a second)",
									(int) (done * 100 / ncodes), done, ncodes, done / Max(t, 0.001))));
				}
			}
			if (x + PREFETCH_PAIRS < w)
			{
				int64		ahead = base + (order ? order[x + PREFETCH_PAIRS] : x + PREFETCH_PAIRS);
				LinkPair	q = buf ? buf[ahead - base] : *LINK_PAIR(lm, ahead);

				link_rec_prefetch(lm, q.a);
				link_rec_prefetch(lm, q.b);
			}
			info = PAIR_INFO_MUT(lm, k);
			for (int r = 0; r < nrules; r++)
				if (info->rules & ((uint32) 1 << r))
					lm->rules[r].npairs++;
			link_compare(lm, LINK_REC(lm, p.a), LINK_REC(lm, p.b), info->levels);
		}
		if (order)
			pfree(order);
	}
	if (buf)
		pfree(buf);
	link_store_release(lm, reserved);
}

/*
 * The pairs of one oversized block of rule r (its records m, sorted by
 * group): the stars of its groups; and, where it holds LINK_MAX_BLOCK groups
 * or fewer (compare), each pair of groups by their first records.
 */
static void
group_block_pairs(const LinkModel *lm, const DupGroups *g, const BlockEntry *m, int size,
				  bool compare, int r, PairSink *sink)
{
	int		   *start = palloc(sizeof(int) * (size + 1));
	int			d = 0;

	for (int x = 0; x < size; x++)
		if (x == 0 || m[x].key != m[x - 1].key)
			start[d++] = x;
	start[d] = size;
	for (int k = 0; k < d; k++)
	{
		int32		rep = (int32) m[start[k]].key;
		int32		fl = G_FIRST(lm, g, 0, rep),
					fr = G_FIRST(lm, g, 1, rep);

		if (group_star_pairs(lm, g, rep) == 0)
			continue;
		for (int x = start[k]; x < start[k + 1]; x++)
		{
			int32		rec = m[x].record;

			if (lm->dedupe)
				add_pair(lm, rep, rec, r, PAIR_GROUPED, sink);
			else if (LINK_SIDE(lm, rec) == 1)
				add_pair(lm, fl, rec, r, PAIR_GROUPED, sink);
			else if (rec != fl)
				add_pair(lm, rec, fr, r, PAIR_GROUPED, sink);
		}
	}
	if (compare)
		for (int ka = 0; ka < d; ka++)
		{
			int32		ra = (int32) m[start[ka]].key;

			CHECK_FOR_INTERRUPTS();
			for (int kb = ka + 1; kb < d; kb++)
			{
				int32		rb = (int32) m[start[kb]].key;

				if (lm->dedupe)
					add_pair(lm, ra, rb, r, PAIR_GROUPED, sink);
				else
				{
					GroupOf		a = *group_of(lm, g, ra),
								b = *group_of(lm, g, rb);

					if (a.first[0] >= 0 && b.first[1] >= 0)
						add_pair(lm, a.first[0], b.first[1], r, PAIR_GROUPED, sink);
					if (b.first[0] >= 0 && a.first[1] >= 0)
						add_pair(lm, b.first[0], a.first[1], r, PAIR_GROUPED, sink);
				}
			}
		}
	pfree(start);
}

/*
 * Sorted neighbourhood.  The columns a split block's groups are sorted by,
 * most telling first: names and dates say most of who a person is and are
 * rarely missing; an identifier is often missing; a postcode or a text is
 * shared by a household or a town.
 */
static int
split_rank(LinkKind k)
{
	switch (k)
	{
		case LK_GIVEN_NAME:
			return 0;
		case LK_DATE:
			return 1;
		case LK_SURNAME:
			return 2;
		case LK_FULL_NAME:
			return 3;
		case LK_IDENTIFIER:
			return 4;
		case LK_POSTCODE:
			return 5;
		case LK_TEXT:
			return 6;
		case LK_EXACT:
			return 7;
		case LK_NUMBER:
			return 8;
		case LK_MOVED_IN:
			return 9;
		case LK_MOVED_OUT:
			return 10;
		case LK_MIN_AGE:
			return 11;
	}
	return 12;
}

/* the columns that may lead an order: those that say who a person is */
#define SPLIT_LEADING_RANK 8

typedef struct SplitOrders
{
	int			norders;		/* order o starts at cols[o] and wraps round */
	int			ncols;
	int			cols[LINK_MAX_COLUMNS];
} SplitOrders;

/*
 * The orders of rule's split blocks: every column but those the rule blocks
 * on by their value (one value in a block), most telling first; an order
 * led by each of the first LINK_SPLIT_ORDERS of them that say who a person
 * is (at least one order where there is a column).
 */
static void
split_orders(const LinkModel *lm, const BlockRule *rule, SplitOrders *so)
{
	int			leading = 0;

	so->ncols = 0;
	for (int rank = 0; rank <= 12; rank++)
		for (int c = 0; c < lm->ncolumns; c++)
		{
			bool		fixed = false;

			if (split_rank(lm->columns[c].kind) != rank)
				continue;
			for (int p = 0; p < rule->nparts; p++)
				fixed |= rule->col[p] == c && rule->feature[p] == F_VALUE;
			if (fixed)
				continue;
			so->cols[so->ncols++] = c;
			leading += rank <= SPLIT_LEADING_RANK;
		}
	so->norders = Min(Max(leading, so->ncols > 0 ? 1 : 0), LINK_SPLIT_ORDERS);
}

/* "the next 10 in orders led by given_name, date_of_birth, family_name" */
static void
describe_split(const LinkModel *lm, const SplitOrders *so, char *out, int outlen)
{
	int			used = snprintf(out, outlen, "the next %d in %s led by ", link_split_window,
								so->norders > 1 ? "orders" : "the order");

	for (int o = 0; o < so->norders && used < outlen; o++)
		used += snprintf(out + used, outlen - used, "%s%s", o > 0 ? ", " : "",
						 lm->columns[so->cols[o]].name);
}

typedef struct SplitSort
{
	const LinkModel *lm;
	const SplitOrders *so;
	int			start;			/* the leading column: so->cols[start] */
} SplitSort;

/* Two records by their values in one order (missing last), then by number. */
static int
split_cmp(const void *x, const void *y, void *arg)
{
	const SplitSort *ss = arg;
	int32		a = *(const int32 *) x,
				b = *(const int32 *) y;
	const LinkRecord *ra = LINK_REC(ss->lm, a),
			   *rb = LINK_REC(ss->lm, b);

	for (int i = 0; i < ss->so->ncols; i++)
	{
		int			c = ss->so->cols[(ss->start + i) % ss->so->ncols];
		const LinkValue *va = LINK_V(ra, c),
				   *vb = LINK_V(rb, c);
		LinkKind	k = ss->lm->columns[c].kind;
		int			d;

		if (va->s == NULL || vb->s == NULL)
		{
			if ((va->s == NULL) != (vb->s == NULL))
				return va->s == NULL ? 1 : -1;
			continue;
		}
		if (k == LK_DATE || k == LK_MOVED_IN || k == LK_MOVED_OUT)
		{
			if (va->date != vb->date)
				return va->date < vb->date ? -1 : 1;
			continue;
		}
		d = memcmp(va->s, vb->s, Min(va->len, vb->len));
		if (d != 0)
			return d;
		if (va->len != vb->len)
			return va->len < vb->len ? -1 : 1;
	}
	return a < b ? -1 : (a > b ? 1 : 0);
}

/*
 * Groups ra and rb (first records of their groups) of a split block of rule:
 * dedupe, the two; link, the first on the left of each with the first on the
 * right of the other.  A guest rule pairs no two records that both hold its
 * column.  How many pairs, appended to sink unless it is NULL.
 */
static int
neighbour_pair(const LinkModel *lm, const DupGroups *g, const BlockRule *rule, int32 ra, int32 rb,
			   int r, PairSink *sink)
{
	int			n = 0;
	GroupOf		a,
				b;

	if (rule->guest >= 0 && GUEST_HELD(lm, rule, ra) && GUEST_HELD(lm, rule, rb))
		return 0;
	if (lm->dedupe)
		return add_pair(lm, ra, rb, r, PAIR_NEIGHBOUR, sink) ? 1 : 0;
	a = *group_of(lm, g, ra);
	b = *group_of(lm, g, rb);
	if (a.first[0] >= 0 && b.first[1] >= 0)
		n += add_pair(lm, a.first[0], b.first[1], r, PAIR_NEIGHBOUR, sink);
	if (b.first[0] >= 0 && a.first[1] >= 0)
		n += add_pair(lm, b.first[0], a.first[1], r, PAIR_NEIGHBOUR, sink);
	return n;
}

/*
 * The sorted neighbourhood of one block of rule r of more than
 * LINK_MAX_BLOCK groups (its records m, sorted by group): its groups in
 * each order of so, each with the next link_split_window.  Returns how many
 * pairs (a pair near in several orders counted in each), appended to sink
 * unless it is NULL: the same count, before and after.
 */
static int64
split_block_pairs(const LinkModel *lm, const DupGroups *g, const BlockRule *rule,
				  const SplitOrders *so, const BlockEntry *m, int size, int r, PairSink *sink)
{
	int32	   *reps = palloc(sizeof(int32) * Max(size, 1));
	int			d = 0;
	int64		n = 0;
	int			window = link_split_window;

	for (int x = 0; x < size; x++)
		if (x == 0 || m[x].key != m[x - 1].key)
			reps[d++] = (int32) m[x].key;
	for (int o = 0; o < so->norders; o++)
	{
		SplitSort	ss = {lm, so, o};

		CHECK_FOR_INTERRUPTS();
		qsort_arg(reps, d, sizeof(int32), split_cmp, &ss);
		for (int x = 0; x < d; x++)
		{
			if ((x & 0x3FF) == 0)
				CHECK_FOR_INTERRUPTS();
			for (int y = x + 1; y < d && y - x <= window; y++)
				n += neighbour_pair(lm, g, rule, reps[x], reps[y], r, sink);
		}
	}
	pfree(reps);
	return n;
}

/*
 * A rule's blocks kept between counting and making its pairs: the records of
 * its blocks of two entries or more, block after block (4 bytes an entry
 * rather than 16, and none for the keys that no other record shares).
 */
typedef struct RuleBlocks
{
	LinkArray	records;		/* int32: the blocks' records, block after block */
	LinkArray	start;			/* int32, nblocks + 1: where each begins, then the end */
	int			nblocks;
} RuleBlocks;

void
link_block(LinkModel *lm, int64 max_pairs, bool estimate_only)
{
	instr_time	start;
	int			n = lm->nrecords;
	BlockRule	rules[2 * LINK_MAX_COLUMNS + 2];
	int			nrules = default_rules(lm, rules);
	RuleBlocks *blocks;
	int64		estimate = 0;
	int64		split_blocks = 0,
				split_pairs = 0,
				split_records = 0;
	SplitOrders *orders;
	int64		ncodes = 0;
	LinkArray	in_split;		/* a bit a record: in a block split by sorted neighbourhood */
	LinkArray	held[LINK_MAX_COLUMNS]; /* a bit a record: holds a guest rule's column */
	PairSink	sink;
	DupGroups	groups = {false};
	BlockEntry *scratch = NULL;
	int			scratch_size = 0;
	bool		any_grouped = false;
	int32	   *recs = NULL;	/* a block's records */
	int			nrecs = 0;
	BlockEntry *e = NULL;		/* a block's entries, as the rule's keys come in order */
	int			m = 0,
				maxm = 0;
	int64		blocks_seen = 0;

	if (nrules == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("no column to block on"),
				 errdetail("Blocking uses columns of kind given_name, surname, full_name, date, postcode, text or identifier."),
				 errhint("Add at least one such column to the columns mapping.")));
	if (nrules > LINK_MAX_RULES)
		nrules = LINK_MAX_RULES;
	lm->nrules = nrules;
	for (int r = 0; r < nrules; r++)
	{
		lm->rules[r].ncols = rules[r].nparts;
		for (int p = 0; p < rules[r].nparts; p++)
			lm->rules[r].cols[p] = rules[r].col[p];
		lm->rules[r].npairs = 0;
		lm->rules[r].train = rules[r].train;
		describe_rule(lm, &rules[r], lm->rules[r].description, sizeof(lm->rules[r].description));
		lm->rules[r].comparisons = 0;
		lm->rules[r].largest_block = 0;
		lm->rules[r].split_blocks = 0;
		lm->rules[r].split_comparisons = 0;
		lm->rules[r].split_by[0] = '\0';
	}
	blocks = palloc0(sizeof(RuleBlocks) * nrules);
	orders = palloc(sizeof(SplitOrders) * nrules);
	/* which records hold each guest rule's column: a bit a record, in the store */
	memset(held, 0, sizeof(held));
	for (int r = 0; r < nrules; r++)
	{
		int			g = rules[r].guest;

		rules[r].held = NULL;
		if (g < 0)
			continue;
		if (held[g].n == 0)
		{
			link_array_make(lm, &held[g], 1, n / 8 + 1);
			for (int i = 0; i < n; i++)
			{
				if ((i & 0x3FFF) == 0)
					CHECK_FOR_INTERRUPTS();
				if (link_record_holds(lm, LINK_REC(lm, i)) & ((uint32) 1 << g))
					*(uint8 *) link_array_get(lm, &held[g], i / 8, true) |= (uint8) (1 << (i % 8));
			}
		}
		rules[r].held = &held[g];
	}

	/* keys, sorted per rule; the comparisons each would generate */
	for (int r = 0; r < nrules; r++)
	{
		LinkArray	keyed;		/* BlockEntry: the rule's keys, in the store */
		LinkMerge	km;
		BlockEntry	next;
		bool		more;

refine:
		split_orders(lm, &rules[r], &orders[r]);
		link_array_init(&keyed, sizeof(BlockEntry));
		if (!estimate_only)
		{
			link_array_init(&blocks[r].records, sizeof(int32));
			link_array_init(&blocks[r].start, sizeof(int32));
			blocks[r].nblocks = 0;
		}
		for (int i = 0; i < n; i++)
		{
			uint64		keys[RULE_MAX_KEYS];
			int			nk;
			const LinkRecord *rec = LINK_REC(lm, i);
			uint32		present = link_record_holds(lm, rec);

			if ((i & 0x3FFF) == 0)
				CHECK_FOR_INTERRUPTS();
			nk = rule_keys(lm, &rules[r], r, rec, keys);
			for (int k = 0; k < nk; k++)
			{
				BlockEntry *be = link_array_push(lm, &keyed);

				be->key = keys[k];
				be->record = i;
				be->present = present;
			}
		}

		/*
		 * The keys in order (sorted chunk by chunk and merged: store.c's
		 * arrays), a block at a time: e holds the m entries of one key.
		 */
		link_merge_begin_sorted(lm, &keyed, entry_cmp, sort_entries, &km);
		more = link_merge_take(lm, &km, &next);
		while (more)
		{
			int			i = 0;

			m = 0;
			do
			{
				if (m == maxm)
				{
					maxm = Max(1024, 2 * maxm);
					e = e == NULL ? palloc_extended(sizeof(BlockEntry) * maxm, MCXT_ALLOC_HUGE) :
						repalloc_huge(e, sizeof(BlockEntry) * maxm);
				}
				e[m++] = next;
				more = link_merge_take(lm, &km, &next);
			} while (more && next.key == e[0].key);
			if ((blocks_seen++ & 0x3FFF) == 0)
				CHECK_FOR_INTERRUPTS();
			/* kept for making the pairs: the blocks of two entries or more */
			if (!estimate_only && m >= 2)
			{
				*(int32 *) link_array_push(lm, &blocks[r].start) = (int32) blocks[r].records.n;
				for (int x = 0; x < m; x++)
					*(int32 *) link_array_push(lm, &blocks[r].records) = e[x].record;
				blocks[r].nblocks++;
			}
			{
				int			j = i,
							left = 0,
							hosts[2] = {0, 0};

				while (j < m && e[j].key == e[i].key)
				{
					int32		rec = e[j].record;

					/* what the record's place and present bits say: not read */
					if (LINK_SIDE(lm, rec) == 0)
						left++;
					if (rules[r].guest >= 0 && (e[j].present & ((uint32) 1 << rules[r].guest)))
						hosts[LINK_SIDE(lm, rec)]++;
					j++;
				}
				if (j - i <= LINK_MAX_BLOCK)
				{
					int64		c = lm->dedupe ? (int64) (j - i) * (j - i - 1) / 2 :
						(int64) left * (j - i - left);

					/* a guest rule: not the pairs of two records with the value */
					c -= lm->dedupe ? (int64) hosts[0] * (hosts[0] - 1) / 2 : (int64) hosts[0] * hosts[1];

					estimate += c;
					lm->rules[r].comparisons += c;
					lm->rules[r].largest_block = Max(lm->rules[r].largest_block, j - i);
				}
				else
				{
					/*
					 * A block too big to compare pair by pair: by its groups of
					 * identical records, if it has few enough of them (a person
					 * loaded thousands of times); else by sorted neighbourhood of
					 * its groups, and within its groups.
					 */
					BlockGroups bg;

					CHECK_FOR_INTERRUPTS();
					if (!groups.made)
						find_groups(lm, &groups);
					if (scratch_size < j - i)
					{
						if (scratch)
							pfree(scratch);
						scratch_size = Max(j - i, 2 * scratch_size);
						scratch = palloc_extended(sizeof(BlockEntry) * scratch_size, MCXT_ALLOC_HUGE);
					}
					bg = block_groups(lm, &groups, e + i, NULL, j - i, scratch);
					if (bg.ngroups <= LINK_MAX_BLOCK)
					{
						estimate += bg.comparisons;
						lm->rules[r].comparisons += bg.comparisons;
					}
					else
					{
						/* counted as they will be made: exact */
						int64		c = bg.star_pairs +
							split_block_pairs(lm, &groups, &rules[r], &orders[r], scratch, j - i, r, NULL);

						estimate += c;
						lm->rules[r].comparisons += c;
						lm->rules[r].split_comparisons += c;
						lm->rules[r].split_blocks++;
					}
					lm->rules[r].largest_block = Max(lm->rules[r].largest_block, j - i);
				}
			}
		}
		link_array_free(lm, &keyed);
		if (!estimate_only)
			*(int32 *) link_array_push(lm, &blocks[r].start) = (int32) blocks[r].records.n;

		/*
		 * A date alone makes blocks that grow with the population (there are
		 * only so many dates of birth): where it would compare more than
		 * DATE_RULE_MAX_PER_RECORD pairs a record, it takes the initial of a
		 * name too, so that the cost stays linear in the number of records.
		 * (Its split blocks are not counted: their cost is linear already.)
		 */
		if (rules[r].nparts == 1 && rules[r].feature[0] == F_VALUE &&
			lm->columns[rules[r].col[0]].kind == LK_DATE &&
			lm->rules[r].comparisons - lm->rules[r].split_comparisons > DATE_RULE_MAX_PER_RECORD * (int64) n)
		{
			int			name = -1;

			for (int c = 0; c < lm->ncolumns && name < 0; c++)
				if (lm->columns[c].kind == LK_SURNAME)
					name = c;
			for (int c = 0; c < lm->ncolumns && name < 0; c++)
				if (is_name(lm->columns[c].kind))
					name = c;
			if (name >= 0)
			{
				estimate -= lm->rules[r].comparisons;
				if (!estimate_only)
				{
					link_array_free(lm, &blocks[r].records);
					link_array_free(lm, &blocks[r].start);
				}
				rules[r].nparts = 2;
				rules[r].col[1] = name;
				/* a full name alone: any word's sound (a slip in one leaves the other) */
				rules[r].feature[1] = lm->columns[name].kind == LK_FULL_NAME ? F_PHONETIC_EACH : F_INITIAL;
				lm->rules[r].ncols = 2;
				lm->rules[r].cols[1] = name;
				lm->rules[r].comparisons = 0;
				lm->rules[r].largest_block = 0;
				lm->rules[r].split_blocks = 0;
				lm->rules[r].split_comparisons = 0;
				describe_rule(lm, &rules[r], lm->rules[r].description, sizeof(lm->rules[r].description));
				goto refine;
			}
		}
		if (lm->rules[r].split_blocks > 0)
			describe_split(lm, &orders[r], lm->rules[r].split_by, sizeof(lm->rules[r].split_by));
	}
	if (e != NULL)
		pfree(e);
	if (estimate_only)
	{
		pfree(blocks);
		pfree(orders);
		return;
	}
	if (estimate > max_pairs)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("blocking would generate " INT64_FORMAT " comparisons, more than the limit of " INT64_FORMAT,
						estimate, max_pairs),
				 errhint("Map more specific columns (a date of birth, an identifier, a postcode), or raise brent_mdm.max_candidate_pairs.")));

	/*
	 * the pairs, de-duplicated across rules (estimate counted them all):
	 * made, then each once with its rules, how it was made and, once the
	 * made ones are freed, its comparison levels
	 */
	link_memory_check(Min((Size) estimate * (sizeof(RawPair) + sizeof(LinkPair) +
											  offsetof(LinkPairInfo, levels) + lm->ncolumns),
						  (Size) link_work_mem * 1024),
					  "making and comparing " INT64_FORMAT " candidate pairs", estimate);
	sink.lm = lm;
	link_array_init(&sink.raw, sizeof(RawPair));
	sink.cap = Max(estimate, 1);
	link_array_make(lm, &in_split, 1, n / 8 + 1);
	for (int r = 0; r < nrules; r++)
	{
		for (int b = 0; b < blocks[r].nblocks; b++)
		{
			int			i = link_array_get32(lm, &blocks[r].start, b),
						j = link_array_get32(lm, &blocks[r].start, b + 1);

			CHECK_FOR_INTERRUPTS();
			/* the block's records, out of the store */
			if (j - i > nrecs)
			{
				nrecs = Max(j - i, 2 * nrecs);
				recs = recs == NULL ? palloc_extended(sizeof(int32) * nrecs, MCXT_ALLOC_HUGE) :
					repalloc_huge(recs, sizeof(int32) * nrecs);
			}
			for (int x = i; x < j; x++)
				recs[x - i] = link_array_get32(lm, &blocks[r].records, x);
			if (j - i > LINK_MAX_BLOCK)
			{
				BlockGroups bg = block_groups(lm, &groups, NULL, recs, j - i, scratch);

				any_grouped = true;
				group_block_pairs(lm, &groups, scratch, j - i, bg.ngroups <= LINK_MAX_BLOCK, r, &sink);
				if (bg.ngroups > LINK_MAX_BLOCK)
				{
					split_blocks++;
					split_pairs += bg.star_pairs +
						split_block_pairs(lm, &groups, &rules[r], &orders[r], scratch, j - i, r, &sink);
					for (int x = 0; x < j - i; x++)
						*(uint8 *) link_array_get(lm, &in_split, recs[x] / 8, true) |= (uint8) (1 << (recs[x] % 8));
				}
			}
			else
				for (int x = 0; x < j - i; x++)
					for (int y = x + 1; y < j - i; y++)
					{
						if (rules[r].guest >= 0 &&
							GUEST_HELD(lm, &rules[r], recs[x]) && GUEST_HELD(lm, &rules[r], recs[y]))
							continue;
						add_pair(lm, recs[x], recs[y], r, PAIR_DIRECT, &sink);
					}
		}
		link_array_free(lm, &blocks[r].records);
		link_array_free(lm, &blocks[r].start);
	}
	if (recs != NULL)
		pfree(recs);
	pfree(blocks);
	ncodes = sink.raw.n;
	for (int64 x = 0; x < in_split.n; x++)
		split_records += pg_popcount32(*(const uint8 *) link_array_get(lm, &in_split, x, false));
	link_array_free(lm, &in_split);
	pfree(orders);
	if (split_blocks > 0)
		ereport(NOTICE,
				(errmsg_plural("blocking split " INT64_FORMAT " block of more than %d distinct records by sorted neighbourhood",
							   "blocking split " INT64_FORMAT " blocks of more than %d distinct records by sorted neighbourhood",
							   (unsigned long) split_blocks, split_blocks, LINK_MAX_BLOCK),
				 errdetail("Their " INT64_FORMAT " records were sorted by their values in up to %d orders, each led by another column, and each compared with the next %d in each order (records identical on every compared column taken once, and compared with one another): " INT64_FORMAT " comparisons. Pairs only these blocks make are scored, but do not train the model.",
						   split_records, LINK_SPLIT_ORDERS, link_split_window, split_pairs),
				 errhint("blocking_estimate() shows the blocks each rule splits and its orders; map a more specific column to make smaller blocks.")));

	/*
	 * Sorted by pair, then rule and origin; each pair once, with the rules
	 * that made it (bits), how (the least origin), and the rules that made it
	 * only as neighbours of a split block (not in their training sessions).
	 */
	{
		LinkMerge	rm;
		LinkPairInfo *info;
		LinkPair	cur = {-1, -1, 0};
		uint32		made = 0;	/* rules that made the current pair other than as neighbours */
		uint8		origin = PAIR_DIRECT;
		RawPair		r;
		bool		more;

		link_array_init(&lm->pairs, sizeof(LinkPair));
		link_array_init(&lm->info, offsetof(LinkPairInfo, levels) + lm->ncolumns);
		link_merge_begin_sorted(lm, &sink.raw, raw_pair_cmp, sort_raw_pairs, &rm);
		do
		{
			if ((lm->info.n & 0xFFFF) == 0)
				CHECK_FOR_INTERRUPTS();
			more = link_merge_take(lm, &rm, &r);
			if (!more || cur.a < 0 || r.a != cur.a || r.b != cur.b)
			{
				/*
				 * The pair before, done.  Pairs within a group of identical
				 * records that only oversized blocks made (a block compared
				 * pair by pair elsewhere holds the group whole, and compared
				 * its pairs itself): not for training; a match outright
				 * where the records say enough to be told apart (two
				 * identifying values).  Pairs that only sorted
				 * neighbourhoods made: not for training either.
				 */
				if (cur.a >= 0)
				{
					LinkPair   *p = link_array_push(lm, &lm->pairs);
					uint8		flags = 0;

					*p = cur;
					if (any_grouped && origin == PAIR_GROUPED && G_REP(lm, &groups, cur.a) == G_REP(lm, &groups, cur.b))
						flags = LINK_PAIR_UNTRAINED |
							(identifying_values(lm, LINK_REC(lm, cur.a)) >= 2 ? LINK_PAIR_IDENTICAL : 0);
					else if (any_grouped && origin == PAIR_NEIGHBOUR)
						flags = LINK_PAIR_UNTRAINED | LINK_PAIR_NEIGHBOUR;
					PAIR_INFO_MUT(lm, lm->info.n - 1)->flags = flags;
				}
				if (!more)
					break;
				cur.a = r.a;
				cur.b = r.b;
				cur.probability = 0;
				/* its info made now, filled as its raw pairs come (pushed before the pair) */
				info = link_array_push(lm, &lm->info);
				memset(info, 0, lm->info.size);
				origin = r.origin;
				made = 0;
			}
			info = PAIR_INFO_MUT(lm, lm->info.n - 1);
			info->rules |= (uint32) 1 << r.rule;
			if (r.origin != PAIR_NEIGHBOUR)
				made |= (uint32) 1 << r.rule;
			if (split_blocks > 0)
				info->neighbour_rules = info->rules & ~made;
			/* compared pair by pair anywhere: it stands for itself (sorted: least first) */
			origin = Min(origin, r.origin);
		} while (more);
		ncodes = lm->pairs.n;
	}
	link_store_sample(lm);
	link_array_free(lm, &sink.raw);
	if (groups.made)
		link_array_free(lm, &groups.of);
	for (int c = 0; c < lm->ncolumns; c++)
		if (held[c].n > 0)
			link_array_free(lm, &held[c]);
	if (scratch)
		pfree(scratch);
	lm->npairs = ncodes;
	INSTR_TIME_SET_CURRENT(start);
	compare_pairs(lm, nrules, start);
}
