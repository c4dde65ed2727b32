
-- ---- policy: DPIA registry, purposes, protected tables, masking, audit ----
--
-- The registry tables are owned by the extension owner and written only by the
-- functions below (SECURITY DEFINER, validating, each change logged in
-- dpia_change).  The purpose state lives in C (src/policy/dpia.c); the gate of
-- every policy is brent_mdm.purpose_is(dpia), a C function without column
-- arguments, planned as a one-time filter.  See docs/security.md.

CREATE TABLE brent_mdm.dpia (
  dpia_id       text PRIMARY KEY CHECK (dpia_id ~ '^[a-z][a-z0-9_]{0,47}$'),
  title         text NOT NULL CHECK (title <> ''),
  purpose       text NOT NULL CHECK (purpose <> ''),
  lawful_basis  text NOT NULL CHECK (lawful_basis IN ('consent', 'contract', 'legal_obligation',
                  'vital_interests', 'public_task', 'legitimate_interests')),
  special_category_condition text CHECK (special_category_condition IN ('explicit_consent',
                  'employment_social_protection', 'vital_interests', 'not_for_profit_body',
                  'made_public', 'legal_claims', 'substantial_public_interest',
                  'health_social_care', 'public_health', 'archiving_research_statistics')),
  controller    text NOT NULL CHECK (controller <> ''),
  owner         text NOT NULL CHECK (owner <> ''),
  status        text NOT NULL DEFAULT 'draft'
                  CHECK (status IN ('draft', 'approved', 'suspended', 'expired')),
  approved_by   text,
  approved_at   timestamptz,
  review_date   date,
  expires_at    timestamptz,
  registered_by name NOT NULL DEFAULT session_user,
  registered_at timestamptz NOT NULL DEFAULT now(),
  CHECK (status <> 'approved' OR (approved_by IS NOT NULL AND approved_at IS NOT NULL
                                  AND expires_at IS NOT NULL))
);
COMMENT ON TABLE brent_mdm.dpia IS
  'DPIA registry: purpose, lawful basis (Art. 6), special-category condition (Art. 9), controller, owner, status and dates';
SELECT pg_catalog.pg_extension_config_dump('brent_mdm.dpia', '');

-- The key of the keyed hash (HMAC-SHA256) that pseudonymises columns under a DPIA:
-- stable per DPIA, readable by nobody but the extension owner.
CREATE TABLE brent_mdm.dpia_secret (
  dpia_id       text PRIMARY KEY REFERENCES brent_mdm.dpia ON DELETE CASCADE,
  pseudonym_key bytea NOT NULL CHECK (length(pseudonym_key) >= 16)
);
COMMENT ON TABLE brent_mdm.dpia_secret IS
  'Per-DPIA key of the pseudonymising keyed hash (owner only)';
SELECT pg_catalog.pg_extension_config_dump('brent_mdm.dpia_secret', '');

