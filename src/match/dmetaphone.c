/*
 * dmetaphone.c
 *		Double Metaphone phonetic codes, written from the rules Lawrence
 *		Philips published in the C/C++ Users Journal (June 2000).
 *
 * Each word gets two codes: the primary one, for the most likely English
 * pronunciation, and an alternate one for a plausible foreign (Germanic,
 * Slavic, Spanish, Italian, Greek, ...) pronunciation.  Where no rule gives a
 * second reading the two codes are equal.
 *
 * Implementation notes
 *
 * - The word is never copied.  Characters are read through dm_at(), which
 *   upper-cases a-z on the fly and is safe at every position: before the word
 *   it returns '\0'; just past the end it returns DM_PAD blanks (the published
 *   algorithm pads the word with blanks so that rules such as "C followed by
 *   a blank" or "JOSE followed by a blank" see the end of the word as a
 *   blank); further out it returns '\0' again.  No rule pattern contains
 *   '\0', so a look-ahead or look-behind that leaves the word simply fails.
 *   Because nothing is copied there is no input cap: a word of any length is
 *   scanned in one pass until both codes are full or the word ends, so a long
 *   run of vowels or punctuation costs time linear in its length but no
 *   memory.  (Only lengths near INT_MAX are clamped, so that position
 *   arithmetic cannot overflow; a PostgreSQL text value cannot be that long.)
 *
 * - Codes are written straight into the caller's buffers and stop growing at
 *   max_length; the scan ends once both are full.  This gives the same result
 *   as building complete codes and cutting them afterwards.
 *
 * - There is no static mutable data; all state is on the stack, so the
 *   function is re-entrant.
 *
 * - Bytes other than a-z/A-Z (digits, punctuation, blanks, bytes >= 0x80)
 *   match no rule and produce no code, but blanks inside the word still take
 *   part in the patterns that contain a blank ("VAN ", "SAN ", " C", ...).
 */
#include "postgres.h"

#include "miscadmin.h"

#include "match/dmetaphone.h"

/* number of blanks seen past the end of the word */
#define DM_PAD			5

/* word lengths are clamped here so that pos + small offsets cannot overflow */
#define DM_MAX_WORD		(PG_INT32_MAX - 64)

typedef struct DmCode
{
	char	   *buf;			/* caller's buffer, max_length + 1 bytes */
	int			n;				/* characters written so far */
	int			cap;			/* max_length */
} DmCode;

typedef struct DmState
{
	const char *word;			/* the input bytes, not upper-cased */
	int			len;			/* bytes in word */
	int			last;			/* len - 1 */
	bool		slavo_germanic; /* word contains W, K or CZ */
	DmCode		pri;
	DmCode		alt;
} DmState;

static char dm_at(const DmState *st, int pos);
static bool dm_vowel(const DmState *st, int pos);
static bool dm_in(const DmState *st, int pos, const char *set);
static bool dm_seq(const DmState *st, int pos, const char *alts);
static void dm_put(DmCode *code, const char *s);
static void dm_emit(DmState *st, const char *pri, const char *alt);
static bool dm_is_slavo_germanic(const DmState *st);
static int	dm_b(DmState *st, int cur);
static int	dm_c(DmState *st, int cur);
static int	dm_ch(DmState *st, int cur);
static int	dm_d(DmState *st, int cur);
static int	dm_g(DmState *st, int cur);
static int	dm_gh(DmState *st, int cur);
static int	dm_h(DmState *st, int cur);
static int	dm_j(DmState *st, int cur);
static int	dm_l(DmState *st, int cur);
static int	dm_m(DmState *st, int cur);
static int	dm_p(DmState *st, int cur);
static int	dm_r(DmState *st, int cur);
static int	dm_s(DmState *st, int cur);
static int	dm_sc(DmState *st, int cur);
static int	dm_t(DmState *st, int cur);
static int	dm_w(DmState *st, int cur);
static int	dm_x(DmState *st, int cur);
static int	dm_z(DmState *st, int cur);
static int	dm_simple(DmState *st, int cur, const char *code);


