/*
 * profile.c
 *		brent_mdm.family_profile: the troubled-families problem profile of one
 *		family, as an aggregate over its members' events.
 *
 * Each input row is one event of one member (a school term's attendance, an
 * exclusion, a social care episode, an offence...): its source, category and
 * dates, and for attendance the sessions missed and possible.  The rule set
 * (brent_mdm.scorecard_criterion) is read once per query and kept in the
 * function's fn_extra; the transition function matches each event against
 * the criteria of its source (category, member, window) and adds it to one
 * accumulator per member, criterion and window (outcome or baseline).  The
 * final function evaluates the criteria member by member, then the problems,
 * eligibility and progress, and returns them as jsonb with their evidence.
 *
 * The state holds counters only (counts, sessions, first and last dates), so
 * partial states of one family computed by parallel workers combine by adding
 * them (combine, serialize and deserialize functions).
 *
 * Windows.  'month': months from the reference date, an event dated d is in
 * window [from, to) when ref + from months < d <= ref + to months.  'term':
 * school terms (spring 1 January - 31 March, summer 1 April - 31 August,
 * autumn 1 September - 31 December); term 0 is the last complete term ending
 * on or before the reference date and window [from, to) holds terms from + 1
 * to to (so [-3, 0) is the last three complete terms).  Count measures count
 * events overlapping the window (an episode open at any time in it); rate
 * measures (attendance) add the terms lying inside it.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#define SC_NAMELEN		64
#define SC_MAXCATS		32
#define SC_MAXCRIT		512
#define SC_MAXWINDOW	1200

/* reference dates of a window */
#define REF_ASOF		0
#define REF_ATTACHED	1
#define REF_CLOSED		2

/* members a criterion counts */
#define MEMBER_ANY		0
#define MEMBER_CHILD	1
#define MEMBER_ADULT	2

#define OP_GE	0
#define OP_GT	1
#define OP_LE	2
#define OP_LT	3
#define OP_EQ	4

typedef struct ScSource
{
	char		name[SC_NAMELEN];
	int			ncats;
	char		cats[SC_MAXCATS][SC_NAMELEN];
	int			ncrit;			/* criteria reading this source */
	int		   *crit;
} ScSource;

typedef struct ScCriterion
{
	char		name[SC_NAMELEN];
	int			problem;
	bool		progress;
	int			source;
	uint32		catmask;		/* 0: every category */
	int			member;
	int			op;
	double		threshold;
	bool		rate;
	bool		term;
	int			ref;
	int32		wfrom,
				wto,
				bfrom,
				bto;
	DateADT		lo,				/* the window for REF_ASOF: (lo, hi] */
				hi;
} ScCriterion;

typedef struct ScProgram
{
	MemoryContext cxt;			/* holds the program and nothing else */
	char		rule_set[SC_NAMELEN];
	DateADT		as_of;
	int			required;
	int			nproblems;
	char	  (*problems)[SC_NAMELEN];
	int			nsources;
	ScSource   *sources;
	int			ncrit;
	ScCriterion *crit;
} ScProgram;

/* one accumulator: a member's events matching a criterion's window */
typedef struct ScEntry
{
	int64		member;
	int32		crit;
	int32		phase;			/* 0 outcome (or identification), 1 baseline */
	int64		n;
	int64		missed;
	int64		possible;
	DateADT		first;
	DateADT		last;
} ScEntry;

typedef struct ScState
{
	char		rule_set[SC_NAMELEN];
	DateADT		as_of;
	DateADT		attached;		/* DATEVAL_NOBEGIN: unknown */
	DateADT		closed;
	int64		rows;
	int32		nentries;
	int32		maxentries;
	ScEntry    *e;
} ScState;

/* serialized form: the header, then nentries ScEntry */
typedef struct ScStateHeader
{
	char		rule_set[SC_NAMELEN];
	DateADT		as_of;
	DateADT		attached;
	DateADT		closed;
	int64		rows;
	int32		nentries;
} ScStateHeader;

/* ---------------------------------------------------------------- dates */

