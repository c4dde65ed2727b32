-- ---- link: training from labelled pairs (since 0.2.0) ----

CREATE FUNCTION brent_mdm.train_model_labelled(model_name text, source regclass, id_column name, columns jsonb,
                                               labels regclass)
  RETURNS SETOF brent_mdm.link_model_level
  LANGUAGE c VOLATILE PARALLEL UNSAFE
  AS 'MODULE_PATHNAME', 'link_train_model_labelled';
COMMENT ON FUNCTION brent_mdm.train_model_labelled(text, regclass, name, jsonb, regclass) IS
  'Trains a model as train_model does, then takes m from labelled matching pairs (labels: id_a, id_b, is_match); u from random pairs';
REVOKE EXECUTE ON FUNCTION brent_mdm.train_model_labelled(text, regclass, name, jsonb, regclass) FROM PUBLIC;