/* ---- character access ---- */

/*
 * Upper-cased character at pos; '\0' before the word, blank for DM_PAD
 * positions after it, '\0' beyond that.  Never reads outside the word.
 */
static char
dm_at(const DmState *st, int pos)
{
	unsigned char c;

	if (pos < 0)
		return '\0';
	if (pos >= st->len)
		return (pos - st->len < DM_PAD) ? ' ' : '\0';
	c = (unsigned char) st->word[pos];
	if (c >= 'a' && c <= 'z')
		c = (unsigned char) (c - 'a' + 'A');
	return (char) c;
}

static bool
dm_vowel(const DmState *st, int pos)
{
	switch (dm_at(st, pos))
	{
		case 'A':
		case 'E':
		case 'I':
		case 'O':
		case 'U':
		case 'Y':
			return true;
		default:
			return false;
	}
}

/* Is the character at pos one of the characters of set? */
static bool
dm_in(const DmState *st, int pos, const char *set)
{
	char		c = dm_at(st, pos);

	if (c == '\0')
		return false;
	for (; *set != '\0'; set++)
	{
		if (*set == c)
			return true;
	}
	return false;
}

/*
 * Does one of the '|'-separated strings of alts start at pos?  The strings
 * may differ in length.
 */
static bool
dm_seq(const DmState *st, int pos, const char *alts)
{
	const char *p = alts;

	while (*p != '\0')
	{
		bool		match = true;
		int			k;

		for (k = 0; p[k] != '\0' && p[k] != '|'; k++)
		{
			if (match && dm_at(st, pos + k) != p[k])
				match = false;
		}
		if (match && k > 0)
			return true;
		p += k;
		if (*p == '|')
			p++;
	}
	return false;
}


/* ---- output ---- */

static void
dm_put(DmCode *code, const char *s)
{
	while (*s != '\0' && code->n < code->cap)
		code->buf[code->n++] = *s++;
}

/* Append pri to the primary code and alt (or pri, if alt is NULL) to the
 * alternate one.  An empty string appends nothing. */
static void
dm_emit(DmState *st, const char *pri, const char *alt)
{
	dm_put(&st->pri, pri);
	dm_put(&st->alt, alt != NULL ? alt : pri);
}

/* Words showing W, K or CZ (and so WITZ) are taken as Slavic/Germanic. */
static bool
dm_is_slavo_germanic(const DmState *st)
{
	int			i;

	for (i = 0; i < st->len; i++)
	{
		char		c = dm_at(st, i);

		if (c == 'W' || c == 'K')
			return true;
		if (c == 'C' && i + 1 < st->len && dm_at(st, i + 1) == 'Z')
			return true;
	}
	return false;
}


/* ---- the letters ---- */

/*
 * Each handler looks at the letter at cur, appends its codes and returns the
 * position of the next letter to look at (always > cur).
 */

/* letters that sound alike doubled or not: emit code, skip a doubled letter */
static int
dm_simple(DmState *st, int cur, const char *code)
{
	char		c = dm_at(st, cur);

	dm_emit(st, code, NULL);
	return (dm_at(st, cur + 1) == c) ? cur + 2 : cur + 1;
}

static int
dm_b(DmState *st, int cur)
{
	/* "-mb" as in "dumb" is dealt with under M */
	return dm_simple(st, cur, "P");
}

