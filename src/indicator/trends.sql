-- ---- indicator: trends over a series, the London crime series, peers (issue 13) ----
--
-- General functions over a series of periods (month, quarter or year), for the
-- real MPS crime series and for the generated borough's rollup indicators:
--   * series_changes: per period, change on the previous period and on the
--     same period a year before, and the rolling year (12 months, 4 quarters);
--   * trend / series_trend: Mann-Kendall (tau, p; mann_kendall of src/geo),
--     Sen's slope (sen_slope, C: src/indicator/trend.c) and the direction of
--     travel given the figure's polarity.  A series of fewer than 10 values
--     gives no trend ('not enough data', with the reason).
-- Then the crime series of a borough and of the Metropolitan Police area
-- (the 32 boroughs), its rates per 1,000 residents and its rank among the 32,
-- and the CIPFA-like nearest neighbours of a London authority on chosen
-- figures of the London Borough Profiles.

CREATE FUNCTION brent_mdm.sen_slope(series float8[]) RETURNS float8
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
  AS 'MODULE_PATHNAME', 'indicator_sen_slope';
COMMENT ON FUNCTION brent_mdm.sen_slope(float8[]) IS
  'Sen''s slope of a series in time order, one element per period (NULL: a missing period, kept as a gap): '
  'the median of (x[j] - x[i]) / (j - i) over every pair of non-NULL values; NULL for fewer than 2 values; at most 5,000 elements';

-- The smallest number of values of a series for a trend: the p of
-- mann_kendall is the normal approximation, customarily used from 10 values
-- (below 5 values no series, however steady, reaches p < 0.05).
CREATE FUNCTION brent_mdm.trend_min_points() RETURNS integer
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN 10;
COMMENT ON FUNCTION brent_mdm.trend_min_points() IS
  'The fewest non-NULL values trend and series_trend test for a trend (10): a shorter series gives direction ''not enough data''';

CREATE FUNCTION brent_mdm.trend(series float8[], polarity text DEFAULT 'neutral',
                                OUT points integer, OUT tau float8, OUT p float8, OUT sen_slope float8,
                                OUT direction text, OUT reason text)
  LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  mk record;
  rising boolean;
BEGIN
  IF polarity IS NULL OR polarity NOT IN ('higher_better', 'lower_better', 'neutral') THEN
    RAISE EXCEPTION USING ERRCODE = '22023',
      MESSAGE = format('polarity must be higher_better, lower_better or neutral, not %L', left(polarity, 100)),
      HINT = 'higher_better: a rising series is improving; lower_better: a falling one is; neutral: neither.';
  END IF;
  IF series IS NULL THEN
    RETURN;   -- no series: a row of NULLs
  END IF;
  IF array_ndims(series) > 1 THEN
    RAISE EXCEPTION USING ERRCODE = '2202E', MESSAGE = 'trend takes a one-dimensional array',
      HINT = 'Give the series in time order, one value per period, NULL for a missing period.';
  END IF;
  points := (SELECT count(v)::integer FROM unnest(series) v);
  IF points < brent_mdm.trend_min_points() THEN
    direction := 'not enough data';
    reason := format('%s values; a trend needs at least %s', points, brent_mdm.trend_min_points());
    RETURN;
  END IF;
  mk := brent_mdm.mann_kendall(series);
  tau := mk.tau;
  p := mk.p;
  sen_slope := brent_mdm.sen_slope(series);
  IF tau IS NULL THEN
    direction := 'no significant change';
    reason := 'every value is the same';
  ELSIF p >= 0.05 THEN
    direction := 'no significant change';
    reason := format('Mann-Kendall p = %s >= 0.05', round(p::numeric, 4));
  ELSE
    rising := tau > 0;
    direction := CASE polarity
                   WHEN 'neutral' THEN CASE WHEN rising THEN 'increasing' ELSE 'decreasing' END
                   WHEN 'higher_better' THEN CASE WHEN rising THEN 'improving' ELSE 'worsening' END
                   ELSE CASE WHEN rising THEN 'worsening' ELSE 'improving' END END;
    reason := format('%s, Mann-Kendall p = %s < 0.05%s', CASE WHEN rising THEN 'rising' ELSE 'falling' END,
                     round(p::numeric, 4),
                     CASE polarity WHEN 'higher_better' THEN '; higher is better'
                                   WHEN 'lower_better' THEN '; lower is better' ELSE '; polarity neutral' END);
  END IF;
  RETURN;
END
$fn$;
COMMENT ON FUNCTION brent_mdm.trend(float8[], text) IS
  'Trend of a series in time order (one element per period, NULL a missing period): points (non-NULL values), '
  'Mann-Kendall tau and p, Sen''s slope per period, direction (improving / worsening for polarity higher_better or '
  'lower_better, increasing / decreasing for neutral, when p < 0.05; no significant change; not enough data under '
  'trend_min_points() values) and the reason';

