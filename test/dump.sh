#!/usr/bin/env bash
# pg_dump and restore keep the extension and the DBA's configuration: rows added
# to brent_mdm.name_variant survive, the shipped seed is not duplicated, and a
# generated borough comes back whole.  Prints TAP.
set -euo pipefail
src=brent_mdm_dump_src
dst=brent_mdm_dump_dst
createdb "$src"
psql -X -q -v ON_ERROR_STOP=1 -d "$src" <<'SQL' >/dev/null
SET client_min_messages = warning;
CREATE EXTENSION brent_mdm CASCADE;
INSERT INTO brent_mdm.name_variant (name, variant, kind) VALUES ('Babatunde', 'Tunde', 'nickname');
INSERT INTO brent_mdm.name_variant (name, variant, action) VALUES ('robert', 'bob', 'remove');
SELECT * FROM brent_mdm.generate_borough(300, 4);
CREATE TABLE records AS SELECT system || '/' || record_key AS id, * FROM borough.person_record;
SELECT count(*) FROM brent_mdm.train_model('m', 'records', 'id',
  '{"given_name": "given_name", "family_name": "surname", "date_of_birth": "date"}');
INSERT INTO brent_mdm.client_setting (link_threshold) VALUES (0.95);
INSERT INTO brent_mdm.survivorship_rule VALUES ('postcode', 'most_trusted');
SELECT * FROM brent_mdm.client_index_load('borough.person_record');
INSERT INTO brent_mdm.client_record (system, record_key, given_name, family_name, date_of_birth)
VALUES ('housing', 'after-build', 'Zebedee', 'Quintrell', '1931-02-28');
SELECT brent_mdm.register_dpia('ey', 'Early years', 'Support', 'public_task', 'Brent', 'Head of EY');
SELECT brent_mdm.record_objection((SELECT min(client_id) FROM brent_mdm.client), 'objection', 'Art. 21', 'ey');
SELECT brent_mdm.record_objection((SELECT max(client_id) FROM brent_mdm.client), 'restriction', 'Art. 18');
SELECT brent_mdm.set_retention_rule('system:housing', interval '7 years', 'recorded_at');
-- the Client Index under the DPIA, read by an analyst
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'dump_analyst') THEN CREATE ROLE dump_analyst; END IF;
END $$;
SELECT brent_mdm.protect('brent_mdm.client'), brent_mdm.protect('brent_mdm.client_record');
SELECT brent_mdm.set_table_scope('ey', 'brent_mdm.client', 'read', $$status = 'active'$$);
SELECT brent_mdm.set_column_scope('ey', 'brent_mdm.client', 'given_name', 'clear');
SELECT brent_mdm.set_column_scope('ey', 'brent_mdm.client', 'date_of_birth', 'year');
SELECT brent_mdm.approve_dpia('ey', 'DPO', now() + interval '1 day');
SELECT brent_mdm.grant_purpose('ey', 'dump_analyst');
GRANT USAGE ON SCHEMA brent_mdm TO dump_analyst;
GRANT SELECT ON brent_mdm.client_masked TO dump_analyst;
-- indicators, one with deltas pending and one folded
CREATE TABLE asb (id serial PRIMARY KEY, ward text, category text, reported date, severity integer);
INSERT INTO asb (ward, category, reported, severity)
SELECT 'w' || g % 5, 'c' || g % 3, date '2025-01-01' + g, g % 4 FROM generate_series(1, 300) g;
SELECT brent_mdm.define_indicator('asb_month', 'asb', 'count(*)', '{ward}', 'reported', 'month');
SELECT brent_mdm.define_indicator('asb_kinds', 'asb', 'count(distinct category) filter (where severity > 0)', '{ward}', 'reported', 'quarter');
UPDATE asb SET ward = 'w9' WHERE id % 7 = 0;
DELETE FROM asb WHERE id % 11 = 0;
SELECT brent_mdm.fold_indicator('asb_month');
INSERT INTO asb (ward, category, reported, severity) VALUES ('w1', 'c9', '2025-02-02', 3);
-- a council's own scorecard rule set, copied from a shipped one and edited
SELECT brent_mdm.copy_rule_set('troubled_families_2015', 'brent_tf', 'Brent Troubled Families');
UPDATE brent_mdm.scorecard_criterion SET threshold = 0.15 WHERE rule_set = 'brent_tf' AND criterion = 'absence';
DELETE FROM brent_mdm.scorecard_problem WHERE rule_set = 'brent_tf' AND problem = 'health';
-- the borough's indicator catalogue, with its ward stage (installed by a superuser)
SELECT count(*) FROM brent_mdm.indicator_catalogue_install('borough');
SQL
dump=$(mktemp)
trap 'rm -f "$dump"' EXIT
pg_dump -Fc -d "$src" -f "$dump"
createdb "$dst"
pg_restore -d "$dst" "$dump" 2>&1 | grep -v "^$" || true

