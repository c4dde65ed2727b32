#!/usr/bin/env bash
# Benchmark: an indicator kept current by brent_mdm's rollup against the same
# aggregate as a materialized view refreshed after each change, and against no
# aggregate at all (the write overhead), on the same table in the same run.
#
# Rows: BENCH_ROWS (default 10,000,000, the issue's figure) events over 22 wards,
# 30 categories and 60 months.  The aggregate: count(*) by ward, category, month.
# Changes of BENCH_CHANGE rows (default 10,000): an INSERT of new rows, an UPDATE
# moving them to another ward and month, a DELETE of them; and a COPY of as many
# rows.  Each is run 3 times (the table is back as it was after each cycle) and
# the best kept.  Then single-row inserts with pgbench (1 client, then 8), with
# and without the rollup; the cost of a count(distinct) indicator on the same
# changes; reading a 60-month series for all wards.  Ratios: above 1 means the
# rollup is faster; "overhead" is (with rollup / without) - 1.
# The runs without and with the rollup are interleaved, best of each kept: on a shared
# machine, load that comes and goes would otherwise land on one side.
# pg_ivm (peer): when it is installed, its IMMV of the same aggregate is maintained on the
# same changes, interleaved with the two above, and its rows and the ratio pg_ivm / rollup
# are printed; when it is not, they are skipped with a message.  To build it (outside the
# project, never copied into it), from ../shared/peers/pg_ivm-*.tar.gz:
#   tar xzf pg_ivm-*.tar.gz -C /tmp/ivm-build && cd /tmp/ivm-build/pg_ivm &&
#   make USE_PGXS=1 PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config &&
#   flock -o /tmp/brent_install.lock make USE_PGXS=1 PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config install
# pg_ivm must be in shared_preload_libraries or session_preload_libraries; this script sets
# session_preload_libraries on its own database (ALTER DATABASE), so ./run's cluster is unchanged.
#   ./run bench rollup            BENCH_ROWS=1000000 ./run bench rollup
set -euo pipefail
rows=${BENCH_ROWS:-10000000}
change=${BENCH_CHANGE:-10000}
pgbench_tx=${BENCH_PGBENCH_TX:-16000}
db=brent_bench_rollup
work=$(mktemp -d)
chmod 777 "$work"
trap 'rm -rf "$work"' EXIT
dropdb --if-exists "$db" 2>/dev/null || true
createdb "$db"
export PGDATABASE=$db
ivm=$(psql -X -Atq -c "SELECT count(*) FROM pg_available_extensions WHERE name = 'pg_ivm'")
if [ "$ivm" = 1 ]; then
  psql -X -q -c "ALTER DATABASE $db SET session_preload_libraries = 'pg_ivm'"
else
  echo "-- pg_ivm is not installed: its rows are skipped (to build it, see the head of bench/rollup.sh)"
fi
echo "== rollup benchmark: $rows rows, changes of $change rows"
psql -X -q -v ON_ERROR_STOP=1 <<SQL
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS brent_mdm CASCADE;
SELECT setseed(0.5) \g /dev/null
CREATE TABLE bench_ev (id bigint PRIMARY KEY, ward smallint NOT NULL, category smallint NOT NULL,
                       occurred date NOT NULL, amount numeric, label integer);
INSERT INTO bench_ev
SELECT g, (g % 22)::smallint, (g / 22 % 30)::smallint, date '2021-04-01' + (g / 660 % 1826)::int,
       round((random() * 100)::numeric, 2), (random() * 1000)::int
  FROM generate_series(1, $rows) g;
VACUUM ANALYZE bench_ev;
CREATE TABLE bench_copy AS
SELECT $rows * 10 + g AS id, (g % 22)::smallint AS ward, (g % 30)::smallint AS category,
       date '2023-01-01' + g % 365 AS occurred, 1.5::numeric AS amount, g % 1000 AS label
  FROM generate_series(1, $change) g;
