#!/usr/bin/env bash
# The indicator catalogue's ward stage between concurrent writers of a source
# (benefit claims, placed in wards through the gazetteer) and of its lookup (the
# gazetteer, address): whichever commits first, the claims end up counted in the
# ward their postcode has after both, never in the ward it had before.  Held
# sessions, no sleeping: a session is known to wait when pg_stat_activity says it
# waits for a lock.  At REPEATABLE READ, a writer of claims whose snapshot is older
# than a committed move gets a serialization failure (40001) and a move of the
# gazetteer is refused (0A000).  After each case: indicator_catalogue_ward_verify = 0
# and ctr_claims_rate equal to a recount from the base tables.  Prints TAP.
set -euo pipefail
cd "$(dirname "$0")"
db=brent_mdm_catalogue_wards
q() { psql -X -Atq -d "$db" -c "$1"; }
source lib/sessions.sh
trap sess_cleanup EXIT
# a session ends with its psql: say what it printed when that was an error
sess_end() { sess_close "$1" || { echo "# session $1 failed:"; sed 's/^/#   /' "$sess_dir/$1.out"; }; }
dropdb --if-exists "$db" 2>/dev/null
createdb "$db"
psql -X -q -d "$db" -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION brent_mdm CASCADE;
SELECT count(*) FROM brent_mdm.generate_borough(2000, 4, 'borough');
SELECT count(*) FROM brent_mdm.indicator_catalogue_install('borough', '{ctr_claims_rate,benefit_claims_rate}');
-- the recount: claims by the ward of their postcode now (the ward of most of its addresses)
CREATE VIEW ctr_recount AS
WITH pc AS (SELECT DISTINCT ON (k) k, ward_code FROM (SELECT brent_mdm.postcode_normalise(postcode) k, ward_code, count(*) n
                                                       FROM borough.address GROUP BY 1, 2) x ORDER BY k, n DESC, ward_code)
SELECT coalesce(pc.ward_code, 'none') AS ward, brent_mdm.period_start(claim_start, 'quarter') AS period, count(*) AS n
  FROM borough.revenues_benefits r LEFT JOIN pc ON pc.k = brent_mdm.postcode_normalise(r.postcode)
 WHERE claim_type = 'Council Tax Reduction' AND claim_start >= '2021-04-01' AND claim_start < '2026-04-01'
 GROUP BY 1, 2;
CREATE VIEW ctr_differs AS
SELECT count(*) FROM (SELECT area_code AS ward, period, numerator AS n FROM brent_mdm.indicator_values('ctr_claims_rate')
                       WHERE area_code <> 'borough' AND numerator <> 0) v
  FULL JOIN (SELECT * FROM ctr_recount WHERE ward <> 'none') r USING (ward, period) WHERE v.n IS DISTINCT FROM r.n;
SQL
echo "1..16"
n=0; fail=0
check() { n=$((n+1)); if [ "$2" = "$3" ]; then echo "ok $n - $1"; else echo "not ok $n - $1 (expected '$2', got '$3')"; fail=1; fi; }
exact() {
  check "$1: the ward stage equals its recompute" 0 "$(q "SELECT brent_mdm.indicator_catalogue_ward_verify('borough')")"
  check "$1: ctr_claims_rate equals the recount by the postcodes' wards" 0 "$(q "SELECT * FROM ctr_differs")"
}
# a session waits for a lock, or is done (idle): which of the two is checked afterwards
waiting() { echo "SELECT EXISTS (SELECT FROM pg_stat_activity WHERE application_name = '$1' AND (wait_event_type = 'Lock' OR state = 'idle'))"; }
waited() { q "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE application_name = '$1'"; }

