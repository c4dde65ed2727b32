-- Data subjects' rights: the objection / restriction register, the subject
-- access report, retention rules and purge (needs shared_preload_libraries =
-- 'brent_mdm').  Clients 900001.. are this test's own.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS brent_mdm CASCADE;
SET client_min_messages = notice;
\set VERBOSITY default

CREATE ROLE subj_owner NOLOGIN;
CREATE ROLE subj_analyst LOGIN;
CREATE ROLE subj_dpo LOGIN;
CREATE SCHEMA subj;
GRANT USAGE ON SCHEMA subj TO subj_analyst, subj_dpo;
INSERT INTO brent_mdm.client_source (system, trust) VALUES ('subj_health', 90), ('subj_housing', 50);
INSERT INTO brent_mdm.client (client_id) VALUES (900001), (900002), (900003), (900004);
INSERT INTO brent_mdm.client_record (system, record_key, client_id, given_name, family_name,
                                     date_of_birth, postcode, recorded_at) VALUES
  ('subj_health', 'H1', 900001, 'Ann', 'Adeyemi', '2023-04-01', 'HA9 0AA', now()),
  ('subj_housing', 'T1', 900001, 'Anne', 'Adeyemi', NULL, 'HA9 0AB', '1995-06-01'),
  ('subj_health', 'H2', 900002, 'Ben', 'Baker', '2022-05-02', 'NW10 1AA', now()),
  ('subj_housing', 'T3', 900003, 'Ann', 'Adeyemi', '2023-04-01', 'HA9 0AA', '1996-01-01'),
  ('subj_housing', 'T4', 900004, 'Dee', 'Dada', NULL, 'HA0 1AA', '1997-01-01');
SELECT brent_mdm.refresh_golden(ARRAY[900001, 900002, 900003, 900004]::bigint[]) AS golden_records;

CREATE TABLE subj.visit (id int PRIMARY KEY, client_id bigint, visited date, note text);
INSERT INTO subj.visit VALUES (1, 900001, '2025-06-01', 'first visit'), (2, 900001, '2025-07-01', 'second visit'),
  (3, 900002, '2025-06-02', 'Ben at home'), (4, 900002, '1990-02-01', 'Ben, long ago'),
  (5, 900003, '2025-06-03', 'Ann under her other record'), (6, NULL, '2025-06-04', 'nobody');
ALTER TABLE subj.visit OWNER TO subj_owner;
SELECT brent_mdm.protect('subj.visit', 'note');
SELECT brent_mdm.protect('subj.visit', 'client_id');
SELECT brent_mdm.register_dpia('subj_ey', 'Early years', 'Support for under fives', 'public_task',
                               'Brent', 'Head of Early Years');
SELECT brent_mdm.register_dpia('subj_sc', 'Safeguarding', 'Child protection', 'public_task',
                               'Brent', 'Head of Safeguarding');
SELECT brent_mdm.set_table_scope('subj_ey', 'subj.visit');
SELECT brent_mdm.set_table_scope('subj_sc', 'subj.visit');
SELECT brent_mdm.approve_dpia('subj_ey', 'DPO', now() + interval '1 year');
SELECT brent_mdm.approve_dpia('subj_sc', 'DPO', now() + interval '1 year');
SELECT brent_mdm.grant_purpose('subj_ey', 'subj_analyst');
SELECT brent_mdm.grant_purpose('subj_sc', 'subj_analyst');
GRANT SELECT ON subj.visit TO subj_analyst;
SELECT policyname, qual FROM pg_policies WHERE schemaname = 'subj' ORDER BY 1;

-- ---- objections and restrictions ----
\set VERBOSITY terse
SELECT brent_mdm.record_objection(900002, 'complaint', 'x');
SELECT brent_mdm.record_objection(900002, 'objection', '');
SELECT brent_mdm.record_objection(-5, 'objection', 'no such person');
SELECT brent_mdm.record_objection(900002, 'objection', 'x', 'no_such_dpia');
SELECT brent_mdm.record_objection(900002, 'objection', 'x', 'subj_ey', now() - interval '1 day');
\set VERBOSITY default
SELECT brent_mdm.record_objection(900002, 'objection',
         'Art. 21: objects to early years outreach', 'subj_ey') AS ben_objects \gset

