/*
 * chunk_sort.h
 *		A chunk sort for link_merge_begin_sorted: qsort's order by a
 *		comparison, from PostgreSQL's sort_template.h (qsort's own algorithm)
 *		made for one element type with the comparison inlined.
 *
 * Define before including, as for sort_template.h:
 *		CHUNK_SORT		the sort's name (a LinkChunkSort)
 *		CHUNK_SORT_TYPE	the element type
 *		CHUNK_SORT_CMP	its comparison, int (*)(const void *, const void *)
 * Included once per element type; the names are undefined at the end.
 */
#ifndef CHUNK_SORT_TYPED
/* name_typed, name expanded first (CppConcat pastes its arguments as written) */
#define CHUNK_SORT_TYPED_(name) name##_typed
#define CHUNK_SORT_TYPED(name) CHUNK_SORT_TYPED_(name)
#endif
#define ST_SORT CHUNK_SORT_TYPED(CHUNK_SORT)
#define ST_ELEMENT_TYPE CHUNK_SORT_TYPE
#define ST_COMPARE(a, b) CHUNK_SORT_CMP(a, b)
#define ST_SCOPE static
#define ST_DEFINE
#include "lib/sort_template.h"

static void
CHUNK_SORT(void *base, size_t n, size_t size)
{
	Assert(size == sizeof(CHUNK_SORT_TYPE));
	CHUNK_SORT_TYPED(CHUNK_SORT) (base, n);
}

#undef CHUNK_SORT
#undef CHUNK_SORT_TYPE
#undef CHUNK_SORT_CMP
