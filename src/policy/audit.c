/*
 * audit.c
 *		Audit of every statement on a protected table, kept outside the
 *		user's transaction; executor checks; module initialisation.
 *
 * With shared_preload_libraries = 'brent_mdm', each database that audits
 * gets a slot in shared memory holding a ring of audit records, appended to
 * under one LWLock and stored in brent_mdm.audit_log by a dynamic background
 * worker per database (started on demand, leaving after a second of
 * idleness), in its own transactions; nobody else may write that table.
 *
 * The guarantee: a row delivered to a client under a purpose always has its
 * audit record, whatever ends the statement or the transaction.  So the
 * record of a statement on a protected table is appended at ExecutorStart,
 * before any row can be produced, carrying everything but how it ended
 * (table, role, DPIA, query id, statement hash); if the queue stays full the
 * statement waits, interruptibly, then fails: no record, no rows.  The same
 * append reserves room for the end, so ending never waits and never fails.
 * The end (rows, persons, error) is written into the same record while the
 * worker has not taken it yet (the common case: one append per statement);
 * for a statement still running when the worker takes its record (the worker
 * takes a record left open for AUDIT_OPEN_DEFER_MS, or at once when someone
 * flushes or the ring is half full), the record is stored with rows NULL and
 * detail "end not recorded", and the end follows as a small record that the
 * worker applies to that row.  Every way a statement ends writes its end:
 * ExecutorEnd; an error in ExecutorRun (PG_CATCH); a transaction or
 * subtransaction that aborts with the statement still open (a cursor: its
 * executor never reaches ExecutorEnd); a backend that exits (FATAL,
 * pg_terminate_backend, disconnect: before_shmem_exit).  At shutdown the
 * worker keeps storing until no statement is open and the ring is empty.
 * A crash (kill -9, segfault: the postmaster resets shared memory) loses
 * what the ring held and what the worker stored less than a WAL flush ago;
 * audit_flush() waits until the records are stored and flushed.
 *
 * Executor checks (also here, as they share the hooks):
 *   - EXPLAIN ANALYZE (or any row instrumentation) of a statement on a
 *     protected table is refused to non-superusers: its row counts would
 *     reveal what the policy hides;
 *   - a cursor (or any portal) runs only under the purpose it started under:
 *     once that purpose has ended, changed, expired or been revoked, or a
 *     purpose has begun since it started without one, it cannot be fetched
 *     from; this holds too for a query that reads a protected table only
 *     through a function (a set-returning function materialises its rows at
 *     the first fetch: the enclosing query is marked with the purpose);
 *   - begin_purpose() and end_purpose() are refused while a statement on a
 *     protected table runs (dpia.c asks policy_audit_reading()).
 *
 * Without the preload the hooks are not installed, there is no shared
 * memory, and begin_purpose() refuses: no purpose, no rows.
 */
#include "postgres.h"

#include "access/parallel.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/namespace.h"
#include "catalog/pg_authid.h"
#include "common/hashfn.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "parser/parsetree.h"
#include "catalog/pg_class.h"
#include "utils/syscache.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "tcop/utility.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/queryjumble.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "policy.h"

#define AUDIT_DB_SLOTS		8
#define AUDIT_RING			4096
#define AUDIT_BATCH			4096
#define AUDIT_IDLE_TICKS	10		/* of 100 ms before an idle worker leaves */
#define AUDIT_GATHER_MS		20		/* between batches, unless urgent */
#define AUDIT_OPEN_DEFER_MS 50		/* a statement's record is stored open after */
#define AUDIT_WAIT_MS		10000	/* for room in a full queue, then fail */
#define AUDIT_SHUTDOWN_MS	10000	/* for open statements at shutdown */
#define AUDIT_TABLE_LEN		(2 * NAMEDATALEN + 8)

typedef enum
{
	REC_EVENT,					/* a purpose begun, ended, refused... */
	REC_STATEMENT,				/* a statement on one protected table */
	REC_END						/* the end of a statement stored open */
} RecordKind;

typedef struct AuditRecord
{
	TimestampTz at;
	int32		pid;
	Oid			role;
	Oid			session_role;
	uint64		rows;
	int64		query_id;
	int64		statement_hash;
	uint8		kind;			/* RecordKind */
	bool		open;			/* a statement not ended yet */
	char		action[16];
	char		dpia[POLICY_DPIA_LEN];
	char		table_name[AUDIT_TABLE_LEN];
	char		detail[96];
	bool		has_clients;	/* a table with a client-id column, or a subject access */
	int32		nclient_ids;	/* ids listed below (0 when more than fit) */
	int64		clients;		/* distinct persons read or written */
	int64		client_ids[POLICY_AUDIT_CLIENTS];
} AuditRecord;

typedef enum
{
	WORKER_NONE,
	WORKER_STARTING,
	WORKER_RUNNING
} WorkerState;

/*
 * Positions are counted from the start of the server and never reset (a
 * slot given to another database goes on from where it was), so a backend
 * can tell by its record's position whether the worker has taken it.
 */
typedef struct AuditDb
{
	Oid			dbid;			/* InvalidOid: free */
	WorkerState state;
	Latch	   *latch;			/* the worker's, when running */
	bool		flush_wanted;	/* someone waits in audit_flush() */
	uint64		head;			/* records appended */
	uint64		taken;			/* records copied by the worker */
	uint64		tail;			/* records stored by the worker */
	uint64		reserved;		/* room promised to the ends of open statements */
	XLogRecPtr	stored_lsn;		/* commit of the last batch stored */
	AuditRecord ring[AUDIT_RING];
} AuditDb;

typedef struct AuditShared
{
	LWLock	   *lock;
	AuditDb		db[AUDIT_DB_SLOTS];
} AuditShared;

bool		policy_preloaded = false;
static AuditShared *audit = NULL;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;
static ExecutorStart_hook_type prev_ExecutorStart = NULL;
static ExecutorRun_hook_type prev_ExecutorRun = NULL;
static ExecutorFinish_hook_type prev_ExecutorFinish = NULL;
static ExecutorEnd_hook_type prev_ExecutorEnd = NULL;
static ProcessUtility_hook_type prev_ProcessUtility = NULL;

PGDLLEXPORT void policy_audit_worker_main(Datum arg);

/* ---- shared memory ---- */

static Size
audit_shmem_size(void)
{
	return MAXALIGN(sizeof(AuditShared));
}

static void
audit_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(audit_shmem_size());
	RequestNamedLWLockTranche("brent_mdm audit", 1);
}

static void
audit_shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	audit = ShmemInitStruct("brent_mdm audit", audit_shmem_size(), &found);
	if (!found)
	{
		memset(audit, 0, audit_shmem_size());
		audit->lock = &(GetNamedLWLockTranche("brent_mdm audit"))->lock;
	}
	LWLockRelease(AddinShmemInitLock);
}

/* ---- appending ---- */

static bool
audit_launch_worker(int slot, Oid dbid)
{
	BackgroundWorker w;
	BackgroundWorkerHandle *handle;

	memset(&w, 0, sizeof(w));
	w.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	w.bgw_start_time = BgWorkerStart_RecoveryFinished;
	/*
	 * A worker that fails to store a batch (an error: exit status 1) is
	 * started again a second later and takes the batch again from the ring
	 * (nothing is dropped); one that leaves idle (status 0) is not.
	 */
	w.bgw_restart_time = 1;
	strlcpy(w.bgw_library_name, "brent_mdm", BGW_MAXLEN);
	strlcpy(w.bgw_function_name, "policy_audit_worker_main", BGW_MAXLEN);
	snprintf(w.bgw_name, BGW_MAXLEN, "brent_mdm audit worker %u", dbid);
	strlcpy(w.bgw_type, "brent_mdm audit worker", BGW_MAXLEN);
	w.bgw_main_arg = Int32GetDatum(slot);
	memcpy(w.bgw_extra, &dbid, sizeof(Oid));
	w.bgw_notify_pid = 0;
	return RegisterDynamicBackgroundWorker(&w, &handle);
}

