/*
 * client.c
 *		The Client Index in C: blocking keys computed at write time, real-time
 *		matching of a new or changed record against the indexed master (a
 *		BEFORE trigger on brent_mdm.client_record), and the batch clustering
 *		that build_client_index() maps onto stable client ids.
 *
 * Real-time matching scores candidates with the model the last build trained
 * (brent_mdm.client_setting.model_name), kept per backend and dropped when the
 * model or the settings change (relcache invalidation, as for the name
 * variant dictionary).  Candidates are the records sharing a blocking key
 * (GIN index on client_record.block_keys).
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/date.h"
#include "utils/regproc.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "brent_mdm.h"
#include "link/link.h"
#include "match/normalise.h"

PG_FUNCTION_INFO_V1(client_block_keys);
PG_FUNCTION_INFO_V1(client_record_match);
PG_FUNCTION_INFO_V1(client_index_clusters);
PG_FUNCTION_INFO_V1(client_index_bulk);
PG_FUNCTION_INFO_V1(client_index_in_bulk);
PG_FUNCTION_INFO_V1(client_index_matched);

/* The person columns of client_record the Client Index model compares. */
#define CLIENT_NCOLUMNS 10
static const char *const client_column_names[CLIENT_NCOLUMNS] = {
	"given_name", "family_name", "full_name", "date_of_birth", "postcode",
	"nhs_number", "ni_number", "upn", "address_from", "address_to"
};
static const char client_columns_json[] =
"{\"given_name\": \"given_name\", \"family_name\": \"surname\", \"full_name\": \"full_name\", "
"\"date_of_birth\": \"date\", \"postcode\": \"postcode\", \"nhs_number\": \"identifier\", "
"\"ni_number\": \"identifier\", \"upn\": \"identifier\", "
"\"address_from\": \"moved_in\", \"address_to\": \"moved_out\"}";

/* ---- bulk mode: real-time matching off until the transaction ends ---- */

static bool bulk = false;
static bool xact_callback_registered = false;

/*
 * The records the BEFORE trigger matched in this transaction and whose AFTER
 * trigger has not run yet: the AFTER trigger records history only for those,
 * so that rows arriving with their client already set (pg_restore's COPY) are
 * taken as they are.  A set, not the last record alone: in a multi-row INSERT
 * every BEFORE trigger runs before the first AFTER trigger.  It lives in
 * TopTransactionContext and is forgotten when the transaction ends.
 */
static HTAB *matched_records = NULL;

static void
client_xact_callback(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT ||
		event == XACT_EVENT_PREPARE || event == XACT_EVENT_PARALLEL_COMMIT ||
		event == XACT_EVENT_PARALLEL_ABORT)
	{
		bulk = false;
		matched_records = NULL; /* (freed with TopTransactionContext) */
	}
}

static void
client_register_xact_callback(void)
{
	if (!xact_callback_registered)
	{
		RegisterXactCallback(client_xact_callback, NULL);
		xact_callback_registered = true;
	}
}

