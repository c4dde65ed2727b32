/*
 * fold.c
 *		Folding an indicator's deltas by itself: writers count the deltas
 *		they append, and the writer whose statement takes an indicator past
 *		brent_mdm.rollup_fold_threshold starts a background worker that
 *		folds it (brent_mdm.fold_indicator, as the indicator's owner) and
 *		vacuums its delta tables.
 *
 * The counts live in shared memory (a hash table keyed by database and
 * delta table), so this needs the library preloaded
 * (shared_preload_libraries, as the policy module's audit does); loaded
 * late, folds are left to fold_indicator calls, as before.  The counts are
 * a trigger for work, not a measure of it: they start at zero after a
 * restart, count the deltas of transactions that roll back, and are reset
 * when a fold starts.  At most one fold worker runs per indicator; a writer
 * never waits for it: the worker is registered when the writer's transaction
 * commits (its deltas are then visible to the fold), so no worker waits for
 * an open transaction holding a background worker slot (a writer left open
 * past the threshold of many indicators took one slot each, and with them
 * parallel query's); the worker takes the same lock as fold_indicator
 * (EXCLUSIVE on the folded table: readers and writers go on).
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "commands/vacuum.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "pgstat.h"
#include "port/atomics.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "tcop/tcopprot.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "rollup/rollup.h"

/* indicators whose counts shared memory holds (all databases) */
#define FOLD_MAX_INDICATORS 1024

typedef struct FoldKey
{
	Oid			dbid;
	Oid			relid;			/* the indicator's delta table */
} FoldKey;

typedef struct FoldEntry
{
	FoldKey		key;
	pg_atomic_uint64 pending;	/* deltas (groups) appended since the last fold began */
	/* under the lock: */
	bool		requested;		/* a worker is registered or running */
	int			pid;			/* the running worker's, or 0 */
	int64		folds;
	int64		last_folded;
	TimestampTz last_fold;		/* when the last fold ended; 0 = none */
	char		last_error[128];	/* the last failed fold's message, or "" */
} FoldEntry;

typedef struct FoldShared
{
	LWLock	   *lock;
	int			full_warned;
} FoldShared;

static int	fold_threshold = 10000;
static FoldShared *fold = NULL;
static HTAB *fold_hash = NULL;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

PGDLLEXPORT void rollup_fold_worker_main(Datum arg);

static void
fold_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(MAXALIGN(sizeof(FoldShared)) +
						   hash_estimate_size(FOLD_MAX_INDICATORS, sizeof(FoldEntry)));
	RequestNamedLWLockTranche("brent_mdm rollup folds", 1);
}

static void
fold_shmem_startup(void)
{
	bool		found;
	HASHCTL		ctl;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	fold = ShmemInitStruct("brent_mdm rollup folds", sizeof(FoldShared), &found);
	if (!found)
	{
		memset(fold, 0, sizeof(FoldShared));
		fold->lock = &(GetNamedLWLockTranche("brent_mdm rollup folds"))->lock;
	}
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(FoldKey);
	ctl.entrysize = sizeof(FoldEntry);
	fold_hash = ShmemInitHash("brent_mdm rollup fold counts", FOLD_MAX_INDICATORS,
							  FOLD_MAX_INDICATORS, &ctl, HASH_ELEM | HASH_BLOBS);
	LWLockRelease(AddinShmemInitLock);
}

void
rollup_init(void)
{
	DefineCustomIntVariable("brent_mdm.rollup_fold_threshold",
							"Delta rows an indicator may gather before a background worker folds it (0: never by itself).",
							"Needs brent_mdm in shared_preload_libraries; without it, or at 0, deltas wait for brent_mdm.fold_indicator.",
							&fold_threshold, 10000, 0, INT_MAX,
							PGC_SUSET, 0, NULL, NULL, NULL);
	if (!process_shared_preload_libraries_in_progress)
		return;
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = fold_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = fold_shmem_startup;
}

