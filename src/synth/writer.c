/*
 * writer.c
 *		Fast row writer for the synthetic borough (see writer.h).
 */
#include "postgres.h"

#include "access/table.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "synth/writer.h"

static bool
type_is_geometry(Oid typid)
{
	HeapTuple	tp;
	bool		result = false;

	tp = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typid));
	if (HeapTupleIsValid(tp))
	{
		result = strcmp(NameStr(((Form_pg_type) GETSTRUCT(tp))->typname),
						"geometry") == 0;
		ReleaseSysCache(tp);
	}
	return result;
}

void
tw_open(TableWriter *w, Oid relid)
{
	memset(w, 0, sizeof(*w));
	w->rel = table_open(relid, RowExclusiveLock);
	w->desc = RelationGetDescr(w->rel);
	w->ncolumns = w->desc->natts;
	w->values = palloc0(sizeof(Datum) * w->ncolumns);
	w->nulls = palloc0(sizeof(bool) * w->ncolumns);
	w->bistate = GetBulkInsertState();
	w->cid = GetCurrentCommandId(true);

	for (int i = 0; i < w->ncolumns; i++)
	{
		Oid			typid = TupleDescAttr(w->desc, i)->atttypid;

		if (type_is_geometry(typid))
		{
			Oid			typinput;

			w->geometry_type = typid;
			getTypeInputInfo(typid, &typinput, &w->geometry_ioparam);
			fmgr_info(typinput, &w->geometry_in);
		}
	}
}

void
tw_close(TableWriter *w)
{
	FreeBulkInsertState(w->bistate);
	table_close(w->rel, NoLock);
	pfree(w->values);
	pfree(w->nulls);
	w->rel = NULL;
}

/* Next column, checked against the type the caller means to store. */
static int
tw_next(TableWriter *w, Oid typid)
{
	int			col = w->column++;

	if (col >= w->ncolumns)
		elog(ERROR, "synthetic table \"%s\" has only %d columns",
			 RelationGetRelationName(w->rel), w->ncolumns);
	if (typid != InvalidOid && TupleDescAttr(w->desc, col)->atttypid != typid)
		elog(ERROR, "column %d of synthetic table \"%s\" is of type %s, not %s",
			 col + 1, RelationGetRelationName(w->rel),
			 format_type_be(TupleDescAttr(w->desc, col)->atttypid),
			 format_type_be(typid));
	w->nulls[col] = false;
	return col;
}

void
tw_null(TableWriter *w)
{
	int			col = tw_next(w, InvalidOid);

	w->nulls[col] = true;
	w->values[col] = (Datum) 0;
}

void
tw_text(TableWriter *w, const char *s)
{
	int			col = tw_next(w, TEXTOID);

	if (s == NULL)
		w->nulls[col] = true;
	else
		w->values[col] = PointerGetDatum(cstring_to_text(s));
}

void
tw_int4(TableWriter *w, int32 v)
{
	w->values[tw_next(w, INT4OID)] = Int32GetDatum(v);
}

void
tw_int8(TableWriter *w, int64 v)
{
	w->values[tw_next(w, INT8OID)] = Int64GetDatum(v);
}

void
tw_float8(TableWriter *w, double v)
{
	w->values[tw_next(w, FLOAT8OID)] = Float8GetDatum(v);
}

void
tw_bool(TableWriter *w, bool v)
{
	w->values[tw_next(w, BOOLOID)] = BoolGetDatum(v);
}

void
tw_date(TableWriter *w, DateADT d)
{
	int			col = tw_next(w, DATEOID);

	if (DATE_NOT_FINITE(d))
		w->nulls[col] = true;
	else
		w->values[col] = DateADTGetDatum(d);
}

/* A point as hex EWKB, parsed by PostGIS's own input function. */
void
tw_point(TableWriter *w, double x, double y, int32 srid)
{
	int			col = tw_next(w, w->geometry_type);
	unsigned char wkb[25];
	char		hex[51];
	static const char digits[] = "0123456789ABCDEF";
	uint32		type = 1 | 0x20000000;	/* point, with SRID */

	if (w->geometry_type == InvalidOid)
		elog(ERROR, "synthetic table \"%s\" has no geometry column",
			 RelationGetRelationName(w->rel));
	wkb[0] = 1;					/* little endian (NDR) */
	for (int i = 0; i < 4; i++)
	{
		wkb[1 + i] = (type >> (8 * i)) & 0xff;
		wkb[5 + i] = ((uint32) srid >> (8 * i)) & 0xff;
	}
#ifdef WORDS_BIGENDIAN
	for (int i = 0; i < 8; i++)
	{
		wkb[9 + i] = ((unsigned char *) &x)[7 - i];
		wkb[17 + i] = ((unsigned char *) &y)[7 - i];
	}
#else
	memcpy(wkb + 9, &x, 8);
	memcpy(wkb + 17, &y, 8);
#endif
	for (int i = 0; i < 25; i++)
	{
		hex[2 * i] = digits[wkb[i] >> 4];
		hex[2 * i + 1] = digits[wkb[i] & 15];
	}
	hex[50] = '\0';
	w->values[col] = InputFunctionCall(&w->geometry_in, hex,
									   w->geometry_ioparam, -1);
}

void
tw_row(TableWriter *w)
{
	HeapTuple	tuple;

	if (w->column != w->ncolumns)
		elog(ERROR, "synthetic table \"%s\": %d of %d columns given",
			 RelationGetRelationName(w->rel), w->column, w->ncolumns);
	/* heap_insert() does not check constraints: keep NOT NULL true here */
	for (int i = 0; i < w->ncolumns; i++)
		if (w->nulls[i] && TupleDescAttr(w->desc, i)->attnotnull)
			elog(ERROR, "synthetic table \"%s\": NULL in NOT NULL column \"%s\"",
				 RelationGetRelationName(w->rel),
				 NameStr(TupleDescAttr(w->desc, i)->attname));
	tuple = heap_form_tuple(w->desc, w->values, w->nulls);
	heap_insert(w->rel, tuple, w->cid, 0, w->bistate);
	heap_freetuple(tuple);
	w->column = 0;
	w->rows++;
}
