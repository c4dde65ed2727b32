-- pgTAP: catalogue hygiene of the extension (schema, markings, privileges, comments).
\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only true
\pset pager off
SET client_min_messages = warning;
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS brent_mdm CASCADE;
SELECT plan(23);

SELECT has_schema('brent_mdm');
SELECT is((SELECT count(*)::int FROM pg_depend
            WHERE classid = 'pg_namespace'::regclass AND objid = 'brent_mdm'::regnamespace
              AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'brent_mdm')
              AND deptype = 'e'), 1, 'the brent_mdm schema is a member of the extension');

-- every member function lives in brent_mdm and says what it does
CREATE TEMP TABLE members AS
SELECT p.oid, p.proname, p.pronamespace::regnamespace::text AS nsp, p.provolatile, p.prorettype,
       p.proparallel, p.proisstrict, obj_description(p.oid, 'pg_proc') AS comment
  FROM pg_depend d JOIN pg_proc p ON p.oid = d.objid
 WHERE d.classid = 'pg_proc'::regclass AND d.deptype = 'e'
   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'brent_mdm');
SELECT cmp_ok((SELECT count(*)::int FROM members), '>=', 2, 'the extension has functions');
SELECT is_empty('SELECT proname FROM members WHERE nsp <> ''brent_mdm''',
                'every function is in schema brent_mdm');
SELECT is_empty('SELECT proname FROM members WHERE comment IS NULL',
                'every function has a comment');
-- internal helpers say so and are not for PUBLIC: triggers, aggregate support
-- functions and every function whose comment starts with "Internal"
SELECT is_empty($$SELECT oid::regprocedure FROM members
                   WHERE (comment ILIKE 'internal%' OR prorettype = 'trigger'::regtype
                          OR oid IN (SELECT unnest(ARRAY[aggtransfn, aggfinalfn, aggcombinefn, aggserialfn,
                                                         aggdeserialfn])::oid FROM pg_aggregate
                                      WHERE aggfnoid IN (SELECT oid FROM members)))
                     AND has_function_privilege('public', oid, 'EXECUTE')$$,
                'no internal helper (trigger, aggregate support, marked Internal) is EXECUTE to PUBLIC');
-- a function PUBLIC may run, as its caller, calls no function PUBLIC may not run (that
-- refused every role but a superuser); the catalogue's readers alone call helpers granted
-- to brent_mdm_indicator_admin, whose members read the catalogue (docs/reference.md)
SELECT is((WITH f AS (SELECT p.oid, p.proname, p.prosrc, p.prosecdef FROM members m JOIN pg_proc p USING (oid)),
                pub AS (SELECT * FROM f WHERE has_function_privilege('public', oid, 'EXECUTE') AND NOT prosecdef),
                priv AS (SELECT DISTINCT proname FROM f WHERE NOT has_function_privilege('public', oid, 'EXECUTE'))
                SELECT string_agg(DISTINCT pub.proname::text, ' ' ORDER BY pub.proname::text) FROM pub JOIN priv
                    ON strpos(pub.prosrc, 'brent_mdm.' || priv.proname || '(') > 0
                 WHERE priv.proname <> 'indicator_catalogue_install'),
          'indicator_changes indicator_trends indicator_values indicator_values_published indicator_ward_ranks',
          'functions PUBLIC runs call only functions PUBLIC runs (the catalogue''s readers: brent_mdm_indicator_admin)');
SELECT is_empty($$SELECT oid::regprocedure FROM members
                   WHERE (prorettype = 'trigger'::regtype
                          OR oid IN (SELECT unnest(ARRAY[aggtransfn, aggfinalfn, aggcombinefn, aggserialfn,
                                                         aggdeserialfn])::oid FROM pg_aggregate
                                      WHERE aggfnoid IN (SELECT oid FROM members)))
                     AND comment NOT ILIKE 'internal%'$$,
                'every trigger and aggregate support function is marked Internal');

-- the generator writes: volatile, not parallel safe, not for PUBLIC
SELECT volatility_is('brent_mdm', 'generate_borough',
                     ARRAY['integer', 'integer', 'name', 'boolean'], 'volatile');
SELECT is((SELECT proparallel FROM members WHERE proname = 'generate_borough'), 'u',
          'generate_borough is PARALLEL UNSAFE');
SELECT ok(NOT has_function_privilege('public',
            'brent_mdm.generate_borough(integer, integer, name, boolean)', 'EXECUTE'),
          'PUBLIC may not run generate_borough');
SELECT ok(NOT has_function_privilege('public',
            'brent_mdm.train_model(text, regclass, name, jsonb, regclass)', 'EXECUTE'),
          'PUBLIC may not train and store models');
SELECT ok(has_function_privilege('public', 'brent_mdm.version()', 'EXECUTE'),
          'PUBLIC may read the version');
SELECT ok(NOT has_schema_privilege('public', 'brent_mdm', 'CREATE'),
          'PUBLIC may not create objects in brent_mdm');

