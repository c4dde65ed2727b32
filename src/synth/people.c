/*
 * people.c
 *		How source systems write people down (see people.h): the error model.
 */
#include "postgres.h"

#include "mb/pg_wchar.h"
#include "utils/datetime.h"

#include "synth/people.h"

DateADT
synth_date(int y, int m, int d)
{
	return date2j(y, m, d) - POSTGRES_EPOCH_JDATE;
}

void
date_parts(DateADT d, int *y, int *m, int *day)
{
	j2date(d + POSTGRES_EPOCH_JDATE, y, m, day);
}

int
age_at(DateADT dob, DateADT t)
{
	int			y1,
				m1,
				d1,
				y2,
				m2,
				d2;

	date_parts(dob, &y1, &m1, &d1);
	date_parts(t, &y2, &m2, &d2);
	return y2 - y1 - ((m2 < m1 || (m2 == m1 && d2 < d1)) ? 1 : 0);
}

void
legal_name(const NameRef *n, char *buf)
{
	buf[0] = '\0';
	if (n->spec == NULL)
		return;
	if (n->form < 0 || !name_part_item(n->spec, NAME_ALTS, n->form, buf, NAME_BUF))
		name_part_item(n->spec, NAME_LATIN, 0, buf, NAME_BUF);
}

static bool
is_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char) *s >= 0x80)
			return false;
	return true;
}

/* One keyboard slip: substitution, deletion, insertion or transposition. */
static void
typo(SynthRng *r, char *s)
{
	int			len = (int) strlen(s);
	int			pos;
	char		c = 'a' + rng_int(r, 26);

	if (len < 3 || !is_ascii(s))
		return;
	pos = 1 + rng_int(r, len - 1);	/* keep the first letter, as people do */
	switch (rng_int(r, 4))
	{
		case 0:
			if (s[pos] != ' ' && s[pos] != '-')
				s[pos] = c;
			break;
		case 1:
			memmove(s + pos, s + pos + 1, len - pos);
			break;
		case 2:
			if (len + 1 < NAME_BUF)
			{
				memmove(s + pos + 1, s + pos, len - pos + 1);
				s[pos] = s[pos - 1] == ' ' ? c : s[pos - 1];	/* doubled letter */
			}
			break;
		default:
			if (pos + 1 < len && s[pos] != ' ' && s[pos + 1] != ' ')
			{
				char		t = s[pos];

				s[pos] = s[pos + 1];
				s[pos + 1] = t;
			}
			break;
	}
}

/*
 * Upper case in place, as a system keeping names in capitals does: ASCII,
 * Latin-1 and the Latin Extended letters of the borough's names (Polish,
 * Romanian, Portuguese...); other scripts have no case and are left alone.
 * Every mapping keeps the UTF-8 length, so the string never grows.
 */
void
synth_upper(char *s)
{
	unsigned char *p = (unsigned char *) s;

	while (*p)
	{
		if (*p < 0x80)
		{
			if (*p >= 'a' && *p <= 'z')
				*p -= 'a' - 'A';
			p++;
		}
		else if ((*p & 0xE0) == 0xC0 && (p[1] & 0xC0) == 0x80)
		{
			int			cp = ((p[0] & 0x1F) << 6) | (p[1] & 0x3F);
			int			up = cp;

			if (cp >= 0xE0 && cp <= 0xFE && cp != 0xF7)
				up = cp - 0x20;
			else if ((cp >= 0x100 && cp <= 0x137) || (cp >= 0x14A && cp <= 0x177) ||
					 (cp >= 0x200 && cp <= 0x21F))
				up = cp & ~1;
			else if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E))
				up = (cp % 2 == 0) ? cp - 1 : cp;
			p[0] = 0xC0 | (up >> 6);
			p[1] = 0x80 | (up & 0x3F);
			p += 2;
		}
		else
			p += Max(1, pg_utf_mblen(p));
	}
}

/* The name as this system has it: a spelling, maybe another, maybe a slip. */
static void
render_part(SynthRng *r, const Profile *pf, const NameRef *n, bool given, char *out)
{
	int			nalts = name_part_count(n->spec, NAME_ALTS);
	int			nnicks = given ? name_part_count(n->spec, NAME_NICKS) : 0;

	if (rng_chance(r, pf->native) &&
		name_part_item(n->spec, NAME_NATIVE, 0, out, NAME_BUF))
		return;
	legal_name(n, out);
	if (nalts > 0 && rng_chance(r, pf->variant))
	{
		int			form = (int) rng_int(r, nalts + 1) - 1;

		if (form == n->form)
			form = (form + 2) % (nalts + 1) - 1;
		if (form < 0)
			name_part_item(n->spec, NAME_LATIN, 0, out, NAME_BUF);
		else
			name_part_item(n->spec, NAME_ALTS, form, out, NAME_BUF);
	}
	if (nnicks > 0 && rng_chance(r, pf->nickname))
		name_part_item(n->spec, NAME_NICKS, rng_int(r, nnicks), out, NAME_BUF);
	if (rng_chance(r, pf->typo))
		typo(r, out);
}

