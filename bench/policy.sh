#!/usr/bin/env bash
# Benchmark: the DPIA policy against no row level security and against a plain
# PL/pgSQL policy function, on the same rows, in the same run.
#
#   ./run bench policy                  10,000,000 rows (the issue's size)
#   BENCH_ROWS=2000000 ./run bench policy
#   bash bench/policy.sh 2000000        (inside a cluster with brent_mdm preloaded)
#   BENCH_ROUNDS=9 BENCH_LOOKUPS_ONLY=1  more rounds; the client part without its scans
#   BENCH_SETUP_ONLY=1                   the tables, roles and DPIA only
#
# Five copies of one table (id int primary key, payload text, d date):
#   plain      no RLS
#   plpgsql    RLS, policy USING (bench_plpgsql_allowed('bench')): a PL/pgSQL
#              function reading a custom GUC, the usual home-made policy
#   gate       RLS with exactly the policy protect() makes for a DPIA without a
#              row filter (USING brent_mdm.purpose_is('bench')), but not
#              registered as protected: the policy without the audit
#   protected  brent_mdm.protect() and a DPIA: the policy and the audit
#   subject    protect(table, 'client_id'): as protected, plus the objection
#              register checked on every row (one objection recorded), read
#              through its masking view (compare with protected_masked)
# read by one analyst role under the purpose.  Point lookups: 100,000 by key
# in a PL/pgSQL loop (cached plans, no client round trip: the per-statement
# overhead at its most visible), timed until the audit worker has stored
# every record (audit_flush, called by every variant alike); scans: a count with a condition on every row.
# This harness runs with parallel query and JIT off (see below for the client harness); a warm-up
# round, then 3 rounds taking the variants in turn; the best of 3 is kept.
set -euo pipefail
rows=${1:-${BENCH_ROWS:-10000000}}
lookups=${BENCH_LOOKUPS:-100000}
db=brent_bench_policy
createdb "$db" 2>/dev/null || true
export PGDATABASE=$db
echo "== policy benchmark: $rows rows, $lookups point lookups per run"

psql -X -q -v ON_ERROR_STOP=1 <<SQL
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS brent_mdm CASCADE;
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bench_owner') THEN CREATE ROLE bench_owner NOLOGIN; END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bench_analyst') THEN CREATE ROLE bench_analyst LOGIN; END IF;
END \$\$;
DROP SCHEMA IF EXISTS bench CASCADE;
DELETE FROM brent_mdm.dpia WHERE dpia_id = 'bench';
CREATE SCHEMA bench;
GRANT USAGE ON SCHEMA bench TO bench_analyst;
CREATE TABLE bench.plain (id int PRIMARY KEY, payload text, d date);
INSERT INTO bench.plain SELECT i, md5(i::text), date '2020-01-01' + i % 2000 FROM generate_series(1, $rows) i;
CREATE TABLE bench.plpgsql (LIKE bench.plain INCLUDING ALL);
INSERT INTO bench.plpgsql SELECT * FROM bench.plain;
CREATE TABLE bench.gate (LIKE bench.plain INCLUDING ALL);
INSERT INTO bench.gate SELECT * FROM bench.plain;
CREATE TABLE bench.protected (LIKE bench.plain INCLUDING ALL);
INSERT INTO bench.protected SELECT * FROM bench.plain;
-- protected with a client-id column: the objection register is checked on every row
CREATE TABLE bench.subject (LIKE bench.plain INCLUDING ALL, client_id bigint);
INSERT INTO bench.subject SELECT p.*, p.id % 1000 + 1 FROM bench.plain p;
ALTER TABLE bench.plain OWNER TO bench_owner;
ALTER TABLE bench.plpgsql OWNER TO bench_owner;
ALTER TABLE bench.gate OWNER TO bench_owner;
ALTER TABLE bench.protected OWNER TO bench_owner;
ALTER TABLE bench.subject OWNER TO bench_owner;
VACUUM ANALYZE bench.plain, bench.plpgsql, bench.gate, bench.protected, bench.subject;

CREATE FUNCTION bench.bench_plpgsql_allowed(dpia text) RETURNS boolean
  LANGUAGE plpgsql STABLE AS \$\$ BEGIN RETURN current_setting('bench.purpose', true) = dpia; END \$\$;
