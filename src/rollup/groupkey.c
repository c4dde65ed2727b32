/*
 * groupkey.c
 *		The group keys of a rollup capture, hashed.
 *
 * A capture adds each transition row to its group: the indicator's dimensions,
 * its period and a scale (or, for count(distinct), min and max, the value).
 * PostgreSQL's TupleHashTable calls each column's hash and equality functions
 * through fmgr, about 1,000 instructions a row for a key of four columns.
 * When every column is of a type whose equality is the equality of its bytes
 * (integers, dates, timestamps, times, booleans, oids, "char"; text and varchar
 * under a deterministic collation), the key is written as one string of bytes,
 * a tag per column then the Datum or the text's length and bytes, hashed and
 * compared as such in a simplehash table.  Keys with a column of another type
 * (numeric, where 1.0 = 1.00; floats, where -0 = 0; bpchar, which ignores
 * trailing spaces; a nondeterministic collation) use the TupleHashTable.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/executor.h"
#include "executor/tuptable.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "rollup/groupkey.h"

#define GK_BYVAL 'v'
#define GK_TEXT 't'
#define GK_NULL 'n'

typedef struct GroupKey
{
	const char *data;
	uint32		len;
} GroupKey;

typedef struct GroupKeyEntry
{
	GroupKey	key;
	uint32		hash;
	char		status;
	void	   *additional;
} GroupKeyEntry;

#define SH_PREFIX groupkey_sh
#define SH_ELEMENT_TYPE GroupKeyEntry
#define SH_KEY_TYPE GroupKey
#define SH_KEY key
#define SH_HASH_KEY(tb, k) hash_bytes((const unsigned char *) (k).data, (int) (k).len)
#define SH_EQUAL(tb, a, b) ((a).len == (b).len && memcmp((a).data, (b).data, (a).len) == 0)
#define SH_STORE_HASH
#define SH_GET_HASH(tb, a) ((a)->hash)
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

struct GroupKeyTable
{
	int			ncols;
	const char *kinds;			/* a kind per column; NULL: the TupleHashTable */
	Size		entrysize;
	MemoryContext cxt;
	/* keys as bytes */
	groupkey_sh_hash *sh;
	groupkey_sh_iterator shiter;
	StringInfoData buf;
	/* the others */
	TupleHashTable th;
	TupleHashIterator thiter;
	TupleTableSlot *slot;		/* virtual, to look a key up */
	TupleTableSlot *keyslot;	/* minimal, to read a stored key */
};

/*
 * The kind of each of the first ncols columns of desc (to keep with desc), or
 * NULL when one of them is not compared as bytes.
 */
char *
groupkey_kinds(TupleDesc desc, int ncols)
{
	char	   *kinds = palloc(ncols);

	for (int i = 0; i < ncols; i++)
	{
		Form_pg_attribute a = TupleDescAttr(desc, i);

		switch (getBaseType(a->atttypid))
		{
			case INT2OID:
			case INT4OID:
			case INT8OID:
			case OIDOID:
			case DATEOID:
			case TIMEOID:
			case TIMESTAMPOID:
			case TIMESTAMPTZOID:
			case BOOLOID:
			case CHAROID:
				if (!a->attbyval)
					goto generic;
				kinds[i] = GK_BYVAL;
				break;
			case TEXTOID:
			case VARCHAROID:
				if (OidIsValid(a->attcollation) && !get_collation_isdeterministic(a->attcollation))
					goto generic;
				kinds[i] = GK_TEXT;
				break;
			default:
				goto generic;
		}
	}
	return kinds;
generic:
	pfree(kinds);
	return NULL;
}

/*
 * A table of groups, each with entrysize zeroed bytes of its own; lives in
 * cxt (tempcxt: short-lived memory for the TupleHashTable's comparisons).
 * kinds is groupkey_kinds' answer; cols .. colls serve the TupleHashTable.
 */
GroupKeyTable *
groupkey_create(TupleDesc desc, int ncols, const char *kinds,
				AttrNumber *cols, Oid *eqfuncs, FmgrInfo *hashfns, Oid *colls,
				long nbuckets, Size entrysize, MemoryContext cxt, MemoryContext tempcxt)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);
	GroupKeyTable *t = palloc0(sizeof(GroupKeyTable));

	t->ncols = ncols;
	t->kinds = kinds;
	t->entrysize = entrysize;
	t->cxt = cxt;
	if (kinds != NULL)
	{
		t->sh = groupkey_sh_create(cxt, (uint32) Max(nbuckets, 16), NULL);
		initStringInfo(&t->buf);
	}
	else
	{
		t->th = BuildTupleHashTableExt(NULL, desc, ncols, cols, eqfuncs, hashfns, colls, nbuckets,
									   entrysize, cxt, cxt, tempcxt, false);
		t->slot = MakeSingleTupleTableSlot(desc, &TTSOpsVirtual);
		t->keyslot = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
	}
	MemoryContextSwitchTo(old);
	return t;
}

