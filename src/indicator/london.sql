-- ---- indicator: real London reference data (issue 13, first slice) ----
--
-- Two open datasets shipped with the extension (data/london/, unchanged copies;
-- data/london/SOURCES.md), loaded at CREATE EXTENSION from SQL generated at
-- build time by src/indicator/london_data.pl:
--   * the GLA's London Borough Profiles (2017 edition): 82 figures for each of
--     the 33 London local authorities, in long form (london_profile), with the
--     original column names in london_profile_measure;
--   * the Metropolitan Police's recorded crime by borough, major and minor
--     category and month, January 2008 to December 2016 (london_crime).
-- Both under the UK Open Government Licence v3.0; london_attribution() gives
-- the text to show with them.  Public open data about areas (no personal data):
-- readable by PUBLIC, writable by no one but the owner, and not dumped by
-- pg_dump (CREATE EXTENSION writes them again).

CREATE TABLE brent_mdm.london_area (
  area_code text PRIMARY KEY CHECK (area_code ~ '^[EKNSW][0-9]{8}$'),
  area_name text NOT NULL UNIQUE,
  kind      text NOT NULL CHECK (kind IN ('london_borough', 'city', 'region', 'country'))
);
COMMENT ON TABLE brent_mdm.london_area IS
  'London local authorities of the GLA London Borough Profiles, by ONS GSS code (E09000005 is Brent); kind london_borough or city (the City of London); regions and countries are allowed but the shipped file holds none. Contains public sector information licensed under the Open Government Licence v3.0 (source: Greater London Authority, London Datastore)';

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
  'GLA London Borough Profiles 2017 in long form: one row per authority and figure; a figure missing in the published file (NaN, - or .) has no row (never 0). Contains public sector information licensed under the Open Government Licence v3.0 (source: Greater London Authority, London Datastore)';

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