-- The step of a period series and its checks.
CREATE FUNCTION brent_mdm.series_step(step text) RETURNS interval
  LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  RETURN CASE step WHEN 'month' THEN interval '1 month' WHEN 'quarter' THEN interval '3 months'
                   WHEN 'year' THEN interval '1 year' END;
END
$fn$;
COMMENT ON FUNCTION brent_mdm.series_step(text) IS
  'Helper of series_changes and series_trend (granted with them: it computes on its argument): the interval of a series step (month, quarter, year), NULL for any other';
REVOKE ALL ON FUNCTION brent_mdm.series_step(text) FROM PUBLIC;

CREATE FUNCTION brent_mdm.series_check(periods date[], n_values integer, step text) RETURNS void
  LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  bad date;
BEGIN
  IF step IS NULL OR step NOT IN ('month', 'quarter', 'year') THEN
    RAISE EXCEPTION USING ERRCODE = '22023',
      MESSAGE = format('step must be month, quarter or year, not %L', left(step, 100));
  END IF;
  IF array_ndims(periods) > 1 THEN
    RAISE EXCEPTION USING ERRCODE = '2202E', MESSAGE = 'periods must be a one-dimensional array';
  END IF;
  IF coalesce(cardinality(periods), 0) <> n_values THEN
    RAISE EXCEPTION USING ERRCODE = '22023',
      MESSAGE = format('%s periods but %s values', coalesce(cardinality(periods), 0), n_values),
      HINT = 'Give one value (or NULL) per period.';
  END IF;
  SELECT d INTO bad FROM unnest(periods) d
   WHERE d IS NULL OR NOT isfinite(d) OR d <> date_trunc(step, d)::date LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION USING ERRCODE = '22023',
      MESSAGE = format('period %s is not the first day of a %s', coalesce(bad::text, 'NULL'), step),
      HINT = format('Periods are the first day of their %s (date_trunc(%L, d)).', step, step);
  END IF;
  SELECT d INTO bad FROM unnest(periods) d GROUP BY d HAVING count(*) > 1 LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION USING ERRCODE = '22023',
      MESSAGE = format('period %s is given more than once', bad),
      HINT = 'Give one value per period (add up the values of a period first).';
  END IF;
END
$fn$;
COMMENT ON FUNCTION brent_mdm.series_check(date[], integer, text) IS
  'Helper of series_changes and series_trend (granted with them: it checks its arguments): refuses a period series whose periods are NULL, repeated, not the first day of their step, or not as many as its values';
REVOKE ALL ON FUNCTION brent_mdm.series_check(date[], integer, text) FROM PUBLIC;

CREATE FUNCTION brent_mdm.series_changes(periods date[], vals numeric[], step text DEFAULT 'month')
  RETURNS TABLE (period date, value numeric, previous_value numeric, change numeric, change_pct numeric,
                 year_ago_value numeric, change_on_year numeric, change_on_year_pct numeric,
                 rolling_year numeric)
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
  AS 'MODULE_PATHNAME', 'indicator_series_changes';
COMMENT ON FUNCTION brent_mdm.series_changes(date[], numeric[], text) IS
  'Per period of a series (periods: first day of a month, quarter or year; NULL value: unknown): the previous '
  'period''s value (the period one step before, not the previous element: a gap gives NULL), change and change_pct '
  '(percent, 2 places; NULL on a zero base), the same period a year before and the change on it, and rolling_year: '
  'the sum of the year to the period (12 months, 4 quarters), NULL unless every period of it has a value';

CREATE FUNCTION brent_mdm.series_trend(periods date[], vals numeric[], polarity text DEFAULT 'neutral',
                                       step text DEFAULT 'month', years integer DEFAULT 3)
  RETURNS TABLE (period_from date, period_to date, points integer, tau float8, p float8, sen_slope float8,
                 direction text, reason text)
  LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  st interval := brent_mdm.series_step(step);
  last_p date;
  first_p date;
  grid float8[];
BEGIN
  IF array_ndims(vals) > 1 THEN
    RAISE EXCEPTION USING ERRCODE = '2202E', MESSAGE = 'vals must be a one-dimensional array';
  END IF;
  PERFORM brent_mdm.series_check(periods, coalesce(cardinality(vals), 0), step);
  IF years IS NULL OR years < 1 OR years > 50 THEN
    RAISE EXCEPTION USING ERRCODE = '22023',
      MESSAGE = format('years must be between 1 and 50, not %s', coalesce(years::text, 'NULL')),
      HINT = 'The trend is over the last years of the series (3: a 3-year trend).';
  END IF;
  -- the window: the last years of the series, to its last period with a value
  SELECT pg_catalog.max(u.p) INTO last_p FROM unnest(periods, vals) u(p, v) WHERE u.v IS NOT NULL;
  IF last_p IS NULL THEN
    last_p := (SELECT pg_catalog.max(d) FROM unnest(periods) d);
  END IF;
  IF last_p IS NULL THEN
    RETURN;   -- an empty series: no window, no row
  END IF;
  first_p := (last_p - make_interval(years => years) + st)::date;
  -- the series on its regular grid, NULL where a period has no value
  SELECT pg_catalog.array_agg(u.v::float8 ORDER BY g.d) INTO grid
    FROM generate_series(first_p, last_p, st) g(d)
    LEFT JOIN unnest(periods, vals) u(p, v) ON u.p = g.d;
  RETURN QUERY SELECT first_p, last_p, t.points, t.tau, t.p, t.sen_slope, t.direction, t.reason
                 FROM brent_mdm.trend(grid, polarity) t;
