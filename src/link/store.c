/*
 * store.c
 *		Where a linkage run keeps its records and its candidate pairs: chunks
 *		of memory, spilled to a temporary file past brent_mdm.linkage_work_mem.
 *
 * Records are written once, as they are read (link.c), each with its id and
 * its values' strings in one piece, in chunks of LINK_CHUNK bytes (a record
 * larger than that has a chunk of its own).  A record is found by its number:
 * its chunk and its offset there (8 bytes a record, and 4 for the columns it
 * holds).  The candidate pairs, as blocking makes them, de-duplicated, and
 * what is known of each until it is scored, are arrays of fixed-size
 * elements in chunks of the same store (LinkArray: element k in chunk
 * k >> shift).  While the chunks fit in brent_mdm.linkage_work_mem they all
 * stay in memory and nothing else happens; past it, the chunks used least
 * recently (an eighth of those in memory at a time) are written to a
 * temporary file (once, or again if changed since) and their memory taken
 * for the next, and an element of a chunk not in memory brings its chunk
 * back.  A record chunk's pointers (the id, the values' strings) point into
 * the chunk: read back elsewhere, they are moved by the distance from where
 * it was when written.  A step that needs memory of its own beside the
 * store (a window of pairs, a training session's levels) takes it from the
 * store's share while it runs (link_store_reserve).
 *
 * A pointer to an element (link_rec, link_array_get) stays valid while fewer
 * than LINK_MIN_CHUNKS other chunks are used: at least that many are kept,
 * and those used last go last; no caller holds more than a few at once.
 * Steps that visit records in an order of their own (comparing the candidate
 * pairs, the u sample) visit them chunk by chunk where the chunks do not all
 * fit (link_rec_order), so that each chunk is read back a bounded number of
 * times.
 */
#include "postgres.h"

#include "miscadmin.h"
#include "pgstat.h"
#include "storage/fd.h"
#include "utils/memutils.h"

#include "link/link.h"

/* brent_mdm.linkage_work_mem, in kB */
int			link_work_mem = LINK_WORK_MEM_DEFAULT;

LinkStore *
link_store_create(MemoryContext cxt)
{
	LinkStore  *st = MemoryContextAllocZero(cxt, sizeof(LinkStore));

	st->cxt = cxt;
	st->file = -1;
	st->budget = Max((Size) link_work_mem * 1024, (Size) LINK_MIN_CHUNKS * LINK_CHUNK);
	st->maxchunks = 64;
	st->chunks = MemoryContextAlloc(cxt, sizeof(LinkChunk) * st->maxchunks);
	return st;
}

/* the file, made when the first chunk is written */
static void
write_chunk(LinkStore *st, int c)
{
	LinkChunk  *ch = &st->chunks[c];
	int			done;

	if (st->file < 0)
		st->file = OpenTemporaryFile(false);
	if (ch->file_offset < 0)
	{
		ch->file_offset = st->file_end;
		st->file_end += ch->size;
	}
	done = FileWrite(st->file, ch->base, ch->used, ch->file_offset, WAIT_EVENT_BUFFILE_WRITE);
	if (done != (int) ch->used)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("linkage: could not write a chunk of records or pairs to a temporary file: %m"),
				 errhint("Check the space of the temporary files' tablespace and temp_file_limit, or raise brent_mdm.linkage_work_mem.")));
	ch->file_base = ch->base;
	ch->dirty = false;
	st->writes++;
}

/* chunk c is in memory now: listed (the list grows as need be) */
static void
add_resident(LinkStore *st, int c)
{
	if (st->nresident == st->maxresident)
	{
		st->maxresident = Max(64, 2 * st->maxresident);
		st->res = st->res == NULL ?
			MemoryContextAlloc(st->cxt, sizeof(int32) * st->maxresident) :
			repalloc(st->res, sizeof(int32) * st->maxresident);
		st->stamps = st->stamps == NULL ?
			MemoryContextAlloc(st->cxt, sizeof(uint64) * st->maxresident) :
			repalloc(st->stamps, sizeof(uint64) * st->maxresident);
	}
	st->res[st->nresident++] = c;
	st->resident += st->chunks[c].size;
}

/* A chunk's memory given up (kept for the next chunk, if none is) */
static void
drop_memory(LinkStore *st, LinkChunk *ch)
{
	if (ch->size == LINK_CHUNK && st->spare == NULL)
		st->spare = ch->base;
	else
		pfree(ch->base);
	ch->base = NULL;
	st->resident -= ch->size;
}

static int
stamp_cmp(const void *x, const void *y)
{
	uint64		a = *(const uint64 *) x,
				b = *(const uint64 *) y;

	return a < b ? -1 : a > b ? 1 : 0;
}