static int
dm_c(DmState *st, int cur)
{
	/* Germanic "-ach-" after a consonant, as in "Bacher", "Macher" */
	if (cur > 1 && !dm_vowel(st, cur - 2) && dm_seq(st, cur - 1, "ACH") &&
		dm_at(st, cur + 2) != 'I' &&
		(dm_at(st, cur + 2) != 'E' || dm_seq(st, cur - 2, "BACHER|MACHER")))
	{
		dm_emit(st, "K", NULL);
		return cur + 2;
	}

	/* "Caesar" */
	if (cur == 0 && dm_seq(st, cur, "CAESAR"))
	{
		dm_emit(st, "S", NULL);
		return cur + 2;
	}

	/* Italian "Chianti" */
	if (dm_seq(st, cur, "CHIA"))
	{
		dm_emit(st, "K", NULL);
		return cur + 2;
	}

	if (dm_seq(st, cur, "CH"))
		return dm_ch(st, cur);

	/* Polish "cz" as in "Czerny", but not "-wicz" */
	if (dm_seq(st, cur, "CZ") && !dm_seq(st, cur - 2, "WICZ"))
	{
		dm_emit(st, "S", "X");
		return cur + 2;
	}

	/* "-ccia" as in "focaccia" */
	if (dm_seq(st, cur + 1, "CIA"))
	{
		dm_emit(st, "X", NULL);
		return cur + 3;
	}

	/* double C, but not the "Mc" of "McClellan" */
	if (dm_seq(st, cur, "CC") && !(cur == 1 && dm_at(st, 0) == 'M'))
	{
		/* "bellocchio" but not "bacchus" */
		if (dm_in(st, cur + 2, "IEH") && !dm_seq(st, cur + 2, "HU"))
		{
			/* "accident", "accede", "succeed" */
			if ((cur == 1 && dm_at(st, cur - 1) == 'A') ||
				dm_seq(st, cur - 1, "UCCEE|UCCES"))
				dm_emit(st, "KS", NULL);
			/* "bacci", "bertucci", other Italian */
			else
				dm_emit(st, "X", NULL);
			return cur + 3;
		}
		/* Pierce's rule */
		dm_emit(st, "K", NULL);
		return cur + 2;
	}

	if (dm_seq(st, cur, "CK|CG|CQ"))
	{
		dm_emit(st, "K", NULL);
		return cur + 2;
	}

	if (dm_seq(st, cur, "CI|CE|CY"))
	{
		/* Italian versus English */
		if (dm_seq(st, cur, "CIO|CIE|CIA"))
			dm_emit(st, "S", "X");
		else
			dm_emit(st, "S", NULL);
		return cur + 2;
	}

	dm_emit(st, "K", NULL);

	/* "Mac Caffrey", "Mac Gregor" */
	if (dm_seq(st, cur + 1, " C| Q| G"))
		return cur + 3;
	if (dm_in(st, cur + 1, "CKQ") && !dm_seq(st, cur + 1, "CE|CI"))
		return cur + 2;
	return cur + 1;
}

/* "CH" at cur */
static int
dm_ch(DmState *st, int cur)
{
	/* "Michael" */
	if (cur > 0 && dm_seq(st, cur, "CHAE"))
	{
		dm_emit(st, "K", "X");
		return cur + 2;
	}

	/* Greek roots at the start: "chemistry", "chorus", but not "chore" */
	if (cur == 0 &&
		dm_seq(st, cur + 1, "HARAC|HARIS|HOR|HYM|HIA|HEM") &&
		!dm_seq(st, 0, "CHORE"))
	{
		dm_emit(st, "K", NULL);
		return cur + 2;
	}

	/* Germanic, Greek or otherwise "ch" sounding as "kh" */
	if (dm_seq(st, 0, "VAN |VON |SCH") ||
		/* "architect" but not "arch", "orchestra", "orchid" */
		dm_seq(st, cur - 2, "ORCHES|ARCHIT|ORCHID") ||
		dm_in(st, cur + 2, "TS") ||
		/* "wachtler", "wechsler", but not "tichner" */
		((cur == 0 || dm_in(st, cur - 1, "AOUE")) &&
		 dm_in(st, cur + 2, "LRNMBHFVW ")))
		dm_emit(st, "K", NULL);
	else if (cur > 0)
	{
		/* "McHugh" */
		if (dm_seq(st, 0, "MC"))
			dm_emit(st, "K", NULL);
		else
			dm_emit(st, "X", "K");
	}
	else
		dm_emit(st, "X", NULL);
	return cur + 2;
}

