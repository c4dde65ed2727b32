/*
 * fold.c
 *		The policy gates folded into their answer when a statement is planned.
 *
 * Every policy of a protected table is gated by purpose_is(dpia) (and, where
 * a DPIA has a row filter, purpose_in(dpias)); masking views choose each
 * column's treatment by (SELECT active_dpia()).  Their answer depends on the
 * session's purpose, never on a row.  Left as calls, PostgreSQL sets each up
 * at every executor start (EXECUTE permission, fmgr lookup, expression
 * state): about 3,000 CPU instructions of a prepared lookup, 7 % of it.
 *
 * So the planner hook replaces each call whose arguments are constants by
 * its answer for the purpose valid now (the same functions as the SQL gates
 * answer with, dpia.c).  Under a valid purpose the gate disappears from the
 * plan; without one each scan of the table has a constant-false filter (no
 * row passes it, no gate is called); a masking view's CASE becomes the
 * column's one treatment (a key shown in clear stays indexable through it).
 * Only the statements a client sends are folded (and what is made of them:
 * prepared statements, cursors, EXPLAIN, CREATE TABLE AS, COPY); calls
 * planned inside a function, a procedure or a DO block, or while another
 * statement is planned or executed, inside SQL functions inlined by the
 * planner, or for another identity than the logged-in role's (below) stay
 * calls, with the same answers.
 *
 * A folded plan holds only under the purpose it was folded for:
 *  - every change brent_mdm sees (begin or end of a purpose, a change of the
 *    registry or of roles, each of which bumps the purpose's generation or
 *    epoch) resets the plan cache (policy_fold_invalidate), so that cached
 *    plans are made again;
 *  - a folded plan carries a mark among its invalidation items naming the
 *    purpose it was folded for (a cache id no syscache has: nothing
 *    invalidates on it); before its executor starts, policy_fold_check
 *    refuses it when another answer holds now (a DPIA's expiry passed since
 *    it was planned, another identity runs it), after resetting the cache so
 *    that the statement run again is planned afresh;
 *  - the same check runs before each run of a folded plan (a cursor's
 *    FETCH), and a purpose cannot begin or end while a folded plan (or one
 *    reading a protected table) starts or runs: user code can run inside
 *    both (a STABLE function in initial partition pruning, a function in
 *    the target list), and would otherwise change the purpose under a plan
 *    folded for another (audit.c, policy_audit_reading; and while a
 *    statement's data-modifying CTEs finish);
 *  - PostgreSQL itself makes a plan again for another role (row security
 *    makes a cached plan depend on the role).
 */
#include "postgres.h"

#include "access/parallel.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/planner.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/plancache.h"
#include "utils/syscache.h"

#include "policy.h"

/* the mark of a folded plan among its invalidation items: no syscache has this id */
#define FOLD_MARK_CACHEID	(-16966)

/* the purposes plans were folded for: [0] none valid, then DPIA names */
#define FOLD_CONTEXTS		32

enum
{
	GATE_IS,
	GATE_IN,
	GATE_ACTIVE,
	NGATES
};

static Oid	gate_oid[NGATES];
static uint32 gate_hash[NGATES];
static bool gates_known = false;

static char fold_context[FOLD_CONTEXTS][POLICY_DPIA_LEN];
static int	n_contexts = 1;

/* a plan was folded since the plan cache was last reset */
static bool fold_live = false;

/* a plan was ever folded in this backend (else the executor check is skipped) */
static bool fold_ever = false;

static planner_hook_type prev_planner = NULL;

/* planner calls in progress (a statement planned while another is: not folded) */
static int	plan_depth = 0;

typedef struct FoldState
{
	const char *valid;			/* the DPIA valid now, or NULL */
	bool		folded[NGATES];
	bool		any;
} FoldState;

static void
gates_inval(Datum arg, int cacheid, uint32 hashvalue)
{
	gates_known = false;
}

/* The gates' oids (schema brent_mdm), looked up again after pg_proc changes. */
static bool
lookup_gates(void)
{
	static const char *const names[NGATES] = {"purpose_is", "purpose_in", "active_dpia"};
	Oid			argtype[NGATES] = {TEXTOID, TEXTARRAYOID, InvalidOid};

	if (gates_known)
		return OidIsValid(gate_oid[GATE_IS]);
	for (int g = 0; g < NGATES; g++)
		gate_oid[g] = policy_function_oid(names[g], &argtype[g], g == GATE_ACTIVE ? 0 : 1,
										  &gate_hash[g]);
	/* all three or none */
	for (int g = 0; g < NGATES; g++)
		if (!OidIsValid(gate_oid[g]))
			gate_oid[GATE_IS] = InvalidOid;
	gates_known = true;
	return OidIsValid(gate_oid[GATE_IS]);
}

