-- ---- indicator: the catalogue of a borough's indicators (issue 13) ----
--
-- A metadata table of indicators over a generated borough (theme, definition,
-- unit, polarity, sources, numerator and denominator, the DPIA a source needs,
-- the disclosure rule) and how each is computed: a measure of the rollup module
-- over one source table, by an area column and period.  indicator_catalogue_install
-- defines the rollups (src/rollup) over a borough schema; the readers aggregate
-- those rollups to wards and the borough, divide by the mid-year population
-- (population_estimate) or by a second rollup, and apply the trend functions
-- (series_trend, series_changes) and a ranking of the wards with polarity.

CREATE TABLE brent_mdm.indicator_catalogue (
  indicator text PRIMARY KEY CHECK (indicator ~ '^[a-z][a-z0-9_]{0,39}$'),
  theme text NOT NULL CHECK (theme IN ('community engagement', 'employment and enterprise', 'housing',
                                       'safety', 'environment', 'health and wellbeing',
                                       'skills and education', 'deprivation')),
  title text NOT NULL,
  definition text NOT NULL,
  unit text NOT NULL,
  polarity text NOT NULL CHECK (polarity IN ('higher_better', 'lower_better', 'neutral')),
  source_tables text[] NOT NULL,
  numerator text NOT NULL,
  denominator text,
  dpia text NOT NULL,
  disclosure_rule text NOT NULL,
  -- how it is computed, over the borough schema given at install
  source name NOT NULL,
  numerator_measure text NOT NULL
    CHECK (numerator_measure ~* '^\s*(count|sum|min|max)\s*\(' AND numerator_measure !~* '^\s*count\s*\(\s*distinct'),
  denominator_kind text NOT NULL CHECK (denominator_kind IN ('population', 'measure', 'none')),
  denominator_measure text
    CHECK (denominator_measure ~* '^\s*(count|sum)\s*\(' AND denominator_measure !~* '^\s*count\s*\(\s*distinct'),
  population_age_from integer CHECK (population_age_from BETWEEN 0 AND 90),
  population_age_to integer CHECK (population_age_to BETWEEN 0 AND 90),
  population_sex text CHECK (population_sex IN ('F', 'M')),
  multiplier numeric NOT NULL DEFAULT 1 CHECK (multiplier > 0),
  area_kind text NOT NULL CHECK (area_kind IN ('ward', 'postcode', 'site', 'upn', 'lcs_person', 'yot_case', 'none')),
  area_column name,
  period_column name,
  period_dimension name,
  grain text NOT NULL CHECK (grain IN ('month', 'quarter', 'year', 'financial_year', 'academic_year')),
  shipped boolean NOT NULL DEFAULT false,
  -- the disclosure rule as the readers apply it (indicator_values_published)
  disclosure_control text NOT NULL DEFAULT 'suppress'
    CHECK (disclosure_control IN ('none', 'suppress', 'suppress_wards_by_year', 'suppress_borough_only', 'small_below_5')),
  CHECK ((denominator_kind = 'measure') = (denominator_measure IS NOT NULL)),
  CHECK (denominator_kind = 'population' OR (population_age_from IS NULL AND population_age_to IS NULL
                                              AND population_sex IS NULL)),
  CHECK (population_age_from IS NULL OR population_age_to IS NULL OR population_age_from <= population_age_to),
  CHECK ((area_kind = 'none') = (area_column IS NULL)),
  CHECK ((period_column IS NULL) <> (period_dimension IS NULL)),
  CHECK (period_dimension IS NULL OR grain = 'academic_year'),
  CHECK (denominator_kind <> 'none' OR numerator_measure ~* '^\s*(min|max)\s*\(' OR multiplier = 1)
);
COMMENT ON TABLE brent_mdm.indicator_catalogue IS
  'The indicator catalogue: metadata (theme, definition, unit, polarity, sources, numerator, denominator, DPIA, '
  'disclosure rule) and how each indicator is computed from rollups over a borough schema '
  '(indicator_catalogue_install). Shipped rows are written by the install script; rows the council adds '
  '(shipped false) are kept by pg_dump';
SELECT pg_catalog.pg_extension_config_dump('brent_mdm.indicator_catalogue', 'WHERE NOT shipped');
GRANT SELECT ON brent_mdm.indicator_catalogue TO PUBLIC;

CREATE TABLE brent_mdm.indicator_catalogue_installed (
  target_schema name NOT NULL,
  indicator text NOT NULL REFERENCES brent_mdm.indicator_catalogue ON UPDATE CASCADE ON DELETE CASCADE,
  numerator_rollup text NOT NULL,
  denominator_rollup text,
  installed_by name NOT NULL DEFAULT SESSION_USER,
  installed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (target_schema, indicator)
);
COMMENT ON TABLE brent_mdm.indicator_catalogue_installed IS
  'The catalogue''s indicators installed over each borough schema, with the rollups (brent_mdm.indicator) they read';
SELECT pg_catalog.pg_extension_config_dump('brent_mdm.indicator_catalogue_installed', '');

-- Name of a rollup the catalogue defines: one per distinct definition, so that
-- indicators sharing a measure share its rollup.
CREATE FUNCTION brent_mdm.indicator_catalogue_rollup_name(target_schema name, definition text)
  RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT 'ic_' || pg_catalog.left(pg_catalog.md5(target_schema::text || '|' || definition), 16)
$$;
COMMENT ON FUNCTION brent_mdm.indicator_catalogue_rollup_name(name, text) IS
  'Internal: the name of the rollup the indicator catalogue defines for a borough schema and one definition';
REVOKE ALL ON FUNCTION brent_mdm.indicator_catalogue_rollup_name(name, text) FROM PUBLIC;

-- The lookups that place an area column in a ward, each a rollup too (kept current).
CREATE FUNCTION brent_mdm.indicator_catalogue_lookups()
  RETURNS TABLE (area_kind text, source name, key_column name, place_column name)
  LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  VALUES ('postcode', 'address'::name, 'postcode'::name, 'ward_code'::name),
         ('site', 'air_quality_site', 'site_id', 'ward_code'),
         ('upn', 'school_census', 'upn', 'postcode'),
         ('lcs_person', 'childrens_social_care', 'lcs_person_id', 'postcode'),
         ('yot_case', 'youth_offending', 'yot_case_id', 'postcode')
$$;
COMMENT ON FUNCTION brent_mdm.indicator_catalogue_lookups() IS
  'How the catalogue places an area column in a ward: the borough table whose rows give each key''s ward '
  '(site, postcode) or postcode (UPN, social care and youth offending ids: then the postcode''s ward)';
GRANT EXECUTE ON FUNCTION brent_mdm.indicator_catalogue_lookups() TO PUBLIC;

-- Definition text of a lookup rollup and of an indicator's rollups.
CREATE FUNCTION brent_mdm.indicator_catalogue_lookup_rollup(target_schema name, kind text) RETURNS text
  LANGUAGE sql STABLE STRICT PARALLEL SAFE AS $$
  SELECT brent_mdm.indicator_catalogue_rollup_name(target_schema,
           'lookup|' || l.source || '|' || l.key_column || '|' || l.place_column)
    FROM brent_mdm.indicator_catalogue_lookups() l WHERE l.area_kind = kind
$$;
COMMENT ON FUNCTION brent_mdm.indicator_catalogue_lookup_rollup(name, text) IS
  'Internal: the rollup of a borough schema that places one kind of area column (indicator_catalogue_lookups)';
REVOKE ALL ON FUNCTION brent_mdm.indicator_catalogue_lookup_rollup(name, text) FROM PUBLIC;