ALTER TABLE bench.plpgsql ENABLE ROW LEVEL SECURITY;
ALTER TABLE bench.plpgsql FORCE ROW LEVEL SECURITY;
CREATE POLICY p ON bench.plpgsql USING (bench.bench_plpgsql_allowed('bench'));

SELECT brent_mdm.register_dpia('bench', 'Benchmark', 'Measuring the policy', 'public_task', 'Brent', 'DBA');
SELECT brent_mdm.protect('bench.protected');
SELECT brent_mdm.set_table_scope('bench', 'bench.protected');
SELECT brent_mdm.set_column_scope('bench', 'bench.protected', c) FROM unnest(ARRAY['id', 'payload', 'd']) c;
SELECT brent_mdm.protect('bench.subject', 'client_id');
SELECT brent_mdm.set_table_scope('bench', 'bench.subject');
SELECT brent_mdm.set_column_scope('bench', 'bench.subject', c) FROM unnest(ARRAY['id', 'payload', 'd', 'client_id']) c;
-- one person objects to every purpose (client 1000000001, never in the table: every row is checked, none hidden)
INSERT INTO brent_mdm.client (client_id) OVERRIDING SYSTEM VALUE VALUES (1000000001) ON CONFLICT DO NOTHING;
SELECT brent_mdm.record_objection(1000000001, 'objection', 'benchmark');
SELECT brent_mdm.approve_dpia('bench', 'DPO', now() + interval '1 day');
SELECT brent_mdm.grant_purpose('bench', 'bench_analyst');
-- the same policies as protect() made, on a table the audit does not know
ALTER TABLE bench.gate ENABLE ROW LEVEL SECURITY;
ALTER TABLE bench.gate FORCE ROW LEVEL SECURITY;
-- (protect() makes one permissive policy per DPIA: its gate, AND its row filter if it has one)
CREATE POLICY brent_mdm_dpia_bench ON bench.gate FOR SELECT USING (brent_mdm.purpose_is('bench'));
GRANT SELECT ON bench.plain, bench.plpgsql, bench.gate, bench.protected, bench.protected_masked, bench.subject_masked TO bench_analyst;
SQL
# (bench/policy_instructions.sh makes its tables here)
[ -n "${BENCH_SETUP_ONLY:-}" ] && exit 0

psql -X -q -v ON_ERROR_STOP=1 -v rows="$rows" -v lookups="$lookups" <<'SQL'
SET max_parallel_workers_per_gather = 0;
SET jit = off;
SET SESSION AUTHORIZATION bench_analyst;
SET bench.purpose = 'bench';
SELECT brent_mdm.begin_purpose('bench') \g /dev/null
\pset footer off
-- one function per table: static SQL, so each lookup is a cached plan
CREATE FUNCTION pg_temp.look(t text, n int, nrows int) RETURNS float8 LANGUAGE plpgsql AS $f$
DECLARE
  start timestamptz := clock_timestamp();
  v text;
  k int;
BEGIN
  FOR i IN 1..n LOOP
    k := (i::bigint * 7919) % nrows + 1;
    CASE t
      WHEN 'plain' THEN SELECT payload INTO v FROM bench.plain WHERE id = k;
      WHEN 'plpgsql' THEN SELECT payload INTO v FROM bench.plpgsql WHERE id = k;
      WHEN 'gate' THEN SELECT payload INTO v FROM bench.gate WHERE id = k;
      WHEN 'protected' THEN SELECT payload INTO v FROM bench.protected WHERE id = k;
      WHEN 'protected_masked' THEN SELECT payload INTO v FROM bench.protected_masked WHERE id = k;
      WHEN 'subject_masked' THEN SELECT payload INTO v FROM bench.subject_masked WHERE id = k;
    END CASE;
    IF v IS NULL THEN RAISE EXCEPTION 'lookup % of % found nothing', k, t; END IF;
  END LOOP;
  -- the audit's whole cost: until the worker has stored every record
  IF NOT brent_mdm.audit_flush(600000) THEN RAISE EXCEPTION 'audit not flushed'; END IF;
  RETURN extract(epoch FROM clock_timestamp() - start) * 1e6 / n;   -- microseconds per lookup
