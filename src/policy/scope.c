/*
 * scope.c
 *		A DPIA's row filter, read as one expression over its table and
 *		nothing else.
 *
 * The governance team writes a row filter as SQL text (set_table_scope).
 * It is never pasted into a policy as text and never planned or run here:
 * it is parsed alone (a single expression: "false) OR (true" does not
 * parse), analysed against the table (columns of that table only, no
 * subqueries, aggregates or set-returning functions), every function and
 * operator it calls is checked to be built in or written in C (installed
 * by a superuser: no PL or SQL function a role could have written), and
 * it is deparsed into its canonical, fully parenthesised form: that text
 * is what the policy is made of.  Parse analysis runs no user code (it
 * looks names up, and input functions of literals are C).
 */
#include "postgres.h"

#include "access/table.h"
#include "catalog/pg_language.h"
#include "catalog/pg_proc.h"
#include "fmgr.h"
#include "nodes/nodeFuncs.h"
#include "parser/parse_clause.h"
#include "parser/parse_collate.h"
#include "parser/parse_node.h"
#include "parser/parse_relation.h"
#include "parser/parser.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"
#include "utils/rel.h"
#include "utils/ruleutils.h"
#include "utils/syscache.h"

#include "policy.h"

/*
 * true (stop) for a function a role could have written in SQL or a PL, for
 * a volatile one (lo_export, set_config, pg_read_file, dblink_exec...: side
 * effects as whoever evaluates the condition, a superuser among them), and
 * for the built-ins that run a query given as text (query_to_xml and the
 * other *_to_xml functions, STABLE: 'SELECT any_function()' would run any
 * function, of any language, as that user)
 */
static bool
untrusted_function(Oid funcid, void *context)
{
	HeapTuple	tup;
	Form_pg_proc proc;
	bool		bad;

	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(funcid));
	if (!HeapTupleIsValid(tup))
	{
		*(Oid *) context = funcid;
		return true;
	}
	proc = (Form_pg_proc) GETSTRUCT(tup);
	bad = proc->provolatile == PROVOLATILE_VOLATILE ||
		strstr(NameStr(proc->proname), "_to_xml") != NULL ||
		(funcid >= FirstNormalObjectId && proc->prolang != ClanguageId &&
		 proc->prolang != INTERNALlanguageId);
	ReleaseSysCache(tup);
	if (bad)
		*(Oid *) context = funcid;
	return bad;
}

typedef struct FilterCheck
{
	Oid			bad;			/* the untrusted function found */
	const char *what;			/* "a row filter", "a measure's filter" */
	const char *What;			/* the same, capitalised */
} FilterCheck;

static bool
filter_walker(Node *node, FilterCheck *check)
{
	if (node == NULL)
		return false;
	if (IsA(node, SubLink))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s cannot contain a subquery", check->what),
				 errhint("%s is a condition on the table's own columns.", check->What)));
	if (IsA(node, CoerceToDomain))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s cannot cast to a domain", check->what),
				 errdetail("A domain's CHECK constraints may call functions of any language."),
				 errhint("Cast to the domain's base type.")));
	if (IsA(node, Var) && ((Var *) node)->varlevelsup != 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s can only refer to the table's own columns", check->what)));
	if (check_functions_in_node(node, untrusted_function, &check->bad))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("%s cannot call function %s", check->what,
						OidIsValid(check->bad) ? format_procedure(check->bad) : "?"),
				 errdetail("%s may call built-in functions and functions written in C only, none volatile and none running a query given as text (query_to_xml): a function in SQL or a procedural language runs whatever its author wrote, for every row and every user of the table.",
						   check->What),
				 errhint("Express the condition with built-in operators and functions.")));
	return expression_tree_walker(node, filter_walker, (void *) check);
}

/*
 * One condition (a raw parse tree) analysed against a table: its columns
 * only (Vars of range table entry 1), built-in or C functions only, no
 * subquery, no cast to a domain.  Returns the boolean expression, with
 * collations assigned; errors say "<what> cannot ...".  Shared by the
 * policy's row filters and the rollup's measure filters.
 */
Node *
policy_condition_analyse(Relation rel, Node *raw, const char *source,
						 const char *what, const char *What)
{
	ParseState *pstate;
	ParseNamespaceItem *nsitem;
	Node	   *qual;
	FilterCheck check;

	pstate = make_parsestate(NULL);
	pstate->p_sourcetext = source;
	nsitem = addRangeTableEntryForRelation(pstate, rel, AccessShareLock, NULL, false, false);
	addNSItemToQuery(pstate, nsitem, false, true, true);
	qual = transformWhereClause(pstate, raw, EXPR_KIND_POLICY, "POLICY");
	assign_expr_collations(pstate, qual);
	check.bad = InvalidOid;
	check.what = what;
	check.What = What;
	(void) filter_walker(qual, &check);
	free_parsestate(pstate);
	return qual;
}

/*
 * The one expression a text holds, read with the grammar of a PL/pgSQL
 * expression, or NULL when it holds anything more (a second statement, FROM,
 * WHERE, an alias...).  Nothing is analysed or run.  Shared by the policy's
 * row filters and the rollup's measures.
 */
Node *
policy_parse_expression(const char *text)
{
	List	   *raw = raw_parser(text, RAW_PARSE_PLPGSQL_EXPR);
	RawStmt    *rs = list_length(raw) == 1 ? linitial_node(RawStmt, raw) : NULL;
	SelectStmt *sel = rs ? (SelectStmt *) rs->stmt : NULL;

	if (sel == NULL || !IsA(sel, SelectStmt) ||
		list_length(sel->targetList) != 1 || sel->distinctClause != NIL ||
		sel->fromClause != NIL || sel->whereClause != NULL || sel->groupClause != NIL ||
		sel->havingClause != NULL || sel->windowClause != NIL || sel->sortClause != NIL ||
		sel->limitCount != NULL || sel->limitOffset != NULL || sel->lockingClause != NIL ||
		sel->intoClause != NULL || sel->withClause != NULL || sel->op != SETOP_NONE ||
		linitial_node(ResTarget, sel->targetList)->name != NULL)
		return NULL;
	return linitial_node(ResTarget, sel->targetList)->val;
}

/*
 * brent_mdm.row_filter_canonical(target regclass, filter text) RETURNS text
 *
 * The filter as the policy will hold it, or an error saying why it cannot
 * be one.  STRICT.
 */
PG_FUNCTION_INFO_V1(policy_row_filter_canonical);
Datum
policy_row_filter_canonical(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	char	   *filter = text_to_cstring(PG_GETARG_TEXT_PP(1));
	Node	   *expr;
	Relation	rel;
	Node	   *qual;
	char	   *result;

	expr = policy_parse_expression(filter);
	if (expr == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_SYNTAX_ERROR),
				 errmsg("a row filter must be a single condition"),
				 errdetail("Filter: %s", filter)));

	rel = table_open(relid, AccessShareLock);
	qual = policy_condition_analyse(rel, expr, filter, "a row filter", "A row filter");
	result = deparse_expression(qual, deparse_context_for(RelationGetRelationName(rel), relid),
								false, false);
	table_close(rel, AccessShareLock);
	PG_RETURN_TEXT_P(cstring_to_text(result));
}