/* The number of a purpose plans are folded for (0: none valid); -1 when the table is full. */
static int
fold_context_id(const char *valid)
{
	if (valid == NULL)
		return 0;
	for (int i = 1; i < n_contexts; i++)
		if (strcmp(fold_context[i], valid) == 0)
			return i;
	if (n_contexts == FOLD_CONTEXTS)
		return -1;
	strlcpy(fold_context[n_contexts], valid, POLICY_DPIA_LEN);
	return n_contexts++;
}

/* The answer of a gate called with constant arguments, or NULL if node is not one. */
static Node *
fold_gate(Node *node, FoldState *st)
{
	FuncExpr   *f;
	Const	   *arg = NULL;
	int			g;

	if (!IsA(node, FuncExpr))
		return NULL;
	f = (FuncExpr *) node;
	for (g = 0; g < NGATES; g++)
		if (f->funcid == gate_oid[g])
			break;
	if (g == NGATES || list_length(f->args) != (g == GATE_ACTIVE ? 0 : 1))
		return NULL;
	if (g != GATE_ACTIVE)
	{
		arg = (Const *) linitial(f->args);
		if (!IsA(arg, Const) || arg->consttype != (g == GATE_IS ? TEXTOID : TEXTARRAYOID))
			return NULL;
	}
	st->folded[g] = true;
	st->any = true;
	switch (g)
	{
		case GATE_IS:
			if (arg->constisnull)
				return makeBoolConst(false, true);	/* STRICT */
			return makeBoolConst(policy_gate_is(DatumGetTextPP(arg->constvalue), st->valid), false);
		case GATE_IN:
			if (arg->constisnull)
				return makeBoolConst(false, true);
			return makeBoolConst(policy_gate_in(DatumGetArrayTypeP(arg->constvalue), st->valid), false);
		default:
			if (st->valid == NULL)
				return (Node *) makeNullConst(TEXTOID, -1, f->funccollid);
			return (Node *) makeConst(TEXTOID, -1, f->funccollid, -1,
									  CStringGetTextDatum(st->valid), false, false);
	}
}

/* A scalar sublink of a bare constant ((SELECT 'x'), once folded) is that constant. */
static Node *
fold_constant_sublink(Node *node)
{
	SubLink    *s;
	Query	   *q;
	TargetEntry *te;

	if (!IsA(node, SubLink))
		return NULL;
	s = (SubLink *) node;
	if (s->subLinkType != EXPR_SUBLINK || s->subselect == NULL || !IsA(s->subselect, Query))
		return NULL;
	q = (Query *) s->subselect;
	if (q->commandType != CMD_SELECT || q->utilityStmt != NULL || q->rtable != NIL ||
		q->jointree == NULL || q->jointree->fromlist != NIL || q->jointree->quals != NULL ||
		list_length(q->targetList) != 1 || q->hasAggs || q->hasWindowFuncs ||
		q->hasTargetSRFs || q->hasSubLinks || q->groupClause != NIL || q->groupingSets != NIL ||
		q->havingQual != NULL || q->sortClause != NIL || q->distinctClause != NIL ||
		q->limitCount != NULL || q->limitOffset != NULL || q->setOperations != NULL ||
		q->cteList != NIL || q->rowMarks != NIL)
		return NULL;
	te = linitial_node(TargetEntry, q->targetList);
	if (te->resjunk || te->expr == NULL || !IsA(te->expr, Const))
		return NULL;
	return (Node *) copyObject(te->expr);
}

static void fold_slot(Node **slot, FoldState *st);

/* (PostgreSQL's walker goes into most argument lists without showing them) */
static void
fold_list(List *list, FoldState *st)
{
	ListCell   *lc;

	foreach(lc, list)
		fold_slot((Node **) &lfirst(lc), st);
}

/*
 * A relation's row security quals hold together: one constant false among
 * them (no purpose of the table valid) is all of them, and a constant true
 * is none.
 */