/* The slot of this database, claimed if need be (lock held); -1 if none free. */
static int
audit_slot(Oid dbid, bool claim)
{
	int			free_slot = -1;

	for (int i = 0; i < AUDIT_DB_SLOTS; i++)
	{
		if (audit->db[i].dbid == dbid)
			return i;
		if (free_slot < 0 && audit->db[i].dbid == InvalidOid)
			free_slot = i;
	}
	if (claim && free_slot >= 0)
	{
		AuditDb    *s = &audit->db[free_slot];

		s->dbid = dbid;
		s->state = WORKER_NONE;
		s->latch = NULL;
		s->flush_wanted = false;
		s->taken = s->tail = s->head;
		s->reserved = 0;
	}
	return claim ? free_slot : -1;
}

/*
 * After an append (lock held): whether to launch the worker (marked
 * starting) or wake it (returned latch, set after the lock is released).
 */
static bool
audit_need_worker(AuditDb *s, bool wake, Latch **latch)
{
	if (s->state == WORKER_NONE)
	{
		s->state = WORKER_STARTING;
		return true;
	}
	if (s->state == WORKER_RUNNING && (wake || s->head - s->tail == AUDIT_RING / 2))
		*latch = s->latch;		/* else the worker comes by itself */
	return false;
}

static void
audit_start_worker(int slot, bool launch, Latch *latch)
{
	if (launch && !audit_launch_worker(slot, MyDatabaseId))
	{
		LWLockAcquire(audit->lock, LW_EXCLUSIVE);
		if (audit->db[slot].state == WORKER_STARTING)
			audit->db[slot].state = WORKER_NONE;
		LWLockRelease(audit->lock);
	}
	if (latch)
		SetLatch(latch);
}

struct TrackedQuery;
static void statement_record(const struct TrackedQuery *t, int i, AuditRecord *r);

/*
 * Appends n records to this database's ring and reserves room for
 * `reserve` more (the ends of statements), waiting for room with interrupts
 * honoured (statement_timeout, cancel, terminate); fails the statement if
 * the queue stays full for AUDIT_WAIT_MS.  The records are recs, or (recs
 * NULL) the start records of statement t, made in the ring itself.  Returns
 * the position of the first record; *slot_out is the ring's slot.
 */
static uint64
audit_append_wait(const AuditRecord *recs, const struct TrackedQuery *t, int n, int reserve,
				  int *slot_out)
{
	TimestampTz deadline = 0;

	if ((uint64) n + reserve > AUDIT_RING)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a statement on %d protected tables cannot be audited", n),
				 errdetail("The audit queue holds %d records.", AUDIT_RING)));
	for (;;)
	{
		int			slot;
		bool		launch = false;
		bool		appended = false;
		uint64		first = 0;
		Latch	   *latch = NULL;

		LWLockAcquire(audit->lock, LW_EXCLUSIVE);
		slot = audit_slot(MyDatabaseId, true);
		if (slot >= 0)
		{
			AuditDb    *s = &audit->db[slot];

			if (s->head - s->tail + s->reserved + n + reserve <= AUDIT_RING)
			{
				first = s->head;
				for (int i = 0; i < n; i++)
				{
					if (recs)
						s->ring[(s->head + i) % AUDIT_RING] = recs[i];
					else
						statement_record(t, i, &s->ring[(s->head + i) % AUDIT_RING]);
				}
				s->head += n;
				s->reserved += reserve;
				appended = true;
			}
			launch = audit_need_worker(s, !appended, &latch);
		}
		LWLockRelease(audit->lock);
		if (slot >= 0)
			audit_start_worker(slot, launch, latch);
		if (appended)
		{
			*slot_out = slot;
			return first;
		}
		if (deadline == 0)
			deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), AUDIT_WAIT_MS);
		else if (GetCurrentTimestamp() >= deadline)
			ereport(ERROR,
					(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
					 errmsg("the brent_mdm audit queue is full"),
					 errdetail("The audit worker of this database is not keeping up or cannot start (or more than %d databases audit at once); nothing is read or done without its audit record.",
							   AUDIT_DB_SLOTS),
					 errhint("Check max_worker_processes and the server log.")));
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 1L,
						 PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
}

/*
 * Last resort for an end whose reserved room is gone (never expected): waits
 * a bounded time, without raising or allocating.
 */
static void
audit_append_bounded(const AuditRecord *rec)
{
	for (int attempt = 0; attempt < 10000; attempt++)
	{
		int			slot;
		bool		launch = false;
		bool		appended = false;
		Latch	   *latch = NULL;

		LWLockAcquire(audit->lock, LW_EXCLUSIVE);
		slot = audit_slot(MyDatabaseId, true);
		if (slot >= 0)
		{
			AuditDb    *s = &audit->db[slot];

			if (s->head - s->tail + s->reserved < AUDIT_RING)
			{
				s->ring[s->head % AUDIT_RING] = *rec;
				s->head++;
				appended = true;
			}
			launch = audit_need_worker(s, true, &latch);
		}
		LWLockRelease(audit->lock);
		if (slot >= 0)
			audit_start_worker(slot, launch, latch);
		if (appended)
			return;
		pg_usleep(1000L);
	}
	elog(LOG, "brent_mdm audit: the end of a statement on %s could not be queued", rec->table_name);
}

/* Copies a string into a fixed buffer, cut at a character boundary. */
static void
copy_clipped(char *dst, const char *src, int size)
{
	int			len = strlen(src);

	if (len >= size)
		len = pg_mbcliplen(src, len, size - 1);
	memcpy(dst, src, len);
	dst[len] = '\0';
}

static void
audit_fill(AuditRecord *r, const char *action, const char *dpia, const char *detail)
{
	memset(r, 0, sizeof(*r));
	r->at = GetCurrentStatementStartTimestamp();
	r->pid = MyProcPid;
	r->role = GetUserId();
	r->session_role = GetSessionUserId();
	r->kind = REC_EVENT;
	copy_clipped(r->action, action, sizeof(r->action));
	if (dpia)
		copy_clipped(r->dpia, dpia, sizeof(r->dpia));
	if (detail)
		copy_clipped(r->detail, detail, sizeof(r->detail));
}

/* A purpose begun, ended or refused: queued, or the statement fails. */
void
policy_audit_event(const char *action, const char *dpia, const char *detail)
{
	AuditRecord r;
	int			slot;

	if (audit == NULL)
		return;
	audit_fill(&r, action, dpia, detail);
	(void) audit_append_wait(&r, NULL, 1, 0, &slot);
}

/* An event about persons (a subject access report): their ids recorded. */
void
policy_audit_event_clients(const char *action, const char *dpia, const char *detail,
						   const int64 *ids, int nids, int64 count)
{
	AuditRecord r;
	int			slot;

	if (audit == NULL)
		return;
	audit_fill(&r, action, dpia, detail);
	r.has_clients = true;
	r.clients = count;
	r.nclient_ids = Min(nids, POLICY_AUDIT_CLIENTS);
	memcpy(r.client_ids, ids, sizeof(int64) * r.nclient_ids);
	(void) audit_append_wait(&r, NULL, 1, 0, &slot);
}

/* ---- statements on protected tables ---- */

typedef struct TrackedRel
{
	uint64		seq;			/* position of its record in the ring */
	Oid			parent;			/* the protected table (a child's parent) */
	bool		written;		/* result relation of the statement */
	bool		has_client;		/* protected with a client-id column */
	char		name[AUDIT_TABLE_LEN];
} TrackedRel;

/*
 * A statement whose records are open, or (nrels = 0) a query that reads a
 * protected table only through a function: it carries the purpose its rows
 * were read under, so that it cannot be fetched from after that purpose.
 */
