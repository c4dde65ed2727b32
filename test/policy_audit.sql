-- pgTAP: the audit's guarantee, in one session: a row delivered to a client
-- under a purpose always has its audit record, whatever ends the statement or
-- the transaction, and names the DPIA it was read under.  Cursors read then
-- rolled back, purposes begun while a statement or cursor is open, cursors
-- over set-returning functions after end_purpose, a statement over 17
-- protected tables, a statement still running when its record is stored,
-- DPIA ids that do not fit.  (A backend that ends itself or is terminated,
-- a full queue, shutdown and crash need other sessions: test/audit.sh.)
-- Needs shared_preload_libraries = 'brent_mdm'.  Fixtures are committed (the
-- audit worker is another session) in schema aud and roles aud_*.
\set ON_ERROR_STOP 0
\set QUIET 1
\pset format unaligned
\pset tuples_only true
\pset pager off
SET client_min_messages = error;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS brent_mdm CASCADE;

-- ---- fixtures (leftovers of an interrupted run first) ----
DROP SCHEMA IF EXISTS aud CASCADE;
DELETE FROM brent_mdm.dpia WHERE dpia_id LIKE 'aud%';
DO $$
DECLARE r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['aud_analyst', 'aud_owner'] LOOP
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = r) THEN
      EXECUTE format('DROP OWNED BY %I CASCADE', r);
      EXECUTE format('DROP ROLE %I', r);
    END IF;
  END LOOP;
END $$;
CREATE ROLE aud_owner NOLOGIN;
CREATE ROLE aud_analyst LOGIN;
CREATE SCHEMA aud;
GRANT USAGE ON SCHEMA aud TO PUBLIC;
CREATE TABLE aud.person (id int PRIMARY KEY, name text);
INSERT INTO aud.person SELECT i, 'person ' || i FROM generate_series(1, 20) i;
ALTER TABLE aud.person OWNER TO aud_owner;
-- seventeen protected tables, for one statement over all of them
DO $$
BEGIN
  FOR i IN 1..17 LOOP
    EXECUTE format('CREATE TABLE aud.t%s (id int)', i);
    EXECUTE format('INSERT INTO aud.t%s VALUES (1)', i);
    EXECUTE format('ALTER TABLE aud.t%s OWNER TO aud_owner', i);
  END LOOP;
END $$;
SELECT brent_mdm.register_dpia('aud_dpia', 'Audit tests', 'Testing the audit', 'public_task', 'Brent', 'DBA');
SELECT brent_mdm.protect('aud.person');
SELECT brent_mdm.set_table_scope('aud_dpia', 'aud.person');
SELECT brent_mdm.set_column_scope('aud_dpia', 'aud.person', 'id');
SELECT brent_mdm.set_column_scope('aud_dpia', 'aud.person', 'name');
SELECT brent_mdm.protect(format('aud.t%s', i)::regclass) FROM generate_series(1, 17) i;
SELECT brent_mdm.set_table_scope('aud_dpia', format('aud.t%s', i)::regclass) FROM generate_series(1, 17) i;
SELECT brent_mdm.set_column_scope('aud_dpia', format('aud.t%s', i)::regclass, 'id') FROM generate_series(1, 17) i;
SELECT brent_mdm.approve_dpia('aud_dpia', 'DPO', now() + interval '1 day');
SELECT brent_mdm.grant_purpose('aud_dpia', 'aud_analyst');
GRANT SELECT ON aud.person_masked TO aud_analyst;
DO $$ BEGIN
  FOR i IN 1..17 LOOP EXECUTE format('GRANT SELECT ON aud.t%s_masked TO aud_analyst', i); END LOOP;
END $$;
-- set-returning functions reading the masking view (not inlined: plpgsql, and a VOLATILE SQL function)
CREATE FUNCTION aud.people_plpgsql() RETURNS SETOF aud.person_masked LANGUAGE plpgsql
  AS $$ BEGIN RETURN QUERY SELECT * FROM aud.person_masked ORDER BY id; END $$;
CREATE FUNCTION aud.people_sql() RETURNS SETOF aud.person_masked LANGUAGE sql VOLATILE
  AS $$ SELECT * FROM aud.person_masked ORDER BY id $$;
-- a report that begins its purpose, reads and ends it, called from one SELECT
CREATE FUNCTION aud.report() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
  PERFORM brent_mdm.begin_purpose('aud_dpia');
  SELECT count(*) INTO n FROM aud.person_masked;
  PERFORM brent_mdm.end_purpose();
  RETURN n;