# a postcode of the gazetteer, its ward and another ward
pc=$(q "SELECT postcode FROM borough.address GROUP BY postcode HAVING count(DISTINCT ward_code) = 1 ORDER BY postcode LIMIT 1")
w1=$(q "SELECT ward_code FROM borough.address WHERE postcode = '$pc' LIMIT 1")
w2=$(q "SELECT min(ward_code) FROM borough.ward WHERE ward_code <> '$w1'")
claims() {  # $1: first claim number; 5 claims at the postcode in the first quarter of 2025
  echo "INSERT INTO borough.revenues_benefits (claim_ref, postcode, claim_type, claim_start, out_of_work)
        SELECT 'CW-' || ($1 + g), '$pc', 'Council Tax Reduction', date '2025-01-10' + g, true FROM generate_series(1, 5) g;"
}
move() { echo "UPDATE borough.address SET ward_code = '$1' WHERE postcode = '$pc';"; }
at() { q "SELECT coalesce(sum(numerator), 0) FROM brent_mdm.indicator_values('ctr_claims_rate', area => '$1', period_from => '2025-01-01', period_to => '2025-01-01')"; }
pcq() { q "SELECT count(*) FROM borough.revenues_benefits WHERE brent_mdm.postcode_normalise(postcode) = '$pc'
              AND claim_type = 'Council Tax Reduction' AND claim_start >= '2025-01-01' AND claim_start < '2025-04-01'"; }
base1=$(at "$w1"); base2=$(at "$w2")

# ---- 1. claims written first, the gazetteer moves the postcode while they are uncommitted ----
sess_open writer "$db"; sess_open mover "$db"
sess_send writer "BEGIN; $(claims 0)"
await "the writer's claims written" "SELECT EXISTS (SELECT FROM pg_stat_activity WHERE application_name = 'writer' AND state = 'idle in transaction')"
sess_send mover "BEGIN; $(move "$w2") COMMIT;"
await "the mover to wait for the writer" "$(waiting mover)"
check "claims then a move: the move waits for the claims' transaction" t "$(waited mover)"
sess_send writer "COMMIT;"
sess_end mover; sess_end writer   # the later first: its psql holds the earlier one's fifo
check "claims then a move: the postcode's claims, the 5 new ones too, counted in the new ward" "$((base2 + $(pcq)))" "$(at "$w2")"
exact "claims then a move"

# ---- 2. the gazetteer moves it back, claims are written while the move is uncommitted ----
base1=$(at "$w1"); base2=$(at "$w2")
sess_open writer "$db"; sess_open mover "$db"
sess_send mover "BEGIN; $(move "$w1")"
await "the mover's update done" "SELECT EXISTS (SELECT FROM pg_stat_activity WHERE application_name = 'mover' AND state = 'idle in transaction')"
sess_send writer "BEGIN; $(claims 10) COMMIT;"
await "the writer to wait for the mover" "$(waiting writer)"
check "a move then claims: the claims wait for the move's transaction" t "$(waited writer)"
sess_send mover "COMMIT;"
sess_end mover; sess_end writer
check "a move then claims: the claims written during the move counted in the ward moved to" \
  "$((base1 + $(pcq)))" "$(at "$w1")"
exact "a move then claims"

# ---- 3. REPEATABLE READ: a writer whose snapshot predates a move ----
sess_open writer "$db"
sess_send writer "BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT count(*) FROM borough.ward;"
await "the writer's snapshot" "SELECT EXISTS (SELECT FROM pg_stat_activity WHERE application_name = 'writer' AND backend_xmin IS NOT NULL)"
q "$(move "$w2")" >/dev/null
sess_send writer "$(claims 20)"
sess_end writer >/dev/null
check "REPEATABLE READ, snapshot older than a move: the claims are refused with 40001" 1 \
  "$(grep -c 'could not serialize access due to concurrent update' "$sess_dir/writer.out" || true)"
exact "after the refused writer"

# ---- 4. REPEATABLE READ: a move of the gazetteer ----
out=$(psql -X -At -d "$db" -c "BEGIN ISOLATION LEVEL REPEATABLE READ; $(move "$w1") COMMIT;" 2>&1 || true)
check "REPEATABLE READ: a change of the gazetteer that moves claims between wards is refused (0A000)" 1 \
  "$(printf '%s\n' "$out" | grep -c 'moves records between wards of the indicator catalogue' || true)"
check "and changes nothing" "$w2" "$(q "SELECT DISTINCT ward_code FROM borough.address WHERE postcode = '$pc'")"
# one that moves nothing goes through at REPEATABLE READ
out=$(psql -X -At -d "$db" -c "BEGIN ISOLATION LEVEL REPEATABLE READ; UPDATE borough.address SET address_line = address_line || ' ' WHERE postcode = '$pc'; COMMIT;" 2>&1 || true)
check "REPEATABLE READ: a change of the gazetteer that moves nothing goes through" "COMMIT" "$(printf '%s\n' "$out" | tail -1)"
exact "at the end"

[ "$fail" = 0 ] && dropdb "$db"
exit "$fail"
