-- ---- scorecard: the family scorecard (issue 14) ----
--
-- 1. Where the datasets are: brent_mdm.scorecard_dataset maps each source a
--    criterion may name (and the gazetteer, for wards) to the council's
--    relation holding it, with the columns the scorecard reads; the DBA sets
--    it once (scorecard_locate), pg_dump keeps it.
-- 2. scorecard_events(as_of): every dated record of those datasets, reached
--    through the Client Index (the link of each source: brent_mdm.scorecard_source),
--    as (client_id, source, category, event_from, event_to, missed, possible).
-- 3. brent_mdm.family_profile: an aggregate in C (profile.c) folding one
--    family's members' events into its problem profile under a rule set, with
--    combine, serialize and deserialize functions (parallel aggregation).
-- 4. family_scorecard(as_of, rule_set): one row per family (family_units),
--    scorecard_by_ward, scorecard_claims.
-- Everything reads with the caller's rights: the caller needs SELECT on the
-- datasets and the Client Index, and the policy layer applies to them.

-- Rules are council policy, not personal data: readable by everyone (the
-- aggregate reads them as its caller).
GRANT SELECT ON brent_mdm.scorecard_source, brent_mdm.scorecard_measure, brent_mdm.scorecard_rule_set,
                brent_mdm.scorecard_problem, brent_mdm.scorecard_criterion TO PUBLIC;

-- The columns each dataset must have (the names of generate_borough's tables);
-- shipped with the code that reads them.
CREATE TABLE brent_mdm.scorecard_dataset_columns (
  dataset       text PRIMARY KEY,
  default_table text NOT NULL,
  columns       text[] NOT NULL,
  link_system   text,
  description   text NOT NULL
);
COMMENT ON TABLE brent_mdm.scorecard_dataset_columns IS
  'The datasets the scorecard reads, the columns it needs of each, the name generate_borough gives its table, and the Client Index system whose record_key a record links by (NULL: linked by UPN, NHS number, name or address)';
INSERT INTO brent_mdm.scorecard_dataset_columns VALUES
  ('school_attendance', 'school_attendance', '{upn,academic_year,term,sessions_possible,sessions_authorised_absence,sessions_unauthorised_absence}', NULL,
   'a pupil''s sessions by academic year (2025/26) and term (autumn, spring, summer)'),
  ('school_exclusion', 'school_exclusion', '{upn,exclusion_date,category}', NULL, 'exclusions (suspension, permanent)'),
  ('cme_referral', 'cme_referral', '{upn,forename,surname,date_of_birth,postcode,referred_on}', NULL, 'CME referrals'),
  ('childrens_social_care', 'childrens_social_care', '{lcs_person_id,referral_date,category,episode_end}', 'childrens_social_care',
   'social care episodes (CIN, CP, LAC)'),
  ('missing_episode', 'missing_episode', '{lcs_person_id,went_missing,returned}', 'childrens_social_care', 'missing episodes'),
  ('cse_concern', 'cse_concern', '{lcs_person_id,assessed_on,risk_level}', 'childrens_social_care', 'CSE risk assessments'),
  ('ehcp', 'ehcp', '{upn,nhs_number,plan_start,ceased_on,primary_need}', NULL, 'EHC plans'),
  ('offence', 'offence', '{yot_case_id,offence_date}', 'youth_offending', 'proven offences'),
  ('asb_case', 'asb_case', '{asb_case_ref,party_role,opened_on}', 'asb_case', 'ASB case parties'),
  ('out_of_work_benefit', 'revenues_benefits', '{claim_ref,claim_start,claim_end,out_of_work}', 'revenues_benefits',
   'benefit claims (out_of_work marks the out-of-work ones)'),
  ('domestic_abuse', 'domestic_abuse_notification', '{notified_on,address_line,postcode}', NULL,
   'domestic abuse notifications, linked by the family''s address'),
  ('health_flag', 'health_flag', '{nhs_number,flag,recorded_on,given_name,family_name,date_of_birth,postcode}', NULL,
   'health flags as the health partner shares them: the NHS number and the person''s name, date of birth and postcode (a partner that shares no demographics: a view giving NULL for them)'),
  ('early_help', 'early_help_episode', '{lead_first_name,lead_surname,lead_dob,postcode,started_on,ended_on,primary_need}', NULL,
   'early help episodes, linked by the lead adult''s name, date of birth and postcode; the family''s latest episode is its attachment (start) and closure (end)'),
  ('gazetteer', 'address', '{postcode,ward_code}', NULL, 'the gazetteer: the ward of each postcode'),
  ('health_visiting', 'health_visiting', '{hv_client_id,mother_name}', 'health_visiting',
   'health visiting: the mother''s name of each child, which family_units uses to place a child with a parent of another surname'),
  ('early_years', 'early_years', '{child_ref,parent_carer_name}', 'early_years',
   'early years: the parent''s or carer''s name of each child, used as health visiting''s'),
  ('council_tax_property', 'council_tax', '{account_ref,uprn}', 'council_tax',
   'council tax: the property (UPRN) of each account, which family_units uses to tell two properties of one address line apart'),
  ('housing_property', 'housing', '{tenancy_person_ref,uprn}', 'housing',
   'housing tenancies: the property (UPRN) of each tenant, used as council tax''s'),
  ('electoral_register_property', 'electoral_register', '{elector_number,uprn}', 'electoral_register',
   'the electoral register: the property (UPRN) of each elector, used as council tax''s');
REVOKE ALL ON brent_mdm.scorecard_dataset_columns FROM PUBLIC;
GRANT SELECT ON brent_mdm.scorecard_dataset_columns TO PUBLIC;

CREATE TABLE brent_mdm.scorecard_dataset (
  dataset  text PRIMARY KEY REFERENCES brent_mdm.scorecard_dataset_columns,
  relation regclass NOT NULL
);
COMMENT ON TABLE brent_mdm.scorecard_dataset IS
  'Where the scorecard finds each dataset: the council''s table or view (set with scorecard_locate; kept by pg_dump)';
SELECT pg_catalog.pg_extension_config_dump('brent_mdm.scorecard_dataset', '');
REVOKE ALL ON brent_mdm.scorecard_dataset FROM PUBLIC;
GRANT SELECT ON brent_mdm.scorecard_dataset TO PUBLIC;

-- Registers one dataset's relation after checking it has the columns needed.
CREATE FUNCTION brent_mdm.scorecard_locate(dataset text, relation regclass) RETURNS regclass
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  need text[];
  missing text[];
BEGIN
  IF dataset IS NULL OR relation IS NULL THEN
    RAISE EXCEPTION 'dataset and relation must not be NULL' USING ERRCODE = '22004';
  END IF;
  SELECT d.columns INTO need FROM brent_mdm.scorecard_dataset_columns d WHERE d.dataset = scorecard_locate.dataset;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'the scorecard reads no dataset "%"', dataset USING ERRCODE = '22023',
      HINT = coalesce('Datasets: ' || (SELECT string_agg(d.dataset, ', ' ORDER BY d.dataset) FROM brent_mdm.scorecard_dataset_columns d) || '.', 'None.');
  END IF;
  missing := ARRAY(SELECT c FROM unnest(need) c
                    WHERE NOT EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = relation
                                        AND a.attname = c AND a.attnum > 0 AND NOT a.attisdropped));
  IF cardinality(missing) > 0 THEN
    RAISE EXCEPTION '% has no column % that dataset "%" needs', relation, array_to_string(missing, ', '), dataset
      USING ERRCODE = '42703', DETAIL = 'Dataset ' || dataset || ' is read through the columns ' || array_to_string(need, ', ') || '.',
            HINT = 'Give a view that renames the council''s columns to these.';
  END IF;
  -- what a query can read, and lasts (an index or a composite type has columns too; a
  -- temporary table ends with its session, leaving the scorecard a dangling oid)
  IF NOT EXISTS (SELECT FROM pg_class k WHERE k.oid = relation AND k.relkind IN ('r', 'v', 'p', 'm', 'f')
                                          AND k.relpersistence <> 't') THEN
    RAISE EXCEPTION '% is not a table or view the scorecard can read', relation USING ERRCODE = '42809',
      DETAIL = 'A dataset is a table, partitioned table, view, materialized view or foreign table, not temporary.';
  END IF;
  IF NOT has_table_privilege(relation, 'SELECT') THEN
    RAISE EXCEPTION 'you may not read %', relation USING ERRCODE = '42501';
  END IF;
  INSERT INTO brent_mdm.scorecard_dataset AS s VALUES (dataset, relation)
    ON CONFLICT ON CONSTRAINT scorecard_dataset_pkey DO UPDATE SET relation = EXCLUDED.relation;
  RETURN relation;