COPY bench_copy TO '$work/copy.tsv';
-- one change cycle, each statement timed (ms); the table is as it was after it
CREATE FUNCTION bench_cycle(refresh boolean, OUT ins float8, OUT upd float8, OUT del float8, OUT copy float8)
LANGUAGE plpgsql AS \$\$
DECLARE t0 timestamptz; base bigint := $rows * 2;
BEGIN
  t0 := clock_timestamp();
  INSERT INTO bench_ev SELECT base + g, (g % 22)::smallint, (g % 30)::smallint, date '2024-01-01' + g % 300, 2.5, g % 1000
    FROM generate_series(1, $change) g;
  IF refresh THEN REFRESH MATERIALIZED VIEW bench_mv; END IF;
  ins := extract(epoch FROM clock_timestamp() - t0) * 1000;
  t0 := clock_timestamp();
  UPDATE bench_ev SET ward = (ward + 5) % 22, occurred = occurred - 400 WHERE id > base AND id <= base + $change;
  IF refresh THEN REFRESH MATERIALIZED VIEW bench_mv; END IF;
  upd := extract(epoch FROM clock_timestamp() - t0) * 1000;
  t0 := clock_timestamp();
  DELETE FROM bench_ev WHERE id > base AND id <= base + $change;
  IF refresh THEN REFRESH MATERIALIZED VIEW bench_mv; END IF;
  del := extract(epoch FROM clock_timestamp() - t0) * 1000;
  t0 := clock_timestamp();
  COPY bench_ev FROM '$work/copy.tsv';
  IF refresh THEN REFRESH MATERIALIZED VIEW bench_mv; END IF;
  copy := extract(epoch FROM clock_timestamp() - t0) * 1000;
  DELETE FROM bench_ev WHERE id > $rows * 10;
END \$\$;
CREATE TABLE bench_result (config text, op text, ms float8);
CREATE FUNCTION bench_run(config text, refresh boolean) RETURNS void LANGUAGE plpgsql AS \$\$
DECLARE r record;
BEGIN
  FOR i IN 1..3 LOOP
    SELECT * INTO r FROM bench_cycle(refresh);
    INSERT INTO bench_result VALUES (config, 'insert', r.ins), (config, 'update', r.upd),
                                    (config, 'delete', r.del), (config, 'copy', r.copy);
  END LOOP;
END \$\$;
SQL
# single-row inserts (the sensor-ingestion case): one statement per transaction
cat > "$work/single.sql" <<'SQL'
\set w random(0, 21)
\set c random(0, 29)
\set d random(0, 1825)
INSERT INTO bench_ev VALUES (nextval('bench_single'), :w, :c, date '2021-04-01' + :d, 1, 1);
SQL
psql -X -q -c "CREATE SEQUENCE bench_single START $((rows * 20))"
# label clients: pgbench's tps into bench_result; its rows deleted after (in the same
# trigger state, so an indicator is left as it was)
single() {
  local tps
  tps=$(pgbench -n -c "$2" -j 2 -t $((pgbench_tx / $2)) -f "$work/single.sql" 2>/dev/null | sed -n 's/^tps = \([0-9.]*\).*/\1/p')
  psql -X -q -c "INSERT INTO bench_result VALUES ('$1', 'single_tps_$2', $tps)" \
       -c "DELETE FROM bench_ev WHERE id >= $((rows * 20))" -c "VACUUM bench_ev"
}
# triggers none|rollup|ivm: only that configuration's triggers on bench_ev enabled (pg_ivm's
# are internal triggers named IVM_trigger_*, so ALL then by name)
triggers() {
  psql -X -q -v ON_ERROR_STOP=1 -c "ALTER TABLE bench_ev DISABLE TRIGGER ALL" -c "
    DO \$\$ DECLARE t name; BEGIN
      FOR t IN SELECT tgname FROM pg_trigger WHERE tgrelid = 'bench_ev'::regclass
                  AND '$1' <> 'none' AND (tgname LIKE 'IVM\\_trigger%') = ('$1' = 'ivm') LOOP
        EXECUTE format('ALTER TABLE bench_ev ENABLE TRIGGER %I', t);
      END LOOP; END \$\$"
}
# the aggregate as pg_ivm accepts it (immutable expressions only: date to timestamp, not timestamptz)
ivm_query="SELECT ward, category, date_trunc('month', occurred::timestamp)::date AS period, count(*) FROM bench_ev GROUP BY ward, category, date_trunc('month', occurred::timestamp)::date"

