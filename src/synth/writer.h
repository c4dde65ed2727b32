/*
 * writer.h
 *		Fast row writer for tables the generator created in this transaction.
 *
 * Rows are formed directly as heap tuples and inserted with a bulk-insert
 * state, as COPY does; the tables have no indexes while they are filled
 * (indexes are built afterwards), so no executor or index maintenance is
 * needed.  Columns are appended in order; tw_row() checks that every column
 * was given and that each value had the column's type.
 */
#ifndef BRENT_SYNTH_WRITER_H
#define BRENT_SYNTH_WRITER_H

#include "postgres.h"

#include "access/heapam.h"
#include "utils/date.h"
#include "utils/rel.h"

typedef struct TableWriter
{
	Relation	rel;
	BulkInsertState bistate;
	TupleDesc	desc;
	CommandId	cid;
	Datum	   *values;
	bool	   *nulls;
	int			ncolumns;
	int			column;			/* next column to fill */
	int64		rows;
	Oid			geometry_type;	/* postgis geometry type, if any column has it */
	FmgrInfo	geometry_in;
	Oid			geometry_ioparam;
} TableWriter;

extern void tw_open(TableWriter *w, Oid relid);
extern void tw_close(TableWriter *w);
extern void tw_row(TableWriter *w);

extern void tw_null(TableWriter *w);
extern void tw_text(TableWriter *w, const char *s);	/* NULL pointer gives SQL NULL */
extern void tw_int4(TableWriter *w, int32 v);
extern void tw_int8(TableWriter *w, int64 v);
extern void tw_float8(TableWriter *w, double v);
extern void tw_bool(TableWriter *w, bool v);
extern void tw_date(TableWriter *w, DateADT d);	/* DATEVAL_NOBEGIN gives SQL NULL */
extern void tw_point(TableWriter *w, double x, double y, int32 srid);

#endif							/* BRENT_SYNTH_WRITER_H */
