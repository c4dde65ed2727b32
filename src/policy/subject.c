/*
 * subject.c
 *		Data subjects' rights: the objection / restriction register as a
 *		policy gate, the persons each statement reads (for the audit), and the
 *		subject access report.
 *
 * subject_visible(dpia, table, client_id) is the last conjunct of the
 * permissive policy of each DPIA on a table protected with a client-id column.
 * It is true when this session acts under that DPIA (validated as purpose_is
 * does) and the person has no objection or restriction applying to it.  The
 * register is read into a per-backend hash of (client id, DPIA or "" for every
 * purpose) -> end time, every client id of the person included (the surviving
 * client of a merge and every client merged into it); the hash is dropped by
 * the relcache callback when brent_mdm.objection changes (statement trigger)
 * or a client is merged (row trigger on brent_mdm.client), and reloaded at the
 * next call.
 *
 * Each id it lets through is also counted, per protected table, in a set that
 * the audit (audit.c) takes at the end of the statement: the audit record then
 * says how many distinct persons the policy let the statement read or write,
 * and which (up to POLICY_AUDIT_CLIENTS).  These are the rows the policy let
 * the statement see, a superset of the rows it returned (its own WHERE
 * clauses are applied after the policy, unless leakproof and pushed down).
 *
 * subject_access_report() reads everything held on a person for the DPO: it
 * runs its own queries (fixed text, every operator and function of
 * pg_catalog or brent_mdm, values turned to JSON by their types' output
 * functions) as the bootstrap superuser, with a backend flag that tells the
 * executor hook to let them read protected tables; each is audited as
 * "subject_access".
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "port/pg_bitutils.h"
#include <math.h>
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "brent_mdm.h"
#include "policy.h"

/* set while subject_access_report() runs its own queries, with the person's ids */
bool		policy_subject_access_running = false;
int64		policy_subject_access_ids[POLICY_AUDIT_CLIENTS];
int			policy_subject_access_nids = 0;

/* set while purge() (a superuser's SECURITY DEFINER function) applies the retention rules */
bool		policy_purge_running = false;

/* ---- the register, cached ---- */

#define ACC_FILTER_BITS 65536
static inline uint64 mix64(int64 v);

typedef struct ObjKey
{
	int64		client_id;
	char		dpia[POLICY_DPIA_LEN];	/* "" = every purpose */
} ObjKey;

typedef struct ObjEntry
{
	ObjKey		key;
	TimestampTz ends_at;		/* DT_NOEND: open-ended */
} ObjEntry;

static bool obj_loaded = false;
static HTAB *obj_hash = NULL;
static long obj_count = 0;
static uint64 obj_filter[ACC_FILTER_BITS / 64];	/* bits of objected client ids */
static MemoryContext obj_cxt = NULL;
static Oid	obj_relid = InvalidOid;
static Oid	client_relid = InvalidOid;

void
policy_subject_invalidate(Oid relid)
{
	if (relid == InvalidOid || !OidIsValid(obj_relid) || relid == obj_relid ||
		relid == client_relid)
		obj_loaded = false;
}

/*
 * As the bootstrap superuser, in a security-restricted operation, with
 * search_path pg_catalog (the user's identity and settings come back on
 * as_owner_end and on error, by transaction abort).  Also used by the
 * rollups' partition event trigger (src/rollup/partition.c).
 */
