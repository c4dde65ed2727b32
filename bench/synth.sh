#!/usr/bin/env bash
# Benchmark: the synthetic borough generator against a plain SQL bulk load.
#
# For each size, generate_borough writes the whole borough (29 tables, keys and
# indexes); the peer writes the same number of rows with INSERT ... SELECT from
# generate_series into one table of similar width and builds one index.  Both run
# in the same cluster, one after the other.  Printed: seconds, rows, rows per
# second, the ratio, and the backend's peak private memory (RssAnon sampled from
# /proc every 50 ms), which should stay flat as the size grows.
#   ./run bench synth                   sizes 10000 100000 300000 1000000
#   BENCH_SIZES="100000" ./run bench synth
set -euo pipefail
sizes=${BENCH_SIZES:-10000 100000 300000 1000000}
db=brent_bench_synth
createdb "$db" 2>/dev/null || true
export PGDATABASE=$db
psql -X -q -c "SET client_min_messages = warning; CREATE EXTENSION IF NOT EXISTS brent_mdm CASCADE"

now() { date +%s.%N; }

# Runs SQL in a backend whose RssAnon is sampled; prints "seconds peak_kB".
timed_sql() {
  local sql=$1 tag=bench_$$_$RANDOM
  PGAPPNAME=$tag psql -X -q -v ON_ERROR_STOP=1 -c "SET client_min_messages = warning" -c "$sql" >/dev/null &
  local client=$! pid="" peak=0 t0 t1
  t0=$(now)
  while kill -0 $client 2>/dev/null; do
    [ -z "$pid" ] && pid=$(psql -X -Atc "SELECT pid FROM pg_stat_activity WHERE application_name = '$tag'" 2>/dev/null || true)
    if [ -n "$pid" ] && [ -r /proc/$pid/status ]; then
      kb=$(awk '/^RssAnon/ {print $2}' /proc/$pid/status 2>/dev/null || echo 0)
      [ "${kb:-0}" -gt "$peak" ] && peak=$kb
    fi
    sleep 0.05
  done
  wait $client
  t1=$(now)
  echo "$(echo "$t1 - $t0" | bc -l) $peak"
}

printf '\n== synth: generate_borough vs plain INSERT ... SELECT (same row count, same cluster)\n'
printf '%10s %10s %9s %11s %9s %11s %8s %12s\n' people rows ours_s ours_rows/s peer_s peer_rows/s ratio peak_RssAnon
for n in $sizes; do
  read -r ours peak < <(timed_sql "SET maintenance_work_mem = '${BENCH_MWM:-64MB}'; SELECT * FROM brent_mdm.generate_borough($n, 1, 'bench', true)")
  rows=$(psql -X -Atc "SELECT sum((xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.%I', schemaname, relname), false, true, '')))[1]::text::bigint) FROM pg_tables t(schemaname, relname) WHERE schemaname IN ('bench', 'bench_truth')")
  psql -X -q -c "DROP TABLE IF EXISTS bench_peer"
  read -r peer _ < <(timed_sql "CREATE TABLE bench_peer (k text, given text, family text, dob date, postcode text, n int);
    INSERT INTO bench_peer SELECT 'K' || i, initcap(left(md5(i::text), 7)), initcap(left(md5((i+1)::text), 9)),
           date '1940-01-01' + (i % 30000), 'HA9 ' || (i % 10) || 'AB', i FROM generate_series(1, $rows) i;
    ALTER TABLE bench_peer ADD PRIMARY KEY (k);")
  printf '%10s %10s %9.2f %11.0f %9.2f %11.0f %8.2f %9s kB\n' "$n" "$rows" "$ours" \
    "$(echo "$rows / $ours" | bc -l)" "$peer" "$(echo "$rows / $peer" | bc -l)" \
    "$(echo "$peer / $ours" | bc -l)" "$peak"
done
psql -X -q -c "DROP TABLE IF EXISTS bench_peer" -c "SET client_min_messages = warning" -c "DROP SCHEMA IF EXISTS bench, bench_truth CASCADE"
echo "ratio = peer seconds / ours seconds (above 1: the generator writes rows faster than plain SQL does)"
