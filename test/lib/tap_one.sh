#!/usr/bin/env bash
# One pgTAP file in a database of its own, made here and dropped after it, so
# that no file sees what another left behind (two files commit: a later one
# found the extension installed, with their Client Index and its model).
#   prove --exec 'bash test/lib/tap_one.sh' test/*.sql
# psql as pg_prove runs it; PG* from the environment.
set -u
f=${!#}
db="brent_mdm_tap_$(basename "$f" .sql)"
dropdb --if-exists "$db" >/dev/null 2>&1
createdb "$db" || exit 1
psql --no-psqlrc --no-align --quiet --pset pager=off --pset tuples_only=true \
     --set ON_ERROR_STOP=1 -d "$db" -f "$f"
rc=$?
dropdb --if-exists "$db" >/dev/null 2>&1 || true
exit $rc
