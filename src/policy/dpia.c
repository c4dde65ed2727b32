/*
 * dpia.c
 *		The purpose this session acts under, and its validation against the
 *		DPIA registry.
 *
 * The purpose lives in backend memory (policy_purpose), never in a GUC, so
 * SET and set_config() cannot forge it; only begin_purpose() sets it, after
 * checking the registry.  It is bound to the role that began it, which must be
 * the logged-in role (session user) acting as itself (current user equal,
 * not inside a SECURITY DEFINER function or a security-restricted operation);
 * every later check requires both identities to be still that role, so SET
 * ROLE, SET SESSION AUTHORIZATION and SECURITY DEFINER functions owned by
 * others all see no purpose.
 *
 * Validity (DPIA approved, grant present, key) is cached: the cache is
 * dropped by the relcache callback when a registry table changes (a statement
 * trigger on each sends the invalidation at commit) and by syscache callbacks
 * on role membership, and re-read at the next check.  Expiry is compared with
 * the statement's start time at every check.
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/parallel.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "access/tableam.h"
#include "catalog/namespace.h"
#include "catalog/pg_proc.h"
#include "commands/extension.h"
#include "commands/trigger.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "catalog/pg_type.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "policy.h"

PolicyPurpose policy_purpose;

/* bumped whenever validity may have changed: the gates' per-query caches key on it */
uint64		policy_generation = 1;

static bool callbacks_registered = false;

/* relids of dpia, dpia_role, dpia_secret as last looked up (InvalidOid: unknown) */
static Oid	registry_relids[3];


static void
policy_relcache_callback(Datum arg, Oid relid)
{
	/*
	 * Any change to a registry table (or a full reset) makes the purpose be
	 * re-validated.  Other relations' invalidations are frequent and cheap
	 * to ignore.
	 */
	if (relid == InvalidOid || !OidIsValid(registry_relids[0]) ||
		relid == registry_relids[0] || relid == registry_relids[1] ||
		relid == registry_relids[2])
	{
		policy_purpose.checked = false;
		policy_generation++;
		policy_fold_invalidate();
	}
	policy_rls_invalidate(relid);
	policy_subject_invalidate(relid);
}

static void
policy_syscache_callback(Datum arg, int cacheid, uint32 hashvalue)
{
	/* role membership or attributes changed: grants may mean something else */
	policy_purpose.checked = false;
	policy_generation++;
	policy_fold_invalidate();
	/* (and whether the Client Index's view owner has members) */
	if (cacheid == AUTHMEMROLEMEM)
		policy_rls_invalidate(InvalidOid);
}

void
policy_register_callbacks(void)
{
	if (callbacks_registered)
		return;
	CacheRegisterRelcacheCallback(policy_relcache_callback, (Datum) 0);
	CacheRegisterSyscacheCallback(AUTHMEMROLEMEM, policy_syscache_callback, (Datum) 0);
	CacheRegisterSyscacheCallback(AUTHOID, policy_syscache_callback, (Datum) 0);
	callbacks_registered = true;
}

/*
 * The relid of a table of schema brent_mdm, or InvalidOid (extension not
 * installed in this database).  Two syscache lookups.
 */
Oid
policy_registry_relid(const char *name)
{
	Oid			nsp;

	if (!IsTransactionState())
		return InvalidOid;
	nsp = get_namespace_oid("brent_mdm", true);
	if (!OidIsValid(nsp))
		return InvalidOid;
	return get_relname_relid(name, nsp);
}

/*
 * The oid of a function of schema brent_mdm with these argument types, and
 * its PROCOID hash (what a plan calling it lists among its invalidation
 * items), or InvalidOid.
 */
Oid
policy_function_oid(const char *name, const Oid *argtypes, int nargs, uint32 *hash)
{
	Oid			nsp = get_namespace_oid("brent_mdm", true);
	Oid			oid = InvalidOid;
	HeapTuple	tup;

	*hash = 0;
	if (!OidIsValid(nsp))
		return InvalidOid;
	tup = SearchSysCache3(PROCNAMEARGSNSP, CStringGetDatum(name),
						  PointerGetDatum(buildoidvector(argtypes, nargs)), ObjectIdGetDatum(nsp));
	if (!HeapTupleIsValid(tup))
		return InvalidOid;
	oid = ((Form_pg_proc) GETSTRUCT(tup))->oid;
	ReleaseSysCache(tup);
	*hash = GetSysCacheHashValue1(PROCOID, ObjectIdGetDatum(oid));
	return oid;
}

