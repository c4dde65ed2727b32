-- The synthetic borough: shape, validity of every identifier, geography,
-- determinism, and what is left behind when a run is cancelled.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS brent_mdm CASCADE;

SELECT table_name, rows > 0 AS has_rows
  FROM brent_mdm.generate_borough(3000, seed => 42, target_schema => 'b42')
 ORDER BY table_name::text;

SELECT key, value FROM b42.about WHERE key <> 'generator' ORDER BY key;

-- exactly the people asked for
SELECT count(*) AS people FROM b42_truth.person;

-- every NHS number, in every table, passes modulus 11
CREATE FUNCTION pg_temp.nhs_ok(n text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
  SELECT n ~ '^[0-9]{10}$' AND
         (11 - (SELECT sum(substr(n, i, 1)::int * (11 - i)) FROM generate_series(1, 9) i) % 11) % 11
         = substr(n, 10, 1)::int
$$;
SELECT 'person' AS source, count(*) FILTER (WHERE NOT pg_temp.nhs_ok(nhs_number)) AS invalid,
       count(DISTINCT nhs_number) = count(*) AS unique_numbers
  FROM b42_truth.person
UNION ALL
SELECT 'childrens_social_care', count(*) FILTER (WHERE NOT pg_temp.nhs_ok(nhs_number)), NULL
  FROM b42.childrens_social_care WHERE nhs_number IS NOT NULL
UNION ALL
SELECT 'adult_social_care', count(*) FILTER (WHERE NOT pg_temp.nhs_ok(nhs_number)), NULL
  FROM b42.adult_social_care WHERE nhs_number IS NOT NULL
UNION ALL
SELECT 'health_visiting', count(*) FILTER (WHERE NOT pg_temp.nhs_ok(nhs_number)), NULL
  FROM b42.health_visiting WHERE nhs_number IS NOT NULL
UNION ALL
SELECT 'health_flag', count(*) FILTER (WHERE NOT pg_temp.nhs_ok(nhs_number)), NULL
  FROM b42.health_flag;

-- National Insurance numbers: HMRC's format and allocation rules
SELECT count(*) FILTER (WHERE ni_number !~ '^[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z][0-9]{6}[A-D]$'
                           OR left(ni_number, 2) IN ('BG','GB','KN','NK','NT','TN','ZZ')) AS invalid_ni,
       count(DISTINCT ni_number) = count(ni_number) AS unique_ni,
       count(*) FILTER (WHERE ni_number IS NOT NULL AND date_of_birth > '2010-03-31') AS ni_under_16
  FROM b42_truth.person;

-- Unique pupil numbers: DfE check letter over characters 2..13
CREATE FUNCTION pg_temp.upn_ok(u text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
  SELECT u ~ '^[A-HJ-NP-RT-Z][0-9]{12}$' AND
         substr('ABCDEFGHJKLMNPQRTUVWXYZ',
                (SELECT sum(substr(u, i, 1)::int * i) FROM generate_series(2, 13) i)::int % 23 + 1, 1)
         = left(u, 1)
$$;
SELECT count(*) FILTER (WHERE NOT pg_temp.upn_ok(upn)) AS invalid_upn,
       count(DISTINCT upn) = count(upn) AS unique_upn,
       count(upn) > 0 AS some_pupils
  FROM b42_truth.person;
SELECT count(*) FILTER (WHERE NOT pg_temp.upn_ok(upn)) AS census_invalid_upn FROM b42.school_census;

-- Postcodes: the gazetteer's are well formed and in Brent's districts; systems
-- keep some in sloppy formats (lower case, no space, two spaces)
SELECT count(*) FILTER (WHERE postcode !~ '^(HA0|HA1|HA3|HA8|HA9|NW2|NW6|NW9|NW10) [0-9][ABD-HJLNP-UW-Z]{2}$')
         AS malformed,
       count(DISTINCT split_part(postcode, ' ', 1)) AS districts
  FROM b42.address;
SELECT count(*) FILTER (WHERE upper(regexp_replace(postcode, '\s+', '', 'g'))
                            !~ '^(HA0|HA1|HA3|HA8|HA9|NW2|NW6|NW9|NW10)[0-9][ABD-HJLNP-UW-Z]{2}$') AS not_brent,
       count(*) FILTER (WHERE postcode <> upper(postcode) OR postcode !~ ' ' OR postcode ~ '  ') > 0
         AS some_sloppy
  FROM b42.early_years;

-- Wards: 22, valid, tiling the borough with neither gaps nor overlaps
SELECT count(*) AS wards, bool_and(ST_IsValid(geom)) AS valid,
       bool_and(ST_SRID(geom) = 27700) AS bng,
       sum(ST_Area(geom)) = ST_Area(ST_Union(geom)) AS no_overlap,
       ST_NumGeometries(ST_Union(geom)) AS pieces,
       ST_NumInteriorRings(ST_GeometryN(ST_Union(geom), 1)) AS holes
  FROM b42.ward;
SELECT count(*) AS overlapping_pairs
  FROM b42.ward a JOIN b42.ward b ON a.ward_code < b.ward_code
 WHERE ST_Relate(a.geom, b.geom, '2********');
SELECT string_agg(ward_name, ', ' ORDER BY ward_code) AS names FROM b42.ward;

-- Every address and every incident lies inside its own ward
SELECT count(*) FILTER (WHERE NOT ST_Within(a.geom, w.geom)) AS addresses_outside
  FROM b42.address a JOIN b42.ward w USING (ward_code);
SELECT count(*) FILTER (WHERE NOT ST_Intersects(i.geom, w.geom)) AS incidents_outside
  FROM b42.asb_incident i JOIN b42.ward w USING (ward_code);
SELECT count(*) FILTER (WHERE NOT ST_Within(s.geom, w.geom)) AS sites_outside,
       count(*) AS sites
  FROM b42.air_quality_site s JOIN b42.ward w USING (ward_code);

-- Every source record has its ground truth, and only those
SELECT count(*) FILTER (WHERE p.person_id IS NULL) AS orphan_truth
  FROM b42_truth.source_record s LEFT JOIN b42_truth.person p USING (person_id);
SELECT (SELECT count(*) FROM b42_truth.source_record) =
       (SELECT sum(n) FROM (
          SELECT count(*) n FROM b42.council_tax UNION ALL SELECT count(*) FROM b42.housing
          UNION ALL SELECT count(*) FROM b42.revenues_benefits UNION ALL SELECT count(*) FROM b42.school_census
          UNION ALL SELECT count(*) FROM b42.early_years UNION ALL SELECT count(*) FROM b42.childrens_social_care
          UNION ALL SELECT count(*) FROM b42.youth_offending UNION ALL SELECT count(*) FROM b42.asb_case
          UNION ALL SELECT count(*) FROM b42.adult_social_care UNION ALL SELECT count(*) FROM b42.electoral_register
          UNION ALL SELECT count(*) FROM b42.health_visiting) s) AS truth_for_every_record;

-- Determinism: the same arguments give identical rows, another seed does not
CREATE FUNCTION pg_temp.checksum(nsp text) RETURNS TABLE (table_name text, digest text)
LANGUAGE plpgsql AS $$
DECLARE r record;
BEGIN
  FOR r IN SELECT c.relname FROM pg_class c WHERE c.relnamespace = nsp::regnamespace
            AND c.relkind = 'r' ORDER BY c.relname LOOP
    table_name := r.relname;
    EXECUTE format('SELECT md5(string_agg(t::text, %L ORDER BY t::text)) FROM %I.%I t',
                   E'\n', nsp, r.relname) INTO digest;
    RETURN NEXT;
  END LOOP;
END $$;
SELECT count(*) FROM brent_mdm.generate_borough(3000, seed => 42, target_schema => 'again');
SELECT count(*) AS tables,
       count(*) FILTER (WHERE a.digest IS NOT DISTINCT FROM b.digest) AS identical
  FROM (SELECT * FROM pg_temp.checksum('b42') UNION ALL SELECT * FROM pg_temp.checksum('b42_truth')) a
  JOIN (SELECT * FROM pg_temp.checksum('again') UNION ALL SELECT * FROM pg_temp.checksum('again_truth')) b
 USING (table_name)
 WHERE a.table_name <> 'about';
SELECT count(*) FROM brent_mdm.generate_borough(3000, seed => 43, target_schema => 'other');
SELECT count(*) FILTER (WHERE a.digest = b.digest) AS identical_to_seed_42
  FROM pg_temp.checksum('b42_truth') a JOIN pg_temp.checksum('other_truth') b USING (table_name);

-- replace => true regenerates a schema the generator made
SELECT count(*) FROM brent_mdm.generate_borough(500, seed => 1, target_schema => 'again', replace => true);
SELECT count(*) AS people_after_replace FROM again_truth.person;

-- A cancelled run (here by statement_timeout, as Ctrl-C does) leaves nothing
-- behind, and a cancelled replace keeps the borough it was replacing
SET statement_timeout = '1s';
SELECT count(*) FROM brent_mdm.generate_borough(2000000, seed => 1, target_schema => 'cancelled');
SELECT count(*) FROM brent_mdm.generate_borough(2000000, seed => 1, target_schema => 'again', replace => true);
RESET statement_timeout;
SELECT count(*) AS schemas_left FROM pg_namespace WHERE nspname LIKE 'cancelled%';
SELECT count(*) AS people_still_there FROM again_truth.person;

DROP SCHEMA b42, b42_truth, again, again_truth, other, other_truth CASCADE;
