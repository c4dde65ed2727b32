/*
 * link.h
 *		Probabilistic record linkage (Fellegi-Sunter), shared definitions.
 *
 * A linkage run holds its records (read 10,000 at a time: link.c), and then
 * its candidate pairs, in its store (store.c: chunks in memory, spilled to a
 * temporary file past brent_mdm.linkage_work_mem), the values of the compared
 * columns each record holds,
 * prepared for comparison (normalised names, parsed dates and postcodes);
 * brent_mdm.linkage_memory bounds what a run may take (link_memory_check).
 * Candidate pairs come from blocking rules; each pair gets a comparison
 * vector (a level per column); m and u probabilities per level give match
 * weights.
 */
#ifndef BRENT_LINK_H
#define BRENT_LINK_H

#include "postgres.h"

#include "funcapi.h"
#include "port/pg_bitutils.h"
#include "utils/date.h"
#include "utils/jsonb.h"

#include "storage/fd.h"

#include "match/ukid.h"

#define LINK_MAX_COLUMNS 32
#define LINK_MAX_LEVELS 6		/* level 0 is "a value is missing" */

typedef enum LinkKind
{
	LK_GIVEN_NAME,
	LK_SURNAME,
	LK_FULL_NAME,
	LK_DATE,
	LK_POSTCODE,
	LK_TEXT,
	LK_EXACT,
	LK_IDENTIFIER,
	LK_NUMBER,
	LK_MOVED_IN,				/* the day the record's address began */
	LK_MOVED_OUT,				/* the day it ended: compared with LK_MOVED_IN */
	LK_MIN_AGE					/* the youngest age the record's system holds: not
								 * compared, a guard of clustering */
} LinkKind;

typedef struct LinkColumn
{
	char	   *name;			/* column of the source table */
	LinkKind	kind;
	int			nlevels;		/* including level 0 */
	bool		tf;				/* exact level adjusted by term frequency */
	bool		uk_postcodes;	/* postcode column where most values are UK */
	double		m[LINK_MAX_LEVELS];
	double		u[LINK_MAX_LEVELS];
	int			npresent;		/* records with a value */
	int64		nunreadable;	/* values given but not readable as the kind (dates) */
	int64		ndigits;		/* of them, dates of birth kept as their digits */
	char	   *from[3];		/* a date assembled from these columns (year, month,
								 * day), or from[0] NULL: the column name */
	/*
	 * Guards of training (link_detect_dependence, link_estimate_m): a column
	 * whose value is near a function of another's (a town of its postcode)
	 * agrees whenever that one agrees at implied_through or better, and its
	 * agreement is then not counted again (link_compare: level 0).
	 */
	int			implied_by;		/* that column, or -1 */
	int			implied_through;	/* its worst level that implies this one */
	double		dependence;		/* share of pairs of different people agreeing on
								 * implied_by that agree here too */
	int			sessions;		/* training sessions its m is the mean of */
	int			pooled_sessions;	/* of them, where m was held non-increasing */
	int			m_from;			/* LINK_M_FROM_*: what m was learned from */
} LinkColumn;

/* what a column's m was learned from (link_model_column.m_from) */
#define LINK_M_FROM_START 0		/* nothing: the starting values */
#define LINK_M_FROM_SESSIONS 1	/* the rules' sessions that compare it */
#define LINK_M_FROM_ALL_PAIRS 2	/* every rule blocks on it: all the candidate pairs */
#define LINK_M_FROM_LABELS 3	/* the reviewers' labelled matching pairs */

/*
 * A prepared value: 24 bytes (a million records of ten columns hold ten
 * million).  A valid UK postcode is held as its text "OUTWARD INWARD"
 * (link_value_postcode reads it back); a date's day, a minimum age and
 * whether a postcode is valid share a field (a column is one kind).  Its
 * term frequency is held as the number of records with the value (tf_count:
 * link_value_tf divides it by the column's npresent, as it was computed).
 */