static bool
fold_launch(FoldKey *key)
{
	BackgroundWorker w;
	BackgroundWorkerHandle *handle;

	memset(&w, 0, sizeof(w));
	w.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	w.bgw_start_time = BgWorkerStart_RecoveryFinished;
	w.bgw_restart_time = BGW_NEVER_RESTART;
	strlcpy(w.bgw_library_name, "brent_mdm", BGW_MAXLEN);
	strlcpy(w.bgw_function_name, "rollup_fold_worker_main", BGW_MAXLEN);
	snprintf(w.bgw_name, BGW_MAXLEN, "brent_mdm rollup fold %u/%u", key->dbid, key->relid);
	strlcpy(w.bgw_type, "brent_mdm rollup fold", BGW_MAXLEN);
	/* launched once the writer has committed: its deltas are foldable */
	memcpy(w.bgw_extra, key, sizeof(FoldKey));
	w.bgw_notify_pid = 0;
	return RegisterDynamicBackgroundWorker(&w, &handle);
}

/*
 * Forgets this database's entries whose delta table is gone (dropped
 * indicators); returns how many.  The relations are looked up without the
 * lock held.
 */
static int
fold_purge(void)
{
	HASH_SEQ_STATUS seq;
	FoldEntry  *e;
	FoldKey    *gone = palloc(sizeof(FoldKey) * FOLD_MAX_INDICATORS);
	int			n = 0;
	int			removed = 0;

	LWLockAcquire(fold->lock, LW_SHARED);
	hash_seq_init(&seq, fold_hash);
	while ((e = hash_seq_search(&seq)) != NULL)
		if (e->key.dbid == MyDatabaseId && !e->requested && n < FOLD_MAX_INDICATORS)
			gone[n++] = e->key;
	LWLockRelease(fold->lock);
	for (int i = 0; i < n; i++)
		if (SearchSysCacheExists1(RELOID, ObjectIdGetDatum(gone[i].relid)))
			gone[i].relid = InvalidOid;
	LWLockAcquire(fold->lock, LW_EXCLUSIVE);
	for (int i = 0; i < n; i++)
	{
		if (!OidIsValid(gone[i].relid))
			continue;
		e = hash_search(fold_hash, &gone[i], HASH_FIND, NULL);
		if (e && !e->requested)
		{
			hash_search(fold_hash, &gone[i], HASH_REMOVE, NULL);
			removed++;
		}
	}
	LWLockRelease(fold->lock);
	pfree(gone);
	return removed;
}

/* the entry of key, made if there is room (FOLD_MAX_INDICATORS); lock held exclusive */
static FoldEntry *
fold_enter(FoldKey *key, bool *found)
{
	FoldEntry  *e = hash_search(fold_hash, key, HASH_FIND, NULL);

	*found = e != NULL;
	if (e == NULL && hash_get_num_entries(fold_hash) < FOLD_MAX_INDICATORS)
		e = hash_search(fold_hash, key, HASH_ENTER_NULL, found);
	return e;
}

/* folds this transaction asked for (their entries marked requested), started at its commit */
static List *fold_queued = NIL;
static bool fold_callback_registered = false;

static void
fold_xact_callback(XactEvent event, void *arg)
{
	List	   *queued;
	ListCell   *lc;

	if (fold_queued == NIL || fold_hash == NULL)
		return;
	if (event != XACT_EVENT_COMMIT && event != XACT_EVENT_PARALLEL_COMMIT &&
		event != XACT_EVENT_ABORT && event != XACT_EVENT_PARALLEL_ABORT &&
		event != XACT_EVENT_PREPARE)
		return;
	queued = fold_queued;
	fold_queued = NIL;
	foreach(lc, queued)
	{
		FoldKey    *key = lfirst(lc);
		bool		launched = false;

		if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT)
			launched = fold_launch(key);
		if (!launched)
		{
			/* rolled back, or no worker slot free now: the next statement past the threshold asks again */
			FoldEntry  *e;

			LWLockAcquire(fold->lock, LW_EXCLUSIVE);
			e = hash_search(fold_hash, key, HASH_FIND, NULL);
			if (e && e->pid == 0)
				e->requested = false;
			LWLockRelease(fold->lock);
		}
	}
	list_free_deep(queued);
}

/*
 * A statement appended `written` deltas (groups) to delta table relid: count
 * them, and past the threshold ask for a fold, started when this
 * transaction commits, unless one is under way.
 */
