/*
 * audit.c
 *		Audit of every statement on a protected table, kept outside the
 *		user's transaction; executor checks; module initialisation.
 *
 * With shared_preload_libraries = 'brent_mdm', each database that audits
 * gets a slot in shared memory holding a ring of audit records.  Backends
 * append to it from the executor hooks (a statement that ends, or fails, on
 * a protected table; a purpose begun, ended or refused) under one LWLock, so
 * a record is in shared memory before the statement returns, whatever the
 * user's transaction does next (ROLLBACK, ROLLBACK TO SAVEPOINT).  A dynamic
 * background worker per database, started on demand by the first record and
 * leaving after a second of idleness, stores the records in
 * brent_mdm.audit_log in its own transactions; nobody else may write that
 * table.
 *
 * Executor checks (also here, as they share the hooks):
 *   - EXPLAIN ANALYZE (or any row instrumentation) of a statement on a
 *     protected table is refused to non-superusers: its row counts would
 *     reveal what the policy hides;
 *   - a cursor (or any portal) opened under a purpose cannot be fetched from
 *     once the purpose has ended, changed, expired or been revoked.
 *
 * Without the preload the hooks are not installed, there is no shared
 * memory, and begin_purpose() refuses: no purpose, no rows.
 */
#include "postgres.h"

#include "access/parallel.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_authid.h"
#include "common/hashfn.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
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

typedef struct AuditRecord
{
	TimestampTz at;
	int32		pid;
	Oid			role;
	Oid			session_role;
	uint64		rows;
	int64		query_id;
	int64		statement_hash;
	char		action[16];
	char		dpia[POLICY_DPIA_LEN];
	char		table_name[2 * NAMEDATALEN + 8];
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

typedef struct AuditDb
{
	Oid			dbid;			/* InvalidOid: free */
	WorkerState state;
	Latch	   *latch;			/* the worker's, when running */
	bool		flush_wanted;	/* someone waits in audit_flush() */
	uint64		head;			/* records appended */
	uint64		tail;			/* records stored by the worker */
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
	w.bgw_restart_time = BGW_NEVER_RESTART;
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
		s->head = s->tail = 0;
	}
	return claim ? free_slot : -1;
}

/*
 * Appends a record to this database's ring.  Waits (up to about 10 s) for
 * room if the ring is full; returns false if it could not append.  Does not
 * allocate and does not raise unless wait_interruptible: callable from an
 * error path.
 */
static bool
audit_append(const AuditRecord *rec, bool wait_interruptible)
{
	for (int attempt = 0; attempt < 100000; attempt++)
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

			if (s->head - s->tail < AUDIT_RING)
			{
				s->ring[s->head % AUDIT_RING] = *rec;
				s->head++;
				appended = true;
			}
			if (s->state == WORKER_NONE)
			{
				s->state = WORKER_STARTING;
				launch = true;
			}
			else if (s->state == WORKER_RUNNING &&
					 (!appended || s->head - s->tail == AUDIT_RING / 2))
				latch = s->latch;	/* else the worker comes by itself */
		}
		LWLockRelease(audit->lock);

		if (launch && !audit_launch_worker(slot, MyDatabaseId))
		{
			LWLockAcquire(audit->lock, LW_EXCLUSIVE);
			if (audit->db[slot].state == WORKER_STARTING)
				audit->db[slot].state = WORKER_NONE;
			LWLockRelease(audit->lock);
		}
		if (latch)
			SetLatch(latch);
		if (appended)
			return true;
		if (wait_interruptible)
			CHECK_FOR_INTERRUPTS();
		pg_usleep(100L);
	}
	return false;
}

static void
audit_fill(AuditRecord *r, const char *action, const char *dpia, const char *table,
		   uint64 rows, int64 query_id, int64 statement_hash, const char *detail)
{
	memset(r, 0, sizeof(*r));
	r->at = GetCurrentStatementStartTimestamp();
	r->pid = MyProcPid;
	r->role = GetUserId();
	r->session_role = GetSessionUserId();
	r->rows = rows;
	r->query_id = query_id;
	r->statement_hash = statement_hash;
	strlcpy(r->action, action, sizeof(r->action));
	if (dpia)
		strlcpy(r->dpia, dpia, sizeof(r->dpia));
	if (table)
		strlcpy(r->table_name, table, sizeof(r->table_name));
	if (detail)
		strlcpy(r->detail, detail, sizeof(r->detail));
}