void
as_owner_begin(AsOwner *s)
{
	GetUserIdAndSecContext(&s->save_user, &s->save_sec);
	SetUserIdAndSecContext(BOOTSTRAP_SUPERUSERID,
						   s->save_sec | SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
	s->nest = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_SUSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
}

void
as_owner_end(AsOwner *s)
{
	AtEOXact_GUC(true, s->nest);
	SetUserIdAndSecContext(s->save_user, s->save_sec);
}

static void
obj_load(void)
{
	static const char *const sql =
		"WITH RECURSIVE o AS ("
		"  SELECT coalesce(o.dpia_id, '') AS dpia, o.client_id,"
		"         coalesce(o.ends_at, 'infinity') AS ends_at,"
		"         coalesce(brent_mdm.resolve_client(o.client_id), o.client_id) AS root"
		"    FROM brent_mdm.objection o"
		"   WHERE o.lifted_at IS NULL AND (o.ends_at IS NULL OR o.ends_at > now())),"
		" tree(dpia, ends_at, id) AS ("
		"  SELECT dpia, ends_at, root FROM o"
		"  UNION SELECT t.dpia, t.ends_at, c.client_id FROM tree t"
		"          JOIN brent_mdm.client c ON c.merged_into = t.id)"
		" SELECT dpia, ends_at, id FROM tree"
		" UNION SELECT dpia, ends_at, client_id FROM o";
	HASHCTL		ctl;
	AsOwner		s;

	policy_register_callbacks();
	/* callers up the stack may hold entries of the old set (cache_retire) */
	cache_retire(obj_cxt);
	obj_cxt = AllocSetContextCreate(TopMemoryContext, "brent_mdm objections",
									ALLOCSET_SMALL_SIZES);
	obj_hash = NULL;
	obj_count = 0;
	memset(obj_filter, 0, sizeof(obj_filter));
	obj_relid = policy_registry_relid("objection");
	client_relid = policy_registry_relid("client");
	if (!OidIsValid(obj_relid))
	{
		obj_loaded = true;
		return;
	}
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(ObjKey);
	ctl.entrysize = sizeof(ObjEntry);
	ctl.hcxt = obj_cxt;
	obj_hash = hash_create("brent_mdm objections", 64, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);

	as_owner_begin(&s);
	/* the register and the merges of the Client Index, read for the policy */
	(void) set_config_option("brent_mdm.extension_internal", "on", PGC_SUSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "brent_mdm: SPI_connect failed");
	if (SPI_execute(sql, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "brent_mdm: could not read the objection register");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		Datum		d;
		ObjKey		key;
		ObjEntry   *e;
		bool		found;
		TimestampTz ends;

		CHECK_FOR_INTERRUPTS();
		memset(&key, 0, sizeof(key));
		d = SPI_getbinval(tup, desc, 1, &isnull);
		if (!isnull)
			text_to_cstring_buffer(DatumGetTextPP(d), key.dpia, sizeof(key.dpia));
		d = SPI_getbinval(tup, desc, 2, &isnull);
		ends = isnull ? DT_NOEND : DatumGetTimestampTz(d);
		d = SPI_getbinval(tup, desc, 3, &isnull);
		if (isnull)
			continue;
		key.client_id = DatumGetInt64(d);
		/* the hash lives in obj_cxt, not in SPI's context */
		e = hash_search(obj_hash, &key, HASH_ENTER, &found);
		if (!found || ends > e->ends_at)
			e->ends_at = ends;
		if (!found)
		{
			uint64		h = mix64(key.client_id) & (ACC_FILTER_BITS - 1);

			obj_filter[h >> 6] |= UINT64CONST(1) << (h & 63);
			obj_count++;
		}
	}
	SPI_finish();
	as_owner_end(&s);
	obj_loaded = true;
}

/* True when the person has an objection or restriction to this DPIA now. */
static bool
objected(int64 client_id, const char *dpia)
{
	ObjKey		key;
	ObjEntry   *e;
	TimestampTz now = GetCurrentStatementStartTimestamp();

	uint64		h = mix64(client_id) & (ACC_FILTER_BITS - 1);

	/* most persons have no objection: one bit says so */
	if (obj_count == 0 || !(obj_filter[h >> 6] & (UINT64CONST(1) << (h & 63))))
		return false;
	memset(&key, 0, sizeof(key));
	key.client_id = client_id;
	e = hash_search(obj_hash, &key, HASH_FIND, NULL);
	if (e && e->ends_at > now)
		return true;
	strlcpy(key.dpia, dpia, sizeof(key.dpia));
	e = hash_search(obj_hash, &key, HASH_FIND, NULL);
	return e && e->ends_at > now;
}

/* ---- persons read by each statement, per protected table ---- */

/*
 * Per table: the first POLICY_AUDIT_CLIENTS distinct ids exactly; beyond, a
 * distinct count by linear counting over a 2^16-bit bitmap (a hash and a bit
 * per row; within about 1% up to 100,000 persons, 5% at 300,000), so that a
 * scan pays no hash table insert per row.
 */
#define ACC_BITS	65536

typedef struct AccSet
{
	Oid			relid;
	int			nids;			/* exact ids below, while not overflowed */
	bool		overflow;
	int64		ids[POLICY_AUDIT_CLIENTS];
	uint64		bits[ACC_BITS / 64];
	struct AccSet *next;
} AccSet;

static MemoryContext acc_cxt = NULL;
static AccSet *acc_sets = NULL;
static AccSet *acc_last = NULL;	/* the last one used: a scan uses one */

static inline uint64
mix64(int64 v)
{
	uint64		h = (uint64) v;

	h ^= h >> 33;
	h *= UINT64CONST(0xff51afd7ed558ccd);
	h ^= h >> 33;
	h *= UINT64CONST(0xc4ceb9fe1a85ec53);
	h ^= h >> 33;
	return h;
}

void
policy_subject_reset(void)
{
	if (acc_cxt && acc_sets)
		MemoryContextReset(acc_cxt);
	acc_sets = NULL;
	acc_last = NULL;
}

static AccSet *
acc_find(Oid relid, bool create)
{
	AccSet	   *a;

	if (acc_last && acc_last->relid == relid)
		return acc_last;
	for (a = acc_sets; a; a = a->next)
		if (a->relid == relid)
			return acc_last = a;
	if (!create)
		return NULL;
	if (acc_cxt == NULL)
		acc_cxt = AllocSetContextCreate(TopMemoryContext, "brent_mdm persons read",
										ALLOCSET_DEFAULT_SIZES);
	a = MemoryContextAllocZero(acc_cxt, sizeof(AccSet));
	a->relid = relid;
	a->next = acc_sets;
	acc_sets = a;
	return acc_last = a;
}

/*
 * Takes (and forgets) the persons counted for a table since the last take:
 * their number and, when at most max, their ids, sorted.  False if none.
 */
bool
policy_subject_take(Oid relid, int64 *ids, int max, int *nids, int64 *count)
{
	AccSet	   *a = acc_find(relid, false);

	*nids = 0;
	*count = 0;
	if (a == NULL)
		return false;
	if (!a->overflow)
	{
		*count = a->nids;
		if (a->nids <= max)
		{
			*nids = a->nids;
			memcpy(ids, a->ids, sizeof(int64) * a->nids);
			for (int i = 1; i < *nids; i++)	/* sorted, for a stable record */
				for (int j = i; j > 0 && ids[j - 1] > ids[j]; j--)
				{
					int64		t = ids[j];

					ids[j] = ids[j - 1];
					ids[j - 1] = t;
				}
		}
	}
	else
	{
		/* linear counting: n = -m ln(zero bits / m) */
		int64		set = 0;

		for (int i = 0; i < ACC_BITS / 64; i++)
			set += pg_popcount64(a->bits[i]);
		if (set >= ACC_BITS)
			set = ACC_BITS - 1;
		*count = (int64) (-(double) ACC_BITS * log((double) (ACC_BITS - set) / ACC_BITS) + 0.5);
		if (*count <= max)
			*count = max + 1;	/* more than were listed, whatever the estimate */
	}
	for (AccSet **p = &acc_sets; *p; p = &(*p)->next)
		if (*p == a)
		{
			*p = a->next;
			break;
		}
	if (acc_last == a)
		acc_last = NULL;
	pfree(a);
	return true;
}

static inline void
acc_add(Oid relid, int64 client_id)
{
	AccSet	   *a = acc_find(relid, true);
	uint64		h = mix64(client_id) & (ACC_BITS - 1);

	a->bits[h >> 6] |= UINT64CONST(1) << (h & 63);
	if (a->overflow)
		return;
	for (int i = 0; i < a->nids; i++)
		if (a->ids[i] == client_id)
			return;
	if (a->nids < POLICY_AUDIT_CLIENTS)
		a->ids[a->nids++] = client_id;
	else
		a->overflow = true;
}

/* ---- the gate ---- */

typedef struct VisibleCache
{
	uint64		generation;
	uint64		epoch;
	TimestampTz statement;
	Oid			user;
	bool		purpose_ok;
} VisibleCache;

/*
 * subject_visible(dpia text, tbl regclass, client_id bigint): the session acts
 * under the DPIA and the person has not objected to it or restricted it.
 * A NULL client id (no person) is visible under the purpose.  Does not raise
 * on any input (LEAKPROOF); reading the register after a change may fail on
 * the server's resources, independently of the row.
 */
PG_FUNCTION_INFO_V1(policy_subject_visible);
Datum
policy_subject_visible(PG_FUNCTION_ARGS)
{
	VisibleCache *c = (VisibleCache *) fcinfo->flinfo->fn_extra;
	int64		client_id;
	Oid			relid;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_BOOL(false);
	if (c == NULL)
	{
		c = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(VisibleCache));
		fcinfo->flinfo->fn_extra = c;
	}
	if (!(c->generation == policy_generation && c->epoch == policy_purpose.epoch &&
		  c->statement == GetCurrentStatementStartTimestamp() && c->user == GetUserId()))
	{
		text	   *dpia = PG_GETARG_TEXT_PP(0);
		const char *valid = policy_valid_dpia();

		c->purpose_ok = valid != NULL && VARSIZE_ANY_EXHDR(dpia) == strlen(valid) &&
			memcmp(VARDATA_ANY(dpia), valid, VARSIZE_ANY_EXHDR(dpia)) == 0;
		c->generation = policy_generation;
		c->epoch = policy_purpose.epoch;
		c->statement = GetCurrentStatementStartTimestamp();
		c->user = GetUserId();
	}
	if (!c->purpose_ok)
		PG_RETURN_BOOL(false);
	if (PG_ARGISNULL(2))
		PG_RETURN_BOOL(true);
	client_id = PG_GETARG_INT64(2);
	relid = PG_GETARG_OID(1);
	if (!obj_loaded)
		obj_load();
	if (objected(client_id, policy_purpose.dpia))
		PG_RETURN_BOOL(false);
	acc_add(relid, client_id);
	PG_RETURN_BOOL(true);
}

