/*
 * brent_mdm.c
 *		Module entry point of the brent_mdm extension.
 *
 * Each capability lives in its own folder under src/ (synth/, match/, ...);
 * this file carries the module magic block and _PG_init, which installs the
 * policy module's hooks and shared memory when the library is preloaded
 * (shared_preload_libraries) and does nothing otherwise.
 */
#include "postgres.h"

#include "fmgr.h"

#include "policy/policy.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

void
_PG_init(void)
{
	policy_init();
}
