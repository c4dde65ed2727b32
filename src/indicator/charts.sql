-- ---- indicator: pictures (issue 13) ----
--
-- Self-contained SVG made in SQL (no external assets, no scripts, works
-- offline): a line chart of a series with its trend line and a peer band, and
-- a choropleth map of areas coloured by quartile with polarity.  Both are pure
-- functions of their arguments (IMMUTABLE): read the figures with your own
-- rights, then draw them.  Every text drawn is XML-escaped (xml_text).

-- Colours (ColorBrewer): RdYlGn for a polarity (green is better), Blues for neutral.
CREATE FUNCTION brent_mdm.quartile_colour(quartile integer, polarity text) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  RETURN CASE WHEN quartile NOT BETWEEN 1 AND 4 THEN '#ffffff'
              WHEN polarity = 'higher_better' THEN (ARRAY['#1a9641', '#a6d96a', '#fdae61', '#d7191c'])[quartile]
              WHEN polarity = 'lower_better' THEN (ARRAY['#d7191c', '#fdae61', '#a6d96a', '#1a9641'])[quartile]
              ELSE (ARRAY['#08519c', '#3182bd', '#6baed6', '#bdd7e7'])[quartile] END;
COMMENT ON FUNCTION brent_mdm.quartile_colour(integer, text) IS
  'The map colour of a quartile (1 = the highest values): green for the better end and red for the worse under polarity higher_better or lower_better (ColorBrewer RdYlGn), blues when neutral';
GRANT EXECUTE ON FUNCTION brent_mdm.quartile_colour(integer, text) TO PUBLIC;

CREATE FUNCTION brent_mdm.direction_colour(direction text) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  RETURN CASE direction WHEN 'improving' THEN '#1a9641' WHEN 'worsening' THEN '#d7191c' ELSE '#555555' END;
COMMENT ON FUNCTION brent_mdm.direction_colour(text) IS
  'The colour of a direction of travel: green improving, red worsening, grey otherwise';
GRANT EXECUTE ON FUNCTION brent_mdm.direction_colour(text) TO PUBLIC;

-- A number as a chart prints it: up to 4 significant digits, no exponent.
CREATE FUNCTION brent_mdm.chart_number(x float8) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  RETURN CASE WHEN x = 0 THEN '0'
              ELSE rtrim(rtrim(round(x::numeric, greatest(0, 3 - floor(log(abs(x)::numeric)))::int)::text, '0'), '.') END;
COMMENT ON FUNCTION brent_mdm.chart_number(float8) IS
  'A number as the charts print it: about 4 significant digits, trailing zeros dropped';
GRANT EXECUTE ON FUNCTION brent_mdm.chart_number(float8) TO PUBLIC;

CREATE FUNCTION brent_mdm.svg_line_chart(title text, periods date[], series float8[],
                                         polarity text DEFAULT 'neutral',
                                         band_low float8[] DEFAULT NULL, band_high float8[] DEFAULT NULL,
                                         band_label text DEFAULT 'peers', unit text DEFAULT NULL)
  RETURNS text
  LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  n integer := cardinality(periods);
  w constant float8 := 720; h constant float8 := 360;
  l constant float8 := 70; r constant float8 := 40; t constant float8 := 50; b constant float8 := 50;
  d0 date; d1 date; y0 float8; y1 float8; step float8; mag float8;
  xs float8[] := '{}'; ys float8[] := '{}';
  axes text := ''; band text := ''; line text := ''; dots text := ''; trendline text := ''; caption text := '';
  run text := '';
  tr record;
  a float8;
  v float8;
  i integer;