static DateADT
add_months(DateADT d, int32 months)
{
	int			y,
				m,
				day;
	int64		mm;
	static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int			last;

	j2date(d + POSTGRES_EPOCH_JDATE, &y, &m, &day);
	mm = (int64) y * 12 + (m - 1) + months;
	y = (int) (mm >= 0 ? mm / 12 : -((-mm + 11) / 12));
	m = (int) (mm - (int64) y * 12) + 1;
	last = mdays[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
	if (day > last)
		day = last;
	return date2j(y, m, day) - POSTGRES_EPOCH_JDATE;
}

/* terms: 3 * year + 0 (spring), 1 (summer), 2 (autumn) */
static int64
term_of(DateADT d)
{
	int			y,
				m,
				day;

	j2date(d + POSTGRES_EPOCH_JDATE, &y, &m, &day);
	return (int64) y * 3 + (m <= 3 ? 0 : m <= 8 ? 1 : 2);
}

static void
term_bounds(int64 t, DateADT *start, DateADT *end)
{
	int			y = (int) (t >= 0 ? t / 3 : -((-t + 2) / 3));
	int			k = (int) (t - (int64) y * 3);

	*start = date2j(y, k == 0 ? 1 : k == 1 ? 4 : 9, 1) - POSTGRES_EPOCH_JDATE;
	*end = date2j(y, k == 0 ? 3 : k == 1 ? 8 : 12, k == 0 ? 31 : k == 1 ? 31 : 31) - POSTGRES_EPOCH_JDATE;
}

/* the window [from, to) of a criterion from a reference date, as (lo, hi] */
static void
window_bounds(bool term, DateADT ref, int32 from, int32 to, DateADT *lo, DateADT *hi)
{
	if (!term)
	{
		*lo = add_months(ref, from);
		*hi = add_months(ref, to);
	}
	else
	{
		int64		r = term_of(ref);
		DateADT		s,
					e;

		term_bounds(r, &s, &e);
		if (ref != e)
			r--;				/* the term holding ref is not complete */
		term_bounds(r + 1 + from, &s, &e);
		*lo = s - 1;
		term_bounds(r + to, &s, &e);
		*hi = e;
	}
}

/* dates outside this range are refused (month and term arithmetic stays exact) */
#define SC_MINDATE	(-730000)		/* about 0001 */
#define SC_MAXDATE	(2900000)		/* about 9900 */

static void
check_date(DateADT d, const char *what)
{
	if (DATE_NOT_FINITE(d) || d < SC_MINDATE || d > SC_MAXDATE)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("family_profile: %s %s is out of range", what,
						DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(d)))),
				 errhint("Dates from the year 1 to 9900 are accepted; give NULL for an unknown date.")));
}

/* ---------------------------------------------------------------- rules */

static int
op_code(const char *op)
{
	if (strcmp(op, ">=") == 0)
		return OP_GE;
	if (strcmp(op, ">") == 0)
		return OP_GT;
	if (strcmp(op, "<=") == 0)
		return OP_LE;
	if (strcmp(op, "<") == 0)
		return OP_LT;
	return OP_EQ;
}

static bool
op_holds(int op, double v, double t)
{
	switch (op)
	{
		case OP_GE:
			return v >= t;
		case OP_GT:
			return v > t;
		case OP_LE:
			return v <= t;
		case OP_LT:
			return v < t;
		default:
			return v == t;
	}
}

static void
copy_name(char *dst, const char *src, const char *what)
{
	if (strlen(src) >= SC_NAMELEN)
		ereport(ERROR,
				(errcode(ERRCODE_NAME_TOO_LONG),
				 errmsg("family_profile: %s \"%.*s...\" is longer than %d bytes", what,
						pg_mbcliplen(src, strlen(src), SC_NAMELEN - 1), src, SC_NAMELEN - 1)));
	strlcpy(dst, src, SC_NAMELEN);
}

static char *
spi_text(int row, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

static int32
spi_int(int row, int col, int32 dflt)
{
	bool		isnull;
	Datum		d = SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col, &isnull);

	return isnull ? dflt : DatumGetInt32(d);
}

/* the source's index in the program, added if new */
static int
program_source(ScProgram *p, const char *name, ArrayType *cats, int maxsources)
{
	ScSource   *s;

	for (int i = 0; i < p->nsources; i++)
		if (strcmp(p->sources[i].name, name) == 0)
			return i;
	Assert(p->nsources < maxsources);
	s = &p->sources[p->nsources];
	memset(s, 0, sizeof(ScSource));
	copy_name(s->name, name, "source");
	if (cats != NULL)
	{
		Datum	   *elems;
		bool	   *nulls;
		int			n;

		deconstruct_array(cats, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
		if (n > SC_MAXCATS)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("family_profile: source \"%s\" has more than %d categories", name, SC_MAXCATS)));
		for (int i = 0; i < n; i++)
			if (!nulls[i])
				copy_name(s->cats[s->ncats++], TextDatumGetCString(elems[i]), "category");
	}
	return p->nsources++;
}

static int
category_index(const ScSource *s, const char *cat)
{
	for (int i = 0; i < s->ncats; i++)
		if (strcmp(s->cats[i], cat) == 0)
			return i;
	return -1;
}

/*
 * Reads a rule set into a program in context cxt.  The rule tables are
 * readable by everyone (rules are policy, not personal data).
 */
