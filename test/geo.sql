-- pgTAP: hot spots (src/geo).  Gi* on hand-made grids against an independent
-- implementation of the formula in plain SQL (to 1e-9), a planted hot spot,
-- uniform random patterns against the FDR, the generator's town centres and
-- its planted emerging hot spot, the emerging categories' rules on hand-made
-- series, Mann-Kendall and kernel density against SQL, the report's outputs.
\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only true
\pset pager off
SET client_min_messages = warning;
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS brent_mdm CASCADE;
SELECT plan(60);

CREATE SCHEMA geo_t;
SET LOCAL search_path = geo_t, public;

-- ---- a hand-made L-shaped borough: 10 x 3 cells of 100 m, and 4 x 3 above ----
CREATE TABLE geo_t.area (name text, geom geometry(Polygon, 27700));
INSERT INTO geo_t.area VALUES ('L', ST_GeomFromText(
  'POLYGON((500000 180000, 501000 180000, 501000 180300, 500400 180300, 500400 180600, 500000 180600, 500000 180000))', 27700));
-- the counts, chosen by hand: a peak at (5002, 1801), a dip, a pattern elsewhere
CREATE TABLE geo_t.hand (i integer, j integer, n integer);
INSERT INTO geo_t.hand
SELECT i, j, CASE WHEN (i, j) = (5002, 1801) THEN 30 WHEN (i, j) IN ((5001, 1801), (5002, 1802), (5003, 1801), (5002, 1800)) THEN 12
                  ELSE (i * 7 + j * 3) % 5 END
  FROM generate_series(5000, 5009) i, generate_series(1800, 1805) j
 WHERE j <= 1802 OR i <= 5003;
-- n points in cell (i, j), at distinct places inside it; then 3 points outside
-- the borough and 5 outside the period
CREATE TABLE geo_t.ev (id serial, d date, geom geometry(Point, 27700));
INSERT INTO geo_t.ev (d, geom)
SELECT date '2025-01-01' + (k % 28), ST_SetSRID(ST_MakePoint(i * 100 + 5 + 3 * k, j * 100 + 95 - 3 * k), 27700)
  FROM geo_t.hand, generate_series(1, n) k;
INSERT INTO geo_t.ev (d, geom) VALUES
  ('2025-01-05', ST_SetSRID(ST_MakePoint(502000, 180000), 27700)),
  ('2025-01-05', ST_SetSRID(ST_MakePoint(500650, 180450), 27700)),   -- in the L's notch
  ('2025-01-05', ST_SetSRID(ST_MakePoint(499999, 180001), 27700)),
  ('2024-12-31', ST_SetSRID(ST_MakePoint(500050, 180050), 27700)),
  ('2025-02-01', ST_SetSRID(ST_MakePoint(500050, 180050), 27700)),
  ('2025-02-01', ST_SetSRID(ST_MakePoint(500150, 180050), 27700)),
  ('2025-03-01', ST_SetSRID(ST_MakePoint(500150, 180050), 27700)),
  ('2020-01-01', ST_SetSRID(ST_MakePoint(500150, 180050), 27700));

-- Gi* from the formula of the issue, written independently: every pair of
-- hand-made cells within the band (centres compared in metres)
CREATE FUNCTION geo_t.gi_by_sql(band float8)
  RETURNS TABLE (i integer, j integer, n integer, z float8) LANGUAGE sql AS $$
  WITH s AS (SELECT count(*)::float8 AS cells, avg(n) AS xbar,
                    sqrt(sum(n::float8 * n) / count(*) - avg(n::float8) ^ 2) AS sd FROM geo_t.hand),
       w AS (SELECT a.i, a.j, a.n, sum(b.n)::float8 AS wx, count(*)::float8 AS sw
               FROM geo_t.hand a JOIN geo_t.hand b
                 ON ((a.i - b.i) * 100.0) ^ 2 + ((a.j - b.j) * 100.0) ^ 2 <= band ^ 2 * (1 + 1e-12)
              GROUP BY a.i, a.j, a.n)
  SELECT w.i, w.j, w.n,
         (w.wx - s.xbar * w.sw) / (s.sd * sqrt((s.cells * w.sw - w.sw ^ 2) / (s.cells - 1)))
    FROM w, s $$;
CREATE FUNCTION geo_t.gi_by_c(band float8)
  RETURNS TABLE (i integer, j integer, n bigint, z float8, p float8, hotspot text, cell_id bigint) LANGUAGE sql AS $$
  SELECT floor(ST_XMin(h.geom) / 100)::int, floor(ST_YMin(h.geom) / 100)::int, h.incidents, h.gi_z, h.gi_p,
         h.hotspot, h.cell_id
    FROM brent_mdm.hotspots('geo_t.ev', 'geom', 'd', '2025-01-01', '2025-02-01', 100, band, 'geo_t.area') h $$;

