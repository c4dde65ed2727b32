/*
 * explain.c
 *		Trained models kept in tables (train_model) and the explanation of a
 *		pair under one (match_explain): the prior, then, column by column,
 *		the comparison level, its m and u, its weight log2(m/u) and the
 *		running total, as Splink's waterfall chart shows it.
 *
 * The explanation leaves out term-frequency adjustment: it shows what the
 * model says of the values' agreement, whatever the values.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "link/link.h"

PG_FUNCTION_INFO_V1(link_match_explain);

static const char *const name_levels[] = {
	"missing", "equal", "similar (0.92 or more)", "close (0.85 or more)",
	"alike (0.70 or more)", "different"};
static const char *const date_levels[] = {
	"missing", "equal", "day and month transposed", "one digit differs",
	"within a year, or same day and month", "different"};
static const char *const postcode_levels[] = {
	"missing", "same unit (or equal)", "same sector (or one edit)", "same district",
	"different"};
static const char *const text_levels[] = {
	"missing", "equal", "Jaro-Winkler 0.92 or more", "Jaro-Winkler 0.80 or more",
	"different"};
static const char *const exact_levels[] = {"missing", "equal", "different"};
static const char *const identifier_levels[] = {"missing", "equal", "keying slips (one per ten characters)", "different"};
static const char *const moved_levels[] = {"missing", "moved (one address ended as the other began)", "no move between them"};

const char *
link_level_name(LinkKind kind, int level)
{
	switch (kind)
	{
		case LK_GIVEN_NAME:
		case LK_SURNAME:
		case LK_FULL_NAME:
			return name_levels[level];
		case LK_DATE:
			return date_levels[level];
		case LK_POSTCODE:
			return postcode_levels[level];
		case LK_TEXT:
			return text_levels[level];
		case LK_EXACT:
			return exact_levels[level];
		case LK_IDENTIFIER:
		case LK_NUMBER:
			return identifier_levels[level];
		case LK_MOVED_IN:
			return moved_levels[level];
		case LK_MOVED_OUT:
			return "compared with moved_in";
		case LK_MIN_AGE:
			return "not compared (a guard of clustering)";
	}
	return "?";
}

/* Why a column both records have is not counted. */
static const char *
not_counted(LinkKind kind)
{
	switch (kind)
	{
		case LK_FULL_NAME:
			return "not counted (given name and surname are)";
		case LK_POSTCODE:
			return "not counted (the move explains it)";
		case LK_DATE:
			return "not counted (digits that make no date, not a digit or a swap from the other's)";
		case LK_MOVED_IN:
			return "missing (no address of theirs ended)";
		case LK_MOVED_OUT:
		case LK_MIN_AGE:
			return link_level_name(kind, 0);
		default:
			return "not counted";
	}
}

/* A record from a JSON object of column -> value (text). */
static LinkRecord *
record_from_json(LinkModel *lm, Jsonb *obj, const char *which)
{
	LinkRecord *r = palloc0(offsetof(LinkRecord, v) + sizeof(LinkValue) * lm->ncolumns);

	if (!JB_ROOT_IS_OBJECT(obj))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("record %s must be a JSON object of column names and values", which)));
	r->id = pstrdup(which);
	r->present = LINK_ALL_PRESENT;
	for (int c = 0; c < lm->ncolumns; c++)
	{
		JsonbValue	key,
				   *v;
		char	   *text = NULL;

		key.type = jbvString;
		key.val.string.val = lm->columns[c].name;
		key.val.string.len = strlen(lm->columns[c].name);
		v = findJsonbValueFromContainer(&obj->root, JB_FOBJECT, &key);
		if (v != NULL && v->type == jbvString)
			text = pnstrdup(v->val.string.val, v->val.string.len);
		else if (v != NULL && v->type == jbvNumeric)
			text = DatumGetCString(DirectFunctionCall1(numeric_out,
													   NumericGetDatum(v->val.numeric)));
		link_prepare_value(lm, c, text, LINK_V(r, c));
	}
	return r;
}

