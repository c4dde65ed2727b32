/*
 * brent_mdm.h
 *		Small helpers shared by the modules.
 */
#ifndef BRENT_MDM_H
#define BRENT_MDM_H

#include "portability/instr_time.h"

/* Seconds since start, for progress NOTICEs. */
static inline double
seconds_since(instr_time start)
{
	instr_time	now;

	INSTR_TIME_SET_CURRENT(now);
	INSTR_TIME_SUBTRACT(now, start);
	return INSTR_TIME_GET_DOUBLE(now);
}

#endif							/* BRENT_MDM_H */
