/*
 * model.c
 *		The Fellegi-Sunter model: values prepared per kind of column,
 *		comparison levels, u from random pairs, m by expectation-maximisation
 *		over the candidate pairs, match weights with term-frequency
 *		adjustment.
 *
 * Levels, per kind (0 is always "a value is missing": it weighs nothing):
 *   given_name, surname, full_name: 1 equal after normalisation; 2 name
 *     similarity at least 0.92 (dictionary variants, transliterations, one
 *     slip in a long name); 3 at least 0.85; 4 at least 0.70; 5 else
 *   date: 1 equal; 2 day and month transposed; 3 one digit differs;
 *     4 within a year, or the same day and month (the year alone wrong); 5 else
 *   postcode (UK): 1 unit; 2 sector; 3 district; 4 else.  Other postcodes:
 *     1 equal; 2 one edit; 4 else
 *   text: 1 equal; 2 Jaro-Winkler at least 0.92; 3 at least 0.80; 4 else
 *   exact: 1 equal; 2 else
 *   identifier, number: 1 equal; 2 one edit (or a number one apart); 3 else
 * A full name is compared only where given name and surname cannot be (see
 * parts_comparable).
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"

#include <math.h>

#include "common/hashfn.h"
#include "miscadmin.h"
#include "utils/datetime.h"

#include "link/link.h"
#include "match/chars.h"
#include "match/compare.h"
#include "match/dates.h"
#include "match/normalise.h"
#include "match/variants.h"

static const char *const kind_names[] = {
	"given_name", "surname", "full_name", "date", "postcode", "text", "exact",
	"identifier", "number", "moved_in", "moved_out", "min_age"
};

/* The kind named name; false if there is none. */
bool
link_kind_from_name(const char *name, LinkKind *kind)
{
	for (int k = LK_GIVEN_NAME; k <= LK_MIN_AGE; k++)
		if (strcmp(name, kind_names[k]) == 0)
		{
			*kind = (LinkKind) k;
			return true;
		}
	return false;
}

/* The first column of kind k; -1 if there is none. */
int
link_find_kind(const LinkModel *lm, LinkKind k)
{
	for (int c = 0; c < lm->ncolumns; c++)
		if (lm->columns[c].kind == k)
			return c;
	return -1;
}

/* Kinds whose exact agreement is weighed by the value's term frequency. */
bool
link_kind_has_tf(LinkKind k)
{
	return k == LK_GIVEN_NAME || k == LK_SURNAME || k == LK_FULL_NAME ||
		k == LK_TEXT || k == LK_POSTCODE;
}

/* The prior of a model as a weight: log2 of the odds that two random records match. */
double
link_prior_weight(const LinkModel *lm)
{
	return log2(lm->lambda / (1.0 - lm->lambda));
}

/* The probability of a match weight (prior included). */
double
link_probability(double weight)
{
	return weight > 60 ? 1.0 : weight < -60 ? 0.0 : 1.0 / (1.0 + pow(2.0, -weight));
}

const char *
link_kind_name(LinkKind k)
{
	return kind_names[k];
}


/* Lower case, whitespace collapsed and trimmed. */
static char *
prepare_text(const char *raw, int *len, bool upper, bool drop_spaces)
{
	int			n = strlen(raw);
	char	   *out = palloc(n + 1);
	int			k = 0;
	bool		space = false;

	for (int i = 0; i < n; i++)
	{
		char		c = raw[i];

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || (drop_spaces && c == '-'))
		{
			space = k > 0;
			continue;
		}
		if (space && !drop_spaces)
			out[k++] = ' ';
		space = false;
		if (!upper && c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		else if (upper && c >= 'a' && c <= 'z')
			c -= 'a' - 'A';
		out[k++] = c;
	}
	out[k] = '\0';
	*len = k;
	return out;
}

static uint32
hash_string(const char *s, int len)
{
	return hash_bytes((const unsigned char *) s, len);
}

/* A parsed date as a prepared value: its text YYYYMMDD (years past 9999 and BC longer). */
static void
set_date_value(LinkValue *v)
{
	int			y,
				m,
				d;

	j2date(v->date + POSTGRES_EPOCH_JDATE, &y, &m, &d);
	v->s = psprintf("%04d%02d%02d", y, m, d);
	v->len = strlen(v->s);
	v->hash = hash_string(v->s, v->len);
}

/*
 * A day of the calendar PostgreSQL's date type holds (4713 BC to 5874897 AD):
 * any year, not only those of living people (a register of 1700 is read; a
 * year keyed 0980 for 1980 is a date that disagrees, not a missing one).
 */
static bool
date_from_ymd(int y, int m, int d, DateADT *out)
{
	int			j;

	if (y == 0)
		return false;
	if (y < 0)
		y++;					/* 1 BC is the astronomical year 0 */
	if (m < 1 || m > 12 || d < 1 || d > day_tab[isleap(y)][m - 1])
		return false;
	if (!IS_VALID_JULIAN(y, m, d))
		return false;
	j = date2j(y, m, d) - POSTGRES_EPOCH_JDATE;
	if (!IS_VALID_DATE(j))
		return false;
	*out = j;
	return true;
}

