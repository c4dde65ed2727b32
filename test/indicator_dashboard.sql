-- pgTAP: the dashboard page of a theme (issue 13), indicator_dashboard: a
-- well-formed, self-contained XHTML page with one section per installed
-- indicator of the theme, whose printed figures (borough value, period, each
-- ward's value, rank, quartile and direction of travel) are those of the
-- catalogue's readers (indicator_ward_ranks, indicator_trends), read back from
-- the page by XPath; every text escaped; current after a change; bad input
-- refused with its SQLSTATE.
\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only true
\pset pager off
SET client_min_messages = warning;
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS brent_mdm CASCADE;
SELECT plan(35);

SELECT lives_ok($$SELECT * FROM brent_mdm.generate_borough(3000, 5, 'dash')$$, 'a borough of 3000, seed 5');
-- a council's own indicator of the theme whose texts hold markup (computed as ASB incidents)
INSERT INTO brent_mdm.indicator_catalogue (indicator, theme, title, definition, unit, polarity, source_tables, numerator,
       denominator, dpia, disclosure_rule, source, numerator_measure, denominator_kind, population_age_from,
       population_age_to, multiplier, area_kind, area_column, period_column, grain)
SELECT 'zz_markup_rate', theme, 'Knives <b>& "blades"</b>', 'Incidents <script>alert(''x'')</script> & more', 'per 1,000 <people>',
       polarity, source_tables, numerator, denominator, dpia, disclosure_rule, source, numerator_measure, denominator_kind,
       population_age_from, population_age_to, multiplier, area_kind, area_column, period_column, grain
  FROM brent_mdm.indicator_catalogue WHERE indicator = 'asb_incidents_rate';
-- a ward whose name holds markup
UPDATE dash.ward SET ward_name = 'Kilburn <&> "Brondesbury"' WHERE ward_code = 'W08';
SELECT lives_ok($$SELECT * FROM brent_mdm.indicator_catalogue_install('dash',
                    (SELECT array_agg(indicator) FROM brent_mdm.indicator_catalogue WHERE theme = 'safety')
                    || '{mental_health_flag_rate}'::text[])$$,
                'the safety theme (and one borough-only indicator of health and wellbeing) installed');

-- the page, and its parts read back by XPath
CREATE TEMP TABLE page AS SELECT brent_mdm.indicator_dashboard('safety', NULL, 'dash') AS s;
CREATE FUNCTION pg_temp.sections(s text) RETURNS TABLE (indicator text, period text, borough_value text,
                                                        direction text, title text, definition text, maps integer,
                                                        charts integer, map_paths integer, chart_direction text)
  LANGUAGE sql AS $$
  SELECT x.* FROM xmltable(xmlnamespaces('http://www.w3.org/1999/xhtml' AS h, 'http://www.w3.org/2000/svg' AS s),
                           '/h:html/h:body/h:section[@class="indicator"]' PASSING xmlparse(DOCUMENT s)
                           COLUMNS indicator text PATH '@id', period text PATH 'h:dl/h:dd[@class="period"]/@data-period',
                                   borough_value text PATH 'h:dl/h:dd[@class="borough-value"]/@data-value',
                                   direction text PATH 'h:dl/h:dd[@class="borough-direction"]/@data-direction',
                                   title text PATH 'h:h2', definition text PATH 'h:p[@class="definition"]',
                                   maps integer PATH 'count(h:div/h:figure[@class="map"]/s:svg)',
                                   charts integer PATH 'count(h:div/h:figure[@class="chart"]/s:svg)',
                                   map_paths integer PATH 'count(h:div/h:figure[@class="map"]/s:svg/s:g[@id="areas"]/s:path)',
                                   chart_direction text PATH 'h:div/h:figure[@class="chart"]/s:svg/s:text[@id="direction"]') x
$$;
CREATE FUNCTION pg_temp.wards(s text) RETURNS TABLE (indicator text, ward_code text, ward text, value text, rank text,
                                                     quartile text, direction text)
  LANGUAGE sql AS $$
  SELECT x.* FROM xmltable(xmlnamespaces('http://www.w3.org/1999/xhtml' AS h),
                           '/h:html/h:body/h:section/h:table[@class="wards"]/h:tbody/h:tr' PASSING xmlparse(DOCUMENT s)
                           COLUMNS indicator text PATH '../../../@id', ward_code text PATH '@data-ward', ward text PATH 'h:th',
                                   value text PATH 'h:td[@class="value"]', rank text PATH 'h:td[@class="rank"]',
                                   quartile text PATH 'h:td[@class="quartile"]', direction text PATH 'h:td[@class="direction"]') x
$$;
-- what the readers say, printed as the page prints it
CREATE FUNCTION pg_temp.expected_wards(at_period date) RETURNS TABLE (indicator text, ward_code text, ward text, value text,
                                                                      rank text, quartile text, direction text)
  LANGUAGE sql AS $$
  SELECT r.indicator, r.ward_code, r.ward_code || ' ' || r.ward_name, coalesce(r.value::text, 'no data'),
         coalesce(r.rank || ' of ' || r.wards, '-'), coalesce(r.quartile::text, '-'), coalesce(t.direction, 'no trend')
    FROM brent_mdm.indicator_catalogue k
    CROSS JOIN LATERAL brent_mdm.indicator_ward_ranks(k.indicator, 'dash',
                                                      brent_mdm.period_start(at_period, k.grain)) r
    LEFT JOIN LATERAL brent_mdm.indicator_trends(k.indicator, 'dash') t ON t.area_code = r.ward_code
   WHERE k.theme = 'safety'
$$;

-- ---- the document ----
SELECT ok(xml_is_well_formed_document((SELECT s FROM page)), 'the page is a well-formed XML document');
SELECT is((SELECT (xpath('count(/h:html/h:head/h:title)', xmlparse(DOCUMENT s),
                         ARRAY[ARRAY['h', 'http://www.w3.org/1999/xhtml']]))[1]::text FROM page), '1',
          'an XHTML document (html in the XHTML namespace) with a title');
SELECT ok((SELECT s LIKE E'<!DOCTYPE html>\n<html xmlns="http://www.w3.org/1999/xhtml"%</html>' FROM page),
          'an HTML5 doctype, one html element');
SELECT ok((SELECT s !~* '<script|<link|<img|<iframe|<object|@import|url\(|\ssrc=|href="(?!#)' FROM page),
          'self-contained: no script, no link, image, frame or import, no URL but the page''s own anchors');
SELECT ok((SELECT s ~ '<style>[^<]+</style>' FROM page), 'the style inline');

-- ---- one section per installed indicator of the theme ----
SELECT set_eq($$SELECT indicator FROM pg_temp.sections((SELECT s FROM page))$$,
              $$SELECT k.indicator FROM brent_mdm.indicator_catalogue k
                  JOIN brent_mdm.indicator_catalogue_installed i ON i.indicator = k.indicator AND i.target_schema = 'dash'
                 WHERE k.theme = 'safety'$$,
              'one section per installed indicator of the theme (the 14 shipped and the council''s own)');
SELECT is((SELECT count(*)::int FROM pg_temp.sections((SELECT s FROM page))), 15, '15 sections, none twice');
SELECT is((SELECT count(*)::int FROM pg_temp.sections((SELECT s FROM page)) WHERE maps = 1 AND charts = 1 AND map_paths = 22), 15,
          'each with its ward map (22 wards) and its line chart');

-- ---- the figures printed are the readers' ----
SELECT is((SELECT count(*)::int FROM pg_temp.wards((SELECT s FROM page))), 15 * 22, 'a row per ward in each table');
SELECT set_eq($$SELECT * FROM pg_temp.wards((SELECT s FROM page))$$,
              $$SELECT * FROM pg_temp.expected_wards(NULL)$$,
              'each ward''s value, rank, quartile and direction of travel are indicator_ward_ranks'' and indicator_trends''');
SELECT ok((SELECT count(DISTINCT rank) > 3 AND count(DISTINCT direction) > 1 FROM pg_temp.wards((SELECT s FROM page))),
          '(the figures compared are not all alike)');
SELECT set_eq($$SELECT indicator, period, borough_value FROM pg_temp.sections((SELECT s FROM page))$$,
              $$SELECT DISTINCT indicator, period::text, borough_value::text FROM brent_mdm.indicator_ward_ranks(NULL, 'dash') r
                 WHERE indicator IN (SELECT indicator FROM brent_mdm.indicator_catalogue WHERE theme = 'safety')$$,
              'each section''s period and borough value: indicator_ward_ranks'' (the latest with a borough value)');
SELECT set_eq($$SELECT indicator, direction FROM pg_temp.sections((SELECT s FROM page))$$,
              $$SELECT t.indicator, t.direction FROM brent_mdm.indicator_trends(NULL, 'dash', 'borough') t
                 WHERE indicator IN (SELECT indicator FROM brent_mdm.indicator_catalogue WHERE theme = 'safety')$$,
              'each section''s borough trend: indicator_trends''');
SELECT is_empty($$SELECT indicator FROM pg_temp.sections((SELECT s FROM page))
                   WHERE direction <> split_part(split_part(chart_direction, ' (', 1), ':', 1)$$,
                'the line chart draws the same trend (its direction is the section''s)');
SELECT ok((SELECT s LIKE '%<title>Kilburn &lt;&amp;&gt; &quot;Brondesbury&quot;: %' FROM page),
          'the ward''s name is escaped in the map''s tooltips');

-- a period given: each indicator in its period that holds the date
CREATE TEMP TABLE page_q2 AS SELECT brent_mdm.indicator_dashboard('safety', '2025-05-17', 'dash') AS s;
SELECT is((SELECT array_agg(DISTINCT period) FROM pg_temp.sections((SELECT s FROM page_q2))), ARRAY['2025-04-01'],
          'a date given: every section in the quarter that holds it');
SELECT set_eq($$SELECT * FROM pg_temp.wards((SELECT s FROM page_q2))$$,
              $$SELECT * FROM pg_temp.expected_wards('2025-05-17')$$,
              '... with indicator_ward_ranks'' figures of that quarter');

-- ---- rollup-based: no event table of the borough is read ----
CREATE TEMP TABLE scans_before AS
SELECT relid, seq_scan, coalesce(idx_scan, 0) AS idx_scan FROM pg_stat_xact_user_tables;
CREATE TEMP TABLE page_scan AS SELECT brent_mdm.indicator_dashboard('safety', NULL, 'dash') AS s;
CREATE TEMP TABLE scanned AS
SELECT s.schemaname, s.relname FROM pg_stat_xact_user_tables s LEFT JOIN scans_before b USING (relid)
 WHERE s.seq_scan + coalesce(s.idx_scan, 0) > coalesce(b.seq_scan, 0) + coalesce(b.idx_scan, 0);
SELECT set_eq($$SELECT relname::text FROM scanned WHERE schemaname = 'dash'$$, ARRAY['ward', 'population_estimate', 'about'],
              'the page reads of the borough only its wards, population estimates and window: no event table');
SELECT ok((SELECT count(*) FROM scanned WHERE schemaname = 'brent_mdm_rollup') >= 15,
          '... its figures come from the rollups (their tables are read)');

-- ---- escaping ----
SELECT is((SELECT title FROM pg_temp.sections((SELECT s FROM page)) WHERE indicator = 'zz_markup_rate'),
          'Knives <b>& "blades"</b>', 'a title with markup reads back as its text (escaped, not markup)');
SELECT is((SELECT definition FROM pg_temp.sections((SELECT s FROM page)) WHERE indicator = 'zz_markup_rate'),
          'Incidents <script>alert(''x'')</script> & more', '... a definition too: no script element');
SELECT is((SELECT ward FROM pg_temp.wards((SELECT s FROM page)) WHERE indicator = 'zz_markup_rate' AND ward_code = 'W08'),
          'W08 Kilburn <&> "Brondesbury"', '... and a ward name');

-- ---- current: a change to the events is on the next page ----
INSERT INTO dash.asb_incident (incident_id, occurred_on, category, ward_code, geom)
SELECT 900000 + g, (SELECT period::date FROM pg_temp.sections((SELECT s FROM page)) WHERE indicator = 'asb_incidents_rate') + g,
       'noise', 'W03', geom
  FROM generate_series(1, 30) g, (SELECT geom FROM dash.asb_incident LIMIT 1) x;
CREATE TEMP TABLE page_after AS SELECT brent_mdm.indicator_dashboard('safety', NULL, 'dash') AS s;
SELECT ok((SELECT a.value::numeric > b.value::numeric FROM pg_temp.wards((SELECT s FROM page_after)) a
             JOIN pg_temp.wards((SELECT s FROM page)) b USING (indicator, ward_code)
            WHERE indicator = 'asb_incidents_rate' AND ward_code = 'W03'),
          '30 incidents added in a ward: its value on the page goes up');
SELECT set_eq($$SELECT * FROM pg_temp.wards((SELECT s FROM page_after)) WHERE indicator = 'asb_incidents_rate'$$,
              $$SELECT * FROM pg_temp.expected_wards(NULL) WHERE indicator = 'asb_incidents_rate'$$,
              '... and the page is the readers'' again (values, ranks, quartiles)');

-- ---- a borough-only indicator ----
SELECT ok((SELECT s LIKE '%<section class="indicator" id="mental_health_flag_rate">%A borough figure only%'
                   AND s NOT LIKE '%<table class="wards">%' AND s NOT LIKE '%<figure class="map">%'
                   AND s LIKE '%<figure class="chart">%'
             FROM (SELECT brent_mdm.indicator_dashboard('health and wellbeing', NULL, 'dash') AS s) x),
          'a borough-only indicator: its chart, no map, no ward table, and the page says why');

-- ---- bad input ----
SELECT throws_ok($$SELECT brent_mdm.indicator_dashboard(NULL, NULL, 'dash')$$, '22004', NULL, 'NULL theme: 22004');
SELECT throws_ok($$SELECT brent_mdm.indicator_dashboard('saftey', NULL, 'dash')$$, '22023', 'unknown theme "saftey"',
                 'an unknown theme: 22023');
SELECT throws_ok($$SELECT brent_mdm.indicator_dashboard('housing', NULL, 'dash')$$, '55000', NULL,
                 'a theme none of whose indicators is installed over the schema: 55000');
SELECT throws_ok($$SELECT brent_mdm.indicator_dashboard('safety', '2019-06-01', 'dash')$$, '22023',
                 'no figures of theme "safety" for period 2019-06-01', 'a period with no figures (before the window): 22023');
SELECT throws_ok($$SELECT brent_mdm.indicator_dashboard('safety', 'infinity', 'dash')$$, '22023', NULL, 'an infinite period: 22023');
SELECT throws_ok($$SELECT brent_mdm.indicator_dashboard('safety', NULL, 'dash', 0)$$, '22023', NULL, 'years 0: 22023');
SELECT throws_ok($$SELECT brent_mdm.indicator_dashboard('safety', NULL, 'no_such_schema')$$, '55000', NULL,
                 'a schema without the catalogue: 55000');

-- ---- markings ----
SELECT ok((SELECT provolatile = 's' AND proparallel = 'r' AND NOT prosecdef
             AND has_function_privilege('public', oid, 'EXECUTE')
             FROM pg_proc WHERE oid = 'brent_mdm.indicator_dashboard(text, date, name, integer)'::regprocedure),
          'STABLE, PARALLEL RESTRICTED, SECURITY INVOKER (reads with its caller''s rights), EXECUTE to PUBLIC');

SELECT * FROM finish();
ROLLBACK;
