/*
 * systems.c
 *		Writes a household into the borough: ground truth, the 11 source
 *		systems (each with its own columns and data-quality profile) and the
 *		events the analytics use.
 */
#include "postgres.h"

#include <math.h>

#include "synth/household.h"
#include "synth/systems.h"

/* Data-quality profiles, one per system (see people.h for the fields). */
static const Profile pf_council_tax = {
	.typo = 0.03, .variant = 0.08, .nickname = 0.05, .native = 0.0, .swap = 0.02,
	.initial = 0.35, .middle = 0.05, .surname_part = 0.3, .upper = false,
	.stale = 0.0, .postcode_format = 0.02, .duplicate = 0.01};
static const Profile pf_housing = {
	.typo = 0.03, .variant = 0.1, .nickname = 0.03, .native = 0.01, .swap = 0.02,
	.initial = 0.02, .middle = 0.1, .surname_part = 0.25,
	.dob_missing = 0.03, .dob_transposed = 0.02, .dob_typo = 0.02,
	.postcode_format = 0.05, .id_missing = 0.3, .duplicate = 0.01, .wrong_sex = 0.01};
static const Profile pf_benefits = {
	.typo = 0.02, .variant = 0.05, .nickname = 0.01, .swap = 0.01, .middle = 0.15,
	.surname_part = 0.2, .upper = true, .dob_missing = 0.0, .dob_transposed = 0.01,
	.dob_typo = 0.01, .stale = 0.05, .postcode_format = 0.03, .id_missing = 0.05,
	.duplicate = 0.015};
static const Profile pf_school = {
	.typo = 0.01, .variant = 0.03, .nickname = 0.0, .native = 0.0, .swap = 0.005,
	.middle = 0.0, .surname_part = 0.15, .dob_transposed = 0.005, .dob_typo = 0.005,
	.stale = 0.03, .postcode_format = 0.02, .duplicate = 0.015, .wrong_sex = 0.005};
static const Profile pf_early_years = {
	.typo = 0.04, .variant = 0.12, .nickname = 0.05, .native = 0.03, .swap = 0.03,
	.middle = 0.05, .surname_part = 0.3, .dob_missing = 0.01, .dob_transposed = 0.03,
	.dob_typo = 0.03, .stale = 0.05, .postcode_format = 0.08, .duplicate = 0.03};
static const Profile pf_social_care = {
	.typo = 0.03, .variant = 0.12, .nickname = 0.05, .native = 0.04, .swap = 0.04,
	.middle = 0.1, .surname_part = 0.3, .dob_missing = 0.02, .dob_transposed = 0.03,
	.dob_typo = 0.03, .stale = 0.08, .postcode_format = 0.05, .id_missing = 0.25,
	.duplicate = 0.04, .wrong_sex = 0.02};
static const Profile pf_yot = {
	.typo = 0.05, .variant = 0.15, .nickname = 0.15, .native = 0.0, .swap = 0.05,
	.middle = 0.05, .surname_part = 0.35, .dob_missing = 0.02, .dob_transposed = 0.04,
	.dob_typo = 0.04, .stale = 0.1, .postcode_format = 0.1, .duplicate = 0.05,
	.wrong_sex = 0.02};
static const Profile pf_asb = {
	.typo = 0.1, .variant = 0.2, .nickname = 0.2, .native = 0.03, .swap = 0.1,
	.initial = 0.05, .surname_part = 0.4, .dob_missing = 0.5, .dob_transposed = 0.06,
	.dob_typo = 0.06, .stale = 0.1, .postcode_format = 0.15, .duplicate = 0.05};
static const Profile pf_adult_care = {
	.typo = 0.02, .variant = 0.08, .nickname = 0.03, .native = 0.05, .swap = 0.02,
	.middle = 0.1, .surname_part = 0.2, .dob_missing = 0.01, .dob_transposed = 0.02,
	.dob_typo = 0.02, .stale = 0.05, .postcode_format = 0.03, .id_missing = 0.08,
	.duplicate = 0.02, .wrong_sex = 0.01};
static const Profile pf_electoral = {
	.typo = 0.01, .variant = 0.03, .nickname = 0.0, .native = 0.0, .swap = 0.005,
	.middle = 0.9, .surname_part = 0.05, .stale = 0.08, .postcode_format = 0.0,
	.duplicate = 0.01};
static const Profile pf_health_visiting = {
	.typo = 0.02, .variant = 0.1, .nickname = 0.02, .native = 0.08, .swap = 0.02,
	.middle = 0.05, .surname_part = 0.25, .dob_missing = 0.0, .dob_transposed = 0.01,
	.dob_typo = 0.01, .stale = 0.05, .postcode_format = 0.05, .id_missing = 0.03,
	.duplicate = 0.02, .wrong_sex = 0.01};
/* for free text written by others: parents' names, victims' names */
static const Profile pf_free_text = {
	.typo = 0.05, .variant = 0.15, .nickname = 0.1, .native = 0.02, .swap = 0.05,
	.surname_part = 0.3, .dob_missing = 0.3, .dob_transposed = 0.05, .dob_typo = 0.05,
	.postcode_format = 0.1};

/* ---- small helpers ---- */

static bool
present_on(const Person *p, DateADT t)
{
	return t >= p->from && (DATE_NOT_FINITE(p->to) || t <= p->to);
}

static DateADT
presence_end(const GenContext *g, const Person *p)
{
	return DATE_NOT_FINITE(p->to) ? g->as_of : Min(p->to, g->as_of);
}

/* A random date in [a, b] (a <= b), or DATEVAL_NOBEGIN if the range is empty. */
static DateADT
date_between(SynthRng *r, DateADT a, DateADT b)
{
	if (b < a)
		return DATEVAL_NOBEGIN;
	return a + (int) rng_int(r, (uint32) (b - a + 1));
}

/* Dates when p was in the window, in the borough, and aged lo..hi. */
static bool
window_at_age(const GenContext *g, const Person *p, int lo, int hi,
			  DateADT *a, DateADT *b)
{
	int			y,
				m,
				d;

	date_parts(p->dob, &y, &m, &d);
	*a = Max(Max(p->from, g->window_start), synth_date(y + lo, m, Min(d, 28)));
	*b = Min(presence_end(g, p), synth_date(y + hi + 1, m, Min(d, 28)) - 1);
	return *a <= *b;
}

static const Spell *
spell_on(const Household *hh, DateADT t)
{
	for (int i = hh->nspells - 1; i >= 0; i--)
		if (t >= hh->spells[i].from)
			return &hh->spells[i];
	return &hh->spells[0];
}

/* The address a system holds: current at t, or the previous one if stale. */
static const Address *
address_for(SynthRng *r, const Profile *pf, const Household *hh, DateADT t)
{
	const Spell *s = spell_on(hh, t);

	if (s != &hh->spells[0] && rng_chance(r, pf->stale))
		s = &hh->spells[0];
	return &s->address;
}

static char *
next_key(GenContext *g, BoroughTableId t, const char *prefix, char *buf)
{
	snprintf(buf, 24, "%s%08lld", prefix, (long long) ++g->next_key[t]);
	return buf;
}

static void
truth(GenContext *g, BoroughTableId t, const char *key, const Person *p,
	  const Household *hh)
{
	TableWriter *w = &g->tw[T_SOURCE_RECORD];

	tw_text(w, borough_tables[t].name);
	tw_text(w, key);
	tw_int8(w, p->id);
	tw_int8(w, hh->id);
	tw_row(w);
}

static void
text_or_null(TableWriter *w, const char *s)
{
	tw_text(w, (s != NULL && s[0] != '\0') ? s : NULL);
}