static ScProgram *
load_program(const char *rule_set, DateADT as_of, MemoryContext cxt)
{
	ScProgram  *p;
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];
	int			rc;
	uint64		n;
	MemoryContext old;

	args[0] = CStringGetTextDatum(rule_set);
	if ((rc = SPI_connect()) != SPI_OK_CONNECT)
		elog(ERROR, "family_profile: SPI_connect failed: %d", rc);

	p = MemoryContextAllocZero(cxt, sizeof(ScProgram));
	copy_name(p->rule_set, rule_set, "rule set");
	p->as_of = as_of;

	rc = SPI_execute_with_args("SELECT problems_required FROM brent_mdm.scorecard_rule_set WHERE rule_set = $1",
							   1, argtypes, args, NULL, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "family_profile: reading the rule set failed: %d", rc);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("rule set \"%s\" does not exist", rule_set),
				 errhint("Rule sets are in brent_mdm.scorecard_rule_set.")));
	p->required = spi_int(0, 1, 1);

	rc = SPI_execute_with_args("SELECT problem FROM brent_mdm.scorecard_problem WHERE rule_set = $1 ORDER BY ordinal, problem",
							   1, argtypes, args, NULL, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "family_profile: reading the problems failed: %d", rc);
	n = SPI_processed;
	if (n > SC_MAXCRIT)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("rule set \"%s\" has more than %d problems", rule_set, SC_MAXCRIT)));
	p->problems = MemoryContextAllocZero(cxt, sizeof(*p->problems) * Max(n, 1));
	for (uint64 i = 0; i < n; i++)
		copy_name(p->problems[i], spi_text(i, 1), "problem");
	p->nproblems = (int) n;

	rc = SPI_execute_with_args("SELECT c.problem, c.criterion, c.kind, c.source, c.categories, c.member, c.operator,"
							   "       c.threshold::float8, c.window_unit, c.reference, c.window_from, c.window_to,"
							   "       c.baseline_from, c.baseline_to, m.kind, s.categories"
							   "  FROM brent_mdm.scorecard_criterion c"
							   "  JOIN brent_mdm.scorecard_measure m USING (source, measure)"
							   "  JOIN brent_mdm.scorecard_source s ON s.source = c.source"
							   " WHERE c.rule_set = $1 ORDER BY c.problem, c.criterion",
							   1, argtypes, args, NULL, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "family_profile: reading the criteria failed: %d", rc);
	n = SPI_processed;
	if (n > SC_MAXCRIT)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("rule set \"%s\" has more than %d criteria", rule_set, SC_MAXCRIT)));
	p->crit = MemoryContextAllocZero(cxt, sizeof(ScCriterion) * Max(n, 1));
	p->sources = MemoryContextAllocZero(cxt, sizeof(ScSource) * Max(n, 1));
	old = MemoryContextSwitchTo(cxt);
	for (uint64 i = 0; i < n; i++)
	{
		ScCriterion *c = &p->crit[i];
		char	   *problem = spi_text(i, 1);
		bool		isnull;
		Datum		cats;
		Datum		srccats;
		int			j;

		copy_name(c->name, spi_text(i, 2), "criterion");
		c->problem = -1;
		for (j = 0; j < p->nproblems; j++)
			if (strcmp(p->problems[j], problem) == 0)
				c->problem = j;
		if (c->problem < 0)
			elog(ERROR, "family_profile: criterion \"%s\" has no problem", c->name);
		c->progress = strcmp(spi_text(i, 3), "progress") == 0;
		srccats = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 16, &isnull);
		c->source = program_source(p, spi_text(i, 4), isnull ? NULL : DatumGetArrayTypePCopy(srccats), (int) n);
		cats = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 5, &isnull);
		if (!isnull)
		{
			Datum	   *elems;
			bool	   *nulls;
			int			ncat;

			deconstruct_array(DatumGetArrayTypePCopy(cats), TEXTOID, -1, false, TYPALIGN_INT,
							  &elems, &nulls, &ncat);
			for (j = 0; j < ncat; j++)
			{
				int			k = nulls[j] ? -1 :
					category_index(&p->sources[c->source], TextDatumGetCString(elems[j]));

				if (k < 0)
					elog(ERROR, "family_profile: criterion \"%s\" counts a category its source lacks", c->name);
				c->catmask |= (uint32) 1 << k;
			}
		}
		{
			char	   *member = spi_text(i, 6);

			c->member = strcmp(member, "child") == 0 ? MEMBER_CHILD :
				strcmp(member, "adult") == 0 ? MEMBER_ADULT : MEMBER_ANY;
		}
		c->op = op_code(spi_text(i, 7));
		c->threshold = DatumGetFloat8(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 8, &isnull));
		c->term = strcmp(spi_text(i, 9), "term") == 0;
		{
			char	   *ref = spi_text(i, 10);

			c->ref = strcmp(ref, "attachment") == 0 ? REF_ATTACHED :
				strcmp(ref, "closure") == 0 ? REF_CLOSED : REF_ASOF;
		}
		c->wfrom = spi_int(i, 11, 0);
		c->wto = spi_int(i, 12, 0);
		c->bfrom = spi_int(i, 13, 0);
		c->bto = spi_int(i, 14, 0);
		c->rate = strcmp(spi_text(i, 15), "rate") == 0;
		if (Abs(c->wfrom) > SC_MAXWINDOW || Abs(c->wto) > SC_MAXWINDOW ||
			Abs(c->bfrom) > SC_MAXWINDOW || Abs(c->bto) > SC_MAXWINDOW)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("criterion \"%s\" of rule set \"%s\" has a window beyond %d months or terms",
							c->name, rule_set, SC_MAXWINDOW),
					 errhint("Windows are counted from the reference date; 100 years is the most.")));
		if (c->ref == REF_ASOF)
			window_bounds(c->term, as_of, c->wfrom, c->wto, &c->lo, &c->hi);
	}
	p->ncrit = (int) n;
	/* each source's criteria */
	for (int s = 0; s < p->nsources; s++)
	{
		ScSource   *src = &p->sources[s];

		src->crit = palloc(sizeof(int) * Max(p->ncrit, 1));
		for (int i = 0; i < p->ncrit; i++)
			if (p->crit[i].source == s)
				src->crit[src->ncrit++] = i;
	}
	MemoryContextSwitchTo(old);
	SPI_finish();
	return p;
}

