#!/usr/bin/env bash
# The Client Index under failure and concurrency: a build cancelled, or whose backend
# is killed (the server restarts and recovers), leaves the index exactly as it was; a
# writer that arrives during a build waits, and its records are matched once the build
# commits; two writers inserting the same new person at once both get a client.
# Prints TAP.  Runs inside the throwaway cluster ./run test makes (it kills a backend).
#
# Nothing here depends on how fast the machine is.  A build is held at a known point:
# it takes SHARE ROW EXCLUSIVE on client_record and client, clusters the records (with
# retrain, rewrites the model), and only then writes client_history.  A session that
# holds client_history in EXCLUSIVE mode (readers go on, writers wait) stops the build
# there, its clustering and model done and uncommitted; pg_locks shows it waiting, and
# only then is it cancelled, killed or let go.
set -uo pipefail
cd "$(dirname "$0")"
db=brent_mdm_crash
q() { psql -X -Atq -d "$db" -c "$1" 2>/dev/null; }
source lib/sessions.sh
trap sess_cleanup EXIT
wait_up() { await "the server to accept connections again" "SELECT true"; }
dropdb --if-exists "$db" 2>/dev/null
createdb "$db"
psql -X -q -d "$db" >/dev/null 2>&1 <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION brent_mdm CASCADE;
SELECT count(*) FROM brent_mdm.generate_borough(20000, 11, 'cr', true);
SELECT count(*) FROM brent_mdm.client_index_load('cr.person_record');
-- records waiting for the next build (loaded in bulk, no client yet): a build that
-- completed would give them clients
BEGIN;
SELECT brent_mdm.client_index_bulk(true);
INSERT INTO brent_mdm.client_record (system, record_key, given_name, family_name, date_of_birth, postcode)
SELECT 'housing', 'waiting-' || record_id, given_name, family_name, date_of_birth, postcode
  FROM brent_mdm.client_record WHERE system = 'adult_social_care' ORDER BY record_id LIMIT 200;
COMMIT;
SQL
state="SELECT md5(string_agg(record_id || ':' || coalesce(client_id, 0), ',' ORDER BY record_id)) || ' ' || count(*) FILTER (WHERE client_id IS NULL) || ' ' || (SELECT count(*) FROM brent_mdm.client WHERE status = 'active') || ' ' || (SELECT count(*) FROM brent_mdm.client_history) || ' ' || (SELECT count(*) FROM brent_mdm.link_model_level WHERE model_name = 'client_index') || ' ' || (SELECT md5(string_agg(l::text, ',' ORDER BY l::text)) FROM brent_mdm.link_model_level l WHERE model_name = 'client_index') FROM brent_mdm.client_record"
before=$(q "$state")
echo "1..19"
n=0; fail=0
check() { n=$((n+1)); if [ "$2" = "$3" ]; then echo "ok $n - $1"; else echo "not ok $n - $1 (expected '$2', got '$3')"; fail=1; fi; }

# holds client_history until "release"
hold() {
  sess_open crash_holder "$db"
  sess_send crash_holder "BEGIN; LOCK TABLE brent_mdm.client_history IN EXCLUSIVE MODE;"
  await "the holder's lock on client_history" \
    "SELECT EXISTS (SELECT FROM pg_locks l JOIN pg_stat_activity a USING (pid)
                     WHERE a.application_name = 'crash_holder' AND l.relation = 'brent_mdm.client_history'::regclass
                       AND l.mode = 'ExclusiveLock' AND l.granted)"
}
release() { sess_send crash_holder "COMMIT;"; sess_close crash_holder; }
# starts a build in the background; $build is its psql, $sess_dir/crash_build.out its output
start_build() {
  PGAPPNAME=crash_build psql -X -q -d "$db" -c "SELECT * FROM brent_mdm.build_client_index(retrain => $1)" \
    >"$sess_dir/crash_build.out" 2>&1 &
  build=$!
}
# yes when the build waits for client_history, blocked by the holder and nothing else
build_held() {
  if await "the build to reach client_history" "$(waits_on crash_build brent_mdm.client_history)" "$build" &&
     [ "$(q "SELECT pg_blocking_pids(b.pid) = ARRAY[h.pid] FROM pg_stat_activity b, pg_stat_activity h
              WHERE b.application_name = 'crash_build' AND h.application_name = 'crash_holder'")" = t ]; then
    echo yes
  else
    echo no
  fi
}

# ---- a build cancelled part way ----
hold
start_build true
check "a build is held part way: waiting for client_history, blocked by the holder only" "yes" "$(build_held)"
bpid=$(sess_pid crash_build)
wrote="SELECT EXISTS (SELECT FROM pg_locks l JOIN pg_stat_activity a USING (pid)
                      WHERE a.application_name = 'crash_build' AND l.relation = 'brent_mdm.link_model_level'::regclass
                        AND l.mode = 'RowExclusiveLock' AND l.granted)"
check "... having written already (the retrained model's levels, uncommitted)" "t" "$(q "$wrote")"
check "pg_cancel_backend cancels it" "t" "$(q "SELECT pg_cancel_backend($bpid)")"
wait "$build"
check "... and the build fails with 57014 (canceling statement due to user request)" "yes" \
  "$(grep -q 'canceling statement due to user request' "$sess_dir/crash_build.out" && echo yes || echo no)"
