-- pgTAP: the DPIA policy's attack suite.  Each test is a real attempt to read
-- or change personal data around the policy, made as the attacker's role, and
-- checked as the superuser afterwards (psql variables carry the outcome:
-- LAST_ERROR_SQLSTATE for refusals, \gset for what the attacker saw).  Needs
-- shared_preload_libraries = 'brent_mdm'.  Fixtures are committed (the audit
-- worker, other sessions) in schema atk and roles atk_*, dropped at the end.
\set ON_ERROR_STOP 0
\set QUIET 1
\pset format unaligned
\pset tuples_only true
\pset pager off
SET client_min_messages = error;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS brent_mdm CASCADE;

-- ---- fixtures (leftovers of an interrupted run first) ----
DROP SCHEMA IF EXISTS atk CASCADE;
DELETE FROM brent_mdm.dpia WHERE dpia_id LIKE 'atk%';
DO $$
DECLARE r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['atk_alice', 'atk_mallory', 'atk_writer', 'atk_team', 'atk_owner', 'atk_dpo'] LOOP
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = r) THEN
      EXECUTE format('DROP OWNED BY %I CASCADE', r);
      EXECUTE format('DROP ROLE %I', r);
    END IF;
  END LOOP;
END $$;

CREATE ROLE atk_owner NOLOGIN;
CREATE ROLE atk_team NOLOGIN;
CREATE ROLE atk_alice LOGIN IN ROLE atk_team;          -- granted through her team
CREATE ROLE atk_mallory LOGIN NOINHERIT IN ROLE atk_alice, atk_team;  -- may SET ROLE, inherits nothing
CREATE ROLE atk_writer LOGIN;                          -- a system's loader
CREATE ROLE atk_dpo LOGIN;                             -- the data protection officer
CREATE SCHEMA atk;
GRANT USAGE ON SCHEMA atk TO PUBLIC;
CREATE TABLE atk.child (id int PRIMARY KEY, given_name text, date_of_birth date, postcode text,
                        nhs_number text, system text);
INSERT INTO atk.child
SELECT i, 'child ' || i, date '2026-01-01' - i * 20, 'HA9 ' || (i % 9) || 'AB',
       (9434765000 + i)::text, CASE WHEN i % 2 = 0 THEN 'schools' ELSE 'social_care' END
  FROM generate_series(1, 400) i;
ALTER TABLE atk.child OWNER TO atk_owner;
-- a partitioned table and an inheritance tree
CREATE TABLE atk.event (id int, system text, detail text) PARTITION BY LIST (system);
CREATE TABLE atk.event_schools PARTITION OF atk.event FOR VALUES IN ('schools');
CREATE TABLE atk.event_social PARTITION OF atk.event FOR VALUES IN ('social_care');
INSERT INTO atk.event SELECT i, CASE WHEN i % 2 = 0 THEN 'schools' ELSE 'social_care' END, 'secret ' || i
  FROM generate_series(1, 50) i;
CREATE TABLE atk.note (id int, body text);
CREATE TABLE atk.note_extra (extra text) INHERITS (atk.note);
INSERT INTO atk.note_extra VALUES (1, 'secret note', 'x');
ALTER TABLE atk.event OWNER TO atk_owner;
ALTER TABLE atk.event_schools OWNER TO atk_owner;
ALTER TABLE atk.event_social OWNER TO atk_owner;
ALTER TABLE atk.note OWNER TO atk_owner;
ALTER TABLE atk.note_extra OWNER TO atk_owner;
-- something to leak into
CREATE TABLE atk.leaked (v text);
GRANT INSERT, SELECT ON atk.leaked TO PUBLIC;
CREATE FUNCTION atk.leak(text) RETURNS boolean LANGUAGE plpgsql COST 0.0000001 AS
$$ BEGIN RAISE NOTICE 'leak %', $1; INSERT INTO atk.leaked VALUES ($1); RETURN true; END $$;

-- a loader's grants from before the table was protected: protect() revokes every
-- privilege but the owner's (TRUNCATE, which row level security does not cover, included)
GRANT ALL ON atk.child TO atk_writer;
SELECT brent_mdm.protect('atk.child', 'id');
SELECT brent_mdm.protect('atk.event');
SELECT brent_mdm.protect('atk.note');
SELECT brent_mdm.register_dpia('atk_ey', 'Early years', 'Support for under fives', 'public_task',
                               'Brent', 'Head of Early Years', 'substantial_public_interest');
SELECT brent_mdm.set_table_scope('atk_ey', 'atk.child', 'read',
                                 $$date_of_birth > date '2026-01-01' - interval '5 years'$$);
SELECT brent_mdm.set_column_scope('atk_ey', 'atk.child', 'id');
SELECT brent_mdm.set_column_scope('atk_ey', 'atk.child', 'given_name');
SELECT brent_mdm.set_column_scope('atk_ey', 'atk.child', 'date_of_birth', 'year');
SELECT brent_mdm.set_column_scope('atk_ey', 'atk.child', 'postcode', 'sector');
SELECT brent_mdm.set_column_scope('atk_ey', 'atk.child', 'nhs_number', 'pseudonym');
SELECT brent_mdm.approve_dpia('atk_ey', 'DPO', now() + interval '1 year');
SELECT brent_mdm.grant_purpose('atk_ey', 'atk_team');
SELECT brent_mdm.register_dpia('atk_sc', 'School census', 'Statutory returns', 'legal_obligation',
                               'Brent', 'Head of Education');
