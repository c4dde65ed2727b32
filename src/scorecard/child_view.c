/*
 * child_view.c
 *		What brent_mdm.child_view (src/scorecard/child_view.sql) needs of the
 *		policy layer that its caller may not read or do himself:
 *
 *		purpose_scope()      the tables, masking views and column treatments of
 *		                     the DPIA the session acts under (the registry is
 *		                     readable by nobody but its owner); nothing without
 *		                     a valid purpose, and never another DPIA's
 *		child_view_audit()   the audit record of one view of a child, naming the
 *		                     child's client ids (so that it appears in the
 *		                     child's subject access report)
 *
 *		Neither takes text from its caller: the scope query is fixed and
 *		bound to the DPIA the policy layer says is valid; the audit record's
 *		detail is built here from integers and a date.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/guc.h"
#include "utils/tuplestore.h"

#include "policy/policy.h"

static SPIPlanPtr scope_plan = NULL;

PG_FUNCTION_INFO_V1(scorecard_purpose_scope);
Datum
scorecard_purpose_scope(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const char *dpia;
	char		dpia_copy[POLICY_DPIA_LEN];
	AsOwner		s;
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];
	static const char *const sql =
		"SELECT s.table_name, p.masked_view, s.access,"
		"       coalesce((SELECT pg_catalog.jsonb_object_agg(c.column_name, c.treatment)"
		"                   FROM brent_mdm.dpia_column_scope c"
		"                  WHERE c.dpia_id OPERATOR(pg_catalog.=) s.dpia_id"
		"                    AND c.table_name OPERATOR(pg_catalog.=) s.table_name), '{}'::pg_catalog.jsonb)"
		"  FROM brent_mdm.dpia_table_scope s"
		"  JOIN brent_mdm.protected_table p ON p.table_name OPERATOR(pg_catalog.=) s.table_name"
		" WHERE s.dpia_id OPERATOR(pg_catalog.=) $1"
		" ORDER BY s.table_name::pg_catalog.text";

	InitMaterializedSRF(fcinfo, 0);
	dpia = policy_valid_dpia();
	if (dpia == NULL)
		PG_RETURN_NULL();
	strlcpy(dpia_copy, dpia, sizeof(dpia_copy));
	args[0] = CStringGetTextDatum(dpia_copy);

	as_owner_begin(&s);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "brent_mdm: SPI_connect failed");
	/* prepared once per session (as the owner, search_path pinned), kept */
	if (scope_plan == NULL)
	{
		SPIPlanPtr	plan = SPI_prepare(sql, 1, argtypes);

		if (plan == NULL || SPI_keepplan(plan) != 0)
			elog(ERROR, "brent_mdm: could not prepare the scope query");
		scope_plan = plan;
	}
	if (SPI_execute_plan(scope_plan, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "brent_mdm: could not read the scope of DPIA \"%s\"", dpia_copy);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		Datum		values[4];
		bool		nulls[4];

		CHECK_FOR_INTERRUPTS();
		for (int c = 0; c < 4; c++)
			values[c] = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, c + 1, &nulls[c]);
		/* by value (oids) or copied into the SRF's memory by tuplestore_putvalues */
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	SPI_finish();
	as_owner_end(&s);
	PG_RETURN_NULL();
}

PG_FUNCTION_INFO_V1(scorecard_child_view_audit);
Datum
scorecard_child_view_audit(PG_FUNCTION_ARGS)
{
	const char *dpia;
	int64		ids[2];
	int			n = 0;
	char		detail[128];
	int64		client_id;
	int64		requested;
	DateADT		as_of;

	/* STRICT */
	client_id = PG_GETARG_INT64(0);
	requested = PG_GETARG_INT64(1);
	as_of = PG_GETARG_DATEADT(2);
	dpia = policy_valid_dpia();
	if (dpia == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("a child's view is recorded only under a valid purpose"),
				 errhint("SELECT brent_mdm.begin_purpose('<dpia>') first.")));
	if (!policy_preloaded)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("brent_mdm is not preloaded: a child's view cannot be audited"),
				 errhint("Add brent_mdm to shared_preload_libraries and restart.")));
	ids[n++] = client_id;
	if (requested != client_id)
		ids[n++] = requested;
	if (requested != client_id)
		snprintf(detail, sizeof(detail), "child_view of client %lld (asked for %lld, merged into it) as of %s",
				 (long long) client_id, (long long) requested,
				 DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(as_of))));
	else
		snprintf(detail, sizeof(detail), "child_view of client %lld as of %s", (long long) client_id,
				 DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(as_of))));
	policy_audit_event_clients("child_view", dpia, detail, ids, n, n);
	PG_RETURN_VOID();
}
