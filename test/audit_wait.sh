#!/usr/bin/env bash
# Reading the audit log right after a read: audit_flush() waits until the records
# queued so far are stored, and subject_access_report() is documented to wait for them
# too.  The audit worker is held at a known point (a session holds audit_log in
# EXCLUSIVE mode, so the worker's INSERT waits, as pg_locks shows), the read is made,
# the waiting call is started, and only then is the worker let go.  Prints TAP.
#
# Test 3 was a bug (the report read the audit log with the snapshot its statement took
# before waiting): it now reads with a snapshot taken after its wait.
set -uo pipefail
cd "$(dirname "$0")"
db=brent_mdm_audit_wait
q() { psql -X -Atq -d "$db" -c "$1" 2>/dev/null; }
source lib/sessions.sh
trap sess_cleanup EXIT
dropdb --if-exists "$db" 2>/dev/null
createdb "$db"
psql -X -q -v ON_ERROR_STOP=1 -d "$db" >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION brent_mdm CASCADE;
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'aw_analyst') THEN CREATE ROLE aw_analyst LOGIN; END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'aw_owner') THEN CREATE ROLE aw_owner NOLOGIN; END IF;
END $$;
CREATE SCHEMA aw;
GRANT USAGE ON SCHEMA aw TO PUBLIC;
INSERT INTO brent_mdm.client (client_id) VALUES (1), (2);
CREATE TABLE aw.visit (id int PRIMARY KEY, client_id bigint, note text);
INSERT INTO aw.visit VALUES (1, 1, 'one'), (2, 2, 'two');
ALTER TABLE aw.visit OWNER TO aw_owner;
SELECT brent_mdm.protect('aw.visit', 'client_id');
SELECT brent_mdm.register_dpia('aw', 'Visits', 'Visits', 'public_task', 'Brent', 'Head of service');
SELECT brent_mdm.set_table_scope('aw', 'aw.visit');
SELECT brent_mdm.set_column_scope('aw', 'aw.visit', 'note');
SELECT brent_mdm.approve_dpia('aw', 'DPO', now() + interval '1 year');
SELECT brent_mdm.grant_purpose('aw', 'aw_analyst');
GRANT SELECT ON aw.visit_masked TO aw_analyst;
SQL
q "SELECT brent_mdm.audit_flush()" >/dev/null
echo "1..3"
n=0; fail=0
check() { n=$((n+1)); if [ "$2" = "$3" ]; then echo "ok $n - $1"; else echo "not ok $n - $1 (expected '$2', got '$3')"; fail=1; fi; }

hold() {
  sess_open aw_holder "$db"
  sess_send aw_holder "BEGIN; LOCK TABLE brent_mdm.audit_log IN EXCLUSIVE MODE;"
  await "the holder's lock on audit_log" \
    "SELECT EXISTS (SELECT FROM pg_locks l JOIN pg_stat_activity a USING (pid)
                     WHERE a.application_name = 'aw_holder' AND l.relation = 'brent_mdm.audit_log'::regclass
                       AND l.mode = 'ExclusiveLock' AND l.granted)"
}
release() { sess_send aw_holder "COMMIT;"; sess_close aw_holder; }
read_visits() {
  psql -X -q -d "$db" -c "SET SESSION AUTHORIZATION aw_analyst" -c "SELECT brent_mdm.begin_purpose('aw')" \
    -c "SELECT count(*) FROM aw.visit_masked" -c "SELECT brent_mdm.end_purpose()" >/dev/null
}
worker_held="SELECT EXISTS (SELECT FROM pg_locks l JOIN pg_stat_activity a USING (pid)
                             WHERE a.backend_type = 'brent_mdm audit worker'
                               AND l.relation = 'brent_mdm.audit_log'::regclass AND NOT l.granted)"
# a statement started (its snapshot taken: backend_xmin set) and still running
started="SELECT EXISTS (SELECT FROM pg_stat_activity WHERE application_name = '%s'
                         AND state = 'active' AND backend_xmin IS NOT NULL)"
accesses="SELECT count(*) FROM brent_mdm.audit_log WHERE role_name = 'aw_analyst' AND action = 'select' AND client_ids @> '{1}'"

# audit_flush() in a statement of its own, then the audit log
hold
read_visits
await "the audit worker to wait for audit_log" "$worker_held"
PGAPPNAME=aw_flush psql -X -Atq -d "$db" -c "SELECT brent_mdm.audit_flush()" -c "$accesses" >"$sess_dir/flush.out" 2>&1 &
flusher=$!
# shellcheck disable=SC2059
await "audit_flush() to be waiting" "$(printf "$started" aw_flush)" "$flusher"
check "while the worker is held, the read is not stored yet" "0" "$(q "$accesses")"
release
wait "$flusher"
check "audit_flush() returns once the read is stored, and the next statement sees it" "t
1" "$(cat "$sess_dir/flush.out")"

# the report, started while the worker is held
hold
read_visits
await "the audit worker to wait for audit_log" "$worker_held"
PGAPPNAME=aw_report psql -X -Atq -d "$db" \
  -c "SELECT count(*) FROM brent_mdm.subject_access_report(1) WHERE source = 'audit' AND item = 'access'" \
  >"$sess_dir/report.out" 2>&1 &
reporter=$!
# shellcheck disable=SC2059
await "the report to be waiting" "$(printf "$started" aw_report)" "$reporter"
release
wait "$reporter"
check "a subject access report started before the audit worker stored a read lists it (both reads)" "2" \
  "$(cat "$sess_dir/report.out")"
dropdb "$db" 2>/dev/null
psql -X -q -d postgres -c "DROP ROLE IF EXISTS aw_analyst, aw_owner" >/dev/null 2>&1
exit $fail
