-- Statistical disclosure control: suppression, rounding, the aggregates,
-- secondary suppression of tables, errors.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS brent_mdm CASCADE;
SET search_path = brent_mdm, public;

-- the SQLSTATE and message of a statement that fails
CREATE FUNCTION pg_temp.error_of(statement text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE statement;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

-- the rules, default threshold 10 and base 5, and HES's (suppress 1 to 7)
SELECT v AS count, suppress_small(v) AS suppressed, suppress_small(v, 8) AS hes,
       round_to_base(v) AS rounded, round_to_base(v, 10) AS rounded_10,
       disclosure_format(v) AS published, disclosure_format(v, 8, 5) AS published_hes,
       disclosure_format(v, 1, 5) AS rounded_only
  FROM unnest(ARRAY[0, 1, 2, 3, 7, 8, 9, 10, 12, 13, 15, 17, 18, 22, 23, 1234567]::bigint[]) v;

-- halves away from zero; negative values (differences) round symmetrically;
-- base 1 changes nothing; the ends of bigint
SELECT round_to_base(25, 10) AS "25", round_to_base(-25, 10) AS "-25", round_to_base(-12) AS "-12",
       round_to_base(-13) AS "-13", round_to_base(7, 1) AS base_1,
       round_to_base(9223372036854775807, 5) AS max_5,
       round_to_base(-9223372036854775808, 2) AS min_2;

-- STRICT: NULL in, NULL out
SELECT suppress_small(NULL) IS NULL AS a, suppress_small(5, NULL) IS NULL AS b,
       round_to_base(NULL) IS NULL AS c, disclosure_format(NULL) IS NULL AS d;

-- errors
SELECT s AS statement, pg_temp.error_of(s) AS error
  FROM unnest(ARRAY[
    'SELECT brent_mdm.suppress_small(5, 0)',
    'SELECT brent_mdm.suppress_small(-1)',
    'SELECT brent_mdm.round_to_base(5, 0)',
    'SELECT brent_mdm.round_to_base(9223372036854775807, 10)',
    'SELECT brent_mdm.disclosure_format(5, -3, 5)',
    'SELECT brent_mdm.disclosure_format(5, 10, 0)',
    'SELECT brent_mdm.disclosure_format(-5)',
    'SELECT brent_mdm.safe_count(0, 5) FROM generate_series(1, 3)',
    'SELECT brent_mdm.safe_count(10, NULL) FROM generate_series(1, 3)',
    'SELECT brent_mdm.safe_count(g::int, 5) FROM generate_series(1, 3) g',
    'SELECT brent_mdm.safe_count_distinct(g, 10, 0) FROM generate_series(1, 3) g',
    'SELECT brent_mdm.safe_count_distinct(g, 10 + g::int % 2, 5) FROM generate_series(1, 3) g']) s;
-- with their hints
SELECT suppress_small(5, 0);
SELECT round_to_base(5, -5);

-- the aggregates, by group: 1 to 9 rows suppressed, then rounded
CREATE TEMP TABLE events AS
SELECT g AS event_id, 'W' || lpad((g % 12)::text, 2, '0') AS ward,
       (g % 12) * 100 + (g / 12) % (g % 12 + 3) AS client_id   -- ward w: w + 3 persons
  FROM generate_series(1, 600) g
 WHERE g % 12 <> 5 OR g % 7 = 0;
SELECT ward, count(*), safe_count(*) AS safe_count, safe_count(8, 1) AS hes_unrounded,
       count(DISTINCT client_id) AS persons, safe_count_distinct(client_id) AS safe_persons,
       safe_count_distinct(client_id, 3, 1) AS persons_threshold_3
  FROM events GROUP BY ward ORDER BY ward;
-- NULL ids are not counted; no rows gives 0; FILTER, ROLLUP and windows work
SELECT safe_count_distinct(NULL::bigint) AS all_null, safe_count_distinct(g) FILTER (WHERE g > 95) AS filtered,
       (SELECT safe_count(*) FROM events WHERE false) AS no_rows
  FROM generate_series(1, 100) g;
SELECT ward, safe_count(*) FROM events WHERE ward IN ('W00', 'W05') GROUP BY ROLLUP (ward) ORDER BY ward;
SELECT DISTINCT ward, safe_count(*) OVER (PARTITION BY ward) FROM events WHERE ward < 'W03' ORDER BY ward;

-- parallel aggregation gives the same result as a serial plan (temporary
-- tables are not scanned in parallel, hence a plain one)
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
CREATE TABLE disclosure_big_events AS
SELECT g AS event_id, g % 40 AS ward, (g * 7919) % 20011 AS client_id
  FROM generate_series(1, 100000) g WHERE g % 40 <> 7 OR g % 997 = 0;
ANALYZE disclosure_big_events;
CREATE TABLE pg_temp.plan (line text);
DO $$
DECLARE l text;
BEGIN
  FOR l IN EXPLAIN (COSTS OFF) SELECT ward, safe_count(*), safe_count_distinct(client_id) FROM disclosure_big_events GROUP BY ward LOOP
    INSERT INTO pg_temp.plan VALUES (l);
  END LOOP;
END $$;
SELECT bool_or(line ~ 'Gather') AS gather, bool_or(line ~ 'Partial') AS partial_aggregate FROM pg_temp.plan;
CREATE TEMP TABLE parallel_result AS
SELECT ward, safe_count(*) AS a, safe_count(20, 10) AS b, safe_count_distinct(client_id) AS c,
       safe_count_distinct(client_id, 500, 1) AS d
  FROM disclosure_big_events GROUP BY ward;
RESET max_parallel_workers_per_gather;
SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial_result AS
SELECT ward, safe_count(*) AS a, safe_count(20, 10) AS b, safe_count_distinct(client_id) AS c,
       safe_count_distinct(client_id, 500, 1) AS d
  FROM disclosure_big_events GROUP BY ward;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
SELECT (SELECT count(*) FROM parallel_result) AS groups,
       (SELECT count(*) FROM (TABLE parallel_result EXCEPT TABLE serial_result) d) AS differ,
       (SELECT count(*) FROM serial_result WHERE a IS NULL) AS suppressed_groups,
       (SELECT count(*) FROM serial_result WHERE d IS NULL) AS suppressed_at_500;
-- and both agree with plain SQL
SELECT count(*) AS differ_from_plain_sql FROM (
  SELECT ward, CASE WHEN count(*) < 10 THEN NULL ELSE round(count(*) / 5.0) * 5 END AS a,
         CASE WHEN count(DISTINCT client_id) < 10 THEN NULL ELSE round(count(DISTINCT client_id) / 5.0) * 5 END AS c
    FROM disclosure_big_events GROUP BY ward
  EXCEPT SELECT ward, a, c FROM serial_result) d;
DROP TABLE disclosure_big_events;

-- one-way tables
-- one small cell: the next smallest is suppressed too
SELECT * FROM suppress_table(ARRAY['a', 'b', 'c', 'd'], ARRAY[3, 25, 40, 12]::bigint[], 10, 1);
-- two small cells protect each other, unless both are 1 (the total would give them away)
SELECT row_label, count, suppressed FROM suppress_table(ARRAY['a', 'b', 'c'], ARRAY[4, 2, 30]::bigint[]);
SELECT row_label, count, suppressed FROM suppress_table(ARRAY['a', 'b', 'c', 'd'], ARRAY[1, 1, 30, 20]::bigint[]);
-- zeros are published and never used to protect
SELECT row_label, count, published, suppressed FROM suppress_table(ARRAY['a', 'b', 'c'], ARRAY[0, 12, 0]::bigint[], 20, 5);
-- with no other cell to protect two 1s, the total is suppressed
SELECT row_label, count, published, suppressed FROM suppress_table(ARRAY['a', 'b', 'c'], ARRAY[1, 1, 0]::bigint[], 2, 1);
-- a small total: every cell that is not 0 is small too
SELECT row_label, count, published, suppressed FROM suppress_table(ARRAY['a', 'b', 'c'], ARRAY[3, 0, 4]::bigint[]);
-- nothing small; rounding applies to cells and the total alike; empty table
SELECT row_label, count, published, suppressed FROM suppress_table(ARRAY['a', 'b'], ARRAY[12, 13]::bigint[]);
SELECT * FROM suppress_table('{}'::text[], '{}'::bigint[]);

-- two-way tables with margins; cells not given are 0
SELECT * FROM suppress_table(ARRAY['a', 'a', 'b', 'b', 'c', 'c'], ARRAY['x', 'y', 'x', 'y', 'x', 'y'],
                             ARRAY[3, 25, 40, 12, 30, 30]::bigint[], 10, 1);
-- a row with one cell: only the margins can protect it
SELECT * FROM suppress_table(ARRAY['a', 'b', 'b'], ARRAY['x', 'x', 'y'], ARRAY[4, 20, 30]::bigint[], 10, 1);
-- a small row total (primary) and a 1 that can only move one way
SELECT row_label, column_label, kind, count, suppressed
  FROM suppress_table(ARRAY['a', 'a', 'b', 'b', 'c', 'c'], ARRAY['x', 'y', 'x', 'y', 'x', 'y'],
                      ARRAY[1, 6, 15, 14, 22, 40]::bigint[])
 WHERE suppressed IS NOT NULL;
-- a ward by age band table from grouped rows, labels in the order given
SELECT count(*) FILTER (WHERE suppressed = 'primary') AS primary_cells,
       count(*) FILTER (WHERE suppressed = 'secondary') AS secondary_cells,
       count(*) FILTER (WHERE suppressed IS NULL) AS published,
       count(*) FILTER (WHERE kind = 'cell') AS cells
  FROM (SELECT array_agg(ward ORDER BY ward, band) AS w, array_agg(band ORDER BY ward, band) AS b,
               array_agg(n ORDER BY ward, band) AS n
          FROM (SELECT ward, (client_id % 4)::text AS band, count(*) AS n FROM events GROUP BY 1, 2) g) t,
       suppress_table(t.w, t.b, t.n);

-- errors of suppress_table
SELECT s AS statement, pg_temp.error_of(s) AS error
  FROM unnest(ARRAY[
    'SELECT * FROM brent_mdm.suppress_table(ARRAY[''a''], ARRAY[1]::bigint[], 0)',
    'SELECT * FROM brent_mdm.suppress_table(ARRAY[''a''], ARRAY[1]::bigint[], 10, 0)',
    'SELECT * FROM brent_mdm.suppress_table(ARRAY[''a''], ARRAY[1]::bigint[], NULL)',
    'SELECT * FROM brent_mdm.suppress_table(NULL, ARRAY[1]::bigint[])',
    'SELECT * FROM brent_mdm.suppress_table(ARRAY[''a'', ''b''], ARRAY[1]::bigint[])',
    'SELECT * FROM brent_mdm.suppress_table(ARRAY[''a'', NULL], ARRAY[1, 2]::bigint[])',
    'SELECT * FROM brent_mdm.suppress_table(ARRAY[''a'', ''b''], ARRAY[1, NULL]::bigint[])',
    'SELECT * FROM brent_mdm.suppress_table(ARRAY[''a'', ''b''], ARRAY[1, -2]::bigint[])',
    'SELECT * FROM brent_mdm.suppress_table(ARRAY[''a'', ''a''], ARRAY[1, 2]::bigint[])',
    'SELECT * FROM brent_mdm.suppress_table(ARRAY[[''a''], [''b'']], ARRAY[1, 2]::bigint[])',
    'SELECT * FROM brent_mdm.suppress_table(ARRAY[''a'', ''a''], ARRAY[''x'', ''x''], ARRAY[1, 2]::bigint[])',
    'SELECT * FROM brent_mdm.suppress_table(ARRAY[''a''], ARRAY[''x'', ''y''], ARRAY[1]::bigint[])',
    'SELECT * FROM brent_mdm.suppress_table(ARRAY[''a'', ''b''], ARRAY[''x'', ''y''], ARRAY[9223372036854775807, 1]::bigint[])',
    'SELECT * FROM brent_mdm.suppress_table(ARRAY(SELECT g::text FROM generate_series(1, 1000) g), ARRAY(SELECT g::text FROM generate_series(1, 1000) g), ARRAY(SELECT 1::bigint FROM generate_series(1, 1000)))']) s;
SELECT * FROM suppress_table(ARRAY['a', NULL], ARRAY[1, 2]::bigint[]);

-- leave the database as found (install.sql, next, starts without the extension)
DROP EXTENSION brent_mdm;
