-- ---- indicator: a dashboard page per theme (issue 13) ----
--
-- One self-contained XHTML page per theme of the indicator catalogue (inline
-- CSS and SVG: no external asset, no script, opens offline in any browser),
-- made only from the catalogue's readers (indicator_values, indicator_trends,
-- indicator_ward_ranks: the rollups, never the base tables) and drawn with the
-- pictures (svg_area_map, svg_line_chart).  Reads as its caller (SECURITY
-- INVOKER): the caller needs what the readers need, and the ward table's
-- geometry.  Every text on the page is XML-escaped (xml_text).

CREATE FUNCTION brent_mdm.indicator_dashboard(theme text, period date DEFAULT NULL,
                                              target_schema name DEFAULT 'borough', years integer DEFAULT 3)
  RETURNS text
  LANGUAGE plpgsql STABLE PARALLEL RESTRICTED AS $$
DECLARE
  c brent_mdm.indicator_catalogue;
  themes text;
  inds text[];
  shown_p date;          -- the indicator's period shown (contains the date asked for, or its latest)
  s_periods date[]; s_vals numeric[];   -- the borough's series over the window
  bval numeric;
  trends jsonb;          -- area_code -> its trend
  bt jsonb;              -- the borough's trend
  r_code text[]; r_val numeric[];
  a_code text[]; a_name text[]; a_period date[]; a_value numeric[];
  as_of date; since date;
  w_codes text[]; w_names text[]; w_geoms geometry[];
  map text; chart text; ward_rows text; sections text := ''; toc text := '';
  ch_periods date[]; ch_vals float8[];
  shown integer := 0;    -- indicators with a borough value in their period
  win_from date; win_to date;
  x text := '';
  step interval; tstep interval;
  plabel text;
  polarity_text text;