typedef struct LinkValue
{
	char	   *s;				/* prepared text, NULL if missing */
	int32		len;
	uint32		hash;			/* of s, for blocking and term frequencies */
	union
	{
		DateADT		date;		/* LK_DATE, LK_MOVED_IN, LK_MOVED_OUT */
		int32		age;		/* LK_MIN_AGE: years */
		bool		pc_valid;	/* LK_POSTCODE: s is a valid UK postcode */
	};
	uint32		tf_count;		/* records of the column holding this value; 0 unknown */
} LinkValue;

/*
 * A date of birth whose parts are numbers that make no date (day 75, month
 * 13, 31 February: a digit mistyped, day and month swapped) is kept as its
 * digits: s is "YYYYMMDD" as written (year 1 to 9999, month and day 1 to
 * 99) and date is LINK_DATE_DIGITS, which no date read takes (an infinite
 * date is unreadable) and no other kind's value holds (the union zeroed).
 * Compared digit by digit (link_date_digits_level), blocked on by its year
 * (not alone: F_VALUE), never a clustering conflict nor an age.
 */
#define LINK_DATE_DIGITS DATEVAL_NOEND

/* a date value that is a day of the calendar (not missing, not digits only) */
static inline bool
link_date_known(const LinkValue *v)
{
	return v->s != NULL && v->date != LINK_DATE_DIGITS;
}

/* The postcode of a value whose pc_valid is set (its text, "OUTWARD INWARD", split). */
static inline void
link_value_postcode(const LinkValue *v, Postcode *pc)
{
	int			sp = 0,
				in;

	/* pc_valid: an outward code of 2 to 4 characters, a space, 3 */
	while (sp < v->len && sp < (int) sizeof(pc->outward) - 1 && v->s[sp] != ' ')
		sp++;
	in = Min(Max(v->len - sp - 1, 0), (int) sizeof(pc->inward) - 1);
	memcpy(pc->outward, v->s, sp);
	pc->outward[sp] = '\0';
	memcpy(pc->inward, v->s + sp + 1, in);
	pc->inward[in] = '\0';
	pc->area_len = 0;
	while (pc->area_len < sp && pc->outward[pc->area_len] >= 'A' && pc->outward[pc->area_len] <= 'Z')
		pc->area_len++;
}

/*
 * A record: its values of the columns it holds, in column order (bit c of
 * present: v holds column c's value; the records of a run hold about half
 * their columns).  LINK_V(r, c) is column c's value, missing or not; a
 * missing one is link_missing_value (s NULL), read-only.  A record made on
 * its own (real-time matching, match_explain) holds every column
 * (LINK_ALL_PRESENT), missing values in place.
 */
typedef struct LinkRecord
{
	char	   *id;
	int			side;			/* 0 left (or the only table), 1 right */
	uint32		present;
	LinkValue	v[FLEXIBLE_ARRAY_MEMBER];
} LinkRecord;

#define LINK_ALL_PRESENT PG_UINT32_MAX

extern PGDLLIMPORT const LinkValue link_missing_value;

static inline LinkValue *
link_v(const LinkRecord *r, int c)
{
	uint32		bit = (uint32) 1 << c;

	if (!(r->present & bit))
		return unconstify(LinkValue *, &link_missing_value);
	return unconstify(LinkValue *, &r->v[r->present == LINK_ALL_PRESENT ? c : pg_popcount32(r->present & (bit - 1))]);
}

#define LINK_V(r, c) link_v((r), (c))

typedef struct LinkPair
{
	int32		a;
	int32		b;
	float4		probability;
} LinkPair;

#define LINK_MAX_RULES 32

/* What is known of a candidate pair until it is scored: 9 bytes and a byte a column. */
typedef struct LinkPairInfo
{
	uint32		rules;			/* bit r: rule r generated the pair */
	uint32		neighbour_rules;	/* bit r: rule r made it only by the sorted
									 * neighbourhood of a split block (not for its
									 * training session) */
	uint8		flags;			/* LINK_PAIR_* */
	uint8		levels[FLEXIBLE_ARRAY_MEMBER];	/* a comparison level a column */
} LinkPairInfo;