q() { psql -X -Atd "$1" -c "$2"; }
echo "1..24"
n=0; fail=0
check() { n=$((n+1)); if [ "$2" = "$3" ]; then echo "ok $n - $1"; else echo "not ok $n - $1 (expected '$2', got '$3')"; fail=1; fi; }
check "the extension is restored" "$(q "$src" "SELECT extversion FROM pg_extension WHERE extname = 'brent_mdm'")" \
      "$(q "$dst" "SELECT extversion FROM pg_extension WHERE extname = 'brent_mdm'")"
check "the DBA's name variants are kept" "babatunde tunde add|robert bob remove" \
      "$(q "$dst" "SELECT string_agg(name || ' ' || variant || ' ' || action, '|' ORDER BY name) FROM brent_mdm.name_variant")"
check "the seed is not duplicated" "$(q "$src" "SELECT count(*) FROM brent_mdm.name_variant_seed")" \
      "$(q "$dst" "SELECT count(*) FROM brent_mdm.name_variant_seed")"
check "the dictionary in use is the same" "$(q "$src" "SELECT md5(string_agg(name || variant, ',' ORDER BY name, variant)) FROM brent_mdm.name_variants")" \
      "$(q "$dst" "SELECT md5(string_agg(name || variant, ',' ORDER BY name, variant)) FROM brent_mdm.name_variants")"
check "a generated borough comes back whole" "$(q "$src" "SELECT md5(string_agg(p::text, ',' ORDER BY person_id)) FROM borough_truth.person p")" \
      "$(q "$dst" "SELECT md5(string_agg(p::text, ',' ORDER BY person_id)) FROM borough_truth.person p")"
