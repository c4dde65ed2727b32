#!/usr/bin/env bash
# Benchmark: one theme's dashboard page for all 22 wards (issue 13, Speed: under
# 200 ms) on a generated borough (BRENT_BENCH_PEOPLE, default 20,000 people;
# BRENT_BENCH_THEME, default safety), the theme's indicators installed as rollups
# and folded.
#   ours:  indicator_dashboard(theme): the whole XHTML page (each indicator's figures
#          read once from its rollups by indicator_values, the wards ranked, the
#          trend of every ward and the borough, 14 maps and 14 charts drawn);
#   plain: the same figures by plain SQL from the base tables (bench/catalogue_plain.sql:
#          one GROUP BY per indicator, rows placed in wards through the gazetteer,
#          population_estimate for the rates), the wards ranked in the latest period
#          with a borough value (rank() by polarity, quartile ceil(4 rank / wards)),
#          and the 3-year trend of every ward and the borough (Mann-Kendall S, tau-b
#          and the tie-corrected z by a self-join of the pairs, Sen's slope by
#          percentile_cont; the direction from |z| > 1.959964): the figures only,
#          no page drawn (so plain SQL is favoured).
# The figures printed on the page (read back by XPath: each ward's value, rank,
# quartile and direction, each indicator's period, borough value and direction) are
# checked equal to plain SQL's in the run.  Each side runs in one session: a first call
# (printed: it compiles the PL/pgSQL and fills the caches), then the best of 5.
#   ./run bench dashboard     or on a cluster of one's own: PGHOST=... PGPORT=... bash bench/dashboard.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
db=brent_bench_dashboard
people=${BRENT_BENCH_PEOPLE:-20000}
theme=${BRENT_BENCH_THEME:-safety}
dropdb --if-exists "$db" 2>/dev/null || true
createdb "$db"
export PGDATABASE=$db
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

q -v theme="$theme" <<SQL >/dev/null
SET client_min_messages = warning;
CREATE EXTENSION brent_mdm CASCADE;
SELECT count(*) FROM brent_mdm.generate_borough($people, 1, 'borough');
SELECT count(*) FROM brent_mdm.indicator_catalogue_install('borough',
         (SELECT array_agg(indicator) FROM brent_mdm.indicator_catalogue WHERE theme = :'theme'));
SELECT sum(brent_mdm.fold_indicator(name)) FROM brent_mdm.indicator WHERE name LIKE 'ic\_%';
\i $here/catalogue_plain.sql
SQL
q -c "VACUUM ANALYZE" >/dev/null

only=$(q -v theme="$theme" <<'SQL'
SELECT quote_literal(array_agg(indicator)::text) FROM brent_mdm.indicator_catalogue WHERE theme = :'theme'
SQL
)
plain_sql=$(q -c "SELECT plain_catalogue_sql('borough', $only::text[])")
# the figures the page prints, by plain SQL; as_of of the generated borough is 2026-03-31
plain_figures="
  WITH v AS MATERIALIZED ($plain_sql),
  latest AS (SELECT indicator, max(period) AS period FROM v WHERE area_code = 'borough' AND value IS NOT NULL GROUP BY 1),
  ranked AS (SELECT v.indicator, v.area_code, v.period, v.value, k.polarity,
                    CASE WHEN v.value IS NOT NULL THEN rank() OVER (PARTITION BY v.indicator, v.area_code = 'borough', v.value IS NULL
                         ORDER BY CASE WHEN k.polarity = 'lower_better' THEN v.value ELSE -v.value END) END AS rank,
                    count(v.value) OVER (PARTITION BY v.indicator, v.area_code = 'borough') AS wards
               FROM v JOIN latest l USING (indicator, period) JOIN brent_mdm.indicator_catalogue k USING (indicator)),
  tv AS (SELECT v.*, k.polarity, CASE WHEN k.grain = 'quarter' THEN (extract(year FROM v.period) * 4 + extract(month FROM v.period) / 3)::int
                                      WHEN k.grain = 'month' THEN (extract(year FROM v.period) * 12 + extract(month FROM v.period))::int
                                      ELSE extract(year FROM v.period)::int END AS k,
                CASE k.grain WHEN 'quarter' THEN 12 WHEN 'month' THEN 36 ELSE 3 END AS span
           FROM v JOIN brent_mdm.indicator_catalogue k USING (indicator) WHERE v.period > date '2026-03-31' - interval '3 years'),
  last AS (SELECT indicator, area_code, max(k) FILTER (WHERE value IS NOT NULL) AS kl, min(span) AS span FROM tv GROUP BY 1, 2),
  w AS (SELECT tv.indicator, tv.area_code, tv.polarity, tv.k, tv.value::float8 AS n FROM tv JOIN last l USING (indicator, area_code)
         WHERE tv.value IS NOT NULL AND tv.k > l.kl - l.span),
  pairs AS (SELECT a.indicator, a.area_code, sign(b.n - a.n) AS sg FROM w a
              JOIN w b ON b.indicator = a.indicator AND b.area_code = a.area_code AND b.k > a.k),
  ps AS (SELECT indicator, area_code, sum(sg) AS s, count(*) AS n0, count(*) FILTER (WHERE sg = 0) AS tied FROM pairs GROUP BY 1, 2),
  ties AS (SELECT indicator, area_code, sum(t * (t - 1) * (2 * t + 5)) AS tv
             FROM (SELECT indicator, area_code, count(*)::float8 AS t FROM w GROUP BY 1, 2, n) g GROUP BY 1, 2),
  cnt AS (SELECT indicator, area_code, min(polarity) AS polarity, count(*)::float8 AS m FROM w GROUP BY 1, 2),
  z AS (SELECT c.indicator, c.area_code, c.polarity, c.m, ps.s,
               CASE WHEN ps.n0 > ps.tied THEN ps.s / sqrt((ps.n0 - ps.tied)::float8 * ps.n0) END AS tau,
               (ps.s - sign(ps.s)) / nullif(sqrt((c.m * (c.m - 1) * (2 * c.m + 5) - t.tv) / 18), 0) AS z
          FROM cnt c LEFT JOIN ps USING (indicator, area_code) LEFT JOIN ties t USING (indicator, area_code)),
  dir AS (SELECT l.indicator, l.area_code,
                 CASE WHEN coalesce(z.m, 0) < 10 THEN 'not enough data'
                      WHEN z.tau IS NULL OR abs(z.z) <= 1.959963984540054 THEN 'no significant change'
                      WHEN z.polarity = 'neutral' THEN CASE WHEN z.s > 0 THEN 'increasing' ELSE 'decreasing' END
                      WHEN (z.s > 0) = (z.polarity = 'higher_better') THEN 'improving' ELSE 'worsening' END AS direction
            FROM last l LEFT JOIN z USING (indicator, area_code))
  SELECT r.indicator, r.area_code, r.period, r.value, r.rank, ceil(4.0 * r.rank / r.wards)::int AS quartile, r.wards::int, d.direction
    FROM ranked r LEFT JOIN dir d USING (indicator, area_code)"

