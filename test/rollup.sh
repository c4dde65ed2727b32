#!/usr/bin/env bash
# Indicator rollups under concurrent writers, a crashed backend and a crashed server.
#
# pgbench drives thousands of random mixed statements from several sessions at once
# (INSERT, INSERT ... ON CONFLICT DO UPDATE / DO NOTHING, UPDATEs moving rows between
# groups, periods and partitions, UPDATEs of the measured columns, DELETE, multi-statement
# transactions, rolled back transactions, TRUNCATE of the table (in a REPEATABLE READ
# transaction whose snapshot is older than its lock, too) or of one partition, folds),
# NULLs included, on a plain and a partitioned table carrying eight indicators (every
# measure).  Readers in the same run check, inside their own snapshot (READ COMMITTED and
# REPEATABLE READ), that every indicator equals a recompute (verify_indicator): a
# lost, doubled or half-visible increment would show there.  At the end every indicator
# must equal an independent GROUP BY written here.  Then a backend is killed (kill -9)
# in the middle of a writing transaction and of a fold, and the server is stopped in
# immediate mode with a writing transaction open: after recovery, the same checks.
#
# Deterministic: the assertions hold for every interleaving; nothing waits for a
# guessed time (a held session's progress is read from its own output).  Prints TAP.
# Runs inside the throwaway cluster ./run test makes (it kills a backend, restarts
# the server).  BRENT_ROLLUP_CLIENTS (default 6) and BRENT_ROLLUP_TX (transactions
# per client, default 400) set the load.
set -uo pipefail
cd "$(dirname "$0")"
db=brent_mdm_rollup_test
clients=${BRENT_ROLLUP_CLIENTS:-6}
tx=${BRENT_ROLLUP_TX:-400}
q() { psql -X -Atq -d "$db" -c "$1" 2>/dev/null; }
source lib/sessions.sh
require_regress_cluster
work=$(mktemp -d)
trap 'sess_cleanup; rm -rf "$work"' EXIT
wait_up() { await "the server to accept connections again" "SELECT true"; }
# a held session's line of output (its progress), polled
await_line() {
  local i
  for i in $(seq 1 3000); do
    grep -m1 "^$2|" "$sess_dir/$1.out" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

echo "1..26"
n=0; fail=0
check() { n=$((n+1)); if [ "$2" = "$3" ]; then echo "ok $n - $1"; else echo "not ok $n - $1 (expected '$2', got '$3')"; fail=1; fi; }

dropdb --if-exists "$db" 2>/dev/null
createdb "$db"
psql -X -q -v ON_ERROR_STOP=1 -d "$db" >/dev/null <<'SQL' || { echo "Bail out! setup failed"; exit 1; }
SET client_min_messages = warning;
CREATE EXTENSION brent_mdm CASCADE;
CREATE TABLE ev (id integer PRIMARY KEY, ward integer, cat integer, day date, at timestamptz,
                 amount numeric, label integer);
INSERT INTO ev SELECT g, nullif(g % 23, 22), g % 3, date '2023-01-01' + g % 800,
                      timestamptz '2023-01-01' + (g % 800) * interval '7 hours',
                      CASE WHEN g % 10 = 0 THEN NULL ELSE (g % 800) / 8.0 END, nullif(g % 10, 9)
  FROM generate_series(1, 2000) g;
CREATE TABLE evp (id integer, ward integer, cat integer NOT NULL, day date, amount integer)
  PARTITION BY LIST (cat);
CREATE TABLE evp_0 PARTITION OF evp FOR VALUES IN (0);
CREATE TABLE evp_1 PARTITION OF evp FOR VALUES IN (1);
CREATE TABLE evp_2 PARTITION OF evp FOR VALUES IN (2);
INSERT INTO evp SELECT g, nullif(g % 23, 22), g % 3, date '2023-01-01' + g % 800, g % 50
  FROM generate_series(1, 2000) g;
SELECT brent_mdm.define_indicator('c_rows', 'ev', 'count(*)', '{ward,cat}', 'day', 'month');
SELECT brent_mdm.define_indicator('c_sum', 'ev', 'sum(amount) filter (where cat <> 1)', '{ward}', 'day', 'quarter');
SELECT brent_mdm.define_indicator('c_avg', 'ev', 'avg(amount)', '{cat}', 'at', 'week');
SELECT brent_mdm.define_indicator('c_dist', 'ev', 'count(distinct label)', '{ward}', 'day', 'financial_year');
SELECT brent_mdm.define_indicator('c_min', 'ev', 'min(amount)', '{ward}', NULL, NULL);
SELECT brent_mdm.define_indicator('c_max', 'ev', 'max(label) filter (where ward is not null)', '{}', 'at', 'academic_year');
SELECT brent_mdm.define_indicator('p_sum', 'evp', 'sum(amount)', '{ward}', 'day', 'month');
SELECT brent_mdm.define_indicator('p_dist', 'evp', 'count(distinct ward)', '{cat}', NULL, NULL);
-- the independent recompute of each indicator (plain GROUP BY, its own period arithmetic)
CREATE TABLE expect (name text PRIMARY KEY, sql text);
INSERT INTO expect VALUES
  ('c_rows', $$SELECT ward, cat, date_trunc('month', day)::date, count(*) FROM ev GROUP BY 1, 2, 3$$),
  ('c_sum',  $$SELECT ward, date_trunc('quarter', day)::date, sum(amount) FILTER (WHERE cat <> 1) FROM ev GROUP BY 1, 2$$),
  ('c_avg',  $$SELECT cat, date_trunc('week', at AT TIME ZONE 'Europe/London')::date, avg(amount) FROM ev GROUP BY 1, 2$$),
  ('c_dist', $$SELECT ward, make_date(extract(year FROM day - interval '3 months')::int, 4, 1), count(DISTINCT label) FROM ev GROUP BY 1, 2$$),
  ('c_min',  $$SELECT ward, NULL::date, min(amount) FROM ev GROUP BY 1$$),
  ('c_max',  $$SELECT make_date(extract(year FROM (at AT TIME ZONE 'Europe/London') - interval '8 months')::int, 9, 1), max(label) FILTER (WHERE ward IS NOT NULL) FROM ev GROUP BY 1$$),
  ('p_sum',  $$SELECT ward, date_trunc('month', day)::date, sum(amount) FROM evp GROUP BY 1, 2$$),
  ('p_dist', $$SELECT cat, NULL::date, count(DISTINCT ward) FROM evp GROUP BY 1$$);
CREATE FUNCTION differ(ind text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE e text := (SELECT sql FROM expect WHERE name = ind); k bigint;
BEGIN
  EXECUTE format('SELECT count(*) FROM ((SELECT * FROM brent_mdm_rollup.%1$I EXCEPT ALL (%2$s))
                                        UNION ALL ((%2$s) EXCEPT ALL SELECT * FROM brent_mdm_rollup.%1$I)) x', ind, e) INTO k;
  RETURN k;
END $$;
-- what readers found wrong, in their own snapshot, while the writers ran
CREATE TABLE seen_wrong (isolation text, indicator text, differ bigint);
SQL

# ---- the writers, the folders and the readers ----
cat > "$work/upsert.sql" <<'SQL'
\set id random(1, 3000)
\set w random(0, 22)
\set k random(0, 9)
\set d random(0, 800)
INSERT INTO ev VALUES (:id, nullif(:w, 22), :k % 3, date '2023-01-01' + :d, timestamptz '2023-01-01' + :d * interval '7 hours', CASE WHEN :k = 0 THEN NULL ELSE :d / 8.0 END, nullif(:k, 9)) ON CONFLICT (id) DO UPDATE SET ward = excluded.ward, amount = excluded.amount, label = excluded.label;
SQL
cat > "$work/move.sql" <<'SQL'
\set id random(1, 3000)
\set w random(0, 22)
\set k random(0, 9)
UPDATE ev SET ward = nullif(:w, 22), cat = :k % 3, day = day + (:k - 4) * 20, at = at - (:k - 4) * interval '3 days' WHERE id BETWEEN :id AND :id + 3;
SQL
cat > "$work/measure.sql" <<'SQL'
\set k random(0, 49)
UPDATE ev SET amount = CASE WHEN amount IS NULL THEN 1 WHEN amount > 90 THEN NULL ELSE amount + 1.5 END, label = (coalesce(label, 0) + 1) % 10 WHERE id % 50 = :k;
SQL
cat > "$work/delete.sql" <<'SQL'
\set id random(1, 3000)
DELETE FROM ev WHERE id BETWEEN :id AND :id + 2;
SQL
cat > "$work/batch.sql" <<'SQL'
\set id random(1, 2900)
\set w random(0, 21)
BEGIN;
INSERT INTO ev SELECT g, :w, g % 3, date '2024-02-01' + g % 90, timestamptz '2024-02-01' + g * interval '5 hours', g / 3.0, g % 9 FROM generate_series(:id, :id + 20) g ON CONFLICT DO NOTHING;
UPDATE ev SET day = day - 400, ward = NULL WHERE id BETWEEN :id + 10 AND :id + 30;
DELETE FROM ev WHERE id BETWEEN :id + 25 AND :id + 28;
COMMIT;
SQL
cat > "$work/rollback.sql" <<'SQL'
\set id random(1, 2900)
BEGIN;
INSERT INTO ev SELECT g, 5, 1, '2024-01-01', '2024-01-01', 1, 1 FROM generate_series(5000 + :id, 5010 + :id) g;
DELETE FROM ev WHERE id BETWEEN :id AND :id + 5;
ROLLBACK;
SQL
cat > "$work/part.sql" <<'SQL'
\set id random(1, 2500)
\set w random(0, 22)
\set k random(0, 2)
\set d random(0, 800)
INSERT INTO evp VALUES (:id, nullif(:w, 22), :k, date '2023-01-01' + :d, :d % 50);
INSERT INTO evp_1 VALUES (:id + 1, :w, 1, date '2023-01-01' + :d, NULL);
UPDATE evp SET cat = :k, ward = nullif(:w, 22) WHERE id BETWEEN :id AND :id + 2;
UPDATE evp_2 SET amount = coalesce(amount, 0) + 3, day = day + 31 WHERE id = :id + 7;
DELETE FROM evp_0 WHERE id = :id + 11;
DELETE FROM evp WHERE id = :id + 13;
SQL
cat > "$work/truncate.sql" <<'SQL'
\set t random(1, 60)
\if :t = 1
BEGIN;
TRUNCATE ev;
INSERT INTO ev SELECT g, g % 22, g % 3, date '2023-06-01' + g % 400, timestamptz '2023-06-01' + g * interval '9 hours', g / 4.0, g % 10 FROM generate_series(1, 1500) g;
COMMIT;
\elif :t = 2
TRUNCATE evp_1;
\elif :t = 3
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT count(*) FROM brent_mdm.indicator;
TRUNCATE ev;
INSERT INTO ev SELECT g, g % 21, g % 3, date '2024-06-01' + g % 200, timestamptz '2024-06-01' + g * interval '5 hours', g / 2.0, g % 7 FROM generate_series(1, 800) g;
COMMIT;
\endif
SQL
cat > "$work/fold.sql" <<'SQL'
SELECT brent_mdm.fold_indicator(name) FROM brent_mdm.indicator ORDER BY random() LIMIT 2;
SQL
# (a reader locks the tables before its snapshot: TRUNCATE is not MVCC-safe, so a snapshot
# older than a TRUNCATE sees the table empty, and its indicators as they were)
cat > "$work/read.sql" <<'SQL'
\set t random(1, 2)
\if :t = 1
BEGIN;
LOCK TABLE ev, evp IN ACCESS SHARE MODE;
INSERT INTO seen_wrong SELECT 'read committed', name, d FROM brent_mdm.indicator, LATERAL brent_mdm.verify_indicator(name) d WHERE d <> 0;
COMMIT;
\else
BEGIN ISOLATION LEVEL REPEATABLE READ;
LOCK TABLE ev, evp IN ACCESS SHARE MODE;
INSERT INTO seen_wrong SELECT 'repeatable read', name, d FROM brent_mdm.indicator, LATERAL brent_mdm.verify_indicator(name) d WHERE d <> 0;
INSERT INTO seen_wrong SELECT 'repeatable read, same snapshot later', name, d FROM brent_mdm.indicator, LATERAL brent_mdm.verify_indicator(name) d WHERE d <> 0;
COMMIT;
\endif
SQL
# the fold worker folds whenever an indicator gathers 300 delta rows: folds by it run all
# through the storm, beside the explicit ones (fold.sql)
psql -X -q -d "$db" -c "ALTER DATABASE $db SET brent_mdm.rollup_fold_threshold = 300"
cd "$work"
pgbench -n -d "$db" -c "$clients" -j 2 -t "$tx" --max-tries=50 --random-seed=7 \
  -f upsert.sql@8 -f move.sql@4 -f measure.sql@2 -f delete.sql@3 -f batch.sql@2 -f rollback.sql@1 \
  -f part.sql@4 -f truncate.sql@1 -f fold.sql@1 -f read.sql@1 > "$work/pgbench.out" 2>&1
rc=$?
cd - >/dev/null
done_tx=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$work/pgbench.out")
failed_tx=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$work/pgbench.out")
echo "# pgbench: $clients clients x $tx transactions; processed ${done_tx:-?}, failed after retries ${failed_tx:-0} (deadlocks between writers of the same rows), exit $rc"
grep -E '^(tps|number of (transactions retried|failed|total))' "$work/pgbench.out" | sed 's/^/# /'
[ "$rc" -eq 0 ] || sed 's/^/# /' "$work/pgbench.out" | grep -iv '^# *$' | head -20
check "pgbench ran every client to its end" "0 $((clients * tx))" "$rc $(( ${done_tx:-0} + ${failed_tx:-0} ))"
check "no reader saw an indicator differ from a recompute in its snapshot (READ COMMITTED, REPEATABLE READ)" "0" \
  "$(q "SELECT count(*) FROM seen_wrong")"
q "SELECT isolation, indicator, differ FROM seen_wrong LIMIT 5" | sed 's/^/# seen wrong: /'
verify_all="SELECT string_agg(name || '=' || brent_mdm.verify_indicator(name), ' ' ORDER BY name) FROM brent_mdm.indicator"
differ_all="SELECT string_agg(name || '=' || differ(name), ' ' ORDER BY name) FROM brent_mdm.indicator"
zero="c_avg=0 c_dist=0 c_max=0 c_min=0 c_rows=0 c_sum=0 p_dist=0 p_sum=0"
echo "# fold worker during the run: $(q "SELECT sum(folds) || ' folds, errors: ' || count(last_error) FROM brent_mdm.indicator_status()")"
check "the fold worker folded during the run, without an error" "true 0" \
  "$(q "SELECT (sum(folds) > 0) || ' ' || count(last_error) FROM brent_mdm.indicator_status()")"
check "after the run, verify_indicator() = 0 for every indicator" "$zero" "$(q "$verify_all")"
check "after the run, every indicator equals an independent GROUP BY" "$zero" "$(q "$differ_all")"
echo "# $(q "SELECT (SELECT count(*) FROM brent_mdm_rollup.c_rows) || ' c_rows groups, ' || (SELECT count(*) FROM brent_mdm_rollup.c_rows_delta) || ' of its deltas pending'")"
check "a fold of every indicator leaves them equal to the GROUP BY" "$zero" \
  "$(q "SELECT count(brent_mdm.fold_indicator(name)) FROM brent_mdm.indicator" >/dev/null; q "$differ_all")"

# ---- kill -9 of a backend in the middle of a writing transaction and of a fold ----
psql -X -q -d "$db" -c "UPDATE ev SET ward = 3 WHERE id < 300; DELETE FROM evp WHERE id < 100" >/dev/null   # deltas to fold
sess_open writer "$db"
sess_send writer "BEGIN;
INSERT INTO ev SELECT g, 1, 1, '2024-05-05', '2024-05-05', 2, 2 FROM generate_series(10001, 10500) g;
UPDATE ev SET ward = NULL, amount = 0.001 WHERE id BETWEEN 300 AND 700;
DELETE FROM evp WHERE id BETWEEN 200 AND 600;
SELECT 'written', pg_backend_pid();"
sess_open folder "$db"
sess_send folder "BEGIN;
SELECT count(brent_mdm.fold_indicator(name)) FROM brent_mdm.indicator;
SELECT 'folded', pg_backend_pid();"
wpid=$(await_line writer written | cut -d'|' -f2)
fpid=$(await_line folder folded | cut -d'|' -f2)
check "a writer and a folder are held mid-transaction" "yes yes" "$([ -n "$wpid" ] && echo yes) $([ -n "$fpid" ] && echo yes)"
[ -n "$wpid" ] && kill -9 "$wpid"
wait_up
sess_close folder; sess_close writer   # the folder's psql holds the writer's fifo open: it goes first
psql -X -q -d "$db" -c "UPDATE ev SET ward = 4 WHERE id < 300; INSERT INTO evp VALUES (1, 1, 1, '2024-01-01', 1)" >/dev/null
check "after kill -9 of a writing backend (and the folder with it), verify_indicator() = 0" "$zero" "$(q "$verify_all")"
check "... and every indicator equals an independent GROUP BY" "$zero" "$(q "$differ_all")"
check "... and a fold after recovery keeps them equal" "$zero" \
  "$(q "SELECT count(brent_mdm.fold_indicator(name)) FROM brent_mdm.indicator" >/dev/null; q "$differ_all")"
check "the killed transaction left nothing in the table (so the checks above saw its deltas ignored)" "t" \
  "$(q "SELECT NOT EXISTS (SELECT FROM ev WHERE id > 10000) AND NOT EXISTS (SELECT FROM ev WHERE id BETWEEN 300 AND 700 AND amount = 0.001)")"

# ---- the server stopped in immediate mode (a crash) with a writer in flight ----
sess_open writer2 "$db"
sess_send writer2 "BEGIN;
INSERT INTO ev SELECT g, 98, 2, '2024-06-06', '2024-06-06', 3, 3 FROM generate_series(20001, 20300) g;
DELETE FROM evp WHERE id BETWEEN 600 AND 900;
SELECT 'written', pg_backend_pid();"
w2pid=$(await_line writer2 written | cut -d'|' -f2)
check "a writer is held mid-transaction" "yes" "$([ -n "$w2pid" ] && echo yes)"
psql -X -q -d "$db" -c "INSERT INTO ev SELECT g, 99, 0, '2024-07-07', '2024-07-07', 4, 4 FROM generate_series(30001, 30100) g" >/dev/null
( for fd in "${sess_fd[@]}"; do eval "exec $fd>&-"; done
  exec pg_ctlcluster "${PGVERSION:-15}" regress restart -m immediate ) >/dev/null 2>&1
wait_up
sess_close writer2
check "after an immediate stop (crash recovery), verify_indicator() = 0" "$zero" "$(q "$verify_all")"
check "... and every indicator equals an independent GROUP BY" "$zero" "$(q "$differ_all")"
check "... the committed rows are counted, the uncommitted ones are not" "100 0" \
  "$(q "SELECT (SELECT value FROM brent_mdm_rollup.c_rows WHERE ward = 99 AND cat = 0 AND period = '2024-07-01') || ' ' || (SELECT count(*) FROM brent_mdm_rollup.c_rows WHERE ward = 98)")"
check "a fold after the crash keeps every indicator equal to the GROUP BY" "$zero" \
  "$(q "SELECT count(brent_mdm.fold_indicator(name)) FROM brent_mdm.indicator" >/dev/null; q "$differ_all")"

# ---- TRUNCATE in a REPEATABLE READ transaction whose snapshot is older than a commit ----
# (TRUNCATE empties the table whatever the snapshot: the indicators must follow, deltas
# committed after that snapshot included)
sess_open rr "$db"
sess_send rr "BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT 'snapshot', count(*) FROM brent_mdm.indicator;"
await_line rr snapshot >/dev/null
psql -X -q -d "$db" -c "INSERT INTO ev VALUES (40001, 97, 1, '2024-08-08', '2024-08-08', 1, 1)" >/dev/null
sess_send rr "TRUNCATE ev;
COMMIT;
SELECT 'truncated', 1;"
await_line rr truncated >/dev/null
sess_close rr
check "TRUNCATE at REPEATABLE READ empties the indicators, rows committed after its snapshot included" \
  "0 0 0 c_avg=0 c_dist=0 c_max=0 c_min=0 c_rows=0 c_sum=0 p_dist=0 p_sum=0" \
  "$(q "SELECT (SELECT count(*) FROM ev) || ' ' || (SELECT count(*) FROM brent_mdm_rollup.c_rows) || ' ' || (SELECT count(*) FROM brent_mdm_rollup.c_dist) || ' ' || ($verify_all)")"

# ---- the fold worker: started when the writer whose deltas crossed the threshold commits ----
# (a table of its own with one indicator: one worker at a time)
# defined by a member of brent_mdm_indicator_admin, not a superuser: the worker folds as it
psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "ALTER DATABASE $db SET brent_mdm.rollup_fold_threshold = 50" \
  -c "DROP ROLE IF EXISTS rollup_fw_admin" -c "CREATE ROLE rollup_fw_admin IN ROLE brent_mdm_indicator_admin" \
  -c "GRANT CREATE ON SCHEMA public TO rollup_fw_admin" -c "SET ROLE rollup_fw_admin" \
  -c "CREATE TABLE fw (id integer PRIMARY KEY, ward integer, day date)" \
  -c "SELECT brent_mdm.define_indicator('f_rows', 'fw', 'count(*)', '{ward}', 'day', 'day')" \
  -c "CREATE TABLE fw8 (id integer, ward integer)" \
  -c "SELECT brent_mdm.define_indicator('f8_' || g, 'fw8', 'count(*)', '{ward}', NULL, NULL) FROM generate_series(1, 8) g" >/dev/null
folds_of() { q "SELECT folds FROM brent_mdm.indicator_status() WHERE name = '$1'"; }
fold_workers="SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'brent_mdm rollup fold'"
# a writer left open past the threshold of 8 indicators holds no background worker slot
# (each fold worker was registered at once and waited for it: 7 of the 8 slots, and parallel
# query found none)
sess_open fw "$db"
sess_send fw "BEGIN;
INSERT INTO fw8 SELECT g, g FROM generate_series(1, 60) g;
SELECT 'written8', pg_backend_pid();"
await_line fw written8 >/dev/null
check "a writer open past the threshold of 8 indicators holds no worker slot: parallel query gets its 2 workers, no fold worker runs" \
  "2 0" "$(psql -X -Atq -d "$db" -c "SET max_parallel_workers_per_gather = 2" -c "SET parallel_setup_cost = 0" \
             -c "SET parallel_tuple_cost = 0" -c "SET min_parallel_table_scan_size = 0" \
             -c "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT count(*) FROM fw8" \
             | sed -n 's/.*Workers Launched: //p') $(q "$fold_workers")"
sess_send fw "COMMIT;
SELECT 'committed8', 1;"
await_line fw committed8 >/dev/null
await "the first fold of the 8 indicators" "SELECT count(*) > 0 FROM brent_mdm.indicator_status() WHERE name LIKE 'f8%' AND folds > 0"
await "the fold workers to end" "SELECT ($fold_workers) = 0"
sess_send fw "BEGIN;
INSERT INTO fw SELECT g, g % 20, date '2025-01-01' + g FROM generate_series(1, 200) g;
SELECT 'written', pg_backend_pid();"
fwpid=$(await_line fw written | cut -d'|' -f2)
check "past the threshold, no fold worker runs while the writer is open (nothing folded yet)" \
  "0 0" "$(q "$fold_workers") $(folds_of f_rows)"
sess_send fw "COMMIT;
SELECT 'committed', 1;"
await_line fw committed >/dev/null
await "the fold worker's fold of f_rows" "SELECT folds = 1 AND NOT folding FROM brent_mdm.indicator_status() WHERE name = 'f_rows'"
check "once the writer commits, the worker folds its deltas (none left, 200 folded) and the indicator is exact" \
  "0 200 0" "$(q "SELECT count(*) FROM brent_mdm_rollup.f_rows_delta") $(q "SELECT last_folded FROM brent_mdm.indicator_status() WHERE name = 'f_rows'") $(q "SELECT brent_mdm.verify_indicator('f_rows')")"
check "the worker vacuumed the delta table (empty on disk)" "0" \
  "$(q "SELECT pg_relation_size('brent_mdm_rollup.f_rows_delta')")"
sess_close fw

# ---- writers and readers never wait for a fold: one held on the folded table's lock ----
sess_open holder "$db"
sess_send holder "BEGIN;
LOCK TABLE brent_mdm_rollup.f_rows_base IN EXCLUSIVE MODE;
SELECT 'locked', 1;"
await_line holder locked >/dev/null
psql -X -q -d "$db" -c "INSERT INTO fw SELECT g, g % 20, date '2025-06-01' + g FROM generate_series(1001, 1200) g" >/dev/null
fold_blocked="SELECT EXISTS (SELECT FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
               WHERE a.backend_type = 'brent_mdm rollup fold' AND NOT l.granted
                 AND l.relation = 'brent_mdm_rollup.f_rows_base'::regclass)"
await "the fold worker waiting for the folded table" "$fold_blocked"
check "a fold worker is held on the folded table's lock" "t" "$(q "$fold_blocked")"
check "meanwhile a writer writes and a reader reads, neither waiting (lock_timeout 10 s)" "200" \
  "$(psql -X -Atq -d "$db" -c "SET lock_timeout = '10s'" \
       -c "INSERT INTO fw SELECT g, 21, date '2025-09-01' FROM generate_series(2001, 2200) g" \
       -c "SELECT value FROM brent_mdm_rollup.f_rows WHERE ward = 21 AND period = '2025-09-01'" 2>&1 | tail -1)"
sess_send holder "COMMIT;"
await "the held fold to end" "SELECT folds = 2 AND NOT folding FROM brent_mdm.indicator_status() WHERE name = 'f_rows'"
check "released, the fold ends, no error, and the indicator is exact" "0 0" \
  "$(q "SELECT count(last_error) FROM brent_mdm.indicator_status()") $(q "SELECT brent_mdm.verify_indicator('f_rows')")"
sess_close holder
check "the folded table belongs to the indicator's definer, a member of brent_mdm_indicator_admin" "rollup_fw_admin" \
  "$(q "SELECT tableowner FROM pg_tables WHERE schemaname = 'brent_mdm_rollup' AND tablename = 'f_rows_base'")"
# ---- a fold worker that cannot connect leaves the indicator to the next writer ----
# (it stayed marked as being folded, with no worker, until a restart: never folded again)
sess_open nc "$db"
sess_send nc "SELECT 'connected', 1;"
await_line nc connected >/dev/null
folds_before=$(folds_of f_rows)
psql -X -q -d postgres -c "ALTER DATABASE $db ALLOW_CONNECTIONS false" >/dev/null
sess_send nc "INSERT INTO fw SELECT g, g % 20, date '2026-01-01' + g FROM generate_series(5001, 5200) g;
DO \$\$ BEGIN
  FOR i IN 1..3000 LOOP   -- a deadline of 5 minutes, as await in lib/sessions.sh
    EXIT WHEN NOT (SELECT folding FROM brent_mdm.indicator_status() WHERE name = 'f_rows');
    PERFORM pg_sleep(0.1);
  END LOOP;
END \$\$;
SELECT 'unmarked', folding, folds, pending_deltas >= 200 FROM brent_mdm.indicator_status() WHERE name = 'f_rows';"
unmarked=$(await_line nc unmarked)
psql -X -q -d postgres -c "ALTER DATABASE $db ALLOW_CONNECTIONS true" >/dev/null
check "a fold worker that could not connect leaves the indicator unmarked, unfolded, for the next writer" \
  "unmarked|f|$folds_before|t" "$unmarked"
sess_close nc
dropdb "$db" 2>/dev/null
psql -X -q -d postgres -c "DROP ROLE rollup_fw_admin" >/dev/null
exit $fail