/* What the registry says about one DPIA for one role. */
typedef struct DpiaInfo
{
	bool		found;
	char		status[16];
	bool		has_expiry;
	TimestampTz expires_at;
	bool		granted;
	uint8		key[POLICY_KEY_LEN];
	int			keylen;
} DpiaInfo;

static bool
text_datum_equals(Datum d, const char *s)
{
	text	   *t = DatumGetTextPP(d);
	size_t		len = strlen(s);
	bool		eq = VARSIZE_ANY_EXHDR(t) == len && memcmp(VARDATA_ANY(t), s, len) == 0;

	if ((Pointer) t != DatumGetPointer(d))
		pfree(t);
	return eq;
}

/*
 * Reads the registry rows of a DPIA with heap scans under the latest
 * snapshot (the tables are small; no permission check: this is the
 * extension reading its own registry for the caller).
 */
static void
dpia_lookup(const char *dpia, Oid user, DpiaInfo *info)
{
	static const char *const tables[] = {"dpia", "dpia_role", "dpia_secret"};

	memset(info, 0, sizeof(*info));
	for (int t = 0; t < 3; t++)
	{
		Oid			relid = policy_registry_relid(tables[t]);
		Relation	rel;
		TableScanDesc scan;
		HeapTuple	tup;
		Snapshot	snap;
		TupleDesc	desc;
		AttrNumber	a_status = 0,
					a_expires = 0,
					a_role = 0,
					a_key = 0;

		registry_relids[t] = relid;
		if (!OidIsValid(relid))
			return;
		rel = table_open(relid, AccessShareLock);
		desc = RelationGetDescr(rel);
		if (t == 0)
		{
			a_status = get_attnum(relid, "status");
			a_expires = get_attnum(relid, "expires_at");
		}
		else if (t == 1)
			a_role = get_attnum(relid, "role_name");
		else
			a_key = get_attnum(relid, "pseudonym_key");

		snap = RegisterSnapshot(GetLatestSnapshot());
		scan = table_beginscan(rel, snap, 0, NULL);
		while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
		{
			bool		isnull;
			Datum		d = heap_getattr(tup, 1, desc, &isnull);

			if (isnull || !text_datum_equals(d, dpia))
				continue;
			if (t == 0)
			{
				info->found = true;
				d = heap_getattr(tup, a_status, desc, &isnull);
				if (!isnull)
					text_to_cstring_buffer(DatumGetTextPP(d), info->status, sizeof(info->status));
				d = heap_getattr(tup, a_expires, desc, &isnull);
				info->has_expiry = !isnull;
				if (!isnull)
					info->expires_at = DatumGetTimestampTz(d);
			}
			else if (t == 1)
			{
				d = heap_getattr(tup, a_role, desc, &isnull);
				if (!isnull && has_privs_of_role(user, DatumGetObjectId(d)))
					info->granted = true;
			}
			else
			{
				d = heap_getattr(tup, a_key, desc, &isnull);
				if (!isnull)
				{
					bytea	   *k = DatumGetByteaPP(d);

					info->keylen = Min(VARSIZE_ANY_EXHDR(k), POLICY_KEY_LEN);
					memcpy(info->key, VARDATA_ANY(k), info->keylen);
				}
			}
		}
		table_endscan(scan);
		UnregisterSnapshot(snap);
		table_close(rel, AccessShareLock);
	}
}

static void
purpose_revalidate(void)
{
	DpiaInfo	info;

	dpia_lookup(policy_purpose.dpia, policy_purpose.bound_user, &info);
	policy_purpose.valid = info.found && strcmp(info.status, "approved") == 0 &&
		info.has_expiry && info.granted;
	policy_purpose.expires_at = info.has_expiry ? info.expires_at : DT_NOBEGIN;
	memcpy(policy_purpose.key, info.key, POLICY_KEY_LEN);
	policy_purpose.keylen = info.keylen;
	policy_purpose.checked = true;
}

