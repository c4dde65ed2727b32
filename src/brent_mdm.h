/*
 * brent_mdm.h
 *		Small helpers shared by the modules.
 */
#ifndef BRENT_MDM_H
#define BRENT_MDM_H

#include "access/xact.h"
#include "portability/instr_time.h"
#include "utils/memutils.h"

/* Seconds since start, for progress NOTICEs. */
static inline double
seconds_since(instr_time start)
{
	instr_time	now;

	INSTR_TIME_SET_CURRENT(now);
	INSTR_TIME_SUBTRACT(now, start);
	return INSTR_TIME_GET_DOUBLE(now);
}

/*
 * A backend cache's memory, replaced by a new load.  Functions up the stack
 * may still hold pointers into it (an invalidation is processed at any lock
 * a query takes), so it is freed at the end of the top transaction, not now.
 * Invalidation callbacks only mark a cache stale; the load that replaces it
 * retires the old memory this way.
 */
static inline void
cache_retire(MemoryContext cxt)
{
	if (cxt == NULL)
		return;
	if (IsTransactionState())
		MemoryContextSetParent(cxt, TopTransactionContext);
	else
		MemoryContextDelete(cxt);
}

#endif							/* BRENT_MDM_H */