SELECT is((SELECT count(*)::int FROM geo_t.gi_by_c(NULL)), 42,
          'the grid: every cell whose centre is in the L (42), none of the notch');
SELECT is((SELECT count(*)::int FROM geo_t.gi_by_c(NULL) c FULL JOIN geo_t.hand h USING (i, j)
            WHERE h.n IS DISTINCT FROM c.n::int), 0,
          'each cell counts the points of the period inside it, empty cells included (0 incidents)');
SELECT is((SELECT count(*)::int FROM geo_t.gi_by_c(NULL) WHERE n = 0), (SELECT count(*)::int FROM geo_t.hand WHERE n = 0),
          'cells with no incident are there');
SELECT cmp_ok((SELECT max(abs(c.z - s.z)) FROM geo_t.gi_by_c(NULL) c JOIN geo_t.gi_by_sql(100 * sqrt(2)) s USING (i, j)),
              '<', 1e-9::float8, 'Gi*, queen contiguity (default band cell_size * sqrt 2): equal to the SQL formula to 1e-9');
SELECT cmp_ok((SELECT max(abs(c.z - s.z)) FROM geo_t.gi_by_c(100) c JOIN geo_t.gi_by_sql(100) s USING (i, j)),
              '<', 1e-9::float8, 'Gi*, band of one cell (rook): equal to 1e-9');
SELECT cmp_ok((SELECT max(abs(c.z - s.z)) FROM geo_t.gi_by_c(250) c JOIN geo_t.gi_by_sql(250) s USING (i, j)),
              '<', 1e-9::float8, 'Gi*, band of 250 m (a disc of 2.5 cells): equal to 1e-9');
SELECT cmp_ok((SELECT max(abs(c.z - s.z)) FROM geo_t.gi_by_c(40) c JOIN geo_t.gi_by_sql(40) s USING (i, j)),
              '<', 1e-9::float8, 'Gi*, band shorter than a cell (the cell alone): equal to 1e-9');
SELECT cmp_ok((SELECT max(abs(c.z - s.z)) FROM geo_t.gi_by_c(300) c JOIN geo_t.gi_by_sql(300) s USING (i, j)),
              '<', 1e-9::float8, 'Gi*, band of exactly 3 cells (ends kept by the tolerance): equal to 1e-9');
SELECT is((SELECT count(*)::int FROM geo_t.gi_by_c(1e6) WHERE z IS NOT NULL OR hotspot <> 'not significant'), 0,
          'a band covering every cell: Gi* undefined (NULL), nothing significant');
SELECT cmp_ok((SELECT max(abs(c.p - erfc_p)) FROM geo_t.gi_by_c(NULL) c,
                LATERAL (SELECT 1 - sqrt(1 - exp(-2 * c.z * c.z / pi())) AS erfc_p) e
               WHERE abs(c.z) < 2),
              '<', 1e-2::float8, 'p is two-sided (checked against Polya''s approximation of the normal for |z| < 2)');
SELECT is((SELECT hotspot FROM geo_t.gi_by_c(NULL) WHERE (i, j) = (5002, 1801)), 'hot 99',
          'the hand-made peak is hot 99');
SELECT is((SELECT count(*)::int FROM geo_t.gi_by_c(NULL) WHERE hotspot ~ '^(hot|cold) (90|95|99)$' OR hotspot = 'not significant'), 42,
          'every class is one of hot/cold 90/95/99 or not significant');
-- Benjamini-Hochberg by hand: the largest k with p_(k) <= k/m alpha
SELECT is((SELECT array_agg(cell_id ORDER BY cell_id) FILTER (WHERE hotspot <> 'not significant') FROM geo_t.gi_by_c(NULL)),
          (WITH c AS (SELECT cell_id, p, row_number() OVER (ORDER BY p) AS k, count(*) OVER () AS m FROM geo_t.gi_by_c(NULL)),
                cut AS (SELECT max(p) AS p FROM c WHERE p <= k::float8 / m * 0.10)
           SELECT array_agg(cell_id ORDER BY cell_id) FROM c, cut WHERE c.p <= cut.p),
          'significant cells are those Benjamini-Hochberg keeps at 90 % (computed in SQL)');
SELECT is((SELECT array_agg(cell_id ORDER BY cell_id) FILTER (WHERE hotspot ~ '99') FROM geo_t.gi_by_c(NULL)),
          (WITH c AS (SELECT cell_id, p, row_number() OVER (ORDER BY p) AS k, count(*) OVER () AS m FROM geo_t.gi_by_c(NULL)),
                cut AS (SELECT max(p) AS p FROM c WHERE p <= k::float8 / m * 0.01)
           SELECT array_agg(cell_id ORDER BY cell_id) FROM c, cut WHERE c.p <= cut.p),
          '99 % classes are those Benjamini-Hochberg keeps at 1 %');