/*
 * Makes room for size bytes more in memory: writes out (if need be) and
 * drops the chunks used least recently, an eighth of those in memory at a
 * time (one sort of their last uses: a constant cost a chunk dropped), never
 * keep (the chunk wanted) and never the LINK_MIN_CHUNKS - 1 used last.
 */
static void
make_room(LinkStore *st, Size size, int keep)
{
	while (st->resident + size > st->budget && st->nresident > LINK_MIN_CHUNKS - 1)
	{
		int			n = 0,
					drop,
					kept = 0;
		uint64		oldest;

		for (int x = 0; x < st->nresident; x++)
			if (st->res[x] != keep)
				st->stamps[n++] = st->chunks[st->res[x]].last_use;
		drop = Min(Max(n / 8, 1), n - (LINK_MIN_CHUNKS - 1));
		if (drop <= 0)
			break;
		qsort(st->stamps, n, sizeof(uint64), stamp_cmp);
		oldest = st->stamps[drop - 1];
		for (int x = 0; x < st->nresident; x++)
		{
			int			c = st->res[x];
			LinkChunk  *ch = &st->chunks[c];

			if (c == keep || ch->last_use > oldest)
			{
				st->res[kept++] = c;
				continue;
			}
			if (ch->dirty || ch->file_offset < 0)
				write_chunk(st, c);
			drop_memory(st, ch);
		}
		st->nresident = kept;
	}
}

static char *
chunk_memory(LinkStore *st, Size size)
{
	char	   *m;

	if (size == LINK_CHUNK && st->spare != NULL)
	{
		m = st->spare;
		st->spare = NULL;
		return m;
	}
	return MemoryContextAllocHuge(st->cxt, size);
}

/* Brings chunk c back into memory; its pointers moved to where it now is. */
void
link_store_load(LinkModel *lm, int c)
{
	LinkStore  *st = lm->store;
	LinkChunk  *ch = &st->chunks[c];
	intptr_t	delta;
	int			done;

	Assert(ch->base == NULL);
	if (st->file < 0 || ch->file_offset < 0)
		elog(ERROR, "linkage: a chunk of records or pairs was read after its file was closed");
	CHECK_FOR_INTERRUPTS();
	make_room(st, ch->size, c);
	ch->base = chunk_memory(st, ch->size);
	done = FileRead(st->file, ch->base, ch->used, ch->file_offset, WAIT_EVENT_BUFFILE_READ);
	if (done != (int) ch->used)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("linkage: could not read a chunk of records or pairs back from a temporary file: %m")));
	add_resident(st, c);
	st->reads++;
	delta = (intptr_t) ch->base - (intptr_t) ch->file_base;
	if (delta != 0 && ch->first >= 0)
	{
		for (int32 i = ch->first; i < ch->end; i++)
		{
			LinkRecord *r = (LinkRecord *) (ch->base + st->rec_offset[i]);
			int			held = pg_popcount32(r->present);

			r->id += delta;
			for (int v = 0; v < held; v++)
				r->v[v].s += delta;
		}
	}
	/* the file's copy keeps the pointers it was written with (file_base) */
}

/*
 * A new chunk of size bytes, in memory, numbered last: for the records from
 * first on (used 0: they are added), or for an array (first -1: used whole).
 */
static int
new_chunk(LinkStore *st, Size size, int32 first)
{
	LinkChunk  *ch;

	if (st->nchunks == st->maxchunks)
	{
		st->maxchunks *= 2;
		st->chunks = repalloc_huge(st->chunks, sizeof(LinkChunk) * st->maxchunks);
	}
	make_room(st, size, -1);
	ch = &st->chunks[st->nchunks++];
	ch->base = chunk_memory(st, size);
	ch->file_base = NULL;
	ch->file_offset = -1;
	ch->size = (uint32) size;
	ch->used = first >= 0 ? 0 : (uint32) size;
	ch->first = first;
	ch->end = first;
	ch->dirty = true;
	add_resident(st, st->nchunks - 1);
	return st->nchunks - 1;
}

/* one of the store's index arrays (a uint32 a record), made or resized to n */
static uint32 *
resize_index(LinkStore *st, uint32 *a, Size n)
{
	return a == NULL ? MemoryContextAllocHuge(st->cxt, sizeof(uint32) * n) :
		repalloc_huge(a, sizeof(uint32) * n);
}

/*
 * Room for a record of size bytes (MAXALIGNed) holding the values of the
 * columns of present, numbered lm->nrecords (the caller counts it); valid
 * until the next record is made.
 */
