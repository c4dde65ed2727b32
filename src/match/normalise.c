/*
 * normalise.c
 *		normalise_name(): any script to lower-case ASCII Latin.
 *
 * Pure-ASCII input (most names in council systems) takes a single pass that
 * never touches ICU.  Anything else is transliterated by ICU, with one
 * transliterator per backend, opened at first use and kept: final
 * consonants of Indic scripts lose their inherent vowel (rules below), then
 *
 *   Any-Latin; NFD; [:Nonspacing Mark:] Remove; NFC; Latin-ASCII
 *
 * (Gujarati, Arabic, Bengali, Cyrillic, Greek, Devanagari... to Latin, then
 * accents and combining marks removed, then Latin letters without an ASCII
 * form folded: ß to ss, Ł to L, Æ to AE).  The ASCII pass then lower-cases,
 * drops apostrophes (O'Brien -> obrien), keeps hyphens as token boundaries
 * (smith-jones), turns any other punctuation into a space, collapses spaces,
 * and removes titles and suffixes (Mr, Mrs, Ms, Miss, Mx, Dr, Prof, Sir,
 * Dame, Rev, Revd, Fr, Jr, Jnr, Sr, Snr, II, III, IV, Esq).  Characters with
 * no Latin transliteration (emoji, symbols) are dropped.
 *
 * IMMUTABLE like a collation: the result depends on the ICU version, so an
 * index on normalise_name() should be rebuilt after an ICU upgrade.
 */
#include "postgres.h"

#include <unicode/ustring.h>
#include <unicode/utrans.h>

#include "common/hashfn.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "match/normalise.h"

PG_FUNCTION_INFO_V1(match_normalise_name);

/*
 * Rules run before Any-Latin: a consonant that ends a word in an Indic
 * script with an inherent vowel gets a virama, so that ICU does not write the
 * vowel that speakers do not say (રાજેશ -> rajes, not rajesa; মোহাম্মদ ->
 * mohammad), and nasal signs are written n; a few letters are written as
 * names are spelt in English (below).  Then the standard chain.
 */
#define INDIC_FINAL(cons, block, virama) \
	"(" cons ") } [^" block "] > $1 " virama " ; (" cons ") } $ > $1 " virama " ; "

static const char transliteration_rules[] =
	/*
	 * Sinhala, which ICU does not transliterate, as the Devanagari letters
	 * of the same sounds (then treated as Devanagari); joiners dropped
	 */
	"\\u0D9A > \\u0915 ; \\u0D9B > \\u0916 ; \\u0D9C > \\u0917 ; \\u0D9D > \\u0918 ; "
	"\\u0D9E > \\u0919 ; \\u0DA0 > \\u091A ; \\u0DA1 > \\u091B ; \\u0DA2 > \\u091C ; "
	"\\u0DA3 > \\u091D ; \\u0DA4 > \\u091E ; \\u0DA7 > \\u091F ; \\u0DA8 > \\u0920 ; "
	"\\u0DA9 > \\u0921 ; \\u0DAA > \\u0922 ; \\u0DAB > \\u0923 ; \\u0DAD > \\u0924 ; "
	"\\u0DAE > \\u0925 ; \\u0DAF > \\u0926 ; \\u0DB0 > \\u0927 ; \\u0DB1 > \\u0928 ; "
	"\\u0DB4 > \\u092A ; \\u0DB5 > \\u092B ; \\u0DB6 > \\u092C ; \\u0DB7 > \\u092D ; "
	"\\u0DB8 > \\u092E ; \\u0DBA > \\u092F ; \\u0DBB > \\u0930 ; \\u0DBD > \\u0932 ; "
	"\\u0DC0 > \\u0935 ; \\u0DC1 > \\u0936 ; \\u0DC2 > \\u0937 ; \\u0DC3 > \\u0938 ; "
	"\\u0DC4 > \\u0939 ; \\u0DC5 > \\u0933 ; \\u0DC6 > \\u092B ; \\u0DCF > \\u093E ; "
	"\\u0DD0 > \\u0947 ; \\u0DD1 > \\u0947 ; \\u0DD2 > \\u093F ; \\u0DD3 > \\u0940 ; "
	"\\u0DD4 > \\u0941 ; \\u0DD6 > \\u0942 ; \\u0DD8 > \\u0943 ; \\u0DD9 > \\u0947 ; "
	"\\u0DDA > \\u0947 ; \\u0DDB > \\u0948 ; \\u0DDC > \\u094B ; \\u0DDD > \\u094B ; "
	"\\u0DDE > \\u094C ; \\u0DF2 > \\u0944 ; \\u0DCA > \\u094D ; \\u0D82 > \\u0902 ; "
	"\\u0D83 > \\u0903 ; \\u0D85 > \\u0905 ; \\u0D86 > \\u0906 ; \\u0D87 > \\u0905 ; "
	"\\u0D88 > \\u0906 ; \\u0D89 > \\u0907 ; \\u0D8A > \\u0908 ; \\u0D8B > \\u0909 ; "
	"\\u0D8C > \\u090A ; \\u0D8D > \\u090B ; \\u0D91 > \\u090F ; \\u0D92 > \\u090F ; "
	"\\u0D93 > \\u0910 ; \\u0D94 > \\u0913 ; \\u0D95 > \\u0913 ; \\u0D96 > \\u0914 ; "
	"[\\u200C\\u200D] > ; :: Null ; "
	/* nasal signs (anusvara, tippi, bindi) as n: ਸਿੰਘ -> singh */
	"[\\u0902\\u0982\\u0A02\\u0A70\\u0A82] > n ; "
	INDIC_FINAL("[\\u0915-\\u0939]", "\\u0900-\\u097F", "\\u094D")	/* Devanagari */
	INDIC_FINAL("[\\u0995-\\u09B9]", "\\u0980-\\u09FF", "\\u09CD")	/* Bengali */
	INDIC_FINAL("[\\u0A15-\\u0A39]", "\\u0A00-\\u0A7F", "\\u0A4D")	/* Gurmukhi */
	INDIC_FINAL("[\\u0A95-\\u0AB9]", "\\u0A80-\\u0AFF", "\\u0ACD")	/* Gujarati */
	/* Tamil ca is s in names written in English (Suresh, Selvaraja) */
	"\\u0B9A > \\u0BB8 ; "
	/* Arabic script: final ta marbuta is not said (Fatima, not fatmt); tha
	 * is s in the Urdu, Persian and Somali names of the borough (Usman) */
	"\\u0629 } [^\\u0600-\\u06FF] > ; \\u0629 } $ > ; \\u062B > s ; "
	/* Urdu and Pashto letters ICU leaves out: retroflex t, d, r; Pashto g, r, y */
	"\\u0679 > t ; \\u0688 > d ; \\u0691 > r ; \\u06AB > g ; \\u0693 > r ; \\u06CD > y ; "
	":: Any-Latin ; "
	/* ayn, which ICU writes as a modifier letter, begins Ali, Omar, Abdul */
	"\\u02BF > a ; "