/* the key of values as bytes, in t->buf */
static GroupKey
groupkey_bytes(GroupKeyTable *t, Datum *values, bool *isnull)
{
	StringInfo	buf = &t->buf;
	GroupKey	k;

	/* room for every column but text's bytes, written in place */
	resetStringInfo(buf);
	enlargeStringInfo(buf, t->ncols * (1 + sizeof(Datum)));
	for (int i = 0; i < t->ncols; i++)
	{
		if (isnull[i])
			buf->data[buf->len++] = GK_NULL;
		else if (t->kinds[i] == GK_BYVAL)
		{
			buf->data[buf->len] = GK_BYVAL;
			memcpy(buf->data + buf->len + 1, &values[i], sizeof(Datum));
			buf->len += 1 + sizeof(Datum);
		}
		else
		{
			struct varlena *v = pg_detoast_datum_packed((struct varlena *) DatumGetPointer(values[i]));
			uint32		len = VARSIZE_ANY_EXHDR(v);

			/* the tag, the length, the bytes, and room for the columns after */
			enlargeStringInfo(buf, 1 + sizeof(uint32) + len + (t->ncols - i) * (1 + sizeof(Datum)));
			buf->data[buf->len] = GK_TEXT;
			memcpy(buf->data + buf->len + 1, &len, sizeof(uint32));
			memcpy(buf->data + buf->len + 1 + sizeof(uint32), VARDATA_ANY(v), len);
			buf->len += 1 + sizeof(uint32) + len;
			if ((Pointer) v != DatumGetPointer(values[i]))
				pfree(v);
		}
	}
	k.data = buf->data;
	k.len = (uint32) buf->len;
	return k;
}

/*
 * The group of values (ncols of them), added when new (*isnew): its
 * entrysize bytes, zeroed when new.
 */
void *
groupkey_lookup(GroupKeyTable *t, Datum *values, bool *isnull, bool *isnew)
{
	if (t->kinds != NULL)
	{
		GroupKey	k = groupkey_bytes(t, values, isnull);
		bool		found;
		GroupKeyEntry *e = groupkey_sh_insert(t->sh, k, &found);

		if (!found)
		{
			char	   *copy = MemoryContextAlloc(t->cxt, k.len);

			memcpy(copy, k.data, k.len);
			e->key.data = copy;
			e->key.len = k.len;
			e->additional = MemoryContextAllocZero(t->cxt, t->entrysize);
		}
		*isnew = !found;
		return e->additional;
	}
	else
	{
		TupleHashEntry e;

		ExecClearTuple(t->slot);
		memcpy(t->slot->tts_values, values, sizeof(Datum) * t->ncols);
		memcpy(t->slot->tts_isnull, isnull, sizeof(bool) * t->ncols);
		ExecStoreVirtualTuple(t->slot);
		e = LookupTupleHashEntry(t->th, t->slot, isnew, NULL);
		if (*isnew)
			e->additional = MemoryContextAllocZero(t->cxt, t->entrysize);
		ExecClearTuple(t->slot);
		return e->additional;
	}
}

/* iteration over the groups: start, next until NULL, end */
void
groupkey_start(GroupKeyTable *t)
{
	if (t->kinds != NULL)
		groupkey_sh_start_iterate(t->sh, &t->shiter);
	else
		InitTupleHashIterator(t->th, &t->thiter);
}

/*
 * The next group's bytes, its key in values and isnull (text values made in
 * the current memory context; the others' point into the table), or NULL.
 */
void *
groupkey_next(GroupKeyTable *t, Datum *values, bool *isnull)
{
	if (t->kinds != NULL)
	{
		GroupKeyEntry *e = groupkey_sh_iterate(t->sh, &t->shiter);
		const char *p;

		if (e == NULL)
			return NULL;
		p = e->key.data;
		for (int i = 0; i < t->ncols; i++)
		{
			char		tag = *p++;

			isnull[i] = tag == GK_NULL;
			values[i] = (Datum) 0;
			if (tag == GK_BYVAL)
			{
				memcpy(&values[i], p, sizeof(Datum));
				p += sizeof(Datum);
			}
			else if (tag == GK_TEXT)
			{
				uint32		len;

				memcpy(&len, p, sizeof(uint32));
				p += sizeof(uint32);
				values[i] = PointerGetDatum(cstring_to_text_with_len(p, (int) len));
				p += len;
			}
		}
		Assert(p == e->key.data + e->key.len);
		return e->additional;
	}
	else
	{
		TupleHashEntry e = ScanTupleHashTable(t->th, &t->thiter);

		if (e == NULL)
			return NULL;
		ExecStoreMinimalTuple(e->firstTuple, t->keyslot, false);
		slot_getallattrs(t->keyslot);
		memcpy(values, t->keyslot->tts_values, sizeof(Datum) * t->ncols);
		memcpy(isnull, t->keyslot->tts_isnull, sizeof(bool) * t->ncols);
		return e->additional;
	}
}

void
groupkey_end(GroupKeyTable *t)
{
	if (t->kinds == NULL)
		TermTupleHashIterator(&t->thiter);
}