/* ---- the subject access report ---- */

/*
 * Runs a query (first column: the item's label; the others: the record) and
 * adds one row (source, item, record as a JSON object of the columns' text
 * forms) per result row.
 */
static void
report_rows(Tuplestorestate *ts, TupleDesc outdesc, const char *source, const char *sql,
			int nargs, Oid *argtypes, Datum *args)
{
	int			rc = SPI_execute_with_args(sql, nargs, argtypes, args, NULL, true, 0);

	if (rc != SPI_OK_SELECT)
		elog(ERROR, "brent_mdm: subject access query failed: %s", SPI_result_code_string(rc));
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		StringInfoData json;
		char	   *item = SPI_getvalue(tup, desc, 1);
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		CHECK_FOR_INTERRUPTS();
		initStringInfo(&json);
		appendStringInfoChar(&json, '{');
		for (int a = 2; a <= desc->natts; a++)
		{
			char	   *v;

			if (TupleDescAttr(desc, a - 1)->attisdropped)
				continue;
			v = SPI_getvalue(tup, desc, a);
			if (json.len > 1)
				appendStringInfoString(&json, ", ");
			escape_json(&json, NameStr(TupleDescAttr(desc, a - 1)->attname));
			appendStringInfoString(&json, ": ");
			if (v == NULL)
				appendStringInfoString(&json, "null");
			else
				escape_json(&json, v);
		}
		appendStringInfoChar(&json, '}');
		values[0] = CStringGetTextDatum(source);
		values[1] = CStringGetTextDatum(item ? item : "");
		values[2] = DirectFunctionCall1(jsonb_in, CStringGetDatum(json.data));
		tuplestore_putvalues(ts, outdesc, values, nulls);
	}
}

