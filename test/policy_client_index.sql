-- pgTAP: the Client Index under DPIA purposes (issue 10).  brent_mdm.client and
-- brent_mdm.client_record protected like any table: reads through masking views
-- owned by brent_mdm_index_reader, under a purpose, masked, audited; a source
-- system's application writes its records under a write scope and the real-time
-- matching (the extension's own SECURITY DEFINER code) still works for it.  Needs
-- shared_preload_libraries = 'brent_mdm'.  Roles ci_*, systems ci_*; the
-- protection is taken off at the end (other test files share this database).
\set ON_ERROR_STOP 0
\set QUIET 1
\pset format unaligned
\pset tuples_only true
\pset pager off
SET client_min_messages = error;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS brent_mdm CASCADE;

-- ---- fixtures (leftovers of an interrupted run first) ----
DELETE FROM brent_mdm.dpia WHERE dpia_id LIKE 'ci\_%';
SELECT brent_mdm.unprotect(table_name) FROM brent_mdm.protected_table
 WHERE table_name IN ('brent_mdm.client'::regclass, 'brent_mdm.client_record'::regclass);
SELECT brent_mdm.client_index_bulk(true);
DELETE FROM brent_mdm.client_record WHERE system LIKE 'ci\_%';
DELETE FROM brent_mdm.client_source WHERE system LIKE 'ci\_%';
DO $$
DECLARE r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['ci_gov', 'ci_app', 'ci_analyst', 'ci_steward'] LOOP
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = r) THEN
      EXECUTE format('DROP OWNED BY %I CASCADE', r);
      EXECUTE format('DROP ROLE %I', r);
    END IF;
  END LOOP;
END $$;
COMMIT;

CREATE ROLE ci_gov LOGIN;        -- information governance, with the guide's grants
CREATE ROLE ci_app LOGIN;        -- the housing system's application
CREATE ROLE ci_analyst LOGIN;    -- reads the masking views under a purpose
CREATE ROLE ci_steward LOGIN;    -- a data steward with plain SELECT (granted after protection)
GRANT EXECUTE ON FUNCTION brent_mdm.record_objection(bigint, text, text, text, timestamptz) TO ci_gov;
GRANT USAGE ON SCHEMA brent_mdm TO ci_app, ci_analyst, ci_steward;
CREATE SCHEMA ci_steward AUTHORIZATION ci_steward;
GRANT USAGE ON SCHEMA ci_steward TO ci_analyst;
INSERT INTO brent_mdm.client_source (system, trust) VALUES ('ci_housing', 50), ('ci_schools', 70);
-- ten persons, two records each (housing, schools), each pair one client (other test
-- files of this database give client ids of their own: the identity goes past them)
SELECT setval(pg_get_serial_sequence('brent_mdm.client', 'client_id'),
              greatest((SELECT max(client_id) FROM brent_mdm.client), 1));
INSERT INTO brent_mdm.client (given_name, family_name, date_of_birth, postcode, nhs_number, records, systems)
SELECT 'Cigiven' || i, 'Cifamily' || i, date '2010-01-01' + i, 'HA9 0' || chr(64 + i) || 'A',
       (9434765000 + i)::text, 2, '{ci_housing,ci_schools}'
  FROM generate_series(1, 10) i;
INSERT INTO brent_mdm.client_record (system, record_key, client_id, given_name, family_name, date_of_birth,
                                     postcode, nhs_number)
SELECT s, s || i, c.client_id, c.given_name, c.family_name, c.date_of_birth, c.postcode, c.nhs_number
  FROM brent_mdm.client c, generate_series(1, 10) i, unnest('{ci_housing,ci_schools}'::text[]) s
 WHERE c.given_name = 'Cigiven' || i;
-- a steward's grant from before the protection: protect() takes it away
GRANT SELECT ON brent_mdm.client TO ci_steward;
COMMIT;

SELECT plan(37);

