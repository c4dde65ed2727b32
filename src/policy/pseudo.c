/*
 * pseudo.c
 *		Which calls of pseudonym() may pseudonymise: those that take a column
 *		and the tableoid of one row of a table, as a masking view's do.
 *
 * pseudonym() must be executable by analysts (functions in a view run with
 * the caller's privileges), yet nobody may have a pseudonym computed for a
 * value of their choosing (and reverse pseudonyms by trying every NHS
 * number).  So when an executor starts, every call of pseudonym(value,
 * source) in its plan is traced down the plan: through the target lists of
 * the nodes below (a Result, Sort, Gather, SubqueryScan, each child of an
 * Append) to the scan that produced each argument.  A call is approved when
 * value is a column and source the tableoid of the same relation in the
 * same scan (the same row); the function then also checks, row by row, that
 * the tableoid is a protected table's.  Any other call (a constant, a
 * parameter, a VALUES list, a view's output, a join of two rows, a column of
 * another type held in an oid column) is not approved and gives NULL.
 * Approvals live from ExecutorStart to ExecutorEnd (or the end of the
 * (sub)transaction that started the executor) and are matched by the
 * FuncExpr's address, which the executor keeps in the function's FmgrInfo.
 */
#include "postgres.h"

#include "access/parallel.h"
#include "access/sysattr.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "executor/executor.h"
#include "nodes/nodeFuncs.h"
#include "nodes/plannodes.h"
#include "parser/parsetree.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/syscache.h"

#include "policy.h"

typedef struct Approval
{
	QueryDesc  *qd;
	SubTransactionId subxact;
	int			ncalls;
	const Node *calls[FLEXIBLE_ARRAY_MEMBER];
} Approval;

static List *approvals = NIL;	/* of Approval *, in TopMemoryContext */
static Oid	pseudonym_oid = InvalidOid;
static bool hooks_installed = false;
static ExecutorStart_hook_type prev_ExecutorStart = NULL;
static ExecutorEnd_hook_type prev_ExecutorEnd = NULL;

#define MAX_DEPTH 100

/*
 * pseudonym()'s oid, looked up once and forgotten when pg_proc changes (a
 * syscache callback), with its PROCOID hash: a plan that calls it lists that
 * hash among its invalidation items (the planner records every call of a
 * function that is not pinned), so the plans of other statements are never
 * walked.  A plan that called it without listing it would only have its calls
 * refused (NULL), never approved.
 */
static bool pseudonym_known = false;
static uint32 pseudonym_hash = 0;

static void
pseudonym_inval(Datum arg, int cacheid, uint32 hashvalue)
{
	pseudonym_known = false;
}

static Oid
lookup_pseudonym(void)
{
	Oid			argtypes[2] = {TEXTOID, OIDOID};

	if (pseudonym_known)
		return pseudonym_oid;
	pseudonym_oid = policy_function_oid("pseudonym", argtypes, 2, &pseudonym_hash);
	pseudonym_known = true;
	return pseudonym_oid;
}

/* Whether a plan may call pseudonym() (see above). */
static bool
plan_calls_pseudonym(PlannedStmt *ps)
{
	ListCell   *lc;

	if (!OidIsValid(lookup_pseudonym()))
		return false;
	foreach(lc, ps->invalItems)
	{
		PlanInvalItem *item = lfirst_node(PlanInvalItem, lc);

		if (item->cacheId == PROCOID && item->hashValue == pseudonym_hash)
			return true;
	}
	return false;
}

static Node *
strip_relabel(Node *n)
{
	while (n && IsA(n, RelabelType))
		n = (Node *) ((RelabelType *) n)->arg;
	return n;
}

/* the expressions of a child's target list at two positions, as Vars */
static bool
child_vars(Plan *child, AttrNumber a, AttrNumber b, Var **va, Var **vb)
{
	TargetEntry *ta,
			   *tb;

	if (child == NULL || a <= 0 || b <= 0 ||
		a > list_length(child->targetlist) || b > list_length(child->targetlist))
		return false;
	ta = list_nth_node(TargetEntry, child->targetlist, a - 1);
	tb = list_nth_node(TargetEntry, child->targetlist, b - 1);
	*va = (Var *) strip_relabel((Node *) ta->expr);
	*vb = (Var *) tb->expr;
	return *va && IsA(*va, Var) && *vb && IsA(*vb, Var);
}

static bool resolve_pair(PlannedStmt *ps, Plan *plan, Var *value, Var *source, int depth);

static bool
resolve_in_children(PlannedStmt *ps, List *children, Var *value, Var *source, int depth)
{
	ListCell   *lc;

	if (children == NIL)
		return false;
	foreach(lc, children)
	{
		Var		   *va,
				   *vb;
		Plan	   *child = (Plan *) lfirst(lc);

		if (!child_vars(child, value->varattno, source->varattno, &va, &vb) ||
			!resolve_pair(ps, child, va, vb, depth + 1))
			return false;
	}
	return true;
}

