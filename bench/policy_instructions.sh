#!/usr/bin/env bash
# Benchmark: what a prepared point lookup costs the backend, in CPU
# instructions counted by valgrind (callgrind), so that the cost of each layer
# of the policy is measured exactly and the same on any machine, however busy.
# Timings of a 13-microsecond statement on a shared 2-core machine cannot
# resolve a microsecond (docs/benchmarks.md); instruction counts can.
#
#   bash bench/policy_instructions.sh          (valgrind and pgbench needed; as root or a user)
#   BENCH_ROWS=200000 BENCH_N=4000 bash bench/policy_instructions.sh
#   BENCH_PROTOCOL=simple bash bench/policy_instructions.sh   (psql's protocol: each
#                     lookup parsed and planned again; default prepared)
#
# Starts its own throwaway cluster (brent_mdm preloaded) under
# valgrind --tool=callgrind, on a table of BENCH_ROWS rows in six forms (made by
# bench/policy.sh with BENCH_SETUP_ONLY=1, and a database without brent_mdm), read
# by one analyst role under a purpose, with pgbench's prepared protocol:
#   bare              no RLS, in a database without brent_mdm (PostgreSQL alone)
#   plain             no RLS, in the database of the protected tables, under
#                     the purpose (what the extension's hooks cost other tables)
#   plain_view        a plain view over plain, owned by the table's owner
#                     (PostgreSQL's own cost of reading through a view)
#   gate              the policy protect() makes (RLS), not audited
#   protected         brent_mdm.protect(): the policy and the audit
#   protected_masked  its masking view, as analysts are told to read
# Each form runs twice in a fresh connection (500 and 500 + BENCH_N lookups);
# the difference of the backend's instruction counts over BENCH_N is the cost
# of one lookup, connection and start-up excluded.
set -euo pipefail
rows=${BENCH_ROWS:-50000}
n=${BENCH_N:-2000}
protocol=${BENCH_PROTOCOL:-prepared}
source "$(dirname "$0")/lib/callgrind_cluster.sh"
callgrind_cluster_init policy_ir
callgrind_cluster_start
echo "== instructions per lookup, $protocol protocol (callgrind), $rows rows, $n lookups a form"
# the tables, roles and DPIA of bench/policy.sh (database brent_bench_policy), and a plain view
BENCH_SETUP_ONLY=1 bash "$(dirname "$0")/policy.sh" "$rows" >/dev/null
export PGDATABASE=brent_bench_policy
psql -X -q -o /dev/null -v ON_ERROR_STOP=1 <<SQL
CREATE VIEW bench.plain_view AS SELECT * FROM bench.plain;
ALTER VIEW bench.plain_view OWNER TO bench_owner;
GRANT SELECT ON bench.plain_view TO bench_analyst;
SQL
psql -X -q -o /dev/null -v ON_ERROR_STOP=1 <<SQL
CREATE DATABASE bare;
\c bare
CREATE ROLE bench_bare LOGIN;
CREATE TABLE bare (id int PRIMARY KEY, payload text, d date);
INSERT INTO bare SELECT i, md5(i::text), date '2020-01-01' + i % 2000 FROM generate_series(1, $rows) i;
VACUUM ANALYZE bare;
GRANT SELECT ON bare TO bench_bare;
SQL

pgbench=$bindir/pgbench
[ -x "$pgbench" ] || pgbench=$(command -v pgbench)
forms="bare plain plain_view gate protected protected_masked"
cat > "$work/look_bare.sql" <<PGB
\if :started = 0
SET SESSION AUTHORIZATION bench_bare;
SELECT pg_backend_pid() AS pid \gset
\shell echo :pid > $work/pid
\set started 1
\endif
\set k random(1, $rows)
SELECT payload FROM bare WHERE id = :k;
PGB
for v in ${forms#bare }; do
  cat > "$work/look_$v.sql" <<PGB
\if :started = 0
SET SESSION AUTHORIZATION bench_analyst;
SELECT brent_mdm.begin_purpose('bench');
SELECT pg_backend_pid() AS pid \gset
\shell echo :pid > $work/pid
\set started 1
\endif
\set k random(1, $rows)
SELECT payload FROM bench.$v WHERE id = :k;
PGB
done
chmod -R a+rX "$work"
# the backend's instructions after a run of $2 lookups of form $1
backend_ir() {
  local db=brent_bench_policy
  [ "$1" = bare ] && db=bare
  "$pgbench" -n -D started=0 -M "$protocol" -c 1 -t "$2" -f "$work/look_$1.sql" "$db" >/dev/null 2>"$work/pgbench.err" \
    || { cat "$work/pgbench.err"; exit 1; }
  local pid f
  pid=$(cat "$work/pid")
  f=$work/cg.$pid
  for i in $(seq 60); do grep -q '^totals:' "$f" 2>/dev/null && break; sleep 0.5; done
  grep '^totals:' "$f" | awk '{print $2}'
}
declare -A per
for v in $forms; do
  lo=$(backend_ir "$v" 500)
  hi=$(backend_ir "$v" $((500 + n)))
  per[$v]=$(( (hi - lo) / n ))
done
printf '%-18s %14s %10s %12s %10s\n' form instructions "vs plain" "added" "vs bare"
for v in $forms; do
  printf '%-18s %14d %10.3f %12d %10.3f\n' "$v" "${per[$v]}" "$(echo "${per[$v]} / ${per[plain]}" | bc -l)" $(( per[$v] - per[plain] )) \
    "$(echo "${per[$v]} / ${per[bare]}" | bc -l)"
done
echo "layers: hooks on an unprotected table $(( per[plain] - per[bare] )), view $(( per[plain_view] - per[plain] )), gate (RLS) $(( per[gate] - per[plain] )), audit $(( per[protected] - per[gate] )), masking view over the protected table $(( per[protected_masked] - per[protected] ))"