static void
full_name(SynthRng *r, const Profile *pf, const Person *p, char *out)
{
	char		given[NAME_BUF],
				family[NAME_BUF];

	render_names(r, pf, p, given, family);
	snprintf(out, 2 * NAME_BUF, "%s %s", given, family);
}

static const char *
sex_code(SynthRng *r, const Profile *pf, char sex, const char *male,
		 const char *female)
{
	if (rng_chance(r, pf->wrong_sex))
		sex = (sex == 'M') ? 'F' : 'M';
	return sex == 'M' ? male : female;
}

static int
copies(SynthRng *r, const Profile *pf)
{
	return rng_chance(r, pf->duplicate) ? 2 : 1;
}

static int
adults_on(const Household *hh, DateADT t)
{
	int			n = 0;

	for (int i = 0; i < hh->npeople; i++)
		if (present_on(&hh->people[i], t) && age_at(hh->people[i].dob, t) >= 18)
			n++;
	return n;
}

/* First adult of the household present on t (the usual lead), or NULL. */
static const Person *
lead_adult(const Household *hh, DateADT t)
{
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < hh->npeople; i++)
		{
			const Person *p = &hh->people[i];

			if (present_on(p, t) && age_at(p->dob, t) >= 18 &&
				(pass == 1 || p->role != ROLE_GRANDPARENT))
				return p;
		}
	return NULL;
}

/* ---- ground truth ---- */

static void
write_truth(GenContext *g, const Household *hh)
{
	TableWriter *w = &g->tw[T_HOUSEHOLD];
	char		buf[NAME_BUF];

	tw_int8(w, hh->id);
	tw_text(w, household_kind_name(hh->kind));
	tw_text(w, synth_origins[hh->origin].code);
	tw_date(w, hh->from);
	tw_date(w, hh->to);
	tw_row(w);

	for (int s = 0; s < hh->nspells; s++)
	{
		const Spell *sp = &hh->spells[s];

		w = &g->tw[T_ADDRESS];
		tw_int8(w, sp->address.uprn);
		tw_text(w, sp->address.line);
		tw_text(w, sp->address.postcode);
		tw_text(w, g->geo.wards[sp->address.ward].code);
		tw_point(w, sp->address.x, sp->address.y, BOROUGH_SRID);
		tw_row(w);

		w = &g->tw[T_RESIDENCE];
		tw_int8(w, hh->id);
		tw_int8(w, sp->address.uprn);
		tw_date(w, sp->from);
		tw_date(w, sp->to);
		tw_row(w);
	}

	w = &g->tw[T_PERSON];
	for (int i = 0; i < hh->npeople; i++)
	{
		const Person *p = &hh->people[i];
		char		family[2 * NAME_BUF];

		tw_int8(w, p->id);
		tw_int8(w, hh->id);
		tw_text(w, synth_origins[p->origin].code);
		legal_name(&p->given, buf);
		tw_text(w, buf);
		legal_name(&p->middle, buf);
		text_or_null(w, buf);
		legal_name(&p->family, family);
		if (p->family2.spec != NULL)
		{
			size_t		used = strlen(family);

			legal_name(&p->family2, buf);
			snprintf(family + used, sizeof(family) - used, "%c%s", p->family_join, buf);
		}
		tw_text(w, family);
		tw_text(w, name_part_item(p->given.spec, NAME_NATIVE, 0, buf, NAME_BUF) ? buf : NULL);
		tw_text(w, name_part_item(p->family.spec, NAME_NATIVE, 0, buf, NAME_BUF) ? buf : NULL);
		tw_text(w, p->sex == 'M' ? "M" : "F");
		tw_date(w, p->dob);
		tw_date(w, p->dod);
		tw_text(w, p->nhs);
		text_or_null(w, p->ni);
		text_or_null(w, p->upn);
		tw_date(w, p->from);
		tw_date(w, p->to);
		tw_row(w);
	}
}

/* ---- the source systems ---- */

static void
write_council_tax(GenContext *g, SynthRng *r, const Household *hh)
{
	static const int band_w[] = {8, 14, 26, 24, 14, 8, 5, 1};
	TableWriter *w = &g->tw[T_COUNCIL_TAX];

	for (int s = 0; s < hh->nspells; s++)
	{
		const Spell *sp = &hh->spells[s];
		const Person *lead = lead_adult(hh, Max(sp->from, g->window_start));
		char		band[2] = {'A' + rng_weighted(r, band_w, 8, 100), '\0'};
		int			n;

		if (lead == NULL)
			continue;
		n = copies(r, &pf_council_tax);
		for (int c = 0; c < n; c++)
		{
			char		key[24],
						given[NAME_BUF],
						family[NAME_BUF],
						name[3 * NAME_BUF],
						pc[12];
			const char *title = title_for(lead, g->as_of);
			double		style = rng_double(r);

			render_names(r, &pf_council_tax, lead, given, family);
			if (style < 0.45)
			{
				synth_upper(family);
				snprintf(name, sizeof(name), "%s, %s", family, given);
			}
			else if (style < 0.75 && title != NULL)
				snprintf(name, sizeof(name), "%s %s %s", title, given, family);
			else
				snprintf(name, sizeof(name), "%s %s", given, family);
			render_postcode(r, &pf_council_tax, sp->address.postcode, pc);

			next_key(g, T_COUNCIL_TAX, "CT", key);
			tw_text(w, key);
			tw_text(w, name);
			if (rng_chance(r, 0.02))
				tw_null(w);
			else
				tw_int8(w, sp->address.uprn);
			tw_text(w, sp->address.line);
			tw_text(w, pc);
			tw_text(w, band);
			tw_bool(w, adults_on(hh, Max(sp->from, g->window_start)) == 1);
			tw_date(w, sp->from + (c == 0 ? 0 : (int) rng_int(r, 60)));
			tw_date(w, sp->to);
			tw_row(w);
			truth(g, T_COUNCIL_TAX, key, lead, hh);
		}
	}
}

static void
write_housing(GenContext *g, SynthRng *r, const Household *hh)
{
	TableWriter *w = &g->tw[T_HOUSING];
	const Spell *sp = &hh->spells[hh->nspells - 1];
	DateADT		start = Max(sp->from, g->window_start);
	char		tenancy[24];
	int			tenants = 0;

	if (!hh->social_tenant)
		return;
	next_key(g, T_HOUSING, "TEN", tenancy);
	for (int i = 0; i < hh->npeople && tenants < 2; i++)
	{
		const Person *p = &hh->people[i];
		int			n;

		if (!present_on(p, start) || age_at(p->dob, start) < 18 ||
			p->role == ROLE_GRANDPARENT || (tenants == 1 && rng_chance(r, 0.4)))
			continue;
		tenants++;
		n = copies(r, &pf_housing);
		for (int c = 0; c < n; c++)
		{
			char		key[32],
						given[NAME_BUF],
						family[NAME_BUF],
						pc[12];

			snprintf(key, sizeof(key), "%s/%d", tenancy, tenants + 2 * c);
			render_names(r, &pf_housing, p, given, family);
			render_postcode(r, &pf_housing, sp->address.postcode, pc);
			tw_text(w, key);
			tw_text(w, tenancy);
			tw_text(w, title_for(p, g->as_of));
			tw_text(w, given);
			tw_text(w, family);
			tw_date(w, render_dob(r, &pf_housing, p->dob));
			tw_text(w, rng_chance(r, pf_housing.id_missing) ? NULL :
					(p->ni[0] ? p->ni : NULL));
			tw_int8(w, sp->address.uprn);
			tw_text(w, sp->address.line);
			tw_text(w, pc);
			tw_date(w, sp->from);
			tw_date(w, sp->to);
			tw_row(w);
			truth(g, T_HOUSING, key, p, hh);
		}
	}
}