static int
dm_d(DmState *st, int cur)
{
	if (dm_seq(st, cur, "DG"))
	{
		/* "edge" */
		if (dm_in(st, cur + 2, "IEY"))
		{
			dm_emit(st, "J", NULL);
			return cur + 3;
		}
		/* "Edgar" */
		dm_emit(st, "TK", NULL);
		return cur + 2;
	}
	dm_emit(st, "T", NULL);
	return dm_in(st, cur + 1, "TD") ? cur + 2 : cur + 1;
}

static int
dm_g(DmState *st, int cur)
{
	char		next = dm_at(st, cur + 1);

	if (next == 'H')
		return dm_gh(st, cur);

	if (next == 'N')
	{
		/* "agnes" */
		if (cur == 1 && dm_vowel(st, 0) && !st->slavo_germanic)
			dm_emit(st, "KN", "N");
		/* not "cagney" */
		else if (!dm_seq(st, cur + 2, "EY") && !st->slavo_germanic)
			dm_emit(st, "N", "KN");
		else
			dm_emit(st, "KN", NULL);
		return cur + 2;
	}

	/* "tagliaro" */
	if (dm_seq(st, cur + 1, "LI") && !st->slavo_germanic)
	{
		dm_emit(st, "KL", "L");
		return cur + 2;
	}

	/* -ges-, -gep-, -gel-, -gie- at the beginning */
	if (cur == 0 &&
		(next == 'Y' ||
		 dm_seq(st, cur + 1, "ES|EP|EB|EL|EY|IB|IL|IN|IE|EI|ER")))
	{
		dm_emit(st, "K", "J");
		return cur + 2;
	}

	/* -ger-, -gy-, but not "danger", "ranger", "manger", "rogier" */
	if ((dm_seq(st, cur + 1, "ER") || next == 'Y') &&
		!dm_seq(st, 0, "DANGER|RANGER|MANGER") &&
		!dm_in(st, cur - 1, "EI") &&
		!dm_seq(st, cur - 1, "RGY|OGY"))
	{
		dm_emit(st, "K", "J");
		return cur + 2;
	}

	/* Italian "biaggi" */
	if (dm_in(st, cur + 1, "EIY") || dm_seq(st, cur - 1, "AGGI|OGGI"))
	{
		/* obvious Germanic */
		if (dm_seq(st, 0, "VAN |VON |SCH") || dm_seq(st, cur + 1, "ET"))
			dm_emit(st, "K", NULL);
		/* always soft if French ending */
		else if (dm_seq(st, cur + 1, "IER "))
			dm_emit(st, "J", NULL);
		else
			dm_emit(st, "J", "K");
		return cur + 2;
	}

	dm_emit(st, "K", NULL);
	return (next == 'G') ? cur + 2 : cur + 1;
}

/* "GH" at cur */
static int
dm_gh(DmState *st, int cur)
{
	if (cur > 0 && !dm_vowel(st, cur - 1))
	{
		dm_emit(st, "K", NULL);
		return cur + 2;
	}

	/* "ghislane", "ghiradelli"; "ghost" */
	if (cur == 0)
	{
		if (dm_at(st, cur + 2) == 'I')
			dm_emit(st, "J", NULL);
		else
			dm_emit(st, "K", NULL);
		return cur + 2;
	}

	/* Parker's rule: silent in "hugh", "bough", "broughton" */
	if ((cur > 1 && dm_in(st, cur - 2, "BHD")) ||
		(cur > 2 && dm_in(st, cur - 3, "BHD")) ||
		(cur > 3 && dm_in(st, cur - 4, "BH")))
		return cur + 2;

	/* "laugh", "McLaughlin", "cough", "gough", "rough", "tough" */
	if (cur > 2 && dm_at(st, cur - 1) == 'U' &&
		dm_in(st, cur - 3, "CGLRT"))
		dm_emit(st, "F", NULL);
	else if (dm_at(st, cur - 1) != 'I')
		dm_emit(st, "K", NULL);
	return cur + 2;
}

static int
dm_h(DmState *st, int cur)
{
	/* kept only at the start or between vowels */
	if ((cur == 0 || dm_vowel(st, cur - 1)) && dm_vowel(st, cur + 1))
	{
		dm_emit(st, "H", NULL);
		return cur + 2;
	}
	return cur + 1;
}