typedef struct LinkRuleInfo
{
	int			ncols;
	int			cols[3];		/* columns the rule blocks on */
	int64		npairs;			/* candidate pairs it generated */
	bool		train;			/* m is trained on its pairs */
	char		description[160];
	int64		comparisons;	/* it would make, before de-duplication */
	int			largest_block;
	int64		split_blocks;	/* of more than LINK_MAX_BLOCK distinct records:
								 * compared by sorted neighbourhood (block.c) */
	int64		split_comparisons;	/* of comparisons, those of its split blocks */
	char		split_by[160];	/* how: the columns leading its orders; "" none */
	/* its training session (link_estimate_m) */
	int64		training_pairs;	/* pairs it made that may train */
	double		dominant_share; /* of them, the share holding the commonest value of
								 * one column it blocks on; -1 not measured */
	int			dominant_column;	/* that column */
	int			flat_column;	/* a column its session found no evidence in (m
								 * the same at every level, held non-increasing):
								 * the session is rejected; or -1 */
	bool		trained;		/* its session trained the model */
	int			em_rounds;		/* rounds its session took; -1 did not converge */
} LinkRuleInfo;

#define LINK_MAX_BLOCK 500
/*
 * A block of more than LINK_MAX_BLOCK distinct records is compared by sorted
 * neighbourhood: its groups of identical records sorted in up to
 * LINK_SPLIT_ORDERS orders (each led by another column), each compared with
 * the next link_split_window groups in each order (block.c); the setting
 * brent_mdm.split_window, LINK_SPLIT_WINDOW by default.
 */
#define LINK_SPLIT_WINDOW 10
#define LINK_SPLIT_ORDERS 3
extern int	link_split_window;

/* brent_mdm.linkage_memory's default, in kB: 4 GB (a million records take about 0.45) */
#define LINK_MEMORY_DEFAULT (4 * 1024 * 1024)

/* Runs of this many records or more report their progress as NOTICEs. */
#define LINK_PROGRESS_RECORDS 50000

/*
 * Where a run's records are kept (store.c): chunks of LINK_CHUNK bytes in
 * memory, spilled to a temporary file past brent_mdm.linkage_work_mem;
 * LINK_REC(lm, i) is record i.
 */
#define LINK_CHUNK (64 * 1024)
#define LINK_MIN_CHUNKS 16		/* kept in memory at least (callers' pointers) */
#define LINK_MAP_RECORDS 256	/* records a place in LinkStore.rec_map stands for */
#define LINK_WORK_MEM_DEFAULT (256 * 1024)	/* kB */
extern int	link_work_mem;

typedef struct LinkChunk
{
	char	   *base;			/* in memory, or NULL */
	char	   *file_base;		/* where it was when written to the file */
	off_t		file_offset;	/* -1: never written */
	uint32		size;			/* bytes allocated */
	uint32		used;
	int32		first;			/* its first record; -1: a chunk of an array */
	int32		end;			/* after its last record */
	bool		dirty;			/* changed since written */
	uint64		last_use;
} LinkChunk;

/* the steps of a run, for the peaks of memory it reports (linkage_last_run) */
typedef enum LinkPhase
{
	LINK_PHASE_READING,			/* the records, their term frequencies */
	LINK_PHASE_BLOCKING,		/* the columns' dependence, blocking, comparing the pairs */
	LINK_PHASE_TRAINING,		/* u, m, scoring */
	LINK_PHASE_CLUSTERING,		/* clustering and the results */
	LINK_PHASES
} LinkPhase;

typedef struct LinkStore
{
	MemoryContext cxt;
	LinkChunk  *chunks;
	int			nchunks;
	int			maxchunks;
	int32	   *rec_chunks;		/* the chunks of records, in the order of their records */
	int			nrecchunks;
	int			maxrecchunks;
	int32	   *rec_map;		/* of every LINK_MAP_RECORDS-th record: its chunk's place in rec_chunks */
	int32		maxmap;
	Size		resident;		/* bytes of chunks in memory */
	Size		budget;
	int			nresident;
	int			maxresident;
	int32	   *res;			/* the chunks in memory */
	uint64	   *stamps;			/* scratch: their last uses */
	File		file;			/* -1: none yet */
	off_t		file_end;
	uint64		clock;
	int64		reads;			/* chunks read back */
	int64		writes;			/* chunks written */
	char	   *spare;			/* a chunk's memory, dropped and not yet reused */
	int32	   *free_slots;		/* chunks of freed arrays: their places to reuse */
	int			nfree;
	int			maxfree;
	Size		reserved;		/* taken from the budget by steps (link_store_reserve) */
	Size		peak_resident;	/* most bytes of chunks in memory at once */
	Size		peak_beside;	/* most memory the backend held beside them (link_store_sample) */
	int			phase;			/* LinkPhase: what the run is doing */
	Size		phase_beside[LINK_PHASES];	/* peak_beside in each */
} LinkStore;

