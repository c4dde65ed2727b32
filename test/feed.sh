#!/usr/bin/env bash
# The Client Index's change feed.  A session that LISTENs on brent_mdm_client_change is
# notified, with the client id, when a record is matched in real time, and not before
# the writing transaction commits.  client_changes() hands a change out only once no
# older transaction is running (one that could still commit a change ordered before
# it), in xid order, and a consumer passing back next_since sees each change once.
# Prints TAP.
#
# The "older transaction" is made on purpose: a held session takes an xid and writes a
# change, and stays open while a younger transaction commits its own.  Waiting for the
# older one to be gone polls pg_snapshot_xmin (the very condition client_changes uses),
# it does not sleep for a guessed time.
set -euo pipefail
cd "$(dirname "$0")"
db=brent_mdm_feed
q() { psql -X -Atq -d "$db" -c "$1"; }
source lib/sessions.sh
trap sess_cleanup EXIT
dropdb --if-exists "$db" 2>/dev/null
createdb "$db"
psql -X -q -d "$db" -c "SET client_min_messages = warning; CREATE EXTENSION brent_mdm CASCADE;
  INSERT INTO brent_mdm.client_source (system) VALUES ('housing')"
echo "1..9"
n=0; fail=0
check() { n=$((n+1)); if [ "$2" = "$3" ]; then echo "ok $n - $1"; else echo "not ok $n - $1 (expected '$2', got '$3')"; fail=1; fi; }
ins() { echo "INSERT INTO brent_mdm.client_record (system, record_key, given_name, family_name) VALUES ('housing', '$1', '$2', '$3')"; }

# ---- NOTIFY ----
out=$(psql -X -d "$db" 2>&1 <<SQL
LISTEN brent_mdm_client_change;
BEGIN;
$(ins T1 Ann Smith) RETURNING 'inserted ' || client_id AS step;
SELECT 'still in the transaction' AS step;
COMMIT;
SELECT 'committed' AS step;
SQL
)
client=$(printf '%s\n' "$out" | sed -n 's/^ inserted \([0-9]*\)$/\1/p')
if printf '%s\n' "$out" | grep -q "Asynchronous notification \"brent_mdm_client_change\" with payload \"$client\""; then
  echo "ok $((n+=1)) - a listener is notified with the client id ($client)"
else
  echo "not ok $((n+=1)) - a listener is notified with the client id"; printf '# %s\n' "$out"; fail=1
fi
# the notification comes after COMMIT, not while the transaction is open
before=$(printf '%s\n' "$out" | awk '/still in the transaction/ {s=1} /Asynchronous notification/ && !s {print "early"}')
check "nothing is announced before the commit" "" "$before"

# ---- client_changes(): held back while an older transaction runs ----
# where a consumer stands now (T1 is in the past for it once every older transaction ended)
xid_t1=$(q "SELECT xid FROM brent_mdm.client_change WHERE record_key = 'T1'")
gone="SELECT pg_snapshot_xmin(pg_current_snapshot()) > '%s'::xid8"
# shellcheck disable=SC2059
await "transactions older than T1's to end" "$(printf "$gone" "$xid_t1")"
since=$(q "SELECT next_since FROM brent_mdm.client_changes() LIMIT 1")
check "the committed change is handed out once nothing older runs" "1" \
  "$(q "SELECT count(*) FROM brent_mdm.client_changes() WHERE record_key = 'T1'")"

# T1b: committed before the older transaction below begins, so handed out while it runs
q "$(ins T1b Abe Smith)" >/dev/null
xid_t1b=$(q "SELECT xid FROM brent_mdm.client_change WHERE record_key = 'T1b'")
# shellcheck disable=SC2059
await "transactions older than T1b's to end" "$(printf "$gone" "$xid_t1b")"

# an older transaction writes T2 and stays open; a younger one writes T3 and commits
sess_open feed_older "$db"
# (it names itself with its xid, for the checks below)
sess_send feed_older "BEGIN;
$(ins T2 Bea Jones);
SELECT set_config('application_name', 'feed_older ' || pg_current_xact_id(), false);"
await "the older transaction to have written T2" \
  "SELECT EXISTS (SELECT FROM pg_stat_activity WHERE application_name LIKE 'feed_older %'
                     AND state = 'idle in transaction')"
xid_t2=$(q "SELECT nullif(substr(application_name, 12), '') FROM pg_stat_activity WHERE application_name LIKE 'feed_older %'")
q "$(ins T3 Cal Brown)" >/dev/null
xid_t3=$(q "SELECT xid FROM brent_mdm.client_change WHERE record_key = 'T3'")
check "T3 was committed by a younger transaction than T2's, which is still open" "t" \
  "$(q "SELECT '$xid_t3'::xid8 > nullif('$xid_t2', '')::xid8")"
check "while the older transaction runs, the younger one's committed change is held back" "0" \
  "$(q "SELECT count(*) FROM brent_mdm.client_changes('$since') WHERE record_key = 'T3'")"
check "... while an earlier one is handed out, with a next_since that does not pass the older transaction" "T1b true" \
  "$(q "SELECT string_agg(record_key || ' ' || (next_since <= nullif('$xid_t2', '')::xid8 AND next_since > '$xid_t1b'::xid8), ',')
          FROM brent_mdm.client_changes('$since')")"
held_since=$(q "SELECT max(next_since) FROM brent_mdm.client_changes('$since')")

# the older one commits: both come out, in xid order (T2 first, though it committed last)
sess_send feed_older "COMMIT;"
sess_close feed_older
# shellcheck disable=SC2059
await "transactions older than T3's to end" "$(printf "$gone" "$xid_t3")"
check "once it has committed, both changes are handed out, in xid order" "T2,T3" \
  "$(q "SELECT string_agg(record_key, ',' ORDER BY xid, change_id) FROM brent_mdm.client_changes('$held_since') WHERE record_key IN ('T1b', 'T2', 'T3')")"

# ---- a consumer passing next_since sees each change once ----
next=$(q "SELECT max(next_since) FROM brent_mdm.client_changes('$held_since')")
check "from the next_since it was given, a consumer is handed none of those again" "0" \
  "$(q "SELECT count(*) FROM brent_mdm.client_changes('$next') WHERE record_key IN ('T1', 'T1b', 'T2', 'T3')")"
q "$(ins T4 Dee Green)" >/dev/null
xid_t4=$(q "SELECT xid FROM brent_mdm.client_change WHERE record_key = 'T4'")
# shellcheck disable=SC2059
await "transactions older than T4's to end" "$(printf "$gone" "$xid_t4")"
check "... and is handed the next change, once" "T4" \
  "$(q "SELECT string_agg(record_key, ',') FROM brent_mdm.client_changes('$next')")"
dropdb "$db"
exit $fail