END
$fn$;
COMMENT ON FUNCTION brent_mdm.series_trend(date[], numeric[], text, text, integer) IS
  'The trend of a period series over its last years (default 3) to its last period with a value: the series is laid on '
  'its regular grid of steps (a missing period a NULL), then trend(): Mann-Kendall tau and p, Sen''s slope per step, '
  'direction by polarity, reason';

-- the helpers of the functions below, granted with them (they compute on their arguments, or
-- read the shipped open data: nothing personal); without them every caller but a superuser
-- was refused
GRANT EXECUTE ON FUNCTION brent_mdm.series_step(text), brent_mdm.series_check(date[], integer, text) TO PUBLIC;
GRANT EXECUTE ON FUNCTION brent_mdm.sen_slope(float8[]), brent_mdm.trend_min_points(),
  brent_mdm.trend(float8[], text), brent_mdm.series_changes(date[], numeric[], text),
  brent_mdm.series_trend(date[], numeric[], text, text, integer) TO PUBLIC;

-- ---- the London crime series ----

-- Residents of an authority for rates: the GLA population estimate 2017 of
-- the London Borough Profiles (the only population figure they hold; used for
-- every year of the series).
CREATE FUNCTION brent_mdm.london_population(area_code text) RETURNS numeric
  LANGUAGE sql STABLE STRICT PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
  RETURN (SELECT p.value FROM brent_mdm.london_profile p
           WHERE p.area_code = london_population.area_code AND p.measure = 'gla_population_estimate_2017');
COMMENT ON FUNCTION brent_mdm.london_population(text) IS
  'Residents of a London authority for rates per 1,000: the GLA population estimate 2017 of the London Borough Profiles '
  '(measure gla_population_estimate_2017); E23000001 (the Metropolitan Police area) is the sum of the 32 boroughs';

CREATE FUNCTION brent_mdm.london_crime_check(area_code text, major_category text, period_from date, period_to date)
  RETURNS void
  LANGUAGE plpgsql STABLE PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  first_month date;
  last_month date;
BEGIN
  IF area_code IS NULL OR NOT EXISTS (SELECT FROM brent_mdm.london_area a
                                       WHERE a.area_code = london_crime_check.area_code AND a.kind = 'london_borough') THEN
    RAISE EXCEPTION USING ERRCODE = '22023',
      MESSAGE = format('%s is not one of the 32 London boroughs of brent_mdm.london_crime', coalesce(quote_literal(left(area_code, 100)), 'NULL')),
      DETAIL = CASE WHEN area_code = 'E09000001' THEN 'The City of London has its own police; the MPS series has no figures for it.'
                    ELSE 'The MPS series covers the 32 London boroughs (kind london_borough of brent_mdm.london_area).' END,
      HINT = 'Give a GSS code of a borough, E09000002 .. E09000033 (Brent is E09000005).';
  END IF;
  IF major_category IS NOT NULL AND NOT EXISTS (SELECT FROM brent_mdm.london_crime c
                                                 WHERE c.major_category = london_crime_check.major_category) THEN
    RAISE EXCEPTION USING ERRCODE = '22023',
      MESSAGE = format('unknown major category of crime %L', left(major_category, 100)),
      HINT = coalesce((SELECT 'The major categories are: ' || string_agg(DISTINCT c.major_category, ', ') || '; NULL for all crime.'
                         FROM brent_mdm.london_crime c), 'NULL for all crime.');
  END IF;
  SELECT min(c.month), max(c.month) INTO first_month, last_month      -- the borough's series (by the primary key)
    FROM brent_mdm.london_crime c WHERE c.area_code = london_crime_check.area_code;
  IF period_from IS NULL OR period_to IS NULL OR period_from > period_to
     OR period_to < first_month OR period_from > last_month THEN
    RAISE EXCEPTION USING ERRCODE = '22023',
      MESSAGE = format('the period %s to %s holds no month of the crime series', coalesce(period_from::text, 'NULL'),
                       coalesce(period_to::text, 'NULL')),
      DETAIL = format('The series runs from %s to %s.', first_month, last_month),
      HINT = 'Give period_from <= period_to inside it.';
  END IF;