/*
 * An array of fixed-size elements kept in the store's chunks (the candidate
 * pairs and what is known of each), spilled with the records: element k is
 * in chunk k >> shift at (k & mask) * size.
 */
typedef struct LinkArray
{
	int32	   *chunk;			/* the store's number of each of its chunks */
	int			nchunks;
	int			maxchunks;
	uint32		size;			/* of an element */
	int			shift;			/* elements a chunk: 1 << shift */
	int64		n;
} LinkArray;

/*
 * An array of the store given in order (store.c: link_merge_begin sorts it in
 * runs, link_merge_take gives the next element, and frees the merge at the end).
 */
typedef int (*LinkElemCmp) (const void *, const void *);

/*
 * n elements of size bytes at base sorted as qsort with the cmp given beside
 * it sorts them (sort_template.h); size is the array's, checked against the
 * type the sort was made for
 */
typedef void (*LinkChunkSort) (void *base, size_t n, size_t size);

typedef struct LinkMerge
{
	LinkArray	runs;			/* the second array; or none (n 0): the chunks are the runs */
	const LinkArray *from;		/* the array the runs are in */
	LinkElemCmp cmp;
	Size		size;			/* of an element */
	int			nruns;
	int64	   *pos;			/* next of each run */
	int64	   *end;
	int		   *heap;			/* runs by their next element, least first */
	char	   *head;			/* each run's next element (read once) */
	int			nheap;
} LinkMerge;

typedef struct LinkStoreStats
{
	int			chunks;			/* of records */
	Size		bytes;			/* of records */
	bool		spilled;
	int64		reads;
	int64		writes;
	off_t		file_bytes;
} LinkStoreStats;

typedef struct LinkModel
{
	int			ncolumns;
	LinkColumn	columns[LINK_MAX_COLUMNS];
	int			nrecords;
	int			nleft;			/* records of the first table (side 0): the first ones */
	LinkStore  *store;
	bool		dedupe;			/* one table: pairs within it; else across */
	double		lambda;			/* prior probability that a random pair matches */
	double		total_pairs;	/* pairs there are to compare, blocked or not */
	int			em_iterations;	/* most rounds any training session took */
	bool		em_converged;	/* every session converged */
	int			nrules;
	LinkRuleInfo rules[LINK_MAX_RULES];
	int64		npairs;
	LinkArray	pairs;			/* LinkPair: npairs of them, in the store */
	LinkArray	info;			/* LinkPairInfo of each, until it is scored (link_run
								 * frees them then) */
} LinkModel;

/*
 * The share of records holding v's value in column c (0 if not known): the
 * count over the column's records with a value.  A frequency kept with a
 * model (link_model_tf, computed so from the model's npresent) is held as
 * its count again (link_tf_count): the same double comes back.
 */
static inline double
link_value_tf(const LinkModel *lm, int c, const LinkValue *v)
{
	return lm->columns[c].npresent > 0 ? (double) v->tf_count / lm->columns[c].npresent : 0;
}

static inline uint32
link_tf_count(const LinkModel *lm, int c, double frequency)
{
	double		n = frequency * lm->columns[c].npresent;

	return n <= 0 ? 0 : n >= (double) PG_UINT32_MAX ? PG_UINT32_MAX : (uint32) (n + 0.5);
}