typedef struct TrackedQuery
{
	QueryDesc  *qd;
	struct TrackedQuery *next;
	SubTransactionId subxact;	/* where it started (or was handed to by commit) */
	uint64		epoch;			/* of the purpose when the statement started */
	bool		with_purpose;	/* a valid purpose when it started */
	bool		subject_access; /* a query of subject_access_report() */
	bool		purge;			/* a query of purge() */
	bool		running;		/* in ExecutorRun */
	CmdType		op;
	int			slot;			/* ring slot of its records */
	uint64		rows;			/* returned or changed by its finished runs */
	TimestampTz at;
	Oid			role;
	Oid			session_role;
	int64		query_id;
	int64		statement_hash;
	char		dpia[POLICY_DPIA_LEN];
	int			nrels;
	TrackedRel	rels[FLEXIBLE_ARRAY_MEMBER];
} TrackedQuery;

typedef enum
{
	END_NORMAL,					/* ExecutorEnd */
	END_ERROR,					/* an error in ExecutorRun */
	END_ROLLBACK,				/* its (sub)transaction aborted before its end */
	END_EXIT					/* the backend exits */
} EndHow;

static TrackedQuery *tracked = NULL;

/* queries in ExecutorRun, innermost last; how many of them are tracked statements */
static QueryDesc **run_stack = NULL;
static int	run_depth = 0;
static int	run_cap = 0;
static int	tracked_running = 0;

/* executors starting that read a protected table or were folded, and folded ones running */
static int	guarded_running = 0;

/* executors starting or finishing (with run_depth: whether any statement is executing) */
static int	start_depth = 0;
static int	finish_depth = 0;

/*
 * Utility statements in progress, and whether the outermost one plans the
 * client's own query (EXPLAIN, DECLARE, CREATE TABLE AS, COPY (query),
 * EXECUTE) rather than running code that plans others (CALL, DO, DDL).
 */
static int	utility_depth = 0;
static bool utility_plans_query = false;
static bool exit_callback_registered = false;

/*
 * Entries live in TopMemoryContext; one freed entry of up to TRACKED_SPARE_RELS
 * tables is kept for the next statement (most statements read one table).
 */
#define TRACKED_SPARE_RELS 4
static TrackedQuery *tracked_spare = NULL;

static TrackedQuery *
tracked_alloc(int nrels)
{
	TrackedQuery *t;

	if (nrels <= TRACKED_SPARE_RELS && tracked_spare != NULL)
	{
		t = tracked_spare;
		tracked_spare = NULL;
		memset(t, 0, offsetof(TrackedQuery, rels));
		return t;
	}
	return MemoryContextAllocZero(TopMemoryContext,
								  offsetof(TrackedQuery, rels) +
								  sizeof(TrackedRel) * Max(nrels, TRACKED_SPARE_RELS));
}

static void
tracked_free(TrackedQuery *t)
{
	if (tracked_spare == NULL)
		tracked_spare = t;
	else
		pfree(t);
}

static pg_noinline TrackedQuery *
tracked_find(QueryDesc *qd)
{
	for (TrackedQuery *t = tracked; t; t = t->next)
		if (t->qd == qd)
			return t;
	return NULL;
}

static void
tracked_remove(TrackedQuery *q)
{
	for (TrackedQuery **p = &tracked; *p; p = &(*p)->next)
		if (*p == q)
		{
			*p = q->next;
			tracked_free(q);
			return;
		}
}

static const char *
command_name(CmdType op)
{
	switch (op)
	{
		case CMD_INSERT:
			return "insert";
		case CMD_UPDATE:
			return "update";
		case CMD_DELETE:
			return "delete";
		case CMD_MERGE:
			return "merge";
		default:
			return "select";
	}
}

/* The record of table i of a statement as it starts (open). */
static void
statement_record(const TrackedQuery *t, int i, AuditRecord *r)
{
	const TrackedRel *rel = &t->rels[i];

	/* (the client ids are read only up to nclient_ids, 0 here) */
	memset(r, 0, offsetof(AuditRecord, client_ids));
	r->at = t->at;
	r->pid = MyProcPid;
	r->role = t->role;
	r->session_role = t->session_role;
	r->query_id = t->query_id;
	r->statement_hash = t->statement_hash;
	r->kind = REC_STATEMENT;
	r->open = true;
	strlcpy(r->action, t->subject_access ? "subject_access" :
			rel->written ? command_name(t->op) : "select", sizeof(r->action));
	if (t->with_purpose)
		strlcpy(r->dpia, t->dpia, sizeof(r->dpia));
	strlcpy(r->table_name, rel->name, sizeof(r->table_name));
	if (t->purge)
		strlcpy(r->detail, "purge", sizeof(r->detail));
}

/* How a statement's record ends: its end fields, written over its start. */
static void
end_record(const TrackedQuery *t, const TrackedRel *rel, EndHow how, uint64 rows,
		   const int64 *ids, int nids, int64 clients, AuditRecord *r)
{
	const char *cmd = rel->written ? command_name(t->op) : "select";

	r->open = false;
	r->rows = rows;
	switch (how)
	{
		case END_NORMAL:
			break;
		case END_ERROR:
			strlcpy(r->action, "error", sizeof(r->action));
			strlcpy(r->detail, cmd, sizeof(r->detail));
			break;
		case END_ROLLBACK:
			strlcpy(r->detail, t->purge ? "purge; rolled back" : "rolled back", sizeof(r->detail));
			break;
		case END_EXIT:
			if (t->running)
			{
				strlcpy(r->action, "error", sizeof(r->action));
				snprintf(r->detail, sizeof(r->detail), "%s; session ended", cmd);
			}
			else
				strlcpy(r->detail, t->purge ? "purge; session ended" : "session ended", sizeof(r->detail));
			break;
	}
	if (t->subject_access || rel->has_client)
	{
		r->has_clients = true;
		r->nclient_ids = nids;
		r->clients = clients;
		if (nids > 0)
			memcpy(r->client_ids, ids, sizeof(int64) * nids);
	}
}

/*
 * Writes the end of every record of a statement: into the record itself
 * while the worker has not taken it (the common case: a few fields, under
 * the lock), else as an end record in the room reserved for it.  Never
 * waits, raises or allocates: callable from error paths and at backend exit.
 */
static void
tracked_close(TrackedQuery *t, EndHow how, uint64 rows)
{
	for (int i = 0; i < t->nrels; i++)
	{
		TrackedRel *rel = &t->rels[i];
		int64		ids[POLICY_AUDIT_CLIENTS];
		int			nids = 0;
		int64		clients = 0;
		bool		done = false;
		int			slot = t->slot;
		bool		launch = false;
		Latch	   *latch = NULL;

		/* the persons the policy let the statement read or write */
		if (t->subject_access)
		{
			/* the report's own reads: the person's ids */
			nids = policy_subject_access_nids;
			clients = nids;
			memcpy(ids, policy_subject_access_ids, sizeof(int64) * nids);
		}
		else if (rel->has_client)
			(void) policy_subject_take(rel->parent, ids, POLICY_AUDIT_CLIENTS, &nids, &clients);

		LWLockAcquire(audit->lock, LW_EXCLUSIVE);
		if (slot >= 0 && audit->db[slot].dbid == MyDatabaseId)
		{
			AuditDb    *s = &audit->db[slot];

			if (rel->seq >= s->taken && rel->seq < s->head)
			{
				/* still in the ring: the record itself ends */
				end_record(t, rel, how, rows, ids, nids, clients, &s->ring[rel->seq % AUDIT_RING]);
				s->reserved--;
				done = true;
			}
			else if (s->reserved > 0 && s->head - s->tail < AUDIT_RING)
			{
				/* stored open: its end, in the room reserved at its start */
				AuditRecord *r = &s->ring[s->head % AUDIT_RING];

				statement_record(t, i, r);
				end_record(t, rel, how, rows, ids, nids, clients, r);
				r->kind = REC_END;
				s->head++;
				s->reserved--;
				done = true;
				launch = audit_need_worker(s, false, &latch);
			}
		}
		LWLockRelease(audit->lock);
		if (launch || latch)
			audit_start_worker(slot, launch, latch);
		if (!done)
		{
			AuditRecord r;

			statement_record(t, i, &r);
			end_record(t, rel, how, rows, ids, nids, clients, &r);
			r.kind = REC_END;
			audit_append_bounded(&r);
		}
	}
}

