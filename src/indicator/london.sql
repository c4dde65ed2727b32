-- ---- indicator: real London reference data (issue 13, first slice) ----
--
-- Two open datasets shipped with the extension (data/london/, unchanged copies;
-- data/london/SOURCES.md), loaded at CREATE EXTENSION from SQL generated at
-- build time by src/indicator/london_data.pl:
--   * the GLA's London Borough Profiles (2017 edition): 82 figures for each of
--     the 33 London local authorities, Inner and Outer London, London, England
--     and the United Kingdom, in long form (london_profile), with the original
--     column names in london_profile_measure;
--   * the Metropolitan Police's recorded crime by borough, major and minor
--     category and month, January 2008 to December 2016 (london_crime).
-- Both under the UK Open Government Licence v3.0; london_attribution() gives
-- the text to show with them.  Public open data about areas (no personal data):
-- readable by PUBLIC, writable by no one but the owner, and not dumped by
-- pg_dump (CREATE EXTENSION writes them again).

CREATE TABLE brent_mdm.london_area (
  area_code text PRIMARY KEY CHECK (area_code ~ '^[EKNSW][0-9]{8}$'),
  area_name text NOT NULL UNIQUE,
  kind      text NOT NULL CHECK (kind IN ('london_borough', 'city', 'sub_region', 'region', 'country'))
);
COMMENT ON TABLE brent_mdm.london_area IS
  'The areas of the GLA London Borough Profiles, by ONS GSS code: the 33 London local authorities (kind london_borough, or city for the City of London E09000001; E09000005 is Brent), Inner and Outer London (sub_region, E13000001 and E13000002), London (region, E12000007), England (country, E92000001) and the United Kingdom (country, K02000001). Contains public sector information licensed under the Open Government Licence v3.0 (source: Greater London Authority, London Datastore)';

CREATE TABLE brent_mdm.london_profile_measure (
  measure        text PRIMARY KEY,
  label          text NOT NULL UNIQUE,
  reference_year text,
  unit           text,
  value_type     text NOT NULL CHECK (value_type IN ('number', 'text')),
  position       integer NOT NULL UNIQUE
);
COMMENT ON TABLE brent_mdm.london_profile_measure IS
  'The figures of the GLA London Borough Profiles 2017: measure (a name made from the column''s), label (the column''s name as published), reference_year and unit (when the column''s name states them; NULL otherwise), value_type (number: london_profile.value; text: value_text), position (column order). Contains public sector information licensed under the Open Government Licence v3.0 (source: Greater London Authority, London Datastore)';

CREATE TABLE brent_mdm.london_profile (
  area_code  text NOT NULL REFERENCES brent_mdm.london_area,
  measure    text NOT NULL REFERENCES brent_mdm.london_profile_measure,
  value      numeric,
  value_text text,
  PRIMARY KEY (area_code, measure),
  CHECK ((value IS NULL) <> (value_text IS NULL))
);
COMMENT ON TABLE brent_mdm.london_profile IS
  'GLA London Borough Profiles 2017 in long form: one row per area (london_area) and figure; a figure missing in the published file (NaN, - or .) has no row (never 0). Contains public sector information licensed under the Open Government Licence v3.0 (source: Greater London Authority, London Datastore)';

CREATE TABLE brent_mdm.london_crime (
  borough        text NOT NULL,
  area_code      text NOT NULL REFERENCES brent_mdm.london_area,
  major_category text NOT NULL,
  minor_category text NOT NULL,
  month          date NOT NULL CHECK (month = date_trunc('month', month)::date),
  offences       integer NOT NULL CHECK (offences >= 0),
  PRIMARY KEY (area_code, major_category, minor_category, month)
);
COMMENT ON TABLE brent_mdm.london_crime IS
  'Metropolitan Police Service recorded crime by borough (32, not the City of London), major and minor category and month (first day), January 2008 to December 2016: offences recorded. Contains public sector information licensed under the Open Government Licence v3.0 (source: Metropolitan Police Service, London Datastore)';

CREATE FUNCTION brent_mdm.london_attribution() RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN 'Contains public sector information licensed under the Open Government Licence v3.0. '
       'Sources: Greater London Authority, London Borough Profiles 2017; Metropolitan Police Service, '
       'recorded crime by borough 2008-2016 (London Datastore, data.london.gov.uk).';
