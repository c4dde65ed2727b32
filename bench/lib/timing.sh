# Sourced by bench/catalogue.sh and bench/trends.sh (they define q, their psql).
#   best SCRIPT    best of 3 runs of a psql script that prints its seconds;
#                  BEST_SETTINGS (SQL) is run before it each time (e.g. "SET jit = off;")
#   timed T QUERY  the script that fills table T by QUERY and prints its seconds
best() {
  local b="" t
  for r in 1 2 3; do
    t=$(q <<<"SET client_min_messages = warning; ${BEST_SETTINGS:-} $1")
    if [ -z "$b" ] || [ "$(echo "$t < $b" | bc)" = 1 ]; then b=$t; fi
  done
  echo "$b"
}
timed() {
  echo "DROP TABLE IF EXISTS $1; SELECT clock_timestamp() AS t0 \\gset
CREATE TABLE $1 AS $2;
SELECT round(extract(epoch FROM clock_timestamp() - :'t0'::timestamptz)::numeric, 4);"
}