END
$fn$;
COMMENT ON FUNCTION brent_mdm.london_crime_check(text, text, date, date) IS
  'Helper of the London crime functions (granted with them: it reads the shipped open data): refuses an area that is not one of the 32 boroughs, an unknown major category, or a period outside the crime series';
REVOKE ALL ON FUNCTION brent_mdm.london_crime_check(text, text, date, date) FROM PUBLIC;

-- The offences of one area (a borough, or E23000001: the 32) by period, over
-- the whole series (so that the first period asked for has its previous one).
CREATE FUNCTION brent_mdm.london_crime_counts(area_code text, major_category text, step text)
  RETURNS TABLE (period date, offences bigint)
  LANGUAGE sql STABLE PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT date_trunc(step, c.month)::date, sum(c.offences)::bigint      -- a borough: by the primary key
    FROM brent_mdm.london_crime c
   WHERE c.area_code = london_crime_counts.area_code
     AND (london_crime_counts.major_category IS NULL OR c.major_category = london_crime_counts.major_category)
   GROUP BY 1
  UNION ALL
  SELECT date_trunc(step, c.month)::date, sum(c.offences)::bigint      -- the Metropolitan Police area
    FROM brent_mdm.london_crime c
   WHERE london_crime_counts.area_code = 'E23000001'
     AND (london_crime_counts.major_category IS NULL OR c.major_category = london_crime_counts.major_category)
   GROUP BY 1
$fn$;
COMMENT ON FUNCTION brent_mdm.london_crime_counts(text, text, text) IS
  'Helper of the London crime functions (granted with them: it reads the shipped open data): offences of a borough (or E23000001, the 32 boroughs) and major category (NULL: all) by period of the step';
REVOKE ALL ON FUNCTION brent_mdm.london_crime_counts(text, text, text) FROM PUBLIC;

CREATE FUNCTION brent_mdm.london_crime_series(area_code text DEFAULT 'E09000005', major_category text DEFAULT NULL,
                                              period_from date DEFAULT '2014-01-01', period_to date DEFAULT '2016-12-01',
                                              step text DEFAULT 'month')
  RETURNS TABLE (code text, name text, period date, offences bigint, rate_per_1000 numeric,
                 previous_offences bigint, change bigint, change_pct numeric, year_ago_offences bigint,
                 change_on_year bigint, change_on_year_pct numeric, rolling_year bigint,
                 rolling_year_rate_per_1000 numeric)
  LANGUAGE plpgsql STABLE PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM brent_mdm.series_check(ARRAY[]::date[], 0, step);
  PERFORM brent_mdm.london_crime_check(london_crime_series.area_code, london_crime_series.major_category,
                                       period_from, period_to);
  RETURN QUERY
  WITH a AS (
    SELECT la.area_code AS code, la.area_name AS name, brent_mdm.london_population(la.area_code) AS pop
      FROM brent_mdm.london_area la WHERE la.area_code = london_crime_series.area_code
    UNION ALL
    SELECT 'E23000001', 'Metropolitan Police area (32 boroughs)',
           (SELECT sum(brent_mdm.london_population(la.area_code)) FROM brent_mdm.london_area la
             WHERE la.kind = 'london_borough'))
  SELECT a.code, a.name, ch.period, ch.value::bigint, round(1000 * ch.value / a.pop, 3),
         ch.previous_value::bigint, ch.change::bigint, ch.change_pct, ch.year_ago_value::bigint,
         ch.change_on_year::bigint, ch.change_on_year_pct, ch.rolling_year::bigint,
         round(1000 * ch.rolling_year / a.pop, 3)
    FROM a,
         LATERAL (SELECT array_agg(k.period ORDER BY k.period) AS ps, array_agg(k.offences::numeric ORDER BY k.period) AS vs
                    FROM brent_mdm.london_crime_counts(a.code, london_crime_series.major_category, step) k) s,
         LATERAL brent_mdm.series_changes(s.ps, s.vs, step) ch
   WHERE ch.period BETWEEN date_trunc(step, period_from)::date AND period_to
   ORDER BY a.code <> london_crime_series.area_code, ch.period;
END
$fn$;
COMMENT ON FUNCTION brent_mdm.london_crime_series(text, text, date, date, text) IS
  'MPS recorded crime of a borough (default Brent) and of the Metropolitan Police area (E23000001, the 32 boroughs) by '
  'month, quarter or year, for one major category or all (NULL): offences, rate per 1,000 residents (GLA population '
  'estimate 2017), series_changes() figures (previous period, same period a year before, rolling year, its rate)';

