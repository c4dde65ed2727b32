-- Hot spots (src/geo): a small borough worked by hand, and bad input refused
-- with clear errors or counted apart with a NOTICE.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS brent_mdm CASCADE;
CREATE SCHEMA geo_r;
SET search_path = geo_r, public;

-- a borough of 3 x 3 cells of 100 m; one incident in each cell, 9 in the
-- middle one; the default area is the table "ward" next to the source
CREATE TABLE geo_r.ward (ward_code text, geom geometry(MultiPolygon, 27700));
INSERT INTO geo_r.ward VALUES
  ('W1', ST_Multi(ST_MakeEnvelope(500000, 180000, 500300, 180200, 27700))),
  ('W2', ST_Multi(ST_MakeEnvelope(500000, 180200, 500300, 180300, 27700)));
CREATE TABLE geo_r.incident (id serial, occurred_on date, geom geometry(Point, 27700));
INSERT INTO geo_r.incident (occurred_on, geom)
SELECT date '2026-03-10', ST_SetSRID(ST_MakePoint(500000 + i * 100 + 50, 180000 + j * 100 + 50), 27700)
  FROM generate_series(0, 2) i, generate_series(0, 2) j;
INSERT INTO geo_r.incident (occurred_on, geom)
SELECT date '2026-03-20', ST_SetSRID(ST_MakePoint(500120 + k, 180150), 27700) FROM generate_series(1, 8) k;

-- the middle cell's 8 neighbours are all its neighbours: its Gi* is undefined
-- with queen weights (every cell in every band), so a band of one cell:
-- X = 17/9, S = sqrt(89/9 - X^2); middle: sum w x = 13, sum w = 5
SELECT cell_id, ST_AsText(geom) AS cell, incidents, round(gi_z::numeric, 9) AS gi_z,
       round(gi_p::numeric, 9) AS gi_p, hotspot
  FROM brent_mdm.hotspots('geo_r.incident', 'geom', 'occurred_on', '2026-03-01', '2026-04-01', 100, 100)
 ORDER BY cell_id;
SELECT round(((13 - 17 / 9.0 * 5) / (sqrt(89 / 9.0 - (17 / 9.0) ^ 2) * sqrt((9 * 5 - 25) / 8.0)))::numeric, 9) AS middle_by_hand;
SELECT count(*) AS cells, count(gi_z) AS with_gi_z
  FROM brent_mdm.hotspots('geo_r.incident', 'geom', 'occurred_on', '2026-03-01', '2026-04-01', 100);

-- ---- bad input ----
SET client_min_messages = notice;
-- points outside the borough: counted apart, with a NOTICE
INSERT INTO geo_r.incident (occurred_on, geom) VALUES ('2026-03-05', ST_SetSRID(ST_MakePoint(499000, 180000), 27700));
SELECT sum(incidents) FROM brent_mdm.hotspots('geo_r.incident', 'geom', 'occurred_on', '2026-03-01', '2026-04-01', 100);
-- no location: counted apart too
CREATE TABLE geo_r.loose (occurred_on date, geom geometry);
INSERT INTO geo_r.loose VALUES ('2026-03-05', NULL), ('2026-03-05', ST_SetSRID(ST_MakePoint(500050, 180050), 27700));
SELECT sum(incidents) FROM brent_mdm.hotspots('geo_r.loose', 'geom', 'occurred_on', '2026-03-01', '2026-04-01', 100, area => 'geo_r.ward');
-- a period with no incident: every cell counts 0, no Gi*
SELECT count(*), sum(incidents), count(gi_z), min(hotspot)
  FROM brent_mdm.hotspots('geo_r.incident', 'geom', 'occurred_on', '2020-01-01', '2020-02-01', 100);
-- an empty or infinite period
SELECT * FROM brent_mdm.hotspots('geo_r.incident', 'geom', 'occurred_on', '2026-04-01', '2026-04-01');
SELECT * FROM brent_mdm.hotspots('geo_r.incident', 'geom', 'occurred_on', '2026-04-01', 'infinity');
-- NULL arguments
SELECT * FROM brent_mdm.hotspots(NULL, 'geom', 'occurred_on', '2026-03-01', '2026-04-01');
SELECT * FROM brent_mdm.hotspots('geo_r.incident', 'geom', 'occurred_on', NULL, '2026-04-01');
SELECT * FROM brent_mdm.hotspots('geo_r.incident', 'geom', 'occurred_on', '2026-03-01', '2026-04-01', NULL);
-- a geometry column of the wrong type: by its declared type, or by its rows
CREATE TABLE geo_r.shapes (d date, geom geometry(Polygon, 27700), g geometry, t text);
INSERT INTO geo_r.shapes VALUES ('2026-03-01', ST_MakeEnvelope(500000, 180000, 500010, 180010, 27700),
                                 ST_MakeEnvelope(500000, 180000, 500010, 180010, 27700), 'x');
