#!/usr/bin/env bash
# The Client Index under failure and concurrency: a build cancelled, or whose backend
# is killed (the server restarts and recovers), leaves the index exactly as it was; a
# writer that arrives during a build waits, and its records are matched once the build
# commits; two writers inserting the same new person at once both get a client.
# Prints TAP.  Runs inside the throwaway cluster ./run test makes (it kills a backend).
set -uo pipefail
db=brent_mdm_crash
q() { psql -X -Atq -d "$db" -c "$1" 2>/dev/null; }
wait_up() { for _ in $(seq 1 60); do psql -X -Atq -d "$db" -c "SELECT 1" >/dev/null 2>&1 && return 0; sleep 0.5; done; return 1; }
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
state="SELECT md5(string_agg(record_id || ':' || coalesce(client_id, 0), ',' ORDER BY record_id)) || ' ' || count(*) FILTER (WHERE client_id IS NULL) || ' ' || (SELECT count(*) FROM brent_mdm.client WHERE status = 'active') || ' ' || (SELECT count(*) FROM brent_mdm.client_history) || ' ' || (SELECT count(*) FROM brent_mdm.link_model_level WHERE model_name = 'client_index') FROM brent_mdm.client_record"
before=$(q "$state")
echo "1..9"
n=0; fail=0
check() { n=$((n+1)); if [ "$2" = "$3" ]; then echo "ok $n - $1"; else echo "not ok $n - $1 (expected '$2', got '$3')"; fail=1; fi; }

# a build that is cancelled part way
psql -X -q -d "$db" -c "SET statement_timeout = '1500ms'; SELECT * FROM brent_mdm.build_client_index(retrain => true)" >/dev/null 2>&1
check "a cancelled build (statement_timeout) leaves the index as it was" "$before" "$(q "$state")"
check "... including the 200 records waiting for a build, still without a client" "200" "$(q "SELECT count(*) FROM brent_mdm.client_record WHERE client_id IS NULL")"

# a build whose backend is killed: the server restarts, recovery leaves the index as it was
psql -X -q -d "$db" -c "SELECT * FROM brent_mdm.build_client_index(retrain => true)" >/dev/null 2>&1 &
sleep 1.5
pid=$(q "SELECT pid FROM pg_stat_activity WHERE datname = '$db' AND query LIKE '%build_client_index%' AND pid <> pg_backend_pid()")
if [ -n "$pid" ]; then kill -9 "$pid"; fi
wait 2>/dev/null
wait_up
check "the build was running when its backend was killed" "yes" "$([ -n "$pid" ] && echo yes || echo no)"
check "a build whose backend was killed (kill -9, crash recovery) leaves the index as it was" "$before" "$(q "$state")"
check "the server came back and the index is usable" "t" "$(q "SELECT count(*) > 0 FROM brent_mdm.client WHERE status = 'active'")"

# a build that completes gives the waiting records their clients
psql -X -q -d "$db" -c "SELECT * FROM brent_mdm.build_client_index()" >/dev/null 2>&1
# a writer during a build waits for it, and is matched after it
psql -X -q -d "$db" -c "SELECT * FROM brent_mdm.build_client_index()" >/dev/null 2>&1 &
sleep 0.5
psql -X -q -d "$db" -c "INSERT INTO brent_mdm.client_record (system, record_key, given_name, family_name, date_of_birth, postcode)
  SELECT 'housing', 'during-' || record_id, given_name, family_name, date_of_birth, postcode
    FROM brent_mdm.client_record WHERE system = 'school_census' ORDER BY record_id LIMIT 20" >/dev/null 2>&1
wait
check "a build that completes gives the waiting records clients" "0" "$(q "SELECT count(*) FROM brent_mdm.client_record WHERE client_id IS NULL")"
check "20 records written during a build all have a client" "20" "$(q "SELECT count(client_id) FROM brent_mdm.client_record WHERE record_key LIKE 'during-%'")"
check "each joined the client of the pupil it copies" "20" \
  "$(q "SELECT count(*) FROM brent_mdm.client_record d JOIN brent_mdm.client_record s ON 'during-' || s.record_id = d.record_key WHERE d.client_id = s.client_id")"

# two writers insert the same new person at the same moment
for k in 1 2; do
  psql -X -q -d "$db" -c "INSERT INTO brent_mdm.client_record (system, record_key, given_name, family_name, date_of_birth, postcode)
    VALUES ('housing', 'twin-$k', 'Zebedee', 'Quintrell', '1931-02-28', 'HA9 0ZZ')" >/dev/null 2>&1 &
done
wait
check "two concurrent inserts of one new person both get a client (a later build may merge them)" "2" \
  "$(q "SELECT count(client_id) FROM brent_mdm.client_record WHERE record_key LIKE 'twin-%'")"
dropdb "$db" 2>/dev/null
exit $fail