":: NFD ; :: [:Nonspacing Mark:] Remove ; :: NFC ; :: Latin-ASCII ;";

static UTransliterator *transliterator = NULL;

static const char *const removed_words[] = {
	"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "rev", "revd", "fr",
	"jr", "jnr", "sr", "snr", "ii", "iii", "iv", "esq"
};

static bool
removed_word(const char *w, int len)
{
	if (len < 2 || len > 4)
		return false;
	for (int i = 0; i < (int) lengthof(removed_words); i++)
		if ((int) strlen(removed_words[i]) == len && memcmp(removed_words[i], w, len) == 0)
			return true;
	return false;
}

/*
 * The ASCII pass.  Writes at most len bytes to out (which has len + 1) and
 * returns the length written.  Non-ASCII bytes are dropped.
 */
int
normalise_ascii(const char *s, int len, char *out)
{
	int			n = 0;
	int			word_start = 0;	/* start of the current space-separated word */
	bool		pending_space = false;

	for (int i = 0; i <= len; i++)
	{
		unsigned char c = (i < len) ? (unsigned char) s[i] : ' ';

		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
		{
			if (pending_space && n > 0 && out[n - 1] != '-')
			{
				out[n++] = ' ';
				word_start = n;
			}
			else if (n == 0)
				word_start = 0; /* the first word (after leading spaces or a removed title) */
			pending_space = false;
			out[n++] = (char) c;
		}
		else if (c == '\'' || c >= 0x80)
			continue;			/* apostrophes join; unknown bytes vanish */
		else if (c == '-')
		{
			/* a hyphen between two parts of a name; never doubled or leading */
			if (n > 0 && out[n - 1] != '-' && out[n - 1] != ' ')
				out[n++] = '-';
			pending_space = false;
		}
		else
		{
			/* end of a word: drop it if it is a title or suffix */
			if (n > word_start && !pending_space)
			{
				int			wlen = n - word_start;

				if (out[n - 1] == '-')
					wlen--;
				if (memchr(out + word_start, '-', wlen) == NULL &&
					removed_word(out + word_start, wlen))
				{
					n = word_start;
					if (n > 0)
						n--;	/* the space before it */
				}
			}
			if (n > 0 && out[n - 1] == '-')
				n--;			/* a hyphen that joins nothing */
			pending_space = true;
			word_start = n + 1;
		}
	}
	/* no trailing hyphen */
	while (n > 0 && (out[n - 1] == '-' || out[n - 1] == ' '))
		n--;
	/* a word removed at the start leaves a leading space */
	if (n > 0 && out[0] == ' ')
	{
		memmove(out, out + 1, n - 1);
		n--;
	}
	out[n] = '\0';
	return n;
}