/*
 * True when this session acts under a purpose that is valid now, for the
 * identity that began it.  Never raises for any state of the session; reads
 * the registry only after an invalidation.
 */
bool
policy_purpose_valid(void)
{
	if (!policy_purpose.active)
		return false;
	if (GetUserId() != policy_purpose.bound_user ||
		GetSessionUserId() != policy_purpose.bound_user ||
		InSecurityRestrictedOperation())
		return false;
	if (!policy_purpose.checked)
		purpose_revalidate();
	if (!policy_purpose.valid)
		return false;
	if (GetCurrentStatementStartTimestamp() >= policy_purpose.expires_at)
		return false;
	return true;
}

/*
 * The purpose, carried to parallel workers.
 *
 * The purpose is backend memory, which a parallel worker does not have.  So
 * that protected tables can be scanned in parallel (the gates are PARALLEL
 * SAFE), the leader publishes it in a setting, brent_mdm.purpose_token,
 * before each executor starts: "dpia|bound user|expiry" while the purpose is
 * valid in the registry, "" otherwise.  PostgreSQL copies settings into
 * every worker it starts; a worker's gates read the token and check what the
 * leader would check for the identity it runs as (the same user, session user,
 * security context and statement start as the leader).  Nobody else can set
 * it: its check hook accepts a value only from policy_publish_purpose() or
 * while a parallel worker restores the leader's settings (or the empty
 * default, which grants nothing).
 */
static char *purpose_token = NULL;
static bool publishing = false;
static char worker_dpia[POLICY_DPIA_LEN];

static bool
purpose_token_check(char **newval, void **extra, GucSource source)
{
	if (publishing || InitializingParallelWorker || *newval == NULL || (*newval)[0] == '\0')
		return true;
	GUC_check_errcode(ERRCODE_INSUFFICIENT_PRIVILEGE);
	GUC_check_errmsg("brent_mdm.purpose_token is set by brent_mdm itself");
	GUC_check_errhint("Act under a purpose with brent_mdm.begin_purpose().");
	return false;
}

/*
 * brent_mdm.extension_internal: on only inside the extension's own SECURITY
 * DEFINER functions (their SET clause: the real-time matching triggers, the
 * golden-record refresh, the objection register), so that their fixed reads
 * of a protected Client Index table, made as the extension's owner for the
 * caller, are neither refused as a read with another role's rights nor
 * audited one by one (the caller's own statement is).  A superuser-only
 * parameter (a function owned by anyone else cannot set it), refused outside
 * a SECURITY DEFINER function (a plain SET, a configuration file, ALTER ROLE),
 * and honoured only while the current user is a superuser.
 */
bool		policy_extension_internal = false;

static bool
extension_internal_check(bool *newval, void **extra, GucSource source)
{
	/* (creating_extension: the SET clauses of its functions, checked as they are made) */
	if (!*newval || InitializingParallelWorker ||
		((InLocalUserIdChange() || creating_extension) && superuser()))
		return true;
	GUC_check_errcode(ERRCODE_INSUFFICIENT_PRIVILEGE);
	GUC_check_errmsg("brent_mdm.extension_internal is set by brent_mdm's own functions only");
	GUC_check_errhint("Nothing to set: the extension's functions set it for their own reads.");
	return false;
}

void
policy_purpose_guc_init(void)
{
	DefineCustomBoolVariable("brent_mdm.extension_internal",
							 "Set by brent_mdm's own SECURITY DEFINER functions for their reads of the Client Index.",
							 NULL, &policy_extension_internal, false, PGC_SUSET,
							 GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE | GUC_NO_RESET_ALL |
							 GUC_DISALLOW_IN_FILE | GUC_DISALLOW_IN_AUTO_FILE,
							 extension_internal_check, NULL, NULL);
	DefineCustomStringVariable("brent_mdm.purpose_token",
							   "The purpose of the session, as parallel workers read it (set by brent_mdm only).",
							   NULL, &purpose_token, "", PGC_USERSET,
							   GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE | GUC_NO_RESET_ALL |
							   GUC_DISALLOW_IN_FILE | GUC_DISALLOW_IN_AUTO_FILE,
							   purpose_token_check, NULL, NULL);
}

