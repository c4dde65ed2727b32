/*
 * store.c
 *		Where a linkage run keeps its records and its candidate pairs: chunks
 *		of memory, spilled to a temporary file past brent_mdm.linkage_work_mem.
 *
 * Records are written once, as they are read (link.c), each with its id and
 * its values' strings in one piece, in chunks of LINK_CHUNK bytes (a record
 * larger than that has a chunk of its own).  A record is found by its number:
 * its chunk (the chunks of records are listed in order, and the place in
 * that list of every LINK_MAP_RECORDS-th record kept) and its offset there,
 * kept at the chunk's end.  The candidate pairs, as blocking makes them,
 * de-duplicated, and what is known of each until it is scored, are arrays of
 * fixed-size elements in chunks of the same store (LinkArray: element k in
 * chunk k >> shift), and so is every other array a run keeps by record or by
 * pair (blocking keys and groups, term frequencies, clustering's): nothing of
 * a run grows in memory with its records beside the store but the list of
 * chunks (about 60 bytes a chunk).  A freed array's chunks, and their places
 * in the file, are taken by the next chunks made.  While the chunks fit in
 * brent_mdm.linkage_work_mem they all stay in memory and nothing else
 * happens; past it, the chunks used least
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

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "miscadmin.h"
#include "pgstat.h"
#include "fmgr.h"
#include "funcapi.h"
#include "storage/fd.h"
#include "utils/memutils.h"

#include "link/link.h"

/* brent_mdm.linkage_work_mem, in kB */
int			link_work_mem = LINK_WORK_MEM_DEFAULT;

/* The backend's last run (brent_mdm.linkage_last_run), kept by link_store_close. */
static bool have_last_run = false;
static struct
{
	int64		records;
	int64		pairs;
	Size		budget;
	bool		spilled;
	int64		writes;
	int64		reads;
	Size		peak_resident;
	Size		peak_beside;
	Size		phase_beside[LINK_PHASES];
}			last_run;

LinkStore *
link_store_create(MemoryContext cxt)
{
	LinkStore  *st = MemoryContextAllocZero(cxt, sizeof(LinkStore));

	st->cxt = cxt;
	st->file = -1;
	have_last_run = false;		/* a run that fails, or finds no record, reports none */
	st->budget = Max((Size) link_work_mem * 1024, (Size) LINK_MIN_CHUNKS * LINK_CHUNK);
	st->maxchunks = 64;
	st->chunks = MemoryContextAlloc(cxt, sizeof(LinkChunk) * st->maxchunks);
	return st;
}

