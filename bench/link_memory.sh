#!/usr/bin/env bash
# Benchmark: backend memory of record linkage (issue 11, cause 8).
#   For each size (people of a generated borough; about 1.7 records a person), the peak
#   anonymous memory (RssAnon of /proc/<pid>/status: the backend's private memory, not
#   the shared buffers it touches) of the backend running
#     1. dedupe() of every person record, with the mapping of bench/link.sh (section 4);
#     2. client_index_load() of every person record into an empty Client Index
#        (BENCH_MEM_CLIENT=0 skips it),
#   with brent_mdm.linkage_work_mem at BENCH_MEM_WORK_MEM (default: the server's setting),
#   the memory its records are kept in before they are spilled to a temporary file,
#   sampled every 20 ms while the statement runs, with the backend's RssAnon before the
#   statement and the statement's time; then the run's own peaks (linkage_last_run): its
#   store's, and the memory contexts' beside it.  BENCH_MEM_TRACE=<file> appends every sample
#   (statement, seconds since it began, RssAnon kB) to that file.
# The server must run on this machine, and /proc/<backend pid> be readable (root, or the
# server's user).  Boroughs are generated once into schemas mem_<people> and kept
# (BENCH_MEM_REGENERATE=1 makes them again).
#   ./run bench link_memory          BENCH_MEM_SIZES="60000 180000 600000" (people)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
db=${BENCH_MEM_DB:-brent_bench_memory}
createdb "$db" 2>/dev/null || true
export PGDATABASE=$db
psql -X -q -c "SET client_min_messages = warning; CREATE EXTENSION IF NOT EXISTS brent_mdm CASCADE"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# measure <label> <sql>: runs sql in one backend; prints seconds, RssAnon before and peak (MB)
measure() {
  local sql=$2 pidfile=$tmp/pid bpid= peak=0 base=0 kb t0 t1 psqlpid
  rm -f "$pidfile"
  t0=$(date +%s.%N)
  psql -X -q -v ON_ERROR_STOP=1 >"$tmp/out" 2>"$tmp/err" <<SQL &
SET client_min_messages = warning;
SET brent_mdm.linkage_work_mem = '$work_mem';
\pset tuples_only on
\pset format unaligned
SELECT pg_backend_pid() \g $pidfile
$sql
SQL
  psqlpid=$!
  while kill -0 "$psqlpid" 2>/dev/null; do
    if [ -z "$bpid" ] && [ -s "$pidfile" ]; then
      bpid=$(tr -dc '0-9' < "$pidfile")
      base=$(awk '/^RssAnon:/ {print $2}' "/proc/$bpid/status" 2>/dev/null || echo 0)
      base=${base:-0}
    fi
    if [ -n "$bpid" ]; then
      kb=$(awk '/^RssAnon:/ {print $2}' "/proc/$bpid/status" 2>/dev/null || true)
      if [ -n "$kb" ] && [ "$kb" -gt "$peak" ]; then peak=$kb; fi
      if [ -n "${BENCH_MEM_TRACE:-}" ] && [ -n "$kb" ]; then
        printf '%s %.2f %s\n' "$1" "$(echo "$(date +%s.%N) - $t0" | bc -l)" "$kb" >> "$BENCH_MEM_TRACE"
      fi
    fi
    sleep 0.02
  done
  if ! wait "$psqlpid"; then
    cat "$tmp/err" >&2
    return 1
  fi
  t1=$(date +%s.%N)
  printf '%8.1f %10.0f %10.0f' "$(echo "$t1 - $t0" | bc -l)" "$(echo "$base / 1024" | bc -l)" "$(echo "$peak / 1024" | bc -l)"
  # the run's own figures (brent_mdm.linkage_last_run, the last line): store and beside it, MB
  local last
  last=$(tail -1 "$tmp/out")
  printf ' %9.0f %10.0f' "$(echo "${last%%|*} / 1024" | bc -l)" "$(echo "${last##*|} / 1024" | bc -l)"
}

work_mem=${BENCH_MEM_WORK_MEM:-$(psql -X -Atc "SELECT current_setting('brent_mdm.linkage_work_mem', true)")}
work_mem=${work_mem:-256MB}
printf '\n== link memory: peak RssAnon of the backend (MB), sampled every 20 ms; work_mem %s, brent_mdm.linkage_work_mem %s\n' \
  "$(psql -X -Atc 'SHOW work_mem')" "$work_mem"
printf '%-20s %8s %9s %8s %10s %10s %9s %10s\n' statement people records seconds before_MB peak_MB store_MB beside_MB
for people in ${BENCH_MEM_SIZES:-60000 180000 600000}; do
  schema=mem_$people
  if [ "${BENCH_MEM_REGENERATE:-0}" = 1 ] || [ -z "$(psql -X -Atc "SELECT to_regclass('$schema.person_record')")" ]; then
    psql -X -q -c "SET client_min_messages = warning; SELECT count(*) FROM brent_mdm.generate_borough($people, 1, '$schema', true)" >/dev/null
    psql -X -q -c "DROP TABLE IF EXISTS $schema.lr" \
      -c "CREATE TABLE $schema.lr AS SELECT system || '/' || record_key AS id, * FROM $schema.person_record" \
      -c "VACUUM ANALYZE $schema.lr" >/dev/null
  fi
  n=$(psql -X -Atc "SELECT count(*) FROM $schema.lr")
  printf '%-20s %8s %9s ' dedupe "$people" "$n"
  measure dedupe "SELECT count(DISTINCT cluster_id) FROM brent_mdm.dedupe('$schema.lr', 'id',
    '{\"given_name\": \"given_name\", \"family_name\": \"surname\", \"full_name\": \"full_name\", \"date_of_birth\": \"date\",
      \"postcode\": \"postcode\", \"nhs_number\": \"identifier\", \"ni_number\": \"identifier\", \"upn\": \"identifier\",
      \"address_from\": \"moved_in\", \"address_to\": \"moved_out\"}');
    SELECT store_peak_kb, beside_peak_kb FROM brent_mdm.linkage_last_run();"
  printf '\n'
  if [ "${BENCH_MEM_CLIENT:-1}" = 1 ]; then
    psql -X -q <<'SQL' >/dev/null
SET client_min_messages = warning;
TRUNCATE brent_mdm.client_record, brent_mdm.client, brent_mdm.client_history, brent_mdm.client_change,
         brent_mdm.review_queue, brent_mdm.client_source CASCADE;
DELETE FROM brent_mdm.link_model WHERE model_name = 'client_index';
INSERT INTO brent_mdm.client_source (system, trust, min_age) VALUES
  ('health_visiting', 90, 0), ('school_census', 85, 0), ('childrens_social_care', 80, 0), ('adult_social_care', 80, 18),
  ('housing', 75, 18), ('electoral_register', 70, 16), ('early_years', 65, 0), ('council_tax', 60, 18),
  ('revenues_benefits', 55, 16), ('youth_offending', 60, 0), ('asb_case', 40, 0), ('realtime', 50, 0);
SQL
    printf '%-20s %8s %9s ' client_index_load "$people" "$n"
    measure client_index_load "SELECT records, clients FROM brent_mdm.client_index_load('$schema.person_record');
    SELECT store_peak_kb, beside_peak_kb FROM brent_mdm.linkage_last_run();"
    printf '\n'
  fi
done