-- ---- protect() takes the Client Index ----
\set LAST_ERROR_SQLSTATE none
SELECT brent_mdm.protect('brent_mdm.client') AS client_view \gset
SELECT brent_mdm.protect('brent_mdm.client_record') AS record_view \gset
SELECT is(:'LAST_ERROR_SQLSTATE' || ' ' || :'client_view' || ' ' || :'record_view',
          'none brent_mdm.client_masked brent_mdm.client_record_masked',
          'protect() takes brent_mdm.client and brent_mdm.client_record, each with a masking view');
SELECT is((SELECT string_agg(DISTINCT r.rolname || ':' || r.rolsuper || r.rolbypassrls || r.rolcanlogin, ',')
             FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner
            WHERE c.oid IN ('brent_mdm.client_masked'::regclass, 'brent_mdm.client_record_masked'::regclass)),
          'brent_mdm_index_reader:falsefalsefalse',
          'their masking views are owned by brent_mdm_index_reader: no superuser, no BYPASSRLS, no login');
SELECT throws_ok($$SELECT brent_mdm.protect('brent_mdm.client_history')$$, '42939', NULL,
                 'the extension''s other tables are still refused');
SELECT throws_ok($$SELECT brent_mdm.protect('pg_catalog.pg_class')$$, '42939', 'tables of schema pg_catalog cannot be protected',
                 'a system catalogue is refused with its own error (its hint was NULL: the error was lost)');
SELECT is((SELECT count(*) FROM brent_mdm.protected_table
            WHERE table_name IN ('brent_mdm.client'::regclass, 'brent_mdm.client_record'::regclass)
              AND client_id_column = 'client_id'), 2::bigint,
          'both are registered with their client-id column (objections apply, accesses are counted per person)');

-- ---- the purposes ----
SELECT brent_mdm.register_dpia('ci_ey', 'Early years', 'Offer support', 'public_task', 'Brent', 'Head of EY');
SELECT brent_mdm.set_table_scope('ci_ey', 'brent_mdm.client', 'read', $$date_of_birth >= date '2010-01-06'$$);
SELECT brent_mdm.set_table_scope('ci_ey', 'brent_mdm.client_record', 'read');
SELECT brent_mdm.set_column_scope('ci_ey', 'brent_mdm.client', c, t)
  FROM (VALUES ('client_id', 'clear'), ('given_name', 'clear'), ('family_name', 'clear'),
               ('date_of_birth', 'year'), ('postcode', 'sector')) v(c, t);
SELECT brent_mdm.set_column_scope('ci_ey', 'brent_mdm.client_record', c, 'clear')
  FROM unnest('{client_id,system,given_name}'::text[]) c;
SELECT brent_mdm.approve_dpia('ci_ey', 'DPO', now() + interval '1 day');
SELECT brent_mdm.grant_purpose('ci_ey', 'ci_analyst');
SELECT brent_mdm.register_dpia('ci_feed', 'Housing feed', 'Keep the index', 'public_task', 'Brent', 'Head of Housing');
SELECT brent_mdm.set_table_scope('ci_feed', 'brent_mdm.client_record', 'write', $$system = 'ci_housing'$$);
SELECT brent_mdm.approve_dpia('ci_feed', 'DPO', now() + interval '1 day');
SELECT brent_mdm.grant_purpose('ci_feed', 'ci_app');
GRANT SELECT ON brent_mdm.client_masked, brent_mdm.client_record_masked TO ci_analyst;
GRANT SELECT, INSERT, UPDATE ON brent_mdm.client_record TO ci_app;
COMMIT;

-- ---- the analyst ----
SET SESSION AUTHORIZATION ci_analyst;
SELECT is((SELECT count(*) FROM brent_mdm.client_masked), 0::bigint,
          'without a purpose, the analyst''s masking view of the Client Index shows nothing');
SELECT throws_ok($$SELECT count(*) FROM brent_mdm.client$$, '42501', NULL,
                 'the Client Index table itself is not readable');