SET SESSION AUTHORIZATION subj_analyst;
SELECT brent_mdm.begin_purpose('subj_ey');
SELECT id, client_id, note FROM subj.visit ORDER BY id;
SELECT brent_mdm.end_purpose();
SELECT brent_mdm.begin_purpose('subj_sc');
SELECT id, client_id FROM subj.visit ORDER BY id;
SELECT brent_mdm.end_purpose();
-- the register is not the analyst's to read or change
SELECT count(*) FROM brent_mdm.objection;
SELECT brent_mdm.lift_objection(:ben_objects, 'I say so');
SELECT * FROM brent_mdm.subject_access_report(900002);
RESET SESSION AUTHORIZATION;

-- a restriction of every purpose follows the person through a merge: Ann's
-- other record (900003) is merged into 900001 after she restricted processing
SELECT brent_mdm.record_objection(900003, 'restriction',
         'Art. 18: accuracy contested') AS ann_restricts \gset
SET SESSION AUTHORIZATION subj_analyst;
SELECT brent_mdm.begin_purpose('subj_sc');
SELECT id, client_id FROM subj.visit ORDER BY id;
RESET SESSION AUTHORIZATION;
SELECT brent_mdm.merge_clients(900001, 900003, 'same person') AS kept;
SET SESSION AUTHORIZATION subj_analyst;
SELECT id, client_id FROM subj.visit ORDER BY id;
RESET SESSION AUTHORIZATION;
SELECT brent_mdm.lift_objection(:ann_restricts, 'corrected');
SELECT brent_mdm.lift_objection(:ann_restricts, 'corrected');
SET SESSION AUTHORIZATION subj_analyst;
SELECT id, client_id FROM subj.visit WHERE id IN (1, 3) ORDER BY id;
SELECT brent_mdm.end_purpose();
RESET SESSION AUTHORIZATION;

-- ---- the audit knows which persons each statement read ----
SELECT brent_mdm.audit_flush();
SELECT dpia_id, action, rows, clients, client_ids
  FROM brent_mdm.audit_log WHERE role_name = 'subj_analyst' AND table_name = 'subj.visit'
 ORDER BY audit_id;

-- ---- the subject access report: the DPO's ----
GRANT EXECUTE ON FUNCTION brent_mdm.subject_access_report(bigint) TO subj_dpo;
SET SESSION AUTHORIZATION subj_dpo;
SELECT count(*) FROM subj.visit;
SELECT source, item,
       CASE WHEN source = 'audit'
            THEN concat_ws(' ', record->>'role_name', coalesce(record->>'dpia_id', '-'),
                           record->>'action', record->>'table_name', record->>'clients',
                           record->>'client_ids')
            ELSE (record - '{created_at,updated_at,recorded_at,at,stored_at,block_keys,by_role,
                             recorded_by,lifted_by,lifted_at,event_id,objection_id,record_id,
                             matched_record,match_probability}'::text[])::text END AS record
  FROM brent_mdm.subject_access_report(900003);
RESET SESSION AUTHORIZATION;
SELECT brent_mdm.audit_flush();
SELECT session_role, action, table_name, detail, client_ids
  FROM brent_mdm.audit_log WHERE session_role = 'subj_dpo' ORDER BY audit_id;

