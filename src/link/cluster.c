/*
 * cluster.c
 *		Records into persons: connected components of the pairs at or above
 *		a match probability, by union-find with path halving, strongest
 *		pairs first, with a guard against chaining: two groups are not
 *		joined if their first-seen identifiers, dates of birth or given names
 *		conflict (two NHS numbers, or a man born in 1950 and a child born in
 *		2020, are two people however many weak links say otherwise), unless
 *		the joining pair itself is near certain (probability 0.999 or more:
 *		a value was mistyped).  Then each cluster is checked for coherence
 *		member against member, and one whose members conflict is split
 *		(link_cluster).  Every array it keeps by record or by pair is an
 *		array of the run's store (store.c), spilled with the records.
 */
#include "postgres.h"

#include "miscadmin.h"

#include "link/link.h"
#include "match/dates.h"
#include "match/variants.h"

/*
 * Clustering's arrays are arrays of the store (a value a record, or a pair):
 * spilled with the records where they do not all fit in
 * brent_mdm.linkage_work_mem, so that clustering holds no memory by record
 * (link_array_get32 and the like read and write their elements).
 */
/* int32 elements 0 .. n - 1 set to their own number (union-find's start) */
static void
make_identity(LinkModel *lm, LinkArray *arr, int64 n)
{
	link_array_make(lm, arr, sizeof(int32), n);
	for (int64 i = 0; i < n; i++)
	{
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		link_array_set32(lm, arr, i, (int32) i);
	}
}

/* the root of x, halving its path */
static int32
find(const LinkModel *lm, const LinkArray *parent, int32 x)
{
	for (;;)
	{
		int32		p = link_array_get32(lm, parent, x),
					gp;

		if (p == x)
			return x;
		gp = link_array_get32(lm, parent, p);
		if (gp != p)
			link_array_set32(lm, parent, x, gp);
		x = gp;
	}
}

/* The cluster of record i (link_cluster's result). */
int64
link_cluster_of(const LinkModel *lm, const LinkArray *cluster, int32 i)
{
	return link_array_get64(lm, cluster, i);
}

/*
 * Two values that cannot belong to one person: identifiers more keying
 * slips apart than link_slips allows (one per ten characters, from one to
 * three); dates of birth that differ beyond a typo or a swap and by more
 * than a year (the same day and month: by more than 15 years); given names
 * that share nothing (Jawad, Malalai), an initial agreeing with anything
 * that starts with it.
 */
static bool
values_conflict(LinkKind kind, const LinkValue *a, const LinkValue *b)
{
	if (a == NULL || b == NULL)
		return false;
	if (kind == LK_DATE)
	{
		DateAgreement l;

		/* a date of digits only: no day to set against another */
		if (!link_date_known(a) || !link_date_known(b))
			return false;
		l = date_agreement_level(a->date, b->date);

		/*
		 * The year alone wrong is a slip within 15 years; further apart, a
		 * generation: a parent and a child of one name born on one day of
		 * the year are two people.
		 */
		if (l == DATE_SAME_DAY_MONTH)
			return Abs((int64) a->date - (int64) b->date) > 15 * 366;
		return l == DATE_DIFFERENT;
	}
	if (kind == LK_GIVEN_NAME)
	{
		if (a->len == 1 || b->len == 1)
			return a->s[0] != b->s[0];
		return name_similarity_cstring(a->s, a->len, b->s, b->len) < 0.6;
	}
	{
		int			slips = link_slips(a, b);

		return link_edits(a, b, slips) > slips;
	}
}

/*
 * Does one word of a (len alen) agree with one word of b: an initial with a
 * word it starts, or two words alike (name similarity min_similarity or more)?
 */
static bool
words_agree(const char *a, int alen, const char *b, int blen, double min_similarity)
{
	for (int i = 0; i < alen;)
	{
		int			il = 0;

		while (i + il < alen && a[i + il] != ' ' && a[i + il] != '-')
			il++;
		for (int j = 0; j < blen && il > 0;)
		{
			int			jl = 0;

			while (j + jl < blen && b[j + jl] != ' ' && b[j + jl] != '-')
				jl++;
			if (jl > 0 &&
				((il == 1 || jl == 1) ? a[i] == b[j] :
				 name_similarity_cstring(a + i, il, b + j, jl) >= min_similarity))
				return true;
			j += jl + 1;
		}
		i += il + 1;
	}
	return false;
}

/*
 * Two values of one cluster's records that cannot belong to one person, for
 * the coherence check: as values_conflict, but given names conflict only
 * when no word of one agrees with a word of the other (Manish and Manish
 * Harish are one person's; Jawad and Malalai are not).
 */