static void
fold_security_quals(RangeTblEntry *rte)
{
	ListCell   *lc;
	List	   *kept = NIL;

	foreach(lc, rte->securityQuals)
	{
		Node	   *q = (Node *) lfirst(lc);

		if (IsA(q, Const) && ((Const *) q)->consttype == BOOLOID)
		{
			Const	   *c = (Const *) q;

			if (c->constisnull || !DatumGetBool(c->constvalue))
			{
				rte->securityQuals = list_make1(c);
				return;
			}
			continue;
		}
		kept = lappend(kept, q);
	}
	rte->securityQuals = kept;
}

static void
fold_slot(Node **slot, FoldState *st)
{
	Node	   *r;

	if (*slot == NULL)
		return;
	r = fold_gate(*slot, st);
	if (r == NULL)
		r = fold_constant_sublink(*slot);
	if (r != NULL)
		*slot = r;
}

/*
 * Walks a query (its subqueries, sublinks, CTEs, row security quals and
 * check options), children first, and replaces in place the gate calls held
 * in the places a policy or a masking view puts them (a list's cells, a
 * target entry, a CASE, a boolean, a call's or an operator's arguments, a
 * join's or WHERE's condition, a cast) and simplifies each relation's row
 * security quals.  The planner
 * may scribble on the tree it is given.
 */
static bool
fold_walker(Node *node, FoldState *st)
{
	if (node == NULL)
		return false;
	if (IsA(node, Query))
	{
		check_stack_depth();
		return query_tree_walker((Query *) node, fold_walker, st, QTW_EXAMINE_RTES_AFTER);
	}
	if (IsA(node, RangeTblEntry))
	{
		fold_security_quals((RangeTblEntry *) node);
		return false;
	}
	if (expression_tree_walker(node, fold_walker, st))
		return true;
	switch (nodeTag(node))
	{
		case T_List:
			{
				ListCell   *lc;

				foreach(lc, (List *) node)
					fold_slot((Node **) &lfirst(lc), st);
				break;
			}
		case T_BoolExpr:
			fold_list(((BoolExpr *) node)->args, st);
			break;
		case T_FuncExpr:
			fold_list(((FuncExpr *) node)->args, st);
			break;
		case T_OpExpr:
		case T_DistinctExpr:
		case T_NullIfExpr:
			fold_list(((OpExpr *) node)->args, st);
			break;
		case T_ScalarArrayOpExpr:
			fold_list(((ScalarArrayOpExpr *) node)->args, st);
			break;
		case T_CoalesceExpr:
			fold_list(((CoalesceExpr *) node)->args, st);
			break;
		case T_NullTest:
			fold_slot((Node **) &((NullTest *) node)->arg, st);
			break;
		case T_BooleanTest:
			fold_slot((Node **) &((BooleanTest *) node)->arg, st);
			break;
		case T_TargetEntry:
			fold_slot((Node **) &((TargetEntry *) node)->expr, st);
			break;
		case T_CaseExpr:
			fold_slot((Node **) &((CaseExpr *) node)->arg, st);
			fold_slot((Node **) &((CaseExpr *) node)->defresult, st);
			break;
		case T_CaseWhen:
			fold_slot((Node **) &((CaseWhen *) node)->expr, st);
			fold_slot((Node **) &((CaseWhen *) node)->result, st);
			break;
		case T_FromExpr:
			fold_slot(&((FromExpr *) node)->quals, st);
			break;
		case T_JoinExpr:
			fold_slot(&((JoinExpr *) node)->quals, st);
			break;
		case T_WithCheckOption:
			fold_slot(&((WithCheckOption *) node)->qual, st);
			break;
		case T_RelabelType:
			fold_slot((Node **) &((RelabelType *) node)->arg, st);
			break;
		case T_CoerceViaIO:
			fold_slot((Node **) &((CoerceViaIO *) node)->arg, st);
			break;
		default:
			break;
	}
	return false;
}

static void
mark_plan(PlannedStmt *result, int ctx, const FoldState *st)
{
	PlanInvalItem *item = makeNode(PlanInvalItem);

	item->cacheId = FOLD_MARK_CACHEID;
	item->hashValue = (uint32) ctx;
	result->invalItems = lappend(result->invalItems, item);
	/* and the folded functions, as the planner records the calls it keeps */
	for (int g = 0; g < NGATES; g++)
		if (st->folded[g])
		{
			item = makeNode(PlanInvalItem);
			item->cacheId = PROCOID;
			item->hashValue = gate_hash[g];
			result->invalItems = lappend(result->invalItems, item);
		}
}