/*
 * Whether value and source, as a node of the plan reads them, come from one
 * row of one relation: value a column, source its tableoid.
 */
static bool
resolve_pair(PlannedStmt *ps, Plan *plan, Var *value, Var *source, int depth)
{
	CHECK_FOR_INTERRUPTS();
	if (plan == NULL || depth > MAX_DEPTH || value->varlevelsup != 0 || source->varlevelsup != 0 ||
		value->varno != source->varno)
		return false;
	if (!IS_SPECIAL_VARNO(value->varno))
	{
		RangeTblEntry *rte;

		if ((int) value->varno > list_length(ps->rtable))
			return false;
		/* a subquery's output: its own plan's target list */
		if (IsA(plan, SubqueryScan) && ((Scan *) plan)->scanrelid == (Index) value->varno)
		{
			Var		   *va,
					   *vb;
			Plan	   *sub = ((SubqueryScan *) plan)->subplan;

			return child_vars(sub, value->varattno, source->varattno, &va, &vb) &&
				resolve_pair(ps, sub, va, vb, depth + 1);
		}
		rte = rt_fetch(value->varno, ps->rtable);
		return rte->rtekind == RTE_RELATION && value->varattno > 0 &&
			source->varattno == TableOidAttributeNumber;
	}
	if (value->varno == OUTER_VAR)
	{
		Var		   *va,
				   *vb;

		if (IsA(plan, Append))
			return resolve_in_children(ps, ((Append *) plan)->appendplans, value, source, depth);
		if (IsA(plan, MergeAppend))
			return resolve_in_children(ps, ((MergeAppend *) plan)->mergeplans, value, source, depth);
		return child_vars(outerPlan(plan), value->varattno, source->varattno, &va, &vb) &&
			resolve_pair(ps, outerPlan(plan), va, vb, depth + 1);
	}
	if (value->varno == INNER_VAR)
	{
		Var		   *va,
					   *vb;

		return child_vars(innerPlan(plan), value->varattno, source->varattno, &va, &vb) &&
			resolve_pair(ps, innerPlan(plan), va, vb, depth + 1);
	}
	return false;				/* INDEX_VAR, ROWID_VAR */
}

typedef struct WalkState
{
	PlannedStmt *ps;
	Plan	   *plan;
	Oid			funcid;
	List	   *approved;		/* of FuncExpr * */
} WalkState;

static bool
expr_walker(Node *node, WalkState *w)
{
	if (node == NULL)
		return false;
	if (IsA(node, FuncExpr) && ((FuncExpr *) node)->funcid == w->funcid &&
		list_length(((FuncExpr *) node)->args) == 2)
	{
		Node	   *value = strip_relabel(linitial(((FuncExpr *) node)->args));
		Node	   *source = lsecond(((FuncExpr *) node)->args);

		if (value && IsA(value, Var) && source && IsA(source, Var) &&
			resolve_pair(w->ps, w->plan, (Var *) value, (Var *) source, 0))
			w->approved = lappend(w->approved, node);
	}
	return expression_tree_walker(node, expr_walker, (void *) w);
}

static void
plan_walker(Plan *plan, WalkState *w, int depth)
{
	ListCell   *lc;
	List	   *children = NIL;

	if (plan == NULL || depth > 10000)
		return;
	CHECK_FOR_INTERRUPTS();
	w->plan = plan;
	(void) expr_walker((Node *) plan->targetlist, w);
	(void) expr_walker((Node *) plan->qual, w);
	switch (nodeTag(plan))
	{
		case T_Result:
			(void) expr_walker(((Result *) plan)->resconstantqual, w);
			break;
		case T_IndexScan:
			(void) expr_walker((Node *) ((IndexScan *) plan)->indexqualorig, w);
			break;
		case T_BitmapHeapScan:
			(void) expr_walker((Node *) ((BitmapHeapScan *) plan)->bitmapqualorig, w);
			break;
		case T_NestLoop:
			(void) expr_walker((Node *) ((Join *) plan)->joinqual, w);
			break;
		case T_MergeJoin:
			(void) expr_walker((Node *) ((Join *) plan)->joinqual, w);
			(void) expr_walker((Node *) ((MergeJoin *) plan)->mergeclauses, w);
			break;
		case T_HashJoin:
			(void) expr_walker((Node *) ((Join *) plan)->joinqual, w);
			(void) expr_walker((Node *) ((HashJoin *) plan)->hashclauses, w);
			(void) expr_walker((Node *) ((HashJoin *) plan)->hashkeys, w);
			break;
		case T_Hash:
			(void) expr_walker((Node *) ((Hash *) plan)->hashkeys, w);
			break;
		case T_SubqueryScan:
			children = list_make1(((SubqueryScan *) plan)->subplan);
			break;
		case T_Append:
			children = ((Append *) plan)->appendplans;
			break;
		case T_MergeAppend:
			children = ((MergeAppend *) plan)->mergeplans;
			break;
		case T_BitmapAnd:
			children = ((BitmapAnd *) plan)->bitmapplans;
			break;
		case T_BitmapOr:
			children = ((BitmapOr *) plan)->bitmapplans;
			break;
		case T_CustomScan:
			children = ((CustomScan *) plan)->custom_plans;
			break;
		default:
			break;
	}
	plan_walker(outerPlan(plan), w, depth + 1);
	plan_walker(innerPlan(plan), w, depth + 1);
	foreach(lc, children)
		plan_walker((Plan *) lfirst(lc), w, depth + 1);
}