END $$;
-- the audit records of the analyst on a table since a mark
CREATE FUNCTION aud.records(t text, since bigint) RETURNS SETOF brent_mdm.audit_log LANGUAGE sql
  AS $$ SELECT * FROM brent_mdm.audit_log WHERE role_name = 'aud_analyst' AND table_name = t
          AND audit_id > since ORDER BY audit_id $$;
CREATE FUNCTION aud.mark() RETURNS bigint LANGUAGE sql
  AS $$ SELECT brent_mdm.audit_flush(60000); SELECT coalesce(max(audit_id), 0) FROM brent_mdm.audit_log $$;

SELECT plan(29);

-- ---- a cursor read, then ROLLBACK ----
SELECT aud.mark() AS m \gset
SET SESSION AUTHORIZATION aud_analyst;
SELECT brent_mdm.begin_purpose('aud_dpia');
BEGIN;
DECLARE c CURSOR FOR SELECT * FROM aud.person_masked ORDER BY id;
FETCH 2 FROM c;
FETCH 3 FROM c;
ROLLBACK;
SELECT brent_mdm.end_purpose();
RESET SESSION AUTHORIZATION;
SELECT aud.mark() AS m2 \gset
SELECT results_eq(format($$SELECT action, dpia_id, rows, detail FROM aud.records('aud.person', %s)$$, :m),
                  $$VALUES ('select'::text, 'aud_dpia'::text, 5::bigint, 'rolled back'::text)$$,
                  'a cursor read then rolled back has its record: the DPIA, the rows of every fetch');

-- ... in a savepoint rolled back, and in a savepoint released, then ROLLBACK
SET SESSION AUTHORIZATION aud_analyst;
SELECT brent_mdm.begin_purpose('aud_dpia');
BEGIN;
SAVEPOINT a;
DECLARE c1 CURSOR FOR SELECT * FROM aud.person_masked;
FETCH 4 FROM c1;
ROLLBACK TO SAVEPOINT a;
SAVEPOINT b;
DECLARE c2 CURSOR FOR SELECT * FROM aud.person_masked;
FETCH 6 FROM c2;
RELEASE SAVEPOINT b;
ROLLBACK;
SELECT brent_mdm.end_purpose();
RESET SESSION AUTHORIZATION;
SELECT aud.mark() AS m3 \gset
SELECT results_eq(format($$SELECT rows, detail FROM aud.records('aud.person', %s)$$, :m2),
                  $$VALUES (4::bigint, 'rolled back'::text), (6::bigint, 'rolled back'::text)$$,
                  'cursors rolled back with their savepoint, or after it was released, have their records');

-- ---- rows of a cursor: every fetch counts ----
SET SESSION AUTHORIZATION aud_analyst;
SELECT brent_mdm.begin_purpose('aud_dpia');
BEGIN;
DECLARE c CURSOR FOR SELECT * FROM aud.person_masked;
FETCH 2 FROM c;
FETCH 5 FROM c;
CLOSE c;
COMMIT;
SELECT brent_mdm.end_purpose();
RESET SESSION AUTHORIZATION;
SELECT aud.mark() AS m4 \gset
SELECT results_eq(format($$SELECT rows, detail FROM aud.records('aud.person', %s)$$, :m3),
                  $$VALUES (7::bigint, NULL::text)$$,
                  'a cursor''s record counts the rows of all its fetches');

-- ---- a cursor opened before begin_purpose ----
\set LAST_ERROR_SQLSTATE none
\set n none
SET SESSION AUTHORIZATION aud_analyst;
BEGIN;
DECLARE c CURSOR FOR SELECT count(*) AS n FROM aud.person_masked;
SELECT brent_mdm.begin_purpose('aud_dpia');
FETCH 1 FROM c \gset
ROLLBACK;
SELECT brent_mdm.end_purpose();
RESET SESSION AUTHORIZATION;
SELECT is(:'LAST_ERROR_SQLSTATE'::text, '42501', 'a cursor opened before begin_purpose cannot be fetched from under it');
SELECT is(:'n'::text, 'none', '... and returned nothing read under the purpose');
SELECT aud.mark() AS m5 \gset
SELECT ok(EXISTS (SELECT FROM brent_mdm.audit_log WHERE audit_id > :m4 AND session_role = 'aud_analyst'
                     AND action = 'refused' AND detail = 'portal started before its purpose'),
          '... and the attempt is audited');
SELECT results_eq(format($$SELECT dpia_id, rows FROM aud.records('aud.person', %s)$$, :m4),
                  $$VALUES (NULL::text, 0::bigint)$$,
                  '... and its record says it read nothing');

