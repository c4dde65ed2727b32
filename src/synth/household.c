/*
 * household.c
 *		Simulates one household of the synthetic borough: who lives in it,
 *		their names, dates of birth and death, identifiers, when the household
 *		arrived, moved within the borough or left.
 */
#include "postgres.h"

#include "synth/people.h"
#include "synth/household.h"

/* Household kinds, per mille (Brent: 2.8 people per household). */
static const int kind_weights[HH_NKINDS] = {240, 180, 260, 110, 90, 120};
static const char *const kind_names[HH_NKINDS] = {
	"single", "couple", "couple_with_children", "lone_parent",
	"multi_generation", "sharers"};

const char *
household_kind_name(HouseholdKind k)
{
	return kind_names[k];
}

static int
origin_total(void)
{
	static int	total = 0;

	if (total == 0)
		for (int i = 0; i < synth_norigins; i++)
			total += synth_origins[i].weight;
	return total;
}

static int
pick_origin(SynthRng *r)
{
	int			x = (int) rng_int(r, origin_total());

	for (int i = 0; i < synth_norigins; i++)
	{
		if (x < synth_origins[i].weight)
			return i;
		x -= synth_origins[i].weight;
	}
	return 0;
}

static NameRef
pick_name(SynthRng *r, const char *const *stock, int n)
{
	NameRef		ref;
	int			nalts;

	ref.spec = stock[rng_int(r, n)];
	ref.form = -1;
	nalts = name_part_count(ref.spec, NAME_ALTS);
	/* some people's legal spelling is one of the alternatives */
	if (nalts > 0 && rng_chance(r, 0.3))
		ref.form = (int) rng_int(r, nalts);
	return ref;
}

static NameRef
no_name(void)
{
	NameRef		ref = {NULL, -1};

	return ref;
}

static DateADT
dob_for_age(SynthRng *r, DateADT as_of, int age)
{
	return as_of - age * 365 - age / 4 - (int) rng_int(r, 365);
}

/* A new person of the household, given origin, sex and age at as_of. */
static Person *
add_person(GenContext *g, SynthRng *r, Household *hh, int origin, char sex,
		   int age, Role role)
{
	Person	   *p = &hh->people[hh->npeople++];
	const Origin *o = &synth_origins[origin];

	memset(p, 0, sizeof(*p));
	p->id = ++g->next_person;
	p->origin = origin;
	p->role = role;
	p->sex = sex;
	p->given = sex == 'M' ? pick_name(r, o->male, o->nmale) :
		pick_name(r, o->female, o->nfemale);
	p->middle = rng_chance(r, 0.35) ?
		(sex == 'M' ? pick_name(r, o->male, o->nmale) :
		 pick_name(r, o->female, o->nfemale)) : no_name();
	if (p->middle.spec == p->given.spec)
		p->middle = no_name();
	p->family = pick_name(r, o->surname, o->nsurname);
	p->family2 = no_name();
	p->family_join = '-';
	if (o->double_surname && rng_chance(r, 0.6))
	{
		p->family2 = pick_name(r, o->surname, o->nsurname);
		p->family_join = ' ';
	}
	p->dob = dob_for_age(r, g->as_of, age);
	p->dod = DATEVAL_NOEND;
	p->school = -1;
	return p;
}

static char
random_sex(SynthRng *r)
{
	return rng_chance(r, 0.5) ? 'M' : 'F';
}