-- tables readable by PUBLIC are reference data only (the name dictionary);
-- none is writable by PUBLIC
SELECT set_eq($$
  SELECT c.relname::text FROM pg_class c
   WHERE c.relnamespace = 'brent_mdm'::regnamespace AND c.relkind IN ('r', 'v', 'm', 'p')
     AND has_table_privilege('public', c.oid, 'SELECT')$$,
  ARRAY['name_variant_seed', 'name_variant', 'name_variants', 'link_model', 'link_model_level',
        -- open data about areas shipped with the extension (OGL; no personal data)
        'london_area', 'london_profile_measure', 'london_profile', 'london_crime',
        -- the scorecard's rules (council policy) and where its datasets are (relation names):
        -- its aggregate and functions read them as their caller
        'scorecard_source', 'scorecard_measure', 'scorecard_rule_set', 'scorecard_problem',
        'scorecard_criterion', 'scorecard_dataset_columns', 'scorecard_dataset',
        -- published open data and what the DBA says of the sources
        'published_dataset', 'open_data_source',
        -- the indicator catalogue's metadata (definitions, no data)
        'indicator_catalogue'],
  'only reference data (the name dictionary, trained model parameters, the London open data, the scorecard''s rules, published open data, the indicator catalogue) is readable by PUBLIC');
SELECT is_empty($$
  SELECT c.relname FROM pg_class c
   WHERE c.relnamespace = 'brent_mdm'::regnamespace
     AND (has_table_privilege('public', c.oid, 'INSERT') OR has_table_privilege('public', c.oid, 'UPDATE')
          OR has_table_privilege('public', c.oid, 'DELETE') OR has_table_privilege('public', c.oid, 'TRUNCATE'))$$,
  'nothing in brent_mdm is writable by PUBLIC');

-- markings: functions that read tables are not IMMUTABLE; LEAKPROOF is given
-- exactly to the functions that cannot raise on any input
SELECT is_empty($$
  SELECT proname FROM members
   WHERE provolatile = 'i' AND proname IN ('name_keys', 'name_similarity')$$,
  'dictionary readers are not IMMUTABLE');
SELECT set_eq($$
  SELECT DISTINCT p.proname::text FROM members m JOIN pg_proc p USING (oid) WHERE p.proleakproof$$,
  ARRAY['jaro', 'jaro_winkler', 'levenshtein', 'levenshtein_within', 'damerau_levenshtein',
        'jaccard_tokens', 'postcode_normalise', 'postcode_is_valid', 'postcode_area',
        'postcode_district', 'postcode_sector', 'postcode_agreement', 'nhs_number_is_valid',
        'ni_number_is_valid', 'upn_is_valid', 'date_agreement',
        -- the policy gates and masks: never raise, whatever the session or input
        'purpose_is', 'purpose_in', 'active_dpia', 'mask_year', 'pseudonym', 'subject_visible'],
  'the LEAKPROOF functions are exactly the error-free ones');
SELECT ok(NOT (SELECT proleakproof FROM pg_proc
                WHERE oid = 'brent_mdm.jaro_winkler(text, text, float8)'::regprocedure),
          'jaro_winkler with a prefix scale checks it, so is not LEAKPROOF');

-- a C function is STRICT, or reads each argument only after PG_ARGISNULL: the
-- audited ones are listed (a new one fails here until its NULLs are checked;
-- match_explain was neither and crashed the server on a NULL record)
SELECT set_eq($$
  SELECT p.proname::text FROM members m JOIN pg_proc p USING (oid) JOIN pg_language l ON l.oid = p.prolang
   WHERE l.lanname = 'c' AND NOT p.proisstrict AND p.pronargs > 0$$,
  ARRAY['generate_borough', 'blocking_estimate', 'train_model', 'train_model_labelled', 'client_block_keys',
        'safe_count_transition', 'safe_count_combine', 'safe_count_final', 'safe_count_distinct_transition',
        'safe_count_distinct_combine', 'safe_count_distinct_final', 'suppress_table',
        'subject_visible', 'purge_access', 'hotspots', 'emerging_hotspots', 'emerging_category',
        'kernel_density', 'family_profile_transition', 'family_profile_combine', 'family_profile_final'],
  'every C function with arguments is STRICT but those audited to check PG_ARGISNULL');

-- every table holding the council's data or configuration is kept by pg_dump
-- (all but the name dictionary's seed, which the install script writes), and
-- so is every sequence behind their ids
SELECT set_eq($$SELECT c.relname::text FROM pg_extension e JOIN pg_class c ON c.oid = ANY (e.extconfig)
                 WHERE e.extname = 'brent_mdm' AND c.relkind = 'r'$$,
              $$SELECT c.relname::text FROM pg_class c
                 WHERE c.relnamespace = 'brent_mdm'::regnamespace AND c.relkind = 'r'
                   AND c.relname NOT IN ('name_variant_seed', 'survivorship_rule_default',
                                         'scorecard_source', 'scorecard_measure', 'scorecard_dataset_columns', 'london_area',
                                         'london_profile_measure', 'london_profile', 'london_crime')$$,
              'every table but the shipped seeds (name dictionary, survivorship rules, the scorecard''s sources, measures and dataset columns, the London open data) is registered with pg_extension_config_dump');
SELECT is_empty($$SELECT s.relname FROM pg_class s JOIN pg_depend d ON d.objid = s.oid AND d.deptype IN ('a', 'i')
                   WHERE s.relkind = 'S' AND s.relnamespace = 'brent_mdm'::regnamespace
                     AND s.oid <> ALL ((SELECT extconfig FROM pg_extension WHERE extname = 'brent_mdm')::oid[])$$,
                'every sequence behind an id is registered with pg_extension_config_dump');

-- the install script refuses to be run outside CREATE EXTENSION
SELECT matches(pg_read_file(
         (SELECT setting FROM pg_config WHERE name = 'SHAREDIR') ||
         '/extension/brent_mdm--' || brent_mdm.version() || '.sql'),
       '\\echo Use "CREATE EXTENSION brent_mdm',
       'the install script guards against \i');

SELECT * FROM finish();
ROLLBACK;
