/*
 * mask.c
 *		Masking of columns outside a DPIA's scope: generalisation of a date to
 *		its year, and pseudonyms (a keyed hash, stable per DPIA).
 *
 * The redaction and the choice of treatment per DPIA are in the masking view
 * that protect() generates (src/policy/policy.sql); the postcode sector is
 * brent_mdm.postcode_sector (src/match/ukid.c).
 */
#include "postgres.h"

#include "common/cryptohash.h"
#include "common/hmac.h"
#include "common/sha2.h"
#include "fmgr.h"
#include "utils/memutils.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"

#include "policy.h"

/* A date to the first of January of its year (infinities unchanged). */
PG_FUNCTION_INFO_V1(policy_mask_year);
Datum
policy_mask_year(PG_FUNCTION_ARGS)
{
	DateADT		d = PG_GETARG_DATEADT(0);
	int			y,
				m,
				day;

	if (DATE_NOT_FINITE(d))
		PG_RETURN_DATEADT(d);
	j2date(d + POSTGRES_EPOCH_JDATE, &y, &m, &day);
	PG_RETURN_DATEADT(date2j(y, 1, 1) - POSTGRES_EPOCH_JDATE);
}

typedef struct PseudonymCall
{
	bool		from_row;		/* approved by its executor's start (pseudo.c) */
	Oid			last_table;		/* tableoid last found protected */
} PseudonymCall;

/*
 * brent_mdm.pseudonym(value text, source oid): HMAC-SHA256 of the value under
 * the active DPIA's key, as 16 hex digits (64 bits): the same value gives the
 * same pseudonym under one DPIA, and different pseudonyms under two DPIAs, so
 * pseudonymised extracts of two purposes cannot be joined.  The masking views
 * call it as pseudonym(column, tableoid); any other call (a value of the
 * caller's choosing: see pseudo.c), a row of a table that is not protected,
 * or no valid purpose gives NULL.  Never raises.
 */
PG_FUNCTION_INFO_V1(policy_pseudonym);
Datum
policy_pseudonym(PG_FUNCTION_ARGS)
{
	text	   *value = PG_GETARG_TEXT_PP(0);
	Oid			source = PG_GETARG_OID(1);
	PseudonymCall *call = (PseudonymCall *) fcinfo->flinfo->fn_extra;
	pg_hmac_ctx *ctx;
	uint8		mac[PG_SHA256_DIGEST_LENGTH];
	char		hex[17];
	bool		ok;

	if (call == NULL)
	{
		call = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(PseudonymCall));
		call->from_row = policy_pseudonym_call_approved(fcinfo->flinfo->fn_expr);
		fcinfo->flinfo->fn_extra = call;
	}
	if (!call->from_row)
		PG_RETURN_NULL();
	if (source != call->last_table)
	{
		if (!policy_relation_is_protected(source))
			PG_RETURN_NULL();
		call->last_table = source;
	}
	if (policy_valid_dpia() == NULL || policy_purpose.keylen == 0)
		PG_RETURN_NULL();
	ctx = pg_hmac_create(PG_SHA256);
	if (ctx == NULL)
		PG_RETURN_NULL();
	ok = pg_hmac_init(ctx, policy_purpose.key, policy_purpose.keylen) == 0 &&
		pg_hmac_update(ctx, (const uint8 *) VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value)) == 0 &&
		pg_hmac_final(ctx, mac, sizeof(mac)) == 0;
	pg_hmac_free(ctx);
	if (!ok)
		PG_RETURN_NULL();
	for (int i = 0; i < 8; i++)
	{
		hex[2 * i] = "0123456789abcdef"[mac[i] >> 4];
		hex[2 * i + 1] = "0123456789abcdef"[mac[i] & 15];
	}
	hex[16] = '\0';
	PG_RETURN_TEXT_P(cstring_to_text(hex));
}
