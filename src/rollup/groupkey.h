/*
 * groupkey.h
 *		The group keys of a rollup capture, hashed (groupkey.c).
 */
#ifndef BRENT_MDM_GROUPKEY_H
#define BRENT_MDM_GROUPKEY_H

#include "access/tupdesc.h"
#include "fmgr.h"

typedef struct GroupKeyTable GroupKeyTable;

extern char *groupkey_kinds(TupleDesc desc, int ncols);
extern GroupKeyTable *groupkey_create(TupleDesc desc, int ncols, const char *kinds,
									  AttrNumber *cols, Oid *eqfuncs, FmgrInfo *hashfns, Oid *colls,
									  long nbuckets, Size entrysize,
									  MemoryContext cxt, MemoryContext tempcxt);
extern void *groupkey_lookup(GroupKeyTable *t, Datum *values, bool *isnull, bool *isnew);
extern void groupkey_start(GroupKeyTable *t);
extern void *groupkey_next(GroupKeyTable *t, Datum *values, bool *isnull);
extern void groupkey_end(GroupKeyTable *t);

#endif