-- the grid is aligned to multiples of the cell size; other SRIDs are transformed
SELECT is((SELECT count(*)::int FROM brent_mdm.hotspots('geo_t.ev', 'geom', 'd', '2025-01-01', '2025-02-01', 300, NULL, 'geo_t.area')
            WHERE ST_XMin(geom)::numeric % 300 <> 0 OR ST_YMin(geom)::numeric % 300 <> 0 OR ST_SRID(geom) <> 27700), 0,
          'cells of 300 m start at multiples of 300 m on EPSG 27700');
CREATE TABLE geo_t.ev_wgs AS SELECT id, d, ST_Transform(geom, 4326)::geometry(Point, 4326) AS geom FROM geo_t.ev;
CREATE TABLE geo_t.area_wgs AS SELECT name, ST_Transform(geom, 4326) AS geom FROM geo_t.area;
SELECT is((SELECT array_agg(h.incidents ORDER BY h.cell_id) FROM brent_mdm.hotspots('geo_t.ev_wgs', 'geom', 'd', '2025-01-01', '2025-02-01', 100, NULL, 'geo_t.area') h),
          (SELECT array_agg(h.incidents ORDER BY h.cell_id) FROM brent_mdm.hotspots('geo_t.ev', 'geom', 'd', '2025-01-01', '2025-02-01', 100, NULL, 'geo_t.area') h),
          'points in EPSG 4326 are transformed to 27700 and counted alike');
SELECT is((SELECT count(*)::int FROM brent_mdm.hotspots('geo_t.ev', 'geom', 'd', '2025-01-01', '2025-02-01', 100, NULL, 'geo_t.area_wgs')), 42,
          'an area in EPSG 4326 gives the same grid');
SELECT is((SELECT sum(n)::int FROM geo_t.gi_by_c(NULL)),
          (SELECT count(*)::int FROM geo_t.ev WHERE d >= '2025-01-01' AND d < '2025-02-01') - 3,
          'the 3 points outside the borough are in no cell (a NOTICE says so: sql/geo.sql)');

-- ---- a planted hot spot among uniform noise is found hot 99 ----
CREATE TABLE geo_t.square (geom geometry(Polygon, 27700));
INSERT INTO geo_t.square VALUES (ST_MakeEnvelope(510000, 170000, 512000, 172000, 27700));
-- seed s: 2000 uniform points on day s; seed 0 also has 40 points in one cell
SELECT setseed(0.15);
CREATE TABLE geo_t.noise AS
SELECT s, date '2000-01-01' + s AS d,
       ST_SetSRID(ST_MakePoint(510000 + 2000 * random(), 170000 + 2000 * random()), 27700)::geometry(Point, 27700) AS geom
  FROM generate_series(0, 100) s, generate_series(1, 2000) k;
INSERT INTO geo_t.noise
SELECT 0, date '2000-01-01', ST_SetSRID(ST_MakePoint(510730 + 40 * random(), 171230 + 40 * random()), 27700)
  FROM generate_series(1, 40);
SELECT is((SELECT hotspot FROM brent_mdm.hotspots('geo_t.noise', 'geom', 'd', '2000-01-01', '2000-01-02', 100, NULL, 'geo_t.square')
            WHERE ST_Intersects(geom, ST_SetSRID(ST_MakePoint(510750, 171250), 27700))), 'hot 99',
          'a planted cell of 40 more incidents among 2000 uniform ones (5 a cell) is hot 99');
SELECT is((SELECT count(*)::int FROM brent_mdm.hotspots('geo_t.noise', 'geom', 'd', '2000-01-01', '2000-01-02', 100, NULL, 'geo_t.square')
            WHERE hotspot LIKE 'hot%' AND NOT ST_DWithin(geom, ST_SetSRID(ST_MakePoint(510750, 171250), 27700), 150)), 0,
          'no cell away from it and its neighbours is called hot');
-- 100 uniform patterns (seeds 1..100): under the null hypothesis everywhere,
-- Benjamini-Hochberg at 10 % keeps the chance of any significant cell at
-- about 10 % a pattern (a pattern with one is all false discoveries)
CREATE TABLE geo_t.null_runs AS
SELECT s, (SELECT count(*) FILTER (WHERE hotspot <> 'not significant')
             FROM brent_mdm.hotspots('geo_t.noise', 'geom', 'd', date '2000-01-01' + s, date '2000-01-01' + s + 1,
                                     100, NULL, 'geo_t.square')) AS significant
  FROM generate_series(1, 100) s;
SELECT diag('uniform patterns: ' || count(*) FILTER (WHERE significant > 0) || ' of 100 with any significant cell, '
            || sum(significant) || ' significant cells of 40000')
  FROM geo_t.null_runs;