END $$;
COMMENT ON FUNCTION brent_mdm.scorecard_locate(text, regclass) IS
  'Tells the scorecard where one dataset is (a table or view with the columns of scorecard_dataset_columns); returns the relation';
REVOKE ALL ON FUNCTION brent_mdm.scorecard_locate(text, regclass) FROM PUBLIC;

-- Registers every dataset found in a schema under generate_borough's table names.
CREATE FUNCTION brent_mdm.scorecard_locate(schema name) RETURNS integer
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  d record;
  n integer := 0;
BEGIN
  IF schema IS NULL THEN
    RAISE EXCEPTION 'schema must not be NULL' USING ERRCODE = '22004';
  END IF;
  IF NOT EXISTS (SELECT FROM pg_namespace WHERE nspname = schema) THEN
    RAISE EXCEPTION 'schema "%" does not exist', schema USING ERRCODE = '3F000';
  END IF;
  FOR d IN SELECT c.dataset, r.oid::regclass AS rel
             FROM brent_mdm.scorecard_dataset_columns c
             JOIN pg_class r ON r.relname = c.default_table AND r.relkind IN ('r', 'v', 'p', 'm', 'f')
             JOIN pg_namespace s ON s.oid = r.relnamespace AND s.nspname = schema
            ORDER BY c.dataset LOOP
    PERFORM brent_mdm.scorecard_locate(d.dataset, d.rel);
    n := n + 1;
  END LOOP;
  IF n = 0 THEN
    RAISE EXCEPTION 'schema "%" holds none of the scorecard''s datasets', schema USING ERRCODE = '22023',
      HINT = 'Tables are looked for under the names of brent_mdm.scorecard_dataset_columns.default_table.';
  END IF;
  RETURN n;
END $$;
COMMENT ON FUNCTION brent_mdm.scorecard_locate(name) IS
  'Tells the scorecard where every dataset found in a schema is (tables named as generate_borough names them); returns how many';
REVOKE ALL ON FUNCTION brent_mdm.scorecard_locate(name) FROM PUBLIC;

-- ---- the aggregate ----
CREATE FUNCTION brent_mdm.family_profile_transition(internal, text, date, date, date, bigint, text, text, text,
                                                    date, date, integer, integer) RETURNS internal
  LANGUAGE c STABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'scorecard_profile_trans';
COMMENT ON FUNCTION brent_mdm.family_profile_transition(internal, text, date, date, date, bigint, text, text, text,
                                                        date, date, integer, integer) IS
  'Internal: transition function of family_profile';
CREATE FUNCTION brent_mdm.family_profile_combine(internal, internal) RETURNS internal
  LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'scorecard_profile_combine';
COMMENT ON FUNCTION brent_mdm.family_profile_combine(internal, internal) IS
  'Internal: combine function of family_profile (parallel aggregation)';
CREATE FUNCTION brent_mdm.family_profile_serialize(internal) RETURNS bytea
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'scorecard_profile_serialize';
COMMENT ON FUNCTION brent_mdm.family_profile_serialize(internal) IS
  'Internal: serial function of family_profile (parallel aggregation)';
CREATE FUNCTION brent_mdm.family_profile_deserialize(bytea, internal) RETURNS internal
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'scorecard_profile_deserialize';
COMMENT ON FUNCTION brent_mdm.family_profile_deserialize(bytea, internal) IS
  'Internal: deserial function of family_profile (parallel aggregation)';
CREATE FUNCTION brent_mdm.family_profile_final(internal) RETURNS jsonb
  LANGUAGE c STABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'scorecard_profile_final';
COMMENT ON FUNCTION brent_mdm.family_profile_final(internal) IS
  'Internal: final function of family_profile: the profile as jsonb';

CREATE AGGREGATE brent_mdm.family_profile(rule_set text, as_of date, attached date, closed date,
                                          member_id bigint, member_role text, source text, category text,
                                          event_from date, event_to date, missed integer, possible integer) (
  SFUNC = brent_mdm.family_profile_transition, STYPE = internal, SSPACE = 1024,
  FINALFUNC = brent_mdm.family_profile_final,
  COMBINEFUNC = brent_mdm.family_profile_combine,
  SERIALFUNC = brent_mdm.family_profile_serialize,
  DESERIALFUNC = brent_mdm.family_profile_deserialize,
  PARALLEL = SAFE);
REVOKE ALL ON FUNCTION brent_mdm.family_profile_transition(internal, text, date, date, date, bigint, text, text, text,
                                                            date, date, integer, integer),
                       brent_mdm.family_profile_combine(internal, internal),
                       brent_mdm.family_profile_serialize(internal),
                       brent_mdm.family_profile_deserialize(bytea, internal),
                       brent_mdm.family_profile_final(internal) FROM PUBLIC;
COMMENT ON AGGREGATE brent_mdm.family_profile(text, date, date, date, bigint, text, text, text, date, date, integer, integer) IS
  'The problem profile of a family under a rule set on a date, from its members'' events (one row each: member, role child or adult, source, category, dates, sessions missed and possible; no member: an event of the family itself, such as a notification at its address, counted by criteria for any member): problems, eligibility, evidence per criterion, progress over baseline and outcome windows, as jsonb';