CREATE TABLE brent_mdm.protected_table (
  table_name        regclass PRIMARY KEY,
  parent_table      regclass,
  masked_view       regclass,
  client_id_column  name,
  protected_by      name NOT NULL DEFAULT session_user,
  protected_at      timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE brent_mdm.protected_table IS
  'Tables under DPIA policy (protect()); partitions and inheritance children are listed with their parent';
SELECT pg_catalog.pg_extension_config_dump('brent_mdm.protected_table', '');

CREATE TABLE brent_mdm.dpia_table_scope (
  dpia_id     text NOT NULL REFERENCES brent_mdm.dpia ON DELETE CASCADE,
  table_name  regclass NOT NULL REFERENCES brent_mdm.protected_table ON DELETE CASCADE,
  access      text NOT NULL DEFAULT 'read' CHECK (access IN ('read', 'write')),
  row_filter  text CHECK (row_filter <> ''),
  PRIMARY KEY (dpia_id, table_name)
);
COMMENT ON TABLE brent_mdm.dpia_table_scope IS
  'Tables (source systems) a DPIA covers, read or write, with its row scope (an SQL condition on the table''s columns)';
SELECT pg_catalog.pg_extension_config_dump('brent_mdm.dpia_table_scope', '');

CREATE TABLE brent_mdm.dpia_column_scope (
  dpia_id     text NOT NULL,
  table_name  regclass NOT NULL,
  column_name name NOT NULL,
  treatment   text NOT NULL CHECK (treatment IN ('clear', 'year', 'sector', 'pseudonym')),
  PRIMARY KEY (dpia_id, table_name, column_name),
  FOREIGN KEY (dpia_id, table_name) REFERENCES brent_mdm.dpia_table_scope ON DELETE CASCADE
);
COMMENT ON TABLE brent_mdm.dpia_column_scope IS
  'Columns a DPIA covers and how they are shown (clear, year of a date, postcode sector, pseudonym); other columns are redacted';
SELECT pg_catalog.pg_extension_config_dump('brent_mdm.dpia_column_scope', '');

CREATE TABLE brent_mdm.dpia_role (
  dpia_id     text NOT NULL REFERENCES brent_mdm.dpia ON DELETE CASCADE,
  role_name   regrole NOT NULL,
  granted_by  name NOT NULL DEFAULT session_user,
  granted_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (dpia_id, role_name)
);
COMMENT ON TABLE brent_mdm.dpia_role IS
  'Roles that may act under a DPIA (the logged-in role, or a role it inherits from)';
SELECT pg_catalog.pg_extension_config_dump('brent_mdm.dpia_role', '');

CREATE TABLE brent_mdm.dpia_change (
  change_id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  changed_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
  changed_by  name NOT NULL DEFAULT session_user,
  action      text NOT NULL,
  dpia_id     text,
  detail      jsonb NOT NULL DEFAULT '{}'
);
COMMENT ON TABLE brent_mdm.dpia_change IS
  'Every change to the DPIA registry and to protected tables, by whom and when';
SELECT pg_catalog.pg_extension_config_dump('brent_mdm.dpia_change', '');
SELECT pg_catalog.pg_extension_config_dump('brent_mdm.dpia_change_change_id_seq', '');

-- Written only by the audit background worker, in its own transactions.
CREATE TABLE brent_mdm.audit_log (
  audit_id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  logged_at       timestamptz NOT NULL,
  role_name       name,
  session_role    name,
  dpia_id         text,
  action          text NOT NULL,
  table_name      text,
  rows            bigint,
  query_id        bigint,
  statement_hash  bigint,
  pid             integer NOT NULL,
  detail          text,
  clients         bigint,
  client_ids      bigint[],
  stored_at       timestamptz NOT NULL DEFAULT clock_timestamp()
);
COMMENT ON COLUMN brent_mdm.audit_log.clients IS
  'For a table protected with a client-id column: how many distinct persons (client ids) the policy let the statement read or write (exact up to 16, then estimated)';
COMMENT ON COLUMN brent_mdm.audit_log.client_ids IS
  'Those client ids, when there were at most 16 (NULL when more: the statement counts as a bulk access)';
CREATE INDEX audit_log_client_ids ON brent_mdm.audit_log USING gin (client_ids);
CREATE INDEX audit_log_logged_at ON brent_mdm.audit_log (logged_at);
-- rows of statements stored before they ended, found again when their end is stored
CREATE INDEX audit_log_open ON brent_mdm.audit_log (pid, logged_at)
  WHERE rows IS NULL AND table_name IS NOT NULL;
COMMENT ON COLUMN brent_mdm.audit_log.rows IS
  'Rows returned or changed; NULL when the statement''s end was never recorded (a server crash while it ran: treat as a possible access to every row of the table)';
COMMENT ON TABLE brent_mdm.audit_log IS
  'Every statement on a protected table, and every purpose begun, ended or refused; written by the audit worker (survives ROLLBACK)';
SELECT pg_catalog.pg_extension_config_dump('brent_mdm.audit_log', '');
SELECT pg_catalog.pg_extension_config_dump('brent_mdm.audit_log_audit_id_seq', '');

-- The audit log is append-only whatever the grants: no UPDATE, DELETE or
-- TRUNCATE but by a superuser (the audit worker, which completes the records
-- of statements stored before they ended; a superuser could disable the
-- trigger anyway, e.g. to archive old records).
CREATE FUNCTION brent_mdm.audit_log_append_only() RETURNS trigger
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN
    RETURN CASE TG_OP WHEN 'DELETE' THEN OLD WHEN 'UPDATE' THEN NEW END;
  END IF;
  RAISE EXCEPTION 'brent_mdm.audit_log is append-only' USING ERRCODE = '42501',
    DETAIL = format('%s of audit records is refused, whoever was granted it.', TG_OP),
    HINT = 'A superuser archiving old records disables the trigger audit_log_append_only for that.';
END $$;
COMMENT ON FUNCTION brent_mdm.audit_log_append_only() IS
  'Internal trigger: refuses UPDATE, DELETE and TRUNCATE of the audit log to every role but superusers (the audit worker)';
REVOKE ALL ON FUNCTION brent_mdm.audit_log_append_only() FROM PUBLIC;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON brent_mdm.audit_log
  FOR EACH ROW EXECUTE FUNCTION brent_mdm.audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON brent_mdm.audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION brent_mdm.audit_log_append_only();

REVOKE ALL ON brent_mdm.dpia, brent_mdm.dpia_secret, brent_mdm.protected_table,
              brent_mdm.dpia_table_scope, brent_mdm.dpia_column_scope, brent_mdm.dpia_role,
              brent_mdm.dpia_change, brent_mdm.audit_log FROM PUBLIC;

-- Every change to the registry makes each session re-check its purpose at its
-- next statement (relcache invalidation, sent at commit).
CREATE FUNCTION brent_mdm.policy_registry_changed() RETURNS trigger
  LANGUAGE c AS 'MODULE_PATHNAME', 'policy_registry_changed';
COMMENT ON FUNCTION brent_mdm.policy_registry_changed() IS
  'Internal trigger: makes every session re-validate its purpose and protected tables after a registry change commits';
REVOKE ALL ON FUNCTION brent_mdm.policy_registry_changed() FROM PUBLIC;
CREATE TRIGGER policy_registry_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
  ON brent_mdm.dpia FOR EACH STATEMENT EXECUTE FUNCTION brent_mdm.policy_registry_changed();
CREATE TRIGGER policy_registry_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
  ON brent_mdm.dpia_secret FOR EACH STATEMENT EXECUTE FUNCTION brent_mdm.policy_registry_changed();
CREATE TRIGGER policy_registry_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
  ON brent_mdm.dpia_role FOR EACH STATEMENT EXECUTE FUNCTION brent_mdm.policy_registry_changed();
CREATE TRIGGER policy_registry_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
  ON brent_mdm.protected_table FOR EACH STATEMENT EXECUTE FUNCTION brent_mdm.policy_registry_changed();

-- ---- purposes (C, backend memory) ----

CREATE FUNCTION brent_mdm.begin_purpose(dpia text) RETURNS text
  LANGUAGE c VOLATILE STRICT PARALLEL UNSAFE AS 'MODULE_PATHNAME', 'policy_begin_purpose';
COMMENT ON FUNCTION brent_mdm.begin_purpose(text) IS
  'Acts under an approved, unexpired DPIA granted to the logged-in role, until end_purpose(); refused with 42501 otherwise';
CREATE FUNCTION brent_mdm.end_purpose() RETURNS text
  LANGUAGE c VOLATILE PARALLEL UNSAFE AS 'MODULE_PATHNAME', 'policy_end_purpose';
COMMENT ON FUNCTION brent_mdm.end_purpose() IS
  'Stops acting under the current purpose; returns the DPIA it ended, or NULL if none was active';
CREATE FUNCTION brent_mdm.current_purpose() RETURNS text
  LANGUAGE c STABLE PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'policy_current_purpose';
COMMENT ON FUNCTION brent_mdm.current_purpose() IS
  'The DPIA of the purpose begun in this session, or NULL';
CREATE FUNCTION brent_mdm.purpose_is(dpia text) RETURNS boolean
  LANGUAGE c STABLE STRICT LEAKPROOF PARALLEL SAFE AS 'MODULE_PATHNAME', 'policy_purpose_is';
COMMENT ON FUNCTION brent_mdm.purpose_is(text) IS
  'Policy gate: true when this session acts under the DPIA and it is still approved, unexpired and granted to the role';
CREATE FUNCTION brent_mdm.purpose_in(dpias text[]) RETURNS boolean
  LANGUAGE c STABLE STRICT LEAKPROOF PARALLEL SAFE AS 'MODULE_PATHNAME', 'policy_purpose_in';
COMMENT ON FUNCTION brent_mdm.purpose_in(text[]) IS
  'Policy gate: true when this session acts under one of the DPIAs and it is still approved, unexpired and granted to the role';
CREATE FUNCTION brent_mdm.active_dpia() RETURNS text
  LANGUAGE c STABLE LEAKPROOF PARALLEL SAFE AS 'MODULE_PATHNAME', 'policy_active_dpia';
COMMENT ON FUNCTION brent_mdm.active_dpia() IS
  'The DPIA this session acts under if it is valid now (as purpose_is checks), else NULL; drives the masking views';

-- ---- masking (C) ----

CREATE FUNCTION brent_mdm.mask_year(value date) RETURNS date
  LANGUAGE c IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE AS 'MODULE_PATHNAME', 'policy_mask_year';
COMMENT ON FUNCTION brent_mdm.mask_year(date) IS
  'Generalises a date to the first of January of its year';
CREATE FUNCTION brent_mdm.pseudonym(value text, source oid) RETURNS text
  LANGUAGE c STABLE STRICT LEAKPROOF PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'policy_pseudonym';
COMMENT ON FUNCTION brent_mdm.pseudonym(text, oid) IS
  'Keyed hash (HMAC-SHA256, 16 hex digits) under the active DPIA''s key of a column of a protected table''s row, called as pseudonym(column, tableoid) by the masking views; NULL for any other call (a value of the caller''s choosing) and without a valid purpose';

-- ---- audit (C: executor hooks, shared memory ring, background worker) ----

CREATE FUNCTION brent_mdm.audit_flush(timeout_ms integer DEFAULT 10000) RETURNS boolean
  LANGUAGE c VOLATILE STRICT PARALLEL UNSAFE AS 'MODULE_PATHNAME', 'policy_audit_flush';
COMMENT ON FUNCTION brent_mdm.audit_flush(integer) IS
  'Waits until the audit worker has stored every audit record queued so far in this database; false on timeout';

-- ---- the registry's functions ----

CREATE FUNCTION brent_mdm.row_filter_canonical(target regclass, filter text) RETURNS text
  LANGUAGE c STABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'policy_row_filter_canonical';
COMMENT ON FUNCTION brent_mdm.row_filter_canonical(regclass, text) IS
  'Internal: a row filter as one condition over the table''s columns (built-in or C functions only), deparsed; never planned or run';
REVOKE ALL ON FUNCTION brent_mdm.row_filter_canonical(regclass, text) FROM PUBLIC;

CREATE FUNCTION brent_mdm.policy_log(action text, dpia text, detail jsonb) RETURNS void
  LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, brent_mdm, pg_temp
  AS $$ INSERT INTO brent_mdm.dpia_change (action, dpia_id, detail) VALUES (action, dpia, detail) $$;
COMMENT ON FUNCTION brent_mdm.policy_log(text, text, jsonb) IS
  'Internal: records a registry change in dpia_change';
REVOKE ALL ON FUNCTION brent_mdm.policy_log(text, text, jsonb) FROM PUBLIC;

CREATE FUNCTION brent_mdm.dpia_row(dpia text, for_update boolean DEFAULT true)
  RETURNS brent_mdm.dpia
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, brent_mdm, pg_temp
  AS $$
#variable_conflict use_variable
DECLARE d brent_mdm.dpia;
BEGIN
  SELECT * INTO d FROM brent_mdm.dpia WHERE dpia_id = dpia FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'DPIA "%" does not exist', dpia USING ERRCODE = '42704',
      HINT = 'See brent_mdm.dpia for the registered DPIAs.';
  END IF;
  RETURN d;
END $$;
COMMENT ON FUNCTION brent_mdm.dpia_row(text, boolean) IS
  'Internal: the registry row of a DPIA, locked, or 42704';
REVOKE ALL ON FUNCTION brent_mdm.dpia_row(text, boolean) FROM PUBLIC;

CREATE FUNCTION brent_mdm.register_dpia(dpia text, title text, purpose text, lawful_basis text,
    controller text, owner text, special_category_condition text DEFAULT NULL)
  RETURNS text
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, brent_mdm, pg_temp
  AS $$
#variable_conflict use_variable
BEGIN
  IF dpia IS NULL OR title IS NULL OR purpose IS NULL OR lawful_basis IS NULL
     OR controller IS NULL OR owner IS NULL THEN
    RAISE EXCEPTION 'register_dpia needs a DPIA id, title, purpose, lawful basis, controller and owner'
      USING ERRCODE = '22004';
  END IF;
  IF dpia !~ '^[a-z][a-z0-9_]{0,47}$' THEN
    RAISE EXCEPTION 'invalid DPIA id "%"', dpia USING ERRCODE = '22023',
      DETAIL = 'A DPIA id is a lower-case letter followed by up to 47 lower-case letters, digits or underscores.';
  END IF;
  IF lawful_basis NOT IN ('consent', 'contract', 'legal_obligation', 'vital_interests',
                          'public_task', 'legitimate_interests') THEN
    RAISE EXCEPTION 'invalid lawful basis "%"', lawful_basis USING ERRCODE = '22023',
      HINT = 'One of the six of GDPR Art. 6(1): consent, contract, legal_obligation, vital_interests, public_task, legitimate_interests.';
  END IF;
  IF special_category_condition IS NOT NULL AND special_category_condition NOT IN (
       'explicit_consent', 'employment_social_protection', 'vital_interests', 'not_for_profit_body',
       'made_public', 'legal_claims', 'substantial_public_interest', 'health_social_care',
       'public_health', 'archiving_research_statistics') THEN
    RAISE EXCEPTION 'invalid special category condition "%"', special_category_condition
      USING ERRCODE = '22023',
      HINT = 'One of the ten of GDPR Art. 9(2), e.g. substantial_public_interest, health_social_care.';
  END IF;
  IF EXISTS (SELECT 1 FROM brent_mdm.dpia d WHERE d.dpia_id = dpia) THEN
    RAISE EXCEPTION 'DPIA "%" already exists', dpia USING ERRCODE = '42710';
  END IF;
  INSERT INTO brent_mdm.dpia (dpia_id, title, purpose, lawful_basis, special_category_condition,
                              controller, owner)
  VALUES (dpia, title, purpose, lawful_basis, special_category_condition, controller, owner);
  INSERT INTO brent_mdm.dpia_secret (dpia_id, pseudonym_key)
  VALUES (dpia, decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex'));
  PERFORM brent_mdm.policy_log('register', dpia, jsonb_build_object('title', title,
    'lawful_basis', lawful_basis, 'special_category_condition', special_category_condition,
    'controller', controller, 'owner', owner));
  RETURN dpia;
END $$;
COMMENT ON FUNCTION brent_mdm.register_dpia(text, text, text, text, text, text, text) IS
  'Registers a DPIA as a draft (validated lawful basis and Art. 9 condition); logged in dpia_change';

CREATE FUNCTION brent_mdm.approve_dpia(dpia text, approved_by text, expires_at timestamptz,
    review_date date DEFAULT NULL)
  RETURNS text
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, brent_mdm, pg_temp
  AS $$
#variable_conflict use_variable
DECLARE d brent_mdm.dpia := brent_mdm.dpia_row(dpia);
BEGIN
  IF approved_by IS NULL OR approved_by = '' OR expires_at IS NULL THEN
    RAISE EXCEPTION 'approve_dpia needs who approved it and when it expires' USING ERRCODE = '22004';
  END IF;
  IF expires_at <= now() THEN
    RAISE EXCEPTION 'DPIA "%" cannot be approved with an expiry in the past', dpia
      USING ERRCODE = '22023', DETAIL = 'An approval needs an expiry date after now.';
  END IF;
  IF review_date IS NOT NULL AND review_date > expires_at::date THEN
    RAISE EXCEPTION 'the review date of DPIA "%" is after its expiry', dpia USING ERRCODE = '22023';
  END IF;
  IF d.status = 'expired' THEN
    RAISE EXCEPTION 'DPIA "%" has expired and cannot be approved again', dpia
      USING ERRCODE = '55000', HINT = 'Register a new DPIA for the new assessment.';
  END IF;
  UPDATE brent_mdm.dpia SET status = 'approved', approved_by = approve_dpia.approved_by,
         approved_at = now(), expires_at = approve_dpia.expires_at,
         review_date = approve_dpia.review_date
   WHERE dpia_id = dpia;
  PERFORM brent_mdm.policy_log('approve', dpia, jsonb_build_object('approved_by', approved_by,
    'expires_at', expires_at, 'review_date', review_date, 'previous_status', d.status));
  RETURN 'approved';
END $$;
COMMENT ON FUNCTION brent_mdm.approve_dpia(text, text, timestamptz, date) IS
  'Approves a DPIA (draft or suspended) until an expiry date; logged';

CREATE FUNCTION brent_mdm.suspend_dpia(dpia text, reason text) RETURNS text
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, brent_mdm, pg_temp
  AS $$
#variable_conflict use_variable
DECLARE d brent_mdm.dpia := brent_mdm.dpia_row(dpia);
BEGIN
  IF reason IS NULL OR reason = '' THEN
    RAISE EXCEPTION 'suspend_dpia needs a reason' USING ERRCODE = '22004';
  END IF;
  IF d.status NOT IN ('approved', 'draft') THEN
    RAISE EXCEPTION 'DPIA "%" is % and cannot be suspended', dpia, d.status USING ERRCODE = '55000';
  END IF;
  UPDATE brent_mdm.dpia SET status = 'suspended' WHERE dpia_id = dpia;
  PERFORM brent_mdm.policy_log('suspend', dpia, jsonb_build_object('reason', reason,
    'previous_status', d.status));
  RETURN 'suspended';
END $$;
COMMENT ON FUNCTION brent_mdm.suspend_dpia(text, text) IS
  'Suspends a DPIA: every session acting under it loses access at its next statement; logged';

CREATE FUNCTION brent_mdm.expire_dpia(dpia text) RETURNS text
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, brent_mdm, pg_temp
  AS $$
#variable_conflict use_variable
DECLARE d brent_mdm.dpia := brent_mdm.dpia_row(dpia);
BEGIN
  UPDATE brent_mdm.dpia SET status = 'expired',
         expires_at = least(coalesce(d.expires_at, now()), now())
   WHERE dpia_id = dpia;
  PERFORM brent_mdm.policy_log('expire', dpia, jsonb_build_object('previous_status', d.status));
  RETURN 'expired';
END $$;
COMMENT ON FUNCTION brent_mdm.expire_dpia(text) IS
  'Ends a DPIA for good (status expired, expiry now at the latest); logged';

CREATE FUNCTION brent_mdm.grant_purpose(dpia text, role regrole) RETURNS text
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, brent_mdm, pg_temp
  AS $$
#variable_conflict use_variable
DECLARE d brent_mdm.dpia := brent_mdm.dpia_row(dpia);
BEGIN
  IF role IS NULL THEN
    RAISE EXCEPTION 'grant_purpose needs a role' USING ERRCODE = '22004';
  END IF;
  IF (SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE oid = role) THEN
    RAISE EXCEPTION 'role % bypasses row level security', role USING ERRCODE = '22023',
      DETAIL = 'Superusers and BYPASSRLS roles are not bound by DPIA policy; a grant would mean nothing.';
  END IF;
  IF d.status = 'expired' THEN
    RAISE EXCEPTION 'DPIA "%" has expired', dpia USING ERRCODE = '55000';
  END IF;
  INSERT INTO brent_mdm.dpia_role (dpia_id, role_name) VALUES (dpia, role)
  ON CONFLICT DO NOTHING;
  PERFORM brent_mdm.policy_log('grant', dpia, jsonb_build_object('role', role::text));
  RETURN format('%s may act under %s', role, dpia);
END $$;
COMMENT ON FUNCTION brent_mdm.grant_purpose(text, regrole) IS
  'Lets a role (and the roles that inherit from it) act under a DPIA; logged';

CREATE FUNCTION brent_mdm.revoke_purpose(dpia text, role regrole) RETURNS text
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, brent_mdm, pg_temp
  AS $$
#variable_conflict use_variable
BEGIN
  PERFORM brent_mdm.dpia_row(dpia);
  DELETE FROM brent_mdm.dpia_role r WHERE r.dpia_id = dpia AND r.role_name = role;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'role % has no grant under DPIA "%"', role, dpia USING ERRCODE = '42704';
  END IF;
  PERFORM brent_mdm.policy_log('revoke', dpia, jsonb_build_object('role', role::text));
  RETURN format('%s may no longer act under %s', role, dpia);
END $$;
COMMENT ON FUNCTION brent_mdm.revoke_purpose(text, regrole) IS
  'Withdraws a role''s grant under a DPIA: its sessions lose access at their next statement; logged';

-- What protect() takes from a table: brent_mdm's policies on it, or (grants) every
-- privilege but its owner's, PUBLIC's included.
CREATE FUNCTION brent_mdm.policy_strip(target regclass, grants boolean) RETURNS void
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
  AS $$
DECLARE
  r record;
BEGIN
  IF grants THEN
    EXECUTE format('REVOKE ALL ON TABLE %s FROM PUBLIC', target);
    FOR r IN SELECT DISTINCT g.grantee FROM pg_class k, aclexplode(k.relacl) g
              WHERE k.oid = target AND g.grantee <> k.relowner AND g.grantee <> 0 LOOP
      EXECUTE format('REVOKE ALL ON TABLE %s FROM %I', target, r.grantee::regrole::name);
    END LOOP;
  ELSE
    FOR r IN SELECT policyname FROM pg_policies
              WHERE format('%I.%I', schemaname, tablename)::regclass = target
                AND policyname LIKE 'brent\_mdm\_%' LOOP
      EXECUTE format('DROP POLICY %I ON %s', r.policyname, target);
    END LOOP;
  END IF;
END $$;
COMMENT ON FUNCTION brent_mdm.policy_strip(regclass, boolean) IS
  'Internal: drops brent_mdm''s policies on a table, or revokes every privilege on it but its owner''s';
REVOKE ALL ON FUNCTION brent_mdm.policy_strip(regclass, boolean) FROM PUBLIC;

-- The Client Index tables are the extension's (owned by a superuser, which no row
-- level security binds): their masking views are owned by this role instead, which
-- holds SELECT on them and nothing else, cannot log in, bypasses nothing and has no
-- member; the tables' policies then apply to reads through the views.
CREATE FUNCTION brent_mdm.index_view_owner() RETURNS name
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, brent_mdm, pg_temp
  AS $$
DECLARE
  r pg_roles;
BEGIN
  SELECT * INTO r FROM pg_roles WHERE rolname = 'brent_mdm_index_reader';
  IF NOT FOUND THEN
    CREATE ROLE brent_mdm_index_reader NOLOGIN NOINHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE
      NOREPLICATION NOBYPASSRLS;
    COMMENT ON ROLE brent_mdm_index_reader IS
      'Owns the masking views of the protected Client Index (brent_mdm.protect): SELECT on its tables, under their DPIA policies; no login, no member';
    RETURN 'brent_mdm_index_reader';
  END IF;
  IF r.rolsuper OR r.rolbypassrls OR r.rolcanlogin
     OR EXISTS (SELECT 1 FROM pg_auth_members WHERE roleid = r.oid) THEN
    RAISE EXCEPTION 'role brent_mdm_index_reader may not own the Client Index masking views'
      USING ERRCODE = '42501',
      DETAIL = 'It can log in, bypasses row level security, is a superuser or has members: someone could read the Client Index through it.',
      HINT = 'ALTER ROLE brent_mdm_index_reader NOLOGIN NOSUPERUSER NOBYPASSRLS, revoke its memberships (or drop it: protect() makes it), then protect again.';
  END IF;
  RETURN r.rolname;
END $$;
COMMENT ON FUNCTION brent_mdm.index_view_owner() IS
  'Internal: the role that owns the masking views of the Client Index (brent_mdm_index_reader), made and checked';
REVOKE ALL ON FUNCTION brent_mdm.index_view_owner() FROM PUBLIC;

-- The masking view and policies of a protected table, from the scopes.
CREATE FUNCTION brent_mdm.refresh_protection(target regclass) RETURNS void
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, brent_mdm, pg_temp
  SET brent_mdm.extension_internal = on
  AS $$
#variable_conflict use_variable
DECLARE
  p brent_mdm.protected_table;
  s record;
  a record;
  pol record;
  cols text := '';
  expr text;
  cases text;
  gate text;
  gate_all text;
  scoped text[];
  treatments text[];
  owner_name name;
BEGIN
  SELECT * INTO p FROM brent_mdm.protected_table WHERE table_name = target;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'table % is not protected', target USING ERRCODE = '55000',
      HINT = 'Run brent_mdm.protect() on it first.';
  END IF;
  IF p.parent_table IS NOT NULL THEN
    PERFORM brent_mdm.refresh_protection(p.parent_table);
    RETURN;
  END IF;
  SELECT CASE WHEN bool_or(row_filter IS NOT NULL)
              THEN format('brent_mdm.purpose_in(%L::text[])', array_agg(dpia_id ORDER BY dpia_id)) END
    INTO gate_all FROM brent_mdm.dpia_table_scope WHERE table_name = target;
  -- policies on the table and every child
  FOR a IN SELECT table_name FROM brent_mdm.protected_table
            WHERE table_name = target OR parent_table = target LOOP
    PERFORM brent_mdm.policy_strip(a.table_name, false);
    -- the gate: a restrictive policy, for tables where a DPIA has a row filter
    -- (a scan then reads nothing at all without a valid purpose of the table)
    IF gate_all IS NOT NULL THEN
      EXECUTE format('CREATE POLICY brent_mdm_gate ON %s AS RESTRICTIVE FOR ALL TO PUBLIC USING (%s) WITH CHECK (%s)',
                     a.table_name, gate_all, gate_all);
    END IF;
    -- then one permissive policy per DPIA: its purpose AND its row scope (the
    -- gates are C functions that cache their answer for the query: after the
    -- first row, a call costs a comparison)
    FOR s IN SELECT * FROM brent_mdm.dpia_table_scope WHERE table_name = target ORDER BY dpia_id LOOP
      gate := format('brent_mdm.purpose_is(%L)', s.dpia_id);
      IF s.row_filter IS NOT NULL THEN
        -- checked and canonicalised again: the registry is data (restored,
        -- or written by a superuser), never pasted as it stands
        gate := gate || format(' AND (%s)', brent_mdm.row_filter_canonical(target, s.row_filter));
      END IF;
      -- persons who objected to (or restricted) this purpose: their rows are left out
      IF p.client_id_column IS NOT NULL THEN
        gate := gate || format(' AND brent_mdm.subject_visible(%L, %L::regclass, %I::bigint)',
                               s.dpia_id, target::text, p.client_id_column);
      END IF;
      IF s.access = 'write' THEN
        EXECUTE format('CREATE POLICY %I ON %s AS PERMISSIVE FOR ALL TO PUBLIC USING (%s) WITH CHECK (%s)',
                       'brent_mdm_dpia_' || s.dpia_id, a.table_name, gate, gate);
      ELSE
        EXECUTE format('CREATE POLICY %I ON %s AS PERMISSIVE FOR SELECT TO PUBLIC USING (%s)',
                       'brent_mdm_dpia_' || s.dpia_id, a.table_name, gate);
      END IF;
    END LOOP;
  END LOOP;
  -- the masking view: every column through the active DPIA's treatment, else
  -- NULL.  Rows are visible only under a DPIA of the table's scope, so a column
  -- that every one of them shows the same way needs no CASE (and a clear key
  -- column stays indexable through the view).
  SELECT array_agg(dpia_id ORDER BY dpia_id) INTO scoped
    FROM brent_mdm.dpia_table_scope WHERE table_name = target;
  FOR a IN SELECT attname, atttypid, format_type(atttypid, atttypmod) AS typ
             FROM pg_attribute WHERE attrelid = target AND attnum > 0 AND NOT attisdropped
            ORDER BY attnum LOOP
    cases := '';
    treatments := '{}';
    FOR s IN SELECT c.dpia_id, c.treatment FROM brent_mdm.dpia_column_scope c
              WHERE c.table_name = target AND c.column_name = a.attname ORDER BY c.dpia_id LOOP
      expr := CASE s.treatment
                WHEN 'clear' THEN format('%I', a.attname)
                WHEN 'year' THEN format('brent_mdm.mask_year(%I)', a.attname)
                WHEN 'sector' THEN format('brent_mdm.postcode_sector(%I)', a.attname)
                WHEN 'pseudonym' THEN format('brent_mdm.pseudonym(%I::text, tableoid)', a.attname)
              END;
      cases := cases || format(' WHEN %L THEN %s', s.dpia_id, expr);
      treatments := treatments || s.treatment;
    END LOOP;
    IF cases = '' THEN
      expr := format('NULL::%s', a.typ);
    ELSIF cardinality(treatments) = cardinality(scoped)
          AND (SELECT count(DISTINCT t) FROM unnest(treatments) t) = 1 THEN
      expr := format('(%s)::%s', expr, a.typ);
    ELSE
      expr := format('(CASE (SELECT brent_mdm.active_dpia())%s END)::%s', cases, a.typ);
    END IF;
    cols := cols || CASE WHEN cols = '' THEN '' ELSE ', ' END || format('%s AS %I', expr, a.attname);
  END LOOP;
  IF target IN ('brent_mdm.client'::regclass, 'brent_mdm.client_record'::regclass) THEN
    owner_name := brent_mdm.index_view_owner();
    EXECUTE format('GRANT SELECT ON TABLE %s TO %I', target, owner_name);
  ELSE
    SELECT r.rolname INTO owner_name FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner
     WHERE c.oid = target;
  END IF;
  IF p.masked_view IS NULL THEN
    -- the view was dropped: made again, with the same name
    EXECUTE format('CREATE VIEW %s WITH (security_barrier) AS SELECT * FROM %s WHERE false',
                   (SELECT format('%I.%I', n.nspname, k.relname || '_masked')
                      FROM pg_class k JOIN pg_namespace n ON n.oid = k.relnamespace WHERE k.oid = target), target);
    UPDATE brent_mdm.protected_table
       SET masked_view = (SELECT format('%I.%I', n.nspname, k.relname || '_masked')
                            FROM pg_class k JOIN pg_namespace n ON n.oid = k.relnamespace WHERE k.oid = target)::regclass
     WHERE table_name = target
    RETURNING * INTO p;
  END IF;
  -- no security barrier: the view hides no rows itself (the table's policies do, and
  -- PostgreSQL applies them before any qual that is not leakproof), and its columns are
  -- the masked expressions, so a leaky function of the caller only ever sees masked
  -- values; flattened, the view costs no subquery scan (and takes the caller's quals)
  -- names qualified: a view of schema brent_mdm (the Client Index's) would otherwise
  -- be written unqualified, and made in pg_catalog, first on the search_path
  EXECUTE format('CREATE OR REPLACE VIEW %I.%I WITH (security_barrier = false) AS SELECT %s FROM %I.%I',
                 (SELECT n.nspname FROM pg_class k JOIN pg_namespace n ON n.oid = k.relnamespace WHERE k.oid = p.masked_view),
                 (SELECT k.relname FROM pg_class k WHERE k.oid = p.masked_view), cols,
                 (SELECT n.nspname FROM pg_class k JOIN pg_namespace n ON n.oid = k.relnamespace WHERE k.oid = target),
                 (SELECT k.relname FROM pg_class k WHERE k.oid = target));
  EXECUTE format('ALTER VIEW %s OWNER TO %I', p.masked_view, owner_name);
END $$;
COMMENT ON FUNCTION brent_mdm.refresh_protection(regclass) IS
  'Internal: regenerates the policies and the masking view of a protected table from the DPIA scopes';
REVOKE ALL ON FUNCTION brent_mdm.refresh_protection(regclass) FROM PUBLIC;

CREATE FUNCTION brent_mdm.protect_tree(target regclass, first_time boolean) RETURNS void
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, brent_mdm, pg_temp
  AS $$
#variable_conflict use_variable
DECLARE
  child regclass;
BEGIN
  -- the table and every child: RLS on and forced; no privilege left but the owner's
  FOR child IN WITH RECURSIVE tree(relid) AS (
                 SELECT target::oid
                 UNION SELECT i.inhrelid FROM pg_inherits i JOIN tree ON i.inhparent = tree.relid)
               SELECT relid::regclass FROM tree LOOP
    -- row level security on and forced, every time (a DBA may have turned it off)
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', child);
    EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', child);
    -- again later: privileges taken only from children attached since (the DBA's grants stay)
    CONTINUE WHEN NOT first_time AND (child = target OR EXISTS (
      SELECT 1 FROM brent_mdm.protected_table p WHERE p.table_name = child));
    PERFORM brent_mdm.policy_strip(child, true);
    IF child <> target THEN
      INSERT INTO brent_mdm.protected_table (table_name, parent_table) VALUES (child, target)
      ON CONFLICT DO NOTHING;
    END IF;
  END LOOP;
END $$;
COMMENT ON FUNCTION brent_mdm.protect_tree(regclass, boolean) IS
  'Internal: row level security enabled and forced, privileges revoked, on a table and every partition or inheritance child';
REVOKE ALL ON FUNCTION brent_mdm.protect_tree(regclass, boolean) FROM PUBLIC;

CREATE FUNCTION brent_mdm.protect(target regclass, client_id_column name DEFAULT NULL)
  RETURNS regclass
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, brent_mdm, pg_temp
  AS $$
#variable_conflict use_variable
DECLARE
  c pg_class;
  o pg_roles;
  view_name text;
  existing brent_mdm.protected_table;
  index_table boolean;
BEGIN
  IF target IS NULL THEN
    RAISE EXCEPTION 'protect needs a table' USING ERRCODE = '22004';
  END IF;
  SELECT * INTO c FROM pg_class WHERE oid = target;
  IF c.relkind NOT IN ('r', 'p') THEN
    RAISE EXCEPTION '% is not a table', target USING ERRCODE = '42809';
  END IF;
  -- an indicator rollup over it would go on showing aggregates of its rows outside any purpose
  IF EXISTS (SELECT FROM brent_mdm.indicator i
              WHERE i.source = target OR i.source IN (SELECT pg_partition_ancestors(target))
                 OR i.source IN (SELECT relid FROM pg_partition_tree(target))) THEN
    RAISE EXCEPTION 'cannot protect %: indicator rollups are defined over it', target
      USING ERRCODE = '55000',
      DETAIL = format('Indicators %s: their readers would see aggregates of its rows outside any purpose.',
                      (SELECT string_agg(i.name, ', ' ORDER BY i.name) FROM brent_mdm.indicator i
                        WHERE i.source = target OR i.source IN (SELECT pg_partition_ancestors(target))
                           OR i.source IN (SELECT relid FROM pg_partition_tree(target)))),
      HINT = 'Drop them first (brent_mdm.drop_indicator); publish figures from a protected table through disclosure control.';
  END IF;
  index_table := target IN ('brent_mdm.client'::regclass, 'brent_mdm.client_record'::regclass);
  IF NOT index_table AND c.relnamespace IN ('pg_catalog'::regnamespace, 'brent_mdm'::regnamespace,
                        'information_schema'::regnamespace) THEN
    RAISE EXCEPTION 'tables of schema % cannot be protected', c.relnamespace::regnamespace
      USING ERRCODE = '42939',
      HINT = CASE WHEN c.relnamespace = 'brent_mdm'::regnamespace
                  THEN 'Of the extension''s own tables, the Client Index (brent_mdm.client, brent_mdm.client_record) can be protected.' ELSE 'System catalogues hold no personal data of residents: protect the tables that do.' END;
  END IF;
  -- the Client Index: its persons are the objectors of the objection register
  IF index_table THEN
    client_id_column := coalesce(client_id_column, 'client_id');
    IF client_id_column <> 'client_id' THEN
      RAISE EXCEPTION 'the client-id column of % is client_id', target USING ERRCODE = '22023';
    END IF;
  END IF;
  SELECT * INTO existing FROM brent_mdm.protected_table WHERE table_name = target;
  IF FOUND THEN
    IF existing.parent_table IS NOT NULL THEN
      RAISE EXCEPTION 'table % is protected through its parent %', target, existing.parent_table
        USING ERRCODE = '55000';
    END IF;
    PERFORM brent_mdm.protect_tree(target, false);     -- partitions attached since
    PERFORM brent_mdm.refresh_protection(target);
    RETURN existing.masked_view;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = target) THEN
    RAISE EXCEPTION 'table % is a partition or inheritance child', target USING ERRCODE = '42809',
      HINT = 'Protect its parent: its children are protected with it.';
  END IF;
  SELECT * INTO o FROM pg_roles WHERE oid = c.relowner;
  IF index_table THEN
    PERFORM brent_mdm.index_view_owner();    -- its masking views' owner, checked first
  ELSIF o.rolsuper OR o.rolbypassrls THEN
    RAISE EXCEPTION 'the owner of table % bypasses row level security', target
      USING ERRCODE = '42501',
      DETAIL = format('Role %s is a superuser or has BYPASSRLS: it, and the masking view it would own, would see every row.', o.rolname),
      HINT = 'Make a NOLOGIN role without BYPASSRLS own the table (ALTER TABLE ... OWNER TO), then protect it.';
  END IF;
  IF client_id_column IS NOT NULL AND NOT EXISTS (
       SELECT 1 FROM pg_attribute WHERE attrelid = target AND attname = client_id_column
          AND attnum > 0 AND NOT attisdropped) THEN
    RAISE EXCEPTION 'column "%" of table % does not exist', client_id_column, target
      USING ERRCODE = '42703';
  END IF;
  IF client_id_column IS NOT NULL AND (SELECT atttypid FROM pg_attribute WHERE attrelid = target
       AND attname = client_id_column) NOT IN ('bigint'::regtype, 'integer'::regtype, 'smallint'::regtype) THEN
    RAISE EXCEPTION 'client-id column "%" of table % is not an integer', client_id_column, target
      USING ERRCODE = '42804',
      HINT = 'The client-id column holds Client Index ids (brent_mdm.client.client_id, bigint).';
  END IF;
  view_name := format('%I.%I', (SELECT nspname FROM pg_namespace WHERE oid = c.relnamespace), c.relname || '_masked');
  IF to_regclass(view_name) IS NOT NULL THEN
    RAISE EXCEPTION 'relation % already exists', view_name USING ERRCODE = '42P07';
  END IF;
  PERFORM brent_mdm.protect_tree(target, true);
  EXECUTE format('CREATE VIEW %s WITH (security_barrier) AS SELECT * FROM %s WHERE false',
                 view_name, target);
  INSERT INTO brent_mdm.protected_table (table_name, masked_view, client_id_column)
  VALUES (target, view_name::regclass, client_id_column);
  PERFORM brent_mdm.refresh_protection(target);
  EXECUTE format('COMMENT ON VIEW %s IS %L', view_name,
    format('%s as the active DPIA purpose may see it (brent_mdm.protect)', target));
  PERFORM brent_mdm.policy_log('protect', NULL, jsonb_build_object('table', target::text,
    'view', view_name, 'client_id_column', client_id_column));
  RETURN view_name::regclass;
END $$;
COMMENT ON FUNCTION brent_mdm.protect(regclass, name) IS
  'Puts a table (and its children) under DPIA policy: forced RLS gated by purpose_is, privileges revoked, a masking view <table>_masked';
REVOKE ALL ON FUNCTION brent_mdm.protect(regclass, name) FROM PUBLIC;

-- Takes a table out of the DPIA regime: its policies and masking view dropped,
-- row level security off, the registry forgets it and its children.  Refused
-- while a DPIA still has it in scope.  Every privilege but the owner's is revoked
-- (a loader's grant would now read every row): the DBA grants what the table
-- needs now.  Logged.
CREATE FUNCTION brent_mdm.unprotect(target regclass) RETURNS text
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, brent_mdm, pg_temp
  AS $$
#variable_conflict use_variable
DECLARE
  p brent_mdm.protected_table;
  a record;
  pol record;
  scopes text[];
BEGIN
  IF target IS NULL THEN
    RAISE EXCEPTION 'unprotect needs a table' USING ERRCODE = '22004';
  END IF;
  SELECT * INTO p FROM brent_mdm.protected_table WHERE table_name = target;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'table % is not protected', target USING ERRCODE = '55000';
  END IF;
  IF p.parent_table IS NOT NULL THEN
    RAISE EXCEPTION 'table % is protected through its parent %', target, p.parent_table
      USING ERRCODE = '55000', HINT = 'Unprotect the parent.';
  END IF;
  SELECT array_agg(DISTINCT dpia_id ORDER BY dpia_id) INTO scopes
    FROM (SELECT dpia_id FROM brent_mdm.dpia_table_scope WHERE table_name = target
          UNION SELECT dpia_id FROM brent_mdm.dpia_column_scope WHERE table_name = target) s;
  IF scopes IS NOT NULL THEN
    RAISE EXCEPTION 'table % is in the scope of DPIA %', target, array_to_string(scopes, ', ')
      USING ERRCODE = '55000',
      HINT = 'Take it out of each DPIA first (brent_mdm.remove_table_scope).';
  END IF;
  FOR a IN SELECT table_name FROM brent_mdm.protected_table
            WHERE table_name = target OR parent_table = target LOOP
    PERFORM brent_mdm.policy_strip(a.table_name, false);
    EXECUTE format('ALTER TABLE %s NO FORCE ROW LEVEL SECURITY', a.table_name);
    EXECUTE format('ALTER TABLE %s DISABLE ROW LEVEL SECURITY', a.table_name);
  END LOOP;
  -- no grant outlives the protection: a loader's SELECT would now read every row
  FOR a IN SELECT table_name FROM brent_mdm.protected_table
            WHERE table_name = target OR parent_table = target LOOP
    PERFORM brent_mdm.policy_strip(a.table_name, true);
  END LOOP;
  DELETE FROM brent_mdm.protected_table WHERE table_name = target OR parent_table = target;
  IF p.masked_view IS NOT NULL THEN
    EXECUTE format('DROP VIEW %s', p.masked_view);
  END IF;
  PERFORM brent_mdm.policy_log('unprotect', NULL, jsonb_build_object('table', target::text,
    'view', p.masked_view::text));
  RETURN format('%s is no longer protected', target);
END $$;
COMMENT ON FUNCTION brent_mdm.unprotect(regclass) IS
  'Takes a table (and its children) out of DPIA policy: policies and masking view dropped, row level security off; refused while a DPIA has it in scope; logged';
REVOKE ALL ON FUNCTION brent_mdm.unprotect(regclass) FROM PUBLIC;

-- pg_dump keeps the policies of every table but the extension's own: a restored
-- Client Index comes back registered as protected, with its masking views and grants,
-- and without row level security.  As its registration is restored, the table is
-- closed (row level security on, no policy: nothing for any role but superusers) until
-- protect() runs again and regenerates the policies from the restored scopes.
CREATE FUNCTION brent_mdm.policy_index_restored() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
  AS $$
DECLARE
  t regclass;
BEGIN
  FOR t IN SELECT n.table_name FROM registered n JOIN pg_class c ON c.oid = n.table_name
            WHERE n.table_name IN ('brent_mdm.client'::regclass, 'brent_mdm.client_record'::regclass)
              AND NOT c.relrowsecurity LOOP
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', t);
    RAISE WARNING 'table % is protected but had no row level security (restored from a dump?): closed to every role until its policies are made again', t
      USING HINT = format('Once the restore is complete: SELECT brent_mdm.protect(%L);', t::text);
  END LOOP;
  RETURN NULL;
END $$;
COMMENT ON FUNCTION brent_mdm.policy_index_restored() IS
  'Internal trigger: a Client Index table registered as protected without row level security (a restore) is closed until protect() runs again';
REVOKE ALL ON FUNCTION brent_mdm.policy_index_restored() FROM PUBLIC;
CREATE TRIGGER policy_index_restored AFTER INSERT ON brent_mdm.protected_table
  REFERENCING NEW TABLE AS registered FOR EACH STATEMENT EXECUTE FUNCTION brent_mdm.policy_index_restored();

CREATE FUNCTION brent_mdm.set_table_scope(dpia text, target regclass, access text DEFAULT 'read',
    row_filter text DEFAULT NULL)
  RETURNS text
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, brent_mdm, pg_temp
  AS $$
#variable_conflict use_variable
DECLARE d brent_mdm.dpia := brent_mdm.dpia_row(dpia);
BEGIN
  IF access IS NULL OR access NOT IN ('read', 'write') THEN
    RAISE EXCEPTION 'invalid access "%"', access USING ERRCODE = '22023', HINT = 'read or write.';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM brent_mdm.protected_table WHERE table_name = target
                    AND parent_table IS NULL) THEN
    RAISE EXCEPTION 'table % is not protected', target USING ERRCODE = '55000',
      HINT = 'Run brent_mdm.protect() on it (or on its parent) first.';
  END IF;
  IF row_filter = '' THEN row_filter := NULL; END IF;
  IF row_filter IS NOT NULL THEN
    -- one condition over the table's own columns, calling built-in (or C)
    -- functions only; parsed, never planned or run here; kept in its
    -- canonical form, which is what the policy is made of (src/policy/scope.c)
    BEGIN
      row_filter := brent_mdm.row_filter_canonical(target, row_filter);
    EXCEPTION WHEN OTHERS THEN
      RAISE EXCEPTION 'invalid row filter for %: %', target, SQLERRM USING ERRCODE = '22023',
        DETAIL = row_filter;
    END;
  END IF;
  INSERT INTO brent_mdm.dpia_table_scope (dpia_id, table_name, access, row_filter)
  VALUES (dpia, target, access, row_filter)
  ON CONFLICT (dpia_id, table_name)
  DO UPDATE SET access = excluded.access, row_filter = excluded.row_filter;
  PERFORM brent_mdm.refresh_protection(target);
  PERFORM brent_mdm.policy_log('table_scope', dpia, jsonb_build_object('table', target::text,
    'access', access, 'row_filter', row_filter));
  RETURN format('%s: %s of %s', dpia, access, target);
END $$;
COMMENT ON FUNCTION brent_mdm.set_table_scope(text, regclass, text, text) IS
  'Brings a protected table into a DPIA''s scope (read or write), with an optional row filter; regenerates its policies; logged';

CREATE FUNCTION brent_mdm.remove_table_scope(dpia text, target regclass) RETURNS text
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, brent_mdm, pg_temp
  AS $$
#variable_conflict use_variable
BEGIN
  PERFORM brent_mdm.dpia_row(dpia);
  DELETE FROM brent_mdm.dpia_table_scope s WHERE s.dpia_id = dpia AND s.table_name = target;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'table % is not in the scope of DPIA "%"', target, dpia USING ERRCODE = '42704';
  END IF;
  PERFORM brent_mdm.refresh_protection(target);
  PERFORM brent_mdm.policy_log('remove_table_scope', dpia, jsonb_build_object('table', target::text));
  RETURN format('%s: %s removed', dpia, target);
END $$;
COMMENT ON FUNCTION brent_mdm.remove_table_scope(text, regclass) IS
  'Takes a table (with its column scope) out of a DPIA''s scope; regenerates its policies; logged';

CREATE FUNCTION brent_mdm.set_column_scope(dpia text, target regclass, column_name name,
    treatment text DEFAULT 'clear')
  RETURNS text
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, brent_mdm, pg_temp
  AS $$
#variable_conflict use_variable
DECLARE
  typ regtype;
BEGIN
  PERFORM brent_mdm.dpia_row(dpia);
  IF NOT EXISTS (SELECT 1 FROM brent_mdm.dpia_table_scope s
                  WHERE s.dpia_id = dpia AND s.table_name = target) THEN
    RAISE EXCEPTION 'table % is not in the scope of DPIA "%"', target, dpia USING ERRCODE = '55000',
      HINT = 'Run brent_mdm.set_table_scope() first.';
  END IF;
  SELECT atttypid INTO typ FROM pg_attribute
   WHERE attrelid = target AND attname = column_name AND attnum > 0 AND NOT attisdropped;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'column "%" of table % does not exist', column_name, target USING ERRCODE = '42703';
  END IF;
  IF treatment IS NULL OR treatment NOT IN ('clear', 'year', 'sector', 'pseudonym', 'redact') THEN
    RAISE EXCEPTION 'invalid treatment "%"', treatment USING ERRCODE = '22023',
      HINT = 'clear, year (dates), sector (postcodes), pseudonym (text) or redact.';
  END IF;
  IF (treatment = 'year' AND typ <> 'date'::regtype)
     OR (treatment IN ('sector', 'pseudonym') AND typ NOT IN ('text'::regtype, 'character varying'::regtype)) THEN
    RAISE EXCEPTION 'treatment % does not apply to column "%" of type %', treatment, column_name, typ
      USING ERRCODE = '42804',
      HINT = 'year applies to date columns; sector and pseudonym to text columns.';
  END IF;
  IF treatment = 'redact' THEN
    DELETE FROM brent_mdm.dpia_column_scope c
     WHERE c.dpia_id = dpia AND c.table_name = target AND c.column_name = set_column_scope.column_name;
  ELSE
    INSERT INTO brent_mdm.dpia_column_scope (dpia_id, table_name, column_name, treatment)
    VALUES (dpia, target, column_name, treatment)
    ON CONFLICT ON CONSTRAINT dpia_column_scope_pkey DO UPDATE SET treatment = excluded.treatment;
  END IF;
  PERFORM brent_mdm.refresh_protection(target);
  PERFORM brent_mdm.policy_log('column_scope', dpia, jsonb_build_object('table', target::text,
    'column', column_name, 'treatment', treatment));
  RETURN format('%s: %s.%s %s', dpia, target, column_name, treatment);
END $$;
COMMENT ON FUNCTION brent_mdm.set_column_scope(text, regclass, name, text) IS
  'Shows a column under a DPIA in clear, generalised (year, sector), pseudonymised, or redacted (the default); regenerates the masking view; logged';

-- The registry is changed by the information governance team only: the DBA
-- grants these to its role (docs/governance-guide.md).
REVOKE ALL ON FUNCTION brent_mdm.register_dpia(text, text, text, text, text, text, text),
  brent_mdm.approve_dpia(text, text, timestamptz, date), brent_mdm.suspend_dpia(text, text),
  brent_mdm.expire_dpia(text), brent_mdm.grant_purpose(text, regrole),
  brent_mdm.revoke_purpose(text, regrole), brent_mdm.set_table_scope(text, regclass, text, text),
  brent_mdm.remove_table_scope(text, regclass), brent_mdm.set_column_scope(text, regclass, name, text)
  FROM PUBLIC;

-- ---- record of processing activities ----

CREATE VIEW brent_mdm.ropa AS
SELECT d.dpia_id, d.title, d.purpose, d.lawful_basis, d.special_category_condition,
       d.controller, d.owner,
       CASE WHEN d.status = 'approved' AND d.expires_at <= now() THEN 'expired' ELSE d.status END
         AS status,
       d.approved_by, d.approved_at, d.review_date, d.expires_at,
       (SELECT array_agg(s.table_name::text || CASE WHEN s.access = 'write' THEN ' (write)' ELSE '' END
                         ORDER BY s.table_name::text)
          FROM brent_mdm.dpia_table_scope s WHERE s.dpia_id = d.dpia_id) AS tables,
       (SELECT array_agg(c.table_name::text || '.' || c.column_name || ' ' || c.treatment
                         ORDER BY c.table_name::text, c.column_name)
          FROM brent_mdm.dpia_column_scope c WHERE c.dpia_id = d.dpia_id) AS columns,
       (SELECT array_agg(r.role_name::text ORDER BY r.role_name::text)
          FROM brent_mdm.dpia_role r WHERE r.dpia_id = d.dpia_id) AS roles,
       a.statements, a.rows_read, a.rows_written, a.roles_used, a.first_use, a.last_use
  FROM brent_mdm.dpia d
  LEFT JOIN LATERAL (
    SELECT count(*) FILTER (WHERE l.table_name IS NOT NULL) AS statements,
           coalesce(sum(l.rows) FILTER (WHERE l.action = 'select'), 0) AS rows_read,
           coalesce(sum(l.rows) FILTER (WHERE l.action IN ('insert', 'update', 'delete')), 0) AS rows_written,
           count(DISTINCT l.role_name) FILTER (WHERE l.table_name IS NOT NULL) AS roles_used,
           min(l.logged_at) FILTER (WHERE l.table_name IS NOT NULL) AS first_use,
           max(l.logged_at) FILTER (WHERE l.table_name IS NOT NULL) AS last_use
      FROM brent_mdm.audit_log l WHERE l.dpia_id = d.dpia_id) a ON true;
COMMENT ON VIEW brent_mdm.ropa IS
  'Record of processing activities (GDPR Art. 30): each DPIA, its scope and grants, and its use from the audit log';
REVOKE ALL ON brent_mdm.ropa FROM PUBLIC;

-- A protected table dropped: its registry rows go with it (regclass columns
-- must never point to a dropped table, or pg_dump could not restore them).
CREATE FUNCTION brent_mdm.policy_forget_dropped() RETURNS event_trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, brent_mdm, pg_temp
  AS $$
DECLARE
  o record;
BEGIN
  FOR o IN SELECT objid, object_identity FROM pg_event_trigger_dropped_objects()
            WHERE classid = 'pg_class'::regclass AND objsubid = 0
              AND object_type IN ('table', 'view') LOOP
    IF EXISTS (SELECT 1 FROM brent_mdm.protected_table WHERE table_name = o.objid) THEN
      DELETE FROM brent_mdm.dpia_column_scope WHERE table_name = o.objid;
      DELETE FROM brent_mdm.dpia_table_scope WHERE table_name = o.objid;
      DELETE FROM brent_mdm.protected_table WHERE table_name = o.objid;
      PERFORM brent_mdm.policy_log('dropped', NULL, jsonb_build_object('table', o.object_identity));
    END IF;
    UPDATE brent_mdm.protected_table SET masked_view = NULL WHERE masked_view = o.objid;
  END LOOP;
END $$;
COMMENT ON FUNCTION brent_mdm.policy_forget_dropped() IS
  'Event trigger: forgets the scopes and protection of a dropped protected table; logged';
REVOKE ALL ON FUNCTION brent_mdm.policy_forget_dropped() FROM PUBLIC;
CREATE EVENT TRIGGER brent_mdm_policy_forget_dropped ON sql_drop
  EXECUTE FUNCTION brent_mdm.policy_forget_dropped();

-- A masking view is what analysts read: only refresh_protection() (which sets
-- brent_mdm.extension_internal) may redefine it.  Its owner (a protected table's owner,
-- or brent_mdm_index_reader for the Client Index), a member of that role, or a DBA by
-- hand would otherwise leave behind a view that shows clear values to every analyst.
CREATE FUNCTION brent_mdm.policy_guard_masking_views() RETURNS event_trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
  AS $$
DECLARE
  c record;
BEGIN
  IF current_setting('brent_mdm.extension_internal', true) = 'on' THEN
    RETURN;
  END IF;
  FOR c IN SELECT d.command_tag, v.masked_view
             FROM pg_event_trigger_ddl_commands() d
             JOIN brent_mdm.protected_table v
               ON v.masked_view = CASE WHEN d.classid = 'pg_rewrite'::regclass
                                       THEN (SELECT r.ev_class FROM pg_rewrite r WHERE r.oid = d.objid)
                                       WHEN d.classid = 'pg_class'::regclass THEN d.objid END
            WHERE d.command_tag IN ('CREATE VIEW', 'CREATE RULE', 'ALTER VIEW', 'ALTER TABLE')
            LIMIT 1 LOOP
    RAISE EXCEPTION 'masking view % is made by brent_mdm only', c.masked_view
      USING ERRCODE = '42501',
      DETAIL = format('%s would change what every analyst reading it sees.', c.command_tag),
      HINT = 'Change the DPIA''s column scope (brent_mdm.set_column_scope): the view is made again from it.';
  END LOOP;
END $$;
COMMENT ON FUNCTION brent_mdm.policy_guard_masking_views() IS
  'Event trigger: refuses any change to a masking view but brent_mdm''s own (refresh_protection)';
REVOKE ALL ON FUNCTION brent_mdm.policy_guard_masking_views() FROM PUBLIC;
CREATE EVENT TRIGGER brent_mdm_policy_guard_masking_views ON ddl_command_end
  WHEN TAG IN ('CREATE VIEW', 'CREATE RULE', 'ALTER VIEW', 'ALTER TABLE')
  EXECUTE FUNCTION brent_mdm.policy_guard_masking_views();

-- ---- data subjects' rights: objections and restrictions, subject access, retention ----
--
-- An objection (GDPR Art. 21) or a restriction (Art. 18) of a person (a Client
-- Index client) leaves that person's rows out of the purposes it applies to (one
-- DPIA, or every purpose when dpia_id is NULL): the policies of tables protected
-- with a client-id column call brent_mdm.subject_visible(), a C function over a
-- per-backend cache of the register, invalidated when it (or a merge of clients)
-- changes.  A person is every client id merged into the same surviving client:
-- an objection follows merges made before or after it was recorded.

CREATE TABLE brent_mdm.objection (
  objection_id  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  client_id     bigint NOT NULL,
  dpia_id       text REFERENCES brent_mdm.dpia ON DELETE CASCADE,
  kind          text NOT NULL CHECK (kind IN ('objection', 'restriction')),
  reason        text NOT NULL CHECK (reason <> ''),
  recorded_by   name NOT NULL DEFAULT session_user,
  recorded_at   timestamptz NOT NULL DEFAULT now(),
  ends_at       timestamptz,
  lifted_by     name,
  lifted_at     timestamptz,
  lift_reason   text,
  CHECK ((lifted_at IS NULL) = (lifted_by IS NULL))
);
CREATE INDEX objection_client ON brent_mdm.objection (client_id);
COMMENT ON TABLE brent_mdm.objection IS
  'Objections (Art. 21) and restrictions (Art. 18) of persons: their rows are left out of the purpose (dpia_id) or of every purpose (NULL) until ends_at or lifted';
SELECT pg_catalog.pg_extension_config_dump('brent_mdm.objection', '');
SELECT pg_catalog.pg_extension_config_dump('brent_mdm.objection_objection_id_seq', '');
REVOKE ALL ON brent_mdm.objection FROM PUBLIC;
CREATE TRIGGER policy_registry_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
  ON brent_mdm.objection FOR EACH STATEMENT EXECUTE FUNCTION brent_mdm.policy_registry_changed();
-- a merge makes the merged client's objections apply to the survivor's rows and back
CREATE TRIGGER policy_client_merged AFTER UPDATE OF merged_into ON brent_mdm.client
  FOR EACH ROW WHEN (NEW.merged_into IS DISTINCT FROM OLD.merged_into)
  EXECUTE FUNCTION brent_mdm.policy_registry_changed();

CREATE FUNCTION brent_mdm.subject_visible(dpia text, tbl regclass, client_id bigint) RETURNS boolean
  LANGUAGE c STABLE LEAKPROOF PARALLEL RESTRICTED COST 10
  AS 'MODULE_PATHNAME', 'policy_subject_visible';
COMMENT ON FUNCTION brent_mdm.subject_visible(text, regclass, bigint) IS
  'Policy gate: false when the session does not act under the DPIA or the person (client id, merges followed) objected to it or restricted it; counts the persons each statement reads, for the audit';

CREATE FUNCTION brent_mdm.objection_active(o brent_mdm.objection) RETURNS boolean
  LANGUAGE sql STABLE
  AS $$ SELECT o.lifted_at IS NULL AND (o.ends_at IS NULL OR o.ends_at > now()) $$;
COMMENT ON FUNCTION brent_mdm.objection_active(brent_mdm.objection) IS
  'Whether an objection or restriction applies now (not lifted, not ended)';

CREATE FUNCTION brent_mdm.client_ids_of_person(client_id bigint) RETURNS bigint[]
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, brent_mdm, pg_temp
  AS $$
    WITH RECURSIVE tree(id) AS (
      SELECT coalesce(brent_mdm.resolve_client(client_id), client_id)
      UNION SELECT c.client_id FROM brent_mdm.client c JOIN tree ON c.merged_into = tree.id)
    SELECT array_agg(id ORDER BY id) FROM tree
  $$;
COMMENT ON FUNCTION brent_mdm.client_ids_of_person(bigint) IS
  'Every client id standing for the same person: the surviving client of a client id and every client merged into it';
REVOKE ALL ON FUNCTION brent_mdm.client_ids_of_person(bigint) FROM PUBLIC;

CREATE FUNCTION brent_mdm.record_objection(client_id bigint, kind text, reason text,
    dpia text DEFAULT NULL, ends_at timestamptz DEFAULT NULL)
  RETURNS bigint
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, brent_mdm, pg_temp
  SET brent_mdm.extension_internal = on
  AS $$
#variable_conflict use_variable
DECLARE
  id bigint;
BEGIN
  IF client_id IS NULL OR kind IS NULL OR reason IS NULL OR reason = '' THEN
    RAISE EXCEPTION 'record_objection needs a client id, a kind and a reason' USING ERRCODE = '22004';
  END IF;
  IF kind NOT IN ('objection', 'restriction') THEN
    RAISE EXCEPTION 'invalid kind "%"', kind USING ERRCODE = '22023',
      HINT = 'objection (GDPR Art. 21) or restriction (Art. 18).';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM brent_mdm.client c WHERE c.client_id = record_objection.client_id) THEN
    RAISE EXCEPTION 'client % does not exist', client_id USING ERRCODE = '42704',
      HINT = 'Objections are recorded against Client Index ids (brent_mdm.client).';
  END IF;
  IF dpia IS NOT NULL THEN
    PERFORM brent_mdm.dpia_row(dpia);
  END IF;
  IF ends_at IS NOT NULL AND ends_at <= now() THEN
    RAISE EXCEPTION 'an objection cannot end in the past' USING ERRCODE = '22023';
  END IF;
  INSERT INTO brent_mdm.objection (client_id, dpia_id, kind, reason, ends_at)
  VALUES (client_id, dpia, kind, reason, ends_at)
  RETURNING objection_id INTO id;
  PERFORM brent_mdm.policy_log('record_objection', dpia, jsonb_build_object('objection_id', id,
    'client_id', client_id, 'kind', kind, 'reason', reason, 'ends_at', ends_at));
  RETURN id;
END $$;
COMMENT ON FUNCTION brent_mdm.record_objection(bigint, text, text, text, timestamptz) IS
  'Records an objection or restriction of a person to one DPIA (or to every purpose, dpia NULL), until ends_at (or lifted); their rows leave that purpose at once; logged';

CREATE FUNCTION brent_mdm.lift_objection(objection_id bigint, reason text) RETURNS bigint
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, brent_mdm, pg_temp
  AS $$
#variable_conflict use_variable
DECLARE
  o brent_mdm.objection;
BEGIN
  IF reason IS NULL OR reason = '' THEN
    RAISE EXCEPTION 'lift_objection needs a reason' USING ERRCODE = '22004';
  END IF;
  SELECT * INTO o FROM brent_mdm.objection x WHERE x.objection_id = lift_objection.objection_id FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'objection % does not exist', objection_id USING ERRCODE = '42704';
  END IF;
  IF o.lifted_at IS NOT NULL THEN
    RAISE EXCEPTION 'objection % was already lifted', objection_id USING ERRCODE = '55000';
  END IF;
  UPDATE brent_mdm.objection x SET lifted_by = session_user, lifted_at = now(), lift_reason = reason
   WHERE x.objection_id = lift_objection.objection_id;
  PERFORM brent_mdm.policy_log('lift_objection', o.dpia_id, jsonb_build_object(
    'objection_id', objection_id, 'client_id', o.client_id, 'reason', reason));
  RETURN objection_id;
END $$;
COMMENT ON FUNCTION brent_mdm.lift_objection(bigint, text) IS
  'Lifts an objection or restriction (kept in the register, marked lifted); logged';
REVOKE ALL ON FUNCTION brent_mdm.record_objection(bigint, text, text, text, timestamptz),
  brent_mdm.lift_objection(bigint, text) FROM PUBLIC;

-- The subject access report (GDPR Art. 15): C, so that it can read protected
-- tables for a DPO who acts under no purpose; itself audited.
CREATE FUNCTION brent_mdm.subject_access_report(client_id bigint)
  RETURNS TABLE (source text, item text, record jsonb)
  LANGUAGE c VOLATILE STRICT PARALLEL UNSAFE
  AS 'MODULE_PATHNAME', 'policy_subject_access_report';
COMMENT ON FUNCTION brent_mdm.subject_access_report(bigint) IS
  'Everything held on a person (every client id merged with theirs): golden records, source records of every system, lineage, objections, rows of every table protected with a client-id column, and the audit of every access to them; for the DPO (not PUBLIC); audited';
REVOKE ALL ON FUNCTION brent_mdm.subject_access_report(bigint) FROM PUBLIC;

-- ---- retention ----

CREATE TABLE brent_mdm.retention_rule (
  rule_id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  table_name    regclass,
  system        text REFERENCES brent_mdm.client_source ON UPDATE CASCADE ON DELETE CASCADE,
  keep          interval NOT NULL CHECK (keep > interval '0'),
  date_column   name NOT NULL,
  action        text NOT NULL DEFAULT 'delete' CHECK (action IN ('delete', 'anonymise')),
  anonymise_columns name[],
  created_by    name NOT NULL DEFAULT session_user,
  created_at    timestamptz NOT NULL DEFAULT now(),
  CHECK ((table_name IS NULL) <> (system IS NULL)),
  CHECK ((action = 'anonymise') = (anonymise_columns IS NOT NULL)),
  UNIQUE (table_name),
  UNIQUE (system)
);
COMMENT ON TABLE brent_mdm.retention_rule IS
  'How long records are kept: rows of a table, or Client Index records of a source system, whose date column is older than keep are deleted or anonymised by purge()';
SELECT pg_catalog.pg_extension_config_dump('brent_mdm.retention_rule', '');
SELECT pg_catalog.pg_extension_config_dump('brent_mdm.retention_rule_rule_id_seq', '');
REVOKE ALL ON brent_mdm.retention_rule FROM PUBLIC;

-- purge() runs as the extension owner, a superuser: whatever user code a DELETE
-- or UPDATE of a table would run (triggers, rules, non-catalog functions or
-- operators in index expressions and predicates, and for an UPDATE in CHECK
-- constraints and generated columns) would run with a superuser's rights.  Such
-- tables are refused, when a rule is set and again at each purge.
CREATE FUNCTION brent_mdm.retention_target_check(target regclass, action text) RETURNS void
  LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, brent_mdm, pg_temp
  AS $$
#variable_conflict use_variable
DECLARE
  why text;
BEGIN
  WITH RECURSIVE tree(relid) AS (
    SELECT target::oid UNION SELECT i.inhrelid FROM pg_inherits i JOIN tree ON i.inhparent = tree.relid),
  code(objclass, objid, what) AS (
    SELECT 'pg_class'::regclass, x.indexrelid, format('index %s', x.indexrelid::regclass)
      FROM pg_index x JOIN tree ON x.indrelid = tree.relid
    UNION ALL
    SELECT 'pg_constraint'::regclass, c.oid, format('constraint %s', c.conname)
      FROM pg_constraint c JOIN tree ON c.conrelid = tree.relid
     WHERE c.contype = 'c' AND action = 'anonymise'
    UNION ALL
    SELECT 'pg_attrdef'::regclass, d.oid, format('generated column %s', a.attname)
      FROM pg_attrdef d JOIN tree ON d.adrelid = tree.relid
      JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
     WHERE a.attgenerated <> '' AND action = 'anonymise')
  SELECT coalesce(
    (SELECT format('trigger %s on %s', t.tgname, t.tgrelid::regclass) FROM pg_trigger t JOIN tree ON t.tgrelid = tree.relid
      WHERE NOT t.tgisinternal LIMIT 1),
    (SELECT format('rule %s on %s', r.rulename, r.ev_class::regclass) FROM pg_rewrite r JOIN tree ON r.ev_class = tree.relid
      WHERE r.rulename <> '_RETURN' LIMIT 1),
    (SELECT code.what FROM code JOIN pg_depend dep ON dep.classid = code.objclass AND dep.objid = code.objid
       LEFT JOIN pg_proc p ON dep.refclassid = 'pg_proc'::regclass AND p.oid = dep.refobjid
       LEFT JOIN pg_operator o ON dep.refclassid = 'pg_operator'::regclass AND o.oid = dep.refobjid
      WHERE coalesce(p.pronamespace, o.oprnamespace) NOT IN ('pg_catalog'::regnamespace, 'brent_mdm'::regnamespace)
      LIMIT 1))
    INTO why;
  IF why IS NOT NULL THEN
    RAISE EXCEPTION 'table % cannot be purged: it runs user code (%)', target, why
      USING ERRCODE = '42501',
      DETAIL = 'purge() runs as a superuser: triggers, rules and user functions of the table would run with its rights.',
      HINT = 'Remove it, or purge the table by its owner''s own job.';
  END IF;
END $$;
COMMENT ON FUNCTION brent_mdm.retention_target_check(regclass, text) IS
  'Internal: refuses a table whose purge would run user code (triggers, rules, user functions in indexes, and for anonymise in CHECK constraints and generated columns)';
REVOKE ALL ON FUNCTION brent_mdm.retention_target_check(regclass, text) FROM PUBLIC;

CREATE FUNCTION brent_mdm.purge_access(on_off boolean) RETURNS boolean
  LANGUAGE c VOLATILE PARALLEL UNSAFE AS 'MODULE_PATHNAME', 'policy_purge_access';
COMMENT ON FUNCTION brent_mdm.purge_access(boolean) IS
  'Internal: lets purge() (and only a superuser) read and write protected tables for its caller; returns the previous state';
REVOKE ALL ON FUNCTION brent_mdm.purge_access(boolean) FROM PUBLIC;

CREATE FUNCTION brent_mdm.set_retention_rule(target text, keep interval, date_column name,
    action text DEFAULT 'delete', anonymise_columns name[] DEFAULT NULL)
  RETURNS bigint
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, brent_mdm, pg_temp
  AS $$
#variable_conflict use_variable
DECLARE
  tbl regclass;
  sys text;
  typ regtype;
  col name;
  id bigint;
BEGIN
  IF target IS NULL OR keep IS NULL OR date_column IS NULL OR action IS NULL THEN
    RAISE EXCEPTION 'set_retention_rule needs a table or system, a period and a date column'
      USING ERRCODE = '22004';
  END IF;
  IF keep <= interval '0' THEN
    RAISE EXCEPTION 'invalid retention period %', keep USING ERRCODE = '22023';
  END IF;
  IF action NOT IN ('delete', 'anonymise') THEN
    RAISE EXCEPTION 'invalid action "%"', action USING ERRCODE = '22023', HINT = 'delete or anonymise.';
  END IF;
  IF target LIKE 'system:%' THEN
    sys := substr(target, 8);
    IF NOT EXISTS (SELECT 1 FROM brent_mdm.client_source s WHERE s.system = sys) THEN
      RAISE EXCEPTION 'system "%" is not a Client Index source', sys USING ERRCODE = '42704';
    END IF;
    IF action <> 'delete' THEN
      RAISE EXCEPTION 'Client Index records are deleted, not anonymised' USING ERRCODE = '22023',
        DETAIL = 'An anonymised source record could no longer be matched; its client''s golden record is recomputed without it.';
    END IF;
    tbl := 'brent_mdm.client_record'::regclass;
  ELSE
    tbl := to_regclass(target);
    IF tbl IS NULL OR (SELECT relkind FROM pg_class WHERE oid = tbl) NOT IN ('r', 'p') THEN
      RAISE EXCEPTION 'table % does not exist', target USING ERRCODE = '42P01',
        HINT = 'A table name, or system:<name> for the Client Index records of a source system.';
    END IF;
    IF (SELECT relnamespace FROM pg_class WHERE oid = tbl) IN ('pg_catalog'::regnamespace,
         'brent_mdm'::regnamespace, 'information_schema'::regnamespace) THEN
      RAISE EXCEPTION 'table % has no retention rule of its own', tbl USING ERRCODE = '42939',
        HINT = 'Client Index records are kept per source system: system:<name>.';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = tbl) THEN
      RAISE EXCEPTION 'table % is a partition or inheritance child', tbl USING ERRCODE = '42809',
        HINT = 'Set the rule on its parent.';
    END IF;
    PERFORM brent_mdm.retention_target_check(tbl, action);
  END IF;
  SELECT atttypid INTO typ FROM pg_attribute
   WHERE attrelid = tbl AND attname = date_column AND attnum > 0 AND NOT attisdropped;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'column "%" of table % does not exist', date_column, tbl USING ERRCODE = '42703';
  END IF;
  IF typ NOT IN ('date'::regtype, 'timestamp'::regtype, 'timestamptz'::regtype) THEN
    RAISE EXCEPTION 'column "%" of table % is not a date', date_column, tbl USING ERRCODE = '42804';
  END IF;
  IF action = 'anonymise' THEN
    IF anonymise_columns IS NULL OR cardinality(anonymise_columns) = 0 THEN
      RAISE EXCEPTION 'anonymise needs the columns to clear' USING ERRCODE = '22004';
    END IF;
    FOREACH col IN ARRAY anonymise_columns LOOP
      IF NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = tbl AND attname = col
                        AND attnum > 0 AND NOT attisdropped) THEN
        RAISE EXCEPTION 'column "%" of table % does not exist', col, tbl USING ERRCODE = '42703';
      END IF;
      IF (SELECT attnotnull FROM pg_attribute WHERE attrelid = tbl AND attname = col) THEN
        RAISE EXCEPTION 'column "%" of table % is NOT NULL and cannot be cleared', col, tbl
          USING ERRCODE = '42804';
      END IF;
    END LOOP;
  ELSE
    anonymise_columns := NULL;
  END IF;
  DELETE FROM brent_mdm.retention_rule r
   WHERE r.table_name = CASE WHEN sys IS NULL THEN tbl END OR r.system = sys;
  INSERT INTO brent_mdm.retention_rule (table_name, system, keep, date_column, action, anonymise_columns)
  VALUES (CASE WHEN sys IS NULL THEN tbl END, sys, keep, date_column, action, anonymise_columns)
  RETURNING rule_id INTO id;
  PERFORM brent_mdm.policy_log('retention_rule', NULL, jsonb_build_object('rule_id', id,
    'target', coalesce(tbl::text, '') || coalesce(' system ' || sys, ''), 'keep', keep,
    'date_column', date_column, 'action', action, 'anonymise_columns', anonymise_columns));
  RETURN id;