SELECT cmp_ok((SELECT count(*)::int FROM geo_t.null_runs WHERE significant > 0), '<=', 20,
              'uniform patterns: at most 20 of 100 with a significant cell (FDR 10 %: about 10 expected)');

-- ---- the generator: town centres come out hot, the planted emerging hot spot is found ----
SELECT lives_ok($$SELECT * FROM brent_mdm.generate_borough(100000, 1, 'geo_b')$$, 'a borough of 100,000 people');
CREATE TABLE geo_t.town_centre (x float8, y float8);
-- the generator's hot spots of ASB (src/synth/systems.c)
INSERT INTO geo_t.town_centre VALUES (518450, 184850), (521400, 183450), (524650, 184150), (521150, 184650),
  (520900, 186100), (517900, 184300);
CREATE TABLE geo_t.five_years AS
SELECT * FROM brent_mdm.hotspots('geo_b.asb_incident', 'geom', 'occurred_on', '2021-04-01', '2026-04-01');
SELECT is((SELECT count(*)::int FROM geo_t.town_centre t JOIN geo_t.five_years h
             ON ST_Intersects(h.geom, ST_SetSRID(ST_MakePoint(t.x, t.y), 27700)) WHERE h.hotspot LIKE 'hot%'), 6,
          'the cells of the 6 town centres are hot over the five years (250 m cells, ward table by default)');
SELECT is((SELECT count(*)::int FROM geo_t.five_years),
          (WITH u AS (SELECT ST_Union(geom) AS g FROM geo_b.ward)
           SELECT count(*)::int FROM u, generate_series(floor(ST_XMin(u.g) / 250)::int, floor(ST_XMax(u.g) / 250)::int) i,
                  generate_series(floor(ST_YMin(u.g) / 250)::int, floor(ST_YMax(u.g) / 250)::int) j
            WHERE ST_Intersects(u.g, ST_SetSRID(ST_MakePoint((i + 0.5) * 250, (j + 0.5) * 250), 27700))),
          'the borough''s grid: every 250 m cell whose centre is in a ward');
SELECT ok((SELECT category IN ('new hot spot', 'intensifying hot spot')
             FROM brent_mdm.emerging_hotspots('geo_b.asb_incident', 'geom', 'occurred_on', '2025-04-01', '2026-04-01')
            WHERE ST_Intersects(geom, ST_SetSRID(ST_MakePoint(519625, 189375), 27700))),
          'the planted emerging hot spot (Kingsbury) is found intensifying (or new) over the last 12 months');

-- ---- emerging hot spots: the space-time cube agrees with hotspots() step by step ----
CREATE TABLE geo_t.monthly AS
SELECT m.month, h.cell_id, h.gi_z, h.hotspot
  FROM generate_series(date '2025-04-01', date '2026-03-01', interval '1 month') m(month),
       LATERAL brent_mdm.hotspots('geo_b.asb_incident', 'geom', 'occurred_on', m.month::date,
                                  (m.month + interval '1 month')::date) h;
CREATE TABLE geo_t.emerging AS
SELECT * FROM brent_mdm.emerging_hotspots('geo_b.asb_incident', 'geom', 'occurred_on', '2025-04-01', '2026-04-01');
SELECT is((SELECT count(*)::int FROM geo_t.emerging e
             JOIN (SELECT cell_id, count(*) FILTER (WHERE hotspot LIKE 'hot%') AS hot,
                          count(*) FILTER (WHERE hotspot LIKE 'cold%') AS cold
                     FROM geo_t.monthly GROUP BY cell_id) m USING (cell_id)
            WHERE e.steps_hot <> m.hot OR e.steps_cold <> m.cold), 0,
          'each cell''s steps_hot and steps_cold are the months hotspots() calls it hot or cold (FDR within each month)');
SELECT cmp_ok((SELECT max(greatest(abs(e.trend_tau - mk.tau), abs(e.trend_p - mk.p))) FROM geo_t.emerging e,
                LATERAL (SELECT (brent_mdm.mann_kendall(array_agg(m.gi_z ORDER BY m.month))).* FROM geo_t.monthly m
                          WHERE m.cell_id = e.cell_id) mk),
              '<', 1e-12::float8, 'its trend is Mann-Kendall of the cell''s monthly Gi* z-scores');
SELECT is((SELECT count(*)::int FROM geo_t.emerging e,
                LATERAL (SELECT array_agg(CASE WHEN hotspot LIKE 'hot%' THEN 1 WHEN hotspot LIKE 'cold%' THEN -1 ELSE 0 END
                                          ORDER BY month) AS sig FROM geo_t.monthly m WHERE m.cell_id = e.cell_id) s
            WHERE e.category <> brent_mdm.emerging_category(s.sig, e.trend_tau, e.trend_p)), 0,
          'its category is emerging_category() of those months and that trend');
