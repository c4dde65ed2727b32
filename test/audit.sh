#!/usr/bin/env bash
# The audit's guarantee where a second session or the end of a process is
# involved: a row delivered to a client under a purpose always has its audit
# record, whatever ends the transaction.  A backend that terminates itself in
# the middle of a statement; a cursor left open by a backend terminated by
# another; a full audit queue (the audit worker held on a lock): reads wait with
# interrupts honoured, then fail, and never run unaudited; a fast shutdown with
# a cursor open; a batch the worker fails to store (retried by the next worker,
# never dropped); a crash (kill -9): what audit_flush() stored survives, and
# log_statement keeps a second trail of what the queue lost.  Prints TAP.
# Runs inside the throwaway cluster ./run test makes (it restarts the server
# and kills a backend).  Other sessions are held with locks, never with sleeps.
set -uo pipefail
db=brent_mdm_audit
q() { psql -X -Atq -d "$db" -c "$1" 2>/dev/null; }
source "$(dirname "$0")/lib/sessions.sh"     # await: poll a state with a bound
require_regress_cluster
trap sess_cleanup EXIT
wait_up() { await "the server to accept connections again" "SELECT true"; }
export AUDIT_PASSWORD=analyst-pw-$$
as_analyst() { PGPASSWORD=$AUDIT_PASSWORD psql -X -At -v ON_ERROR_STOP=1 -U aua_analyst -d "$db" "$@"; }
logfile=$(pg_lsclusters -h 2>/dev/null | awk -v v="${PGVERSION:-15}" '$1 == v && $2 == "regress" { print $7 }')

dropdb --if-exists "$db" 2>/dev/null
createdb "$db"
psql -X -q -d "$db" -v ON_ERROR_STOP=1 -v pw="$AUDIT_PASSWORD" >/dev/null 2>&1 <<'SQL' || { echo "Bail out! setup failed"; exit 1; }
SET client_min_messages = warning;
CREATE EXTENSION brent_mdm CASCADE;
DO $$ BEGIN
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'aua_analyst') THEN
    DROP OWNED BY aua_analyst CASCADE; DROP ROLE aua_analyst; END IF;
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'aua_owner') THEN
    DROP OWNED BY aua_owner CASCADE; DROP ROLE aua_owner; END IF;
END $$;
CREATE ROLE aua_owner NOLOGIN;
CREATE ROLE aua_analyst LOGIN PASSWORD :'pw';
-- the mitigation for a crash: every statement of the analyst in the server log as well
ALTER ROLE aua_analyst SET log_statement = 'all';
CREATE SCHEMA aua;
GRANT USAGE ON SCHEMA aua TO aua_analyst;
CREATE TABLE aua.person (id int PRIMARY KEY, name text);
INSERT INTO aua.person SELECT i, 'person ' || i FROM generate_series(1, 20) i;
CREATE TABLE aua.fill (id int);
INSERT INTO aua.fill VALUES (1);
ALTER TABLE aua.person OWNER TO aua_owner;
ALTER TABLE aua.fill OWNER TO aua_owner;
CREATE SEQUENCE aua.fill_seq;
GRANT USAGE ON SEQUENCE aua.fill_seq TO aua_analyst;
SELECT brent_mdm.register_dpia('aua_dpia', 'Audit tests', 'Testing the audit', 'public_task', 'Brent', 'DBA');
SELECT brent_mdm.protect('aua.person');
SELECT brent_mdm.protect('aua.fill');
SELECT brent_mdm.set_table_scope('aua_dpia', 'aua.person');
SELECT brent_mdm.set_column_scope('aua_dpia', 'aua.person', 'id');
SELECT brent_mdm.set_column_scope('aua_dpia', 'aua.person', 'name');
SELECT brent_mdm.set_table_scope('aua_dpia', 'aua.fill');
SELECT brent_mdm.set_column_scope('aua_dpia', 'aua.fill', 'id');
SELECT brent_mdm.approve_dpia('aua_dpia', 'DPO', now() + interval '1 day');
SELECT brent_mdm.grant_purpose('aua_dpia', 'aua_analyst');
GRANT SELECT ON aua.person_masked, aua.fill_masked TO aua_analyst;
SQL

