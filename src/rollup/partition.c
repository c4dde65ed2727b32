/*
 * partition.c
 *		Partitions that join or leave an indicator's source: an event trigger
 *		(brent_mdm_rollup_partitions) keeps the indicators exact.
 *
 *   CREATE TABLE ... PARTITION OF      (end)   capture triggers on the new table
 *   ALTER TABLE ... ATTACH PARTITION   (end)   capture triggers on the partition and
 *                                              the partitions below it, and its rows
 *                                              added as deltas
 *   ALTER TABLE ... DETACH PARTITION   (start) its rows taken away as deltas, its
 *                                              capture triggers dropped
 *   DROP TABLE of a partition          (start) its rows taken away as deltas
 *   DROP SCHEMA, DROP OWNED            (start) the same, for the partitions they drop
 *   DETACH PARTITION ... CONCURRENTLY  (start) refused (it commits half-way: an
 *                                              indicator would be wrong in between)
 *
 * At the start of a DETACH or DROP the tables are locked first as the
 * command itself will lock them (the parent, then the partition, ACCESS
 * EXCLUSIVE), so that no write slips in between the count and the command
 * (for a user whom the command's permission check will let through only);
 * a command that then fails rolls the deltas back with it.  At the end of an ATTACH the command holds the partition ACCESS
 * EXCLUSIVE.  The triggers are made and dropped by the extension's own SQL
 * (indicator_attach / indicator_detach, from the catalogue, no user text) as
 * the bootstrap superuser: the user running the DDL needs no privilege on
 * the indicator.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/partition.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "commands/event_trigger.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "utils/acl.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "policy/policy.h"
#include "rollup/rollup.h"

/* the indicators over rel: those whose source is rel or one of its ancestors */
static List *
indicators_over(Oid relid)
{
	List	   *sources = list_make1_oid(relid);

	if (get_rel_relispartition(relid))
		sources = list_concat(sources, get_partition_ancestors(relid));
	return rollup_indicators_on(sources);
}

/* runs the extension's indicator_attach or indicator_detach(ind, part) as the bootstrap superuser */
static void
triggers_call(const char *func, const char *indicator, Oid only)
{
	AsOwner		as;
	Datum		argv[2] = {CStringGetTextDatum(indicator), ObjectIdGetDatum(only)};
	Oid			argt[2] = {TEXTOID, REGCLASSOID};
	char	   *sql = psprintf("SELECT brent_mdm.%s(i, $2) FROM brent_mdm.indicator i WHERE i.name = $1", func);

	/* the user's search_path must not pick the operators of this query */
	as_owner_begin(&as);
	SPI_connect();
	if (SPI_execute_with_args(sql, 2, argt, argv, NULL, false, 0) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "brent_mdm: %s of indicator %s failed", func, indicator);
	SPI_finish();
	as_owner_end(&as);
	CommandCounterIncrement();
}

/* sign x the rows of every leaf below (and including) relid, for one indicator */
static void
add_rows(const char *indicator, Oid relid, int sign)
{
	char	   *tgname = psprintf("brent_mdm_rollup_%s_trunc", indicator);
	List	   *rels = find_all_inheritors(relid, AccessExclusiveLock, NULL);
	ListCell   *lc;

	foreach(lc, rels)
	{
		Relation	rel = table_open(lfirst_oid(lc), NoLock);
		TriggerDesc *td = rel->trigdesc;
		Trigger    *tg = NULL;

		CHECK_FOR_INTERRUPTS();
		if (rel->rd_rel->relkind == RELKIND_RELATION && td != NULL)
			for (int i = 0; i < td->numtriggers; i++)
				if (strcmp(td->triggers[i].tgname, tgname) == 0)
					tg = &td->triggers[i];
		if (tg != NULL)
			rollup_relation_rows(rel, tg, sign);
		else if (rel->rd_rel->relkind == RELKIND_RELATION)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("partition %s has no capture trigger of indicator %s",
							RelationGetRelationName(rel), indicator),
					 errdetail("Its rows cannot be counted in or out of the indicator."),
					 errhint("Run brent_mdm.rebuild_indicator('%s') (it re-creates the triggers and recomputes), then retry.",
							 indicator)));
		table_close(rel, NoLock);
	}
}

/* a partition (sub-tree) joined parent: triggers, then its rows (end of the command) */
static void
partition_joined(Oid parent, Oid part, bool has_rows)
{
	ListCell   *lc;

	foreach(lc, indicators_over(parent))
	{
		const char *name = lfirst(lc);

		triggers_call("indicator_attach", name, part);
		if (has_rows)
			add_rows(name, part, +1);
	}
}