-- ---- a purpose begun or ended inside a statement on a protected table ----
\set LAST_ERROR_SQLSTATE none
\set n none
SET SESSION AUTHORIZATION aud_analyst;
SELECT count(*) AS n FROM aud.person_masked WHERE (SELECT brent_mdm.begin_purpose('aud_dpia')) IS NOT NULL \gset
SELECT coalesce(brent_mdm.current_purpose(), '') AS after_subquery \gset
RESET SESSION AUTHORIZATION;
SELECT is(:'LAST_ERROR_SQLSTATE'::text, '55000', 'a purpose cannot begin in a subquery of a statement on a protected table');
SELECT ok(:'n' = 'none' AND :'after_subquery' = '', '... which returns nothing and leaves no purpose');

\set LAST_ERROR_SQLSTATE none
\set n none
SET SESSION AUTHORIZATION aud_analyst;
SELECT brent_mdm.begin_purpose('aud_dpia') AS b, (SELECT count(*) FROM aud.person_masked) AS n \gset
SELECT coalesce(brent_mdm.current_purpose(), '') AS after_target \gset
RESET SESSION AUTHORIZATION;
SELECT is(:'LAST_ERROR_SQLSTATE'::text, '55000', '... nor in the target list of one');
SELECT ok(:'n' = 'none' AND :'after_target' = '', '... which returns nothing and leaves no purpose');

\set LAST_ERROR_SQLSTATE none
SET SESSION AUTHORIZATION aud_analyst;
SELECT brent_mdm.begin_purpose('aud_dpia');
SELECT count(*), brent_mdm.end_purpose() FROM aud.person_masked;
SELECT coalesce(brent_mdm.current_purpose(), '') AS still \gset
SELECT brent_mdm.end_purpose();
RESET SESSION AUTHORIZATION;
SELECT is(:'LAST_ERROR_SQLSTATE'::text, '55000', 'a purpose cannot end inside a statement on a protected table');
SELECT is(:'still'::text, 'aud_dpia', '... the purpose goes on');

SELECT aud.mark() AS m6 \gset
SET SESSION AUTHORIZATION aud_analyst;
SELECT aud.report() AS report \gset
RESET SESSION AUTHORIZATION;
SELECT is(:'report'::text, '20', 'a function may begin a purpose, read and end it (each in a statement of its own)');
SELECT aud.mark() AS m7 \gset
SELECT results_eq(format($$SELECT action, dpia_id, rows FROM aud.records('aud.person', %s)$$, :m6),
                  $$VALUES ('select'::text, 'aud_dpia'::text, 1::bigint)$$,
                  '... and its read is audited under the purpose');

-- ---- cursors over set-returning functions that read a masking view ----
\set LAST_ERROR_SQLSTATE none
\set id none
SET SESSION AUTHORIZATION aud_analyst;
SELECT brent_mdm.begin_purpose('aud_dpia');
BEGIN;
DECLARE c CURSOR FOR SELECT * FROM aud.people_plpgsql();
FETCH 1 FROM c;
SELECT brent_mdm.end_purpose();
FETCH 1 FROM c \gset
ROLLBACK;
RESET SESSION AUTHORIZATION;
SELECT is(:'LAST_ERROR_SQLSTATE'::text, '42501', 'a cursor over a plpgsql set-returning function stops at end_purpose');
SELECT is(:'id'::text, 'none', '... and returns nothing after it');

\set LAST_ERROR_SQLSTATE none
\set id none
SET SESSION AUTHORIZATION aud_analyst;
SELECT brent_mdm.begin_purpose('aud_dpia');
BEGIN;
DECLARE c CURSOR FOR SELECT * FROM aud.people_sql();
FETCH 1 FROM c;
SELECT brent_mdm.end_purpose();
FETCH 1 FROM c \gset
ROLLBACK;
RESET SESSION AUTHORIZATION;
SELECT is(:'LAST_ERROR_SQLSTATE'::text, '42501', 'a cursor over a SQL set-returning function stops at end_purpose');
SELECT is(:'id'::text, 'none', '... and returns nothing after it');

\set LAST_ERROR_SQLSTATE none
\set p none
SET SESSION AUTHORIZATION aud_analyst;
SELECT brent_mdm.begin_purpose('aud_dpia');
BEGIN;
DECLARE c CURSOR FOR SELECT aud.people_sql() AS p;
FETCH 1 FROM c;
SELECT brent_mdm.end_purpose();
FETCH 1 FROM c \gset
ROLLBACK;
RESET SESSION AUTHORIZATION;
SELECT is(:'LAST_ERROR_SQLSTATE'::text, '42501', 'a cursor over a set-returning function in the target list stops at end_purpose');
SELECT is(:'p'::text, 'none', '... and returns nothing after it');

