-- ---- geo: the monthly report for the Joint Action Group (rows, GeoJSON, SVG map) ----

CREATE FUNCTION brent_mdm.xml_text(t text) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  RETURN replace(replace(replace(replace(
           -- characters XML 1.0 does not allow (controls but tab, newline and return; U+FFFE, U+FFFF)
           -- would make the document not well-formed: dropped
           regexp_replace(t, '[\x01-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]', '', 'g'),
           '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), '"', '&quot;');
COMMENT ON FUNCTION brent_mdm.xml_text(text) IS 'Text escaped for XML content and attribute values (& < > "), without the characters XML 1.0 does not allow (control characters but tab, newline and carriage return; U+FFFE, U+FFFF)';

CREATE FUNCTION brent_mdm.hotspot_colour(class text) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  RETURN CASE class WHEN 'hot 99' THEN '#b2182b' WHEN 'hot 95' THEN '#ef8a62' WHEN 'hot 90' THEN '#fddbc7'
                    WHEN 'cold 90' THEN '#d1e5f0' WHEN 'cold 95' THEN '#67a9cf' WHEN 'cold 99' THEN '#2166ac'
                    ELSE 'none' END;
COMMENT ON FUNCTION brent_mdm.hotspot_colour(text) IS
  'The map colour of a hot spot class (ColorBrewer RdBu: red hot, blue cold; none when not significant)';

CREATE FUNCTION brent_mdm.hotspot_report(
    month        date,
    source       regclass DEFAULT NULL,
    cell_size    float8   DEFAULT 250,
    geom_column  name     DEFAULT 'geom',
    time_column  name     DEFAULT 'occurred_on',
    area         regclass DEFAULT NULL)
  RETURNS TABLE (rank integer, cell_id bigint, ward_code text, ward_name text, incidents bigint,
                 last_month bigint, change bigint, gi_z float8, hotspot text, hotspot_last_month text,
                 category text, geom geometry)
  LANGUAGE plpgsql STABLE CALLED ON NULL INPUT PARALLEL RESTRICTED
AS $$
DECLARE
  m0   date;
  src  regclass := coalesce(source, pg_catalog.to_regclass('borough.asb_incident'));
  wards regclass;
BEGIN
  IF month IS NULL OR cell_size IS NULL OR geom_column IS NULL OR time_column IS NULL THEN
    RAISE EXCEPTION 'month, cell_size, geom_column and time_column must not be NULL'
      USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF src IS NULL THEN
    RAISE EXCEPTION 'no source given and no table borough.asb_incident'
      USING ERRCODE = 'undefined_table',
            HINT = 'Give the incidents: hotspot_report(month, source => ''schema.table'').';
  END IF;
  IF NOT pg_catalog.isfinite(month) THEN
    RAISE EXCEPTION 'month must be a finite date' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  m0 := pg_catalog.date_trunc('month', month)::date;
  wards := coalesce(area, pg_catalog.to_regclass(pg_catalog.format('%I.ward',
             (SELECT n.nspname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
               WHERE c.oid = src))));
  IF wards IS NULL THEN
    RAISE EXCEPTION 'no table "ward" next to % to give the borough''s outline', src
      USING ERRCODE = 'undefined_table', HINT = 'Give the polygons with area => ''schema.table''.';
  END IF;
  RETURN QUERY EXECUTE pg_catalog.format($q$
    WITH now AS (SELECT * FROM brent_mdm.hotspots($1, $2, $3, $4, ($4 + interval '1 month')::date, $5, NULL, $6)),
         before AS (SELECT * FROM brent_mdm.hotspots($1, $2, $3, ($4 - interval '1 month')::date, $4, $5, NULL, $6)),
         trend AS (SELECT * FROM brent_mdm.emerging_hotspots($1, $2, $3, ($4 - interval '11 months')::date,
                                                              ($4 + interval '1 month')::date, $5, 'month', $6)),
         rows AS (
           SELECT n.cell_id, n.incidents, b.incidents AS last_month, n.gi_z, n.hotspot, b.hotspot AS hotspot_last_month,
                  t.category, n.geom
             FROM now n JOIN before b USING (cell_id) JOIN trend t USING (cell_id)
            WHERE n.hotspot <> 'not significant' OR t.category <> 'no pattern')
    SELECT (pg_catalog.row_number() OVER (ORDER BY r.gi_z DESC NULLS LAST, r.cell_id))::integer,
           r.cell_id, w.ward_code, w.ward_name, r.incidents, r.last_month, r.incidents - r.last_month,
           r.gi_z, r.hotspot, r.hotspot_last_month, r.category, r.geom
      FROM rows r
      LEFT JOIN LATERAL (
        SELECT pg_catalog.to_jsonb(w) ->> 'ward_code' AS ward_code, pg_catalog.to_jsonb(w) ->> 'ward_name' AS ward_name
          FROM %s w WHERE ST_Intersects(w.%I, ST_Transform(ST_Centroid(r.geom), ST_SRID(w.%I)))
         LIMIT 1) w ON true
     ORDER BY 1 $q$, wards, 'geom', 'geom')
  USING src, geom_column, time_column, m0, cell_size, area;
END
$$;
COMMENT ON FUNCTION brent_mdm.hotspot_report(date, regclass, float8, name, name, regclass) IS
  'The Joint Action Group''s month: every cell hot or cold this month or with an emerging pattern over the 12 '
  'months to it, ranked by Gi*, with its ward, incidents, change on last month and emerging category';

CREATE FUNCTION brent_mdm.hotspot_report_geojson(
    month        date,
    source       regclass DEFAULT NULL,
    cell_size    float8   DEFAULT 250,
    geom_column  name     DEFAULT 'geom',
    time_column  name     DEFAULT 'occurred_on',
    area         regclass DEFAULT NULL)
  RETURNS jsonb
  LANGUAGE sql STABLE CALLED ON NULL INPUT PARALLEL RESTRICTED
AS $$
  SELECT pg_catalog.jsonb_build_object(
           'type', 'FeatureCollection',
           'name', 'ASB hot spots ' || pg_catalog.to_char(month, 'YYYY-MM'),
           'features', coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
             'type', 'Feature',
             'id', r.cell_id,
             'geometry', ST_AsGeoJSON(ST_Transform(r.geom, 4326), 6)::jsonb,
             'properties', pg_catalog.jsonb_build_object(
               'rank', r.rank, 'cell_id', r.cell_id, 'ward_code', r.ward_code, 'ward_name', r.ward_name,
               'incidents', r.incidents, 'last_month', r.last_month, 'change', r.change,
               'gi_z', round(r.gi_z::numeric, 3), 'hotspot', r.hotspot,
               'hotspot_last_month', r.hotspot_last_month, 'category', r.category))
             ORDER BY r.rank), '[]'::jsonb))
    FROM brent_mdm.hotspot_report(month, source, cell_size, geom_column, time_column, area) r
$$;
COMMENT ON FUNCTION brent_mdm.hotspot_report_geojson(date, regclass, float8, name, name, regclass) IS
  'hotspot_report as a GeoJSON FeatureCollection (RFC 7946: WGS 84 longitude, latitude) for a web map or QGIS';

CREATE FUNCTION brent_mdm.hotspot_report_svg(
    month        date,
    source       regclass DEFAULT NULL,
    cell_size    float8   DEFAULT 250,
    geom_column  name     DEFAULT 'geom',
    time_column  name     DEFAULT 'occurred_on',
    area         regclass DEFAULT NULL)
  RETURNS text
  LANGUAGE plpgsql STABLE CALLED ON NULL INPUT PARALLEL RESTRICTED
AS $$
DECLARE
  src   regclass := coalesce(source, pg_catalog.to_regclass('borough.asb_incident'));
  wards regclass;
  e     record;
  w     float8;
  h     float8;
  f     float8;     -- a font size, in metres of the map
  svg   text;
  cells text := '';
  outline text := '';
  legend text := '';
  i     integer := 0;
  r     record;
  classes CONSTANT text[] := ARRAY['hot 99', 'hot 95', 'hot 90', 'cold 90', 'cold 95', 'cold 99'];
  lx    float8;
  ly    float8;
BEGIN
  IF month IS NULL THEN
    RAISE EXCEPTION 'month must not be NULL' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF src IS NULL THEN
    RAISE EXCEPTION 'no source given and no table borough.asb_incident'
      USING ERRCODE = 'undefined_table',
            HINT = 'Give the incidents: hotspot_report_svg(month, source => ''schema.table'').';
  END IF;
  wards := coalesce(area, pg_catalog.to_regclass(pg_catalog.format('%I.ward',
             (SELECT n.nspname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
               WHERE c.oid = src))));
  IF wards IS NULL THEN
    RAISE EXCEPTION 'no table "ward" next to % to draw the borough', src
      USING ERRCODE = 'undefined_table', HINT = 'Give the polygons with area => ''schema.table''.';
  END IF;
  -- the wards in EPSG 27700, the map's frame; SVG's y runs down, ST_AsSVG's paths are (x, -y)
  EXECUTE pg_catalog.format(
    'SELECT ST_XMin(x.e) AS x0, ST_YMin(x.e) AS y0, ST_XMax(x.e) AS x1, ST_YMax(x.e) AS y1,'
    ' (SELECT pg_catalog.string_agg(pg_catalog.format(''<path d="%%s"/>'', ST_AsSVG(ST_Transform(w.geom, 27700), 0, 1)), '''')'
    '    FROM %s w) AS paths'
    ' FROM (SELECT ST_Extent(ST_Transform(geom, 27700)) AS e FROM %s) x', wards, wards) INTO e;
  w := e.x1 - e.x0;
  h := e.y1 - e.y0;
  f := greatest(w, h) / 45;
  FOR r IN SELECT * FROM brent_mdm.hotspot_report(month, src, cell_size, geom_column, time_column, area) LOOP
    cells := cells || pg_catalog.format('<path d="%s" fill="%s"%s><title>%s</title></path>',
      ST_AsSVG(r.geom, 0, 1),
      brent_mdm.hotspot_colour(r.hotspot),
      CASE WHEN r.category ~ '^(new|consecutive|intensifying) hot' THEN ' stroke="#000" stroke-width="' || round((f / 4)::numeric, 1) || '"' ELSE '' END,
      brent_mdm.xml_text(pg_catalog.format('%s %s: %s incidents (%s last month), %s, %s',
                         coalesce(r.ward_name, ''), r.cell_id, r.incidents, r.last_month, r.hotspot, r.category)));
  END LOOP;
  -- the legend, right of the borough
  lx := e.x1 + f;
  FOR k IN 1 .. 7 LOOP
    ly := -e.y1 + f * 1.5 * (k - 1);
    legend := legend || pg_catalog.format('<rect x="%s" y="%s" width="%s" height="%s" fill="%s" stroke="%s"%s/><text x="%s" y="%s">%s</text>',
      round(lx::numeric, 1), round(ly::numeric, 1), round(f::numeric, 1), round(f::numeric, 1),
      CASE WHEN k <= 6 THEN brent_mdm.hotspot_colour(classes[k]) ELSE 'none' END,
      CASE WHEN k <= 6 THEN '#888' ELSE '#000' END,
      CASE WHEN k <= 6 THEN '' ELSE ' stroke-width="' || round((f / 4)::numeric, 1) || '"' END,
      round((lx + 1.5 * f)::numeric, 1), round((ly + 0.85 * f)::numeric, 1),
      CASE WHEN k <= 6 THEN replace(classes[k], ' ', ' spot, ') || ' % confidence'
           ELSE 'emerging: new, consecutive or intensifying' END);
  END LOOP;
  svg := pg_catalog.format(
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="%s %s %s %s" width="900" height="%s" font-family="sans-serif" font-size="%s">'
    '<title>%s</title>'
    '<rect x="%s" y="%s" width="%s" height="%s" fill="#fff"/>'
    '<text x="%s" y="%s" font-size="%s" font-weight="bold">%s</text>'
    '<g id="cells" stroke="none">%s</g>'
    '<g id="wards" fill="none" stroke="#444" stroke-width="%s">%s</g>'
    '<g id="legend">%s</g></svg>',
    round((e.x0 - f)::numeric, 1), round((-e.y1 - 3 * f)::numeric, 1), round((w + 25 * f)::numeric, 1), round((h + 4 * f)::numeric, 1),
    round((900 * (h + 4 * f) / (w + 25 * f))::numeric), round(f::numeric, 1),
    brent_mdm.xml_text('Anti-social behaviour hot spots, ' || pg_catalog.to_char(month, 'FMMonth YYYY')),
    round((e.x0 - f)::numeric, 1), round((-e.y1 - 3 * f)::numeric, 1), round((w + 25 * f)::numeric, 1), round((h + 4 * f)::numeric, 1),
    round(e.x0::numeric, 1), round((-e.y1 - 1.2 * f)::numeric, 1), round((1.4 * f)::numeric, 1),
    brent_mdm.xml_text('Anti-social behaviour hot spots, ' || pg_catalog.to_char(month, 'FMMonth YYYY')
                       || ' (Getis-Ord Gi*, ' || cell_size || ' m cells, FDR)'),
    cells, round((f / 8)::numeric, 2), e.paths, legend);
  RETURN svg;
END
$$;
COMMENT ON FUNCTION brent_mdm.hotspot_report_svg(date, regclass, float8, name, name, regclass) IS
  'hotspot_report as a self-contained SVG map: wards outlined, hot and cold cells coloured, emerging ones outlined, '
  'legend and title';


-- PostGIS's functions by name whatever the caller's search_path (PG 15 has no
-- @extschema:postgis@): the schema PostGIS is installed in, found at install
DO $do$
DECLARE ps name := (SELECT n.nspname FROM pg_catalog.pg_extension e
                      JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'postgis');
BEGIN
  EXECUTE pg_catalog.format('ALTER FUNCTION brent_mdm.hotspot_report(date, regclass, float8, name, name, regclass) SET search_path = brent_mdm, %I, pg_catalog', ps);
  EXECUTE pg_catalog.format('ALTER FUNCTION brent_mdm.hotspot_report_geojson(date, regclass, float8, name, name, regclass) SET search_path = brent_mdm, %I, pg_catalog', ps);
  EXECUTE pg_catalog.format('ALTER FUNCTION brent_mdm.hotspot_report_svg(date, regclass, float8, name, name, regclass) SET search_path = brent_mdm, %I, pg_catalog', ps);
END
$do$;

-- They read the caller's tables with the caller's privileges (not SECURITY
-- DEFINER): granted to PUBLIC like the other analyst functions.
GRANT EXECUTE ON FUNCTION
  brent_mdm.hotspot_report(date, regclass, float8, name, name, regclass),
  brent_mdm.hotspot_report_geojson(date, regclass, float8, name, name, regclass),
  brent_mdm.hotspot_report_svg(date, regclass, float8, name, name, regclass),
  brent_mdm.xml_text(text), brent_mdm.hotspot_colour(text)
  TO PUBLIC;
