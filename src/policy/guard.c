/*
 * guard.c
 *		Utility commands that would go around a protected table's policy.
 *
 * Row level security does not apply to TRUNCATE: a role the DBA granted
 * TRUNCATE on a protected table (after protect(), which revokes it) could
 * empty it under no purpose.  TRUNCATE of a protected table, or of a
 * partition or child of one, is refused but for superusers (who bypass the
 * policy anyway); deletions of personal data go through a write purpose or
 * the retention rules (purge).
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "tcop/utility.h"

#include "policy.h"

static ProcessUtility_hook_type prev_ProcessUtility = NULL;
static bool guard_installed = false;

static void
guard_ProcessUtility(PlannedStmt *pstmt, const char *queryString, bool readOnlyTree,
					 ProcessUtilityContext context, ParamListInfo params,
					 QueryEnvironment *queryEnv, DestReceiver *dest, QueryCompletion *qc)
{
	if (IsA(pstmt->utilityStmt, TruncateStmt) && !superuser() && policy_any_protected())
	{
		ListCell   *lc;

		foreach(lc, ((TruncateStmt *) pstmt->utilityStmt)->relations)
		{
			RangeVar   *rv = lfirst_node(RangeVar, lc);
			Oid			relid = RangeVarGetRelid(rv, NoLock, true);
			const char *name = OidIsValid(relid) ? policy_protected_name(relid, NULL) : NULL;

			if (name != NULL)
			{
				policy_audit_event("refused", policy_valid_dpia(), "TRUNCATE");
				ereport(ERROR,
						(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
						 errmsg("TRUNCATE is not allowed on protected table %s", name),
						 errdetail("Row level security does not apply to TRUNCATE: it would delete rows no purpose covers."),
						 errhint("Delete rows under a DPIA with write access, or set a retention rule and run brent_mdm.purge().")));
			}
		}
	}
	if (prev_ProcessUtility)
		prev_ProcessUtility(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);
}

void
policy_guard_init(void)
{
	if (guard_installed)
		return;
	guard_installed = true;
	prev_ProcessUtility = ProcessUtility_hook;
	ProcessUtility_hook = guard_ProcessUtility;
}