static bool
rti_is_result(PlannedStmt *ps, Index rti)
{
	ListCell   *lc;

	foreach(lc, ps->resultRelations)
		if ((Index) lfirst_int(lc) == rti)
			return true;
	return false;
}

static void audit_backend_exit(int code, Datum arg);

/* Queues the records of a statement as it starts (t is freed if that fails). */
static void
tracked_queue(TrackedQuery *t)
{
	PG_TRY();
	{
		uint64		first = audit_append_wait(NULL, t, t->nrels, t->nrels, &t->slot);

		for (int i = 0; i < t->nrels; i++)
			t->rels[i].seq = first + i;
	}
	PG_CATCH();
	{
		tracked_free(t);
		PG_RE_THROW();
	}
	PG_END_TRY();
}

/*
 * Queries the extension makes for itself, neither checked for whose rights
 * they read with nor audited on their own (the statement that caused them
 * is): the fixed queries of its SECURITY DEFINER functions that set
 * brent_mdm.extension_internal (run as a superuser), and PostgreSQL's
 * foreign-key checks.  A check is recognised by all of: the security context
 * only ri_triggers.c sets (SECURITY_NOFORCE_RLS), a SELECT of one relation
 * owned by the current user (a check runs as the table's owner) locked FOR KEY
 * SHARE, the text ri_triggers.c writes ("SELECT 1 FROM ..."), no
 * instrumentation.  The context alone is not enough: it stays set for
 * everything a cascaded action runs, a user's triggers included.
 */
static Oid
relation_owner(Oid relid)
{
	HeapTuple	t = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Oid			owner = InvalidOid;

	if (HeapTupleIsValid(t))
	{
		owner = ((Form_pg_class) GETSTRUCT(t))->relowner;
		ReleaseSysCache(t);
	}
	return owner;
}

static bool
policy_internal_query(QueryDesc *qd)
{
	Oid			user;
	int			sec;

	GetUserIdAndSecContext(&user, &sec);
	if (policy_extension_internal && superuser_arg(user))
		return true;
	if (sec & SECURITY_NOFORCE_RLS)
	{
		PlannedStmt *ps = qd->plannedstmt;
		PlanRowMark *rm;
		RangeTblEntry *only = NULL;
		ListCell   *lc;

		if (qd->operation != CMD_SELECT || qd->instrument_options != 0 ||
			qd->sourceText == NULL || strncmp(qd->sourceText, "SELECT 1 FROM ", 14) != 0 ||
			list_length(ps->rowMarks) != 1)
			return false;
		rm = linitial_node(PlanRowMark, ps->rowMarks);
		if (rm->strength != LCS_FORKEYSHARE)
			return false;
		foreach(lc, ps->rtable)
		{
			RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);

			if (rte->rtekind != RTE_RELATION)
				continue;
			if (only != NULL)
				return false;
			only = rte;
		}
		return only != NULL && rm->rti >= 1 && rm->rti <= (Index) list_length(ps->rtable) &&
			rt_fetch(rm->rti, ps->rtable) == only && relation_owner(only->relid) == user;
	}
	return false;
}

/*
 * The executor's start.  User code can run in it (a STABLE function in
 * initial partition pruning): for a statement reading a protected table, or
 * whose gates were folded for the purpose, no purpose begins or ends
 * meanwhile, as while it runs.
 */
static void
executor_start(QueryDesc *qd, int eflags, bool guarded)
{
	uint64		epoch = policy_purpose.epoch;

	if (!guarded)
	{
		if (prev_ExecutorStart)
			prev_ExecutorStart(qd, eflags);
		else
			standard_ExecutorStart(qd, eflags);
		return;
	}
	guarded_running++;
	PG_TRY();
	{
		if (prev_ExecutorStart)
			prev_ExecutorStart(qd, eflags);
		else
			standard_ExecutorStart(qd, eflags);
	}
	PG_FINALLY();
	{
		guarded_running--;
	}
	PG_END_TRY();
	if (policy_purpose.epoch != epoch)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the purpose changed while the statement started")));
}

static void
policy_ExecutorStart(QueryDesc *qd, int eflags)
{
	TrackedRel	rels_local[TRACKED_SPARE_RELS];
	TrackedRel *rels = rels_local;
	int			nrels = 0;
	bool		subject_access = false;
	bool		purge = false;
	bool		folded;

	/* a plan folded for another purpose than the one valid now (fold.c) */
	folded = policy_fold_check(qd->plannedstmt);

	/*
	 * An entry left at this address by a query whose end was missed is
	 * ended now (a new query must not inherit its purpose).
	 */
	if (tracked)
	{
		TrackedQuery *stale;

		while ((stale = tracked_find(qd)) != NULL)
		{
			tracked_close(stale, END_ROLLBACK, stale->rows);
			tracked_remove(stale);
		}
	}
	if (!IsParallelWorker() && audit != NULL && policy_any_protected() &&
		!policy_internal_query(qd))
	{
		PlannedStmt *ps = qd->plannedstmt;
		ListCell   *lc;
		Index		rti = 0;
		int			cap = TRACKED_SPARE_RELS;

		Oid			session_user = GetSessionUserId();
		bool		session_is_super = superuser_arg(session_user);
		Oid			bypasser = InvalidOid;
		const char *broken = NULL;
		Oid			broken_rel = InvalidOid;

		subject_access = policy_subject_access_running && GetUserId() == BOOTSTRAP_SUPERUSERID;
		purge = policy_purge_running && superuser();
		foreach(lc, ps->rtable)
		{
			RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);
			const char *name;
			Oid			parent = InvalidOid;
			bool		seen = false;

			rti++;
			if (rte->rtekind != RTE_RELATION)
				continue;
			name = policy_protected_name(rte->relid, &parent);
			if (name == NULL)
				continue;
			/*
			 * read with another role's rights (its view, its SECURITY DEFINER
			 * function) but not the table owner's through the masking view;
			 * the subject access report's and purge's own queries are audited
			 * as such
			 */
			if (!session_is_super && !subject_access && !purge && !OidIsValid(bypasser))
				bypasser = policy_foreign_reader(ps, rte, session_user);
			/* a protection taken apart: closed to all but superusers */
			if (!superuser() && !subject_access && !purge && broken == NULL &&
				(broken = policy_protection_broken(rte->relid)) != NULL)
				broken_rel = rte->relid;
			for (int i = 0; i < nrels; i++)
				if (rels[i].parent == parent)
				{
					seen = true;
					rels[i].written |= rti_is_result(ps, rti);
				}
			if (!seen)
			{
				if (nrels == cap)
				{
					TrackedRel *more = palloc(sizeof(TrackedRel) * cap * 2);

					memcpy(more, rels, sizeof(TrackedRel) * nrels);
					rels = more;
					cap *= 2;
				}
				rels[nrels].seq = 0;
				rels[nrels].parent = parent;
				rels[nrels].written = rti_is_result(ps, rti);
				rels[nrels].has_client = policy_protected_has_client(parent);
				copy_clipped(rels[nrels].name, name, sizeof(rels[nrels].name));
				nrels++;
			}
		}
		if (broken != NULL)
		{
			const char *name = policy_protected_name(broken_rel, NULL);

			policy_audit_event("refused", policy_valid_dpia(), "protection incomplete");
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("protected table %s is closed: %s", name ? name : "?", broken),
					 errdetail("Its rows would be readable without a purpose by any role holding a grant on it."),
					 errhint("A superuser runs brent_mdm.protect() on it again (and removes the members of brent_mdm_index_reader).")));
		}
		if (nrels > 0 && OidIsValid(bypasser))
		{
			char	   *who = GetUserNameFromId(bypasser, true);

			policy_audit_event("refused", policy_valid_dpia(), "read with the rights of another role");
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("protected table %s cannot be read with the rights of role \"%s\"",
							rels[0].name, who ? who : "?"),
					 errdetail("Through a view or SECURITY DEFINER function of another role, a protected table would be read without its masking view (or, for a role that bypasses row level security, every row of it)."),
					 errhint("Read the table's masking view; a view for others must be built over the masking view, not over the table.")));
		}
		if (nrels > 0 && !(eflags & EXEC_FLAG_EXPLAIN_ONLY) &&
			(qd->instrument_options & (INSTRUMENT_TIMER | INSTRUMENT_ROWS)) && !superuser())
		{
			policy_audit_event("refused", policy_valid_dpia(), "EXPLAIN ANALYZE");
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("EXPLAIN ANALYZE is not allowed on protected table %s", rels[0].name),
					 errdetail("The row counts of a plan would reveal rows that the DPIA policy hides."),
					 errhint("Use EXPLAIN without ANALYZE.")));
		}
		if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
			nrels = 0;
	}
	/* (raised out of: counted until the transaction ends, which only stops folding) */
	start_depth++;
	executor_start(qd, eflags, nrels > 0 || folded);
	start_depth--;

	/*
	 * The executor is ready (permissions checked) and no row is produced
	 * yet: the statement's records are queued now, or it fails.
	 */
	if (nrels > 0)
	{
		TrackedQuery *t;
		const char *dpia = policy_valid_dpia();

		t = tracked_alloc(nrels);
		t->qd = qd;
		t->epoch = policy_purpose.epoch;
		t->with_purpose = dpia != NULL;
		t->subject_access = subject_access;
		t->purge = purge;
		t->op = qd->operation;
		t->slot = -1;
		t->at = GetCurrentStatementStartTimestamp();
		t->role = GetUserId();
		t->session_role = GetSessionUserId();
		if (dpia)
			strlcpy(t->dpia, dpia, sizeof(t->dpia));
		t->query_id = (int64) qd->plannedstmt->queryId;
		t->statement_hash = qd->sourceText ?
			(int64) hash_bytes_extended((const unsigned char *) qd->sourceText,
										strlen(qd->sourceText), 0) : 0;
		t->nrels = nrels;
		memcpy(t->rels, rels, sizeof(TrackedRel) * nrels);

		if (!exit_callback_registered)
		{
			before_shmem_exit(audit_backend_exit, (Datum) 0);
			exit_callback_registered = true;
		}
		tracked_queue(t);
		t->subxact = GetCurrentSubTransactionId();
		t->next = tracked;
		tracked = t;
	}
}

