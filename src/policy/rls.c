/*
 * rls.c
 *		The set of protected tables, cached per backend.
 *
 * brent_mdm.protected_table lists every protected table and every child of
 * one (with its parent).  The executor hooks (audit.c) ask, for each
 * relation a plan reads or writes, whether it is protected and under which
 * name to audit it (a child is audited under its parent's name).  The cache
 * is dropped by the relcache callback (dpia.c) when protected_table changes
 * (its statement trigger), when any relation is created or dropped while the
 * extension is absent, or on a full reset; reloading costs two syscache
 * lookups and a scan of a small table.
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "catalog/pg_class.h"
#include "utils/catcache.h"

#include "brent_mdm.h"
#include "policy.h"

typedef struct ProtectedRel
{
	Oid			relid;
	Oid			parent;			/* itself for a top-level protected table */
	char	   *name;			/* schema-qualified name of the parent */
	bool		has_client;		/* protected with a client-id column (on the parent) */
	Oid			masked_view;	/* the parent's masking view (InvalidOid: none) */
	Oid			view_owner;		/* its owner */
	bool		rls_on;			/* row level security enabled and forced on it */
	bool		closed;			/* Client Index whose view owner has members */
} ProtectedRel;

static bool prot_loaded = false;
static Oid	prot_table_relid = InvalidOid;
static ProtectedRel *prot = NULL;
static int	nprot = 0;
static MemoryContext prot_cxt = NULL;


void
policy_rls_invalidate(Oid relid)
{
	if (relid == InvalidOid || !OidIsValid(prot_table_relid) || relid == prot_table_relid)
		prot_loaded = false;
	else if (prot_loaded)
	{
		/* a rename of a protected table changes its audited name */
		for (int i = 0; i < nprot; i++)
			if (prot[i].relid == relid)
				prot_loaded = false;
	}
}

static int
prot_cmp(const void *a, const void *b)
{
	Oid			x = ((const ProtectedRel *) a)->relid;
	Oid			y = ((const ProtectedRel *) b)->relid;

	return x < y ? -1 : x > y ? 1 : 0;
}

/*
 * The owner of the Client Index's masking views (brent_mdm_index_reader) holds
 * SELECT on its tables: a member of it would read them directly, in clear, under
 * any purpose it has.  protect() refuses to run while it has members; this is
 * the same check at every statement (cached, dropped when memberships change),
 * for a member added later.
 */
static bool
index_owner_has_members(Oid parent, Oid view_owner)
{
	Oid			nsp = get_rel_namespace(parent);
	char	   *nspname = OidIsValid(nsp) ? get_namespace_name(nsp) : NULL;
	CatCList   *members;
	bool		has;

	if (nspname == NULL || strcmp(nspname, "brent_mdm") != 0 || !OidIsValid(view_owner))
		return false;
	members = SearchSysCacheList1(AUTHMEMROLEMEM, ObjectIdGetDatum(view_owner));
	has = members->n_members > 0;
	ReleaseSysCacheList(members);
	return has;
}