SELECT brent_mdm.begin_purpose('ci_ey');
SELECT is((SELECT string_agg(given_name || '/' || date_of_birth || '/' || postcode || '/' ||
                             coalesce(nhs_number, 'redacted'), ',' ORDER BY given_name)
             FROM brent_mdm.client_masked WHERE family_name LIKE 'Cifamily%' AND given_name IN ('Cigiven4', 'Cigiven5')),
          'Cigiven5/2010-01-01/HA9 0/redacted',
          'under the purpose: the row filter applies (born before 6 January: out), the year and the sector only, the NHS number redacted');
SELECT is((SELECT count(*) FROM brent_mdm.client_record_masked r
             JOIN brent_mdm.client_masked c USING (client_id) WHERE r.system LIKE 'ci\_%'), 12::bigint,
          'source records join their clients through the masking views (6 persons in scope x 2 systems)');
SELECT brent_mdm.end_purpose();
RESET SESSION AUTHORIZATION;

SELECT brent_mdm.audit_flush();
SELECT is((SELECT string_agg(DISTINCT coalesce(dpia_id, '-') || ':' || table_name, ',')
             FROM brent_mdm.audit_log WHERE role_name = 'ci_analyst' AND action = 'select'),
          '-:brent_mdm.client,ci_ey:brent_mdm.client,ci_ey:brent_mdm.client_record',
          'every read of the Client Index is audited, with its purpose (or none)');

-- ---- an objection takes a person out of the purpose ----
\set objector 0
SELECT client_id AS objector FROM brent_mdm.client WHERE given_name = 'Cigiven7' \gset
SET SESSION AUTHORIZATION ci_gov;
\set LAST_ERROR_SQLSTATE none
SELECT brent_mdm.record_objection(:objector, 'objection', 'Does not want early years contact', 'ci_ey');
RESET SESSION AUTHORIZATION;
SELECT is(:'LAST_ERROR_SQLSTATE'::text, 'none',
          'the governance officer records an objection (its check of the client reads the protected index as the extension)');
SET SESSION AUTHORIZATION ci_analyst;
SELECT brent_mdm.begin_purpose('ci_ey');
SELECT is((SELECT count(*) FROM brent_mdm.client_masked WHERE client_id = :objector)
        + (SELECT count(*) FROM brent_mdm.client_record_masked WHERE client_id = :objector), 0::bigint,
          'the objector''s golden record and source records are out of the purpose');
SELECT brent_mdm.end_purpose();
RESET SESSION AUTHORIZATION;

-- ---- the housing application: writes its own records, under its purpose ----
SET SESSION AUTHORIZATION ci_app;
SELECT throws_ok($$INSERT INTO brent_mdm.client_record (system, record_key, given_name, family_name)
                   VALUES ('ci_housing', 'ci_new0', 'Newgiven', 'Newfamily')$$, '42501', NULL,
                 'without its purpose, the application cannot write a record');
SELECT brent_mdm.begin_purpose('ci_feed');
SELECT throws_ok($$INSERT INTO brent_mdm.client_record (system, record_key, given_name, family_name)
                   VALUES ('ci_schools', 'ci_new0', 'Newgiven', 'Newfamily')$$, '42501', NULL,
                 'under its purpose, it cannot write another system''s record (the scope''s row filter)');
\set LAST_ERROR_SQLSTATE none
\set has_client none
INSERT INTO brent_mdm.client_record (system, record_key, given_name, family_name, date_of_birth, postcode)
VALUES ('ci_housing', 'ci_new1', 'Newgiven', 'Newfamily', date '1990-06-01', 'NW10 1AA')
RETURNING (client_id IS NOT NULL) AS has_client \gset
SELECT brent_mdm.end_purpose();
RESET SESSION AUTHORIZATION;
SELECT is(:'LAST_ERROR_SQLSTATE' || ' ' || :'has_client', 'none t',
          'under its purpose it writes its record, and the real-time matching gives it a client');