static void
write_benefits(GenContext *g, SynthRng *r, const Household *hh)
{
	static const char *const types[] = {
		"Housing Benefit", "Council Tax Reduction", "Council Tax Reduction",
		"Universal Credit housing costs"};
	TableWriter *w = &g->tw[T_REVENUES_BENEFITS];
	DateADT		start = Max(hh->from, g->window_start);
	DateADT		end = DATE_NOT_FINITE(hh->to) ? g->as_of : hh->to;
	int			claims;

	if (!hh->benefits)
		return;
	claims = rng_chance(r, 0.3) ? 2 : 1;
	for (int k = 0; k < claims; k++)
	{
		DateADT		cs = date_between(r, start, end);
		const Person *p;
		int			n;

		if (DATE_NOT_FINITE(cs) || (p = lead_adult(hh, cs)) == NULL)
			continue;
		n = copies(r, &pf_benefits);
		for (int c = 0; c < n; c++)
		{
			char		key[24],
						given[NAME_BUF],
						family[NAME_BUF],
						pc[12];
			const Address *a = address_for(r, &pf_benefits, hh, cs);
			DateADT		ce = rng_chance(r, 0.4) ? date_between(r, cs, end) : DATEVAL_NOEND;

			next_key(g, T_REVENUES_BENEFITS, "RB", key);
			render_names(r, &pf_benefits, p, given, family);
			render_postcode(r, &pf_benefits, a->postcode, pc);
			tw_text(w, key);
			tw_text(w, given);
			tw_text(w, family);
			tw_date(w, render_dob(r, &pf_benefits, p->dob));
			tw_text(w, rng_chance(r, pf_benefits.id_missing) || !p->ni[0] ? NULL : p->ni);
			tw_text(w, pc);
			tw_text(w, types[rng_int(r, lengthof(types))]);
			tw_date(w, cs);
			tw_date(w, ce);
			tw_bool(w, rng_chance(r, hh->kind == HH_LONE_PARENT ? 0.6 : 0.4));
			tw_row(w);
			truth(g, T_REVENUES_BENEFITS, key, p, hh);
		}
	}
}

static const char *const terms[] = {"autumn", "spring", "summer"};

/* School census, attendance and exclusions of one child. */
static void
write_school(GenContext *g, SynthRng *r, const Household *hh, Person *p)
{
	int			y,
				m,
				d;
	int			last_census = -1;
	int			ncy_last = 0;
	TableWriter *w;

	date_parts(p->dob, &y, &m, &d);
	/* the January census of each year in the window */
	for (int cy = 2022; cy <= 2026; cy++)
	{
		DateADT		census = synth_date(cy, 1, 20);
		int			ncy = age_at(p->dob, synth_date(cy - 1, 8, 31)) - 4;

		if (census <= g->as_of && present_on(p, census) && ncy >= 0 && ncy <= 11)
		{
			last_census = cy;
			ncy_last = ncy;
		}
	}
	if (last_census < 0)
		return;

	/* the UPN was allocated when the child started school (reception) */
	if (p->upn[0] == '\0')
	{
		int			school = p->school;
		int			entry_year = (last_census - 1) - ncy_last;
		int			slot = entry_year % 100;
		int			serial = g->upn_serial[school][slot]++;

		synth_upn(304, 2000 + school + 100 * (serial / 1000), slot, serial % 1000, p->upn);
	}

	{
		int			n = copies(r, &pf_school);
		int			school = ncy_last <= 6 ? p->school :
			N_PRIMARY + (int) (synth_mix64(p->id) % N_SECONDARY);

		w = &g->tw[T_SCHOOL_CENSUS];
		for (int c = 0; c < n; c++)
		{
			char		key[24],
						given[NAME_BUF],
						family[NAME_BUF],
						pc[12],
						nick[NAME_BUF];
			DateADT		census = synth_date(last_census, 1, 20);
			const Address *a = address_for(r, &pf_school, hh, census);

			next_key(g, T_SCHOOL_CENSUS, "PUP", key);
			render_names(r, &pf_school, p, given, family);
			render_postcode(r, &pf_school, a->postcode, pc);
			tw_text(w, key);
			tw_text(w, p->upn);
			tw_text(w, given);
			tw_text(w, family);
			if (name_part_count(p->given.spec, NAME_NICKS) > 0 && rng_chance(r, 0.2))
			{
				name_part_item(p->given.spec, NAME_NICKS, 0, nick, NAME_BUF);
				tw_text(w, nick);
			}
			else
				tw_null(w);
			tw_date(w, render_dob(r, &pf_school, p->dob));
			tw_text(w, sex_code(r, &pf_school, p->sex, "M", "F"));
			tw_int4(w, ncy_last);
			/* a second record: the child moved school during the year */
			tw_int4(w, 101000 + (c == 0 ? school : (school + 1) % N_SCHOOLS));
			tw_text(w, pc);
			tw_date(w, census);
			tw_row(w);
			truth(g, T_SCHOOL_CENSUS, key, p, hh);
		}
	}

	/* attendance by term while of compulsory school age (year 1 to 11) */
	w = &g->tw[T_SCHOOL_ATTENDANCE];
	for (int ay = 2021; ay <= 2025; ay++)
	{
		int			ncy = age_at(p->dob, synth_date(ay, 8, 31)) - 4;
		char		year[10];

		if (ncy < 1 || ncy > 11)
			continue;
		snprintf(year, sizeof(year), "%d/%02d", ay, (ay + 1) % 100);
		for (int t = 0; t < 3; t++)
		{
			DateADT		ts = t == 0 ? synth_date(ay, 9, 5) :
				t == 1 ? synth_date(ay + 1, 1, 5) : synth_date(ay + 1, 4, 20);
			DateADT		te = t == 0 ? synth_date(ay, 12, 18) :
				t == 1 ? synth_date(ay + 1, 3, 28) : synth_date(ay + 1, 7, 20);
			int			possible,
						absent,
						unauthorised;

			if (te > g->as_of || !present_on(p, ts) || !present_on(p, te))
				continue;
			possible = (t == 0 ? 140 : t == 1 ? 118 : 128) - rng_range(r, 0, 6);
			absent = (int) lround(possible * p->absence * (0.6 + 0.8 * rng_double(r)));
			absent = Min(absent, possible);
			unauthorised = (int) lround(absent * (p->absence > 0.1 ? 0.55 : 0.25) *
										(0.5 + rng_double(r)));
			unauthorised = Min(unauthorised, absent);
			tw_text(w, p->upn);
			tw_text(w, year);
			tw_text(w, terms[t]);
			tw_int4(w, possible);
			tw_int4(w, absent - unauthorised);
			tw_int4(w, unauthorised);
			tw_row(w);
		}
		/* suspensions are more likely for persistent absentees */
		if (ncy >= 3 && rng_chance(r, 0.01 + 0.2 * p->absence))
		{
			DateADT		ex = date_between(r, Max(synth_date(ay, 9, 5), p->from),
										  Min(synth_date(ay + 1, 7, 20),
											  presence_end(g, p)));

			if (!DATE_NOT_FINITE(ex))
			{
				bool		permanent = ncy >= 7 && rng_chance(r, 0.05);

				p->exclusions++;
				w = &g->tw[T_SCHOOL_EXCLUSION];
				tw_text(w, p->upn);
				tw_date(w, ex);
				tw_text(w, permanent ? "permanent" : "suspension");
				tw_int4(w, permanent ? 0 : rng_range(r, 1, 10));
				tw_row(w);
				w = &g->tw[T_SCHOOL_ATTENDANCE];
			}
		}
	}
}