/* what of a chunk is written: an array's elements; a record chunk whole (its records' offsets are at its end) */
static inline uint32
chunk_bytes(const LinkChunk *ch)
{
	return ch->first >= 0 ? ch->size : ch->used;
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
	done = FileWrite(st->file, ch->base, chunk_bytes(ch), ch->file_offset, WAIT_EVENT_BUFFILE_WRITE);
	if (done != (int) chunk_bytes(ch))
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
	st->peak_resident = Max(st->peak_resident, st->resident);
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

/*
 * What the backend holds beside the store's chunks (and what steps took from
 * its budget), its peak kept: every memory context's blocks, less the
 * chunks.  Sampled as chunks are dropped, and at the end of each step.
 */
static Size
store_sample(LinkStore *st)
{
	Size		used = MemoryContextMemAllocated(TopMemoryContext, true);
	Size		store = st->resident + st->reserved;
	Size		beside = used > store ? used - store : 0;

	st->peak_beside = Max(st->peak_beside, beside);
	st->phase_beside[st->phase] = Max(st->phase_beside[st->phase], beside);
	return beside;
}

/* The run goes on to phase (its peaks of memory reported apart), from what it holds now. */
void
link_store_phase(LinkModel *lm, LinkPhase phase)
{
	LinkStore  *st = lm->store;
	Size		now;

	if (st == NULL)
		return;
	now = store_sample(st);
	st->phase = phase;
	st->phase_beside[phase] = Max(st->phase_beside[phase], now);
}

void
link_store_sample(const LinkModel *lm)
{
	if (lm->store != NULL)
		store_sample(lm->store);
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
		store_sample(st);
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
	done = FileRead(st->file, ch->base, chunk_bytes(ch), ch->file_offset, WAIT_EVENT_BUFFILE_READ);
	if (done != (int) chunk_bytes(ch))
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
			LinkRecord *r = (LinkRecord *) (ch->base + LINK_REC_OFFSET(ch, i));
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
	int			c;
	off_t		file_offset = -1;

	make_room(st, size, -1);
	if (st->nfree > 0)
	{
		/* the place of a chunk of a freed array, and of its copy in the file */
		c = st->free_slots[--st->nfree];
		if (size == LINK_CHUNK)
			file_offset = st->chunks[c].file_offset;
	}
	else
	{
		if (st->nchunks == st->maxchunks)
		{
			st->maxchunks *= 2;
			st->chunks = repalloc_huge(st->chunks, sizeof(LinkChunk) * st->maxchunks);
		}
		c = st->nchunks++;
	}
	ch = &st->chunks[c];
	ch->base = chunk_memory(st, size);
	ch->file_base = NULL;
	ch->file_offset = file_offset;
	ch->size = (uint32) size;
	ch->used = first >= 0 ? 0 : (uint32) size;
	ch->first = first;
	ch->end = first;
	ch->dirty = true;
	add_resident(st, c);
	return c;
}

/*
 * Room for a record of size bytes (MAXALIGNed) holding the values of the
 * columns of present, numbered lm->nrecords (the caller counts it); valid
 * until the next record is made.  Records are written from a chunk's start,
 * their offsets from its end (a uint32 each); the chunks of records are
 * listed in order, and every LINK_MAP_RECORDS-th record's place in that list
 * kept (rec_map): nothing is kept in memory for each record.
 */
LinkRecord *
link_store_new_record(LinkModel *lm, Size size, uint32 present)
{
	LinkStore  *st = lm->store;
	LinkChunk  *ch = st->nrecchunks > 0 ? &st->chunks[st->rec_chunks[st->nrecchunks - 1]] : NULL;
	int32		i = lm->nrecords;
	uint32		offset;

	size = MAXALIGN(size);
	if (i == INT_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("linkage compares at most %d records", INT_MAX)));
	if (ch == NULL || ch->base == NULL ||
		(Size) ch->used + size + sizeof(uint32) * ((Size) (ch->end - ch->first) + 1) > ch->size)
	{
		Size		csize = Max(size + sizeof(uint32), (Size) LINK_CHUNK);
		int			c;

		if (csize > MaxAllocHugeSize || csize > PG_INT32_MAX)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("a record of %zu bytes is too large to link", size)));
		c = new_chunk(st, csize, i);	/* may move st->chunks: indexed after */
		if (st->nrecchunks == st->maxrecchunks)
		{
			st->maxrecchunks = Max(64, 2 * st->maxrecchunks);
			st->rec_chunks = st->rec_chunks == NULL ?
				MemoryContextAlloc(st->cxt, sizeof(int32) * st->maxrecchunks) :
				repalloc(st->rec_chunks, sizeof(int32) * st->maxrecchunks);
		}
		st->rec_chunks[st->nrecchunks++] = c;
		ch = &st->chunks[c];
	}
	if ((i & (LINK_MAP_RECORDS - 1)) == 0)
	{
		int32		m = i / LINK_MAP_RECORDS;

		if (m == st->maxmap)
		{
			st->maxmap = Max(64, 2 * st->maxmap);
			st->rec_map = st->rec_map == NULL ?
				MemoryContextAlloc(st->cxt, sizeof(int32) * st->maxmap) :
				repalloc(st->rec_map, sizeof(int32) * st->maxmap);
		}
		st->rec_map[m] = st->nrecchunks - 1;
	}
	ch->last_use = ++st->clock;
	ch->dirty = true;
	offset = ch->used;
	ch->end = i + 1;
	((uint32 *) (ch->base + ch->size))[-(i - ch->first) - 1] = offset;
	ch->used += size;
	return (LinkRecord *) (ch->base + offset);
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
	int			c = link_rec_chunk(lm->store, i);
	char	   *base = chunk_in_memory(lm, c, false);

	return (LinkRecord *) (base + LINK_REC_OFFSET(&lm->store->chunks[c], i));
}