psql -X -q -c "CHECKPOINT"

echo "-- materialized view, refreshed after each change"
psql -X -q -c "CREATE MATERIALIZED VIEW bench_mv AS SELECT ward, category, date_trunc('month', occurred)::date AS period, count(*) FROM bench_ev GROUP BY 1, 2, 3" \
     -c "SELECT bench_run('matview', true)" -c "DROP MATERIALIZED VIEW bench_mv" -c "VACUUM bench_ev"

# no aggregate and the rollup, interleaved (the machine's load changes under a run): the
# rollup's triggers disabled for the runs without it; each cycle leaves the table as it was,
# so the indicator stays exact (checked at the end)
if [ "$ivm" = 1 ]; then
  echo "-- no aggregate / brent_mdm rollup / pg_ivm IMMV, interleaved"
  psql -X -q -c "SET client_min_messages = warning" -c "CREATE EXTENSION pg_ivm" \
       -c "SELECT pgivm.create_immv('bench_immv', \$q\$$ivm_query\$q\$)" >/dev/null
  configs="none rollup ivm"
else
  echo "-- no aggregate / brent_mdm rollup, interleaved"
  configs="none rollup"
fi
psql -X -q -c "SELECT brent_mdm.define_indicator('bench_count', 'bench_ev', 'count(*)', '{ward,category}', 'occurred', 'month')" >/dev/null
for i in 1 2 3; do
  for c in $configs; do
    triggers $c; psql -X -q -c "SELECT bench_run('$c', false)" -c "VACUUM bench_ev" >/dev/null; single $c 1
  done
done
for i in 1 2; do for c in $configs; do triggers $c; single $c 8; done; done
exact_ivm="skipped"
if [ "$ivm" = 1 ]; then
  exact_ivm=$(psql -X -Atq -c "SELECT count(*) FROM ((SELECT ward, category, period, count FROM bench_immv EXCEPT $ivm_query)
                                UNION ALL ($ivm_query EXCEPT SELECT ward, category, period, count FROM bench_immv)) d")
fi
triggers rollup

# the fold worker (brent_mdm.rollup_fold_threshold, default 10,000 delta rows) folded by itself
# during the runs above: the reads below see what it left pending
psql -X -q -c "INSERT INTO bench_result SELECT 'rollup', 'worker_folds', folds FROM brent_mdm.indicator_status() WHERE name = 'bench_count'"
psql -X -q -c "INSERT INTO bench_result SELECT 'rollup', 'pending_deltas', count(*) FROM brent_mdm_rollup.bench_count_delta"
psql -X -q -c "INSERT INTO bench_result SELECT 'rollup', 'read_series_pending', 1000 * extract(epoch FROM clock_timestamp() - t0) FROM (SELECT clock_timestamp() AS t0) t, LATERAL (SELECT count(*) FROM brent_mdm_rollup.bench_count WHERE category = 3) x"
psql -X -q -c "INSERT INTO bench_result SELECT 'rollup', 'fold', 1000 * extract(epoch FROM clock_timestamp() - t0) FROM (SELECT clock_timestamp() AS t0) t, LATERAL brent_mdm.fold_indicator('bench_count') f"
psql -X -q -c "INSERT INTO bench_result SELECT 'rollup', 'read_series_folded', 1000 * extract(epoch FROM clock_timestamp() - t0) FROM (SELECT clock_timestamp() AS t0) t, LATERAL (SELECT count(*) FROM brent_mdm_rollup.bench_count WHERE category = 3) x"
psql -X -q -c "VACUUM brent_mdm_rollup.bench_count_delta" -c "VACUUM brent_mdm_rollup.bench_count_base"
psql -X -q -c "INSERT INTO bench_result SELECT 'rollup', 'read_series_vacuumed', 1000 * extract(epoch FROM clock_timestamp() - t0) FROM (SELECT clock_timestamp() AS t0) t, LATERAL (SELECT count(*) FROM brent_mdm_rollup.bench_count WHERE category = 3) x"
# the most deltas a reader meets while the worker keeps up: 9,900 pending (3 statements of
# 3,300 groups, under the 10,000 threshold); best of 5 reads; then the rows go again
psql -X -q -c "SELECT brent_mdm.fold_indicator('bench_count')" -c "VACUUM brent_mdm_rollup.bench_count_delta" >/dev/null
for k in 1 2 3; do
  psql -X -q -c "INSERT INTO bench_ev SELECT $rows * 30 + $k * 10000 + g, (g % 22)::smallint, (g % 30)::smallint, date '2021-04-01' + g % 1800, 1, 1 FROM generate_series(1, 3300) g"