/* store.c */
extern LinkStore *link_store_create(MemoryContext cxt);
extern LinkRecord *link_store_new_record(LinkModel *lm, Size size, uint32 present);
extern void link_store_load(LinkModel *lm, int c);
extern LinkRecord *link_rec_slow(const LinkModel *lm, int32 i);
extern LinkRecord *link_rec_mut(LinkModel *lm, int32 i);
extern bool link_store_spilled(const LinkModel *lm);
extern int	link_store_window(const LinkModel *lm);
extern void link_store_stats(const LinkModel *lm, LinkStoreStats *stats);
extern void link_store_close(LinkModel *lm);
extern void link_store_sample(const LinkModel *lm);
extern void link_store_phase(LinkModel *lm, LinkPhase phase);
extern int32 *link_rec_order(const LinkModel *lm, const LinkPair *pairs, int64 n);
/* a pair of a window visited in link_rec_order's order: itself and that order's arrays */
#define LINK_WINDOW_PAIR_BYTES (sizeof(LinkPair) + 4 * sizeof(int32))
extern void link_array_init(LinkArray *arr, Size size);
extern void *link_array_push(LinkModel *lm, LinkArray *arr);
extern void *link_array_slow(const LinkModel *lm, const LinkArray *arr, int64 k, bool mut);
extern void link_array_free(LinkModel *lm, LinkArray *arr);
extern Size link_store_reserve(LinkModel *lm, Size bytes);
extern void link_store_trim(LinkModel *lm);
extern void link_store_release(LinkModel *lm, Size taken);
extern Size link_store_reservable(const LinkModel *lm);
extern void link_array_make(LinkModel *lm, LinkArray *arr, Size size, int64 n);
extern void link_merge_begin(LinkModel *lm, LinkArray *arr, LinkElemCmp cmp, LinkMerge *rm);
extern void link_merge_begin_sorted(LinkModel *lm, LinkArray *arr, LinkElemCmp cmp,
									LinkChunkSort sort, LinkMerge *rm);
extern bool link_merge_take(LinkModel *lm, LinkMerge *rm, void *out);
extern void link_array_sort(LinkModel *lm, LinkArray *arr, LinkElemCmp cmp, LinkArray *sorted);
extern int64 link_array_lower_bound(const LinkModel *lm, const LinkArray *arr, const void *key,
									LinkElemCmp cmp);

/* the place in st->rec_chunks of the chunk holding record i */
static inline int
link_rec_chunk_pos(const LinkStore *st, int32 i)
{
	int32		pos = st->rec_map[i / LINK_MAP_RECORDS];

	while (st->chunks[st->rec_chunks[pos]].end <= i)
		pos++;
	return pos;
}

/* the chunk holding record i (whether in memory or not) */
static inline int
link_rec_chunk(const LinkStore *st, int32 i)
{
	return st->rec_chunks[link_rec_chunk_pos(st, i)];
}

/* record i's offset in its chunk ch (in memory): kept at the chunk's end */
#define LINK_REC_OFFSET(ch, i) \
	(((const uint32 *) ((ch)->base + (ch)->size))[-((i) - (ch)->first) - 1])

/* record i of the run (valid while fewer than LINK_MIN_CHUNKS others are used) */
static inline LinkRecord *
link_rec(const LinkModel *lm, int32 i)
{
	LinkStore  *st = lm->store;
	LinkChunk  *ch = &st->chunks[link_rec_chunk(st, i)];

	if (unlikely(ch->base == NULL))
		return link_rec_slow(lm, i);
	ch->last_use = ++st->clock;
	return (LinkRecord *) (ch->base + LINK_REC_OFFSET(ch, i));
}

#define LINK_REC(lm, i) link_rec((lm), (i))

/*
 * Record i will be read soon: where its chunk is in memory, its place found
 * (the store's maps and the offset at the chunk's end are read) and its
 * first 256 bytes asked of memory now; nothing else is done (no chunk read
 * back, none marked used).  Comparing the candidate pairs reads records in
 * no order the cache can guess; asking a few pairs ahead hides the wait.
 */
static inline void
link_rec_prefetch(const LinkModel *lm, int32 i)
{
#if defined(__GNUC__) || defined(__clang__)
	const LinkStore *st = lm->store;
	const LinkChunk *ch = &st->chunks[link_rec_chunk(st, i)];

	if (ch->base != NULL)
	{
		const char *r = ch->base + LINK_REC_OFFSET(ch, i);

		for (int line = 0; line < 4; line++)
			__builtin_prefetch(r + 64 * line);
	}
#endif
}