LinkRecord *
link_store_new_record(LinkModel *lm, Size size, uint32 present)
{
	LinkStore  *st = lm->store;
	LinkChunk  *ch = st->nchunks > 0 ? &st->chunks[st->nchunks - 1] : NULL;
	int32		i = lm->nrecords;

	size = MAXALIGN(size);
	if (i >= st->maxrecords)
	{
		int64		cap = Max(st->maxrecords * 2, 16384);

		if (cap > INT_MAX)
			cap = INT_MAX;
		if (i >= cap)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("linkage compares at most %d records", INT_MAX)));
		st->rec_chunk = resize_index(st, st->rec_chunk, cap);
		st->rec_offset = resize_index(st, st->rec_offset, cap);
		st->rec_present = resize_index(st, st->rec_present, cap);
		st->maxrecords = cap;
	}
	if (ch == NULL || ch->first < 0 || ch->base == NULL || ch->used + size > ch->size)
	{
		Size		csize = Max(size, (Size) LINK_CHUNK);
		int			c;

		if (csize > MaxAllocHugeSize || csize > PG_INT32_MAX)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("a record of %zu bytes is too large to link", size)));
		c = new_chunk(st, csize, i);	/* may move st->chunks: indexed after */
		ch = &st->chunks[c];
	}
	ch->last_use = ++st->clock;
	ch->end = i + 1;
	st->rec_chunk[i] = st->nchunks - 1;
	st->rec_offset[i] = ch->used;
	st->rec_present[i] = present;
	ch->used += size;
	return (LinkRecord *) (ch->base + st->rec_offset[i]);
}

/*
 * Chunk c's memory, brought back if need be, marked used now (and changed:
 * mut); the slow path of link_rec and link_array_get.
 */
static char *
chunk_in_memory(const LinkModel *lm, int c, bool mut)
{
	LinkStore  *st = lm->store;
	LinkChunk  *ch = &st->chunks[c];

	if (ch->base == NULL)
		link_store_load(unconstify(LinkModel *, lm), c);
	ch->last_use = ++st->clock;
	if (mut)
		ch->dirty = true;
	return ch->base;
}

LinkRecord *
link_rec_slow(const LinkModel *lm, int32 i)
{
	return (LinkRecord *) (chunk_in_memory(lm, lm->store->rec_chunk[i], false) +
						   lm->store->rec_offset[i]);
}

/* record i, to be changed: its chunk is written again if dropped */
LinkRecord *
link_rec_mut(LinkModel *lm, int32 i)
{
	LinkRecord *r = link_rec(lm, i);

	lm->store->chunks[lm->store->rec_chunk[i]].dirty = true;
	return r;
}

bool
link_store_spilled(const LinkModel *lm)
{
	return lm->store != NULL && lm->store->file >= 0;
}

/* chunks that fit in memory at once, less those kept for callers' pointers */
int
link_store_window(const LinkModel *lm)
{
	return Max((int) (lm->store->budget / LINK_CHUNK) - LINK_MIN_CHUNKS, 1);
}

void
link_store_stats(const LinkModel *lm, LinkStoreStats *stats)
{
	LinkStore  *st = lm->store;
	Size		total = 0;

	stats->chunks = 0;
	for (int c = 0; c < st->nchunks; c++)
		if (st->chunks[c].first >= 0)
		{
			total += st->chunks[c].used;
			stats->chunks++;
		}
	stats->bytes = total;
	stats->spilled = st->file >= 0;
	stats->reads = st->reads;
	stats->writes = st->writes;
	stats->file_bytes = st->file_end;
}

/* The file closed (nothing else is freed: the memory goes with its context). */
void
link_store_close(LinkModel *lm)
{
	if (lm->store != NULL && lm->store->file >= 0)
	{
		FileClose(lm->store->file);
		lm->store->file = -1;
	}
}

/*
 * An order in which to visit pairs of records, so that where the chunks do
 * not all fit in memory, each chunk is read back a bounded number of times:
 * the pairs whose first records' chunks fit in half the memory at once, in
 * the order of their other records' chunks; then the next such window.  NULL
 * where every chunk is in memory (the caller's order will do).  The pairs
 * themselves keep their order (results do not depend on the visit).
 */