static void
client_note_matched(int64 record_id)
{
	bool		found;

	if (matched_records == NULL)
	{
		HASHCTL		ctl;

		client_register_xact_callback();
		ctl.keysize = sizeof(int64);
		ctl.entrysize = sizeof(int64);
		ctl.hcxt = TopTransactionContext;
		matched_records = hash_create("brent_mdm matched client records", 64, &ctl,
									  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	(void) hash_search(matched_records, &record_id, HASH_ENTER, &found);
}

Datum
client_index_bulk(PG_FUNCTION_ARGS)
{
	bool		previous = bulk;

	client_register_xact_callback();
	bulk = PG_GETARG_BOOL(0);
	PG_RETURN_BOOL(previous);
}

Datum
client_index_in_bulk(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(bulk);
}

/* Whether the BEFORE trigger matched this record (each answered once: see above). */
Datum
client_index_matched(PG_FUNCTION_ARGS)
{
	int64		record_id = PG_GETARG_INT64(0);
	bool		found = false;

	if (matched_records != NULL)
		(void) hash_search(matched_records, &record_id, HASH_REMOVE, &found);
	PG_RETURN_BOOL(found);
}

/* ---- blocking keys ---- */

/* Sound of the first and of the last word of a name (either may be empty). */
static void
name_sounds(const char *raw, char *first, char *last)
{
	char	   *s;
	int			len,
				pos = 0;
	char		code[9];

	first[0] = last[0] = '\0';
	if (raw == NULL)
		return;
	s = normalise_name_cstring(raw, strlen(raw), &len);
	while (link_next_word_sound(s, len, &pos, 1, 6, code))
	{
		if (first[0] == '\0')
			strcpy(first, code);
		strcpy(last, code);
	}
	pfree(s);
}

/* An identifier as blocking text: upper case, letters and digits only. */
static char *
identifier_key(const char *prefix, const char *raw)
{
	StringInfoData buf;

	if (raw == NULL)
		return NULL;
	initStringInfo(&buf);
	appendStringInfoString(&buf, prefix);
	for (const char *p = raw; *p; p++)
		if (isalnum((unsigned char) *p))
			appendStringInfoChar(&buf, pg_ascii_toupper((unsigned char) *p));
	if (buf.len == (int) strlen(prefix))
	{
		pfree(buf.data);
		return NULL;
	}
	return buf.data;
}

/* A move's key: the day an address began or ended (YYYYMMDD), with a name's sound. */
static char *
move_key(DateADT day, const char *sound)
{
	int			y,
				m,
				d;

	j2date(day + POSTGRES_EPOCH_JDATE, &y, &m, &d);
	return psprintf("m:%04d%02d%02d:%s", y, m, d, sound);
}

typedef struct KeyList
{
	int			n;
	char	   *keys[24];
} KeyList;

static void
add_key(KeyList *kl, char *key)
{
	if (key == NULL || kl->n >= (int) lengthof(kl->keys))
		return;
	for (int i = 0; i < kl->n; i++)
		if (strcmp(kl->keys[i], key) == 0)
			return;
	kl->keys[kl->n++] = key;
}

/*
 * The keys: each identifier; and the sound of the given name and of the
 * surname, each with the date of birth, with the postcode, and both with the
 * year of birth; and the sound of the surname with the day the address
 * began, the day it ended and the day after (a move: one address ends as the
 * next begins).  A record with only a full name (council tax's "PATEL,
 * Ravi") gives keys for both orders of its first and last words.
 */
static void
block_keys(const char *given, const char *family, const char *full, const DateADT *dob,
		   const char *postcode, const char *nhs, const char *ni, const char *upn,
		   const DateADT *from, const DateADT *to, KeyList *kl)
{
	char		g[2][9],
				s[2][9],
				dummy[9],
				dobtxt[16] = "",
				pc[16] = "";
	int			norders = 1;
	Postcode	parsed;

	kl->n = 0;
	add_key(kl, identifier_key("n:", nhs));
	add_key(kl, identifier_key("i:", ni));
	add_key(kl, identifier_key("u:", upn));

	name_sounds(given, g[0], dummy);
	name_sounds(family, dummy, s[0]);
	if ((g[0][0] == '\0' || s[0][0] == '\0') && full != NULL)
	{
		char		first[9],
					last[9];

		name_sounds(full, first, last);
		if (g[0][0] == '\0' && s[0][0] == '\0')
		{
			strcpy(g[0], first);
			strcpy(s[0], last);
			strcpy(g[1], last);
			strcpy(s[1], first);
			norders = strcmp(first, last) == 0 ? 1 : 2;
		}
		else if (g[0][0] == '\0')
			strcpy(g[0], first);
		else
			strcpy(s[0], last);
	}
	if (dob != NULL)
	{
		int			y,
					m,
					d;

		j2date(*dob + POSTGRES_EPOCH_JDATE, &y, &m, &d);
		snprintf(dobtxt, sizeof(dobtxt), "%04d%02d%02d", y, m, d);
	}
	if (postcode != NULL && postcode_parse(postcode, strlen(postcode), &parsed))
		snprintf(pc, sizeof(pc), "%s%s", parsed.outward, parsed.inward);

	for (int o = 0; o < norders; o++)
	{
		if (dobtxt[0] && s[o][0])
			add_key(kl, psprintf("ds:%s:%s", dobtxt, s[o]));
		if (dobtxt[0] && g[o][0])
			add_key(kl, psprintf("dg:%s:%s", dobtxt, g[o]));
		if (pc[0] && s[o][0])
			add_key(kl, psprintf("ps:%s:%s", pc, s[o]));
		if (pc[0] && g[o][0])
			add_key(kl, psprintf("pg:%s:%s", pc, g[o]));
		if (dobtxt[0] && g[o][0] && s[o][0])
			add_key(kl, psprintf("y:%.4s:%s:%s", dobtxt, g[o], s[o]));
		if (s[o][0] && from != NULL)
			add_key(kl, move_key(*from, s[o]));
		if (s[o][0] && to != NULL)
		{
			add_key(kl, move_key(*to, s[o]));
			add_key(kl, move_key(*to + 1, s[o]));
		}
	}
}

static ArrayType *
keys_array(const KeyList *kl)
{
	Datum	   *d = palloc(sizeof(Datum) * Max(kl->n, 1));

	for (int i = 0; i < kl->n; i++)
		d[i] = CStringGetTextDatum(kl->keys[i]);
	return construct_array(d, kl->n, TEXTOID, -1, false, TYPALIGN_INT);
}

static char *
text_arg(FunctionCallInfo fcinfo, int i)
{
	return PG_ARGISNULL(i) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(i));
}

/* A date argument, or NULL if it is NULL or infinite. */
static DateADT *
date_arg(FunctionCallInfo fcinfo, int i, DateADT *buf)
{
	if (PG_ARGISNULL(i))
		return NULL;
	*buf = PG_GETARG_DATEADT(i);
	return DATE_NOT_FINITE(*buf) ? NULL : buf;
}

Datum
client_block_keys(PG_FUNCTION_ARGS)
{
	KeyList		kl;
	DateADT		dob,
				from,
				to;

	block_keys(text_arg(fcinfo, 0), text_arg(fcinfo, 1), text_arg(fcinfo, 2),
			   date_arg(fcinfo, 3, &dob), text_arg(fcinfo, 4), text_arg(fcinfo, 5),
			   text_arg(fcinfo, 6), text_arg(fcinfo, 7),
			   date_arg(fcinfo, 8, &from), date_arg(fcinfo, 9, &to), &kl);
	PG_RETURN_ARRAYTYPE_P(keys_array(&kl));
}

/* ---- the model and settings, cached per backend ---- */

typedef struct TfEntry
{
	uint64		key;			/* column << 32 | value hash */
	double		frequency;
} TfEntry;

typedef struct ClientCache
{
	bool		valid;
	bool		have_model;
	char		model_name[NAMEDATALEN * 2];
	double		link_threshold;
	double		review_threshold;
	int			max_candidates;
	LinkModel  *lm;
	int			attr[CLIENT_NCOLUMNS];	/* model column -> client_column_names index */
	int			ntf;
	TfEntry    *tf;
	SPIPlanPtr	candidates;		/* kept plans */
	SPIPlanPtr	new_client;
	SPIPlanPtr	decisions;
} ClientCache;

static ClientCache cache;
static MemoryContext cache_cxt = NULL;
static uint64 cache_invalidations = 0;	/* bumped by the callback */
static bool relcache_callback_registered = false;

/* the tables the cache is read from; their statement triggers invalidate it */
#define CACHE_NTABLES 4
static const char *const cache_table_names[CACHE_NTABLES] = {
	"client_setting", "link_model", "link_model_level", "link_model_tf"
};
static Oid	cache_tables[CACHE_NTABLES];

static void
client_cache_invalidate(Datum arg, Oid relid)
{
	bool		ours = relid == InvalidOid;

	for (int i = 0; i < CACHE_NTABLES && !ours; i++)
		ours = relid == cache_tables[i];
	/*
	 * Only marked stale: the model and term frequencies stay where they are
	 * for whoever is using them (an autovacuum ANALYZE of the model's tables
	 * sends this in the middle of a load or a match, at any lock a query
	 * takes); the next load retires them.
	 */
	if (ours)
	{
		cache.valid = false;
		cache_invalidations++;
	}
}

static int
tf_cmp(const void *x, const void *y)
{
	uint64		a = ((const TfEntry *) x)->key,
				b = ((const TfEntry *) y)->key;

	return a < b ? -1 : a > b ? 1 : 0;
}

static int
client_column_index(const char *name)
{
	for (int i = 0; i < CLIENT_NCOLUMNS; i++)
		if (strcmp(client_column_names[i], name) == 0)
			return i;
	return -1;
}

/* Loads settings and model (SPI connected). */
static void
client_cache_load(void)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];
	LinkModel  *lm;
	bool		isnull;
	uint64		at = cache_invalidations;

	if (cache.valid)
		return;
	if (!relcache_callback_registered)
	{
		CacheRegisterRelcacheCallback(client_cache_invalidate, (Datum) 0);
		relcache_callback_registered = true;
	}
	for (int i = 0; i < CACHE_NTABLES; i++)
		cache_tables[i] = get_relname_relid(cache_table_names[i],
											get_namespace_oid("brent_mdm", false));
	cache_retire(cache_cxt);
	cache_cxt = AllocSetContextCreate(TopMemoryContext, "brent_mdm client index cache",
									  ALLOCSET_DEFAULT_SIZES);
	cache.have_model = false;
	cache.lm = NULL;
	cache.tf = NULL;
	cache.ntf = 0;
	/* the kept plans survive: the plan cache revalidates them itself */

	if (SPI_execute("SELECT model_name, link_threshold, review_threshold, max_candidates"
					" FROM brent_mdm.client_settings", true, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "client index: could not read brent_mdm.client_settings");
	strlcpy(cache.model_name, SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1),
			sizeof(cache.model_name));
	cache.link_threshold = DatumGetFloat8(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	cache.review_threshold = DatumGetFloat8(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull));
	cache.max_candidates = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 4, &isnull));

	/* SPI calls leave CurrentMemoryContext in SPI's: allocate explicitly */
	lm = MemoryContextAllocZero(cache_cxt, sizeof(LinkModel));
	if (link_load_model(cache.model_name, lm, cache_cxt))
	{
		for (int c = 0; c < lm->ncolumns; c++)
		{
			cache.attr[c] = client_column_index(lm->columns[c].name);
			if (cache.attr[c] < 0)
				ereport(ERROR,
						(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						 errmsg("model \"%s\" does not compare client_record's columns", cache.model_name),
						 errdetail("It has column \"%s\".", lm->columns[c].name),
						 errhint("Run brent_mdm.build_client_index(retrain => true) to train the Client Index model.")));
		}
		args[0] = CStringGetTextDatum(cache.model_name);
		/* term frequencies */
		if (SPI_execute_with_args("SELECT column_name, value_hash, frequency FROM brent_mdm.link_model_tf"
								  " WHERE model_name = $1", 1, argtypes, args, NULL, true, 0) != SPI_OK_SELECT)
			elog(ERROR, "client index: could not read the model's term frequencies");
		cache.tf = MemoryContextAlloc(cache_cxt, sizeof(TfEntry) * Max(SPI_processed, 1));
		cache.ntf = 0;
		for (uint64 i = 0; i < SPI_processed; i++)
		{
			char	   *name = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);

			for (int c = 0; c < lm->ncolumns; c++)
				if (strcmp(lm->columns[c].name, name) == 0)
				{
					int64		h = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull));

					cache.tf[cache.ntf].key = ((uint64) c << 32) | (uint32) h;
					cache.tf[cache.ntf].frequency =
						DatumGetFloat8(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 3, &isnull));
					cache.ntf++;
				}
		}
		qsort(cache.tf, cache.ntf, sizeof(TfEntry), tf_cmp);
		cache.have_model = lm->ncolumns > 0;
	}
	cache.lm = lm;
	/* an invalidation that came while reading makes the next call read again */
	cache.valid = cache_invalidations == at;
}