/*
 * The program of a call, kept in fn_extra for the query.  Each program has a
 * context of its own, deleted when another rule set or date replaces it: a
 * query whose groups alternate dates would otherwise pile up a program per
 * group in the query's memory (45 kB each for a shipped rule set).
 */
static ScProgram *
get_program(FunctionCallInfo fcinfo, const char *rule_set, DateADT as_of)
{
	ScProgram  *p = (ScProgram *) fcinfo->flinfo->fn_extra;
	MemoryContext cxt;

	if (p != NULL && p->as_of == as_of && strcmp(p->rule_set, rule_set) == 0)
		return p;
	if (p != NULL)
	{
		fcinfo->flinfo->fn_extra = NULL;
		MemoryContextDelete(p->cxt);
	}
	cxt = AllocSetContextCreate(fcinfo->flinfo->fn_mcxt, "family_profile rule set", ALLOCSET_SMALL_SIZES);
	p = load_program(rule_set, as_of, cxt);
	p->cxt = cxt;
	fcinfo->flinfo->fn_extra = p;
	return p;
}

/* ---------------------------------------------------------------- state */

static ScState *
new_state(MemoryContext cxt, const char *rule_set, DateADT as_of)
{
	ScState    *st = MemoryContextAllocZero(cxt, sizeof(ScState));

	strlcpy(st->rule_set, rule_set, SC_NAMELEN);
	st->as_of = as_of;
	DATE_NOBEGIN(st->attached);
	DATE_NOBEGIN(st->closed);
	st->maxentries = 8;
	st->e = MemoryContextAlloc(cxt, sizeof(ScEntry) * st->maxentries);
	return st;
}

static ScEntry *
entry(ScState *st, int64 member, int32 crit, int32 phase, MemoryContext cxt)
{
	ScEntry    *e;

	for (int i = 0; i < st->nentries; i++)
	{
		e = &st->e[i];
		if (e->member == member && e->crit == crit && e->phase == phase)
			return e;
	}
	if (st->nentries == st->maxentries)
	{
		if (st->maxentries > (int32) (MaxAllocSize / sizeof(ScEntry) / 2))
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("family_profile: too many members and criteria in one family")));
		st->maxentries *= 2;
		st->e = repalloc(st->e, sizeof(ScEntry) * st->maxentries);
	}
	e = &st->e[st->nentries++];
	memset(e, 0, sizeof(ScEntry));
	e->member = member;
	e->crit = crit;
	e->phase = phase;
	DATE_NOEND(e->first);
	DATE_NOBEGIN(e->last);
	return e;
}

static void
entry_add(ScEntry *e, int64 n, int64 missed, int64 possible, DateADT first, DateADT last)
{
	if (pg_add_s64_overflow(e->n, n, &e->n) ||
		pg_add_s64_overflow(e->missed, missed, &e->missed) ||
		pg_add_s64_overflow(e->possible, possible, &e->possible))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("family_profile: a count is out of range")));
	if (first < e->first)
		e->first = first;
	if (last > e->last)
		e->last = last;
}

static void
set_reference(DateADT *have, DateADT given, const char *what)
{
	if (DATE_IS_NOBEGIN(*have))
		*have = given;
	else if (*have != given)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("family_profile: the family's %s date differs between rows", what),
				 errhint("Give each family one attachment and one closure date, the same on every row of its group.")));
}

/* does the event [ef, et] (et NOEND: still open) count in the window (lo, hi]? */
static inline bool
in_window(bool rate, DateADT ef, DateADT et, DateADT lo, DateADT hi)
{
	if (rate)
		return ef > lo && et <= hi;
	return ef <= hi && et > lo;
}

/*
 * family_profile_trans(state, rule_set, as_of, attached, closed, member_id,
 *						member_role, source, category, event_from, event_to,
 *						missed, possible)
 */
