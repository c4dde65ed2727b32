-- DPIA policy: the registry and its validation, purposes, protected tables,
-- masking, and the audit trail (needs shared_preload_libraries = 'brent_mdm').
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS brent_mdm CASCADE;
SET client_min_messages = notice;
\set VERBOSITY default

CREATE ROLE policy_owner NOLOGIN;
CREATE ROLE policy_alice LOGIN;
CREATE ROLE policy_bob LOGIN;
CREATE ROLE policy_ey_team NOLOGIN;
GRANT policy_ey_team TO policy_bob;
CREATE SCHEMA policy_cs;
GRANT USAGE ON SCHEMA policy_cs TO policy_alice, policy_bob;
CREATE TABLE policy_cs.child (id int PRIMARY KEY, given_name text, date_of_birth date,
                              postcode text, nhs_number text, system text);
INSERT INTO policy_cs.child
SELECT i, 'child ' || i, date '2026-01-01' - i * 40, 'HA9 ' || (i % 9) || 'AB',
       (9434765800 + i)::text, CASE WHEN i % 2 = 0 THEN 'schools' ELSE 'social_care' END
  FROM generate_series(1, 100) i;

-- ---- the registry: validating functions ----
SELECT brent_mdm.register_dpia('Early Years', 't', 'p', 'public_task', 'Brent', 'owner');
SELECT brent_mdm.register_dpia('early_years', 't', 'p', 'because', 'Brent', 'owner');
SELECT brent_mdm.register_dpia('early_years', 't', 'p', 'public_task', 'Brent', 'owner', 'health');
SELECT brent_mdm.register_dpia('early_years', 'Early years support',
         'Offer support to families with children under five', 'public_task',
         'London Borough of Brent', 'Head of Early Years', 'substantial_public_interest');
SELECT brent_mdm.register_dpia('early_years', 't', 'p', 'public_task', 'Brent', 'owner');
SELECT brent_mdm.register_dpia('school_census', 'School census', 'Statutory returns',
         'legal_obligation', 'London Borough of Brent', 'Head of Education');
SELECT brent_mdm.approve_dpia('nope', 'DPO', now() + interval '1 year');
SELECT brent_mdm.approve_dpia('early_years', 'DPO', now() - interval '1 day');
SELECT brent_mdm.grant_purpose('early_years', 'postgres');
SELECT dpia_id, status, lawful_basis, special_category_condition FROM brent_mdm.dpia ORDER BY 1;
-- nobody but the functions writes the registry
SET SESSION AUTHORIZATION policy_alice;
SELECT count(*) FROM brent_mdm.dpia;
UPDATE brent_mdm.dpia SET status = 'approved';
SELECT brent_mdm.approve_dpia('early_years', 'me', now() + interval '1 year');
RESET SESSION AUTHORIZATION;

-- ---- protect ----
\set VERBOSITY terse
SELECT brent_mdm.protect('policy_cs.child');
\set VERBOSITY default
ALTER TABLE policy_cs.child OWNER TO policy_owner;
GRANT SELECT ON policy_cs.child TO policy_alice;
SELECT brent_mdm.protect('policy_cs.child');
SELECT relrowsecurity, relforcerowsecurity, relacl FROM pg_class WHERE oid = 'policy_cs.child'::regclass;
SELECT brent_mdm.set_table_scope('early_years', 'policy_cs.child', 'read', 'drop table x; true');
SELECT brent_mdm.set_table_scope('early_years', 'policy_cs.child', 'read', 'no_such_column > 1');
SELECT brent_mdm.set_table_scope('early_years', 'policy_cs.child', 'read',
         $$date_of_birth > date '2026-01-01' - interval '5 years'$$);
SELECT brent_mdm.set_column_scope('early_years', 'policy_cs.child', 'id');
SELECT brent_mdm.set_column_scope('early_years', 'policy_cs.child', 'given_name');
SELECT brent_mdm.set_column_scope('early_years', 'policy_cs.child', 'date_of_birth', 'year');
SELECT brent_mdm.set_column_scope('early_years', 'policy_cs.child', 'postcode', 'sector');
SELECT brent_mdm.set_column_scope('early_years', 'policy_cs.child', 'nhs_number', 'pseudonym');
SELECT brent_mdm.set_column_scope('early_years', 'policy_cs.child', 'id', 'pseudonym');
SELECT brent_mdm.set_column_scope('early_years', 'policy_cs.child', 'nope', 'clear');
SELECT brent_mdm.set_column_scope('school_census', 'policy_cs.child', 'id', 'clear');
SELECT brent_mdm.set_table_scope('school_census', 'policy_cs.child', 'write', $$system = 'schools'$$);
SELECT brent_mdm.set_column_scope('school_census', 'policy_cs.child', 'id');
SELECT brent_mdm.set_column_scope('school_census', 'policy_cs.child', 'date_of_birth');
SELECT policyname, cmd, qual, with_check FROM pg_policies
 WHERE schemaname = 'policy_cs' ORDER BY policyname;
