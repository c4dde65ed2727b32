/*
 * policy.h
 *		DPIA-aware access policy: purpose state, gate, masking, audit.
 *
 * dpia.c   the purpose of this session (backend memory) and its validation
 *          against the registry tables, cached and invalidated by relcache
 *          and syscache callbacks
 * rls.c    the set of protected tables, the executor checks (EXPLAIN
 *          ANALYZE, cursors that outlive their purpose) and the policy gate
 * fold.c   the gates folded by the planner into their answer, and the
 *          check that a plan runs only under the purpose it was folded for
 * mask.c   masking functions (year of a date, keyed-hash pseudonyms)
 * audit.c  shared-memory ring of audit records, executor hooks that fill it,
 *          the background worker that stores it in brent_mdm.audit_log
 */
#ifndef BRENT_MDM_POLICY_H
#define BRENT_MDM_POLICY_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "executor/execdesc.h"
#include "nodes/parsenodes.h"
#include "nodes/plannodes.h"
#include "utils/array.h"
#include "utils/relcache.h"

#define POLICY_DPIA_LEN		NAMEDATALEN
#define POLICY_KEY_LEN		32
#define POLICY_AUDIT_CLIENTS	16	/* client ids listed in an audit record */

/* The purpose this session acts under (dpia.c). */
typedef struct PolicyPurpose
{
	bool		active;			/* begun and not ended */
	char		dpia[POLICY_DPIA_LEN];
	Oid			bound_user;		/* session user = current user at begin */
	uint64		epoch;			/* bumped by every begin and end */
	bool		checked;		/* validity below is up to date with the registry */
	bool		valid;			/* approved, grant present (expiry checked apart) */
	TimestampTz expires_at;
	uint8		key[POLICY_KEY_LEN];
	int			keylen;
} PolicyPurpose;

extern PolicyPurpose policy_purpose;
extern uint64 policy_generation;

/* dpia.c */
extern bool policy_purpose_valid(void);
extern const char *policy_valid_dpia(void);
extern void policy_purpose_guc_init(void);
extern void policy_publish_purpose(void);
extern void policy_end_purpose_internal(const char *why);
extern Oid	policy_registry_relid(const char *name);
extern Oid	policy_function_oid(const char *name, const Oid *argtypes, int nargs, uint32 *hash);
extern void policy_register_callbacks(void);
extern bool policy_gate_is(text *dpia, const char *valid);
extern bool policy_gate_in(ArrayType *dpias, const char *valid);

/* fold.c */
extern void policy_fold_init(void);
extern void policy_fold_invalidate(void);
extern bool policy_fold_check(PlannedStmt *ps);

/* scope.c */
extern Node *policy_condition_analyse(Relation rel, Node *raw, const char *source,
									  const char *what, const char *What);

/* rls.c */
extern bool policy_relation_is_protected(Oid relid);
extern bool policy_any_protected(void);
extern const char *policy_protected_name(Oid relid, Oid *parent);
extern void policy_rls_invalidate(Oid relid);
extern bool policy_protected_has_client(Oid relid);
extern Oid	policy_foreign_reader(PlannedStmt *ps, RangeTblEntry *rte, Oid session_user);

/* subject.c */
extern bool policy_subject_access_running;
extern bool policy_purge_running;
extern bool policy_extension_internal;
extern const char *policy_protection_broken(Oid relid);
extern Node *policy_parse_expression(const char *text);
extern int64 policy_subject_access_ids[POLICY_AUDIT_CLIENTS];
extern int	policy_subject_access_nids;
extern void policy_subject_invalidate(Oid relid);
extern void policy_subject_reset(void);
extern bool policy_subject_take(Oid relid, int64 *ids, int max, int *nids, int64 *count);

/* pseudo.c */
extern bool policy_pseudonym_call_approved(const Node *fn_expr);
extern void policy_pseudo_init(void);

/* guard.c */
extern void policy_guard_init(void);

/* audit.c */
extern bool policy_preloaded;

/* subject.c: extension SQL (no user text) as the bootstrap superuser, search_path pinned */
typedef struct AsOwner
{
	Oid			save_user;
	int			save_sec;
	int			nest;
} AsOwner;
extern void as_owner_begin(AsOwner *s);
extern void as_owner_end(AsOwner *s);

extern void policy_init(void);
extern void policy_audit_event(const char *action, const char *dpia, const char *detail);
extern void policy_audit_event_clients(const char *action, const char *dpia, const char *detail,
									   const int64 *ids, int nids, int64 count);
extern bool policy_audit_reading(void);
extern bool policy_executor_active(void);

#endif							/* BRENT_MDM_POLICY_H */
