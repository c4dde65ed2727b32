/*
 * phonetic.c
 *		Phonetic codes: Soundex, NYSIIS and Double Metaphone.
 *
 * Each works on letters A-Z.  ASCII input is used as it is (other bytes are
 * skipped); input in any other script is first transliterated by
 * normalise_name(), so محمد and Mohamed have codes too, where the peers
 * (fuzzystrmatch) treat multibyte characters as noise.
 *
 * Soundex: the American Soundex of the US National Archives (first letter,
 * then three digits; letters with the same digit side by side, or separated
 * only by H or W, count once; vowels separate).
 * NYSIIS: Taft (1970), New York State Identification and Intelligence
 * System, without the optional truncation to six characters.
 * Double Metaphone: Philips (2000), in dmetaphone.c.
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#include "match/dmetaphone.h"
#include "match/normalise.h"
#include "match/phonetic.h"

PG_FUNCTION_INFO_V1(match_soundex);
PG_FUNCTION_INFO_V1(match_nysiis);
PG_FUNCTION_INFO_V1(match_double_metaphone);
PG_FUNCTION_INFO_V1(match_double_metaphone_alt);

/* Longest Double Metaphone code asked for. */
#define DMETAPHONE_MAX_LENGTH 64

/*
 * Letters of a name, upper case, into out (palloc'd); non-ASCII input is
 * transliterated first.  With keep_spaces, each run of other characters
 * becomes one space (Double Metaphone looks at word boundaries); otherwise
 * they are dropped.  Returns the length written.
 */
int
phonetic_letters(const char *s, int len, char **out, bool keep_spaces)
{
	char	   *buf;
	int			n = 0;

	for (int i = 0; i < len; i++)
		if ((unsigned char) s[i] >= 0x80)
		{
			s = normalise_name_cstring(s, len, &len);
			break;
		}
	buf = palloc(len + 1);
	for (int i = 0; i < len; i++)
	{
		char		c = s[i];

		if ((i & 0xFFFFF) == 0xFFFFF)
			CHECK_FOR_INTERRUPTS();

		if (c >= 'a' && c <= 'z')
			buf[n++] = c - ('a' - 'A');
		else if (c >= 'A' && c <= 'Z')
			buf[n++] = c;
		else if (keep_spaces && n > 0 && buf[n - 1] != ' ')
			buf[n++] = ' ';
	}
	if (n > 0 && buf[n - 1] == ' ')
		n--;
	buf[n] = '\0';
	*out = buf;
	return n;
}

/* Soundex digits of A..Z; '0' for vowels and Y, '-' for H and W */
static const char soundex_digits[26] = {
	'0', '1', '2', '3', '0', '1', '2', '-', '0', '2', '2', '4', '5',
	'5', '0', '1', '2', '6', '2', '3', '0', '1', '-', '2', '0', '2'
};

void
soundex_code(const char *letters, int n, char *out)
{
	int			k = 0;
	char		last;

	if (n == 0)
	{
		out[0] = '\0';
		return;
	}
	out[k++] = letters[0];
	last = soundex_digits[letters[0] - 'A'];
	for (int i = 1; i < n && k < 4; i++)
	{
		char		d = soundex_digits[letters[i] - 'A'];

		if (d == '-')
			continue;			/* H and W do not separate */
		if (d != '0' && d != last)
			out[k++] = d;
		last = d;
	}
	while (k < 4)
		out[k++] = '0';
	out[k] = '\0';
}

static inline bool
vowel(char c)
{
	return c == 'A' || c == 'E' || c == 'I' || c == 'O' || c == 'U';
}

static bool
starts(const char *s, int n, int at, const char *prefix)
{
	int			len = strlen(prefix);

	return at + len <= n && memcmp(s + at, prefix, len) == 0;
}

