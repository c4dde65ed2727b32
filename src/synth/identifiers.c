/*
 * identifiers.c
 *		Valid, unique UK identifiers for synthetic people.
 *
 * NHS numbers: ten digits, the tenth a modulus 11 check digit over the
 *   first nine with weights 10..2; 11 becomes 0 and a result of 10 means
 *   the nine digits cannot be used.  England issues 400 000 000 - 499 999 999
 *   and 600 000 000 - 799 999 999 as the first nine digits.
 * National Insurance numbers: two prefix letters, six digits, suffix A-D.
 *   Neither letter is D, F, I, Q, U or V; the second is not O; BG, GB, KN,
 *   NK, NT, TN and ZZ are not allocated.
 * Unique pupil numbers (DfE): check letter, LA code (3 digits), DfE
 *   establishment number (4), two digits of the year of allocation and a
 *   3-digit serial.  The check letter is sum(digit_i * i) for characters
 *   2..13 modulo 23, as a letter of ABCDEFGHJKLMNPQRTUVWXYZ.
 *
 * Uniqueness comes from bijections of the person number, never from luck.
 */
#include "postgres.h"

#include "synth/borough.h"

/* Affine bijection of [0, n) (a coprime to n). */
static uint64
permute(uint64 x, uint64 a, uint64 b, uint64 n)
{
	return (x % n * a + b) % n;
}

uint64
synth_nhs_number(uint64 person_index)
{
	/* last eight of the nine digits: a permutation of the person number */
	uint64		tail = permute(person_index, 48271, 12345678, 100000000);
	static const int leads[] = {4, 6, 7};

	for (int i = 0; i < 3; i++)
	{
		uint64		nine = leads[i] * UINT64CONST(100000000) + tail;
		int			sum = 0;
		uint64		v = nine;
		int			check;

		for (int weight = 2; weight <= 10; weight++)
		{
			sum += (int) (v % 10) * weight;
			v /= 10;
		}
		check = 11 - sum % 11;
		if (check == 11)
			check = 0;
		if (check != 10)
			return nine * 10 + check;
	}
	/* 4xx and 6xx differ by 9 mod 11, so one of them always works */
	elog(ERROR, "no valid NHS number for person %llu",
		 (unsigned long long) person_index);
	return 0;
}

void
synth_ni_number(uint64 person_index, char *out)
{
	static char prefixes[400][3];
	static int	nprefixes = 0;
	uint64		n,
				x;

	if (nprefixes == 0)
	{
		const char *first = "ABCEGHJKLMNOPRSTWXYZ";
		const char *second = "ABCEGHJKLMNPRSTWXYZ";
		static const char *const banned[] = {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"};

		for (const char *a = first; *a; a++)
			for (const char *b = second; *b; b++)
			{
				bool		ok = true;

				for (int i = 0; i < (int) lengthof(banned); i++)
					if (banned[i][0] == *a && banned[i][1] == *b)
						ok = false;
				if (ok)
				{
					prefixes[nprefixes][0] = *a;
					prefixes[nprefixes][1] = *b;
					prefixes[nprefixes][2] = '\0';
					nprefixes++;
				}
			}
	}
	n = (uint64) nprefixes * 1000000;
	/* 7919 is prime and does not divide 10^6 * nprefixes (nprefixes < 400) */
	x = permute(person_index, 7919, 424242, n);
	snprintf(out, 10, "%s%06d%c", prefixes[x / 1000000], (int) (x % 1000000),
			 "ABCD"[person_index % 4]);
}

void
synth_upn(int la, int estab, int year2, int serial, char *out)
{
	static const char letters[] = "ABCDEFGHJKLMNPQRTUVWXYZ";
	int			sum = 0;

	snprintf(out + 1, 13, "%03d%04d%02d%03d", la, estab, year2, serial);
	for (int i = 2; i <= 13; i++)
		sum += (out[i - 1] - '0') * i;
	out[0] = letters[sum % 23];
}