SELECT brent_mdm.set_table_scope('atk_sc', 'atk.child', 'write', $$system = 'schools'$$);
SELECT brent_mdm.set_column_scope('atk_sc', 'atk.child', 'id');
SELECT brent_mdm.set_column_scope('atk_sc', 'atk.child', 'nhs_number', 'pseudonym');
SELECT brent_mdm.set_table_scope('atk_sc', 'atk.event', 'read', $$system = 'schools'$$);
SELECT brent_mdm.approve_dpia('atk_sc', 'DPO', now() + interval '1 year');
SELECT brent_mdm.grant_purpose('atk_sc', 'atk_writer');
SELECT brent_mdm.register_dpia('atk_draft', 'Draft', 'Not yet assessed', 'public_task', 'Brent', 'x');
SELECT brent_mdm.set_table_scope('atk_draft', 'atk.child');
SELECT brent_mdm.grant_purpose('atk_draft', 'atk_alice');
SELECT brent_mdm.register_dpia('atk_short', 'Short', 'Expires in a moment', 'public_task', 'Brent', 'x');
SELECT brent_mdm.set_table_scope('atk_short', 'atk.child');
SELECT brent_mdm.grant_purpose('atk_short', 'atk_alice');
GRANT SELECT ON atk.child_masked TO atk_alice, atk_mallory, atk_writer, atk_team;
GRANT SELECT, INSERT, UPDATE, DELETE ON atk.child TO atk_writer;
GRANT SELECT ON atk.event TO atk_writer;
-- a superuser's careless view and function, and an owner's definer function
CREATE VIEW atk.everything AS SELECT * FROM atk.child;
GRANT SELECT ON atk.everything TO atk_mallory, atk_alice;
CREATE FUNCTION atk.count_all() RETURNS bigint LANGUAGE sql SECURITY DEFINER
  AS $$ SELECT count(*) FROM atk.child $$;
CREATE FUNCTION atk.owner_count() RETURNS bigint LANGUAGE sql SECURITY DEFINER
  AS $$ SELECT count(*) FROM atk.child $$;
ALTER FUNCTION atk.owner_count() OWNER TO atk_owner;
CREATE FUNCTION atk.begin_as_superuser(text) RETURNS text LANGUAGE sql SECURITY DEFINER
  AS $$ SELECT brent_mdm.begin_purpose($1) $$;
GRANT EXECUTE ON FUNCTION atk.begin_as_superuser(text) TO atk_mallory;
CREATE FUNCTION atk.begin_as_alice(text) RETURNS text LANGUAGE sql SECURITY DEFINER
  AS $$ SELECT brent_mdm.begin_purpose($1) $$;
ALTER FUNCTION atk.begin_as_alice(text) OWNER TO atk_alice;
ANALYZE atk.child;