static bool
members_conflict(LinkKind kind, const LinkValue *a, const LinkValue *b)
{
	if (kind == LK_GIVEN_NAME)
		return !words_agree(a->s, a->len, b->s, b->len, 0.6);
	return values_conflict(kind, a, b);
}

/*
 * A given name recorded in another column: a word of x's given name is
 * (nearly: similarity 0.85) a word of y's surname or full name (Siddique,
 * Farzana), or the other way round.  Not a conflict.
 */
static bool
given_name_elsewhere(const LinkModel *lm, int given, int32 xi, int32 yi)
{
	const LinkRecord *x = LINK_REC(lm, xi),
			   *y = LINK_REC(lm, yi);

	for (int c = 0; c < lm->ncolumns; c++)
	{
		if (lm->columns[c].kind != LK_SURNAME && lm->columns[c].kind != LK_FULL_NAME)
			continue;
		if (LINK_V(y, c)->s != NULL && words_agree(LINK_V(x, given)->s, LINK_V(x, given)->len, LINK_V(y, c)->s, LINK_V(y, c)->len, 0.85))
			return true;
		if (LINK_V(x, c)->s != NULL && words_agree(LINK_V(y, given)->s, LINK_V(y, given)->len, LINK_V(x, c)->s, LINK_V(x, c)->len, 0.85))
			return true;
	}
	return false;
}

/*
 * Is the person of record a too young on today's date for a system that
 * holds no one under min_age (born after today less min_age years)?
 */
bool
link_too_young(const LinkModel *lm, const LinkRecord *a, int min_age, DateADT today)
{
	int			date = link_find_kind(lm, LK_DATE);

	return min_age > 0 && date >= 0 && link_date_known(LINK_V(a, date)) &&
		LINK_V(a, date)->date > today - (DateADT) (min_age * 365.25);
}

/*
 * The youngest age each record's system holds, from the mapping's min_age
 * column (0: any age), into ages (int16 elements of the store); false,
 * and nothing made, if the mapping has none.
 */
bool
link_min_ages(LinkModel *lm, LinkArray *ages)
{
	int			c = link_find_kind(lm, LK_MIN_AGE);

	if (c < 0)
		return false;
	link_array_make(lm, ages, sizeof(int16), lm->nrecords);
	for (int i = 0; i < lm->nrecords; i++)
	{
		const LinkValue *v;

		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		v = LINK_V(LINK_REC(lm, i), c);
		if (v->s != NULL)
			*(int16 *) link_array_get(lm, ages, i, true) = (int16) v->age;
	}
	return true;
}

/* The youngest age record i's system holds (link_min_ages), 0 for any. */
int
link_min_age_of(const LinkModel *lm, const LinkArray *ages, int32 i)
{
	return *(const int16 *) link_array_get(lm, ages, i, false);
}

typedef struct Edge
{
	int32		pair;			/* (brent_mdm.max_candidate_pairs is an int) */
	int32		a;				/* its records (the pairs may be spilled: store.c) */
	int32		b;
	float4		probability;
} Edge;

static int
edge_cmp(const void *x, const void *y)
{
	const Edge *a = x,
			   *b = y;

	if (a->probability != b->probability)
		return a->probability > b->probability ? -1 : 1;
	return a->pair < b->pair ? -1 : a->pair > b->pair ? 1 : 0;
}

/* qsort's order by edge_cmp, edge_cmp inlined (link_merge_begin_sorted) */
#define CHUNK_SORT sort_edges
#define CHUNK_SORT_TYPE Edge
#define CHUNK_SORT_CMP edge_cmp
#include "link/chunk_sort.h"

/* per group root: the first of its cannot-link entries and the last (-1: none) */
typedef struct LinkList
{
	int32		head;
	int32		tail;
} LinkList;

/* a cannot-link entry: the next of its root's, and the record not to join */
typedef struct LinkEntry
{
	int32		next;
	int32		partner;
} LinkEntry;

/* per group root: its latest date of birth, and the highest minimum age of its systems */
typedef struct GroupAge
{
	DateADT		youngest;
	int16		need;
} GroupAge;

/*
 * Is any record that must not join a's group in b's group?  Cannot-link
 * partners are kept per group root as a linked list, merged on union.
 */
static bool
cannot_join(const LinkModel *lm, const LinkArray *parent, const LinkArray *lists,
			const LinkArray *entries, int32 ra, int32 rb)
{
	for (int32 k = ((const LinkList *) link_array_get(lm, lists, ra, false))->head; k >= 0;)
	{
		LinkEntry	e = *(const LinkEntry *) link_array_get(lm, entries, k, false);

		if (find(lm, parent, e.partner) == rb)
			return true;
		k = e.next;
	}
	return false;
}