static int
dm_j(DmState *st, int cur)
{
	char		next = dm_at(st, cur + 1);

	/* Spanish "Jose", "San Jacinto" */
	if (dm_seq(st, cur, "JOSE") || dm_seq(st, 0, "SAN "))
	{
		if ((cur == 0 && dm_at(st, cur + 4) == ' ') || dm_seq(st, 0, "SAN "))
			dm_emit(st, "H", NULL);
		else
			dm_emit(st, "J", "H");
		return cur + 1;
	}

	/* "Yankelovich" / "Jankelowicz" (JOSE was dealt with above) */
	if (cur == 0)
		dm_emit(st, "J", "A");
	/* Spanish pronunciation of "bajador" */
	else if (dm_vowel(st, cur - 1) && !st->slavo_germanic &&
			 (next == 'A' || next == 'O'))
		dm_emit(st, "J", "H");
	else if (cur == st->last)
		dm_emit(st, "J", "");
	else if (!dm_in(st, cur + 1, "LTKSNMBZ") && !dm_in(st, cur - 1, "SKL"))
		dm_emit(st, "J", NULL);

	return (next == 'J') ? cur + 2 : cur + 1;
}

static int
dm_l(DmState *st, int cur)
{
	if (dm_at(st, cur + 1) == 'L')
	{
		/* Spanish "cabrillo", "gallegos" */
		if ((cur == st->len - 3 && dm_seq(st, cur - 1, "ILLO|ILLA|ALLE")) ||
			((dm_seq(st, st->last - 1, "AS|OS") || dm_in(st, st->last, "AO")) &&
			 dm_seq(st, cur - 1, "ALLE")))
			dm_emit(st, "L", "");
		else
			dm_emit(st, "L", NULL);
		return cur + 2;
	}
	dm_emit(st, "L", NULL);
	return cur + 1;
}

static int
dm_m(DmState *st, int cur)
{
	dm_emit(st, "M", NULL);
	/* "dumb", "thumb", "plumber": the B is silent */
	if ((dm_seq(st, cur - 1, "UMB") &&
		 (cur + 1 == st->last || dm_seq(st, cur + 2, "ER"))) ||
		dm_at(st, cur + 1) == 'M')
		return cur + 2;
	return cur + 1;
}

static int
dm_p(DmState *st, int cur)
{
	if (dm_at(st, cur + 1) == 'H')
	{
		dm_emit(st, "F", NULL);
		return cur + 2;
	}
	/* "Campbell", "raspberry" */
	dm_emit(st, "P", NULL);
	return dm_in(st, cur + 1, "PB") ? cur + 2 : cur + 1;
}

static int
dm_r(DmState *st, int cur)
{
	/* French "Rogier", but not "Hochmeier" */
	if (cur == st->last && !st->slavo_germanic &&
		dm_seq(st, cur - 2, "IE") && !dm_seq(st, cur - 4, "ME|MA"))
		dm_emit(st, "", "R");
	else
		dm_emit(st, "R", NULL);
	return (dm_at(st, cur + 1) == 'R') ? cur + 2 : cur + 1;
}

static int
dm_s(DmState *st, int cur)
{
	/* silent in "isle", "carlysle" */
	if (dm_seq(st, cur - 1, "ISL|YSL"))
		return cur + 1;

	/* "sugar" */
	if (cur == 0 && dm_seq(st, cur, "SUGAR"))
	{
		dm_emit(st, "X", "S");
		return cur + 1;
	}

	if (dm_seq(st, cur, "SH"))
	{
		/* Germanic */
		if (dm_seq(st, cur + 1, "HEIM|HOEK|HOLM|HOLZ"))
			dm_emit(st, "S", NULL);
		else
			dm_emit(st, "X", NULL);
		return cur + 2;
	}

	/* Italian and Armenian */
	if (dm_seq(st, cur, "SIO|SIA"))
	{
		if (!st->slavo_germanic)
			dm_emit(st, "S", "X");
		else
			dm_emit(st, "S", NULL);
		return cur + 3;
	}

	/*
	 * German and anglicised forms: "Smith" / "Schmidt", "snider" /
	 * "Schneider"; also -sz- in Slavic names.
	 */
	if ((cur == 0 && dm_in(st, cur + 1, "MNLW")) || dm_at(st, cur + 1) == 'Z')
	{
		dm_emit(st, "S", "X");
		return (dm_at(st, cur + 1) == 'Z') ? cur + 2 : cur + 1;
	}

	if (dm_seq(st, cur, "SC"))
		return dm_sc(st, cur);

	/* French "resnais", "artois" */
	if (cur == st->last && dm_seq(st, cur - 2, "AI|OI"))
		dm_emit(st, "", "S");
	else
		dm_emit(st, "S", NULL);
	return dm_in(st, cur + 1, "SZ") ? cur + 2 : cur + 1;
}

