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
 *		(link_cluster).
 */
#include "postgres.h"

#include "miscadmin.h"

#include "link/link.h"
#include "match/dates.h"
#include "match/variants.h"

static int32
find(int32 *parent, int32 x)
{
	while (parent[x] != x)
	{
		parent[x] = parent[parent[x]];
		x = parent[x];
	}
	return x;
}

/*
 * Two values that cannot belong to one person: identifiers more than one
 * keying slip apart; dates of birth that differ beyond a typo or a swap and
 * by more than a year; given names that share nothing (Jawad, Malalai), an
 * initial agreeing with anything that starts with it.
 */
static bool
values_conflict(LinkKind kind, const LinkValue *a, const LinkValue *b)
{
	if (a == NULL || b == NULL)
		return false;
	if (kind == LK_DATE)
		return date_agreement_level(a->date, b->date) == DATE_DIFFERENT;
	if (kind == LK_GIVEN_NAME)
	{
		if (a->len == 1 || b->len == 1)
			return a->s[0] != b->s[0];
		return name_similarity_cstring(a->s, a->len, b->s, b->len) < 0.6;
	}
	return link_edits(a, b, 1) > 1;
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
given_name_elsewhere(const LinkModel *lm, int given, const LinkRecord *x, const LinkRecord *y)
{
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

	return min_age > 0 && date >= 0 && LINK_V(a, date)->s != NULL &&
		LINK_V(a, date)->date > today - (DateADT) (min_age * 365.25);
}

/*
 * The youngest age each record's system holds, from the mapping's min_age
 * column (0: any age); NULL if the mapping has none.
 */
int16 *
link_min_ages(const LinkModel *lm)
{
	int			c = link_find_kind(lm, LK_MIN_AGE);
	int16	   *ages;

	if (c < 0)
		return NULL;
	ages = palloc0(sizeof(int16) * Max(lm->nrecords, 1));
	for (int i = 0; i < lm->nrecords; i++)
		if (LINK_V(LINK_REC(lm, i), c)->s != NULL)
			ages[i] = (int16) LINK_V(LINK_REC(lm, i), c)->age;
	return ages;
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

/*
 * Is any record that must not join a's group in b's group?  Cannot-link
 * partners are kept per group root as a linked list, merged on union.
 */
static bool
cannot_join(int32 *parent, const int32 *head, const int32 *next, const int32 *partner,
			int32 ra, int32 rb)
{
	for (int32 k = head[ra]; k >= 0; k = next[k])
		if (find(parent, partner[k]) == rb)
			return true;
	return false;
}

/*
 * One pass of clustering: the cluster of each record is the smallest record
 * number in its component, plus one (so that cluster ids are stable for a
 * given input order).  Reviewers' decisions bind: must-link pairs are
 * joined first, whatever the model says; cannot-link pairs never end in one
 * cluster.  With min_age (per record: the youngest age its system holds, 0
 * for any), a group is never joined to one whose youngest date of birth
 * makes it too young on today's date for a system of the other (a council
 * tax payer is not the baby of the same name at the same address).  With
 * within, only pairs of records in one cluster of within are joined.
 */
static int64 *
union_pass(const LinkModel *lm, double threshold, const LinkDecision *decisions, int ndecisions,
		   const int16 *min_age, DateADT today, const int64 *within)
{
	int			n = lm->nrecords;
	int32	   *parent = palloc(sizeof(int32) * n);
	int64	   *cluster = palloc(sizeof(int64) * n);
	int			idcols[LINK_MAX_COLUMNS];
	LinkKind	idkind[LINK_MAX_COLUMNS];
	int			nid = 0;
	int32	   *idrec;			/* per root and identifier column: the record whose
								 * value it holds, or -1 (records, not pointers: they
								 * may be spilled) */
	Edge	   *edges;
	int64		nedges = 0;
	/* cannot-link list per root: only where reviewers said so (not in dedupe) */
	int32	   *head = ndecisions > 0 ? palloc(sizeof(int32) * Max(n, 1)) : NULL;
	int32	   *tail = ndecisions > 0 ? palloc(sizeof(int32) * Max(n, 1)) : NULL;
	int32	   *next = palloc(sizeof(int32) * Max(2 * ndecisions, 1));
	int32	   *partner = palloc(sizeof(int32) * Max(2 * ndecisions, 1));
	int32		nlinks = 0;
	int			datecol = -1;
	DateADT    *youngest = NULL;	/* per root: latest date of birth, or none */
	int16	   *oldest_needed = NULL;	/* per root: highest minimum age of its systems */

	/* the first pass: what it and the coherence check after it take, about */
	if (within == NULL)
		link_memory_check((Size) n * (64 + 12 * lm->ncolumns) + (Size) lm->npairs * sizeof(Edge),
						  "clustering %d records", n);
	for (int c = 0; c < lm->ncolumns; c++)
		if (lm->columns[c].kind == LK_IDENTIFIER || lm->columns[c].kind == LK_DATE ||
			lm->columns[c].kind == LK_GIVEN_NAME)
		{
			idkind[nid] = lm->columns[c].kind;
			idcols[nid++] = c;
		}
	idrec = palloc_extended(sizeof(int32) * Max((int64) n * nid, 1), MCXT_ALLOC_HUGE);
	for (int i = 0; i < n; i++)
	{
		parent[i] = i;
		for (int k = 0; k < nid; k++)
			idrec[(int64) i * nid + k] = LINK_HAS(lm, i, idcols[k]) ? i : -1;
	}
	for (int i = 0; i < n && head != NULL; i++)
		head[i] = tail[i] = -1;
	/* a record of a system that only holds adults cannot be a child's */
	for (int c = 0; c < lm->ncolumns && datecol < 0; c++)
		if (lm->columns[c].kind == LK_DATE)
			datecol = c;
	if (min_age != NULL && datecol >= 0)
	{
		youngest = palloc(sizeof(DateADT) * Max(n, 1));
		oldest_needed = palloc(sizeof(int16) * Max(n, 1));
		for (int i = 0; i < n; i++)
		{
			const LinkValue *v = LINK_V(LINK_REC(lm, i), datecol);

			youngest[i] = v->s ? v->date : DATEVAL_NOBEGIN;
			oldest_needed[i] = min_age[i];
		}
	}
	/* reviewers' decisions: must-link joins now, cannot-link lists */
	for (int d = 0; d < ndecisions; d++)
	{
		int32		a = decisions[d].a,
					b = decisions[d].b;

		if (decisions[d].must_link)
		{
			int32		ra = find(parent, a),
						rb = find(parent, b);

			if (ra != rb)
				parent[Max(ra, rb)] = Min(ra, rb);
		}
		else
		{
			partner[nlinks] = b;
			next[nlinks] = head[a];
			if (head[a] < 0)
				tail[a] = nlinks;
			head[a] = nlinks++;
			partner[nlinks] = a;
			next[nlinks] = head[b];
			if (head[b] < 0)
				tail[b] = nlinks;
			head[b] = nlinks++;
		}
	}
	/* move the cannot-link lists of must-linked records to their roots */
	for (int i = 0; i < n && head != NULL; i++)
	{
		int32		r = find(parent, i);

		if (r != i && head[i] >= 0)
		{
			next[tail[i]] = head[r];
			if (head[r] < 0)
				tail[r] = tail[i];
			head[r] = head[i];
			head[i] = tail[i] = -1;
		}
	}
	/* the pairs to join, counted first: most pairs are below the threshold */
	for (int64 k = 0; k < lm->npairs; k++)
	{
		LinkPair	p = *LINK_PAIR(lm, k);

		if (p.probability >= threshold && (within == NULL || within[p.a] == within[p.b]))
			nedges++;
	}
	edges = palloc_extended(sizeof(Edge) * Max(nedges, 1), MCXT_ALLOC_HUGE);
	nedges = 0;
	for (int64 k = 0; k < lm->npairs; k++)
	{
		LinkPair	p = *LINK_PAIR(lm, k);

		if (p.probability >= threshold && (within == NULL || within[p.a] == within[p.b]))
		{
			edges[nedges].pair = (int32) k;
			edges[nedges].a = p.a;
			edges[nedges].b = p.b;
			edges[nedges].probability = p.probability;
			nedges++;
		}
	}
	qsort(edges, nedges, sizeof(Edge), edge_cmp);
	for (int64 e = 0; e < nedges; e++)
	{
		const Edge *p = &edges[e];
		int32		ra = find(parent, p->a),
					rb = find(parent, p->b),
					root,
					other;
		bool		conflict = false;

		if (ra == rb)
			continue;
		/* a near-certain pair is believed even against an identifier */
		for (int k = 0; k < nid && !conflict && edges[e].probability < 0.999; k++)
		{
			int32		xa = idrec[(int64) ra * nid + k],
						xb = idrec[(int64) rb * nid + k];

			conflict = xa >= 0 && xb >= 0 &&
				values_conflict(idkind[k], LINK_V(LINK_REC(lm, xa), idcols[k]),
								LINK_V(LINK_REC(lm, xb), idcols[k]));
		}
		if (youngest != NULL && !conflict)
		{
			DateADT		y = Max(youngest[ra], youngest[rb]);
			int			need = Max(oldest_needed[ra], oldest_needed[rb]);

			/* born after today less the age the system requires: too young */
			conflict = need > 0 && !DATE_IS_NOBEGIN(y) && y > today - (DateADT) (need * 365.25);
		}
		if (conflict || (nlinks > 0 && (cannot_join(parent, head, next, partner, ra, rb) ||
										cannot_join(parent, head, next, partner, rb, ra))))
			continue;
		root = Min(ra, rb);
		other = Max(ra, rb);
		parent[other] = root;
		if (head != NULL && head[other] >= 0)
		{
			next[tail[other]] = head[root];
			if (head[root] < 0)
				tail[root] = tail[other];
			head[root] = head[other];
			head[other] = tail[other] = -1;
		}
		for (int k = 0; k < nid; k++)
			if (idrec[(int64) root * nid + k] < 0)
				idrec[(int64) root * nid + k] = idrec[(int64) other * nid + k];
		if (youngest != NULL)
		{
			youngest[root] = Max(youngest[root], youngest[other]);
			oldest_needed[root] = Max(oldest_needed[root], oldest_needed[other]);
		}
	}
	for (int i = 0; i < n; i++)
		cluster[i] = find(parent, i) + 1;
	pfree(parent);
	pfree(idrec);
	pfree(edges);
	if (head != NULL)
	{
		pfree(head);
		pfree(tail);
	}
	pfree(next);
	pfree(partner);
	return cluster;
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

int64 *
link_cluster(const LinkModel *lm, double threshold, const LinkDecision *decisions, int ndecisions,
			 const int16 *min_age, DateADT today)
{
	int			n = lm->nrecords;
	int64	   *first = union_pass(lm, threshold, decisions, ndecisions, min_age, today, NULL);
	int64	   *cluster = first;
	int32	   *size = palloc0(sizeof(int32) * (n + 1));
	int32	   *start = palloc0(sizeof(int32) * (n + 2));
	int32	   *member = palloc(sizeof(int32) * Max(n, 1));
	int32	   *core;			/* per checked column, union-find of near-certain pairs */
	LinkDecision *conflicts = NULL;
	int			nconflicts = 0;
	int			maxconflicts = 0;
	int			kcols[LINK_MAX_COLUMNS];
	int			nk = 0;
	int64		checked = 0,
				split = 0,
				clusters = 0;
	bool		capped = false;
	MemberValue *mv;
	MemoryContext copies = NULL;

	for (int c = 0; c < lm->ncolumns; c++)
		if (lm->columns[c].kind == LK_IDENTIFIER || lm->columns[c].kind == LK_DATE ||
			lm->columns[c].kind == LK_GIVEN_NAME)
			kcols[nk++] = c;
	/* records by cluster */
	for (int i = 0; i < n; i++)
		size[first[i]]++;
	for (int c = 1; c <= n; c++)
		start[c + 1] = start[c] + size[c];
	{
		int32	   *fill = palloc(sizeof(int32) * (n + 2));

		memcpy(fill, start, sizeof(int32) * (n + 2));
		for (int i = 0; i < n; i++)
			member[fill[first[i]]++] = i;
		pfree(fill);
	}
	/*
	 * Cores, per checked column: records joined by near-certain pairs, inside
	 * clusters of three or more, through records that hold a value there (not
	 * an initial): a conflict inside a core is a value mistyped, not two
	 * people joined through a record that says nothing of the column.
	 */
	core = palloc(sizeof(int32) * Max((int64) n * nk, 1));
	for (int q = 0; q < nk; q++)
		for (int i = 0; i < n; i++)
			core[(int64) q * n + i] = i;
	for (int64 k = 0; k < lm->npairs; k++)
	{
		LinkPair	pk = *LINK_PAIR(lm, k);
		const LinkPair *p = &pk;

		if (p->probability < Max(STRONG_PAIR, threshold) || first[p->a] != first[p->b] ||
			size[first[p->a]] < 3)
			continue;
		for (int q = 0; q < nk; q++)
		{
			const LinkValue *va = LINK_V(LINK_REC(lm, p->a), kcols[q]),
					   *vb = LINK_V(LINK_REC(lm, p->b), kcols[q]);
			int32	   *cq = core + (int64) q * n;
			int32		ra,
						rb;

			if (va->s == NULL || vb->s == NULL || va->len < 2 || vb->len < 2)
				continue;
			ra = find(cq, p->a);
			rb = find(cq, p->b);
			if (ra != rb)
				cq[Max(ra, rb)] = Min(ra, rb);
		}
	}
	{
		int32		largest1 = 1;

		for (int c = 1; c <= n; c++)
			largest1 = Max(largest1, size[c]);
		mv = palloc(sizeof(MemberValue) * largest1);
	}
	/* records spilled (store.c): a cluster's values are copied, its records may move */
	if (link_store_spilled(lm))
		copies = AllocSetContextCreate(CurrentMemoryContext, "linkage: a cluster's values",
									   ALLOCSET_DEFAULT_SIZES);
	for (int c = 1; c <= n && nk > 0; c++)
	{
		int32		s = size[c];
		int			before = nconflicts;

		if (s < 3)
			continue;
		CHECK_FOR_INTERRUPTS();
		checked++;
		if (copies != NULL)
			MemoryContextReset(copies);
		for (int q = 0; q < nk; q++)
		{
			int			col = kcols[q];
			LinkKind	kind = lm->columns[col].kind;
			int			nv = 0,
						nd = 0;
			int32		runs[MAX_CLUSTER_VALUES + 1];

			for (int32 j = 0; j < s; j++)
			{
				const LinkValue *v = LINK_V(LINK_REC(lm, member[start[c] + j]), col);

				if (v->s != NULL)
				{
					if (copies != NULL)
					{
						LinkValue  *copy = MemoryContextAlloc(copies, sizeof(LinkValue));

						*copy = *v;
						copy->s = MemoryContextAlloc(copies, v->len + 1);
						memcpy(copy->s, v->s, v->len + 1);
						v = copy;
					}
					mv[nv].v = v;
					mv[nv].record = member[start[c] + j];
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
					int32	   *cq = core + (int64) q * n;

					if (!members_conflict(kind, mv[runs[x]].v, mv[runs[y]].v))
						continue;
					for (int i = runs[x]; i < runs[x + 1] && !capped; i++)
						for (int j = runs[y]; j < runs[y + 1]; j++)
						{
							if (find(cq, mv[i].record) == find(cq, mv[j].record))
								continue;
							if (kind == LK_GIVEN_NAME &&
								given_name_elsewhere(lm, col, LINK_REC(lm, mv[i].record), LINK_REC(lm, mv[j].record)))
								continue;
							if (nconflicts >= MAX_CONFLICTS)
							{
								capped = true;
								break;
							}
							if (nconflicts >= maxconflicts)
							{
								maxconflicts = Max(1024, Min(2 * maxconflicts, MAX_CONFLICTS));
								conflicts = conflicts == NULL ?
									palloc(sizeof(LinkDecision) * maxconflicts) :
									repalloc(conflicts, sizeof(LinkDecision) * maxconflicts);
							}
							conflicts[nconflicts].a = mv[i].record;
							conflicts[nconflicts].b = mv[j].record;
							conflicts[nconflicts].must_link = false;
							nconflicts++;
						}
				}
		}
		if (capped)
		{
			/* this cluster's conflicts only in part: leave it whole */
			nconflicts = before;
			break;
		}
	}
	pfree(mv);
	if (copies != NULL)
		MemoryContextDelete(copies);
	pfree(core);

	if (nconflicts > 0)
	{
		LinkDecision *all = palloc(sizeof(LinkDecision) * (ndecisions + nconflicts));

		if (ndecisions > 0)
			memcpy(all, decisions, sizeof(LinkDecision) * ndecisions);
		memcpy(all + ndecisions, conflicts, sizeof(LinkDecision) * nconflicts);
		cluster = union_pass(lm, threshold, all, ndecisions + nconflicts, min_age, today, first);
		pfree(all);
	}
	if (conflicts)
		pfree(conflicts);

	/* how many clusters were split, and the sizes of those there are now */
	{
		int32	   *parts = palloc0(sizeof(int32) * (n + 1));
		int32	   *now = palloc0(sizeof(int32) * (n + 1));
		int64		hist[6] = {0};
		int32		largest = 0;

		for (int c = 1; c <= n; c++)
			if (size[c] >= 3)
				for (int32 j = start[c]; j < start[c + 1]; j++)
				{
					int32		i = member[j];

					/* a record heading its part: count the part once */
					if (cluster[i] == i + 1)
						parts[c]++;
				}
		for (int c = 1; c <= n; c++)
			if (parts[c] > 1)
				split++;
		for (int i = 0; i < n; i++)
			now[cluster[i]]++;
		for (int c = 1; c <= n; c++)
		{
			int32		z = now[c];

			if (z == 0)
				continue;
			clusters++;
			largest = Max(largest, z);
			hist[z == 1 ? 0 : z == 2 ? 1 : z <= 5 ? 2 : z <= 10 ? 3 : z <= 50 ? 4 : 5]++;
		}
		ereport(NOTICE,
				(errmsg("linkage: %lld clusters; %lld of %lld clusters of 3 records or more (%.2f %%) split as incoherent",
						(long long) clusters, (long long) split, (long long) checked,
						checked > 0 ? 100.0 * split / checked : 0.0),
				 errdetail("Cluster sizes: 1: %lld, 2: %lld, 3-5: %lld, 6-10: %lld, 11-50: %lld, over 50: %lld; largest %d.%s",
						   (long long) hist[0], (long long) hist[1], (long long) hist[2], (long long) hist[3],
						   (long long) hist[4], (long long) hist[5], largest,
						   capped ? " Some clusters were not checked: more than 2,000,000 conflicting pairs." : "")));
		pfree(parts);
		pfree(now);
	}
	pfree(size);
	pfree(start);
	pfree(member);
	if (cluster != first)
		pfree(first);
	return cluster;
}