CREATE FUNCTION brent_mdm.london_crime_trend(area_code text DEFAULT 'E09000005', major_category text DEFAULT NULL,
                                             period_from date DEFAULT '2014-01-01', period_to date DEFAULT '2016-12-01',
                                             step text DEFAULT 'month')
  RETURNS TABLE (code text, name text, trend_from date, trend_to date, points integer,
                 offences bigint, rate_per_1000 numeric, tau float8, p float8, sen_slope float8,
                 sen_slope_per_1000 float8, direction text, reason text)
  LANGUAGE plpgsql STABLE PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  f date;
  t date;
BEGIN
  PERFORM brent_mdm.series_check(ARRAY[]::date[], 0, step);
  PERFORM brent_mdm.london_crime_check(london_crime_trend.area_code, london_crime_trend.major_category,
                                       london_crime_trend.period_from, london_crime_trend.period_to);
  f := date_trunc(step, london_crime_trend.period_from)::date;
  t := date_trunc(step, london_crime_trend.period_to)::date;
  RETURN QUERY
  WITH a AS (
    SELECT la.area_code AS code, la.area_name AS name, brent_mdm.london_population(la.area_code) AS pop
      FROM brent_mdm.london_area la WHERE la.area_code = london_crime_trend.area_code
    UNION ALL
    SELECT 'E23000001', 'Metropolitan Police area (32 boroughs)',
           (SELECT sum(brent_mdm.london_population(la.area_code)) FROM brent_mdm.london_area la
             WHERE la.kind = 'london_borough')),
  k AS (   -- the offences of each area by period
    SELECT a.code, k.period, k.offences
      FROM a, LATERAL brent_mdm.london_crime_counts(a.code, london_crime_trend.major_category, step) k),
  s AS (   -- the periods asked for on their grid, NULL where the series has no figure
    SELECT a.code, a.name, a.pop, array_agg(k.offences::float8 ORDER BY d) AS xs, sum(k.offences) AS n
      FROM a CROSS JOIN generate_series(f, t, brent_mdm.series_step(step)) d
      LEFT JOIN k ON k.code = a.code AND k.period = d::date
     GROUP BY a.code, a.name, a.pop)
  SELECT s.code, s.name, f, t, tr.points, s.n::bigint, round(1000 * s.n / s.pop, 3),
         tr.tau, tr.p, tr.sen_slope, tr.sen_slope * 1000 / s.pop::float8, tr.direction, tr.reason
    FROM s, LATERAL brent_mdm.trend(s.xs, 'lower_better') tr
   ORDER BY s.code <> london_crime_trend.area_code;
END
$fn$;
COMMENT ON FUNCTION brent_mdm.london_crime_trend(text, text, date, date, text) IS
  'Trend of MPS recorded crime from period_from to period_to (default 2014-2016, monthly) for a borough (default '
  'Brent) and the Metropolitan Police area (E23000001, the 32 boroughs), one major category or all (NULL): offences '
  'and rate per 1,000 over the period, Mann-Kendall tau and p, Sen''s slope (offences per step, and per 1,000 '
  'residents), direction with polarity lower_better (less crime is improving), reason';

CREATE FUNCTION brent_mdm.london_crime_rank(area_code text DEFAULT 'E09000005', major_category text DEFAULT NULL,
                                            year_from integer DEFAULT 2008, year_to integer DEFAULT 2016)
  RETURNS TABLE (year integer, area_name text, offences bigint, rate_per_1000 numeric, rank integer,
                 boroughs integer, quartile integer, london_rate_per_1000 numeric)
  LANGUAGE plpgsql STABLE PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF year_from IS NULL OR year_to IS NULL OR year_from < 1 OR year_to > 9999 THEN
    RAISE EXCEPTION USING ERRCODE = '22023',
      MESSAGE = format('years must be given, not %s to %s', coalesce(year_from::text, 'NULL'), coalesce(year_to::text, 'NULL'));
  END IF;
  PERFORM brent_mdm.london_crime_check(london_crime_rank.area_code, london_crime_rank.major_category,
                                       make_date(year_from, 1, 1), make_date(year_to, 12, 1));
  RETURN QUERY
  WITH y AS (
    SELECT c.area_code AS code, extract(year FROM c.month)::integer AS yr, sum(c.offences)::bigint AS n
      FROM brent_mdm.london_crime c
     WHERE extract(year FROM c.month) BETWEEN year_from AND year_to
       AND (london_crime_rank.major_category IS NULL OR c.major_category = london_crime_rank.major_category)
     GROUP BY 1, 2),
  r AS (
    SELECT y.code, y.yr, y.n, round(1000 * y.n / brent_mdm.london_population(y.code), 3) AS rate,
           (pg_catalog.rank() OVER (PARTITION BY y.yr ORDER BY y.n / brent_mdm.london_population(y.code) DESC))::integer AS rk,
           (pg_catalog.count(*) OVER (PARTITION BY y.yr))::integer AS nb,
           round(1000 * sum(y.n) OVER (PARTITION BY y.yr)
                 / (SELECT sum(brent_mdm.london_population(la.area_code)) FROM brent_mdm.london_area la
                     WHERE la.kind = 'london_borough'), 3) AS lrate
      FROM y)
  SELECT r.yr, la.area_name, r.n, r.rate, r.rk, r.nb, ceil(4.0 * r.rk / r.nb)::integer, r.lrate
    FROM r JOIN brent_mdm.london_area la ON la.area_code = r.code
   WHERE r.code = london_crime_rank.area_code
   ORDER BY r.yr;