void
rollup_fold_note(Oid relid, int64 written)
{
	FoldKey		key;
	FoldEntry  *e;
	bool		found;
	uint64		pending;
	bool		launch = false;

	if (fold_hash == NULL || written <= 0 || fold_threshold == 0)
		return;
	memset(&key, 0, sizeof(key));
	key.dbid = MyDatabaseId;
	key.relid = relid;
	LWLockAcquire(fold->lock, LW_SHARED);
	e = hash_search(fold_hash, &key, HASH_FIND, NULL);
	if (e)
		pending = pg_atomic_add_fetch_u64(&e->pending, (uint64) written);
	LWLockRelease(fold->lock);
	if (e == NULL)
	{
		LWLockAcquire(fold->lock, LW_EXCLUSIVE);
		e = fold_enter(&key, &found);
		if (e == NULL)
		{
			/* full: make room from dropped indicators, once */
			LWLockRelease(fold->lock);
			(void) fold_purge();
			LWLockAcquire(fold->lock, LW_EXCLUSIVE);
			e = fold_enter(&key, &found);
		}
		if (e == NULL)
		{
			bool		warn = !fold->full_warned;

			fold->full_warned = true;
			LWLockRelease(fold->lock);
			if (warn)
				ereport(WARNING,
						(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
						 errmsg("brent_mdm folds at most %d indicators by itself; this one is left to brent_mdm.fold_indicator",
								FOLD_MAX_INDICATORS),
						 errhint("Call brent_mdm.fold_indicator from a scheduled job for the indicators beyond that.")));
			return;
		}
		if (!found)
		{
			pg_atomic_init_u64(&e->pending, 0);
			e->requested = false;
			e->pid = 0;
			e->folds = 0;
			e->last_folded = 0;
			e->last_fold = 0;
			e->last_error[0] = '\0';
		}
		pending = pg_atomic_add_fetch_u64(&e->pending, (uint64) written);
		LWLockRelease(fold->lock);
	}
	if (pending < (uint64) fold_threshold)
		return;
	LWLockAcquire(fold->lock, LW_EXCLUSIVE);
	if (!e->requested)
	{
		e->requested = true;
		launch = true;
	}
	LWLockRelease(fold->lock);
	if (launch)
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		fold_queued = lappend(fold_queued, memcpy(palloc(sizeof(FoldKey)), &key, sizeof(FoldKey)));
		MemoryContextSwitchTo(old);
		if (!fold_callback_registered)
		{
			RegisterXactCallback(fold_xact_callback, NULL);
			fold_callback_registered = true;
		}
	}
}

/* ---- the worker ---- */

static FoldKey worker_key;

static FoldEntry *
fold_entry(FoldKey *key)
{
	return hash_search(fold_hash, key, HASH_FIND, NULL);
}

static void
fold_worker_exit(int code, Datum arg)
{
	FoldEntry  *e;

	LWLockAcquire(fold->lock, LW_EXCLUSIVE);
	e = fold_entry(&worker_key);
	/* pid 0: this worker left before it began (e.g. it could not connect) and none other runs */
	if (e && (e->pid == MyProcPid || e->pid == 0))
	{
		e->requested = false;
		e->pid = 0;
	}
	LWLockRelease(fold->lock);
}

/* vacuums the indicator's delta tables (their rows were just deleted) */
static void
fold_vacuum(List *rels)
{
	VacuumParams params;
	MemoryContext cxt = AllocSetContextCreate(TopMemoryContext, "brent_mdm rollup fold vacuum",
											  ALLOCSET_DEFAULT_SIZES);

	memset(&params, 0, sizeof(params));
	params.options = VACOPT_VACUUM | VACOPT_SKIP_LOCKED | VACOPT_PROCESS_TOAST;
	params.freeze_min_age = -1;
	params.freeze_table_age = -1;
	params.multixact_freeze_min_age = -1;
	params.multixact_freeze_table_age = -1;
	params.is_wraparound = false;
	params.log_min_duration = -1;
	params.index_cleanup = VACOPTVALUE_UNSPECIFIED;
	params.truncate = VACOPTVALUE_UNSPECIFIED;
	params.nworkers = 0;
	/* vacuum() makes its memory context under PortalContext, as autovacuum sets it */
	PortalContext = cxt;
	StartTransactionCommand();
	vacuum(rels, &params, NULL, true);
	CommitTransactionCommand();
	PortalContext = NULL;
	MemoryContextDelete(cxt);
}

