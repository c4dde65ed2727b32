-- pgTAP: the indicator pictures (issue 13): svg_line_chart and svg_area_map
-- are well-formed XML whose shapes, values, colours and labels match the data
-- given, and refuse bad input with a clear error.
\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only true
\pset pager off
SET client_min_messages = warning;
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS brent_mdm CASCADE;
SELECT plan(28);

-- the number of times a pattern occurs in a text
CREATE FUNCTION pg_temp.hits(s text, pattern text) RETURNS integer
  LANGUAGE sql AS $$ SELECT count(*)::int FROM regexp_matches(s, pattern, 'g') $$;

-- a line chart of 24 months rising by 1 a month (a trend), one gap, and a band
CREATE TEMP TABLE series AS
SELECT (DATE '2024-01-01' + make_interval(months => k - 1))::date AS period,
       CASE WHEN k = 7 THEN NULL ELSE 10 + k END::float8 AS v, (8 + k)::float8 AS lo, (12 + k)::float8 AS hi
  FROM generate_series(1, 24) k;
CREATE TEMP TABLE chart AS
SELECT brent_mdm.svg_line_chart('Rising <fast> & "steady"', array_agg(period ORDER BY period), array_agg(v ORDER BY period),
                                'lower_better', array_agg(lo ORDER BY period), array_agg(hi ORDER BY period),
                                'London band', 'per 1,000') AS s
  FROM series;
SELECT ok(xml_is_well_formed_document((SELECT s FROM chart)), 'the line chart is well-formed XML');
SELECT ok((SELECT s LIKE '<svg xmlns="http://www.w3.org/2000/svg"%</svg>' FROM chart), 'an SVG document, self-contained');
SELECT is((SELECT pg_temp.hits(s, '<circle ') FROM chart), 23, 'one dot per known value (24 months, one gap)');
SELECT is((SELECT pg_temp.hits(s, '<polyline ') FROM chart), 2, 'the gap breaks the line in two');
SELECT ok((SELECT s LIKE '%<title>2024-06-01: 16 per 1,000</title>%' AND s LIKE '%<title>2025-12-01: 34 per 1,000</title>%' FROM chart),
          'each dot''s tooltip gives its period and value with the unit');
SELECT ok((SELECT s NOT LIKE '%2024-07-01:%' FROM chart), 'no dot for the gap');
SELECT ok((SELECT s LIKE '%<title>Rising &lt;fast&gt; &amp; &quot;steady&quot;</title>%' FROM chart), 'the title is escaped');
SELECT ok((SELECT s LIKE '%<polygon id="band"%<title>London band</title>%' FROM chart), 'the peer band is drawn, labelled');
SELECT ok((SELECT s LIKE '%<line id="trend"%stroke="#d7191c"%' FROM chart),
          'a rising series under lower_better: the trend line is red (worsening)');
SELECT ok((SELECT s LIKE '%>worsening (Mann-Kendall tau 1.00,%' FROM chart), 'and the direction says worsening, tau 1');
-- the trend line's ends: Sen's slope 1 a month through the median intercept:
-- the line goes from value 11 (January 2024) to 34 (December 2025); y axis 0 to 40
SELECT ok((SELECT s ~ '<line id="trend" x1="70.0" y1="\d+\.\d" x2="680.0"' FROM chart), 'the trend spans the chart');
SELECT is((SELECT round((regexp_match(s, '<line id="trend" x1="[0-9.]+" y1="([0-9.]+)" x2="[0-9.]+" y2="([0-9.]+)"'))[1]::numeric
                        - (regexp_match(s, '<line id="trend" x1="[0-9.]+" y1="([0-9.]+)" x2="[0-9.]+" y2="([0-9.]+)"'))[2]::numeric)
             FROM chart),
          round((310 - 50) * 23 / 40.0),
          'its rise on the page is 23 units of a 0-40 axis (Sen''s slope 1 over 23 months)');
SELECT is((SELECT brent_mdm.svg_line_chart('short', ARRAY[DATE '2024-01-01', '2024-02-01', '2024-03-01'], ARRAY[1, 2, 3]::float8[])
             LIKE '%not enough data%'), true, 'three values: no trend line, and it says why');
SELECT ok((SELECT brent_mdm.svg_line_chart('short', ARRAY[DATE '2024-01-01', '2024-02-01', '2024-03-01'], ARRAY[1, 2, 3]::float8[])
             NOT LIKE '%id="trend"%'), '(no trend line drawn)');