/* group other's cannot-link list appended to root's */
static void
join_lists(const LinkModel *lm, const LinkArray *lists, const LinkArray *entries,
		   int32 root, int32 other)
{
	LinkList	lo = *(const LinkList *) link_array_get(lm, lists, other, false);
	LinkList   *lr;

	if (lo.head < 0)
		return;
	((LinkEntry *) link_array_get(lm, entries, lo.tail, true))->next =
		((const LinkList *) link_array_get(lm, lists, root, false))->head;
	lr = (LinkList *) link_array_get(lm, lists, root, true);
	if (lr->head < 0)
		lr->tail = lo.tail;
	lr->head = lo.head;
	lr = (LinkList *) link_array_get(lm, lists, other, true);
	lr->head = lr->tail = -1;
}

/* a cannot-link entry for record a: partner b, at the head of a's list */
static void
add_entry(LinkModel *lm, const LinkArray *lists, LinkArray *entries, int32 a, int32 b)
{
	int32		k = (int32) entries->n;
	LinkEntry  *e = (LinkEntry *) link_array_push(lm, entries);
	LinkList   *l;

	e->partner = b;
	e->next = ((const LinkList *) link_array_get(lm, lists, a, false))->head;
	l = (LinkList *) link_array_get(lm, lists, a, true);
	if (l->head < 0)
		l->tail = k;
	l->head = k;
}

/*
 * One pass of clustering, into cluster (int64 elements of the store, made
 * here): the cluster of each record is the smallest record number in its
 * component, plus one (so that cluster ids are stable for a given input
 * order).  Reviewers' decisions (the first ndecisions of decisions) bind:
 * must-link pairs are joined first, whatever the model says; cannot-link
 * pairs never end in one cluster.  With min_age (per record: the youngest
 * age its system holds, 0 for any), a group is never joined to one whose
 * youngest date of birth makes it too young on today's date for a system of
 * the other (a council tax payer is not the baby of the same name at the
 * same address).  With within, only pairs of records in one cluster of
 * within are joined.
 */
/* what the join guard did in a union pass: pairs it looked at, those it kept apart, by column */
typedef struct GuardStats
{
	int64		pairs;			/* scored as matches, of two groups */
	int64		apart[LINK_MAX_COLUMNS];	/* kept apart by the column's conflicting values */
} GuardStats;

