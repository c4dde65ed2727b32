#!/usr/bin/env bash
# The Client Index's change feed reaches listeners: a session that LISTENs on
# brent_mdm_client_change is notified, with the client id, when a record is
# matched in real time, and not before the writing transaction commits.  Prints TAP.
set -euo pipefail
db=brent_mdm_feed
dropdb --if-exists "$db" 2>/dev/null
createdb "$db"
psql -X -q -d "$db" -c "SET client_min_messages = warning; CREATE EXTENSION brent_mdm CASCADE;
  INSERT INTO brent_mdm.client_source (system) VALUES ('housing')"
echo "1..3"
out=$(psql -X -d "$db" 2>&1 <<'SQL'
LISTEN brent_mdm_client_change;
BEGIN;
INSERT INTO brent_mdm.client_record (system, record_key, given_name, family_name)
VALUES ('housing', 'T1', 'Ann', 'Smith') RETURNING 'inserted ' || client_id AS step;
SELECT 'still in the transaction' AS step;
COMMIT;
SELECT 'committed' AS step;
SQL
)
client=$(printf '%s\n' "$out" | sed -n 's/^ inserted \([0-9]*\)$/\1/p')
if printf '%s\n' "$out" | grep -q "Asynchronous notification \"brent_mdm_client_change\" with payload \"$client\""; then
  echo "ok 1 - a listener is notified with the client id ($client)"
else
  echo "not ok 1 - a listener is notified with the client id"; printf '# %s\n' "$out"
fi
# the notification comes after COMMIT, not while the transaction is open
before=$(printf '%s\n' "$out" | awk '/still in the transaction/ {s=1} /Asynchronous notification/ && !s {print "early"}')
if [ -z "$before" ]; then echo "ok 2 - nothing is announced before the commit"; else echo "not ok 2 - announced before the commit"; fi
# client_changes() hands a change out once no older transaction is running anywhere in the
# cluster (another test's, a background worker's): poll, as a consumer does, for up to 10 s
for _ in $(seq 1 20); do
  n=$(psql -X -Atd "$db" -c "SELECT count(*) FROM brent_mdm.client_changes() WHERE client_id = $client AND change = 'created'")
  [ "$n" = 1 ] && break
  sleep 0.5
done
if [ "$n" = 1 ]; then echo "ok 3 - the outbox holds the change once"; else echo "not ok 3 - the outbox holds $n changes"; fi
dropdb "$db"