/*
 * The columns a record holds, for blocking's guests and clustering's guards:
 * its present bits, less a date of birth of digits only (it is no date to
 * tell two people apart, nor to leave a record out of a rule for records
 * without one).
 */
static inline uint32
link_record_holds(const LinkModel *lm, const LinkRecord *r)
{
	uint32		present = r->present;

	for (int c = 0; c < lm->ncolumns; c++)
		if (lm->columns[c].kind == LK_DATE && (present & ((uint32) 1 << c)) &&
			!link_date_known(LINK_V(r, c)))
			present &= ~((uint32) 1 << c);
	return present;
}

/* element k of an array of the run (valid as a record is); mut: to be changed */
static inline void *
link_array_get(const LinkModel *lm, const LinkArray *arr, int64 k, bool mut)
{
	LinkStore  *st = lm->store;
	LinkChunk  *ch = &st->chunks[arr->chunk[k >> arr->shift]];

	if (unlikely(ch->base == NULL))
		return link_array_slow(lm, arr, k, mut);
	ch->last_use = ++st->clock;
	if (mut)
		ch->dirty = true;
	return ch->base + (Size) (k & (((int64) 1 << arr->shift) - 1)) * arr->size;
}
/* which side record i is of: the first table's records come first */
#define LINK_SIDE(lm, i) ((i) >= (lm)->nleft ? 1 : 0)

/* element k of an array of int32 or int64 elements, read or written */
static inline int32
link_array_get32(const LinkModel *lm, const LinkArray *arr, int64 k)
{
	return *(const int32 *) link_array_get(lm, arr, k, false);
}

static inline void
link_array_set32(const LinkModel *lm, const LinkArray *arr, int64 k, int32 v)
{
	*(int32 *) link_array_get(lm, arr, k, true) = v;
}

static inline int64
link_array_get64(const LinkModel *lm, const LinkArray *arr, int64 k)
{
	return *(const int64 *) link_array_get(lm, arr, k, false);
}

static inline void
link_array_set64(const LinkModel *lm, const LinkArray *arr, int64 k, int64 v)
{
	*(int64 *) link_array_get(lm, arr, k, true) = v;
}

/* pair k (LinkPair *), and what is known of it (LinkPairInfo *): valid as a record is */
#define LINK_PAIR(lm, k) ((LinkPair *) link_array_get((lm), &(lm)->pairs, (k), false))
#define LINK_PAIR_MUT(lm, k) ((LinkPair *) link_array_get((lm), &(lm)->pairs, (k), true))
#define PAIR_INFO(lm, k) ((LinkPairInfo *) link_array_get((lm), &(lm)->info, (k), false))
#define PAIR_INFO_MUT(lm, k) ((LinkPairInfo *) link_array_get((lm), &(lm)->info, (k), true))
#define PAIR_LEVELS(lm, k) (PAIR_INFO(lm, k)->levels)
/*
 * A pair of records identical on every compared column, made only by blocks
 * too big to compare pair by pair (the stars of block.c): it says nothing of
 * the population (a record loaded thousands of times would otherwise teach
 * the model that everything agrees, and raise every pair's prior), so it
 * neither trains the model nor counts towards its prior.
 */
#define LINK_PAIR_UNTRAINED 0x01
/* ... and the records hold values in two identifying columns or more: a match outright */
#define LINK_PAIR_IDENTICAL 0x02
/*
 * A pair made only by the sorted neighbourhood of a block too big to compare
 * pair by pair: scored, but it neither trains the model nor counts towards
 * its prior (LINK_PAIR_UNTRAINED is set with it): its pairs are chosen by a
 * sort order inside one value of a blocking key shared by more than
 * LINK_MAX_BLOCK records, a sample that would make every training session
 * of the rule one of pairs holding that value.
 */
#define LINK_PAIR_NEIGHBOUR 0x04
#define PAIR_TRAINS(lm, k) (!(PAIR_INFO(lm, k)->flags & LINK_PAIR_UNTRAINED))