SELECT ok((SELECT count(DISTINCT category) >= 3 FROM geo_t.emerging), 'the borough''s cells fall in several categories');
SELECT is((SELECT count(*)::int FROM brent_mdm.emerging_hotspots('geo_b.asb_incident', 'geom', 'occurred_on', '2025-04-01', '2026-04-01', 250, 'quarter')
            WHERE steps_hot + steps_cold > 4), 0, 'step => ''quarter'': four steps in a year');

-- ---- Mann-Kendall against the formula in SQL (ties corrected, tau-b) ----
CREATE FUNCTION geo_t.erfc(x float8) RETURNS float8 LANGUAGE sql AS $$
  -- 1 - erf(x), erf by its Maclaurin series (enough terms for |x| < 5)
  SELECT 1 - 2 / sqrt(pi()) * sum((-1) ^ k * x ^ (2 * k + 1) / (exp(lgamma_k) * (2 * k + 1)))
    FROM (SELECT k, (SELECT coalesce(sum(ln(i)), 0) FROM generate_series(1, k) i) AS lgamma_k
            FROM generate_series(0, 150) k) t $$;
CREATE FUNCTION geo_t.mk_by_sql(v float8[], OUT tau float8, OUT p float8) LANGUAGE sql AS $$
  WITH x AS (SELECT i, v[i] AS v FROM generate_subscripts(v, 1) i WHERE v[i] IS NOT NULL),
       n AS (SELECT count(*)::float8 AS n FROM x),
       s AS (SELECT sum(sign(b.v - a.v)) AS s FROM x a JOIN x b ON b.i > a.i),
       t AS (SELECT coalesce(sum(c * (c - 1) * (2 * c + 5)), 0) AS tv, coalesce(sum(c * (c - 1) / 2), 0) AS tp
               FROM (SELECT count(*)::float8 AS c FROM x GROUP BY v HAVING count(*) > 1) g),
       z AS (SELECT s.s, n.n, (n.n * (n.n - 1) * (2 * n.n + 5) - t.tv) / 18 AS var, n.n * (n.n - 1) / 2 AS n0, t.tp
               FROM s, n, t)
  SELECT s / sqrt((n0 - tp) * n0), geo_t.erfc(abs((s - sign(s)) / sqrt(var)) / sqrt(2)) FROM z $$;
SELECT cmp_ok((SELECT max(greatest(abs(a.tau - b.tau), abs(a.p - b.p)))
                 FROM (VALUES (ARRAY[1, 2, 2, 3, 5, 4, 4, 4, 6, 7, 1.5]::float8[]),
                              (ARRAY[3, 1, 2, 2, 2, 0, 0, -1, NULL, -1, -2, -2]::float8[]),
                              (ARRAY[0.5, 0.25, 0.75, 0.5, 1, 0.9, 1.1, 1.3, 1.2, 1.4, 1.6, 1.5]::float8[]),
                              (ARRAY[5, 4, 3]::float8[])) s(v),
                      LATERAL brent_mdm.mann_kendall(s.v) a, LATERAL geo_t.mk_by_sql(s.v) b),
              '<', 1e-9::float8, 'mann_kendall: tau-b and p equal to the formula in SQL (ties, a NULL left out) to 1e-9');
SELECT is((SELECT row(tau, p)::text FROM brent_mdm.mann_kendall(ARRAY[2, 2, 2, 2]::float8[])), '(,)',
          'mann_kendall of a constant series: no trend to measure (NULL, NULL)');
SELECT is((SELECT row(tau, p)::text FROM brent_mdm.mann_kendall(ARRAY[1, 2]::float8[])), '(,)',
          'mann_kendall of fewer than 3 values: NULL, NULL');