-- A located relation is read with the caller's rights, so its owner could make
-- the read run his code as the caller (a view, a table turned into one, a
-- column of his type with an implicit cast): the scorecard reads only
-- relations owned by a superuser or the caller, masking views of the caller's
-- DPIA, and, for a superuser, protected tables and their masking views (whose
-- owners docs/security.md trusts).  And a view is read with what it reads: a
-- superuser's view (the "view that renames the council's columns" of
-- scorecard_locate's hint) over a loader's table ran the loader's code as the
-- DBA once the loader turned his table into a view (review of 2026-11-27), so
-- the same holds of every relation a located view reads, through views, and of
-- the functions, operators and types they use, and of the relations' column
-- types.  The roles, neither a superuser nor the caller, that own any of it:
CREATE FUNCTION brent_mdm.scorecard_code_owners(relation regclass) RETURNS regrole[]
  LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  exempt oid[];
BEGIN
  -- a table (not a view) of a trusted owner, its columns of trusted types: nothing more
  -- to follow (the common case, kept cheap: child_view asks it on every call)
  IF EXISTS (SELECT FROM pg_class k JOIN pg_roles o ON o.oid = k.relowner
              WHERE k.oid = relation AND k.relkind <> 'v' AND (o.rolsuper OR o.rolname = current_user))
     AND NOT EXISTS (SELECT FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid JOIN pg_roles o ON o.oid = t.typowner
                      WHERE a.attrelid = relation AND a.attnum > 0 AND NOT a.attisdropped
                        AND NOT o.rolsuper AND o.rolname <> current_user) THEN
    RETURN '{}';
  END IF;
  exempt := ARRAY(SELECT s.masked_view::oid FROM brent_mdm.purpose_scope() s WHERE s.masked_view IS NOT NULL);
  IF (SELECT r.rolsuper FROM pg_roles r WHERE r.rolname = current_user) THEN
    -- (the registry is readable by superusers only)
    exempt := exempt || ARRAY(SELECT p.table_name::oid FROM brent_mdm.protected_table p
                              UNION ALL SELECT p.masked_view::oid FROM brent_mdm.protected_table p WHERE p.masked_view IS NOT NULL);
  END IF;
  RETURN (
    WITH RECURSIVE rel(oid) AS (
      SELECT relation::oid WHERE relation::oid <> ALL (exempt)
      UNION
      SELECT d.refobjid
        FROM rel JOIN pg_rewrite w ON w.ev_class = rel.oid AND w.ev_type = '1'
        JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = w.oid AND d.refclassid = 'pg_class'::regclass
       WHERE d.refobjid <> rel.oid AND d.refobjid <> ALL (exempt)
    ), dep AS (
      SELECT d.refclassid, d.refobjid
        FROM rel JOIN pg_rewrite w ON w.ev_class = rel.oid AND w.ev_type = '1'
        JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = w.oid
    ), owner(oid) AS (
      SELECT k.relowner FROM rel JOIN pg_class k ON k.oid = rel.oid
      UNION SELECT t.typowner FROM rel JOIN pg_attribute a ON a.attrelid = rel.oid AND a.attnum > 0 AND NOT a.attisdropped
                              JOIN pg_type t ON t.oid = a.atttypid
      UNION SELECT f.proowner FROM dep JOIN pg_proc f ON dep.refclassid = 'pg_proc'::regclass AND f.oid = dep.refobjid
      UNION SELECT o.oprowner FROM dep JOIN pg_operator o ON dep.refclassid = 'pg_operator'::regclass AND o.oid = dep.refobjid
      UNION SELECT f.proowner FROM dep JOIN pg_operator o ON dep.refclassid = 'pg_operator'::regclass AND o.oid = dep.refobjid
                              JOIN pg_proc f ON f.oid = o.oprcode
      UNION SELECT t.typowner FROM dep JOIN pg_type t ON dep.refclassid = 'pg_type'::regclass AND t.oid = dep.refobjid
    )
    SELECT coalesce(array_agg(r.oid::regrole ORDER BY r.rolname), '{}')
      FROM owner o JOIN pg_roles r ON r.oid = o.oid
     WHERE NOT r.rolsuper AND r.rolname <> current_user);
END $$;
COMMENT ON FUNCTION brent_mdm.scorecard_code_owners(regclass) IS
  'The roles, neither a superuser nor the caller, whose code could run as the caller reading this relation: its owner, and for a view the owners of the relations it reads (through views), of the functions, operators and types it uses, and of their columns'' types; none for a masking view of the caller''s DPIA or, for a superuser, a protected table or its masking view. The scorecard and child_view read only relations with none';
GRANT EXECUTE ON FUNCTION brent_mdm.scorecard_code_owners(regclass) TO PUBLIC;

-- The located relations of these datasets that the scorecard would not read:
CREATE FUNCTION brent_mdm.scorecard_untrusted(datasets text[]) RETURNS regclass[]
  LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  RETURN ARRAY(SELECT d.relation FROM brent_mdm.scorecard_dataset d JOIN pg_class kc ON kc.oid = d.relation
                WHERE d.dataset = ANY (datasets) AND cardinality(brent_mdm.scorecard_code_owners(d.relation)) > 0
                ORDER BY d.dataset);
END $$;
COMMENT ON FUNCTION brent_mdm.scorecard_untrusted(text[]) IS
  'Internal: the located relations of these datasets reading which could run code of a role other than the caller (scorecard_code_owners)';
REVOKE ALL ON FUNCTION brent_mdm.scorecard_untrusted(text[]) FROM PUBLIC;

CREATE FUNCTION brent_mdm.scorecard_check_trusted(datasets text[]) RETURNS void
  LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  suspects regclass[] := brent_mdm.scorecard_untrusted(datasets);
  gone text;
  one text;
BEGIN
  -- a located relation dropped since: its oid alone would be pasted into the query
  -- (a syntax error at or near the number)
  SELECT string_agg(format('%s (oid %s)', d.dataset, d.relation::oid), ', ' ORDER BY d.dataset),
         min(d.dataset) INTO gone, one
    FROM brent_mdm.scorecard_dataset d
   WHERE d.dataset = ANY (datasets) AND NOT EXISTS (SELECT FROM pg_class k WHERE k.oid = d.relation);
  IF gone IS NOT NULL THEN
    RAISE EXCEPTION 'the relation located for dataset % no longer exists', gone USING ERRCODE = '42P01',
      DETAIL = 'It was dropped after brent_mdm.scorecard_locate.',
      HINT = format('The DBA locates it again (SELECT brent_mdm.scorecard_locate(%L, ''<schema>.<table>'')), or forgets it (DELETE FROM brent_mdm.scorecard_dataset WHERE dataset = %L).',
                    one, one);
  END IF;
  IF cardinality(suspects) > 0 THEN
    RAISE EXCEPTION 'the scorecard will not read % with your rights', array_to_string(suspects, ', ') USING ERRCODE = '42501',
      DETAIL = 'It or what it reads is owned by ' || (SELECT string_agg(DISTINCT o::text, ', ') FROM unnest(suspects) x,
                                                                 unnest(brent_mdm.scorecard_code_owners(x)) o)
               || ', neither a superuser nor you: its owner could make reading it run his code as you.',
      HINT = 'The DBA gives it to a trusted owner (ALTER TABLE ... OWNER TO), or protects it, or locates a relation of a trusted owner.';
  END IF;