/* "SC" at cur */
static int
dm_sc(DmState *st, int cur)
{
	if (dm_at(st, cur + 2) == 'H')
	{
		/* Dutch origin: "school", "schooner" */
		if (dm_seq(st, cur + 3, "OO|ER|EN|UY|ED|EM"))
		{
			/* "Schermerhorn", "Schenker" */
			if (dm_seq(st, cur + 3, "ER|EN"))
				dm_emit(st, "X", "SK");
			else
				dm_emit(st, "SK", NULL);
			return cur + 3;
		}
		/* "Schlesinger" as against "Schwarz" / "Schaefer" */
		if (cur == 0 && !dm_vowel(st, 3) && dm_at(st, 3) != 'W')
			dm_emit(st, "X", "S");
		else
			dm_emit(st, "X", NULL);
		return cur + 3;
	}

	if (dm_in(st, cur + 2, "IEY"))
		dm_emit(st, "S", NULL);
	else
		dm_emit(st, "SK", NULL);
	return cur + 3;
}

static int
dm_t(DmState *st, int cur)
{
	if (dm_seq(st, cur, "TION|TIA|TCH"))
	{
		dm_emit(st, "X", NULL);
		return cur + 3;
	}

	if (dm_seq(st, cur, "TH|TTH"))
	{
		/* "Thomas", "Thames", and Germanic names */
		if (dm_seq(st, cur + 2, "OM|AM") || dm_seq(st, 0, "VAN |VON |SCH"))
			dm_emit(st, "T", NULL);
		else
			dm_emit(st, "0", "T");
		return cur + 2;
	}

	dm_emit(st, "T", NULL);
	return dm_in(st, cur + 1, "TD") ? cur + 2 : cur + 1;
}

static int
dm_w(DmState *st, int cur)
{
	/* "wr" sounds as "r" */
	if (dm_seq(st, cur, "WR"))
	{
		dm_emit(st, "R", NULL);
		return cur + 2;
	}

	/* "Wasserman" / "Vasserman"; "whumpf" (no return: the W is looked at
	 * again below) */
	if (cur == 0 && (dm_vowel(st, cur + 1) || dm_seq(st, cur, "WH")))
	{
		if (dm_vowel(st, cur + 1))
			dm_emit(st, "A", "F");
		else
			dm_emit(st, "A", NULL);
	}

	/* "Arnow" as "Arnoff"; Polish "-ewski"; Germanic */
	if ((cur == st->last && dm_vowel(st, cur - 1)) ||
		dm_seq(st, cur - 1, "EWSKI|EWSKY|OWSKI|OWSKY") ||
		dm_seq(st, 0, "SCH"))
	{
		dm_emit(st, "", "F");
		return cur + 1;
	}

	/* Polish "Filipowicz" */
	if (dm_seq(st, cur, "WICZ|WITZ"))
	{
		dm_emit(st, "TS", "FX");
		return cur + 4;
	}

	return cur + 1;
}

static int
dm_x(DmState *st, int cur)
{
	/* French "breaux": silent at the end after -iau, -eau, -au, -ou */
	if (!(cur == st->last &&
		  (dm_seq(st, cur - 3, "IAU|EAU") || dm_seq(st, cur - 2, "AU|OU"))))
		dm_emit(st, "KS", NULL);
	return dm_in(st, cur + 1, "CX") ? cur + 2 : cur + 1;
}

