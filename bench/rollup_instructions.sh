#!/usr/bin/env bash
# Benchmark: what an indicator rollup adds to a COPY, in CPU instructions
# counted by valgrind (callgrind) in the writing backend, so that the write
# overhead is measured the same on any machine, however busy (the timings of
# bench/rollup.sh move with the machine's load: docs/benchmarks.md).
#
#   bash bench/rollup_instructions.sh            (valgrind needed; as root or a user)
#   BENCH_ROWS=1000000 BENCH_CHANGE=10000 bash bench/rollup_instructions.sh
#   BENCH_STATEMENT=insert bash bench/rollup_instructions.sh   (INSERT ... SELECT
#     of bench/rollup.sh's shape instead of COPY: more groups per row)
#
# The table of bench/rollup.sh (BENCH_ROWS rows: ward, category, month...) is
# loaded by a normal server; the server is then started again under
# valgrind --tool=callgrind and each COPY of BENCH_CHANGE rows runs in a
# connection of its own: with no aggregate (a copy of the table without
# indicators), with a count(*) indicator by ward, category and month, and with
# it and a count(distinct) indicator.  A connection that copies one file is
# subtracted from one that copies it and then a second file, so the count is
# that of a COPY in a session that has written before (caches warm, as in
# bench/rollup.sh); every COPY writes new rows (the table grows by
# 9 x 3 x BENCH_CHANGE rows in the run).  Each configuration 3 times, alternating;
# the lowest count kept.  Instructions leave out waiting for the disk and the
# kernel's work (WAL writes, page faults), which the timings include.
set -euo pipefail
shopt -s inherit_errexit
rows=${BENCH_ROWS:-1000000}
change=${BENCH_CHANGE:-10000}
statement=${BENCH_STATEMENT:-copy}
case $statement in copy|insert) ;; *) echo "BENCH_STATEMENT is copy or insert"; exit 2 ;; esac
source "$(dirname "$0")/lib/callgrind_cluster.sh"
callgrind_cluster_init rollup_ir
as_owner "$bindir/pg_ctl -D $work/data -o '-p $port -k $work -c listen_addresses=' -l $work/load.log -w start >/dev/null"
echo "== instructions of a ${statement^^} of $change rows into a table of $rows rows (callgrind)"
psql -X -q -o /dev/null -v ON_ERROR_STOP=1 <<SQL
SET client_min_messages = warning;
CREATE EXTENSION brent_mdm CASCADE;
CREATE TABLE bench_ev (id bigint PRIMARY KEY, ward smallint NOT NULL, category smallint NOT NULL,
                       occurred date NOT NULL, amount numeric, label integer);
INSERT INTO bench_ev
SELECT g, (g % 22)::smallint, (g / 22 % 30)::smallint, date '2021-04-01' + (g / 660 % 1826)::int,
       round((g % 10000)::numeric / 100, 2), g % 1000
  FROM generate_series(1, $rows) g;
CREATE TABLE bench_none (LIKE bench_ev INCLUDING ALL);
INSERT INTO bench_none SELECT * FROM bench_ev;
VACUUM ANALYZE bench_ev, bench_none;
SELECT brent_mdm.define_indicator('bench_count', 'bench_ev', 'count(*)', '{ward,category}', 'occurred', 'month');
SELECT brent_mdm.define_indicator('bench_distinct', 'bench_ev', 'count(distinct label)', '{ward}', 'occurred', 'month');
CHECKPOINT;
SQL
as_owner "$bindir/pg_ctl -D $work/data -w stop -m fast >/dev/null"
callgrind_cluster_start
# instructions of one connection running its arguments (SQL statements), by the backend's pid
backend_ir() {
  local pid f args=()
  for c in "$@"; do args+=(-c "$c"); done
  pid=$(psql -X -At -v ON_ERROR_STOP=1 -c "SELECT pg_backend_pid()" "${args[@]}" | sed -n 1p)
  f=$work/cg.$pid
  for i in $(seq 120); do grep -q '^totals:' "$f" 2>/dev/null && break; sleep 0.5; done
  grep '^totals:' "$f" | awk '{print $2}'
}
distinct_triggers() {
  psql -X -q -At -c "SELECT format('ALTER TABLE bench_ev %s TRIGGER %I', '$1', tgname) FROM pg_trigger
                      WHERE tgrelid = 'bench_ev'::regclass AND tgname LIKE '%bench_distinct%'" | sed 's/$/;/' | psql -X -q -v ON_ERROR_STOP=1 >/dev/null
}
files=0
newfile() {  # a file of $change new rows (ids never used before) in $file
  files=$((files + 1))
  file=$work/c$files.tsv
  if [ "$statement" = insert ]; then  # an INSERT statement, of bench/rollup.sh's shape, in $file
    file="INSERT INTO @table@ SELECT $rows * 10 + $files * $change + g, (g % 22)::smallint, (g % 30)::smallint,
                                date '2024-01-01' + g % 300, 2.5, g % 1000 FROM generate_series(1, $change) g"
    return
  fi
  psql -X -q -c "COPY (SELECT $rows * 10 + $files * $change + g AS id, (g % 22)::smallint AS ward,
                              (g % 30)::smallint AS category, date '2023-01-01' + g % 365 AS occurred,
                              1.5::numeric AS amount, g % 1000 AS label
                         FROM generate_series(1, $change) g) TO '$file'" >/dev/null
}
declare -A best
for round in 1 2 3; do
  for config in none count count_distinct; do
    table=bench_ev
    case $config in
      none) table=bench_none ;;
      count) distinct_triggers DISABLE ;;
      count_distinct) distinct_triggers ENABLE ;;
    esac
    newfile; f1=$file; newfile; f2=$file; newfile; f3=$file
    stmt() { if [ "$statement" = insert ]; then echo "${1//@table@/$table}"; else echo "COPY $table FROM '$1'"; fi; }
    one=$(backend_ir "$(stmt "$f1")")
    two=$(backend_ir "$(stmt "$f2")" "$(stmt "$f3")")
    [ -n "${BENCH_KEEP:-}" ] && echo "$config $one $two" >> "$work/runs"
    d=$((two - one))
    if [ -z "${best[$config]:-}" ] || [ "$d" -lt "${best[$config]}" ]; then best[$config]=$d; fi
  done
done
distinct_triggers ENABLE
printf '%-32s %14s %10s\n' "${statement^^} of $change rows" instructions "vs none"
for config in none count count_distinct; do
  printf '%-32s %14d %10.3f\n' "$config" "${best[$config]}" "$(echo "${best[$config]} / ${best[none]}" | bc -l)"
done
# (bench_distinct missed the rows of the count-only runs, its triggers disabled)
psql -X -q -At -c "SELECT 'verify_indicator(''bench_count''): ' || brent_mdm.verify_indicator('bench_count') || ' groups differ'"