/* Before an executor starts (leader only): the token matches the purpose. */
void
policy_publish_purpose(void)
{
	/*
	 * The token is made again only when the purpose may have changed (a
	 * begin, an end, an invalidation of the registry: each bumps the
	 * generation or the epoch); it is compared with the setting every time (a
	 * rolled-back transaction takes the setting back).
	 */
	static char buf[POLICY_DPIA_LEN + 64];
	static uint64 buf_generation = 0;
	static uint64 buf_epoch = 0;

	if (IsParallelWorker() || IsInParallelMode() || !IsTransactionState())
		return;
	if (policy_purpose.active && !policy_purpose.checked)
		purpose_revalidate();
	if (buf_generation != policy_generation || buf_epoch != policy_purpose.epoch)
	{
		buf[0] = '\0';
		if (policy_purpose.active && policy_purpose.valid)
			snprintf(buf, sizeof(buf), "%s|%u|" INT64_FORMAT, policy_purpose.dpia,
					 policy_purpose.bound_user, (int64) policy_purpose.expires_at);
		buf_generation = policy_generation;
		buf_epoch = policy_purpose.epoch;
	}
	if (strcmp(buf, purpose_token ? purpose_token : "") == 0)
		return;
	publishing = true;
	PG_TRY();
	{
		(void) set_config_option("brent_mdm.purpose_token", buf, PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SET, true, 0, false);
	}
	PG_FINALLY();
	{
		publishing = false;
	}
	PG_END_TRY();
}

/* In a parallel worker: the leader's purpose if valid for this identity now. */
static const char *
worker_valid_dpia(void)
{
	const char *t = purpose_token;
	const char *bar1,
			   *bar2;
	Oid			user;
	int64		expires;
	size_t		len;

	if (t == NULL || t[0] == '\0' || (bar1 = strchr(t, '|')) == NULL ||
		(bar2 = strchr(bar1 + 1, '|')) == NULL)
		return NULL;
	len = bar1 - t;
	if (len == 0 || len >= POLICY_DPIA_LEN ||
		sscanf(bar1 + 1, "%u|" INT64_FORMAT, &user, &expires) != 2)
		return NULL;
	if (GetUserId() != user || GetSessionUserId() != user || InSecurityRestrictedOperation() ||
		GetCurrentStatementStartTimestamp() >= (TimestampTz) expires)
		return NULL;
	memcpy(worker_dpia, t, len);
	worker_dpia[len] = '\0';
	return worker_dpia;
}

const char *
policy_valid_dpia(void)
{
	if (IsParallelWorker())
		return worker_valid_dpia();
	return policy_purpose_valid() ? policy_purpose.dpia : NULL;
}

void
policy_end_purpose_internal(const char *why)
{
	if (!policy_purpose.active)
		return;
	policy_audit_event("end_purpose", policy_purpose.dpia, why);
	memset(&policy_purpose.dpia, 0, sizeof(policy_purpose.dpia));
	memset(&policy_purpose.key, 0, sizeof(policy_purpose.key));
	policy_generation++;
	policy_purpose.active = false;
	policy_purpose.valid = false;
	policy_purpose.bound_user = InvalidOid;
	policy_purpose.epoch++;
	policy_fold_invalidate();
}

/* Records the refusal (it survives the error), then raises it. */
static void
refuse(const char *dpia, int sqlstate, const char *msg, const char *detail, const char *hint)
{
	policy_audit_event("refused", dpia, msg);
	ereport(ERROR,
			(errcode(sqlstate),
			 errmsg_internal("%s", msg),
			 detail ? errdetail_internal("%s", detail) : 0,
			 hint ? errhint("%s", hint) : 0));
}

