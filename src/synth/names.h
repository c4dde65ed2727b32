/*
 * names.h
 *		Name stock of the synthetic borough, by origin.
 *
 * Each name is one string "Latin|alternative spellings|nicknames|original script"
 * where the lists are comma-separated and any part may be empty, e.g.
 * "Mohammed|Muhammad,Mohamed,Mohammad|Mo|محمد".
 */
#ifndef BRENT_SYNTH_NAMES_H
#define BRENT_SYNTH_NAMES_H

typedef enum NamePart
{
	NAME_LATIN = 0,
	NAME_ALTS = 1,
	NAME_NICKS = 2,
	NAME_NATIVE = 3
} NamePart;

typedef struct Origin
{
	const char *code;			/* e.g. 'gujarati' */
	const char *script;			/* script of the native forms, or NULL */
	int			weight;			/* share of Brent households, per mille */
	bool		patronymic;		/* children take the father's given name */
	bool		double_surname; /* two family names are common */
	const char *const *male;
	const char *const *female;
	const char *const *surname;
	int			nmale;
	int			nfemale;
	int			nsurname;
} Origin;

extern const Origin synth_origins[];
extern const int synth_norigins;

extern const char *const synth_street_names[];
extern const int synth_nstreet_names;
extern const char *const synth_street_kinds[];
extern const int synth_nstreet_kinds;

/* Number of comma-separated items in a part of a name spec. */
extern int	name_part_count(const char *spec, NamePart part);

/* Copies item i of a part into buf (NUL-terminated); returns false if absent. */
extern bool name_part_item(const char *spec, NamePart part, int i,
						   char *buf, int buflen);

#endif							/* BRENT_SYNTH_NAMES_H */