BEGIN
  IF theme IS NULL OR target_schema IS NULL OR years IS NULL THEN
    RAISE EXCEPTION 'theme, target_schema and years must not be NULL' USING ERRCODE = '22004';
  END IF;
  IF years < 1 OR years > 50 THEN
    RAISE EXCEPTION 'years must be between 1 and 50, not %', years USING ERRCODE = '22023',
      HINT = 'The trends are over the last years of the borough''s window (3: a 3-year trend).';
  END IF;
  IF period IN ('infinity', '-infinity') THEN
    RAISE EXCEPTION 'period must be a finite date, not %', period USING ERRCODE = '22023';
  END IF;
  IF NOT EXISTS (SELECT FROM brent_mdm.indicator_catalogue k WHERE k.theme = indicator_dashboard.theme) THEN
    SELECT string_agg(DISTINCT k.theme, ', ') INTO themes FROM brent_mdm.indicator_catalogue k;
    RAISE EXCEPTION 'unknown theme "%"', left(theme, 100) USING ERRCODE = '22023',
      HINT = format('The themes of brent_mdm.indicator_catalogue: %s.', themes);
  END IF;
  SELECT array_agg(k.indicator ORDER BY k.indicator) INTO inds
    FROM brent_mdm.indicator_catalogue k JOIN brent_mdm.indicator_catalogue_installed i
      ON i.indicator = k.indicator AND i.target_schema = indicator_dashboard.target_schema
   WHERE k.theme = indicator_dashboard.theme;
  IF inds IS NULL THEN
    RAISE EXCEPTION 'no indicator of theme "%" is installed over schema "%"', theme, left(target_schema, 100)
      USING ERRCODE = '55000',
      HINT = format('Run SELECT * FROM brent_mdm.indicator_catalogue_install(%L).', target_schema);
  END IF;

  -- the end of the borough's window (as indicator_trends reads it): the trends are over the periods since
  -- as_of less the years
  IF to_regclass(format('%I.about', target_schema)) IS NOT NULL THEN
    EXECUTE format('SELECT max(value) FILTER (WHERE key = ''as_of'')::date FROM %I.about', target_schema) INTO as_of;
  END IF;
  since := as_of - make_interval(years => years);
  -- the wards to draw (collinear vertices dropped: the same shapes, fewer points to write)
  EXECUTE format('SELECT array_agg(ward_code ORDER BY ward_code), array_agg(ward_name ORDER BY ward_code),'
                 ' array_agg(ST_Simplify(geom, 0) ORDER BY ward_code) FROM %I.ward', target_schema)
    INTO w_codes, w_names, w_geoms;

  FOR c IN SELECT * FROM brent_mdm.indicator_catalogue k WHERE k.indicator = ANY (inds) ORDER BY k.indicator LOOP
    -- the indicator's figures: every ward and the borough, every period of the window (one read of
    -- its rollups; the ranks and trends below are computed from them by the rules of
    -- indicator_ward_ranks and indicator_trends)
    SELECT array_agg(v.area_code ORDER BY v.area_code, v.period), array_agg(v.area_name ORDER BY v.area_code, v.period),
           array_agg(v.period ORDER BY v.area_code, v.period), array_agg(v.value ORDER BY v.area_code, v.period)
      INTO a_code, a_name, a_period, a_value
      FROM brent_mdm.indicator_values(c.indicator, target_schema) v;
    SELECT array_agg(u.p ORDER BY u.p), array_agg(u.v ORDER BY u.p) INTO s_periods, s_vals
      FROM unnest(a_code, a_period, a_value) u(a, p, v) WHERE u.a = 'borough';
    win_from := least(win_from, s_periods[1]);
    win_to := greatest(win_to, s_periods[cardinality(s_periods)]);
    IF period IS NULL THEN
      -- the latest period with a borough value (as indicator_ward_ranks)
      SELECT max(u.p) INTO shown_p FROM unnest(s_periods, s_vals) u(p, v) WHERE u.v IS NOT NULL;
    ELSE
      shown_p := brent_mdm.period_start(period, c.grain);
      IF NOT coalesce(shown_p = ANY (s_periods), false) THEN
        shown_p := NULL;
      END IF;
    END IF;
    bval := (SELECT u.v FROM unnest(s_periods, s_vals) u(p, v) WHERE u.p = shown_p);
    IF bval IS NOT NULL THEN
      shown := shown + 1;
    END IF;
    step := CASE c.grain WHEN 'month' THEN interval '1 month' WHEN 'quarter' THEN interval '3 months' ELSE interval '1 year' END;
    tstep := CASE WHEN c.grain IN ('quarter', 'month') THEN step ELSE interval '1 year' END;
    plabel := CASE WHEN shown_p IS NULL THEN 'no period with a figure'
                   WHEN c.grain = 'month' THEN to_char(shown_p, 'FMMonth YYYY')
                   ELSE to_char(shown_p, 'FMMonth YYYY') || ' to ' || to_char((shown_p + step - interval '1 day')::date, 'FMMonth YYYY')
                        || CASE c.grain WHEN 'quarter' THEN ' (quarter)' WHEN 'year' THEN ' (year)'
                                        WHEN 'financial_year' THEN ' (financial year)'
                                        WHEN 'academic_year' THEN ' (academic year)' ELSE '' END END;
    polarity_text := CASE c.polarity WHEN 'higher_better' THEN 'higher is better'
                                     WHEN 'lower_better' THEN 'lower is better' ELSE 'neutral (neither is better)' END;

    -- the trends of each ward and the borough, as indicator_trends (series_trend over the periods since as_of
    -- less the years; yearly grains on the first of January of their year): the series of each area laid on
    -- its grid of the last years to its last period with a value, then trend()
    SELECT jsonb_object_agg(s.a, jsonb_build_object(
             'period_from', CASE WHEN c.grain IN ('quarter', 'month') THEN s.first_p
                                 ELSE make_date(extract(year FROM s.first_p)::int, extract(month FROM s.first)::int, 1) END,
             'period_to', CASE WHEN c.grain IN ('quarter', 'month') THEN s.last_p
                               ELSE make_date(extract(year FROM s.last_p)::int, extract(month FROM s.first)::int, 1) END,
             'points', t.points, 'tau', t.tau, 'p', t.p, 'sen_slope', t.sen_slope,
             'direction', t.direction, 'reason', t.reason))
      INTO trends
      FROM (SELECT x.*, (x.last_p - make_interval(years => years) + tstep)::date AS first_p
              FROM (SELECT u.a, min(u.p) AS first,
                           coalesce(max(u.tp) FILTER (WHERE u.v IS NOT NULL), max(u.tp)) AS last_p,
                           array_agg(u.tp) AS tps, array_agg(u.v::float8) AS vs
                      FROM (SELECT u.*, CASE WHEN c.grain IN ('quarter', 'month') THEN u.p
                                             ELSE date_trunc('year', u.p)::date END AS tp
                              FROM unnest(a_code, a_period, a_value) u(a, p, v)) u
                     WHERE since IS NULL OR u.p >= since
                     GROUP BY u.a) x) s
      CROSS JOIN LATERAL brent_mdm.trend((SELECT array_agg(g.v ORDER BY g.d)
                                            FROM (SELECT d::date AS d, (SELECT y.v FROM unnest(s.tps, s.vs) y(tp, v) WHERE y.tp = d) AS v
                                                    FROM generate_series(s.first_p, s.last_p, tstep) d) g),
                                         c.polarity) t;
    bt := trends -> 'borough';

    -- the line chart of the borough's series over the trend's periods (so its trend line is the trend above)
    chart := NULL;
    SELECT array_agg(u.p ORDER BY u.p), array_agg(u.v::float8 ORDER BY u.p) INTO ch_periods, ch_vals
      FROM unnest(s_periods, s_vals) u(p, v)
     WHERE u.p BETWEEN (bt ->> 'period_from')::date AND (bt ->> 'period_to')::date;
    IF cardinality(ch_periods) >= 2 AND EXISTS (SELECT FROM unnest(ch_vals) v WHERE v IS NOT NULL) THEN
      chart := brent_mdm.svg_line_chart(format('%s, the borough, %s to %s', c.title,
                                               to_char((bt ->> 'period_from')::date, 'FMMonth YYYY'),
                                               to_char((bt ->> 'period_to')::date, 'FMMonth YYYY')),
                                        ch_periods, ch_vals, c.polarity, NULL, NULL, 'peers', c.unit);
    END IF;

    -- the wards in the period: ranks, quartiles, directions; the map
    map := NULL; ward_rows := NULL; r_code := NULL; r_val := NULL;
    IF c.area_kind <> 'none' AND shown_p IS NOT NULL THEN
      SELECT array_agg(r.ward_code ORDER BY r.rank NULLS LAST, r.ward_code),
             array_agg(r.value ORDER BY r.rank NULLS LAST, r.ward_code),
             string_agg(format('<tr data-ward="%s"><th scope="row">%s</th><td class="value">%s</td>'
                               '<td class="rank">%s</td><td class="quartile">%s</td>'
                               '<td class="direction" style="color:%s" title="%s">%s</td></tr>',
                               brent_mdm.xml_text(r.ward_code),
                               brent_mdm.xml_text(r.ward_code || ' ' || coalesce(r.ward_name, '')),
                               coalesce(r.value::text, 'no data'),
                               coalesce(r.rank || ' of ' || r.wards, '-'), coalesce(r.quartile::text, '-'),
                               brent_mdm.direction_colour(coalesce(t ->> 'direction', '')),
                               brent_mdm.xml_text(coalesce((t ->> 'points') || ' values, ' || (t ->> 'period_from') || ' to '
                                                           || (t ->> 'period_to'), '')
                                                  || coalesce('; Mann-Kendall tau ' || round((t ->> 'tau')::numeric, 2)
                                                              || ', p ' || round((t ->> 'p')::numeric, 4) || '; Sen''s slope '
                                                              || round((t ->> 'sen_slope')::numeric, 4) || ' a period', '')),
                               brent_mdm.xml_text(coalesce(t ->> 'direction', 'no trend'))),
                        '' ORDER BY r.rank NULLS LAST, r.ward_code)
        INTO r_code, r_val, ward_rows
        FROM (SELECT w.*, ceil(4.0 * w.rank / w.wards)::int AS quartile
                FROM (SELECT u.a AS ward_code, u.n AS ward_name, u.v AS value,
                             CASE WHEN u.v IS NOT NULL THEN
                               (rank() OVER (PARTITION BY u.v IS NULL
                                             ORDER BY CASE WHEN c.polarity = 'lower_better' THEN u.v ELSE -u.v END))::int END AS rank,
                             (count(u.v) OVER ())::int AS wards
                        FROM unnest(a_code, a_name, a_period, a_value) u(a, n, p, v)
                       WHERE u.a <> 'borough' AND u.p = shown_p) w) r
        LEFT JOIN LATERAL (SELECT trends -> r.ward_code AS t) x ON true;
      IF EXISTS (SELECT FROM unnest(r_val) v WHERE v IS NOT NULL) THEN
        map := brent_mdm.svg_area_map(format('%s by ward, %s', c.title, plabel), w_names, w_geoms,
                                      (SELECT array_agg(r.v::float8 ORDER BY w.k)
                                         FROM unnest(w_codes) WITH ORDINALITY w(code, k)
                                         LEFT JOIN unnest(r_code, r_val) r(code, v) ON r.code = w.code),
                                      c.polarity, c.unit);
      END IF;
    END IF;

    toc := toc || format('<li><a href="#%s">%s</a></li>', c.indicator, brent_mdm.xml_text(c.title));
    sections := sections || format(
      '<section class="indicator" id="%s"><h2>%s</h2><p class="definition">%s</p>'
      '<dl class="meta"><dt>Unit</dt><dd class="unit">%s</dd><dt>Polarity</dt><dd class="polarity" data-polarity="%s">%s</dd>'
      '<dt>Period</dt><dd class="period" data-period="%s">%s</dd>'
      '<dt>Borough value</dt><dd class="borough-value" data-value="%s">%s</dd>'
      '<dt>%s-year trend, the borough</dt><dd class="borough-direction" data-direction="%s" style="color:%s">%s</dd>'
      '<dt>Numerator</dt><dd>%s</dd><dt>Denominator</dt><dd>%s</dd><dt>Sources</dt><dd>%s</dd>'
      '<dt>Disclosure rule</dt><dd>%s</dd></dl>'
      '<div class="pictures">%s%s</div>%s</section>',
      c.indicator, brent_mdm.xml_text(c.title), brent_mdm.xml_text(c.definition),
      brent_mdm.xml_text(c.unit), c.polarity, brent_mdm.xml_text(polarity_text),
      coalesce(shown_p::text, ''), brent_mdm.xml_text(plabel),
      coalesce(bval::text, ''), coalesce(brent_mdm.xml_text(bval || ' ' || c.unit), 'no data'),
      years, brent_mdm.xml_text(coalesce(bt ->> 'direction', 'no trend')), brent_mdm.direction_colour(coalesce(bt ->> 'direction', '')),
      brent_mdm.xml_text(coalesce(bt ->> 'direction', 'no trend')
                         || coalesce(' (Mann-Kendall tau ' || round((bt ->> 'tau')::numeric, 2) || ', p '
                                     || round((bt ->> 'p')::numeric, 4) || '; Sen''s slope '
                                     || brent_mdm.chart_number((bt ->> 'sen_slope')::float8) || ' a period)', '')
                         || coalesce(': ' || (bt ->> 'reason'), '')),
      brent_mdm.xml_text(c.numerator), brent_mdm.xml_text(coalesce(c.denominator, 'none')),
      brent_mdm.xml_text(array_to_string(c.source_tables, ', ')), brent_mdm.xml_text(c.disclosure_rule),
      coalesce('<figure class="map">' || map || '</figure>', ''),
      coalesce('<figure class="chart">' || chart || '</figure>', '<p class="no-chart">No borough series to draw.</p>'),
      CASE WHEN c.area_kind = 'none' THEN '<p class="no-wards">A borough figure only: its records carry no address.</p>'
           WHEN ward_rows IS NULL THEN '<p class="no-wards">No ward figures in this period.</p>'
           ELSE '<table class="wards"><thead><tr><th scope="col">Ward</th><th scope="col">Value</th>'
                || '<th scope="col">Rank (1 = best)</th><th scope="col">Quartile (1 = best)</th>'
                || format('<th scope="col">%s-year trend</th></tr></thead><tbody>', years) || ward_rows || '</tbody></table>' END);
  END LOOP;

  IF shown = 0 THEN
    IF period IS NULL THEN
      RAISE EXCEPTION 'no figures of theme "%" over schema "%"', theme, left(target_schema, 100)
        USING ERRCODE = '22023', DETAIL = 'No indicator of the theme has a borough value in any period.';
    END IF;
    RAISE EXCEPTION 'no figures of theme "%" for period %', theme, period USING ERRCODE = '22023',
      DETAIL = format('No indicator of the theme has a borough value in the period that holds %s; the window is %s to %s.',
                      period, coalesce(win_from::text, '-'), coalesce(win_to::text, '-')),
      HINT = 'Give a date of the borough''s window, or NULL for each indicator''s latest period.';
  END IF;

  x := format('<!DOCTYPE html>' || E'\n'
    '<html xmlns="http://www.w3.org/1999/xhtml" lang="en" xml:lang="en"><head><meta charset="UTF-8"/>'
    '<meta name="viewport" content="width=device-width, initial-scale=1"/><title>%s</title><style>'
    'body{font-family:sans-serif;margin:1.5em auto;max-width:1000px;padding:0 1em;color:#222}'
    'h1{margin-bottom:0.2em}h2{border-bottom:2px solid #1f4e79;padding-bottom:0.2em;margin-top:2em}'
    'p.lead{color:#555}nav ul{columns:2}'
    'dl.meta{display:grid;grid-template-columns:max-content auto;gap:0.2em 1em;font-size:0.9em}'
    'dl.meta dt{font-weight:bold}dl.meta dd{margin:0}'
    'div.pictures{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:1em;align-items:start}'
    'figure{margin:1em 0}figure svg{width:100%%;height:auto}'
    'table.wards{border-collapse:collapse;font-size:0.9em}'
    'table.wards th,table.wards td{border-bottom:1px solid #ddd;padding:0.2em 0.6em;text-align:left}'
    'table.wards td.value,table.wards td.rank,table.wards td.quartile{text-align:right}'
    'footer{margin-top:3em;font-size:0.8em;color:#666}'
    '</style></head><body><header><h1>%s</h1><p class="lead">%s</p></header>'
    '<nav><ul>%s</ul></nav>%s'
    '<footer><p>%s</p></footer></body></html>',
    brent_mdm.xml_text(initcap(theme) || ': indicators by ward'),
    brent_mdm.xml_text(initcap(theme) || ': indicators by ward'),
    brent_mdm.xml_text(format('%s indicators of the theme %s over schema %s (periods from %s to %s), each in %s; '
                              'ranks and quartiles among the wards (1 = the best under the indicator''s polarity); '
                              'directions of travel over the last %s years to %s (Mann-Kendall, Sen''s slope).',
                              cardinality(inds), theme, target_schema,
                              to_char(win_from, 'FMMonth YYYY'), to_char(win_to, 'FMMonth YYYY'),
                              CASE WHEN period IS NULL THEN 'its latest period with a borough value'
                                   ELSE format('its period that holds %s', period) END,
                              years, coalesce(as_of::text, 'the last period'))),
    toc, sections,
    brent_mdm.xml_text(format('Made by brent_mdm %s (indicator_dashboard) on %s from the indicator catalogue''s rollups. '
                              'Figures are not passed through disclosure control: apply each indicator''s disclosure rule before publishing.',
                              brent_mdm.version(), to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI "UTC"'))));
  RETURN x;
END
$$;
COMMENT ON FUNCTION brent_mdm.indicator_dashboard(text, date, name, integer) IS
  'A self-contained XHTML page (inline CSS and SVG, no script, no external asset) of one theme of the indicator '
  'catalogue over a borough schema: per installed indicator of the theme its definition, unit, polarity, the '
  'borough''s value in the period (the period of the indicator''s grain that holds the date given; default the '
  'latest with a borough value), the ward map (svg_area_map), the borough''s line chart with its trend over the last '
  'years (svg_line_chart), and a table of the wards (value, rank, quartile, direction of travel); read from the '
  'catalogue''s readers (indicator_values, indicator_trends, indicator_ward_ranks) with the caller''s rights';
GRANT EXECUTE ON FUNCTION brent_mdm.indicator_dashboard(text, date, name, integer) TO PUBLIC;

-- PostGIS's functions and types by name whatever the caller's search_path (as charts.sql)
DO $do$
DECLARE ps name := (SELECT n.nspname FROM pg_catalog.pg_extension e
                      JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'postgis');
BEGIN
  EXECUTE pg_catalog.format('ALTER FUNCTION brent_mdm.indicator_dashboard(text, date, name, integer) SET search_path = brent_mdm, %I, pg_catalog, pg_temp', ps);
END
$do$;