static int
dm_z(DmState *st, int cur)
{
	/* Chinese pinyin "Zhao" */
	if (dm_at(st, cur + 1) == 'H')
	{
		dm_emit(st, "J", NULL);
		return cur + 2;
	}

	if (dm_seq(st, cur + 1, "ZO|ZI|ZA") ||
		(st->slavo_germanic && cur > 0 && dm_at(st, cur - 1) != 'T'))
		dm_emit(st, "S", "TS");
	else
		dm_emit(st, "S", NULL);
	return (dm_at(st, cur + 1) == 'Z') ? cur + 2 : cur + 1;
}


/* ---- entry point ---- */

void
double_metaphone(const char *word, int len, int max_length,
				 char *primary, char *alternate)
{
	DmState		st = {0};
	int			cur = 0;
	uint32		steps = 0;

	if (word == NULL || len < 0)
		len = 0;
	if (len > DM_MAX_WORD)
		len = DM_MAX_WORD;
	if (max_length < 0)
		max_length = 0;

	st.word = word;
	st.len = len;
	st.last = len - 1;
	st.pri.buf = primary;
	st.pri.n = 0;
	st.pri.cap = max_length;
	st.alt.buf = alternate;
	st.alt.n = 0;
	st.alt.cap = max_length;
	st.slavo_germanic = dm_is_slavo_germanic(&st);

	/* silent first letter: "gnome", "knight", "pneumatic", "wright", "psycho" */
	if (dm_seq(&st, 0, "GN|KN|PN|WR|PS"))
		cur = 1;
	/* initial X sounds as S: "Xavier" */
	else if (dm_at(&st, 0) == 'X')
	{
		dm_emit(&st, "S", NULL);
		cur = 1;
	}

	while (cur < st.len &&
		   (st.pri.n < st.pri.cap || st.alt.n < st.alt.cap))
	{
		if ((++steps & 0xFFFFF) == 0)
			CHECK_FOR_INTERRUPTS(); /* a long run of vowels or punctuation */
		switch (dm_at(&st, cur))
		{
			case 'A':
			case 'E':
			case 'I':
			case 'O':
			case 'U':
			case 'Y':
				/* vowels only count at the start, all as A */
				if (cur == 0)
					dm_emit(&st, "A", NULL);
				cur++;
				break;
			case 'B':
				cur = dm_b(&st, cur);
				break;
			case 'C':
				cur = dm_c(&st, cur);
				break;
			case 'D':
				cur = dm_d(&st, cur);
				break;
			case 'F':
				cur = dm_simple(&st, cur, "F");
				break;
			case 'G':
				cur = dm_g(&st, cur);
				break;
			case 'H':
				cur = dm_h(&st, cur);
				break;
			case 'J':
				cur = dm_j(&st, cur);
				break;
			case 'K':
				cur = dm_simple(&st, cur, "K");
				break;
			case 'L':
				cur = dm_l(&st, cur);
				break;
			case 'M':
				cur = dm_m(&st, cur);
				break;
			case 'N':
				cur = dm_simple(&st, cur, "N");
				break;
			case 'P':
				cur = dm_p(&st, cur);
				break;
			case 'Q':
				cur = dm_simple(&st, cur, "K");
				break;
			case 'R':
				cur = dm_r(&st, cur);
				break;
			case 'S':
				cur = dm_s(&st, cur);
				break;
			case 'T':
				cur = dm_t(&st, cur);
				break;
			case 'V':
				cur = dm_simple(&st, cur, "F");
				break;
			case 'W':
				cur = dm_w(&st, cur);
				break;
			case 'X':
				cur = dm_x(&st, cur);
				break;
			case 'Z':
				cur = dm_z(&st, cur);
				break;
			default:
				/* non-letters, and bytes >= 0x80, give no code */
				cur++;
				break;
		}
	}

	primary[st.pri.n] = '\0';
	alternate[st.alt.n] = '\0';
}