BEGIN
  IF title IS NULL OR periods IS NULL OR series IS NULL OR polarity IS NULL THEN
    RAISE EXCEPTION 'title, periods, series and polarity must not be NULL' USING ERRCODE = '22004';
  END IF;
  IF polarity NOT IN ('higher_better', 'lower_better', 'neutral') THEN
    RAISE EXCEPTION 'polarity must be higher_better, lower_better or neutral, not "%"', left(polarity, 100)
      USING ERRCODE = '22023';
  END IF;
  IF n IS NULL OR n < 2 OR cardinality(series) <> n
     OR (band_low IS NOT NULL AND cardinality(band_low) <> n) OR (band_high IS NOT NULL AND cardinality(band_high) <> n)
     OR ((band_low IS NULL) <> (band_high IS NULL)) THEN
    RAISE EXCEPTION 'a chart needs two periods or more, and as many values (and band values) as periods'
      USING ERRCODE = '22023', DETAIL = format('%s periods, %s values.', coalesce(n, 0), coalesce(cardinality(series), 0));
  END IF;
  IF n > 10000 THEN
    RAISE EXCEPTION 'a chart of % periods is more than 10,000', n USING ERRCODE = '54000';
  END IF;
  IF EXISTS (SELECT FROM generate_subscripts(periods, 1) k WHERE periods[k] IS NULL OR (k > 1 AND periods[k] <= periods[k - 1]))
     OR 'infinity' = ANY (periods) OR '-infinity' = ANY (periods) THEN
    RAISE EXCEPTION 'periods must be finite dates in increasing order' USING ERRCODE = '22023';
  END IF;
  IF NOT EXISTS (SELECT FROM unnest(series) x WHERE x IS NOT NULL) THEN
    RAISE EXCEPTION 'the series has no value to draw' USING ERRCODE = '22023';
  END IF;
  IF EXISTS (SELECT FROM unnest(series || coalesce(band_low, '{}') || coalesce(band_high, '{}')) x
              WHERE x IN ('NaN', 'Infinity', '-Infinity')) THEN
    RAISE EXCEPTION 'values must be finite numbers (NULL for a gap)' USING ERRCODE = '22023';
  END IF;
  d0 := periods[1]; d1 := periods[n];
  SELECT least(0, min(x)), max(x) INTO y0, y1
    FROM unnest(series || coalesce(band_low, '{}') || coalesce(band_high, '{}')) x;
  IF y1 <= y0 THEN y1 := y0 + 1; END IF;
  -- y ticks at 1, 2 or 5 times a power of ten, 4 to 10 of them
  mag := power(10, floor(log((y1 - y0) / 5)));
  step := CASE WHEN (y1 - y0) / mag <= 10 THEN mag * 2 WHEN (y1 - y0) / mag <= 25 THEN mag * 5 ELSE mag * 10 END;
  IF step > (y1 - y0) / 4 THEN step := step / 2; END IF;
  y0 := floor(y0 / step) * step; y1 := ceil(y1 / step) * step;
  FOR i IN 1 .. n LOOP
    xs := xs || (l + (w - l - r) * (periods[i] - d0) / greatest(d1 - d0, 1));
    ys := ys || CASE WHEN series[i] IS NULL THEN NULL ELSE t + (h - t - b) * (y1 - series[i]) / (y1 - y0) END;
  END LOOP;
  -- axes, ticks and labels
  -- (counted, not a := a + step until y1: next to 1e17 a step of 2.5 is lost
  -- in float8 rounding, and that loop never ended)
  FOR i IN 0 .. least(round((y1 - y0) / step), 50)::int LOOP
    a := y0 + i * step;
    v := t + (h - t - b) * (y1 - a) / (y1 - y0);
    axes := axes || format('<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#e0e0e0"/><text x="%s" y="%s" text-anchor="end">%s</text>',
                           l, round(v::numeric, 1), w - r, round(v::numeric, 1), l - 6, round((v + 4)::numeric, 1),
                           brent_mdm.chart_number(a));
  END LOOP;
  FOR i IN SELECT DISTINCT k FROM (VALUES (1), (n), ((n + 1) / 2), ((n + 3) / 4), ((3 * n + 1) / 4)) s(k) ORDER BY 1 LOOP
    axes := axes || format('<text x="%s" y="%s" text-anchor="middle">%s</text>',
                           round(xs[i]::numeric, 1), h - b + 18, to_char(periods[i], 'Mon YYYY'));
  END LOOP;
  axes := axes || format('<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#000"/><line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#000"/>',
                         l, t, l, h - b, l, h - b, w - r, h - b);
  -- the peer band: low along, high back (periods where both are known)
  IF band_low IS NOT NULL THEN
    SELECT string_agg(format('%s,%s', round(xs[k]::numeric, 1),
                             round((t + (h - t - b) * (y1 - band_low[k]) / (y1 - y0))::numeric, 1)), ' ' ORDER BY k)
           || ' ' ||
           string_agg(format('%s,%s', round(xs[k]::numeric, 1),
                             round((t + (h - t - b) * (y1 - band_high[k]) / (y1 - y0))::numeric, 1)), ' ' ORDER BY k DESC)
      INTO band
      FROM generate_subscripts(periods, 1) k WHERE band_low[k] IS NOT NULL AND band_high[k] IS NOT NULL;
    IF band IS NOT NULL THEN
      band := format('<polygon id="band" points="%s" fill="#d9d9d9" stroke="none"><title>%s</title></polygon>',
                     band, brent_mdm.xml_text(band_label));
    END IF;
  END IF;
  -- the series: one polyline per run of known values (a gap breaks it), a dot per value
  FOR i IN 1 .. n LOOP
    IF ys[i] IS NOT NULL THEN
      run := run || format('%s,%s ', round(xs[i]::numeric, 1), round(ys[i]::numeric, 1));
      dots := dots || format('<circle cx="%s" cy="%s" r="3"><title>%s: %s</title></circle>',
                             round(xs[i]::numeric, 1), round(ys[i]::numeric, 1), periods[i],
                             brent_mdm.xml_text(brent_mdm.chart_number(series[i]) || coalesce(' ' || unit, '')));
    END IF;
    IF (ys[i] IS NULL OR i = n) AND run <> '' THEN
      line := line || format('<polyline points="%s" fill="none" stroke="#1f4e79" stroke-width="2"/>', rtrim(run));
      run := '';
    END IF;
  END LOOP;
  -- the trend: Sen's slope through the median intercept, when the series is long enough
  SELECT * INTO tr FROM brent_mdm.trend(series, polarity);
  IF tr.sen_slope IS NOT NULL AND tr.direction <> 'not enough data' THEN
    SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY series[k] - tr.sen_slope * (k - 1)) INTO a
      FROM generate_subscripts(series, 1) k WHERE series[k] IS NOT NULL;
    trendline := format('<line id="trend" x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="2" stroke-dasharray="6 4"><title>%s</title></line>',
                        round(xs[1]::numeric, 1), round((t + (h - t - b) * (y1 - a) / (y1 - y0))::numeric, 1),
                        round(xs[n]::numeric, 1),
                        round((t + (h - t - b) * (y1 - (a + tr.sen_slope * (n - 1))) / (y1 - y0))::numeric, 1),
                        brent_mdm.direction_colour(tr.direction),
                        brent_mdm.xml_text(format('trend (Sen''s slope): %s a period', brent_mdm.chart_number(tr.sen_slope))));
    caption := format('%s (Mann-Kendall tau %s, p %s)', tr.direction, round(tr.tau::numeric, 2), round(tr.p::numeric, 4));
  ELSE
    caption := coalesce(tr.direction, 'not enough data') || coalesce(': ' || tr.reason, '');
  END IF;
  RETURN format('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %s %s" width="%s" height="%s" font-family="sans-serif" font-size="12">'
                '<title>%s</title><rect width="%s" height="%s" fill="#fff"/>'
                '<text x="%s" y="22" font-size="16" font-weight="bold">%s</text>'
                '<text id="direction" x="%s" y="40" fill="%s">%s</text>'
                '<g id="axes">%s</g>%s<g id="series">%s%s</g>%s'
                '%s</svg>',
                w, h, w, h, brent_mdm.xml_text(title), w, h, l, brent_mdm.xml_text(title),
                l, brent_mdm.direction_colour(coalesce(tr.direction, '')), brent_mdm.xml_text(caption),
                axes, coalesce(band, ''), line, dots, trendline,
                CASE WHEN band <> ''   -- drawn (band starts as '', NULL when no period has both bounds)
                     THEN format('<g id="legend"><rect x="%s" y="%s" width="12" height="12" fill="#d9d9d9"/><text x="%s" y="%s">%s</text></g>',
                                 w - r - 180, 30, w - r - 164, 40, brent_mdm.xml_text(band_label))
                     ELSE '' END);