/*
 * A partition (sub-tree) is about to leave: its rows taken away (start of
 * the command).  Only for a user the command's own permission check will let
 * through (the parent's owner for DETACH, the partition's or its schema's
 * for DROP): another would lock the tables before being refused.
 */
static void
partition_leaving(Oid parent, Oid part, bool drop_triggers)
{
	List	   *names;
	ListCell   *lc;
	bool		allowed;

	if (drop_triggers)
		allowed = pg_class_ownercheck(parent, GetUserId());
	else
		allowed = pg_class_ownercheck(part, GetUserId()) ||
			pg_namespace_ownercheck(get_rel_namespace(part), GetUserId());
	if (!allowed)
		return;					/* the command reports it */
	names = indicators_over(parent);
	if (names == NIL)
		return;
	/* as the command will lock them: the parent first */
	LockRelationOid(parent, AccessExclusiveLock);
	LockRelationOid(part, AccessExclusiveLock);
	foreach(lc, names)
	{
		const char *name = lfirst(lc);

		add_rows(name, part, -1);
		if (drop_triggers)
			triggers_call("indicator_detach", name, part);
	}
}

/*
 * Partitions a command is about to drop (DROP TABLE of several, DROP SCHEMA,
 * DROP OWNED): each one's rows taken away once, by the highest one dropped
 * in its tree (a partition whose ancestor is dropped too is counted with it:
 * "DROP TABLE p_2024, p_2024_w2" took p_2024_w2's rows away twice).
 */
static void
partitions_leaving(List *parts)
{
	ListCell   *lc;

	foreach(lc, parts)
	{
		Oid			part = lfirst_oid(lc);
		bool		ancestor_dropped = false;
		ListCell   *la;

		if (!get_rel_relispartition(part))
			continue;
		foreach(la, get_partition_ancestors(part))
			if (list_member_oid(parts, lfirst_oid(la)))
				ancestor_dropped = true;
		if (!ancestor_dropped)
			partition_leaving(get_partition_parent(part, true), part, false);
	}
}

/* the partitions (tables and partitioned tables) in namespace nsp, or owned by role owner; or all their tables */
static List *
partitions_where(AttrNumber att, Oid value, bool all_tables)
{
	Relation	rel = table_open(RelationRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	List	   *parts = NIL;

	ScanKeyInit(&key, att, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(value));
	scan = systable_beginscan(rel, InvalidOid, false, NULL, 1, &key);
	while ((tup = systable_getnext(scan)) != NULL)
	{
		Form_pg_class c = (Form_pg_class) GETSTRUCT(tup);

		CHECK_FOR_INTERRUPTS();
		if ((c->relispartition || all_tables) &&
			(c->relkind == RELKIND_RELATION || c->relkind == RELKIND_PARTITIONED_TABLE))
			parts = lappend_oid(parts, c->oid);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return parts;
}

/*
 * An indicator's capture triggers are statement triggers of its source: they
 * see the rows written to the source itself (and, for a partitioned source,
 * those routed to its partitions), never rows written through a table above
 * it nor rows of a table below it by inheritance.  So a source never becomes
 * a partition or an inheritance child, nor gains inheritance children or a
 * foreign partition (whose rows are written where no trigger of ours sees
 * them): each silently left the indicator wrong (rows written through the new
 * parent, or directly to the new child, were not counted).  define_indicator
 * refuses such tables; these commands, which would make one, are refused too.
 */
static void
refuse_tree_change(List *names, const char *what, Oid relid)
{
	if (names != NIL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot %s %s: indicator %s is defined over it",
						what, get_rel_name(relid), (char *) linitial(names)),
				 errdetail("An indicator's triggers would not see the rows written through a parent, "
						   "to an inheritance child or to a foreign table: it would count wrongly."),
				 errhint("Drop the indicators first (brent_mdm.drop_indicator), and define them again "
						 "over the partitioned table at the top of the tree.")));
}

/* the indicators whose source is relid or a table below it */
static List *
indicators_in_tree(Oid relid)
{
	return rollup_indicators_on(find_all_inheritors(relid, NoLock, NULL));
}

/* a table about to inherit from parent (CREATE TABLE ... INHERITS, ALTER TABLE ... INHERIT) */
static void
check_inherit(Oid parent, Oid child)
{
	if (OidIsValid(parent))
		refuse_tree_change(indicators_over(parent), "add an inheritance child to", parent);
	if (OidIsValid(child))
		refuse_tree_change(indicators_over(child), "make an inheritance child of", child);
}