-- ---- the categories' rules on hand-made series (10 steps: 90 % is 9) ----
SELECT results_eq($$
  SELECT brent_mdm.emerging_category(sig, tau, p) FROM (VALUES
    (1,  '{0,0,0,0,0,0,0,0,0,1}'::int[], NULL::float8, NULL::float8),
    (2,  '{0,0,0,0,0,0,0,0,0,-1}', NULL, NULL),
    (3,  '{0,0,0,0,0,0,0,1,1,1}', NULL, NULL),
    (4,  '{0,0,1,1,1,1,1,1,1,1}', 0.6, 0.01),
    (5,  '{0,0,0,0,0,0,0,0,-1,-1}', NULL, NULL),
    (6,  '{1,1,1,1,1,1,1,1,1,1}', 0.5, 0.01),
    (7,  '{0,1,1,1,1,1,1,1,1,1}', 0.5, 0.01),
    (8,  '{1,1,1,1,1,1,1,1,1,1}', -0.5, 0.01),
    (9,  '{1,1,1,1,1,1,1,1,1,1}', 0.5, 0.2),
    (10, '{1,1,1,1,1,1,1,1,1,1}', NULL, NULL),
    (11, '{-1,-1,-1,-1,-1,-1,-1,-1,-1,-1}', -0.5, 0.01),
    (12, '{-1,-1,-1,-1,-1,-1,-1,-1,-1,-1}', 0.5, 0.01),
    (13, '{-1,-1,-1,-1,-1,-1,-1,-1,-1,-1}', 0.1, 0.6),
    (14, '{-1,0,1,0,1,0,0,0,1,1}', NULL, NULL),
    (15, '{1,0,-1,0,0,-1,0,0,0,-1}', NULL, NULL),
    (16, '{1,0,1,0,0,1,0,0,0,1}', NULL, NULL),
    (17, '{0,1,0,0,0,0,0,1,1,1}', NULL, NULL),
    (18, '{-1,0,-1,0,0,0,0,0,0,-1}', NULL, NULL),
    (19, '{1,1,1,1,1,1,1,1,1,0}', 0.9, 0.001),
    (20, '{-1,-1,-1,-1,-1,-1,-1,-1,-1,0}', NULL, NULL),
    (21, '{1,1,1,1,1,1,1,1,0,1}', 0.5, 0.3),
    (22, '{0,0,0,0,0,0,0,0,0,0}', NULL, NULL),
    (23, '{1,0,0,0,0,0,0,0,0,0}', NULL, NULL),
    (24, '{-1,0,0,0,0,0,0,0,0,1}', NULL, NULL),
    (25, '{}', NULL, NULL),
    (26, '{1,1,1,1,1,1,1,1,0,0}', NULL, NULL),
    (27, '{1}', NULL, NULL)) t(k, sig, tau, p) ORDER BY k $$,
  $$ VALUES ('new hot spot'), ('new cold spot'), ('consecutive hot spot'), ('consecutive hot spot'),
            ('consecutive cold spot'), ('intensifying hot spot'), ('intensifying hot spot'), ('diminishing hot spot'),
            ('persistent hot spot'), ('persistent hot spot'), ('intensifying cold spot'), ('diminishing cold spot'),
            ('persistent cold spot'), ('oscillating hot spot'), ('oscillating cold spot'), ('sporadic hot spot'),
            ('sporadic hot spot'), ('sporadic cold spot'), ('historical hot spot'), ('historical cold spot'),
            ('persistent hot spot'), ('no pattern'), ('no pattern'), ('oscillating hot spot'), ('no pattern'),
            ('no pattern'), ('new hot spot') $$,
  'each category''s rule: new, consecutive (a run of 2 or more at the end, 8 of 10 still consecutive), intensifying / diminishing / persistent at 9 of 10 with the final step, oscillating, sporadic, historical, cold alike, no pattern');
SELECT throws_ok($$SELECT brent_mdm.emerging_category('{0,2}', NULL, NULL)$$, '22023', NULL,
                 'a significance other than 1, 0, -1 is refused');
SELECT throws_ok($$SELECT * FROM brent_mdm.emerging_hotspots('geo_b.asb_incident', 'geom', 'occurred_on', '2025-04-01', '2026-04-01', 250, 'fortnight')$$,
                 '22023', NULL, 'an unknown step is refused');

-- ---- kernel density against the quartic kernel summed in SQL ----
CREATE TABLE geo_t.kde AS
SELECT * FROM brent_mdm.kernel_density('geo_t.ev', 'geom', 'd', '2025-01-01', '2025-02-01', 230, 100, 'geo_t.area');
SELECT cmp_ok((SELECT max(abs(k.density - coalesce(s.density, 0)) / greatest(k.density, 1e-300))
                 FROM geo_t.kde k
                 LEFT JOIN LATERAL (
                   SELECT sum(3 / (pi() * 230.0 ^ 2) * (1 - (ST_Distance(ST_Centroid(k.geom), e.geom) / 230) ^ 2) ^ 2) * 1e6 AS density
                     FROM geo_t.ev e
                    WHERE e.d >= '2025-01-01' AND e.d < '2025-02-01' AND ST_Distance(ST_Centroid(k.geom), e.geom) < 230) s ON true
                WHERE k.density > 0 OR s.density > 0),
              '<', 1e-9::float8, 'kernel density: the quartic kernel at each cell centre, summed in SQL, to 1e-9 (relative)');