static UTransliterator *
get_transliterator(void)
{
	if (transliterator == NULL)
	{
		UErrorCode	status = U_ZERO_ERROR;
		UParseError perr;
		UChar		id[] = {'b', 'r', 'e', 'n', 't', '-', 'n', 'a', 'm', 'e', 's', 0};
		UChar	   *rules = palloc(sizeof(UChar) * sizeof(transliteration_rules));

		u_uastrcpy(rules, transliteration_rules);
		transliterator = utrans_openU(id, -1, UTRANS_FORWARD, rules, -1, &perr, &status);
		pfree(rules);
		if (U_FAILURE(status) || transliterator == NULL)
		{
			transliterator = NULL;
			ereport(ERROR,
					(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
					 errmsg("could not open the ICU transliterator of normalise_name: %s",
							u_errorName(status)),
					 errdetail("Rule error at line %d, offset %d.", perr.line, perr.offset)));
		}
	}
	return transliterator;
}

static void
icu_check(UErrorCode status, const char *what)
{
	if (U_FAILURE(status))
		ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
				 errmsg("ICU %s failed in normalise_name: %s", what, u_errorName(status))));
}

/* Transliterates UTF-8 text to ASCII Latin (before the ASCII pass). */
static char *
transliterate(const char *utf8, int len, int *outlen)
{
	UTransliterator *tr = get_transliterator();
	UErrorCode	status = U_ZERO_ERROR;
	int32		ulen;
	int32		capacity;
	UChar	   *ubuf;
	char	   *result;
	int32		rlen;

	u_strFromUTF8(NULL, 0, &ulen, utf8, len, &status);
	if (status != U_BUFFER_OVERFLOW_ERROR)
		icu_check(status, "conversion from UTF-8");
	/* room to grow: Latin is usually longer than the script it comes from */
	capacity = ulen * 4 + 16;
	for (;;)
	{
		int32		textlen,
					limit;

		status = U_ZERO_ERROR;
		ubuf = palloc(sizeof(UChar) * capacity);
		u_strFromUTF8(ubuf, capacity, &textlen, utf8, len, &status);
		icu_check(status, "conversion from UTF-8");
		limit = textlen;
		utrans_transUChars(tr, ubuf, &textlen, capacity, 0, &limit, &status);
		if (status == U_BUFFER_OVERFLOW_ERROR && capacity < ulen * 64 + 1024)
		{
			pfree(ubuf);
			capacity *= 4;
			continue;
		}
		icu_check(status, "transliteration");
		ulen = textlen;
		break;
	}
	status = U_ZERO_ERROR;
	u_strToUTF8(NULL, 0, &rlen, ubuf, ulen, &status);
	if (status != U_BUFFER_OVERFLOW_ERROR)
		icu_check(status, "conversion to UTF-8");
	result = palloc(rlen + 1);
	status = U_ZERO_ERROR;
	u_strToUTF8(result, rlen + 1, &rlen, ubuf, ulen, &status);
	icu_check(status, "conversion to UTF-8");
	pfree(ubuf);
	*outlen = rlen;
	return result;
}

/*
 * Transliteration costs microseconds and names repeat (the borough has many
 * Mohammeds), so each word is transliterated on its own and each backend
 * keeps recent words in a direct-mapped cache: the slot is chosen by a hash
 * of the bytes, a new word replaces what was there.
 */
#define TCACHE_SLOTS 4096
#define TCACHE_KEY 64
#define TCACHE_VALUE 128

typedef struct TCacheEntry
{
	int16		klen;			/* -1: empty */
	int16		vlen;
	char		key[TCACHE_KEY];
	char		value[TCACHE_VALUE];
} TCacheEntry;

static TCacheEntry *tcache = NULL;

/*
 * ICU replaces text in place, moving what follows at each replacement, so
 * one call costs the square of its length.  Words are transliterated in
 * pieces of at most this many bytes (cut between characters): linear time
 * on any input.  No name has a word this long; in a longer one, a piece's
 * end is taken as the end of a word by the context rules above.
 */
#define TRANSLITERATE_PIECE 256