best() {   # $1: a table name, $2: the query that fills it; in one session: one warm-up run, then the best of 5
  local script="SET client_min_messages = warning;" r
  for r in 0 1 2 3 4 5; do
    script+="
DROP TABLE IF EXISTS $1; SELECT clock_timestamp() AS t0 \\gset
CREATE TABLE $1 AS $2;
SELECT extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) AS d$r \\gset"
  done
  script+="
SELECT round(least(:d1, :d2, :d3, :d4, :d5)::numeric, 4) || ' ' || round(:d0::numeric, 4);"
  q <<<"$script"
}

read -r ours ours_first <<<"$(best ours_page "SELECT brent_mdm.indicator_dashboard('$theme') AS s")"
read -r plain plain_first <<<"$(best plain_fig "$plain_figures")"

# the page's figures, read back, against plain SQL's
diff=$(q <<'SQL'
WITH page_wards AS (
  SELECT x.* FROM ours_page, xmltable(xmlnamespaces('http://www.w3.org/1999/xhtml' AS h),
    '/h:html/h:body/h:section/h:table[@class="wards"]/h:tbody/h:tr' PASSING xmlparse(DOCUMENT s)
    COLUMNS indicator text PATH '../../../@id', ward_code text PATH '@data-ward', value text PATH 'h:td[@class="value"]',
            rank text PATH 'h:td[@class="rank"]', quartile text PATH 'h:td[@class="quartile"]',
            direction text PATH 'h:td[@class="direction"]') x),
page_sections AS (
  SELECT x.* FROM ours_page, xmltable(xmlnamespaces('http://www.w3.org/1999/xhtml' AS h),
    '/h:html/h:body/h:section[@class="indicator"]' PASSING xmlparse(DOCUMENT s)
    COLUMNS indicator text PATH '@id', period text PATH 'h:dl/h:dd[@class="period"]/@data-period',
            value text PATH 'h:dl/h:dd[@class="borough-value"]/@data-value',
            direction text PATH 'h:dl/h:dd[@class="borough-direction"]/@data-direction') x),
plain_wards AS (
  SELECT indicator, area_code AS ward_code, coalesce(value::text, 'no data') AS value,
         coalesce(rank || ' of ' || wards, '-') AS rank, coalesce(quartile::text, '-') AS quartile, direction
    FROM plain_fig WHERE area_code <> 'borough'),
plain_sections AS (
  SELECT indicator, period::text, value::text, direction FROM plain_fig WHERE area_code = 'borough')
SELECT (SELECT count(*) FROM ((TABLE page_wards EXCEPT TABLE plain_wards) UNION ALL (TABLE plain_wards EXCEPT TABLE page_wards)) d)
     + (SELECT count(*) FROM ((TABLE page_sections EXCEPT TABLE plain_sections) UNION ALL (TABLE plain_sections EXCEPT TABLE page_sections)) d)
       || ' ' || (SELECT count(*) FROM page_wards) || ' ' || (SELECT count(*) FROM page_sections)
       || ' ' || (SELECT length(s) FROM ours_page)
SQL
)
read -r differ ward_rows sections bytes <<<"$diff"
wards=$(q -c "SELECT count(*) FROM borough.ward")
load=$(cut -d' ' -f1-3 /proc/loadavg)
echo "== dashboard of theme $theme: $sections indicators x $wards wards, a borough of $people people (load average $load)"
echo "indicator_dashboard('$theme'): ${ours} s for the page ($bytes bytes; first call of the session ${ours_first} s); plain SQL figures from the base tables: ${plain} s (first ${plain_first} s); ratio plain / ours $(echo "scale=2; $plain / $ours" | bc)x"
echo "figures compared (the page's $ward_rows ward rows and $sections sections read back by XPath against plain SQL): $differ differ"
[ "$differ" = 0 ] && [ "$ward_rows" -gt 0 ] || { echo "RESULTS DIFFER"; [ -n "${BENCH_KEEP:-}" ] || dropdb "$db"; exit 1; }
[ -n "${BENCH_KEEP:-}" ] || dropdb "$db"
