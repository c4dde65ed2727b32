/*
 * brent_mdm.c
 *		Module entry point of the brent_mdm extension.
 *
 * Each capability lives in its own folder under src/ (synth/, match/, ...);
 * this file only carries the module magic block.
 */
#include "postgres.h"

#include "fmgr.h"

PG_MODULE_MAGIC;