done
psql -X -q -c "INSERT INTO bench_result SELECT 'rollup', 'pending_9900', count(*) FROM brent_mdm_rollup.bench_count_delta"
for k in 1 2 3 4 5; do
  psql -X -q -c "INSERT INTO bench_result SELECT 'rollup', 'read_series_9900', 1000 * extract(epoch FROM clock_timestamp() - t0) FROM (SELECT clock_timestamp() AS t0) t, LATERAL (SELECT count(*) FROM brent_mdm_rollup.bench_count WHERE category = 3) x"
done
psql -X -q -c "DELETE FROM bench_ev WHERE id > $rows * 30" >/dev/null
psql -X -q -c "SELECT brent_mdm.fold_indicator('bench_count')" >/dev/null
exact=$(psql -X -Atq -c "SELECT brent_mdm.verify_indicator('bench_count')")

echo "-- brent_mdm rollup with count(distinct label) as well"
psql -X -q -c "SELECT brent_mdm.define_indicator('bench_distinct', 'bench_ev', 'count(distinct label)', '{ward}', 'occurred', 'month')" >/dev/null
psql -X -q -c "SELECT bench_run('rollup+distinct', false)" -c "VACUUM bench_ev"
exact_d=$(psql -X -Atq -c "SELECT brent_mdm.fold_indicator('bench_distinct')" -c "SELECT brent_mdm.verify_indicator('bench_distinct')" | tail -1)

psql -X -q -P pager=off <<SQL
\pset footer off
WITH b AS (SELECT config, op, min(ms) AS ms FROM bench_result GROUP BY 1, 2)
SELECT op AS "change of $change rows (best run, ms)",
       round((SELECT ms FROM b WHERE config = 'none' AND b.op = o.op)::numeric, 1) AS "no aggregate",
       round((SELECT ms FROM b WHERE config = 'matview' AND b.op = o.op)::numeric, 1) AS "+ REFRESH matview",
       round((SELECT ms FROM b WHERE config = 'rollup' AND b.op = o.op)::numeric, 1) AS "rollup",
       round((SELECT ms FROM b WHERE config = 'rollup+distinct' AND b.op = o.op)::numeric, 1) AS "rollup + count distinct",
       round((SELECT ms FROM b WHERE config = 'ivm' AND b.op = o.op)::numeric, 1) AS "pg_ivm",
       round(((SELECT ms FROM b WHERE config = 'matview' AND b.op = o.op) /
              (SELECT ms FROM b WHERE config = 'rollup' AND b.op = o.op))::numeric, 1) AS "matview / rollup",
       round(((SELECT ms FROM b WHERE config = 'ivm' AND b.op = o.op) /
              (SELECT ms FROM b WHERE config = 'rollup' AND b.op = o.op))::numeric, 1) AS "pg_ivm / rollup",
       round((100 * ((SELECT ms FROM b WHERE config = 'rollup' AND b.op = o.op) /
                     (SELECT ms FROM b WHERE config = 'none' AND b.op = o.op) - 1))::numeric, 1) AS "rollup overhead %"
  FROM (VALUES (1, 'insert'), (2, 'update'), (3, 'delete'), (4, 'copy')) o(k, op) ORDER BY k;
