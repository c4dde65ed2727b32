-- The indicator catalogue's figures by plain SQL from a generated borough's base
-- tables (no rollup read), for the benchmarks: the SQL text of a query giving, per
-- indicator (all, or those in "indicators"), area (each ward, 'borough') and period of
-- the window 2021-04-01 to 2026-03-31, the numerator, denominator and value as
-- indicator_values gives them.  One GROUP BY per indicator over its source with the
-- catalogue's own measure, each row placed in a ward through the base tables
-- (postcode to ward from the address gazetteer; UPN, social care and youth
-- offending records to their postcode), population_estimate for the rates.
-- "changed": the schema whose asb_incident, revenues_benefits and health_visiting
-- are read (borough, or copies without triggers); "indicators" filters (bench/dashboard.sh).
-- Read by bench/catalogue.sh and bench/dashboard.sh.
CREATE FUNCTION plain_catalogue_sql(changed name, indicators text[] DEFAULT NULL) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  c brent_mdm.indicator_catalogue;
  parts text[] := '{}';
  src text; wexpr text; wjoin text; pexpr text; g text; step text; grid text; den text; num text; popjoin text;
BEGIN
  FOR c IN SELECT * FROM brent_mdm.indicator_catalogue WHERE indicators IS NULL OR indicator = ANY (indicators) ORDER BY indicator LOOP
    src := format('%I.%I', CASE WHEN c.source IN ('asb_incident', 'revenues_benefits', 'health_visiting')
                                THEN changed ELSE 'borough' END, c.source);
    g := c.grain;
    step := CASE g WHEN 'quarter' THEN '3 months' WHEN 'month' THEN '1 month' ELSE '1 year' END;
    pexpr := CASE WHEN c.period_dimension IS NOT NULL
                  THEN format('make_date(left(s.%I, 4)::int, 9, 1)', c.period_dimension)
                  ELSE format('brent_mdm.period_start(s.%I, %L)', c.period_column, g) END;
    wjoin := '';
    CASE c.area_kind
      WHEN 'ward' THEN wexpr := format('s.%I', c.area_column);
      WHEN 'none' THEN wexpr := 'NULL::text';
      WHEN 'postcode' THEN wexpr := 'pw.ward_code';
        wjoin := format('LEFT JOIN pc_ward pw ON pw.k = brent_mdm.postcode_normalise(s.%I)', c.area_column);
      WHEN 'site' THEN wexpr := 'st.ward_code';
        wjoin := 'LEFT JOIN borough.air_quality_site st USING (site_id)';
      WHEN 'upn' THEN wexpr := 'u.ward_code'; wjoin := 'LEFT JOIN upn_ward u USING (upn)';
      WHEN 'lcs_person' THEN wexpr := 'u.ward_code'; wjoin := 'LEFT JOIN lcs_ward u USING (lcs_person_id)';
      WHEN 'yot_case' THEN wexpr := 'u.ward_code'; wjoin := 'LEFT JOIN yot_ward u USING (yot_case_id)';
    END CASE;
    grid := format('(SELECT a.area_code, p::date AS period FROM (SELECT ward_code AS area_code FROM borough.ward WHERE %L <> ''none'''
                   ' UNION ALL SELECT ''borough'') a, generate_series(brent_mdm.period_start(''2021-04-01'', %L), ''2026-03-31''::date, %L::interval) p)',
                   c.area_kind, g, step);
    num := format('(SELECT coalesce(%s, ''borough'') AS area_code, %s AS period, %s::numeric AS n%s FROM %s s %s'
                  ' GROUP BY GROUPING SETS ((%s, %s), (%s)) HAVING grouping(%s) = 1 OR %s IS NOT NULL)',
                  CASE WHEN c.area_kind = 'none' THEN 'NULL::text' ELSE format('CASE WHEN grouping(%s) = 0 THEN %s END', wexpr, wexpr) END,
                  pexpr, c.numerator_measure,
                  CASE WHEN c.denominator_kind = 'measure' THEN format(', %s::numeric AS d', c.denominator_measure) ELSE '' END,
                  src, wjoin, wexpr, pexpr, pexpr, wexpr, wexpr);
    popjoin := '';
    IF c.denominator_kind = 'population' THEN
      den := 'pp.v';
      popjoin := format(' LEFT JOIN (SELECT coalesce(CASE WHEN grouping(ward_code) = 0 THEN ward_code END, ''borough'') AS area_code, year,'
                        ' sum(persons)::numeric AS v FROM borough.population_estimate WHERE age BETWEEN %s AND %s %s'
                        ' GROUP BY GROUPING SETS ((ward_code, year), (year))) pp ON pp.area_code = g.area_code'
                        ' AND pp.year = least(greatest(extract(year FROM g.period + %L::interval / 2)::int, 2021), 2025)',
                        coalesce(c.population_age_from, 0), coalesce(c.population_age_to, 90),
                        CASE WHEN c.population_sex IS NULL THEN '' ELSE format('AND sex = %L', c.population_sex) END, step);
    ELSIF c.denominator_kind = 'measure' THEN den := 'x.d';
    ELSE den := 'NULL::numeric';
    END IF;
    parts := parts || format(
      'SELECT %L::text AS indicator, g.area_code, g.period, %s AS numerator, %s AS denominator FROM %s g'
      ' LEFT JOIN %s x ON x.area_code = g.area_code AND x.period = g.period %s',
      c.indicator,
      CASE WHEN c.denominator_kind = 'measure' THEN 'CASE WHEN x.d > 0 THEN coalesce(x.n, 0) END'
           WHEN c.numerator_measure ~* '^\s*(min|max)' THEN 'x.n' ELSE 'coalesce(x.n, 0)' END,
      CASE WHEN c.denominator_kind = 'measure' THEN 'nullif(x.d, 0)' ELSE den END, grid, num, popjoin);
  END LOOP;
  RETURN format($f$
    WITH pc_ward AS MATERIALIZED (SELECT DISTINCT ON (k) k, ward_code FROM (SELECT brent_mdm.postcode_normalise(postcode) k, ward_code, count(*) n
                                   FROM borough.address GROUP BY 1, 2) a WHERE k IS NOT NULL ORDER BY k, n DESC, ward_code),
    upn_ward AS MATERIALIZED (SELECT DISTINCT ON (upn) upn, ward_code FROM (SELECT upn, pw.ward_code, count(*) n FROM borough.school_census
                               JOIN pc_ward pw ON pw.k = brent_mdm.postcode_normalise(postcode) GROUP BY 1, 2) a
                               WHERE upn IS NOT NULL ORDER BY upn, n DESC, ward_code),
    lcs_ward AS MATERIALIZED (SELECT DISTINCT ON (lcs_person_id) lcs_person_id, ward_code FROM (SELECT lcs_person_id, pw.ward_code, count(*) n
                               FROM borough.childrens_social_care JOIN pc_ward pw ON pw.k = brent_mdm.postcode_normalise(postcode) GROUP BY 1, 2) a
                               ORDER BY lcs_person_id, n DESC, ward_code),
    yot_ward AS MATERIALIZED (SELECT DISTINCT ON (yot_case_id) yot_case_id, ward_code FROM (SELECT yot_case_id, pw.ward_code, count(*) n
                               FROM borough.youth_offending JOIN pc_ward pw ON pw.k = brent_mdm.postcode_normalise(postcode) GROUP BY 1, 2) a
                               ORDER BY yot_case_id, n DESC, ward_code)
    SELECT f.indicator, f.area_code, f.period, f.numerator, f.denominator,
           CASE WHEN k.denominator_kind = 'none' THEN f.numerator
                ELSE round(f.numerator * k.multiplier / nullif(f.denominator, 0), 3) END AS value
      FROM (%s) f JOIN brent_mdm.indicator_catalogue k USING (indicator)$f$, array_to_string(parts, E'\nUNION ALL\n'));
END $$;
