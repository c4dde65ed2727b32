/*
 * ukid.c
 *		UK identifiers: postcodes (parse, normalise, parts, agreement), NHS
 *		numbers (modulus 11), National Insurance numbers (HMRC's rules) and
 *		DfE unique pupil numbers (check letter).
 *
 * None of these raises an error on any input: a value that cannot be read
 * is invalid (false) or has no parts (NULL).  They are LEAKPROOF.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"

#include "match/ukid.h"

PG_FUNCTION_INFO_V1(match_postcode_normalise);
PG_FUNCTION_INFO_V1(match_postcode_is_valid);
PG_FUNCTION_INFO_V1(match_postcode_area);
PG_FUNCTION_INFO_V1(match_postcode_district);
PG_FUNCTION_INFO_V1(match_postcode_sector);
PG_FUNCTION_INFO_V1(match_postcode_agreement);
PG_FUNCTION_INFO_V1(match_nhs_number_is_valid);
PG_FUNCTION_INFO_V1(match_ni_number_is_valid);
PG_FUNCTION_INFO_V1(match_upn_is_valid);

static inline bool
is_alpha(char c)
{
	return c >= 'A' && c <= 'Z';
}

static inline bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static inline bool
in_set(char c, const char *set)
{
	return c != '\0' && strchr(set, c) != NULL;
}

/*
 * Copies s to out upper-cased, dropping spaces (and, if drop_hyphens, '-');
 * false if the result would not fit in outlen - 1 bytes or a byte is not
 * ASCII.
 */
static bool
squeeze(const char *s, int len, char *out, int outlen, bool drop_hyphens)
{
	int			k = 0;

	for (int i = 0; i < len; i++)
	{
		char		c = s[i];

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || (drop_hyphens && c == '-'))
			continue;
		if ((unsigned char) c >= 0x80 || k >= outlen - 1)
			return false;
		out[k++] = (c >= 'a' && c <= 'z') ? c - ('a' - 'A') : c;
	}
	out[k] = '\0';
	return true;
}

/*
 * Parses a postcode in any spacing and case.  The six formats of the Royal
 * Mail (A9 9AA, A99 9AA, AA9 9AA, AA99 9AA, A9A 9AA, AA9A 9AA) with their
 * letter rules, and GIR 0AA:
 *   first letter not Q, V, X; second letter not I, J, Z;
 *   third-position letter (A9A) one of A B C D E F G H J K P S T U W;
 *   fourth-position letter (AA9A) one of A B E H M N P R V W X Y;
 *   inward code: a digit and two letters, neither C I K M O V.
 */
bool
postcode_parse(const char *s, int len, Postcode *pc)
{
	char		buf[16];
	int			n,
				out;

	if (!squeeze(s, len, buf, sizeof(buf), false))
		return false;
	n = strlen(buf);
	if (n < 5 || n > 7)
		return false;
	if (strcmp(buf, "GIR0AA") == 0)
	{
		strcpy(pc->outward, "GIR");
		strcpy(pc->inward, "0AA");
		pc->area_len = 3;
		return true;
	}
	out = n - 3;
	/* inward */
	if (!is_digit(buf[out]) || !is_alpha(buf[out + 1]) || !is_alpha(buf[out + 2]) ||
		in_set(buf[out + 1], "CIKMOV") || in_set(buf[out + 2], "CIKMOV"))
		return false;
	/* outward */
	if (!is_alpha(buf[0]) || in_set(buf[0], "QVX"))
		return false;
	if (is_digit(buf[1]))
	{
		pc->area_len = 1;
		if (out == 2)
			;					/* A9 */
		else if (out == 3 && is_digit(buf[2]))
			;					/* A99 */
		else if (out == 3 && in_set(buf[2], "ABCDEFGHJKPSTUW"))
			;					/* A9A */
		else
			return false;
	}
	else if (is_alpha(buf[1]) && !in_set(buf[1], "IJZ") && out >= 3 && is_digit(buf[2]))
	{
		pc->area_len = 2;
		if (out == 3)
			;					/* AA9 */
		else if (out == 4 && is_digit(buf[3]))
			;					/* AA99 */
		else if (out == 4 && in_set(buf[3], "ABEHMNPRVWXY"))
			;					/* AA9A */
		else
			return false;
	}
	else
		return false;
	memcpy(pc->outward, buf, out);
	pc->outward[out] = '\0';
	memcpy(pc->inward, buf + out, 3);
	pc->inward[3] = '\0';
	return true;
}

const char *
postcode_agreement_level(const Postcode *a, const Postcode *b)
{
	if (strcmp(a->outward, b->outward) == 0)
	{
		if (strcmp(a->inward, b->inward) == 0)
			return "unit";
		if (a->inward[0] == b->inward[0])
			return "sector";
		return "district";
	}
	if (a->area_len == b->area_len && memcmp(a->outward, b->outward, a->area_len) == 0)
		return "area";
	return "none";
}