echo "1..14"
n=0; fail=0
check() { n=$((n+1)); if [ "$2" = "$3" ]; then echo "ok $n - $1"; else echo "not ok $n - $1 (expected '$2', got '$3')"; fail=1; fi; }
flush() { q "SELECT brent_mdm.audit_flush(60000)"; }
mark() { flush >/dev/null; q "SELECT coalesce(max(audit_id), 0) FROM brent_mdm.audit_log"; }
# one audit record of the analyst on a table since a mark: action|dpia|rows|detail
record() { q "SELECT string_agg(concat_ws('|', action, dpia_id, coalesce(rows::text, 'NULL'), detail), ';' ORDER BY audit_id)
                FROM brent_mdm.audit_log WHERE role_name = 'aua_analyst' AND table_name = '$1' AND audit_id > $2"; }

# A session driven line by line (psql reading a FIFO): send SQL, wait for a marker line.
# Every process started while a session is open gets none of its pipes (closefds), or
# that session would never see the end of its input.
fifos=$(mktemp -d)
open_fds=""
closefds() { for fd in $open_fds; do eval "exec $fd>&-"; done; }
start_session() {  # name, command...
  local name=$1 fi fo; shift
  rm -f "$fifos/$name.in" "$fifos/$name.out"
  mkfifo "$fifos/$name.in" "$fifos/$name.out"
  ( closefds; exec "$@" ) <"$fifos/$name.in" >"$fifos/$name.out" 2>&1 &
  eval "${name}_pid=$!"
  exec {fi}>"$fifos/$name.in"
  exec {fo}<"$fifos/$name.out"
  eval "${name}_in=$fi ${name}_out=$fo"
  open_fds="$open_fds $fi $fo"
}
end_session() {
  local pid="${1}_pid" fi="${1}_in" fo="${1}_out"
  open_fds=$(echo " $open_fds " | sed "s/ ${!fi} / /; s/ ${!fo} / /")
  eval "exec {${1}_in}>&- {${1}_out}<&-"
  wait "${!pid}" 2>/dev/null
}
analyst_session() { start_session "$1" env PGPASSWORD="$AUDIT_PASSWORD" psql -X -At -q -U aua_analyst -d "$db"; }
send() { local fd="${1}_in"; echo "$2" >&"${!fd}"; }
expect() {  # name, line prefix: waits (30 s at most) for a line starting with it, prints it
  local fd="${1}_out" line
  while IFS= read -r -t 30 line <&"${!fd}"; do
    case $line in "$2"*) echo "$line"; return 0 ;; esac
  done
  return 1
}

# ---- a backend that terminates itself in the middle of a statement ----
m=$(mark)
out=$(as_analyst -c "SELECT brent_mdm.begin_purpose('aua_dpia')" \
  -c "\\copy (SELECT 'copy ' || name FROM aua.person_masked UNION ALL SELECT 'copy ' || pg_terminate_backend(pg_backend_pid())) TO STDOUT" 2>/dev/null)
check "rows were delivered before the backend ended itself" "20" "$(echo "$out" | grep -c '^copy person')"
check "... and they have their audit record (FATAL never reaches the error path)" \
  "error|aua_dpia|$(echo "$out" | grep -c '^copy ')|select; session ended" "$(record aua.person "$m")"

# ---- a cursor left open by a backend terminated by another session ----
m=$(mark)
analyst_session S
send S "SELECT brent_mdm.begin_purpose('aua_dpia');"
send S "BEGIN;"
send S "DECLARE c CURSOR FOR SELECT name FROM aua.person_masked;"
send S "FETCH 3 FROM c;"
send S "SELECT 'fetched', pg_backend_pid();"
pid=$(expect S "fetched|" | cut -d'|' -f2)
check "a session with an open cursor under its purpose is terminated by another" "t" \
  "$(q "SELECT pg_terminate_backend($pid, 30000)")"