CREATE FUNCTION brent_mdm.indicator_catalogue_measure_rollup(target_schema name, c brent_mdm.indicator_catalogue,
                                                             measure text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT brent_mdm.indicator_catalogue_rollup_name(target_schema,
           concat_ws('|', c.source, measure, coalesce(c.area_column, '-'), coalesce(c.period_column, '-'),
                     coalesce(c.period_dimension, '-'), c.grain))
$$;
COMMENT ON FUNCTION brent_mdm.indicator_catalogue_measure_rollup(name, brent_mdm.indicator_catalogue, text) IS
  'Internal: the rollup of a borough schema for one measure of a catalogue indicator';
REVOKE ALL ON FUNCTION brent_mdm.indicator_catalogue_measure_rollup(name, brent_mdm.indicator_catalogue, text) FROM PUBLIC;

CREATE FUNCTION brent_mdm.indicator_catalogue_install(target_schema name DEFAULT 'borough',
                                                      indicators text[] DEFAULT NULL)
  RETURNS TABLE (indicator text, numerator_rollup text, denominator_rollup text, rollups_defined integer)
  LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  c brent_mdm.indicator_catalogue;
  lk record;
  nsp oid;
  rel regclass;
  num text;
  den text;
  made integer;
  dims text[];
  kinds text[];
  unknown text;
BEGIN
  IF target_schema IS NULL THEN
    RAISE EXCEPTION 'target_schema must not be NULL' USING ERRCODE = '22004';
  END IF;
  SELECT oid INTO nsp FROM pg_namespace WHERE nspname = target_schema;
  IF nsp IS NULL THEN
    RAISE EXCEPTION 'schema "%" does not exist', left(target_schema, 100) USING ERRCODE = '3F000',
      HINT = 'Generate a borough first: SELECT * FROM brent_mdm.generate_borough(20000, target_schema => ...).';
  END IF;
  IF to_regclass(format('%I.population_estimate', target_schema)) IS NULL
     OR to_regclass(format('%I.ward', target_schema)) IS NULL THEN
    RAISE EXCEPTION 'schema "%" holds no borough', left(target_schema, 100) USING ERRCODE = '42P01',
      DETAIL = 'The catalogue reads its tables ward and population_estimate, and the source tables of the indicators.',
      HINT = 'Generate the borough again with this version of brent_mdm (population_estimate is new in 0.2.0).';
  END IF;
  -- rollups dropped since the last install (with their tables: DROP ... CASCADE, or
  -- generate_borough's replace): the ward stage's records and tables of them go, and
  -- so do the wards it placed the borough's keys in (made from the tables of then),
  -- all made again below (the records made the ward stage's install fail with a
  -- syntax error at a dropped table's oid; the places would have been kept stale)
  FOR lk IN DELETE FROM brent_mdm.indicator_catalogue_ward_rollup w
             WHERE w.target_schema = indicator_catalogue_install.target_schema
               AND (NOT EXISTS (SELECT FROM brent_mdm.indicator i WHERE i.name = w.rollup)
                    OR NOT EXISTS (SELECT FROM pg_class k WHERE k.oid = w.source))
            RETURNING w.rollup LOOP
    EXECUTE format('DROP VIEW IF EXISTS brent_mdm_rollup.%I', lk.rollup || '_ward');
    EXECUTE format('DROP TABLE IF EXISTS brent_mdm_rollup.%I, brent_mdm_rollup.%I', lk.rollup || '_wbase', lk.rollup || '_wdelta');
    made := 1;
  END LOOP;
  IF made = 1 THEN
    FOR lk IN SELECT y.area_kind FROM brent_mdm.indicator_catalogue_lookups() y LOOP
      EXECUTE format('DROP TABLE IF EXISTS brent_mdm_rollup.%I',
                     brent_mdm.indicator_catalogue_ward_place(target_schema, lk.area_kind));
    END LOOP;
  END IF;
  SELECT string_agg(u, ', ') INTO unknown
    FROM unnest(indicators) u WHERE u IS NULL OR NOT EXISTS (SELECT 1 FROM brent_mdm.indicator_catalogue k
                                                             WHERE k.indicator = u);
  IF unknown IS NOT NULL OR array_position(indicators, NULL) IS NOT NULL THEN
    RAISE EXCEPTION 'unknown indicator: %', left(coalesce(unknown, 'NULL'), 100) USING ERRCODE = '42704',
      HINT = 'The indicators are listed in brent_mdm.indicator_catalogue.';
  END IF;

  -- the lookups the chosen indicators need
  SELECT array_agg(DISTINCT k) INTO kinds
    FROM (SELECT c2.area_kind AS k FROM brent_mdm.indicator_catalogue c2
           WHERE (indicators IS NULL OR c2.indicator = ANY (indicators)) AND c2.area_kind <> 'none'
          UNION ALL
          SELECT 'postcode' FROM brent_mdm.indicator_catalogue c2
           WHERE (indicators IS NULL OR c2.indicator = ANY (indicators))
             AND c2.area_kind IN ('postcode', 'upn', 'lcs_person', 'yot_case')) x
   WHERE k <> 'ward';
  FOR lk IN SELECT l.* FROM brent_mdm.indicator_catalogue_lookups() l WHERE l.area_kind = ANY (kinds) LOOP
    num := brent_mdm.indicator_catalogue_lookup_rollup(target_schema, lk.area_kind);
    IF NOT EXISTS (SELECT 1 FROM brent_mdm.indicator i WHERE i.name = num) THEN
      rel := to_regclass(format('%I.%I', target_schema, lk.source));
      IF rel IS NULL THEN
        RAISE EXCEPTION 'table %.% does not exist', left(target_schema, 100), lk.source USING ERRCODE = '42P01',
          DETAIL = format('The catalogue places %s columns in wards through it.', lk.area_kind);
      END IF;
      PERFORM brent_mdm.define_indicator(num, rel, 'count(*)', ARRAY[lk.key_column, lk.place_column]::text[], NULL, NULL);
    END IF;
  END LOOP;

  FOR c IN SELECT * FROM brent_mdm.indicator_catalogue k
            WHERE indicators IS NULL OR k.indicator = ANY (indicators) ORDER BY k.indicator LOOP
    rel := to_regclass(format('%I.%I', target_schema, c.source));
    IF rel IS NULL THEN
      RAISE EXCEPTION 'table %.% of indicator % does not exist', left(target_schema, 100), c.source, c.indicator
        USING ERRCODE = '42P01';
    END IF;
    dims := array_remove(ARRAY[c.area_column, c.period_dimension]::text[], NULL);
    made := 0;
    num := brent_mdm.indicator_catalogue_measure_rollup(target_schema, c, c.numerator_measure);
    IF NOT EXISTS (SELECT 1 FROM brent_mdm.indicator i WHERE i.name = num) THEN
      PERFORM brent_mdm.define_indicator(num, rel, c.numerator_measure, dims, c.period_column,
                                         CASE WHEN c.period_column IS NOT NULL THEN c.grain END);
      made := made + 1;
    END IF;
    den := NULL;
    IF c.denominator_kind = 'measure' THEN
      den := brent_mdm.indicator_catalogue_measure_rollup(target_schema, c, c.denominator_measure);
      IF NOT EXISTS (SELECT 1 FROM brent_mdm.indicator i WHERE i.name = den) THEN
        PERFORM brent_mdm.define_indicator(den, rel, c.denominator_measure, dims, c.period_column,
                                           CASE WHEN c.period_column IS NOT NULL THEN c.grain END);
        made := made + 1;
      END IF;
    END IF;
    INSERT INTO brent_mdm.indicator_catalogue_installed AS t (target_schema, indicator, numerator_rollup, denominator_rollup)
    VALUES (target_schema, c.indicator, num, den)
    ON CONFLICT ON CONSTRAINT indicator_catalogue_installed_pkey
      DO UPDATE SET numerator_rollup = excluded.numerator_rollup, denominator_rollup = excluded.denominator_rollup,
                    installed_by = excluded.installed_by, installed_at = excluded.installed_at;
    indicator := c.indicator;
    numerator_rollup := num;
    denominator_rollup := den;
    rollups_defined := made;
    RETURN NEXT;
  END LOOP;
  -- the rollups placed by a lookup, kept by ward too (the readers read those)
  PERFORM brent_mdm.indicator_catalogue_ward_install(target_schema);
END
$$;
COMMENT ON FUNCTION brent_mdm.indicator_catalogue_install(name, text[]) IS
  'Installs the catalogue''s indicators (all, or those named) over a borough schema: defines the rollups '
  '(define_indicator) of each numerator and denominator measure and of the lookups that place records in wards, '
  'once each (a second call defines only what is missing), and records them in indicator_catalogue_installed';
REVOKE ALL ON FUNCTION brent_mdm.indicator_catalogue_install(name, text[]) FROM PUBLIC;

-- ---- the ward stage: rollups by ward, kept current at write time ----
--
-- The sources place a record in a ward through a lookup (postcode, pupil, social
-- care person, youth offending case), so the rollups above are by that key and
-- hold nearly a group per row.  The ward stage keeps, for each such rollup, its
-- value by ward and period: <rollup>_wbase (folded) and <rollup>_wdelta (signed
-- deltas appended by writers), read through the view <rollup>_ward.  The
-- lookups are materialized (<lookup rollup>_place: key -> ward, the ward of most
-- of the key's rows, as the readers computed them) and kept current by a
-- statement trigger on the lookup's table (address, school_census,
-- childrens_social_care, youth_offending), which moves the values of the keys
-- whose ward changed (read from the key rollup) between wards.  A writer of a
-- source places its rows through the lookup in its own trigger.
--
-- Exactness between writers of sources and writers of lookups: a row per
-- borough schema in indicator_catalogue_ward_state; writers of sources lock it
-- FOR SHARE (they never wait for each other), writers of lookups UPDATE it (they
-- wait for the writers of sources in flight, whose rows they then see and move,
-- and hold the writers that come after them until they commit, who then place
-- their rows through the new lookup).  At REPEATABLE READ a writer of a source
-- whose snapshot is older than a committed change of a lookup gets 40001 (its
-- snapshot would place rows through the old lookup); a change of a lookup that
-- moves keys between wards is refused there (0A000): it must read the rows
-- committed since its snapshot.

CREATE TABLE brent_mdm.indicator_catalogue_ward_state (
  target_schema name PRIMARY KEY,
  lookup_changes bigint NOT NULL DEFAULT 0
);
COMMENT ON TABLE brent_mdm.indicator_catalogue_ward_state IS
  'The catalogue''s ward stage of each borough schema: its row is locked FOR SHARE by writers of the sources and '
  'updated by writers of the lookups (so that a lookup changes only between writers of the sources)';
SELECT pg_catalog.pg_extension_config_dump('brent_mdm.indicator_catalogue_ward_state', '');

CREATE TABLE brent_mdm.indicator_catalogue_ward_rollup (
  rollup text PRIMARY KEY,
  target_schema name NOT NULL,
  area_kind text NOT NULL CHECK (area_kind IN ('postcode', 'upn', 'lcs_person', 'yot_case')),
  source regclass NOT NULL,
  row_key text NOT NULL,
  row_period text NOT NULL,
  row_value text NOT NULL,
  group_key text NOT NULL,
  group_period text NOT NULL,
  group_value text NOT NULL
);
COMMENT ON TABLE brent_mdm.indicator_catalogue_ward_rollup IS
  'The catalogue''s rollups kept by ward (the ward stage): the SQL, made at install from the rollup''s checked definition '
  '(brent_mdm.indicator), of a source row''s lookup key, period and value (row_*) and of a rollup group''s (group_*)';
SELECT pg_catalog.pg_extension_config_dump('brent_mdm.indicator_catalogue_ward_rollup', '');

-- The lookup of a kind as a query of (key, ward_code): the ward of most of the
-- key's rows (ties: the first ward code), for the keys in $1 (all when NULL);
-- pc: the relation holding (key, ward_code) of postcodes, for the lookups through
-- a postcode.
CREATE FUNCTION brent_mdm.indicator_catalogue_ward_lookup_sql(target_schema name, kind text, pc text)
  RETURNS text LANGUAGE plpgsql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  l record;
BEGIN
  SELECT * INTO l FROM brent_mdm.indicator_catalogue_lookups() x WHERE x.area_kind = kind;
  IF kind = 'postcode' THEN
    RETURN format('SELECT DISTINCT ON (key) key, ward_code FROM'
                  ' (SELECT brent_mdm.postcode_normalise(r.postcode) AS key, r.ward_code::text AS ward_code, sum(r.value) AS n'
                  '  FROM brent_mdm_rollup.%I r WHERE $1 IS NULL OR brent_mdm.postcode_normalise(r.postcode) = ANY ($1)'
                  '  GROUP BY 1, 2) x WHERE key IS NOT NULL ORDER BY key, n DESC, ward_code',
                  brent_mdm.indicator_catalogue_lookup_rollup(target_schema, kind));
  END IF;
  RETURN format('SELECT DISTINCT ON (key) key, ward_code FROM'
                ' (SELECT r.%1$I::text AS key, p.ward_code, sum(r.value) AS n FROM brent_mdm_rollup.%2$I r'
                '  JOIN %3$s p ON p.key = brent_mdm.postcode_normalise(r.%4$I)'
                '  WHERE $1 IS NULL OR r.%1$I::text = ANY ($1) GROUP BY 1, 2) x'
                ' WHERE key IS NOT NULL ORDER BY key, n DESC, ward_code',
                l.key_column, brent_mdm.indicator_catalogue_lookup_rollup(target_schema, kind), pc, l.place_column);
END
$$;
COMMENT ON FUNCTION brent_mdm.indicator_catalogue_ward_lookup_sql(name, text, text) IS
  'Internal: the query of a catalogue lookup (key, ward_code) over its rollup, for the keys in $1 (all when NULL)';
REVOKE ALL ON FUNCTION brent_mdm.indicator_catalogue_ward_lookup_sql(name, text, text) FROM PUBLIC;

-- The materialized lookup of a kind (key -> ward), NULL when not made.
CREATE FUNCTION brent_mdm.indicator_catalogue_ward_place(target_schema name, kind text) RETURNS text
  LANGUAGE sql STABLE STRICT PARALLEL SAFE AS $$
  SELECT brent_mdm.indicator_catalogue_lookup_rollup(target_schema, kind) || '_place'
$$;
COMMENT ON FUNCTION brent_mdm.indicator_catalogue_ward_place(name, text) IS
  'Internal: the name of the table (in brent_mdm_rollup) holding a catalogue lookup''s ward of each key';
REVOKE ALL ON FUNCTION brent_mdm.indicator_catalogue_ward_place(name, text) FROM PUBLIC;

-- Brings the materialized lookup of a kind up to date for some keys (all when
-- NULL): its keys whose ward changed move their values between wards in every
-- rollup of the ward stage placed by it; for postcodes, the pupils, social care
-- persons and youth offending cases at the postcodes changed follow.  Runs under
-- the UPDATE of the schema's ward state row.  Returns the keys that moved.
CREATE FUNCTION brent_mdm.indicator_catalogue_ward_sync(target_schema name, kind text, keys text[])
  RETURNS bigint LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  place text := brent_mdm.indicator_catalogue_ward_place(target_schema, kind);
  ch_keys text[];
  ch_old text[];
  ch_new text[];
  ch_has boolean[];
  mv_keys text[];
  mv_old text[];
  mv_new text[];
  r brent_mdm.indicator_catalogue_ward_rollup;
  l record;
  k2 text[];
  moved bigint;
BEGIN
  IF to_regclass(format('brent_mdm_rollup.%I', place)) IS NULL THEN
    RETURN 0;
  END IF;
  EXECUTE format('WITH n AS (%s), o AS (SELECT key, ward_code FROM brent_mdm_rollup.%I WHERE $1 IS NULL OR key = ANY ($1))'
                 ' SELECT array_agg(coalesce(n.key, o.key)), array_agg(o.ward_code), array_agg(n.ward_code),'
                 '        array_agg(n.key IS NOT NULL)'
                 '   FROM n FULL JOIN o ON o.key = n.key'
                 '  WHERE o.key IS NULL OR n.key IS NULL OR o.ward_code IS DISTINCT FROM n.ward_code',
                 brent_mdm.indicator_catalogue_ward_lookup_sql(target_schema, kind,
                   format('brent_mdm_rollup.%I', brent_mdm.indicator_catalogue_ward_place(target_schema, 'postcode'))),
                 place)
    INTO ch_keys, ch_old, ch_new, ch_has USING keys;
  IF ch_keys IS NULL THEN
    RETURN 0;
  END IF;
  SELECT array_agg(u.k), array_agg(u.o), array_agg(u.n) INTO mv_keys, mv_old, mv_new
    FROM unnest(ch_keys, ch_old, ch_new) u(k, o, n) WHERE u.o IS DISTINCT FROM u.n;
  moved := coalesce(cardinality(mv_keys), 0);
  IF moved > 0 THEN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
      RAISE EXCEPTION 'this change of %.% moves records between wards of the indicator catalogue', target_schema,
        (SELECT x.source FROM brent_mdm.indicator_catalogue_lookups() x WHERE x.area_kind = kind)
        USING ERRCODE = '0A000',
        DETAIL = format('%s key(s) of the %s lookup change ward; moving their figures reads the rows committed since '
                        'this transaction''s snapshot, which %s cannot.', moved, kind,
                        current_setting('transaction_isolation')),
        HINT = 'Make the change at READ COMMITTED (the default isolation level).';
    END IF;
    FOR r IN SELECT * FROM brent_mdm.indicator_catalogue_ward_rollup w
              WHERE w.target_schema = indicator_catalogue_ward_sync.target_schema AND w.area_kind = kind
              ORDER BY w.rollup LOOP
      EXECUTE format(
        'WITH m AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) u(k, o, n)),'
        ' e AS (SELECT x.k, x.p, sum(x.v) AS v FROM'
        '  (SELECT %1$s AS k, %2$s AS p, %3$s AS v FROM brent_mdm_rollup.%4$I r WHERE %1$s = ANY ($1)'
        '   UNION ALL SELECT %1$s, %2$s, %3$s FROM (%5$s) r WHERE %1$s = ANY ($1)) x GROUP BY 1, 2)'
        ' INSERT INTO brent_mdm_rollup.%6$I (ward_code, period, value)'
        ' SELECT y.w, y.p, sum(y.v) FROM (SELECT m.o AS w, e.p, -e.v AS v FROM e JOIN m ON m.k = e.k'
        '  UNION ALL SELECT m.n, e.p, e.v FROM e JOIN m ON m.k = e.k) y'
        ' GROUP BY 1, 2 HAVING sum(y.v) <> 0',
        r.group_key, r.group_period, r.group_value, r.rollup || '_base',
        brent_mdm.indicator_delta_rows((brent_mdm.indicator_get(r.rollup)).dimensions,
                                       format('brent_mdm_rollup.%I', r.rollup || '_delta'), '{period,_sc,_n,_c,_s}'),
        r.rollup || '_wdelta')
        USING mv_keys, mv_old, mv_new;
    END LOOP;
  END IF;
  EXECUTE format('DELETE FROM brent_mdm_rollup.%I WHERE key = ANY ($1)', place)
    USING (SELECT array_agg(u.k) FROM unnest(ch_keys, ch_has) u(k, h) WHERE NOT u.h);
  EXECUTE format('INSERT INTO brent_mdm_rollup.%I AS t (key, ward_code) SELECT u.k, u.w FROM unnest($1, $2, $3) u(k, w, h)'
                 ' WHERE u.h ON CONFLICT (key) DO UPDATE SET ward_code = excluded.ward_code', place)
    USING ch_keys, ch_new, ch_has;
  -- the keys placed through the postcodes changed follow
  IF kind = 'postcode' THEN
    FOR l IN SELECT * FROM brent_mdm.indicator_catalogue_lookups() x
              WHERE x.area_kind IN ('upn', 'lcs_person', 'yot_case') ORDER BY x.area_kind LOOP
      CONTINUE WHEN to_regclass(format('brent_mdm_rollup.%I',
                                       brent_mdm.indicator_catalogue_ward_place(target_schema, l.area_kind))) IS NULL;
      IF keys IS NULL THEN
        moved := moved + brent_mdm.indicator_catalogue_ward_sync(target_schema, l.area_kind, NULL);
      ELSE
        EXECUTE format('SELECT array_agg(DISTINCT r.%I::text) FROM brent_mdm_rollup.%I r'
                       ' WHERE brent_mdm.postcode_normalise(r.%I) = ANY ($1)',
                       l.key_column, brent_mdm.indicator_catalogue_lookup_rollup(target_schema, l.area_kind), l.place_column)
          INTO k2 USING ch_keys;
        IF k2 IS NOT NULL THEN
          moved := moved + brent_mdm.indicator_catalogue_ward_sync(target_schema, l.area_kind, k2);
        END IF;
      END IF;
    END LOOP;
  END IF;
  RETURN moved;
END
$$;
COMMENT ON FUNCTION brent_mdm.indicator_catalogue_ward_sync(name, text, text[]) IS
  'Internal: brings a catalogue lookup''s ward of some keys (all when NULL) up to date, moving the figures of the keys '
  'whose ward changed between wards in the ward stage (and, for postcodes, the keys placed through them)';
REVOKE ALL ON FUNCTION brent_mdm.indicator_catalogue_ward_sync(name, text, text[]) FROM PUBLIC;

-- Folds the ward stage's deltas of a borough schema (or of one rollup) into its
-- folded rows; with nowait, skips a rollup another transaction is folding.
CREATE FUNCTION brent_mdm.indicator_catalogue_ward_fold(target_schema name DEFAULT 'borough', rollup text DEFAULT NULL,
                                                         nowait boolean DEFAULT false)
  RETURNS bigint LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  r brent_mdm.indicator_catalogue_ward_rollup;
  n bigint;
  total bigint := 0;
BEGIN
  FOR r IN SELECT * FROM brent_mdm.indicator_catalogue_ward_rollup w
            WHERE w.target_schema = indicator_catalogue_ward_fold.target_schema
              AND (indicator_catalogue_ward_fold.rollup IS NULL OR w.rollup = indicator_catalogue_ward_fold.rollup)
            ORDER BY w.rollup LOOP
    BEGIN
      -- folders only: writers append to _wdelta and never touch _wbase
      EXECUTE format('LOCK TABLE brent_mdm_rollup.%I IN EXCLUSIVE MODE%s', r.rollup || '_wbase',
                     CASE WHEN nowait THEN ' NOWAIT' ELSE '' END);
    EXCEPTION WHEN lock_not_available THEN
      CONTINUE;
    END;
    EXECUTE format('WITH d AS (DELETE FROM brent_mdm_rollup.%1$I RETURNING ward_code, period, value),'
                   ' s AS (SELECT ward_code, period, sum(value) AS value, count(*) AS n FROM d GROUP BY 1, 2),'
                   ' u AS (INSERT INTO brent_mdm_rollup.%2$I AS b (ward_code, period, value)'
                   '        SELECT ward_code, period, value FROM s'
                   '        ON CONFLICT (ward_code, period) DO UPDATE SET value = b.value + excluded.value)'
                   ' SELECT coalesce(sum(n), 0) FROM s', r.rollup || '_wdelta', r.rollup || '_wbase') INTO n;
    EXECUTE format('DELETE FROM brent_mdm_rollup.%I WHERE value = 0', r.rollup || '_wbase');
    total := total + n;
  END LOOP;
  RETURN total;
END
$$;
COMMENT ON FUNCTION brent_mdm.indicator_catalogue_ward_fold(name, text, boolean) IS
  'Folds the pending deltas of the catalogue''s ward stage (every rollup of a borough schema, or one) into its folded '
  'rows, under an EXCLUSIVE lock on the folded table that writers do not take; returns the deltas folded. Writers fold '
  'by themselves past 1,000 pending deltas of a rollup';
REVOKE ALL ON FUNCTION brent_mdm.indicator_catalogue_ward_fold(name, text, boolean) FROM PUBLIC;

-- The trigger on the sources and lookups of the ward stage (statement level,
-- after INSERT, UPDATE, DELETE with their transition tables, and TRUNCATE).
-- SECURITY DEFINER: writers of the borough's tables hold no privilege on the
-- ward stage; it runs only the SQL made at install from checked definitions
-- (indicator_catalogue_ward_rollup), with search_path pinned, on tables the
-- extension's owner owns (install refuses other owners).
CREATE FUNCTION brent_mdm.indicator_catalogue_ward_trigger() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  s name;
  r brent_mdm.indicator_catalogue_ward_rollup;
  l record;
  lookups text[];
  rows_sql text;
  keys text[];
  pending bigint;
  g record;
  cols text;
  ncols text;
  ins text;
BEGIN
  IF TG_LEVEL <> 'STATEMENT' OR TG_WHEN <> 'AFTER' OR TG_NARGS <> 1 THEN
    RAISE EXCEPTION 'indicator_catalogue_ward_trigger must be an AFTER ... FOR EACH STATEMENT trigger with one argument'
      USING ERRCODE = '39P01';
  END IF;
  s := TG_ARGV[0];
  -- which roles this table has in the schema's ward stage: only those, or nothing
  SELECT array_agg(x.area_kind ORDER BY x.area_kind) INTO lookups FROM brent_mdm.indicator_catalogue_lookups() x
   WHERE x.area_kind IN ('postcode', 'upn', 'lcs_person', 'yot_case')
     AND to_regclass(format('%I.%I', s, x.source)) = TG_RELID
     AND to_regclass(format('brent_mdm_rollup.%I', brent_mdm.indicator_catalogue_ward_place(s, x.area_kind))) IS NOT NULL;
  IF lookups IS NULL AND NOT EXISTS (SELECT FROM brent_mdm.indicator_catalogue_ward_rollup w
                                      WHERE w.target_schema = s AND w.source = TG_RELID) THEN
    RAISE EXCEPTION 'table % is neither a source nor a lookup of the indicator catalogue''s ward stage over schema "%"',
      TG_RELID::regclass, left(s, 100) USING ERRCODE = '42501';
  END IF;
  IF lookups IS NOT NULL THEN
    UPDATE brent_mdm.indicator_catalogue_ward_state SET lookup_changes = lookup_changes + 1 WHERE target_schema = s;
  ELSE
    PERFORM 1 FROM brent_mdm.indicator_catalogue_ward_state WHERE target_schema = s FOR SHARE;
  END IF;

  IF TG_OP = 'TRUNCATE' THEN
    -- the rollups of the table are empty now (their own TRUNCATE triggers ran before, by name)
    FOR r IN SELECT * FROM brent_mdm.indicator_catalogue_ward_rollup w
              WHERE w.target_schema = s AND w.source = TG_RELID ORDER BY w.rollup LOOP
      EXECUTE format('TRUNCATE brent_mdm_rollup.%I, brent_mdm_rollup.%I', r.rollup || '_wbase', r.rollup || '_wdelta');
    END LOOP;
    FOR l IN SELECT unnest(lookups) AS kind LOOP
      PERFORM brent_mdm.indicator_catalogue_ward_sync(s, l.kind, NULL);
    END LOOP;
    RETURN NULL;
  END IF;

  -- the rows written, placed through the lookups as they are (old rows subtracted): one statement for the
  -- rollups of the table placed by the same key, each row read and placed once
  FOR g IN SELECT w.area_kind, w.row_key, array_agg(w.rollup ORDER BY w.rollup) AS rolls,
                  array_agg(w.row_period ORDER BY w.rollup) AS periods, array_agg(w.row_value ORDER BY w.rollup) AS vals
             FROM brent_mdm.indicator_catalogue_ward_rollup w
            WHERE w.target_schema = s AND w.source = TG_RELID GROUP BY w.area_kind, w.row_key ORDER BY 1, 2 LOOP
    cols := '';
    ncols := '';
    ins := '';
    FOR i IN 1 .. cardinality(g.rolls) LOOP
      cols := cols || format(', %s AS p%s, %s AS v%s', g.periods[i], i, g.vals[i], i);
      ncols := ncols || format(', %s AS p%s, -(%s) AS v%s', g.periods[i], i, g.vals[i], i);
      ins := ins || format(', i%1$s AS (INSERT INTO brent_mdm_rollup.%2$I (ward_code, period, value)'
                           ' SELECT x.w, x.p%1$s, sum(x.v%1$s) FROM x GROUP BY 1, 2 HAVING sum(x.v%1$s) <> 0)',
                           i, g.rolls[i] || '_wdelta');
    END LOOP;
    rows_sql := concat_ws(' UNION ALL ',
      CASE WHEN TG_OP IN ('INSERT', 'UPDATE') THEN format('SELECT %s AS k%s FROM brent_mdm_new s', g.row_key, cols) END,
      CASE WHEN TG_OP IN ('DELETE', 'UPDATE') THEN format('SELECT %s AS k%s FROM brent_mdm_old s', g.row_key, ncols) END);
    EXECUTE format('WITH x AS MATERIALIZED (SELECT pl.ward_code AS w, y.* FROM (%s) y LEFT JOIN brent_mdm_rollup.%I pl ON pl.key = y.k)%s'
                   ' SELECT 1', rows_sql, brent_mdm.indicator_catalogue_ward_place(s, g.area_kind), ins);
    -- past 1,000 pending deltas, fold (at READ COMMITTED; skipped while another transaction folds)
    IF current_setting('transaction_isolation') = 'read committed' THEN
      FOR i IN 1 .. cardinality(g.rolls) LOOP
        EXECUTE format('SELECT count(*) FROM (SELECT FROM brent_mdm_rollup.%I LIMIT 1000) x', g.rolls[i] || '_wdelta')
          INTO pending;
        IF pending >= 1000 THEN
          PERFORM brent_mdm.indicator_catalogue_ward_fold(s, g.rolls[i], true);
        END IF;
      END LOOP;
    END IF;
  END LOOP;

  -- the keys whose rows changed in a lookup's table: their ward is computed again
  FOR l IN SELECT x.* FROM brent_mdm.indicator_catalogue_lookups() x WHERE x.area_kind = ANY (lookups)
            ORDER BY x.area_kind LOOP
    rows_sql := format(CASE WHEN l.area_kind = 'postcode' THEN 'brent_mdm.postcode_normalise(s.%I)' ELSE 's.%I::text' END,
                       l.key_column);
    EXECUTE format('SELECT array_agg(DISTINCT k) FROM (%s) c WHERE k IS NOT NULL',
      CASE TG_OP
        WHEN 'INSERT' THEN format('SELECT %s AS k FROM brent_mdm_new s', rows_sql)
        WHEN 'DELETE' THEN format('SELECT %s AS k FROM brent_mdm_old s', rows_sql)
        -- an update: the keys of the (key, place) pairs that are not as they were
        ELSE format('SELECT k FROM ((SELECT %1$s AS k, s.%2$I::text AS pl FROM brent_mdm_new s'
                    ' EXCEPT ALL SELECT %1$s, s.%2$I::text FROM brent_mdm_old s)'
                    ' UNION ALL (SELECT %1$s, s.%2$I::text FROM brent_mdm_old s'
                    ' EXCEPT ALL SELECT %1$s, s.%2$I::text FROM brent_mdm_new s)) d', rows_sql, l.place_column) END)
      INTO keys;
    IF keys IS NOT NULL THEN
      PERFORM brent_mdm.indicator_catalogue_ward_sync(s, l.area_kind, keys);
    END IF;
  END LOOP;
  RETURN NULL;
END
$$;
COMMENT ON FUNCTION brent_mdm.indicator_catalogue_ward_trigger() IS
  'Internal: statement trigger keeping the indicator catalogue''s ward stage current: rows of a source placed in wards '
  'through the lookups; rows of a lookup''s table recompute the ward of their keys and move the figures of those that changed';
REVOKE ALL ON FUNCTION brent_mdm.indicator_catalogue_ward_trigger() FROM PUBLIC;

-- Makes the ward stage of a borough schema for the rollups of its installed
-- indicators that a lookup places (counts and sums), once each.
CREATE FUNCTION brent_mdm.indicator_catalogue_ward_install(target_schema name) RETURNS integer
  LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SET search_path = pg_catalog, pg_temp SET client_min_messages = warning AS $$
DECLARE
  x record;
  l record;
  ind brent_mdm.indicator;
  place text;
  pcplace text;
  kinds text[];
  rel regclass;
  tables regclass[] := '{}';
  made integer := 0;
  rk text; rp text; rv text; gk text; gp text; gv text;
  ptype regtype;
  tg text;
BEGIN
  IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    -- the ward stage's trigger runs as the extension's owner over the tables it writes: their owner must be a superuser
    RETURN 0;
  END IF;
  SELECT array_agg(DISTINCT c.area_kind) INTO kinds
    FROM brent_mdm.indicator_catalogue_installed i JOIN brent_mdm.indicator_catalogue c USING (indicator)
   WHERE i.target_schema = indicator_catalogue_ward_install.target_schema
     AND c.area_kind IN ('postcode', 'upn', 'lcs_person', 'yot_case');
  IF kinds IS NULL THEN
    RETURN 0;
  END IF;
  INSERT INTO brent_mdm.indicator_catalogue_ward_state AS t (target_schema) VALUES (target_schema)
    ON CONFLICT ON CONSTRAINT indicator_catalogue_ward_state_pkey DO NOTHING;
  -- writers of the sources and lookups wait until the ward stage is made
  UPDATE brent_mdm.indicator_catalogue_ward_state t SET lookup_changes = t.lookup_changes + 1
   WHERE t.target_schema = indicator_catalogue_ward_install.target_schema;
  kinds := kinds || 'postcode'::text;
  pcplace := format('brent_mdm_rollup.%I', brent_mdm.indicator_catalogue_ward_place(target_schema, 'postcode'));
  -- the lookups, postcodes first (the others go through them)
  FOR l IN SELECT * FROM brent_mdm.indicator_catalogue_lookups() y WHERE y.area_kind = ANY (kinds)
            ORDER BY y.area_kind <> 'postcode', y.area_kind LOOP
    rel := to_regclass(format('%I.%I', target_schema, l.source));
    EXECUTE format('LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE', rel);
    tables := tables || rel;
    place := brent_mdm.indicator_catalogue_ward_place(target_schema, l.area_kind);
    IF to_regclass(format('brent_mdm_rollup.%I', place)) IS NULL THEN
      EXECUTE format('CREATE TABLE brent_mdm_rollup.%I (key text PRIMARY KEY, ward_code text)', place);
      EXECUTE format('COMMENT ON TABLE brent_mdm_rollup.%I IS %L', place,
                     format('Indicator catalogue over %s: the ward of each %s (the ward stage''s lookup, kept by triggers on %s)',
                            target_schema, l.area_kind, rel));
      EXECUTE format('INSERT INTO brent_mdm_rollup.%I (key, ward_code) %s', place,
                     brent_mdm.indicator_catalogue_ward_lookup_sql(target_schema, l.area_kind, pcplace)) USING NULL::text[];
    END IF;
  END LOOP;
  -- the rollups
  FOR x IN SELECT DISTINCT ON (r.rollup) r.rollup, c.area_kind, c.area_column, c.period_dimension
             FROM brent_mdm.indicator_catalogue_installed i JOIN brent_mdm.indicator_catalogue c USING (indicator)
             CROSS JOIN LATERAL (VALUES (i.numerator_rollup), (i.denominator_rollup)) r(rollup)
            WHERE i.target_schema = indicator_catalogue_ward_install.target_schema AND r.rollup IS NOT NULL
              AND c.area_kind IN ('postcode', 'upn', 'lcs_person', 'yot_case')
              AND NOT EXISTS (SELECT FROM brent_mdm.indicator_catalogue_ward_rollup w WHERE w.rollup = r.rollup)
            ORDER BY r.rollup LOOP
    SELECT * INTO ind FROM brent_mdm.indicator WHERE name = x.rollup;
    CONTINUE WHEN NOT FOUND OR ind.aggregate NOT IN ('count_rows', 'count', 'sum');
    IF NOT ind.source = ANY (tables) THEN
      EXECUTE format('LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE', ind.source);
      tables := tables || ind.source;
    END IF;
    rk := format(CASE WHEN x.area_kind = 'postcode' THEN 'brent_mdm.postcode_normalise(%s.%I)' ELSE '%s.%I::text' END,
                 's', x.area_column);
    gk := format(CASE WHEN x.area_kind = 'postcode' THEN 'brent_mdm.postcode_normalise(%s.%I)' ELSE '%s.%I::text' END,
                 'r', x.area_column);
    IF x.period_dimension IS NOT NULL THEN
      rp := format('CASE WHEN s.%1$I::text ~ ''^[0-9]{4}'' THEN make_date(substr(s.%1$I::text, 1, 4)::int, 9, 1) END',
                   x.period_dimension);
      gp := format('CASE WHEN r.%1$I::text ~ ''^[0-9]{4}'' THEN make_date(substr(r.%1$I::text, 1, 4)::int, 9, 1) END',
                   x.period_dimension);
    ELSIF ind.period_column IS NOT NULL THEN
      SELECT a.atttypid::regtype INTO ptype FROM pg_attribute a WHERE a.attrelid = ind.source AND a.attname = ind.period_column;
      rp := format('brent_mdm.period_start(%s, %L)',
                   CASE WHEN ptype = 'timestamptz'::regtype THEN format('(s.%I AT TIME ZONE %L)::date', ind.period_column, ind.time_zone)
                        ELSE format('s.%I::date', ind.period_column) END, ind.grain);
      gp := 'r.period';
    ELSE
      rp := 'NULL::date';
      gp := 'NULL::date';
    END IF;
    rv := CASE ind.aggregate
            WHEN 'count_rows' THEN CASE WHEN ind.filter IS NULL THEN '1' ELSE format('CASE WHEN %s THEN 1 ELSE 0 END', ind.filter) END
            WHEN 'count' THEN format('CASE WHEN s.%I IS NOT NULL%s THEN 1 ELSE 0 END', ind.measure_column,
                                     CASE WHEN ind.filter IS NULL THEN '' ELSE format(' AND %s', ind.filter) END)
            ELSE CASE WHEN ind.filter IS NULL THEN format('s.%I::numeric', ind.measure_column)
                      ELSE format('CASE WHEN %s THEN s.%I::numeric END', ind.filter, ind.measure_column) END END;
    gv := CASE WHEN ind.aggregate = 'sum' THEN 'coalesce(r._s, 0)' ELSE 'r._c' END;
    INSERT INTO brent_mdm.indicator_catalogue_ward_rollup VALUES (x.rollup, target_schema, x.area_kind, ind.source,
                                                                  rk, rp, rv, gk, gp, gv);
    EXECUTE format('CREATE TABLE brent_mdm_rollup.%I (ward_code text, period date, value numeric NOT NULL)', x.rollup || '_wbase');
    EXECUTE format('CREATE UNIQUE INDEX ON brent_mdm_rollup.%I (ward_code, period) NULLS NOT DISTINCT', x.rollup || '_wbase');
    EXECUTE format('CREATE TABLE brent_mdm_rollup.%I (ward_code text, period date, value numeric NOT NULL)', x.rollup || '_wdelta');
    EXECUTE format('CREATE VIEW brent_mdm_rollup.%I AS SELECT ward_code, period, sum(value) AS value FROM'
                   ' (SELECT ward_code, period, value FROM brent_mdm_rollup.%I UNION ALL'
                   '  SELECT ward_code, period, value FROM brent_mdm_rollup.%I) u GROUP BY ward_code, period HAVING sum(value) <> 0',
                   x.rollup || '_ward', x.rollup || '_wbase', x.rollup || '_wdelta');
    EXECUTE format('COMMENT ON VIEW brent_mdm_rollup.%I IS %L', x.rollup || '_ward',
                   format('Indicator %s by ward (NULL: placed in no ward) and period: the catalogue''s ward stage', x.rollup));
    EXECUTE format('COMMENT ON TABLE brent_mdm_rollup.%I IS %L', x.rollup || '_wbase',
                   format('Indicator %s by ward: folded rows (indicator_catalogue_ward_fold)', x.rollup));
    EXECUTE format('COMMENT ON TABLE brent_mdm_rollup.%I IS %L', x.rollup || '_wdelta',
                   format('Indicator %s by ward: signed deltas appended by writers', x.rollup));
    -- a key's groups, found when its ward changes
    IF x.area_kind = 'postcode' THEN
      EXECUTE format('CREATE INDEX ON brent_mdm_rollup.%I ((%s))', x.rollup || '_base',
                     format('brent_mdm.postcode_normalise(%I)', x.area_column));
    END IF;
    EXECUTE format('INSERT INTO brent_mdm_rollup.%I (ward_code, period, value)'
                   ' SELECT pl.ward_code, %s, sum(coalesce(r.value, 0)) FROM brent_mdm_rollup.%I r'
                   ' LEFT JOIN brent_mdm_rollup.%I pl ON pl.key = %s GROUP BY 1, 2 HAVING sum(coalesce(r.value, 0)) <> 0',
                   x.rollup || '_wbase', gp, x.rollup, brent_mdm.indicator_catalogue_ward_place(target_schema, x.area_kind), gk);
    made := made + 1;
  END LOOP;
  -- the triggers (after the rollups' own, by name), on every source and lookup table
  FOR rel IN SELECT DISTINCT t FROM (SELECT w.source AS t FROM brent_mdm.indicator_catalogue_ward_rollup w
                                      WHERE w.target_schema = indicator_catalogue_ward_install.target_schema
                                     UNION ALL SELECT unnest(tables)) u LOOP
    tg := 'brent_mdm_ward_stage';
    EXECUTE format('CREATE OR REPLACE TRIGGER %I AFTER INSERT ON %s REFERENCING NEW TABLE AS brent_mdm_new'
                   ' FOR EACH STATEMENT EXECUTE FUNCTION brent_mdm.indicator_catalogue_ward_trigger(%L)', tg || '_ins', rel, target_schema);
    EXECUTE format('CREATE OR REPLACE TRIGGER %I AFTER UPDATE ON %s REFERENCING OLD TABLE AS brent_mdm_old NEW TABLE AS brent_mdm_new'
                   ' FOR EACH STATEMENT EXECUTE FUNCTION brent_mdm.indicator_catalogue_ward_trigger(%L)', tg || '_upd', rel, target_schema);
    EXECUTE format('CREATE OR REPLACE TRIGGER %I AFTER DELETE ON %s REFERENCING OLD TABLE AS brent_mdm_old'
                   ' FOR EACH STATEMENT EXECUTE FUNCTION brent_mdm.indicator_catalogue_ward_trigger(%L)', tg || '_del', rel, target_schema);
    EXECUTE format('CREATE OR REPLACE TRIGGER %I AFTER TRUNCATE ON %s'
                   ' FOR EACH STATEMENT EXECUTE FUNCTION brent_mdm.indicator_catalogue_ward_trigger(%L)', tg || '_trunc', rel, target_schema);
  END LOOP;
  RETURN made;
END
$$;
COMMENT ON FUNCTION brent_mdm.indicator_catalogue_ward_install(name) IS
  'Internal: makes the catalogue''s ward stage over a borough schema (the lookups materialized, each count or sum rollup '
  'placed by a lookup kept by ward, the triggers); run by indicator_catalogue_install as a superuser';
REVOKE ALL ON FUNCTION brent_mdm.indicator_catalogue_ward_install(name) FROM PUBLIC;

-- Recomputes the ward stage of a borough schema from its rollups and lookups
-- (computed afresh) and returns the groups and keys that differ (0 = exact).
CREATE FUNCTION brent_mdm.indicator_catalogue_ward_verify(target_schema name DEFAULT 'borough') RETURNS bigint
  LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  r brent_mdm.indicator_catalogue_ward_rollup;
  l record;
  lk text;
  n bigint;
  total bigint := 0;
BEGIN
  IF target_schema IS NULL THEN
    RAISE EXCEPTION 'target_schema must not be NULL' USING ERRCODE = '22004';
  END IF;
  FOR l IN SELECT * FROM brent_mdm.indicator_catalogue_lookups() x
            WHERE x.area_kind IN ('postcode', 'upn', 'lcs_person', 'yot_case')
              AND to_regclass(format('brent_mdm_rollup.%I', brent_mdm.indicator_catalogue_ward_place(target_schema, x.area_kind))) IS NOT NULL LOOP
    lk := format('(%s)', brent_mdm.indicator_catalogue_ward_lookup_sql(target_schema, l.area_kind,
                  format('(%s)', brent_mdm.indicator_catalogue_ward_lookup_sql(target_schema, 'postcode', NULL))));
    EXECUTE format('SELECT count(*) FROM %s f FULL JOIN brent_mdm_rollup.%I p ON p.key = f.key'
                   ' WHERE f.key IS NULL OR p.key IS NULL OR f.ward_code IS DISTINCT FROM p.ward_code',
                   replace(lk, '$1', 'NULL::text[]'), brent_mdm.indicator_catalogue_ward_place(target_schema, l.area_kind)) INTO n;
    total := total + n;
    FOR r IN SELECT * FROM brent_mdm.indicator_catalogue_ward_rollup w
              WHERE w.target_schema = indicator_catalogue_ward_verify.target_schema AND w.area_kind = l.area_kind LOOP
      EXECUTE format('WITH f AS (SELECT pl.ward_code, %s AS period, sum(coalesce(r.value, 0)) AS value'
                     ' FROM brent_mdm_rollup.%I r LEFT JOIN %s pl ON pl.key = %s GROUP BY 1, 2 HAVING sum(coalesce(r.value, 0)) <> 0),'
                     ' w AS (SELECT ward_code, period, value FROM brent_mdm_rollup.%I)'
                     ' SELECT count(*) FROM ((SELECT * FROM f EXCEPT ALL SELECT * FROM w) UNION ALL'
                     '                       (SELECT * FROM w EXCEPT ALL SELECT * FROM f)) d',
                     r.group_period, r.rollup, replace(lk, '$1', 'NULL::text[]'), r.group_key, r.rollup || '_ward') INTO n;
      total := total + n;
    END LOOP;
  END LOOP;
  RETURN total;
END
$$;
COMMENT ON FUNCTION brent_mdm.indicator_catalogue_ward_verify(name) IS
  'Recomputes the indicator catalogue''s ward stage of a borough schema from its rollups, with the lookups computed '
  'afresh, and returns the number of (rollup, ward, period) groups and lookup keys that differ (0 = exact)';
REVOKE ALL ON FUNCTION brent_mdm.indicator_catalogue_ward_verify(name) FROM PUBLIC;

-- The window of a borough (about.window_start, about.as_of), or NULLs.
CREATE FUNCTION brent_mdm.indicator_catalogue_window(target_schema name, OUT window_start date, OUT as_of date)
  LANGUAGE plpgsql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF to_regclass(format('%I.about', target_schema)) IS NOT NULL THEN
    EXECUTE format('SELECT max(value) FILTER (WHERE key = ''window_start'')::date,'
                   ' max(value) FILTER (WHERE key = ''as_of'')::date FROM %I.about', target_schema)
      INTO window_start, as_of;
  END IF;
END
$$;
COMMENT ON FUNCTION brent_mdm.indicator_catalogue_window(name) IS
  'Internal: the window of a generated borough (window_start, as_of from its about table)';
REVOKE ALL ON FUNCTION brent_mdm.indicator_catalogue_window(name) FROM PUBLIC;

-- Checks of the readers' arguments; returns the installed indicators asked for.
CREATE FUNCTION brent_mdm.indicator_catalogue_check(target_schema name, indicator text, area text,
                                                    period_from date, period_to date, grain text)
  RETURNS text[] LANGUAGE plpgsql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  ind text[];
  g text;
  w record;
  ok boolean;
BEGIN
  IF target_schema IS NULL THEN
    RAISE EXCEPTION 'target_schema must not be NULL' USING ERRCODE = '22004';
  END IF;
  IF indicator IS NOT NULL THEN
    SELECT k.grain INTO g FROM brent_mdm.indicator_catalogue k WHERE k.indicator = indicator_catalogue_check.indicator;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'unknown indicator "%"', left(indicator, 100) USING ERRCODE = '42704',
        HINT = 'The indicators are listed in brent_mdm.indicator_catalogue.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM brent_mdm.indicator_catalogue_installed i
                    WHERE i.target_schema = indicator_catalogue_check.target_schema
                      AND i.indicator = indicator_catalogue_check.indicator) THEN
      RAISE EXCEPTION 'indicator "%" is not installed over schema "%"', indicator, left(target_schema, 100)
        USING ERRCODE = '55000',
        HINT = format('Run SELECT * FROM brent_mdm.indicator_catalogue_install(%L).', target_schema);
    END IF;
    ind := ARRAY[indicator];
  ELSE
    SELECT array_agg(i.indicator ORDER BY i.indicator) INTO ind FROM brent_mdm.indicator_catalogue_installed i
     WHERE i.target_schema = indicator_catalogue_check.target_schema;
    IF ind IS NULL THEN
      RAISE EXCEPTION 'no indicator of the catalogue is installed over schema "%"', left(target_schema, 100)
        USING ERRCODE = '55000',
        HINT = format('Run SELECT * FROM brent_mdm.indicator_catalogue_install(%L).', target_schema);
    END IF;
  END IF;
  IF grain IS NOT NULL THEN
    IF grain NOT IN ('month', 'quarter', 'year', 'financial_year', 'academic_year') THEN
      RAISE EXCEPTION 'unknown grain "%"', left(grain, 100) USING ERRCODE = '22023',
        HINT = 'month, quarter, year, financial_year or academic_year (at least the indicator''s own).';
    END IF;
    -- every installed indicator: those whose periods make whole periods of the grain
    IF indicator IS NULL THEN
      SELECT array_agg(k.indicator ORDER BY k.indicator) INTO ind FROM brent_mdm.indicator_catalogue k
       WHERE k.indicator = ANY (ind)
         AND (k.grain = indicator_catalogue_check.grain OR k.grain = 'month'
              OR (k.grain = 'quarter' AND indicator_catalogue_check.grain IN ('year', 'financial_year')));
      IF ind IS NULL THEN
        RAISE EXCEPTION 'no installed indicator can be read by %', grain USING ERRCODE = '22023';
      END IF;
    END IF;
    SELECT string_agg(k.indicator || ' (' || k.grain || ')', ', ') INTO w
      FROM brent_mdm.indicator_catalogue k
     WHERE k.indicator = ANY (ind)
       AND NOT (k.grain = indicator_catalogue_check.grain OR k.grain = 'month'
                OR (k.grain = 'quarter' AND indicator_catalogue_check.grain IN ('year', 'financial_year')));
    IF w.string_agg IS NOT NULL THEN
      RAISE EXCEPTION 'grain % does not hold whole periods of %', grain, left(w.string_agg, 100) USING ERRCODE = '22023',
        HINT = 'Months make any grain; quarters make years and financial years; other grains only themselves.';
    END IF;
  END IF;
  IF area IS NOT NULL AND area <> 'borough' THEN
    IF to_regclass(format('%I.ward', target_schema)) IS NULL THEN
      RAISE EXCEPTION 'schema "%" holds no wards', left(target_schema, 100) USING ERRCODE = '42P01';
    END IF;
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I.ward WHERE ward_code = $1)', target_schema) INTO ok USING area;
    IF NOT ok THEN
      RAISE EXCEPTION 'unknown area "%"', left(area, 100) USING ERRCODE = '22023',
        HINT = format('A ward_code of %I.ward, or ''borough''.', target_schema);
    END IF;
  END IF;
  IF period_from > period_to THEN
    RAISE EXCEPTION 'period_from % is after period_to %', period_from, period_to USING ERRCODE = '22023';
  END IF;
  SELECT * INTO w FROM brent_mdm.indicator_catalogue_window(target_schema);
  IF w.window_start IS NOT NULL AND (period_from > w.as_of OR period_to < w.window_start) THEN
    RAISE EXCEPTION 'unknown period: % to % is outside the borough''s window % to %',
      coalesce(period_from::text, '-'), coalesce(period_to::text, '-'), w.window_start, w.as_of
      USING ERRCODE = '22023';
  END IF;
  RETURN ind;
END
$$;
COMMENT ON FUNCTION brent_mdm.indicator_catalogue_check(name, text, text, date, date, text) IS
  'Internal: checks the arguments of the catalogue''s readers (indicator, area, periods, grain) and returns the indicators';
REVOKE ALL ON FUNCTION brent_mdm.indicator_catalogue_check(name, text, text, date, date, text) FROM PUBLIC;

-- The length of a period of a grain.
CREATE FUNCTION brent_mdm.indicator_grain_step(grain text) RETURNS interval
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT CASE grain WHEN 'month' THEN interval '1 month' WHEN 'quarter' THEN interval '3 months'
                    ELSE interval '1 year' END
$$;
COMMENT ON FUNCTION brent_mdm.indicator_grain_step(text) IS
  'Internal: the length of a period of a grain (month, quarter, year, financial or academic year)';
REVOKE ALL ON FUNCTION brent_mdm.indicator_grain_step(text) FROM PUBLIC;

-- The SQL of the catalogue's figures: per indicator, area (each ward and
-- 'borough') and period of the window, the numerator and denominator.
CREATE FUNCTION brent_mdm.indicator_catalogue_sql(target_schema name, indicators text[], grain text,
                                                  period_from date DEFAULT NULL, period_to date DEFAULT NULL)
  RETURNS text LANGUAGE plpgsql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  c brent_mdm.indicator_catalogue;
  inst record;
  w record;
  g text;
  agg text;
  pexpr text;
  wexpr text;
  wjoin text;
  parts text[] := '{}';
  kinds text[] := '{}';
  ctes text[] := '{}';
  pc text;
  popkey text;
  pops text[] := '{}';
  popcols text[] := '{}';
  dval text;
  ncte text;
  dcte text;
  pwhere text;
  rolls text[] := '{}';
  rctes text[] := '{}';
  sql text;
  grid text;
  den text;
  zero text;
  part record;
  sel text;
  nsel text;
  dsel text;
BEGIN
  SELECT * INTO w FROM brent_mdm.indicator_catalogue_window(target_schema);
  FOR c IN SELECT * FROM brent_mdm.indicator_catalogue k WHERE k.indicator = ANY (indicators) ORDER BY k.indicator LOOP
    SELECT * INTO inst FROM brent_mdm.indicator_catalogue_installed i
     WHERE i.target_schema = indicator_catalogue_sql.target_schema AND i.indicator = c.indicator;
    g := coalesce(grain, c.grain);
    agg := CASE WHEN c.numerator_measure ~* '^\s*max' THEN 'max'
                WHEN c.numerator_measure ~* '^\s*min' THEN 'min' ELSE 'sum' END;
    zero := CASE WHEN agg = 'sum' THEN '0' ELSE 'NULL' END;
    pexpr := CASE WHEN c.period_dimension IS NOT NULL
                  THEN format('make_date(substr(r.%I::text, 1, 4)::int, 9, 1)', c.period_dimension)
                  ELSE 'r.period' END;
    IF g <> c.grain THEN
      pexpr := format('brent_mdm.period_start(%s, %L)', pexpr, g);
    END IF;
    -- only the periods of the window are read (the condition goes down into the rollup's GROUP BY)
    pwhere := CASE WHEN c.period_column IS NOT NULL AND w.window_start IS NOT NULL
                   THEN format('WHERE r.period >= brent_mdm.period_start(%L::date, %L) AND r.period <= %L::date',
                               w.window_start, c.grain, w.as_of)
                   ELSE '' END;
    -- and of those asked for, when periods are read at the indicator's own grain
    IF c.period_column IS NOT NULL AND g = c.grain AND (period_from IS NOT NULL OR period_to IS NOT NULL) THEN
      pwhere := CASE WHEN pwhere = '' THEN 'WHERE true' ELSE pwhere END
                || CASE WHEN period_from IS NOT NULL THEN format(' AND r.period >= %L::date', period_from) ELSE '' END
                || CASE WHEN period_to IS NOT NULL THEN format(' AND r.period <= %L::date', period_to) ELSE '' END;
    END IF;
    CASE c.area_kind
      WHEN 'ward' THEN wexpr := format('r.%I', c.area_column); wjoin := '';
      WHEN 'none' THEN wexpr := 'NULL::text'; wjoin := '';
      WHEN 'postcode' THEN
        wexpr := 'lk.ward_code';
        wjoin := format('LEFT JOIN lk_postcode lk ON lk.key = brent_mdm.postcode_normalise(r.%I)', c.area_column);
      ELSE
        wexpr := 'lk.ward_code';
        wjoin := format('LEFT JOIN lk_%s lk ON lk.key = r.%I::text', c.area_kind, c.area_column);
    END CASE;
    -- a rollup kept by ward (the ward stage) is read by ward: a few rows per ward and period; another
    -- through the lookups computed here from theirs
    nsel := NULL;
    dsel := NULL;
    FOR part IN SELECT u.roll, u.which FROM (VALUES (inst.numerator_rollup, 'n'), (inst.denominator_rollup, 'd')) u(roll, which)
                 WHERE u.roll IS NOT NULL LOOP
      IF EXISTS (SELECT FROM brent_mdm.indicator_catalogue_ward_rollup x WHERE x.rollup = part.roll) THEN
        sel := format('SELECT r.ward_code AS w, %s AS p, r.value AS v FROM brent_mdm_rollup.%I r %s',
                      CASE WHEN g <> c.grain THEN format('brent_mdm.period_start(r.period, %L)', g) ELSE 'r.period' END,
                      part.roll || '_ward', pwhere);
      ELSE
        sel := format('SELECT %s AS w, %s AS p, r.value AS v FROM brent_mdm_rollup.%I r %s %s', wexpr, pexpr, part.roll,
                      wjoin, pwhere);
        IF c.area_kind IN ('postcode', 'upn', 'lcs_person', 'yot_case') THEN
          kinds := kinds || 'postcode'::text;
        END IF;
        IF c.area_kind IN ('site', 'upn', 'lcs_person', 'yot_case') THEN
          kinds := kinds || c.area_kind::text;
        END IF;
      END IF;
      IF part.which = 'n' THEN nsel := sel; ELSE dsel := sel; END IF;
    END LOOP;
    -- the grid of areas and periods of the window
    grid := format('(SELECT a.area_code, p.period::date AS period FROM (SELECT ward_code AS area_code FROM %I.ward'
                   ' WHERE %L <> ''none'' UNION ALL SELECT ''borough'') a CROSS JOIN generate_series(brent_mdm.period_start(%L::date, %L),'
                   ' brent_mdm.period_start(%L::date, %L), %L::interval) p(period)'
                   ' WHERE (%L::date IS NULL OR p.period >= %L::date) AND (%L::date IS NULL OR p.period <= %L::date))',
                   target_schema, c.area_kind, w.window_start, g, w.as_of, g, brent_mdm.indicator_grain_step(g),
                   period_from, period_from, period_to, period_to);
    IF c.denominator_kind = 'population' THEN
      -- the mid-year estimate of the year in which the period's middle falls, within the years published;
      -- one aggregate of population_estimate per age range and sex
      popkey := format('pop_%s_%s_%s', coalesce(c.population_age_from, 0), coalesce(c.population_age_to, 90),
                       coalesce(lower(c.population_sex), 'all'));
      IF NOT popkey = ANY (pops) THEN
        pops := pops || popkey;
        popcols := popcols || format('sum(persons) FILTER (WHERE age >= %s AND age <= %s%s)::numeric AS %I',
                                     coalesce(c.population_age_from, 0), coalesce(c.population_age_to, 90),
                                     CASE WHEN c.population_sex IS NOT NULL THEN format(' AND sex = %L', c.population_sex)
                                          ELSE '' END, popkey);
      END IF;
      den := format('LEFT JOIN pop d ON d.area_code = g.area_code AND d.year = least(greatest('
                    'extract(year FROM g.period + (g.period + %L::interval - g.period) / 2)::int,'
                    ' (SELECT lo FROM pop_years)), (SELECT hi FROM pop_years))',
                    brent_mdm.indicator_grain_step(g));
      dval := format('d.%I', popkey);
    ELSIF c.denominator_kind = 'measure' THEN
      dcte := 'r_' || inst.denominator_rollup || '_sum' || CASE WHEN g <> c.grain THEN '_' || g ELSE '' END;
      IF NOT dcte = ANY (rolls) THEN
        rolls := rolls || dcte;
        rctes := rctes || format(
          '%I AS MATERIALIZED (SELECT CASE WHEN grouping(x.w) = 1 THEN ''borough'' ELSE x.w END AS area_code, x.p,'
          ' sum(x.v)::numeric AS v FROM (%s) x'
          ' GROUP BY GROUPING SETS ((x.w, x.p), (x.p)) HAVING grouping(x.w) = 1 OR x.w IS NOT NULL)',
          dcte, dsel);
      END IF;
      den := format('LEFT JOIN %I d ON d.area_code = g.area_code AND d.p = g.period', dcte);
    ELSE
      den := '';
    END IF;
    -- each rollup is read once, aggregated to wards and the borough, whichever indicators use it
    ncte := 'r_' || inst.numerator_rollup || '_' || agg || CASE WHEN g <> c.grain THEN '_' || g ELSE '' END;
    IF NOT ncte = ANY (rolls) THEN
      rolls := rolls || ncte;
      rctes := rctes || format(
        '%I AS MATERIALIZED (SELECT CASE WHEN grouping(x.w) = 1 THEN ''borough'' ELSE x.w END AS area_code, x.p,'
        ' %s(x.v)::numeric AS v FROM (%s) x'
        ' GROUP BY GROUPING SETS ((x.w, x.p), (x.p)) HAVING grouping(x.w) = 1 OR x.w IS NOT NULL)',
        ncte, agg, nsel);
    END IF;
    parts := parts || format(
      'SELECT %L::text AS indicator, g.area_code, g.period, %s AS numerator, %s AS denominator FROM %s g'
      ' LEFT JOIN %I n ON n.area_code = g.area_code AND n.p = g.period %s',
      c.indicator,
      CASE WHEN c.denominator_kind = 'measure' THEN format('CASE WHEN d.v > 0 THEN coalesce(n.v, %s) END', zero)
           ELSE format('coalesce(n.v, %s)', zero) END,
      CASE WHEN c.denominator_kind = 'none' THEN 'NULL::numeric' WHEN c.denominator_kind = 'measure' THEN 'nullif(d.v, 0)'
           ELSE dval END,
      grid, ncte, den);
  END LOOP;

  -- lookups: a key's ward is the ward (or its postcode's ward) of most of its rows
  IF 'postcode' = ANY (kinds) THEN
    pc := brent_mdm.indicator_catalogue_lookup_rollup(target_schema, 'postcode');
    ctes := ctes || format('lk_postcode AS MATERIALIZED (SELECT DISTINCT ON (key) key, ward_code FROM'
                           ' (SELECT brent_mdm.postcode_normalise(postcode) AS key, ward_code, sum(value) AS n'
                           '  FROM brent_mdm_rollup.%I GROUP BY 1, 2) x WHERE key IS NOT NULL'
                           ' ORDER BY key, n DESC, ward_code)', pc);
  END IF;
  IF 'site' = ANY (kinds) THEN
    ctes := ctes || format('lk_site AS MATERIALIZED (SELECT DISTINCT ON (site_id) site_id::text AS key, ward_code'
                           ' FROM brent_mdm_rollup.%I ORDER BY site_id, value DESC, ward_code)',
                           brent_mdm.indicator_catalogue_lookup_rollup(target_schema, 'site'));
  END IF;
  FOR w IN SELECT l.* FROM brent_mdm.indicator_catalogue_lookups() l
            WHERE l.area_kind IN ('upn', 'lcs_person', 'yot_case') AND l.area_kind = ANY (kinds) LOOP
    ctes := ctes || format('lk_%s AS MATERIALIZED (SELECT DISTINCT ON (key) key, ward_code FROM'
                           ' (SELECT r.%I::text AS key, p.ward_code, sum(r.value) AS n FROM brent_mdm_rollup.%I r'
                           '  JOIN lk_postcode p ON p.key = brent_mdm.postcode_normalise(r.%I) GROUP BY 1, 2) x'
                           ' WHERE key IS NOT NULL ORDER BY key, n DESC, ward_code)',
                           w.area_kind, w.key_column, brent_mdm.indicator_catalogue_lookup_rollup(target_schema, w.area_kind),
                           w.place_column);
  END LOOP;
  -- the population of every age range and sex in one pass, by ward and year and for the borough
  IF cardinality(pops) > 0 THEN
    ctes := ctes || format('pop AS MATERIALIZED (SELECT CASE WHEN grouping(ward_code) = 1 THEN ''borough'' ELSE ward_code END'
                           ' AS area_code, year, %s FROM %I.population_estimate GROUP BY GROUPING SETS ((ward_code, year), (year)))',
                           array_to_string(popcols, ', '), target_schema)
                 || 'pop_years AS MATERIALIZED (SELECT min(year) AS lo, max(year) AS hi FROM pop)'::text;
  END IF;
  ctes := ctes || rctes;
  sql := array_to_string(parts, E'\nUNION ALL\n');
  IF cardinality(ctes) > 0 THEN
    sql := 'WITH ' || array_to_string(ctes, E',\n') || E'\n' || sql;
  END IF;
  RETURN sql;
END
$$;
COMMENT ON FUNCTION brent_mdm.indicator_catalogue_sql(name, text[], text, date, date) IS
  'Internal: the query of the catalogue''s figures (indicator, area_code, period, numerator, denominator) over the '
  'rollups of a borough schema';
REVOKE ALL ON FUNCTION brent_mdm.indicator_catalogue_sql(name, text[], text, date, date) FROM PUBLIC;

CREATE FUNCTION brent_mdm.indicator_values(indicator_name text DEFAULT NULL, target_schema name DEFAULT 'borough',
                                           area text DEFAULT NULL, period_from date DEFAULT NULL,
                                           period_to date DEFAULT NULL, grain text DEFAULT NULL)
  RETURNS TABLE (indicator text, area_code text, area_name text, area_level text, period date,
                 numerator numeric, denominator numeric, value numeric)
  LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SET search_path = pg_catalog, pg_temp SET jit = off AS $$
DECLARE
  ind text[];
BEGIN
  ind := brent_mdm.indicator_catalogue_check(target_schema, indicator_name, area, period_from, period_to, grain);
  RETURN QUERY EXECUTE format(
    'SELECT f.indicator, f.area_code, coalesce(w.ward_name, CASE WHEN f.area_code = ''borough'' THEN ''the borough'' END),'
    ' CASE WHEN f.area_code = ''borough'' THEN ''borough'' ELSE ''ward'' END, f.period, f.numerator, f.denominator,'
    ' CASE WHEN k.denominator_kind = ''none'' THEN f.numerator'
    '      ELSE round(f.numerator * k.multiplier / nullif(f.denominator, 0), 3) END'
    ' FROM (%s) f JOIN brent_mdm.indicator_catalogue k ON k.indicator = f.indicator'
    ' LEFT JOIN %I.ward w ON w.ward_code = f.area_code'
    ' WHERE ($1 IS NULL OR f.area_code = $1) AND ($2 IS NULL OR f.period >= $2) AND ($3 IS NULL OR f.period <= $3)'
    ' ORDER BY f.indicator, f.area_code = ''borough'' DESC, f.area_code, f.period',
    brent_mdm.indicator_catalogue_sql(target_schema, ind, grain, period_from, period_to), target_schema)
    USING area, period_from, period_to;
END
$$;
COMMENT ON FUNCTION brent_mdm.indicator_values(text, name, text, date, date, text) IS
  'The catalogue''s figures over a borough schema, read from its rollups: per indicator (all installed when NULL), '
  'area (each ward, and ''borough'') and period of the window (the indicator''s grain, or a coarser one that holds '
  'whole periods), the numerator, the denominator (mid-year population of the ages and sex, or the denominator '
  'measure) and the value (numerator x multiplier / denominator, to 3 places; the numerator when there is no '
  'denominator). Periods without events count 0; NULL value when the denominator is 0 or missing';
GRANT EXECUTE ON FUNCTION brent_mdm.indicator_values(text, name, text, date, date, text) TO PUBLIC;

CREATE FUNCTION brent_mdm.indicator_changes(indicator_name text, target_schema name DEFAULT 'borough',
                                            area text DEFAULT 'borough')
  RETURNS TABLE (period date, value numeric, previous_value numeric, change numeric, change_pct numeric,
                 year_ago_value numeric, change_on_year numeric, change_on_year_pct numeric, rolling_year numeric)
  LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  g text;
  dk text;
  step text;
BEGIN
  IF indicator_name IS NULL OR area IS NULL THEN
    RAISE EXCEPTION 'indicator_name and area must not be NULL' USING ERRCODE = '22004';
  END IF;
  PERFORM brent_mdm.indicator_catalogue_check(target_schema, indicator_name, area, NULL, NULL, NULL);
  SELECT k.grain, k.denominator_kind INTO g, dk FROM brent_mdm.indicator_catalogue k WHERE k.indicator = indicator_name;
  step := CASE g WHEN 'month' THEN 'month' WHEN 'quarter' THEN 'quarter' ELSE 'year' END;
  -- a year that starts in April or September is laid on the calendar year it starts in
  RETURN QUERY
    SELECT CASE WHEN step = 'year' THEN make_date(extract(year FROM s.period)::int,
                                                  extract(month FROM v.first)::int, 1) ELSE s.period END,
           s.value, s.previous_value, s.change, s.change_pct, s.year_ago_value, s.change_on_year,
           s.change_on_year_pct, CASE WHEN dk = 'population' THEN s.rolling_year END
      FROM (SELECT array_agg(CASE WHEN step = 'year' THEN date_trunc('year', x.period)::date ELSE x.period END
                             ORDER BY x.period) AS periods,
                   array_agg(x.value ORDER BY x.period) AS vals, min(x.period) AS first
              FROM brent_mdm.indicator_values(indicator_name, target_schema, area) x) v,
           brent_mdm.series_changes(v.periods, v.vals, step) s;
END
$$;
COMMENT ON FUNCTION brent_mdm.indicator_changes(text, name, text) IS
  'series_changes over one catalogue indicator in one area (a ward_code or ''borough''): per period of the window, '
  'the change on the previous period, on the same period a year before, and, for rates per head of population, the '
  'rolling year (the sum of the year''s rates, each period on its own mid-year estimate; NULL for shares and maxima)';
GRANT EXECUTE ON FUNCTION brent_mdm.indicator_changes(text, name, text) TO PUBLIC;

CREATE FUNCTION brent_mdm.indicator_trends(indicator_name text DEFAULT NULL, target_schema name DEFAULT 'borough',
                                           area text DEFAULT NULL, years integer DEFAULT 3)
  RETURNS TABLE (indicator text, area_code text, area_name text, area_level text, polarity text,
                 period_from date, period_to date, points integer, tau float8, p float8, sen_slope float8,
                 direction text, reason text, latest_value numeric)
  LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  ind text[];
  since date;
BEGIN
  IF years IS NULL OR years < 1 OR years > 50 THEN
    RAISE EXCEPTION 'years must be between 1 and 50, not %', coalesce(years::text, 'NULL') USING ERRCODE = '22023';
  END IF;
  ind := brent_mdm.indicator_catalogue_check(target_schema, indicator_name, area, NULL, NULL, NULL);
  -- the last years of the borough's window (to as_of): only those periods are read
  SELECT w.as_of - make_interval(years => years) INTO since FROM brent_mdm.indicator_catalogue_window(target_schema) w;
  RETURN QUERY
    WITH v AS (SELECT * FROM brent_mdm.indicator_values(indicator_name, target_schema, area, since)),
    s AS (SELECT v.indicator, v.area_code, min(v.area_name) AS area_name, min(v.area_level) AS area_level,
                 k.polarity, k.grain,
                 array_agg(CASE WHEN k.grain IN ('quarter', 'month') THEN v.period
                                ELSE date_trunc('year', v.period)::date END ORDER BY v.period) AS periods,
                 array_agg(v.value ORDER BY v.period) AS vals,
                 (array_agg(v.value ORDER BY v.period DESC) FILTER (WHERE v.value IS NOT NULL))[1] AS latest,
                 min(v.period) AS first
            FROM v JOIN brent_mdm.indicator_catalogue k ON k.indicator = v.indicator
           GROUP BY v.indicator, v.area_code, k.polarity, k.grain)
    SELECT s.indicator, s.area_code, s.area_name, s.area_level, s.polarity,
           CASE WHEN s.grain IN ('quarter', 'month') THEN t.period_from
                ELSE make_date(extract(year FROM t.period_from)::int, extract(month FROM s.first)::int, 1) END,
           CASE WHEN s.grain IN ('quarter', 'month') THEN t.period_to
                ELSE make_date(extract(year FROM t.period_to)::int, extract(month FROM s.first)::int, 1) END, t.points, t.tau, t.p, t.sen_slope, t.direction, t.reason, s.latest
      FROM s LEFT JOIN LATERAL brent_mdm.series_trend(s.periods, s.vals, s.polarity,
                                                      CASE WHEN s.grain IN ('quarter', 'month') THEN s.grain ELSE 'year' END,
                                                      years) t ON true
     ORDER BY s.indicator, s.area_code = 'borough' DESC, s.area_code;
END
$$;
COMMENT ON FUNCTION brent_mdm.indicator_trends(text, name, text, integer) IS
  'The trend of catalogue indicators (all installed when NULL) per area (each ward and the borough) over the last '
  'years (default 3) of the borough''s window (the periods that start after as_of less the years): series_trend (Mann-Kendall tau and p, Sen''s slope per period, direction by the '
  'indicator''s polarity; fewer than 10 values: not enough data) and the latest value';
GRANT EXECUTE ON FUNCTION brent_mdm.indicator_trends(text, name, text, integer) TO PUBLIC;

CREATE FUNCTION brent_mdm.indicator_ward_ranks(indicator_name text DEFAULT NULL, target_schema name DEFAULT 'borough',
                                               at_period date DEFAULT NULL, grain text DEFAULT NULL)
  RETURNS TABLE (indicator text, period date, ward_code text, ward_name text, value numeric, rank integer,
                 quartile integer, wards integer, borough_value numeric, polarity text)
  LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  ind text[];
  bad text;
BEGIN
  ind := brent_mdm.indicator_catalogue_check(target_schema, indicator_name, NULL, at_period, at_period, grain);
  IF at_period IS NOT NULL THEN
    SELECT string_agg(k.indicator, ', ') INTO bad FROM brent_mdm.indicator_catalogue k
     WHERE k.indicator = ANY (ind)
       AND brent_mdm.period_start(at_period, coalesce(indicator_ward_ranks.grain, k.grain)) <> at_period;
    IF bad IS NOT NULL THEN
      RAISE EXCEPTION 'unknown period %: not the first day of a period of %', at_period, left(bad, 100)
        USING ERRCODE = '22023', HINT = 'Give the first day of a period of the indicator''s grain (brent_mdm.period_start).';
    END IF;
  END IF;
  RETURN QUERY
    WITH v AS (SELECT * FROM brent_mdm.indicator_values(indicator_name, target_schema, NULL, at_period, at_period, grain)),
    latest AS (SELECT v.indicator, max(v.period) AS period FROM v
                WHERE v.area_code = 'borough' AND v.value IS NOT NULL GROUP BY v.indicator),
    picked AS (SELECT v.*, k.polarity FROM v JOIN latest l ON l.indicator = v.indicator AND l.period = v.period
                 JOIN brent_mdm.indicator_catalogue k ON k.indicator = v.indicator),
    ranked AS (SELECT p.*, CASE WHEN p.value IS NOT NULL THEN
                 (rank() OVER (PARTITION BY p.indicator, p.area_code = 'borough', p.value IS NULL
                               ORDER BY CASE WHEN p.polarity = 'lower_better' THEN p.value ELSE -p.value END))::int END AS r,
                 (count(p.value) OVER (PARTITION BY p.indicator, p.area_code = 'borough'))::int AS n
                 FROM picked p)
    SELECT r.indicator, r.period, r.area_code, r.area_name, r.value, r.r, ceil(4.0 * r.r / r.n)::int, r.n,
           (SELECT b.value FROM picked b WHERE b.indicator = r.indicator AND b.area_code = 'borough'), r.polarity
      FROM ranked r WHERE r.area_code <> 'borough'
     ORDER BY r.indicator, r.r NULLS LAST, r.area_code;
END
$$;
COMMENT ON FUNCTION brent_mdm.indicator_ward_ranks(text, name, date, text) IS
  'The wards of a borough ranked among themselves on catalogue indicators (all installed when NULL) in one period '
  '(default: the latest with a borough value): rank 1 the best by polarity (the highest value for higher_better '
  'and neutral, the lowest for lower_better; ties share), quartile ceil(4 rank / wards) (1: the best quarter), '
  'the wards with a value, and the borough''s value';
GRANT EXECUTE ON FUNCTION brent_mdm.indicator_ward_ranks(text, name, date, text) TO PUBLIC;

-- The shipped catalogue (66 indicators).
-- The catalogue's figures as they may be published: each indicator's disclosure
-- control (indicator_catalogue.disclosure_control) applied to its counts.
CREATE FUNCTION brent_mdm.indicator_values_published(indicator_name text DEFAULT NULL, target_schema name DEFAULT 'borough',
                                                     area text DEFAULT NULL, period_from date DEFAULT NULL,
                                                     period_to date DEFAULT NULL, grain text DEFAULT NULL,
                                                     threshold integer DEFAULT 10, base integer DEFAULT 5)
  RETURNS TABLE (indicator text, area_code text, area_name text, area_level text, period date,
                 numerator numeric, denominator numeric, value numeric, note text)
  LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF threshold IS NULL OR base IS NULL THEN
    RAISE EXCEPTION 'threshold and base must not be NULL' USING ERRCODE = '22004';
  END IF;
  IF threshold < 1 OR base < 1 THEN
    RAISE EXCEPTION 'threshold and base must be 1 or more, not % and %', threshold, base USING ERRCODE = '22023';
  END IF;
  PERFORM brent_mdm.indicator_catalogue_check(target_schema, indicator_name, area, period_from, period_to, grain);
  RETURN QUERY
  WITH v AS MATERIALIZED (
    SELECT x.*, k.disclosure_control AS dc, k.denominator_kind AS dk, k.multiplier AS mult,
           coalesce(indicator_values_published.grain, k.grain) AS g
      FROM brent_mdm.indicator_values(indicator_name, target_schema, NULL, period_from, period_to, grain) x
      JOIN brent_mdm.indicator_catalogue k ON k.indicator = x.indicator),
  -- per indicator and period, the wards' counts and the count placed in no ward (the borough's less
  -- the wards') as a one-way table whose total is the borough's
  t AS (SELECT v.indicator, v.period, v.dc, v.dk, v.g,
               coalesce(array_agg(v.area_code ORDER BY v.area_code) FILTER (WHERE v.area_code <> 'borough'), '{}') AS wards,
               coalesce(array_agg(coalesce(v.numerator, 0)::bigint ORDER BY v.area_code) FILTER (WHERE v.area_code <> 'borough'), '{}') AS n,
               max(coalesce(v.numerator, 0)) FILTER (WHERE v.area_code = 'borough')::bigint AS nb,
               coalesce(array_agg(coalesce(v.denominator, 0)::bigint ORDER BY v.area_code) FILTER (WHERE v.area_code <> 'borough'), '{}') AS d,
               max(coalesce(v.denominator, 0)) FILTER (WHERE v.area_code = 'borough')::bigint AS db
          FROM v WHERE v.dc LIKE 'suppress%' GROUP BY v.indicator, v.period, v.dc, v.dk, v.g),
  pn AS (SELECT t.indicator, t.period, coalesce(s.row_label, 'borough') AS area_code, s.published, s.suppressed,
                -- rules that keep the wards of a period back: health data unless every ward counts 10 or more,
                -- children's data by month or quarter
                (t.dc = 'suppress_borough_only' AND EXISTS (SELECT FROM unnest(t.n) c WHERE c < threshold))
                OR (t.dc = 'suppress_wards_by_year' AND t.g IN ('month', 'quarter')) AS wards_kept_back
           FROM t CROSS JOIN LATERAL brent_mdm.suppress_table(t.wards || '-'::text,
                                                              t.n || (t.nb - (SELECT coalesce(sum(c), 0) FROM unnest(t.n) c))::bigint,
                                                              threshold, base) s
          WHERE s.kind = 'total' OR s.row_label <> '-'),
  pd AS (SELECT t.indicator, t.period, coalesce(s.row_label, 'borough') AS area_code, s.published, s.suppressed
           FROM t CROSS JOIN LATERAL brent_mdm.suppress_table(t.wards || '-'::text,
                                                              t.d || (t.db - (SELECT coalesce(sum(c), 0) FROM unnest(t.d) c))::bigint,
                                                              threshold, base) s
          WHERE t.dk = 'measure' AND (s.kind = 'total' OR s.row_label <> '-')),
  o AS (SELECT v.indicator, v.area_code, v.area_name, v.area_level, v.period, v.dk, v.mult, v.numerator AS raw_n,
               v.denominator AS raw_d,
               CASE WHEN v.dc = 'none' THEN v.numerator
                    WHEN v.dc = 'small_below_5' THEN brent_mdm.suppress_small(v.numerator::bigint, 5)
                    WHEN v.numerator IS NULL OR (pn.wards_kept_back AND v.area_code <> 'borough') THEN NULL
                    ELSE pn.published END::numeric AS n,
               CASE WHEN v.dk <> 'measure' OR v.dc = 'none' THEN v.denominator
                    WHEN v.dc = 'small_below_5' THEN brent_mdm.suppress_small(v.denominator::bigint, 5)
                    WHEN v.denominator IS NULL OR (pn.wards_kept_back AND v.area_code <> 'borough') THEN NULL
                    ELSE pd.published END::numeric AS d
          FROM v
          LEFT JOIN pn ON pn.indicator = v.indicator AND pn.period = v.period AND pn.area_code = v.area_code
          LEFT JOIN pd ON pd.indicator = v.indicator AND pd.period = v.period AND pd.area_code = v.area_code)
  SELECT o.indicator, o.area_code, o.area_name, o.area_level, o.period, o.n, o.d,
         -- from the published figures only (a value from the true counts would give them away)
         CASE WHEN o.dk = 'none' THEN o.n ELSE round(o.n * o.mult / nullif(o.d, 0), 3) END,
         CASE WHEN (o.raw_n IS NOT NULL AND o.n IS NULL) OR (o.raw_d IS NOT NULL AND o.d IS NULL) THEN 'c' END
    FROM o
   WHERE indicator_values_published.area IS NULL OR o.area_code = indicator_values_published.area
   ORDER BY o.indicator, o.area_code = 'borough' DESC, o.area_code, o.period;
END
$$;
COMMENT ON FUNCTION brent_mdm.indicator_values_published(text, name, text, date, date, text, integer, integer) IS
  'The catalogue''s figures as they may be published: indicator_values with each indicator''s disclosure control applied '
  '(indicator_catalogue.disclosure_control): counts of people and their records from 1 to threshold - 1 suppressed, with '
  'secondary suppression across the wards of a period and the count placed in no ward (suppress_table), the rest rounded to '
  'base; ward figures kept back where the rule says so; values computed from the published figures; note c where suppressed';
GRANT EXECUTE ON FUNCTION brent_mdm.indicator_values_published(text, name, text, date, date, text, integer, integer) TO PUBLIC;

-- publish_indicator of a catalogue indicator (its name, or schema.name): the figures of
-- indicator_values_published as a CSV, with its CSVW metadata, recorded in published_dataset.
CREATE FUNCTION brent_mdm.indicator_catalogue_publish(indicator text, title text, description text, disclosure text,
                                                      threshold integer, base integer, licence text, publisher text,
                                                      spatial text)
  RETURNS TABLE (dataset_id bigint, csv text, metadata jsonb)
  LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  k brent_mdm.indicator_catalogue;
  s name;
  nm text;
  schemas name[];
  w record;
  lines text[];
  nrows integer;
  nsupp integer;
  meta jsonb;
  id bigint;
BEGIN
  nm := CASE WHEN indicator LIKE '%.%' THEN split_part(indicator, '.', 2) ELSE indicator END;
  SELECT * INTO k FROM brent_mdm.indicator_catalogue c WHERE c.indicator = nm;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'indicator "%" does not exist', left(indicator, 100) USING ERRCODE = '42704',
      HINT = 'Indicators are defined with define_indicator (brent_mdm.indicator) or listed in brent_mdm.indicator_catalogue.';
  END IF;
  SELECT array_agg(i.target_schema ORDER BY i.target_schema) INTO schemas
    FROM brent_mdm.indicator_catalogue_installed i WHERE i.indicator = nm;
  s := CASE WHEN indicator LIKE '%.%' THEN split_part(indicator, '.', 1) WHEN cardinality(schemas) = 1 THEN schemas[1] END;
  IF s IS NULL OR NOT s = ANY (coalesce(schemas, '{}')) THEN
    RAISE EXCEPTION 'catalogue indicator "%" is %', left(indicator, 100),
      CASE WHEN schemas IS NULL THEN 'not installed over any borough schema'
           WHEN s IS NULL THEN 'installed over more than one borough schema'
           ELSE format('not installed over schema "%s"', left(s, 100)) END
      USING ERRCODE = CASE WHEN s IS NULL AND schemas IS NOT NULL THEN '22023' ELSE '55000' END,
            HINT = CASE WHEN s IS NULL AND schemas IS NOT NULL
                        THEN format('Name the schema: %L.', schemas[1] || '.' || nm)
                        ELSE 'Install it with brent_mdm.indicator_catalogue_install.' END;
  END IF;
  IF disclosure = 'none' AND k.disclosure_control <> 'none' THEN
    RAISE EXCEPTION 'catalogue indicator "%" counts personal data (%): it is published only through its disclosure control',
                    nm, k.source
      USING ERRCODE = '42501', DETAIL = k.disclosure_rule,
            HINT = 'Publish with disclosure => ''suppress'' (the indicator''s own rule is applied).';
  END IF;
  SELECT array_agg(concat_ws(',', brent_mdm.csv_field(p.area_code), brent_mdm.csv_field(p.area_name), p.period::text,
                             coalesce(p.numerator::text, ''), coalesce(p.denominator::text, ''), coalesce(p.value::text, ''),
                             coalesce(p.note, ''))
                   ORDER BY p.area_code = 'borough' DESC, p.area_code, p.period),
         count(*), count(*) FILTER (WHERE p.note IS NOT NULL)
    INTO lines, nrows, nsupp
    FROM brent_mdm.indicator_values_published(nm, s, threshold => threshold, base => base) p;
  SELECT * INTO w FROM brent_mdm.indicator_catalogue_window(s);
  id := nextval('brent_mdm.published_dataset_dataset_id_seq');
  meta := jsonb_build_object(
    '@context', jsonb_build_array('http://www.w3.org/ns/csvw', jsonb_build_object('@language', 'en')),
    'url', nm || '.csv',
    'dc:title', title,
    'dc:description', coalesce(description, k.definition),
    'dc:license', jsonb_build_object('@id', licence),
    'dc:publisher', jsonb_build_object('schema:name', publisher),
    'dc:issued', to_char(now(), 'YYYY-MM-DD'),
    'dc:spatial', spatial,
    'dc:temporal', CASE WHEN w.window_start IS NOT NULL THEN w.window_start::text || '/' || w.as_of::text END,
    'dc:identifier', id,
    'prov:wasGeneratedBy', 'brent_mdm ' || brent_mdm.version() || ' publish_indicator, catalogue indicator ' || nm
                           || ' over schema ' || s,
    'brent:unit', k.unit,
    'brent:polarity', k.polarity,
    'brent:dpia', k.dpia,
    'brent:disclosureControl', jsonb_build_object('rule', k.disclosure_control, 'threshold', threshold, 'base', base,
                                                  'description', k.disclosure_rule),
    'tableSchema', jsonb_build_object('columns', jsonb_build_array(
      jsonb_build_object('name', 'area_code', 'titles', 'area_code', 'datatype', 'string',
                         'dc:description', 'ward code, or borough'),
      jsonb_build_object('name', 'area_name', 'titles', 'area_name', 'datatype', 'string'),
      jsonb_build_object('name', 'period', 'titles', 'period', 'datatype', 'date', 'dc:description', 'first day of the ' || k.grain),
      jsonb_build_object('name', 'numerator', 'titles', 'numerator', 'datatype', 'decimal', 'dc:description', k.numerator),
      jsonb_build_object('name', 'denominator', 'titles', 'denominator', 'datatype', 'decimal',
                         'dc:description', coalesce(k.denominator, 'none')),
      jsonb_build_object('name', 'value', 'titles', 'value', 'datatype', 'decimal', 'dc:description', k.unit),
      jsonb_build_object('name', 'note', 'titles', 'note', 'datatype', 'string',
                         'dc:description', 'c: suppressed (disclosure control)'))));
  csv := 'area_code,area_name,period,numerator,denominator,value,note' || E'\r\n'
         || coalesce(array_to_string(lines, E'\r\n') || E'\r\n', '');
  INSERT INTO brent_mdm.published_dataset (dataset_id, indicator, title, disclosure, rows, suppressed, metadata, csv)
  VALUES (id, s || '.' || nm, title, CASE WHEN k.disclosure_control = 'none' THEN 'none' ELSE 'suppress' END,
          nrows, nsupp, meta, csv);
  dataset_id := id;
  metadata := meta;
  RETURN NEXT;
END
$$;
COMMENT ON FUNCTION brent_mdm.indicator_catalogue_publish(text, text, text, text, integer, integer, text, text, text) IS
  'Internal: publish_indicator of a catalogue indicator (name, or schema.name): indicator_values_published as a CSV with '
  'its CSVW metadata (the catalogue''s definition, unit, DPIA and disclosure rule), recorded in published_dataset';
REVOKE ALL ON FUNCTION brent_mdm.indicator_catalogue_publish(text, text, text, text, integer, integer, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION brent_mdm.indicator_catalogue_publish(text, text, text, text, integer, integer, text, text, text)
  TO brent_mdm_indicator_admin;

INSERT INTO brent_mdm.indicator_catalogue (indicator, theme, title, definition, unit, polarity, source_tables, numerator, denominator, dpia, disclosure_rule, source, numerator_measure, denominator_kind, denominator_measure, population_age_from, population_age_to, population_sex, multiplier, area_kind, area_column, period_column, period_dimension, grain, shipped) VALUES
  ('elector_registrations_rate', 'community engagement', 'New electoral registrations', 'Electors added to the register in the period (registered_on), per 1,000 residents aged 18 and over', 'per 1,000 residents aged 18+', 'higher_better', '{electoral_register,address,population_estimate}', 'electors registered in the period', 'mid-year residents aged 18+', 'Electoral register analytics DPIA (personal data of electors; the register''s statutory uses)', 'Counts of residents or their records below 10 suppressed (safe_count, threshold 10) with secondary suppression across the wards of a period (suppress_table); a rate whose numerator is suppressed is suppressed; published counts rounded to base 5 (round_to_base)', 'electoral_register', 'count(*)', 'population', NULL, 18, 90, NULL, 1000, 'postcode', 'postcode', 'registered_on', NULL, 'quarter', true),
  ('elector_eu_franchise_share', 'community engagement', 'New electors with the local franchise only', 'Share of electors registered in the period with franchise marker G (EU citizens: local elections only)', '% of new electors', 'neutral', '{electoral_register,address}', 'new electors with franchise G', 'electors registered in the period', 'Electoral register analytics DPIA (personal data of electors; the register''s statutory uses)', 'Counts of residents or their records below 10 suppressed (safe_count, threshold 10) with secondary suppression across the wards of a period (suppress_table); a rate whose numerator is suppressed is suppressed; published counts rounded to base 5 (round_to_base)', 'electoral_register', 'count(*) filter (where franchise = ''G'')', 'measure', 'count(*)', NULL, NULL, NULL, 100, 'postcode', 'postcode', 'registered_on', NULL, 'quarter', true),
  ('childrens_centre_reg_rate', 'community engagement', 'Children''s centre registrations', 'Children registered with a children''s centre in the period, per 1,000 residents aged 0 to 4', 'per 1,000 children aged 0-4', 'higher_better', '{early_years,address,population_estimate}', 'children''s centre registrations', 'mid-year residents aged 0-4', 'Early years and childcare DPIA (children''s personal data)', 'Counts of residents or their records below 10 suppressed (safe_count, threshold 10) with secondary suppression across the wards of a period (suppress_table); a rate whose numerator is suppressed is suppressed; published counts rounded to base 5 (round_to_base)', 'early_years', 'count(*) filter (where funded_entitlement = ''children''''s centre registration'')', 'population', NULL, 0, 4, NULL, 1000, 'postcode', 'postcode', 'start_date', NULL, 'quarter', true),
  ('early_help_rate', 'community engagement', 'Families starting early help', 'Early help (family support) episodes started in the period, per 1,000 residents aged 0 to 17', 'per 1,000 children aged 0-17', 'neutral', '{early_help_episode,address,population_estimate}', 'early help episodes started', 'mid-year residents aged 0-17', 'Early help DPIA (family support records: children''s and adults'' personal data)', 'Counts of residents or their records below 10 suppressed (safe_count, threshold 10) with secondary suppression across the wards of a period (suppress_table); a rate whose numerator is suppressed is suppressed; published counts rounded to base 5 (round_to_base)', 'early_help_episode', 'count(*)', 'population', NULL, 0, 17, NULL, 1000, 'postcode', 'postcode', 'started_on', NULL, 'quarter', true),
  ('early_help_parenting_rate', 'community engagement', 'Early help for parenting support', 'Early help episodes started in the period whose primary need is parenting support, per 1,000 residents aged 0 to 17', 'per 1,000 children aged 0-17', 'neutral', '{early_help_episode,address,population_estimate}', 'early help episodes for parenting support', 'mid-year residents aged 0-17', 'Early help DPIA (family support records: children''s and adults'' personal data)', 'Counts of residents or their records below 10 suppressed (safe_count, threshold 10) with secondary suppression across the wards of a period (suppress_table); a rate whose numerator is suppressed is suppressed; published counts rounded to base 5 (round_to_base)', 'early_help_episode', 'count(*) filter (where primary_need = ''parenting support'')', 'population', NULL, 0, 17, NULL, 1000, 'postcode', 'postcode', 'started_on', NULL, 'quarter', true),
  ('out_of_work_claims_rate', 'employment and enterprise', 'New out-of-work benefit claims', 'Housing benefit, council tax reduction and Universal Credit housing costs claims started in the period by out-of-work claimants, per 1,000 residents aged 16 to 64', 'per 1,000 residents aged 16-64', 'lower_better', '{revenues_benefits,address,population_estimate}', 'claims started, claimant out of work', 'mid-year residents aged 16-64', 'Revenues and benefits analytics DPIA (claimants'' personal and financial data)', 'Counts of residents or their records below 10 suppressed (safe_count, threshold 10) with secondary suppression across the wards of a period (suppress_table); a rate whose numerator is suppressed is suppressed; published counts rounded to base 5 (round_to_base)', 'revenues_benefits', 'count(*) filter (where out_of_work)', 'population', NULL, 16, 64, NULL, 1000, 'postcode', 'postcode', 'claim_start', NULL, 'quarter', true),
  ('in_work_claims_share', 'employment and enterprise', 'New claims by people in work', 'Share of benefit claims started in the period whose claimant is in work', '% of new claims', 'neutral', '{revenues_benefits,address}', 'claims started, claimant in work', 'claims started', 'Revenues and benefits analytics DPIA (claimants'' personal and financial data)', 'Counts of residents or their records below 10 suppressed (safe_count, threshold 10) with secondary suppression across the wards of a period (suppress_table); a rate whose numerator is suppressed is suppressed; published counts rounded to base 5 (round_to_base)', 'revenues_benefits', 'count(*) filter (where not out_of_work)', 'measure', 'count(*)', NULL, NULL, NULL, 100, 'postcode', 'postcode', 'claim_start', NULL, 'quarter', true),
  ('uc_housing_claims_rate', 'employment and enterprise', 'New Universal Credit housing costs claims', 'Universal Credit housing costs claims started in the period, per 1,000 residents aged 16 to 64', 'per 1,000 residents aged 16-64', 'lower_better', '{revenues_benefits,address,population_estimate}', 'Universal Credit housing costs claims started', 'mid-year residents aged 16-64', 'Revenues and benefits analytics DPIA (claimants'' personal and financial data)', 'Counts of residents or their records below 10 suppressed (safe_count, threshold 10) with secondary suppression across the wards of a period (suppress_table); a rate whose numerator is suppressed is suppressed; published counts rounded to base 5 (round_to_base)', 'revenues_benefits', 'count(*) filter (where claim_type = ''Universal Credit housing costs'')', 'population', NULL, 16, 64, NULL, 1000, 'postcode', 'postcode', 'claim_start', NULL, 'quarter', true),
  ('ey_30_hours_rate', 'employment and enterprise', '30-hour childcare for working parents', 'Children starting the extended 30-hour entitlement (for working parents) in the period, per 1,000 residents aged 0 to 4', 'per 1,000 children aged 0-4', 'higher_better', '{early_years,address,population_estimate}', 'starts of the 30-hour entitlement', 'mid-year residents aged 0-4', 'Early years and childcare DPIA (children''s personal data)', 'Counts of residents or their records below 10 suppressed (safe_count, threshold 10) with secondary suppression across the wards of a period (suppress_table); a rate whose numerator is suppressed is suppressed; published counts rounded to base 5 (round_to_base)', 'early_years', 'count(*) filter (where funded_entitlement = ''3-4 extended 30 hours'')', 'population', NULL, 0, 4, NULL, 1000, 'postcode', 'postcode', 'start_date', NULL, 'quarter', true),
  ('ey_30_hours_share', 'employment and enterprise', 'Funded 3-4 year olds on 30 hours', 'Share of the funded 3 and 4 year olds starting in the period who take the extended 30 hours (working parents)', '% of funded 3-4 starts', 'higher_better', '{early_years,address}', 'starts of the 30-hour entitlement', 'starts of the 15-hour universal or 30-hour entitlement', 'Early years and childcare DPIA (children''s personal data)', 'Counts of residents or their records below 10 suppressed (safe_count, threshold 10) with secondary suppression across the wards of a period (suppress_table); a rate whose numerator is suppressed is suppressed; published counts rounded to base 5 (round_to_base)', 'early_years', 'count(*) filter (where funded_entitlement = ''3-4 extended 30 hours'')', 'measure', 'count(*) filter (where funded_entitlement in (''3-4 universal 15 hours'', ''3-4 extended 30 hours''))', NULL, NULL, NULL, 100, 'postcode', 'postcode', 'start_date', NULL, 'quarter', true),
  ('new_tenancies_rate', 'housing', 'New council tenancies', 'Council tenancies (tenants) starting in the period, per 1,000 residents', 'per 1,000 residents', 'neutral', '{housing,address,population_estimate}', 'tenants starting a tenancy', 'mid-year residents', 'Housing management analytics DPIA (tenants'' personal data)', 'Counts of residents or their records below 10 suppressed (safe_count, threshold 10) with secondary suppression across the wards of a period (suppress_table); a rate whose numerator is suppressed is suppressed; published counts rounded to base 5 (round_to_base)', 'housing', 'count(*)', 'population', NULL, NULL, NULL, NULL, 1000, 'postcode', 'postcode', 'tenancy_start', NULL, 'quarter', true),
  ('tenancies_ended_rate', 'housing', 'Council tenancies ended', 'Council tenancies (tenants) ending in the period, per 1,000 residents', 'per 1,000 residents', 'neutral', '{housing,address,population_estimate}', 'tenants whose tenancy ended', 'mid-year residents', 'Housing management analytics DPIA (tenants'' personal data)', 'Counts of residents or their records below 10 suppressed (safe_count, threshold 10) with secondary suppression across the wards of a period (suppress_table); a rate whose numerator is suppressed is suppressed; published counts rounded to base 5 (round_to_base)', 'housing', 'count(*)', 'population', NULL, NULL, NULL, NULL, 1000, 'postcode', 'postcode', 'tenancy_end', NULL, 'quarter', true),
  ('ctax_new_accounts_rate', 'housing', 'New council tax accounts', 'Council tax liabilities starting in the period (new occupations of a property), per 1,000 residents', 'per 1,000 residents', 'neutral', '{council_tax,address,population_estimate}', 'liabilities started', 'mid-year residents', 'Council tax analytics DPIA (liable persons'' personal and financial data)', 'Counts of residents or their records below 10 suppressed (safe_count, threshold 10) with secondary suppression across the wards of a period (suppress_table); a rate whose numerator is suppressed is suppressed; published counts rounded to base 5 (round_to_base)', 'council_tax', 'count(*)', 'population', NULL, NULL, NULL, NULL, 1000, 'postcode', 'postcode', 'liability_start', NULL, 'quarter', true),
  ('ctax_accounts_closed_rate', 'housing', 'Council tax accounts closed', 'Council tax liabilities ending in the period (a household leaving a property), per 1,000 residents', 'per 1,000 residents', 'neutral', '{council_tax,address,population_estimate}', 'liabilities ended', 'mid-year residents', 'Council tax analytics DPIA (liable persons'' personal and financial data)', 'Counts of residents or their records below 10 suppressed (safe_count, threshold 10) with secondary suppression across the wards of a period (suppress_table); a rate whose numerator is suppressed is suppressed; published counts rounded to base 5 (round_to_base)', 'council_tax', 'count(*)', 'population', NULL, NULL, NULL, NULL, 1000, 'postcode', 'postcode', 'liability_end', NULL, 'quarter', true),
  ('ctax_single_person_share', 'housing', 'New accounts with a single person discount', 'Share of council tax liabilities starting in the period with the single person discount', '% of new accounts', 'neutral', '{council_tax,address}', 'new liabilities with the discount', 'liabilities started', 'Council tax analytics DPIA (liable persons'' personal and financial data)', 'Counts of residents or their records below 10 suppressed (safe_count, threshold 10) with secondary suppression across the wards of a period (suppress_table); a rate whose numerator is suppressed is suppressed; published counts rounded to base 5 (round_to_base)', 'council_tax', 'count(*) filter (where single_person_discount)', 'measure', 'count(*)', NULL, NULL, NULL, 100, 'postcode', 'postcode', 'liability_start', NULL, 'quarter', true),
  ('ctax_band_ab_share', 'housing', 'New accounts in bands A and B', 'Share of council tax liabilities starting in the period on properties in bands A or B', '% of new accounts', 'neutral', '{council_tax,address}', 'new liabilities in bands A-B', 'liabilities started', 'Council tax analytics DPIA (liable persons'' personal and financial data)', 'Counts of residents or their records below 10 suppressed (safe_count, threshold 10) with secondary suppression across the wards of a period (suppress_table); a rate whose numerator is suppressed is suppressed; published counts rounded to base 5 (round_to_base)', 'council_tax', 'count(*) filter (where band in (''A'', ''B''))', 'measure', 'count(*)', NULL, NULL, NULL, 100, 'postcode', 'postcode', 'liability_start', NULL, 'quarter', true),
  ('ctax_band_fh_share', 'housing', 'New accounts in bands F to H', 'Share of council tax liabilities starting in the period on properties in bands F, G or H', '% of new accounts', 'neutral', '{council_tax,address}', 'new liabilities in bands F-H', 'liabilities started', 'Council tax analytics DPIA (liable persons'' personal and financial data)', 'Counts of residents or their records below 10 suppressed (safe_count, threshold 10) with secondary suppression across the wards of a period (suppress_table); a rate whose numerator is suppressed is suppressed; published counts rounded to base 5 (round_to_base)', 'council_tax', 'count(*) filter (where band in (''F'', ''G'', ''H''))', 'measure', 'count(*)', NULL, NULL, NULL, 100, 'postcode', 'postcode', 'liability_start', NULL, 'quarter', true),
  ('hb_claims_rate', 'housing', 'New housing benefit claims', 'Housing benefit claims started in the period, per 1,000 residents aged 18 and over', 'per 1,000 residents aged 18+', 'lower_better', '{revenues_benefits,address,population_estimate}', 'housing benefit claims started', 'mid-year residents aged 18+', 'Revenues and benefits analytics DPIA (claimants'' personal and financial data)', 'Counts of residents or their records below 10 suppressed (safe_count, threshold 10) with secondary suppression across the wards of a period (suppress_table); a rate whose numerator is suppressed is suppressed; published counts rounded to base 5 (round_to_base)', 'revenues_benefits', 'count(*) filter (where claim_type = ''Housing Benefit'')', 'population', NULL, 18, 90, NULL, 1000, 'postcode', 'postcode', 'claim_start', NULL, 'quarter', true),
  ('early_help_housing_rate', 'housing', 'Early help for housing needs', 'Early help episodes started in the period whose primary need is housing, per 1,000 residents aged 0 to 17', 'per 1,000 children aged 0-17', 'lower_better', '{early_help_episode,address,population_estimate}', 'early help episodes for housing', 'mid-year residents aged 0-17', 'Early help DPIA (family support records: children''s and adults'' personal data)', 'Counts of residents or their records below 10 suppressed (safe_count, threshold 10) with secondary suppression across the wards of a period (suppress_table); a rate whose numerator is suppressed is suppressed; published counts rounded to base 5 (round_to_base)', 'early_help_episode', 'count(*) filter (where primary_need = ''housing'')', 'population', NULL, 0, 17, NULL, 1000, 'postcode', 'postcode', 'started_on', NULL, 'quarter', true),
  ('asb_incidents_rate', 'safety', 'Anti-social behaviour incidents', 'ASB incidents in the period, per 1,000 residents', 'per 1,000 residents', 'lower_better', '{asb_incident,population_estimate}', 'incidents', 'mid-year residents', 'Community safety DPIA (incident records linked to ASB case parties)', 'Incidents at a place, not people: published by ward as counts; an incident category with fewer than 5 incidents in a ward and period is shown as fewer than 5 (may point to a household)', 'asb_incident', 'count(*)', 'population', NULL, NULL, NULL, NULL, 1000, 'ward', 'ward_code', 'occurred_on', NULL, 'quarter', true),
  ('asb_drug_rate', 'safety', 'Drug-related ASB', 'Drug-related ASB incidents in the period, per 1,000 residents', 'per 1,000 residents', 'lower_better', '{asb_incident,population_estimate}', 'drug-related incidents', 'mid-year residents', 'Community safety DPIA (incident records linked to ASB case parties)', 'Incidents at a place, not people: published by ward as counts; an incident category with fewer than 5 incidents in a ward and period is shown as fewer than 5 (may point to a household)', 'asb_incident', 'count(*) filter (where category = ''drug-related'')', 'population', NULL, NULL, NULL, NULL, 1000, 'ward', 'ward_code', 'occurred_on', NULL, 'quarter', true),
  ('asb_street_drinking_rate', 'safety', 'Street drinking', 'Street drinking incidents in the period, per 1,000 residents', 'per 1,000 residents', 'lower_better', '{asb_incident,population_estimate}', 'street drinking incidents', 'mid-year residents', 'Community safety DPIA (incident records linked to ASB case parties)', 'Incidents at a place, not people: published by ward as counts; an incident category with fewer than 5 incidents in a ward and period is shown as fewer than 5 (may point to a household)', 'asb_incident', 'count(*) filter (where category = ''street drinking'')', 'population', NULL, NULL, NULL, NULL, 1000, 'ward', 'ward_code', 'occurred_on', NULL, 'quarter', true),
  ('asb_rowdy_rate', 'safety', 'Rowdy or inconsiderate behaviour', 'Rowdy or inconsiderate behaviour incidents in the period, per 1,000 residents', 'per 1,000 residents', 'lower_better', '{asb_incident,population_estimate}', 'rowdy or inconsiderate behaviour incidents', 'mid-year residents', 'Community safety DPIA (incident records linked to ASB case parties)', 'Incidents at a place, not people: published by ward as counts; an incident category with fewer than 5 incidents in a ward and period is shown as fewer than 5 (may point to a household)', 'asb_incident', 'count(*) filter (where category = ''rowdy or inconsiderate behaviour'')', 'population', NULL, NULL, NULL, NULL, 1000, 'ward', 'ward_code', 'occurred_on', NULL, 'quarter', true),
  ('asb_neighbour_dispute_rate', 'safety', 'Neighbour disputes', 'Neighbour dispute incidents in the period, per 1,000 residents', 'per 1,000 residents', 'lower_better', '{asb_incident,population_estimate}', 'neighbour dispute incidents', 'mid-year residents', 'Community safety DPIA (incident records linked to ASB case parties)', 'Incidents at a place, not people: published by ward as counts; an incident category with fewer than 5 incidents in a ward and period is shown as fewer than 5 (may point to a household)', 'asb_incident', 'count(*) filter (where category = ''neighbour dispute'')', 'population', NULL, NULL, NULL, NULL, 1000, 'ward', 'ward_code', 'occurred_on', NULL, 'quarter', true),
  ('asb_begging_rate', 'safety', 'Begging', 'Begging incidents in the period, per 1,000 residents', 'per 1,000 residents', 'lower_better', '{asb_incident,population_estimate}', 'begging incidents', 'mid-year residents', 'Community safety DPIA (incident records linked to ASB case parties)', 'Incidents at a place, not people: published by ward as counts; an incident category with fewer than 5 incidents in a ward and period is shown as fewer than 5 (may point to a household)', 'asb_incident', 'count(*) filter (where category = ''begging'')', 'population', NULL, NULL, NULL, NULL, 1000, 'ward', 'ward_code', 'occurred_on', NULL, 'quarter', true),
  ('asb_case_parties_rate', 'safety', 'Parties to new ASB cases', 'Parties (perpetrators, victims, witnesses) to ASB cases opened in the period, per 1,000 residents', 'per 1,000 residents', 'lower_better', '{asb_case,address,population_estimate}', 'parties to cases opened', 'mid-year residents', 'Community safety DPIA (ASB case parties'' personal data)', 'Counts of residents or their records below 10 suppressed (safe_count, threshold 10) with secondary suppression across the wards of a period (suppress_table); a rate whose numerator is suppressed is suppressed; published counts rounded to base 5 (round_to_base)', 'asb_case', 'count(*)', 'population', NULL, NULL, NULL, NULL, 1000, 'postcode', 'postcode', 'opened_on', NULL, 'quarter', true),
  ('domestic_abuse_rate', 'safety', 'Domestic abuse notifications', 'Police notifications of domestic abuse in the period, per 1,000 residents aged 16 and over', 'per 1,000 residents aged 16+', 'lower_better', '{domestic_abuse_notification,address,population_estimate}', 'notifications', 'mid-year residents aged 16+', 'Domestic abuse notifications DPIA (victims'' personal data; special category and criminal offence data)', 'Counts of residents or their records below 10 suppressed (safe_count, threshold 10) with secondary suppression across the wards of a period (suppress_table); a rate whose numerator is suppressed is suppressed; published counts rounded to base 5 (round_to_base)', 'domestic_abuse_notification', 'count(*)', 'population', NULL, 16, 90, NULL, 1000, 'postcode', 'postcode', 'notified_on', NULL, 'quarter', true),
  ('da_children_present_share', 'safety', 'Domestic abuse with children present', 'Share of domestic abuse notifications in the period where children were present', '% of notifications', 'lower_better', '{domestic_abuse_notification,address}', 'notifications with children present', 'notifications', 'Domestic abuse notifications DPIA (victims'' personal data; special category and criminal offence data)', 'Counts of residents or their records below 10 suppressed (safe_count, threshold 10) with secondary suppression across the wards of a period (suppress_table); a rate whose numerator is suppressed is suppressed; published counts rounded to base 5 (round_to_base)', 'domestic_abuse_notification', 'count(*) filter (where children_present)', 'measure', 'count(*)', NULL, NULL, NULL, 100, 'postcode', 'postcode', 'notified_on', NULL, 'quarter', true),
  ('yot_cases_rate', 'safety', 'Youth offending cases', 'Youth offending service cases opened in the period, per 1,000 residents aged 10 to 17', 'per 1,000 residents aged 10-17', 'lower_better', '{youth_offending,address,population_estimate}', 'cases opened', 'mid-year residents aged 10-17', 'Youth justice DPIA (children''s criminal offence data)', 'Children''s data: counts below 10 suppressed (safe_count, threshold 10) with secondary suppression across wards (suppress_table); ward figures published for financial years only, never quarters; rates from suppressed counts suppressed', 'youth_offending', 'count(*)', 'population', NULL, 10, 17, NULL, 1000, 'postcode', 'postcode', 'case_start', NULL, 'quarter', true),
  ('proven_offences_rate', 'safety', 'Proven offences by young people', 'Proven offences of youth offending cases in the period, per 1,000 residents aged 10 to 17 (ward of the case)', 'per 1,000 residents aged 10-17', 'lower_better', '{offence,youth_offending,address,population_estimate}', 'proven offences', 'mid-year residents aged 10-17', 'Youth justice DPIA (children''s criminal offence data)', 'Children''s data: counts below 10 suppressed (safe_count, threshold 10) with secondary suppression across wards (suppress_table); ward figures published for financial years only, never quarters; rates from suppressed counts suppressed', 'offence', 'count(*)', 'population', NULL, 10, 17, NULL, 1000, 'yot_case', 'yot_case_id', 'offence_date', NULL, 'quarter', true),
  ('missing_episodes_rate', 'safety', 'Children missing from home or care', 'Missing episodes of children known to social care starting in the period, per 1,000 residents aged 0 to 17 (ward of the childs social care record)', 'per 1,000 children aged 0-17', 'lower_better', '{missing_episode,childrens_social_care,address,population_estimate}', 'missing episodes', 'mid-year residents aged 0-17', 'Children''s social care DPIA (children''s personal data)', 'Children''s data: counts below 10 suppressed (safe_count, threshold 10) with secondary suppression across wards (suppress_table); ward figures published for financial years only, never quarters; rates from suppressed counts suppressed', 'missing_episode', 'count(*)', 'population', NULL, 0, 17, NULL, 1000, 'lcs_person', 'lcs_person_id', 'went_missing', NULL, 'quarter', true),
  ('csc_cp_rate', 'safety', 'Child protection', 'Childrens social care episodes of child protection starting in the period, per 1,000 residents aged 0 to 17', 'per 1,000 children aged 0-17', 'lower_better', '{childrens_social_care,address,population_estimate}', 'child protection episodes', 'mid-year residents aged 0-17', 'Children''s social care DPIA (children''s personal data)', 'Children''s data: counts below 10 suppressed (safe_count, threshold 10) with secondary suppression across wards (suppress_table); ward figures published for financial years only, never quarters; rates from suppressed counts suppressed', 'childrens_social_care', 'count(*) filter (where category = ''CP'')', 'population', NULL, 0, 17, NULL, 1000, 'postcode', 'postcode', 'referral_date', NULL, 'quarter', true),
  ('csc_lac_rate', 'safety', 'Children becoming looked after', 'Childrens social care episodes of looked after children starting in the period, per 1,000 residents aged 0 to 17', 'per 1,000 children aged 0-17', 'lower_better', '{childrens_social_care,address,population_estimate}', 'looked after episodes', 'mid-year residents aged 0-17', 'Children''s social care DPIA (children''s personal data)', 'Children''s data: counts below 10 suppressed (safe_count, threshold 10) with secondary suppression across wards (suppress_table); ward figures published for financial years only, never quarters; rates from suppressed counts suppressed', 'childrens_social_care', 'count(*) filter (where category = ''LAC'')', 'population', NULL, 0, 17, NULL, 1000, 'postcode', 'postcode', 'referral_date', NULL, 'quarter', true),
  ('no2_exceed_share', 'environment', 'NO2 above the limit value', 'Share of monitoring site-months whose mean NO2 is above 40 µg/m³ (the UK annual mean limit value)', '% of site-months with a reading', 'lower_better', '{air_quality_reading,air_quality_site}', 'site-months above 40 µg/m³', 'site-months with an NO2 reading', 'None: aggregate environmental data', 'None: measurements at monitoring sites, not about people (published as they are)', 'air_quality_reading', 'count(*) filter (where no2 > 40)', 'measure', 'count(no2)', NULL, NULL, NULL, 100, 'site', 'site_id', 'month', NULL, 'quarter', true),
  ('no2_max', 'environment', 'Highest monthly NO2', 'Highest monthly mean NO2 at a monitoring site in the area in the period', 'µg/m³', 'lower_better', '{air_quality_reading,air_quality_site}', 'the highest monthly mean', NULL, 'None: aggregate environmental data', 'None: measurements at monitoring sites, not about people (published as they are)', 'air_quality_reading', 'max(no2)', 'none', NULL, NULL, NULL, NULL, 1, 'site', 'site_id', 'month', NULL, 'quarter', true),
  ('pm25_exceed_share', 'environment', 'PM2.5 above the 2040 target', 'Share of monitoring site-months whose mean PM2.5 is above 10 µg/m³ (the England annual mean target for 2040)', '% of site-months with a reading', 'lower_better', '{air_quality_reading,air_quality_site}', 'site-months above 10 µg/m³', 'site-months with a PM2.5 reading', 'None: aggregate environmental data', 'None: measurements at monitoring sites, not about people (published as they are)', 'air_quality_reading', 'count(*) filter (where pm25 > 10)', 'measure', 'count(pm25)', NULL, NULL, NULL, 100, 'site', 'site_id', 'month', NULL, 'quarter', true),
  ('pm25_max', 'environment', 'Highest monthly PM2.5', 'Highest monthly mean PM2.5 at a monitoring site in the area in the period', 'µg/m³', 'lower_better', '{air_quality_reading,air_quality_site}', 'the highest monthly mean', NULL, 'None: aggregate environmental data', 'None: measurements at monitoring sites, not about people (published as they are)', 'air_quality_reading', 'max(pm25)', 'none', NULL, NULL, NULL, NULL, 1, 'site', 'site_id', 'month', NULL, 'quarter', true),
  ('pm10_exceed_share', 'environment', 'PM10 above the WHO guideline', 'Share of monitoring site-months whose mean PM10 is above 20 µg/m³ (the WHO 2005 annual guideline)', '% of site-months with a reading', 'lower_better', '{air_quality_reading,air_quality_site}', 'site-months above 20 µg/m³', 'site-months with a PM10 reading', 'None: aggregate environmental data', 'None: measurements at monitoring sites, not about people (published as they are)', 'air_quality_reading', 'count(*) filter (where pm10 > 20)', 'measure', 'count(pm10)', NULL, NULL, NULL, 100, 'site', 'site_id', 'month', NULL, 'quarter', true),
  ('air_monitor_downtime_share', 'environment', 'Air quality monitors down', 'Share of monitoring site-months without an NO2 reading (the sensor was down)', '% of site-months', 'lower_better', '{air_quality_reading,air_quality_site}', 'site-months without a reading', 'site-months', 'None: aggregate environmental data', 'None: measurements at monitoring sites, not about people (published as they are)', 'air_quality_reading', 'count(*) filter (where no2 is null)', 'measure', 'count(*)', NULL, NULL, NULL, 100, 'site', 'site_id', 'month', NULL, 'quarter', true),
  ('fly_tipping_rate', 'environment', 'Fly-tipping', 'Fly-tipping incidents reported in the period, per 1,000 residents', 'per 1,000 residents', 'lower_better', '{asb_incident,population_estimate}', 'fly-tipping incidents', 'mid-year residents', 'Community safety DPIA (incident records linked to ASB case parties)', 'Incidents at a place, not people: published by ward as counts; an incident category with fewer than 5 incidents in a ward and period is shown as fewer than 5 (may point to a household)', 'asb_incident', 'count(*) filter (where category = ''fly-tipping'')', 'population', NULL, NULL, NULL, NULL, 1000, 'ward', 'ward_code', 'occurred_on', NULL, 'quarter', true),
  ('noise_rate', 'environment', 'Noise nuisance', 'Noise incidents in the period, per 1,000 residents', 'per 1,000 residents', 'lower_better', '{asb_incident,population_estimate}', 'noise incidents', 'mid-year residents', 'Community safety DPIA (incident records linked to ASB case parties)', 'Incidents at a place, not people: published by ward as counts; an incident category with fewer than 5 incidents in a ward and period is shown as fewer than 5 (may point to a household)', 'asb_incident', 'count(*) filter (where category = ''noise'')', 'population', NULL, NULL, NULL, NULL, 1000, 'ward', 'ward_code', 'occurred_on', NULL, 'quarter', true),
  ('vehicle_nuisance_rate', 'environment', 'Vehicle nuisance', 'Vehicle nuisance incidents (abandoned, inappropriately used vehicles) in the period, per 1,000 residents', 'per 1,000 residents', 'lower_better', '{asb_incident,population_estimate}', 'vehicle nuisance incidents', 'mid-year residents', 'Community safety DPIA (incident records linked to ASB case parties)', 'Incidents at a place, not people: published by ward as counts; an incident category with fewer than 5 incidents in a ward and period is shown as fewer than 5 (may point to a household)', 'asb_incident', 'count(*) filter (where category = ''vehicle nuisance'')', 'population', NULL, NULL, NULL, NULL, 1000, 'ward', 'ward_code', 'occurred_on', NULL, 'quarter', true),
  ('asc_new_clients_rate', 'health and wellbeing', 'New adult social care clients', 'Adults starting long-term social care support in the period, per 1,000 residents aged 18 and over', 'per 1,000 residents aged 18+', 'neutral', '{adult_social_care,address,population_estimate}', 'clients starting a service', 'mid-year residents aged 18+', 'Adult social care DPIA (special category: health and care data)', 'Special category (health) data: counts below 10 suppressed (safe_count, threshold 10) with secondary suppression (suppress_table); borough figures only unless every ward count is 10 or more; rates from suppressed counts suppressed', 'adult_social_care', 'count(*)', 'population', NULL, 18, 90, NULL, 1000, 'postcode', 'postcode', 'service_start', NULL, 'quarter', true),
  ('asc_mental_health_rate', 'health and wellbeing', 'Social care for mental health', 'Adults starting social care whose primary support reason is mental health support, per 1,000 residents aged 18 and over', 'per 1,000 residents aged 18+', 'lower_better', '{adult_social_care,address,population_estimate}', 'clients for mental health support', 'mid-year residents aged 18+', 'Adult social care DPIA (special category: health and care data)', 'Special category (health) data: counts below 10 suppressed (safe_count, threshold 10) with secondary suppression (suppress_table); borough figures only unless every ward count is 10 or more; rates from suppressed counts suppressed', 'adult_social_care', 'count(*) filter (where primary_support_reason = ''mental health support'')', 'population', NULL, 18, 90, NULL, 1000, 'postcode', 'postcode', 'service_start', NULL, 'quarter', true),
  ('asc_memory_cognition_rate', 'health and wellbeing', 'Social care for memory and cognition', 'Adults starting social care for memory and cognition (a dementia proxy), per 1,000 residents aged 65 and over', 'per 1,000 residents aged 65+', 'lower_better', '{adult_social_care,address,population_estimate}', 'clients for memory and cognition', 'mid-year residents aged 65+', 'Adult social care DPIA (special category: health and care data)', 'Special category (health) data: counts below 10 suppressed (safe_count, threshold 10) with secondary suppression (suppress_table); borough figures only unless every ward count is 10 or more; rates from suppressed counts suppressed', 'adult_social_care', 'count(*) filter (where primary_support_reason = ''memory and cognition'')', 'population', NULL, 65, 90, NULL, 1000, 'postcode', 'postcode', 'service_start', NULL, 'quarter', true),
  ('asc_learning_disability_rate', 'health and wellbeing', 'Social care for learning disability', 'Adults starting learning disability support in the period, per 1,000 residents aged 18 to 64', 'per 1,000 residents aged 18-64', 'neutral', '{adult_social_care,address,population_estimate}', 'clients for learning disability support', 'mid-year residents aged 18-64', 'Adult social care DPIA (special category: health and care data)', 'Special category (health) data: counts below 10 suppressed (safe_count, threshold 10) with secondary suppression (suppress_table); borough figures only unless every ward count is 10 or more; rates from suppressed counts suppressed', 'adult_social_care', 'count(*) filter (where primary_support_reason = ''learning disability support'')', 'population', NULL, 18, 64, NULL, 1000, 'postcode', 'postcode', 'service_start', NULL, 'quarter', true),
  ('hv_visit_14_days_share', 'health and wellbeing', 'New birth visits within 14 days', 'Share of health visiting first visits in the period made within 14 days of the childs birth (a Public Health Outcomes Framework measure; a missing date of birth counts as not within)', '% of first visits', 'higher_better', '{health_visiting,address}', 'first visits within 14 days of birth', 'first visits', 'Public health 0-19 DPIA (special category: children''s health data)', 'Special category (health) data: counts below 10 suppressed (safe_count, threshold 10) with secondary suppression (suppress_table); borough figures only unless every ward count is 10 or more; rates from suppressed counts suppressed', 'health_visiting', 'count(*) filter (where first_visit_date - child_dob <= 14)', 'measure', 'count(*)', NULL, NULL, NULL, 100, 'postcode', 'postcode', 'first_visit_date', NULL, 'quarter', true),
  ('hv_first_visits_rate', 'health and wellbeing', 'Health visiting first visits', 'Children with a first health visit in the period, per 1,000 residents aged 0 to 4', 'per 1,000 children aged 0-4', 'neutral', '{health_visiting,address,population_estimate}', 'first visits', 'mid-year residents aged 0-4', 'Public health 0-19 DPIA (special category: children''s health data)', 'Special category (health) data: counts below 10 suppressed (safe_count, threshold 10) with secondary suppression (suppress_table); borough figures only unless every ward count is 10 or more; rates from suppressed counts suppressed', 'health_visiting', 'count(*)', 'population', NULL, 0, 4, NULL, 1000, 'postcode', 'postcode', 'first_visit_date', NULL, 'quarter', true),
  ('mental_health_flag_rate', 'health and wellbeing', 'Mental health flags', 'Mental health flags shared in the period, per 1,000 residents aged 18 and over (borough only: flags carry no address)', 'per 1,000 residents aged 18+', 'lower_better', '{health_flag,population_estimate}', 'mental health flags recorded', 'mid-year residents aged 18+', 'Health data sharing agreement DPIA (special category: health data, Article 9(2)(h))', 'Special category (health) data: counts below 10 suppressed (safe_count, threshold 10) with secondary suppression (suppress_table); borough figures only unless every ward count is 10 or more; rates from suppressed counts suppressed', 'health_flag', 'count(*) filter (where flag = ''mental_health'')', 'population', NULL, 18, 90, NULL, 1000, 'none', NULL, 'recorded_on', NULL, 'quarter', true),
  ('substance_misuse_flag_rate', 'health and wellbeing', 'Substance misuse flags', 'Substance misuse flags shared in the period, per 1,000 residents aged 18 and over (borough only)', 'per 1,000 residents aged 18+', 'lower_better', '{health_flag,population_estimate}', 'substance misuse flags recorded', 'mid-year residents aged 18+', 'Health data sharing agreement DPIA (special category: health data, Article 9(2)(h))', 'Special category (health) data: counts below 10 suppressed (safe_count, threshold 10) with secondary suppression (suppress_table); borough figures only unless every ward count is 10 or more; rates from suppressed counts suppressed', 'health_flag', 'count(*) filter (where flag = ''substance_misuse'')', 'population', NULL, 18, 90, NULL, 1000, 'none', NULL, 'recorded_on', NULL, 'quarter', true),
  ('new_mother_rate', 'health and wellbeing', 'New mothers', 'New mother flags in the period per 1,000 women aged 15 to 44 (a general fertility rate proxy; borough only)', 'per 1,000 women aged 15-44', 'neutral', '{health_flag,population_estimate}', 'new mother flags recorded', 'mid-year women aged 15-44', 'Health data sharing agreement DPIA (special category: health data, Article 9(2)(h))', 'Special category (health) data: counts below 10 suppressed (safe_count, threshold 10) with secondary suppression (suppress_table); borough figures only unless every ward count is 10 or more; rates from suppressed counts suppressed', 'health_flag', 'count(*) filter (where flag = ''new_mother'')', 'population', NULL, 15, 44, 'F', 1000, 'none', NULL, 'recorded_on', NULL, 'quarter', true),
  ('csc_cin_rate', 'health and wellbeing', 'Children in need', 'Childrens social care child in need episodes starting in the period, per 1,000 residents aged 0 to 17', 'per 1,000 children aged 0-17', 'lower_better', '{childrens_social_care,address,population_estimate}', 'child in need episodes', 'mid-year residents aged 0-17', 'Children''s social care DPIA (children''s personal data)', 'Children''s data: counts below 10 suppressed (safe_count, threshold 10) with secondary suppression across wards (suppress_table); ward figures published for financial years only, never quarters; rates from suppressed counts suppressed', 'childrens_social_care', 'count(*) filter (where category = ''CIN'')', 'population', NULL, 0, 17, NULL, 1000, 'postcode', 'postcode', 'referral_date', NULL, 'quarter', true),
  ('unauthorised_absence_share', 'skills and education', 'Unauthorised absence', 'Sessions of unauthorised absence as a share of possible sessions, by academic year (ward of the pupils census postcode)', '% of possible sessions', 'lower_better', '{school_attendance,school_census,address}', 'sessions of unauthorised absence', 'possible sessions', 'Education DPIA (pupils'' personal data)', 'Counts of residents or their records below 10 suppressed (safe_count, threshold 10) with secondary suppression across the wards of a period (suppress_table); a rate whose numerator is suppressed is suppressed; published counts rounded to base 5 (round_to_base)', 'school_attendance', 'sum(sessions_unauthorised_absence)', 'measure', 'sum(sessions_possible)', NULL, NULL, NULL, 100, 'upn', 'upn', NULL, 'academic_year', 'academic_year', true),
  ('authorised_absence_share', 'skills and education', 'Authorised absence', 'Sessions of authorised absence as a share of possible sessions, by academic year', '% of possible sessions', 'lower_better', '{school_attendance,school_census,address}', 'sessions of authorised absence', 'possible sessions', 'Education DPIA (pupils'' personal data)', 'Counts of residents or their records below 10 suppressed (safe_count, threshold 10) with secondary suppression across the wards of a period (suppress_table); a rate whose numerator is suppressed is suppressed; published counts rounded to base 5 (round_to_base)', 'school_attendance', 'sum(sessions_authorised_absence)', 'measure', 'sum(sessions_possible)', NULL, NULL, NULL, 100, 'upn', 'upn', NULL, 'academic_year', 'academic_year', true),
  ('suspensions_rate', 'skills and education', 'Suspensions', 'Suspensions in the period, per 1,000 residents aged 5 to 15 (ward of the pupils census postcode)', 'per 1,000 residents aged 5-15', 'lower_better', '{school_exclusion,school_census,address,population_estimate}', 'suspensions', 'mid-year residents aged 5-15', 'Education DPIA (pupils'' personal data)', 'Children''s data: counts below 10 suppressed (safe_count, threshold 10) with secondary suppression across wards (suppress_table); ward figures published for financial years only, never quarters; rates from suppressed counts suppressed', 'school_exclusion', 'count(*) filter (where category = ''suspension'')', 'population', NULL, 5, 15, NULL, 1000, 'upn', 'upn', 'exclusion_date', NULL, 'quarter', true),
  ('permanent_exclusions_rate', 'skills and education', 'Permanent exclusions', 'Permanent exclusions in the period, per 1,000 residents aged 5 to 15', 'per 1,000 residents aged 5-15', 'lower_better', '{school_exclusion,school_census,address,population_estimate}', 'permanent exclusions', 'mid-year residents aged 5-15', 'Education DPIA (pupils'' personal data)', 'Children''s data: counts below 10 suppressed (safe_count, threshold 10) with secondary suppression across wards (suppress_table); ward figures published for financial years only, never quarters; rates from suppressed counts suppressed', 'school_exclusion', 'count(*) filter (where category = ''permanent'')', 'population', NULL, 5, 15, NULL, 1000, 'upn', 'upn', 'exclusion_date', NULL, 'quarter', true),
  ('cme_referrals_rate', 'skills and education', 'Children missing education', 'Referrals of children missing education in the period, per 1,000 residents aged 5 to 15', 'per 1,000 residents aged 5-15', 'lower_better', '{cme_referral,address,population_estimate}', 'referrals', 'mid-year residents aged 5-15', 'Education DPIA (children missing education: children''s personal data)', 'Children''s data: counts below 10 suppressed (safe_count, threshold 10) with secondary suppression across wards (suppress_table); ward figures published for financial years only, never quarters; rates from suppressed counts suppressed', 'cme_referral', 'count(*)', 'population', NULL, 5, 15, NULL, 1000, 'postcode', 'postcode', 'referred_on', NULL, 'quarter', true),
  ('ehcp_new_plans_rate', 'skills and education', 'New EHC plans', 'Education, health and care plans issued in the period, per 1,000 residents aged 0 to 24', 'per 1,000 residents aged 0-24', 'neutral', '{ehcp,address,population_estimate}', 'plans issued', 'mid-year residents aged 0-24', 'SEND DPIA (special category: children''s health and educational needs)', 'Children''s data: counts below 10 suppressed (safe_count, threshold 10) with secondary suppression across wards (suppress_table); ward figures published for financial years only, never quarters; rates from suppressed counts suppressed', 'ehcp', 'count(*)', 'population', NULL, 0, 24, NULL, 1000, 'postcode', 'postcode', 'plan_start', NULL, 'quarter', true),
  ('ehcp_asd_share', 'skills and education', 'New EHC plans for autism', 'Share of the EHC plans issued in the period whose primary need is autistic spectrum disorder (ASD)', '% of plans issued', 'neutral', '{ehcp,address}', 'plans issued for ASD', 'plans issued', 'SEND DPIA (special category: children''s health and educational needs)', 'Children''s data: counts below 10 suppressed (safe_count, threshold 10) with secondary suppression across wards (suppress_table); ward figures published for financial years only, never quarters; rates from suppressed counts suppressed', 'ehcp', 'count(*) filter (where primary_need = ''ASD'')', 'measure', 'count(*)', NULL, NULL, NULL, 100, 'postcode', 'postcode', 'plan_start', NULL, 'quarter', true),
  ('ey_2yo_funded_rate', 'skills and education', 'Funded places for 2-year-olds', 'Children starting a funded place for 2-year-olds in the period, per 1,000 residents aged 0 to 4', 'per 1,000 children aged 0-4', 'higher_better', '{early_years,address,population_estimate}', 'starts of 2-year-old funded places', 'mid-year residents aged 0-4', 'Early years and childcare DPIA (children''s personal data)', 'Counts of residents or their records below 10 suppressed (safe_count, threshold 10) with secondary suppression across the wards of a period (suppress_table); a rate whose numerator is suppressed is suppressed; published counts rounded to base 5 (round_to_base)', 'early_years', 'count(*) filter (where funded_entitlement = ''2-year-old funded'')', 'population', NULL, 0, 4, NULL, 1000, 'postcode', 'postcode', 'start_date', NULL, 'quarter', true),
  ('ey_universal_15h_rate', 'skills and education', 'Universal 15 hours for 3-4 year olds', 'Children starting the universal 15 hours in the period, per 1,000 residents aged 0 to 4', 'per 1,000 children aged 0-4', 'higher_better', '{early_years,address,population_estimate}', 'starts of the universal 15 hours', 'mid-year residents aged 0-4', 'Early years and childcare DPIA (children''s personal data)', 'Counts of residents or their records below 10 suppressed (safe_count, threshold 10) with secondary suppression across the wards of a period (suppress_table); a rate whose numerator is suppressed is suppressed; published counts rounded to base 5 (round_to_base)', 'early_years', 'count(*) filter (where funded_entitlement = ''3-4 universal 15 hours'')', 'population', NULL, 0, 4, NULL, 1000, 'postcode', 'postcode', 'start_date', NULL, 'quarter', true),
  ('benefit_claims_rate', 'deprivation', 'New benefit claims', 'Housing benefit, council tax reduction and Universal Credit housing costs claims started in the period, per 1,000 residents aged 18 and over', 'per 1,000 residents aged 18+', 'lower_better', '{revenues_benefits,address,population_estimate}', 'claims started', 'mid-year residents aged 18+', 'Revenues and benefits analytics DPIA (claimants'' personal and financial data)', 'Counts of residents or their records below 10 suppressed (safe_count, threshold 10) with secondary suppression across the wards of a period (suppress_table); a rate whose numerator is suppressed is suppressed; published counts rounded to base 5 (round_to_base)', 'revenues_benefits', 'count(*)', 'population', NULL, 18, 90, NULL, 1000, 'postcode', 'postcode', 'claim_start', NULL, 'quarter', true),
  ('ctr_claims_rate', 'deprivation', 'New council tax reduction claims', 'Council tax reduction claims started in the period, per 1,000 residents aged 18 and over', 'per 1,000 residents aged 18+', 'lower_better', '{revenues_benefits,address,population_estimate}', 'council tax reduction claims started', 'mid-year residents aged 18+', 'Revenues and benefits analytics DPIA (claimants'' personal and financial data)', 'Counts of residents or their records below 10 suppressed (safe_count, threshold 10) with secondary suppression across the wards of a period (suppress_table); a rate whose numerator is suppressed is suppressed; published counts rounded to base 5 (round_to_base)', 'revenues_benefits', 'count(*) filter (where claim_type = ''Council Tax Reduction'')', 'population', NULL, 18, 90, NULL, 1000, 'postcode', 'postcode', 'claim_start', NULL, 'quarter', true),
  ('out_of_work_claims_share', 'deprivation', 'New claims by people out of work', 'Share of benefit claims started in the period whose claimant is out of work', '% of new claims', 'lower_better', '{revenues_benefits,address}', 'claims started, claimant out of work', 'claims started', 'Revenues and benefits analytics DPIA (claimants'' personal and financial data)', 'Counts of residents or their records below 10 suppressed (safe_count, threshold 10) with secondary suppression across the wards of a period (suppress_table); a rate whose numerator is suppressed is suppressed; published counts rounded to base 5 (round_to_base)', 'revenues_benefits', 'count(*) filter (where out_of_work)', 'measure', 'count(*)', NULL, NULL, NULL, 100, 'postcode', 'postcode', 'claim_start', NULL, 'quarter', true),
  ('early_help_hardship_rate', 'deprivation', 'Early help for financial hardship', 'Early help episodes started in the period whose primary need is financial hardship, per 1,000 residents aged 0 to 17', 'per 1,000 children aged 0-17', 'lower_better', '{early_help_episode,address,population_estimate}', 'early help episodes for financial hardship', 'mid-year residents aged 0-17', 'Early help DPIA (family support records: children''s and adults'' personal data)', 'Counts of residents or their records below 10 suppressed (safe_count, threshold 10) with secondary suppression across the wards of a period (suppress_table); a rate whose numerator is suppressed is suppressed; published counts rounded to base 5 (round_to_base)', 'early_help_episode', 'count(*) filter (where primary_need = ''financial hardship'')', 'population', NULL, 0, 17, NULL, 1000, 'postcode', 'postcode', 'started_on', NULL, 'quarter', true),
  ('ctax_band_a_share', 'deprivation', 'New accounts in band A', 'Share of council tax liabilities starting in the period on band A properties (the lowest values)', '% of new accounts', 'neutral', '{council_tax,address}', 'new liabilities in band A', 'liabilities started', 'Council tax analytics DPIA (liable persons'' personal and financial data)', 'Counts of residents or their records below 10 suppressed (safe_count, threshold 10) with secondary suppression across the wards of a period (suppress_table); a rate whose numerator is suppressed is suppressed; published counts rounded to base 5 (round_to_base)', 'council_tax', 'count(*) filter (where band = ''A'')', 'measure', 'count(*)', NULL, NULL, NULL, 100, 'postcode', 'postcode', 'liability_start', NULL, 'quarter', true);

-- the shipped rules as the readers apply them
UPDATE brent_mdm.indicator_catalogue SET disclosure_control = CASE
    WHEN disclosure_rule LIKE 'None:%' THEN 'none'
    WHEN disclosure_rule LIKE '%ward figures published for financial years only%' THEN 'suppress_wards_by_year'
    WHEN disclosure_rule LIKE '%borough figures only unless every ward count is 10 or more%' THEN 'suppress_borough_only'
    WHEN disclosure_rule LIKE 'Incidents at a place, not people%' THEN 'small_below_5'
    ELSE 'suppress' END
 WHERE shipped;

-- ---- who may read the catalogue's true figures ----
--
-- The readers (indicator_values, indicator_changes, indicator_trends, indicator_ward_ranks,
-- indicator_values_published, indicator_dashboard) run as their caller and read the rollups
-- of the borough, whose owner (the installer) grants SELECT on them.  Members of
-- brent_mdm_indicator_admin hold the catalogue's internal helpers the readers use and the
-- list of what is installed; anyone else is refused by PostgreSQL's own privileges (42501).
GRANT SELECT ON brent_mdm.indicator_catalogue_installed, brent_mdm.indicator_catalogue_ward_state,
  brent_mdm.indicator_catalogue_ward_rollup TO brent_mdm_indicator_admin;
GRANT EXECUTE ON FUNCTION
  brent_mdm.indicator_catalogue_check(name, text, text, date, date, text),
  brent_mdm.indicator_catalogue_sql(name, text[], text, date, date),
  brent_mdm.indicator_catalogue_window(name),
  brent_mdm.indicator_catalogue_lookup_rollup(name, text),
  brent_mdm.indicator_catalogue_rollup_name(name, text),
  brent_mdm.indicator_grain_step(text)
  TO brent_mdm_indicator_admin;