static const Person *
mother_of(const Household *hh)
{
	return hh->mother >= 0 ? &hh->people[hh->mother] : lead_adult(hh, hh->from);
}

static void
write_early_years(GenContext *g, SynthRng *r, const Household *hh, const Person *p)
{
	TableWriter *w = &g->tw[T_EARLY_YEARS];
	DateADT		a,
				b;
	const char *entitlement;
	const Person *carer = mother_of(hh);

	if (window_at_age(g, p, 2, 4, &a, &b) && rng_chance(r, 0.72))
		entitlement = age_at(p->dob, a) == 2 ? "2-year-old funded" :
			rng_chance(r, 0.4) ? "3-4 extended 30 hours" : "3-4 universal 15 hours";
	else if (window_at_age(g, p, 0, 1, &a, &b) && rng_chance(r, 0.3))
		entitlement = "children's centre registration";
	else
		return;

	for (int c = copies(r, &pf_early_years); c > 0; c--)
	{
		char		key[24],
					given[NAME_BUF],
					family[NAME_BUF],
					parent[2 * NAME_BUF],
					pc[12],
					provider[64];
		DateADT		start = date_between(r, a, Min(b, a + 120));
		const Address *addr = address_for(r, &pf_early_years, hh, start);

		next_key(g, T_EARLY_YEARS, "EY", key);
		render_names(r, &pf_early_years, p, given, family);
		render_postcode(r, &pf_early_years, addr->postcode, pc);
		snprintf(provider, sizeof(provider), "%s %s",
				 synth_street_names[synth_mix64(hh->id) % synth_nstreet_names],
				 rng_chance(r, 0.5) ? "Nursery" : "Children's Centre");
		tw_text(w, key);
		tw_text(w, given);
		tw_text(w, family);
		tw_date(w, render_dob(r, &pf_early_years, p->dob));
		if (carer != NULL)
		{
			full_name(r, &pf_free_text, carer, parent);
			tw_text(w, parent);
		}
		else
			tw_null(w);
		tw_text(w, pc);
		tw_text(w, provider);
		tw_text(w, entitlement);
		tw_date(w, start);
		tw_row(w);
		truth(g, T_EARLY_YEARS, key, p, hh);
	}
}

static void
write_social_care(GenContext *g, SynthRng *r, const Household *hh, Person *p)
{
	static const char *const cats[] = {"CIN", "CIN", "CIN", "CIN", "CIN", "CIN", "CIN",
	"CP", "CP", "LAC"};
	TableWriter *w;
	DateADT		a,
				b,
				referral;
	double		risk = 0.035 * ((hh->benefits || hh->kind == HH_LONE_PARENT) ? 2.5 : 1.0);
	char		key[24];

	if (!window_at_age(g, p, 0, 17, &a, &b) || !rng_chance(r, risk))
		return;
	referral = date_between(r, a, b);
	for (int c = copies(r, &pf_social_care); c > 0; c--)
	{
		char		given[NAME_BUF],
					family[NAME_BUF],
					pc[12];
		const Address *addr = address_for(r, &pf_social_care, hh, referral);
		DateADT		end = rng_chance(r, 0.6) ?
			date_between(r, referral + 30, g->as_of) : DATEVAL_NOEND;

		next_key(g, T_CHILDRENS_SOCIAL_CARE, "LCS", key);
		render_names(r, &pf_social_care, p, given, family);
		render_postcode(r, &pf_social_care, addr->postcode, pc);
		w = &g->tw[T_CHILDRENS_SOCIAL_CARE];
		tw_text(w, key);
		tw_text(w, given);
		tw_text(w, family);
		tw_date(w, render_dob(r, &pf_social_care, p->dob));
		tw_text(w, rng_chance(r, 0.01) ? "Unknown" :
				sex_code(r, &pf_social_care, p->sex, "Male", "Female"));
		tw_text(w, rng_chance(r, pf_social_care.id_missing) ? NULL : p->nhs);
		tw_text(w, p->upn[0] && rng_chance(r, 0.5) ? p->upn : NULL);
		tw_text(w, pc);
		tw_date(w, referral);
		tw_text(w, cats[rng_int(r, lengthof(cats))]);
		tw_date(w, end);
		tw_row(w);
		truth(g, T_CHILDRENS_SOCIAL_CARE, key, p, hh);
		if (p->lcs_key[0] == '\0')
		{
			strlcpy(p->lcs_key, key, sizeof(p->lcs_key));
			p->lcs_from = referral;
		}

		/* missing episodes of older children */
		if (c == 1 && age_at(p->dob, referral) >= 11 && rng_chance(r, 0.2))
		{
			int			episodes = rng_range(r, 1, 4);

			w = &g->tw[T_MISSING_EPISODE];
			for (int e = 0; e < episodes; e++)
			{
				DateADT		gone = date_between(r, referral, presence_end(g, p));

				if (DATE_NOT_FINITE(gone))
					break;
				p->missing_episodes++;
				tw_text(w, key);
				tw_date(w, gone);
				tw_date(w, rng_chance(r, 0.97) ?
						Min(gone + rng_range(r, 0, 5), g->as_of) : DATEVAL_NOEND);
				tw_row(w);
			}
		}
	}
}

static void
write_youth_offending(GenContext *g, SynthRng *r, const Household *hh, const Person *p)
{
	static const char *const types[] = {
		"theft", "violence against the person", "drugs", "criminal damage",
		"robbery", "public order", "motoring", "possession of weapons"};
	static const char *const outcomes[] = {
		"youth caution", "youth conditional caution", "referral order",
		"youth rehabilitation order", "custodial sentence"};
	DateADT		a,
				b,
				start;

	if (!window_at_age(g, p, 10, 17, &a, &b) ||
		!rng_chance(r, p->sex == 'M' ? 0.03 : 0.008))
		return;
	start = date_between(r, a, b);
	for (int c = copies(r, &pf_yot); c > 0; c--)
	{
		TableWriter *w = &g->tw[T_YOUTH_OFFENDING];
		char		key[24],
					given[NAME_BUF],
					family[NAME_BUF],
					pc[12];
		const Address *addr = address_for(r, &pf_yot, hh, start);
		int			offences = rng_range(r, 1, 4);

		next_key(g, T_YOUTH_OFFENDING, "YOT", key);
		render_names(r, &pf_yot, p, given, family);
		render_postcode(r, &pf_yot, addr->postcode, pc);
		tw_text(w, key);
		tw_text(w, given);
		tw_text(w, family);
		tw_date(w, render_dob(r, &pf_yot, p->dob));
		tw_text(w, sex_code(r, &pf_yot, p->sex, "M", "F"));
		tw_text(w, addr->line);
		tw_text(w, pc);
		tw_date(w, start);
		tw_row(w);
		truth(g, T_YOUTH_OFFENDING, key, p, hh);

		w = &g->tw[T_OFFENCE];
		for (int o = 0; c == 1 && o < offences; o++)
		{
			tw_text(w, key);
			tw_date(w, Min(g->as_of, start - 60 + rng_range(r, 0, 420)));
			tw_text(w, types[rng_int(r, lengthof(types))]);
			tw_text(w, outcomes[rng_int(r, lengthof(outcomes))]);
			tw_row(w);
		}
	}
}

/* Hotspots of anti-social behaviour (town centres and estates), BNG metres. */
static const double hotspots[][2] = {
	{518450, 184850}, {521400, 183450}, {524650, 184150}, {521150, 184650},
	{520900, 186100}, {517900, 184300}};

