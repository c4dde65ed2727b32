/*
 * guard.c
 *		Utility commands that would go around a protected table's policy.
 *
 * Row level security does not apply to TRUNCATE: a role the DBA granted
 * TRUNCATE on a protected table (after protect(), which revokes it) could
 * empty it under no purpose.  TRUNCATE of a protected table, or of a
 * partition or child of one, is refused but for superusers (who bypass the
 * policy anyway); deletions of personal data go through a write purpose or
 * the retention rules (purge).  Nor may a protected table be attached as a
 * partition, or made to inherit, of another table: read through the parent,
 * its rows would be under the parent's policies.  And a table that becomes a
 * partition or a child of a protected table (CREATE TABLE ... PARTITION OF,
 * ATTACH PARTITION, INHERITS, INHERIT) is protected with it at once, in the
 * command's transaction: its owner would otherwise read directly the rows
 * written through the protected parent.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/partition.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "tcop/utility.h"
#include "utils/lsyscache.h"

#include "policy.h"

static ProcessUtility_hook_type prev_ProcessUtility = NULL;
static bool guard_installed = false;
static bool reprotecting = false;	/* inside protect() run from here */

/* the protected table (its tree's root) above relid, through parents, or InvalidOid */
static Oid
protected_above(List *parents)
{
	ListCell   *lc;

	foreach(lc, parents)
	{
		Oid			a = lfirst_oid(lc);
		Oid			root = InvalidOid;
		List	   *up;
		ListCell   *lu;

		if (policy_protected_name(a, &root) != NULL)
			return OidIsValid(root) ? root : a;
		up = get_rel_relispartition(a) ? get_partition_ancestors(a) : NIL;
		foreach(lu, up)
		{
			Oid			u = lfirst_oid(lu);

			if (policy_protected_name(u, &root) != NULL)
				return OidIsValid(root) ? root : u;
		}
	}
	return InvalidOid;
}

/* protect(root) again, as the extension: the new member's RLS, policies, privileges */
static void
reprotect(Oid root)
{
	AsOwner		as;
	Datum		arg = ObjectIdGetDatum(root);
	Oid			argt = REGCLASSOID;

	CommandCounterIncrement();
	reprotecting = true;
	PG_TRY();
	{
		as_owner_begin(&as);
		SPI_connect();
		if (SPI_execute_with_args("SELECT brent_mdm.protect($1)", 1, &argt, &arg, NULL, false, 0) != SPI_OK_SELECT)
			elog(ERROR, "brent_mdm: protect of %u failed", root);
		SPI_finish();
		as_owner_end(&as);
	}
	PG_FINALLY();
	{
		reprotecting = false;
	}
	PG_END_TRY();
}

/* the parents a command gives a new member: the member and its parents named or found */
static void
protect_new_members(Node *stmt)
{
	Oid			member = InvalidOid;
	List	   *parents = NIL;
	Oid			root;

	if (IsA(stmt, CreateStmt))
	{
		CreateStmt *cs = (CreateStmt *) stmt;
		ListCell   *lc;

		if (cs->partbound == NULL && cs->inhRelations == NIL)
			return;
		member = RangeVarGetRelid(cs->relation, NoLock, true);
		foreach(lc, cs->inhRelations)
		{
			Oid			p = RangeVarGetRelid(lfirst_node(RangeVar, lc), NoLock, true);

			if (OidIsValid(p))
				parents = lappend_oid(parents, p);
		}
	}
	else if (IsA(stmt, AlterTableStmt))
	{
		AlterTableStmt *as = (AlterTableStmt *) stmt;
		ListCell   *lc;

		foreach(lc, as->cmds)
		{
			AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);
			Oid			p = RangeVarGetRelid(as->relation, NoLock, true);

			if (cmd->subtype == AT_AttachPartition && OidIsValid(p))
			{
				member = RangeVarGetRelid(((PartitionCmd *) cmd->def)->name, NoLock, true);
				parents = lappend_oid(parents, p);
			}
			else if (cmd->subtype == AT_AddInherit && OidIsValid(p))
			{
				Oid			q = RangeVarGetRelid((RangeVar *) cmd->def, NoLock, true);

				member = p;
				if (OidIsValid(q))
					parents = lappend_oid(parents, q);
			}
		}
	}
	if (!OidIsValid(member))
		return;
	if (get_rel_relispartition(member))
		parents = list_concat(parents, get_partition_ancestors(member));
	root = protected_above(parents);
	if (OidIsValid(root))
		reprotect(root);
}

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
	/*
	 * A protected table made a partition (ATTACH PARTITION) or a child
	 * (INHERIT) of another table: read through that parent, its rows are
	 * under the parent's policies, not its own (its owner read every row of
	 * it so, under no purpose).  Refused but for superusers.
	 */
	if (IsA(pstmt->utilityStmt, AlterTableStmt) && !superuser() && policy_any_protected())
	{
		AlterTableStmt *stmt = (AlterTableStmt *) pstmt->utilityStmt;
		ListCell   *lc;

		foreach(lc, stmt->cmds)
		{
			AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);
			RangeVar   *rv = NULL;
			Oid			relid;
			List	   *tree;
			ListCell   *lt;

			if (cmd->subtype == AT_AttachPartition)
				rv = ((PartitionCmd *) cmd->def)->name;
			else if (cmd->subtype == AT_AddInherit)
				rv = stmt->relation;
			if (rv == NULL)
				continue;
			relid = RangeVarGetRelid(rv, NoLock, true);
			if (!OidIsValid(relid))
				continue;
			tree = find_all_inheritors(relid, NoLock, NULL);
			foreach(lt, tree)
			{
				const char *name = policy_protected_name(lfirst_oid(lt), NULL);

				if (name != NULL)
				{
					policy_audit_event("refused", policy_valid_dpia(),
									   cmd->subtype == AT_AttachPartition ? "ATTACH PARTITION" : "INHERIT");
					ereport(ERROR,
							(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
							 errmsg("protected table %s cannot be made a partition or a child of another table", name),
							 errdetail("Read through the parent, its rows would be under the parent's policies, not its own."),
							 errhint("Protect the partitioned table and create its partitions with CREATE TABLE ... PARTITION OF.")));
				}
			}
		}
	}
	if (prev_ProcessUtility)
		prev_ProcessUtility(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);
	if (!reprotecting && (IsA(pstmt->utilityStmt, CreateStmt) || IsA(pstmt->utilityStmt, AlterTableStmt)) &&
		policy_any_protected())
		protect_new_members(pstmt->utilityStmt);
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