end_session S
check "... the rows its cursor delivered have their audit record" \
  "select|aua_dpia|3|session ended" "$(record aua.person "$m")"

# ---- a full audit queue: the audit worker held on a lock ----
start_session L psql -X -At -q -d "$db"
send L "BEGIN;"
send L "LOCK TABLE brent_mdm.audit_log IN SHARE MODE;"
send L "SELECT 'locked';"
expect L "locked" >/dev/null
m=$(q "SELECT coalesce(max(audit_id), 0) FROM brent_mdm.audit_log")
# a first read, and a flush that makes the worker try to store it (and wait for the lock)
as_analyst -c "SELECT brent_mdm.begin_purpose('aua_dpia')" -c "SELECT count(*) FROM aua.fill_masked" \
  -c "SELECT brent_mdm.audit_flush(100)" >/dev/null 2>&1
worker_waits="SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)
                WHERE a.backend_type = 'brent_mdm audit worker' AND a.datname = current_database()
                  AND l.relation = 'brent_mdm.audit_log'::regclass AND NOT l.granted"
await "the audit worker to wait for the lock on audit_log" "SELECT ($worker_waits) = 1"
waiting=$(q "$worker_waits")
check "the audit worker waits for the lock on audit_log" "1" "$waiting"
# one session under its purpose reads until the queue is full: the read that finds it full
# waits, then fails (fail closed, 10 s); then a read cancelled while it waits (statement_timeout)
# (psql names the line of each failed statement of a file: 2 and 4 below)
cat > "$fifos/fill.sql" <<'SQL'
SELECT brent_mdm.begin_purpose('aua_dpia');
DO $$ BEGIN FOR i IN 1..10000 LOOP PERFORM count(*) FROM aua.fill_masked; PERFORM nextval('aua.fill_seq'); END LOOP; END $$;
SET statement_timeout = '1s';
SELECT 'row ' || id FROM aua.fill_masked;
SQL
out=$(PGPASSWORD=$AUDIT_PASSWORD psql -X -At -U aua_analyst -d "$db" -f "$fifos/fill.sql" 2>&1)
err() { echo "$out" | grep -c "^psql:[^:]*:$1: ERROR:  $2"; }
check "a read that finds the audit queue full waits, then fails (fail closed): it never runs unaudited" "1" \
  "$(err 2 'the brent_mdm audit queue is full')"
check "... a read waiting for room honours statement_timeout, and delivered no row" "0|1" \
  "$(echo "$out" | grep -c '^row ')|$(err 4 'canceling statement due to statement timeout')"
send L "COMMIT;"
end_session L
done_reads=$(q "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM aua.fill_seq")
flush >/dev/null
rows_out=$(echo "$out" | grep -c '^row ')
check "once the worker stores again, every read that returned rows has its record ($done_reads in the filling loop)" \
  "$((done_reads + 1 + rows_out))" \
  "$(q "SELECT count(*) FROM brent_mdm.audit_log WHERE role_name = 'aua_analyst' AND table_name = 'aua.fill'
          AND audit_id > $m AND action = 'select' AND rows = 1")"

# ---- a batch the worker fails to store is stored by the next worker, not lost ----
m=$(mark)
q "CREATE TABLE public.aua_store_fails (yes boolean);
   INSERT INTO public.aua_store_fails VALUES (true);
   CREATE FUNCTION public.aua_store_fails() RETURNS trigger LANGUAGE plpgsql AS
     'BEGIN IF EXISTS (SELECT FROM public.aua_store_fails) THEN RAISE EXCEPTION ''audit store fails (test)''; END IF; RETURN NULL; END';
   CREATE TRIGGER aua_store_fails BEFORE INSERT ON brent_mdm.audit_log
     FOR EACH STATEMENT EXECUTE FUNCTION public.aua_store_fails();" >/dev/null