END $$;
COMMENT ON FUNCTION brent_mdm.scorecard_check_trusted(text[]) IS
  'Internal: refuses to read located relations of these datasets dropped since they were located (42P01) or whose owner could run code as the caller (42501, scorecard_untrusted)';
REVOKE ALL ON FUNCTION brent_mdm.scorecard_check_trusted(text[]) FROM PUBLIC;

-- ---- events through the Client Index ----
CREATE FUNCTION brent_mdm.scorecard_events(as_of date DEFAULT current_date)
  RETURNS TABLE (client_id bigint, source text, category text, event_from date, event_to date,
                 missed integer, possible integer)
  LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  rel jsonb;
  k record;
  parts text[] := '{}';
  q text;
  suspects regclass[];
  -- a person by name, date of birth and postcode, in three tries: date of
  -- birth, surname and postcode; given name, surname and postcode; given
  -- name, surname and date of birth (each one the Client Index holds once)
  person_join constant text := $j$
        LEFT JOIN person1 p1 ON %5$s AND p1.dob = %3$s AND p1.pc = brent_mdm.postcode_normalise(%4$s)
                            AND p1.fam = brent_mdm.normalise_name(%2$s)
        LEFT JOIN person2 p2 ON %5$s AND p1.client_id IS NULL AND p2.pc = brent_mdm.postcode_normalise(%4$s)
                            AND p2.fam = brent_mdm.normalise_name(%2$s)
                            AND p2.giv = split_part(brent_mdm.normalise_name(%1$s), ' ', 1)
                            AND (p2.dob IS NULL OR %3$s IS NULL OR p2.dob = %3$s)
        LEFT JOIN person3 p3 ON %5$s AND p1.client_id IS NULL AND p2.client_id IS NULL AND p3.dob = %3$s
                            AND p3.fam = brent_mdm.normalise_name(%2$s)
                            AND p3.giv = split_part(brent_mdm.normalise_name(%1$s), ' ', 1)$j$;