-- ---- retention ----
\set VERBOSITY terse
SELECT brent_mdm.set_retention_rule('subj.visit', interval '-1 year', 'visited');
SELECT brent_mdm.set_retention_rule('subj.visit', interval '5 years', 'note');
SELECT brent_mdm.set_retention_rule('subj.nope', interval '5 years', 'visited');
SELECT brent_mdm.set_retention_rule('system:nope', interval '5 years', 'recorded_at');
SELECT brent_mdm.set_retention_rule('system:subj_housing', interval '5 years', 'recorded_at', 'anonymise', '{given_name}');
SELECT brent_mdm.set_retention_rule('subj.visit', interval '5 years', 'visited', 'anonymise', '{id}');
SELECT brent_mdm.set_retention_rule('brent_mdm.client_record', interval '5 years', 'recorded_at');
-- a trigger (or a rule, or user functions in indexes) would run with purge()'s superuser rights
CREATE TABLE subj.logged (id int, at date);
CREATE FUNCTION subj.log_delete() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN OLD; END $$;
CREATE TRIGGER log_delete BEFORE DELETE ON subj.logged FOR EACH ROW EXECUTE FUNCTION subj.log_delete();
SELECT brent_mdm.set_retention_rule('subj.logged', interval '5 years', 'at');
\set VERBOSITY default
SELECT brent_mdm.set_retention_rule('subj.visit', interval '20 years', 'visited', 'anonymise',
                                    '{note,client_id}') > 0 AS visit_rule;
SELECT brent_mdm.set_retention_rule('system:subj_housing', interval '20 years', 'recorded_at') > 0 AS housing_rule;
SELECT table_name, system, keep, date_column, action, anonymise_columns
  FROM brent_mdm.retention_rule ORDER BY rule_id;
SET SESSION AUTHORIZATION subj_analyst;
SELECT count(*) FROM brent_mdm.retention_rule;
SELECT * FROM brent_mdm.purge();
RESET SESSION AUTHORIZATION;

-- a dry run reports and changes nothing; the governance role (not a superuser)
-- may run it on a protected table
GRANT EXECUTE ON FUNCTION brent_mdm.purge(boolean) TO subj_dpo;
SET SESSION AUTHORIZATION subj_dpo;
SELECT target, action, rows, oldest::date, clients_refreshed, applied FROM brent_mdm.purge();
RESET SESSION AUTHORIZATION;
SELECT count(*) AS housing_records FROM brent_mdm.client_record WHERE system = 'subj_housing';
SELECT id, client_id, note FROM subj.visit WHERE id = 4;
-- then for real, in the caller's transaction
SELECT target, action, rows, oldest::date, clients_refreshed, applied FROM brent_mdm.purge(false);
SELECT id, client_id, note FROM subj.visit WHERE id = 4;
SELECT record_key, client_id FROM brent_mdm.client_record WHERE system LIKE 'subj%' ORDER BY 1;
SELECT client_id, status, given_name, records, systems FROM brent_mdm.client
 WHERE client_id BETWEEN 900001 AND 900004 ORDER BY 1;
SELECT client_id, event, detail->>'record_key' AS record_key, detail->>'by' AS by
  FROM brent_mdm.client_history WHERE client_id BETWEEN 900001 AND 900004 ORDER BY event_id;
SELECT target, rows, applied FROM brent_mdm.purge(false);
SELECT action, detail->'rules'->0->>'rows' AS first_rule_rows FROM brent_mdm.dpia_change
 WHERE action LIKE 'purge%' ORDER BY change_id;

-- ---- clean up ----
DROP SCHEMA subj CASCADE;
DELETE FROM brent_mdm.retention_rule;
DELETE FROM brent_mdm.objection WHERE client_id BETWEEN 900001 AND 900004;
DELETE FROM brent_mdm.dpia WHERE dpia_id LIKE 'subj%';
SELECT brent_mdm.client_index_bulk(true) AS bulk;
DELETE FROM brent_mdm.client_record WHERE system LIKE 'subj%';
DELETE FROM brent_mdm.client_history WHERE client_id BETWEEN 900001 AND 900004;
DELETE FROM brent_mdm.client_change WHERE client_id BETWEEN 900001 AND 900004;
DELETE FROM brent_mdm.client WHERE client_id BETWEEN 900001 AND 900004;
SELECT brent_mdm.client_index_bulk(false) AS bulk;
DELETE FROM brent_mdm.client_source WHERE system LIKE 'subj%';
REVOKE ALL ON FUNCTION brent_mdm.subject_access_report(bigint), brent_mdm.purge(boolean) FROM subj_dpo;
DROP ROLE subj_owner, subj_analyst, subj_dpo;