static void
asb_incident(GenContext *g, SynthRng *r, DateADT when, double x, double y,
			 int ward, const char *case_ref)
{
	static const char *const cats[] = {
		"noise", "rowdy or inconsiderate behaviour", "neighbour dispute",
		"drug-related", "vehicle nuisance", "street drinking", "fly-tipping",
		"begging"};
	TableWriter *w = &g->tw[T_ASB_INCIDENT];

	tw_int8(w, ++g->next_incident);
	tw_date(w, when);
	tw_text(w, cats[rng_int(r, lengthof(cats))]);
	tw_text(w, g->geo.wards[ward].code);
	tw_text(w, case_ref);
	tw_point(w, x, y, BOROUGH_SRID);
	tw_row(w);
}

static void
write_asb(GenContext *g, SynthRng *r, const Household *hh, const Person *p)
{
	static const char *const roles[] = {
		"perpetrator", "perpetrator", "perpetrator", "perpetrator", "perpetrator",
		"perpetrator", "victim", "victim", "victim", "witness"};
	DateADT		a,
				b,
				opened;
	double		risk = age_at(p->dob, g->as_of) < 30 && p->sex == 'M' ? 0.03 : 0.01;

	if (!window_at_age(g, p, 16, 120, &a, &b) || !rng_chance(r, risk))
		return;
	opened = date_between(r, a, b);
	for (int c = copies(r, &pf_asb); c > 0; c--)
	{
		TableWriter *w = &g->tw[T_ASB_CASE];
		char		key[24],
					name[3 * NAME_BUF],
					dob[16],
					pc[12];
		const Address *addr = address_for(r, &pf_asb, hh, opened);
		DateADT		d = render_dob(r, &pf_asb, p->dob);

		next_key(g, T_ASB_CASE, "ASB", key);
		if (rng_chance(r, 0.3))
		{
			char		given[NAME_BUF],
						family[NAME_BUF];

			render_names(r, &pf_asb, p, given, family);
			synth_upper(family);
			snprintf(name, sizeof(name), "%s %s", family, given);
		}
		else
			full_name(r, &pf_asb, p, name);
		render_postcode(r, &pf_asb, addr->postcode, pc);
		tw_text(w, key);
		tw_text(w, name);
		tw_text(w, roles[rng_int(r, lengthof(roles))]);
		if (DATE_NOT_FINITE(d))
			tw_null(w);
		else
		{
			int			y,
						m,
						dd;

			date_parts(d, &y, &m, &dd);
			snprintf(dob, sizeof(dob), "%02d/%02d/%04d", dd, m, y);
			tw_text(w, dob);
		}
		tw_text(w, addr->line);
		tw_text(w, pc);
		tw_date(w, opened);
		tw_row(w);
		truth(g, T_ASB_CASE, key, p, hh);

		/* the incidents behind the case, at or near the address */
		for (int i = 0, n = rng_range(r, 1, 5); c == 1 && i < n; i++)
		{
			DateADT		when = Min(g->as_of, opened - 90 + rng_range(r, 0, 180));
			double		x = addr->x,
						y = addr->y;

			if (rng_chance(r, 0.5))
				geo_random_point(&g->geo, r, addr->ward, &x, &y);
			asb_incident(g, r, Max(when, g->window_start), x, y, addr->ward, key);
		}
	}
}

static void
write_background_asb(GenContext *g, SynthRng *r, const Household *hh)
{
	double		x,
				y;
	int			ward = hh->ward;

	if (!rng_chance(r, 0.06))
		return;
	geo_random_point(&g->geo, r, ward, &x, &y);
	if (rng_chance(r, 0.45))
	{
		/* near a hotspot, if that falls inside the borough */
		const double *h = hotspots[rng_int(r, lengthof(hotspots))];
		double		hx = h[0] + (rng_double(r) - 0.5) * 300;
		double		hy = h[1] + (rng_double(r) - 0.5) * 300;
		int			hw = geo_ward_at(&g->geo, hx, hy);

		if (hw >= 0)
		{
			x = round(hx * 100) / 100;
			y = round(hy * 100) / 100;
			ward = hw;
		}
	}
	asb_incident(g, r, date_between(r, g->window_start, g->as_of), x, y, ward, NULL);
}

/*
 * The planted emerging hot spot: a few dozen metres of Kingsbury where
 * incidents start in the last 12 months of the window and rise step by
 * step, b (2 + m / 3) in month m = 0..11 (2, 2, 2, 3, ... 5, 5, 5: 42 in all)
 * with b = people / 20000 rounded up (about a town-centre cell's rate at the
 * end, so the town centres stay hot over the whole window),
 * each at a uniform point of a 60 m square and a uniform day of its month.
 * Drawn from its own stream after every household, so it adds rows and
 * changes none.
 */
void
borough_write_emerging_asb(GenContext *g, SynthRng *r)
{
	int			y,
				mo,
				d;
	int			b = (int) ((g->people + 19999) / 20000);
	int			ward = geo_ward_at(&g->geo, EMERGING_HOTSPOT_X, EMERGING_HOTSPOT_Y);

	if (ward < 0)
		elog(ERROR, "generate_borough: the emerging hot spot is outside the borough");
	date_parts(g->as_of, &y, &mo, &d);
	for (int m = 0; m < 12; m++)
	{
		int			ym = y * 12 + (mo - 1) - 11 + m;
		DateADT		first = synth_date(ym / 12, ym % 12 + 1, 1);
		DateADT		last = Min(g->as_of, synth_date((ym + 1) / 12, (ym + 1) % 12 + 1, 1) - 1);

		for (int i = 0; i < b * (2 + m / 3); i++)
		{
			double		x = EMERGING_HOTSPOT_X + (rng_double(r) - 0.5) * 60;
			double		yy = EMERGING_HOTSPOT_Y + (rng_double(r) - 0.5) * 60;

			asb_incident(g, r, date_between(r, first, last), round(x * 100) / 100,
						 round(yy * 100) / 100, ward, NULL);
		}
	}
}

static void
write_adult_care(GenContext *g, SynthRng *r, const Household *hh, const Person *p)
{
	static const char *const reasons[] = {
		"physical support: personal care", "physical support: access and mobility",
		"memory and cognition", "mental health support", "learning disability support",
		"sensory support", "social support"};
	DateADT		a,
				b,
				start;
	int			age = age_at(p->dob, presence_end(g, p));
	double		risk = age >= 75 ? 0.28 : age >= 65 ? 0.06 : 0.015;

	if (!window_at_age(g, p, 18, 120, &a, &b) || !rng_chance(r, risk))
		return;
	start = date_between(r, a, b);
	for (int c = copies(r, &pf_adult_care); c > 0; c--)
	{
		TableWriter *w = &g->tw[T_ADULT_SOCIAL_CARE];
		char		key[24],
					given[NAME_BUF],
					family[NAME_BUF],
					pc[12];
		const Address *addr = address_for(r, &pf_adult_care, hh, start);

		next_key(g, T_ADULT_SOCIAL_CARE, "MOS", key);
		render_names(r, &pf_adult_care, p, given, family);
		render_postcode(r, &pf_adult_care, addr->postcode, pc);
		tw_text(w, key);
		tw_text(w, title_for(p, start));
		tw_text(w, given);
		tw_text(w, family);
		tw_date(w, render_dob(r, &pf_adult_care, p->dob));
		tw_text(w, rng_chance(r, pf_adult_care.id_missing) ? NULL : p->nhs);
		tw_text(w, pc);
		tw_text(w, reasons[rng_int(r, lengthof(reasons))]);
		tw_date(w, start);
		tw_row(w);
		truth(g, T_ADULT_SOCIAL_CARE, key, p, hh);
	}
}