/*
 * The queries enclosing a statement that reads under a purpose carry that
 * purpose too (a set-returning function's rows are kept by the query that
 * called it, and delivered by its later fetches).
 */
static void
mark_enclosing(const TrackedQuery *inner)
{
	for (int d = 0; d < run_depth; d++)
	{
		QueryDesc  *outer = run_stack[d];
		TrackedQuery *o = tracked_find(outer);

		if (o != NULL)
			continue;			/* tracked itself, or already marked */
		o = tracked_alloc(0);
		o->qd = outer;
		o->subxact = InvalidSubTransactionId;	/* until its end, the address reused, or the transaction's end */
		o->epoch = inner->epoch;
		o->with_purpose = true;
		o->slot = -1;
		strlcpy(o->dpia, inner->dpia, sizeof(o->dpia));
		o->next = tracked;
		tracked = o;
	}
}

static void
policy_ExecutorRun(QueryDesc *qd, ScanDirection direction, uint64 count, bool execute_once)
{
	TrackedQuery *volatile t;
	int			depth = run_depth;
	bool		folded;

	if (audit == NULL || IsParallelWorker() || (tracked == NULL && !policy_any_protected()))
	{
		if (prev_ExecutorRun)
			prev_ExecutorRun(qd, direction, count, execute_once);
		else
			standard_ExecutorRun(qd, direction, count, execute_once);
		return;
	}
	t = tracked ? tracked_find(qd) : NULL;
	if (t)
	{
		/*
		 * A portal runs only under the purpose it started under (a cursor,
		 * a FETCH): ended, changed, expired or revoked since, or a purpose
		 * begun since it started without one, it stops.  Invalidations
		 * committed by others are read first (a FETCH takes no lock that
		 * would read them).
		 */
		bool		changed = policy_purpose.epoch != t->epoch;

		if (!changed && (t->with_purpose || policy_purpose.active))
		{
			AcceptInvalidationMessages();
			changed = policy_purpose_valid() != t->with_purpose;
		}
		if (changed && t->with_purpose)
		{
			policy_audit_event("refused", t->dpia, "portal used after its purpose ended or lapsed");
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("the purpose under which this statement started is no longer valid"),
					 errdetail("DPIA \"%s\" was ended, changed, expired, suspended or revoked since the statement (or cursor) started.",
							   t->dpia),
					 errhint("Close the cursor and run the query again under a valid purpose.")));
		}
		if (changed)
		{
			policy_audit_event("refused", policy_valid_dpia(), "portal started before its purpose");
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("this statement started without the purpose the session now acts under"),
					 errdetail("Its rows would be read under DPIA \"%s\" but audited without it.",
							   policy_purpose.dpia),
					 errhint("Close the cursor and run the query again under the purpose.")));
		}
		if (t->nrels > 0 && t->with_purpose && run_depth > 0)
			mark_enclosing(t);
	}
	/* (a cursor's FETCH: the plan's gates were folded for the purpose valid now) */
	folded = policy_fold_check(qd->plannedstmt);

	if (run_depth == run_cap)
	{
		int			cap = run_cap ? run_cap * 2 : 16;

		run_stack = run_stack ? repalloc(run_stack, sizeof(QueryDesc *) * cap) :
			MemoryContextAlloc(TopMemoryContext, sizeof(QueryDesc *) * cap);
		run_cap = cap;
	}
	run_stack[run_depth++] = qd;
	if (t && t->nrels > 0)
	{
		t->running = true;
		tracked_running++;
	}
	if (folded)
		guarded_running++;
	PG_TRY();
	{
		if (prev_ExecutorRun)
			prev_ExecutorRun(qd, direction, count, execute_once);
		else
			standard_ExecutorRun(qd, direction, count, execute_once);
	}
	PG_CATCH();
	{
		run_depth = depth;
		if (folded)
			guarded_running--;
		if (t && t->nrels > 0)
		{
			tracked_running--;
			t->running = false;
			/* the failed statement is audited too, with what it had processed */
			tracked_close(t, END_ERROR, t->rows + (qd->estate ? qd->estate->es_processed : 0));
		}
		if (t)
			tracked_remove(t);
		PG_RE_THROW();
	}
	PG_END_TRY();
	run_depth = depth;
	if (folded)
		guarded_running--;
	if (t && t->nrels > 0)
	{
		tracked_running--;
		t->running = false;
		t->rows += qd->estate ? qd->estate->es_processed : 0;
	}
}

/*
 * The end of a statement's data-modifying CTEs (ExecPostprocessPlan runs
 * them to completion here, reading what their subplans read): guarded as its
 * run is, after the same check of its folded gates.  Other statements'
 * finish reads nothing of theirs (a cursor's runs when it is closed, perhaps
 * after its purpose ended: no check there).
 */
static void
policy_ExecutorFinish(QueryDesc *qd)
{
	bool		guarded = false;

	if (qd->plannedstmt->hasModifyingCTE && !IsParallelWorker())
	{
		TrackedQuery *t = tracked ? tracked_find(qd) : NULL;

		guarded = policy_fold_check(qd->plannedstmt) || (t != NULL && t->nrels > 0);
	}
	finish_depth++;
	if (!guarded)
	{
		if (prev_ExecutorFinish)
			prev_ExecutorFinish(qd);
		else
			standard_ExecutorFinish(qd);
		finish_depth--;
		return;
	}
	guarded_running++;
	PG_TRY();
	{
		if (prev_ExecutorFinish)
			prev_ExecutorFinish(qd);
		else
			standard_ExecutorFinish(qd);
	}
	PG_FINALLY();
	{
		guarded_running--;
	}
	PG_END_TRY();
	finish_depth--;
}