levels="SELECT count(*) FROM brent_mdm.link_model_level WHERE model_name = 'm'"
check "a trained model is kept, with its levels" "$(q "$src" "$levels")" "$(q "$dst" "$levels")"
ci="SELECT md5(string_agg(r.record_id || ':' || r.client_id, ',' ORDER BY r.record_id)) FROM brent_mdm.client_record r"
check "the Client Index keeps every record's client" "$(q "$src" "$ci")" "$(q "$dst" "$ci")"
golden="SELECT md5(string_agg(c::text, ',' ORDER BY client_id)) FROM brent_mdm.client c"
check "golden records are kept as they were" "$(q "$src" "$golden")" "$(q "$dst" "$golden")"
hist="SELECT count(*) || '/' || (SELECT count(*) FROM brent_mdm.client_change) FROM brent_mdm.client_history"
check "history and change feed are kept, not replayed" "$(q "$src" "$hist")" "$(q "$dst" "$hist")"
prot="SELECT md5(string_agg(x, ',' ORDER BY x)) FROM (SELECT tablename || ':' || policyname || ':' || qual AS x FROM pg_policies WHERE schemaname = 'brent_mdm' UNION ALL SELECT relname || ':' || relrowsecurity || ':' || relowner::regrole || ':' || coalesce(relacl::text, '') FROM pg_class WHERE relnamespace = 'brent_mdm'::regnamespace AND relname IN ('client', 'client_record', 'client_masked', 'client_record_masked')) s"
read_as() { psql -X -Atq -d "$1" <<'SQL' | tr '\n' ' '
SET SESSION AUTHORIZATION dump_analyst;
SELECT count(*) FROM brent_mdm.client_masked;
SELECT brent_mdm.begin_purpose('ey') IS NOT NULL;
SELECT count(*) || ':' || count(given_name) || ':' || count(*) FILTER (WHERE extract(doy FROM date_of_birth) <> 1) FROM brent_mdm.client_masked;
SQL
}
check "a restored Client Index is closed until protect() runs again: nothing, even under the purpose" "0 t 0:0:0 " "$(read_as "$dst")"
q "$dst" "SELECT brent_mdm.protect('brent_mdm.client'), brent_mdm.protect('brent_mdm.client_record')" >/dev/null
check "protect() run again gives back its protection (policies, row security, masking views, grants)" "$(q "$src" "$prot")" "$(q "$dst" "$prot")"
srcv=$(read_as "$src")
[[ "$srcv" =~ ^0\ t\ [1-9][0-9]*:[1-9][0-9]*:0\ $ ]] || srcv="unexpected in the source: $srcv"
check "the analyst reads the restored index as before: nothing without the purpose, masked under it" "$srcv" "$(read_as "$dst")"
next="INSERT INTO brent_mdm.client_record (system, record_key, given_name) VALUES ('housing', 'after-restore', 'Ann') RETURNING client_id > (SELECT max(client_id) FROM brent_mdm.client WHERE client_id <> (SELECT max(client_id) FROM brent_mdm.client))"
check "ids continue after a restore" "t" "$(q "$dst" "$next" | head -1)"
conf="SELECT link_threshold || ' ' || (SELECT string_agg(attribute || '=' || rule, ',' ORDER BY attribute) FROM brent_mdm.survivorship_rules WHERE overridden) FROM brent_mdm.client_settings"
check "the DBA's Client Index settings and rules are kept" "0.95 postcode=most_trusted" "$(q "$dst" "$conf")"
rights="SELECT string_agg(client_id || ' ' || coalesce(dpia_id, '*') || ' ' || kind, ',' ORDER BY objection_id) || ' ' || (SELECT string_agg(system || ' ' || keep || ' ' || date_column || ' ' || action, ',') FROM brent_mdm.retention_rule) FROM brent_mdm.objection"
check "objections and retention rules are kept" "$(q "$src" "$rights")" "$(q "$dst" "$rights")"
more="SELECT brent_mdm.record_objection((SELECT min(client_id) FROM brent_mdm.client), 'objection', 'again') > (SELECT max(objection_id) FROM brent_mdm.objection WHERE reason <> 'again')"
check "objection ids continue after a restore" "t" "$(q "$dst" "$more")"
ind="SELECT string_agg(name || ':' || measure, ',' ORDER BY name) || ' ' || (SELECT md5(string_agg(x::text, ',' ORDER BY x::text)) FROM (SELECT * FROM brent_mdm_rollup.asb_month) x) || ' ' || (SELECT md5(string_agg(x::text, ',' ORDER BY x::text)) FROM (SELECT * FROM brent_mdm_rollup.asb_kinds) x) FROM brent_mdm.indicator"
check "indicators are kept: catalogue and values" "$(q "$src" "$ind")" "$(q "$dst" "$ind")"
check "restored indicators equal a recompute" "0 0" "$(q "$dst" "SELECT brent_mdm.verify_indicator('asb_month') || ' ' || brent_mdm.verify_indicator('asb_kinds')")"
q "$dst" "INSERT INTO asb (ward, category, reported, severity) VALUES ('w8', 'c1', '2025-03-03', 2); UPDATE asb SET category = 'c7' WHERE id % 5 = 1; DELETE FROM asb WHERE id % 13 = 0" >/dev/null
q "$dst" "SELECT brent_mdm.fold_indicator('asb_kinds')" >/dev/null
check "restored indicators stay current as their source is written (triggers restored), and fold" "0 0 1 1" \
  "$(q "$dst" "SELECT brent_mdm.verify_indicator('asb_month') || ' ' || brent_mdm.verify_indicator('asb_kinds') || ' ' || (SELECT value FROM brent_mdm_rollup.asb_month WHERE ward = 'w8') || ' ' || (SELECT count(*) FROM brent_mdm_rollup.asb_kinds WHERE ward = 'w8')")"
