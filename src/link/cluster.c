/*
 * cluster.c
 *		Records into persons: connected components of the pairs at or above
 *		a match probability, by union-find with path halving.
 */
#include "postgres.h"

#include "link/link.h"

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
 * Cluster of each record: the smallest record number in its component,
 * plus one (so that cluster ids are stable for a given input order).
 */
int64 *
link_cluster(const LinkModel *lm, double threshold)
{
	int32	   *parent = palloc(sizeof(int32) * lm->nrecords);
	int64	   *cluster = palloc(sizeof(int64) * lm->nrecords);

	for (int i = 0; i < lm->nrecords; i++)
		parent[i] = i;
	for (int64 k = 0; k < lm->npairs; k++)
	{
		const LinkPair *p = &lm->pairs[k];

		if (p->probability >= threshold)
		{
			int32		ra = find(parent, p->a),
						rb = find(parent, p->b);

			if (ra < rb)
				parent[rb] = ra;
			else if (rb < ra)
				parent[ra] = rb;
		}
	}
	for (int i = 0; i < lm->nrecords; i++)
		cluster[i] = find(parent, i) + 1;
	pfree(parent);
	return cluster;
}