/* NYSIIS of n upper-case letters (modified in place); out has 2n + 1 bytes. */
int
nysiis_code(char *s, int n, char *out)
{
	int			k = 0;

	if (n == 0)
	{
		out[0] = '\0';
		return 0;
	}
	/* 1. the start of the name */
	if (starts(s, n, 0, "MAC"))
		s[1] = 'C';
	else if (starts(s, n, 0, "KN"))
		s[0] = 'N';
	else if (s[0] == 'K')
		s[0] = 'C';
	else if (starts(s, n, 0, "PH") || starts(s, n, 0, "PF"))
		s[0] = s[1] = 'F';
	else if (starts(s, n, 0, "SCH"))
		s[1] = s[2] = 'S';
	/* 2. the end of the name */
	if (n >= 2)
	{
		char		a = s[n - 2],
					b = s[n - 1];

		if ((a == 'E' || a == 'I') && b == 'E')
		{
			s[n - 2] = 'Y';
			n--;
		}
		else if ((a == 'D' && b == 'T') || (a == 'R' && (b == 'T' || b == 'D')) ||
				 (a == 'N' && (b == 'T' || b == 'D')))
		{
			s[n - 2] = 'D';
			n--;
		}
	}
	/* 3. the first letter stays */
	out[k++] = s[0];
	/* 4. the rest, letter by letter */
	for (int i = 1; i < n; i++)
	{
		char		code[3] = {s[i], '\0', '\0'};
		char		prev = s[i - 1];

		if (s[i] == 'E' && i + 1 < n && s[i + 1] == 'V')
		{
			code[0] = 'A';
			code[1] = 'F';
			i++;
		}
		else if (vowel(s[i]))
			code[0] = 'A';
		else if (s[i] == 'Q')
			code[0] = 'G';
		else if (s[i] == 'Z')
			code[0] = 'S';
		else if (s[i] == 'M')
			code[0] = 'N';
		else if (s[i] == 'K')
			code[0] = (i + 1 < n && s[i + 1] == 'N') ? 'N' : 'C';
		else if (s[i] == 'S' && starts(s, n, i + 1, "CH"))
		{
			code[1] = 'S';
			i += 2;
		}
		else if (s[i] == 'P' && i + 1 < n && s[i + 1] == 'H')
		{
			code[0] = 'F';
			i++;
		}
		else if (s[i] == 'H' && (!vowel(prev) || (i + 1 < n && !vowel(s[i + 1]))))
			code[0] = vowel(prev) ? 'A' : prev;
		else if (s[i] == 'W' && vowel(prev))
			code[0] = prev;
		{
			int			clen = code[1] ? 2 : 1;

			if (code[clen - 1] != out[k - 1])
			{
				memcpy(out + k, code, clen);
				k += clen;
			}
		}
	}
	/* 5 to 7: the end of the key */
	if (k > 1 && out[k - 1] == 'S')
		k--;
	if (k > 1 && out[k - 2] == 'A' && out[k - 1] == 'Y')
	{
		out[k - 2] = 'Y';
		k--;
	}
	if (k > 1 && out[k - 1] == 'A')
		k--;
	out[k] = '\0';
	return k;
}

Datum
match_soundex(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	char	   *letters;
	int			n = phonetic_letters(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), &letters, false);
	char		code[5];

	soundex_code(letters, n, code);
	pfree(letters);
	PG_RETURN_TEXT_P(cstring_to_text(code));
}

Datum
match_nysiis(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	char	   *letters;
	int			n = phonetic_letters(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), &letters, false);
	char	   *code = palloc_extended((Size) 2 * n + 1, MCXT_ALLOC_HUGE);
	int			k = nysiis_code(letters, n, code);

	PG_RETURN_TEXT_P(cstring_to_text_with_len(code, k));
}

static Datum
double_metaphone_sql(FunctionCallInfo fcinfo, bool alternate)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	int			max_length = PG_NARGS() > 1 ? PG_GETARG_INT32(1) : 4;
	char	   *letters;
	int			n;
	char		primary[DMETAPHONE_MAX_LENGTH + 1],
				alt[DMETAPHONE_MAX_LENGTH + 1];

	if (max_length < 1 || max_length > DMETAPHONE_MAX_LENGTH)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_length must be between 1 and %d, not %d",
						DMETAPHONE_MAX_LENGTH, max_length),
				 errhint("The published algorithm uses 4.")));
	n = phonetic_letters(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), &letters, true);
	double_metaphone(letters, n, max_length, primary, alt);
	pfree(letters);
	PG_RETURN_TEXT_P(cstring_to_text(alternate ? alt : primary));
}

Datum
match_double_metaphone(PG_FUNCTION_ARGS)
{
	return double_metaphone_sql(fcinfo, false);
}

Datum
match_double_metaphone_alt(PG_FUNCTION_ARGS)
{
	return double_metaphone_sql(fcinfo, true);
}