-- a cursor over such a function fetched under its purpose works, and its read is audited under it
\set n none
SELECT aud.mark() AS m8 \gset
SET SESSION AUTHORIZATION aud_analyst;
SELECT brent_mdm.begin_purpose('aud_dpia');
BEGIN;
DECLARE c CURSOR FOR SELECT count(*) AS n FROM aud.people_plpgsql();
FETCH 1 FROM c \gset
COMMIT;
SELECT brent_mdm.end_purpose();
RESET SESSION AUTHORIZATION;
SELECT is(:'n'::text, '20', 'a cursor over a set-returning function reads under its purpose');
SELECT aud.mark() AS m9 \gset
SELECT results_eq(format($$SELECT dpia_id, rows FROM aud.records('aud.person', %s)$$, :m8),
                  $$VALUES ('aud_dpia'::text, 20::bigint)$$, '... audited under it');

-- ---- one statement over 17 protected tables ----
SET SESSION AUTHORIZATION aud_analyst;
SELECT brent_mdm.begin_purpose('aud_dpia');
SELECT count(*) FROM aud.t1_masked, aud.t2_masked, aud.t3_masked, aud.t4_masked, aud.t5_masked,
  aud.t6_masked, aud.t7_masked, aud.t8_masked, aud.t9_masked, aud.t10_masked, aud.t11_masked,
  aud.t12_masked, aud.t13_masked, aud.t14_masked, aud.t15_masked, aud.t16_masked, aud.t17_masked;
SELECT brent_mdm.end_purpose();
RESET SESSION AUTHORIZATION;
SELECT aud.mark() AS m10 \gset
SELECT is((SELECT count(DISTINCT table_name) FROM brent_mdm.audit_log
            WHERE audit_id > :m9 AND role_name = 'aud_analyst' AND table_name LIKE 'aud.t%'
              AND dpia_id = 'aud_dpia' AND action = 'select'),
          17::bigint, 'one statement over 17 protected tables is audited for all 17');

-- ---- a statement whose record is stored before it ends ----
SET SESSION AUTHORIZATION aud_analyst;
SELECT brent_mdm.begin_purpose('aud_dpia');
BEGIN;
DECLARE c CURSOR FOR SELECT * FROM aud.person_masked;
FETCH 3 FROM c;
-- (audit_flush stores records at once, open ones included)
SELECT brent_mdm.audit_flush(60000);
RESET SESSION AUTHORIZATION;
SELECT rows IS NULL AS open_rows_null, detail AS open_detail, audit_id AS open_id
  FROM aud.records('aud.person', :m10) \gset
SET SESSION AUTHORIZATION aud_analyst;
FETCH 2 FROM c;
COMMIT;
SELECT brent_mdm.end_purpose();
RESET SESSION AUTHORIZATION;
SELECT aud.mark() AS m11 \gset
SELECT ok(:'open_rows_null' AND :'open_detail' = 'end not recorded',
          'a statement still running when its record is stored: rows NULL, "end not recorded"');
SELECT results_eq(format($$SELECT audit_id, rows, detail FROM aud.records('aud.person', %s)$$, :m10),
                  format($$VALUES (%s::bigint, 5::bigint, NULL::text)$$, :open_id),
                  '... and its end completes that very record');

-- ---- DPIA ids and details that do not fit a record ----
\set LAST_ERROR_SQLSTATE none
SET SESSION AUTHORIZATION aud_analyst;
SELECT brent_mdm.begin_purpose(repeat('é', 40));
RESET SESSION AUTHORIZATION;
SELECT is(:'LAST_ERROR_SQLSTATE'::text, '42704', 'a DPIA id too long to exist is refused as unknown');
SELECT aud.mark() AS m12 \gset
SELECT CASE WHEN getdatabaseencoding() = 'UTF8' THEN
         is((SELECT dpia_id FROM brent_mdm.audit_log WHERE audit_id > :m11 AND session_role = 'aud_analyst'
               AND action = 'refused'),
            repeat('é', 31), '... and audited with the id cut at a character boundary')
       ELSE skip('the database encoding is not UTF8', 1) END;
SELECT lives_ok(format($$SELECT convert_from(convert_to(dpia_id || detail, 'UTF8'), 'UTF8')
                          FROM brent_mdm.audit_log WHERE audit_id > %s$$, :m11),
                '... every string of its record is valid in the database encoding');

SELECT * FROM finish();

-- ---- clean up ----
DROP SCHEMA aud CASCADE;
DELETE FROM brent_mdm.dpia WHERE dpia_id LIKE 'aud%';
DROP OWNED BY aud_analyst, aud_owner CASCADE;
DROP ROLE aud_analyst, aud_owner;
