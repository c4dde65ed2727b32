# Sourced by the shell tests that need more than one session at a time.
#
# A held session is a psql reading its statements from a fifo: the test sends it
# statements step by step, so that a transaction (and the locks it holds) stays open
# across steps.  Nothing here sleeps in place of a check: await polls the server's
# state (pg_locks, pg_stat_activity, ...) until a condition holds, with a bound that
# is only ever reached when something is broken.
#
#   sess_open NAME DB        start psql as application_name NAME
#   sess_send NAME SQL       send it statements (one line or more)
#   sess_close NAME          end its input (psql exits; an open transaction rolls back)
#   sess_pid NAME            its backend's pid (once connected)
#   await WHAT SQL [PID]     poll until SQL (run in $db) returns t; 1 if it never did
#                            (or if process PID, which was to bring it about, ended)
#   waits_on NAME TABLE      SQL: is session NAME waiting for a lock on TABLE?
#
# Needs $db and q() (a one-value query in $db) from the sourcing script.

sess_dir=$(mktemp -d)
declare -A sess_fd sess_psql
# a write to a session whose psql has gone must fail, not kill the test
trap '' PIPE

sess_open() {
  local name=$1 dbname=$2 fd
  mkfifo "$sess_dir/$name.in"
  PGAPPNAME=$name psql -X -q -At -v ON_ERROR_STOP=1 -d "$dbname" \
    <"$sess_dir/$name.in" >"$sess_dir/$name.out" 2>&1 &
  sess_psql[$name]=$!
  exec {fd}>"$sess_dir/$name.in"
  sess_fd[$name]=$fd
}

sess_send() { printf '%s\n' "$2" >&"${sess_fd[$1]}" 2>/dev/null; }

sess_close() {
  local fd=${sess_fd[$1]:-}
  [ -n "$fd" ] || return 0
  exec {fd}>&-
  wait "${sess_psql[$1]}" 2>/dev/null
  unset "sess_fd[$1]"
  rm -f "$sess_dir/$1.in"
}

# The backend pid of a connected session (empty if it is not connected).
sess_pid() { q "SELECT pid FROM pg_stat_activity WHERE application_name = '$1'"; }

await() {
  local i
  for i in $(seq 1 3000); do
    [ "$(q "$2")" = t ] && return 0
    # the process that was to get there has ended: it never will
    if [ -n "${3:-}" ] && ! kill -0 "$3" 2>/dev/null; then
      [ "$(q "$2")" = t ] && return 0
      echo "# process $3 ended before: $1"
      return 1
    fi
    sleep 0.1
  done
  echo "# gave up waiting (5 minutes) for: $1"
  return 1
}

waits_on() {
  echo "SELECT EXISTS (SELECT FROM pg_locks l JOIN pg_stat_activity a USING (pid)
                        WHERE a.application_name = '$1' AND l.locktype = 'relation'
                          AND l.relation = '$2'::regclass AND NOT l.granted)"
}

sess_cleanup() {
  local name
  for name in "${!sess_fd[@]}"; do sess_close "$name"; done
  rm -rf "$sess_dir"
}

# The tests that restart the server (pg_ctlcluster ... regress) run only inside the
# cluster ./run test makes (pg_virtualenv's "regress"): connected anywhere else, they
# would restart that cluster under whoever is using it.  Bails out otherwise.
require_regress_cluster() {
  local dir
  dir=$(pg_lsclusters -h 2>/dev/null | awk -v v="${PGVERSION:-15}" '$1 == v && $2 == "regress" { print $6 }')
  if [ -z "$dir" ] || [ "$(psql -X -Atq -d postgres -c 'SHOW data_directory' 2>/dev/null)" != "$dir" ]; then
    echo "Bail out! not connected to ./run test's cluster (${PGVERSION:-15} regress): this test restarts it"
    exit 1
  fi
}