/*
 * Whether a statement is starting, running or finishing in this backend, or
 * a utility statement runs code (a procedure, a DO block): a statement
 * planned meanwhile is a nested one (a function's), whose gates are not
 * folded (fold.c).
 */
bool
policy_executor_active(void)
{
	return run_depth > 0 || start_depth > 0 || finish_depth > 0 ||
		utility_depth > 1 || (utility_depth == 1 && !utility_plans_query);
}

static void
policy_ExecutorEnd(QueryDesc *qd)
{
	TrackedQuery *t = tracked ? tracked_find(qd) : NULL;

	if (t)
	{
		tracked_close(t, END_NORMAL, t->rows);
		tracked_remove(t);
	}
	if (prev_ExecutorEnd)
		prev_ExecutorEnd(qd);
	else
		standard_ExecutorEnd(qd);
}

/*
 * True while a statement on a protected table starts or runs, or one whose
 * gates were folded for the purpose (begin/end_purpose refuse).
 */
bool
policy_audit_reading(void)
{
	return tracked_running > 0 || guarded_running > 0;
}

/* Ends (and forgets) the tracked queries of a subtransaction, or all. */
static void
tracked_end_all(bool all, SubTransactionId subxact, EndHow how)
{
	for (TrackedQuery *t = tracked, *next; t; t = next)
	{
		next = t->next;
		if (all || (t->nrels > 0 && t->subxact == subxact))
		{
			/* its executor state may be gone: only what the finished runs counted */
			tracked_close(t, how, t->rows);
			tracked_remove(t);
		}
	}
}

static void
policy_xact_callback(XactEvent event, void *arg)
{
	/*
	 * Executors of an aborted transaction never reach ExecutorEnd (a cursor
	 * read, then ROLLBACK): their records end here.  At commit every
	 * executor has ended (portals are closed or persisted first); anything
	 * left would be a missed end, written now.
	 */
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
	{
		tracked_end_all(true, InvalidSubTransactionId, END_ROLLBACK);
		tracked_running = 0;
		guarded_running = 0;
		run_depth = 0;
		start_depth = 0;
		finish_depth = 0;
	}
	else if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_PREPARE)
	{
		tracked_end_all(true, InvalidSubTransactionId, END_NORMAL);
		/* (a procedure's COMMIT: its statement goes on, counted again from here) */
		if (run_depth == 0)
			start_depth = finish_depth = 0;
	}
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_COMMIT)
	{
		policy_subject_reset();
		policy_subject_access_running = false;
		policy_purge_running = false;
	}
}

static void
policy_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
						SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_COMMIT_SUB)
	{
		/* its open cursors now belong to the parent (as its portals do) */
		for (TrackedQuery *t = tracked; t; t = t->next)
			if (t->subxact == mySubid)
				t->subxact = parentSubid;
		return;
	}
	if (event != SUBXACT_EVENT_ABORT_SUB)
		return;
	/* a caught error in the report or a purge: their rights end with them */
	policy_subject_access_running = false;
	policy_purge_running = false;
	tracked_end_all(false, mySubid, END_ROLLBACK);
}

/*
 * The backend exits (FATAL, pg_terminate_backend, disconnect) with
 * statements open: their ends are written before it goes (a FATAL error does
 * not reach PG_CATCH).  Runs before the transaction is aborted
 * (ShutdownPostgres was registered earlier, so runs later), while the
 * executor state of a running statement still exists.
 */
static void
audit_backend_exit(int code, Datum arg)
{
	if (audit == NULL)
		return;
	while (tracked)
	{
		TrackedQuery *t = tracked;
		uint64		rows = t->rows;

		if (t->running && t->qd && t->qd->estate)
			rows += t->qd->estate->es_processed;
		tracked_close(t, END_EXIT, rows);
		tracked = t->next;
	}
	tracked_running = 0;
}

/* A utility statement, counted in utility_depth (policy_executor_active). */
static void
utility_run(PlannedStmt *pstmt, const char *queryString, bool readOnlyTree,
			ProcessUtilityContext context, ParamListInfo params,
			QueryEnvironment *queryEnv, DestReceiver *dest, QueryCompletion *qc)
{
	Node	   *stmt = pstmt->utilityStmt;
	bool		saved = utility_plans_query;

	if (utility_depth == 0)
		utility_plans_query = IsA(stmt, ExplainStmt) || IsA(stmt, DeclareCursorStmt) ||
			IsA(stmt, CreateTableAsStmt) || IsA(stmt, CopyStmt) || IsA(stmt, ExecuteStmt);
	utility_depth++;
	PG_TRY();
	{
		if (prev_ProcessUtility)
			prev_ProcessUtility(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);
		else
			standard_ProcessUtility(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);
	}
	PG_FINALLY();
	{
		utility_depth--;
		utility_plans_query = saved;
	}
	PG_END_TRY();
}

/* DISCARD ALL (a connection pooler handing the session on) ends the purpose. */
static void
policy_ProcessUtility(PlannedStmt *pstmt, const char *queryString, bool readOnlyTree,
					  ProcessUtilityContext context, ParamListInfo params,
					  QueryEnvironment *queryEnv, DestReceiver *dest, QueryCompletion *qc)
{
	/*
	 * First, so that the record names the role that acted under it; but only
	 * where PostgreSQL runs DISCARD ALL (a statement of its own, outside a
	 * transaction block), checked here as it does: from a function, whose
	 * error could be caught, it would end the purpose under a statement
	 * reading with it.
	 */
	if (IsA(pstmt->utilityStmt, DiscardStmt) &&
		(((DiscardStmt *) pstmt->utilityStmt)->target == DISCARD_ALL))
	{
		PreventInTransactionBlock(context == PROCESS_UTILITY_TOPLEVEL, "DISCARD ALL");
		if (policy_audit_reading())
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("DISCARD ALL cannot end a purpose inside a statement that reads a protected table")));
		policy_end_purpose_internal("DISCARD ALL");
	}
	utility_run(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);
}

/* ---- the worker ---- */

static void
audit_worker_exit(int code, Datum arg)
{
	int			slot = DatumGetInt32(arg);

	LWLockAcquire(audit->lock, LW_EXCLUSIVE);
	if (audit->db[slot].latch == MyLatch)
	{
		audit->db[slot].latch = NULL;
		audit->db[slot].state = WORKER_NONE;
	}
	LWLockRelease(audit->lock);
}

/* A statement record first seen open at the head of the queue, and when. */
static uint64 open_seen_seq = 0;
static TimestampTz open_seen_at = 0;

/*
 * Copies up to AUDIT_BATCH records from the ring (lock held).  A record of
 * a statement still running stops the copy, unless it has been waiting
 * AUDIT_OPEN_DEFER_MS, or take_open (a flush, shutdown), or it is the first
 * and the ring is half full: most statements end within that time and are
 * stored once, ended.
 */
static int
audit_take(AuditDb *s, AuditRecord *batch, bool take_open)
{
	int			n = 0;
	bool		half_full = s->head - s->tail >= AUDIT_RING / 2;

	while (n < AUDIT_BATCH && s->taken + n < s->head)
	{
		uint64		seq = s->taken + n;
		AuditRecord *r = &s->ring[seq % AUDIT_RING];

		if (r->kind == REC_STATEMENT && r->open && !take_open && !(n == 0 && half_full))
		{
			TimestampTz now = GetCurrentTimestamp();

			if (open_seen_seq != seq)
			{
				open_seen_seq = seq;
				open_seen_at = now;
			}
			if (!TimestampDifferenceExceeds(open_seen_at, now, AUDIT_OPEN_DEFER_MS))
				break;
		}
		batch[n++] = *r;
	}
	s->taken += n;
	return n;
}