/* Term frequency of a prepared value of model column c (rare: 1/present). */
static double
value_tf(int c, const LinkValue *v)
{
	TfEntry		key = {((uint64) c << 32) | v->hash, 0};
	TfEntry    *hit;
	const LinkColumn *col = &cache.lm->columns[c];

	if (v->s == NULL || !col->tf || col->npresent == 0)
		return 0;
	hit = bsearch(&key, cache.tf, cache.ntf, sizeof(TfEntry), tf_cmp);
	return hit ? hit->frequency : 1.0 / col->npresent;
}

/* A record prepared for comparison from text values in client_column_names order. */
static LinkRecord *
prepare_record(char **values, bool with_tf)
{
	LinkModel  *lm = cache.lm;
	LinkRecord *r = palloc0(offsetof(LinkRecord, v) + sizeof(LinkValue) * lm->ncolumns);

	r->present = LINK_ALL_PRESENT;

	for (int c = 0; c < lm->ncolumns; c++)
	{
		link_prepare_value(lm, c, values[cache.attr[c]], LINK_V(r, c));
		if (with_tf)
			LINK_V(r, c)->tf_count = link_tf_count(lm, c, value_tf(c, LINK_V(r, c)));
	}
	return r;
}

/* ---- the real-time trigger ---- */