END $f$;
CREATE FUNCTION pg_temp.scan(t text, nrows int) RETURNS float8 LANGUAGE plpgsql AS $f$
DECLARE
  start timestamptz := clock_timestamp();
  c bigint;
BEGIN
  EXECUTE format('SELECT count(*) FROM %s WHERE d IS NOT NULL AND length(payload) = 32', t) INTO c;
  IF c <> nrows THEN RAISE EXCEPTION 'scan of % counted % rows, not %', t, c, nrows; END IF;
  IF NOT brent_mdm.audit_flush(600000) THEN RAISE EXCEPTION 'audit not flushed'; END IF;
  RETURN extract(epoch FROM clock_timestamp() - start) * 1e3;   -- milliseconds per scan
END $f$;

-- three rounds, the variants in turn within each (so that drift hits all alike); best kept
SET bench.lookups = :lookups;
SET bench.rows = :rows;
CREATE TEMP TABLE runs (variant text, lookup_us float8, scan_ms float8);
DO $d$
DECLARE v text;
BEGIN
  FOR round IN 0..3 LOOP       -- round 0 warms the caches and is not kept
    FOREACH v IN ARRAY ARRAY['plain', 'plpgsql', 'gate', 'protected', 'protected_masked', 'subject_masked'] LOOP
      INSERT INTO runs
      SELECT v, pg_temp.look(v, current_setting('bench.lookups')::int, current_setting('bench.rows')::int),
             pg_temp.scan('bench.' || v, current_setting('bench.rows')::int)
       WHERE round > 0 OR v IS NOT NULL;
      IF round = 0 THEN DELETE FROM runs; END IF;
    END LOOP;
  END LOOP;
END $d$;
CREATE TEMP TABLE r AS SELECT variant, min(lookup_us) AS lookup_us, min(scan_ms) AS scan_ms FROM runs GROUP BY variant;
SELECT variant, round(lookup_us::numeric, 2) AS "lookup (us)",
       round((lookup_us / (SELECT lookup_us FROM r WHERE variant = 'plain'))::numeric, 3) AS "vs no RLS",
       round(scan_ms::numeric, 0) AS "scan (ms)",
       round((scan_ms / (SELECT scan_ms FROM r WHERE variant = 'plain'))::numeric, 3) AS "vs no RLS "
  FROM r ORDER BY array_position(ARRAY['plain', 'plpgsql', 'gate', 'protected', 'protected_masked', 'subject_masked'], variant);
SELECT round(((SELECT lookup_us FROM r WHERE variant = 'protected') - (SELECT lookup_us FROM r WHERE variant = 'gate'))::numeric, 2)
         AS "audit per statement (us)",
       round(((SELECT scan_ms FROM r WHERE variant = 'plpgsql') / (SELECT scan_ms FROM r WHERE variant = 'protected'))::numeric, 1)
         AS "scan: PL/pgSQL policy / ours",
       round(((SELECT lookup_us FROM r WHERE variant = 'plpgsql') / (SELECT lookup_us FROM r WHERE variant = 'protected'))::numeric, 2)
         AS "lookup: PL/pgSQL policy / ours";
SELECT brent_mdm.end_purpose() \g /dev/null
RESET SESSION AUTHORIZATION;
SELECT brent_mdm.audit_flush(60000) AS audit_flushed,
       count(*) AS audit_records_of_the_run
  FROM brent_mdm.audit_log WHERE role_name = 'bench_analyst' AND table_name = 'bench.protected';
SQL

# ---- as analysts and BI tools meet it: a client, its protocol, server defaults ----
# Lookups by pgbench (one client, the simple and the prepared protocol), each
# transaction one statement; scans (count with a condition on every row) at the
# server's defaults (parallel query on, JIT as configured), then with parallel
# query off, then with parallel query and JIT off.  Variants: the table with no
# RLS (plain) and the protected table read through its masking view under the
# purpose (protected_masked), as analysts are told to; the gate and the table
# itself for reference.  The analyst begins the purpose once per connection
# (the first transaction of each client, after SET SESSION AUTHORIZATION to the
# analyst role: pgbench connects as the cluster's superuser).  Best and median
# of BENCH_ROUNDS runs (3), variants in turn.
pgbench=/usr/lib/postgresql/15/bin/pgbench
[ -x "$pgbench" ] || pgbench=$(command -v pgbench)
tx=${BENCH_CLIENT_LOOKUPS:-20000}
scans=${BENCH_SCANS:-3}
work=$(mktemp -d)
chmod 755 "$work"
echo
echo "== as a client sees it: pgbench, $tx lookups a run, $scans scans a run, server defaults unless said"
for v in plain gate protected protected_masked; do
  cat > "$work/look_$v.sql" <<PGB