/*
 * An event must be audited: it waits for room in the queue, interruptibly,
 * and fails the statement if there is none.
 */
static void
append_event(const AuditRecord *r)
{
	if (!audit_append(r, true))
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("the brent_mdm audit queue is full"),
				 errdetail("The audit worker of this database is not keeping up or cannot start."),
				 errhint("Check max_worker_processes and the server log.")));
}

/* A purpose begun, ended or refused. */
void
policy_audit_event(const char *action, const char *dpia, const char *detail)
{
	AuditRecord r;

	if (audit == NULL)
		return;
	audit_fill(&r, action, dpia, NULL, 0, 0, 0, detail);
	append_event(&r);
}

/* An event about persons (a subject access report): their ids recorded. */
void
policy_audit_event_clients(const char *action, const char *dpia, const char *detail,
						   const int64 *ids, int nids, int64 count)
{
	AuditRecord r;

	if (audit == NULL)
		return;
	audit_fill(&r, action, dpia, NULL, 0, 0, 0, detail);
	r.has_clients = true;
	r.clients = count;
	r.nclient_ids = Min(nids, POLICY_AUDIT_CLIENTS);
	memcpy(r.client_ids, ids, sizeof(int64) * r.nclient_ids);
	append_event(&r);
}

/* ---- statements on protected tables ---- */

#define MAX_AUDITED_RELS 16

typedef struct TrackedQuery
{
	QueryDesc  *qd;
	SubTransactionId subxact;	/* where it started: forgotten if that aborts */
	uint64		epoch;			/* of the purpose when the statement started */
	bool		with_purpose;	/* a valid purpose when it started */
	bool		subject_access; /* a query of subject_access_report() */
	bool		purge;			/* a query of purge() */
	char		dpia[POLICY_DPIA_LEN];
	int64		query_id;
	int64		statement_hash;
	int			nrels;
	const char *names[MAX_AUDITED_RELS];
	Oid			parents[MAX_AUDITED_RELS];	/* the protected table (a child's parent) */
	bool		written[MAX_AUDITED_RELS];	/* result relation of the statement */
	struct TrackedQuery *next;
} TrackedQuery;

static TrackedQuery *tracked = NULL;

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
			pfree(q);
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