-- what the early years and school census purposes legitimately see
SELECT count(*) AS ey_rows FROM atk.child WHERE date_of_birth > date '2026-01-01' - interval '5 years' \gset
SELECT count(*) AS sc_rows FROM atk.child WHERE system = 'schools' \gset
-- an unprotected table, to show what the parallel settings below do to a table without a policy
CREATE TABLE atk.plain AS SELECT i AS id FROM generate_series(1, 400) i;
GRANT SELECT ON atk.plain TO atk_alice;
-- the plan of a query, as the caller sees it (plain EXPLAIN is allowed on protected tables)
CREATE FUNCTION atk.plan_of(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE line text; plan text := '';
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP plan := plan || line || E'\n'; END LOOP;
  RETURN plan;
END $$;
-- true when evaluated in another backend than the leader's (a parallel worker); declared
-- PARALLEL SAFE so that it runs wherever the rows are read
CREATE FUNCTION atk.in_worker(leader int) RETURNS boolean LANGUAGE plpgsql PARALLEL SAFE
  AS $$ BEGIN RETURN pg_backend_pid() <> leader; END $$;

SELECT plan(76);

-- ---- identity: SET ROLE, SET SESSION AUTHORIZATION, SECURITY DEFINER ----
\set LAST_ERROR_SQLSTATE none
SET SESSION AUTHORIZATION atk_mallory;
SELECT brent_mdm.begin_purpose('atk_ey');
RESET SESSION AUTHORIZATION;
SELECT is(:'LAST_ERROR_SQLSTATE'::text, '42501', 'a NOINHERIT member of a granted role has no purpose of her own');

\set LAST_ERROR_SQLSTATE none
SET SESSION AUTHORIZATION atk_mallory;
SET ROLE atk_alice;
SELECT brent_mdm.begin_purpose('atk_ey');
RESET ROLE;
RESET SESSION AUTHORIZATION;
SELECT is(:'LAST_ERROR_SQLSTATE'::text, '42501', 'SET ROLE to a granted role does not let a purpose begin');

SELECT brent_mdm.begin_purpose('atk_ey');
SET SESSION AUTHORIZATION atk_alice;
\unset n
SELECT count(*) AS n FROM atk.child_masked \gset
RESET SESSION AUTHORIZATION;
SELECT brent_mdm.end_purpose();
SELECT is(:n::bigint, 0::bigint, 'SET SESSION AUTHORIZATION to a granted role does not carry the purpose begun before it');

SET SESSION AUTHORIZATION atk_alice;
SELECT brent_mdm.begin_purpose('atk_ey');
SET SESSION AUTHORIZATION atk_mallory;
\unset n
SELECT count(*) AS n FROM atk.child_masked \gset
RESET SESSION AUTHORIZATION;
SELECT brent_mdm.end_purpose();
SELECT is(:n::bigint, 0::bigint, 'a purpose begun by alice is worthless once the session is someone else''s');

SET SESSION AUTHORIZATION atk_mallory;
SET ROLE atk_alice;
\unset n
SELECT count(*) AS n FROM atk.child_masked \gset
RESET ROLE;
RESET SESSION AUTHORIZATION;
SELECT is(:n::bigint, 0::bigint, 'SET ROLE to a granted role reads nothing without a purpose');

SET SESSION AUTHORIZATION atk_alice;
SELECT brent_mdm.begin_purpose('atk_ey');
SET ROLE atk_team;
\unset n
SELECT count(*) AS n FROM atk.child_masked \gset
RESET ROLE;
SELECT brent_mdm.end_purpose();
RESET SESSION AUTHORIZATION;
SELECT is(:n::bigint, 0::bigint, 'a purpose does not follow its role through SET ROLE');

\set LAST_ERROR_SQLSTATE none
SET SESSION AUTHORIZATION atk_mallory;
SELECT atk.begin_as_superuser('atk_ey');
RESET SESSION AUTHORIZATION;
SELECT is(:'LAST_ERROR_SQLSTATE'::text, '42501', 'begin_purpose in a superuser''s SECURITY DEFINER function is refused');

\set LAST_ERROR_SQLSTATE none
SET SESSION AUTHORIZATION atk_mallory;
SELECT atk.begin_as_alice('atk_ey');
RESET SESSION AUTHORIZATION;
SELECT is(:'LAST_ERROR_SQLSTATE'::text, '42501', 'begin_purpose in a granted role''s SECURITY DEFINER function is refused');

-- ---- forging the purpose ----
SET SESSION AUTHORIZATION atk_mallory;
SELECT set_config('brent_mdm.purpose', 'atk_ey', false);
\unset n
\unset none
SELECT count(*) AS n, brent_mdm.current_purpose() IS NULL AS none FROM atk.child_masked \gset
RESET SESSION AUTHORIZATION;
SELECT ok(:n = 0 AND :'none' = 't', 'set_config of a purpose-like GUC forges nothing');

SET SESSION AUTHORIZATION atk_mallory;
SET brent_mdm.active_dpia = 'atk_ey';
SET brent_mdm.current_purpose = 'atk_ey';
\unset n
SELECT count(*) AS n FROM atk.child_masked \gset
RESET SESSION AUTHORIZATION;
SELECT is(:n::bigint, 0::bigint, 'custom GUCs named like the purpose forge nothing');

\set LAST_ERROR_SQLSTATE none
SET SESSION AUTHORIZATION atk_mallory;
UPDATE brent_mdm.dpia SET status = 'approved';
RESET SESSION AUTHORIZATION;
SELECT is(:'LAST_ERROR_SQLSTATE'::text, '42501', 'the registry cannot be written directly');

\set LAST_ERROR_SQLSTATE none
SET SESSION AUTHORIZATION atk_mallory;
SELECT brent_mdm.grant_purpose('atk_ey', 'atk_mallory');
RESET SESSION AUTHORIZATION;
SELECT is(:'LAST_ERROR_SQLSTATE'::text, '42501', 'an analyst cannot grant herself a purpose');

\set LAST_ERROR_SQLSTATE none
SET SESSION AUTHORIZATION atk_alice;
SELECT brent_mdm.begin_purpose('atk_draft');
RESET SESSION AUTHORIZATION;
SELECT is(:'LAST_ERROR_SQLSTATE'::text, '42501', 'a draft DPIA cannot be acted under');

-- ---- the legitimate view, and what it keeps back ----
SET SESSION AUTHORIZATION atk_alice;
\unset n
SELECT count(*) AS n FROM atk.child_masked \gset
RESET SESSION AUTHORIZATION;
SELECT is(:n::bigint, 0::bigint, 'no purpose, no rows');

SET SESSION AUTHORIZATION atk_alice;
SELECT brent_mdm.begin_purpose('atk_ey');
\unset clear_nhs
\unset n
\unset systems
\unset years
SELECT count(*) AS n, count(DISTINCT date_of_birth) AS years,
       count(*) FILTER (WHERE nhs_number LIKE '94347%') AS clear_nhs,
       count(system) AS systems
  FROM atk.child_masked \gset
RESET SESSION AUTHORIZATION;
SELECT is(:n::bigint, :ey_rows::bigint, 'under the purpose: exactly the rows of its row scope');
SELECT ok(:years <= 6 AND :clear_nhs = 0 AND :systems = 0,
          'under the purpose: dates generalised to years, NHS numbers pseudonymised, other columns redacted');

-- leaky functions in WHERE see only masked values of visible rows
DELETE FROM atk.leaked;
SET SESSION AUTHORIZATION atk_alice;
SELECT count(*) FROM atk.child_masked WHERE atk.leak(nhs_number);
RESET SESSION AUTHORIZATION;
SELECT is((SELECT count(*) FROM atk.leaked), :ey_rows::bigint,
          'a leaky function in WHERE is called only on the rows the purpose may see');
SELECT is_empty($$SELECT v FROM atk.leaked WHERE v !~ '^[0-9a-f]{16}$'$$,
                'a leaky function in WHERE sees pseudonyms, never NHS numbers');

-- counting through aggregates on masked columns
SET SESSION AUTHORIZATION atk_alice;
\unset exact
\unset by_system
\unset exact
\unset by_nhs
\unset by_system
\unset exact
SELECT count(*) AS exact FROM atk.child_masked WHERE date_of_birth = date '2026-01-01' - 2 * 20 \gset
SELECT count(*) AS by_system FROM atk.child_masked WHERE system = 'schools' \gset
SELECT count(*) AS by_nhs FROM atk.child_masked WHERE nhs_number = '9434765002' \gset
RESET SESSION AUTHORIZATION;
SELECT ok(:exact = 0 AND :by_system = 0 AND :by_nhs = 0,
          'filters and counts on masked columns find nothing of the clear values');

-- error side channels: hidden rows are never evaluated by the user's expressions
\set LAST_ERROR_SQLSTATE none
SET SESSION AUTHORIZATION atk_alice;
SELECT count(*) FROM atk.child_masked WHERE 1 / (CASE WHEN given_name = 'child 300' THEN 0 ELSE 1 END) = 1;
RESET SESSION AUTHORIZATION;
SELECT is(:'LAST_ERROR_SQLSTATE'::text, 'none', 'division by zero on a hidden row cannot be provoked');
SET SESSION AUTHORIZATION atk_alice;
SELECT brent_mdm.end_purpose();
RESET SESSION AUTHORIZATION;

\set LAST_ERROR_SQLSTATE none
SET SESSION AUTHORIZATION atk_writer;
SELECT brent_mdm.begin_purpose('atk_sc');
SELECT count(*) FROM atk.child WHERE (CASE WHEN system = 'social_care' THEN nhs_number::int ELSE 0 END) = 0;
RESET SESSION AUTHORIZATION;
SELECT is(:'LAST_ERROR_SQLSTATE'::text, 'none', 'a cast error on a hidden row''s value cannot be provoked');

DELETE FROM atk.leaked;
SET SESSION AUTHORIZATION atk_writer;
SELECT count(*) FROM atk.child WHERE atk.leak(system || ' ' || nhs_number);
RESET SESSION AUTHORIZATION;
SELECT is_empty($$SELECT v FROM atk.leaked WHERE v NOT LIKE 'schools %'$$,
                'on the table itself, a leaky function never sees rows outside the row scope');

-- pseudonyms cannot be joined across DPIAs
SET SESSION AUTHORIZATION atk_writer;
\unset p_sc
SELECT nhs_number AS p_sc FROM atk.child_masked WHERE id = 2 \gset
SELECT brent_mdm.end_purpose();
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION atk_alice;
SELECT brent_mdm.begin_purpose('atk_ey');
\unset p_ey
SELECT nhs_number AS p_ey FROM atk.child_masked WHERE id = 2 \gset
SELECT brent_mdm.end_purpose();
RESET SESSION AUTHORIZATION;
SELECT ok(:'p_sc' <> :'p_ey' AND length(:'p_sc') = 16, 'the same person has different pseudonyms under two DPIAs');

-- ---- plans and statistics ----
\set LAST_ERROR_SQLSTATE none
SET SESSION AUTHORIZATION atk_alice;
EXPLAIN ANALYZE SELECT * FROM atk.child_masked;
RESET SESSION AUTHORIZATION;
SELECT is(:'LAST_ERROR_SQLSTATE'::text, '42501', 'EXPLAIN ANALYZE (row counts of hidden rows) is refused');

\set LAST_ERROR_SQLSTATE none
SET SESSION AUTHORIZATION atk_alice;
EXPLAIN (ANALYZE, TIMING OFF, SUMMARY OFF) SELECT count(*) FROM atk.child_masked;
RESET SESSION AUTHORIZATION;
SELECT is(:'LAST_ERROR_SQLSTATE'::text, '42501', 'EXPLAIN ANALYZE without timing is refused too');

SET SESSION AUTHORIZATION atk_writer;
\unset n
SELECT count(*) AS n FROM pg_stats WHERE schemaname = 'atk' AND tablename = 'child' \gset
RESET SESSION AUTHORIZATION;
SELECT is(:n::bigint, 0::bigint, 'pg_stats shows no statistics of a protected table, even to a role with SELECT on it');

\set LAST_ERROR_SQLSTATE none
SET SESSION AUTHORIZATION atk_alice;
SELECT stavalues1 FROM pg_statistic WHERE starelid = 'atk.child'::regclass;
RESET SESSION AUTHORIZATION;
SELECT is(:'LAST_ERROR_SQLSTATE'::text, '42501', 'pg_statistic is out of reach');

-- ---- privileged views and functions ----
\set LAST_ERROR_SQLSTATE none
SET SESSION AUTHORIZATION atk_mallory;
SELECT count(*) FROM atk.everything;
RESET SESSION AUTHORIZATION;
SELECT is(:'LAST_ERROR_SQLSTATE'::text, '42501', 'a superuser''s view over a protected table is refused');

\set LAST_ERROR_SQLSTATE none
SET SESSION AUTHORIZATION atk_mallory;
SELECT atk.count_all();
RESET SESSION AUTHORIZATION;
SELECT is(:'LAST_ERROR_SQLSTATE'::text, '42501', 'a superuser''s SECURITY DEFINER function over a protected table is refused');

SET SESSION AUTHORIZATION atk_alice;
SELECT brent_mdm.begin_purpose('atk_ey');
\set n none
\set LAST_ERROR_SQLSTATE none
SELECT atk.owner_count() AS n \gset
SELECT brent_mdm.end_purpose();
RESET SESSION AUTHORIZATION;
SELECT ok(:'LAST_ERROR_SQLSTATE' = '42501' AND :'n' = 'none',
          'the owner''s SECURITY DEFINER function (the table read without its masking view) is refused, even for a session under a purpose');

-- ---- the table itself: owner, COPY, pg_dump, writes ----
SET ROLE atk_owner;
\unset n
SELECT count(*) AS n FROM atk.child \gset
RESET ROLE;
SELECT is(:n::bigint, 0::bigint, 'the table owner reads nothing without a purpose (FORCE ROW LEVEL SECURITY)');

-- COPY TO by the loader, who holds SELECT on the table: only the policy stands between
-- it and the rows (the rows are counted, not printed)
\set LAST_ERROR_SQLSTATE none
SET SESSION AUTHORIZATION atk_writer;
COPY atk.child TO STDOUT \g /dev/null
\set copy_none :ROW_COUNT
SELECT brent_mdm.begin_purpose('atk_sc');
COPY atk.child TO STDOUT \g /dev/null
\set copy_sc :ROW_COUNT
SELECT brent_mdm.end_purpose();
RESET SESSION AUTHORIZATION;
SELECT ok(:'LAST_ERROR_SQLSTATE' = 'none' AND :copy_none = 0 AND :copy_sc = :sc_rows,
          'COPY TO by a role holding SELECT on the table: no row without a purpose, only the row scope under one');

\set LAST_ERROR_SQLSTATE none
SET SESSION AUTHORIZATION atk_writer;
SET row_security = off;
COPY atk.child TO STDOUT;
RESET row_security;
RESET SESSION AUTHORIZATION;
SELECT is(:'LAST_ERROR_SQLSTATE'::text, '42501', 'pg_dump''s way (row_security off, COPY) fails for a non-superuser');

\set LAST_ERROR_SQLSTATE none
SET SESSION AUTHORIZATION atk_alice;
SET row_security = off;
SELECT count(*) FROM atk.child_masked;
RESET row_security;
RESET SESSION AUTHORIZATION;
SELECT is(:'LAST_ERROR_SQLSTATE'::text, '42501', 'row_security off through the masking view fails too');

SET SESSION AUTHORIZATION atk_writer;
SELECT brent_mdm.begin_purpose('atk_sc');
RESET SESSION AUTHORIZATION;
-- (in a transaction rolled back: were it allowed, the rows would come back for the tests below)
\set LAST_ERROR_SQLSTATE none
BEGIN;
SET SESSION AUTHORIZATION atk_writer;
TRUNCATE atk.child;
ROLLBACK;
RESET SESSION AUTHORIZATION;
SELECT is(:'LAST_ERROR_SQLSTATE'::text, '42501',
          'TRUNCATE is refused to a loader granted it before protect() (protect revokes it; RLS does not cover TRUNCATE)');

SET SESSION AUTHORIZATION atk_writer;
\unset n
WITH u AS (UPDATE atk.child SET given_name = 'x' WHERE system = 'social_care' RETURNING 1)
SELECT count(*) AS n FROM u \gset
RESET SESSION AUTHORIZATION;
SELECT is(:n::bigint, 0::bigint, 'UPDATE outside the row scope changes nothing');

SET SESSION AUTHORIZATION atk_writer;
\unset n
WITH d AS (DELETE FROM atk.child WHERE system = 'social_care' RETURNING 1)
SELECT count(*) AS n FROM d \gset
RESET SESSION AUTHORIZATION;
SELECT is(:n::bigint, 0::bigint, 'DELETE outside the row scope removes nothing');

\set LAST_ERROR_SQLSTATE none
SET SESSION AUTHORIZATION atk_writer;
INSERT INTO atk.child VALUES (9001, 'x', '2025-01-01', 'HA9 6AB', '9434765919', 'social_care');
RESET SESSION AUTHORIZATION;
SELECT is(:'LAST_ERROR_SQLSTATE'::text, '42501', 'INSERT outside the row scope is refused');

\set LAST_ERROR_SQLSTATE none
SET SESSION AUTHORIZATION atk_writer;
UPDATE atk.child SET system = 'social_care' WHERE id = 2;
RESET SESSION AUTHORIZATION;
SELECT is(:'LAST_ERROR_SQLSTATE'::text, '42501', 'UPDATE moving a row out of the row scope is refused');

-- ---- partitions and inheritance children ----
GRANT SELECT ON atk.event_social, atk.note_extra TO atk_mallory, atk_writer;  -- a DBA's slip
SET SESSION AUTHORIZATION atk_mallory;
\unset n
SELECT (SELECT count(*) FROM atk.event_social) + (SELECT count(*) FROM atk.note_extra) AS n \gset
RESET SESSION AUTHORIZATION;
SELECT is(:n::bigint, 0::bigint, 'a partition or inheritance child read directly shows nothing');

SET SESSION AUTHORIZATION atk_writer;
\unset n
\unset other
SELECT count(*) AS n, count(*) FILTER (WHERE system <> 'schools') AS other FROM atk.event \gset
RESET SESSION AUTHORIZATION;
SELECT ok(:n = 25 AND :other = 0, 'through the partitioned parent: only the partitions'' in-scope rows');

SET SESSION AUTHORIZATION atk_writer;
\unset n
SELECT count(*) AS n FROM atk.event_social \gset
RESET SESSION AUTHORIZATION;
SELECT is(:n::bigint, 0::bigint, 'the row scope holds on a partition read directly');
SET SESSION AUTHORIZATION atk_writer;
SELECT brent_mdm.end_purpose();
RESET SESSION AUTHORIZATION;

-- ---- parallel query ----
-- Parallelism forced as far as settings go; with the leader not participating, rows
-- under a Gather are all read by workers (atk.in_worker tells).  Whatever plan the
-- protected read gets (a Gather if the gates are parallel safe, none if they are
-- restricted), it must give exactly the purpose's rows, and none without a purpose.
SET SESSION AUTHORIZATION atk_alice;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
SET force_parallel_mode = on;
SELECT pg_backend_pid() AS leader \gset
SELECT brent_mdm.begin_purpose('atk_ey');
\unset plain_gather
\unset gather
SELECT atk.plan_of('SELECT count(*) FROM atk.plain') LIKE '%Gather%' AS plain_gather,
       atk.plan_of('SELECT count(*), count(*) FILTER (WHERE atk.in_worker(1)) FROM atk.child_masked') LIKE '%Gather%' AS gather \gset
\unset n
\unset by_workers
SELECT count(*) AS n, count(*) FILTER (WHERE atk.in_worker(:leader)) AS by_workers FROM atk.child_masked \gset
SELECT brent_mdm.end_purpose();
\unset n0
SELECT count(*) AS n0 FROM atk.child_masked \gset
RESET ALL;
RESET SESSION AUTHORIZATION;
SELECT ok(:'plain_gather' = 't' AND CASE WHEN :'gather' = 't' THEN :by_workers = :n ELSE :by_workers = 0 END,
          'parallel settings give an unprotected table a Gather; the protected read ran as its plan says ('
          || CASE WHEN :'gather' = 't' THEN 'parallel: a Gather, every row read by a worker'
                  ELSE 'serial: no Gather, the gates are not parallel safe' END || ')');
SELECT ok(:n = :ey_rows AND :n0 = 0,
          'under those settings (' || CASE WHEN :'gather' = 't' THEN 'parallel' ELSE 'serial' END
          || ' plan), exactly the rows of the row scope under the purpose, and nothing without a purpose');

-- ---- cursors and prepared statements outliving their purpose ----
\set LAST_ERROR_SQLSTATE none
SET SESSION AUTHORIZATION atk_alice;
SELECT brent_mdm.begin_purpose('atk_ey');
BEGIN;
DECLARE c CURSOR FOR SELECT nhs_number FROM atk.child_masked;
FETCH 1 FROM c;
SELECT brent_mdm.end_purpose();
FETCH 5 FROM c;
ROLLBACK;
RESET SESSION AUTHORIZATION;
SELECT is(:'LAST_ERROR_SQLSTATE'::text, '42501', 'a cursor opened under a purpose cannot be fetched from after end_purpose');

SET SESSION AUTHORIZATION atk_alice;
SELECT brent_mdm.begin_purpose('atk_ey');
PREPARE atk_p AS SELECT count(*) FROM atk.child_masked;
EXECUTE atk_p;
SELECT brent_mdm.end_purpose();
\unset count
EXECUTE atk_p \gset
DEALLOCATE atk_p;
RESET SESSION AUTHORIZATION;
SELECT is(:count::bigint, 0::bigint, 'a prepared statement run after end_purpose reads nothing');

-- ---- a purpose lapsing mid-session ----
-- The expiry date is reached by moving it, not by waiting for it: between two of
-- alice's statements the registry's owner sets expires_at to the present moment.  The
-- DPIA stays 'approved', so only the comparison with the statement's time can stop it.
-- "before" is read in the same way as "after" (alice's session left and resumed), so
-- that nothing but the expiry tells them apart.
SELECT brent_mdm.approve_dpia('atk_short', 'DPO', now() + interval '1 year');
SET SESSION AUTHORIZATION atk_alice;
SELECT brent_mdm.begin_purpose('atk_short');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION atk_alice;
\unset before
SELECT count(*) AS before FROM atk.child_masked \gset
RESET SESSION AUTHORIZATION;
UPDATE brent_mdm.dpia SET expires_at = clock_timestamp() WHERE dpia_id = 'atk_short';
SET SESSION AUTHORIZATION atk_alice;
\unset after
SELECT count(*) AS after FROM atk.child_masked \gset
SELECT brent_mdm.end_purpose();
RESET SESSION AUTHORIZATION;
SELECT ok(:before > 0 AND :after = 0 AND (SELECT status = 'approved' AND expires_at <= now() FROM brent_mdm.dpia WHERE dpia_id = 'atk_short'),
          'a DPIA whose expiry is reached mid-session (still approved) stops access at the next statement');

SET SESSION AUTHORIZATION atk_alice;
SELECT brent_mdm.begin_purpose('atk_ey');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION atk_alice;
\unset before
SELECT count(*) AS before FROM atk.child_masked \gset
RESET SESSION AUTHORIZATION;
SELECT brent_mdm.revoke_purpose('atk_ey', 'atk_team');
SET SESSION AUTHORIZATION atk_alice;
\unset n
SELECT count(*) AS n FROM atk.child_masked \gset
SELECT brent_mdm.end_purpose();
RESET SESSION AUTHORIZATION;
SELECT brent_mdm.grant_purpose('atk_ey', 'atk_team');
SELECT ok(:before = :ey_rows AND :n = 0, 'a grant revoked mid-session stops access at the next statement');

-- (DISCARD ALL, which also drops pgTAP's temporary tables, is tested in sql/policy.sql)

-- ---- the audit trail ----
SELECT brent_mdm.audit_flush();
SELECT count(*) AS audit_before FROM brent_mdm.audit_log
 WHERE role_name = 'atk_alice' AND action = 'select' AND dpia_id = 'atk_ey' \gset
SET SESSION AUTHORIZATION atk_alice;
SELECT brent_mdm.begin_purpose('atk_ey');
BEGIN;
SAVEPOINT s;
SELECT count(*) FROM atk.child_masked;
ROLLBACK TO SAVEPOINT s;
SELECT count(*) FROM atk.child_masked WHERE id < 10;
ROLLBACK;
SELECT brent_mdm.end_purpose();
RESET SESSION AUTHORIZATION;
SELECT brent_mdm.audit_flush();
SELECT is((SELECT count(*) FROM brent_mdm.audit_log WHERE role_name = 'atk_alice'
             AND action = 'select' AND dpia_id = 'atk_ey'),
          (:audit_before + 2)::bigint, 'reads rolled back (ROLLBACK TO SAVEPOINT, ROLLBACK) stay in the audit log');

-- The attacker is the governance team, with what the governance guide has the DBA
-- grant it: SELECT on the audit log, the retention rules and purge().  Its records:
GRANT SELECT ON brent_mdm.audit_log TO atk_dpo;
GRANT EXECUTE ON FUNCTION brent_mdm.set_retention_rule(text, interval, name, text, name[]),
  brent_mdm.purge(boolean) TO atk_dpo;
SET SESSION AUTHORIZATION atk_dpo;
SELECT count(*) AS audit_rows, max(audit_id) AS audit_last, md5(string_agg(l::text, ',' ORDER BY audit_id)) AS audit_md5
  FROM brent_mdm.audit_log l \gset
RESET SESSION AUTHORIZATION;
SELECT is_empty($$SELECT a.grantee::regrole, a.privilege_type
                    FROM pg_class c, aclexplode(c.relacl) a
                   WHERE c.oid = 'brent_mdm.audit_log'::regclass AND a.grantee <> c.relowner
                     AND a.privilege_type <> 'SELECT'$$,
                'nobody but the extension owner holds a privilege to write the audit log (the governance team''s SELECT apart)');

\set LAST_ERROR_SQLSTATE none
SET SESSION AUTHORIZATION atk_dpo;
SELECT brent_mdm.set_retention_rule('brent_mdm.audit_log', interval '1 day', 'logged_at');
SELECT count(*) FROM brent_mdm.purge(false);
RESET SESSION AUTHORIZATION;
SELECT is(:'LAST_ERROR_SQLSTATE'::text, '42939',
          'the governance team cannot have purge() delete audit records: no retention rule on the audit log');

\set LAST_ERROR_SQLSTATE none
SET SESSION AUTHORIZATION atk_dpo;
DELETE FROM brent_mdm.audit_log WHERE session_role = 'atk_dpo';
RESET SESSION AUTHORIZATION;
SELECT is(:'LAST_ERROR_SQLSTATE'::text, '42501', 'a reader of the audit log cannot delete records');

\set LAST_ERROR_SQLSTATE none
SET SESSION AUTHORIZATION atk_dpo;
UPDATE brent_mdm.audit_log SET rows = 0;
RESET SESSION AUTHORIZATION;
SELECT is(:'LAST_ERROR_SQLSTATE'::text, '42501', 'a reader of the audit log cannot alter records');

\set LAST_ERROR_SQLSTATE none
SET SESSION AUTHORIZATION atk_dpo;
INSERT INTO brent_mdm.audit_log (logged_at, action, pid) VALUES (now(), 'select', 1);
RESET SESSION AUTHORIZATION;
SELECT is(:'LAST_ERROR_SQLSTATE'::text, '42501', 'a reader of the audit log cannot forge records');
SELECT is((SELECT count(*) || ' ' || md5(string_agg(l::text, ',' ORDER BY audit_id)) FROM brent_mdm.audit_log l
            WHERE audit_id <= :audit_last),
          :audit_rows || ' ' || :'audit_md5', '... and after those attempts, every audit record is still there, unchanged');

SELECT ok((SELECT count(*) FROM brent_mdm.audit_log WHERE session_role = 'atk_mallory' AND action = 'refused') >= 4,
          'refused attempts are in the audit log');

-- ---- data subjects' rights: objections, subject access, retention ----
-- children 5 and 6 are Client Index clients too; 6 (schools) objects to the early
-- years purpose only, 8 (schools) restricts every purpose
INSERT INTO brent_mdm.client (client_id) VALUES (5), (6), (8) ON CONFLICT DO NOTHING;
SELECT brent_mdm.record_objection(6, 'objection', 'Art. 21', 'atk_ey') AS atk_objection \gset
SELECT brent_mdm.record_objection(8, 'restriction', 'Art. 18') AS atk_restriction \gset
DELETE FROM atk.leaked;

SET SESSION AUTHORIZATION atk_alice;
SELECT brent_mdm.begin_purpose('atk_ey');
\unset n
SELECT count(*) AS n FROM atk.child_masked WHERE id IN (5, 6, 8) \gset
SELECT count(*) FROM atk.child_masked WHERE atk.leak(given_name);
SELECT brent_mdm.end_purpose();
RESET SESSION AUTHORIZATION;
SELECT is(:n::bigint, 1::bigint, 'under the purpose, the rows of persons who objected to it or restricted processing are invisible');
SELECT ok(EXISTS (SELECT FROM atk.leaked WHERE v = 'child 5')
          AND NOT EXISTS (SELECT FROM atk.leaked WHERE v IN ('child 6', 'child 8')),
          'a leaky function in WHERE never sees an objected person''s row');

SET SESSION AUTHORIZATION atk_writer;
SELECT brent_mdm.begin_purpose('atk_sc');
\unset n
SELECT count(*) AS n FROM atk.child WHERE id = 6 \gset
UPDATE atk.child SET given_name = 'changed' WHERE id = 8;
SELECT brent_mdm.end_purpose();
RESET SESSION AUTHORIZATION;
SELECT is(:n::bigint, 1::bigint, 'an objection to one purpose leaves the person visible under another');
SELECT is((SELECT given_name FROM atk.child WHERE id = 8), 'child 8',
          'a restricted person''s row cannot be changed under a purpose');

\set LAST_ERROR_SQLSTATE none
SET SESSION AUTHORIZATION atk_alice;
SELECT count(*) FROM brent_mdm.objection;
RESET SESSION AUTHORIZATION;
SELECT is(:'LAST_ERROR_SQLSTATE'::text, '42501', 'an analyst cannot read the objection register');

\set LAST_ERROR_SQLSTATE none
SET SESSION AUTHORIZATION atk_alice;
UPDATE brent_mdm.objection SET lifted_at = now(), lifted_by = 'atk_alice';
RESET SESSION AUTHORIZATION;
SELECT is(:'LAST_ERROR_SQLSTATE'::text, '42501', 'an analyst cannot lift objections by writing the register');

\set LAST_ERROR_SQLSTATE none
SET SESSION AUTHORIZATION atk_alice;
SELECT brent_mdm.lift_objection(:atk_objection, 'in my way');
RESET SESSION AUTHORIZATION;
SELECT is(:'LAST_ERROR_SQLSTATE'::text, '42501', 'an analyst cannot call lift_objection');

\set LAST_ERROR_SQLSTATE none
SET SESSION AUTHORIZATION atk_alice;
SELECT brent_mdm.set_retention_rule('atk.child', interval '1 day', 'date_of_birth');
RESET SESSION AUTHORIZATION;
SELECT is(:'LAST_ERROR_SQLSTATE'::text, '42501', 'an analyst cannot set retention rules');

\set LAST_ERROR_SQLSTATE none
SET SESSION AUTHORIZATION atk_alice;
SELECT count(*) FROM brent_mdm.retention_rule;
RESET SESSION AUTHORIZATION;
SELECT is(:'LAST_ERROR_SQLSTATE'::text, '42501', 'an analyst cannot read the retention rules');

\set LAST_ERROR_SQLSTATE none
SET SESSION AUTHORIZATION atk_alice;
SELECT * FROM brent_mdm.purge(false);
RESET SESSION AUTHORIZATION;
SELECT is(:'LAST_ERROR_SQLSTATE'::text, '42501', 'an analyst cannot run a purge');

\set LAST_ERROR_SQLSTATE none
SET SESSION AUTHORIZATION atk_alice;
SELECT * FROM brent_mdm.subject_access_report(6);
RESET SESSION AUTHORIZATION;
SELECT is(:'LAST_ERROR_SQLSTATE'::text, '42501', 'an analyst cannot call subject_access_report');

-- the DPO's report reads protected rows; the power ends with the report
GRANT EXECUTE ON FUNCTION brent_mdm.subject_access_report(bigint) TO atk_dpo;
SET SESSION AUTHORIZATION atk_dpo;
BEGIN;
\unset n
SELECT count(*) FILTER (WHERE source = 'atk.child' AND record->>'given_name' = 'child 6')
       + count(*) FILTER (WHERE source = 'objection') AS n
  FROM brent_mdm.subject_access_report(6) \gset
\set LAST_ERROR_SQLSTATE none
SELECT atk.count_all();
ROLLBACK;
RESET SESSION AUTHORIZATION;
SELECT is(:n::bigint, 2::bigint, 'the DPO''s subject access report holds the person''s protected row and objection');
SELECT is(:'LAST_ERROR_SQLSTATE'::text, '42501',
          'after a subject access report (same transaction), a superuser''s SECURITY DEFINER function is refused again');
SELECT brent_mdm.audit_flush();
SELECT ok(EXISTS (SELECT FROM brent_mdm.audit_log WHERE session_role = 'atk_dpo' AND action = 'subject_access'
                     AND table_name = 'atk.child' AND client_ids = '{6}'),
          'the report''s reads are audited as a subject access to that person');
\unset n
SELECT count(*) FILTER (WHERE item LIKE 'possible access (%') AS n
  FROM brent_mdm.subject_access_report(5) \gset
SELECT ok((SELECT clients BETWEEN :ey_rows - 4 AND :ey_rows AND client_ids IS NULL
             FROM brent_mdm.audit_log
            WHERE role_name = 'atk_alice' AND dpia_id = 'atk_ey' AND table_name = 'atk.child'
              AND action = 'select' AND clients > 16 ORDER BY audit_id DESC LIMIT 1)
          AND :n > 0,
          'a bulk read records how many persons it read (not their ids) and is a possible access in their report');

-- retention: a dry run changes nothing, a purge removes only what expired
CREATE TABLE atk.stay (id int PRIMARY KEY, client_id bigint, ended date);
INSERT INTO atk.stay VALUES (1, 5, '2001-01-01'), (2, 6, '2002-01-01'), (3, 8, '2003-01-01'),
                            (4, 5, current_date), (5, 6, current_date - 30);
ALTER TABLE atk.stay OWNER TO atk_owner;
SELECT brent_mdm.protect('atk.stay', 'client_id');
SELECT brent_mdm.set_retention_rule('atk.stay', interval '10 years', 'ended');
\unset n
SELECT rows AS n FROM brent_mdm.purge() WHERE target = 'atk.stay' \gset
SELECT is(:n::bigint || '/' || (SELECT count(*) FROM atk.stay), '3/5', 'a purge dry run reports 3 rows and removes none');
-- the governance role's purge reads protected tables for it, for the purge only
GRANT EXECUTE ON FUNCTION brent_mdm.purge(boolean) TO atk_dpo;
SET SESSION AUTHORIZATION atk_dpo;
BEGIN;
\unset n
SELECT rows AS n FROM brent_mdm.purge() WHERE target = 'atk.stay' \gset
\set LAST_ERROR_SQLSTATE none
SELECT atk.count_all();
ROLLBACK;
RESET SESSION AUTHORIZATION;
SELECT is(:n::bigint, 3::bigint, 'a purge run by the governance role (not a superuser) reads the protected table');
SELECT is(:'LAST_ERROR_SQLSTATE'::text, '42501',
          'after a purge (same transaction), a superuser''s SECURITY DEFINER function is refused again');
SELECT brent_mdm.purge(false);
SELECT is((SELECT array_agg(id ORDER BY id) FROM atk.stay), '{4,5}'::int[], 'a purge removes the expired rows only');
-- a table owner's trigger would run as the superuser who owns purge(): refused
CREATE FUNCTION atk.escalate() RETURNS trigger LANGUAGE plpgsql
  AS $$ BEGIN EXECUTE 'ALTER ROLE atk_owner SUPERUSER'; RETURN OLD; END $$;
ALTER FUNCTION atk.escalate() OWNER TO atk_owner;
CREATE TRIGGER escalate BEFORE DELETE ON atk.stay FOR EACH ROW EXECUTE FUNCTION atk.escalate();
UPDATE atk.stay SET ended = '2001-01-01' WHERE id = 5;
\set LAST_ERROR_SQLSTATE none
SELECT brent_mdm.purge(false);
SELECT ok(:'LAST_ERROR_SQLSTATE' = '42501' AND NOT (SELECT rolsuper FROM pg_roles WHERE rolname = 'atk_owner')
          AND (SELECT count(*) FROM atk.stay) = 2,
          'a purge refuses a table whose trigger would run with a superuser''s rights');
DELETE FROM brent_mdm.retention_rule;
SELECT brent_mdm.lift_objection(:atk_objection, 'test over');
SELECT brent_mdm.lift_objection(:atk_restriction, 'test over');
DELETE FROM brent_mdm.objection WHERE client_id IN (5, 6, 8);

SELECT * FROM finish();

-- ---- clean up ----
DROP SCHEMA atk CASCADE;
DELETE FROM brent_mdm.dpia WHERE dpia_id LIKE 'atk%';
DROP OWNED BY atk_alice, atk_mallory, atk_writer, atk_team, atk_owner, atk_dpo CASCADE;
DROP ROLE atk_alice, atk_mallory, atk_writer, atk_team, atk_owner, atk_dpo;