/*
 * Sources a command is about to drop (DROP TABLE, DROP SCHEMA ... CASCADE,
 * DROP OWNED): the indicators over them are dropped with them under CASCADE,
 * and the command refused without it (2BP01), as PostgreSQL does for a view
 * over a table.  Before, the indicator outlived its source: its view went on
 * showing the dropped table's figures, verify_indicator and rebuild_indicator
 * failed with a syntax error at the table's oid, and a table given that oid
 * later would have been taken for its source.  Only for a user the command's
 * own permission check will let through (allowed): another is refused by it.
 */
static void
sources_dropped(List *relids, bool cascade, bool allowed)
{
	ListCell   *lc;

	foreach(lc, relids)
	{
		Oid			relid = lfirst_oid(lc);
		List	   *names = rollup_indicators_on(list_make1_oid(relid));
		ListCell   *ln;

		if (names == NIL)
			continue;
		if (!cascade)
			ereport(ERROR,
					(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
					 errmsg("cannot drop table %s: indicator %s is defined over it",
							get_rel_name(relid), (char *) linitial(names)),
					 errdetail("Its rollup would outlive the table, showing the figures of rows that are gone."),
					 errhint("Drop the indicators first (brent_mdm.drop_indicator), or use DROP ... CASCADE to drop them with it.")));
		if (!allowed)
			continue;			/* the command reports it */
		foreach(ln, names)
		{
			AsOwner		as;
			Datum		argv[1] = {CStringGetTextDatum((char *) lfirst(ln))};
			Oid			argt[1] = {TEXTOID};

			as_owner_begin(&as);
			SPI_connect();
			if (SPI_execute_with_args("SELECT brent_mdm.drop_indicator($1)", 1, argt, argv, NULL, false, 0) != SPI_OK_SELECT)
				elog(ERROR, "brent_mdm: drop_indicator of %s failed", (char *) lfirst(ln));
			SPI_finish();
			as_owner_end(&as);
			CommandCounterIncrement();
			ereport(NOTICE,
					(errmsg("drop cascades to indicator %s", (char *) lfirst(ln))));
		}
	}
}

