-- Robustness of dedupe on a synthetic borough (issue 11): its dates of birth
-- split into three columns (year, month, day), as exports hold them, mapped
-- as one date assembled from its parts; against the mapping a user could
-- write before (no date at all) and the date column itself.  Then blocks of
-- more than 500 distinct records: a town column.
--   psql -v schema=borough -f bench/link_robustness.sql  (after bench/link_borough.sql)
DROP TABLE IF EXISTS robust_records;
CREATE TABLE robust_records AS
SELECT id, given_name, family_name, full_name, postcode, nhs_number, ni_number, upn,
       address_from, address_to, min_age, person_id,
       extract(year FROM date_of_birth)::int AS dob_year, extract(month FROM date_of_birth)::int AS dob_month,
       extract(day FROM date_of_birth)::int AS dob_day
  FROM eval_records;
CREATE FUNCTION pg_temp.pairwise_f1(mapping jsonb) RETURNS TABLE (pair_precision numeric, pair_recall numeric, f1 numeric)
LANGUAGE plpgsql AS $$
BEGIN
  DROP TABLE IF EXISTS robust_clusters;
  CREATE TEMP TABLE robust_clusters AS
  SELECT c.record_id, c.cluster_id, r.person_id
    FROM brent_mdm.dedupe('robust_records', 'id', mapping) c JOIN robust_records r ON r.id = c.record_id;
  RETURN QUERY
  WITH p AS (SELECT count(*) AS n, count(*) FILTER (WHERE a.person_id = b.person_id) AS tp
               FROM robust_clusters a JOIN robust_clusters b ON a.cluster_id = b.cluster_id AND a.record_id < b.record_id),
       t AS (SELECT sum(k * (k - 1) / 2) AS n FROM (SELECT count(*) AS k FROM robust_records GROUP BY person_id) x)
  SELECT round(p.tp::numeric / nullif(p.n, 0), 4), round(p.tp::numeric / nullif(t.n, 0), 4),
         round(2 * p.tp::numeric / nullif(p.n + t.n, 0), 4)
    FROM p, t;
END $$;
\pset footer off
SELECT m.mapping AS dates, f.*
  FROM (VALUES
    ('split into three columns, mapped from parts', '{"given_name": "given_name", "family_name": "surname", "full_name": "full_name",
       "date_of_birth": {"kind": "date", "from": ["dob_year", "dob_month", "dob_day"]}, "postcode": "postcode",
       "nhs_number": "identifier", "ni_number": "identifier", "upn": "identifier",
       "address_from": "moved_in", "address_to": "moved_out", "min_age": "min_age"}'::jsonb),
    ('split into three columns, left out (before: no way to map them)', '{"given_name": "given_name", "family_name": "surname", "full_name": "full_name",
       "postcode": "postcode", "nhs_number": "identifier", "ni_number": "identifier", "upn": "identifier",
       "address_from": "moved_in", "address_to": "moved_out", "min_age": "min_age"}'::jsonb)) AS m(mapping, columns),
       LATERAL pg_temp.pairwise_f1(m.columns) f;
-- Blocks over 500 (cause 4): a town column (the postcode's district, as text: a dozen
-- values for the borough) makes one block of the town rule per district, each of
-- thousands of distinct records: once skipped, now split by sorted neighbourhood.
ALTER TABLE robust_records ADD COLUMN town text;
UPDATE robust_records SET town = brent_mdm.postcode_district(postcode);
SELECT m.mapping AS big_blocks, f.*
  FROM (VALUES
    ('a town column (the district of the postcode, as text), with the rest of the mapping', '{"given_name": "given_name", "family_name": "surname", "full_name": "full_name",
       "date_of_birth": {"kind": "date", "from": ["dob_year", "dob_month", "dob_day"]}, "postcode": "postcode", "town": "text",
       "nhs_number": "identifier", "ni_number": "identifier", "upn": "identifier",
       "address_from": "moved_in", "address_to": "moved_out", "min_age": "min_age"}'::jsonb),
    ('a town column instead of the postcode, dates left out', '{"given_name": "given_name", "family_name": "surname", "full_name": "full_name",
       "town": "text", "nhs_number": "identifier", "ni_number": "identifier", "upn": "identifier", "min_age": "min_age"}'::jsonb)) AS m(mapping, columns),
       LATERAL pg_temp.pairwise_f1(m.columns) f;
DROP TABLE robust_records;