/* Children of a parent couple (father may be NULL). */
static void
add_children(GenContext *g, SynthRng *r, Household *hh, Person *mother,
			 Person *father, int youngest_parent_age, int count)
{
	for (int i = 0; i < count && hh->npeople < HH_MAX_PEOPLE; i++)
	{
		int			max_age = Min(17, youngest_parent_age - 18);
		int			age;
		Person	   *c;
		const Origin *o;

		if (max_age < 0)
			return;
		/* under-fives are over-represented among children, as in Brent */
		age = rng_chance(r, 0.35) ? rng_range(r, 0, Min(4, max_age)) :
			rng_range(r, 0, max_age);
		c = add_person(g, r, hh, hh->origin, random_sex(r), age, ROLE_CHILD);
		o = &synth_origins[c->origin];
		if (father != NULL && o->patronymic && rng_chance(r, 0.8))
		{
			/* the father's given name becomes the child's family name */
			c->family = father->given;
			c->family2 = no_name();
		}
		else if (father != NULL && mother != NULL && rng_chance(r, 0.1) &&
				 father->family.spec != mother->family.spec)
		{
			c->family = father->family;
			c->family2 = mother->family;
			c->family_join = '-';
		}
		else
		{
			Person	   *parent = father != NULL && rng_chance(r, 0.9) ? father :
				(mother != NULL ? mother : father);

			c->family = parent->family;
			c->family2 = parent->family2;
			c->family_join = parent->family_join;
		}
	}
}

static void
make_partner_surname(SynthRng *r, Person *a, Person *b)
{
	const Origin *o = &synth_origins[b->origin];

	/* many partners share a family name; patronymic cultures do not */
	if (!o->patronymic && rng_chance(r, 0.6))
	{
		b->family = a->family;
		b->family2 = a->family2;
		b->family_join = a->family_join;
	}
	else if (!o->patronymic && rng_chance(r, 0.1))
	{
		b->family2 = a->family;		/* double-barrelled on marriage */
		b->family_join = '-';
	}
}

static int
child_count(SynthRng *r)
{
	static const int w[] = {35, 40, 18, 7};

	return 1 + rng_weighted(r, w, 4, 100);
}