Datum
link_match_explain(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	text	   *model;
	Jsonb	   *ja,
			   *jb;
	LinkModel  *lm;
	LinkRecord *ra,
			   *rb;
	uint8		level[LINK_MAX_COLUMNS];
	double		total;
	MemoryContext caller = CurrentMemoryContext;

	/* STRICT in SQL; checked here too, for a declaration that is not */
	for (int i = 0; i < 3; i++)
		if (PG_ARGISNULL(i))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("match_explain: %s must not be NULL",
							i == 0 ? "model_name" : i == 1 ? "a" : "b")));
	model = PG_GETARG_TEXT_PP(0);
	ja = PG_GETARG_JSONB_P(1);
	jb = PG_GETARG_JSONB_P(2);
	lm = palloc0(sizeof(LinkModel));
	InitMaterializedSRF(fcinfo, 0);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "match_explain: SPI_connect failed");
	if (!link_load_model(text_to_cstring(model), lm, caller))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("no model named \"%s\"", text_to_cstring(model)),
				 errhint("Train one with brent_mdm.train_model().")));

	{
		MemoryContext old = MemoryContextSwitchTo(caller);

		ra = record_from_json(lm, ja, "a");
		rb = record_from_json(lm, jb, "b");
		MemoryContextSwitchTo(old);
	}
	link_compare(lm, ra, rb, level);

	/* the term frequency of a's value where the two agree exactly */
	for (int c = 0; c < lm->ncolumns; c++)
	{
		Oid			types[3] = {TEXTOID, TEXTOID, INT8OID};
		Datum		targs[3];

		if (!lm->columns[c].tf || level[c] != 1 || LINK_V(ra, c)->s == NULL)
			continue;
		targs[0] = PointerGetDatum(model);
		targs[1] = CStringGetTextDatum(lm->columns[c].name);
		targs[2] = Int64GetDatum((int64) LINK_V(ra, c)->hash);
		if (SPI_execute_with_args("SELECT frequency FROM brent_mdm.link_model_tf"
								  " WHERE model_name = $1 AND column_name = $2 AND value_hash = $3",
								  3, types, targs, NULL, true, 1) != SPI_OK_SELECT)
			elog(ERROR, "match_explain: could not read brent_mdm.link_model_tf");
		if (SPI_processed == 1)
		{
			bool		isnull;

			LINK_V(ra, c)->tf_count = link_tf_count(lm, c, DatumGetFloat8(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)));
		}
		else
			LINK_V(ra, c)->tf_count = 1;	/* seen once: rare */
	}
	SPI_finish();

	total = link_prior_weight(lm);
	{
		Datum		values[13];
		bool		nulls[13] = {false, true, true, true, true, true, true, true, true, false, false, false, true};

		values[0] = Int32GetDatum(0);
		values[9] = Float8GetDatum(total);
		values[10] = Float8GetDatum(total);
		values[11] = Float8GetDatum(link_probability(total));
		nulls[1] = false;
		values[1] = CStringGetTextDatum("(prior: two random records match)");
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	for (int c = 0; c < lm->ncolumns; c++)
	{
		LinkColumn *col = &lm->columns[c];
		int			l = level[c];
		double		a_tf = link_value_tf(lm, c, LINK_V(ra, c));
		bool		tf = l == 1 && col->tf && a_tf > 0;
		double		u = l == 0 ? 0 : tf ? Max(a_tf, 1.0 / col->npresent) : col->u[l];
		double		w = (l == 0) ? 0.0 : log2(col->m[l] / u);
		Datum		values[13];
		bool		nulls[13] = {false};

		total += w;
		values[0] = Int32GetDatum(c + 1);
		values[1] = CStringGetTextDatum(col->name);
		values[2] = CStringGetTextDatum(link_kind_name(col->kind));
		nulls[3] = LINK_V(ra, c)->s == NULL;
		if (!nulls[3])
			values[3] = CStringGetTextDatum(LINK_V(ra, c)->s);
		nulls[4] = LINK_V(rb, c)->s == NULL;
		if (!nulls[4])
			values[4] = CStringGetTextDatum(LINK_V(rb, c)->s);
		values[5] = Int32GetDatum(l);
		values[6] = CStringGetTextDatum(l == 0 && !nulls[3] && !nulls[4] ?
										(col->implied_by >= 0 && strcmp(LINK_V(ra, c)->s, LINK_V(rb, c)->s) == 0 ?
										 psprintf("equal (counted with %s)", lm->columns[col->implied_by].name) :
										 col->kind == LK_DATE && strcmp(LINK_V(ra, c)->s, LINK_V(rb, c)->s) == 0 ?
										 "not counted (the same digits, which make no date)" :
										 not_counted(col->kind)) :
										link_level_name(col->kind, l));
		nulls[7] = nulls[8] = (l == 0);
		values[7] = Float8GetDatum(col->m[l]);
		values[8] = Float8GetDatum(u);
		values[9] = Float8GetDatum(w);
		nulls[12] = !tf;
		values[12] = Float8GetDatum(a_tf);
		values[10] = Float8GetDatum(total);
		values[11] = Float8GetDatum(link_probability(total));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