static Datum
getattr_datum(HeapTuple tup, TupleDesc desc, const char *name, bool *isnull)
{
	int			attno = SPI_fnumber(desc, name);

	if (attno <= 0)
		elog(ERROR, "client_record has no column \"%s\"", name);
	return heap_getattr(tup, attno, desc, isnull);
}

/* A date column, or NULL if it is NULL or infinite. */
static DateADT *
getattr_date(HeapTuple tup, TupleDesc desc, const char *name, DateADT *buf)
{
	bool		isnull;
	Datum		d = getattr_datum(tup, desc, name, &isnull);

	if (isnull)
		return NULL;
	*buf = DatumGetDateADT(d);
	return DATE_NOT_FINITE(*buf) ? NULL : buf;
}

/* A column as text; a date in ISO form, whatever the session's DateStyle. */
static char *
getattr_text(HeapTuple tup, TupleDesc desc, const char *name)
{
	int			attno = SPI_fnumber(desc, name);

	if (attno <= 0)
		elog(ERROR, "client_record has no column \"%s\"", name);
	if (SPI_gettypeid(desc, attno) == DATEOID)
	{
		DateADT		buf,
				   *date = getattr_date(tup, desc, name, &buf);
		int			y,
					m,
					d;

		if (date == NULL)
			return NULL;
		j2date(*date + POSTGRES_EPOCH_JDATE, &y, &m, &d);
		return psprintf("%04d-%02d-%02d", y, m, d);
	}
	return SPI_getvalue(tup, desc, attno);
}

/* The record's block keys, from a client_record tuple. */
static ArrayType *
tuple_block_keys(HeapTuple tup, TupleDesc desc)
{
	KeyList		kl;
	DateADT		dob,
				from,
				to;

	block_keys(getattr_text(tup, desc, "given_name"), getattr_text(tup, desc, "family_name"),
			   getattr_text(tup, desc, "full_name"), getattr_date(tup, desc, "date_of_birth", &dob),
			   getattr_text(tup, desc, "postcode"), getattr_text(tup, desc, "nhs_number"),
			   getattr_text(tup, desc, "ni_number"), getattr_text(tup, desc, "upn"),
			   getattr_date(tup, desc, "address_from", &from), getattr_date(tup, desc, "address_to", &to), &kl);
	return keys_array(&kl);
}

static bool
matching_attributes_changed(HeapTuple a, HeapTuple b, TupleDesc desc)
{
	for (int i = 0; i < CLIENT_NCOLUMNS; i++)
	{
		char	   *x = getattr_text(a, desc, client_column_names[i]);
		char	   *y = getattr_text(b, desc, client_column_names[i]);

		if ((x == NULL) != (y == NULL) || (x != NULL && strcmp(x, y) != 0))
			return true;
	}
	return false;
}

#define MAX_DECISIONS 64

/*
 * BEFORE INSERT OR UPDATE on client_record: sets block_keys; matches a new
 * record (or one whose person columns changed) against the master and sets
 * client_id (joining the best client at or above the link threshold, else a
 * new client), matched_record and match_probability.  A client_id the caller
 * sets is kept in bulk mode or from a superuser, refused otherwise; reviewers'
 * decisions on the record bind.
 */