SELECT ok((SELECT s LIKE '%<g id="legend">%London band</text></g>%' FROM chart), 'the band has its legend');
SELECT ok(brent_mdm.svg_line_chart('no band', ARRAY[DATE '2024-01-01', '2024-02-01'], ARRAY[1, 2]::float8[]) NOT LIKE '%id="legend"%'
          AND brent_mdm.svg_line_chart('no band', ARRAY[DATE '2024-01-01', '2024-02-01'], ARRAY[1, 2]::float8[]) NOT LIKE '%peers%',
          'a chart without a band has no legend of one (it once showed "peers" for no band)');
SELECT throws_ok($$SELECT brent_mdm.svg_line_chart('x', ARRAY[DATE '2024-02-01', '2024-01-01'], ARRAY[1, 2]::float8[])$$,
                 '22023', NULL, 'periods out of order: 22023');
SELECT throws_ok($$SELECT brent_mdm.svg_line_chart('x', ARRAY[DATE '2024-01-01', '2024-02-01'], ARRAY[1]::float8[])$$,
                 '22023', NULL, 'fewer values than periods: 22023');
SELECT throws_ok($$SELECT brent_mdm.svg_line_chart('x', ARRAY[DATE '2024-01-01', '2024-02-01'], ARRAY[1, 'NaN']::float8[])$$,
                 '22023', NULL, 'NaN: 22023');
SELECT throws_ok($$SELECT brent_mdm.svg_line_chart('x', ARRAY[DATE '2024-01-01', '2024-02-01'], ARRAY[1, 2]::float8[], 'upwards')$$,
                 '22023', NULL, 'an unknown polarity: 22023');

-- a map of 8 squares with values 1..7 and one without
CREATE TEMP TABLE map AS
SELECT brent_mdm.svg_area_map('Eight <areas>', array_agg('area ' || k ORDER BY k),
                              array_agg(ST_MakeEnvelope(k * 100, 0, k * 100 + 100, 100, 27700) ORDER BY k),
                              array_agg(CASE WHEN k = 8 THEN NULL ELSE k END::float8 ORDER BY k), 'higher_better', '%') AS s
  FROM generate_series(1, 8) k;
SELECT ok(xml_is_well_formed_document((SELECT s FROM map)), 'the map is well-formed XML');
SELECT is((SELECT pg_temp.hits(s, '<path ') FROM map), 8, 'one shape per area');
SELECT ok((SELECT s LIKE '%<path d="M 700 0 L 700 -100 800 -100 800 0 Z" fill="#1a9641"><title>area 7: 7 % (quartile 1)</title></path>%' FROM map),
          'the highest value is in quartile 1, green under higher_better, with its tooltip and its shape');
SELECT ok((SELECT s LIKE '%fill="#d7191c"><title>area 1: 1 % (quartile 4)</title>%' FROM map),
          'the lowest in quartile 4, red');
SELECT ok((SELECT s LIKE '%fill="#f0f0f0"><title>area 8: no data</title>%' AND s LIKE '%>no data</text>%' FROM map),
          'an area without a value is grey, and the legend says no data');
-- ties: 8 areas, one at 5 and seven at 0 (positions 2 to 8: ntile 1, 2, 2, 3, 3, 4, 4): the zeros share
-- the quartile of their average position (19 / 7, rounded: 3), the 5 is quartile 1
CREATE TEMP TABLE tied AS
SELECT brent_mdm.svg_area_map('Ties', array_agg('area ' || k ORDER BY k),
                              array_agg(ST_MakeEnvelope(k * 100, 0, k * 100 + 100, 100, 27700) ORDER BY k),
                              array_agg(CASE WHEN k = 4 THEN 5 ELSE 0 END::float8 ORDER BY k), 'lower_better') AS s
  FROM generate_series(1, 8) k;
SELECT is((SELECT pg_temp.hits(s, '<title>area [0-9]: 0 \(quartile 3\)</title>') FROM tied), 7,
          'equal values share one quartile (that of their average position), whatever their order');
SELECT ok((SELECT s LIKE '%fill="#d7191c"><title>area 4: 5 (quartile 1)</title>%' AND pg_temp.hits(s, '<rect [^>]*stroke="#888"') = 2 FROM tied),
          '... the other value keeps its own, and the legend has the two quartiles drawn');
SELECT throws_ok($$SELECT brent_mdm.svg_area_map('x', ARRAY['a'], ARRAY[ST_MakePoint(0, 0)], ARRAY[1]::float8[])$$,
                 '22023', NULL, 'a point is not an area: 22023');

SELECT * FROM finish();
ROLLBACK;
