/*
 * brent_mdm.c
 *		Module entry point of the brent_mdm extension.
 *
 * Each capability lives in its own folder under src/ (synth/, match/, ...);
 * this file carries the module magic block and _PG_init, which defines the
 * linkage settings (brent_mdm.u_sample_pairs, brent_mdm.max_candidate_pairs,
 * brent_mdm.split_window)
 * and the rollups' (brent_mdm.rollup_fold_threshold), and installs the policy
 * module's hooks and the shared memory of the audit and of the rollups' fold
 * worker when the library is preloaded (shared_preload_libraries).
 */
#include "postgres.h"

#include "fmgr.h"

#include "link/link.h"
#include "policy/policy.h"
#include "rollup/rollup.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

void
_PG_init(void)
{
	link_init();
	policy_init();
	policy_pseudo_init();
	policy_purpose_guc_init();
	policy_guard_init();
	rollup_init();
}