BEGIN
  IF as_of IS NULL THEN
    RAISE EXCEPTION 'as_of must not be NULL' USING ERRCODE = '22004';
  END IF;
  SELECT jsonb_object_agg(d.dataset, d.relation::text) INTO rel FROM brent_mdm.scorecard_dataset d;
  rel := coalesce(rel, '{}');
  PERFORM brent_mdm.scorecard_check_trusted('{school_attendance,school_exclusion,cme_referral,childrens_social_care,missing_episode,cse_concern,offence,asb_case,out_of_work_benefit,ehcp,health_flag,early_help}');
  -- the Client Index's identifiers, each to one client: a UPN or NHS number
  -- held by records of two clients goes to the one holding most of them
  IF rel ? 'school_attendance' THEN
    parts := parts || format($q$
      SELECT u.client_id, 'school_attendance', NULL::text,
             make_date(y.y + CASE WHEN a.term = 'autumn' THEN 0 ELSE 1 END,
                       CASE a.term WHEN 'autumn' THEN 9 WHEN 'spring' THEN 1 ELSE 4 END, 1),
             make_date(y.y + CASE WHEN a.term = 'autumn' THEN 0 ELSE 1 END,
                       CASE a.term WHEN 'autumn' THEN 12 WHEN 'spring' THEN 3 ELSE 8 END, 31),
             a.sessions_authorised_absence + a.sessions_unauthorised_absence, a.sessions_possible
        FROM %s a
        JOIN upn u ON u.upn = upper(a.upn)
        CROSS JOIN LATERAL (SELECT substr(a.academic_year, 1, 4)::int AS y) y
       WHERE a.academic_year ~ '^[1-9][0-9]{3}/[0-9]{2}$' AND a.term IN ('autumn', 'spring', 'summer')
         AND a.sessions_possible > 0
         AND a.sessions_authorised_absence + a.sessions_unauthorised_absence BETWEEN 0 AND a.sessions_possible$q$,
      rel ->> 'school_attendance');
  END IF;
  IF rel ? 'school_exclusion' THEN
    parts := parts || format($q$
      SELECT u.client_id, 'school_exclusion', x.category, x.exclusion_date, x.exclusion_date, NULL, NULL
        FROM %s x JOIN upn u ON u.upn = upper(x.upn)$q$, rel ->> 'school_exclusion');
  END IF;
  IF rel ? 'cme_referral' THEN
    parts := parts || format($q$
      SELECT coalesce(u.client_id, p1.client_id, p2.client_id, p3.client_id), 'cme_referral', NULL,
             x.referred_on, x.referred_on, NULL, NULL
        FROM %s x
        LEFT JOIN upn u ON u.upn = upper(x.upn)
        %s
       WHERE coalesce(u.client_id, p1.client_id, p2.client_id, p3.client_id) IS NOT NULL$q$,
rel ->> 'cme_referral',
      format(person_join, 'x.forename', 'x.surname', 'x.date_of_birth', 'x.postcode', 'u.client_id IS NULL'));
  END IF;
  -- datasets linked by the record key of a Client Index system (case and spaces
  -- ignored): (dataset, key column, category, start, end, condition), all code
  FOR k IN SELECT * FROM (VALUES
      ('childrens_social_care', 'lcs_person_id', 'x.category', 'referral_date', 'episode_end', 'x.referral_date IS NOT NULL'),
      ('missing_episode', 'lcs_person_id', 'NULL', 'went_missing', 'went_missing', 'true'),
      ('cse_concern', 'lcs_person_id', 'lower(x.risk_level)', 'assessed_on', 'assessed_on', 'true'),
      ('offence', 'yot_case_id', 'NULL', 'offence_date', 'offence_date', 'true'),
      ('asb_case', 'asb_case_ref', 'lower(x.party_role)', 'opened_on', 'opened_on', 'true'),
      ('out_of_work_benefit', 'claim_ref', 'NULL', 'claim_start', 'claim_end', 'x.out_of_work AND x.claim_start IS NOT NULL'))
      v(dataset, key, category, ef, et, cond) LOOP
    CONTINUE WHEN NOT rel ? k.dataset;
    parts := parts || format($q$
      SELECT k.client_id, %L, %s, x.%I, x.%I, NULL, NULL
        FROM %s x JOIN rec k ON k.system = %L AND k.key = upper(replace(x.%I, ' ', ''))
       WHERE %s$q$, k.dataset, k.category, k.ef, k.et, rel ->> k.dataset,
      (SELECT c.link_system FROM brent_mdm.scorecard_dataset_columns c WHERE c.dataset = k.dataset), k.key, k.cond);
  END LOOP;
  IF rel ? 'ehcp' THEN
    parts := parts || format($q$
      SELECT coalesce(u.client_id, n.client_id), 'ehcp', x.primary_need, x.plan_start, x.ceased_on, NULL, NULL
        FROM %s x
        LEFT JOIN upn u ON u.upn = upper(x.upn)
        LEFT JOIN nhs n ON u.client_id IS NULL AND n.nhs = replace(x.nhs_number, ' ', '')
       WHERE coalesce(u.client_id, n.client_id) IS NOT NULL$q$, rel ->> 'ehcp');
  END IF;
  IF rel ? 'health_flag' THEN
    -- by NHS number where the Client Index holds it, else by the name, date
    -- of birth and postcode the health partner gives with it
    parts := parts || format($q$
      SELECT coalesce(n.client_id, p1.client_id, p2.client_id, p3.client_id), 'health_flag', x.flag,
             x.recorded_on, x.recorded_on, NULL, NULL
        FROM %s x
        LEFT JOIN nhs n ON n.nhs = replace(x.nhs_number, ' ', '')
        %s
       WHERE coalesce(n.client_id, p1.client_id, p2.client_id, p3.client_id) IS NOT NULL$q$,
rel ->> 'health_flag',
      format(person_join, 'x.given_name', 'x.family_name', 'x.date_of_birth', 'x.postcode', 'n.client_id IS NULL'));
  END IF;
  IF rel ? 'early_help' THEN
    parts := parts || format($q$
      SELECT coalesce(p1.client_id, p2.client_id, p3.client_id), 'early_help', x.primary_need, x.started_on, x.ended_on, NULL, NULL
        FROM %s x
        %s
       WHERE coalesce(p1.client_id, p2.client_id, p3.client_id) IS NOT NULL$q$,
rel ->> 'early_help',
      format(person_join, 'x.lead_first_name', 'x.lead_surname', 'x.lead_dob', 'x.postcode', 'true'));
  END IF;
  IF cardinality(parts) = 0 THEN
    RAISE EXCEPTION 'the scorecard knows where no dataset is' USING ERRCODE = '55000',
      HINT = 'Locate them first, e.g. SELECT brent_mdm.scorecard_locate(''borough'');';
  END IF;
  q := format($q$
    WITH upn AS (
      SELECT DISTINCT ON (1) upper(r.upn) AS upn, r.client_id FROM brent_mdm.client_record r
       WHERE r.upn IS NOT NULL AND r.client_id IS NOT NULL
       GROUP BY 1, 2 ORDER BY 1, count(*) DESC, 2
    ), nhs AS (
      SELECT DISTINCT ON (1) replace(r.nhs_number, ' ', '') AS nhs, r.client_id FROM brent_mdm.client_record r
       WHERE r.nhs_number IS NOT NULL AND r.client_id IS NOT NULL
       GROUP BY 1, 2 ORDER BY 1, count(*) DESC, 2
    ), rec AS (
      SELECT r.system, upper(replace(r.record_key, ' ', '')) AS key, r.client_id FROM brent_mdm.client_record r
       WHERE r.client_id IS NOT NULL
    ), person AS (
      SELECT r.date_of_birth AS dob, brent_mdm.postcode_normalise(r.postcode) AS pc,
             brent_mdm.normalise_name(coalesce(r.family_name,
               CASE WHEN strpos(f.fn, ',') > 0 THEN split_part(f.fn, ',', 1) ELSE substring(f.fn FROM '(\S+)$') END)) AS fam,
             split_part(brent_mdm.normalise_name(coalesce(r.given_name,
               CASE WHEN strpos(f.fn, ',') > 0 THEN substr(f.fn, strpos(f.fn, ',') + 1)
                    ELSE substring(f.fn FROM '^(.*\S)\s+\S+$') END)), ' ', 1) AS giv, r.client_id
        FROM brent_mdm.client_record r
        -- a record with a free-text name only (council tax's lead liable name:
        -- "SMITH, John", "Mr J Smith"): its names from that text, as family_units reads them
        CROSS JOIN LATERAL (SELECT regexp_replace(btrim(r.full_name), '^(mr|mrs|ms|miss|dr|mx)\.?\s+', '', 'i') AS fn) f
       WHERE (r.family_name IS NOT NULL OR r.full_name IS NOT NULL) AND r.client_id IS NOT NULL
    ), person1 AS (
      SELECT p.dob, p.pc, p.fam, min(p.client_id) AS client_id FROM person p
       WHERE p.dob IS NOT NULL AND p.pc IS NOT NULL
       GROUP BY 1, 2, 3 HAVING count(DISTINCT p.client_id) = 1
    ), person2 AS (
      SELECT p.giv, p.fam, p.pc, min(p.dob) AS dob, min(p.client_id) AS client_id FROM person p
       WHERE p.pc IS NOT NULL AND p.giv <> ''
       GROUP BY 1, 2, 3 HAVING count(DISTINCT p.client_id) = 1
    ), person3 AS (
      SELECT p.giv, p.fam, p.dob, min(p.client_id) AS client_id FROM person p
       WHERE p.dob IS NOT NULL AND p.giv <> ''
       GROUP BY 1, 2, 3 HAVING count(DISTINCT p.client_id) = 1
    )
    -- dates as family_profile takes them (years 2 to 9900): an event dated
    -- before is left out, an end after (such as 'infinity') is no end yet, an
    -- end before is a one-day event; one record with such a date (a loader's
    -- mistake, or an open end written as infinity) would otherwise fail the
    -- whole scorecard
    SELECT e.client_id, e.source, e.category, e.event_from,
           CASE WHEN e.event_to > date '9900-12-31' THEN NULL
                WHEN e.event_to < date '0002-01-01' THEN e.event_from ELSE e.event_to END,
           e.missed, e.possible
      FROM (%s) e(client_id, source, category, event_from, event_to, missed, possible)
     WHERE e.event_from <= $1 AND e.event_from >= date '0002-01-01'$q$, array_to_string(parts, E'\n      UNION ALL'));
  RETURN QUERY EXECUTE q USING as_of;
END $$;
COMMENT ON FUNCTION brent_mdm.scorecard_events(date) IS
  'Every dated record of the located datasets up to a date, reached through the Client Index: (client_id, source, category, event_from, event_to, missed, possible); reads with the caller''s rights';
REVOKE ALL ON FUNCTION brent_mdm.scorecard_events(date) FROM PUBLIC;