/* The end of a statement stored open: applied to its row (or stored as a row). */
static bool
audit_store_end(const AuditRecord *r, Datum ids)
{
	static const char *sql =
		"UPDATE brent_mdm.audit_log SET action = $6, rows = $7, detail = $8, clients = $9, "
		"       client_ids = $10::bigint[] "
		" WHERE ctid = (SELECT ctid FROM brent_mdm.audit_log "
		"                  WHERE pid = $1 AND logged_at = $2 AND table_name = $3 "
		"                    AND table_name IS NOT NULL AND rows IS NULL "
		"                    AND query_id = $4 AND statement_hash = $5 LIMIT 1)";
	Oid			types[10] = {INT4OID, TIMESTAMPTZOID, TEXTOID, INT8OID, INT8OID, TEXTOID,
	INT8OID, TEXTOID, INT8OID, TEXTOID};
	Datum		args[10];
	char		nulls[10];

	memset(nulls, ' ', sizeof(nulls));
	args[0] = Int32GetDatum(r->pid);
	args[1] = TimestampTzGetDatum(r->at);
	args[2] = CStringGetTextDatum(r->table_name);
	args[3] = Int64GetDatum(r->query_id);
	args[4] = Int64GetDatum(r->statement_hash);
	args[5] = CStringGetTextDatum(r->action);
	args[6] = Int64GetDatum((int64) r->rows);
	args[7] = CStringGetTextDatum(r->detail);
	if (r->detail[0] == '\0')
		nulls[7] = 'n';
	args[8] = Int64GetDatum(r->clients);
	if (!r->has_clients)
		nulls[8] = 'n';
	args[9] = ids;
	if (ids == (Datum) 0)
		nulls[9] = 'n';
	if (SPI_execute_with_args(sql, 10, types, args, nulls, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "brent_mdm audit: could not store the end of a statement");
	return SPI_processed > 0;
}

/* client_ids as an array literal (cast in the SQL), or 0 for NULL */
static Datum
audit_ids_text(const AuditRecord *r)
{
	StringInfoData ids;

	if (!r->has_clients || r->open || (r->nclient_ids == 0 && r->clients > 0))
		return (Datum) 0;
	initStringInfo(&ids);
	appendStringInfoChar(&ids, '{');
	for (int k = 0; k < r->nclient_ids; k++)
		appendStringInfo(&ids, "%s" INT64_FORMAT, k ? "," : "", r->client_ids[k]);
	appendStringInfoChar(&ids, '}');
	return CStringGetTextDatum(ids.data);
}

/* Stores records as rows of audit_log, in one INSERT (the columns as arrays). */
static void
audit_insert_rows(AuditRecord **recs, int n)
{
#define NCOLS 13
	static const Oid elemtypes[NCOLS] = {TIMESTAMPTZOID, NAMEOID, NAMEOID, TEXTOID, TEXTOID,
	TEXTOID, INT8OID, INT8OID, INT8OID, INT4OID, TEXTOID, INT8OID, TEXTOID};
	static const char *const arraytypes[NCOLS] = {"timestamptz[]", "name[]", "name[]",
		"text[]", "text[]", "text[]", "int8[]", "int8[]", "int8[]", "int4[]", "text[]",
	"int8[]", "text[]"};
	ArrayBuildState *acc[NCOLS];
	Datum		args[NCOLS];
	Oid			argtypes[NCOLS];
	StringInfoData sql;

	if (n == 0)
		return;
	for (int c = 0; c < NCOLS; c++)
		acc[c] = initArrayResult(elemtypes[c], CurrentMemoryContext, false);
	for (int i = 0; i < n; i++)
	{
		AuditRecord *r = recs[i];
		char	   *role = GetUserNameFromId(r->role, true);
		char	   *srole = GetUserNameFromId(r->session_role, true);
		NameData   *rn = palloc0(sizeof(NameData));
		NameData   *sn = palloc0(sizeof(NameData));
		bool		has_table = r->table_name[0] != '\0';
		Datum		ids = audit_ids_text(r);
		char		detail[sizeof(r->detail) + 32];

		namestrcpy(rn, role ? role : "");
		namestrcpy(sn, srole ? srole : "");
		if (r->open)
			snprintf(detail, sizeof(detail), "%s%send not recorded", r->detail,
					 r->detail[0] ? "; " : "");
		else
			strlcpy(detail, r->detail, sizeof(detail));
		accumArrayResult(acc[0], TimestampTzGetDatum(r->at), false, TIMESTAMPTZOID, CurrentMemoryContext);
		accumArrayResult(acc[1], NameGetDatum(rn), role == NULL, NAMEOID, CurrentMemoryContext);
		accumArrayResult(acc[2], NameGetDatum(sn), srole == NULL, NAMEOID, CurrentMemoryContext);
		accumArrayResult(acc[3], CStringGetTextDatum(r->dpia), r->dpia[0] == '\0', TEXTOID, CurrentMemoryContext);
		accumArrayResult(acc[4], CStringGetTextDatum(r->action), false, TEXTOID, CurrentMemoryContext);
		accumArrayResult(acc[5], CStringGetTextDatum(r->table_name), !has_table, TEXTOID, CurrentMemoryContext);
		/* rows NULL: the statement had not ended when its record was stored */
		accumArrayResult(acc[6], Int64GetDatum((int64) r->rows), !has_table || r->open, INT8OID, CurrentMemoryContext);
		accumArrayResult(acc[7], Int64GetDatum(r->query_id), !has_table, INT8OID, CurrentMemoryContext);
		accumArrayResult(acc[8], Int64GetDatum(r->statement_hash), !has_table, INT8OID, CurrentMemoryContext);
		accumArrayResult(acc[9], Int32GetDatum(r->pid), false, INT4OID, CurrentMemoryContext);
		accumArrayResult(acc[10], CStringGetTextDatum(detail), detail[0] == '\0', TEXTOID, CurrentMemoryContext);
		accumArrayResult(acc[11], Int64GetDatum(r->clients), !r->has_clients || r->open, INT8OID, CurrentMemoryContext);
		accumArrayResult(acc[12], ids, ids == (Datum) 0, TEXTOID, CurrentMemoryContext);
	}
	initStringInfo(&sql);
	appendStringInfoString(&sql,
						   "INSERT INTO brent_mdm.audit_log (logged_at, role_name, session_role, "
						   "dpia_id, action, table_name, rows, query_id, statement_hash, pid, detail, "
						   "clients, client_ids) "
						   "SELECT c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13::bigint[] FROM unnest(");
	for (int c = 0; c < NCOLS; c++)
	{
		args[c] = makeArrayResult(acc[c], CurrentMemoryContext);
		argtypes[c] = get_array_type(elemtypes[c]);
		appendStringInfo(&sql, "%s$%d::%s", c ? ", " : "", c + 1, arraytypes[c]);
	}
	appendStringInfoString(&sql, ") AS u(c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13)");
	if (SPI_execute_with_args(sql.data, NCOLS, argtypes, args, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "brent_mdm audit: could not store %d audit records", n);
}

/* Stores up to AUDIT_BATCH records in one transaction; returns how many. */
static int
audit_store_batch(int slot, bool take_open)
{
	AuditDb    *s = &audit->db[slot];
	static AuditRecord batch[AUDIT_BATCH];
	static AuditRecord *rows[AUDIT_BATCH];
	int			n;
	uint64		taken;
	Oid			logrel;

	LWLockAcquire(audit->lock, LW_EXCLUSIVE);
	taken = s->taken;
	n = audit_take(s, batch, take_open);
	LWLockRelease(audit->lock);
	if (n == 0)
		return 0;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, "storing audit records");
	logrel = policy_registry_relid("audit_log");
	if (!OidIsValid(logrel))
		ereport(LOG,
				(errmsg("brent_mdm audit: %d audit records of database %u discarded", n, MyDatabaseId),
				 errdetail("The extension brent_mdm is not installed in the database.")));
	else
	{
		int			nrows = 0;
		int			nends = 0;

		SPI_connect();
		/* new rows first: the open rows that ends in this batch apply to */
		for (int i = 0; i < n; i++)
			if (batch[i].kind != REC_END)
				rows[nrows++] = &batch[i];
		audit_insert_rows(rows, nrows);
		/* then the ends of statements stored open (a row of their own if that is gone) */
		for (int i = 0; i < n; i++)
			if (batch[i].kind == REC_END && !audit_store_end(&batch[i], audit_ids_text(&batch[i])))
				rows[nends++] = &batch[i];
		audit_insert_rows(rows, nends);
		SPI_finish();
	}
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_activity(STATE_IDLE, NULL);

	LWLockAcquire(audit->lock, LW_EXCLUSIVE);
	s->tail = taken + n;
	s->stored_lsn = XactLastCommitEnd;
	LWLockRelease(audit->lock);
	return n;
}

void
policy_audit_worker_main(Datum arg)
{
	int			slot = DatumGetInt32(arg);
	Oid			dbid;
	int			idle = 0;
	TimestampTz shutdown_at = 0;

	memcpy(&dbid, MyBgworkerEntry->bgw_extra, sizeof(Oid));
	/*
	 * SIGTERM (shutdown, or pg_terminate_backend) does not interrupt a
	 * batch: the worker stores what is queued and what backends still
	 * being terminated write, then leaves.
	 */
	pqsignal(SIGTERM, SignalHandlerForShutdownRequest);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnectionByOid(dbid, InvalidOid, 0);
	/*
	 * The records were safe from the user's ROLLBACK the moment they reached
	 * shared memory; a crash loses what is not stored yet either way, so the
	 * worker does not wait for each commit's WAL flush (audit_flush() does).
	 */
	SetConfigOption("synchronous_commit", "off", PGC_SUSET, PGC_S_OVERRIDE);

	LWLockAcquire(audit->lock, LW_EXCLUSIVE);
	if (audit->db[slot].dbid != dbid || audit->db[slot].state == WORKER_RUNNING)
	{
		LWLockRelease(audit->lock);
		proc_exit(0);
	}
	audit->db[slot].state = WORKER_RUNNING;
	audit->db[slot].latch = MyLatch;
	/* what an earlier worker copied but did not store is copied again */
	audit->db[slot].taken = audit->db[slot].tail;
	LWLockRelease(audit->lock);
	before_shmem_exit(audit_worker_exit, Int32GetDatum(slot));

	for (;;)
	{
		int			rc;
		bool		urgent;
		bool		take_open;
		bool		leave = false;

		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
		if (ShutdownRequestPending && shutdown_at == 0)
			shutdown_at = GetCurrentTimestamp();
		LWLockAcquire(audit->lock, LW_SHARED);
		take_open = audit->db[slot].flush_wanted || shutdown_at != 0;
		urgent = take_open || audit->db[slot].head - audit->db[slot].tail >= AUDIT_RING / 2;
		LWLockRelease(audit->lock);
		if (audit_store_batch(slot, take_open) > 0)
		{
			idle = 0;
			/*
			 * Records are stored in batches: unless the ring is half full or
			 * someone waits in audit_flush(), let them gather for a while
			 * (one transaction per batch, not per record).
			 */
			if (!urgent)
				(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
								 AUDIT_GATHER_MS, PG_WAIT_EXTENSION);
			continue;
		}
		LWLockAcquire(audit->lock, LW_EXCLUSIVE);
		audit->db[slot].flush_wanted = false;
		if (shutdown_at != 0)
		{
			/*
			 * Shutting down: backends being terminated write the ends of
			 * their open statements; leave when none is open and all is
			 * stored (or after AUDIT_SHUTDOWN_MS).
			 */
			if (audit->db[slot].head == audit->db[slot].tail &&
				(audit->db[slot].reserved == 0 ||
				 TimestampDifferenceExceeds(shutdown_at, GetCurrentTimestamp(), AUDIT_SHUTDOWN_MS)))
				leave = true;
		}
		else if (idle >= AUDIT_IDLE_TICKS)
		{
			/* leave (freeing the slot) only with nothing stored or open */
			if (audit->db[slot].head == audit->db[slot].tail && audit->db[slot].reserved == 0)
			{
				audit->db[slot].dbid = InvalidOid;
				leave = true;
			}
			idle = 0;
		}
		if (leave)
		{
			audit->db[slot].state = WORKER_NONE;
			audit->db[slot].latch = NULL;
		}
		LWLockRelease(audit->lock);
		if (leave)
			proc_exit(0);
		rc = WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
					   shutdown_at != 0 ? 10L : AUDIT_OPEN_DEFER_MS, PG_WAIT_EXTENSION);
		if (rc & WL_TIMEOUT)
			idle++;
	}
}