/* A run of exactly n digits at s, as a number; -1 if it is not that. */
static int
digits(const char *s, int n)
{
	int			v = 0;

	for (int i = 0; i < n; i++)
	{
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/*
 * Any other text PostgreSQL's date input reads ("15 March 1980",
 * "1980-03-15 10:00", "March 15 1980", "44-03-15 BC", two-digit years as
 * date_in reads them), day before month whatever the session's DateStyle;
 * not the special words (today, epoch, infinity).
 */
static bool
parse_date_postgres(const char *s, DateADT *out)
{
	char		workbuf[MAXDATELEN + 1];
	char	   *field[MAXDATEFIELDS];
	int			ftype[MAXDATEFIELDS];
	int			nf,
				dtype = 0,
				tz,
				dterr;
	struct pg_tm tt;
	fsec_t		fsec;
	int			order = DateOrder;

	if (strlen(s) > MAXDATELEN)
		return false;
	dterr = ParseDateTime(s, workbuf, sizeof(workbuf), field, ftype, MAXDATEFIELDS, &nf);
	if (dterr != 0)
		return false;
	DateOrder = DATEORDER_DMY;
	PG_TRY();
	{
		dterr = DecodeDateTime(field, ftype, nf, &dtype, &tt, &fsec, &tz);
	}
	PG_FINALLY();
	{
		DateOrder = order;
	}
	PG_END_TRY();
	if (dterr != 0 || dtype != DTK_DATE || !IS_VALID_JULIAN(tt.tm_year, tt.tm_mon, tt.tm_mday))
		return false;
	tz = date2j(tt.tm_year, tt.tm_mon, tt.tm_mday) - POSTGRES_EPOCH_JDATE;
	if (!IS_VALID_DATE(tz))
		return false;
	*out = tz;
	return true;
}

/*
 * Dates as text: YYYYMMDD, YYYY-MM-DD, DD/MM/YYYY and DD-MM-YYYY (fast; month
 * and day of one or two digits), J followed by a Julian day (date columns are
 * read so: every date of the type, BC too), else whatever PostgreSQL's date
 * input reads (parse_date_postgres).  False if it is no valid date.
 */
static bool
parse_date(const char *s, DateADT *out, int ymd[3])
{
	int			n = strlen(s);
	int			y = -1,
				m = -1,
				d = -1;

	ymd[0] = ymd[1] = ymd[2] = -1;

	if (n >= 2 && n <= 11 && s[0] == 'J' && (int) strspn(s + 1, "0123456789") == n - 1)
	{
		int64		j = 0;

		for (int i = 1; i < n; i++)
			j = j * 10 + (s[i] - '0');
		j -= POSTGRES_EPOCH_JDATE;
		if (j < PG_INT32_MIN || j > PG_INT32_MAX || !IS_VALID_DATE((DateADT) j))
			return false;
		*out = (DateADT) j;
		return true;
	}
	if (n == 8 && strspn(s, "0123456789") == 8)
	{
		y = digits(s, 4);
		m = digits(s + 4, 2);
		d = digits(s + 6, 2);
		/* no date as YYYYMMDD, but one as DDMMYYYY (an export's day first): that one */
		if (!date_from_ymd(y, m, d, out) && date_from_ymd(digits(s + 4, 4), digits(s + 2, 2), digits(s, 2), out))
		{
			ymd[0] = digits(s + 4, 4);
			ymd[1] = digits(s + 2, 2);
			ymd[2] = digits(s, 2);
			return true;
		}
	}
	else if (n >= 8 && n <= 10)
	{
		/* YYYY-M-D, or D/M/YYYY, D-M-YYYY: every part's digits counted */
		const char *p = s;
		int			part[3],
					len[3],
					np = 0;
		char		sep = 0;
		bool		ok = true;

		while (ok && np < 3)
		{
			int			k = strspn(p, "0123456789");

			if (k == 0 || k > 4)
				ok = false;
			else
			{
				part[np] = digits(p, k);
				len[np++] = k;
				p += k;
				if (np < 3)
				{
					if ((*p != '-' && *p != '/') || (sep && *p != sep))
						ok = false;
					else
						sep = *p++;
				}
			}
		}
		if (ok && *p == '\0')
		{
			if (len[0] == 4 && sep == '-' && len[1] <= 2 && len[2] <= 2)
			{
				y = part[0];
				m = part[1];
				d = part[2];
			}
			else if (len[2] == 4 && len[0] <= 2 && len[1] <= 2)
			{
				d = part[0];
				m = part[1];
				y = part[2];
			}
		}
	}
	if (y >= 0)
	{
		ymd[0] = y;
		ymd[1] = m;
		ymd[2] = d;
		return date_from_ymd(y, m, d, out);
	}
	return parse_date_postgres(s, out);
}

/*
 * A date of birth whose parts are numbers that make no date, kept as its
 * digits (link.h: LINK_DATE_DIGITS); false, and v left missing, where a part
 * is no number of its place's digits (year 1 to 9999, month and day 1 to 99).
 */
static bool
date_digits(LinkValue *v, const int ymd[3])
{
	/* a part 0 is a placeholder for a part not known (00000000, 19800000), not a slip */
	if (ymd[0] < 1 || ymd[0] > 9999 || ymd[1] < 1 || ymd[1] > 99 || ymd[2] < 1 || ymd[2] > 99)
		return false;
	v->date = LINK_DATE_DIGITS;
	v->s = psprintf("%04d%02d%02d", ymd[0], ymd[1], ymd[2]);
	v->len = 8;
	v->hash = hash_string(v->s, v->len);
	return true;
}

/*
 * The agreement of two dates of birth of which one or both are digits only:
 * the same year with day and month swapped, or one digit different (as
 * date_agreement_level finds them between days of the calendar); else -1,
 * no evidence.  Two equal digits that make no date are no evidence either:
 * they may be a system's placeholder (00000000, 19800000), not a birthday.
 */
int
link_date_digits_level(const LinkValue *a, const LinkValue *b)
{
	int			differ = 0;

	if (a->len != 8 || b->len != 8 || a->s[0] == '-' || b->s[0] == '-')
		return -1;				/* a year past 9999, or BC: no digits to set against */
	if (memcmp(a->s, b->s, 8) == 0)
		return -1;
	if (memcmp(a->s, b->s, 4) == 0 && memcmp(a->s + 4, b->s + 6, 2) == 0 &&
		memcmp(a->s + 6, b->s + 4, 2) == 0)
		return DATE_TRANSPOSED;
	for (int i = 0; i < 8; i++)
		differ += a->s[i] != b->s[i];
	return differ == 1 ? DATE_ONE_DIGIT : -1;
}

/* An English month name or its first three letters; 0 if it is none. */
static int
month_name(const char *s)
{
	static const char *const months[] = {
		"january", "february", "march", "april", "may", "june", "july",
		"august", "september", "october", "november", "december"
	};
	int			n = strlen(s);

	if (n < 3)
		return 0;
	for (int i = 0; i < 12; i++)
		if (pg_strncasecmp(s, months[i], n) == 0 && (n == 3 || n == (int) strlen(months[i])))
			return i + 1;
	return 0;
}

/* A whole number, spaces around it allowed; false if it is not one. */
static bool
part_number(const char *s, int *out)
{
	char	   *end;
	long		v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (end == s || errno != 0 || v < INT_MIN / 2 || v > INT_MAX / 2)
		return false;
	while (*end == ' ' || *end == '\t')
		end++;
	if (*end != '\0')
		return false;
	*out = (int) v;
	return true;
}

/*
 * A date assembled from its parts (a mapping's "from": year, month, day,
 * each as text; the month may also be an English name): all missing is a
 * missing date; otherwise a valid date or unreadable (counted).
 */
void
link_prepare_date_parts(LinkModel *lm, int col, char *const parts[3], LinkValue *v)
{
	int			ymd[3];
	bool		blank = true;
	bool		ok = true;

	memset(v, 0, sizeof(*v));
	for (int p = 0; p < 3; p++)
	{
		if (parts[p] != NULL && parts[p][strspn(parts[p], " \t")] != '\0')
			blank = false;
	}
	if (blank)
		return;
	for (int p = 0; p < 3 && ok; p++)
	{
		char	   *t;

		if (parts[p] == NULL)
		{
			ok = false;
			break;
		}
		t = parts[p] + strspn(parts[p], " \t");
		if (!part_number(t, &ymd[p]))
		{
			char	   *name = pstrdup(t);
			int			k = strlen(name);

			while (k > 0 && (name[k - 1] == ' ' || name[k - 1] == '\t'))
				name[--k] = '\0';
			ymd[p] = p == 1 ? month_name(name) : 0;
			ok = ymd[p] > 0;
			pfree(name);
		}
	}
	if (ok && date_from_ymd(ymd[0], ymd[1], ymd[2], &v->date))
		set_date_value(v);
	else
	{
		lm->columns[col].nunreadable++;
		if (ok && lm->columns[col].kind == LK_DATE && date_digits(v, ymd))
			lm->columns[col].ndigits++;
	}
}

/*
 * A full name, normalised; one written "SURNAME, Given names" (the comma
 * convention of council tax and other registers) is put in the order of the
 * others, given names first, so that "SULTAN, Waseem" equals "Waseem Sultan".
 */
static char *
full_name_prepared(const char *raw, int *len)
{
	const char *comma = strchr(raw, ',');
	char	   *reordered,
			   *s;

	if (comma == NULL || strchr(comma + 1, ',') != NULL)
		return normalise_name_cstring(raw, strlen(raw), len);
	reordered = psprintf("%s %.*s", comma + 1, (int) (comma - raw), raw);
	s = normalise_name_cstring(reordered, strlen(reordered), len);
	pfree(reordered);
	return s;
}

void
link_prepare_value(LinkModel *lm, int col, const char *raw, LinkValue *v)
{
	LinkColumn *c = &lm->columns[col];
	Postcode	pc;

	memset(v, 0, sizeof(*v));
	if (raw == NULL)
		return;
	switch (c->kind)
	{
		case LK_GIVEN_NAME:
		case LK_SURNAME:
			v->s = normalise_name_cstring(raw, strlen(raw), &v->len);
			break;
		case LK_FULL_NAME:
			v->s = full_name_prepared(raw, &v->len);
			break;
		case LK_DATE:
		case LK_MOVED_IN:
		case LK_MOVED_OUT:
			{
				const char *t = raw + strspn(raw, " \t\r\n");
				int			ymd[3];
				int			tl = strlen(t);
				char		local[32];

				if (*t == '\0')
					break;		/* blank: missing */
				/* trailing spaces too (char(n) pads), where the fast forms are */
				if (tl < (int) sizeof(local) && strchr(" \t\r\n", t[tl - 1]) != NULL)
				{
					while (tl > 0 && strchr(" \t\r\n", t[tl - 1]) != NULL)
						tl--;
					memcpy(local, t, tl);
					local[tl] = '\0';
					t = local;
				}
				if (parse_date(t, &v->date, ymd))
					set_date_value(v);
				else
				{
					c->nunreadable++;	/* reported, then missing or its digits */
					if (c->kind == LK_DATE && date_digits(v, ymd))
						c->ndigits++;
				}
			}
			break;
		case LK_POSTCODE:
			if (postcode_parse(raw, strlen(raw), &pc))
			{
				v->pc_valid = true;
				v->s = psprintf("%s %s", pc.outward, pc.inward);
				v->len = strlen(v->s);
			}
			else
				v->s = prepare_text(raw, &v->len, true, true);
			break;
		case LK_TEXT:
			v->s = prepare_text(raw, &v->len, false, false);
			break;
		case LK_EXACT:
		case LK_NUMBER:
			v->s = prepare_text(raw, &v->len, false, false);
			break;
		case LK_IDENTIFIER:
			v->s = prepare_text(raw, &v->len, true, true);
			break;
		case LK_MIN_AGE:
			{
				char	   *end;
				long		age = strtol(raw, &end, 10);

				/* a whole number of years; anything else is missing (any age) */
				if (end != raw && *end == '\0' && age > 0 && age <= 150)
				{
					v->age = (int32) age;
					v->s = psprintf("%ld", age);
					v->len = strlen(v->s);
				}
			}
			break;
	}
	if (v->s != NULL && v->len == 0)
	{
		pfree(v->s);
		v->s = NULL;
	}
	if (v->s != NULL)
		v->hash = hash_string(v->s, v->len);
}

/* the value of a column a record does not hold */
const LinkValue link_missing_value = {0};

int
link_cmp_u32(const void *x, const void *y)
{
	uint32		a = *(const uint32 *) x,
				b = *(const uint32 *) y;

	return a < b ? -1 : a > b ? 1 : 0;
}

int
link_hash_count_cmp(const void *x, const void *y)
{
	uint32		a = ((const LinkHashCount *) x)->hash,
				b = ((const LinkHashCount *) y)->hash;

	return a < b ? -1 : a > b ? 1 : 0;
}

/* qsort's order by link_hash_count_cmp, link_hash_count_cmp inlined (link_merge_begin_sorted) */
#define CHUNK_SORT sort_hash_counts
#define CHUNK_SORT_TYPE LinkHashCount
#define CHUNK_SORT_CMP link_hash_count_cmp
#include "link/chunk_sort.h"

/*
 * Share of records holding each value, per column (for TF adjustment): the
 * values' hashes of every column gathered in one pass over the records
 * (into the store), sorted there (in runs, merged) and counted (collisions
 * only merge counts), and each value's count written in a second pass (two
 * passes, whatever the number of columns: the records may be spilled).
 */
void
link_term_frequencies(LinkModel *lm)
{
	int			n = lm->nrecords;
	LinkArray	hashes[LINK_MAX_COLUMNS];
	LinkArray	counts[LINK_MAX_COLUMNS];	/* LinkHashCount, by hash */

	for (int c = 0; c < lm->ncolumns; c++)
	{
		link_array_init(&hashes[c], sizeof(LinkHashCount));
		lm->columns[c].npresent = 0;
	}
	for (int i = 0; i < n; i++)
	{
		const LinkRecord *r = LINK_REC(lm, i);
		uint32		present = r->present;
		LinkHashCount	h[LINK_MAX_COLUMNS];

		if ((i & 0x3FFF) == 0)
			CHECK_FOR_INTERRUPTS();
		for (int c = 0; c < lm->ncolumns; c++)
			if (present & ((uint32) 1 << c))
				h[c].hash = LINK_V(r, c)->hash;
		/* r is not used once the arrays grow (their chunks may push it out) */
		for (int c = 0; c < lm->ncolumns; c++)
			if (present & ((uint32) 1 << c))
			{
				h[c].count = 1;
				*(LinkHashCount *) link_array_push(lm, &hashes[c]) = h[c];
				lm->columns[c].npresent++;
			}
	}
	for (int c = 0; c < lm->ncolumns; c++)
	{
		LinkMerge	order;
		LinkHashCount	e;

		link_array_init(&counts[c], sizeof(LinkHashCount));
		link_merge_begin_sorted(lm, &hashes[c], link_hash_count_cmp, sort_hash_counts, &order);
		while (link_merge_take(lm, &order, &e))
		{
			LinkHashCount  *last = counts[c].n > 0 ?
				(LinkHashCount *) link_array_get(lm, &counts[c], counts[c].n - 1, true) : NULL;

			if ((counts[c].n & 0xFFFF) == 0)
				CHECK_FOR_INTERRUPTS();
			if (last != NULL && last->hash == e.hash)
				last->count++;
			else
				*(LinkHashCount *) link_array_push(lm, &counts[c]) = e;
		}
		link_array_free(lm, &hashes[c]);
	}
	for (int i = 0; i < n; i++)
	{
		uint32		got[LINK_MAX_COLUMNS];
		LinkHashCount key[LINK_MAX_COLUMNS];
		uint32		present;
		LinkRecord *r;

		if ((i & 0x3FFF) == 0)
			CHECK_FOR_INTERRUPTS();
		r = LINK_REC(lm, i);
		present = r->present;
		if (present == 0)
			continue;
		for (int c = 0; c < lm->ncolumns; c++)
			if (present & ((uint32) 1 << c))
				key[c].hash = LINK_V(r, c)->hash;
		/* the counts found first, the record then changed (both may move chunks) */
		for (int c = 0; c < lm->ncolumns; c++)
			if (present & ((uint32) 1 << c))
			{
				int64		at;

				at = link_array_lower_bound(lm, &counts[c], &key[c], link_hash_count_cmp);
				got[c] = at < counts[c].n ?
					((const LinkHashCount *) link_array_get(lm, &counts[c], at, false))->count : 0;
			}
		r = link_rec_mut(lm, i);
		for (int c = 0; c < lm->ncolumns; c++)
			if (present & ((uint32) 1 << c))
				LINK_V(r, c)->tf_count = got[c];
	}
	link_store_sample(lm);
	for (int c = 0; c < lm->ncolumns; c++)
		link_array_free(lm, &counts[c]);
}

static double
name_sim(const LinkValue *a, const LinkValue *b)
{
	return name_similarity_cstring(a->s, a->len, b->s, b->len);
}

static double
jw(const LinkValue *a, const LinkValue *b)
{
	return match_jaro_winkler_bytes(a->s, a->len, b->s, b->len, 0.1, true);
}

/* Levenshtein distance of two prepared values, capped at max + 1. */
int
link_edits(const LinkValue *a, const LinkValue *b, int max)
{
	Chars		ca,
				cb;
	int			d;

	chars_from_bytes(&ca, a->s, a->len);
	chars_from_bytes(&cb, b->s, b->len);
	d = match_levenshtein_chars(&ca, &cb, max);
	chars_free(&ca);
	chars_free(&cb);
	/* two neighbours keyed the other way round are one slip too */
	if (d > 1 && max >= 1 && a->len == b->len && a->len >= 2)
	{
		int			i = 0;

		while (i < a->len && a->s[i] == b->s[i])
			i++;
		if (i + 1 < a->len && a->s[i] == b->s[i + 1] && a->s[i + 1] == b->s[i] &&
			memcmp(a->s + i + 2, b->s + i + 2, a->len - i - 2) == 0)
			d = 1;
	}
	return d;
}

/*
 * The keying slips two identifiers may differ by and still be one person's:
 * one per ten characters, at least one and at most three (an NHS number one,
 * an e-mail address of 25 characters two; the bound keeps the comparison of
 * a long value linear: link_edits is then banded).
 */
#define LINK_MAX_SLIPS 3

int
link_slips(const LinkValue *a, const LinkValue *b)
{
	int			longer = Max(a->len, b->len);

	/* characters, not bytes (a multibyte identifier of 7 characters: one) */
	if (longer >= 20)
		longer = Max(pg_mbstrlen_with_len(a->s, a->len), pg_mbstrlen_with_len(b->s, b->len));
	return Max(1, Min(LINK_MAX_SLIPS, longer / 10));
}

static bool
same(const LinkValue *a, const LinkValue *b)
{
	return a->hash == b->hash && a->len == b->len && memcmp(a->s, b->s, a->len) == 0;
}

/*
 * Can the pair be compared on given name and surname?  Then a full name
 * column adds nothing but the same evidence again (it is usually the two
 * joined), and is left out: full names count only where a record has no
 * separate parts (a council tax "lead liable name").
 */
static bool
parts_comparable(const LinkModel *lm, const LinkRecord *a, const LinkRecord *b)
{
	bool		given = false,
				surname = false;

	for (int c = 0; c < lm->ncolumns; c++)
	{
		bool		both = LINK_V(a, c)->s != NULL && LINK_V(b, c)->s != NULL;

		if (lm->columns[c].kind == LK_GIVEN_NAME && both)
			given = true;
		else if (lm->columns[c].kind == LK_SURNAME && both)
			surname = true;
	}
	return given && surname;
}

/* The first and the last word of a prepared name (no copy: offsets). */
static void
name_ends(const LinkValue *v, int *first_end, int *last_start)
{
	int			i = 0;

	while (i < v->len && v->s[i] != ' ')
		i++;
	*first_end = i;
	i = v->len;
	while (i > 0 && v->s[i - 1] != ' ')
		i--;
	*last_start = i;
}

/*
 * Does one full name give only an initial and the surname of the other?  Both
 * orders of the one with the initial count ("h grewal", "grewal h"); the
 * other's surname is its last word.  Only for names of two words or more.
 */
static bool
initial_and_surname_one_way(const LinkValue *x, const LinkValue *y)
{
	int			xf,
				xl,
				yf,
				yl;

	name_ends(x, &xf, &xl);
	name_ends(y, &yf, &yl);
	if (xl == 0 || yl == 0 || y->len - yl < 2)
		return false;
	/* x: "initial surname" */
	if (xf == 1 && x->s[0] == y->s[0] &&
		x->len - xl == y->len - yl && memcmp(x->s + xl, y->s + yl, y->len - yl) == 0)
		return true;
	/* x: "surname initial" */
	if (x->len - xl == 1 && x->s[xl] == y->s[0] &&
		xf == y->len - yl && memcmp(x->s, y->s + yl, xf) == 0)
		return true;
	return false;
}

/* The first words of two names of which one has more words: "jyoti daksha", "jyoti" */
static bool
first_words_agree(const LinkValue *a, const LinkValue *b)
{
	int			af,
				al,
				bf,
				bl;

	name_ends(a, &af, &al);
	name_ends(b, &bf, &bl);
	if ((af == a->len) == (bf == b->len))
		return false;			/* both one word, or both several */
	return af == bf && af >= 2 && memcmp(a->s, b->s, af) == 0;
}

static bool
initial_and_surname(const LinkValue *a, const LinkValue *b)
{
	return initial_and_surname_one_way(a, b) || initial_and_surname_one_way(b, a);
}

/*
 * Given name and surname recorded the other way round ("Pinto Roberto" and
 * "Roberto Pinto"): where both disagree as recorded but each agrees with the
 * other's other part, both count as "similar".
 */
static void
swapped_names(const LinkModel *lm, const LinkRecord *ra, const LinkRecord *rb, uint8 *level)
{
	int			g = -1,
				f = -1;

	for (int c = 0; c < lm->ncolumns; c++)
	{
		if (lm->columns[c].kind == LK_GIVEN_NAME && g < 0)
			g = c;
		else if (lm->columns[c].kind == LK_SURNAME && f < 0)
			f = c;
	}
	if (g < 0 || f < 0 || level[g] < 4 || level[f] < 4)
		return;
	if (name_sim(LINK_V(ra, g), LINK_V(rb, f)) >= 0.85 && name_sim(LINK_V(ra, f), LINK_V(rb, g)) >= 0.85)
		level[g] = level[f] = 2;
}

/* Did a person leave x's address the day y's began, or the day before? */
static bool
moved_from_to(const LinkValue *x_out, const LinkValue *y_in)
{
	return x_out->s != NULL && y_in->s != NULL &&
		y_in->date >= x_out->date && y_in->date - x_out->date <= 1;
}

/*
 * An address history: one record's address ended (moved_out) the day the
 * other's began (moved_in), or the day before, at another postcode, as when
 * a council tax account closes on the day the next one opens: the moved_in
 * column's level 1, "moved", and the postcodes' disagreement, explained by
 * the move, is not counted again.  Level 2: an end and a beginning are there
 * to compare, but there was no such move (a successor at the same address is
 * not a move).  The moved_out column only serves this comparison (level 0).
 */
static void
address_moves(const LinkModel *lm, const LinkRecord *ra, const LinkRecord *rb, uint8 *level)
{
	int			in = link_find_kind(lm, LK_MOVED_IN),
				out = link_find_kind(lm, LK_MOVED_OUT),
				pc = link_find_kind(lm, LK_POSTCODE);
	bool		moved;

	if (out >= 0)
		level[out] = 0;
	if (in < 0)
		return;
	level[in] = 0;
	if (out < 0 ||
		!((LINK_V(ra, out)->s != NULL && LINK_V(rb, in)->s != NULL) || (LINK_V(rb, out)->s != NULL && LINK_V(ra, in)->s != NULL)))
		return;
	moved = moved_from_to(LINK_V(ra, out), LINK_V(rb, in)) || moved_from_to(LINK_V(rb, out), LINK_V(ra, in));
	if (moved && pc >= 0 && level[pc] == 1)
		moved = false;
	level[in] = moved ? 1 : 2;
	if (moved && pc >= 0)
		level[pc] = 0;
}

/*
 * A column near a function of another (a town of its postcode district)
 * agrees whenever that one agrees: its agreement is then no evidence of its
 * own, and is not counted again (level 0, as a missing value).  Its
 * disagreement still counts, and so does its agreement where the other
 * disagrees or is missing (link_detect_dependence).
 */
static void
implied_agreements(const LinkModel *lm, uint8 *level)
{
	uint8		was[LINK_MAX_COLUMNS];
	bool		any = false;

	for (int c = 0; c < lm->ncolumns && !any; c++)
		any = lm->columns[c].implied_by >= 0;
	if (!any)
		return;
	memcpy(was, level, lm->ncolumns);
	for (int c = 0; c < lm->ncolumns; c++)
	{
		int			x = lm->columns[c].implied_by;

		if (x >= 0 && was[c] == 1 && was[x] >= 1 && was[x] <= lm->columns[c].implied_through)
			level[c] = 0;
	}
}

void
link_compare(LinkModel *lm, const LinkRecord *ra, const LinkRecord *rb, uint8 *level)
{
	int			parts = -1;		/* not yet known */

	for (int c = 0; c < lm->ncolumns; c++)
	{
		const LinkValue *a = LINK_V(ra, c),
				   *b = LINK_V(rb, c);
		uint8		l;

		if (a->s == NULL || b->s == NULL)
		{
			level[c] = 0;
			continue;
		}
		if (lm->columns[c].kind == LK_FULL_NAME)
		{
			if (parts < 0)
				parts = parts_comparable(lm, ra, rb) ? 1 : 0;
			if (parts)
			{
				level[c] = 0;
				continue;
			}
		}
		switch (lm->columns[c].kind)
		{
			case LK_GIVEN_NAME:
			case LK_SURNAME:
			case LK_FULL_NAME:
				if (same(a, b))
					l = 1;
				else
				{
					double		s = name_sim(a, b);

					l = s >= 0.92 ? 2 : s >= 0.85 ? 3 : s >= 0.70 ? 4 : 5;
					/* "JABER, I" and "Ibrahim Jabir": an initial and the surname agree */
					if (l > 2 && lm->columns[c].kind == LK_FULL_NAME && initial_and_surname(a, b))
						l = 2;
					/* "Jyoti Daksha" and "Jyoti": the first given names agree, one has more */
					if (l > 2 && lm->columns[c].kind == LK_GIVEN_NAME && first_words_agree(a, b))
						l = 2;
				}
				break;
			case LK_DATE:
				switch (link_date_known(a) && link_date_known(b) ?
						(int) date_agreement_level(a->date, b->date) : link_date_digits_level(a, b))
				{
					case -1:
						l = 0;	/* digits only, not near: as missing */
						break;
					case DATE_EXACT:
						l = 1;
						break;
					case DATE_TRANSPOSED:
						l = 2;
						break;
					case DATE_ONE_DIGIT:
						l = 3;
						break;
					case DATE_SAME_MONTH:
					case DATE_WITHIN_YEAR:
					case DATE_SAME_DAY_MONTH:
						l = 4;
						break;
					default:
						l = 5;
						break;
				}
				break;
			case LK_POSTCODE:
				if (a->pc_valid && b->pc_valid)
				{
					Postcode	pa,
								pb;
					const char *agree;

					link_value_postcode(a, &pa);
					link_value_postcode(b, &pb);
					agree = postcode_agreement_level(&pa, &pb);

					l = agree[0] == 'u' ? 1 : agree[0] == 's' ? 2 : agree[0] == 'd' ? 3 : 4;
				}
				else
					l = same(a, b) ? 1 : link_edits(a, b, 1) <= 1 ? 2 : 4;
				break;
			case LK_TEXT:
				if (same(a, b))
					l = 1;
				else
				{
					double		s = jw(a, b);

					l = s >= 0.92 ? 2 : s >= 0.80 ? 3 : 4;
				}
				break;
			case LK_EXACT:
				l = same(a, b) ? 1 : 2;
				break;
			case LK_MOVED_IN:
			case LK_MOVED_OUT:
				l = 0;			/* address_moves, below */
				break;
			case LK_MIN_AGE:
				l = 0;			/* not compared: clustering's guard */
				break;
			case LK_NUMBER:
			case LK_IDENTIFIER:
			default:
				{
					int			slips = link_slips(a, b);

					l = same(a, b) ? 1 : link_edits(a, b, slips) <= slips ? 2 : 3;
				}
				break;
		}
		level[c] = l;
	}
	swapped_names(lm, ra, rb, level);
	address_moves(lm, ra, rb, level);
	implied_agreements(lm, level);
}

/*
 * Columns near functions of others.  A town and the postcode inside it, a
 * borough and its wards: where the one agrees, the other agrees too, so
 * counting both counts one piece of evidence twice, and a training session
 * then finds "same place" a likelier class than "same person".  Measured on
 * the records (up to DEPENDENCE_SAMPLE of them, every k-th): records sharing
 * a value of x (for a UK postcode, first its district, then its unit), up to
 * DEPENDENCE_GROUP of each value, paired, leaving out pairs that agree on
 * the name (perhaps one person: the question is whether different people
 * sharing x share y).  y is implied by x when at least DEPENDENCE_SHARE of
 * DEPENDENCE_MIN_PAIRS such pairs or more agree on y, and y disagrees four
 * times less often among them than among random pairs.  Only columns of
 * places are looked at (postcode, text, exact): names, dates and identifiers
 * are the person's own, and agree among the records of one person.
 */
#define DEPENDENCE_SAMPLE 200000
#define DEPENDENCE_GROUP 12
#define DEPENDENCE_MIN_PAIRS 30
#define DEPENDENCE_SHARE 0.95

static bool
place_kind(LinkKind k)
{
	return k == LK_POSTCODE || k == LK_TEXT || k == LK_EXACT;
}

typedef struct DepEntry
{
	uint32		key;
	int32		record;
} DepEntry;

static int
dep_entry_cmp(const void *x, const void *y)
{
	const DepEntry *a = x,
			   *b = y;

	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	return a->record < b->record ? -1 : a->record > b->record ? 1 : 0;
}

/*
 * The share of the pairs of different people sharing x's value (district:
 * the outward code of a UK postcode) that agree on y; their number in
 * *npairs.
 */
static double
dependence_share(const LinkModel *lm, int x, bool district, int y, int name, int step,
				 int64 *npairs)
{
	DepEntry   *e = palloc(sizeof(DepEntry) * (lm->nrecords / step + 1));
	int			n = 0;
	int64		pairs = 0,
				agree = 0;

	for (int i = 0; i < lm->nrecords; i += step)
	{
		const LinkRecord *r = LINK_REC(lm, i);

		if (LINK_V(r, x)->s == NULL || LINK_V(r, y)->s == NULL || (name >= 0 && LINK_V(r, name)->s == NULL))
			continue;
		if (district)
		{
			Postcode	pc;

			if (!LINK_V(r, x)->pc_valid)
				continue;
			link_value_postcode(LINK_V(r, x), &pc);
			e[n].key = hash_string(pc.outward, strlen(pc.outward));
		}
		else
			e[n].key = LINK_V(r, x)->hash;
		e[n++].record = i;
	}
	qsort(e, n, sizeof(DepEntry), dep_entry_cmp);
	for (int g = 0, groups = 0; g < n; groups++)
	{
		int			end = g;
		int			last;

		while (end < n && e[end].key == e[g].key)
			end++;
		last = Min(end, g + DEPENDENCE_GROUP);
		for (int i = g; i < last; i++)
			for (int j = i + 1; j < last; j++)
			{
				const LinkRecord *a = LINK_REC(lm, e[i].record),
						   *b = LINK_REC(lm, e[j].record);

				if (name >= 0 && same(LINK_V(a, name), LINK_V(b, name)))
					continue;
				pairs++;
				agree += same(LINK_V(a, y), LINK_V(b, y));
			}
		g = end;
		if ((groups & 0x3FF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	pfree(e);
	*npairs = pairs;
	return pairs > 0 ? (double) agree / pairs : 0;
}

void
link_detect_dependence(LinkModel *lm)
{
	int			name = link_find_kind(lm, LK_GIVEN_NAME);
	int			step = Max(1, (lm->nrecords + DEPENDENCE_SAMPLE - 1) / DEPENDENCE_SAMPLE);

	if (name < 0)
		name = link_find_kind(lm, LK_FULL_NAME);
	if (name < 0)
		name = link_find_kind(lm, LK_SURNAME);
	for (int c = 0; c < lm->ncolumns; c++)
	{
		lm->columns[c].implied_by = -1;
		lm->columns[c].implied_through = 0;
		lm->columns[c].dependence = 0;
	}
	for (int y = 0; y < lm->ncolumns; y++)
	{
		LinkColumn *cy = &lm->columns[y];
		double		chance = 0;

		if (!place_kind(cy->kind) || cy->npresent == 0)
			continue;
		/* two random records agree on y with the mean frequency of a record's value */
		for (int i = 0; i < lm->nrecords; i++)
			if (LINK_V(LINK_REC(lm, i), y)->s != NULL)
				chance += link_value_tf(lm, y, LINK_V(LINK_REC(lm, i), y));
		chance /= cy->npresent;
		for (int x = 0; x < lm->ncolumns && cy->implied_by < 0; x++)
		{
			if (x == y || !place_kind(lm->columns[x].kind) || lm->columns[x].npresent == 0 ||
				lm->columns[x].implied_by >= 0)
				continue;
			for (int pass = 0; pass < 2; pass++)
			{
				bool		district = pass == 0;
				int64		npairs;
				double		share;

				if (district && lm->columns[x].kind != LK_POSTCODE)
					continue;
				share = dependence_share(lm, x, district, y, name, step, &npairs);
				if (npairs >= DEPENDENCE_MIN_PAIRS && share >= DEPENDENCE_SHARE &&
					1.0 - share <= 0.25 * (1.0 - chance))
				{
					cy->implied_by = x;
					/* postcode levels: 1 unit, 2 sector, 3 district */
					cy->implied_through = district ? 3 : 1;
					cy->dependence = share;
					ereport(NOTICE,
							(errmsg("linkage: column \"%s\" is near a function of column \"%s\"%s; its agreement is counted once, with \"%s\"'s",
									cy->name, lm->columns[x].name, district ? " (its district)" : "",
									lm->columns[x].name),
							 errdetail("Of " INT64_FORMAT " pairs of records of different people sharing a value of \"%s\", %.1f %% agree on \"%s\" (%.1f %% of random pairs do).",
									   npairs, lm->columns[x].name, 100.0 * share, cy->name, 100.0 * chance),
							 errhint("Where \"%s\" agrees%s, \"%s\"'s agreement adds no weight; its disagreement still does.",
									 lm->columns[x].name, district ? " to the district or closer" : "", cy->name)));
					break;
				}
			}
		}
	}
}

/* A record and the hash of its key, for the u sample. */
typedef struct KeyHash
{
	uint64		hash;
	int32		index;
} KeyHash;

static int
key_hash_cmp(const void *x, const void *y)
{
	const KeyHash *a = x,
			   *b = y;

	if (a->hash != b->hash)
		return a->hash < b->hash ? -1 : 1;
	return a->index < b->index ? -1 : a->index > b->index ? 1 : 0;
}

/*
 * The u sample's pairs: counted as they are drawn, or, where the records are
 * spilled (store.c), gathered (up to U_GATHER at a time, and no more than an
 * eighth of brent_mdm.linkage_work_mem holds) and counted chunk by chunk (the
 * counts do not depend on the order).
 */
#define U_GATHER (1 << 20)

typedef struct USample
{
	int64		counts[LINK_MAX_COLUMNS][LINK_MAX_LEVELS];
	int64		done;
	bool		gather;
	Size		reserved;		/* taken from the store for the gathered pairs */
	LinkPair   *pairs;
	int64		npairs;
	int64		cap;			/* gathered at most at a time */
} USample;

static void
count_one(LinkModel *lm, int a, int b, USample *us)
{
	uint8		level[LINK_MAX_COLUMNS];

	if ((++us->done & 0x3FFF) == 0)
		CHECK_FOR_INTERRUPTS();
	link_compare(lm, LINK_REC(lm, a), LINK_REC(lm, b), level);
	for (int c = 0; c < lm->ncolumns; c++)
		us->counts[c][level[c]]++;
}

static void
count_gathered(LinkModel *lm, USample *us)
{
	int32	   *order;

	if (us->npairs == 0)
		return;
	order = link_rec_order(lm, us->pairs, us->npairs);
	for (int64 x = 0; x < us->npairs; x++)
	{
		int64		k = order ? order[x] : x;

		count_one(lm, us->pairs[k].a, us->pairs[k].b, us);
	}
	if (order)
		pfree(order);
	us->npairs = 0;
}

static void
count_pair(LinkModel *lm, int a, int b, USample *us)
{
	if (!us->gather)
	{
		count_one(lm, a, b, us);
		return;
	}
	if (us->npairs == us->cap)
		count_gathered(lm, us);
	us->pairs[us->npairs].a = a;
	us->pairs[us->npairs].b = b;
	us->pairs[us->npairs].probability = 0;
	us->npairs++;
}

/*
 * u: the level frequencies among random pairs (nearly all non-matches),
 * from up to max_pairs pairs; smoothed so that no level has probability
 * zero.  The exact level is computed, not sampled.
 *
 * The sample is every pair when there are no more than max_pairs, else
 * drawn by a hash of the records' keys (seeded), not by their positions:
 * records in the order of that hash, each is paired with the k records
 * that follow it (in a link, the k records of the other side that follow
 * it).  A record added or removed changes only the few pairs it is in, so
 * a model retrained after a small change keeps its u, and its clusters
 * (drawing by position, one record more reshuffled the whole sample and
 * moved hundreds of records to other clients).
 */
void
link_estimate_u(LinkModel *lm, int64 max_pairs, uint64 seed)
{
	USample    *us = palloc0(sizeof(USample));
	double		exacts[LINK_MAX_COLUMNS];
	int			nleft = 0;
	int			n = lm->nrecords;
	int64		possible;
	int64		draws;

	if (link_store_spilled(lm))
	{
		us->gather = true;
		/* an eighth of brent_mdm.linkage_work_mem, as a window of pairs compared */
		us->cap = Max((int64) link_work_mem * 1024 / 8 / (int64) LINK_WINDOW_PAIR_BYTES, 4096);
		us->cap = Min(us->cap, U_GATHER);
		us->reserved = link_store_reserve(lm, LINK_WINDOW_PAIR_BYTES * us->cap);
		us->pairs = palloc(sizeof(LinkPair) * us->cap);
	}
	for (int i = 0; i < n; i++)
		if (LINK_SIDE(lm, i) == 0)
			nleft++;
	possible = lm->dedupe ? (int64) n * (n - 1) / 2 : (int64) nleft * (n - nleft);
	lm->total_pairs = (double) possible;
	draws = Min(max_pairs, possible);
	if (draws >= possible)
	{
		/* few enough: every pair (records are loaded left first) */
		for (int a = 0; a < (lm->dedupe ? n : nleft); a++)
			for (int b = lm->dedupe ? a + 1 : nleft; b < n; b++)
				count_pair(lm, a, b, us);
	}
	else
	{
		int			nright = lm->dedupe ? n : n - nleft;
		int			nstart = lm->dedupe ? n : nleft;
		LinkArray	unsorted[2];
		LinkArray	left,		/* KeyHash, by hash (in the store) */
					right;
		int64		k = Max(draws / nstart, 1);
		int64		starts = Min((int64) nstart, draws / k);

		link_array_init(&unsorted[0], sizeof(KeyHash));
		link_array_init(&unsorted[1], sizeof(KeyHash));
		for (int i = 0; i < n; i++)
		{
			const char *id = LINK_REC(lm, i)->id ? LINK_REC(lm, i)->id : "";
			KeyHash		h;

			if ((i & 0x3FFF) == 0)
				CHECK_FOR_INTERRUPTS();
			h.hash = hash_bytes_extended((const unsigned char *) id, strlen(id), seed);
			h.index = i;
			*(KeyHash *) link_array_push(lm, &unsorted[lm->dedupe || LINK_SIDE(lm, i) == 0 ? 0 : 1]) = h;
		}
		link_array_sort(lm, &unsorted[0], key_hash_cmp, &left);
		if (lm->dedupe)
		{
			link_array_free(lm, &unsorted[1]);
			right = left;
		}
		else
			link_array_sort(lm, &unsorted[1], key_hash_cmp, &right);
		/* possible > draws: k < nright (and, deduplicating, k < (n - 1) / 2) */
		for (int64 p = 0; p < starts; p++)
		{
			KeyHash		lp = *(const KeyHash *) link_array_get(lm, &left, p, false);
			int64		first;

			if ((p & 0x3FFF) == 0)
				CHECK_FOR_INTERRUPTS();
			/* the first record of the other side after this one */
			first = lm->dedupe ? p + 1 : link_array_lower_bound(lm, &right, &lp, key_hash_cmp);
			for (int64 j = 0; j < k; j++)
				count_pair(lm, lp.index,
						   ((const KeyHash *) link_array_get(lm, &right, (first + j) % nright, false))->index,
						   us);
		}
		link_store_sample(lm);
		link_array_free(lm, &left);
		if (!lm->dedupe)
			link_array_free(lm, &right);
	}
	count_gathered(lm, us);
	if (us->pairs != NULL)
		pfree(us->pairs);
	link_store_release(lm, us->reserved);

	/*
	 * The exact level is known without sampling: two random values are equal
	 * with probability sum(f^2) over the values' frequencies f, that is the
	 * mean frequency of a record's own value (every column in one pass).
	 */
	memset(exacts, 0, sizeof(exacts));
	for (int i = 0; i < n; i++)
	{
		const LinkRecord *r;
		uint32		holds;

		if (LINK_REC(lm, i)->present == 0)
			continue;
		r = LINK_REC(lm, i);
		holds = link_record_holds(lm, r);
		for (int c = 0; c < lm->ncolumns; c++)
			if (holds & ((uint32) 1 << c))
				exacts[c] += link_value_tf(lm, c, LINK_V(r, c));
	}
	for (int c = 0; c < lm->ncolumns; c++)
	{
		LinkColumn *col = &lm->columns[c];
		double		exact = exacts[c],
					rest = 0;
		/* a date of digits is never "equal": its records are left out of the mean */
		int64		holders = col->npresent - (col->kind == LK_DATE ? col->ndigits : 0);

		exact = holders > 0 ? exact / holders : 0;
		exact = Min(Max(exact, 1.0 / Max(possible, 1)), 0.5);
		for (int l = 2; l < col->nlevels; l++)
			rest += us->counts[c][l] + 0.5;
		col->u[1] = exact;
		for (int l = 2; l < col->nlevels; l++)
			col->u[l] = (1.0 - exact) * (us->counts[c][l] + 0.5) / rest;
		col->u[0] = 1.0;
	}
	pfree(us);
}

/* log(m / u) of every column's levels, for pair_log_odds */
static void
level_log_weights(const LinkModel *lm, double lw[][LINK_MAX_LEVELS])
{
	for (int c = 0; c < lm->ncolumns; c++)
		for (int l = 1; l < lm->columns[c].nlevels; l++)
			lw[c][l] = log(lm->columns[c].m[l] / lm->columns[c].u[l]);
}

static inline double
pair_log_odds(const LinkModel *lm, const double lw[][LINK_MAX_LEVELS], const uint8 *level, double lo0)
{
	double		lo = lo0;

	for (int c = 0; c < lm->ncolumns; c++)
	{
		int			l = level[c];

		if (l > 0)
			lo += lw[c][l];
	}
	return lo;
}

static inline double
logistic(double lo)
{
	return lo > 40 ? 1.0 : lo < -40 ? 0.0 : 1.0 / (1.0 + exp(-lo));
}

/*
 * "No move between them" never counts against a match: one person's records
 * need not show every move.  Its m is kept at least its u (a weight of 0 or
 * more), whatever training found.
 */
void
link_floor_no_move(const LinkColumn *col, double *m)
{
	if (col->kind == LK_MOVED_IN && col->nlevels > 2)
		m[2] = Max(m[2], col->u[2]);
}

/* expected matches with a column compared, below which a session does not train it */
#define EM_MIN_OBSERVED 20.0

/*
 * Kinds whose levels go from better to worse agreement: among one person's
 * records a worse agreement is never likelier than a better one (a name
 * "different" no likelier than "alike", a date "different" no likelier than
 * "within a year").  EM left free breaks this where a session's likeliest
 * class is not one person (one household: same surname and postcode, any
 * given name).
 */
bool
link_kind_is_monotone(LinkKind k)
{
	return k == LK_GIVEN_NAME || k == LK_SURNAME || k == LK_FULL_NAME ||
		k == LK_DATE || k == LK_IDENTIFIER;
}

/*
 * m held non-increasing over levels 1 .. nlevels - 1: adjacent levels that
 * violate the order are pooled (pool-adjacent-violators with equal weights:
 * the most likely m under the order, for counts of a multinomial).  Returns
 * POOL_NONE, POOL_SOME, or POOL_FLAT where every level was pooled into one
 * (the column then says nothing of a match).
 */
#define POOL_NONE 0
#define POOL_SOME 1
#define POOL_FLAT 2

static int
pool_monotone(const LinkColumn *col, double *m)
{
	double		value[LINK_MAX_LEVELS];
	int			width[LINK_MAX_LEVELS];
	int			nb = 0;
	bool		pooled = false;

	if (!link_kind_is_monotone(col->kind))
		return false;
	for (int l = 1; l < col->nlevels; l++)
	{
		value[nb] = m[l];
		width[nb++] = 1;
		while (nb > 1 && value[nb - 2] < value[nb - 1])
		{
			value[nb - 2] = (value[nb - 2] * width[nb - 2] + value[nb - 1] * width[nb - 1]) /
				(width[nb - 2] + width[nb - 1]);
			width[nb - 2] += width[nb - 1];
			nb--;
			pooled = true;
		}
	}
	for (int b = 0, l = 1; b < nb; b++)
		for (int w = 0; w < width[b]; w++)
			m[l++] = value[b];
	return !pooled ? POOL_NONE : nb == 1 ? POOL_FLAT : POOL_SOME;
}

/* a pair of the training rule of bit, or (bit 0) any pair that trains */
static inline bool
pair_trains(const LinkModel *lm, int64 k, uint32 bit)
{
	return bit ? PAIR_TRAINS_RULE(lm, k, bit) : PAIR_TRAINS(lm, k);
}

/*
 * The levels of a session's ntrain pairs (pair_trains of bit) copied once
 * where they take no more than three quarters of brent_mdm.linkage_work_mem
 * (taken from the store's share, *reserved; the store keeps its least,
 * LINK_MIN_CHUNKS: there may be no room beside it): the rounds then read
 * them in memory, in the same order (the same sums), whether or not the
 * pairs are spilled.  NULL, *reserved 0, where they do not fit.
 */
static uint8 *
hold_levels(LinkModel *lm, int64 ntrain, uint32 bit, Size *reserved)
{
	uint8	   *held;
	int64		j = 0;

	*reserved = 0;
	if (ntrain > 0 && (Size) ntrain * lm->ncolumns <= (Size) link_work_mem * 1024 / 4 * 3 &&
		(Size) ntrain * lm->ncolumns <= link_store_reservable(lm))
		*reserved = link_store_reserve(lm, (Size) ntrain * lm->ncolumns);
	if (*reserved == 0)
		return NULL;
	held = palloc_extended(Max((Size) ntrain * lm->ncolumns, 1), MCXT_ALLOC_HUGE);
	for (int64 k = 0; k < lm->npairs; k++)
	{
		if ((k & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		if (pair_trains(lm, k, bit))
			memcpy(held + (j++) * lm->ncolumns, PAIR_LEVELS(lm, k), lm->ncolumns);
	}
	return held;
}

/*
 * One training session: EM over the pairs one blocking rule generated,
 * leaving out the columns that rule blocks on (they agree on every pair by
 * construction, so they say nothing there).  m of the other columns is
 * estimated with u fixed, held non-increasing over the levels of names,
 * dates and identifiers (pooled[c]: how the order bound in the last round); the
 * session's own lambda is the match rate among its pairs.  Converged when no
 * m moves by 1e-4 or more (as Splink); returns the rounds taken, or -1 if it
 * did not converge in 200.
 */
static int
em_session(LinkModel *lm, int rule, double m_out[][LINK_MAX_LEVELS], double *observed,
		   int *pooled)
{
	bool		skip[LINK_MAX_COLUMNS] = {false};
	double		lambda = 0.1;
	uint32		bit = (uint32) 1 << rule;

	int64		ntrain;
	uint8	   *held = NULL;	/* the session's pairs' levels, in order; NULL: read
								 * from the store each round */
	Size		reserved = 0;
	int			result = -1;

	for (int p = 0; p < lm->rules[rule].ncols; p++)
		skip[lm->rules[rule].cols[p]] = true;
	for (int c = 0; c < lm->ncolumns; c++)
		memcpy(m_out[c], lm->columns[c].m, sizeof(double) * LINK_MAX_LEVELS);

	/* the levels held (their number: the rule's training pairs, measure_dominance counted them) */
	ntrain = lm->rules[rule].training_pairs;
	held = hold_levels(lm, ntrain, bit, &reserved);

	for (int round = 1; round <= 200; round++)
	{
		double		acc[LINK_MAX_COLUMNS][LINK_MAX_LEVELS];
		double		lw[LINK_MAX_COLUMNS][LINK_MAX_LEVELS];
		double		lo0;
		double		sum_post = 0;
		int64		n = 0;
		double		delta = 0;

		CHECK_FOR_INTERRUPTS();
		memset(acc, 0, sizeof(acc));
		/* the round's weights, taken once (the same sums, in the same order) */
		lo0 = log(lambda / (1.0 - lambda));
		for (int c = 0; c < lm->ncolumns; c++)
			for (int l = 1; l < lm->columns[c].nlevels; l++)
				lw[c][l] = log(m_out[c][l] / lm->columns[c].u[l]);
		for (int64 k = 0, j = 0; held ? j < ntrain : k < lm->npairs; k++, j++)
		{
			const uint8 *level;
			double		lo = 0,
						pr;

			if (held)
				level = held + j * lm->ncolumns;
			else
			{
				if (!PAIR_TRAINS_RULE(lm, k, bit))
					continue;
				level = PAIR_LEVELS(lm, k);
			}
			lo = lo0;
			for (int c = 0; c < lm->ncolumns; c++)
				if (level[c] > 0 && !skip[c])
					lo += lw[c][level[c]];
			pr = logistic(lo);
			sum_post += pr;
			n++;
			for (int c = 0; c < lm->ncolumns; c++)
				acc[c][level[c]] += pr;
		}
		for (int c = 0; c < lm->ncolumns; c++)
		{
			double		total = 0;

			observed[c] = 0;
			pooled[c] = POOL_NONE;
			if (skip[c])
				continue;
			for (int l = 1; l < lm->columns[c].nlevels; l++)
				total += acc[c][l];
			observed[c] = total;
			{
				double		m[LINK_MAX_LEVELS];

				for (int l = 1; l < lm->columns[c].nlevels; l++)
					m[l] = total > 0 ? Max(acc[c][l] / total, 1e-6) : m_out[c][l];
				pooled[c] = pool_monotone(&lm->columns[c], m);
				link_floor_no_move(&lm->columns[c], m);
				for (int l = 1; l < lm->columns[c].nlevels; l++)
				{
					delta = Max(delta, fabs(m[l] - m_out[c][l]));
					m_out[c][l] = m[l];
				}
			}
		}
		lambda = n > 0 ? Min(Max(sum_post / n, 1e-9), 1 - 1e-9) : 0.5;
		if (delta < 1e-4)
		{
			result = round;		/* Splink's default convergence */
			break;
		}
	}
	if (held)
		pfree(held);
	link_store_release(lm, reserved);
	return result;
}

/*
 * A session whose pairs mostly hold one value of a column its rule blocks
 * on (nearly every record born in one town, a default date) is a sample of
 * near-random pairs inside one group: its likeliest class is that group's
 * households or neighbours, not one person, and it does not train.  The
 * share of the rule's training pairs (every k-th, up to DOMINANT_SAMPLE)
 * whose first record holds the commonest value, for each column the rule
 * blocks on; the largest is kept in the rule's dominant_share.
 */
#define DOMINANT_SAMPLE 200000
#define DOMINANT_SHARE 0.5

static void
measure_dominance(LinkModel *lm, int r)
{
	LinkRuleInfo *rule = &lm->rules[r];
	uint32		bit = (uint32) 1 << r;
	int64		count = 0,
				step,
				seen = 0;

	rule->dominant_share = -1;
	rule->dominant_column = -1;
	for (int64 k = 0; k < lm->npairs; k++)
		if (PAIR_TRAINS_RULE(lm, k, bit))
			count++;
	rule->training_pairs = count;
	if (count == 0)
		return;
	step = Max(1, (count + DOMINANT_SAMPLE - 1) / DOMINANT_SAMPLE);
	for (int p = 0; p < rule->ncols; p++)
	{
		int			c = rule->cols[p];
		int64		n = 0,
					best = 0,
					run = 0;
		LinkArray	h;			/* uint32: the sample's values' hashes (in the store) */
		LinkArray	sorted;
		uint32		prev = 0;

		link_array_init(&h, sizeof(uint32));
		seen = 0;
		for (int64 k = 0; k < lm->npairs && n <= DOMINANT_SAMPLE; k++)
		{
			const LinkValue *v;

			if (!PAIR_TRAINS_RULE(lm, k, bit))
				continue;
			if (seen++ % step != 0)
				continue;
			v = LINK_V(LINK_REC(lm, LINK_PAIR(lm, k)->a), c);
			if (v->s != NULL)
			{
				uint32		hash = v->hash;

				*(uint32 *) link_array_push(lm, &h) = hash;
				n++;
			}
		}
		link_array_sort(lm, &h, link_cmp_u32, &sorted);
		for (int64 i = 0; i < n; i++)
		{
			uint32		x = *(const uint32 *) link_array_get(lm, &sorted, i, false);

			run = (i > 0 && x == prev) ? run + 1 : 1;
			prev = x;
			best = Max(best, run);
		}
		link_array_free(lm, &sorted);
		if (n == 0)
			continue;
		if ((double) best / n > rule->dominant_share)
		{
			rule->dominant_share = (double) best / n;
			rule->dominant_column = c;
		}
	}
}

/*
 * The columns no rule's session could learn (every rule that trains blocks
 * on them, wholly or in part: with given name, surname and a date alone,
 * the date alone and the names' sounds with its year; a date left at its
 * starting m weighed "within a year" below random pairs), learned in one
 * more session: EM over every candidate pair that trains, whichever rule
 * made it, with the learned columns' m held and only these (and the
 * session's lambda) free.  The pairs of any one rule are
 * chosen for agreeing on the column, but their union is every pair the
 * model will score: m is then the chance of each level among the matches
 * that blocking finds.
 * freecol[c] marks the columns, start their starting m; ntrain is the
 * number of pairs that train; observed[c] is set to their expected matches
 * compared.  Returns the rounds taken, or -1 if it did not converge in 200.
 */
static int
em_free_columns(LinkModel *lm, const bool *freecol, double start[][LINK_MAX_LEVELS],
				int64 ntrain, double *observed, int *pooled)
{
	double		lambda = 0.1;
	int			result = -1;
	uint8	   *held = NULL;	/* the pairs' levels, in order; NULL: read from
								 * the store each round */
	Size		reserved = 0;

	/*
	 * Every pair that trains (ntrain of them), held where it fits: those
	 * that do not compare a free column say nothing of its m, but lambda is
	 * the match rate among them all.
	 */
	held = hold_levels(lm, ntrain, 0, &reserved);

	for (int round = 1; round <= 200; round++)
	{
		double		acc[LINK_MAX_COLUMNS][LINK_MAX_LEVELS];
		int64		seen[LINK_MAX_COLUMNS][LINK_MAX_LEVELS];
		double		lw[LINK_MAX_COLUMNS][LINK_MAX_LEVELS];
		double		lo0 = log(lambda / (1.0 - lambda));
		double		sum_post = 0;
		int64		n = 0;
		double		delta = 0;

		CHECK_FOR_INTERRUPTS();
		memset(acc, 0, sizeof(acc));
		memset(seen, 0, sizeof(seen));
		level_log_weights(lm, lw);
		for (int64 k = 0, j = 0; held ? j < ntrain : k < lm->npairs; k++, j++)
		{
			const uint8 *level;
			double		pr;

			if (held)
				level = held + j * lm->ncolumns;
			else
			{
				if (!PAIR_TRAINS(lm, k))
					continue;
				level = PAIR_LEVELS(lm, k);
			}
			pr = logistic(pair_log_odds(lm, lw, level, lo0));
			sum_post += pr;
			n++;
			for (int c = 0; c < lm->ncolumns; c++)
				if (freecol[c])
				{
					acc[c][level[c]] += pr;
					seen[c][level[c]]++;
				}
		}
		for (int c = 0; c < lm->ncolumns; c++)
		{
			LinkColumn *col = &lm->columns[c];
			double		total = 0;
			double		m[LINK_MAX_LEVELS];

			if (!freecol[c])
				continue;
			for (int l = 1; l < col->nlevels; l++)
				total += acc[c][l];
			observed[c] = total;
			for (int l = 1; l < col->nlevels; l++)
				m[l] = total > 0 ? Max(acc[c][l] / total, 1e-6) : col->m[l];
			/*
			 * A level no pair reaches (with names and a date alone no rule
			 * brings together dates years apart) is not learned: it keeps
			 * its starting m, rather than 1e-6, a veto wherever the model
			 * scores such a pair (match_explain, the Client Index).
			 */
			if (total > 0)
			{
				double		sum = 0;

				for (int l = 1; l < col->nlevels; l++)
				{
					if (seen[c][l] == 0)
						m[l] = start[c][l];
					sum += m[l];
				}
				for (int l = 1; l < col->nlevels; l++)
					m[l] /= sum;
			}
			pooled[c] = pool_monotone(col, m);
			link_floor_no_move(col, m);
			for (int l = 1; l < col->nlevels; l++)
			{
				delta = Max(delta, fabs(m[l] - col->m[l]));
				col->m[l] = m[l];
			}
		}
		lambda = n > 0 ? Min(Max(sum_post / n, 1e-9), 1 - 1e-9) : 0.5;
		if (delta < 1e-4)
		{
			result = round;
			break;
		}
	}
	if (held)
		pfree(held);
	link_store_release(lm, reserved);
	return result;
}

/* Why a rule's session did not train the model; NULL if it did. */
const char *
link_rule_note(const LinkModel *lm, int r)
{
	const LinkRuleInfo *rule = &lm->rules[r];

	if (rule->trained)
		return NULL;
	if (!rule->train)
	{
		for (int p = 0; p < rule->ncols; p++)
			if (lm->columns[rule->cols[p]].kind == LK_POSTCODE ||
				lm->columns[rule->cols[p]].kind == LK_MOVED_IN)
				return "not for training: its pairs are chosen for sharing an address or a move";
		return "not for training: added so that a slip in one column loses no pair, its pairs are chosen for disagreeing";
	}
	if (rule->npairs < 50)
		return "too few pairs to learn from";
	if (rule->training_pairs < 50)
		return "too few pairs to learn from: the others are copies of one record, or neighbours in blocks of more than 500 records (split by sorted neighbourhood)";
	if (rule->dominant_share > DOMINANT_SHARE)
		return psprintf("%.0f %% of its pairs hold one value of %s: near-random pairs inside one group",
						100.0 * rule->dominant_share, lm->columns[rule->dominant_column].name);
	if (rule->flat_column >= 0)
		return psprintf("rejected: its likely matches as likely to disagree on %s as to agree",
						lm->columns[rule->flat_column].name);
	return "no column to learn";
}

/*
 * m by expectation-maximisation, one session per blocking rule (a column's
 * m is the mean over the sessions that do not block on it), u held fixed
 * (as Splink does).  Then the prior that a random pair matches: with m and u
 * fixed, the expected number of matches is the sum of the candidate pairs'
 * posteriors (pairs no rule brings together are, as good as, all
 * non-matches), so lambda is iterated to that fixed point over all the pairs
 * there are.
 */
void
link_estimate_m(LinkModel *lm)
{
	double		sum[LINK_MAX_COLUMNS][LINK_MAX_LEVELS];
	int			sessions[LINK_MAX_COLUMNS];
	int			pooled_sessions[LINK_MAX_COLUMNS];
	double		session_m[LINK_MAX_COLUMNS][LINK_MAX_LEVELS];
	double		observed[LINK_MAX_COLUMNS];
	int			pooled[LINK_MAX_COLUMNS];
	StringInfoData held = {NULL, 0, 0, 0};
	int64		training = 0;	/* pairs that train (the last session's and the prior's) */

	/* start: agreement likely among matches */
	for (int c = 0; c < lm->ncolumns; c++)
	{
		LinkColumn *col = &lm->columns[c];
		double		total = 0;

		for (int l = 1; l < col->nlevels; l++)
		{
			col->m[l] = (l == 1) ? 0.9 : 0.1 / (col->nlevels - 2);
			/* but a move is the exception among one person's records */
			if (col->kind == LK_MOVED_IN)
				col->m[l] = (l == 1) ? 0.1 : 0.9;
			total += col->m[l];
		}
		for (int l = 1; l < col->nlevels; l++)
			col->m[l] /= total;
		col->m[0] = 1.0;
	}
	memset(sum, 0, sizeof(sum));
	memset(sessions, 0, sizeof(sessions));
	memset(pooled_sessions, 0, sizeof(pooled_sessions));
	lm->em_converged = true;
	lm->em_iterations = 0;
	for (int r = 0; r < lm->nrules; r++)
	{
		int			rounds;
		LinkRuleInfo *rule = &lm->rules[r];

		rule->trained = false;
		rule->em_rounds = 0;
		rule->training_pairs = 0;
		rule->dominant_share = -1;
		rule->dominant_column = -1;
		rule->flat_column = -1;
		if (rule->npairs < 50 || !rule->train)
			continue;			/* too few pairs to learn from, or biased */
		measure_dominance(lm, r);
		if (rule->training_pairs < 50)
			continue;			/* its pairs are copies or neighbours in split blocks */
		if (rule->dominant_share > DOMINANT_SHARE)
		{
			ereport(NOTICE,
					(errmsg("linkage: the pairs of blocking rule \"%s\" do not train the model: %.0f %% of them hold one value of \"%s\"",
							rule->description, 100.0 * rule->dominant_share,
							lm->columns[rule->dominant_column].name),
					 errdetail("Pairs that mostly share one value of a column (one town, a default date) are near-random pairs inside one group: trained on, they teach the model that group's households or neighbours, not one person."),
					 errhint("The other rules train the model; train_model keeps this in brent_mdm.link_model_rule.")));
			continue;
		}
		rounds = em_session(lm, r, session_m, observed, pooled);
		rule->em_rounds = rounds;
		/*
		 * A session whose likely matches are as likely to disagree on a
		 * name, a date or an identifier as to agree (m flat once held
		 * non-increasing) learned some other class than one person (one
		 * household, one street): rejected.
		 */
		rule->flat_column = -1;
		for (int c = 0; c < lm->ncolumns && rule->flat_column < 0; c++)
			if (pooled[c] == POOL_FLAT && observed[c] >= EM_MIN_OBSERVED)
				rule->flat_column = c;
		if (rule->flat_column >= 0)
		{
			ereport(NOTICE,
					(errmsg("linkage: the training session of blocking rule \"%s\" is rejected: its likely matches are as likely to disagree on \"%s\" as to agree",
							rule->description, lm->columns[rule->flat_column].name),
					 errdetail("Among one person's records a worse agreement is never likelier than a better one; held so, m of \"%s\" came out the same at every level: the session learned some other class than one person (a household, a place)."
							   , lm->columns[rule->flat_column].name),
					 errhint("The other rules train the model; train_model keeps this in brent_mdm.link_model_rule.")));
			continue;
		}
		rule->trained = true;
		if (rounds < 0)
		{
			lm->em_converged = false;
			rounds = 200;
		}
		lm->em_iterations = Max(lm->em_iterations, rounds);
		for (int c = 0; c < lm->ncolumns; c++)
		{
			bool		blocked = false;

			for (int p = 0; p < rule->ncols; p++)
				if (rule->cols[p] == c)
					blocked = true;
			/*
			 * Nor from a session whose likely matches hardly ever have the
			 * column on both sides: its m there is the starting guess.
			 */
			if (blocked || observed[c] < EM_MIN_OBSERVED)
				continue;
			for (int l = 1; l < lm->columns[c].nlevels; l++)
				sum[c][l] += session_m[c][l];
			sessions[c]++;
			pooled_sessions[c] += pooled[c] != POOL_NONE;
		}
	}
	for (int c = 0; c < lm->ncolumns; c++)
	{
		LinkColumn *col = &lm->columns[c];

		col->m_from = LINK_M_FROM_START;
		if (sessions[c] > 0)
		{
			for (int l = 1; l < col->nlevels; l++)
				col->m[l] = sum[c][l] / sessions[c];
			col->m_from = LINK_M_FROM_SESSIONS;
		}
		link_floor_no_move(col, col->m);
		col->sessions = sessions[c];
		col->pooled_sessions = pooled_sessions[c];
	}

	for (int64 k = 0; k < lm->npairs; k++)
	{
		if ((k & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		training += PAIR_TRAINS(lm, k);
	}

	/*
	 * A column no session learned, though rules trained: every one of them
	 * blocks on it, or compared it in too few likely matches
	 * (em_free_columns).  Kept where its matches compared over all the pairs
	 * are still too few to learn from, as in a session.
	 */
	{
		bool		freecol[LINK_MAX_COLUMNS] = {false};
		double		start[LINK_MAX_COLUMNS][LINK_MAX_LEVELS];
		bool		any = false,
					trained = false;

		for (int r = 0; r < lm->nrules; r++)
			trained |= lm->rules[r].trained;
		for (int c = 0; c < lm->ncolumns; c++)
		{
			LinkKind	k = lm->columns[c].kind;

			/*
			 * Not a place or a move: the pairs of the rules that do not
			 * train (one address, one move) are among all the pairs, and
			 * would teach such a column that households are matches.
			 */
			if (trained && sessions[c] == 0 && lm->columns[c].nlevels > 2 &&
				k != LK_POSTCODE && k != LK_MOVED_IN && k != LK_MOVED_OUT && k != LK_MIN_AGE &&
				lm->columns[c].npresent > 1)
			{
				freecol[c] = any = true;
				memcpy(start[c], lm->columns[c].m, sizeof(start[c]));
			}
		}
		if (any)
		{
			int			rounds = em_free_columns(lm, freecol, start, training, observed, pooled);
			bool		kept = false;

			for (int c = 0; c < lm->ncolumns; c++)
			{
				if (!freecol[c])
					continue;
				if (observed[c] < EM_MIN_OBSERVED || pooled[c] == POOL_FLAT)
					memcpy(lm->columns[c].m, start[c], sizeof(start[c]));
				else
				{
					kept = true;
					lm->columns[c].m_from = LINK_M_FROM_ALL_PAIRS;
					ereport(NOTICE,
							(errmsg("linkage: no rule's session learned \"%s\": its m was learned over all the candidate pairs",
									lm->columns[c].name),
							 errdetail("Each rule that trains blocks on it, or compared it in too few likely matches; it was learned with the other columns' m held, over the pairs of every rule."),
							 errhint("train_model keeps this in brent_mdm.link_model_column.m_from.")));
				}
			}
			if (kept)
			{
				if (rounds < 0)
					lm->em_converged = false;
				lm->em_iterations = Max(lm->em_iterations, rounds < 0 ? 200 : rounds);
			}
		}
	}

	for (int c = 0; c < lm->ncolumns; c++)
	{
		LinkColumn *col = &lm->columns[c];

		if (pooled_sessions[c] > 0)
		{
			if (held.len == 0)
				initStringInfo(&held);
			else
				appendStringInfoString(&held, ", ");
			appendStringInfo(&held, "\"%s\" in %d of %d", col->name, pooled_sessions[c], sessions[c]);
		}
	}
	/* said once, for every column where it happened */
	if (held.len > 0)
		ereport(NOTICE,
				(errmsg("linkage: m held non-increasing over the levels of %s training sessions", held.data),
				 errdetail("Left free, expectation-maximisation made a worse agreement likelier among matches than a better one there, and those adjacent levels were pooled (where every level of a column was, the session was rejected)."),
				 errhint("train_model keeps this in brent_mdm.link_model_column.pooled_sessions.")));

	/* the prior for a random pair */
	{
		double		lambda;
		double		lw[LINK_MAX_COLUMNS][LINK_MAX_LEVELS];

		lambda = Min(0.5, Max(training / Max(lm->total_pairs, 1.0), 1e-12));
		level_log_weights(lm, lw);
		for (int round = 0; round < 200; round++)
		{
			double		expected = 0,
						next,
						lo0 = log(lambda / (1.0 - lambda));

			CHECK_FOR_INTERRUPTS();
			for (int64 k = 0; k < lm->npairs; k++)
				if (PAIR_TRAINS(lm, k))
					expected += logistic(pair_log_odds(lm, lw, PAIR_LEVELS(lm, k), lo0));
			next = Min(Max(expected / Max(lm->total_pairs, 1.0), 1e-12), 0.5);
			if (fabs(next - lambda) < 1e-4 * lambda)
			{
				lambda = next;
				break;
			}
			lambda = next;
		}
		lm->lambda = lambda;
	}
}

/*
 * Match weight (log2 Bayes factor, without the prior) of a comparison
 * vector; the term frequencies are record a's.
 */
double
link_record_weight(const LinkModel *lm, const LinkRecord *a, const uint8 *level)
{
	double		w = 0;

	for (int c = 0; c < lm->ncolumns; c++)
	{
		const LinkColumn *col = &lm->columns[c];
		int			l = level[c];
		double		u;

		if (l == 0)
			continue;
		u = col->u[l];
		/* agreeing on a common value is weaker evidence than on a rare one */
		if (l == 1 && col->tf)
		{
			double		tf = link_value_tf(lm, c, LINK_V(a, c));

			if (tf > 0)
				u = Max(tf, 1.0 / Max(col->npresent, 1));
		}
		w += log2(col->m[l] / u);
	}
	return w;
}

/* Match weight of a scored pair. */
double
link_pair_weight(const LinkModel *lm, int64 k)
{
	int32		a = LINK_PAIR(lm, k)->a;
	const LinkRecord *r = LINK_REC(lm, a);

	return link_record_weight(lm, r, PAIR_LEVELS(lm, k));
}

void
link_score(LinkModel *lm)
{
	double		prior = link_prior_weight(lm);

	for (int64 k = 0; k < lm->npairs; k++)
	{
		float4		probability;

		if ((k & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		probability = (PAIR_INFO(lm, k)->flags & LINK_PAIR_IDENTICAL) ? 1.0 :
			link_probability(link_pair_weight(lm, k) + prior);
		LINK_PAIR_MUT(lm, k)->probability = probability;
	}
}

/*
 * Reads the kept model "name" (prior, columns with their kinds, m and u of
 * each level, records with a value) into lm, allocating in cxt; false if
 * there is no such model.  SPI must be connected.  Columns that hold names,
 * postcodes or text are term-frequency adjusted where the model says how
 * many records had a value (models kept since 0.2.0).
 */
static int
isnull_or_int(HeapTuple tup, TupleDesc desc, int att)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, desc, att, &isnull);

	return isnull ? 0 : DatumGetInt32(d);
}

bool
link_load_model(const char *name, LinkModel *lm, MemoryContext cxt)
{
	char	   *implied[LINK_MAX_COLUMNS] = {NULL};

	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1] = {CStringGetTextDatum(name)};
	bool		isnull;

	if (SPI_execute_with_args("SELECT prior FROM brent_mdm.link_model WHERE model_name = $1",
							  1, argtypes, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "linkage: could not read brent_mdm.link_model");
	if (SPI_processed == 0)
		return false;
	lm->lambda = DatumGetFloat8(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	/* columns with levels; and those without (moved_out), as level 0 */
	if (SPI_execute_with_args("SELECT l.column_name, l.kind, l.level, l.m, l.u, c.present,"
							  "       c.implied_by, c.implied_through, c.dependence"
							  "  FROM brent_mdm.link_model_level l"
							  "  LEFT JOIN brent_mdm.link_model_column c USING (model_name, column_name)"
							  " WHERE l.model_name = $1"
							  " UNION ALL"
							  " SELECT c.column_name, CASE jsonb_typeof(m.columns->c.column_name) WHEN 'object'"
							  "  THEN m.columns->c.column_name->>'kind' ELSE m.columns->>c.column_name END,"
							  "  0, NULL, NULL, c.present, c.implied_by, c.implied_through, c.dependence"
							  "  FROM brent_mdm.link_model_column c JOIN brent_mdm.link_model m USING (model_name)"
							  " WHERE c.model_name = $1 AND NOT EXISTS (SELECT FROM brent_mdm.link_model_level l"
							  "   WHERE l.model_name = c.model_name AND l.column_name = c.column_name)"
							  " ORDER BY 1, 3",
							  1, argtypes, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "linkage: could not read brent_mdm.link_model_level");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		char	   *column = SPI_getvalue(tup, desc, 1);
		char	   *kind = SPI_getvalue(tup, desc, 2);
		int			level = DatumGetInt32(SPI_getbinval(tup, desc, 3, &isnull));
		LinkColumn *col;

		if (level < 0 || level >= LINK_MAX_LEVELS)
			continue;
		if (lm->ncolumns == 0 || strcmp(lm->columns[lm->ncolumns - 1].name, column) != 0)
		{
			Datum		present;

			if (lm->ncolumns >= LINK_MAX_COLUMNS)
				break;
			col = &lm->columns[lm->ncolumns++];
			memset(col, 0, sizeof(*col));
			col->name = MemoryContextStrdup(cxt, column);
			(void) link_kind_from_name(kind, &col->kind);
			present = SPI_getbinval(tup, desc, 6, &isnull);
			col->npresent = isnull ? 0 : (int) DatumGetInt64(present);
			col->tf = col->npresent > 0 && link_kind_has_tf(col->kind);
			col->implied_by = -1;
			implied[lm->ncolumns - 1] = SPI_getvalue(tup, desc, 7);
			col->implied_through = isnull_or_int(tup, desc, 8);
			present = SPI_getbinval(tup, desc, 9, &isnull);
			col->dependence = isnull ? 0 : DatumGetFloat8(present);
		}
		col = &lm->columns[lm->ncolumns - 1];
		col->nlevels = Max(col->nlevels, level + 1);
		if (level == 0)
			continue;
		col->m[level] = DatumGetFloat8(SPI_getbinval(tup, desc, 4, &isnull));
		col->u[level] = DatumGetFloat8(SPI_getbinval(tup, desc, 5, &isnull));
	}
	/* a column implied by another (by name: stored so) */
	for (int c = 0; c < lm->ncolumns; c++)
		for (int x = 0; implied[c] != NULL && x < lm->ncolumns; x++)
			if (x != c && strcmp(lm->columns[x].name, implied[c]) == 0)
				lm->columns[c].implied_by = x;
	return true;
}