static void
audit_statement(TrackedQuery *t, CmdType op, uint64 rows, bool failed)
{
	for (int i = 0; i < t->nrels; i++)
	{
		AuditRecord r;

		audit_fill(&r, failed ? "error" :
				   t->subject_access ? "subject_access" :
				   (t->written[i] ? command_name(op) : "select"),
				   t->with_purpose ? t->dpia : NULL, t->names[i], rows,
				   t->query_id, t->statement_hash,
				   failed ? (t->written[i] ? command_name(op) : "select") :
				   t->purge ? "purge" : NULL);
		/* the persons the policy let the statement read or write */
		if (t->subject_access)
		{
			/* the report's own reads: the person's ids */
			r.has_clients = true;
			r.nclient_ids = policy_subject_access_nids;
			r.clients = policy_subject_access_nids;
			memcpy(r.client_ids, policy_subject_access_ids, sizeof(int64) * r.nclient_ids);
		}
		else if (policy_protected_has_client(t->parents[i]))
		{
			int			n;

			r.has_clients = true;
			(void) policy_subject_take(t->parents[i], r.client_ids, POLICY_AUDIT_CLIENTS,
									   &n, &r.clients);
			r.nclient_ids = n;
		}
		(void) audit_append(&r, false);
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

static void
policy_ExecutorStart(QueryDesc *qd, int eflags)
{
	if (!IsParallelWorker() && audit != NULL && policy_any_protected())
	{
		PlannedStmt *ps = qd->plannedstmt;
		TrackedQuery tq;
		ListCell   *lc;
		Index		rti = 0;

		Oid			session_user = GetSessionUserId();
		bool		session_is_super = superuser_arg(session_user);
		Oid			bypasser = InvalidOid;
		bool		subject_access = policy_subject_access_running &&
			GetUserId() == BOOTSTRAP_SUPERUSERID;
		bool		purge = policy_purge_running && superuser();

		memset(&tq, 0, sizeof(tq));
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
			for (int i = 0; i < tq.nrels; i++)
				if (tq.names[i] == name)
				{
					seen = true;
					tq.written[i] |= rti_is_result(ps, rti);
				}
			if (!seen && tq.nrels < MAX_AUDITED_RELS)
			{
				tq.names[tq.nrels] = name;
				tq.parents[tq.nrels] = parent;
				tq.written[tq.nrels] = rti_is_result(ps, rti);
				tq.nrels++;
			}
		}
		if (tq.nrels > 0 && OidIsValid(bypasser))
		{
			char	   *who = GetUserNameFromId(bypasser, true);

			policy_audit_event("refused", policy_valid_dpia(), "read with the rights of another role");
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("protected table %s cannot be read with the rights of role \"%s\"",
							tq.names[0], who ? who : "?"),
					 errdetail("Through a view or SECURITY DEFINER function of another role, a protected table would be read without its masking view (or, for a role that bypasses row level security, every row of it)."),
					 errhint("Read the table's masking view; a view for others must be built over the masking view, not over the table.")));
		}
		if (tq.nrels > 0)
		{
			if (!(eflags & EXEC_FLAG_EXPLAIN_ONLY) &&
				(qd->instrument_options & (INSTRUMENT_TIMER | INSTRUMENT_ROWS)) && !superuser())
			{
				policy_audit_event("refused", policy_valid_dpia(), "EXPLAIN ANALYZE");
				ereport(ERROR,
						(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
						 errmsg("EXPLAIN ANALYZE is not allowed on protected table %s", tq.names[0]),
						 errdetail("The row counts of a plan would reveal rows that the DPIA policy hides."),
						 errhint("Use EXPLAIN without ANALYZE.")));
			}
			if (!(eflags & EXEC_FLAG_EXPLAIN_ONLY))
			{
				TrackedQuery *t = MemoryContextAlloc(TopMemoryContext, sizeof(TrackedQuery));
				const char *dpia = policy_valid_dpia();

				TrackedQuery *stale;

				/* an entry left by an aborted subtransaction at the same address */
				while ((stale = tracked_find(qd)) != NULL)
					tracked_remove(stale);
				*t = tq;
				t->qd = qd;
				t->subxact = GetCurrentSubTransactionId();
				t->epoch = policy_purpose.epoch;
				t->with_purpose = dpia != NULL;
				t->subject_access = subject_access;
				t->purge = purge;
				if (dpia)
					strlcpy(t->dpia, dpia, sizeof(t->dpia));
				t->query_id = (int64) ps->queryId;
				t->statement_hash = qd->sourceText ?
					(int64) hash_bytes_extended((const unsigned char *) qd->sourceText,
												strlen(qd->sourceText), 0) : 0;
				t->next = tracked;
				tracked = t;
			}
		}
	}
	if (prev_ExecutorStart)
		prev_ExecutorStart(qd, eflags);
	else
		standard_ExecutorStart(qd, eflags);
}

static void
policy_ExecutorRun(QueryDesc *qd, ScanDirection direction, uint64 count, bool execute_once)
{
	TrackedQuery *volatile t = tracked ? tracked_find(qd) : NULL;

	if (t && t->with_purpose)
	{
		/*
		 * A portal started under a purpose (a cursor, a FETCH) runs only as
		 * long as that very purpose is valid: ended, changed, expired or
		 * revoked since, it stops.  Invalidations committed by others are
		 * read first (a FETCH takes no lock that would read them).
		 */
		AcceptInvalidationMessages();
		if (policy_purpose.epoch != t->epoch || !policy_purpose_valid())
		{
			policy_audit_event("refused", t->dpia, "portal used after its purpose ended or lapsed");
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("the purpose under which this statement started is no longer valid"),
					 errdetail("DPIA \"%s\" was ended, changed, expired, suspended or revoked since the statement (or cursor) started.",
							   t->dpia),
					 errhint("Close the cursor and run the query again under a valid purpose.")));
		}
	}
	if (t == NULL)
	{
		if (prev_ExecutorRun)
			prev_ExecutorRun(qd, direction, count, execute_once);
		else
			standard_ExecutorRun(qd, direction, count, execute_once);
		return;
	}
	PG_TRY();
	{
		if (prev_ExecutorRun)
			prev_ExecutorRun(qd, direction, count, execute_once);
		else
			standard_ExecutorRun(qd, direction, count, execute_once);
	}
	PG_CATCH();
	{
		/* the failed statement is audited too, with what it had processed */
		audit_statement(t, qd->operation, qd->estate ? qd->estate->es_processed : 0, true);
		tracked_remove(t);
		PG_RE_THROW();
	}
	PG_END_TRY();
}