int32 *
link_rec_order(const LinkModel *lm, const LinkPair *pairs, int64 n)
{
	const LinkStore *st = lm->store;
	int32	   *order;
	uint32	   *key;
	int64	   *start;
	uint32		window,
				nwindows,
				nkeys;

	if (st == NULL || st->file < 0 || n == 0)
		return NULL;
	if (n > PG_INT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("linkage compares at most %d pairs of records", PG_INT32_MAX)));
	/* by counting: a key for each pair (its window, its other chunk), stable */
	window = Max(link_store_window(lm) / 2, 1);
	nwindows = (uint32) st->nchunks / window + 1;
	nkeys = nwindows * (uint32) st->nchunks;
	key = palloc_extended(sizeof(uint32) * n, MCXT_ALLOC_HUGE);
	start = palloc0(sizeof(int64) * ((Size) nkeys + 1));
	for (int64 k = 0; k < n; k++)
	{
		uint32		ca = st->rec_chunk[pairs[k].a],
					cb = st->rec_chunk[pairs[k].b];

		key[k] = (Min(ca, cb) / window) * (uint32) st->nchunks + Max(ca, cb);
		start[key[k] + 1]++;
	}
	for (uint32 x = 0; x < nkeys; x++)
		start[x + 1] += start[x];
	order = palloc_extended(sizeof(int32) * n, MCXT_ALLOC_HUGE);
	for (int64 k = 0; k < n; k++)
		order[start[key[k]]++] = (int32) k;
	pfree(key);
	pfree(start);
	return order;
}

/* An empty array of elements of size bytes (at most LINK_CHUNK). */
void
link_array_init(LinkArray *arr, Size size)
{
	memset(arr, 0, sizeof(LinkArray));
	arr->size = (uint32) Max(size, 1);
	arr->shift = 0;
	while (((Size) 2 << arr->shift) * arr->size <= LINK_CHUNK)
		arr->shift++;
}

/* Room for element arr->n (the caller fills it); valid as link_array_get's. */
void *
link_array_push(LinkModel *lm, LinkArray *arr)
{
	LinkStore  *st = lm->store;
	int64		k = arr->n;

	if ((k >> arr->shift) >= arr->nchunks)
	{
		int			c;

		if (arr->nchunks == arr->maxchunks)
		{
			arr->maxchunks = Max(16, 2 * arr->maxchunks);
			arr->chunk = arr->chunk == NULL ?
				MemoryContextAlloc(st->cxt, sizeof(int32) * arr->maxchunks) :
				repalloc(arr->chunk, sizeof(int32) * arr->maxchunks);
		}
		/* a whole chunk's memory (reused from chunk to chunk), its elements' used */
		c = new_chunk(st, LINK_CHUNK, -1);
		st->chunks[c].used = arr->size << arr->shift;
		arr->chunk[arr->nchunks++] = c;
	}
	arr->n++;
	return link_array_get(lm, arr, k, true);
}

void *
link_array_slow(const LinkModel *lm, const LinkArray *arr, int64 k, bool mut)
{
	return chunk_in_memory(lm, arr->chunk[k >> arr->shift], mut) +
		(Size) (k & (((int64) 1 << arr->shift) - 1)) * arr->size;
}

/*
 * The array's chunks dropped (their memory freed; their place in the file,
 * if any, is not used again).
 */
void
link_array_free(LinkModel *lm, LinkArray *arr)
{
	LinkStore  *st = lm->store;
	int			kept = 0;

	for (int x = 0; x < arr->nchunks; x++)
	{
		LinkChunk  *ch = &st->chunks[arr->chunk[x]];

		if (ch->base != NULL)
			drop_memory(st, ch);
		ch->size = 0;
		ch->used = 0;
		ch->file_offset = -1;
	}
	/* the list of chunks in memory, without them */
	for (int x = 0; x < st->nresident; x++)
		if (st->chunks[st->res[x]].base != NULL)
			st->res[kept++] = st->res[x];
	st->nresident = kept;
	if (arr->chunk)
		pfree(arr->chunk);
	memset(arr, 0, sizeof(LinkArray));
}

/*
 * Memory a step takes beside the store (a window of pairs, a session's
 * levels): taken from brent_mdm.linkage_work_mem while the step runs (the
 * chunks used least recently dropped to make room), so that the run stays
 * within it; the store keeps LINK_MIN_CHUNKS chunks whatever is reserved.
 * Returns what was taken, to give back with link_store_release.
 */
Size
link_store_reserve(LinkModel *lm, Size bytes)
{
	LinkStore  *st = lm->store;
	Size		floor = (Size) LINK_MIN_CHUNKS * LINK_CHUNK;
	Size		take = st->budget > floor ? Min(bytes, st->budget - floor) : 0;

	st->budget -= take;
	make_room(st, 0, -1);
	return take;
}

void
link_store_release(LinkModel *lm, Size taken)
{
	lm->store->budget += taken;
}

/* Every record read: the index arrays cut to their size (they grew by doubling). */
void
link_store_trim(LinkModel *lm)
{
	LinkStore  *st = lm->store;
	Size		n = Max(lm->nrecords, 1);

	if (st->rec_chunk == NULL || (int64) n >= st->maxrecords)
		return;
	st->rec_chunk = resize_index(st, st->rec_chunk, n);
	st->rec_offset = resize_index(st, st->rec_offset, n);
	st->rec_present = resize_index(st, st->rec_present, n);
	st->maxrecords = n;
}