Datum
client_record_match(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	TupleDesc	desc;
	HeapTuple	newtup;
	bool		isnull;
	bool		old_isnull = true;
	int64		record_id;
	int64		client_id = 0;
	int64		old_client = 0;
	int64		best_record = 0;
	int64		best_client = 0;
	double		best_p = -1;
	double		best_old_p = -1;	/* best among the records of its own client */
	int64		best_old_record = 0;
	bool		rematch;
	ArrayType  *keys;
	int			natts;
	int			attnums[4];
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};
	int64		must_client = 0;
	int64		cannot_clients[MAX_DECISIONS];
	int			ncannot = 0;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("client_record_match() must be called as a BEFORE ROW trigger")));
	desc = trigdata->tg_relation->rd_att;
	newtup = TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ? trigdata->tg_newtuple : trigdata->tg_trigtuple;
	record_id = DatumGetInt64(getattr_datum(newtup, desc, "record_id", &isnull));
	{
		Datum		d = getattr_datum(newtup, desc, "client_id", &isnull);

		client_id = isnull ? 0 : DatumGetInt64(d);
	}

	if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
	{
		Datum		d = getattr_datum(trigdata->tg_trigtuple, desc, "client_id", &old_isnull);

		old_client = old_isnull ? 0 : DatumGetInt64(d);
	}

	/*
	 * A client given by the writer (an insert with client_id, an update
	 * moving the record) is taken from a bulk load, a steward's merge or
	 * split (client_index_bulk), or a superuser (a restore); anyone else
	 * would attach a record to a client of their choosing and rewrite that
	 * person's golden record.
	 */
	if (!bulk && client_id != 0 && client_id != old_client && !superuser_arg(GetOuterUserId()))
	{
		bool		key_null;
		Datum		key = getattr_datum(newtup, desc, "record_key", &key_null);

		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("the client of a Client Index record is set by the matching, not by its writer"),
				 errdetail("Record %s was written with client_id " INT64_FORMAT ".",
						   key_null ? "(no key)" : quote_literal_cstr(TextDatumGetCString(key)), client_id),
				 errhint("Leave client_id out: the record is matched as it is written. Data stewards move records with brent_mdm.merge_clients() and brent_mdm.split_client().")));
	}

	if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
	{
		bool		changed = matching_attributes_changed(trigdata->tg_trigtuple, newtup, desc);

		/* the person is the same: keys and client stay (a build, a merge, a split) */
		if (!changed && client_id != 0)
			return PointerGetDatum(newtup);
		/* moved by the caller, or nothing to match anew */
		rematch = client_id == 0 || (client_id == old_client && changed);
	}
	else
		rematch = client_id == 0;

	keys = tuple_block_keys(newtup, desc);
	attnums[0] = SPI_fnumber(desc, "block_keys");
	values[0] = PointerGetDatum(keys);
	natts = 1;
	if (bulk || !rematch)
		return PointerGetDatum(heap_modify_tuple_by_cols(newtup, desc, natts, attnums, values, nulls));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "client index: SPI_connect failed");
	client_cache_load();

	/* reviewers' decisions on this record */
	if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
	{
		Datum		args[1] = {Int64GetDatum(record_id)};

		if (cache.decisions == NULL)
		{
			Oid			types[1] = {INT8OID};

			cache.decisions = SPI_prepare(
				"SELECT q.status = 'must_link', r.client_id FROM brent_mdm.review_queue q"
				"  JOIN brent_mdm.client_record r"
				"    ON r.record_id = CASE WHEN q.record_a = $1 THEN q.record_b ELSE q.record_a END"
				" WHERE (q.record_a = $1 OR q.record_b = $1) AND q.status <> 'pending'"
				"   AND r.client_id IS NOT NULL", 1, types);
			if (cache.decisions == NULL || SPI_keepplan(cache.decisions) != 0)
				elog(ERROR, "client index: could not prepare the decisions query");
		}
		if (SPI_execute_plan(cache.decisions, args, NULL, true, MAX_DECISIONS) != SPI_OK_SELECT)
			elog(ERROR, "client index: could not read review decisions");
		for (uint64 i = 0; i < SPI_processed; i++)
		{
			bool		must = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
			int64		other = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull));

			if (must)
				must_client = other;
			else
				cannot_clients[ncannot++] = other;
		}
	}

	if (must_client != 0)
	{
		best_client = must_client;
		best_p = 1.0;
	}
	else if (cache.have_model)
	{
		char	   *attrs[CLIENT_NCOLUMNS];
		LinkRecord *me;
		Datum		args[3];
		uint8		level[LINK_MAX_COLUMNS];
		double		prior = link_prior_weight(cache.lm);
		DateADT		today = GetSQLCurrentDate();

		for (int i = 0; i < CLIENT_NCOLUMNS; i++)
			attrs[i] = getattr_text(newtup, desc, client_column_names[i]);
		me = prepare_record(attrs, true);
		if (cache.candidates == NULL)
		{
			Oid			types[3] = {TEXTARRAYOID, INT8OID, TEXTOID};

			/* no LIMIT: it would tempt the planner into a sequential scan */
			cache.candidates = SPI_prepare(
				"SELECT r.record_id, r.client_id, r.given_name, r.family_name, r.full_name,"
				"       to_char(r.date_of_birth, 'YYYY-MM-DD'), r.postcode, r.nhs_number, r.ni_number, r.upn,"
				"       to_char(r.address_from, 'YYYY-MM-DD'), to_char(r.address_to, 'YYYY-MM-DD'), coalesce(s.min_age, 0),"
				"       (SELECT min_age FROM brent_mdm.client_source WHERE system = $3)"
				"  FROM brent_mdm.client_record r LEFT JOIN brent_mdm.client_source s ON s.system = r.system"
				" WHERE r.block_keys && $1 AND r.record_id <> $2 AND r.client_id IS NOT NULL", 3, types);
			if (cache.candidates == NULL || SPI_keepplan(cache.candidates) != 0)
				elog(ERROR, "client index: could not prepare the candidates query");
		}
		args[0] = PointerGetDatum(keys);
		args[1] = Int64GetDatum(record_id);
		args[2] = getattr_datum(newtup, desc, "system", &isnull);
		if (SPI_execute_plan(cache.candidates, args, NULL, true, cache.max_candidates) != SPI_OK_SELECT)
			elog(ERROR, "client index: could not read candidates");
		for (uint64 i = 0; i < SPI_processed; i++)
		{
			HeapTuple	tup = SPI_tuptable->vals[i];
			TupleDesc	cdesc = SPI_tuptable->tupdesc;
			int64		crec = DatumGetInt64(SPI_getbinval(tup, cdesc, 1, &isnull));
			int64		cclient = DatumGetInt64(SPI_getbinval(tup, cdesc, 2, &isnull));
			LinkRecord *other;
			double		p;
			bool		forbidden = false;

			for (int k = 0; k < ncannot; k++)
				forbidden |= cannot_clients[k] == cclient;
			if (forbidden)
				continue;
			for (int a = 0; a < CLIENT_NCOLUMNS; a++)
				attrs[a] = SPI_getvalue(tup, cdesc, a + 3);
			other = prepare_record(attrs, false);
			if (link_too_young(cache.lm, me, DatumGetInt32(SPI_getbinval(tup, cdesc, 3 + CLIENT_NCOLUMNS, &isnull)), today) ||
				link_too_young(cache.lm, other, DatumGetInt32(SPI_getbinval(tup, cdesc, 4 + CLIENT_NCOLUMNS, &isnull)), today))
				continue;
			link_compare(cache.lm, me, other, level);
			p = link_probability(link_record_weight(cache.lm, me, level) + prior);
			if (cclient == old_client && p > best_old_p)
			{
				best_old_p = p;
				best_old_record = crec;
			}
			if (p > best_p || (p == best_p && cclient < best_client))
			{
				best_p = p;
				best_client = cclient;
				best_record = crec;
			}
		}
	}

	if (old_client != 0 && must_client == 0 &&
		(best_old_p >= cache.link_threshold ||
		 (best_old_p >= cache.review_threshold && best_p < cache.link_threshold)))
	{
		/* a changed record that still matches its client stays; nor does doubt move it */
		client_id = old_client;
		best_record = best_old_record;
		best_p = best_old_p;
	}
	else if (best_client != 0 && best_p >= cache.link_threshold)
		client_id = best_client;
	else if (old_client != 0 && TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
	{
		/* a changed record that no longer matches keeps its client if alone in it */
		char	   *sql = psprintf("SELECT 1 FROM brent_mdm.client_record WHERE client_id = " INT64_FORMAT
								   " AND record_id <> " INT64_FORMAT " LIMIT 1", old_client, record_id);

		if (SPI_execute(sql, true, 1) != SPI_OK_SELECT)
			elog(ERROR, "client index: could not read the record's client");
		client_id = SPI_processed == 0 ? old_client : 0;
	}
	else
		client_id = 0;
	if (client_id == 0)
	{
		if (cache.new_client == NULL)
		{
			cache.new_client = SPI_prepare("INSERT INTO brent_mdm.client DEFAULT VALUES RETURNING client_id",
										   0, NULL);
			if (cache.new_client == NULL || SPI_keepplan(cache.new_client) != 0)
				elog(ERROR, "client index: could not prepare the new client statement");
		}
		if (SPI_execute_plan(cache.new_client, NULL, NULL, false, 1) != SPI_OK_INSERT_RETURNING ||
			SPI_processed != 1)
			elog(ERROR, "client index: could not create a client");
		client_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	}
	SPI_finish();
	/* (only an INSERT's AFTER trigger asks: an UPDATE's would stay in the set) */
	if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
		client_note_matched(record_id);

	attnums[natts] = SPI_fnumber(desc, "client_id");
	values[natts++] = Int64GetDatum(client_id);
	attnums[natts] = SPI_fnumber(desc, "matched_record");
	values[natts] = Int64GetDatum(best_record);
	nulls[natts++] = best_record == 0;
	attnums[natts] = SPI_fnumber(desc, "match_probability");
	values[natts] = Float8GetDatum(best_p);
	nulls[natts++] = best_record == 0 && must_client == 0;
	return PointerGetDatum(heap_modify_tuple_by_cols(newtup, desc, natts, attnums, values, nulls));
}