-- a rule set that exists, and a date that has passed
CREATE FUNCTION brent_mdm.scorecard_check_call(as_of date, rule_set text) RETURNS void
  LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF as_of IS NULL OR rule_set IS NULL THEN
    RAISE EXCEPTION 'as_of and rule_set must not be NULL' USING ERRCODE = '22004';
  END IF;
  IF as_of > current_date THEN
    RAISE EXCEPTION 'as_of % is in the future', as_of USING ERRCODE = '22008',
      HINT = 'A scorecard is of what has happened: use current_date or an earlier date.';
  END IF;
  IF NOT EXISTS (SELECT FROM brent_mdm.scorecard_rule_set s WHERE s.rule_set = scorecard_check_call.rule_set) THEN
    RAISE EXCEPTION 'rule set "%" does not exist', rule_set USING ERRCODE = '42704',
      HINT = coalesce('Rule sets: ' || (SELECT string_agg(s.rule_set, ', ' ORDER BY s.rule_set) FROM brent_mdm.scorecard_rule_set s) || '.', 'None.');
  END IF;
  PERFORM brent_mdm.scorecard_check_since_1900(as_of);
END $$;
COMMENT ON FUNCTION brent_mdm.scorecard_check_call(date, text) IS
  'Internal: the argument checks of the scorecard functions';
REVOKE ALL ON FUNCTION brent_mdm.scorecard_check_call(date, text) FROM PUBLIC;

CREATE FUNCTION brent_mdm.family_scorecard(as_of date, rule_set text DEFAULT 'troubled_families_2015')
  RETURNS TABLE (family_id bigint, ward_code text, members integer, children integer, lead_client_id bigint,
                 problems text[], problem_count integer, eligible boolean, progress text,
                 attached date, closed date, evidence jsonb)
  LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  gaz text;
  da text;
  hf text;
  suspects regclass[];
BEGIN
  PERFORM brent_mdm.scorecard_check_call(as_of, rule_set);
  PERFORM brent_mdm.scorecard_check_trusted('{gazetteer,domestic_abuse,health_flag}');
  SELECT d.relation::text INTO gaz FROM brent_mdm.scorecard_dataset d WHERE d.dataset = 'gazetteer';
  SELECT d.relation::text INTO da FROM brent_mdm.scorecard_dataset d WHERE d.dataset = 'domestic_abuse';
  SELECT d.relation::text INTO hf FROM brent_mdm.scorecard_dataset d WHERE d.dataset = 'health_flag';
  RETURN QUERY EXECUTE format($q$
    WITH fam AS MATERIALIZED (
      SELECT f.family_id, f.client_id, f.role, f.postcode,
             nullif(btrim(regexp_replace(upper(f.address_line), '[^A-Z0-9]+', ' ', 'g')), '') AS addr
        FROM brent_mdm.family_units_internal($1) f
    ), ev AS MATERIALIZED (
      SELECT * FROM brent_mdm.scorecard_events($1)
    ), lead AS (
      SELECT f.family_id, min(f.client_id) FILTER (WHERE f.role = 'lead') AS client_id,
             min(f.postcode) FILTER (WHERE f.role = 'lead') AS postcode,
             coalesce(min(f.addr) FILTER (WHERE f.role = 'lead'), min(f.addr) FILTER (WHERE f.role <> 'child')) AS addr
        FROM fam f GROUP BY f.family_id
    ), att AS (
      -- the family's attachment: its adults' latest early help episode begun by the date
      SELECT DISTINCT ON (f.family_id) f.family_id, e.event_from AS attached,
             CASE WHEN e.event_to <= $1 THEN e.event_to END AS closed
        FROM fam f JOIN ev e ON e.client_id = f.client_id AND e.source = 'early_help'
       WHERE f.role <> 'child'
       ORDER BY f.family_id, e.event_from DESC, e.event_to DESC NULLS FIRST
    ), da AS (
      -- domestic abuse notifications at the family's address (the lead's)
      %s
    ), hf AS (
      -- a health flag no member of the family was given (its person is not in
      -- the Client Index, or not found by the partner's demographics), at the
      -- family's postcode under the family name of a member, where one family
      -- only has that name there: the family's, given to its lead
      %s
    ), ward AS (
      %s
    ), rows AS (
      SELECT f.family_id, f.client_id, CASE f.role WHEN 'child' THEN 'child' ELSE 'adult' END AS role,
             e.source, e.category, e.event_from, e.event_to, e.missed, e.possible
        FROM fam f LEFT JOIN ev e ON e.client_id = f.client_id AND e.source <> 'early_help'
      UNION ALL
      SELECT d.family_id, d.client_id, 'adult', 'domestic_abuse', NULL, d.notified_on, d.notified_on, NULL, NULL FROM da d
      UNION ALL
      SELECT h.family_id, h.client_id, 'adult', 'health_flag', h.flag, h.recorded_on, h.recorded_on, NULL, NULL FROM hf h
    ), profile AS (
      SELECT r.family_id,
             brent_mdm.family_profile(%L, $1, a.attached, a.closed, r.client_id, r.role, r.source, r.category,
                                      r.event_from, r.event_to, r.missed, r.possible) AS p
        FROM rows r LEFT JOIN att a USING (family_id)
       GROUP BY r.family_id
    )
    SELECT f.family_id, w.ward_code, count(*)::int, count(*) FILTER (WHERE f.role = 'child')::int,
           min(f.client_id) FILTER (WHERE f.role = 'lead'),
           ARRAY(SELECT jsonb_array_elements_text(p.p -> 'problems')),
           (p.p ->> 'problem_count')::int, (p.p ->> 'eligible')::boolean, p.p ->> 'progress',
           (p.p ->> 'attached')::date, (p.p ->> 'closed')::date, p.p
      FROM fam f JOIN profile p USING (family_id)
      LEFT JOIN lead l USING (family_id)
      LEFT JOIN ward w ON w.postcode = l.postcode
     GROUP BY f.family_id, w.ward_code, p.p
     ORDER BY f.family_id$q$,
    CASE WHEN da IS NULL THEN 'SELECT NULL::bigint AS family_id, NULL::bigint AS client_id, NULL::date AS notified_on WHERE false'
         ELSE format('SELECT l.family_id, l.client_id, x.notified_on FROM lead l JOIN %s x'
                     ' ON brent_mdm.postcode_normalise(x.postcode) = l.postcode'
                     ' AND nullif(btrim(regexp_replace(upper(x.address_line), ''[^A-Z0-9]+'', '' '', ''g'')), '''') = l.addr'
                     ' WHERE x.notified_on <= $1 AND x.notified_on >= date ''0002-01-01''', da) END,
    CASE WHEN hf IS NULL THEN 'SELECT NULL::bigint AS family_id, NULL::bigint AS client_id, NULL::text AS flag, NULL::date AS recorded_on WHERE false'
         ELSE format($h$SELECT c.family_id, l.client_id, c.flag, c.recorded_on
       FROM (SELECT x.flag, x.recorded_on,
                    -- the one family a member's names find; where none does, the one a birth finds
                    CASE WHEN count(DISTINCT n.family_id) FILTER (WHERE m.byname) = 1
                         THEN min(n.family_id) FILTER (WHERE m.byname)
                         WHEN count(DISTINCT n.family_id) FILTER (WHERE m.byname) = 0
                          AND count(DISTINCT n.family_id) = 1 THEN min(n.family_id) END AS family_id
               FROM %s x
              CROSS JOIN LATERAL (SELECT brent_mdm.normalise_name(x.family_name) AS xf,
                                         split_part(brent_mdm.normalise_name(x.given_name), ' ', 1) AS xg) xn
               -- whether a flag of that kind and date reached a client at its postcode
               LEFT JOIN (SELECT DISTINCT e.category, e.event_from, brent_mdm.postcode_normalise(k.postcode) AS pc
                            FROM ev e JOIN brent_mdm.client k ON k.client_id = e.client_id
                           WHERE e.source = 'health_flag') rk
                 ON rk.category = x.flag AND rk.event_from = x.recorded_on AND rk.pc = brent_mdm.postcode_normalise(x.postcode)
               -- the names of the family's members as their records give them (a
               -- free-text name read as family_units reads it), with the record's date of birth
               JOIN (SELECT DISTINCT f.family_id, f.postcode, f.role = 'child' AS child, r.date_of_birth AS dob,
                            brent_mdm.normalise_name(coalesce(r.family_name,
                              CASE WHEN strpos(t.fn, ',') > 0 THEN split_part(t.fn, ',', 1) ELSE substring(t.fn FROM '(\S+)$') END)) AS fam,
                            split_part(brent_mdm.normalise_name(coalesce(r.given_name,
                              CASE WHEN strpos(t.fn, ',') > 0 THEN substr(t.fn, strpos(t.fn, ',') + 1)
                                   ELSE substring(t.fn FROM '^(.*\S)\s+\S+$') END)), ' ', 1) AS giv
                       FROM fam f JOIN brent_mdm.client_record r ON r.client_id = f.client_id
                      CROSS JOIN LATERAL (SELECT regexp_replace(btrim(r.full_name), '^(mr|mrs|ms|miss|dr|mx)\.?\s+', '', 'i') AS fn) t
                      WHERE r.family_name IS NOT NULL OR r.full_name IS NOT NULL) n
                 ON n.postcode = brent_mdm.postcode_normalise(x.postcode)
              CROSS JOIN LATERAL (SELECT
                 -- a member of the flag's family name; or one who is that person
                 -- under another spelling (a like or shared surname part and a
                 -- like given name or its initial, or the two names swapped),
                 -- of no other date of birth
                 n.fam = xn.xf
                 OR ((n.dob IS NULL OR x.date_of_birth IS NULL OR n.dob = x.date_of_birth)
                     AND n.giv <> '' AND xn.xg <> ''
                     AND (((brent_mdm.jaro_winkler(n.fam, xn.xf) >= 0.88
                            OR regexp_split_to_array(n.fam, '[ -]+') && regexp_split_to_array(xn.xf, '[ -]+'))
                           AND (brent_mdm.jaro_winkler(n.giv, xn.xg) >= 0.88 OR (length(n.giv) = 1 AND left(xn.xg, 1) = n.giv)))
                          OR (brent_mdm.jaro_winkler(n.fam, xn.xg) >= 0.88 AND brent_mdm.jaro_winkler(n.giv, xn.xf) >= 0.88))) AS byname,
                 -- a flag that reached no client at its postcode, recorded
                 -- within two weeks of the birth of a child of the family (raised
                 -- at a birth: its mother, under another family name or none
                 -- the Client Index holds)
                 rk.pc IS NULL AND n.child AND n.dob BETWEEN x.recorded_on - 14 AND x.recorded_on AS bybirth) m
              WHERE (m.byname OR m.bybirth)
                AND x.recorded_on <= $1 AND x.recorded_on >= date '0002-01-01'
                AND NOT EXISTS (SELECT FROM fam f JOIN ev e ON e.client_id = f.client_id
                                 WHERE f.family_id = n.family_id AND e.source = 'health_flag'
                                   AND e.category = x.flag AND e.event_from = x.recorded_on)
              GROUP BY x.nhs_number, x.flag, x.recorded_on, x.postcode, x.family_name) c
       JOIN lead l ON l.family_id = c.family_id$h$, hf) END,
    CASE WHEN gaz IS NULL THEN 'SELECT NULL::text AS postcode, NULL::text AS ward_code WHERE false'
         ELSE format('SELECT DISTINCT ON (1) brent_mdm.postcode_normalise(g.postcode) AS postcode, g.ward_code'
                     ' FROM %s g WHERE g.postcode IS NOT NULL GROUP BY 1, 2 ORDER BY 1, count(*) DESC, 2', gaz) END,
    rule_set) USING as_of;