static void
write_electoral(GenContext *g, SynthRng *r, const Household *hh, const Person *p)
{
	const char *origin = synth_origins[p->origin].code;
	bool		eu = strcmp(origin, "polish") == 0 || strcmp(origin, "romanian") == 0 ||
		strcmp(origin, "portuguese") == 0;
	const Address *addr;
	DateADT		registered;

	if (present_on(p, g->as_of) && age_at(p->dob, g->as_of) >= 17)
	{
		if (!rng_chance(r, age_at(p->dob, g->as_of) == 17 ? 0.3 : 0.8))
			return;
		addr = address_for(r, &pf_electoral, hh, g->as_of);
	}
	else if (!DATE_NOT_FINITE(p->to) && p->to < g->as_of && DATE_NOT_FINITE(p->dod) &&
			 age_at(p->dob, p->to) >= 18 && rng_chance(r, 0.08))
		addr = address_for(r, &pf_electoral, hh, p->to);	/* left, still listed */
	else
		return;
	registered = Max(p->from, p->dob + 17 * 365) + (int) rng_int(r, 60);
	for (int c = copies(r, &pf_electoral); c > 0; c--)
	{
		TableWriter *w = &g->tw[T_ELECTORAL_REGISTER];
		char		key[24],
					given[NAME_BUF],
					family[NAME_BUF],
					pc[12];

		snprintf(key, sizeof(key), "%s-%06lld", g->geo.wards[addr->ward].code,
				 (long long) ++g->next_key[T_ELECTORAL_REGISTER]);
		render_names(r, &pf_electoral, p, given, family);
		render_postcode(r, &pf_electoral, addr->postcode, pc);
		tw_text(w, key);
		tw_text(w, title_for(p, g->as_of));
		tw_text(w, given);
		tw_text(w, family);
		tw_int8(w, addr->uprn);
		tw_text(w, addr->line);
		tw_text(w, pc);
		tw_text(w, eu && rng_chance(r, 0.9) ? "G" : NULL);
		tw_date(w, Min(registered, g->as_of));
		tw_row(w);
		truth(g, T_ELECTORAL_REGISTER, key, p, hh);
	}
}

static void
write_health_visiting(GenContext *g, SynthRng *r, const Household *hh, const Person *p)
{
	DateADT		a,
				b;
	const Person *mother = mother_of(hh);

	if (!window_at_age(g, p, 0, 4, &a, &b) || !rng_chance(r, 0.92))
		return;
	for (int c = copies(r, &pf_health_visiting); c > 0; c--)
	{
		TableWriter *w = &g->tw[T_HEALTH_VISITING];
		char		key[24],
					given[NAME_BUF],
					family[NAME_BUF],
					mname[2 * NAME_BUF],
					pc[12];
		DateADT		visit = Min(b, Max(p->dob + 12, a + rng_range(r, 10, 40)));
		const Address *addr = address_for(r, &pf_health_visiting, hh, visit);

		next_key(g, T_HEALTH_VISITING, "HV", key);
		render_names(r, &pf_health_visiting, p, given, family);
		render_postcode(r, &pf_health_visiting, addr->postcode, pc);
		tw_text(w, key);
		tw_text(w, rng_chance(r, pf_health_visiting.id_missing) ? NULL : p->nhs);
		tw_text(w, given);
		tw_text(w, family);
		tw_date(w, render_dob(r, &pf_health_visiting, p->dob));
		tw_text(w, sex_code(r, &pf_health_visiting, p->sex, "1", "2"));
		if (mother != NULL)
		{
			full_name(r, &pf_free_text, mother, mname);
			tw_text(w, mname);
		}
		else
			tw_null(w);
		tw_text(w, pc);
		tw_date(w, visit);
		tw_row(w);
		truth(g, T_HEALTH_VISITING, key, p, hh);
	}
}

/* ---- household-level events ---- */

static void
write_domestic_abuse(GenContext *g, SynthRng *r, const Household *hh)
{
	const Person *victim = NULL;
	int			n;

	if (!rng_chance(r, hh->kind == HH_LONE_PARENT ? 0.05 :
					(hh->kind == HH_COUPLE || hh->kind == HH_COUPLE_CHILDREN) ? 0.04 : 0.0))
		return;
	victim = hh->mother >= 0 ? &hh->people[hh->mother] : &hh->people[0];
	n = rng_range(r, 1, 3);
	for (int i = 0; i < n; i++)
	{
		TableWriter *w = &g->tw[T_DOMESTIC_ABUSE];
		DateADT		when = date_between(r, Max(victim->from, g->window_start),
										presence_end(g, victim));
		char		key[24],
					name[3 * NAME_BUF],
					pc[12];
		const Address *addr;
		bool		children = false;

		if (DATE_NOT_FINITE(when))
			return;
		addr = address_for(r, &pf_free_text, hh, when);
		for (int k = 0; k < hh->npeople; k++)
			if (hh->people[k].role == ROLE_CHILD && present_on(&hh->people[k], when))
				children = true;
		next_key(g, T_DOMESTIC_ABUSE, "DA", key);
		full_name(r, &pf_free_text, victim, name);
		render_postcode(r, &pf_free_text, addr->postcode, pc);
		tw_text(w, key);
		tw_date(w, when);
		tw_text(w, name);
		tw_date(w, render_dob(r, &pf_free_text, victim->dob));
		tw_text(w, addr->line);
		tw_text(w, pc);
		tw_int8(w, addr->uprn);
		tw_bool(w, children);
		tw_row(w);
	}
}

static void
write_early_help(GenContext *g, SynthRng *r, const Household *hh, bool has_children)
{
	static const char *const needs[] = {
		"parenting support", "school attendance", "domestic abuse", "financial hardship",
		"mental health", "housing", "child behaviour"};
	TableWriter *w = &g->tw[T_EARLY_HELP];
	const Person *lead = mother_of(hh);
	DateADT		start;
	char		key[24],
				given[NAME_BUF],
				family[NAME_BUF],
				pc[12];

	if (!has_children || lead == NULL ||
		!rng_chance(r, hh->benefits ? 0.1 : 0.035))
		return;
	start = date_between(r, Max(lead->from, g->window_start), presence_end(g, lead));
	if (DATE_NOT_FINITE(start))
		return;
	next_key(g, T_EARLY_HELP, "EH", key);
	render_names(r, &pf_free_text, lead, given, family);
	render_postcode(r, &pf_free_text, address_for(r, &pf_free_text, hh, start)->postcode, pc);
	tw_text(w, key);
	tw_text(w, given);
	tw_text(w, family);
	tw_date(w, render_dob(r, &pf_free_text, lead->dob));
	tw_text(w, pc);
	tw_date(w, start);
	tw_date(w, rng_chance(r, 0.7) ? Min(g->as_of, start + rng_range(r, 60, 400)) :
			DATEVAL_NOEND);
	tw_text(w, needs[rng_int(r, lengthof(needs))]);
	tw_row(w);
}

/*
 * The health partner shares each flag with the NHS number and the
 * demographics it holds for the person (GP registration: name, date of birth,
 * current postcode), so that a council can reach people whose NHS number no
 * system of its own holds.  Drawn from the household's own stream
 * (g->health_rng, STREAM_HEALTH), never from r: every other column and table
 * of a seed is what it was before the demographics were added.
 */
static const Profile pf_health = {
	.typo = 0.01, .variant = 0.04, .nickname = 0.02, .native = 0.01, .swap = 0.01,
	.middle = 0.1, .surname_part = 0.15, .dob_missing = 0.0, .dob_transposed = 0.005,
	.dob_typo = 0.005, .stale = 0.05, .postcode_format = 0.02};