void
render_given(SynthRng *r, const Profile *pf, const Person *p, char *out)
{
	render_part(r, pf, &p->given, true, out);
	if (rng_chance(r, pf->initial))
	{
		int			len = pg_utf_mblen((const unsigned char *) out);

		out[len] = '\0';
		return;
	}
	if (p->middle.spec != NULL && rng_chance(r, pf->middle))
	{
		char		middle[NAME_BUF];
		size_t		used = strlen(out);

		render_part(r, pf, &p->middle, true, middle);
		if (used + strlen(middle) + 2 < NAME_BUF)
			snprintf(out + used, NAME_BUF - used, " %s", middle);
	}
	if (pf->upper)
		synth_upper(out);
}

void
render_family(SynthRng *r, const Profile *pf, const Person *p, char *out)
{
	render_part(r, pf, &p->family, false, out);
	if (p->family2.spec != NULL)
	{
		char		second[NAME_BUF];
		double		x = rng_double(r);

		render_part(r, pf, &p->family2, false, second);
		if (x < pf->surname_part * 0.7)
			;					/* first part only */
		else if (x < pf->surname_part)
			strlcpy(out, second, NAME_BUF);
		else
		{
			size_t		used = strlen(out);
			char		join = p->family_join;

			if (rng_chance(r, 0.2))
				join = (join == '-') ? ' ' : '-';
			if (used + strlen(second) + 2 < NAME_BUF)
				snprintf(out + used, NAME_BUF - used, "%c%s", join, second);
		}
	}
	if (pf->upper)
		synth_upper(out);
}

void
render_names(SynthRng *r, const Profile *pf, const Person *p, char *given, char *family)
{
	render_given(r, pf, p, given);
	render_family(r, pf, p, family);
	if (rng_chance(r, pf->swap))
	{
		char		t[NAME_BUF];

		strlcpy(t, given, NAME_BUF);
		strlcpy(given, family, NAME_BUF);
		strlcpy(family, t, NAME_BUF);
	}
}

DateADT
render_dob(SynthRng *r, const Profile *pf, DateADT dob)
{
	int			y,
				m,
				d;

	if (rng_chance(r, pf->dob_missing))
		return DATEVAL_NOBEGIN;
	date_parts(dob, &y, &m, &d);
	if (d <= 12 && d != m && rng_chance(r, pf->dob_transposed))
		return synth_date(y, d, m);
	if (rng_chance(r, pf->dob_typo))
	{
		switch (rng_int(r, 3))
		{
			case 0:				/* a day off */
				return dob + (rng_chance(r, 0.5) ? 1 : -1);
			case 1:				/* last digit of the year */
				return synth_date(y + (y % 10 == 9 ? -1 : 1), m, Min(d, 28));
			default:			/* one digit of the day */
				return synth_date(y, m, d >= 10 && d <= 19 ? d + 10 :
								 d < 10 ? d + 10 : d - 10);
		}
	}
	return dob;
}

void
render_postcode(SynthRng *r, const Profile *pf, const char *pc, char *out)
{
	strlcpy(out, pc, 12);
	if (rng_chance(r, pf->postcode_format))
	{
		switch (rng_int(r, 3))
		{
			case 0:				/* lower case */
				for (char *s = out; *s; s++)
					if (*s >= 'A' && *s <= 'Z')
						*s += 'a' - 'A';
				break;
			case 1:				/* no space */
				{
					char	   *sp = strchr(out, ' ');

					if (sp)
						memmove(sp, sp + 1, strlen(sp));
				}
				break;
			default:			/* two spaces */
				{
					char	   *sp = strchr(out, ' ');

					if (sp && strlen(out) < 10)
					{
						memmove(sp + 1, sp, strlen(sp) + 1);
						*sp = ' ';
					}
				}
				break;
		}
	}
}

const char *
title_for(const Person *p, DateADT at)
{
	if (age_at(p->dob, at) < 18)
		return NULL;
	if (p->sex == 'M')
		return "Mr";
	return (p->id % 3 == 0) ? "Ms" : (p->id % 3 == 1) ? "Mrs" : "Miss";
}