/* ---- batch clustering for build_client_index ---- */

typedef struct RecordIndex
{
	int64		record_id;
	int32		index;
} RecordIndex;

static int
record_index_cmp(const void *x, const void *y)
{
	int64		a = ((const RecordIndex *) x)->record_id,
				b = ((const RecordIndex *) y)->record_id;

	return a < b ? -1 : a > b ? 1 : 0;
}

/* The record numbered for record_id, or -1: ix is sorted by record_id (in the store). */
static int32
record_number(const LinkModel *lm, const LinkArray *ix, int64 record_id)
{
	RecordIndex key = {record_id, 0};
	int64		at = link_array_lower_bound(lm, ix, &key, record_index_cmp);
	const RecordIndex *hit;

	if (at >= ix->n)
		return -1;
	hit = (const RecordIndex *) link_array_get(lm, ix, at, false);
	return hit->record_id == record_id ? hit->index : -1;
}

/*
 * Whether the kept model no longer fits the records to cluster (in relid),
 * and must be trained again: the records are now more than
 * CLIENT_RETRAIN_GROWTH times those it was trained on (a model trained on a
 * first load of a few records, kept for every later load, knows nothing of
 * the borough's names and agreement rates: 5,062 records became 5,062
 * clients), or its prior is at the bound training clamps it to (no pair of
 * its training records was a likely match: it can link nothing).  Says so in
 * a NOTICE.  Inside SPI.
 */