PG_FUNCTION_INFO_V1(scorecard_profile_trans);
Datum
scorecard_profile_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	ScState    *st;
	ScProgram  *p;
	char	   *rule_set;
	DateADT		as_of;
	char	   *source;
	ScSource   *src = NULL;
	int			cat = -1;
	int			role;
	int64		member;
	DateADT		ef,
				et;
	int64		missed = 0,
				possible = 0;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "family_profile_trans called in non-aggregate context");
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("family_profile: rule set and as_of date must not be NULL")));
	rule_set = text_to_cstring(PG_GETARG_TEXT_PP(1));
	as_of = PG_GETARG_DATEADT(2);
	check_date(as_of, "as_of date");
	p = get_program(fcinfo, rule_set, as_of);

	if (PG_ARGISNULL(0))
		st = new_state(aggcxt, p->rule_set, as_of);
	else
	{
		st = (ScState *) PG_GETARG_POINTER(0);
		if (st->as_of != as_of || strcmp(st->rule_set, p->rule_set) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("family_profile: the rule set and as_of date must be the same on every row of a family")));
	}
	if (!PG_ARGISNULL(3))
	{
		check_date(PG_GETARG_DATEADT(3), "attachment date");
		set_reference(&st->attached, PG_GETARG_DATEADT(3), "attachment");
	}
	if (!PG_ARGISNULL(4))
	{
		check_date(PG_GETARG_DATEADT(4), "closure date");
		set_reference(&st->closed, PG_GETARG_DATEADT(4), "closure");
	}
	st->rows++;

	/* an event: a source and a date at least; no member: the family's own */
	if (PG_ARGISNULL(7) || PG_ARGISNULL(9))
		PG_RETURN_POINTER(st);
	member = PG_ARGISNULL(5) ? PG_INT64_MIN : PG_GETARG_INT64(5);
	source = text_to_cstring(PG_GETARG_TEXT_PP(7));
	for (int i = 0; i < p->nsources; i++)
		if (strcmp(p->sources[i].name, source) == 0)
			src = &p->sources[i];
	if (src == NULL)
		PG_RETURN_POINTER(st);	/* no criterion reads it */
	if (!PG_ARGISNULL(8))
		cat = category_index(src, text_to_cstring(PG_GETARG_TEXT_PP(8)));
	role = MEMBER_ANY;
	if (!PG_ARGISNULL(6) && !PG_ARGISNULL(5))
		role = strcmp(text_to_cstring(PG_GETARG_TEXT_PP(6)), "child") == 0 ? MEMBER_CHILD : MEMBER_ADULT;
	ef = PG_GETARG_DATEADT(9);
	check_date(ef, "event date");
	if (PG_ARGISNULL(10))
		DATE_NOEND(et);
	else
	{
		et = PG_GETARG_DATEADT(10);
		check_date(et, "event end date");
		if (et < ef)
			et = ef;			/* an end before the start: a one-day event */
	}
	if (!PG_ARGISNULL(11))
		missed = PG_GETARG_INT32(11);
	if (!PG_ARGISNULL(12))
		possible = PG_GETARG_INT32(12);
	if (missed < 0 || possible < 0 || missed > possible)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("family_profile: sessions missed %lld of %lld possible is not a valid attendance record",
						(long long) missed, (long long) possible),
				 errhint("Sessions missed must be between 0 and the sessions possible.")));

	for (int i = 0; i < src->ncrit; i++)
	{
		ScCriterion *c = &p->crit[src->crit[i]];
		DateADT		ref,
					lo,
					hi;

		if (c->member != MEMBER_ANY && c->member != role)
			continue;
		if (c->catmask != 0 && (cat < 0 || (c->catmask & ((uint32) 1 << cat)) == 0))
			continue;
		if (c->rate && possible == 0)
			continue;
		if (c->ref == REF_ASOF)
		{
			lo = c->lo;
			hi = c->hi;
		}
		else
		{
			ref = c->ref == REF_ATTACHED ? st->attached : st->closed;
			if (DATE_IS_NOBEGIN(ref))
				continue;
			window_bounds(c->term, ref, c->wfrom, c->wto, &lo, &hi);
			if (in_window(c->rate, ef, et, lo, hi))
				entry_add(entry(st, member, src->crit[i], 0, aggcxt), 1, missed, possible, ef, ef);
			window_bounds(c->term, ref, c->bfrom, c->bto, &lo, &hi);
			if (in_window(c->rate, ef, et, lo, hi))
				entry_add(entry(st, member, src->crit[i], 1, aggcxt), 1, missed, possible, ef, ef);
			continue;
		}
		if (in_window(c->rate, ef, et, lo, hi))
			entry_add(entry(st, member, src->crit[i], 0, aggcxt), 1, missed, possible, ef, ef);
	}
	PG_RETURN_POINTER(st);
}

PG_FUNCTION_INFO_V1(scorecard_profile_combine);
Datum
scorecard_profile_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	ScState    *a,
			   *b;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "family_profile_combine called in non-aggregate context");
	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(PG_ARGISNULL(0) ? NULL : PG_GETARG_POINTER(0));
	b = (ScState *) PG_GETARG_POINTER(1);
	if (PG_ARGISNULL(0))
	{
		a = new_state(aggcxt, b->rule_set, b->as_of);
		a->attached = b->attached;
		a->closed = b->closed;
	}
	else
	{
		a = (ScState *) PG_GETARG_POINTER(0);
		if (a->as_of != b->as_of || strcmp(a->rule_set, b->rule_set) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("family_profile: the rule set and as_of date must be the same on every row of a family")));
		if (!DATE_IS_NOBEGIN(b->attached))
			set_reference(&a->attached, b->attached, "attachment");
		if (!DATE_IS_NOBEGIN(b->closed))
			set_reference(&a->closed, b->closed, "closure");
	}
	a->rows += b->rows;
	for (int i = 0; i < b->nentries; i++)
	{
		ScEntry    *f = &b->e[i];

		CHECK_FOR_INTERRUPTS();
		entry_add(entry(a, f->member, f->crit, f->phase, aggcxt), f->n, f->missed, f->possible,
				  f->first, f->last);
	}
	PG_RETURN_POINTER(a);
}

