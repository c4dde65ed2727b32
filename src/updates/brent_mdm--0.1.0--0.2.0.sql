/*
 * brent_mdm 0.1.0 to @EXTVERSION@: changes to objects of 0.1.0; make appends
 * the SQL files of the modules added since (MODULES_SQL_NEW in the Makefile).
 */
\echo Use "ALTER EXTENSION brent_mdm UPDATE" to load this file. \quit

CREATE OR REPLACE FUNCTION brent_mdm.version() RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT '@EXTVERSION@'::text $$;

-- match_explain gains term_frequency (the result type changes: drop and create)
DROP FUNCTION brent_mdm.match_explain_json(text, jsonb, jsonb);
DROP FUNCTION brent_mdm.match_explain(text, jsonb, jsonb);
CREATE FUNCTION brent_mdm.match_explain(model_name text, a jsonb, b jsonb)
  RETURNS TABLE (step integer, column_name text, kind text, value_a text, value_b text,
                 level integer, level_name text, m float8, u float8, match_weight float8,
                 running_total float8, match_probability float8, term_frequency float8)
  LANGUAGE c STABLE STRICT PARALLEL SAFE
  AS 'MODULE_PATHNAME', 'link_match_explain';
COMMENT ON FUNCTION brent_mdm.match_explain(text, jsonb, jsonb) IS
  'Why a model scores two records as it does: the prior, then each column''s level, weight (log2 m/u, u adjusted by the term frequency of an agreeing value) and the running total (a waterfall)';
CREATE FUNCTION brent_mdm.match_explain_json(model_name text, a jsonb, b jsonb) RETURNS jsonb
  LANGUAGE sql STABLE STRICT PARALLEL SAFE
  AS $$ SELECT jsonb_agg(to_jsonb(e) ORDER BY e.step) FROM brent_mdm.match_explain(model_name, a, b) e $$;
COMMENT ON FUNCTION brent_mdm.match_explain_json(text, jsonb, jsonb) IS
  'match_explain as one JSON array, for applications';
GRANT EXECUTE ON FUNCTION brent_mdm.match_explain(text, jsonb, jsonb),
  brent_mdm.match_explain_json(text, jsonb, jsonb) TO PUBLIC;

-- blocking_estimate: blocks of more than 500 distinct records are split by sorted
-- neighbourhood, not skipped (skipped_blocks becomes split_blocks, split_comparisons,
-- split_by: the result type changes, drop and create)
DROP FUNCTION brent_mdm.blocking_estimate(regclass, name, jsonb, regclass);
CREATE FUNCTION brent_mdm.blocking_estimate(source regclass, id_column name, columns jsonb,
                                            right_table regclass DEFAULT NULL)
  RETURNS TABLE (blocking_rule text, comparisons bigint, largest_block integer,
                 split_blocks bigint, split_comparisons bigint, split_by text,
                 used_for_training boolean)
  LANGUAGE c VOLATILE PARALLEL UNSAFE
  AS 'MODULE_PATHNAME', 'link_blocking_estimate';
COMMENT ON FUNCTION brent_mdm.blocking_estimate(regclass, name, jsonb, regclass) IS
  'The blocking rules dedupe (or, with right_table, link) would use on this mapping, and the comparisons each would make, before running them';
GRANT EXECUTE ON FUNCTION brent_mdm.blocking_estimate(regclass, name, jsonb, regclass) TO PUBLIC;

-- linkage_last_run: the figures of the session's last linkage run (its memory)
CREATE FUNCTION brent_mdm.linkage_last_run()
  RETURNS TABLE (records bigint, candidate_pairs bigint, work_mem_kb bigint, spilled boolean,
                 chunks_written bigint, chunks_read bigint, store_peak_kb bigint, beside_peak_kb bigint,
                 beside_reading_kb bigint, beside_blocking_kb bigint, beside_training_kb bigint,
                 beside_clustering_kb bigint)
  LANGUAGE c VOLATILE PARALLEL RESTRICTED
  AS 'MODULE_PATHNAME', 'link_last_run';
COMMENT ON FUNCTION brent_mdm.linkage_last_run() IS
  'The figures of this session''s last linkage run: records, candidate pairs, brent_mdm.linkage_work_mem, whether it spilled, chunks written and read back, the peak memory of its store and of what the backend held beside it, in all and in each step';
GRANT EXECUTE ON FUNCTION brent_mdm.linkage_last_run() TO PUBLIC;

-- trigger functions are not for users to call
REVOKE ALL ON FUNCTION brent_mdm.name_variant_normalise(), brent_mdm.name_variant_changed() FROM PUBLIC;
COMMENT ON FUNCTION brent_mdm.name_variant_normalise() IS
  'Internal trigger: stores name variants in normalised form and refuses empty or identical pairs';
COMMENT ON FUNCTION brent_mdm.name_variant_changed() IS
  'Internal trigger: makes every session reload the name variant dictionary after a change commits';

-- date_agreement gains same_day_month (the year alone wrong)
COMMENT ON FUNCTION brent_mdm.date_agreement(date, date) IS
  'Agreement of two dates: exact, day_month_transposed, one_digit_differs, same_month_year, within_one_year, same_day_month or different';