#define CLIENT_RETRAIN_GROWTH 2
#define CLIENT_DEGENERATE_PRIOR 1e-11

static bool
client_model_outgrown(text *model_name, Oid relid)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1] = {PointerGetDatum(model_name)};
	int64		trained_on,
				now;
	double		prior;
	bool		isnull;
	char	   *sql;

	if (SPI_execute_with_args("SELECT records, prior FROM brent_mdm.link_model WHERE model_name = $1",
							  1, argtypes, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "client index: could not read brent_mdm.link_model");
	if (SPI_processed != 1)
		return false;
	trained_on = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	prior = DatumGetFloat8(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	sql = psprintf("SELECT count(*) FROM %s",
				   DatumGetCString(DirectFunctionCall1(regclassout, ObjectIdGetDatum(relid))));
	if (SPI_execute(sql, true, 0) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "client index: could not count the records");
	now = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	if (prior <= CLIENT_DEGENERATE_PRIOR)
	{
		ereport(NOTICE,
				(errmsg("client index: training model \"%s\" again: it is degenerate (prior %g)",
						text_to_cstring(model_name), prior),
				 errdetail("No pair of the %lld records it was trained on looked like a match; it would link nothing.",
						   (long long) trained_on)));
		return true;
	}
	if (now > CLIENT_RETRAIN_GROWTH * trained_on)
	{
		ereport(NOTICE,
				(errmsg("client index: training model \"%s\" again: it was trained on %lld records, there are now %lld",
						text_to_cstring(model_name), (long long) trained_on, (long long) now),
				 errdetail("A model is kept while the records are at most %d times those it was trained on.",
						   CLIENT_RETRAIN_GROWTH)));
		return true;
	}
	return false;
}

/*
 * client_index_clusters(model_name, retrain): trains the model over
 * client_record (stored as model_name, for real-time matching) if asked to,
 * if there is none yet or if the records outgrew it, else scores with the
 * kept one; queues the uncertain pairs
 * that clustering leaves apart for review, and returns each record's cluster,
 * honouring reviewers' decisions.
 */
Datum
client_index_clusters(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	text	   *model_name = PG_GETARG_TEXT_PP(0);
	bool		retrain = PG_GETARG_BOOL(1);
	const LinkModel *preset = NULL;
	Oid			relid;
	LinkModel  *lm;
	LinkArray	rid;			/* int64 a record: its record_id */
	LinkArray	ix;				/* RecordIndex: the records by record_id */
	LinkDecision *decisions = NULL;
	int			ndecisions = 0;
	LinkArray	cluster;
	double		link_threshold,
				review_threshold;
	bool		isnull;
	Jsonb	   *columns;
	LinkArray	min_age;		/* int16 a record */
	MemoryContext outer = CurrentMemoryContext;

	InitMaterializedSRF(fcinfo, 0);
	relid = PG_GETARG_OID(2);
	columns = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(client_columns_json)));
	/* the kept model, unless retraining is asked for or there is none */
	if (!retrain)
	{
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "client index: SPI_connect failed");
		client_cache_load();
		if (cache.have_model && strcmp(cache.model_name, text_to_cstring(model_name)) == 0)
		{
			preset = cache.lm;
			if (client_model_outgrown(model_name, relid))
				preset = NULL;
		}
		SPI_finish();
	}
	lm = link_run(&relid, 1, "record_id", columns, preset, CurrentMemoryContext);
	if (lm->nrecords == 0)
		return (Datum) 0;
	if (preset == NULL)
		link_store_model(model_name, lm, client_columns_json, "brent_mdm.client_record", NULL);

	/*
	 * Record ids, parsed once: by record number, and sorted for lookups (both
	 * in the store: sorted in runs and merged).
	 */
	{
		LinkArray	unsorted;
		RecordIndex e;

		link_array_init(&rid, sizeof(int64));
		link_array_init(&unsorted, sizeof(RecordIndex));
		for (int i = 0; i < lm->nrecords; i++)
		{
			if ((i & 0xFFFF) == 0)
				CHECK_FOR_INTERRUPTS();
			e.record_id = pg_strtoint64(LINK_REC(lm, i)->id);
			e.index = i;
			*(int64 *) link_array_push(lm, &rid) = e.record_id;
			*(RecordIndex *) link_array_push(lm, &unsorted) = e;
		}
		link_array_sort(lm, &unsorted, record_index_cmp, &ix);
	}

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "client index: SPI_connect failed");
	if (SPI_execute("SELECT link_threshold, review_threshold FROM brent_mdm.client_settings", true, 1) != SPI_OK_SELECT ||
		SPI_processed != 1)
		elog(ERROR, "client index: could not read brent_mdm.client_settings");
	link_threshold = DatumGetFloat8(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	review_threshold = DatumGetFloat8(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));

	if (SPI_execute("SELECT record_a, record_b, status = 'must_link' FROM brent_mdm.review_queue"
					" WHERE status <> 'pending'", true, 0) != SPI_OK_SELECT)
		elog(ERROR, "client index: could not read review decisions");
	decisions = palloc(sizeof(LinkDecision) * Max(SPI_processed, 1));
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		int32		a = record_number(lm, &ix,
									  DatumGetInt64(SPI_getbinval(tup, SPI_tuptable->tupdesc, 1, &isnull)));
		int32		b = record_number(lm, &ix,
									  DatumGetInt64(SPI_getbinval(tup, SPI_tuptable->tupdesc, 2, &isnull)));

		if (a < 0 || b < 0)
			continue;
		decisions[ndecisions].a = a;
		decisions[ndecisions].b = b;
		decisions[ndecisions].must_link = DatumGetBool(SPI_getbinval(tup, SPI_tuptable->tupdesc, 3, &isnull));
		ndecisions++;
	}
	/* the youngest age each record's system holds */
	{
		char	   *sql = psprintf("SELECT r.record_id, s.min_age FROM %s r"
								   " JOIN brent_mdm.client_source s ON s.system = r.system WHERE s.min_age > 0",
								   DatumGetCString(DirectFunctionCall1(regclassout, ObjectIdGetDatum(relid))));

		SPIPlanPtr	plan;
		Portal		portal;

		link_array_make(lm, &min_age, sizeof(int16), lm->nrecords);
		/* a batch at a time: most records are of systems that hold adults only */
		plan = SPI_prepare(sql, 0, NULL);
		if (plan == NULL)
			elog(ERROR, "client index: could not read the systems' minimum ages");
		portal = SPI_cursor_open(NULL, plan, NULL, NULL, true);
		for (;;)
		{
			SPI_cursor_fetch(portal, true, 10000);
			if (SPI_processed == 0)
				break;
			CHECK_FOR_INTERRUPTS();
			for (uint64 i = 0; i < SPI_processed; i++)
			{
				int32		k = record_number(lm, &ix,
											  DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull)));

				if (k >= 0)
					*(int16 *) link_array_get(lm, &min_age, k, true) =
						(int16) DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull));
			}
			SPI_freetuptable(SPI_tuptable);
		}
		SPI_cursor_close(portal);
		SPI_freeplan(plan);
	}
	{
		/* in the function's context: SPI_finish frees SPI's */
		MemoryContext spi = MemoryContextSwitchTo(outer);

		link_cluster(lm, link_threshold, decisions, ndecisions, &min_age, GetSQLCurrentDate(), &cluster);
		MemoryContextSwitchTo(spi);
	}

	link_store_sample(lm);
	/* uncertain pairs left in two clusters go to clerical review */
	{
		int64		nreview = 0;
		Datum	   *ra,
				   *rb,
				   *rp;

		/* counted first: few pairs are uncertain */
		for (int64 k = 0; k < lm->npairs; k++)
		{
			LinkPair	p = *LINK_PAIR(lm, k);

			if ((k & 0xFFFF) == 0)
				CHECK_FOR_INTERRUPTS();
			if (!(p.probability < review_threshold || p.probability >= link_threshold ||
				  link_cluster_of(lm, &cluster, p.a) == link_cluster_of(lm, &cluster, p.b)))
				nreview++;
		}
		ra = palloc_extended(sizeof(Datum) * Max(nreview, 1), MCXT_ALLOC_HUGE);
		rb = palloc_extended(sizeof(Datum) * Max(nreview, 1), MCXT_ALLOC_HUGE);
		rp = palloc_extended(sizeof(Datum) * Max(nreview, 1), MCXT_ALLOC_HUGE);
		nreview = 0;
		for (int64 k = 0; k < lm->npairs; k++)
		{
			LinkPair	p = *LINK_PAIR(lm, k);
			int64		ia,
						ib;

			if ((k & 0xFFFF) == 0)
				CHECK_FOR_INTERRUPTS();
			if (p.probability < review_threshold || p.probability >= link_threshold ||
				link_cluster_of(lm, &cluster, p.a) == link_cluster_of(lm, &cluster, p.b))
				continue;
			ia = link_array_get64(lm, &rid, p.a);
			ib = link_array_get64(lm, &rid, p.b);

			ra[nreview] = Int64GetDatum(Min(ia, ib));
			rb[nreview] = Int64GetDatum(Max(ia, ib));
			rp[nreview] = Float8GetDatum(p.probability);
			nreview++;
		}
		if (nreview > 0)
		{
			Oid			types[3] = {INT8ARRAYOID, INT8ARRAYOID, FLOAT8ARRAYOID};
			Datum		args[3];

			args[0] = PointerGetDatum(construct_array(ra, nreview, INT8OID, 8, true, TYPALIGN_DOUBLE));
			args[1] = PointerGetDatum(construct_array(rb, nreview, INT8OID, 8, true, TYPALIGN_DOUBLE));
			args[2] = PointerGetDatum(construct_array(rp, nreview, FLOAT8OID, 8, true, TYPALIGN_DOUBLE));
			if (SPI_execute_with_args("INSERT INTO brent_mdm.review_queue (record_a, record_b, match_probability)"
									  " SELECT a, b, p FROM unnest($1, $2, $3) AS u(a, b, p)"
									  " ON CONFLICT (record_a, record_b) DO NOTHING",
									  3, types, args, NULL, false, 0) != SPI_OK_INSERT)
				elog(ERROR, "client index: could not queue pairs for review");
		}
	}
	SPI_finish();

	for (int i = 0; i < lm->nrecords; i++)
	{
		Datum		values[2];
		bool		nulls[2] = {false, false};

		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		values[0] = Int64GetDatum(link_array_get64(lm, &rid, i));
		values[1] = Int64GetDatum(link_cluster_of(lm, &cluster, i));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	/* the records, the pairs and the clusters are not read again: a spill file closed */
	link_store_close(lm);
	return (Datum) 0;
}