PG_FUNCTION_INFO_V1(scorecard_profile_serialize);
Datum
scorecard_profile_serialize(PG_FUNCTION_ARGS)
{
	ScState    *st = (ScState *) PG_GETARG_POINTER(0);
	ScStateHeader h;
	Size		len;
	bytea	   *out;

	memset(&h, 0, sizeof(h));
	memcpy(h.rule_set, st->rule_set, SC_NAMELEN);
	h.as_of = st->as_of;
	h.attached = st->attached;
	h.closed = st->closed;
	h.rows = st->rows;
	h.nentries = st->nentries;
	len = VARHDRSZ + sizeof(h) + sizeof(ScEntry) * (Size) st->nentries;
	out = palloc(len);
	SET_VARSIZE(out, len);
	memcpy(VARDATA(out), &h, sizeof(h));
	memcpy(VARDATA(out) + sizeof(h), st->e, sizeof(ScEntry) * (Size) st->nentries);
	PG_RETURN_BYTEA_P(out);
}

PG_FUNCTION_INFO_V1(scorecard_profile_deserialize);
Datum
scorecard_profile_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *in = PG_GETARG_BYTEA_PP(0);
	MemoryContext aggcxt;
	ScStateHeader h;
	ScState    *st;
	Size		len = VARSIZE_ANY_EXHDR(in);

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "family_profile_deserialize called in non-aggregate context");
	if (len < sizeof(h))
		elog(ERROR, "family_profile: serialized state too short");
	memcpy(&h, VARDATA_ANY(in), sizeof(h));
	if (h.nentries < 0 || len != sizeof(h) + sizeof(ScEntry) * (Size) h.nentries ||
		memchr(h.rule_set, '\0', SC_NAMELEN) == NULL)
		elog(ERROR, "family_profile: serialized state is corrupt");
	st = new_state(aggcxt, h.rule_set, h.as_of);
	st->attached = h.attached;
	st->closed = h.closed;
	st->rows = h.rows;
	st->maxentries = Max(h.nentries, 8);
	st->e = MemoryContextAlloc(aggcxt, sizeof(ScEntry) * st->maxentries);
	memcpy(st->e, VARDATA_ANY(in) + sizeof(h), sizeof(ScEntry) * (Size) h.nentries);
	st->nentries = h.nentries;
	PG_RETURN_POINTER(st);
}

/* ---------------------------------------------------------------- final */

static void
jb_token(JsonbParseState **ps, JsonbIteratorToken tok)
{
	pushJsonbValue(ps, tok, NULL);
}

static void
jb_string(JsonbParseState **ps, JsonbIteratorToken tok, const char *str)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.val = (char *) str;
	v.val.string.len = strlen(str);
	pushJsonbValue(ps, tok, &v);
}

static void
jb_key(JsonbParseState **ps, const char *key)
{
	jb_string(ps, WJB_KEY, key);
}

static void
jb_null(JsonbParseState **ps)
{
	JsonbValue	v;

	v.type = jbvNull;
	pushJsonbValue(ps, WJB_VALUE, &v);
}

static void
jb_bool(JsonbParseState **ps, bool b)
{
	JsonbValue	v;

	v.type = jbvBool;
	v.val.boolean = b;
	pushJsonbValue(ps, WJB_VALUE, &v);
}

static void
jb_int(JsonbParseState **ps, int64 n)
{
	JsonbValue	v;

	v.type = jbvNumeric;
	v.val.numeric = int64_to_numeric(n);
	pushJsonbValue(ps, WJB_VALUE, &v);
}

/* a count, or a rate rounded to 6 decimals */
static void
jb_value(JsonbParseState **ps, bool rate, double x)
{
	JsonbValue	v;

	if (!rate)
	{
		jb_int(ps, (int64) x);
		return;
	}
	v.type = jbvNumeric;
	v.val.numeric = int64_div_fast_to_numeric((int64) rint(x * 1000000.0), 6);
	v.val.numeric = DatumGetNumeric(DirectFunctionCall1(numeric_trim_scale, NumericGetDatum(v.val.numeric)));
	pushJsonbValue(ps, WJB_VALUE, &v);
}

/* a date as YYYY-MM-DD (dates are checked to lie in years 1 to 9900), or null */
static void
jb_date(JsonbParseState **ps, DateADT d)
{
	int			y,
				m,
				day;
	char		buf[16];

	if (DATE_NOT_FINITE(d))
	{
		jb_null(ps);
		return;
	}
	j2date(d + POSTGRES_EPOCH_JDATE, &y, &m, &day);
	snprintf(buf, sizeof(buf), "%04d-%02d-%02d", y, m, day);
	{
		JsonbValue	v;

		v.type = jbvString;
		v.val.string.len = strlen(buf);
		v.val.string.val = pstrdup(buf);
		pushJsonbValue(ps, WJB_VALUE, &v);
	}
}