SELECT is((SELECT c.given_name || ' ' || c.family_name || ' ' || c.records || ' ' || c.systems::text
             FROM brent_mdm.client c JOIN brent_mdm.client_record r USING (client_id)
            WHERE r.record_key = 'ci_new1'), 'Newgiven Newfamily 1 {ci_housing}',
          '... and the golden record of that client is built (the extension''s own writes, as itself)');
SELECT brent_mdm.audit_flush();
SELECT is((SELECT string_agg(action || ':' || table_name || ':' || coalesce(dpia_id, '-'), ',' ORDER BY audit_id)
             FROM brent_mdm.audit_log WHERE role_name = 'ci_app' AND table_name IS NOT NULL),
          'error:brent_mdm.client_record:-,error:brent_mdm.client_record:ci_feed,insert:brent_mdm.client_record:ci_feed',
          'the application''s statements are audited once each: the matching''s own queries add no record');

-- ---- the internal-access switch cannot be thrown by anyone else ----
SELECT throws_ok($$SET brent_mdm.extension_internal = on$$, '42501', NULL,
                 'not even a superuser may set brent_mdm.extension_internal by hand');
SET SESSION AUTHORIZATION ci_steward;
SELECT throws_ok($$CREATE FUNCTION ci_steward.peek() RETURNS bigint LANGUAGE sql SECURITY DEFINER
                   SET brent_mdm.extension_internal = on AS 'SELECT count(*) FROM brent_mdm.client'$$,
                 '42501', NULL, 'a role''s own SECURITY DEFINER function cannot set it');
SELECT throws_ok($$SELECT count(*) FROM brent_mdm.client$$, '42501', NULL,
                 'the steward''s grant from before the protection was taken away');
RESET SESSION AUTHORIZATION;

-- ---- a steward's view over the index, for the analyst: refused ----
GRANT SELECT ON brent_mdm.client TO ci_steward;          -- granted again by a careless DBA
SET SESSION AUTHORIZATION ci_steward;
CREATE VIEW ci_steward.everyone AS SELECT client_id, nhs_number FROM brent_mdm.client;
GRANT SELECT ON ci_steward.everyone TO ci_analyst;
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION ci_analyst;
SELECT brent_mdm.begin_purpose('ci_ey');
SELECT throws_ok($$SELECT count(nhs_number) FROM ci_steward.everyone$$, '42501', NULL,
                 'a steward''s view over the Client Index gives the analyst nothing unmasked');
SELECT brent_mdm.end_purpose();
RESET SESSION AUTHORIZATION;

-- ---- a foreign-key cascade runs the analyst's trigger: still checked and audited ----
SELECT brent_mdm.audit_flush();
SELECT count(*) AS reads_before FROM brent_mdm.audit_log
 WHERE role_name = 'ci_analyst' AND action = 'select' AND table_name = 'brent_mdm.client' \gset
SET SESSION AUTHORIZATION ci_analyst;
SELECT brent_mdm.begin_purpose('ci_ey');
CREATE TEMP TABLE p (id int PRIMARY KEY);
CREATE TEMP TABLE c (id int REFERENCES p ON DELETE CASCADE);
CREATE TEMP TABLE loot (client_id bigint);
CREATE TEMP TABLE loot2 (nhs text);
CREATE FUNCTION pg_temp.grab() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO loot SELECT client_id FROM brent_mdm.client_masked;
  RETURN OLD;
END $$;
CREATE TRIGGER grab BEFORE DELETE ON c FOR EACH ROW EXECUTE FUNCTION pg_temp.grab();
INSERT INTO p VALUES (1); INSERT INTO c VALUES (1);
DELETE FROM p;
CREATE FUNCTION pg_temp.grab2() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO loot2 SELECT nhs_number FROM ci_steward.everyone;
  RETURN OLD;