WITH b AS (SELECT config, op, max(ms) AS v FROM bench_result WHERE op LIKE 'single_tps_%' GROUP BY 1, 2)
SELECT (SELECT round(v::numeric) FROM b WHERE config = 'none' AND op = 'single_tps_1') AS "single-row tps (best), none, 1 client",
       (SELECT round(v::numeric) FROM b WHERE config = 'rollup' AND op = 'single_tps_1') AS "rollup, 1 client",
       (SELECT round(v::numeric) FROM b WHERE config = 'none' AND op = 'single_tps_8') AS "none, 8 clients",
       (SELECT round(v::numeric) FROM b WHERE config = 'rollup' AND op = 'single_tps_8') AS "rollup, 8 clients",
       round((100 * ((SELECT v FROM b WHERE config = 'none' AND op = 'single_tps_1') /
                     (SELECT v FROM b WHERE config = 'rollup' AND op = 'single_tps_1') - 1))::numeric, 1) AS "overhead % (1 client)",
       round(((SELECT v FROM b WHERE config = 'rollup' AND op = 'single_tps_8') /
              (SELECT v FROM b WHERE config = 'rollup' AND op = 'single_tps_1'))::numeric, 2) AS "8 clients / 1";
WITH b AS (SELECT config, op, max(ms) AS v FROM bench_result WHERE op LIKE 'single_tps_%' GROUP BY 1, 2)
SELECT (SELECT round(v::numeric) FROM b WHERE config = 'ivm' AND op = 'single_tps_1') AS "pg_ivm tps, 1 client",
       (SELECT round(v::numeric) FROM b WHERE config = 'ivm' AND op = 'single_tps_8') AS "pg_ivm, 8 clients",
       round(((SELECT v FROM b WHERE config = 'rollup' AND op = 'single_tps_1') /
              (SELECT v FROM b WHERE config = 'ivm' AND op = 'single_tps_1'))::numeric, 2) AS "rollup / pg_ivm tps, 1 client (= pg_ivm / rollup time)",
       round(((SELECT v FROM b WHERE config = 'rollup' AND op = 'single_tps_8') /
              (SELECT v FROM b WHERE config = 'ivm' AND op = 'single_tps_8'))::numeric, 2) AS "8 clients";
SELECT round(max(ms) FILTER (WHERE op = 'worker_folds')) AS "folds by the worker during the runs",
       round(max(ms) FILTER (WHERE op = 'pending_deltas')) AS "deltas pending before the fold",
       round(max(ms) FILTER (WHERE op = 'fold')::numeric, 1) AS "fold (ms)",
       round(max(ms) FILTER (WHERE op = 'read_series_pending')::numeric, 2) AS "60-month series, 22 wards: pending (ms)",
       round(max(ms) FILTER (WHERE op = 'read_series_folded')::numeric, 2) AS "folded (ms)",
       round(max(ms) FILTER (WHERE op = 'read_series_vacuumed')::numeric, 2) AS "folded, vacuumed (ms)",
       round(max(ms) FILTER (WHERE op = 'pending_9900')) AS "deltas pending",
       round(min(ms) FILTER (WHERE op = 'read_series_9900')::numeric, 2) AS "read with them (best of 5, ms)"
  FROM bench_result WHERE config = 'rollup';
SQL
echo "verify_indicator after the run: count $exact, count distinct $exact_d (0 = exact); pg_ivm IMMV rows differing from the query: $exact_ivm"
dropdb "$db"