#define GET_POSTCODE(argno, pc) \
	text	   *t_##pc = PG_GETARG_TEXT_PP(argno); \
	Postcode	pc; \
	if (!postcode_parse(VARDATA_ANY(t_##pc), VARSIZE_ANY_EXHDR(t_##pc), &pc)) \
		PG_RETURN_NULL()

Datum
match_postcode_normalise(PG_FUNCTION_ARGS)
{
	char		buf[16];

	GET_POSTCODE(0, pc);
	snprintf(buf, sizeof(buf), "%s %s", pc.outward, pc.inward);
	PG_RETURN_TEXT_P(cstring_to_text(buf));
}

Datum
match_postcode_is_valid(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	Postcode	pc;

	PG_RETURN_BOOL(postcode_parse(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), &pc));
}

Datum
match_postcode_area(PG_FUNCTION_ARGS)
{
	GET_POSTCODE(0, pc);
	PG_RETURN_TEXT_P(cstring_to_text_with_len(pc.outward, pc.area_len));
}

Datum
match_postcode_district(PG_FUNCTION_ARGS)
{
	GET_POSTCODE(0, pc);
	PG_RETURN_TEXT_P(cstring_to_text(pc.outward));
}

Datum
match_postcode_sector(PG_FUNCTION_ARGS)
{
	char		buf[16];

	GET_POSTCODE(0, pc);
	snprintf(buf, sizeof(buf), "%s %c", pc.outward, pc.inward[0]);
	PG_RETURN_TEXT_P(cstring_to_text(buf));
}

Datum
match_postcode_agreement(PG_FUNCTION_ARGS)
{
	GET_POSTCODE(0, a);
	{
		GET_POSTCODE(1, b);
		PG_RETURN_TEXT_P(cstring_to_text(postcode_agreement_level(&a, &b)));
	}
}

/*
 * NHS number: ten digits (spaces and hyphens between them are allowed, as
 * in "943 476 5919"); the tenth is the check digit: 11 minus the sum of the
 * first nine weighted 10 down to 2, modulo 11, where 11 becomes 0 and 10
 * means the number is not valid.
 */
bool
nhs_number_valid(const char *s, int len)
{
	char		buf[16];
	int			sum = 0,
				check;

	if (!squeeze(s, len, buf, sizeof(buf), true) || strlen(buf) != 10)
		return false;
	for (int i = 0; i < 10; i++)
		if (!is_digit(buf[i]))
			return false;
	for (int i = 0; i < 9; i++)
		sum += (buf[i] - '0') * (10 - i);
	check = 11 - sum % 11;
	if (check == 11)
		check = 0;
	return check != 10 && check == buf[9] - '0';
}

Datum
match_nhs_number_is_valid(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);

	PG_RETURN_BOOL(nhs_number_valid(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t)));
}

/*
 * National Insurance number (HMRC NIM39110): two prefix letters, six digits,
 * a suffix A, B, C or D.  Neither prefix letter is D, F, I, Q, U or V; the
 * second is not O; the prefixes BG, GB, KN, NK, NT, TN and ZZ are not
 * allocated.  Spaces are ignored ("QQ 12 34 56 C"), case too.
 */
Datum
match_ni_number_is_valid(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	char		b[16];
	static const char *const banned[] = {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"};

	if (!squeeze(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), b, sizeof(b), false) ||
		strlen(b) != 9)
		PG_RETURN_BOOL(false);
	if (!is_alpha(b[0]) || !is_alpha(b[1]) || in_set(b[0], "DFIQUV") ||
		in_set(b[1], "DFIQUVO"))
		PG_RETURN_BOOL(false);
	for (int i = 0; i < (int) lengthof(banned); i++)
		if (b[0] == banned[i][0] && b[1] == banned[i][1])
			PG_RETURN_BOOL(false);
	for (int i = 2; i < 8; i++)
		if (!is_digit(b[i]))
			PG_RETURN_BOOL(false);
	PG_RETURN_BOOL(in_set(b[8], "ABCD"));
}

/*
 * Unique pupil number (DfE, "Unique pupil numbers (UPNs): guidance"): a check
 * letter then twelve characters: LA code (3 digits), establishment number
 * (4), year of allocation (2), serial (3); a temporary UPN has a letter as
 * its last character.  The check letter is the sum over characters 2 to 13
 * of value times position, modulo 23, as a letter of
 * ABCDEFGHJKLMNPQRTUVWXYZ; a letter's value is its place in that alphabet
 * (A = 0).
 */
Datum
match_upn_is_valid(PG_FUNCTION_ARGS)
{
	static const char letters[] = "ABCDEFGHJKLMNPQRTUVWXYZ";
	text	   *t = PG_GETARG_TEXT_PP(0);
	char		b[16];
	int			sum = 0;
	const char *p;

	if (!squeeze(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), b, sizeof(b), false) ||
		strlen(b) != 13)
		PG_RETURN_BOOL(false);
	for (int i = 2; i <= 12; i++)
	{
		if (!is_digit(b[i - 1]))
			PG_RETURN_BOOL(false);
		sum += (b[i - 1] - '0') * i;
	}
	if (is_digit(b[12]))
		sum += (b[12] - '0') * 13;
	else if ((p = strchr(letters, b[12])) != NULL && *p)
		sum += (int) (p - letters) * 13;
	else
		PG_RETURN_BOOL(false);
	PG_RETURN_BOOL(b[0] != '\0' && b[0] == letters[sum % 23]);
}