static void
prot_load(void)
{
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tup;
	Snapshot	snap;
	TupleDesc	desc;
	AttrNumber	a_parent;
	AttrNumber	a_client;
	AttrNumber	a_view;
	int			cap = 16;

	policy_register_callbacks();
	/* callers up the stack may hold entries of the old list (cache_retire) */
	cache_retire(prot_cxt);
	prot_cxt = AllocSetContextCreate(TopMemoryContext, "brent_mdm protected tables",
									 ALLOCSET_SMALL_SIZES);
	prot = NULL;
	nprot = 0;
	prot_loaded = true;
	prot_table_relid = policy_registry_relid("protected_table");
	if (!OidIsValid(prot_table_relid))
		return;

	prot = MemoryContextAlloc(prot_cxt, sizeof(ProtectedRel) * cap);
	rel = table_open(prot_table_relid, AccessShareLock);
	desc = RelationGetDescr(rel);
	a_parent = get_attnum(prot_table_relid, "parent_table");
	a_client = get_attnum(prot_table_relid, "client_id_column");
	a_view = get_attnum(prot_table_relid, "masked_view");
	snap = RegisterSnapshot(GetLatestSnapshot());
	scan = table_beginscan(rel, snap, 0, NULL);
	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		bool		isnull;
		Datum		d = heap_getattr(tup, 1, desc, &isnull);
		Oid			relid,
					parent;
		char	   *relname,
				   *nspname;

		if (isnull)
			continue;
		relid = DatumGetObjectId(d);
		d = heap_getattr(tup, a_parent, desc, &isnull);
		parent = isnull ? relid : DatumGetObjectId(d);
		relname = get_rel_name(parent);
		nspname = relname ? get_namespace_name(get_rel_namespace(parent)) : NULL;
		if (nprot == cap)
		{
			cap *= 2;
			prot = repalloc(prot, sizeof(ProtectedRel) * cap);
		}
		prot[nprot].relid = relid;
		prot[nprot].parent = parent;
		prot[nprot].has_client = false;
		prot[nprot].masked_view = InvalidOid;
		prot[nprot].view_owner = InvalidOid;
		prot[nprot].rls_on = false;
		prot[nprot].closed = false;
		{
			HeapTuple	rt = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));

			if (HeapTupleIsValid(rt))
			{
				Form_pg_class rc = (Form_pg_class) GETSTRUCT(rt);

				prot[nprot].rls_on = rc->relrowsecurity && rc->relforcerowsecurity;
				ReleaseSysCache(rt);
			}
		}
		if (a_view != InvalidAttrNumber)
		{
			d = heap_getattr(tup, a_view, desc, &isnull);
			if (!isnull)
			{
				HeapTuple	vt = SearchSysCache1(RELOID, d);

				if (HeapTupleIsValid(vt))
				{
					prot[nprot].masked_view = DatumGetObjectId(d);
					prot[nprot].view_owner = ((Form_pg_class) GETSTRUCT(vt))->relowner;
					ReleaseSysCache(vt);
					prot[nprot].closed = index_owner_has_members(parent, prot[nprot].view_owner);
				}
			}
		}
		if (a_client != InvalidAttrNumber)
		{
			(void) heap_getattr(tup, a_client, desc, &isnull);
			prot[nprot].has_client = !isnull;
		}
		prot[nprot].name = MemoryContextStrdup(prot_cxt, relname && nspname ?
											   quote_qualified_identifier(nspname, relname) :
											   "?");
		nprot++;
	}
	table_endscan(scan);
	UnregisterSnapshot(snap);
	table_close(rel, AccessShareLock);
	qsort(prot, nprot, sizeof(ProtectedRel), prot_cmp);
	/* children: their parent's client-id column */
	for (int i = 0; i < nprot; i++)
		if (prot[i].parent != prot[i].relid)
		{
			ProtectedRel key = {.relid = prot[i].parent};
			ProtectedRel *p;

			p = bsearch(&key, prot, nprot, sizeof(ProtectedRel), prot_cmp);
			prot[i].has_client = p && p->has_client;
			prot[i].masked_view = p ? p->masked_view : InvalidOid;
			prot[i].view_owner = p ? p->view_owner : InvalidOid;
			prot[i].closed = p && p->closed;
		}
}

/* True when some table of this database is protected (loads the cache). */
bool
policy_any_protected(void)
{
	if (!prot_loaded && IsTransactionState())
		prot_load();
	return nprot > 0;
}

static ProtectedRel *
prot_find(Oid relid)
{
	ProtectedRel key = {.relid = relid};

	if (!policy_any_protected())
		return NULL;
	return bsearch(&key, prot, nprot, sizeof(ProtectedRel), prot_cmp);
}

bool
policy_relation_is_protected(Oid relid)
{
	return prot_find(relid) != NULL;
}

/* The name a protected relation is audited under (its top parent's). */
const char *
policy_protected_name(Oid relid, Oid *parent)
{
	ProtectedRel *p = prot_find(relid);

	if (p == NULL)
		return NULL;
	if (parent)
		*parent = p->parent;
	return p->name;
}

/* Whether a protected table (or its parent) was protected with a client-id column. */
bool
policy_protected_has_client(Oid relid)
{
	ProtectedRel *p = prot_find(relid);

	return p != NULL && p->has_client;
}

/*
 * Whose rights read a protected relation in a plan: a protected table is
 * read with the rights of the session's own role (its own grants), or of
 * the table's owner through the table's masking view.  Any other role's
 * rights (a view or a SECURITY DEFINER function of a loader holding SELECT
 * on the table, made for someone else) would show the rows unmasked to a
 * session acting under a purpose: refused.  Returns the role whose rights
 * were used when refused, else InvalidOid.
 */
Oid
policy_foreign_reader(PlannedStmt *ps, RangeTblEntry *rte, Oid session_user)
{
	ProtectedRel *p = prot_find(rte->relid);
	Oid			reader = OidIsValid(rte->checkAsUser) ? rte->checkAsUser : GetUserId();
	ListCell   *lc;

	if (p == NULL || reader == session_user)
		return InvalidOid;
	if (OidIsValid(p->masked_view) && reader == p->view_owner)
		foreach(lc, ps->rtable)
		{
			RangeTblEntry *v = lfirst_node(RangeTblEntry, lc);

			if (v->rtekind == RTE_RELATION && v->relid == p->masked_view)
				return InvalidOid;
		}
	return reader;
}

/*
 * Why a protected relation cannot be read by a non-superuser now, or NULL:
 * its row level security is off (a DBA's ALTER TABLE, a restore), or it is
 * part of the Client Index and its masking views' owner has members.
 * Either way every row would be readable by whoever holds a grant.
 */
const char *
policy_protection_broken(Oid relid)
{
	ProtectedRel *p = prot_find(relid);

	if (p == NULL)
		return NULL;
	if (!p->rls_on)
		return "row level security is not enabled and forced on it";
	if (p->closed)
		return "the owner of its masking views, brent_mdm_index_reader, has members";
	return NULL;
}
