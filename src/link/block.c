/*
 * block.c
 *		Blocking: the candidate pairs a linkage run compares.
 *
 * One rule per informative column (names, dates, postcodes, identifiers,
 * free text): records with the same prepared value are candidates; names
 * also by the Double Metaphone code of each of their words, so that
 * spelling and transliteration do not hide a pair.  Rules are OR-ed and the
 * pairs de-duplicated.  Before any pair is made, the number of comparisons
 * the rules would generate is counted, and a run that would exceed
 * max_pairs is refused.  Blocks of more than LINK_MAX_BLOCK records (a value
 * shared by thousands: "Patel", a default date) are skipped, with a notice:
 * the other rules still bring their true pairs together.
 */
#include "postgres.h"

#include "miscadmin.h"

#include "link/link.h"
#include "match/dmetaphone.h"

#define LINK_MAX_BLOCK 5000

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

static int
u64_cmp(const void *x, const void *y)
{
	uint64		a = *(const uint64 *) x,
				b = *(const uint64 *) y;

	return a < b ? -1 : a > b ? 1 : 0;
}

static uint64
mix(uint64 a, uint64 b)
{
	uint64		z = a * UINT64CONST(0x9E3779B97F4A7C15) ^ (b + UINT64CONST(0x632BE59BD9B4E019));

	z = (z ^ (z >> 30)) * UINT64CONST(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64CONST(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* Keys of one record under one rule (column, phonetic?); returns how many. */
static int
rule_keys(const LinkModel *lm, int rule_col, bool phonetic, const LinkRecord *r, uint64 *keys)
{
	const LinkValue *v = &r->v[rule_col];
	int			n = 0;

	if (v->s == NULL)
		return 0;
	if (!phonetic)
	{
		keys[n++] = mix(rule_col, v->hash);
		return n;
	}
	/* each word of a name, by its Double Metaphone primary code */
	for (int i = 0; i < v->len && n < 4;)
	{
		int			start = i;
		char		primary[9],
					alternate[9];

		while (i < v->len && v->s[i] != ' ' && v->s[i] != '-')
			i++;
		if (i - start >= 2)
		{
			double_metaphone(v->s + start, i - start, 8, primary, alternate);
			if (primary[0])
			{
				uint64		h = 1469598103934665603ULL;

				for (char *p = primary; *p; p++)
					h = (h ^ (unsigned char) *p) * 1099511628211ULL;
				keys[n++] = mix(rule_col + 1000, h);
			}
		}
		i++;
	}
	return n;
}

void
link_block(LinkModel *lm, int64 max_pairs)
{
	int			n = lm->nrecords;
	int			nrules = 0;
	int			rule_col[2 * LINK_MAX_COLUMNS];
	bool		rule_phonetic[2 * LINK_MAX_COLUMNS];
	BlockEntry **entries = palloc(sizeof(BlockEntry *) * 2 * LINK_MAX_COLUMNS);
	int		   *nentries = palloc0(sizeof(int) * 2 * LINK_MAX_COLUMNS);
	int64		estimate = 0;
	int64		skipped_blocks = 0;
	uint64	   *codes;
	int64		ncodes = 0;

	for (int c = 0; c < lm->ncolumns; c++)
	{
		LinkKind	k = lm->columns[c].kind;

		if (k == LK_EXACT || k == LK_NUMBER)
			continue;			/* too few distinct values to block on alone */
		rule_col[nrules] = c;
		rule_phonetic[nrules++] = false;
		if (k == LK_GIVEN_NAME || k == LK_SURNAME || k == LK_FULL_NAME)
		{
			rule_col[nrules] = c;
			rule_phonetic[nrules++] = true;
		}
	}
	if (nrules == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("no column to block on"),
				 errdetail("Blocking uses columns of kind given_name, surname, full_name, date, postcode, text or identifier."),
				 errhint("Add at least one such column to the columns mapping.")));

	/* keys, sorted per rule; the comparisons each would generate */
	for (int r = 0; r < nrules; r++)
	{
		BlockEntry *e = palloc(sizeof(BlockEntry) * (int64) n * 4);
		int			m = 0;

		for (int i = 0; i < n; i++)
		{
			uint64		keys[4];
			int			nk = rule_keys(lm, rule_col[r], rule_phonetic[r], lm->records[i], keys);

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
						left = 0;

			while (j < m && e[j].key == e[i].key)
			{
				if (lm->records[e[j].record]->side == 0)
					left++;
				j++;
			}
			if (j - i <= LINK_MAX_BLOCK)
				estimate += lm->dedupe ? (int64) (j - i) * (j - i - 1) / 2 :
					(int64) left * (j - i - left);
			i = j;
		}
	}
	if (estimate > max_pairs)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("blocking would generate " INT64_FORMAT " comparisons, more than the limit of " INT64_FORMAT,
						estimate, max_pairs),
				 errhint("Map more specific columns (a date of birth, an identifier, a postcode), or raise max_pairs.")));

	/* the pairs, de-duplicated across rules */
	codes = palloc(sizeof(uint64) * Max(estimate, 1));
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
				skipped_blocks++;
			else
				for (int x = i; x < j; x++)
					for (int y = x + 1; y < j; y++)
					{
						int32		a = e[x].record,
									b = e[y].record;

						if (a == b)
							continue;
						if (!lm->dedupe)
						{
							if (lm->records[a]->side == lm->records[b]->side)
								continue;
							if (lm->records[a]->side == 1)
							{
								int32		t = a;

								a = b;
								b = t;
							}
						}
						else if (a > b)
						{
							int32		t = a;

							a = b;
							b = t;
						}
						codes[ncodes++] = ((uint64) (uint32) a << 32) | (uint32) b;
					}
			i = j;
		}
		pfree(e);
	}
	if (skipped_blocks > 0)
		ereport(NOTICE,
				(errmsg("blocking skipped " INT64_FORMAT " blocks of more than %d records",
						skipped_blocks, LINK_MAX_BLOCK)));
	qsort(codes, ncodes, sizeof(uint64), u64_cmp);
	lm->pairs = palloc(sizeof(LinkPair) * Max(ncodes, 1));
	lm->npairs = 0;
	for (int64 k = 0; k < ncodes; k++)
	{
		LinkPair   *p;

		if (k > 0 && codes[k] == codes[k - 1])
			continue;
		if ((lm->npairs & 0x3FFF) == 0)
			CHECK_FOR_INTERRUPTS();
		p = &lm->pairs[lm->npairs++];
		p->a = (int32) (codes[k] >> 32);
		p->b = (int32) (codes[k] & 0xFFFFFFFF);
		link_compare(lm, lm->records[p->a], lm->records[p->b], p->level);
	}
	pfree(codes);
}