static void
health_flag(GenContext *g, const Household *hh, const Person *p, const char *flag,
			DateADT when)
{
	TableWriter *w = &g->tw[T_HEALTH_FLAG];
	SynthRng   *hr = &g->health_rng;
	char		given[NAME_BUF],
				family[NAME_BUF],
				pc[12];

	tw_text(w, p->nhs);
	tw_text(w, flag);
	tw_date(w, when);
	render_names(hr, &pf_health, p, given, family);
	tw_text(w, given);
	tw_text(w, family);
	tw_date(w, render_dob(hr, &pf_health, p->dob));
	/* the address at the extract (the reference date); gone: out of area */
	if (present_on(p, g->as_of))
	{
		render_postcode(hr, &pf_health, address_for(hr, &pf_health, hh, g->as_of)->postcode, pc);
		tw_text(w, pc);
	}
	else
		tw_null(w);
	tw_row(w);
}

static void
write_health_flags(GenContext *g, SynthRng *r, const Household *hh, const Person *p)
{
	DateADT		a,
				b;

	if (!window_at_age(g, p, 16, 120, &a, &b))
		return;
	if (rng_chance(r, hh->benefits ? 0.12 : 0.06))
		health_flag(g, hh, p, "mental_health", date_between(r, a, b));
	if (rng_chance(r, hh->benefits ? 0.04 : 0.015))
		health_flag(g, hh, p, "substance_misuse", date_between(r, a, b));
	/* new mothers: a child of theirs born in the borough in the window */
	if (hh->mother >= 0 && p == &hh->people[hh->mother])
		for (int k = 0; k < hh->npeople; k++)
		{
			const Person *c = &hh->people[k];

			if (c->role == ROLE_CHILD && c->dob >= g->window_start &&
				c->dob >= hh->from && present_on(p, c->dob))
				health_flag(g, hh, p, "new_mother", c->dob);
		}
}

void
borough_write_household(GenContext *g, SynthRng *r, Household *hh)
{
	bool		has_children = false;

	hh->social_tenant = rng_chance(r, hh->kind == HH_LONE_PARENT ? 0.45 :
								   hh->kind == HH_SHARERS ? 0.1 : 0.2);
	hh->benefits = rng_chance(r, hh->kind == HH_LONE_PARENT ? 0.55 :
							  hh->social_tenant ? 0.45 : 0.12);

	/* school places and absence habits, before the truth is written */
	for (int i = 0; i < hh->npeople; i++)
	{
		Person	   *p = &hh->people[i];

		p->school = (int) ((hh->ward * 3 + rng_int(r, 3)) % N_PRIMARY);
		p->absence = rng_chance(r, hh->benefits ? 0.22 : 0.1) ?
			0.1 + 0.25 * rng_double(r) : 0.02 + 0.05 * rng_double(r);
		if (p->role == ROLE_CHILD)
			has_children = true;
	}

	write_council_tax(g, r, hh);
	write_housing(g, r, hh);
	write_benefits(g, r, hh);
	for (int i = 0; i < hh->npeople; i++)
	{
		Person	   *p = &hh->people[i];

		write_school(g, r, hh, p);
		write_early_years(g, r, hh, p);
		write_social_care(g, r, hh, p);
		write_youth_offending(g, r, hh, p);
		write_asb(g, r, hh, p);
		write_adult_care(g, r, hh, p);
		write_electoral(g, r, hh, p);
		write_health_visiting(g, r, hh, p);
		write_health_flags(g, r, hh, p);
	}
	write_domestic_abuse(g, r, hh);
	write_early_help(g, r, hh, has_children);
	write_background_asb(g, r, hh);
	write_truth(g, hh);
}

/*
 * ---- the children's datasets: CME referrals, CSE risk assessments, EHCPs ----
 *
 * Written from a random stream of their own (borough.c, STREAM_CHILDREN), after
 * the household's other records, so that adding them changed no other row of
 * any table for a seed.  They read what the other writers recorded on the
 * person (UPN, first social care record, missing episodes), never a draw.
 * Min() and Max() evaluate an argument twice: no draw is ever made inside one.
 */

static const Profile pf_cme = {
	.typo = 0.04, .variant = 0.12, .nickname = 0.06, .native = 0.02, .swap = 0.04,
	.middle = 0.05, .surname_part = 0.3, .dob_missing = 0.03, .dob_transposed = 0.03,
	.dob_typo = 0.03, .stale = 0.1, .postcode_format = 0.08, .id_missing = 0.35,
	.duplicate = 0.04};
static const Profile pf_ehcp = {
	.typo = 0.015, .variant = 0.05, .nickname = 0.01, .native = 0.0, .swap = 0.01,
	.middle = 0.05, .surname_part = 0.2, .dob_missing = 0.0, .dob_transposed = 0.01,
	.dob_typo = 0.01, .stale = 0.05, .postcode_format = 0.03, .id_missing = 0.15,
	.duplicate = 0.02};

static void
child_truth(GenContext *g, const char *dataset, const char *key, const Person *p,
			const Household *hh)
{
	TableWriter *w = &g->tw[T_CHILD_RECORD];

	tw_text(w, dataset);
	tw_text(w, key);
	tw_int8(w, p->id);
	tw_int8(w, hh->id);
	tw_date(w, p->dob);
	text_or_null(w, p->upn);
	text_or_null(w, p->lcs_key);
	tw_row(w);
}

/* A UPN as a referrer types it: missing, or (1 in 50) with the letter O for a zero. */
static void
render_upn(SynthRng *r, const Profile *pf, const Person *p, char *out)
{
	char	   *zero;

	out[0] = '\0';
	if (p->upn[0] == '\0' || rng_chance(r, pf->id_missing))
		return;
	strlcpy(out, p->upn, 14);
	if (rng_chance(r, 0.02) && (zero = strchr(out + 1, '0')) != NULL)
		*zero = 'O';
}

