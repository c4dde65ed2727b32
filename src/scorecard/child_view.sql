-- ---- scorecard: the single view of a child (issue 14) ----
--
-- brent_mdm.child_view(client_id, as_of): everything the council's systems
-- hold on a child, assembled through the Client Index, with the risk factors
-- of Brent's prototype as transparent flags (each with its rule, its evidence
-- and its dates; never a score) and the services received now and before.
--
-- Policy.  The function runs with the caller's rights and reads every
-- personal dataset through its masking view, so the tables' row policies,
-- column treatments, objections and audit apply as to any query of the
-- caller.  It needs a valid purpose whose DPIA covers children's data:
--   * the DPIA scopes the Client Index (brent_mdm.client and
--     brent_mdm.client_record) and shows in clear the columns that find the
--     child and its records (client: client_id, status, merged_into,
--     date_of_birth; client_record: client_id, system, record_key), and
--   * it scopes at least one of the children's datasets located by
--     scorecard_locate.
-- Located datasets outside the DPIA's scope are not read; the view lists them
-- under "not_covered" (and a risk factor that needs one is "not assessed").
-- Reference data that is not personal (the school list, the gazetteer) is
-- read as it stands when it is not protected and its owner is a superuser or
-- the caller, and so are the owners of all it reads if it is a view
-- (scorecard_code_owners: anyone else could make the read run his code under
-- the caller's purpose).  Every call is recorded in the
-- audit log (action child_view) with the child's client ids, so it appears in
-- the child's subject access report.

-- Reference and further datasets the view reads (the scorecard's own are in
-- family_scorecard.sql)
INSERT INTO brent_mdm.scorecard_dataset_columns VALUES
  ('school_census', 'school_census', '{pupil_record_id,upn,school_urn,ncy_year,census_date}', 'school_census',
   'the school census: a pupil''s school and year group at each census'),
  ('school', 'school', '{school_urn,school_name,phase}', NULL, 'the schools (reference data)'),
  ('youth_offending', 'youth_offending', '{yot_case_id,case_start}', 'youth_offending', 'youth offending service cases'),
  ('asb_incident', 'asb_incident', '{incident_id,occurred_on,category,geom}', NULL,
   'anti-social behaviour incidents with their location'),
  ('gazetteer_point', 'address', '{postcode,geom}', NULL, 'the gazetteer: the location of each postcode''s addresses');

-- What the active DPIA covers (C: the registry is readable by its owner only)
CREATE FUNCTION brent_mdm.purpose_scope()
  RETURNS TABLE (table_name regclass, masked_view regclass, access text, columns jsonb)
  LANGUAGE c STABLE PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'scorecard_purpose_scope';
COMMENT ON FUNCTION brent_mdm.purpose_scope() IS
  'The scope of the DPIA this session acts under, if it is valid: each table, its masking view, read or write, and its columns'' treatments (clear, year, sector, pseudonym; others redacted); no rows without a valid purpose';
GRANT EXECUTE ON FUNCTION brent_mdm.purpose_scope() TO PUBLIC;

CREATE FUNCTION brent_mdm.child_view_audit(client_id bigint, requested bigint, as_of date) RETURNS void
  LANGUAGE c VOLATILE STRICT PARALLEL UNSAFE AS 'MODULE_PATHNAME', 'scorecard_child_view_audit';
COMMENT ON FUNCTION brent_mdm.child_view_audit(bigint, bigint, date) IS
  'Records in the audit log one view of a child by the caller (action child_view, the active DPIA, the child''s client id and the id asked for); child_view calls it; refused without a valid purpose';
-- child_view runs as its caller, who must be able to record his own view: a
-- caller may add records of views under his own name and purpose, never
-- remove any (the same as subject_visible, docs/security.md)
GRANT EXECUTE ON FUNCTION brent_mdm.child_view_audit(bigint, bigint, date) TO PUBLIC;

-- The spellings of a postcode that the source systems write (upper or lower
-- case, one, two or no space): an index on the raw column finds them.
CREATE FUNCTION brent_mdm.postcode_spellings(postcode text) RETURNS text[]
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
  SELECT ARRAY(SELECT DISTINCT v FROM unnest(ARRAY[p, lower(p), replace(p, ' ', ''), lower(replace(p, ' ', '')),
                                                  replace(p, ' ', '  '), lower(replace(p, ' ', '  '))]) v
                WHERE v IS NOT NULL)
    FROM (SELECT brent_mdm.postcode_normalise(postcode) AS p) n
$$;
COMMENT ON FUNCTION brent_mdm.postcode_spellings(text) IS
  'The spellings of a postcode that source systems write (upper or lower case, one, two or no space), to find it through an index on the raw column; NULL for what is not a postcode';
GRANT EXECUTE ON FUNCTION brent_mdm.postcode_spellings(text) TO PUBLIC;

CREATE FUNCTION brent_mdm.child_view(client_id bigint, as_of date DEFAULT current_date) RETURNS jsonb
  LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SET search_path = pg_catalog, pg_temp AS $fn$
#variable_conflict use_variable
DECLARE
  -- the rules of the risk factors (each flag's rule says them in words)
  window_months constant integer := 12;      -- events of the last 12 months
  absence_threshold constant numeric := 0.10; -- persistent absence: 10 % of sessions
  absence_terms constant integer := 3;       -- over the last three terms with sessions
  asb_radius constant float8 := 250;         -- metres from the home postcode
  asb_threshold constant integer := 10;      -- incidents within it in the window
  requested bigint := client_id;
  dpia text;
  scope jsonb := '{}';                       -- table oid -> {view, columns}
  ds record;
  fl record;
  rel jsonb := '{}';                         -- dataset -> relation to read
  not_covered jsonb := '[]';
  children_ds constant text[] := '{school_census,school_attendance,school_exclusion,cme_referral,childrens_social_care,missing_episode,cse_concern,ehcp,offence,health_flag,early_help,youth_offending,asb_incident,domestic_abuse}';
  reference_ds constant text[] := '{school,gazetteer,gazetteer_point}';
  need text[];
  cl record;
  hops integer := 0;
  home_spellings text[];
  home_norm text;
  sections text[];
  q text;
  stmt text;
  sec jsonb;
  ids jsonb;
  upns text[];
  nhss text[];
  csc_keys text[];
  yot_keys text[];
  census_keys text[];
  names jsonb;
  hh jsonb;
  hh_ids bigint[];
  hh_adults bigint[];
  hh_yot text[];
  home_pc text;
  home_addr text;
  lead_names jsonb;
  since date;
  res jsonb;
  part jsonb;
  evidence jsonb;
  risks jsonb := '[]';
  services jsonb := '[]';
  ps name;
BEGIN
  IF client_id IS NULL THEN
    RAISE EXCEPTION 'client_id must not be NULL' USING ERRCODE = '22004';
  END IF;
  IF as_of IS NULL THEN
    RAISE EXCEPTION 'as_of must not be NULL' USING ERRCODE = '22004';
  END IF;
  IF as_of > current_date THEN
    RAISE EXCEPTION 'as_of % is in the future', as_of USING ERRCODE = '22008',
      HINT = 'A child''s view is of what the council holds: use current_date or an earlier date.';
  END IF;
  PERFORM brent_mdm.scorecard_check_since_1900(as_of);
  since := (as_of - make_interval(months => window_months))::date;

  -- ---- the purpose and what its DPIA covers ----
  dpia := brent_mdm.active_dpia();
  IF dpia IS NULL THEN
    IF brent_mdm.current_purpose() IS NOT NULL THEN
      RAISE EXCEPTION 'the purpose "%" is no longer valid', brent_mdm.current_purpose() USING ERRCODE = '42501',
        DETAIL = 'Its DPIA was suspended, has expired, or is no longer granted to you.',
        HINT = 'End it (brent_mdm.end_purpose()) and begin a purpose whose DPIA covers children''s data.';
    END IF;
    RAISE EXCEPTION 'a child''s view needs a purpose' USING ERRCODE = '42501',
      DETAIL = 'Personal data is read only under an approved DPIA that covers children''s data.',
      HINT = 'SELECT brent_mdm.begin_purpose(''<dpia>''); with a DPIA that scopes the Client Index and the children''s datasets.';
  END IF;
  SELECT coalesce(jsonb_object_agg(s.table_name::oid::text,
                                   jsonb_build_object('view', s.masked_view::text, 'columns', s.columns)), '{}')
    INTO scope FROM brent_mdm.purpose_scope() s;
  IF NOT (scope ? 'brent_mdm.client'::regclass::oid::text AND scope ? 'brent_mdm.client_record'::regclass::oid::text) THEN
    RAISE EXCEPTION 'DPIA "%" does not cover the Client Index', dpia USING ERRCODE = '42501',
      DETAIL = 'A child''s view is assembled through the Client Index: brent_mdm.client and brent_mdm.client_record must be protected and in the DPIA''s scope.',
      HINT = 'The governance team: brent_mdm.set_table_scope(dpia, ''brent_mdm.client''), and the same for brent_mdm.client_record.';
  END IF;
  need := ARRAY(SELECT 'brent_mdm.client.' || n FROM unnest('{client_id,status,merged_into,date_of_birth}'::text[]) n
                 WHERE scope #>> ARRAY['brent_mdm.client'::regclass::oid::text, 'columns', n] IS DISTINCT FROM 'clear'
                UNION ALL
                SELECT 'brent_mdm.client_record.' || n FROM unnest('{client_id,system,record_key}'::text[]) n
                 WHERE scope #>> ARRAY['brent_mdm.client_record'::regclass::oid::text, 'columns', n] IS DISTINCT FROM 'clear');
  IF cardinality(need) > 0 THEN
    RAISE EXCEPTION 'DPIA "%" does not show the Client Index columns that find a child''s records', dpia
      USING ERRCODE = '42501', DETAIL = 'Not in clear: ' || array_to_string(need, ', ') || '.',
      HINT = 'The governance team: brent_mdm.set_column_scope(dpia, table, column, ''clear'') for each.';
  END IF;
  -- (the Client Index is read through its masking views, brent_mdm.client_masked
  -- and brent_mdm.client_record_masked, in static statements whose plans the session keeps)
  -- each located dataset: its masking view if the DPIA scopes it; reference
  -- data as it stands if it is not protected; else not covered
  -- (reference data is read as the caller, so whoever owns it could make the
  -- read run code of his under the caller's purpose: a view, a table turned
  -- into one, a column of his type with an implicit cast; it is read only when
  -- its owner, and the owners of all it reads, are superusers or the caller:
  -- scorecard_code_owners)
  FOR ds IN SELECT d.dataset, d.relation, k.relrowsecurity, k.relowner::regrole AS owner,
                   o.rolsuper OR o.rolname = current_user AS own_trusted, k.oid IS NOT NULL AS present,
                   CASE WHEN k.oid IS NOT NULL AND d.dataset = ANY (reference_ds)
                        THEN brent_mdm.scorecard_code_owners(d.relation) END AS code_owners
              FROM brent_mdm.scorecard_dataset d LEFT JOIN pg_class k ON k.oid = d.relation
              LEFT JOIN pg_roles o ON o.oid = k.relowner
             WHERE d.dataset = ANY (children_ds || reference_ds) ORDER BY d.dataset LOOP
    IF NOT ds.present THEN
      -- dropped since it was located
      not_covered := not_covered || jsonb_build_object('dataset', ds.dataset, 'relation', ds.relation::oid::text,
        'reason', 'the relation located for it no longer exists');
    ELSIF scope ? ds.relation::oid::text THEN
      IF has_table_privilege((scope #>> ARRAY[ds.relation::oid::text, 'view'])::regclass, 'SELECT') THEN
        rel := rel || jsonb_build_object(ds.dataset, scope #>> ARRAY[ds.relation::oid::text, 'view']);
      ELSE
        not_covered := not_covered || jsonb_build_object('dataset', ds.dataset, 'relation', ds.relation::text,
          'reason', format('no SELECT on its masking view %s', scope #>> ARRAY[ds.relation::oid::text, 'view']));
      END IF;
    ELSIF ds.dataset = ANY (reference_ds) AND NOT ds.relrowsecurity AND cardinality(ds.code_owners) = 0
          AND has_table_privilege(ds.relation, 'SELECT') THEN
      rel := rel || jsonb_build_object(ds.dataset, ds.relation::text);
    ELSE
      not_covered := not_covered || jsonb_build_object('dataset', ds.dataset, 'relation', ds.relation::text,
        'reason', CASE WHEN ds.relrowsecurity THEN format('not in the scope of DPIA %s', dpia)
                       WHEN ds.dataset = ANY (reference_ds) AND NOT ds.own_trusted
                         THEN format('owned by %s, neither a superuser nor you: reading it would run its owner''s code under your purpose', ds.owner)
                       WHEN ds.dataset = ANY (reference_ds) AND cardinality(ds.code_owners) > 0
                         THEN format('it reads what %s owns, neither a superuser nor you: reading it would run their code under your purpose',
                                     array_to_string(ds.code_owners, ', '))
                       WHEN ds.dataset = ANY (reference_ds) THEN 'no SELECT on it'
                       ELSE 'not protected: no DPIA can cover it' END);
    END IF;
  END LOOP;
  IF NOT EXISTS (SELECT FROM jsonb_object_keys(rel) k WHERE k = ANY (children_ds)) THEN
    RAISE EXCEPTION 'DPIA "%" covers none of the children''s datasets', dpia USING ERRCODE = '42501',
      DETAIL = CASE WHEN NOT EXISTS (SELECT FROM brent_mdm.scorecard_dataset)
                    THEN 'No dataset is located.'
                    ELSE 'Located: ' || (SELECT string_agg(d.dataset || ' (' || d.relation::text || ')', ', ' ORDER BY d.dataset)
                                          FROM brent_mdm.scorecard_dataset d) || '.' END,
      HINT = 'The DBA locates the datasets (brent_mdm.scorecard_locate) and protects them; the governance team scopes them in the DPIA.';
  END IF;

  -- ---- the child: a merged id followed as resolve_client does ----
  LOOP
    SELECT c.client_id, c.status, c.merged_into, c.date_of_birth INTO cl
      FROM brent_mdm.client_masked c WHERE c.client_id = child_view.client_id;
    IF cl.client_id IS NULL THEN
      RAISE EXCEPTION 'client % is not in the Client Index', client_id USING ERRCODE = '42704',
        DETAIL = CASE WHEN client_id <> requested THEN format('Client %s was merged into it.', requested)
                      ELSE 'No client of the Client Index has this id, as your purpose sees it.' END,
        HINT = 'Or it is outside the row scope of DPIA ' || dpia || ', or the person objected to it.';
    END IF;
    EXIT WHEN cl.status <> 'merged';
    hops := hops + 1;
    IF hops > 1000 OR cl.merged_into IS NULL THEN
      RAISE EXCEPTION 'client % was merged into a client the Client Index does not hold', requested
        USING ERRCODE = '55000';
    END IF;
    client_id := cl.merged_into;
  END LOOP;
  IF cl.status = 'retired' THEN
    RAISE EXCEPTION 'client % is retired: the Client Index holds nothing of it now', client_id USING ERRCODE = '22023',
      HINT = 'A retired client''s records were purged under a retention rule (brent_mdm.client_history).';
  END IF;
  IF cl.date_of_birth IS NULL THEN
    RAISE EXCEPTION 'client % has no date of birth: the Client Index cannot tell whether it is a child', client_id
      USING ERRCODE = '22023';
  END IF;
  IF cl.date_of_birth > as_of THEN
    RAISE EXCEPTION 'client % was not born on %', client_id, as_of USING ERRCODE = '22023',
      DETAIL = format('Date of birth %s.', cl.date_of_birth);
  END IF;
  IF extract(year FROM age(as_of, cl.date_of_birth)) >= 18 THEN
    RAISE EXCEPTION 'client % is not a child on %', client_id, as_of USING ERRCODE = '22023',
      DETAIL = format('Aged %s (born %s); a child''s view is of persons under 18.',
                      extract(year FROM age(as_of, cl.date_of_birth)), cl.date_of_birth),
      HINT = 'Give an earlier as_of to see the council''s records of when the person was a child.';
  END IF;

  -- ---- the call is recorded, with the child's client ids, before anything is read ----
  PERFORM brent_mdm.child_view_audit(client_id, requested, as_of);

  -- ---- the person and identities per system ----
  SELECT jsonb_build_object('client_id', c.client_id, 'given_name', c.given_name, 'family_name', c.family_name,
                              'date_of_birth', c.date_of_birth, 'age', extract(year FROM age(as_of, c.date_of_birth))::int,
                              'sex', c.sex, 'postcode', c.postcode, 'address_line', c.address_line,
                              'upn', c.upn, 'nhs_number', c.nhs_number, 'systems', c.systems),
           c.postcode, c.address_line
    INTO res, home_pc, home_addr
    FROM brent_mdm.client_masked c WHERE c.client_id = child_view.client_id;
  SELECT coalesce(jsonb_agg(jsonb_build_object('system', r.system, 'record_key', r.record_key,
                     'given_name', r.given_name, 'family_name', r.family_name, 'date_of_birth', r.date_of_birth,
                     'sex', r.sex, 'postcode', r.postcode, 'address_line', r.address_line,
                     'upn', r.upn, 'nhs_number', r.nhs_number, 'recorded_at', r.recorded_at)
                     ORDER BY r.system, r.record_key), '[]'),
           array_agg(DISTINCT r.upn) FILTER (WHERE r.upn IS NOT NULL),
           array_agg(DISTINCT replace(r.nhs_number, ' ', '')) FILTER (WHERE r.nhs_number IS NOT NULL),
           array_agg(DISTINCT r.record_key) FILTER (WHERE r.system = 'childrens_social_care'),
           array_agg(DISTINCT r.record_key) FILTER (WHERE r.system = 'youth_offending'),
           array_agg(DISTINCT r.record_key) FILTER (WHERE r.system = 'school_census'),
           coalesce(jsonb_agg(DISTINCT jsonb_build_object(
                      'fam', brent_mdm.normalise_name(r.family_name),
                      'giv', split_part(brent_mdm.normalise_name(r.given_name), ' ', 1),
                      'dob', r.date_of_birth, 'pc', brent_mdm.postcode_normalise(r.postcode)))
                    FILTER (WHERE r.family_name IS NOT NULL), '[]')
    INTO ids, upns, nhss, csc_keys, yot_keys, census_keys, names
    FROM brent_mdm.client_record_masked r WHERE r.client_id = child_view.client_id;
  -- identifiers as the datasets write them: as recorded, and upper case without spaces
  upns := ARRAY(SELECT DISTINCT v FROM unnest(upns) u, LATERAL (VALUES (u), (upper(replace(u, ' ', '')))) x(v));
  csc_keys := ARRAY(SELECT DISTINCT v FROM unnest(csc_keys) u, LATERAL (VALUES (u), (upper(replace(u, ' ', '')))) x(v));
  yot_keys := ARRAY(SELECT DISTINCT v FROM unnest(yot_keys) u, LATERAL (VALUES (u), (upper(replace(u, ' ', '')))) x(v));
  res := jsonb_build_object('client_id', client_id, 'requested_client_id', requested, 'as_of', as_of, 'dpia', dpia,
                            'merged', requested <> client_id,
                            'note', CASE WHEN requested <> client_id
                                         THEN format('client %s was merged into client %s: the view is of client %s', requested, client_id, client_id) END,
                            'person', res, 'identities', ids);

  -- ---- the household (family_units, at the child's postcode) ----
  hh := NULL;
  home_spellings := brent_mdm.postcode_spellings(home_pc);
  home_norm := brent_mdm.postcode_normalise(home_pc);
  IF home_norm IS NOT NULL THEN
    -- family_units' steps (scorecard.sql) over the clients of the child's
    -- postcode (a unit never spans two postcodes).  Not followed (more
    -- postcodes cost p95 21 to 86 ms a call against 8 ms): a child who joined
    -- a parent's unit at another postcode (its own the parent's former
    -- address) is in that unit in family_units, in no household here, and
    -- not in the household of the unit's other children here.
    WITH f AS (
      WITH fp AS (
        SELECT c.client_id, brent_mdm.postcode_normalise(c.postcode) AS pc, c.address_line,
               nullif(regexp_replace(upper(c.address_line), '[^A-Z0-9]+', ' ', 'g'), '') AS addr,
               coalesce(brent_mdm.normalise_name(c.family_name), n.fam) AS fam,
               coalesce(brent_mdm.normalise_name(c.given_name), n.giv) AS giv,
               c.sex,
               CASE WHEN c.date_of_birth IS NOT NULL
                    THEN extract(year FROM age(as_of, c.date_of_birth))::int END AS age,
               coalesce(c.date_of_birth > (as_of - interval '16 years'), false)
                 AND EXISTS (SELECT FROM brent_mdm.client_record_masked r
                              WHERE r.client_id = c.client_id AND r.address_line IS NOT NULL
                                AND r.date_of_birth IS NULL) AS chim
          FROM brent_mdm.client_masked c
          CROSS JOIN LATERAL (
            SELECT brent_mdm.normalise_name(CASE WHEN f.fn LIKE '%,%' THEN split_part(f.fn, ',', 1)
                                                 ELSE substring(f.fn FROM '(\S+)$') END) AS fam,
                   brent_mdm.normalise_name(CASE WHEN f.fn LIKE '%,%' THEN substr(f.fn, strpos(f.fn, ',') + 1)
                                                 ELSE substring(f.fn FROM '^(.*\S)\s+\S+$') END) AS giv
              FROM (SELECT regexp_replace(btrim(min(r.full_name)), '^(mr|mrs|ms|miss|dr|mx)\.?\s+', '', 'i') AS fn
                      FROM brent_mdm.client_record_masked r
                     WHERE c.family_name IS NULL AND r.client_id = c.client_id AND r.full_name IS NOT NULL) f) n
         WHERE c.status = 'active' AND c.postcode = ANY (home_spellings) AND brent_mdm.postcode_normalise(c.postcode) = home_norm
           AND (c.date_of_birth IS NULL OR c.date_of_birth <= as_of)
           AND NOT EXISTS (SELECT FROM brent_mdm.client_record_masked r
                            WHERE r.client_id = c.client_id AND r.address_to < as_of
                              AND brent_mdm.postcode_normalise(r.postcode) = brent_mdm.postcode_normalise(c.postcode)
                              AND NOT EXISTS (SELECT FROM brent_mdm.client_record_masked r2
                                               WHERE r2.client_id = c.client_id AND r2.address_from > r.address_to))
      ), occ_sys AS MATERIALIZED (
        SELECT DISTINCT r.system FROM brent_mdm.client_record_masked r WHERE r.address_to IS NOT NULL
      ), adult0 AS (
        SELECT f.client_id, f.pc, f.addr, f.fam, f.giv, f.sex, CASE WHEN NOT f.chim THEN f.age END AS age,
               (SELECT min(r.address_from) FROM brent_mdm.client_record_masked r
                      WHERE r.client_id = f.client_id AND r.address_from <= as_of
                        AND brent_mdm.postcode_normalise(r.postcode) = f.pc) AS since,
               EXISTS (SELECT FROM brent_mdm.client_record_masked r
                        WHERE r.client_id = f.client_id AND r.address_from <= as_of
                          AND r.system IN (SELECT o.system FROM occ_sys o)
                          AND brent_mdm.postcode_normalise(r.postcode) = f.pc) AS occ
          FROM fp f WHERE f.age IS NULL OR f.age >= 18 OR f.chim
      ), line_for AS (
        SELECT a.client_id, min(b.addr) AS addr
          FROM adult0 a JOIN adult0 b ON b.pc = a.pc AND b.addr IS NOT NULL
         WHERE a.addr IS NULL AND brent_mdm.jaro_winkler(b.fam, a.fam) >= 0.88
         GROUP BY a.client_id HAVING count(DISTINCT b.addr) = 1
      ), adult AS (
        SELECT a.client_id, a.pc, a.fam, a.giv, a.sex, a.age, a.since, a.occ, coalesce(a.addr, l.addr) AS addr
          FROM adult0 a LEFT JOIN line_for l USING (client_id)
      ), line_adult AS (
        SELECT a.*, min(a.since) FILTER (WHERE a.occ) OVER (PARTITION BY a.pc, a.addr) AS first_occ
          FROM adult a WHERE a.addr IS NOT NULL AND a.since IS NOT NULL
      ), occ_part AS (
        -- occupations of a line more than 120 days apart are households of their own
        SELECT a.client_id, a.pc, a.addr, a.since,
               1 + sum(CASE WHEN a.since - a.prev > 120 THEN 1 ELSE 0 END)
                     OVER (PARTITION BY a.pc, a.addr ORDER BY a.since, a.client_id) AS part,
               1 + count(*) FILTER (WHERE a.since - a.prev > 120) OVER (PARTITION BY a.pc, a.addr) AS parts
          FROM (SELECT a.*, lag(a.since) OVER (PARTITION BY a.pc, a.addr ORDER BY a.since, a.client_id) AS prev
                  FROM line_adult a WHERE a.occ) a
      ), reg_before AS (
        -- registrations of a line with no occupation, or before its first one
        -- (past occupants still listed): split by their dates
        SELECT a.client_id, sum(CASE WHEN a.since - a.prev > 120 THEN 1 ELSE 0 END)
                              OVER (PARTITION BY a.pc, a.addr ORDER BY a.since, a.client_id) - 1000 AS part
          FROM (SELECT a.*, lag(a.since) OVER (PARTITION BY a.pc, a.addr ORDER BY a.since, a.client_id) AS prev
                  FROM line_adult a WHERE NOT a.occ AND (a.first_occ IS NULL OR a.since < a.first_occ - 120)) a
      ), reg_near AS (
        -- a registration during the occupations (a young adult registering at 17,
        -- a partner joining): the household of the line's one occupation, or of
        -- the occupation begun within 120 days of it where the line has several
        SELECT n.client_id, n.part FROM (
          SELECT DISTINCT ON (a.client_id) a.client_id, o.part, abs(a.since - o.since) AS gap, o.parts
            FROM line_adult a JOIN occ_part o ON o.pc = a.pc AND o.addr = a.addr
           WHERE NOT a.occ AND a.since >= a.first_occ - 120
           ORDER BY a.client_id, abs(a.since - o.since), o.since) n
         WHERE n.parts = 1 OR n.gap <= 120
      ), reg_after AS (
        -- the other registrations of a line of several occupations: split by their dates
        SELECT a.client_id, sum(CASE WHEN a.since - a.prev > 120 THEN 1 ELSE 0 END)
                              OVER (PARTITION BY a.pc, a.addr ORDER BY a.since, a.client_id) + 1000 AS part
          FROM (SELECT a.*, lag(a.since) OVER (PARTITION BY a.pc, a.addr ORDER BY a.since, a.client_id) AS prev
                  FROM line_adult a
                 WHERE NOT a.occ AND a.since >= a.first_occ - 120
                   AND NOT EXISTS (SELECT FROM reg_near n WHERE n.client_id = a.client_id)) a
      ), dated AS (
        SELECT a.client_id, a.pc, a.fam, a.giv, a.sex, a.age, a.since, a.addr,
               coalesce(o.part, b.part, n.part, r.part) AS part
          FROM line_adult a LEFT JOIN occ_part o USING (client_id) LEFT JOIN reg_before b USING (client_id)
          LEFT JOIN reg_near n USING (client_id) LEFT JOIN reg_after r USING (client_id)
      ), undated AS (
        SELECT a.client_id, a.pc, a.addr, a.fam, a.giv, a.sex, a.age,
               coalesce(min(d.part) FILTER (WHERE brent_mdm.jaro_winkler(d.fam, a.fam) >= 0.88), max(d.part), 0) AS part
          FROM adult a LEFT JOIN dated d ON d.pc = a.pc AND d.addr = a.addr
         WHERE a.addr IS NOT NULL AND a.since IS NULL
         GROUP BY a.client_id, a.pc, a.addr, a.fam, a.giv, a.sex, a.age
      ), unit0 AS (
        SELECT d.client_id, d.pc, d.addr, d.part, d.fam, d.giv, d.sex, d.age FROM dated d
        UNION ALL
        SELECT u.client_id, u.pc, u.addr, u.part, u.fam, u.giv, u.sex, u.age FROM undated u
        UNION ALL
        SELECT a.client_id, a.pc, '~' || coalesce(a.fam, a.client_id::text), 0, a.fam, a.giv, a.sex, a.age
          FROM adult a WHERE a.addr IS NULL
      ), unit1 AS (
        SELECT u.client_id, u.pc, u.addr, u.fam, u.giv, u.sex, u.age,
               least(u.part, min(v.part)) AS part
          FROM unit0 u LEFT JOIN unit0 v ON v.pc = u.pc AND v.addr = u.addr
                                        AND (brent_mdm.jaro_winkler(v.fam, u.fam) >= 0.88
                                       OR ARRAY(SELECT t FROM regexp_split_to_table(v.fam, '[ -]+') t WHERE length(t) > 3) && ARRAY(SELECT t FROM regexp_split_to_table(u.fam, '[ -]+') t WHERE length(t) > 3))
         GROUP BY u.client_id, u.pc, u.addr, u.fam, u.giv, u.sex, u.age, u.part
      ), unit AS (
        SELECT u.client_id, u.pc, u.fam, u.giv, u.sex, u.age, u.addr,
               u.addr || '#' || least(u.part, min(c.part)) AS unit
          FROM unit1 u
          LEFT JOIN unit1 d ON d.pc = u.pc AND d.addr = u.addr AND d.part = u.part
          LEFT JOIN unit1 c ON c.pc = u.pc AND c.addr = u.addr AND (brent_mdm.jaro_winkler(d.fam, c.fam) >= 0.88
                            OR ARRAY(SELECT t FROM regexp_split_to_table(d.fam, '[ -]+') t WHERE length(t) > 3) && ARRAY(SELECT t FROM regexp_split_to_table(c.fam, '[ -]+') t WHERE length(t) > 3))
         GROUP BY u.client_id, u.pc, u.fam, u.giv, u.sex, u.age, u.addr, u.part
      ), kid AS (
        SELECT f.* FROM fp f WHERE f.age < 18 AND NOT f.chim
      ), cand AS (
        SELECT k.client_id AS child, a.pc, a.unit,
               max(CASE WHEN k.fam = a.fam OR k.giv = a.fam THEN 3
                        WHEN brent_mdm.jaro_winkler(k.fam, a.fam) >= 0.88 OR brent_mdm.jaro_winkler(k.giv, a.fam) >= 0.88
                          OR regexp_split_to_array(k.fam, '[ -]+') && regexp_split_to_array(a.fam, '[ -]+') THEN 2
                        WHEN k.fam = a.giv OR string_to_array(k.fam, ' ') && string_to_array(a.giv, ' ') THEN 2
                        WHEN brent_mdm.jaro_winkler(k.fam, split_part(a.giv, ' ', 1)) >= 0.9 THEN 1
                        ELSE 0 END) AS score,
               bool_or(a.age IS NULL OR a.age BETWEEN k.age + 14 AND k.age + 60) AS plausible
          FROM kid k JOIN unit a ON a.pc = k.pc
         GROUP BY 1, 2, 3
      ), pick AS (
        SELECT DISTINCT ON (c.child) c.child, c.pc, c.unit,
               count(*) OVER (PARTITION BY c.child, c.score, c.plausible) AS ties
          FROM cand c WHERE c.score > 0
         ORDER BY c.child, c.score DESC, c.plausible DESC, c.unit
      ), placed0 AS (
        SELECT p.child AS client_id, p.pc, p.unit FROM pick p WHERE p.ties = 1
      ), former AS (
        SELECT DISTINCT u.client_id, u.pc, u.unit, u.fam, u.giv, u.age, brent_mdm.postcode_normalise(r.postcode) AS fpc
          FROM unit u JOIN brent_mdm.client_record_masked r ON r.client_id = u.client_id
         WHERE brent_mdm.postcode_normalise(r.postcode) <> u.pc
      ), moved AS (
        SELECT m.child AS client_id, min(m.pc) AS pc, min(m.unit) AS unit
          FROM (SELECT DISTINCT k.client_id AS child, f.pc, f.unit
                  FROM kid k JOIN former f ON f.fpc = k.pc AND (f.fam = k.fam OR f.fam = k.giv)
                 WHERE NOT EXISTS (SELECT FROM placed0 p WHERE p.client_id = k.client_id)
                   AND (f.age IS NULL OR f.age BETWEEN k.age + 14 AND k.age + 60)) m
         GROUP BY m.child HAVING count(*) = 1
      ), placed AS (
        SELECT p.client_id, k.pc AS kpc, p.pc, p.unit FROM placed0 p JOIN kid k USING (client_id)
        UNION ALL
        SELECT m.client_id, k.pc, m.pc, m.unit FROM moved m JOIN kid k USING (client_id)
      ), sibling AS (
        SELECT DISTINCT ON (s.client_id) s.client_id, s.pc, s.unit
          FROM (SELECT k.client_id, p.pc, p.unit, (s.fam = k.fam OR s.fam = k.giv OR s.giv = k.fam) AS exact,
                       min(p.unit) OVER (PARTITION BY k.client_id) = max(p.unit) OVER (PARTITION BY k.client_id) AS one
                  FROM kid k JOIN placed p ON p.kpc = k.pc JOIN kid s ON s.client_id = p.client_id
                 WHERE NOT EXISTS (SELECT FROM placed q WHERE q.client_id = k.client_id)
                   AND (s.fam = k.fam OR s.fam = k.giv OR s.giv = k.fam OR brent_mdm.jaro_winkler(s.fam, k.fam) >= 0.88
                        OR regexp_split_to_array(s.fam, '[ -]+') && regexp_split_to_array(k.fam, '[ -]+'))) s
         WHERE s.exact OR s.one
         ORDER BY s.client_id, s.exact DESC, s.unit
      ), children AS (
        SELECT p.client_id, p.pc, p.unit FROM placed p UNION ALL SELECT * FROM sibling
      ), unit_chim AS (
        SELECT u.pc, u.unit, u.client_id, f.chim, f.age,
               bool_or(NOT f.chim) OVER (PARTITION BY u.pc, u.unit) AS has_adult,
               bool_or(f.chim) OVER (PARTITION BY u.pc, u.unit) AS has_chim
          FROM unit u JOIN fp f USING (client_id)
      ), members AS (
        SELECT ch.pc, ch.unit, ch.client_id, false AS adult, k.age, k.fam, k.sex FROM children ch JOIN kid k USING (client_id)
        UNION ALL
        SELECT u.pc, u.unit, u.client_id, NOT (c.chim AND c.has_adult),
               CASE WHEN c.chim AND c.has_adult THEN c.age ELSE u.age END, u.fam, u.sex
          FROM unit u JOIN unit_chim c ON c.pc = u.pc AND c.unit = u.unit AND c.client_id = u.client_id
         WHERE EXISTS (SELECT FROM children ch WHERE ch.pc = u.pc AND ch.unit = u.unit)
            OR (c.has_chim AND c.has_adult)
      ), like_child AS (
        SELECT DISTINCT a.client_id
          FROM members a JOIN members c ON c.pc = a.pc AND c.unit = a.unit AND NOT c.adult
         WHERE a.adult AND brent_mdm.jaro_winkler(c.fam, a.fam) >= 0.88
      ), ranked AS (
        SELECT m.*, min(m.client_id) OVER (PARTITION BY m.pc, m.unit) AS fid,
               CASE WHEN m.adult THEN row_number() OVER (
                      PARTITION BY m.pc, m.unit, m.adult
                      ORDER BY l.client_id IS NOT NULL DESC, m.sex = 'F' DESC NULLS LAST,
                               coalesce(m.age BETWEEN 18 AND 65, true) DESC, m.client_id) END AS rn
          FROM members m LEFT JOIN like_child l ON m.adult AND l.client_id = m.client_id
      )
      SELECT r.fid AS family_id, r.client_id,
             CASE WHEN NOT r.adult THEN 'child' WHEN r.rn = 1 THEN 'lead' ELSE 'adult' END AS role,
             r.age, r.pc AS postcode
        FROM ranked r
    ), mine AS (SELECT f.* FROM f WHERE f.family_id = (SELECT f2.family_id FROM f f2 WHERE f2.client_id = child_view.client_id))
    SELECT jsonb_build_object('family_id', min(m.family_id), 'postcode', min(m.postcode),
             'members', jsonb_agg(jsonb_build_object('client_id', m.client_id, 'role', m.role, 'age', m.age,
                                    'given_name', cm.given_name, 'family_name', cm.family_name, 'sex', cm.sex,
                                    'address_line', cm.address_line)
                                  ORDER BY m.role = 'child', m.role <> 'lead', m.client_id)),
           array_agg(m.client_id ORDER BY m.client_id),
           array_agg(m.client_id ORDER BY m.client_id) FILTER (WHERE m.role <> 'child'),
           coalesce(min(nullif(btrim(regexp_replace(upper(cm.address_line), '[^A-Z0-9]+', ' ', 'g')), '')) FILTER (WHERE m.role = 'lead'),
                    min(nullif(btrim(regexp_replace(upper(cm.address_line), '[^A-Z0-9]+', ' ', 'g')), '')) FILTER (WHERE m.role <> 'child'))
      INTO hh, hh_ids, hh_adults, home_addr
      FROM mine m JOIN brent_mdm.client_masked cm ON cm.client_id = m.client_id
    HAVING count(*) > 0;
  END IF;
  IF hh IS NULL THEN
    hh_ids := ARRAY[client_id];
    hh_adults := '{}';
    home_addr := nullif(btrim(regexp_replace(upper(home_addr), '[^A-Z0-9]+', ' ', 'g')), '');
    res := res || jsonb_build_object('household', NULL, 'household_note',
      'no family unit holds this child on the date (family_units: a child is placed in the unit of its postcode holding an adult of its surname; see docs/reference.md#family_units)');
  ELSE
    res := res || jsonb_build_object('household', hh);
  END IF;
  -- the household's youth offending records, and its adults' names (early help is recorded against the lead adult)
  SELECT array_agg(DISTINCT v) FILTER (WHERE r.system = 'youth_offending'),
           coalesce(jsonb_agg(DISTINCT jsonb_build_object(
                      'fam', brent_mdm.normalise_name(r.family_name),
                      'giv', split_part(brent_mdm.normalise_name(r.given_name), ' ', 1),
                      'dob', r.date_of_birth, 'pc', brent_mdm.postcode_normalise(r.postcode)))
                    FILTER (WHERE r.family_name IS NOT NULL AND r.client_id = ANY (hh_adults)), '[]')
    INTO hh_yot, lead_names
    FROM brent_mdm.client_record_masked r, LATERAL (VALUES (r.record_key), (upper(replace(r.record_key, ' ', '')))) x(v)
   WHERE r.client_id = ANY (hh_ids);

  -- ---- the datasets: one statement, prepared once per session and set of relations ----
  -- (its text names the relations read, so a dataset located elsewhere, or a
  -- DPIA's scope changed, gives another statement; PostgreSQL re-plans a kept
  -- statement when a relation or masking view it reads changes)
  sections := '{}';
  IF rel ? 'school_census' THEN
    sections := sections || format($q$'school_history', (
      SELECT jsonb_agg(jsonb_build_object('census_date', x.census_date, 'school_urn', x.school_urn,
                        'school_name', %s, 'phase', %s, 'ncy_year', x.ncy_year, 'pupil_record_id', x.pupil_record_id)
                       ORDER BY x.census_date DESC NULLS LAST, x.pupil_record_id)
        FROM %s x %s
       WHERE (x.upn = ANY ($2) OR x.pupil_record_id = ANY ($3)) AND (x.census_date IS NULL OR x.census_date <= $1))$q$,
      CASE WHEN rel ? 'school' THEN 's.school_name' ELSE 'NULL::text' END,
      CASE WHEN rel ? 'school' THEN 's.phase' ELSE 'NULL::text' END,
      rel ->> 'school_census',
      CASE WHEN rel ? 'school' THEN format('LEFT JOIN %s s ON s.school_urn = x.school_urn', rel ->> 'school') ELSE '' END);
  END IF;
  -- attendance by term (terms dated as scorecard_events dates them)
  IF rel ? 'school_attendance' THEN
    sections := sections || format($q$'attendance', (
      SELECT coalesce(jsonb_agg(jsonb_build_object('academic_year', t.academic_year, 'term', t.term, 'term_start', t.term_start,
                        'sessions_possible', t.possible, 'authorised_absence', t.authorised,
                        'unauthorised_absence', t.unauthorised,
                        'absence_rate', CASE WHEN t.possible > 0 THEN round((t.authorised + t.unauthorised)::numeric / t.possible, 4) END)
                      ORDER BY t.term_start), '[]')
        FROM (SELECT a.academic_year, a.term, a.sessions_possible AS possible,
                     a.sessions_authorised_absence AS authorised, a.sessions_unauthorised_absence AS unauthorised,
                     make_date(substr(a.academic_year, 1, 4)::int + CASE WHEN a.term = 'autumn' THEN 0 ELSE 1 END,
                               CASE a.term WHEN 'autumn' THEN 9 WHEN 'spring' THEN 1 ELSE 4 END, 1) AS term_start
                FROM %s a
               WHERE a.upn = ANY ($2) AND a.academic_year ~ '^[1-9][0-9]{3}/[0-9]{2}$' AND a.term IN ('autumn', 'spring', 'summer')) t
       WHERE t.term_start <= $1)$q$, rel ->> 'school_attendance');
  END IF;
  IF rel ? 'school_exclusion' THEN
    sections := sections || format($q$'exclusions', (
      SELECT coalesce(jsonb_agg(jsonb_build_object('exclusion_date', x.exclusion_date, 'category', x.category,
                                                   'sessions', x.sessions) ORDER BY x.exclusion_date, x.category), '[]')
        FROM %s x WHERE x.upn = ANY ($2) AND x.exclusion_date <= $1)$q$, rel ->> 'school_exclusion');
  END IF;
  IF rel ? 'childrens_social_care' THEN
    sections := sections || format($q$'social_care', (
      SELECT coalesce(jsonb_agg(jsonb_build_object('category', x.category, 'referral_date', x.referral_date,
                                                   'episode_end', x.episode_end, 'lcs_person_id', x.lcs_person_id)
                                ORDER BY x.referral_date, x.category), '[]')
        FROM %s x WHERE x.lcs_person_id = ANY ($4) AND x.referral_date <= $1)$q$, rel ->> 'childrens_social_care');
  END IF;
  IF rel ? 'missing_episode' THEN
    sections := sections || format($q$'missing_episodes', (
      SELECT coalesce(jsonb_agg(jsonb_build_object('went_missing', x.went_missing, 'returned', x.returned)
                                ORDER BY x.went_missing), '[]')
        FROM %s x WHERE x.lcs_person_id = ANY ($4) AND x.went_missing <= $1)$q$, rel ->> 'missing_episode');
  END IF;
  -- CSE: the social care number as typed (case and spaces ignored)
  IF rel ? 'cse_concern' THEN
    sections := sections || format($q$'cse_concerns', (
      SELECT coalesce(jsonb_agg(jsonb_build_object('assessed_on', x.assessed_on, 'risk_level', lower(x.risk_level),
                                                   'outcome', x.outcome, 'closed_on', x.closed_on)
                                ORDER BY x.assessed_on), '[]')
        FROM %s x WHERE upper(replace(x.lcs_person_id, ' ', '')) = ANY ($4) AND x.assessed_on <= $1)$q$, rel ->> 'cse_concern');
  END IF;
  -- offences of the child and of its household (youth offending cases)
  IF rel ? 'offence' THEN
    sections := sections || format($q$'household_offences', (
      SELECT coalesce(jsonb_agg(jsonb_build_object('offence_date', x.offence_date, 'offence_type', x.offence_type,
                                                   'outcome', x.outcome, 'yot_case_id', x.yot_case_id,
                                                   'own', x.yot_case_id = ANY ($6))
                                ORDER BY x.offence_date, x.yot_case_id), '[]')
        FROM %s x WHERE x.yot_case_id = ANY ($5) AND x.offence_date <= $1)$q$, rel ->> 'offence');
  END IF;
  IF rel ? 'youth_offending' THEN
    sections := sections || format($q$'youth_offending', (
      SELECT coalesce(jsonb_agg(jsonb_build_object('service', 'youth_offending', 'kind', 'case', 'from', x.case_start,
                                                   'to', NULL, 'case', x.yot_case_id) ORDER BY x.case_start), '[]')
        FROM %s x WHERE x.yot_case_id = ANY ($6) AND (x.case_start IS NULL OR x.case_start <= $1))$q$, rel ->> 'youth_offending');
  END IF;
  -- CME: the UPN, else the surname with the date of birth, or with the given name and postcode
  IF rel ? 'cme_referral' THEN
    sections := sections || format($q$'cme_referrals', (
      SELECT coalesce(jsonb_agg(jsonb_build_object('referred_on', x.referred_on, 'referred_by', x.referred_by,
                                                   'reason', x.reason, 'resolved_on', x.resolved_on, 'outcome', x.outcome)
                                ORDER BY x.referred_on), '[]')
        FROM %s x
       WHERE x.referred_on <= $1
         AND (x.upn = ANY ($2)
              OR (x.upn IS NULL AND EXISTS (
                    SELECT FROM jsonb_array_elements($8) n
                     WHERE n ->> 'fam' = brent_mdm.normalise_name(x.surname)
                       AND ((n ->> 'dob')::date = x.date_of_birth
                            OR (n ->> 'giv' = split_part(brent_mdm.normalise_name(x.forename), ' ', 1)
                                AND n ->> 'pc' = brent_mdm.postcode_normalise(x.postcode)))))))$q$, rel ->> 'cme_referral');
  END IF;
  -- EHCP: the UPN, else the NHS number
  IF rel ? 'ehcp' THEN
    sections := sections || format($q$'ehcp', (
      SELECT coalesce(jsonb_agg(jsonb_build_object('plan_start', x.plan_start, 'ceased_on', x.ceased_on,
                                                   'ceased_reason', x.ceased_reason, 'primary_need', x.primary_need,
                                                   'secondary_need', x.secondary_need) ORDER BY x.plan_start), '[]')
        FROM %s x
       WHERE (x.upn = ANY ($2) OR x.nhs_number = ANY ($7)) AND x.plan_start <= $1)$q$, rel ->> 'ehcp');
  END IF;
  IF rel ? 'health_flag' THEN
    sections := sections || format($q$'health_flags', (
      SELECT coalesce(jsonb_agg(jsonb_build_object('flag', x.flag, 'recorded_on', x.recorded_on)
                                ORDER BY x.recorded_on, x.flag), '[]')
        FROM %s x WHERE x.nhs_number = ANY ($7) AND x.recorded_on <= $1)$q$, rel ->> 'health_flag');
  END IF;
  -- early help: the household's episodes, recorded against its lead adult (surname,
  -- with the date of birth and the postcode or given name, or the given name and postcode)
  IF rel ? 'early_help' THEN
    sections := sections || format($q$'early_help', (
      SELECT coalesce(jsonb_agg(jsonb_build_object('started_on', x.started_on, 'ended_on', x.ended_on,
                                                   'primary_need', x.primary_need, 'lead', concat_ws(' ', x.lead_first_name, x.lead_surname))
                                ORDER BY x.started_on), '[]')
        FROM %s x
       WHERE x.started_on <= $1
         AND EXISTS (SELECT FROM jsonb_array_elements($9) n
                      WHERE n ->> 'fam' = brent_mdm.normalise_name(x.lead_surname)
                        AND (((n ->> 'dob')::date = x.lead_dob
                              AND (n ->> 'pc' = brent_mdm.postcode_normalise(x.postcode)
                                   OR n ->> 'giv' = split_part(brent_mdm.normalise_name(x.lead_first_name), ' ', 1)))
                             OR (n ->> 'giv' = split_part(brent_mdm.normalise_name(x.lead_first_name), ' ', 1)
                                 AND n ->> 'pc' = brent_mdm.postcode_normalise(x.postcode)))))$q$, rel ->> 'early_help');
  END IF;
  -- domestic abuse: notifications at the household's address in the window
  IF rel ? 'domestic_abuse' THEN
    sections := sections || format($q$'domestic_abuse', (
      SELECT jsonb_agg(jsonb_build_object('notified_on', x.notified_on, 'children_present', x.children_present)
                       ORDER BY x.notified_on)
        FROM %s x
       WHERE $13 IS NOT NULL AND x.postcode = ANY ($11) AND brent_mdm.postcode_normalise(x.postcode) = $12
         AND nullif(btrim(regexp_replace(upper(x.address_line), '[^A-Z0-9]+', ' ', 'g')), '') = $13
         AND x.notified_on > $10 AND x.notified_on <= $1)$q$, rel ->> 'domestic_abuse');
  END IF;
  -- ASB near home: incidents in the window within the radius of the centre of
  -- the home postcode's addresses in the gazetteer
  IF rel ? 'asb_incident' AND rel ? 'gazetteer_point' THEN
    SELECT n.nspname INTO ps FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'postgis';
    sections := sections || format($q$'asb_near_home', (
      SELECT jsonb_agg(jsonb_build_object('incident_id', x.incident_id, 'occurred_on', x.occurred_on,
                                          'category', x.category,
                                          'metres', round(%1$I.st_distance(x.geom, h.pt)::numeric))
                       ORDER BY x.occurred_on, x.incident_id)
        FROM %3$s x,
             (SELECT %1$I.st_centroid(%1$I.st_collect(g.geom)) AS pt
                FROM %2$s g WHERE g.postcode = ANY ($11) AND brent_mdm.postcode_normalise(g.postcode) = $12) h
       WHERE h.pt IS NOT NULL AND x.occurred_on > $10 AND x.occurred_on <= $1
         AND %1$I.st_dwithin(x.geom, h.pt, $14))$q$, ps, rel ->> 'gazetteer_point', rel ->> 'asb_incident');
  END IF;
  q := 'SELECT jsonb_build_object(' || array_to_string(sections, ', ') || ')';
  stmt := 'brent_mdm_child_view_' || md5(q);
  q := format('PREPARE %I (date, text[], text[], text[], text[], text[], text[], jsonb, jsonb, date, text[], text, text, float8) AS %s',
              stmt, q);
  -- a statement of that name with other text (the session's own) is replaced
  IF NOT EXISTS (SELECT FROM pg_prepared_statements p WHERE p.name = stmt AND p.statement = q) THEN
    IF EXISTS (SELECT FROM pg_prepared_statements p WHERE p.name = stmt) THEN
      EXECUTE format('DEALLOCATE %I', stmt);
    END IF;
    EXECUTE q;
  END IF;
  -- (a utility statement takes no parameters: the values go as literals, quoted by format's %L)
  EXECUTE format('EXECUTE %I (%L, %L, %L, %L, %L, %L, %L, %L, %L, %L, %L, %L, %L, %L)', stmt,
                 as_of, coalesce(upns, '{}'), coalesce(census_keys, '{}'), coalesce(csc_keys, '{}'), coalesce(hh_yot, '{}'),
                 coalesce(yot_keys, '{}'), coalesce(nhss, '{}'), names, lead_names, since, coalesce(home_spellings, '{}'),
                 home_norm, home_addr, asb_radius)
    INTO sec;

  -- ---- the sections, the risk factors and the services ----
  IF sec ? 'school_history' THEN
    res := res || jsonb_build_object('school', sec -> 'school_history' -> 0, 'school_history', coalesce(sec -> 'school_history', '[]'));
  END IF;
  -- poor attendance: 10 % or more of the sessions of the last three terms with sessions
  IF sec ? 'attendance' THEN
    part := sec -> 'attendance';
    res := res || jsonb_build_object('attendance', part);
    -- every record of the last three terms (a client with two UPNs has two a term)
    SELECT jsonb_agg(e ORDER BY e ->> 'term_start', e::text) INTO evidence
      FROM jsonb_array_elements(part) e
     WHERE (e ->> 'sessions_possible')::int > 0
       AND (e ->> 'term_start')::date IN (SELECT DISTINCT (t ->> 'term_start')::date FROM jsonb_array_elements(part) t
                                           WHERE (t ->> 'sessions_possible')::int > 0
                                           ORDER BY 1 DESC LIMIT absence_terms);
    risks := risks || jsonb_build_object('factor', 'poor_attendance',
      'rule', format('%s %% or more of the possible sessions missed (authorised or not) over the last %s terms with sessions recorded up to %s',
                     round(absence_threshold * 100), absence_terms, as_of),
      'present', coalesce((SELECT sum((e ->> 'authorised_absence')::int + (e ->> 'unauthorised_absence')::int)::numeric
                                  / nullif(sum((e ->> 'sessions_possible')::int), 0)
                             FROM jsonb_array_elements(evidence) e) >= absence_threshold, false),
      'absence_rate', (SELECT round(sum((e ->> 'authorised_absence')::int + (e ->> 'unauthorised_absence')::int)::numeric
                                    / nullif(sum((e ->> 'sessions_possible')::int), 0), 4)
                         FROM jsonb_array_elements(evidence) e),
      'evidence', coalesce(evidence, '[]'),
      'first', evidence -> 0 ->> 'term_start', 'last', evidence -> -1 ->> 'term_start');
  ELSE
    risks := risks || jsonb_build_object('factor', 'poor_attendance', 'present', NULL,
                                         'not_assessed', 'school_attendance is not covered');
  END IF;
  IF sec ? 'exclusions' THEN
    res := res || jsonb_build_object('exclusions', sec -> 'exclusions');
  END IF;
  -- the flags of dated records in the window: exclusions, missing episodes,
  -- CSE concerns, offending in the household (in that order)
  FOR fl IN SELECT * FROM (VALUES
      ('exclusions', 'exclusions', 'exclusion_date', 'a suspension or permanent exclusion in the %s months to %s', 'school_exclusion'),
      ('missing_episodes', 'missing_episodes', 'went_missing', 'went missing from home or care in the %s months to %s', 'missing_episode'),
      ('cse_concerns', 'cse_concerns', 'assessed_on', 'a child sexual exploitation risk assessment (any level) in the %s months to %s', 'cse_concern'),
      ('household_offences', 'offending_in_household', 'offence_date', 'a proven offence of the child or a member of its household in the %s months to %s', 'offence'))
      v(section, factor, day, rule, dataset) LOOP
    IF sec ? fl.section THEN
      SELECT jsonb_agg(e) INTO evidence FROM jsonb_array_elements(sec -> fl.section) e WHERE (e ->> fl.day)::date > since;
      risks := risks || jsonb_build_object('factor', fl.factor, 'rule', format(fl.rule, window_months, as_of),
        'present', evidence IS NOT NULL, 'evidence', coalesce(evidence, '[]'),
        'first', evidence -> 0 ->> fl.day, 'last', evidence -> -1 ->> fl.day);
    ELSE
      risks := risks || jsonb_build_object('factor', fl.factor, 'present', NULL, 'not_assessed', fl.dataset || ' is not covered');
    END IF;
  END LOOP;
  IF sec ? 'social_care' THEN
    part := sec -> 'social_care';
    res := res || jsonb_build_object('social_care', part);
    services := services || (SELECT coalesce(jsonb_agg(jsonb_build_object(
        'service', 'social_care', 'kind', e ->> 'category', 'from', e ->> 'referral_date', 'to', e ->> 'episode_end',
        'current', e ->> 'episode_end' IS NULL OR (e ->> 'episode_end')::date > as_of)), '[]')
      FROM jsonb_array_elements(part) e);
  END IF;
  IF sec ? 'missing_episodes' THEN
    res := res || jsonb_build_object('missing_episodes', sec -> 'missing_episodes');
  END IF;
  IF sec ? 'cse_concerns' THEN
    res := res || jsonb_build_object('cse_concerns', sec -> 'cse_concerns');
  END IF;
  IF sec ? 'household_offences' THEN
    res := res || jsonb_build_object('offences', coalesce((SELECT jsonb_agg(e - 'own') FROM jsonb_array_elements(sec -> 'household_offences') e
                                                            WHERE (e ->> 'own')::boolean), '[]'));
  END IF;
  -- a youth offending case has no end recorded: current while it has an offence in the window
  IF sec ? 'youth_offending' THEN
    services := services || (SELECT coalesce(jsonb_agg(e || jsonb_build_object('current',
        EXISTS (SELECT FROM jsonb_array_elements(res -> 'offences') o
                 WHERE o ->> 'yot_case_id' = e ->> 'case' AND (o ->> 'offence_date')::date > since))), '[]')
      FROM jsonb_array_elements(sec -> 'youth_offending') e);
  END IF;
  IF sec ? 'cme_referrals' THEN
    res := res || jsonb_build_object('cme_referrals', sec -> 'cme_referrals');
  END IF;
  IF sec ? 'ehcp' THEN
    part := sec -> 'ehcp';
    res := res || jsonb_build_object('ehcp', part);
    services := services || (SELECT coalesce(jsonb_agg(jsonb_build_object(
        'service', 'ehcp', 'kind', e ->> 'primary_need', 'from', e ->> 'plan_start', 'to', e ->> 'ceased_on',
        'current', e ->> 'ceased_on' IS NULL OR (e ->> 'ceased_on')::date > as_of)), '[]')
      FROM jsonb_array_elements(part) e);
  END IF;
  IF sec ? 'health_flags' THEN
    res := res || jsonb_build_object('health_flags', sec -> 'health_flags');
  END IF;
  IF sec ? 'early_help' THEN
    part := sec -> 'early_help';
    res := res || jsonb_build_object('early_help', part);
    services := services || (SELECT coalesce(jsonb_agg(jsonb_build_object(
        'service', 'early_help', 'kind', e ->> 'primary_need', 'from', e ->> 'started_on', 'to', e ->> 'ended_on',
        'current', e ->> 'ended_on' IS NULL OR (e ->> 'ended_on')::date > as_of)), '[]')
      FROM jsonb_array_elements(part) e);
  END IF;
  IF sec ? 'domestic_abuse' AND home_addr IS NOT NULL THEN
    evidence := nullif(sec -> 'domestic_abuse', 'null');
    risks := risks || jsonb_build_object('factor', 'domestic_abuse_in_household',
      'rule', format('a police notification of domestic abuse at the household''s address (its lead adult''s) in the %s months to %s',
                     window_months, as_of),
      'present', evidence IS NOT NULL, 'evidence', coalesce(evidence, '[]'),
      'first', evidence -> 0 ->> 'notified_on', 'last', evidence -> -1 ->> 'notified_on');
  ELSE
    risks := risks || jsonb_build_object('factor', 'domestic_abuse_in_household', 'present', NULL,
      'not_assessed', CASE WHEN NOT sec ? 'domestic_abuse' THEN 'domestic_abuse is not covered'
                           ELSE 'the household''s address line is not known' END);
  END IF;
  IF sec ? 'asb_near_home' AND home_norm IS NOT NULL THEN
    evidence := nullif(sec -> 'asb_near_home', 'null');
    risks := risks || jsonb_build_object('factor', 'asb_near_home',
      'rule', format('%s or more anti-social behaviour incidents within %s m of the home postcode (the centre of its addresses in the gazetteer) in the %s months to %s',
                     asb_threshold, asb_radius, window_months, as_of),
      'present', coalesce(jsonb_array_length(evidence), 0) >= asb_threshold,
      'incidents', coalesce(jsonb_array_length(evidence), 0),
      'evidence', coalesce(evidence, '[]'),
      'first', evidence -> 0 ->> 'occurred_on', 'last', evidence -> -1 ->> 'occurred_on');
  ELSE
    risks := risks || jsonb_build_object('factor', 'asb_near_home', 'present', NULL,
      'not_assessed', CASE WHEN NOT rel ? 'asb_incident' THEN 'asb_incident is not covered'
                           WHEN NOT rel ? 'gazetteer_point' THEN 'the gazetteer (gazetteer_point) is not located'
                           ELSE 'the child has no postcode' END);
  END IF;

  RETURN res || jsonb_build_object(
    'risk_factors', risks,
    'services', jsonb_build_object(
      'current', coalesce((SELECT jsonb_agg(s - 'current' ORDER BY s ->> 'from') FROM jsonb_array_elements(services) s
                            WHERE (s ->> 'current')::boolean), '[]'),
      'past', coalesce((SELECT jsonb_agg(s - 'current' ORDER BY s ->> 'from') FROM jsonb_array_elements(services) s
                         WHERE NOT (s ->> 'current')::boolean), '[]')),
    'not_covered', not_covered);
END $fn$;
COMMENT ON FUNCTION brent_mdm.child_view(bigint, date) IS
  'Everything the council''s systems hold on a child (client id; a merged id is followed) on a date, through the Client Index: identities per system, household, school, attendance, exclusions, social care, missing episodes, offences, CME, CSE, EHCP, health flags, early help; risk factors as flags with their rule, evidence and dates; services now and before. Under a purpose whose DPIA covers the Client Index and children''s datasets; read through their masking views with the caller''s rights; every call audited with the child''s client ids';
REVOKE ALL ON FUNCTION brent_mdm.child_view(bigint, date) FROM PUBLIC;