COMMENT ON FUNCTION brent_mdm.london_attribution() IS
  'The attribution the Open Government Licence asks for, to show with any figure of london_profile or london_crime';

REVOKE ALL ON brent_mdm.london_area, brent_mdm.london_profile_measure, brent_mdm.london_profile,
              brent_mdm.london_crime FROM PUBLIC;
GRANT SELECT ON brent_mdm.london_area, brent_mdm.london_profile_measure, brent_mdm.london_profile,
                brent_mdm.london_crime TO PUBLIC;
GRANT EXECUTE ON FUNCTION brent_mdm.london_attribution() TO PUBLIC;

-- Rank of an authority among the London authorities on one profile figure.
-- rank 1 is the highest value (the profiles say nothing of polarity: whether
-- higher is better depends on the figure); ties share a rank (rank());
-- quartile 1 holds ranks 1 .. n/4 (ceil(4 * rank / n), so ties share it too);
-- authorities = n, those with a value.  London and England values are those
-- the profiles publish for them (E12000007, E92000001; NULL where the profiles
-- have none), not computed from the authorities.
CREATE FUNCTION brent_mdm.london_rank(measure text, area_code text DEFAULT 'E09000005')
RETURNS TABLE (label text, reference_year text, area_name text,
               value numeric, rank integer, authorities integer, quartile integer,
               london_value numeric, england_value numeric)
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  m brent_mdm.london_profile_measure;
  a brent_mdm.london_area;
BEGIN
  SELECT * INTO m FROM brent_mdm.london_profile_measure pm WHERE pm.measure = london_rank.measure;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = '22023',
      MESSAGE = format('unknown London profile measure %L', london_rank.measure),
      HINT = 'The measures are the rows of brent_mdm.london_profile_measure (e.g. gla_population_estimate_2017).';
  END IF;
  IF m.value_type <> 'number' THEN
    RAISE EXCEPTION USING ERRCODE = '22023',
      MESSAGE = format('London profile measure %L is text, not a number', london_rank.measure),
      DETAIL = format('Column %s holds names, not numbers.', m.label),
      HINT = 'Rank a measure whose value_type is number.';
  END IF;
  SELECT * INTO a FROM brent_mdm.london_area la WHERE la.area_code = london_rank.area_code;
  IF NOT FOUND OR a.kind NOT IN ('london_borough', 'city') THEN
    RAISE EXCEPTION USING ERRCODE = '22023',
      MESSAGE = format('%L is not a London authority of brent_mdm.london_area', london_rank.area_code),
      HINT = 'Give a GSS code E09000001 .. E09000033 (Brent is E09000005).';
  END IF;
  RETURN QUERY
  WITH v AS (
    SELECT p.area_code, p.value FROM brent_mdm.london_profile p
      JOIN brent_mdm.london_area la ON la.area_code = p.area_code AND la.kind IN ('london_borough', 'city')
     WHERE p.measure = m.measure),
  r AS (SELECT v.area_code, v.value, (pg_catalog.rank() OVER (ORDER BY v.value DESC))::integer AS rank,
               (pg_catalog.count(*) OVER ())::integer AS n
          FROM v)
  SELECT m.label, m.reference_year, a.area_name, r.value, r.rank,
         (SELECT pg_catalog.count(*)::integer FROM v),
         CASE WHEN r.rank IS NOT NULL THEN pg_catalog.ceil(4.0 * r.rank / r.n)::integer END,
         (SELECT p.value FROM brent_mdm.london_profile p WHERE p.area_code = 'E12000007' AND p.measure = m.measure),
         (SELECT p.value FROM brent_mdm.london_profile p WHERE p.area_code = 'E92000001' AND p.measure = m.measure)
    FROM (SELECT 1) one LEFT JOIN r ON r.area_code = a.area_code;
END
$fn$;
COMMENT ON FUNCTION brent_mdm.london_rank(text, text) IS
  'Rank (1 = highest value, ties share), quartile (1 = top quarter) and count of London authorities with a value, for one authority (default Brent, E09000005) on one number figure of the London Borough Profiles; london_value and england_value are the figures the profiles publish for London (E12000007) and England (E92000001), NULL where they publish none. Value NULL and no rank when the authority''s figure is missing';
GRANT EXECUTE ON FUNCTION brent_mdm.london_rank(text, text) TO PUBLIC;