extern Datum policy_audit_flush(PG_FUNCTION_ARGS);

PG_FUNCTION_INFO_V1(policy_subject_access_report);
Datum
policy_subject_access_report(PG_FUNCTION_ARGS)
{
	int64		client_id = PG_GETARG_INT64(0);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	AsOwner		s;
	Datum		args[2];
	Oid			argtypes[2] = {INT8ARRAYOID, TEXTARRAYOID};
	ArrayType  *ids;
	int			nids;
	char		label[64];

	if (!policy_preloaded)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the subject access report needs the brent_mdm audit, which is not running"),
				 errhint("Add brent_mdm to shared_preload_libraries and restart the server.")));
	if (!superuser_arg(BOOTSTRAP_SUPERUSERID))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("the bootstrap superuser is not a superuser"),
				 errdetail("The subject access report reads every table as the bootstrap superuser.")));
	InitMaterializedSRF(fcinfo, 0);
	/* the latest accesses are in the audit log before it is read */
	(void) DirectFunctionCall1(policy_audit_flush, Int32GetDatum(10000));
	/*
	 * ... and read with a snapshot taken now, after the flush: the
	 * statement's own snapshot predates the records the worker just stored
	 * (READ COMMITTED; under REPEATABLE READ the transaction's snapshot
	 * stays, as for any query)
	 */
	PushActiveSnapshot(GetTransactionSnapshot());

	as_owner_begin(&s);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "brent_mdm: SPI_connect failed");
	/* every client id of the person */
	args[0] = Int64GetDatum(client_id);
	{
		Oid			t = INT8OID;
		bool		isnull;

		if (SPI_execute_with_args("SELECT brent_mdm.client_ids_of_person($1)", 1, &t, args, NULL,
								  true, 1) != SPI_OK_SELECT || SPI_processed != 1)
			elog(ERROR, "brent_mdm: could not resolve client %lld", (long long) client_id);
		args[0] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
		if (isnull)
			args[0] = PointerGetDatum(construct_array(&args[0], 0, INT8OID, 8, true, TYPALIGN_DOUBLE));
		ids = DatumGetArrayTypePCopy(args[0]);
		args[0] = PointerGetDatum(ids);
	}
	{
		/* the report itself is an access to the person: audited first */
		Datum	   *d;
		int64		buf[POLICY_AUDIT_CLIENTS];
		int			n = 0;

		deconstruct_array(ids, INT8OID, 8, true, TYPALIGN_DOUBLE, &d, NULL, &nids);
		for (int i = 0; i < nids && n < POLICY_AUDIT_CLIENTS; i++)
			buf[n++] = DatumGetInt64(d[i]);
		snprintf(label, sizeof(label), "client %lld", (long long) client_id);
		/* recorded under the DPO's name */
		SetUserIdAndSecContext(s.save_user, s.save_sec);
		policy_audit_event_clients("subject_access", NULL, label, buf, n, nids);
		SetUserIdAndSecContext(BOOTSTRAP_SUPERUSERID,
							   s.save_sec | SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
		memcpy(policy_subject_access_ids, buf, sizeof(int64) * n);
		policy_subject_access_nids = n;
	}
	policy_subject_access_running = true;
	PG_TRY();
	{
		Datum		tables;
		uint64		ntables;
		SPITupleTable *tt;

		report_rows(rsinfo->setResult, rsinfo->setDesc, "client_index",
					"SELECT 'client ' || c.client_id || ' (' || c.status || ')', c.*"
					"  FROM brent_mdm.client c WHERE c.client_id = ANY ($1) ORDER BY c.client_id",
					1, argtypes, args);
		report_rows(rsinfo->setResult, rsinfo->setDesc, "client_index",
					"SELECT 'record ' || r.system || ' ' || r.record_key, r.*"
					"  FROM brent_mdm.client_record r WHERE r.client_id = ANY ($1)"
					" ORDER BY r.system, r.record_key",
					1, argtypes, args);
		report_rows(rsinfo->setResult, rsinfo->setDesc, "client_history",
					"SELECT h.event, h.* FROM brent_mdm.client_history h"
					" WHERE h.client_id = ANY ($1) OR h.other_client_id = ANY ($1)"
					" ORDER BY h.event_id",
					1, argtypes, args);
		report_rows(rsinfo->setResult, rsinfo->setDesc, "objection",
					"SELECT o.kind || CASE WHEN o.lifted_at IS NOT NULL THEN ' (lifted)' ELSE '' END, o.*"
					"  FROM brent_mdm.objection o WHERE o.client_id = ANY ($1) ORDER BY o.objection_id",
					1, argtypes, args);

		/* every table protected with a client-id column */
		if (SPI_execute("SELECT table_name::text, format('SELECT ''row''::text, t.* FROM %s t"
						" WHERE t.%I OPERATOR(pg_catalog.=) ANY ($1)', table_name, client_id_column)"
						"  FROM brent_mdm.protected_table"
						" WHERE parent_table IS NULL AND client_id_column IS NOT NULL ORDER BY 1",
						true, 0) != SPI_OK_SELECT)
			elog(ERROR, "brent_mdm: could not list the protected tables");
		tt = SPI_tuptable;
		ntables = SPI_processed;
		{
			Datum	   *names = palloc(sizeof(Datum) * (ntables + 1));
			ArrayType  *a;

			for (uint64 i = 0; i < ntables; i++)
			{
				char	   *name = SPI_getvalue(tt->vals[i], tt->tupdesc, 1);
				char	   *q = SPI_getvalue(tt->vals[i], tt->tupdesc, 2);

				names[i] = CStringGetTextDatum(name);
				report_rows(rsinfo->setResult, rsinfo->setDesc, name, q, 1, argtypes, args);
			}
			a = construct_array(names, (int) ntables, TEXTOID, -1, false, TYPALIGN_INT);
			tables = PointerGetDatum(a);
		}
		/*
		 * Every access: statements whose audit record names one of the
		 * person's ids; statements that read more persons than a record
		 * lists, on a table of theirs (possibly them); earlier reports.
		 */
		args[1] = tables;
		report_rows(rsinfo->setResult, rsinfo->setDesc, "audit",
					"SELECT CASE WHEN l.action = 'subject_access' THEN 'subject access report'"
					"            WHEN l.client_ids && $1 THEN 'access'"
					"            WHEN l.rows IS NULL THEN 'possible access (end not recorded)'"
					"            ELSE 'possible access (' || l.clients || ' persons)' END, l.*"
					"  FROM brent_mdm.audit_log l"
					" WHERE l.client_ids && $1"
					"    OR (l.client_ids IS NULL AND (l.clients > 0 OR l.rows IS NULL)"
					"        AND l.table_name = ANY ($2))"
					" ORDER BY l.audit_id",
					2, argtypes, args);
	}
	PG_FINALLY();
	{
		policy_subject_access_running = false;
	}
	PG_END_TRY();
	SPI_finish();
	as_owner_end(&s);
	PopActiveSnapshot();
	return (Datum) 0;
}

/*
 * purge_access(on): lets the executor hook accept purge()'s reads and writes of
 * protected tables, made as the superuser who owns purge() on behalf of the
 * caller.  Only a superuser (purge() itself, SECURITY DEFINER) may set it; it
 * is cleared when purge() ends, and on any error (subtransaction or
 * transaction abort).  Returns the previous state.
 */
PG_FUNCTION_INFO_V1(policy_purge_access);
Datum
policy_purge_access(PG_FUNCTION_ARGS)
{
	bool		prev = policy_purge_running;

	if (!superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("only brent_mdm.purge() may open protected tables to a purge"),
				 errhint("Call brent_mdm.purge().")));
	policy_purge_running = PG_ARGISNULL(0) ? false : PG_GETARG_BOOL(0);
	PG_RETURN_BOOL(prev);
}
