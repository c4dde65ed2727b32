/*
 * block.c
 *		Blocking: the candidate pairs a linkage run compares.
 *
 * Rules from the columns mapping (default_rules below): records that share
 * a rule's key are candidates; names are keyed by sound (Double Metaphone),
 * so that spelling and transliteration do not hide a pair.  Rules are OR-ed
 * and the pairs de-duplicated.  Before any pair is made, the number of comparisons
 * the rules would generate is counted, and a run that would exceed
 * max_pairs is refused.  Blocks of more than LINK_MAX_BLOCK records (a value
 * shared by thousands: "Patel", a default date, one person loaded thousands
 * of times) are not compared pair by pair.  Their records are grouped by
 * every compared value (records identical on every compared column are one
 * group); a block of LINK_MAX_BLOCK groups or fewer is compared group by
 * group (the first record of each group with the first of each other), and
 * each group's records with its first record (a star, linear in the group's
 * size); a block of more groups is skipped, but for its stars.  The pairs of
 * a star that no block compared pair by pair neither train the model nor
 * count towards its prior (copies of one record say nothing of the
 * population) and, where the records hold two identifying values or more,
 * are a match outright (LINK_PAIR_IDENTICAL).  A notice says how many blocks
 * were skipped, and how many of their records no block of another rule
 * compares (those are compared only with records identical to them).
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "miscadmin.h"
#include "utils/datetime.h"

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

typedef struct CodeRule
{
	uint64		code;
	uint32		rule;
	bool		grouped;		/* made by an oversized block, by its groups */
} CodeRule;

static int
code_rule_cmp(const void *x, const void *y)
{
	const CodeRule *a = x,
			   *b = y;

	if (a->code != b->code)
		return a->code < b->code ? -1 : 1;
	if (a->rule != b->rule)
		return (int) a->rule - (int) b->rule;
	return (int) a->grouped - (int) b->grouped;
}

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
	F_SOUND_SKELETON			/* the first word's sound and consonant skeleton
								 * (Hoccleve, Occleve: klf) */
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
} BlockRule;

static uint64
key_hash(const char *s, int len)
{
	return hash_bytes_extended((const unsigned char *) s, len, 0);
}

/*
 * The Double Metaphone code (at most max_length letters, into code, which has
 * room for max_length + 1) of the next word of s, from *pos, of min_length
 * letters or more (max_length at most LINK_MAX_SOUND), words ending at a
 * space or a hyphen; false if none is left.
 */
bool
link_next_word_sound(const char *s, int len, int *pos, int min_length, int max_length, char *code)
{
	while (*pos < len)
	{
		int			start = *pos;
		char		alternate[LINK_MAX_SOUND + 1];

		while (*pos < len && s[*pos] != ' ' && s[*pos] != '-')
			(*pos)++;
		(*pos)++;
		if (*pos - 1 - start >= min_length)
		{
			double_metaphone(s + start, *pos - 1 - start, max_length, code, alternate);
			if (code[0])
				return true;
		}
	}
	return false;
}

/* Double Metaphone of the word of v starting at *pos; 0 if none. */
static uint64
word_code(const LinkValue *v, int *pos)
{
	char		primary[LINK_MAX_SOUND + 1];

	if (!link_next_word_sound(v->s, v->len, pos, 2, LINK_MAX_SOUND, primary))
		return 0;
	return key_hash(primary, strlen(primary));
}