SELECT is((SELECT count(*)::int FROM geo_t.kde), 42, 'kernel density: the same grid as hotspots()');
SELECT cmp_ok((SELECT abs(sum(k.density) * 0.0025 / n.n - 1)
                 FROM brent_mdm.kernel_density('geo_t.noise', 'geom', 'd', '2000-01-02', '2000-01-03', 300, 50, 'geo_t.square') k,
                      (SELECT count(*)::float8 AS n FROM geo_t.noise WHERE d = '2000-01-02'
                          AND ST_Within(geom, ST_MakeEnvelope(510300, 170300, 511700, 171700, 27700))) n
                WHERE ST_Within(k.geom, ST_MakeEnvelope(510300, 170300, 511700, 171700, 27700))
                GROUP BY n.n),
              '<', 0.05::float8, 'kernel density integrates to the events: over the inner 1.4 km square of 2000 uniform points, within 5 %');
SELECT throws_ok($$SELECT * FROM brent_mdm.kernel_density('geo_t.ev', 'geom', 'd', '2025-01-01', '2025-02-01', 0, 100, 'geo_t.area')$$,
                 '22023', NULL, 'a bandwidth of 0 is refused');

-- ---- the monthly report: rows, GeoJSON, SVG ----
CREATE TABLE geo_t.report AS SELECT * FROM brent_mdm.hotspot_report('2026-03-01', 'geo_b.asb_incident');
SELECT set_eq($$SELECT cell_id FROM geo_t.report$$,
  $$SELECT m.cell_id FROM geo_t.monthly m JOIN geo_t.emerging e USING (cell_id)
     WHERE m.month = '2026-03-01' AND (m.hotspot <> 'not significant' OR e.category <> 'no pattern')$$,
  'the report''s cells: significant this month or with an emerging pattern over the 12 months to it');
SELECT is((SELECT count(*)::int FROM geo_t.report r
             JOIN geo_t.monthly n ON n.cell_id = r.cell_id AND n.month = '2026-03-01'
             JOIN geo_t.monthly b ON b.cell_id = r.cell_id AND b.month = '2026-02-01'
             JOIN geo_t.emerging e ON e.cell_id = r.cell_id
             JOIN brent_mdm.hotspots('geo_b.asb_incident', 'geom', 'occurred_on', '2026-03-01', '2026-04-01') h ON h.cell_id = r.cell_id
            WHERE r.incidents = h.incidents AND r.last_month = (SELECT incidents FROM brent_mdm.hotspots('geo_b.asb_incident', 'geom', 'occurred_on', '2026-02-01', '2026-03-01') x WHERE x.cell_id = r.cell_id)
              AND r.change = r.incidents - r.last_month AND r.gi_z = n.gi_z AND r.hotspot = n.hotspot
              AND r.hotspot_last_month = b.hotspot AND r.category = e.category
              AND r.ward_code = (SELECT ward_code FROM geo_b.ward w WHERE ST_Intersects(w.geom, ST_Centroid(r.geom)) LIMIT 1)),
          (SELECT count(*)::int FROM geo_t.report),
          'each row: this month''s and last month''s incidents and classes, the change, the emerging category, the ward of its centre');
SELECT is((SELECT array_agg(rank ORDER BY gi_z DESC, cell_id) FROM geo_t.report),
          (SELECT array_agg(g ORDER BY g) FROM generate_series(1, (SELECT count(*)::int FROM geo_t.report)) g),
          'ranked by Gi*, hottest first');
SELECT ok((SELECT bool_or(category = 'intensifying hot spot') FROM geo_t.report WHERE ward_name = 'Kingsbury'),
          'the planted emerging hot spot is in the report, in Kingsbury');
CREATE TABLE geo_t.geojson AS SELECT brent_mdm.hotspot_report_geojson('2026-03-01', 'geo_b.asb_incident') AS j;
SELECT is((SELECT j ->> 'type' FROM geo_t.geojson), 'FeatureCollection', 'GeoJSON: a FeatureCollection');
SELECT is((SELECT jsonb_array_length(j -> 'features') FROM geo_t.geojson), (SELECT count(*)::int FROM geo_t.report),
          'GeoJSON: one feature per row of the report');