/* one member's value of a criterion in a phase; false when it has none (a rate with no sessions) */
static bool
member_value(const ScCriterion *c, const ScEntry *e, double *v)
{
	if (c->rate)
	{
		if (e == NULL || e->possible == 0)
			return false;
		*v = (double) e->missed / (double) e->possible;
		return true;
	}
	*v = e == NULL ? 0 : (double) e->n;
	return true;
}

typedef struct CritResult
{
	bool		met;
	int			members;		/* members meeting it (identification) */
	int64		records;		/* their records in the window */
	DateADT		since;
	double		value;			/* the highest member value (identification) */
	/* progress */
	int			status;			/* 0 met, 1 not met, 2 pending, 3 no data, 4 no reference date (not closed) */
	double		baseline;
	double		outcome;
	bool		has_baseline,
				has_outcome;
	DateADT		lo,
				hi;
} CritResult;

static const char *const progress_status[] = {"met", "not met", "pending", "no data", "not closed"};

/* family value of a phase: the sum of counts, or sessions missed over possible */
static bool
family_value(const ScState *st, const ScCriterion *c, int ci, int phase, double *v)
{
	int64		n = 0,
				missed = 0,
				possible = 0;

	for (int i = 0; i < st->nentries; i++)
	{
		const ScEntry *e = &st->e[i];

		if (e->crit != ci || e->phase != phase)
			continue;
		n += e->n;
		missed += e->missed;
		possible += e->possible;
	}
	if (c->rate)
	{
		if (possible == 0)
			return false;
		*v = (double) missed / (double) possible;
		return true;
	}
	*v = (double) n;
	return true;
}