void
household_make(GenContext *g, SynthRng *r, Household *hh, int64 max_people)
{
	DateADT		end;

	memset(hh, 0, sizeof(*hh));
	hh->id = ++g->next_household;
	hh->kind = (HouseholdKind) rng_weighted(r, kind_weights, HH_NKINDS, 1000);
	hh->origin = pick_origin(r);
	hh->mother = -1;

	switch (hh->kind)
	{
		case HH_SINGLE:
			add_person(g, r, hh, hh->origin, random_sex(r), rng_range(r, 18, 92),
					   ROLE_ADULT);
			break;
		case HH_COUPLE:
		case HH_COUPLE_CHILDREN:
		case HH_MULTI_GENERATION:
			{
				int			age_m = hh->kind == HH_COUPLE ? rng_range(r, 20, 88) :
					hh->kind == HH_COUPLE_CHILDREN ? rng_range(r, 22, 55) :
					rng_range(r, 26, 52);
				int			age_f = Max(18, age_m + rng_range(r, -7, 3));
				int			origin_f = rng_chance(r, 0.1) ? pick_origin(r) : hh->origin;
				Person	   *grand = NULL;
				Person	   *man;
				Person	   *woman;

				if (hh->kind == HH_MULTI_GENERATION)
				{
					grand = add_person(g, r, hh, hh->origin, random_sex(r),
									   Min(95, age_m + rng_range(r, 20, 35)),
									   ROLE_GRANDPARENT);
					if (rng_chance(r, 0.5))
					{
						Person	   *g2 = add_person(g, r, hh, hh->origin,
													grand->sex == 'M' ? 'F' : 'M',
													Min(95, age_m + rng_range(r, 20, 33)),
													ROLE_GRANDPARENT);

						make_partner_surname(r, grand, g2);
					}
				}
				man = add_person(g, r, hh, hh->origin, 'M', age_m, ROLE_ADULT);
				if (grand != NULL)
				{
					man->family = grand->family;
					man->family2 = grand->family2;
				}
				woman = add_person(g, r, hh, origin_f, 'F', age_f, ROLE_PARTNER);
				make_partner_surname(r, man, woman);
				hh->mother = hh->npeople - 1;
				if (hh->kind != HH_COUPLE)
					add_children(g, r, hh, woman, man, Min(age_m, age_f),
								 child_count(r));
			}
			break;
		case HH_LONE_PARENT:
			{
				bool		mum = rng_chance(r, 0.88);
				Person	   *parent = add_person(g, r, hh, hh->origin, mum ? 'F' : 'M',
												rng_range(r, 19, 52), ROLE_ADULT);

				if (mum)
					hh->mother = 0;
				add_children(g, r, hh, mum ? parent : NULL, mum ? NULL : parent,
							 age_at(parent->dob, g->as_of), child_count(r));
			}
			break;
		case HH_SHARERS:
			{
				int			n = rng_range(r, 2, 4);

				for (int i = 0; i < n; i++)
					add_person(g, r, hh, i == 0 || rng_chance(r, 0.4) ? hh->origin :
							   pick_origin(r), random_sex(r), rng_range(r, 19, 45),
							   ROLE_SHARER);
			}
			break;
		default:
			break;
	}

	/* stop exactly at the number of people asked for */
	if (g->next_person > max_people)
	{
		int			excess = (int) (g->next_person - max_people);

		hh->npeople -= excess;
		g->next_person -= excess;
		if (hh->mother >= hh->npeople)
			hh->mother = -1;
	}

	/* When the household lived here. */
	if (rng_chance(r, 0.22))
		hh->from = g->window_start + (int) rng_int(r, g->as_of - g->window_start);
	else
		hh->from = g->window_start - 1 - (int) rng_int(r, 20 * 365);
	hh->to = DATEVAL_NOEND;
	if (rng_chance(r, 0.07))
	{
		DateADT		start = Max(hh->from, g->window_start);

		if (g->as_of - start > 30)
			hh->to = start + 30 + (int) rng_int(r, g->as_of - start - 30);
	}
	end = DATE_NOT_FINITE(hh->to) ? g->as_of : hh->to;

	/* One or two addresses (a move within the borough). */
	hh->ward = geo_pick_ward(&g->geo, r);
	hh->nspells = 1;
	hh->spells[0].from = hh->from;
	hh->spells[0].to = hh->to;
	geo_address(&g->geo, r, hh->ward, ++g->next_uprn, &hh->spells[0].address);
	if (rng_chance(r, 0.12))
	{
		DateADT		start = Max(hh->from, g->window_start);

		if (end - start > 90)
		{
			DateADT		move = start + 45 + (int) rng_int(r, end - start - 90);
			int			ward2 = geo_pick_ward(&g->geo, r);

			hh->spells[0].to = move;
			hh->spells[1].from = move;
			hh->spells[1].to = hh->to;
			geo_address(&g->geo, r, ward2, ++g->next_uprn, &hh->spells[1].address);
			hh->nspells = 2;
		}
	}

	/* Lives: births, deaths, identifiers. */
	for (int i = 0; i < hh->npeople; i++)
	{
		Person	   *p = &hh->people[i];
		int			age = age_at(p->dob, g->as_of);
		DateADT		start;

		/* a child cannot be born after the family left */
		if (p->dob > end)
			p->dob = end - (int) rng_int(r, 200);
		p->from = Max(hh->from, p->dob);
		p->to = hh->to;
		start = Max(p->from, g->window_start);
		if (age >= 65 && end - start > 30 &&
			rng_chance(r, age >= 85 ? 0.3 : age >= 75 ? 0.12 : 0.04))
		{
			p->dod = start + 1 + (int) rng_int(r, end - start - 1);
			p->to = p->dod;
		}
		snprintf(p->nhs, sizeof(p->nhs), UINT64_FORMAT,
				 synth_nhs_number((uint64) p->id + (uint64) (uint32) g->seed * 7919));
		if (age_at(p->dob, DATE_NOT_FINITE(p->to) ? g->as_of : p->to) >= 16)
			synth_ni_number((uint64) p->id + (uint64) (uint32) g->seed * 7919, p->ni);
		else
			p->ni[0] = '\0';
	}
}