SELECT brent_mdm.approve_dpia('early_years', 'Data Protection Officer', now() + interval '1 year',
                              (now() + interval '6 months')::date);
SELECT brent_mdm.approve_dpia('school_census', 'Data Protection Officer', now() + interval '1 year');
SELECT brent_mdm.grant_purpose('early_years', 'policy_alice');
SELECT brent_mdm.grant_purpose('school_census', 'policy_ey_team');
GRANT SELECT ON policy_cs.child_masked TO policy_alice, policy_bob;
CREATE FUNCTION policy_cs.leak(text) RETURNS boolean LANGUAGE plpgsql COST 0.0000001
  AS $$ BEGIN RAISE NOTICE 'leak: %', $1; RETURN true; END $$;
GRANT SELECT, INSERT, UPDATE, DELETE ON policy_cs.child TO policy_bob;

-- the planner folds the gates into their answer for the session's purpose: without
-- one, a constant-false filter (no row passes, no gate is called)
SET SESSION AUTHORIZATION policy_alice;
EXPLAIN (COSTS OFF) SELECT id FROM policy_cs.child_masked WHERE id = 7;
EXPLAIN (COSTS OFF) SELECT given_name FROM policy_cs.child_masked WHERE id = 7;

-- ---- purposes ----
SELECT brent_mdm.current_purpose();
SELECT count(*) FROM policy_cs.child_masked;
SELECT brent_mdm.begin_purpose('no_such_dpia');
SELECT brent_mdm.begin_purpose('school_census');
SELECT brent_mdm.begin_purpose('early_years');
SELECT brent_mdm.begin_purpose('early_years');
SELECT brent_mdm.current_purpose();
SELECT count(*) FROM policy_cs.child_masked;
-- under early_years: only its row filter is left, and each column of the masking
-- view is its early_years treatment, without the CASE over the DPIAs of the table
-- (no InitPlan of active_dpia())
EXPLAIN (COSTS OFF) SELECT id, given_name, date_of_birth, system FROM policy_cs.child_masked;
-- a statement planned inside a function (here by EXECUTE) keeps its gates as calls
CREATE FUNCTION pg_temp.plan_of(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE l text;
BEGIN
  FOR l IN EXECUTE 'EXPLAIN (COSTS OFF, VERBOSE) ' || q LOOP
    IF l NOT LIKE 'Query Identifier%' THEN RETURN NEXT l; END IF;
  END LOOP;
END $$;
SELECT pg_temp.plan_of('SELECT id, given_name, date_of_birth, system FROM policy_cs.child_masked');
SELECT id, given_name, date_of_birth, postcode, length(nhs_number) AS pseudonym_length, system
  FROM policy_cs.child_masked ORDER BY id LIMIT 3;
-- the pseudonym is stable within a DPIA
SELECT count(DISTINCT nhs_number) = count(*) AS distinct_pseudonyms,
       bool_and(nhs_number ~ '^[0-9a-f]{16}$') AS hex16
  FROM policy_cs.child_masked;
-- a leaky function sees only rows the purpose may see (child 99 is too old)
SELECT count(*) FROM policy_cs.child_masked WHERE policy_cs.leak(given_name) AND id IN (1, 99);
SELECT * FROM policy_cs.child;
EXPLAIN ANALYZE SELECT * FROM policy_cs.child_masked;
SET brent_mdm.purpose = 'school_census';
SELECT set_config('brent_mdm.purpose', 'school_census', false);
SELECT brent_mdm.current_purpose();
SELECT brent_mdm.end_purpose();
SELECT brent_mdm.end_purpose();
SELECT count(*) FROM policy_cs.child_masked;
-- a cached plan is made again when the purpose begins or ends (its gates were
-- folded for the purpose it was planned under)
SET plan_cache_mode = force_generic_plan;
PREPARE ey_count AS SELECT count(*) FROM policy_cs.child_masked;
EXECUTE ey_count;
SELECT brent_mdm.begin_purpose('early_years');
EXECUTE ey_count;
EXPLAIN (COSTS OFF) EXECUTE ey_count;
SELECT brent_mdm.end_purpose();
EXECUTE ey_count;
EXPLAIN (COSTS OFF) EXECUTE ey_count;
DEALLOCATE ey_count;
RESET plan_cache_mode;
RESET SESSION AUTHORIZATION;

-- bob acts through a team role, writes within the row scope only
SET SESSION AUTHORIZATION policy_bob;
SELECT brent_mdm.begin_purpose('early_years');
SELECT brent_mdm.begin_purpose('school_census');
SELECT count(*), min(system), max(system) FROM policy_cs.child;
SELECT id, given_name, date_of_birth FROM policy_cs.child_masked ORDER BY id LIMIT 2;
UPDATE policy_cs.child SET postcode = 'HA9 0AA' WHERE id IN (1, 2);
INSERT INTO policy_cs.child VALUES (1001, 'x', '2025-01-01', 'HA9 6AB', '9434765919', 'schools');
INSERT INTO policy_cs.child VALUES (1002, 'x', '2025-01-01', 'HA9 6AB', '9434765919', 'social_care');
DELETE FROM policy_cs.child WHERE id IN (1001, 3);
TRUNCATE policy_cs.child;
SELECT brent_mdm.end_purpose();
RESET SESSION AUTHORIZATION;

-- suspending the DPIA stops a session at its next statement
SET SESSION AUTHORIZATION policy_alice;
SELECT brent_mdm.begin_purpose('early_years');
SELECT count(*) FROM policy_cs.child_masked;
-- (and a plan cached under it is made again)
SET plan_cache_mode = force_generic_plan;
PREPARE ey_count AS SELECT count(*) FROM policy_cs.child_masked;
EXECUTE ey_count;
RESET SESSION AUTHORIZATION;
SELECT brent_mdm.suspend_dpia('early_years', 'complaint under investigation');
SET SESSION AUTHORIZATION policy_alice;
SELECT count(*) FROM policy_cs.child_masked;
EXECUTE ey_count;
DEALLOCATE ey_count;
RESET plan_cache_mode;
SELECT brent_mdm.end_purpose();
SELECT brent_mdm.begin_purpose('early_years');
RESET SESSION AUTHORIZATION;
SELECT brent_mdm.approve_dpia('early_years', 'Data Protection Officer', now() + interval '1 year');

-- DISCARD ALL (a connection pooler handing the session on) ends the purpose
SET SESSION AUTHORIZATION policy_alice;
SELECT brent_mdm.begin_purpose('early_years');
DISCARD ALL;
SELECT brent_mdm.current_purpose(), session_user <> 'policy_alice' AS back_to_the_superuser;
SET client_min_messages = notice;

-- ---- the audit trail ----
SELECT brent_mdm.audit_flush();
SELECT role_name, dpia_id, action, table_name, rows, detail
  FROM brent_mdm.audit_log
 WHERE role_name IN ('policy_alice', 'policy_bob')
 ORDER BY audit_id;
SELECT count(*) = count(query_id) AS every_statement_has_a_query_id,
       count(*) = count(statement_hash) AS every_statement_has_a_hash
  FROM brent_mdm.audit_log WHERE table_name IS NOT NULL;
SELECT action, dpia_id, detail->>'table' AS table_name FROM brent_mdm.dpia_change ORDER BY change_id;
SELECT dpia_id, status, tables, roles, statements, rows_read, rows_written, roles_used
  FROM brent_mdm.ropa ORDER BY dpia_id;

-- a partition created after protect() is protected with its parent at once (the DBA's grant
-- made after that stays, as on any protected table); protect() of the partition itself is refused
CREATE TABLE policy_cs.visit (id int, system text) PARTITION BY LIST (system);
CREATE TABLE policy_cs.visit_a PARTITION OF policy_cs.visit FOR VALUES IN ('a');
ALTER TABLE policy_cs.visit OWNER TO policy_owner;
ALTER TABLE policy_cs.visit_a OWNER TO policy_owner;
SELECT brent_mdm.protect('policy_cs.visit');
CREATE TABLE policy_cs.visit_b PARTITION OF policy_cs.visit FOR VALUES IN ('b');
GRANT SELECT ON policy_cs.visit_b TO policy_alice;
SELECT brent_mdm.protect('policy_cs.visit_b');
SELECT brent_mdm.protect('policy_cs.visit');
SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
       (SELECT count(*) FROM aclexplode(c.relacl) a WHERE a.grantee <> c.relowner) AS grants_to_others,
       p.parent_table
  FROM pg_class c LEFT JOIN brent_mdm.protected_table p ON p.table_name = c.oid
 WHERE c.relnamespace = 'policy_cs'::regnamespace AND c.relname LIKE 'visit%' AND c.relkind IN ('r', 'p')
 ORDER BY 1;

-- a protected table's owner cannot attach it as a partition, or make it inherit, of a table
-- of its own: read through that parent, its rows were under the parent's (no) policies
CREATE TABLE policy_cs.pt_owned (id integer, name text);
INSERT INTO policy_cs.pt_owned VALUES (1, 'Protected Person');
ALTER TABLE policy_cs.pt_owned OWNER TO policy_owner;
SELECT brent_mdm.protect('policy_cs.pt_owned') IS NOT NULL AS protected;
GRANT CREATE, USAGE ON SCHEMA policy_cs TO policy_owner;
SET ROLE policy_owner;
CREATE TABLE policy_cs.pt_parent (id integer, name text) PARTITION BY LIST (id);
CREATE TABLE policy_cs.pt_inh (id integer, name text);
ALTER TABLE policy_cs.pt_parent ATTACH PARTITION policy_cs.pt_owned FOR VALUES IN (1);
ALTER TABLE policy_cs.pt_owned INHERIT policy_cs.pt_inh;
SELECT (SELECT count(*) FROM policy_cs.pt_parent) AS through_partition,
       (SELECT count(*) FROM policy_cs.pt_inh) AS through_parent;
RESET ROLE;
DROP TABLE policy_cs.pt_parent, policy_cs.pt_inh, policy_cs.pt_owned CASCADE;

-- a table that becomes a partition or a child of a protected table is protected with it in
-- the same command: its owner, who reads none of the protected parent, reads none of the
-- rows written through that parent into it either (it read them all before)
CREATE TABLE policy_cs.np (id integer, name text) PARTITION BY LIST (id);
CREATE TABLE policy_cs.np_1 PARTITION OF policy_cs.np FOR VALUES IN (1);
CREATE TABLE policy_cs.ni (id integer, name text);
ALTER TABLE policy_cs.np OWNER TO policy_owner;
ALTER TABLE policy_cs.np_1 OWNER TO policy_owner;
ALTER TABLE policy_cs.ni OWNER TO policy_owner;
SELECT brent_mdm.protect('policy_cs.np') IS NOT NULL AS protected, brent_mdm.protect('policy_cs.ni') IS NOT NULL AS protected;
SET ROLE policy_owner;
CREATE TABLE policy_cs.np_2 PARTITION OF policy_cs.np FOR VALUES IN (2);
CREATE TABLE policy_cs.np_3 (id integer, name text);
ALTER TABLE policy_cs.np ATTACH PARTITION policy_cs.np_3 FOR VALUES IN (3);
CREATE TABLE policy_cs.ni_1 () INHERITS (policy_cs.ni);
CREATE TABLE policy_cs.ni_2 (id integer, name text);
ALTER TABLE policy_cs.ni_2 INHERIT policy_cs.ni;
RESET ROLE;
INSERT INTO policy_cs.np VALUES (2, 'Written Through'), (3, 'Written Through');
INSERT INTO policy_cs.ni_1 VALUES (4, 'Child Row');
INSERT INTO policy_cs.ni_2 VALUES (5, 'Child Row');
SET ROLE policy_owner;
SELECT (SELECT count(*) FROM policy_cs.np_2) AS np_2, (SELECT count(*) FROM policy_cs.np_3) AS np_3,
       (SELECT count(*) FROM policy_cs.ni_1) AS ni_1, (SELECT count(*) FROM policy_cs.ni_2) AS ni_2;
RESET ROLE;
SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, p.parent_table
  FROM pg_class c LEFT JOIN brent_mdm.protected_table p ON p.table_name = c.oid
 WHERE c.relnamespace = 'policy_cs'::regnamespace AND c.relname ~ '^n[pi]_' ORDER BY 1;
DROP TABLE policy_cs.np, policy_cs.ni CASCADE;
REVOKE CREATE, USAGE ON SCHEMA policy_cs FROM policy_owner;

-- dropping a protected table forgets it
DROP TABLE policy_cs.child;
DROP TABLE policy_cs.child CASCADE;
SELECT count(*) AS protected, (SELECT count(*) FROM brent_mdm.dpia_table_scope) AS scopes
  FROM brent_mdm.protected_table;

DROP SCHEMA policy_cs CASCADE;
DELETE FROM brent_mdm.dpia_role;
DROP ROLE policy_alice, policy_bob, policy_ey_team, policy_owner;