\if :started = 0
SET SESSION AUTHORIZATION bench_analyst;
SELECT brent_mdm.begin_purpose('bench');
\set started 1
\endif
\set k random(1, $rows)
SELECT payload FROM bench.$v WHERE id = :k;
PGB
  for mode in defaults no_parallel no_parallel_no_jit; do
    cat > "$work/scan_${v}_$mode.sql" <<PGB
\if :started = 0
SET SESSION AUTHORIZATION bench_analyst;
SELECT brent_mdm.begin_purpose('bench');
\set started 1
\endif
SELECT count(*) FROM bench.$v WHERE d IS NOT NULL AND length(payload) = 32;
PGB
  done
done
mode_options() {  # the server settings of a scan mode, as PGOPTIONS
  case $1 in
    defaults) echo "" ;;
    no_parallel) echo "-c max_parallel_workers_per_gather=0" ;;
    no_parallel_no_jit) echo "-c max_parallel_workers_per_gather=0 -c jit=off" ;;
  esac
}
latency() {  # mean latency (ms) of a one-client pgbench run, from its tps (printed to 6
             # decimals; "latency average" is rounded to the microsecond, too coarse here)
  sed -n 's/^tps = \([0-9.]*\) (without initial connection time)$/\1/p' | awk '{ printf "%.6f\n", 1000 / $1 }'
}
results=$work/results.tsv
: > "$results"
rounds=${BENCH_ROUNDS:-3}
for round in $(seq 0 "$rounds"); do     # round 0 warms up and is not kept
  for v in plain gate protected protected_masked; do
    for proto in simple prepared; do
      l=$(PGOPTIONS="" "$pgbench" -n -D started=0 -M $proto -c 1 -t "$tx" -f "$work/look_$v.sql" "$PGDATABASE" 2>>"$work/pgbench.err" | latency)
      [ "$round" -gt 0 ] && printf 'lookup_%s\t%s\t%s\n' "$proto" "$v" "$l" >> "$results"
    done
    [ -n "${BENCH_LOOKUPS_ONLY:-}" ] && continue
    for mode in defaults no_parallel no_parallel_no_jit; do
      o=$(mode_options "$mode")
      l=$(PGOPTIONS="$o" "$pgbench" -n -D started=0 -c 1 -t "$scans" -f "$work/scan_${v}_$mode.sql" "$PGDATABASE" 2>>"$work/pgbench.err" | latency)
      [ "$round" -gt 0 ] && printf 'scan_%s\t%s\t%s\n' "$mode" "$v" "$l" >> "$results"
    done
  done
  psql -X -q -c "SELECT brent_mdm.audit_flush(600000)" >/dev/null
done
psql -X -q <<SQL
CREATE TEMP TABLE c (measure text, variant text, ms float8);
\\copy c FROM '$results'
\pset footer off
SELECT measure, variant, round(min(ms)::numeric, 4) AS "best (ms)",
       round((min(ms) / (SELECT min(ms) FROM c p WHERE p.measure = c.measure AND p.variant = 'plain'))::numeric, 3)
         AS "vs no RLS",
       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY ms))::numeric, 4) AS "median (ms)",
       round(((percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)) /
              (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FROM c p
                WHERE p.measure = c.measure AND p.variant = 'plain'))::numeric, 3) AS "vs no RLS (median)"
  FROM c GROUP BY measure, variant
 ORDER BY measure, array_position(ARRAY['plain', 'gate', 'protected', 'protected_masked'], variant);
SQL
[ -s "$work/pgbench.err" ] && { echo "pgbench said:"; sort -u "$work/pgbench.err" | head -5; }
rm -rf "$work"