PG_FUNCTION_INFO_V1(rollup_partition_ddl);
Datum
rollup_partition_ddl(PG_FUNCTION_ARGS)
{
	EventTriggerData *trigdata;
	Node	   *pt;
	bool		start;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("rollup_partition_ddl must be called as an event trigger")));
	trigdata = (EventTriggerData *) fcinfo->context;
	pt = trigdata->parsetree;
	start = strcmp(trigdata->event, "ddl_command_start") == 0;

	if (IsA(pt, AlterTableStmt))
	{
		AlterTableStmt *stmt = (AlterTableStmt *) pt;
		ListCell   *lc;

		foreach(lc, stmt->cmds)
		{
			AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);
			PartitionCmd *pc;
			Oid			parent;
			Oid			part;

			/*
			 * Row level security turned on over an indicator's rows: the
			 * rollup counts every row, its readers would see aggregates of
			 * rows the policies hide (define_indicator refuses such a table).
			 */
			if ((cmd->subtype == AT_EnableRowSecurity || cmd->subtype == AT_ForceRowSecurity) && start)
			{
				Oid			relid = RangeVarGetRelid(stmt->relation, NoLock, true);
				List	   *names = OidIsValid(relid) ? indicators_over(relid) : NIL;

				if (names != NIL)
					ereport(ERROR,
							(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
							 errmsg("cannot enable row level security on %s: indicator %s is defined over it",
									get_rel_name(relid), (char *) linitial(names)),
							 errdetail("The rollup counts every row; its readers would see aggregates of rows the policies hide."),
							 errhint("Drop the indicators over it first (brent_mdm.drop_indicator).")));
				continue;
			}
			if (cmd->subtype == AT_AddInherit && start)
			{
				check_inherit(RangeVarGetRelid((RangeVar *) cmd->def, NoLock, true),
							  RangeVarGetRelid(stmt->relation, NoLock, true));
				continue;
			}
			if (cmd->subtype != AT_AttachPartition && cmd->subtype != AT_DetachPartition)
				continue;
			pc = (PartitionCmd *) cmd->def;
			parent = RangeVarGetRelid(stmt->relation, NoLock, true);
			part = RangeVarGetRelid(pc->name, NoLock, true);
			if (!OidIsValid(parent) || !OidIsValid(part))
				continue;		/* the command reports it */
			if (cmd->subtype == AT_AttachPartition && start)
			{
				/* a source attached below another table; a foreign table below a source */
				refuse_tree_change(indicators_in_tree(part), "attach", part);
				if (indicators_over(parent) != NIL)
				{
					ListCell   *lt;

					foreach(lt, find_all_inheritors(part, NoLock, NULL))
						if (get_rel_relkind(lfirst_oid(lt)) == RELKIND_FOREIGN_TABLE)
							refuse_tree_change(indicators_over(parent), "attach a foreign table as a partition of", parent);
				}
			}
			else if (cmd->subtype == AT_AttachPartition && !start)
				partition_joined(parent, part, true);
			else if (cmd->subtype == AT_DetachPartition && start)
			{
				if (!get_rel_relispartition(part) || get_partition_parent(part, true) != parent)
					continue;	/* not a partition of it: the command reports it */
				if (pc->concurrent && indicators_over(parent) != NIL)
					ereport(ERROR,
							(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
							 errmsg("cannot detach partition %s concurrently: indicators are defined over %s",
									get_rel_name(part), get_rel_name(parent)),
							 errdetail("A concurrent detach commits half-way; the indicators would count the partition's rows wrongly in between."),
							 errhint("Detach it without CONCURRENTLY (its rows are then taken out of the indicators), or drop the indicators first.")));
				partition_leaving(parent, part, true);
			}
		}
	}
	else if ((IsA(pt, CreateStmt) || IsA(pt, CreateForeignTableStmt)) && start)
	{
		/* CREATE [FOREIGN] TABLE ... INHERITS (source); CREATE FOREIGN TABLE ... PARTITION OF source */
		CreateStmt *stmt = (CreateStmt *) pt;
		ListCell   *lc;

		foreach(lc, stmt->inhRelations)
		{
			Oid			parent = RangeVarGetRelid(lfirst_node(RangeVar, lc), NoLock, true);

			if (!OidIsValid(parent))
				continue;		/* the command reports it */
			if (stmt->partbound == NULL)
				check_inherit(parent, InvalidOid);
			else if (IsA(pt, CreateForeignTableStmt))
				refuse_tree_change(indicators_over(parent), "create a foreign partition of", parent);
		}
	}
	else if (IsA(pt, CreateStmt) && !start && ((CreateStmt *) pt)->partbound != NULL)
	{
		CreateStmt *stmt = (CreateStmt *) pt;
		Oid			part = RangeVarGetRelid(stmt->relation, NoLock, true);

		if (OidIsValid(part) && get_rel_relispartition(part))
			partition_joined(get_partition_parent(part, true), part, false);
	}
	else if (IsA(pt, DropStmt) && start && ((DropStmt *) pt)->removeType == OBJECT_TABLE)
	{
		ListCell   *lc;
		List	   *parts = NIL;

		foreach(lc, ((DropStmt *) pt)->objects)
		{
			RangeVar   *rv = makeRangeVarFromNameList((List *) lfirst(lc));
			Oid			part = RangeVarGetRelid(rv, NoLock, true);

			if (OidIsValid(part))
			{
				parts = list_append_unique_oid(parts, part);
				sources_dropped(list_make1_oid(part), ((DropStmt *) pt)->behavior == DROP_CASCADE,
								pg_class_ownercheck(part, GetUserId()) ||
								pg_namespace_ownercheck(get_rel_namespace(part), GetUserId()));
			}
		}
		partitions_leaving(parts);
	}
	else if (IsA(pt, DropStmt) && start && ((DropStmt *) pt)->removeType == OBJECT_SCHEMA)
	{
		/* DROP SCHEMA ... CASCADE drops the partitions in it */
		ListCell   *lc;
		List	   *parts = NIL;

		foreach(lc, ((DropStmt *) pt)->objects)
		{
			Oid			nsp = get_namespace_oid(strVal(lfirst(lc)), true);

			if (OidIsValid(nsp))
			{
				sources_dropped(partitions_where(Anum_pg_class_relnamespace, nsp, true),
								((DropStmt *) pt)->behavior == DROP_CASCADE,
								pg_namespace_ownercheck(nsp, GetUserId()));
				parts = list_concat_unique_oid(parts, partitions_where(Anum_pg_class_relnamespace, nsp, false));
			}
		}
		partitions_leaving(parts);
	}
	else if (IsA(pt, DropOwnedStmt) && start)
	{
		/* DROP OWNED BY drops the partitions its roles own */
		ListCell   *lc;
		List	   *parts = NIL;

		foreach(lc, ((DropOwnedStmt *) pt)->roles)
		{
			Oid			role = get_rolespec_oid(lfirst(lc), true);

			if (OidIsValid(role))
			{
				sources_dropped(partitions_where(Anum_pg_class_relowner, role, true),
								((DropOwnedStmt *) pt)->behavior == DROP_CASCADE,
								has_privs_of_role(GetUserId(), role));
				parts = list_concat_unique_oid(parts, partitions_where(Anum_pg_class_relowner, role, false));
			}
		}
		partitions_leaving(parts);
	}
	PG_RETURN_VOID();
}