END $$;
CREATE TRIGGER grab2 BEFORE DELETE ON c FOR EACH ROW EXECUTE FUNCTION pg_temp.grab2();
INSERT INTO p VALUES (2); INSERT INTO c VALUES (2);
SELECT throws_ok($$DELETE FROM p WHERE id = 2$$, '42501', NULL,
                 'a read run by a foreign-key cascade (the analyst''s trigger) through a steward''s view is still refused');
SELECT brent_mdm.end_purpose();
RESET SESSION AUTHORIZATION;
SELECT brent_mdm.audit_flush();
SELECT is((SELECT count(*) FROM brent_mdm.audit_log WHERE role_name = 'ci_analyst' AND action = 'select'
              AND table_name = 'brent_mdm.client' AND dpia_id = 'ci_ey') - :reads_before, 1::bigint,
          '... and a read of the masking view it runs is audited');

-- ---- a careless DBA turns row level security off ----
ALTER TABLE brent_mdm.client_record DISABLE ROW LEVEL SECURITY;
SET SESSION AUTHORIZATION ci_app;
SELECT throws_ok($$SELECT count(nhs_number) FROM brent_mdm.client_record$$, '42501',
                 'protected table brent_mdm.client_record is closed: row level security is not enabled and forced on it',
                 'a protected table without row level security is closed (the app would read every system''s records)');
RESET SESSION AUTHORIZATION;
SELECT brent_mdm.protect('brent_mdm.client_record');
SET SESSION AUTHORIZATION ci_app;
SELECT is((SELECT count(*) FROM brent_mdm.client_record), 0::bigint,
          'protect() run again turns it back on: without its purpose the app reads nothing');
RESET SESSION AUTHORIZATION;

-- ---- the writer does not choose the client ----
SELECT client_id AS victim FROM brent_mdm.client WHERE given_name = 'Cigiven9' \gset
SET SESSION AUTHORIZATION ci_app;
SELECT brent_mdm.begin_purpose('ci_feed');
SELECT throws_ok(format($$INSERT INTO brent_mdm.client_record (system, record_key, client_id, given_name, family_name)
                          VALUES ('ci_housing', 'ci_new2', %s, 'Zed', 'Zzyzx')$$, :victim), '42501', NULL,
                 'the app cannot attach a record to a client of its choosing');
SELECT throws_ok(format($$UPDATE brent_mdm.client_record SET client_id = %s WHERE record_key = 'ci_new1'$$, :victim),
                 '42501', NULL, '... nor move its record to one');
SELECT brent_mdm.end_purpose();
RESET SESSION AUTHORIZATION;
SELECT is((SELECT given_name FROM brent_mdm.client WHERE client_id = :victim), 'Cigiven9',
          'the victim''s golden record is untouched');

-- ---- a member of the views' owner would read the index in clear: closed ----
GRANT brent_mdm_index_reader TO ci_analyst;
SET SESSION AUTHORIZATION ci_analyst;
SELECT brent_mdm.begin_purpose('ci_ey');
SELECT throws_ok($$SELECT count(nhs_number) FROM brent_mdm.client$$, '42501', NULL,
                 'while brent_mdm_index_reader has a member, the index is closed (the member''s direct read)');
SELECT throws_ok($$SELECT count(*) FROM brent_mdm.client_masked$$, '42501', NULL,
                 '... and so are the masking views');
SELECT brent_mdm.end_purpose();
SET ROLE brent_mdm_index_reader;
SELECT throws_ok($$CREATE OR REPLACE RULE "_RETURN" AS ON SELECT TO brent_mdm.client_masked DO INSTEAD
  SELECT client_id, status, merged_into, created_at, updated_at, given_name, family_name, date_of_birth,
         sex, postcode, address_line, address_from, nhs_number, ni_number, upn, records, systems
    FROM brent_mdm.client$$, '42501', NULL,
                 'a member cannot redefine the masking view either (it would outlast the membership)');
