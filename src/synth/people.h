/*
 * people.h
 *		Households and people of the synthetic borough, and how source
 *		systems write them down (names, dates, codes, with errors).
 */
#ifndef BRENT_SYNTH_PEOPLE_H
#define BRENT_SYNTH_PEOPLE_H

#include "postgres.h"

#include "utils/date.h"

#include "synth/borough.h"
#include "synth/names.h"

#define HH_MAX_PEOPLE 10
#define HH_MAX_SPELLS 2
#define NAME_BUF 160

typedef enum HouseholdKind
{
	HH_SINGLE, HH_COUPLE, HH_COUPLE_CHILDREN, HH_LONE_PARENT, HH_MULTI_GENERATION,
	HH_SHARERS, HH_NKINDS
} HouseholdKind;

typedef enum Role
{
	ROLE_ADULT, ROLE_PARTNER, ROLE_CHILD, ROLE_GRANDPARENT, ROLE_SHARER
} Role;

typedef struct NameRef
{
	const char *spec;			/* name spec (names.h), NULL if none */
	int			form;			/* -1 the usual Latin form, else an alternative */
} NameRef;

typedef struct Person
{
	int64		id;
	int			origin;
	Role		role;
	char		sex;			/* 'M' or 'F' */
	NameRef		given;
	NameRef		middle;
	NameRef		family;
	NameRef		family2;		/* second family name (double-barrelled), or none */
	char		family_join;	/* ' ' or '-' */
	DateADT		dob;
	DateADT		dod;			/* DATEVAL_NOEND if alive */
	DateADT		from;			/* in the borough from */
	DateADT		to;				/* in the borough until (DATEVAL_NOEND: still) */
	char		nhs[11];
	char		ni[10];			/* "" if none */
	char		upn[14];		/* "" if none */
	int			school;			/* primary school (index), -1 if none */
	double		absence;		/* school absence rate */
	/* set by the systems' writers, read by the children's datasets (no draws) */
	char		lcs_key[24];	/* first children's social care record, "" if none */
	DateADT		lcs_from;		/* its referral date */
	int			missing_episodes;	/* missing-from-home episodes written */
	int			exclusions;		/* suspensions and exclusions written */
} Person;

typedef struct Spell
{
	Address		address;
	DateADT		from;
	DateADT		to;				/* DATEVAL_NOEND if still there */
} Spell;

typedef struct Household
{
	int64		id;
	HouseholdKind kind;
	int			origin;
	int			ward;
	int			npeople;
	Person		people[HH_MAX_PEOPLE];
	int			nspells;
	Spell		spells[HH_MAX_SPELLS];
	DateADT		from;
	DateADT		to;
	bool		social_tenant;
	bool		benefits;
	int			mother;			/* index of the mother of the children, or -1 */
} Household;

/* How a system writes people down: probabilities of each kind of error. */
typedef struct Profile
{
	double		typo;			/* one edit in a name */
	double		variant;		/* another spelling of the same name */
	double		nickname;		/* nickname for the given name */
	double		native;			/* name in its original script */
	double		swap;			/* given and family names exchanged */
	double		initial;		/* given name as an initial */
	double		middle;			/* middle name written with the given name */
	double		surname_part;	/* one part of a double surname only */
	bool		upper;			/* system keeps names in upper case */
	double		dob_missing;
	double		dob_transposed;
	double		dob_typo;
	double		stale;			/* previous address */
	double		postcode_format;	/* lower case, no space, ... */
	double		id_missing;
	double		duplicate;		/* a second record of the same person */
	double		wrong_sex;
} Profile;

extern void legal_name(const NameRef *n, char *buf);
extern void render_given(SynthRng *r, const Profile *pf, const Person *p, char *out);
extern void render_family(SynthRng *r, const Profile *pf, const Person *p, char *out);
extern void render_names(SynthRng *r, const Profile *pf, const Person *p,
						 char *given, char *family);
extern DateADT render_dob(SynthRng *r, const Profile *pf, DateADT dob);
extern void render_postcode(SynthRng *r, const Profile *pf, const char *pc, char *out);
extern void synth_upper(char *s);
extern const char *title_for(const Person *p, DateADT at);

extern DateADT synth_date(int y, int m, int d);
extern int	age_at(DateADT dob, DateADT t);
extern void date_parts(DateADT d, int *y, int *m, int *day);

#endif							/* BRENT_SYNTH_PEOPLE_H */
