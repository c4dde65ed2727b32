/*
 * rollup.h
 *		Indicator rollups: what the capture trigger (rollup.c), the fold
 *		worker (fold.c) and the partition DDL event trigger (partition.c) share.
 */
#ifndef BRENT_MDM_ROLLUP_H
#define BRENT_MDM_ROLLUP_H

#include "commands/trigger.h"
#include "nodes/pg_list.h"
#include "utils/relcache.h"

extern void rollup_init(void);
extern void rollup_fold_note(Oid relid, int64 written);

/* rollup.c, for partition.c */
extern void rollup_relation_rows(Relation rel, Trigger *tg, int sign);
extern List *rollup_indicators_on(List *sources);

#endif
