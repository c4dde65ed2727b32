-- ---- synth: the synthetic borough generator ----

CREATE FUNCTION brent_mdm.generate_borough(
    people        integer,
    seed          integer DEFAULT 1,
    target_schema name    DEFAULT 'borough',
    replace       boolean DEFAULT false)
  RETURNS TABLE (table_name regclass, rows bigint)
  LANGUAGE c VOLATILE PARALLEL UNSAFE
  AS 'MODULE_PATHNAME', 'generate_borough';

COMMENT ON FUNCTION brent_mdm.generate_borough(integer, integer, name, boolean) IS
  'Creates a deterministic synthetic borough like Brent in target_schema (11 source systems, '
  'events, wards) and its ground truth in target_schema_truth; returns rows per table';

-- Creating schemas and bulk-loading tables is the DBA's call.
REVOKE ALL ON FUNCTION brent_mdm.generate_borough(integer, integer, name, boolean) FROM PUBLIC;
