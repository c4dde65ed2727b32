-- ---- geo: hot spots of events on a grid of the borough (Gi*, emerging, density) ----
--
-- These functions read the caller's own tables with the caller's privileges (no
-- SECURITY DEFINER; row level security applies): they reach no personal data the
-- caller could not already select, so they are granted to PUBLIC like the other
-- analyst functions.  They read tables, hence STABLE; a source may be a temporary
-- table, hence PARALLEL RESTRICTED.

CREATE FUNCTION brent_mdm.hotspots(
    source        regclass,
    geom_column   name,
    time_column   name,
    period_start  date,
    period_end    date,
    cell_size     float8   DEFAULT 250,
    distance_band float8   DEFAULT NULL,
    area          regclass DEFAULT NULL)
  RETURNS TABLE (cell_id bigint, geom geometry, incidents bigint, gi_z float8, gi_p float8, hotspot text)
  LANGUAGE c STABLE CALLED ON NULL INPUT PARALLEL RESTRICTED ROWS 5000
  AS 'MODULE_PATHNAME', 'geo_hotspots';
COMMENT ON FUNCTION brent_mdm.hotspots(regclass, name, name, date, date, float8, float8, regclass) IS
  'Getis-Ord Gi* hot and cold spots of the points of source in [period_start, period_end) on a square grid '
  'of cell_size metres (EPSG 27700) over the borough (area, by default the table ward next to source); '
  'binary weights within distance_band (default cell_size * sqrt(2)), Benjamini-Hochberg FDR classes';

CREATE FUNCTION brent_mdm.emerging_hotspots(
    source        regclass,
    geom_column   name,
    time_column   name,
    period_start  date,
    period_end    date,
    cell_size     float8   DEFAULT 250,
    step          text     DEFAULT 'month',
    area          regclass DEFAULT NULL)
  RETURNS TABLE (cell_id bigint, geom geometry, category text, steps_hot integer, steps_cold integer,
                 trend_tau float8, trend_p float8)
  LANGUAGE c STABLE CALLED ON NULL INPUT PARALLEL RESTRICTED ROWS 5000
  AS 'MODULE_PATHNAME', 'geo_emerging_hotspots';
COMMENT ON FUNCTION brent_mdm.emerging_hotspots(regclass, name, name, date, date, float8, text, regclass) IS
  'Emerging Hot Spot Analysis: Gi* of each cell in each step (space-time cube), Mann-Kendall trend of its '
  'z-scores, and the categories new, consecutive, intensifying, persistent, diminishing, oscillating, '
  'sporadic, historical (hot and cold) or no pattern';

CREATE FUNCTION brent_mdm.mann_kendall(series float8[], OUT tau float8, OUT p float8)
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
  AS 'MODULE_PATHNAME', 'geo_mann_kendall';
COMMENT ON FUNCTION brent_mdm.mann_kendall(float8[]) IS
  'Mann-Kendall trend test of a series in time order (NULLs left out): Kendall''s tau-b and the two-sided p '
  '(variance corrected for ties, continuity correction)';

CREATE FUNCTION brent_mdm.emerging_category(significance integer[], trend_tau float8, trend_p float8)
  RETURNS text
  LANGUAGE c IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE
  AS 'MODULE_PATHNAME', 'geo_emerging_category';
COMMENT ON FUNCTION brent_mdm.emerging_category(integer[], float8, float8) IS
  'The emerging hot spot category of a series of steps (1 hot, -1 cold, 0 not significant) and its trend, '
  'by the rules emerging_hotspots applies';

CREATE FUNCTION brent_mdm.kernel_density(
    source        regclass,
    geom_column   name,
    time_column   name,
    period_start  date,
    period_end    date,
    bandwidth     float8,
    cell_size     float8   DEFAULT 100,
    area          regclass DEFAULT NULL)
  RETURNS TABLE (cell_id bigint, geom geometry, incidents bigint, density float8)
  LANGUAGE c STABLE CALLED ON NULL INPUT PARALLEL RESTRICTED ROWS 5000
  AS 'MODULE_PATHNAME', 'geo_kernel_density';
COMMENT ON FUNCTION brent_mdm.kernel_density(regclass, name, name, date, date, float8, float8, regclass) IS
  'Quartic (biweight) kernel density of the points of source in [period_start, period_end) at the centre of '
  'each cell of the borough''s grid, in events per square kilometre, bandwidth in metres';

GRANT EXECUTE ON FUNCTION
  brent_mdm.hotspots(regclass, name, name, date, date, float8, float8, regclass),
  brent_mdm.emerging_hotspots(regclass, name, name, date, date, float8, text, regclass),
  brent_mdm.mann_kendall(float8[]),
  brent_mdm.emerging_category(integer[], float8, float8),
  brent_mdm.kernel_density(regclass, name, name, date, date, float8, float8, regclass)
  TO PUBLIC;
