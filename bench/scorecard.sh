#!/usr/bin/env bash
# Benchmark: the family scorecard (issue 14, Speed).  BENCH_SCORECARD_FAMILIES
# families (default 100,000: one adult and two children each) and
# BENCH_SCORECARD_EVENTS events (default 1,000,000) of ten sources
# (bench/scorecard_data.sql), half the families attached to the programme.
#   1. ours: brent_mdm.family_profile (the aggregate in C, parallel aggregation
#      as the planner chooses it with the server's settings) grouped by family;
#   2. the same result in plain SQL (bench/scorecard_plain.sql: CTEs and GROUP BY
#      over the rule tables);
# problems, eligibility and progress checked equal for every family, under both
# shipped rule sets; each timed 3 times, the best kept; ratio = plain / ours
# (goals: ours under 2 s and 3x faster).
#   ./run bench scorecard        BENCH_SCORECARD_FAMILIES=10000 ./run bench scorecard
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
families=${BENCH_SCORECARD_FAMILIES:-100000}
events=${BENCH_SCORECARD_EVENTS:-1000000}
db=brent_bench_scorecard
dropdb --if-exists "$db" 2>/dev/null || true
createdb "$db"
export PGDATABASE=$db PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

echo "== scorecard: $families families, $events events"
q -v members=$((families * 3)) -v events="$events" <<SQL
SET client_min_messages = warning;
CREATE EXTENSION brent_mdm CASCADE;
\i $here/scorecard_data.sql
SQL
q -c "SELECT 'parallel workers per gather: ' || current_setting('max_parallel_workers_per_gather')
             || ', cores seen by the benchmark: $(nproc)'"

best() { sort -n | head -1; }
for rules in troubled_families_2015 supporting_families_2022; do
  ours=()
  plain=()
  for i in 1 2 3; do
    ours+=("$(q -v r="$rules" <<'SQL' | tail -1
\timing on
CREATE TEMP TABLE ours AS
SELECT m.family_id, brent_mdm.family_profile(:'r', '2026-03-31', a.attached, a.closed, m.client_id, m.role,
                                             e.source, e.category, e.ef, e.et, e.missed, e.possible) AS p
  FROM sc_member m JOIN sc_event e USING (client_id) LEFT JOIN sc_att a USING (family_id)
 GROUP BY m.family_id;
SQL
)")
  done
  for i in 1 2 3; do
    plain+=("$(q -v r="$rules" -v d=2026-03-31 -c '\timing on' -f "$here/scorecard_plain.sql" | tail -1)")
  done
  # equality: on one connection, both results side by side
  diff=$(q -v r="$rules" -v d=2026-03-31 <<SQL
\i $here/scorecard_plain.sql
CREATE TEMP TABLE ours AS
SELECT m.family_id, brent_mdm.family_profile(:'r', '2026-03-31', a.attached, a.closed, m.client_id, m.role,
                                             e.source, e.category, e.ef, e.et, e.missed, e.possible) AS p
  FROM sc_member m JOIN sc_event e USING (client_id) LEFT JOIN sc_att a USING (family_id)
 GROUP BY m.family_id;
SELECT count(*) FROM plain_scorecard p JOIN ours o USING (family_id)
 WHERE p.problems IS DISTINCT FROM ARRAY(SELECT jsonb_array_elements_text(o.p -> 'problems'))
    OR p.eligible IS DISTINCT FROM (o.p ->> 'eligible')::boolean
    OR p.progress IS DISTINCT FROM o.p ->> 'progress';
SELECT count(*) FILTER (WHERE (p ->> 'eligible')::boolean) || ' eligible, '
       || count(*) FILTER (WHERE p ->> 'progress' = 'achieved') || ' achieved, of ' || count(*) FROM ours;
SQL
)
  mismatches=$(echo "$diff" | sed -n 1p)
  summary=$(echo "$diff" | sed -n 2p)
  o=$(printf '%s\n' "${ours[@]}" | sed 's/Time: \([0-9.]*\) ms.*/\1/' | best)
  p=$(printf '%s\n' "${plain[@]}" | sed 's/Time: \([0-9.]*\) ms.*/\1/' | best)
  echo "$rules: $summary families"
  echo "  ours (family_profile):   $(printf '%.0f' "$o") ms   (runs: $(printf '%s\n' "${ours[@]}" | sed 's/Time: \([0-9.]*\) ms.*/\1/' | tr '\n' ' '))"
  echo "  plain SQL:               $(printf '%.0f' "$p") ms   (runs: $(printf '%s\n' "${plain[@]}" | sed 's/Time: \([0-9.]*\) ms.*/\1/' | tr '\n' ' '))"
  echo "  ratio plain / ours:      $(awk -v a="$p" -v b="$o" 'BEGIN { printf "%.1fx", a / b }')"
  echo "  families that differ:    $mismatches"
  [ "$mismatches" = 0 ] || { echo "RESULTS DIFFER" >&2; exit 1; }
done
[ -n "${BENCH_KEEP:-}" ] || dropdb "$db"