PG_FUNCTION_INFO_V1(policy_begin_purpose);
Datum
policy_begin_purpose(PG_FUNCTION_ARGS)
{
	char	   *dpia = text_to_cstring(PG_GETARG_TEXT_PP(0));
	Oid			user = GetUserId();
	Oid			session_user = GetSessionUserId();
	DpiaInfo	info;
	TimestampTz now = GetCurrentStatementStartTimestamp();

	if (!policy_preloaded)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("purposes need the brent_mdm audit, which is not running"),
				 errdetail("Every access under a purpose is audited; without the audit no purpose can begin."),
				 errhint("Add brent_mdm to shared_preload_libraries and restart the server.")));
	policy_register_callbacks();

	if (user != session_user || InSecurityRestrictedOperation() || InLocalUserIdChange())
		refuse(dpia, ERRCODE_INSUFFICIENT_PRIVILEGE,
			   psprintf("a purpose can only be begun by the logged-in role acting as itself"),
			   psprintf("The current user \"%s\" is not the session user \"%s\" (SET ROLE, or a SECURITY DEFINER function).",
						GetUserNameFromId(user, true) ? GetUserNameFromId(user, true) : "?",
						GetUserNameFromId(session_user, true) ? GetUserNameFromId(session_user, true) : "?"),
			   "RESET ROLE, then begin the purpose.");
	if (policy_audit_reading())
		refuse(dpia, ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
			   "a purpose cannot begin inside a statement that reads a protected table",
			   "The statement started without the purpose: what it read under it would be audited without it.",
			   "Call brent_mdm.begin_purpose() in a statement of its own.");
	if (policy_purpose.active)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("this session already acts under DPIA \"%s\"", policy_purpose.dpia),
				 errhint("Call brent_mdm.end_purpose() first.")));
	if (strlen(dpia) >= POLICY_DPIA_LEN)
		info.found = false;
	else
		dpia_lookup(dpia, session_user, &info);

	if (!info.found)
		refuse(dpia, ERRCODE_UNDEFINED_OBJECT,
			   psprintf("DPIA \"%s\" does not exist", dpia), NULL,
			   "See brent_mdm.dpia (or ask the information governance team) for the DPIAs you may act under.");
	if (strcmp(info.status, "approved") != 0)
		refuse(dpia, ERRCODE_INSUFFICIENT_PRIVILEGE,
			   psprintf("DPIA \"%s\" is %s", dpia, info.status),
			   "Personal data may be used only under an approved DPIA.",
			   strcmp(info.status, "draft") == 0 ?
			   "Its owner must have it approved (brent_mdm.approve_dpia) first." :
			   "Ask its owner whether it will be approved again.");
	if (!info.has_expiry || now >= info.expires_at)
		refuse(dpia, ERRCODE_INSUFFICIENT_PRIVILEGE,
			   psprintf("DPIA \"%s\" has expired", dpia),
			   info.has_expiry ? psprintf("It expired at %s.", timestamptz_to_str(info.expires_at)) : NULL,
			   "Ask its owner to review and renew it.");
	if (!info.granted)
		refuse(dpia, ERRCODE_INSUFFICIENT_PRIVILEGE,
			   psprintf("role \"%s\" may not act under DPIA \"%s\"",
						GetUserNameFromId(session_user, true) ? GetUserNameFromId(session_user, true) : "?",
						dpia),
			   "No grant of the DPIA covers this role.",
			   "Ask the DPIA's owner for a grant (brent_mdm.grant_purpose).");

	policy_purpose.active = true;
	strlcpy(policy_purpose.dpia, dpia, sizeof(policy_purpose.dpia));
	policy_purpose.bound_user = session_user;
	policy_purpose.epoch++;
	policy_purpose.valid = true;
	policy_purpose.checked = true;
	policy_purpose.expires_at = info.expires_at;
	memcpy(policy_purpose.key, info.key, POLICY_KEY_LEN);
	policy_purpose.keylen = info.keylen;
	policy_generation++;
	policy_fold_invalidate();
	policy_audit_event("begin_purpose", dpia, NULL);
	PG_RETURN_TEXT_P(cstring_to_text(dpia));
}

PG_FUNCTION_INFO_V1(policy_end_purpose);
Datum
policy_end_purpose(PG_FUNCTION_ARGS)
{
	text	   *ended;

	if (!policy_purpose.active)
		PG_RETURN_NULL();
	if (policy_audit_reading())
		refuse(policy_purpose.dpia, ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
			   "a purpose cannot end inside a statement that reads a protected table",
			   "The statement started under the purpose and is audited under it.",
			   "Call brent_mdm.end_purpose() in a statement of its own.");
	ended = cstring_to_text(policy_purpose.dpia);
	policy_end_purpose_internal(NULL);
	PG_RETURN_TEXT_P(ended);
}