END $$;
COMMENT ON FUNCTION brent_mdm.family_scorecard(date, text) IS
  'The troubled-families scorecard on a date under a rule set: one row per family of family_units (ward, members, children, lead, problems, eligible, progress, attachment and closure, the profile with its evidence as jsonb); reads with the caller''s rights';
REVOKE ALL ON FUNCTION brent_mdm.family_scorecard(date, text) FROM PUBLIC;

-- Claims for payment by results: eligible families whose progress is achieved,
-- with the evidence behind each (problems at the date, outcomes against baseline).
CREATE FUNCTION brent_mdm.scorecard_claims(as_of date, rule_set text DEFAULT 'troubled_families_2015')
  RETURNS TABLE (family_id bigint, ward_code text, lead_client_id bigint, attached date, closed date,
                 problems text[], evidence jsonb, outcomes jsonb)
  LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT s.family_id, s.ward_code, s.lead_client_id, s.attached, s.closed, s.problems,
         s.evidence -> 'evidence', s.evidence -> 'outcomes'
    FROM brent_mdm.family_scorecard(as_of, rule_set) s
   WHERE s.eligible AND s.progress = 'achieved'
   ORDER BY s.family_id
$$;
COMMENT ON FUNCTION brent_mdm.scorecard_claims(date, text) IS
  'The payment-by-results claims on a date: eligible families whose progress is achieved, with the evidence of each problem and each outcome against its baseline; reads with the caller''s rights';
REVOKE ALL ON FUNCTION brent_mdm.scorecard_claims(date, text) FROM PUBLIC;

-- The scorecard by ward: families, eligible families, families with each
-- problem, progress achieved and claims, as true counts (for analysts under a
-- DPIA: small numbers about people, not for publication).
CREATE FUNCTION brent_mdm.scorecard_by_ward(as_of date, rule_set text DEFAULT 'troubled_families_2015')
  RETURNS TABLE (ward_code text, measure text, families bigint)
  LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  WITH s AS MATERIALIZED (SELECT * FROM brent_mdm.family_scorecard(as_of, rule_set)),
  m AS (
    SELECT s.ward_code, 'families' AS measure, 0 AS ord FROM s
    UNION ALL SELECT s.ward_code, 'eligible', 1 FROM s WHERE s.eligible
    UNION ALL SELECT s.ward_code, 'problem: ' || p.problem, 10 + p.ordinal
      FROM s CROSS JOIN unnest(s.problems) x(problem)
      JOIN brent_mdm.scorecard_problem p ON p.rule_set = scorecard_by_ward.rule_set AND p.problem = x.problem
    UNION ALL SELECT s.ward_code, 'progress achieved', 1000 FROM s WHERE s.eligible AND s.progress = 'achieved'
  ), wards AS (SELECT DISTINCT s.ward_code FROM s),
  measures AS (SELECT 'families' AS measure, 0 AS ord UNION ALL SELECT 'eligible', 1
               UNION ALL SELECT 'problem: ' || p.problem, 10 + p.ordinal FROM brent_mdm.scorecard_problem p
                WHERE p.rule_set = scorecard_by_ward.rule_set
               UNION ALL SELECT 'progress achieved', 1000)
  SELECT w.ward_code, ms.measure, count(m.measure)
    FROM wards w CROSS JOIN measures ms
    LEFT JOIN m ON m.ward_code IS NOT DISTINCT FROM w.ward_code AND m.measure = ms.measure
   GROUP BY w.ward_code, ms.measure, ms.ord
   ORDER BY w.ward_code NULLS LAST, ms.ord