/* Appends the transliteration of len bytes (server encoding) to buf. */
static void
transliterate_piece(StringInfo buf, const char *s, int len)
{
	TCacheEntry *slot = NULL;
	const char *utf8 = s;
	int			ulen = len;
	char	   *out;
	int			outlen;

	if (len <= TCACHE_KEY)
	{
		if (tcache == NULL)
		{
			tcache = MemoryContextAlloc(TopMemoryContext, sizeof(TCacheEntry) * TCACHE_SLOTS);
			for (int i = 0; i < TCACHE_SLOTS; i++)
				tcache[i].klen = -1;
		}
		slot = &tcache[hash_bytes((const unsigned char *) s, len) % TCACHE_SLOTS];
		if (slot->klen == len && memcmp(slot->key, s, len) == 0)
		{
			appendBinaryStringInfo(buf, slot->value, slot->vlen);
			return;
		}
	}
	if (GetDatabaseEncoding() == PG_SQL_ASCII)
	{
		/*
		 * Bytes of no declared encoding: read as UTF-8 if they are UTF-8
		 * (what clients send), else dropped, as the ASCII pass drops them.
		 * (The install script refuses SQL_ASCII databases; this is for a
		 * function declared by hand.)
		 */
		if (!pg_verify_mbstr(PG_UTF8, s, len, true))
			return;
	}
	else if (GetDatabaseEncoding() != PG_UTF8)
	{
		/* a new NUL-terminated string, or s itself when nothing changes */
		utf8 = (const char *) pg_do_encoding_conversion((unsigned char *) s, len,
														GetDatabaseEncoding(), PG_UTF8);
		if (utf8 != s)
			ulen = strlen(utf8);
	}
	out = transliterate(utf8, ulen, &outlen);
	appendBinaryStringInfo(buf, out, outlen);
	if (slot != NULL && outlen <= TCACHE_VALUE)
	{
		slot->klen = len;
		memcpy(slot->key, s, len);
		slot->vlen = outlen;
		memcpy(slot->value, out, outlen);
	}
	pfree(out);
	if (utf8 != s)
		pfree((void *) utf8);
}

/* Appends the transliteration of one word (server encoding) to buf. */
static void
transliterate_word(StringInfo buf, const char *s, int len)
{
	while (len > TRANSLITERATE_PIECE)
	{
		int			piece = 0;

		/* whole characters, at least one */
		for (;;)
		{
			int			l = pg_mblen(s + piece);

			if (piece > 0 && piece + l > TRANSLITERATE_PIECE)
				break;
			piece += Min(l, len - piece);
			if (piece >= len)
				break;
		}
		CHECK_FOR_INTERRUPTS();
		transliterate_piece(buf, s, piece);
		s += piece;
		len -= piece;
	}
	transliterate_piece(buf, s, len);
}

static inline bool
word_byte(unsigned char c)
{
	return c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9') || c == '\'';
}

/* Normalised form of len bytes (server encoding) as a palloc'd C string. */
char *
normalise_name_cstring(const char *s, int len, int *outlen)
{
	char	   *out;
	StringInfoData buf;

	for (int i = 0; i < len; i++)
		if ((unsigned char) s[i] >= 0x80)
		{
			/* words with non-ASCII letters are transliterated one by one */
			initStringInfo(&buf);
			for (int w = 0; w < len;)
			{
				int			start = w;
				bool		ascii = true;

				CHECK_FOR_INTERRUPTS();

				if (!word_byte((unsigned char) s[w]))
				{
					appendStringInfoChar(&buf, s[w++]);
					continue;
				}
				while (w < len && word_byte((unsigned char) s[w]))
				{
					if ((unsigned char) s[w] >= 0x80)
						ascii = false;
					w++;
				}
				if (ascii)
					appendBinaryStringInfo(&buf, s + start, w - start);
				else
					transliterate_word(&buf, s + start, w - start);
			}
			out = palloc(buf.len + 1);
			*outlen = normalise_ascii(buf.data, buf.len, out);
			pfree(buf.data);
			return out;
		}
	out = palloc(len + 1);
	*outlen = normalise_ascii(s, len, out);
	return out;
}

Datum
match_normalise_name(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	const char *s = VARDATA_ANY(t);
	int			len = VARSIZE_ANY_EXHDR(t);
	text	   *result;

	/* the fast path: ASCII straight into the result */
	for (int i = 0; i < len; i++)
		if ((unsigned char) s[i] >= 0x80)
		{
			int			outlen;
			char	   *out = normalise_name_cstring(s, len, &outlen);

			PG_RETURN_TEXT_P(cstring_to_text_with_len(out, outlen));
		}
	result = (text *) palloc(VARHDRSZ + len + 1);
	SET_VARSIZE(result, VARHDRSZ + normalise_ascii(s, len, VARDATA(result)));
	PG_RETURN_TEXT_P(result);
}