PG_FUNCTION_INFO_V1(policy_current_purpose);
Datum
policy_current_purpose(PG_FUNCTION_ARGS)
{
	if (!policy_purpose.active)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(policy_purpose.dpia));
}

PG_FUNCTION_INFO_V1(policy_active_dpia);
Datum
policy_active_dpia(PG_FUNCTION_ARGS)
{
	const char *d = policy_valid_dpia();

	if (d == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(d));
}

/*
 * The answers of the gates for the DPIA valid now (NULL: none), shared by
 * the SQL functions and by the planner, which folds calls with constant
 * arguments into their answer (fold.c).  Never raise.
 */
bool
policy_gate_is(text *dpia, const char *valid)
{
	return valid != NULL && text_datum_equals(PointerGetDatum(dpia), valid);
}

bool
policy_gate_in(ArrayType *dpias, const char *valid)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	bool		found = false;

	if (valid == NULL || ARR_ELEMTYPE(dpias) != TEXTOID)
		return false;
	deconstruct_array(dpias, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	for (int i = 0; i < n && !found; i++)
		if (!nulls[i] && text_datum_equals(elems[i], valid))
			found = true;
	return found;
}

/*
 * The gates' per-query cache.  PostgreSQL keeps a row security qual at the
 * scan even when it has no column reference (it is never planned as a
 * one-time filter), so a gate is called once per row: the first call of an
 * expression works the answer out, the others return it while the statement,
 * the purpose and the registry's validity are unchanged.
 */
typedef struct GateCache
{
	uint64		generation;
	uint64		epoch;
	TimestampTz statement;
	Oid			user;
	bool		result;
} GateCache;

static inline GateCache *
gate_cache(FunctionCallInfo fcinfo, bool *hit)
{
	GateCache  *c = (GateCache *) fcinfo->flinfo->fn_extra;

	if (c == NULL)
	{
		c = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(GateCache));
		fcinfo->flinfo->fn_extra = c;
		*hit = false;
		return c;
	}
	*hit = c->generation == policy_generation && c->epoch == policy_purpose.epoch &&
		c->statement == GetCurrentStatementStartTimestamp() && c->user == GetUserId();
	return c;
}

static inline void
gate_remember(GateCache *c, bool result)
{
	c->generation = policy_generation;
	c->epoch = policy_purpose.epoch;
	c->statement = GetCurrentStatementStartTimestamp();
	c->user = GetUserId();
	c->result = result;
}

/*
 * The policy gate of one DPIA.  No column argument; cached per query (above).
 * LEAKPROOF: it never raises, whatever its input.
 */
PG_FUNCTION_INFO_V1(policy_purpose_is);
Datum
policy_purpose_is(PG_FUNCTION_ARGS)
{
	bool		hit;
	GateCache  *c = gate_cache(fcinfo, &hit);
	text	   *dpia;
	const char *valid;

	if (hit)
		PG_RETURN_BOOL(c->result);
	dpia = PG_GETARG_TEXT_PP(0);
	valid = policy_valid_dpia();
	gate_remember(c, policy_gate_is(dpia, valid));
	PG_RETURN_BOOL(c->result);
}

/*
 * Statement trigger on the registry tables: every session drops its cached
 * validity when the change commits.
 */
PG_FUNCTION_INFO_V1(policy_registry_changed);
Datum
policy_registry_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("policy_registry_changed() must be called as a trigger")));
	CacheInvalidateRelcache(trigdata->tg_relation);
	return PointerGetDatum(NULL);
}

/* The policy gate of a table: one of its DPIAs is valid now.  Cached; LEAKPROOF. */
PG_FUNCTION_INFO_V1(policy_purpose_in);
Datum
policy_purpose_in(PG_FUNCTION_ARGS)
{
	bool		hit;
	GateCache  *c = gate_cache(fcinfo, &hit);

	if (hit)
		PG_RETURN_BOOL(c->result);
	gate_remember(c, policy_gate_in(PG_GETARG_ARRAYTYPE_P(0), policy_valid_dpia()));
	PG_RETURN_BOOL(c->result);
}
