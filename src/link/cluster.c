/*
 * cluster.c
 *		Records into persons: connected components of the pairs at or above
 *		a match probability, by union-find with path halving, strongest
 *		pairs first, with a guard against chaining: two groups are not
 *		joined if their first-seen identifiers, dates of birth or given names
 *		conflict (two NHS numbers, or a man born in 1950 and a child born in
 *		2020, are two people however many weak links say otherwise), unless
 *		the joining pair itself is near certain (probability 0.999 or more:
 *		a value was mistyped).
 */
#include "postgres.h"

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
 * Is the person of record a too young on today's date for a system that
 * holds no one under min_age (born after today less min_age years)?
 */
bool
link_too_young(const LinkModel *lm, const LinkRecord *a, int min_age, DateADT today)
{
	int			date = link_find_kind(lm, LK_DATE);

	return min_age > 0 && date >= 0 && a->v[date].s != NULL &&
		a->v[date].date > today - (DateADT) (min_age * 365.25);
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
		if (lm->records[i]->v[c].s != NULL)
			ages[i] = (int16) lm->records[i]->v[c].age;
	return ages;
}

typedef struct Edge
{
	int64		pair;
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
 * Cluster of each record: the smallest record number in its component,
 * plus one (so that cluster ids are stable for a given input order).
 * Reviewers' decisions bind: must-link pairs are joined first, whatever
 * the model says; cannot-link pairs never end in one cluster.  With
 * min_age (per record: the youngest age its system holds, 0 for any), a
 * group is never joined to one whose youngest date of birth makes it too
 * young on today's date for a system of the other (a council tax payer is
 * not the baby of the same name at the same address).
 */
int64 *
link_cluster(const LinkModel *lm, double threshold, const LinkDecision *decisions, int ndecisions,
			 const int16 *min_age, DateADT today)
{
	int			n = lm->nrecords;
	int32	   *parent = palloc(sizeof(int32) * n);
	int64	   *cluster = palloc(sizeof(int64) * n);
	int			idcols[LINK_MAX_COLUMNS];
	LinkKind	idkind[LINK_MAX_COLUMNS];
	int			nid = 0;
	const LinkValue **idval;	/* per root and identifier column; NULL = none */
	Edge	   *edges;
	int64		nedges = 0;
	int32	   *head = palloc(sizeof(int32) * Max(n, 1));	/* cannot-link list per root */
	int32	   *tail = palloc(sizeof(int32) * Max(n, 1));
	int32	   *next = palloc(sizeof(int32) * Max(2 * ndecisions, 1));
	int32	   *partner = palloc(sizeof(int32) * Max(2 * ndecisions, 1));
	int32		nlinks = 0;
	int			datecol = -1;
	DateADT    *youngest = NULL;	/* per root: latest date of birth, or none */
	int16	   *oldest_needed = NULL;	/* per root: highest minimum age of its systems */

	for (int c = 0; c < lm->ncolumns; c++)
		if (lm->columns[c].kind == LK_IDENTIFIER || lm->columns[c].kind == LK_DATE ||
			lm->columns[c].kind == LK_GIVEN_NAME)
		{
			idkind[nid] = lm->columns[c].kind;
			idcols[nid++] = c;
		}
	idval = palloc0(sizeof(LinkValue *) * Max((int64) n * nid, 1));
	for (int i = 0; i < n; i++)
	{
		parent[i] = i;
		for (int k = 0; k < nid; k++)
		{
			const LinkValue *v = &lm->records[i]->v[idcols[k]];

			idval[(int64) i * nid + k] = v->s ? v : NULL;
		}
	}
	for (int i = 0; i < n; i++)
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
			const LinkValue *v = &lm->records[i]->v[datecol];

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
	for (int i = 0; i < n; i++)
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
	edges = palloc(sizeof(Edge) * Max(lm->npairs, 1));
	for (int64 k = 0; k < lm->npairs; k++)
		if (lm->pairs[k].probability >= threshold)
		{
			edges[nedges].pair = k;
			edges[nedges].probability = lm->pairs[k].probability;
			nedges++;
		}
	qsort(edges, nedges, sizeof(Edge), edge_cmp);
	for (int64 e = 0; e < nedges; e++)
	{
		const LinkPair *p = &lm->pairs[edges[e].pair];
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
			conflict = values_conflict(idkind[k], idval[(int64) ra * nid + k],
									   idval[(int64) rb * nid + k]);
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
		if (head[other] >= 0)
		{
			next[tail[other]] = head[root];
			if (head[root] < 0)
				tail[root] = tail[other];
			head[root] = head[other];
			head[other] = tail[other] = -1;
		}
		for (int k = 0; k < nid; k++)
			if (idval[(int64) root * nid + k] == NULL)
				idval[(int64) root * nid + k] = idval[(int64) other * nid + k];
		if (youngest != NULL)
		{
			youngest[root] = Max(youngest[root], youngest[other]);
			oldest_needed[root] = Max(oldest_needed[root], oldest_needed[other]);
		}
	}
	for (int i = 0; i < n; i++)
		cluster[i] = find(parent, i) + 1;
	pfree(parent);
	pfree(idval);
	pfree(edges);
	pfree(head);
	pfree(tail);
	pfree(next);
	pfree(partner);
	return cluster;
}
