-- ---- link: probabilistic record linkage (Fellegi-Sunter) ----

CREATE FUNCTION brent_mdm.dedupe(source regclass, id_column name, columns jsonb)
  RETURNS TABLE (record_id text, cluster_id bigint)
  LANGUAGE c VOLATILE STRICT PARALLEL UNSAFE
  AS 'MODULE_PATHNAME', 'link_dedupe';
COMMENT ON FUNCTION brent_mdm.dedupe(regclass, name, jsonb) IS
  'Trains a Fellegi-Sunter model without labels on one table and clusters its records into persons';

CREATE FUNCTION brent_mdm.link(left_table regclass, right_table regclass, id_column name, columns jsonb)
  RETURNS TABLE (left_id text, right_id text, match_probability float8)
  LANGUAGE c VOLATILE STRICT PARALLEL UNSAFE
  AS 'MODULE_PATHNAME', 'link_link';
COMMENT ON FUNCTION brent_mdm.link(regclass, regclass, name, jsonb) IS
  'Trains a Fellegi-Sunter model without labels on two tables and returns candidate pairs with match probabilities';

-- They read the given tables with the caller's rights; nothing else.
GRANT EXECUTE ON FUNCTION brent_mdm.dedupe(regclass, name, jsonb),
  brent_mdm.link(regclass, regclass, name, jsonb) TO PUBLIC;

CREATE FUNCTION brent_mdm.blocking_estimate(source regclass, id_column name, columns jsonb,
                                            right_table regclass DEFAULT NULL)
  RETURNS TABLE (blocking_rule text, comparisons bigint, largest_block integer,
                 skipped_blocks bigint, used_for_training boolean)
  LANGUAGE c VOLATILE PARALLEL UNSAFE
  AS 'MODULE_PATHNAME', 'link_blocking_estimate';
COMMENT ON FUNCTION brent_mdm.blocking_estimate(regclass, name, jsonb, regclass) IS
  'The blocking rules dedupe (or, with right_table, link) would use on this mapping, and the comparisons each would make, before running them';
GRANT EXECUTE ON FUNCTION brent_mdm.blocking_estimate(regclass, name, jsonb, regclass) TO PUBLIC;