release
check "a cancelled build leaves the index as it was (records' clients, clients, history, model)" "$before" "$(q "$state")"
check "... including the 200 records waiting for a build, still without a client" "200" \
  "$(q "SELECT count(*) FROM brent_mdm.client_record WHERE client_id IS NULL")"

# ---- a build whose backend is killed: the server restarts, recovery leaves the index as it was ----
hold
start_build true
held=$(build_held)
check "a second build is held part way (so the kill below hits a running build)" "yes" "$held"
bpid=$(sess_pid crash_build)
check "... having written already (the retrained model's levels, uncommitted)" "t" "$(q "$wrote")"
if [ "$held" = yes ] && [ -n "$bpid" ]; then kill -9 "$bpid"; fi
wait "$build"
sess_close crash_holder   # its backend went with the crash restart
wait_up
check "the build's session lost its server (killed mid-build, not finished)" "yes" \
  "$(grep -q 'server closed the connection unexpectedly\|connection to server was lost' "$sess_dir/crash_build.out" && echo yes || echo no)"
check "a build whose backend was killed (kill -9, crash recovery) leaves the index as it was" "$before" "$(q "$state")"
check "the server came back and the index is usable" "t" "$(q "SELECT count(*) > 0 FROM brent_mdm.client WHERE status = 'active'")"

# ---- a writer during a build waits for it, and is matched after it ----
hold
start_build false
check "a third build is held part way" "yes" "$(build_held)"
PGAPPNAME=crash_writer psql -X -q -d "$db" -c "INSERT INTO brent_mdm.client_record (system, record_key, given_name, family_name, date_of_birth, postcode)
  SELECT 'housing', 'during-' || record_id, given_name, family_name, date_of_birth, postcode
    FROM brent_mdm.client_record WHERE system = 'school_census' ORDER BY record_id LIMIT 20" \
  >"$sess_dir/crash_writer.out" 2>&1 &
writer=$!
await "the writer to wait for a lock" \
  "SELECT EXISTS (SELECT FROM pg_locks l JOIN pg_stat_activity a USING (pid)
                   WHERE a.application_name = 'crash_writer' AND NOT l.granted)" "$writer"
check "a writer arriving during the build waits for the build's lock on client_record" "t" \
  "$(q "SELECT b.pid = ANY (pg_blocking_pids(w.pid)) AND ($(waits_on crash_writer brent_mdm.client_record))
          FROM pg_stat_activity b, pg_stat_activity w
         WHERE b.application_name = 'crash_build' AND w.application_name = 'crash_writer'")"
release
wait "$build"; build_rc=$?
wait "$writer"; writer_rc=$?
check "once let go, the build and then the writer complete" "0 0" "$build_rc $writer_rc"
check "a build that completes gives the waiting records clients" "0" "$(q "SELECT count(*) FROM brent_mdm.client_record WHERE client_id IS NULL")"
check "20 records written during a build all have a client" "20" "$(q "SELECT count(client_id) FROM brent_mdm.client_record WHERE record_key LIKE 'during-%'")"
check "each joined the client of the pupil it copies" "20" \
  "$(q "SELECT count(*) FROM brent_mdm.client_record d JOIN brent_mdm.client_record s ON 'during-' || s.record_id = d.record_key WHERE d.client_id = s.client_id")"

# ---- two writers insert the same new person, the first still uncommitted when the second runs ----
sess_open crash_twin1 "$db"
sess_send crash_twin1 "BEGIN;
INSERT INTO brent_mdm.client_record (system, record_key, given_name, family_name, date_of_birth, postcode)
  VALUES ('housing', 'twin-1', 'Zebedee', 'Quintrell', '1931-02-28', 'HA9 0ZZ');
SELECT 'twin-1 inserted';"
await "the first insert, uncommitted" \
  "SELECT EXISTS (SELECT FROM pg_stat_activity WHERE application_name = 'crash_twin1'
                     AND state = 'idle in transaction' AND query LIKE '%twin-1 inserted%')"
PGAPPNAME=crash_twin2 psql -X -q -d "$db" -c "INSERT INTO brent_mdm.client_record (system, record_key, given_name, family_name, date_of_birth, postcode)
  VALUES ('housing', 'twin-2', 'Zebedee', 'Quintrell', '1931-02-28', 'HA9 0ZZ')" >/dev/null 2>&1 &
twin2=$!
# the second either completes or waits for the first: either way it has run into it
for _ in $(seq 1 3000); do
  kill -0 "$twin2" 2>/dev/null || break
  [ "$(q "SELECT EXISTS (SELECT FROM pg_stat_activity WHERE application_name = 'crash_twin2'
                            AND cardinality(pg_blocking_pids(pid)) > 0)")" = t ] && break
  sleep 0.1
done
sess_send crash_twin1 "COMMIT;"
sess_close crash_twin1
wait "$twin2"
check "two concurrent inserts of one new person both get a client (a later build may merge them)" "2" \
  "$(q "SELECT count(client_id) FROM brent_mdm.client_record WHERE record_key LIKE 'twin-%'")"
check "no build or writer is left running" "0" \
  "$(q "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'crash\_%'")"
dropdb "$db" 2>/dev/null
exit $fail