static void
policy_ExecutorEnd(QueryDesc *qd)
{
	TrackedQuery *t = tracked ? tracked_find(qd) : NULL;

	if (t)
	{
		audit_statement(t, qd->operation, qd->estate ? qd->estate->es_processed : 0, false);
		tracked_remove(t);
	}
	if (prev_ExecutorEnd)
		prev_ExecutorEnd(qd);
	else
		standard_ExecutorEnd(qd);
}

static void
policy_xact_callback(XactEvent event, void *arg)
{
	/* executors of an aborted transaction never reach ExecutorEnd */
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
		while (tracked)
			tracked_remove(tracked);
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
	if (event != SUBXACT_EVENT_ABORT_SUB)
		return;
	/* a caught error in the report or a purge: their rights end with them */
	policy_subject_access_running = false;
	policy_purge_running = false;
	for (TrackedQuery *t = tracked, *next; t; t = next)
	{
		next = t->next;
		if (t->subxact == mySubid)
			tracked_remove(t);
	}
}

/* DISCARD ALL (a connection pooler handing the session on) ends the purpose. */
static void
policy_ProcessUtility(PlannedStmt *pstmt, const char *queryString, bool readOnlyTree,
					  ProcessUtilityContext context, ParamListInfo params,
					  QueryEnvironment *queryEnv, DestReceiver *dest, QueryCompletion *qc)
{
	/* first, so that the record names the role that acted under it */
	if (IsA(pstmt->utilityStmt, DiscardStmt) &&
		(((DiscardStmt *) pstmt->utilityStmt)->target == DISCARD_ALL))
		policy_end_purpose_internal("DISCARD ALL");
	if (prev_ProcessUtility)
		prev_ProcessUtility(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);
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

/* Stores up to AUDIT_BATCH records in one transaction; returns how many. */
static int
audit_store_batch(int slot)
{
	AuditDb    *s = &audit->db[slot];
	static AuditRecord batch[AUDIT_BATCH];
	int			n = 0;
	uint64		tail;
	Oid			logrel;

	LWLockAcquire(audit->lock, LW_SHARED);
	tail = s->tail;
	while (n < AUDIT_BATCH && tail + n < s->head)
	{
		batch[n] = s->ring[(tail + n) % AUDIT_RING];
		n++;
	}
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
		/* one INSERT per batch, the columns as arrays */
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

		for (int c = 0; c < NCOLS; c++)
			acc[c] = initArrayResult(elemtypes[c], CurrentMemoryContext, false);
		for (int i = 0; i < n; i++)
		{
			AuditRecord *r = &batch[i];
			char	   *role = GetUserNameFromId(r->role, true);
			char	   *srole = GetUserNameFromId(r->session_role, true);
			NameData   *rn = palloc0(sizeof(NameData));
			NameData   *sn = palloc0(sizeof(NameData));
			bool		has_table = r->table_name[0] != '\0';

			namestrcpy(rn, role ? role : "");
			namestrcpy(sn, srole ? srole : "");
			accumArrayResult(acc[0], TimestampTzGetDatum(r->at), false, TIMESTAMPTZOID, CurrentMemoryContext);
			accumArrayResult(acc[1], NameGetDatum(rn), role == NULL, NAMEOID, CurrentMemoryContext);
			accumArrayResult(acc[2], NameGetDatum(sn), srole == NULL, NAMEOID, CurrentMemoryContext);
			accumArrayResult(acc[3], CStringGetTextDatum(r->dpia), r->dpia[0] == '\0', TEXTOID, CurrentMemoryContext);
			accumArrayResult(acc[4], CStringGetTextDatum(r->action), false, TEXTOID, CurrentMemoryContext);
			accumArrayResult(acc[5], CStringGetTextDatum(r->table_name), !has_table, TEXTOID, CurrentMemoryContext);
			accumArrayResult(acc[6], Int64GetDatum((int64) r->rows), !has_table, INT8OID, CurrentMemoryContext);
			accumArrayResult(acc[7], Int64GetDatum(r->query_id), !has_table, INT8OID, CurrentMemoryContext);
			accumArrayResult(acc[8], Int64GetDatum(r->statement_hash), !has_table, INT8OID, CurrentMemoryContext);
			accumArrayResult(acc[9], Int32GetDatum(r->pid), false, INT4OID, CurrentMemoryContext);
			accumArrayResult(acc[10], CStringGetTextDatum(r->detail), r->detail[0] == '\0', TEXTOID, CurrentMemoryContext);
			accumArrayResult(acc[11], Int64GetDatum(r->clients), !r->has_clients, INT8OID, CurrentMemoryContext);
			{
				/* the ids as an array literal, cast in the INSERT */
				StringInfoData ids;

				initStringInfo(&ids);
				appendStringInfoChar(&ids, '{');
				for (int k = 0; k < r->nclient_ids; k++)
					appendStringInfo(&ids, "%s" INT64_FORMAT, k ? "," : "", r->client_ids[k]);
				appendStringInfoChar(&ids, '}');
				accumArrayResult(acc[12], CStringGetTextDatum(ids.data),
								 !r->has_clients || (r->nclient_ids == 0 && r->clients > 0),
								 TEXTOID, CurrentMemoryContext);
			}
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
		SPI_connect();
		if (SPI_execute_with_args(sql.data, NCOLS, argtypes, args, NULL, false, 0) != SPI_OK_INSERT)
			elog(ERROR, "brent_mdm audit: could not store %d audit records", n);
		SPI_finish();
	}
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_activity(STATE_IDLE, NULL);

	LWLockAcquire(audit->lock, LW_EXCLUSIVE);
	s->tail = tail + n;
	LWLockRelease(audit->lock);
	return n;
}

void
policy_audit_worker_main(Datum arg)
{
	int			slot = DatumGetInt32(arg);
	Oid			dbid;
	int			idle = 0;

	memcpy(&dbid, MyBgworkerEntry->bgw_extra, sizeof(Oid));
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnectionByOid(dbid, InvalidOid, 0);
	/*
	 * The records were safe from the user's ROLLBACK the moment they reached
	 * shared memory; a crash loses what is not stored yet either way, so the
	 * worker does not wait for each commit's WAL flush.
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
	LWLockRelease(audit->lock);
	before_shmem_exit(audit_worker_exit, Int32GetDatum(slot));

	for (;;)
	{
		int			rc;

		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
		if (audit_store_batch(slot) > 0)
		{
			bool		urgent;

			idle = 0;
			/*
			 * Records are stored in batches: unless the ring is half full or
			 * someone waits in audit_flush(), let them gather for a while
			 * (one transaction per batch, not per record).
			 */
			LWLockAcquire(audit->lock, LW_SHARED);
			urgent = audit->db[slot].flush_wanted ||
				audit->db[slot].head - audit->db[slot].tail >= AUDIT_RING / 2;
			LWLockRelease(audit->lock);
			if (!urgent)
				(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
								 AUDIT_GATHER_MS, PG_WAIT_EXTENSION);
			continue;
		}
		LWLockAcquire(audit->lock, LW_EXCLUSIVE);
		audit->db[slot].flush_wanted = false;
		LWLockRelease(audit->lock);
		if (idle >= AUDIT_IDLE_TICKS)
		{
			/* leave (freeing the slot) only with nothing left to store */
			bool		leave = false;

			LWLockAcquire(audit->lock, LW_EXCLUSIVE);
			if (audit->db[slot].head == audit->db[slot].tail)
			{
				audit->db[slot].dbid = InvalidOid;
				audit->db[slot].state = WORKER_NONE;
				audit->db[slot].latch = NULL;
				leave = true;
			}
			LWLockRelease(audit->lock);
			if (leave)
				proc_exit(0);
			idle = 0;
			continue;
		}
		rc = WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 100L,
					   PG_WAIT_EXTENSION);
		if (rc & WL_TIMEOUT)
			idle++;
	}
}

/* Waits until every record appended so far in this database is stored. */
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
	for (;;)
	{
		bool		done;

		LWLockAcquire(audit->lock, LW_SHARED);
		done = audit->db[slot].dbid != MyDatabaseId || audit->db[slot].tail >= target;
		LWLockRelease(audit->lock);
		if (done)
			PG_RETURN_BOOL(true);
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
	prev_ExecutorEnd = ExecutorEnd_hook;
	ExecutorEnd_hook = policy_ExecutorEnd;
	prev_ProcessUtility = ProcessUtility_hook;
	ProcessUtility_hook = policy_ProcessUtility;
	RegisterXactCallback(policy_xact_callback, NULL);
	RegisterSubXactCallback(policy_subxact_callback, NULL);
}