/* One part of a record's key under a rule; false if the value is missing. */
static bool
feature_key(const LinkRecord *r, int col, Feature f, uint64 *key)
{
	const LinkValue *v = &r->v[col];

	if (v->s == NULL)
		return false;
	switch (f)
	{
		case F_VALUE:
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

				/* any year: BC, or past 9999 */
				j2date(v->date + POSTGRES_EPOCH_JDATE, &y, &m, &d);
				*key = (uint64) (int64) y;
				return true;
			}
		case F_DISTRICT:
			/* not a valid postcode: all but its last three characters, or all */
			*key = v->pc_valid ? key_hash(v->pc.outward, strlen(v->pc.outward)) :
				v->len >= 5 ? key_hash(v->s, v->len - 3) : v->hash;
			return true;
		case F_INWARD:
			/* not a valid postcode (a slip in the district): its last three characters */
			if (v->pc_valid)
				*key = key_hash(v->pc.inward, strlen(v->pc.inward));
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

				j2date(v->date + POSTGRES_EPOCH_JDATE, &y, &m, &d);
				*key = (uint64) (m * 32 + d);
				return true;
			}
		case F_MOVES:			/* several codes: part_codes */
		case F_VARIANTS:
		case F_SOUND_SKELETON:
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
	const LinkValue *v = &r->v[rule->col[p]];
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
	if (rule->feature[p] == F_MOVES)
	{
		/* the day an address began meets the day another ended, or the next */
		int			out = link_find_kind(lm, LK_MOVED_OUT);

		if (v->s != NULL)
			codes[n++] = (uint64) (uint32) v->date;
		if (out >= 0 && r->v[out].s != NULL)
		{
			codes[n++] = (uint64) (uint32) r->v[out].date;
			codes[n++] = (uint64) (uint32) (r->v[out].date + 1);
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
	"%s or its variants", "sound or skeleton of %s"
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
 *     only, so that the cost follows the dates missing);
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
typedef struct DupGroups
{
	int32	   *rep;			/* per record: its group's first record */
	int32	   *count[2];		/* per group (at its rep): records on each side */
	int32	   *first[2];		/* per group: its first record on each side, or -1 */
} DupGroups;

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
		h = mix(h, r->v[c].s ? hash_bytes_extended((const unsigned char *) r->v[c].s, r->v[c].len, c)
				: UINT64CONST(0x9e3779b97f4a7c15) + c);
	return h;
}

/* Identical on every compared column (both missing counts as equal). */
static bool
records_identical(const LinkModel *lm, const LinkRecord *a, const LinkRecord *b)
{
	for (int c = 0; c < lm->ncolumns; c++)
	{
		if ((a->v[c].s == NULL) != (b->v[c].s == NULL))
			return false;
		if (a->v[c].s != NULL &&
			(a->v[c].len != b->v[c].len || memcmp(a->v[c].s, b->v[c].s, a->v[c].len) != 0))
			return false;
	}
	return true;
}