END $$;
COMMENT ON FUNCTION brent_mdm.set_retention_rule(text, interval, name, text, name[]) IS
  'Sets how long rows of a table (or system:<name>, the Client Index records of a source system) are kept, by a date column, and whether they are then deleted or anonymised (listed columns set to NULL); replaces the table''s rule; logged';

CREATE FUNCTION brent_mdm.drop_retention_rule(rule_id bigint) RETURNS bigint
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, brent_mdm, pg_temp
  AS $$
#variable_conflict use_variable
BEGIN
  DELETE FROM brent_mdm.retention_rule r WHERE r.rule_id = drop_retention_rule.rule_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'retention rule % does not exist', rule_id USING ERRCODE = '42704';
  END IF;
  PERFORM brent_mdm.policy_log('drop_retention_rule', NULL, jsonb_build_object('rule_id', rule_id));
  RETURN rule_id;
END $$;
COMMENT ON FUNCTION brent_mdm.drop_retention_rule(bigint) IS 'Removes a retention rule; logged';

CREATE FUNCTION brent_mdm.purge(dry_run boolean DEFAULT true)
  RETURNS TABLE (rule_id bigint, target text, action text, rows bigint, oldest timestamptz,
                 clients_refreshed bigint, applied boolean)
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, brent_mdm, pg_temp
  AS $$