static void
write_cme(GenContext *g, SynthRng *r, const Household *hh, const Person *p)
{
	static const char *const referrers[] = {
		"school", "school", "school", "admissions", "health", "police",
		"children's social care", "member of the public"};
	static const char *const others[] = {
		"removed from roll, not attending", "elective home education breakdown",
		"whereabouts unknown after absence"};
	DateADT		a,
				b,
				referred;
	bool		left = !DATE_NOT_FINITE(p->to) && p->to < g->as_of && DATE_NOT_FINITE(p->dod);
	bool		arrived = p->from > g->window_start;
	double		risk = 0.03;
	const char *reason;
	const char *found;

	if (!window_at_age(g, p, 5, 15, &a, &b))
		return;
	if (p->absence > 0.1)
		risk *= 3;
	if (arrived)
		risk *= 2;
	/* left the borough while of compulsory school age (not after it) */
	left = left && p->to >= a && p->to <= b;
	if (left)
		risk += 0.25;
	if (!rng_chance(r, risk))
		return;
	if (left && rng_chance(r, 0.7))
	{
		referred = p->to + rng_range(r, 5, 40);
		referred = Min(g->as_of, referred);
		reason = "left school roll, destination unknown";
		found = rng_chance(r, 0.6) ? "on roll in another local authority" : "left the country";
	}
	else if (arrived && p->from >= a && rng_chance(r, 0.6))
	{
		referred = p->from + rng_range(r, 7, 120);
		referred = Min(b, referred);
		reason = "new arrival, no school place";
		found = "placed at a school";
	}
	else
	{
		referred = date_between(r, a, b);
		reason = others[rng_int(r, lengthof(others))];
		found = rng_chance(r, 0.5) ? "returned to school" :
			rng_chance(r, 0.5) ? "elective home education" : "placed at a school";
	}
	for (int c = copies(r, &pf_cme); c > 0; c--)
	{
		TableWriter *w = &g->tw[T_CME_REFERRAL];
		char		key[24],
					given[NAME_BUF],
					family[NAME_BUF],
					pc[12],
					upn[14];
		const Address *addr = address_for(r, &pf_cme, hh, Min(referred, presence_end(g, p)));
		DateADT		when = referred + (c == 1 ? 0 : rng_range(r, 0, 30));
		bool		resolved = rng_chance(r, 0.8);

		when = Min(when, g->as_of);	/* Min() evaluates twice: no draws inside */

		next_key(g, T_CME_REFERRAL, "CME", key);
		render_names(r, &pf_cme, p, given, family);
		render_postcode(r, &pf_cme, addr->postcode, pc);
		render_upn(r, &pf_cme, p, upn);
		tw_text(w, key);
		tw_text(w, given);
		tw_text(w, family);
		tw_date(w, render_dob(r, &pf_cme, p->dob));
		text_or_null(w, upn);
		tw_text(w, pc);
		tw_date(w, when);
		tw_text(w, referrers[rng_int(r, lengthof(referrers))]);
		tw_text(w, reason);
		if (resolved && when + 5 <= g->as_of)
		{
			tw_date(w, date_between(r, when + 5, Min(g->as_of, when + 150)));
			tw_text(w, found);
		}
		else
		{
			tw_null(w);
			tw_null(w);
		}
		tw_row(w);
		child_truth(g, "cme_referral", key, p, hh);
	}
}

static void
write_cse(GenContext *g, SynthRng *r, const Household *hh, const Person *p)
{
	static const int level_w[] = {50, 35, 15};
	static const char *const levels[] = {"low", "medium", "high"};
	DateADT		a,
				b;
	double		risk = p->sex == 'F' ? 0.15 : 0.06;
	int			n;

	if (p->lcs_key[0] == '\0' || !window_at_age(g, p, 10, 17, &a, &b))
		return;
	a = Max(a, p->lcs_from);
	if (a > b)
		return;
	if (p->missing_episodes > 0)
		risk += 0.35;
	if (!rng_chance(r, risk))
		return;
	n = rng_chance(r, 0.35) ? rng_range(r, 2, 3) : 1;	/* reviews reassess */
	for (int i = 0; i < n; i++)
	{
		TableWriter *w = &g->tw[T_CSE_CONCERN];
		char		key[24],
					ref[32];
		DateADT		when = date_between(r, a, b);
		int			level = rng_weighted(r, level_w, 3, 100);
		double		style = rng_double(r);

		if (DATE_NOT_FINITE(when))
			break;
		next_key(g, T_CSE_CONCERN, "CSE", key);
		/* the child's social care number as typed: mostly exact */
		if (style < 0.03)
		{
			strlcpy(ref, p->lcs_key, sizeof(ref));
			for (char *q = ref; *q; q++)
				*q = pg_ascii_tolower((unsigned char) *q);
		}
		else if (style < 0.05)
			snprintf(ref, sizeof(ref), "%s ", p->lcs_key);
		else
			strlcpy(ref, p->lcs_key, sizeof(ref));
		tw_text(w, key);
		tw_text(w, rng_chance(r, 0.01) ? NULL : ref);
		tw_date(w, when);
		tw_text(w, rng_chance(r, 0.03) ? NULL : levels[level]);
		tw_text(w, level == 0 ? "no further action" : level == 1 ?
				"CSE risk management plan" : "referred to MASE panel");
		if (rng_chance(r, 0.7) && when + 30 <= g->as_of)
			tw_date(w, date_between(r, when + 30, Min(g->as_of, when + 240)));
		else
			tw_null(w);
		tw_row(w);
		child_truth(g, "cse_concern", key, p, hh);
	}
}

static void
write_ehcp(GenContext *g, SynthRng *r, const Household *hh, const Person *p)
{
	/* SEN2 primary need codes, with England's shares of plans (per cent) */
	static const char *const needs[] = {
		"ASD", "SLCN", "SEMH", "MLD", "SLD", "PMLD", "SpLD", "PD", "HI", "VI", "MSI", "OTH"};
	static const int need_w[] = {33, 21, 15, 9, 5, 2, 4, 4, 2, 1, 1, 3};
	static const char *const ceased[] = {
		"moved out of the area", "needs met without a plan", "moved to adult services",
		"moved to a plan of another authority"};
	DateADT		a,
				b,
				start,
				end = DATEVAL_NOEND;
	int			y,
				m,
				d,
				need,
				need2 = -1;
	const char *why = NULL;

	date_parts(p->dob, &y, &m, &d);
	/* plans in force in the window: issued from age 2, up to 4 years before it */
	a = Max(Max(p->from, g->window_start - 4 * 365), synth_date(y + 2, m, Min(d, 28)));
	b = Min(presence_end(g, p), synth_date(y + 19, m, Min(d, 28)));
	if (a > b || b < g->window_start || !rng_chance(r, p->absence > 0.1 ? 0.05 : 0.03))
		return;
	start = date_between(r, a, b);
	need = rng_weighted(r, need_w, lengthof(needs), 100);
	if (rng_chance(r, 0.4))
		need2 = (need + 1 + (int) rng_int(r, lengthof(needs) - 1)) % lengthof(needs);
	if (!DATE_NOT_FINITE(p->to) && p->to < g->as_of && rng_chance(r, 0.8))
	{
		end = p->to;
		why = ceased[0];
	}
	else if (rng_chance(r, 0.12) && start + 180 <= presence_end(g, p))
	{
		end = date_between(r, start + 180, presence_end(g, p));
		why = ceased[1 + rng_int(r, 3)];
	}
	for (int c = copies(r, &pf_ehcp); c > 0; c--)
	{
		TableWriter *w = &g->tw[T_EHCP];
		char		key[24],
					given[NAME_BUF],
					family[NAME_BUF],
					pc[12],
					upn[14];
		const Address *addr = address_for(r, &pf_ehcp, hh, Max(start, g->window_start));
		int			delay = c == 1 ? 0 : rng_range(r, 20, 90);

		next_key(g, T_EHCP, "EHC", key);
		render_names(r, &pf_ehcp, p, given, family);
		render_postcode(r, &pf_ehcp, addr->postcode, pc);
		render_upn(r, &pf_ehcp, p, upn);
		tw_text(w, key);
		tw_text(w, given);
		tw_text(w, family);
		tw_date(w, render_dob(r, &pf_ehcp, p->dob));
		text_or_null(w, upn);
		tw_text(w, rng_chance(r, 0.1) ? NULL : p->nhs);
		tw_text(w, pc);
		tw_text(w, rng_chance(r, 0.02) ? NULL : needs[need]);
		tw_text(w, need2 >= 0 ? needs[need2] : NULL);
		/* a second record: the plan transferred in, re-issued a little later */
		tw_date(w, Min(b, start + delay));
		tw_date(w, end);
		tw_text(w, why);
		tw_row(w);
		child_truth(g, "ehcp", key, p, hh);
	}
}

void
borough_write_children(GenContext *g, SynthRng *r, const Household *hh)
{
	for (int i = 0; i < hh->npeople; i++)
	{
		const Person *p = &hh->people[i];

		if (p->role != ROLE_CHILD)
			continue;
		write_cme(g, r, hh, p);
		write_cse(g, r, hh, p);
		write_ehcp(g, r, hh, p);
	}
}
