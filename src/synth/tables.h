/*
 * tables.h
 *		The tables of a synthetic borough, in the order their columns are
 *		written by borough.c.  One place defines each table: its columns,
 *		its key and the indexes built after loading.
 */
#ifndef BRENT_SYNTH_TABLES_H
#define BRENT_SYNTH_TABLES_H

typedef enum BoroughTableId
{
	T_ABOUT, T_WARD, T_SCHOOL, T_ADDRESS,
	T_COUNCIL_TAX, T_HOUSING, T_REVENUES_BENEFITS, T_SCHOOL_CENSUS,
	T_EARLY_YEARS, T_CHILDRENS_SOCIAL_CARE, T_YOUTH_OFFENDING, T_ASB_CASE,
	T_ADULT_SOCIAL_CARE, T_ELECTORAL_REGISTER, T_HEALTH_VISITING,
	T_SCHOOL_ATTENDANCE, T_SCHOOL_EXCLUSION, T_MISSING_EPISODE, T_OFFENCE,
	T_ASB_INCIDENT, T_DOMESTIC_ABUSE, T_EARLY_HELP, T_HEALTH_FLAG,
	T_CME_REFERRAL, T_CSE_CONCERN, T_EHCP,
	T_AIR_SITE, T_AIR_READING, T_POPULATION,
	T_PERSON, T_HOUSEHOLD, T_RESIDENCE, T_SOURCE_RECORD, T_CHILD_RECORD,
	T_COUNT
} BoroughTableId;

typedef struct BoroughTable
{
	const char *name;
	bool		truth;			/* lives in the <schema>_truth schema */
	const char *columns;
	const char *primary_key;	/* NULL: none */
	const char *indexes;		/* ';'-separated column lists, or NULL */
	const char *comment;
} BoroughTable;

extern const BoroughTable borough_tables[T_COUNT];

/* Source systems: table, short code used in record keys, label. */
typedef struct SourceSystem
{
	BoroughTableId table;
	const char *code;
	const char *label;
} SourceSystem;

#define N_SYSTEMS 11
extern const SourceSystem borough_systems[N_SYSTEMS];

#endif							/* BRENT_SYNTH_TABLES_H */