/* The groups of identical records (made when a first oversized block needs them). */
static void
find_groups(const LinkModel *lm, DupGroups *g)
{
	int			n = lm->nrecords;
	DupEntry   *d = palloc_extended(sizeof(DupEntry) * Max(n, 1), MCXT_ALLOC_HUGE);

	g->rep = palloc_extended(sizeof(int32) * Max(n, 1), MCXT_ALLOC_HUGE);
	for (int s = 0; s < 2; s++)
	{
		g->count[s] = palloc_extended(sizeof(int32) * Max(n, 1), MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
		g->first[s] = palloc_extended(sizeof(int32) * Max(n, 1), MCXT_ALLOC_HUGE);
	}
	for (int i = 0; i < n; i++)
	{
		if ((i & 0x3FFF) == 0)
			CHECK_FOR_INTERRUPTS();
		d[i].hash = record_hash(lm, lm->records[i]);
		d[i].record = i;
		g->rep[i] = -1;
		g->first[0][i] = g->first[1][i] = -1;
	}
	qsort(d, n, sizeof(DupEntry), dup_cmp);
	for (int x = 0; x < n;)
	{
		int			y = x + 1;

		CHECK_FOR_INTERRUPTS();
		while (y < n && d[y].hash == d[x].hash)
			y++;
		/* one hash, nearly always one group: each unplaced record starts one */
		for (int z = x; z < y; z++)
		{
			int32		rep = d[z].record;

			if (g->rep[rep] >= 0)
				continue;
			g->rep[rep] = rep;
			for (int w = z + 1; w < y; w++)
				if (g->rep[d[w].record] < 0 &&
					records_identical(lm, lm->records[rep], lm->records[d[w].record]))
					g->rep[d[w].record] = rep;
		}
		x = y;
	}
	pfree(d);
	for (int i = 0; i < n; i++)
	{
		int32		rep = g->rep[i];
		int			side = lm->records[i]->side;

		if (g->first[side][rep] < 0)
			g->first[side][rep] = i;
		g->count[side][rep]++;
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
 * The records of one oversized block, by group: e's records sorted by
 * (group, record) into m; how many groups, and the pairs comparing it by
 * group would make.
 */
static BlockGroups
block_groups(const LinkModel *lm, const DupGroups *g, const BlockEntry *e, int size, BlockEntry *m)
{
	BlockGroups bg = {0, 0, 0};
	int64		left = 0,
				right = 0,
				both = 0;

	for (int x = 0; x < size; x++)
	{
		m[x].key = (uint64) g->rep[e[x].record];
		m[x].record = e[x].record;
	}
	qsort(m, size, sizeof(BlockEntry), entry_cmp);
	for (int x = 0; x < size; x++)
		if (x == 0 || m[x].key != m[x - 1].key)
		{
			int32		rep = (int32) m[x].key;

			bg.ngroups++;
			bg.star_pairs += group_star_pairs(lm, g, rep);
			left += g->count[0][rep] > 0;
			right += g->count[1][rep] > 0;
			both += g->count[0][rep] > 0 && g->count[1][rep] > 0;
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
	if (lm->dedupe)
		return g->count[0][rep] - 1;
	if (g->count[0][rep] == 0 || g->count[1][rep] == 0)
		return 0;
	return g->count[0][rep] + g->count[1][rep] - 1;
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

		if (r->v[c].s != NULL && k != LK_MIN_AGE && k != LK_MOVED_IN && k != LK_MOVED_OUT)
			n++;
	}
	return n;
}

/*
 * Appends the pair (a, b) as a sortable code with its rule, in the order
 * the pairs of a block take (dedupe: a < b; link: left record first);
 * false if the two records are not to be compared.
 */
static inline bool
pair_code(const LinkModel *lm, int32 a, int32 b, uint64 *code)
{
	if (a == b)
		return false;
	if (lm->dedupe)
	{
		if (a > b)
		{
			int32		t = a;

			a = b;
			b = t;
		}
	}
	else
	{
		if (lm->records[a]->side == lm->records[b]->side)
			return false;
		if (lm->records[a]->side == 1)
		{
			int32		t = a;

			a = b;
			b = t;
		}
	}
	*code = ((uint64) (uint32) a << 32) | (uint32) b;
	return true;
}

/* Appends the pair (a, b) of rule r, if they are to be compared. */
static inline void
add_pair(const LinkModel *lm, int32 a, int32 b, int r, bool grouped,
		 uint64 *codes, uint32 *code_rules, bool *code_grouped, int64 *ncodes)
{
	uint64		code;

	if (!pair_code(lm, a, b, &code))
		return;
	/* the rule rides in a parallel array, sorted with the code */
	codes[*ncodes] = code;
	code_rules[*ncodes] = r;
	code_grouped[*ncodes] = grouped;
	(*ncodes)++;
}

/*
 * The pairs of one oversized block of rule r (its records m, sorted by
 * group): the stars of its groups; and, where it holds LINK_MAX_BLOCK groups
 * or fewer (compare), each pair of groups by their first records.  Marks
 * its records compared, or in a skipped block.
 */
static void
group_block_pairs(const LinkModel *lm, const DupGroups *g, const BlockEntry *m, int size,
				  bool compare, int r, uint64 *codes, uint32 *code_rules, bool *code_grouped,
				  int64 *ncodes, bool *compared, bool *in_skipped)
{
	int		   *start = palloc(sizeof(int) * (size + 1));
	int			d = 0;

	for (int x = 0; x < size; x++)
	{
		if (x == 0 || m[x].key != m[x - 1].key)
			start[d++] = x;
		if (compare)
			compared[m[x].record] = true;
		else
			in_skipped[m[x].record] = true;
	}
	start[d] = size;
	for (int k = 0; k < d; k++)
	{
		int32		rep = (int32) m[start[k]].key;
		int32		fl = g->first[0][rep],
					fr = g->first[1][rep];

		if (group_star_pairs(lm, g, rep) == 0)
			continue;
		for (int x = start[k]; x < start[k + 1]; x++)
		{
			int32		rec = m[x].record;

			if (lm->dedupe)
				add_pair(lm, rep, rec, r, true, codes, code_rules, code_grouped, ncodes);
			else if (lm->records[rec]->side == 1)
				add_pair(lm, fl, rec, r, true, codes, code_rules, code_grouped, ncodes);
			else if (rec != fl)
				add_pair(lm, rec, fr, r, true, codes, code_rules, code_grouped, ncodes);
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
					add_pair(lm, ra, rb, r, true, codes, code_rules, code_grouped, ncodes);
				else
				{
					if (g->first[0][ra] >= 0 && g->first[1][rb] >= 0)
						add_pair(lm, g->first[0][ra], g->first[1][rb], r, true,
								 codes, code_rules, code_grouped, ncodes);
					if (g->first[0][rb] >= 0 && g->first[1][ra] >= 0)
						add_pair(lm, g->first[0][rb], g->first[1][ra], r, true,
								 codes, code_rules, code_grouped, ncodes);
				}
			}
		}
	pfree(start);
}

void
link_block(LinkModel *lm, int64 max_pairs, bool estimate_only)
{
	instr_time	start;
	int			n = lm->nrecords;
	BlockRule	rules[2 * LINK_MAX_COLUMNS + 2];
	int			nrules = default_rules(lm, rules);
	BlockEntry **entries;
	int		   *nentries;
	int64		estimate = 0;
	int64		skipped_blocks = 0;
	uint64	   *codes;
	uint32	   *code_rules;
	bool	   *code_grouped;	/* the pair comes from an oversized block only */
	int64		ncodes = 0;
	int64		star_bound = 0; /* pairs within groups skipped blocks may add */
	bool	   *compared;		/* record is in a block compared pair by pair or by group */
	bool	   *in_skipped;		/* record is in a block of too many groups */
	int64		uncovered = 0,
				uncovered_alone = 0;
	DupGroups	groups = {NULL};
	BlockEntry *scratch = NULL;
	int			scratch_size = 0;
	bool		any_grouped = false;

	if (nrules == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("no column to block on"),
				 errdetail("Blocking uses columns of kind given_name, surname, full_name, date, postcode, text or identifier."),
				 errhint("Add at least one such column to the columns mapping.")));
	if (nrules > LINK_MAX_RULES)
		nrules = LINK_MAX_RULES;
	lm->nrules = nrules;
	lm->pair_flags = NULL;
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
		lm->rules[r].skipped_blocks = 0;
	}
	entries = palloc(sizeof(BlockEntry *) * nrules);
	nentries = palloc0(sizeof(int) * nrules);

	/* keys, sorted per rule; the comparisons each would generate */
	for (int r = 0; r < nrules; r++)
	{
		BlockEntry *e;
		int			m;
		int64		cap;

refine:
		cap = (int64) n * 2 + RULE_MAX_KEYS;
		e = palloc_extended(sizeof(BlockEntry) * cap, MCXT_ALLOC_HUGE);
		m = 0;

		for (int i = 0; i < n; i++)
		{
			uint64		keys[RULE_MAX_KEYS];
			int			nk;

			if ((i & 0x3FFF) == 0)
				CHECK_FOR_INTERRUPTS();
			nk = rule_keys(lm, &rules[r], r, lm->records[i], keys);
			if (m + nk > cap)
			{
				cap *= 2;
				e = repalloc_huge(e, sizeof(BlockEntry) * cap);
			}
			for (int k = 0; k < nk; k++)
			{
				e[m].key = keys[k];
				e[m].record = i;
				m++;
			}
		}
		qsort(e, m, sizeof(BlockEntry), entry_cmp);
		entries[r] = e;
		nentries[r] = m;
		for (int i = 0; i < m;)
		{
			int			j = i,
						left = 0,
						hosts[2] = {0, 0};

			while (j < m && e[j].key == e[i].key)
			{
				const LinkRecord *rec = lm->records[e[j].record];

				if (rec->side == 0)
					left++;
				if (rules[r].guest >= 0 && rec->v[rules[r].guest].s != NULL)
					hosts[rec->side]++;
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
				 * loaded thousands of times); else only within its groups.
				 */
				BlockGroups bg;

				CHECK_FOR_INTERRUPTS();
				if (groups.rep == NULL)
					find_groups(lm, &groups);
				if (scratch_size < j - i)
				{
					if (scratch)
						pfree(scratch);
					scratch_size = Max(j - i, 2 * scratch_size);
					scratch = palloc_extended(sizeof(BlockEntry) * scratch_size, MCXT_ALLOC_HUGE);
				}
				bg = block_groups(lm, &groups, e + i, j - i, scratch);
				if (bg.ngroups <= LINK_MAX_BLOCK)
				{
					estimate += bg.comparisons;
					lm->rules[r].comparisons += bg.comparisons;
					lm->rules[r].largest_block = Max(lm->rules[r].largest_block, j - i);
				}
				else
				{
					lm->rules[r].skipped_blocks++;
					star_bound += bg.star_pairs;
				}
			}
			i = j;
		}

		/*
		 * A date alone makes blocks that grow with the population (there are
		 * only so many dates of birth): where it would compare more than
		 * DATE_RULE_MAX_PER_RECORD pairs a record, it takes the initial of a
		 * name too, so that the cost stays linear in the number of records.
		 */
		if (rules[r].nparts == 1 && rules[r].feature[0] == F_VALUE &&
			lm->columns[rules[r].col[0]].kind == LK_DATE &&
			lm->rules[r].comparisons > DATE_RULE_MAX_PER_RECORD * (int64) n)
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
				pfree(e);
				rules[r].nparts = 2;
				rules[r].col[1] = name;
				/* a full name alone: any word's sound (a slip in one leaves the other) */
				rules[r].feature[1] = lm->columns[name].kind == LK_FULL_NAME ? F_PHONETIC_EACH : F_INITIAL;
				lm->rules[r].ncols = 2;
				lm->rules[r].cols[1] = name;
				lm->rules[r].comparisons = 0;
				lm->rules[r].largest_block = 0;
				lm->rules[r].skipped_blocks = 0;
				describe_rule(lm, &rules[r], lm->rules[r].description, sizeof(lm->rules[r].description));
				goto refine;
			}
		}
	}
	if (estimate_only)
	{
		for (int r = 0; r < nrules; r++)
			pfree(entries[r]);
		return;
	}
	if (estimate > max_pairs)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("blocking would generate " INT64_FORMAT " comparisons, more than the limit of " INT64_FORMAT,
						estimate, max_pairs),
				 errhint("Map more specific columns (a date of birth, an identifier, a postcode), or raise brent_mdm.max_candidate_pairs.")));

	/* the pairs, de-duplicated across rules */
	codes = palloc_extended(sizeof(uint64) * Max(estimate + star_bound, 1), MCXT_ALLOC_HUGE);
	code_rules = palloc_extended(sizeof(uint32) * Max(estimate + star_bound, 1), MCXT_ALLOC_HUGE);
	code_grouped = palloc_extended(sizeof(bool) * Max(estimate + star_bound, 1), MCXT_ALLOC_HUGE);
	compared = palloc0(sizeof(bool) * Max(n, 1));
	in_skipped = palloc0(sizeof(bool) * Max(n, 1));
	for (int r = 0; r < nrules; r++)
	{
		BlockEntry *e = entries[r];
		int			m = nentries[r];

		for (int i = 0; i < m;)
		{
			int			j = i;

			CHECK_FOR_INTERRUPTS();
			while (j < m && e[j].key == e[i].key)
				j++;
			if (j - i > LINK_MAX_BLOCK)
			{
				BlockGroups bg = block_groups(lm, &groups, e + i, j - i, scratch);

				if (bg.ngroups > LINK_MAX_BLOCK)
					skipped_blocks++;
				any_grouped = true;
				group_block_pairs(lm, &groups, scratch, j - i, bg.ngroups <= LINK_MAX_BLOCK, r,
								  codes, code_rules, code_grouped, &ncodes, compared, in_skipped);
			}
			else
				for (int x = i; x < j; x++)
					for (int y = x + 1; y < j; y++)
					{
						int64		before = ncodes;

						if (rules[r].guest >= 0 &&
							lm->records[e[x].record]->v[rules[r].guest].s != NULL &&
							lm->records[e[y].record]->v[rules[r].guest].s != NULL)
							continue;
						add_pair(lm, e[x].record, e[y].record, r, false,
								 codes, code_rules, code_grouped, &ncodes);
						if (ncodes > before)
							compared[e[x].record] = compared[e[y].record] = true;
					}
			i = j;
		}
		pfree(e);
	}
	for (int i = 0; i < n; i++)
		if (in_skipped[i] && !compared[i])
		{
			uncovered++;
			if (group_star_pairs(lm, &groups, groups.rep[i]) == 0)
				uncovered_alone++;
		}
	pfree(compared);
	pfree(in_skipped);
	if (skipped_blocks > 0)
		ereport(NOTICE,
				(errmsg_plural("blocking skipped " INT64_FORMAT " block of more than %d distinct records",
							   "blocking skipped " INT64_FORMAT " blocks of more than %d distinct records",
							   (unsigned long) skipped_blocks, skipped_blocks, LINK_MAX_BLOCK),
				 uncovered > 0 ?
				 errdetail_plural(INT64_FORMAT " of their records is compared in no block of another rule: it is compared only with records identical to it on every compared column; records with none stay alone: " INT64_FORMAT ".",
								  INT64_FORMAT " of their records are compared in no block of another rule: they are compared only with records identical to them on every compared column; records with none stay alone: " INT64_FORMAT ".",
								  (unsigned long) uncovered, uncovered, uncovered_alone) :
				 errdetail("Each of their records is also in a block of another rule, where it is compared."),
				 errhint("blocking_estimate() shows the rules, their largest blocks and the blocks they skip; map a more specific column to split such blocks.")));
	/* sort (code, rule) together: codes carry their rule in a parallel array */
	{
		CodeRule   *cr = palloc_extended(sizeof(CodeRule) * Max(ncodes, 1), MCXT_ALLOC_HUGE);
		int64		distinct = 0;

		for (int64 k = 0; k < ncodes; k++)
		{
			cr[k].code = codes[k];
			cr[k].rule = code_rules[k];
			cr[k].grouped = code_grouped[k];
		}
		qsort(cr, ncodes, sizeof(CodeRule), code_rule_cmp);
		for (int64 k = 0; k < ncodes; k++)
		{
			if (distinct == 0 || cr[k].code != codes[distinct - 1])
			{
				codes[distinct] = cr[k].code;
				code_rules[distinct] = 0;
				code_grouped[distinct] = true;
				distinct++;
			}
			code_rules[distinct - 1] |= (uint32) 1 << cr[k].rule;
			/* compared pair by pair anywhere: it stands for itself */
			code_grouped[distinct - 1] &= cr[k].grouped;
		}
		pfree(cr);
		ncodes = distinct;
	}

	/*
	 * Pairs within a group of identical records that only oversized blocks
	 * made (a block compared pair by pair elsewhere holds the group whole,
	 * and compared its pairs itself): not for training; a match outright
	 * where the records say enough to be told apart (two identifying values).
	 */
	if (any_grouped)
	{
		lm->pair_flags = palloc_extended(sizeof(uint8) * Max(ncodes, 1), MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
		for (int64 k = 0; k < ncodes; k++)
		{
			int32		a = (int32) (codes[k] >> 32),
						b = (int32) (codes[k] & 0xFFFFFFFF);

			if (code_grouped[k] && groups.rep[a] == groups.rep[b])
				lm->pair_flags[k] = LINK_PAIR_UNTRAINED |
					(identifying_values(lm, lm->records[a]) >= 2 ? LINK_PAIR_IDENTICAL : 0);
		}
	}
	pfree(code_grouped);
	if (groups.rep != NULL)
	{
		pfree(groups.rep);
		for (int s = 0; s < 2; s++)
		{
			pfree(groups.count[s]);
			pfree(groups.first[s]);
		}
	}
	if (scratch)
		pfree(scratch);
	lm->pairs = palloc(sizeof(LinkPair) * Max(ncodes, 1));
	lm->pair_rules = code_rules;
	lm->levels = palloc(Max(ncodes * lm->ncolumns, 1));
	lm->npairs = ncodes;
	INSTR_TIME_SET_CURRENT(start);
	for (int64 k = 0; k < ncodes; k++)
	{
		LinkPair   *p = &lm->pairs[k];

		if ((k & 0x3FFF) == 0)
		{
			CHECK_FOR_INTERRUPTS();
			/* long runs: a notice at each tenth of the pairs compared */
			if (lm->nrecords >= LINK_PROGRESS_RECORDS && k > 0 &&
				k * 10 / ncodes != (k - 0x4000) * 10 / ncodes)
			{
				double		t = seconds_since(start);

				ereport(NOTICE,
						(errmsg("linkage: comparing pairs, %d%% (" INT64_FORMAT " of " INT64_FORMAT ", %.0f pairs a second)",
								(int) (k * 100 / ncodes), k, ncodes, k / Max(t, 0.001))));
			}
		}
		p->a = (int32) (codes[k] >> 32);
		p->b = (int32) (codes[k] & 0xFFFFFFFF);
		p->probability = 0;
		for (int r = 0; r < nrules; r++)
			if (code_rules[k] & ((uint32) 1 << r))
				lm->rules[r].npairs++;
		link_compare(lm, lm->records[p->a], lm->records[p->b], PAIR_LEVELS(lm, k));
	}
	pfree(codes);
}
