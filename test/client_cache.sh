#!/usr/bin/env bash
# The backend caches (the Client Index model, the name variants) under invalidations
# that arrive while they are in use.  A real-time match loads the model, then waits
# for a lock its candidates query needs (held by another session); meanwhile that
# session changes what the cache was read from (a Client Index setting, the model's
# term frequencies, a name variant) and commits.  The match then takes its lock, and
# with it the invalidation: it must finish on the model it started with.  Before the
# fix the invalidation freed the model under the match: the server crashed (a
# segfault in prepare_record), at random in the field (an autovacuum ANALYZE of the
# model's tables did the same), every time here.  Held sessions, no sleeping: the
# match is known to wait when pg_locks says so.  Prints TAP.
set -euo pipefail
cd "$(dirname "$0")"
db=brent_mdm_client_cache
q() { psql -X -Atq -d "$db" -c "$1"; }
source lib/sessions.sh
trap sess_cleanup EXIT
dropdb --if-exists "$db" 2>/dev/null
createdb "$db"
psql -X -q -d "$db" -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION brent_mdm CASCADE;
SELECT count(*) FROM brent_mdm.generate_borough(3000, 5, 'cc');
SELECT count(*) FROM brent_mdm.client_index_load('cc.person_record');
SQL
echo "1..6"
n=0; fail=0
check() { n=$((n+1)); if [ "$2" = "$3" ]; then echo "ok $n - $1"; else echo "not ok $n - $1 (expected '$2', got '$3')"; fail=1; fi; }
started=$(q "SELECT pg_postmaster_start_time()")
check "the Client Index has a model to match with" t "$(q "SELECT EXISTS (SELECT FROM brent_mdm.link_model WHERE model_name = 'client_index')")"

# one case: the change ($1, run by the holder) lands while a match waits for client_source
race() {
  local change=$1 key=$2
  sess_open holder "$db"
  sess_send holder "BEGIN; LOCK brent_mdm.client_source IN ACCESS EXCLUSIVE MODE; SELECT 'locked';"
  await "the holder has the lock" "SELECT EXISTS (SELECT FROM pg_locks l JOIN pg_stat_activity a USING (pid)
                                     WHERE a.application_name = 'holder' AND l.relation = 'brent_mdm.client_source'::regclass
                                       AND l.mode = 'AccessExclusiveLock' AND l.granted)" || return 1
  sess_open matcher "$db"
  # a warm-up match first: the model is in the cache before the one that waits
  sess_send matcher "INSERT INTO brent_mdm.client_record (system, record_key, given_name, family_name, date_of_birth, postcode)
                     SELECT 'housing', '$key-warm', given_name, family_name, date_of_birth, postcode FROM cc.person_record
                      WHERE given_name IS NOT NULL AND family_name IS NOT NULL AND date_of_birth IS NOT NULL ORDER BY record_key LIMIT 1;"
  await "the match waits for client_source" "$(waits_on matcher brent_mdm.client_source)" "${sess_psql[matcher]}" || return 1
  sess_send holder "$change COMMIT;"
  sess_send matcher "INSERT INTO brent_mdm.client_record (system, record_key, given_name, family_name, date_of_birth, postcode)
                     SELECT 'housing', '$key', given_name, family_name, date_of_birth, postcode FROM cc.person_record
                      WHERE given_name IS NOT NULL AND family_name IS NOT NULL AND date_of_birth IS NOT NULL ORDER BY record_key OFFSET 1 LIMIT 1
                     RETURNING 'matched ' || (match_probability > 0.5);"
  # the matcher first: its psql holds the holder's input open (inherited)
  sess_close matcher
  sess_close holder
  grep -c '^matched true$' "$sess_dir/matcher.out" || true
}
check "a Client Index setting changed while a match waits: the match finishes" 1 \
  "$(race "INSERT INTO brent_mdm.client_setting (link_threshold) VALUES (0.9);" cache-1)"
check "the model's term frequencies changed while a match waits: the match finishes" 1 \
  "$(race "UPDATE brent_mdm.link_model_tf SET frequency = frequency WHERE false;" cache-2)"
check "a name variant added while a match waits: the match finishes" 1 \
  "$(race "INSERT INTO brent_mdm.name_variant (name, variant, kind) VALUES ('Babatunde', 'Tunde', 'nickname');" cache-3)"
check "the server did not restart" "$started" "$(q "SELECT pg_postmaster_start_time()")"
check "every record written in the races joined its person's client, by the model" 6 \
  "$(q "SELECT count(*) FROM brent_mdm.client_record WHERE record_key LIKE 'cache-%' AND client_id IS NOT NULL AND match_probability > 0.5")"
dropdb "$db"
exit $fail
