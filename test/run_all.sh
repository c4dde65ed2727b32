#!/usr/bin/env bash
# Every test, inside a throwaway cluster (./run test sets PG* for it):
#   1. pg_regress (make installcheck): exact output of sql/*.sql against expected/
#   2. pgTAP (test/*.sql, a database each): hygiene, error paths, properties
#   3. the upgrade path from every released version (test/upgrade.sh)
#   4. pg_dump and restore keep configuration (test/dump.sh)
#   5. the Client Index change feed reaches a listener (test/feed.sh), and its backend caches
#      hold under invalidations that arrive while they are in use (test/client_cache.sh)
#   6. the Client Index under cancel, kill -9 and concurrent writers (test/crash.sh)
#   7. audit_flush and the subject access report wait for the audit worker (test/audit_wait.sh)
#   8. the audit when backends end, the queue is full, the server stops or crashes (test/audit.sh)
#   9. the BI path: an ODBC session through psqlODBC (test/odbc.sh)
#  10. the documentation's examples (test/docs.pl)
#  11. metadata: META.json against the PGXN spec (prove test/t/*.t)
#  12. the demo on a small borough runs clean (test/demo.sh)
#  13. bad input: every function over NULLs, 100 MB, every script, extremes (test/bad_input.sh)
#  14. indicator rollups under concurrent writers, kill -9 and a server crash (test/rollup.sh)
#  15. the indicator catalogue's ward stage between writers of events and of the gazetteer (test/catalogue_wards.sh)
# Runs them all, prints each runner's summary, fails if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."
failed=()

step() { printf '\n== %s\n' "$*"; }

step "pg_regress (make installcheck)"
if ! make -s installcheck PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config; then
  failed+=("pg_regress")
  [ -f regression.diffs ] && head -n 200 regression.diffs
fi

step "pgTAP (test/*.sql, each in a database of its own: test/lib/tap_one.sh)"
prove --exec 'bash test/lib/tap_one.sh' test/*.sql || failed+=("pgTAP")

step "upgrade path (test/upgrade.sh)"
bash test/upgrade.sh || failed+=("upgrade")

step "pg_dump and restore (test/dump.sh)"
bash test/dump.sh || failed+=("dump")

step "Client Index change feed (test/feed.sh)"
bash test/feed.sh || failed+=("feed")

step "Client Index caches under invalidations (test/client_cache.sh)"
bash test/client_cache.sh || failed+=("client_cache")

step "Client Index under cancel, crash and concurrent writers (test/crash.sh)"
bash test/crash.sh || failed+=("crash")

step "waiting for the audit worker (test/audit_wait.sh)"
bash test/audit_wait.sh || failed+=("audit_wait")

step "audit: backends ended, a full queue, shutdown and crash (test/audit.sh)"
bash test/audit.sh || failed+=("audit")

step "ODBC through psqlODBC (test/odbc.sh)"
bash test/odbc.sh || failed+=("ODBC")

step "documentation examples (test/docs.pl)"
perl test/docs.pl || failed+=("docs")

step "metadata (prove test/t)"
prove test/t/ || failed+=("metadata")

step "the demo on a small borough (test/demo.sh)"
bash test/demo.sh || failed+=("demo")

step "bad input: every function, the server stays up (test/bad_input.sh)"
bash test/bad_input.sh || failed+=("bad input")

step "indicator rollups: concurrent writers, kill -9, crash (test/rollup.sh)"
bash test/rollup.sh || failed+=("rollup")

step "indicator catalogue by ward: writers of events and of the gazetteer (test/catalogue_wards.sh)"
bash test/catalogue_wards.sh || failed+=("catalogue wards")

echo
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED: ${failed[*]}"
  exit 1
fi
echo "ALL TESTS PASSED"