PG_FUNCTION_INFO_V1(scorecard_profile_final);
Datum
scorecard_profile_final(PG_FUNCTION_ARGS)
{
	ScState    *st;
	ScProgram  *p;
	CritResult *r;
	bool	   *pmet;
	DateADT    *psince;
	int			nmet = 0;
	JsonbParseState *ps = NULL;
	const char *progress;
	int			prog_measured = 0,
				prog_failed = 0,
				prog_pending = 0,
				prog_nodata = 0;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = (ScState *) PG_GETARG_POINTER(0);
	p = get_program(fcinfo, st->rule_set, st->as_of);

	r = palloc0(sizeof(CritResult) * Max(p->ncrit, 1));
	pmet = palloc0(sizeof(bool) * Max(p->nproblems, 1));
	psince = palloc(sizeof(DateADT) * Max(p->nproblems, 1));
	for (int i = 0; i < p->nproblems; i++)
		DATE_NOEND(psince[i]);

	/* identification: any member meeting the criterion */
	for (int ci = 0; ci < p->ncrit; ci++)
	{
		ScCriterion *c = &p->crit[ci];
		CritResult *cr = &r[ci];

		DATE_NOEND(cr->since);
		cr->value = -1;
		if (c->progress)
			continue;
		for (int i = 0; i < st->nentries; i++)
		{
			ScEntry    *e = &st->e[i];
			double		v;

			if (e->crit != ci || e->phase != 0 || !member_value(c, e, &v))
				continue;
			if (v > cr->value)
				cr->value = v;
			if (!op_holds(c->op, v, c->threshold))
				continue;
			cr->met = true;
			cr->members++;
			cr->records += e->n;
			if (e->first < cr->since)
				cr->since = e->first;
		}
		if (cr->met)
		{
			pmet[c->problem] = true;
			if (cr->since < psince[c->problem])
				psince[c->problem] = cr->since;
		}
	}
	for (int i = 0; i < p->nproblems; i++)
		nmet += pmet[i];

	/* progress: every member, over an outcome window that has ended */
	for (int ci = 0; ci < p->ncrit; ci++)
	{
		ScCriterion *c = &p->crit[ci];
		CritResult *cr = &r[ci];
		DateADT		ref;

		if (!c->progress || !pmet[c->problem])
			continue;
		ref = c->ref == REF_ATTACHED ? st->attached : st->closed;
		if (DATE_IS_NOBEGIN(ref))
		{
			cr->status = 4;
			continue;
		}
		window_bounds(c->term, ref, c->wfrom, c->wto, &cr->lo, &cr->hi);
		cr->has_baseline = family_value(st, c, ci, 1, &cr->baseline);
		cr->has_outcome = family_value(st, c, ci, 0, &cr->outcome);
		if (cr->hi > st->as_of)
			cr->status = 2;
		else
		{
			bool		any = false,
						all = true;

			if (!c->rate)
			{
				/* counts: the family's records in the window (none is 0) */
				any = true;
				all = op_holds(c->op, cr->outcome, c->threshold);
			}
			else
			{
				for (int i = 0; i < st->nentries; i++)
				{
					ScEntry    *e = &st->e[i];
					double		v;

					if (e->crit != ci || e->phase != 0 || !member_value(c, e, &v))
						continue;
					any = true;
					if (!op_holds(c->op, v, c->threshold))
						all = false;
				}
			}
			cr->status = !any ? 3 : all ? 0 : 1;
		}
	}
	/* a problem with progress criteria progresses when one of them is met */
	for (int pi = 0; pi < p->nproblems; pi++)
	{
		int			best = -1;

		if (!pmet[pi])
			continue;
		for (int ci = 0; ci < p->ncrit; ci++)
		{
			ScCriterion *c = &p->crit[ci];

			if (!c->progress || c->problem != pi)
				continue;
			if (best < 0 || r[ci].status < best)
				best = r[ci].status;
		}
		if (best < 0)
			continue;
		prog_measured++;
		if (best == 1)
			prog_failed++;
		else if (best == 2 || best == 4)
			prog_pending++;		/* not ended, or not closed yet */
		else if (best == 3)
			prog_nodata++;
	}
	if (DATE_IS_NOBEGIN(st->attached))
		progress = "not attached";
	else if (nmet < p->required)
		progress = "not eligible";
	else if (prog_measured == 0)
		progress = "no progress measure";
	else if (prog_failed > 0)
		progress = "not achieved";
	else if (prog_pending > 0)
		progress = "pending";
	else if (prog_nodata > 0)
		progress = "no data";
	else
		progress = "achieved";

	/* the profile as jsonb, built as values (no text to parse) */
	jb_token(&ps, WJB_BEGIN_OBJECT);
	jb_key(&ps, "problems");
	jb_token(&ps, WJB_BEGIN_ARRAY);
	for (int i = 0; i < p->nproblems; i++)
		if (pmet[i])
			jb_string(&ps, WJB_ELEM, p->problems[i]);
	jb_token(&ps, WJB_END_ARRAY);
	jb_key(&ps, "problem_count");
	jb_int(&ps, nmet);
	jb_key(&ps, "eligible");
	jb_bool(&ps, nmet >= p->required);
	jb_key(&ps, "attached");
	jb_date(&ps, st->attached);
	jb_key(&ps, "closed");
	jb_date(&ps, st->closed);
	jb_key(&ps, "progress");
	jb_string(&ps, WJB_VALUE, progress);
	jb_key(&ps, "evidence");
	jb_token(&ps, WJB_BEGIN_OBJECT);
	for (int pi = 0; pi < p->nproblems; pi++)
	{
		if (!pmet[pi])
			continue;
		jb_key(&ps, p->problems[pi]);
		jb_token(&ps, WJB_BEGIN_OBJECT);
		jb_key(&ps, "since");
		jb_date(&ps, psince[pi]);
		jb_key(&ps, "criteria");
		jb_token(&ps, WJB_BEGIN_OBJECT);
		for (int ci = 0; ci < p->ncrit; ci++)
		{
			ScCriterion *c = &p->crit[ci];
			CritResult *cr = &r[ci];

			if (c->problem != pi || c->progress || !cr->met)
				continue;
			jb_key(&ps, c->name);
			jb_token(&ps, WJB_BEGIN_OBJECT);
			jb_key(&ps, "members");
			jb_int(&ps, cr->members);
			jb_key(&ps, "records");
			jb_int(&ps, cr->records);
			jb_key(&ps, "since");
			jb_date(&ps, cr->since);
			jb_key(&ps, "value");
			jb_value(&ps, c->rate, cr->value);
			jb_token(&ps, WJB_END_OBJECT);
		}
		jb_token(&ps, WJB_END_OBJECT);
		jb_token(&ps, WJB_END_OBJECT);
	}
	jb_token(&ps, WJB_END_OBJECT);
	jb_key(&ps, "outcomes");
	jb_token(&ps, WJB_BEGIN_OBJECT);
	for (int ci = 0; ci < p->ncrit; ci++)
	{
		ScCriterion *c = &p->crit[ci];
		CritResult *cr = &r[ci];

		if (!c->progress || !pmet[c->problem])
			continue;
		jb_key(&ps, c->name);
		jb_token(&ps, WJB_BEGIN_OBJECT);
		jb_key(&ps, "problem");
		jb_string(&ps, WJB_VALUE, p->problems[c->problem]);
		jb_key(&ps, "status");
		jb_string(&ps, WJB_VALUE, progress_status[cr->status]);
		if (cr->status != 4)
		{
			jb_key(&ps, "baseline");
			if (cr->has_baseline)
				jb_value(&ps, c->rate, cr->baseline);
			else
				jb_null(&ps);
			jb_key(&ps, "outcome");
			if (cr->has_outcome)
				jb_value(&ps, c->rate, cr->outcome);
			else
				jb_null(&ps);
			jb_key(&ps, "window_from");
			jb_date(&ps, cr->lo + 1);
			jb_key(&ps, "window_to");
			jb_date(&ps, cr->hi);
		}
		jb_token(&ps, WJB_END_OBJECT);
	}
	jb_token(&ps, WJB_END_OBJECT);
	PG_RETURN_JSONB_P(JsonbValueToJsonb(pushJsonbValue(&ps, WJB_END_OBJECT, NULL)));
}