/*
 * Waits until every record appended so far in this database is stored and
 * its WAL flushed (it then survives a crash).
 */
PG_FUNCTION_INFO_V1(policy_audit_flush);
Datum
policy_audit_flush(PG_FUNCTION_ARGS)
{
	int32		timeout_ms = PG_GETARG_INT32(0);
	uint64		target = 0;
	int			slot;
	TimestampTz start = GetCurrentTimestamp();
	Latch	   *latch = NULL;

	if (audit == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the brent_mdm audit is not running"),
				 errhint("Add brent_mdm to shared_preload_libraries and restart the server.")));
	LWLockAcquire(audit->lock, LW_EXCLUSIVE);
	slot = audit_slot(MyDatabaseId, false);
	if (slot >= 0)
	{
		target = audit->db[slot].head;
		audit->db[slot].flush_wanted = true;
		latch = audit->db[slot].latch;
	}
	LWLockRelease(audit->lock);
	if (slot < 0)
		PG_RETURN_BOOL(true);
	if (latch)
		SetLatch(latch);
	for (int round = 0;; round++)
	{
		bool		done;
		XLogRecPtr	lsn;

		/* no worker to store what is queued (it failed, or left): one is started */
		if (round % 200 == 0)
		{
			bool		launch = false;

			latch = NULL;
			LWLockAcquire(audit->lock, LW_EXCLUSIVE);
			if (audit->db[slot].dbid == MyDatabaseId && audit->db[slot].tail < target)
				launch = audit_need_worker(&audit->db[slot], false, &latch);
			LWLockRelease(audit->lock);
			if (launch)
				audit_start_worker(slot, launch, NULL);
		}
		LWLockAcquire(audit->lock, LW_SHARED);
		done = audit->db[slot].dbid != MyDatabaseId || audit->db[slot].tail >= target;
		lsn = audit->db[slot].stored_lsn;
		LWLockRelease(audit->lock);
		if (done)
		{
			if (!XLogRecPtrIsInvalid(lsn) && !RecoveryInProgress())
				XLogFlush(lsn);
			PG_RETURN_BOOL(true);
		}
		if (TimestampDifferenceExceeds(start, GetCurrentTimestamp(), timeout_ms))
			PG_RETURN_BOOL(false);
		CHECK_FOR_INTERRUPTS();
		pg_usleep(500L);
	}
}

/* ---- module initialisation (from _PG_init) ---- */

void
policy_init(void)
{
	if (!process_shared_preload_libraries_in_progress)
		return;					/* loaded late: no hooks, purposes refused */
	policy_preloaded = true;
	EnableQueryId();
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = audit_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = audit_shmem_startup;
	prev_ExecutorStart = ExecutorStart_hook;
	ExecutorStart_hook = policy_ExecutorStart;
	prev_ExecutorRun = ExecutorRun_hook;
	ExecutorRun_hook = policy_ExecutorRun;
	prev_ExecutorFinish = ExecutorFinish_hook;
	ExecutorFinish_hook = policy_ExecutorFinish;
	prev_ExecutorEnd = ExecutorEnd_hook;
	ExecutorEnd_hook = policy_ExecutorEnd;
	prev_ProcessUtility = ProcessUtility_hook;
	ProcessUtility_hook = policy_ProcessUtility;
	policy_fold_init();
	RegisterXactCallback(policy_xact_callback, NULL);
	RegisterSubXactCallback(policy_subxact_callback, NULL);
}