SELECT * FROM brent_mdm.hotspots('geo_r.shapes', 'geom', 'd', '2026-03-01', '2026-04-01', area => 'geo_r.ward');
SELECT * FROM brent_mdm.hotspots('geo_r.shapes', 'g', 'd', '2026-03-01', '2026-04-01', area => 'geo_r.ward');
SELECT * FROM brent_mdm.hotspots('geo_r.shapes', 't', 'd', '2026-03-01', '2026-04-01', area => 'geo_r.ward');
SELECT * FROM brent_mdm.hotspots('geo_r.shapes', 'geom', 't', '2026-03-01', '2026-04-01', area => 'geo_r.ward');
SELECT * FROM brent_mdm.hotspots('geo_r.shapes', 'nothing', 'd', '2026-03-01', '2026-04-01', area => 'geo_r.ward');
-- mixed or unknown SRID
CREATE TABLE geo_r.mixed (d date, geom geometry);
INSERT INTO geo_r.mixed VALUES ('2026-03-01', ST_SetSRID(ST_MakePoint(500050, 180050), 27700)),
                               ('2026-03-02', ST_SetSRID(ST_MakePoint(-0.25, 51.55), 4326));
SELECT * FROM brent_mdm.hotspots('geo_r.mixed', 'geom', 'd', '2026-03-01', '2026-04-01', area => 'geo_r.ward');
-- (the same rows one at a time: each SRID alone is fine)
SELECT sum(incidents) FROM brent_mdm.hotspots('geo_r.mixed', 'geom', 'd', '2026-03-01', '2026-03-02', 100, area => 'geo_r.ward');
UPDATE geo_r.mixed SET geom = ST_SetSRID(geom, 0);
SELECT * FROM brent_mdm.hotspots('geo_r.mixed', 'geom', 'd', '2026-03-01', '2026-04-01', area => 'geo_r.ward');
-- no area given and no table "ward" next to the source; an area that is not one
CREATE SCHEMA geo_r2;
CREATE TABLE geo_r2.incident AS SELECT * FROM geo_r.incident;
SELECT * FROM brent_mdm.hotspots('geo_r2.incident', 'geom', 'occurred_on', '2026-03-01', '2026-04-01');
SELECT * FROM brent_mdm.hotspots('geo_r.incident', 'geom', 'occurred_on', '2026-03-01', '2026-04-01', area => 'geo_r.shapes');
DROP SCHEMA geo_r2 CASCADE;
SELECT * FROM brent_mdm.hotspots('geo_r.incident', 'geom', 'occurred_on', '2026-03-01', '2026-04-01', area => 'geo_r.mixed');
-- cell sizes: too many cells (the count is checked before anything is allocated), none, nonsense
SELECT * FROM brent_mdm.hotspots('geo_r.incident', 'geom', 'occurred_on', '2026-03-01', '2026-04-01', 0.05);
SELECT * FROM brent_mdm.hotspots('geo_r.incident', 'geom', 'occurred_on', '2026-03-01', '2026-04-01', 1e-300);
SELECT * FROM brent_mdm.hotspots('geo_r.incident', 'geom', 'occurred_on', '2026-03-01', '2026-04-01', 'NaN');
SELECT * FROM brent_mdm.hotspots('geo_r.incident', 'geom', 'occurred_on', '2026-03-01', '2026-04-01', -100);
SELECT * FROM brent_mdm.hotspots('geo_r.incident', 'geom', 'occurred_on', '2026-03-01', '2026-04-01', 5000);
SELECT * FROM brent_mdm.hotspots('geo_r.incident', 'geom', 'occurred_on', '2026-03-01', '2026-04-01', 100, -1);
-- a table the caller may not read
CREATE ROLE geo_r_nobody;
GRANT USAGE ON SCHEMA geo_r TO geo_r_nobody;
SET ROLE geo_r_nobody;
SELECT * FROM brent_mdm.hotspots('geo_r.incident', 'geom', 'occurred_on', '2026-03-01', '2026-04-01');
RESET ROLE;
REVOKE USAGE ON SCHEMA geo_r FROM geo_r_nobody;
DROP ROLE geo_r_nobody;
RESET client_min_messages;
DROP SCHEMA geo_r CASCADE;
-- leave the database as found (install.sql, next, starts without the extension)
DROP EXTENSION brent_mdm;