/*
 * Runs brent_mdm.fold_indicator(name) as the indicator's owner, as
 * autovacuum and REFRESH run as the table's; a failure is logged and kept
 * for brent_mdm.indicator_fold_state, and the worker leaves.
 */
static int64
fold_call(const char *name, Oid owner)
{
	Datum		argv[1] = {CStringGetTextDatum(name)};
	Oid			argt[1] = {TEXTOID};
	bool		isnull;
	Oid			save_userid;
	int			save_sec;
	int64		folded = 0;
	MemoryContext xcxt = CurrentMemoryContext;

	GetUserIdAndSecContext(&save_userid, &save_sec);
	PG_TRY();
	{
		SetUserIdAndSecContext(owner, save_sec | SECURITY_LOCAL_USERID_CHANGE |
							   SECURITY_RESTRICTED_OPERATION);
		SPI_connect();
		if (SPI_execute_with_args("SELECT brent_mdm.fold_indicator($1)", 1, argt, argv, NULL,
								  false, 1) != SPI_OK_SELECT || SPI_processed != 1)
			elog(ERROR, "brent_mdm rollup fold: fold_indicator returned no row");
		folded = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1,
											 &isnull));
		SPI_finish();
		SetUserIdAndSecContext(save_userid, save_sec);
	}
	PG_CATCH();
	{
		ErrorData  *ed;
		FoldEntry  *e;

		MemoryContextSwitchTo(xcxt);
		ed = CopyErrorData();
		EmitErrorReport();
		FlushErrorState();
		AbortCurrentTransaction();
		LWLockAcquire(fold->lock, LW_EXCLUSIVE);
		e = fold_entry(&worker_key);
		if (e)
			strlcpy(e->last_error, ed->message ? ed->message : "?", sizeof(e->last_error));
		LWLockRelease(fold->lock);
		proc_exit(1);
	}
	PG_END_TRY();
	return folded;
}

void
rollup_fold_worker_main(Datum arg)
{
	FoldEntry  *e;
	char	   *relname;
	char	   *nspname;
	char	   *name = NULL;
	Oid			owner = InvalidOid;
	Oid			vrelid = InvalidOid;
	int64		folded = 0;
	List	   *vacrels = NIL;
	HeapTuple	tup;

	memcpy(&worker_key, MyBgworkerEntry->bgw_extra, sizeof(FoldKey));
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	/*
	 * Before connecting: a worker that cannot (its database no longer
	 * allows connections, say) must not leave the indicator marked as being
	 * folded, or no worker would be asked for it again until a restart.
	 */
	before_shmem_exit(fold_worker_exit, (Datum) 0);
	BackgroundWorkerInitializeConnectionByOid(worker_key.dbid, InvalidOid, 0);

	LWLockAcquire(fold->lock, LW_EXCLUSIVE);
	e = fold_entry(&worker_key);
	if (e == NULL || e->pid != 0)
	{
		LWLockRelease(fold->lock);
		proc_exit(0);
	}
	e->pid = MyProcPid;
	LWLockRelease(fold->lock);

	SetConfigOption("search_path", "pg_catalog, pg_temp", PGC_SUSET, PGC_S_OVERRIDE);
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();

	/* (fold_indicator sets the count back to 0: what is appended from then on is the next fold's) */
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, "brent_mdm: folding an indicator's deltas");

	/* the indicator: brent_mdm_rollup.<name>_delta, still there */
	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(worker_key.relid));
	if (HeapTupleIsValid(tup))
	{
		Form_pg_class c = (Form_pg_class) GETSTRUCT(tup);
		size_t		len = strlen(NameStr(c->relname));

		relname = MemoryContextStrdup(TopMemoryContext, NameStr(c->relname));
		nspname = get_namespace_name(c->relnamespace);
		owner = c->relowner;
		if (nspname && strcmp(nspname, "brent_mdm_rollup") == 0 && len > 6 &&
			strcmp(relname + len - 6, "_delta") == 0)
			name = pnstrdup(relname, len - 6);
		ReleaseSysCache(tup);
	}
	if (name != NULL)
	{
		MemoryContext old;

		folded = fold_call(name, owner);

		/* the delta tables to vacuum, kept past the commit */
		old = MemoryContextSwitchTo(TopMemoryContext);
		vacrels = list_make1(makeVacuumRelation(makeRangeVar("brent_mdm_rollup", relname, -1),
												worker_key.relid, NIL));
		vrelid = get_relname_relid(psprintf("%s_vdelta", name), get_rel_namespace(worker_key.relid));
		if (OidIsValid(vrelid))
			vacrels = lappend(vacrels, makeVacuumRelation(makeRangeVar("brent_mdm_rollup",
																	   psprintf("%s_vdelta", name), -1),
														  vrelid, NIL));
		MemoryContextSwitchTo(old);
	}
	PopActiveSnapshot();
	CommitTransactionCommand();
	/* the fold's deletions reach the statistics before the vacuum's report */
	pgstat_report_stat(true);
	if (vacrels != NIL)
		fold_vacuum(vacrels);
	pgstat_report_activity(STATE_IDLE, NULL);

	LWLockAcquire(fold->lock, LW_EXCLUSIVE);
	e = fold_entry(&worker_key);
	if (e)
	{
		e->folds++;
		e->last_folded = folded;
		e->last_fold = GetCurrentTimestamp();
		e->last_error[0] = '\0';
	}
	LWLockRelease(fold->lock);
	proc_exit(0);
}