$$;
COMMENT ON FUNCTION brent_mdm.scorecard_by_ward(date, text) IS
  'The scorecard by ward (true counts: families, eligible, each problem, progress achieved); for analysts under a DPIA, not for publication (scorecard_by_ward_published)';
REVOKE ALL ON FUNCTION brent_mdm.scorecard_by_ward(date, text) FROM PUBLIC;

-- The same, as it may be published: each measure a one-way table of wards with
-- its borough total through suppress_table (small counts suppressed, with
-- secondary suppression so none can be worked out, the rest rounded).
CREATE FUNCTION brent_mdm.scorecard_by_ward_published(as_of date, rule_set text DEFAULT 'troubled_families_2015',
                                                      threshold integer DEFAULT 10, base integer DEFAULT 5)
  RETURNS TABLE (ward_code text, measure text, families bigint, suppressed text)
  LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  WITH w AS MATERIALIZED (SELECT * FROM brent_mdm.scorecard_by_ward(as_of, rule_set) WHERE ward_code IS NOT NULL),
  ms AS (SELECT w.measure, min(ord) AS ord, array_agg(w.ward_code ORDER BY w.ward_code) AS wards,
                array_agg(w.families ORDER BY w.ward_code) AS counts
           FROM (SELECT w.*, row_number() OVER () AS ord FROM w) w GROUP BY w.measure)
  SELECT t.row_label, ms.measure, t.published, t.suppressed
    FROM ms CROSS JOIN LATERAL brent_mdm.suppress_table(ms.wards, ms.counts, threshold, base) t
   ORDER BY ms.ord, t.row_label NULLS LAST
$$;
COMMENT ON FUNCTION brent_mdm.scorecard_by_ward_published(date, text, integer, integer) IS
  'The scorecard by ward as it may be published: each measure''s ward counts and borough total through suppress_table (primary and secondary suppression, rounding to base); families NULL where suppressed says why';
REVOKE ALL ON FUNCTION brent_mdm.scorecard_by_ward_published(date, text, integer, integer) FROM PUBLIC;

-- ---- snapshots, for rollups ----
-- The scorecard of a date kept as rows, so that counts by ward and period can
-- be kept as indicator rollups (define_indicator over this table) and
-- compared from one date to the next.  Personal data (a family's problems):
-- granted to nobody; protect it like the datasets it comes from.
CREATE TABLE brent_mdm.scorecard_result (
  rule_set      text NOT NULL,
  as_of         date NOT NULL,
  family_id     bigint NOT NULL,
  ward_code     text,
  members       integer NOT NULL,
  children      integer NOT NULL,
  problems      text[] NOT NULL,
  problem_count integer NOT NULL,
  eligible      boolean NOT NULL,
  progress      text NOT NULL,
  claim         boolean NOT NULL,
  PRIMARY KEY (rule_set, as_of, family_id)
);
COMMENT ON TABLE brent_mdm.scorecard_result IS
  'Scorecards kept by scorecard_snapshot: one row per family, rule set and date (personal data: granted to nobody; kept by pg_dump)';
SELECT pg_catalog.pg_extension_config_dump('brent_mdm.scorecard_result', '');
REVOKE ALL ON brent_mdm.scorecard_result FROM PUBLIC;

CREATE FUNCTION brent_mdm.scorecard_snapshot(as_of date, rule_set text DEFAULT 'troubled_families_2015')
  RETURNS bigint
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  n bigint;
BEGIN
  PERFORM brent_mdm.scorecard_check_call(as_of, rule_set);
  DELETE FROM brent_mdm.scorecard_result r WHERE r.rule_set = scorecard_snapshot.rule_set AND r.as_of = scorecard_snapshot.as_of;
  INSERT INTO brent_mdm.scorecard_result
  SELECT scorecard_snapshot.rule_set, scorecard_snapshot.as_of, s.family_id, s.ward_code, s.members, s.children,
         s.problems, s.problem_count, s.eligible, s.progress, s.eligible AND s.progress = 'achieved'
    FROM brent_mdm.family_scorecard(scorecard_snapshot.as_of, scorecard_snapshot.rule_set) s;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END $$;
COMMENT ON FUNCTION brent_mdm.scorecard_snapshot(date, text) IS
  'Keeps the scorecard of a date in scorecard_result (replacing an earlier snapshot of the same date and rule set); returns the families written. Rollups over scorecard_result keep counts by ward and period current';
REVOKE ALL ON FUNCTION brent_mdm.scorecard_snapshot(date, text) FROM PUBLIC;

-- Members of brent_mdm_scorecard (a group role, no login, made here if the
-- cluster has none) may run the scorecard: the functions run as their caller,
-- so this role holds them and their internal helpers; what they read (the
-- Client Index and the datasets) each member must still be granted, or read
-- under a DPIA.  Locating the datasets stays with the DBA.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'brent_mdm_scorecard') THEN
    CREATE ROLE brent_mdm_scorecard NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
    COMMENT ON ROLE brent_mdm_scorecard IS
      'brent_mdm: may run the troubled-families scorecard over what its members may read (grant it to the children''s data team)';
  END IF;
END $$;
GRANT EXECUTE ON FUNCTION brent_mdm.family_units(date), brent_mdm.family_units_internal(date),
                          brent_mdm.family_parent_names(), brent_mdm.family_uprns(),
                          brent_mdm.family_dataset_sql(text[], text, text, text),
                          brent_mdm.scorecard_events(date),
                          brent_mdm.scorecard_untrusted(text[]), brent_mdm.scorecard_check_trusted(text[]),
                          brent_mdm.scorecard_check_call(date, text), brent_mdm.family_scorecard(date, text),
                          brent_mdm.scorecard_claims(date, text), brent_mdm.scorecard_by_ward(date, text),
                          brent_mdm.scorecard_by_ward_published(date, text, integer, integer),
                          brent_mdm.scorecard_snapshot(date, text)
  TO brent_mdm_scorecard;
GRANT SELECT, INSERT, DELETE ON brent_mdm.scorecard_result TO brent_mdm_scorecard;