static void
union_pass(LinkModel *lm, double threshold, const LinkArray *decisions, int64 ndecisions,
		   const LinkArray *min_age, DateADT today, const LinkArray *within, LinkArray *cluster,
		   GuardStats *guard)
{
	int			n = lm->nrecords;
	LinkArray	parent;
	int			idcols[LINK_MAX_COLUMNS];
	LinkKind	idkind[LINK_MAX_COLUMNS];
	int			nid = 0;
	LinkArray	idrec;			/* per root, an int32 per identifier column: the
								 * record whose value it holds, or -1 */
	LinkArray	edges;
	LinkMerge	order;
	Edge		edge;
	bool		cannot = false;
	LinkArray	lists;			/* per root (where there are cannot-links): LinkList */
	LinkArray	entries;		/* LinkEntry */
	int			datecol = -1;
	bool		ages = false;
	LinkArray	age;			/* per root: GroupAge */

	for (int c = 0; c < lm->ncolumns; c++)
		if (lm->columns[c].kind == LK_IDENTIFIER || lm->columns[c].kind == LK_DATE ||
			lm->columns[c].kind == LK_GIVEN_NAME)
		{
			idkind[nid] = lm->columns[c].kind;
			idcols[nid++] = c;
		}
	make_identity(lm, &parent, n);
	if (nid > 0)
	{
		link_array_make(lm, &idrec, sizeof(int32) * nid, n);
		for (int i = 0; i < n; i++)
		{
			uint32		present = link_record_holds(lm, LINK_REC(lm, i));
			int32	   *x = (int32 *) link_array_get(lm, &idrec, i, true);

			if ((i & 0xFFFF) == 0)
				CHECK_FOR_INTERRUPTS();
			for (int k = 0; k < nid; k++)
				x[k] = (present & ((uint32) 1 << idcols[k])) ? i : -1;
		}
	}
	/* a record of a system that only holds adults cannot be a child's */
	for (int c = 0; c < lm->ncolumns && datecol < 0; c++)
		if (lm->columns[c].kind == LK_DATE)
			datecol = c;
	if (min_age != NULL && datecol >= 0)
	{
		ages = true;
		link_array_make(lm, &age, sizeof(GroupAge), n);
		for (int i = 0; i < n; i++)
		{
			GroupAge	g;
			const LinkValue *v;

			if ((i & 0xFFFF) == 0)
				CHECK_FOR_INTERRUPTS();
			v = LINK_V(LINK_REC(lm, i), datecol);
			g.youngest = link_date_known(v) ? v->date : DATEVAL_NOBEGIN;
			g.need = (int16) link_min_age_of(lm, min_age, i);
			*(GroupAge *) link_array_get(lm, &age, i, true) = g;
		}
	}
	/* reviewers' decisions: must-link joins now, cannot-link lists */
	for (int64 d = 0; d < ndecisions; d++)
		if (!((const LinkDecision *) link_array_get(lm, decisions, d, false))->must_link)
			cannot = true;
	if (cannot)
	{
		link_array_make(lm, &lists, sizeof(LinkList), n);
		for (int i = 0; i < n; i++)
		{
			LinkList   *l = (LinkList *) link_array_get(lm, &lists, i, true);

			if ((i & 0xFFFF) == 0)
				CHECK_FOR_INTERRUPTS();
			l->head = l->tail = -1;
		}
		link_array_init(&entries, sizeof(LinkEntry));
	}
	for (int64 d = 0; d < ndecisions; d++)
	{
		LinkDecision dec = *(const LinkDecision *) link_array_get(lm, decisions, d, false);

		if ((d & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		if (dec.must_link)
		{
			int32		ra = find(lm, &parent, dec.a),
						rb = find(lm, &parent, dec.b);

			if (ra != rb)
				link_array_set32(lm, &parent, Max(ra, rb), Min(ra, rb));
		}
		else
		{
			add_entry(lm, &lists, &entries, dec.a, dec.b);
			add_entry(lm, &lists, &entries, dec.b, dec.a);
		}
	}
	/* move the cannot-link lists of must-linked records to their roots */
	for (int i = 0; i < n && cannot; i++)
	{
		int32		r = find(lm, &parent, i);

		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		if (r != i)
			join_lists(lm, &lists, &entries, r, i);
	}
	/* the pairs to join, strongest first (sorted in runs and merged: store.c) */
	link_array_init(&edges, sizeof(Edge));
	for (int64 k = 0; k < lm->npairs; k++)
	{
		LinkPair	p = *LINK_PAIR(lm, k);

		if ((k & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		if (p.probability >= threshold &&
			(within == NULL || link_array_get64(lm, within, p.a) == link_array_get64(lm, within, p.b)))
		{
			Edge	   *e = (Edge *) link_array_push(lm, &edges);

			e->pair = (int32) k;
			e->a = p.a;
			e->b = p.b;
			e->probability = p.probability;
		}
	}
	link_merge_begin_sorted(lm, &edges, edge_cmp, sort_edges, &order);
	for (int64 e = 0; link_merge_take(lm, &order, &edge); e++)
	{
		int32		ra = find(lm, &parent, edge.a),
					rb = find(lm, &parent, edge.b),
					root,
					other;
		bool		conflict = false;

		if ((e & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		if (ra == rb)
			continue;
		if (guard)
			guard->pairs++;
		/* a near-certain pair is believed even against an identifier */
		if (nid > 0 && edge.probability < 0.999)
		{
			int32		xa[LINK_MAX_COLUMNS],
						xb[LINK_MAX_COLUMNS];

			memcpy(xa, link_array_get(lm, &idrec, ra, false), sizeof(int32) * nid);
			memcpy(xb, link_array_get(lm, &idrec, rb, false), sizeof(int32) * nid);
			/* (a given name recorded as the other's surname: swapped, no conflict) */
			for (int k = 0; k < nid && !conflict; k++)
			{
				conflict = xa[k] >= 0 && xb[k] >= 0 &&
					values_conflict(idkind[k], LINK_V(LINK_REC(lm, xa[k]), idcols[k]),
									LINK_V(LINK_REC(lm, xb[k]), idcols[k])) &&
					!(idkind[k] == LK_GIVEN_NAME && given_name_elsewhere(lm, idcols[k], xa[k], xb[k]));
				if (conflict && guard)
					guard->apart[idcols[k]]++;
			}
		}
		if (ages && !conflict)
		{
			GroupAge	ga = *(const GroupAge *) link_array_get(lm, &age, ra, false),
						gb = *(const GroupAge *) link_array_get(lm, &age, rb, false);
			DateADT		y = Max(ga.youngest, gb.youngest);
			int			need = Max(ga.need, gb.need);

			/* born after today less the age the system requires: too young */
			conflict = need > 0 && !DATE_IS_NOBEGIN(y) && y > today - (DateADT) (need * 365.25);
		}
		if (conflict || (cannot && (cannot_join(lm, &parent, &lists, &entries, ra, rb) ||
									cannot_join(lm, &parent, &lists, &entries, rb, ra))))
			continue;
		root = Min(ra, rb);
		other = Max(ra, rb);
		link_array_set32(lm, &parent, other, root);
		if (cannot)
			join_lists(lm, &lists, &entries, root, other);
		if (nid > 0)
		{
			int32		xo[LINK_MAX_COLUMNS];
			int32	   *xr;

			memcpy(xo, link_array_get(lm, &idrec, other, false), sizeof(int32) * nid);
			xr = (int32 *) link_array_get(lm, &idrec, root, true);
			for (int k = 0; k < nid; k++)
				if (xr[k] < 0)
					xr[k] = xo[k];
		}
		if (ages)
		{
			GroupAge	go = *(const GroupAge *) link_array_get(lm, &age, other, false);
			GroupAge   *gr = (GroupAge *) link_array_get(lm, &age, root, true);

			gr->youngest = Max(gr->youngest, go.youngest);
			gr->need = Max(gr->need, go.need);
		}
	}
	link_store_sample(lm);
	link_array_free(lm, &edges);
	if (nid > 0)
		link_array_free(lm, &idrec);
	if (ages)
		link_array_free(lm, &age);
	if (cannot)
	{
		link_array_free(lm, &lists);
		link_array_free(lm, &entries);
	}
	link_array_make(lm, cluster, sizeof(int64), n);
	for (int i = 0; i < n; i++)
	{
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		link_array_set64(lm, cluster, i, (int64) find(lm, &parent, i) + 1);
	}
	link_array_free(lm, &parent);
}

/*
 * Coherence of clusters (chaining).  The union above compares a group's
 * first-seen values only, so a group can still gather records of several
 * people through weak links, none of them scored against the others: a
 * record holding only an initial, with no date of birth, joins a father and
 * his son.  So, after it, every cluster of three records or more is checked
 * pair by pair.  Two of its records conflict when their identifiers or dates
 * of birth do (values_conflict), or their given names have no word in
 * common (an initial agreeing with a word it starts) and neither's given
 * name is a word of the other's surname or full name (the columns were
 * swapped), unless a chain of near-certain pairs (probability STRONG_PAIR or
 * more) joins them through records that all hold that column (not an
 * initial): then a value was mistyped, as one person's copies in FEBRL are.
 * A cluster holding a conflicting pair is clustered again, its records only,
 * with each such pair as a cannot-link: strongest pairs first, so the parts
 * that no conflict separates stay together, and a record between two people
 * goes to the one its stronger pair joins it to.
 */
#define STRONG_PAIR 0.999
/* most conflicting pairs kept (the rest of the clusters are left as they are) */
#define MAX_CONFLICTS 2000000
/* a column with more distinct values than this in one cluster is not checked there */
#define MAX_CLUSTER_VALUES 200

typedef struct MemberValue
{
	const LinkValue *v;
	int32		record;
} MemberValue;

static int
member_value_cmp(const void *x, const void *y)
{
	const LinkValue *a = ((const MemberValue *) x)->v,
			   *b = ((const MemberValue *) y)->v;

	if (a->hash != b->hash)
		return a->hash < b->hash ? -1 : 1;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return memcmp(a->s, b->s, a->len);
}

/*
 * An identifier is named in the notice's hint when its conflicting values
 * kept apart at least GUARD_HINT_SHARE of the pairs scored as matches, or
 * split at least SPLIT_HINT_SHARE of the clusters checked (and at least
 * HINT_AT_LEAST of either).  A person's own number differs between their
 * records only where it was mistyped beyond a slip: in the generated borough
 * its NHS number kept apart 0.7 % of those pairs (2.8 % with the dates left
 * out of the mapping) and split 0.3 % of the clusters at most; an e-mail
 * address mapped as an identifier, where people's records give two, kept
 * apart 20 % to 67 %.
 */
#define GUARD_HINT_SHARE 0.10
#define SPLIT_HINT_SHARE 0.05
#define HINT_AT_LEAST 3

static void
report_split(const LinkModel *lm, int64 clusters, int64 split, int64 checked,
			 const int64 *split_on, const GuardStats *guard, const int64 *hist, int32 largest,
			 bool capped)
{
	StringInfoData on;
	StringInfoData hint;

	initStringInfo(&on);
	initStringInfo(&hint);
	for (int c = 0; c < lm->ncolumns; c++)
	{
		if (split_on[c] == 0)
			continue;
		appendStringInfo(&on, "%s\"%s\" in %lld", on.len > 0 ? ", " : " Clusters split by conflicting values of ",
						 lm->columns[c].name, (long long) split_on[c]);
	}
	for (int c = 0; c < lm->ncolumns && hint.len == 0; c++)
		if (lm->columns[c].kind == LK_IDENTIFIER &&
			((guard->apart[c] >= HINT_AT_LEAST && guard->apart[c] >= GUARD_HINT_SHARE * guard->pairs) ||
			 (split_on[c] >= HINT_AT_LEAST && split_on[c] >= SPLIT_HINT_SHARE * checked)))
			appendStringInfo(&hint,
							 "Identifier \"%s\" kept apart %.1f %% of the pairs scored as matches and split %.1f %% of the clusters checked: an identifier is a number a person keeps for life, and two different values say two people. If a person can change it or hold several (an e-mail address, a telephone number), map it as text: still compared, it never splits a cluster.",
							 lm->columns[c].name, 100.0 * guard->apart[c] / Max(guard->pairs, 1),
							 100.0 * split_on[c] / Max(checked, 1));
	if (on.len > 0)
		appendStringInfoChar(&on, '.');
	{
		bool		first = true;

		for (int c = 0; c < lm->ncolumns; c++)
			if (guard->apart[c] > 0)
			{
				appendStringInfo(&on, "%s\"%s\" %lld", first ? " Pairs scored as matches kept apart by conflicting values: " : ", ",
								 lm->columns[c].name, (long long) guard->apart[c]);
				first = false;
			}
		if (!first)
			appendStringInfo(&on, " (of %lld).", (long long) guard->pairs);
	}
	ereport(NOTICE,
			(errmsg("linkage: %lld clusters; %lld of %lld clusters of 3 records or more (%.2f %%) split as incoherent",
					(long long) clusters, (long long) split, (long long) checked,
					checked > 0 ? 100.0 * split / checked : 0.0),
			 errdetail("Cluster sizes: 1: %lld, 2: %lld, 3-5: %lld, 6-10: %lld, 11-50: %lld, over 50: %lld; largest %d.%s%s",
					   (long long) hist[0], (long long) hist[1], (long long) hist[2], (long long) hist[3],
					   (long long) hist[4], (long long) hist[5], largest, on.data,
					   capped ? " Some clusters were not checked: more than 2,000,000 conflicting pairs." : ""),
			 hint.len > 0 ? errhint("%s", hint.data) : 0));
	pfree(on.data);
	pfree(hint.data);
}

void
link_cluster(LinkModel *lm, double threshold, const LinkDecision *decisions, int ndecisions,
			 const LinkArray *min_age, DateADT today, LinkArray *result)
{
	int			n = lm->nrecords;
	LinkArray	decs;			/* LinkDecision: the reviewers', then the conflicts found */
	LinkArray	first;			/* int64 a record: the first pass's cluster */
	LinkArray	second;
	LinkArray	size;			/* int32 a cluster (1 .. n): its records */
	LinkArray	start;			/* int32: where its records begin in member */
	LinkArray	member;			/* int32: records by cluster */
	LinkArray	core[LINK_MAX_COLUMNS];	/* per checked column, union-find of near-certain pairs */
	int64		nconflicts = 0;
	int			kcols[LINK_MAX_COLUMNS];
	int			nk = 0;
	int64		checked = 0,
				split = 0,
				clusters = 0;
	int64		split_on[LINK_MAX_COLUMNS] = {0};	/* clusters a column's conflicts split */
	GuardStats	guard;
	bool		capped = false;
	MemberValue *mv;
	MemoryContext copies;

	/* its arrays are the store's: it takes no more than the backend holds now */
	link_memory_check(0, "clustering %d records", n);
	memset(&guard, 0, sizeof(guard));
	link_array_init(&decs, sizeof(LinkDecision));
	for (int d = 0; d < ndecisions; d++)
		*(LinkDecision *) link_array_push(lm, &decs) = decisions[d];
	union_pass(lm, threshold, &decs, ndecisions, min_age, today, NULL, &first, &guard);

	for (int c = 0; c < lm->ncolumns; c++)
		if (lm->columns[c].kind == LK_IDENTIFIER || lm->columns[c].kind == LK_DATE ||
			lm->columns[c].kind == LK_GIVEN_NAME)
			kcols[nk++] = c;
	/* records by cluster */
	link_array_make(lm, &size, sizeof(int32), (int64) n + 1);
	link_array_make(lm, &start, sizeof(int32), (int64) n + 2);
	link_array_make(lm, &member, sizeof(int32), Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		int64		c = link_array_get64(lm, &first, i);

		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		link_array_set32(lm, &size, c, link_array_get32(lm, &size, c) + 1);
	}
	for (int c = 1; c <= n; c++)
	{
		if ((c & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		link_array_set32(lm, &start, c + 1, link_array_get32(lm, &start, c) + link_array_get32(lm, &size, c));
	}
	{
		LinkArray	fill;		/* start, moved on as each cluster's records are placed */

		link_array_make(lm, &fill, sizeof(int32), (int64) n + 2);
		for (int c = 0; c <= n + 1; c++)
		{
			if ((c & 0xFFFF) == 0)
				CHECK_FOR_INTERRUPTS();
			link_array_set32(lm, &fill, c, link_array_get32(lm, &start, c));
		}
		for (int i = 0; i < n; i++)
		{
			int64		c = link_array_get64(lm, &first, i);
			int32		at = link_array_get32(lm, &fill, c);

			if ((i & 0xFFFF) == 0)
				CHECK_FOR_INTERRUPTS();
			link_array_set32(lm, &member, at, i);
			link_array_set32(lm, &fill, c, at + 1);
		}
		link_array_free(lm, &fill);
	}
	/*
	 * Cores, per checked column: records joined by near-certain pairs, inside
	 * clusters of three or more, through records that hold a value there (not
	 * an initial): a conflict inside a core is a value mistyped, not two
	 * people joined through a record that says nothing of the column.
	 */
	for (int q = 0; q < nk; q++)
		make_identity(lm, &core[q], n);
	for (int64 k = 0; k < lm->npairs && nk > 0; k++)
	{
		LinkPair	p = *LINK_PAIR(lm, k);
		int64		ca;

		if ((k & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		if (p.probability < Max(STRONG_PAIR, threshold))
			continue;
		ca = link_array_get64(lm, &first, p.a);
		if (ca != link_array_get64(lm, &first, p.b) || link_array_get32(lm, &size, ca) < 3)
			continue;
		for (int q = 0; q < nk; q++)
		{
			LinkValue	va = *LINK_V(LINK_REC(lm, p.a), kcols[q]),
						vb = *LINK_V(LINK_REC(lm, p.b), kcols[q]);
			int32		ra,
						rb;

			if (va.s == NULL || vb.s == NULL || va.len < 2 || vb.len < 2)
				continue;
			/* a date of digits only joins no core: it is no date to hold */
			if (lm->columns[kcols[q]].kind == LK_DATE && (!link_date_known(&va) || !link_date_known(&vb)))
				continue;
			ra = find(lm, &core[q], p.a);
			rb = find(lm, &core[q], p.b);
			if (ra != rb)
				link_array_set32(lm, &core[q], Max(ra, rb), Min(ra, rb));
		}
	}
	{
		int32		largest1 = 1;

		for (int c = 1; c <= n; c++)
		{
			if ((c & 0xFFFF) == 0)
				CHECK_FOR_INTERRUPTS();
			largest1 = Max(largest1, link_array_get32(lm, &size, c));
		}
		mv = palloc_extended(sizeof(MemberValue) * largest1, MCXT_ALLOC_HUGE);
	}
	/* a cluster's values are copied: its records' chunks may be dropped meanwhile */
	copies = AllocSetContextCreate(CurrentMemoryContext, "linkage: a cluster's values",
								   ALLOCSET_DEFAULT_SIZES);
	for (int c = 1; c <= n && nk > 0; c++)
	{
		int32		s = link_array_get32(lm, &size, c),
					at = link_array_get32(lm, &start, c);
		int64		before = nconflicts;
		bool		conflicted[LINK_MAX_COLUMNS] = {false};

		if (s < 3)
			continue;
		CHECK_FOR_INTERRUPTS();
		checked++;
		for (int q = 0; q < nk; q++)
		{
			int			col = kcols[q];
			LinkKind	kind = lm->columns[col].kind;
			int			nv = 0,
						nd = 0;
			int32		runs[MAX_CLUSTER_VALUES + 1];
			int64		before_column = nconflicts;

			MemoryContextReset(copies);
			for (int32 j = 0; j < s; j++)
			{
				int32		i = link_array_get32(lm, &member, (int64) at + j);
				const LinkValue *v = LINK_V(LINK_REC(lm, i), col);

				if (v->s != NULL)
				{
					LinkValue  *copy = MemoryContextAlloc(copies, sizeof(LinkValue));

					*copy = *v;
					copy->s = MemoryContextAlloc(copies, v->len + 1);
					memcpy(copy->s, v->s, v->len + 1);
					mv[nv].v = copy;
					mv[nv].record = i;
					nv++;
				}
			}
			if (nv < 2)
				continue;
			qsort(mv, nv, sizeof(MemberValue), member_value_cmp);
			/* runs of one distinct value */
			for (int j = 0; j < nv && nd <= MAX_CLUSTER_VALUES; j++)
				if (j == 0 || member_value_cmp(&mv[j - 1], &mv[j]) != 0)
				{
					if (nd == MAX_CLUSTER_VALUES)
					{
						nd++;
						break;
					}
					runs[nd++] = j;
				}
			if (nd < 2 || nd > MAX_CLUSTER_VALUES)
				continue;
			runs[nd] = nv;
			for (int x = 0; x < nd && !capped; x++)
				for (int y = x + 1; y < nd && !capped; y++)
				{
					if (!members_conflict(kind, mv[runs[x]].v, mv[runs[y]].v))
						continue;
					for (int i = runs[x]; i < runs[x + 1] && !capped; i++)
						for (int j = runs[y]; j < runs[y + 1]; j++)
						{
							LinkDecision *d;

							if (find(lm, &core[q], mv[i].record) == find(lm, &core[q], mv[j].record))
								continue;
							if (kind == LK_GIVEN_NAME &&
								given_name_elsewhere(lm, col, mv[i].record, mv[j].record))
								continue;
							if (nconflicts >= MAX_CONFLICTS)
							{
								capped = true;
								break;
							}
							d = (LinkDecision *) link_array_push(lm, &decs);
							d->a = mv[i].record;
							d->b = mv[j].record;
							d->must_link = false;
							nconflicts++;
						}
				}
			conflicted[col] = nconflicts > before_column;
		}
		if (capped)
		{
			/* this cluster's conflicts only in part: leave it whole */
			nconflicts = before;
			decs.n = ndecisions + nconflicts;
			break;
		}
		for (int col = 0; col < lm->ncolumns; col++)
			split_on[col] += conflicted[col];
	}
	pfree(mv);
	MemoryContextDelete(copies);
	for (int q = 0; q < nk; q++)
		link_array_free(lm, &core[q]);

	if (nconflicts > 0)
		union_pass(lm, threshold, &decs, ndecisions + nconflicts, min_age, today, &first, &second, NULL);
	link_array_free(lm, &decs);

	link_store_sample(lm);
	/* how many clusters were split, and the sizes of those there are now */
	{
		const LinkArray *now_of = nconflicts > 0 ? &second : &first;
		LinkArray	now;		/* int32 a cluster: its records now */
		int64		hist[6] = {0};
		int32		largest = 0;

		for (int c = 1; c <= n; c++)
		{
			int32		parts = 0;

			if ((c & 0xFFFF) == 0)
				CHECK_FOR_INTERRUPTS();
			if (link_array_get32(lm, &size, c) < 3)
				continue;
			for (int32 j = link_array_get32(lm, &start, c); j < link_array_get32(lm, &start, c + 1); j++)
			{
				int32		i = link_array_get32(lm, &member, j);

				/* a record heading its part: count the part once */
				if (link_array_get64(lm, now_of, i) == (int64) i + 1)
					parts++;
			}
			if (parts > 1)
				split++;
		}
		link_array_make(lm, &now, sizeof(int32), (int64) n + 1);
		for (int i = 0; i < n; i++)
		{
			int64		c = link_array_get64(lm, now_of, i);

			if ((i & 0xFFFF) == 0)
				CHECK_FOR_INTERRUPTS();
			link_array_set32(lm, &now, c, link_array_get32(lm, &now, c) + 1);
		}
		for (int c = 1; c <= n; c++)
		{
			int32		z = link_array_get32(lm, &now, c);

			if ((c & 0xFFFF) == 0)
				CHECK_FOR_INTERRUPTS();
			if (z == 0)
				continue;
			clusters++;
			largest = Max(largest, z);
			hist[z == 1 ? 0 : z == 2 ? 1 : z <= 5 ? 2 : z <= 10 ? 3 : z <= 50 ? 4 : 5]++;
		}
		link_array_free(lm, &now);
		report_split(lm, clusters, split, checked, split_on, &guard, hist, largest, capped);
	}
	link_array_free(lm, &size);
	link_array_free(lm, &start);
	link_array_free(lm, &member);
	if (nconflicts > 0)
	{
		link_array_free(lm, &first);
		*result = second;
	}
	else
		*result = first;
}