RESET ROLE;
RESET SESSION AUTHORIZATION;
REVOKE brent_mdm_index_reader FROM ci_analyst;
SELECT throws_ok($$CREATE OR REPLACE VIEW brent_mdm.client_masked AS
  SELECT client_id, status, merged_into, created_at, updated_at, given_name, family_name, date_of_birth,
         sex, postcode, address_line, address_from, nhs_number, ni_number, upn, records, systems
    FROM brent_mdm.client$$, '42501', NULL,
                 'nor can a DBA by hand: a masking view is made by brent_mdm only');
SET SESSION AUTHORIZATION ci_analyst;
SELECT brent_mdm.begin_purpose('ci_ey');
SELECT cmp_ok((SELECT count(*) FROM brent_mdm.client_masked), '>', 0::bigint,
              'the member removed, the analyst reads the masking view again');
SELECT brent_mdm.end_purpose();
RESET SESSION AUTHORIZATION;

-- ---- SET granted on the internal switch: still nobody's but the extension's ----
GRANT SET ON PARAMETER brent_mdm.extension_internal TO ci_steward;
SET SESSION AUTHORIZATION ci_steward;
CREATE FUNCTION ci_steward.flip() RETURNS text LANGUAGE sql SECURITY DEFINER
  AS $$ SELECT set_config('brent_mdm.extension_internal', 'on', true) $$;
SELECT throws_ok($$SELECT ci_steward.flip()$$, '42501', NULL,
                 'a role granted SET on brent_mdm.extension_internal still cannot turn it on in its own SECURITY DEFINER function');
RESET SESSION AUTHORIZATION;
REVOKE SET ON PARAMETER brent_mdm.extension_internal FROM ci_steward;

-- ---- and out of the regime again ----
SELECT throws_ok($$SELECT brent_mdm.unprotect('brent_mdm.client')$$, '55000', NULL,
                 'unprotect() is refused while a DPIA has the table in scope');
DELETE FROM brent_mdm.dpia WHERE dpia_id LIKE 'ci\_%';
SELECT brent_mdm.unprotect('brent_mdm.client');
SELECT brent_mdm.unprotect('brent_mdm.client_record');
SET SESSION AUTHORIZATION ci_app;
SELECT throws_ok($$SELECT count(*) FROM brent_mdm.client_record$$, '42501', NULL,
                 'unprotect() takes the app''s grants away (they would read every row now)');
RESET SESSION AUTHORIZATION;
SELECT is((SELECT count(*) FROM pg_policies WHERE schemaname = 'brent_mdm' AND tablename IN ('client', 'client_record'))
        + (SELECT count(*) FROM pg_class WHERE relnamespace = 'brent_mdm'::regnamespace
              AND (relname LIKE 'client%masked' OR (relname IN ('client', 'client_record') AND relrowsecurity)))
        + (SELECT count(*) FROM brent_mdm.protected_table
            WHERE table_name IN ('brent_mdm.client'::regclass, 'brent_mdm.client_record'::regclass)),
          0::bigint, 'unprotect() drops the policies and the masking views, turns row security off, forgets the tables');

SELECT * FROM finish();

-- ---- clean up: fixtures dropped ----
SELECT brent_mdm.client_index_bulk(true);
DELETE FROM brent_mdm.client_history WHERE client_id IN (
  SELECT client_id FROM brent_mdm.client_record WHERE system LIKE 'ci\_%');
DELETE FROM brent_mdm.client_record WHERE system LIKE 'ci\_%';
DELETE FROM brent_mdm.client WHERE family_name LIKE 'Cifamily%' OR family_name = 'Newfamily';
DELETE FROM brent_mdm.client_source WHERE system LIKE 'ci\_%';
DROP SCHEMA ci_steward CASCADE;
REVOKE ALL ON PARAMETER brent_mdm.extension_internal FROM ci_steward;
DROP OWNED BY ci_gov, ci_app, ci_analyst, ci_steward CASCADE;
DROP ROLE ci_gov, ci_app, ci_analyst, ci_steward;