END $$;
COMMENT ON FUNCTION brent_mdm.svg_line_chart(text, date[], float8[], text, float8[], float8[], text, text) IS
  'A self-contained SVG line chart of a series by period (NULL values are gaps), with its trend line (Sen''s slope, coloured by the direction of travel under the polarity, when the series is long enough for a trend) and an optional peer band (low and high by period)';
GRANT EXECUTE ON FUNCTION brent_mdm.svg_line_chart(text, date[], float8[], text, float8[], float8[], text, text) TO PUBLIC;

CREATE FUNCTION brent_mdm.svg_area_map(title text, names text[], geoms geometry[], vals float8[],
                                       polarity text DEFAULT 'neutral', unit text DEFAULT NULL)
  RETURNS text
  LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  n integer := cardinality(names);
  e record;
  f float8;
  quart integer[];
  paths text;
  legend text := '';
  q record;
  k integer := 0;
BEGIN
  IF title IS NULL OR names IS NULL OR geoms IS NULL OR vals IS NULL OR polarity IS NULL THEN
    RAISE EXCEPTION 'title, names, geoms, vals and polarity must not be NULL' USING ERRCODE = '22004';
  END IF;
  IF polarity NOT IN ('higher_better', 'lower_better', 'neutral') THEN
    RAISE EXCEPTION 'polarity must be higher_better, lower_better or neutral, not "%"', left(polarity, 100)
      USING ERRCODE = '22023';
  END IF;
  IF n IS NULL OR n = 0 OR cardinality(geoms) <> n OR cardinality(vals) <> n THEN
    RAISE EXCEPTION 'a map needs one name, geometry and value per area'
      USING ERRCODE = '22023', DETAIL = format('%s names, %s geometries, %s values.', coalesce(n, 0),
                                               coalesce(cardinality(geoms), 0), coalesce(cardinality(vals), 0));
  END IF;
  IF n > 10000 THEN
    RAISE EXCEPTION 'a map of % areas is more than 10,000', n USING ERRCODE = '54000';
  END IF;
  IF EXISTS (SELECT FROM unnest(geoms) g WHERE g IS NULL OR ST_IsEmpty(g) OR ST_Dimension(g) <> 2)
     OR (SELECT count(DISTINCT ST_SRID(g)) FROM unnest(geoms) g) > 1 THEN
    RAISE EXCEPTION 'areas must be polygons in one spatial reference system' USING ERRCODE = '22023';
  END IF;
  IF EXISTS (SELECT FROM unnest(vals) x WHERE x IN ('NaN', 'Infinity', '-Infinity')) THEN
    RAISE EXCEPTION 'values must be finite numbers (NULL for no data)' USING ERRCODE = '22023';
  END IF;
  SELECT ST_XMin(x.e) AS x0, ST_YMin(x.e) AS y0, ST_XMax(x.e) AS x1, ST_YMax(x.e) AS y1 INTO e
    FROM (SELECT ST_Extent(g)::geometry AS e FROM unnest(geoms) g) x;
  f := greatest(e.x1 - e.x0, e.y1 - e.y0, 1e-9) / 45;
  -- quartile 1 holds the highest values (ntile over the areas with a value);
  -- equal values share one quartile, that of their average position (a map
  -- where most wards are 0 once drew some of the zeros red and others green);
  -- computed once for the shapes and the legend
  quart := array_fill(NULL::integer, ARRAY[n]);
  FOR q IN SELECT x.k, round(avg(x.nt) OVER (PARTITION BY x.v))::int AS quartile
             FROM (SELECT i AS k, vals[i] AS v, ntile(4) OVER (ORDER BY vals[i] DESC, i) AS nt
                     FROM generate_subscripts(vals, 1) i WHERE vals[i] IS NOT NULL) x LOOP
    quart[q.k] := q.quartile;
  END LOOP;
  SELECT string_agg(format('<path d="%s" fill="%s"><title>%s</title></path>',
                           ST_AsSVG(geoms[i], 0, 2),
                           CASE WHEN m.quartile IS NULL THEN '#f0f0f0' ELSE brent_mdm.quartile_colour(m.quartile, polarity) END,
                           brent_mdm.xml_text(coalesce(names[i], '') || ': ' ||
                             CASE WHEN vals[i] IS NULL THEN 'no data'
                                  ELSE brent_mdm.chart_number(vals[i]) || coalesce(' ' || unit, '') || ' (quartile ' || m.quartile || ')' END)),
                    '' ORDER BY i)
    INTO paths
    FROM generate_subscripts(names, 1) i CROSS JOIN LATERAL (SELECT quart[i] AS quartile) m;
  FOR q IN SELECT quart[i] AS quartile, min(vals[i]) AS lo, max(vals[i]) AS hi
             FROM generate_subscripts(vals, 1) i WHERE quart[i] IS NOT NULL
            GROUP BY 1 ORDER BY 1 LOOP
    legend := legend || format('<rect x="%s" y="%s" width="%s" height="%s" fill="%s" stroke="#888"/><text x="%s" y="%s">%s</text>',
      round((e.x1 + f)::numeric, 2), round((-e.y1 + f * 1.5 * k)::numeric, 2), round(f::numeric, 2), round(f::numeric, 2),
      brent_mdm.quartile_colour(q.quartile, polarity),
      round((e.x1 + 2.5 * f)::numeric, 2), round((-e.y1 + f * 1.5 * k + 0.85 * f)::numeric, 2),
      brent_mdm.xml_text(format('quartile %s: %s to %s%s', q.quartile, brent_mdm.chart_number(q.lo),
                                brent_mdm.chart_number(q.hi), coalesce(' ' || unit, ''))));
    k := k + 1;
  END LOOP;
  IF EXISTS (SELECT FROM unnest(vals) x WHERE x IS NULL) THEN
    legend := legend || format('<rect x="%s" y="%s" width="%s" height="%s" fill="#f0f0f0" stroke="#888"/><text x="%s" y="%s">no data</text>',
      round((e.x1 + f)::numeric, 2), round((-e.y1 + f * 1.5 * k)::numeric, 2), round(f::numeric, 2), round(f::numeric, 2),
      round((e.x1 + 2.5 * f)::numeric, 2), round((-e.y1 + f * 1.5 * k + 0.85 * f)::numeric, 2));
  END IF;
  RETURN format('<svg xmlns="http://www.w3.org/2000/svg" viewBox="%s %s %s %s" width="900" height="%s" font-family="sans-serif" font-size="%s">'
                '<title>%s</title><rect x="%s" y="%s" width="%s" height="%s" fill="#fff"/>'
                '<text x="%s" y="%s" font-size="%s" font-weight="bold">%s</text>'
                '<g id="areas" stroke="#444" stroke-width="%s">%s</g><g id="legend">%s</g></svg>',
                round((e.x0 - f)::numeric, 2), round((-e.y1 - 3 * f)::numeric, 2),
                round((e.x1 - e.x0 + 20 * f)::numeric, 2), round((e.y1 - e.y0 + 4 * f)::numeric, 2),
                round((900 * (e.y1 - e.y0 + 4 * f) / (e.x1 - e.x0 + 20 * f))::numeric),
                round((f * 0.8)::numeric, 2), brent_mdm.xml_text(title),
                round((e.x0 - f)::numeric, 2), round((-e.y1 - 3 * f)::numeric, 2),
                round((e.x1 - e.x0 + 20 * f)::numeric, 2), round((e.y1 - e.y0 + 4 * f)::numeric, 2),
                round(e.x0::numeric, 2), round((-e.y1 - 1.5 * f)::numeric, 2), round((f * 1.1)::numeric, 2),
                brent_mdm.xml_text(title), round((f / 10)::numeric, 3), paths, legend);
END $$;
COMMENT ON FUNCTION brent_mdm.svg_area_map(text, text[], geometry[], float8[], text, text) IS
  'A self-contained SVG choropleth of areas (polygons in one projected reference system, such as the wards in EPSG 27700) coloured by quartile of their values (quartile 1 the highest; equal values share the quartile of their average position) under a polarity, with a legend of each quartile''s range and the value of each area in its tooltip';
GRANT EXECUTE ON FUNCTION brent_mdm.svg_area_map(text, text[], geometry[], float8[], text, text) TO PUBLIC;

-- PostGIS's functions by name whatever the caller's search_path (as src/geo/report.sql)
DO $do$
DECLARE ps name := (SELECT n.nspname FROM pg_catalog.pg_extension e
                      JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'postgis');
BEGIN
  EXECUTE pg_catalog.format('ALTER FUNCTION brent_mdm.svg_area_map(text, text[], geometry[], float8[], text, text) SET search_path = brent_mdm, %I, pg_catalog, pg_temp', ps);
END
$do$;