END
$fn$;
COMMENT ON FUNCTION brent_mdm.london_crime_rank(text, text, integer, integer) IS
  'Per calendar year: a borough''s MPS recorded crime (one major category or all), its rate per 1,000 residents (GLA '
  'population estimate 2017), its rank among the 32 boroughs (1 = highest rate; ties share), quartile (1 = the highest '
  'quarter) and the Metropolitan Police area''s rate';

-- The spread of the boroughs' crime rates by period: the London peer band of
-- a borough's chart (all 32 boroughs, or the peers given, e.g. its nearest
-- neighbours).  Percentiles as percentile_cont (linear between ranks).
CREATE FUNCTION brent_mdm.london_crime_band(major_category text DEFAULT NULL,
                                            period_from date DEFAULT '2014-01-01', period_to date DEFAULT '2016-12-01',
                                            step text DEFAULT 'month', peers text[] DEFAULT NULL)
  RETURNS TABLE (period date, boroughs integer, rate_min numeric, rate_p25 numeric, rate_median numeric,
                 rate_p75 numeric, rate_max numeric)
  LANGUAGE plpgsql STABLE PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  codes text[];
  code text;
BEGIN
  PERFORM brent_mdm.series_check(ARRAY[]::date[], 0, step);
  IF peers IS NOT NULL AND (coalesce(array_ndims(peers), 0) <> 1
                            OR EXISTS (SELECT FROM unnest(peers) x WHERE x IS NULL)) THEN
    RAISE EXCEPTION USING ERRCODE = '22023',
      MESSAGE = 'peers must be NULL (all 32 boroughs) or an array of borough codes without NULL',
      HINT = 'E.g. the nearest neighbours: (SELECT array_agg(neighbour_code) FROM brent_mdm.london_neighbours()).';
  END IF;
  codes := coalesce((SELECT array_agg(DISTINCT x) FROM unnest(peers) x),
                    (SELECT array_agg(la.area_code ORDER BY la.area_code) FROM brent_mdm.london_area la
                      WHERE la.kind = 'london_borough'));
  FOREACH code IN ARRAY codes LOOP     -- each a borough of the series; the category and period valid
    PERFORM brent_mdm.london_crime_check(code, london_crime_band.major_category, period_from, period_to);
  END LOOP;
  RETURN QUERY
  WITH r AS (
    SELECT date_trunc(step, c.month)::date AS p, c.area_code,
           1000 * sum(c.offences) / brent_mdm.london_population(c.area_code) AS rate
      FROM brent_mdm.london_crime c
     WHERE c.area_code = ANY (codes)
       AND (london_crime_band.major_category IS NULL OR c.major_category = london_crime_band.major_category)
       AND c.month BETWEEN date_trunc(step, period_from)::date AND period_to
     GROUP BY 1, 2)
  SELECT r.p, count(*)::integer,
         round(min(r.rate), 3),
         round((percentile_cont(0.25) WITHIN GROUP (ORDER BY r.rate))::numeric, 3),
         round((percentile_cont(0.5) WITHIN GROUP (ORDER BY r.rate))::numeric, 3),
         round((percentile_cont(0.75) WITHIN GROUP (ORDER BY r.rate))::numeric, 3),
         round(max(r.rate), 3)
    FROM r GROUP BY r.p ORDER BY r.p;
END
$fn$;
COMMENT ON FUNCTION brent_mdm.london_crime_band(text, date, date, text, text[]) IS
  'The London peer band of a crime chart: per month, quarter or year from period_from to period_to (default 2014-2016, '
  'monthly), one major category or all (NULL), the spread of the boroughs'' MPS recorded crime rates per 1,000 residents '
  '(GLA population estimate 2017): number of boroughs, minimum, lower quartile, median, upper quartile, maximum '
  '(percentile_cont), over the 32 boroughs or the peers given (e.g. a borough''s nearest neighbours)';

GRANT EXECUTE ON FUNCTION brent_mdm.london_crime_check(text, text, date, date),
  brent_mdm.london_crime_counts(text, text, text) TO PUBLIC;
GRANT EXECUTE ON FUNCTION brent_mdm.london_population(text),
  brent_mdm.london_crime_series(text, text, date, date, text),
  brent_mdm.london_crime_trend(text, text, date, date, text),
  brent_mdm.london_crime_rank(text, text, integer, integer),
  brent_mdm.london_crime_band(text, date, date, text, text[]) TO PUBLIC;