static void
approvals_forget(QueryDesc *qd)
{
	ListCell   *lc;

	foreach(lc, approvals)
	{
		Approval   *a = (Approval *) lfirst(lc);

		if (a->qd == qd)
		{
			approvals = foreach_delete_current(approvals, lc);
			pfree(a);
		}
	}
}

static void
pseudo_ExecutorStart(QueryDesc *qd, int eflags)
{
	/* the purpose, for the parallel workers this executor may start */
	if (!IsParallelWorker() && policy_any_protected())
		policy_publish_purpose();
	if (prev_ExecutorStart)
		prev_ExecutorStart(qd, eflags);
	else
		standard_ExecutorStart(qd, eflags);
	if (!(eflags & EXEC_FLAG_EXPLAIN_ONLY) && !IsParallelWorker() && policy_any_protected())
	{
		WalkState	w = {.ps = qd->plannedstmt, .funcid = InvalidOid};
		ListCell   *lc;

		if (approvals != NIL)
			approvals_forget(qd);	/* an earlier executor at the same address */
		if (!plan_calls_pseudonym(qd->plannedstmt))
			return;
		w.funcid = pseudonym_oid;
		plan_walker(qd->plannedstmt->planTree, &w, 0);
		foreach(lc, qd->plannedstmt->subplans)
			plan_walker((Plan *) lfirst(lc), &w, 0);
		if (w.approved != NIL)
		{
			MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
			Approval   *a = palloc(offsetof(Approval, calls) +
								   sizeof(Node *) * list_length(w.approved));
			int			i = 0;

			a->qd = qd;
			a->subxact = GetCurrentSubTransactionId();
			foreach(lc, w.approved)
				a->calls[i++] = (const Node *) lfirst(lc);
			a->ncalls = i;
			approvals = lappend(approvals, a);
			MemoryContextSwitchTo(old);
		}
		list_free(w.approved);
	}
}

static void
pseudo_ExecutorEnd(QueryDesc *qd)
{
	if (approvals != NIL)
		approvals_forget(qd);
	if (prev_ExecutorEnd)
		prev_ExecutorEnd(qd);
	else
		standard_ExecutorEnd(qd);
}

static void
pseudo_xact_callback(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT ||
		event == XACT_EVENT_COMMIT || event == XACT_EVENT_PREPARE)
	{
		list_free_deep(approvals);
		approvals = NIL;
	}
}

static void
pseudo_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
						SubTransactionId parentSubid, void *arg)
{
	ListCell   *lc;

	if (event != SUBXACT_EVENT_ABORT_SUB)
		return;
	foreach(lc, approvals)
	{
		Approval   *a = (Approval *) lfirst(lc);

		if (a->subxact == mySubid)
		{
			approvals = foreach_delete_current(approvals, lc);
			pfree(a);
		}
	}
}

/* Whether this call of pseudonym() was approved by its executor's start. */
bool
policy_pseudonym_call_approved(const Node *fn_expr)
{
	ListCell   *lc;

	if (fn_expr == NULL)
		return false;
	foreach(lc, approvals)
	{
		Approval   *a = (Approval *) lfirst(lc);

		for (int i = 0; i < a->ncalls; i++)
			if (a->calls[i] == fn_expr)
				return true;
	}
	return false;
}

void
policy_pseudo_init(void)
{
	if (hooks_installed)
		return;
	hooks_installed = true;
	prev_ExecutorStart = ExecutorStart_hook;
	ExecutorStart_hook = pseudo_ExecutorStart;
	prev_ExecutorEnd = ExecutorEnd_hook;
	ExecutorEnd_hook = pseudo_ExecutorEnd;
	RegisterXactCallback(pseudo_xact_callback, NULL);
	RegisterSubXactCallback(pseudo_subxact_callback, NULL);
	CacheRegisterSyscacheCallback(PROCOID, pseudonym_inval, (Datum) 0);
}