/*
 * brent_mdm.indicator_fold_state() RETURNS TABLE (delta regclass, pending
 * bigint, folding boolean, worker_pid integer, folds bigint, last_folded
 * bigint, last_fold timestamptz, last_error text)
 *
 * This database's entries (empty when the library is not preloaded).
 */
PG_FUNCTION_INFO_V1(rollup_fold_state);
Datum
rollup_fold_state(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	HASH_SEQ_STATUS seq;
	FoldEntry  *e;

	InitMaterializedSRF(fcinfo, 0);
	if (fold_hash == NULL)
		return (Datum) 0;
	LWLockAcquire(fold->lock, LW_SHARED);
	hash_seq_init(&seq, fold_hash);
	while ((e = hash_seq_search(&seq)) != NULL)
	{
		Datum		values[8];
		bool		nulls[8] = {0};

		if (e->key.dbid != MyDatabaseId)
			continue;
		values[0] = ObjectIdGetDatum(e->key.relid);
		values[1] = Int64GetDatum((int64) pg_atomic_read_u64(&e->pending));
		values[2] = BoolGetDatum(e->requested);
		values[3] = Int32GetDatum(e->pid);
		nulls[3] = e->pid == 0;
		values[4] = Int64GetDatum(e->folds);
		values[5] = Int64GetDatum(e->last_folded);
		nulls[5] = e->folds == 0;
		values[6] = TimestampTzGetDatum(e->last_fold);
		nulls[6] = e->last_fold == 0;
		values[7] = CStringGetTextDatum(e->last_error);
		nulls[7] = e->last_error[0] == '\0';
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	LWLockRelease(fold->lock);
	return (Datum) 0;
}

/*
 * brent_mdm.rollup_fold_reset(delta regclass) RETURNS void
 *
 * A fold begins (fold_indicator, by the worker or by hand): the deltas
 * appended from now on count towards the next one.  Internal.
 */
PG_FUNCTION_INFO_V1(rollup_fold_reset);
Datum
rollup_fold_reset(PG_FUNCTION_ARGS)
{
	FoldKey		key;
	FoldEntry  *e;
	Oid			relid = PG_GETARG_OID(0);

	/* another member's count is not this caller's to restart (its folds would wait) */
	if (!pg_class_ownercheck(relid, GetUserId()))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("must be owner of relation %s to restart its fold count", get_rel_name(relid) ? get_rel_name(relid) : "?"),
				 errhint("brent_mdm.fold_indicator restarts it, for the indicator's owner.")));
	if (fold_hash == NULL)
		PG_RETURN_VOID();
	memset(&key, 0, sizeof(key));
	key.dbid = MyDatabaseId;
	key.relid = relid;
	LWLockAcquire(fold->lock, LW_SHARED);
	e = fold_entry(&key);
	if (e)
		pg_atomic_write_u64(&e->pending, 0);
	LWLockRelease(fold->lock);
	PG_RETURN_VOID();
}