/* pair k trains the session of the rule of this bit: the rule compared it, not as a neighbour */
static inline bool
link_pair_trains_rule(const LinkModel *lm, int64 k, uint32 bit)
{
	const LinkPairInfo *info = PAIR_INFO(lm, k);

	return (info->rules & bit) && !(info->flags & LINK_PAIR_UNTRAINED) &&
		!(info->neighbour_rules & bit);
}

#define PAIR_TRAINS_RULE(lm, k, bit) link_pair_trains_rule((lm), (k), (bit))

/* model.c */
extern void link_prepare_value(LinkModel *lm, int col, const char *raw, LinkValue *v);
extern void link_prepare_date_parts(LinkModel *lm, int col, char *const parts[3], LinkValue *v);
extern void link_term_frequencies(LinkModel *lm);
extern int	link_edits(const LinkValue *a, const LinkValue *b, int max);
extern int	link_slips(const LinkValue *a, const LinkValue *b);
extern void link_compare(LinkModel *lm, const LinkRecord *a, const LinkRecord *b, uint8 *level);
extern void link_estimate_u(LinkModel *lm, int64 max_pairs, uint64 seed);
extern void link_estimate_m(LinkModel *lm);
extern void link_detect_dependence(LinkModel *lm);
extern bool link_kind_is_monotone(LinkKind k);
extern const char *link_rule_note(const LinkModel *lm, int r);
extern void link_score(LinkModel *lm);
extern double link_pair_weight(const LinkModel *lm, int64 k);
extern const char *link_kind_name(LinkKind k);
extern bool link_kind_from_name(const char *name, LinkKind *kind);
extern bool link_kind_has_tf(LinkKind k);
extern int	link_find_kind(const LinkModel *lm, LinkKind k);
extern void link_floor_no_move(const LinkColumn *col, double *m);
extern void link_init(void);
extern bool link_too_young(const LinkModel *lm, const LinkRecord *a, int min_age, DateADT today);
extern bool link_min_ages(LinkModel *lm, LinkArray *ages);
extern int	link_min_age_of(const LinkModel *lm, const LinkArray *ages, int32 i);
extern double link_prior_weight(const LinkModel *lm);
extern double link_probability(double weight);
extern bool link_load_model(const char *name, LinkModel *lm, MemoryContext cxt);

extern int	link_cmp_u32(const void *x, const void *y);

/* a value's hash (in one column) and the records holding it, sorted by hash */
typedef struct LinkHashCount
{
	uint32		hash;
	uint32		count;
} LinkHashCount;

extern int	link_hash_count_cmp(const void *x, const void *y);
extern double link_record_weight(const LinkModel *lm, const LinkRecord *a, const uint8 *level);

/* link.c */
extern void link_memory_check(Size more, const char *step_fmt,...) pg_attribute_printf(2, 3);
extern LinkModel *link_run(Oid *relids, int nrels, const char *id_column, Jsonb *columns,
						   const LinkModel *preset, MemoryContext target);
extern void link_store_model(text *name, LinkModel *lm, const char *columns_json,
							 const char *trained_on, ReturnSetInfo *rsinfo);

/* block.c */
#define LINK_MAX_SOUND 8			/* letters of a Double Metaphone code */
extern bool link_next_word_sound(const char *s, int len, int *pos, int min_length,
								 int max_length, char *code);
extern void link_block(LinkModel *lm, int64 max_pairs, bool estimate_only);

/* explain.c */
extern const char *link_level_name(LinkKind kind, int level);

/* cluster.c: reviewers' decisions on pairs of records (by record number) */
typedef struct LinkDecision
{
	int32		a;
	int32		b;
	bool		must_link;		/* else cannot link */
} LinkDecision;

extern void link_check_relation(Oid relid);
extern int	link_date_digits_level(const LinkValue *a, const LinkValue *b);
extern void link_cluster(LinkModel *lm, double threshold,
						 const LinkDecision *decisions, int ndecisions,
						 const LinkArray *min_age, DateADT today, LinkArray *cluster);
extern int64 link_cluster_of(const LinkModel *lm, const LinkArray *cluster, int32 i);

#endif							/* BRENT_LINK_H */