rules="SELECT string_agg(rule_set || ':' || shipped || ':' || (SELECT count(*) FROM brent_mdm.scorecard_problem p WHERE p.rule_set = s.rule_set) || ':' || (SELECT string_agg(criterion || '=' || threshold, ',' ORDER BY problem, criterion) FROM brent_mdm.scorecard_criterion c WHERE c.rule_set = s.rule_set), ' ' ORDER BY rule_set) FROM brent_mdm.scorecard_rule_set s"
check "scorecard rule sets: the council's edited copy is kept, the shipped ones not duplicated" "$(q "$src" "$rules")" "$(q "$dst" "$rules")"
check "the council's copy is the edited one" "brent_tf 5 0.15" "$(q "$dst" "SELECT rule_set || ' ' || (SELECT count(*) FROM brent_mdm.scorecard_problem p WHERE p.rule_set = s.rule_set) || ' ' || (SELECT threshold FROM brent_mdm.scorecard_criterion c WHERE c.rule_set = s.rule_set AND criterion = 'absence') FROM brent_mdm.scorecard_rule_set s WHERE NOT shipped")"
# the indicator catalogue and its ward stage: the figures of every indicator as in the source, the
# ward stage equal to its recompute, and kept exact as claims are written and a postcode moves ward
figures="SELECT count(*) || ' ' || md5(string_agg(v::text, ',' ORDER BY v::text)) FROM brent_mdm.indicator_values() v"
check "the catalogue's figures are restored as they were (every indicator, ward and period)" "$(q "$src" "$figures")" "$(q "$dst" "$figures")"
stage="SELECT count(*) || ' ' || brent_mdm.indicator_catalogue_ward_verify('borough') FROM brent_mdm.indicator_catalogue_ward_rollup"
srcs=$(q "$src" "$stage")
[[ "$srcs" =~ ^[1-9][0-9]*\ 0$ ]] || srcs="unexpected in the source: $srcs"
check "the ward stage is restored, equal to its recompute" "$srcs" "$(q "$dst" "$stage")"
pc=$(q "$dst" "SELECT postcode FROM borough.address GROUP BY postcode HAVING count(DISTINCT ward_code) = 1 ORDER BY postcode LIMIT 1")
q "$dst" "INSERT INTO borough.revenues_benefits (claim_ref, postcode, claim_type, claim_start, out_of_work)
          SELECT 'DUMP-' || g, '$pc', 'Council Tax Reduction', date '2025-01-10' + g, true FROM generate_series(1, 5) g;
          UPDATE borough.revenues_benefits SET claim_start = claim_start + 100 WHERE claim_ref IN (SELECT claim_ref FROM borough.revenues_benefits ORDER BY claim_ref LIMIT 20);
          UPDATE borough.address SET ward_code = (SELECT min(ward_code) FROM borough.ward WHERE ward_code <> address.ward_code) WHERE postcode = '$pc';" >/dev/null
check "after claims written and their postcode moved to another ward in the restored database: the ward stage and every indicator equal their recompute" "0 0" \
  "$(q "$dst" "SELECT brent_mdm.indicator_catalogue_ward_verify('borough') || ' ' || count(*) FILTER (WHERE brent_mdm.verify_indicator(name) <> 0) FROM brent_mdm.indicator")"
exit $fail