/* record i, to be changed: its chunk is written again if dropped */
LinkRecord *
link_rec_mut(LinkModel *lm, int32 i)
{
	LinkRecord *r = link_rec(lm, i);

	lm->store->chunks[link_rec_chunk(lm->store, i)].dirty = true;
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

/*
 * The file closed (nothing else is freed: the memory goes with its context);
 * the run's figures kept for brent_mdm.linkage_last_run.
 */
void
link_store_close(LinkModel *lm)
{
	LinkStore  *st = lm->store;

	if (st == NULL)
		return;
	store_sample(st);
	last_run.records = lm->nrecords;
	last_run.pairs = lm->npairs;
	last_run.budget = st->budget + st->reserved;
	last_run.spilled = st->writes > 0;
	last_run.writes = st->writes;
	last_run.reads = st->reads;
	last_run.peak_resident = st->peak_resident;
	last_run.peak_beside = st->peak_beside;
	memcpy(last_run.phase_beside, st->phase_beside, sizeof(last_run.phase_beside));
	have_last_run = true;
	if (st->file >= 0)
	{
		FileClose(st->file);
		st->file = -1;
	}
}

PG_FUNCTION_INFO_V1(link_last_run);

/*
 * linkage_last_run(): the figures of this session's last linkage run (none
 * before the first): records, candidate pairs, brent_mdm.linkage_work_mem,
 * whether it spilled, the chunks written and read back, and the peaks of the
 * memory its store held and of what the backend held beside it, in kB, in
 * all and in each step (reading, blocking, training, clustering).
 */
Datum
link_last_run(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Datum		values[8 + LINK_PHASES];
	bool		nulls[8 + LINK_PHASES] = {false};

	InitMaterializedSRF(fcinfo, 0);
	if (!have_last_run)
		return (Datum) 0;
	values[0] = Int64GetDatum(last_run.records);
	values[1] = Int64GetDatum(last_run.pairs);
	values[2] = Int64GetDatum((int64) (last_run.budget / 1024));
	values[3] = BoolGetDatum(last_run.spilled);
	values[4] = Int64GetDatum(last_run.writes);
	values[5] = Int64GetDatum(last_run.reads);
	values[6] = Int64GetDatum((int64) (last_run.peak_resident / 1024));
	values[7] = Int64GetDatum((int64) (last_run.peak_beside / 1024));
	for (int p = 0; p < LINK_PHASES; p++)
		values[8 + p] = Int64GetDatum((int64) (last_run.phase_beside[p] / 1024));
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	return (Datum) 0;
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
	int32	   *by_other;
	uint32	   *other;			/* each pair's later record chunk (its place in rec_chunks) */
	uint32	   *first;			/* and its earlier one */
	int64	   *start;
	uint32		window,
				nwindows,
				nrec;

	if (st == NULL || st->file < 0 || n == 0)
		return NULL;
	if (n > PG_INT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("linkage compares at most %d pairs of records", PG_INT32_MAX)));
	/*
	 * By counting, in two stable passes (by the later chunk, then by the
	 * window of the earlier one): the order of (window, later chunk, pair),
	 * with counts of the record chunks and of the windows only.
	 */
	nrec = (uint32) st->nrecchunks;
	window = Max(link_store_window(lm) / 2, 1);
	nwindows = nrec / window + 1;
	other = palloc_extended(sizeof(uint32) * n, MCXT_ALLOC_HUGE);
	first = palloc_extended(sizeof(uint32) * n, MCXT_ALLOC_HUGE);
	start = palloc0(sizeof(int64) * ((Size) Max(nrec, nwindows) + 1));
	for (int64 k = 0; k < n; k++)
	{
		uint32		ca = (uint32) link_rec_chunk_pos(st, pairs[k].a),
					cb = (uint32) link_rec_chunk_pos(st, pairs[k].b);

		other[k] = Max(ca, cb);
		first[k] = Min(ca, cb) / window;
		start[other[k] + 1]++;
	}
	for (uint32 x = 0; x < nrec; x++)
		start[x + 1] += start[x];
	by_other = palloc_extended(sizeof(int32) * n, MCXT_ALLOC_HUGE);
	for (int64 k = 0; k < n; k++)
		by_other[start[other[k]]++] = (int32) k;
	memset(start, 0, sizeof(int64) * ((Size) nwindows + 1));
	for (int64 k = 0; k < n; k++)
		start[first[k] + 1]++;
	for (uint32 x = 0; x < nwindows; x++)
		start[x + 1] += start[x];
	order = palloc_extended(sizeof(int32) * n, MCXT_ALLOC_HUGE);
	for (int64 x = 0; x < n; x++)
		order[start[first[by_other[x]]]++] = by_other[x];
	pfree(other);
	pfree(first);
	pfree(by_other);
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

/*
 * An array of n elements of size bytes, all zero (a chunk at a time: made
 * into the store, spilled as need be, like any other).
 */
void
link_array_make(LinkModel *lm, LinkArray *arr, Size size, int64 n)
{
	int64		per;

	link_array_init(arr, size);
	per = (int64) 1 << arr->shift;
	while (arr->n < n)
	{
		int64		k = arr->n;
		int64		take = Min(per - (k & (per - 1)), n - k);

		CHECK_FOR_INTERRUPTS();
		memset(link_array_push(lm, arr), 0, (Size) take * arr->size);
		arr->n = k + take;
	}
}

/*
 * arr sorted into a new array (sorted: made here; arr freed): in runs and
 * merged (link_merge_begin), every element written in order.
 */
void
link_array_sort(LinkModel *lm, LinkArray *arr, LinkElemCmp cmp, LinkArray *sorted)
{
	LinkMerge	order;
	char	   *elem = palloc(arr->size);

	link_array_init(sorted, arr->size);
	link_merge_begin(lm, arr, cmp, &order);
	while (link_merge_take(lm, &order, elem))
	{
		if ((sorted->n & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		memcpy(link_array_push(lm, sorted), elem, arr->size);
	}
	pfree(elem);
	link_array_free(lm, arr);
}

/*
 * The first element of sorted (by cmp) not less than key: arr->n if none.
 * The chunk is found first (by its first element), then the element in it.
 */
int64
link_array_lower_bound(const LinkModel *lm, const LinkArray *arr, const void *key, LinkElemCmp cmp)
{
	int64		per = (int64) 1 << arr->shift;
	int			lo = 0,
				hi = arr->nchunks;
	const char *base;
	int64		first,
				n,
				l,
				h;

	/* the last chunk whose first element is less than key */
	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (cmp(link_array_get(lm, arr, (int64) mid * per, false), key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return 0;
	first = (int64) (lo - 1) * per;
	n = Min(per, arr->n - first);
	base = link_array_get(lm, arr, first, false);
	l = 0;
	h = n;
	while (l < h)
	{
		int64		mid = l + (h - l) / 2;

		if (cmp(base + (Size) mid * arr->size, key) < 0)
			l = mid + 1;
		else
			h = mid;
	}
	return first + l;
}

void *
link_array_slow(const LinkModel *lm, const LinkArray *arr, int64 k, bool mut)
{
	return chunk_in_memory(lm, arr->chunk[k >> arr->shift], mut) +
		(Size) (k & (((int64) 1 << arr->shift) - 1)) * arr->size;
}

/*
 * The array's chunks dropped (their memory freed; their places, and their
 * places in the file, taken by the next chunks made).
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
		/* its place (and its file_offset's) taken by the next chunk made */
		if (st->nfree == st->maxfree)
		{
			st->maxfree = Max(64, 2 * st->maxfree);
			st->free_slots = st->free_slots == NULL ?
				MemoryContextAlloc(st->cxt, sizeof(int32) * st->maxfree) :
				repalloc(st->free_slots, sizeof(int32) * st->maxfree);
		}
		st->free_slots[st->nfree++] = arr->chunk[x];
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
	st->reserved += take;
	make_room(st, 0, -1);
#ifdef __GLIBC__
	/*
	 * The chunks just dropped were freed into the C library's heap, which
	 * keeps them: given back to the system, or the step's own memory would
	 * come on top of them.
	 */
	if (take > 0)
		malloc_trim(0);
#endif
	return take;
}

/* What link_store_reserve could take now (the store keeps LINK_MIN_CHUNKS chunks). */
Size
link_store_reservable(const LinkModel *lm)
{
	Size		floor = (Size) LINK_MIN_CHUNKS * LINK_CHUNK;

	return lm->store->budget > floor ? lm->store->budget - floor : 0;
}

void
link_store_release(LinkModel *lm, Size taken)
{
	lm->store->budget += taken;
	lm->store->reserved -= taken;
}

/* Every record read: the lists of record chunks cut to their size (they grew by doubling). */
void
link_store_trim(LinkModel *lm)
{
	LinkStore  *st = lm->store;

	if (st->rec_chunks != NULL && st->nrecchunks < st->maxrecchunks)
	{
		st->rec_chunks = repalloc(st->rec_chunks, sizeof(int32) * Max(st->nrecchunks, 1));
		st->maxrecchunks = Max(st->nrecchunks, 1);
	}
	store_sample(st);
#ifdef __GLIBC__
	/* what reading freed (the batches of rows, chunks dropped) given back to the system */
	if (st->file >= 0)
		malloc_trim(0);
#endif
}

/*
 * An array of the store sorted (cmp) in runs, then merged: each chunk of the
 * array sorted where it is; while the runs are more than a quarter of the
 * chunks brent_mdm.linkage_work_mem holds, groups of that many merged into
 * the runs of another array (written in order: spilled as need be), pass
 * after pass; link_merge_take gives the elements in order, from the last
 * runs' heads.  For the raw pairs (RawPair, raw_pair_cmp), each rule's keys
 * (BlockEntry, entry_cmp), clustering's edges (cluster.c) and every other
 * array a run sorts (link_array_sort).
 */
#define MERGE_HEAD(rm, r) ((rm)->head + (Size) (r) * (rm)->size)

static void
heap_down(LinkMerge *rm, int i)
{
	for (;;)
	{
		int			l = 2 * i + 1,
					least = i;

		if (l >= rm->nheap)
			return;
		if (rm->cmp(MERGE_HEAD(rm, rm->heap[l]), MERGE_HEAD(rm, rm->heap[least])) < 0)
			least = l;
		if (l + 1 < rm->nheap &&
			rm->cmp(MERGE_HEAD(rm, rm->heap[l + 1]), MERGE_HEAD(rm, rm->heap[least])) < 0)
			least = l + 1;
		if (least == i)
			return;
		{
			int			t = rm->heap[i];

			rm->heap[i] = rm->heap[least];
			rm->heap[least] = t;
		}
		i = least;
	}
}

/* the merge of runs [start[r], start[r + 1]) of arr */
static void
merge_start(const LinkModel *lm, LinkMerge *rm, const LinkArray *arr, LinkElemCmp cmp,
			const int64 *start, int nruns)
{
	rm->from = arr;
	rm->cmp = cmp;
	rm->size = arr->size;
	rm->nruns = nruns;
	rm->pos = palloc(sizeof(int64) * Max(nruns, 1));
	rm->end = palloc(sizeof(int64) * Max(nruns, 1));
	rm->heap = palloc(sizeof(int) * Max(nruns, 1));
	rm->head = palloc(rm->size * Max(nruns, 1));
	rm->nheap = 0;
	for (int r = 0; r < nruns; r++)
	{
		rm->pos[r] = start[r];
		rm->end[r] = start[r + 1];
		if (rm->pos[r] < rm->end[r])
		{
			memcpy(MERGE_HEAD(rm, r), link_array_get(lm, arr, rm->pos[r], false), rm->size);
			rm->heap[rm->nheap++] = r;
		}
	}
	for (int i = rm->nheap / 2 - 1; i >= 0; i--)
		heap_down(rm, i);
}

static bool
merge_next(const LinkModel *lm, LinkMerge *rm, void *out)
{
	int			r;

	if (rm->nheap == 0)
		return false;
	r = rm->heap[0];
	memcpy(out, MERGE_HEAD(rm, r), rm->size);
	if (++rm->pos[r] >= rm->end[r])
		rm->heap[0] = rm->heap[--rm->nheap];
	else
		memcpy(MERGE_HEAD(rm, r), link_array_get(lm, rm->from, rm->pos[r], false), rm->size);
	heap_down(rm, 0);
	return true;
}

static void
merge_end(LinkMerge *rm)
{
	pfree(rm->pos);
	pfree(rm->end);
	pfree(rm->heap);
	pfree(rm->head);
}

/* each chunk of arr sorted where it is (by sort, or else qsort with cmp) */
static void
sort_chunks(LinkModel *lm, LinkArray *arr, LinkElemCmp cmp, LinkChunkSort sort)
{
	int64		per = (int64) 1 << arr->shift;

	for (int c = 0; c < arr->nchunks; c++)
	{
		int64		first = (int64) c * per,
					n = Min(per, arr->n - first);

		CHECK_FOR_INTERRUPTS();
		if (n > 1 && sort != NULL)
			sort(link_array_get(lm, arr, first, true), n, arr->size);
		else if (n > 1)
			qsort(link_array_get(lm, arr, first, true), n, arr->size, cmp);
	}
}

/* arr sorted (sort_chunks, then merged in one or two steps): merge_take gives it in order */
void
link_merge_begin(LinkModel *lm, LinkArray *arr, LinkElemCmp cmp, LinkMerge *rm)
{
	link_merge_begin_sorted(lm, arr, cmp, NULL, rm);
}

/*
 * The same, each chunk sorted by sort: qsort's order by cmp, from a sort
 * made for the element type with cmp inlined (sort_template.h, as qsort is
 * made), for the arrays of a million elements and more.
 */
void
link_merge_begin_sorted(LinkModel *lm, LinkArray *arr, LinkElemCmp cmp, LinkChunkSort sort,
						LinkMerge *rm)
{
	int64		per = (int64) 1 << arr->shift;
	int			group = Max(link_store_window(lm) / 4, 2);
	int			nruns = arr->nchunks;
	int64	   *start = palloc(sizeof(int64) * (nruns + 1));
	const LinkArray *from = arr;
	LinkArray	cur;			/* the runs of the last pass, when there was one */
	char	   *elem = palloc(arr->size);

	sort_chunks(lm, arr, cmp, sort);
	memset(&rm->runs, 0, sizeof(LinkArray));
	memset(&cur, 0, sizeof(LinkArray));
	for (int c = 0; c <= nruns; c++)
		start[c] = Min((int64) c * per, arr->n);
	/* while there are more runs than can be merged at once: groups of them merged into runs */
	while (nruns > group)
	{
		int			nnew = (nruns + group - 1) / group;
		int64	   *newstart = palloc(sizeof(int64) * (nnew + 1));
		LinkArray	next;

		link_array_init(&next, arr->size);
		for (int g = 0; g < nnew; g++)
		{
			LinkMerge	part;
			int			first = g * group,
						count = Min(group, nruns - first);

			newstart[g] = next.n;
			merge_start(lm, &part, from, cmp, start + first, count);
			while (merge_next(lm, &part, elem))
			{
				if ((next.n & 0xFFFF) == 0)
					CHECK_FOR_INTERRUPTS();
				memcpy(link_array_push(lm, &next), elem, arr->size);
			}
			merge_end(&part);
		}
		newstart[nnew] = next.n;
		if (from == &cur)
			link_array_free(lm, &cur);
		cur = next;
		from = &cur;
		pfree(start);
		start = newstart;
		nruns = nnew;
	}
	/* the last runs merged as they are taken */
	if (from == &cur)
	{
		rm->runs = cur;
		from = &rm->runs;
	}
	merge_start(lm, rm, from, cmp, start, nruns);
	pfree(start);
	pfree(elem);
}

/* the next element in order into out; false at the end (the merge then freed) */
bool
link_merge_take(LinkModel *lm, LinkMerge *rm, void *out)
{
	if (merge_next(lm, rm, out))
		return true;
	merge_end(rm);
	if (rm->runs.nchunks > 0)
		link_array_free(lm, &rm->runs);
	return false;
}
