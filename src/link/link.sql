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

CREATE FUNCTION brent_mdm.linkage_last_run()
  RETURNS TABLE (records bigint, candidate_pairs bigint, work_mem_kb bigint, spilled boolean,
                 chunks_written bigint, chunks_read bigint, store_peak_kb bigint, beside_peak_kb bigint,
                 beside_reading_kb bigint, beside_blocking_kb bigint, beside_training_kb bigint,
                 beside_clustering_kb bigint)
  LANGUAGE c VOLATILE PARALLEL RESTRICTED
  AS 'MODULE_PATHNAME', 'link_last_run';
COMMENT ON FUNCTION brent_mdm.linkage_last_run() IS
  'The figures of this session''s last linkage run: records, candidate pairs, brent_mdm.linkage_work_mem, whether it spilled, chunks written and read back, the peak memory of its store and of what the backend held beside it, in all and in each step';
-- the caller's own session's figures only
GRANT EXECUTE ON FUNCTION brent_mdm.linkage_last_run() TO PUBLIC;

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

-- Trained models, kept for explanation (and, later, for scoring new records).
CREATE TABLE brent_mdm.link_model (
  model_name      text PRIMARY KEY,
  columns         jsonb NOT NULL,
  trained_on      text NOT NULL,
  records         bigint NOT NULL,
  candidate_pairs bigint NOT NULL,
  prior           float8 NOT NULL CHECK (prior > 0 AND prior < 1),
  em_rounds       integer NOT NULL,
  converged       boolean NOT NULL,
  trained_by      name NOT NULL DEFAULT current_user,
  trained_at      timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE brent_mdm.link_model IS
  'Fellegi-Sunter models trained by train_model: the mapping, the prior that two random records match, how training went';
CREATE TABLE brent_mdm.link_model_level (
  model_name  text NOT NULL REFERENCES brent_mdm.link_model ON DELETE CASCADE,
  column_name text NOT NULL,
  kind        text NOT NULL,
  level       integer NOT NULL,
  level_name  text NOT NULL,
  m           float8 NOT NULL,
  u           float8 NOT NULL,
  PRIMARY KEY (model_name, column_name, level)
);
COMMENT ON TABLE brent_mdm.link_model_level IS
  'm and u probabilities of each comparison level of each column of a trained model';
SELECT pg_catalog.pg_extension_config_dump('brent_mdm.link_model', '');
SELECT pg_catalog.pg_extension_config_dump('brent_mdm.link_model_level', '');
-- Model parameters say nothing about a person: readable by all; written by train_model
-- with the caller's rights (grant INSERT, UPDATE, DELETE to those who train).
GRANT SELECT ON brent_mdm.link_model, brent_mdm.link_model_level TO PUBLIC;

CREATE FUNCTION brent_mdm.train_model(model_name text, source regclass, id_column name, columns jsonb,
                                      right_table regclass DEFAULT NULL)
  RETURNS SETOF brent_mdm.link_model_level
  LANGUAGE c VOLATILE PARALLEL UNSAFE
  AS 'MODULE_PATHNAME', 'link_train_model';
COMMENT ON FUNCTION brent_mdm.train_model(text, regclass, name, jsonb, regclass) IS
  'Trains a Fellegi-Sunter model as dedupe (or, with right_table, link) does, stores it as model_name and returns its levels';

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
REVOKE EXECUTE ON FUNCTION brent_mdm.train_model(text, regclass, name, jsonb, regclass) FROM PUBLIC;
