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
 * Cluster of each record: the smallest record number in its component,
 * plus one (so that cluster ids are stable for a given input order).
 */
int64 *
link_cluster(const LinkModel *lm, double threshold)
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
		if (conflict)
			continue;
		root = Min(ra, rb);
		other = Max(ra, rb);
		parent[other] = root;
		for (int k = 0; k < nid; k++)
			if (idval[(int64) root * nid + k] == NULL)
				idval[(int64) root * nid + k] = idval[(int64) other * nid + k];
	}
	for (int i = 0; i < n; i++)
		cluster[i] = find(parent, i) + 1;
	pfree(parent);
	pfree(idval);
	pfree(edges);
	return cluster;
}