out=$(as_analyst -c "SELECT brent_mdm.begin_purpose('aua_dpia')" -c "SELECT 'got ' || name FROM aua.person_masked WHERE id = 5 /* audit-store-fails */" 2>&1)
# every store fails while the table has its row: the flush gives up (false), nothing stored
stuck=$(q "SELECT brent_mdm.audit_flush(2000)")
stored_while_failing=$(q "SELECT count(*) FROM brent_mdm.audit_log WHERE audit_id > $m AND role_name = 'aua_analyst'")
q "DELETE FROM public.aua_store_fails" >/dev/null
check "a batch the worker cannot store stays queued: the flush fails, nothing is stored, nothing dropped" \
  "got person 5|f|0" "$(echo "$out" | grep '^got ')|$stuck|$stored_while_failing"
check "... and once storing works again the next worker stores it" "t|select|aua_dpia|1" \
  "$(flush)|$(record aua.person "$m")"
q "DROP TRIGGER aua_store_fails ON brent_mdm.audit_log; DROP FUNCTION public.aua_store_fails(); DROP TABLE public.aua_store_fails" >/dev/null

# ---- a fast shutdown with a cursor open ----
m=$(mark)
analyst_session S
send S "SELECT brent_mdm.begin_purpose('aua_dpia');"
send S "BEGIN;"
send S "DECLARE c CURSOR FOR SELECT name FROM aua.person_masked;"
send S "FETCH 4 FROM c;"
send S "SELECT 'fetched';"
expect S "fetched" >/dev/null
( closefds; exec pg_ctlcluster "${PGVERSION:-15}" regress restart -m fast ) >/dev/null 2>&1
end_session S
wait_up
check "after a fast shutdown, the rows an open cursor delivered have their audit record" \
  "select|aua_dpia|4|session ended" "$(record aua.person "$m")"

# ---- a crash (kill -9): the server resets shared memory ----
m=$(mark)
analyst_session S
send S "SELECT brent_mdm.begin_purpose('aua_dpia');"
send S "BEGIN;"
send S "DECLARE c CURSOR FOR SELECT name FROM aua.person_masked;"
send S "FETCH 2 FROM c;"
send S "SELECT brent_mdm.audit_flush(60000);"
send S "SELECT 'flushed', pg_backend_pid();"
pid=$(expect S "flushed|" | cut -d'|' -f2)
# the worker held again: the next read's record stays in shared memory
start_session L psql -X -At -q -d "$db"
send L "BEGIN;"
send L "LOCK TABLE brent_mdm.audit_log IN SHARE MODE;"
send L "SELECT 'locked';"
expect L "locked" >/dev/null
send S "SELECT 'read ' || name FROM aua.person_masked WHERE id = 7 /* audit-crash-marker */;"
read7=$(expect S "read ")
kill -9 "$pid"
end_session S; end_session L
wait_up
check "the read before the crash was delivered" "read person 7" "$read7"
check "after a crash, a statement whose record audit_flush() stored keeps it (its end never recorded)" \
  "select|aua_dpia|NULL|end not recorded" "$(record aua.person "$m")"
if [ -n "$logfile" ] && [ -r "$logfile" ]; then
  check "... and the read whose record was still queued is in the server log (log_statement, the mitigation)" "1" \
    "$(grep -c 'statement: .*audit-crash-marker' "$logfile")"
else
  check "... and the read whose record was still queued is in the server log (log_statement, the mitigation)" "a readable log" "none found"
fi
lost=$(q "SELECT count(*) FROM brent_mdm.audit_log WHERE audit_id > $m AND table_name = 'aua.person' AND rows = 1")
echo "# records of the read still queued at the crash that survived: $lost (a crash loses the queue: docs/security.md)"

rm -rf "$fifos"
dropdb "$db" 2>/dev/null
q "DROP OWNED BY aua_analyst CASCADE" >/dev/null
psql -X -Atq -c "DROP OWNED BY aua_analyst, aua_owner CASCADE" -d postgres >/dev/null 2>&1
psql -X -Atq -c "DROP ROLE IF EXISTS aua_analyst, aua_owner" -d postgres >/dev/null 2>&1
exit $fail