-- ---- peers: nearest neighbours the CIPFA way ----

-- The default variables: socio-economic figures of the London Borough
-- Profiles close to those of CIPFA's nearest neighbours model (population,
-- density, age, ethnicity and migration, work and benefits, income, housing
-- tenure and prices, council tax, qualifications).
CREATE FUNCTION brent_mdm.london_neighbour_variables() RETURNS text[]
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN ARRAY['gla_population_estimate_2017', 'population_density_per_hectare_2017',
               'proportion_of_population_aged_0_15_2015', 'proportion_of_population_aged_65_and_over_2015',
               'pct_of_population_from_bame_groups_2016', 'pct_of_resident_population_born_abroad_2015',
               'employment_rate_pct_2015', 'unemployment_rate_2015',
               'proportion_of_the_working_age_population_who_claim_out_of_work_benefits_pct_may_2016',
               'pct_children_living_in_out_of_work_households_2015',
               'modelled_household_median_income_estimates_2012_13', 'median_house_price_2015',
               'rented_from_local_authority_or_housing_association_2014_pct',
               'average_band_d_council_tax_charge_gbp_2015_16',
               'proportion_of_working_age_people_with_no_qualifications_pct_2015'];
COMMENT ON FUNCTION brent_mdm.london_neighbour_variables() IS
  'The default variables of london_neighbours: 15 socio-economic figures of the London Borough Profiles after CIPFA''s nearest neighbours model';

-- z-scores of chosen figures: (value - mean) / population standard deviation,
-- each over the authorities that have the figure; an authority missing any
-- chosen figure is left out (it has no position in the space).
CREATE FUNCTION brent_mdm.london_profile_z(variables text[] DEFAULT brent_mdm.london_neighbour_variables())
  RETURNS TABLE (area_code text, area_name text, z float8[])
  LANGUAGE plpgsql STABLE PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v text;
  m brent_mdm.london_profile_measure;
  n integer;
  sd numeric;
BEGIN
  IF variables IS NULL OR cardinality(variables) = 0 OR array_ndims(variables) > 1 THEN
    RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'give at least one variable (a one-dimensional text array of measures)',
      HINT = 'The measures are the rows of brent_mdm.london_profile_measure; the default is london_neighbour_variables().';
  END IF;
  IF cardinality(variables) > 82 THEN
    RAISE EXCEPTION USING ERRCODE = '54000', MESSAGE = format('%s variables: at most 82 (the figures of the profiles)', cardinality(variables));
  END IF;
  FOREACH v IN ARRAY variables LOOP
    IF v IS NULL THEN
      RAISE EXCEPTION USING ERRCODE = '22004', MESSAGE = 'a variable is NULL',
        HINT = 'Give measures of brent_mdm.london_profile_measure.';
    END IF;
    SELECT * INTO m FROM brent_mdm.london_profile_measure pm WHERE pm.measure = v;
    IF NOT FOUND THEN
      RAISE EXCEPTION USING ERRCODE = '22023',
        MESSAGE = format('unknown London profile measure %L', left(v, 100)),
        HINT = 'The measures are the rows of brent_mdm.london_profile_measure (e.g. gla_population_estimate_2017).';
    END IF;
    IF m.value_type <> 'number' THEN
      RAISE EXCEPTION USING ERRCODE = '22023',
        MESSAGE = format('London profile measure %L is text, not a number', v),
        DETAIL = format('Column %s holds names, not numbers.', m.label),
        HINT = 'Choose measures whose value_type is number.';
    END IF;
    SELECT count(*), stddev_pop(p.value) INTO n, sd
      FROM brent_mdm.london_profile p JOIN brent_mdm.london_area la ON la.area_code = p.area_code
     WHERE p.measure = v AND la.kind IN ('london_borough', 'city');
    IF n = 0 THEN
      RAISE EXCEPTION USING ERRCODE = '22023',
        MESSAGE = format('London profile measure %L has no values', v),
        DETAIL = 'No London authority has a figure for it.',
        HINT = 'Choose a measure with values.';
    END IF;
    IF sd = 0 THEN
      RAISE EXCEPTION USING ERRCODE = '22023',
        MESSAGE = format('London profile measure %L has the same value for every authority', v),
        DETAIL = 'Its standard deviation is 0: it has no z-scores.',
        HINT = 'Choose a measure that varies.';
    END IF;
  END LOOP;
  IF cardinality(variables) <> (SELECT count(DISTINCT x) FROM unnest(variables) x) THEN
    RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'a variable is given more than once',
      HINT = 'Each variable counts once in the distance; give it once.';
  END IF;
  RETURN QUERY
  WITH vars AS (SELECT x AS measure, i FROM unnest(variables) WITH ORDINALITY u(x, i)),
  zs AS (
    SELECT p.area_code, vars.i,
           ((p.value - avg(p.value) OVER w) / stddev_pop(p.value) OVER w)::float8 AS z
      FROM vars JOIN brent_mdm.london_profile p ON p.measure = vars.measure
      JOIN brent_mdm.london_area la ON la.area_code = p.area_code AND la.kind IN ('london_borough', 'city')
    WINDOW w AS (PARTITION BY vars.i))
  SELECT zs.area_code, la.area_name, array_agg(zs.z ORDER BY zs.i)
    FROM zs JOIN brent_mdm.london_area la USING (area_code)
   GROUP BY zs.area_code, la.area_name
  HAVING count(*) = cardinality(variables)
   ORDER BY zs.area_code;