/* The planner, counted in plan_depth. */
static PlannedStmt *
plan_counted(Query *parse, const char *query_string, int cursorOptions,
			 ParamListInfo boundParams)
{
	PlannedStmt *result;

	plan_depth++;
	PG_TRY();
	{
		if (prev_planner)
			result = prev_planner(parse, query_string, cursorOptions, boundParams);
		else
			result = standard_planner(parse, query_string, cursorOptions, boundParams);
	}
	PG_FINALLY();
	{
		plan_depth--;
	}
	PG_END_TRY();
	return result;
}

static PlannedStmt *
fold_planner(Query *parse, const char *query_string, int cursorOptions,
			 ParamListInfo boundParams)
{
	PlannedStmt *result;
	FoldState	st;
	char		valid[POLICY_DPIA_LEN];
	int			ctx = -1;

	memset(&st, 0, sizeof(st));
	/*
	 * Only a query that row security gave quals to (PostgreSQL marks the top
	 * query when any of its subqueries, views or sublinks has them: the plan
	 * cache relies on it); only a statement planned at the top, not while
	 * another is planned or executed (a function's statements: a SQL
	 * function plans all of its statements before it runs the first, which
	 * may begin a purpose); and only for the logged-in role acting as
	 * itself: a plan made inside a SECURITY DEFINER function or a maintenance
	 * command keeps its gates (PostgreSQL would hand such a plan to the role
	 * outside too).
	 */
	if (parse->hasRowSecurity && plan_depth == 0 && !policy_executor_active() &&
		!IsParallelWorker() && GetUserId() == GetSessionUserId() &&
		!InLocalUserIdChange() && !InSecurityRestrictedOperation() &&
		policy_any_protected() && lookup_gates())
	{
		const char *v = policy_valid_dpia();

		if (v != NULL)
			strlcpy(valid, v, sizeof(valid));
		st.valid = v != NULL ? valid : NULL;
		ctx = fold_context_id(st.valid);
		if (ctx >= 0)
		{
			fold_live = true;
			(void) fold_walker((Node *) parse, &st);
		}
	}
	result = plan_counted(parse, query_string, cursorOptions, boundParams);
	if (ctx >= 0 && st.any)
	{
		mark_plan(result, ctx, &st);
		/* (again: a reset while planning must not forget this plan) */
		fold_live = true;
		fold_ever = true;
	}
	return result;
}

/* The purpose may have changed: cached plans are made again. */
void
policy_fold_invalidate(void)
{
	if (!fold_live)
		return;
	fold_live = false;
	ResetPlanCache();
}

/*
 * Before a plan's executor starts or runs (leader only): a plan folded for
 * another purpose than the one valid now is refused.  True when the plan was
 * folded (audit.c then refuses to begin or end a purpose while it starts or
 * runs).
 */
bool
policy_fold_check(PlannedStmt *ps)
{
	ListCell   *lc;
	int			ctx = -1;
	const char *valid;

	if (!fold_ever || IsParallelWorker())
		return false;
	foreach(lc, ps->invalItems)
	{
		PlanInvalItem *item = lfirst_node(PlanInvalItem, lc);

		if (item->cacheId == FOLD_MARK_CACHEID)
		{
			ctx = (int) item->hashValue;
			break;
		}
	}
	if (ctx < 0 || ctx >= n_contexts)
		return false;
	valid = policy_valid_dpia();
	if (ctx == 0 ? valid == NULL : (valid != NULL && strcmp(valid, fold_context[ctx]) == 0))
		return true;
	fold_live = false;
	ResetPlanCache();
	if (ctx != 0)
	{
		policy_audit_event("refused", fold_context[ctx], "plan made under a purpose no longer valid");
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("the purpose this statement was planned under is no longer valid"),
				 errdetail("It was planned under DPIA \"%s\", which has expired since, or is not valid for the role running it now.",
						   fold_context[ctx]),
				 errhint("Run the statement again: it is planned afresh for the purpose valid now.")));
	}
	policy_audit_event("refused", valid, "plan made without the purpose now valid");
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("this statement was planned without the purpose the session now acts under"),
			 errdetail("Its rows would be read under DPIA \"%s\" with a plan made for no purpose.", valid),
			 errhint("Run the statement again: it is planned afresh for the purpose valid now.")));
}

void
policy_fold_init(void)
{
	prev_planner = planner_hook;
	planner_hook = fold_planner;
	CacheRegisterSyscacheCallback(PROCOID, gates_inval, (Datum) 0);
}