#variable_conflict use_variable
DECLARE
  r brent_mdm.retention_rule;
  cutoff timestamptz;
  n bigint;
  old timestamptz;
  touched bigint[];
  prev boolean;
  report jsonb := '[]';
BEGIN
  IF dry_run IS NULL THEN
    RAISE EXCEPTION 'purge needs dry_run true or false' USING ERRCODE = '22004';
  END IF;
  -- protected tables are read and written for the caller (audited, detail purge)
  PERFORM brent_mdm.purge_access(true);
  FOR r IN SELECT * FROM brent_mdm.retention_rule x ORDER BY x.rule_id LOOP
    cutoff := now() - r.keep;
    clients_refreshed := NULL;
    IF r.system IS NOT NULL THEN
      target := 'system ' || r.system;
      EXECUTE format('SELECT count(*), min(%1$I)::timestamptz FROM brent_mdm.client_record
                       WHERE system = $1 AND %1$I < $2', r.date_column)
        INTO n, old USING r.system, cutoff;
      IF NOT dry_run AND n > 0 THEN
        -- in bulk mode (one pass, not a trigger per row): lineage, change feed
        -- and golden records as the AFTER trigger would keep them
        prev := brent_mdm.client_index_bulk(true);
        EXECUTE format('WITH gone AS (DELETE FROM brent_mdm.client_record
                          WHERE system = $1 AND %1$I < $2
                          RETURNING client_id, record_id, system, record_key),
                        h AS (INSERT INTO brent_mdm.client_history (client_id, event, record_id, detail)
                          SELECT client_id, ''record_left'', record_id,
                                 jsonb_build_object(''system'', system, ''record_key'', record_key, ''by'', ''purge'')
                            FROM gone WHERE client_id IS NOT NULL),
                        f AS (INSERT INTO brent_mdm.client_change (client_id, change, system, record_key)
                          SELECT client_id, ''updated'', system, record_key FROM gone WHERE client_id IS NOT NULL)
                        SELECT array_agg(DISTINCT client_id) FROM gone WHERE client_id IS NOT NULL',
                       r.date_column)
          INTO touched USING r.system, cutoff;
        PERFORM brent_mdm.refresh_golden(coalesce(touched, '{}'));
        -- a client left without records keeps no personal data
        UPDATE brent_mdm.client c
           SET given_name = NULL, family_name = NULL, date_of_birth = NULL, sex = NULL,
               postcode = NULL, address_line = NULL, address_from = NULL, nhs_number = NULL,
               ni_number = NULL, upn = NULL
         WHERE c.client_id = ANY (touched) AND c.status = 'retired';
        PERFORM brent_mdm.client_index_bulk(prev);
        PERFORM pg_notify('brent_mdm_client_change', c::text) FROM unnest(touched) c;
        clients_refreshed := coalesce(cardinality(touched), 0);
      END IF;
    ELSE
      target := r.table_name::text;
      PERFORM brent_mdm.retention_target_check(r.table_name, r.action);
      EXECUTE format('SELECT count(*), min(%1$I)::timestamptz FROM %2$s WHERE %1$I < $1%3$s',
                     r.date_column, r.table_name,
                     CASE WHEN r.action = 'anonymise' THEN format(' AND (%s)',
                       (SELECT string_agg(format('%I IS NOT NULL', c), ' OR ') FROM unnest(r.anonymise_columns) c))
                     ELSE '' END)
        INTO n, old USING cutoff;
      IF NOT dry_run AND n > 0 THEN
        IF r.action = 'delete' THEN
          EXECUTE format('DELETE FROM %s WHERE %I < $1', r.table_name, r.date_column) USING cutoff;
        ELSE
          EXECUTE format('UPDATE %s SET %s WHERE %I < $1 AND (%s)', r.table_name,
                         (SELECT string_agg(format('%I = NULL', c), ', ') FROM unnest(r.anonymise_columns) c),
                         r.date_column,
                         (SELECT string_agg(format('%I IS NOT NULL', c), ' OR ') FROM unnest(r.anonymise_columns) c))
            USING cutoff;
        END IF;
      END IF;
    END IF;
    rule_id := r.rule_id;
    action := r.action;
    rows := n;
    oldest := old;
    applied := NOT dry_run;
    report := report || jsonb_build_object('rule_id', r.rule_id, 'target', target, 'action', r.action,
                                           'rows', n, 'oldest', old, 'cutoff', cutoff);
    RETURN NEXT;
  END LOOP;
  PERFORM brent_mdm.policy_log(CASE WHEN dry_run THEN 'purge_dry_run' ELSE 'purge' END, NULL,
                               jsonb_build_object('rules', report));
  PERFORM brent_mdm.purge_access(false);
END $$;
COMMENT ON FUNCTION brent_mdm.purge(boolean) IS
  'Applies the retention rules (dry run by default: reports only): per rule, the rows deleted or anonymised (or that would be) and the oldest date among them; Client Index records leave their clients with lineage, change feed and golden records kept right; logged';
REVOKE ALL ON FUNCTION brent_mdm.set_retention_rule(text, interval, name, text, name[]),
  brent_mdm.drop_retention_rule(bigint), brent_mdm.purge(boolean) FROM PUBLIC;