SELECT is((SELECT count(*)::int FROM geo_t.geojson, jsonb_array_elements(j -> 'features') f
            WHERE f ->> 'type' = 'Feature' AND f #>> '{geometry,type}' = 'Polygon'
              AND jsonb_array_length(f #> '{geometry,coordinates,0}') = 5
              AND (SELECT bool_and((c ->> 0)::float8 BETWEEN -0.4 AND -0.1 AND (c ->> 1)::float8 BETWEEN 51.5 AND 51.65)
                     FROM jsonb_array_elements(f #> '{geometry,coordinates,0}') c)
              AND (f -> 'properties') ?& ARRAY['rank', 'cell_id', 'ward_name', 'incidents', 'last_month', 'change', 'gi_z', 'hotspot', 'category']
              AND (f ->> 'id')::bigint = (f #>> '{properties,cell_id}')::bigint),
          (SELECT count(*)::int FROM geo_t.report),
          'GeoJSON: each feature a closed square in WGS 84 longitude/latitude over Brent, with the row as properties');
SELECT set_eq($$SELECT (f ->> 'id')::bigint FROM geo_t.geojson, jsonb_array_elements(j -> 'features') f$$,
              $$SELECT cell_id FROM geo_t.report$$, 'GeoJSON: the report''s cells');
SELECT cmp_ok((SELECT abs(ST_Area(ST_Transform(ST_SetSRID(ST_GeomFromGeoJSON(j #> '{features,0,geometry}'), 4326), 27700)) - 62500)
                 FROM geo_t.geojson), '<', 10::float8,
              'GeoJSON: a feature read back by PostGIS is the 250 m cell (62,500 m2, to the 6 decimals of a degree)');
CREATE TABLE geo_t.svg AS SELECT brent_mdm.hotspot_report_svg('2026-03-01', 'geo_b.asb_incident') AS s;
SELECT ok((SELECT xml_is_well_formed_document(s) FROM geo_t.svg), 'SVG: a well-formed XML document');
SELECT is((SELECT (xpath('count(/s:svg/s:g[@id="cells"]/s:path)', s::xml, ARRAY[ARRAY['s', 'http://www.w3.org/2000/svg']]))[1]::text::int
             FROM geo_t.svg), (SELECT count(*)::int FROM geo_t.report), 'SVG: one cell drawn per row of the report');
SELECT is((SELECT (xpath('count(/s:svg/s:g[@id="wards"]/s:path)', s::xml, ARRAY[ARRAY['s', 'http://www.w3.org/2000/svg']]))[1]::text::int
             FROM geo_t.svg), 22, 'SVG: the 22 wards outlined');
SELECT is((SELECT (xpath('count(/s:svg/s:g[@id="legend"]/s:rect)', s::xml, ARRAY[ARRAY['s', 'http://www.w3.org/2000/svg']]))[1]::text::int
             FROM geo_t.svg), 7, 'SVG: a legend of the six classes and the emerging outline');
SELECT is((SELECT (xpath('/s:svg/s:title/text()', s::xml, ARRAY[ARRAY['s', 'http://www.w3.org/2000/svg']]))[1]::text FROM geo_t.svg),
          'Anti-social behaviour hot spots, March 2026', 'SVG: a title');
SELECT is((SELECT count(*)::int FROM geo_t.report WHERE hotspot LIKE 'hot%'),
          (SELECT (xpath('count(/s:svg/s:g[@id="cells"]/s:path[starts-with(@fill, "#b2") or starts-with(@fill, "#ef") or starts-with(@fill, "#fd")])',
                         s::xml, ARRAY[ARRAY['s', 'http://www.w3.org/2000/svg']]))[1]::text::int FROM geo_t.svg),
          'SVG: the hot cells are filled in the hot colours');
SET LOCAL search_path = pg_catalog;
CREATE TABLE geo_t.report_pg AS SELECT * FROM brent_mdm.hotspot_report('2026-03-01', 'geo_b.asb_incident');
SET LOCAL search_path = geo_t, public;
SELECT is((SELECT count(*)::int FROM geo_t.report_pg), (SELECT count(*)::int FROM geo_t.report),
          'the report works whatever the caller''s search_path (PostGIS''s schema pinned)');
SELECT throws_ok($$SELECT * FROM brent_mdm.hotspot_report(NULL, 'geo_b.asb_incident')$$, '22004', NULL, 'a NULL month is refused');
SELECT throws_ok($$SELECT * FROM brent_mdm.hotspot_report('2026-03-01', 'geo_t.ev')$$, '42P01', NULL,
                 'a source with no ward table next to it and no area is refused');

-- ---- the grid is built once per statement: never a stale one ----
SELECT is((SELECT array[(SELECT count(*)::int FROM brent_mdm.hotspots('geo_t.ev', 'geom', 'd', '2025-01-01', '2025-02-01', 100, NULL, 'geo_t.area')),
                        (SELECT count(*)::int FROM brent_mdm.hotspots('geo_t.noise', 'geom', 'd', '2000-01-01', '2000-01-02', 100, NULL, 'geo_t.square')),
                        (SELECT count(*)::int FROM brent_mdm.hotspots('geo_t.ev', 'geom', 'd', '2025-01-01', '2025-02-01', 50, NULL, 'geo_t.area'))]),
          ARRAY[42, 400, 168], 'one statement, three grids (two areas, two cell sizes): each its own');
UPDATE geo_t.area SET geom = ST_MakeEnvelope(500000, 180000, 500300, 180300, 27700);
SELECT is((SELECT count(*)::int FROM brent_mdm.hotspots('geo_t.ev', 'geom', 'd', '2025-01-01', '2025-02-01', 100, NULL, 'geo_t.area')), 9,
          'the area changed in the same transaction: the next statement''s grid follows');

SELECT * FROM finish();
ROLLBACK;