END
$fn$;
COMMENT ON FUNCTION brent_mdm.london_profile_z(text[]) IS
  'z-scores of chosen number figures of the London Borough Profiles (value minus mean, over the population standard '
  'deviation, each over the authorities that have the figure), in the order of the variables; an authority missing any '
  'of them is left out';

CREATE FUNCTION brent_mdm.london_neighbours(area_code text DEFAULT 'E09000005',
                                            variables text[] DEFAULT brent_mdm.london_neighbour_variables(),
                                            k integer DEFAULT 15)
  RETURNS TABLE (rank integer, neighbour_code text, neighbour_name text, distance float8, z float8[])
  LANGUAGE plpgsql STABLE PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  za float8[];
  a brent_mdm.london_area;
  candidates integer;
  others text[];
BEGIN
  SELECT * INTO a FROM brent_mdm.london_area la WHERE la.area_code = london_neighbours.area_code;
  IF NOT FOUND OR a.kind NOT IN ('london_borough', 'city') THEN
    RAISE EXCEPTION USING ERRCODE = '22023',
      MESSAGE = format('%s is not a London authority of brent_mdm.london_area', coalesce(quote_literal(left(london_neighbours.area_code, 100)), 'NULL')),
      HINT = 'Give a GSS code E09000001 .. E09000033 (Brent is E09000005).';
  END IF;
  IF k IS NULL OR k < 1 OR k > 32 THEN
    RAISE EXCEPTION USING ERRCODE = '22023',
      MESSAGE = format('k must be between 1 and 32, not %s', coalesce(k::text, 'NULL')),
      DETAIL = 'There are 33 London authorities: an authority has at most 32 others.',
      HINT = 'CIPFA''s nearest neighbours are 15 (the default).';
  END IF;
  SELECT array_agg(t.area_code) FILTER (WHERE t.area_code <> a.area_code), pg_catalog.max(t.z) FILTER (WHERE t.area_code = a.area_code)
    INTO others, za
    FROM brent_mdm.london_profile_z(variables) t;
  IF za IS NULL THEN
    RAISE EXCEPTION USING ERRCODE = '22023',
      MESSAGE = format('%s has no figure for %s', a.area_name,
                       (SELECT string_agg(v, ', ') FROM unnest(variables) v
                         WHERE NOT EXISTS (SELECT FROM brent_mdm.london_profile p
                                            WHERE p.area_code = a.area_code AND p.measure = v))),
      DETAIL = 'An authority without a figure has no distance on it.',
      HINT = 'Leave those variables out.';
  END IF;
  candidates := coalesce(cardinality(others), 0);
  IF candidates < k THEN
    RAISE NOTICE '% other authorities have every variable: % neighbours, not %', candidates, candidates, k;
  END IF;
  RETURN QUERY
  SELECT (row_number() OVER (ORDER BY d.dist, d.area_code))::integer, d.area_code, d.area_name, d.dist, d.z
    FROM (SELECT t.area_code, t.area_name, t.z,
                 sqrt((SELECT sum((x.zi - x.zj) ^ 2) FROM unnest(t.z, za) x(zi, zj))) AS dist
            FROM brent_mdm.london_profile_z(variables) t WHERE t.area_code <> a.area_code) d
   ORDER BY d.dist, d.area_code
   LIMIT k;
END
$fn$;
COMMENT ON FUNCTION brent_mdm.london_neighbours(text, text[], integer) IS
  'The k (default 15) London authorities nearest to one (default Brent) the CIPFA way: chosen number figures of the '
  'London Borough Profiles (default london_neighbour_variables()) as z-scores (london_profile_z), Euclidean distance; '
  'rank (1 = nearest; equal distances by area code), distance, and the neighbour''s z-scores in the order of the '
  'variables. Authorities missing any variable are left out';

GRANT EXECUTE ON FUNCTION brent_mdm.london_neighbour_variables(), brent_mdm.london_profile_z(text[]),
  brent_mdm.london_neighbours(text, text[], integer) TO PUBLIC;
