-- ---- policy: statistical disclosure control of published counts ----
-- A count from 1 to threshold - 1 is suppressed (NULL, or '*'); 0 is
-- published; published counts are rounded to the nearest multiple of base
-- (halves away from zero).  Tables get secondary suppression so that no
-- suppressed cell can be worked out from the published cells and totals.
-- None of these functions reads a table or reveals more than its arguments,
-- so all are for PUBLIC; none is LEAKPROOF, as each refuses a threshold or a
-- base below 1, or a negative count.

CREATE FUNCTION brent_mdm.suppress_small(count bigint, threshold integer DEFAULT 10) RETURNS bigint
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
  AS 'MODULE_PATHNAME', 'disclosure_suppress_small';
COMMENT ON FUNCTION brent_mdm.suppress_small(bigint, integer) IS
  'The count, or NULL when it is from 1 to threshold - 1 (small-number suppression); 0 stays 0';

CREATE FUNCTION brent_mdm.round_to_base(value bigint, base integer DEFAULT 5) RETURNS bigint
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
  AS 'MODULE_PATHNAME', 'disclosure_round_to_base';
COMMENT ON FUNCTION brent_mdm.round_to_base(bigint, integer) IS
  'The value rounded to the nearest multiple of base, halves away from zero';

CREATE FUNCTION brent_mdm.disclosure_format(count bigint, threshold integer DEFAULT 10,
                                            base integer DEFAULT 5) RETURNS text
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
  AS 'MODULE_PATHNAME', 'disclosure_format';
COMMENT ON FUNCTION brent_mdm.disclosure_format(bigint, integer, integer) IS
  'A count as published: * when suppressed, ~ when it rounds to 0 without being 0, else the count rounded to base';

-- safe_count: count(*) suppressed and rounded when the group is finished
CREATE FUNCTION brent_mdm.safe_count_transition(internal) RETURNS internal
  LANGUAGE c IMMUTABLE PARALLEL SAFE
  AS 'MODULE_PATHNAME', 'disclosure_count_trans';
COMMENT ON FUNCTION brent_mdm.safe_count_transition(internal) IS
  'Internal: Transition function of safe_count(*)';
CREATE FUNCTION brent_mdm.safe_count_transition(internal, integer, integer) RETURNS internal
  LANGUAGE c IMMUTABLE PARALLEL SAFE
  AS 'MODULE_PATHNAME', 'disclosure_count_trans';
COMMENT ON FUNCTION brent_mdm.safe_count_transition(internal, integer, integer) IS
  'Internal: Transition function of safe_count(threshold, base)';
CREATE FUNCTION brent_mdm.safe_count_combine(internal, internal) RETURNS internal
  LANGUAGE c IMMUTABLE PARALLEL SAFE
  AS 'MODULE_PATHNAME', 'disclosure_count_combine';
COMMENT ON FUNCTION brent_mdm.safe_count_combine(internal, internal) IS
  'Internal: Combine function of safe_count (parallel aggregation)';
CREATE FUNCTION brent_mdm.safe_count_serialize(internal) RETURNS bytea
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
  AS 'MODULE_PATHNAME', 'disclosure_count_serialize';
COMMENT ON FUNCTION brent_mdm.safe_count_serialize(internal) IS
  'Internal: Serial function of safe_count (parallel aggregation)';
CREATE FUNCTION brent_mdm.safe_count_deserialize(bytea, internal) RETURNS internal
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
  AS 'MODULE_PATHNAME', 'disclosure_count_deserialize';
COMMENT ON FUNCTION brent_mdm.safe_count_deserialize(bytea, internal) IS
  'Internal: Deserial function of safe_count (parallel aggregation)';
CREATE FUNCTION brent_mdm.safe_count_final(internal) RETURNS bigint
  LANGUAGE c IMMUTABLE PARALLEL SAFE
  AS 'MODULE_PATHNAME', 'disclosure_count_final';
COMMENT ON FUNCTION brent_mdm.safe_count_final(internal) IS
  'Internal: Final function of safe_count: the count suppressed and rounded';

CREATE FUNCTION brent_mdm.safe_count_final_default(bigint) RETURNS bigint
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
  AS 'MODULE_PATHNAME', 'disclosure_count_final_default';
COMMENT ON FUNCTION brent_mdm.safe_count_final_default(bigint) IS
  'Internal: Final function of safe_count(*): the count, NULL when from 1 to 9, else rounded to the nearest 5';
-- count(*)'s own transition and combine functions: nothing to serialise in parallel plans
CREATE AGGREGATE brent_mdm.safe_count(*) (
  SFUNC = pg_catalog.int8inc, STYPE = bigint, INITCOND = '0',
  FINALFUNC = brent_mdm.safe_count_final_default,
  COMBINEFUNC = pg_catalog.int8pl,
  PARALLEL = SAFE);
COMMENT ON AGGREGATE brent_mdm.safe_count(*) IS
  'Number of rows, NULL when from 1 to 9, else rounded to the nearest 5';

CREATE AGGREGATE brent_mdm.safe_count(threshold integer, base integer) (
  SFUNC = brent_mdm.safe_count_transition, STYPE = internal, SSPACE = 16,
  FINALFUNC = brent_mdm.safe_count_final,
  COMBINEFUNC = brent_mdm.safe_count_combine,
  SERIALFUNC = brent_mdm.safe_count_serialize, DESERIALFUNC = brent_mdm.safe_count_deserialize,
  PARALLEL = SAFE);
COMMENT ON AGGREGATE brent_mdm.safe_count(integer, integer) IS
  'Number of rows, NULL when from 1 to threshold - 1, else rounded to the nearest multiple of base';

-- safe_count_distinct: the number of distinct persons (ids), suppressed and rounded
CREATE FUNCTION brent_mdm.safe_count_distinct_transition(internal, bigint) RETURNS internal
  LANGUAGE c IMMUTABLE PARALLEL SAFE
  AS 'MODULE_PATHNAME', 'disclosure_distinct_trans';
COMMENT ON FUNCTION brent_mdm.safe_count_distinct_transition(internal, bigint) IS
  'Internal: Transition function of safe_count_distinct(id)';
CREATE FUNCTION brent_mdm.safe_count_distinct_transition(internal, bigint, integer, integer) RETURNS internal
  LANGUAGE c IMMUTABLE PARALLEL SAFE
  AS 'MODULE_PATHNAME', 'disclosure_distinct_trans';
COMMENT ON FUNCTION brent_mdm.safe_count_distinct_transition(internal, bigint, integer, integer) IS
  'Internal: Transition function of safe_count_distinct(id, threshold, base)';
CREATE FUNCTION brent_mdm.safe_count_distinct_combine(internal, internal) RETURNS internal
  LANGUAGE c IMMUTABLE PARALLEL SAFE
  AS 'MODULE_PATHNAME', 'disclosure_distinct_combine';
COMMENT ON FUNCTION brent_mdm.safe_count_distinct_combine(internal, internal) IS
  'Internal: Combine function of safe_count_distinct (parallel aggregation)';
CREATE FUNCTION brent_mdm.safe_count_distinct_serialize(internal) RETURNS bytea
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
  AS 'MODULE_PATHNAME', 'disclosure_distinct_serialize';
COMMENT ON FUNCTION brent_mdm.safe_count_distinct_serialize(internal) IS
  'Internal: Serial function of safe_count_distinct (parallel aggregation)';
CREATE FUNCTION brent_mdm.safe_count_distinct_deserialize(bytea, internal) RETURNS internal
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
  AS 'MODULE_PATHNAME', 'disclosure_distinct_deserialize';
COMMENT ON FUNCTION brent_mdm.safe_count_distinct_deserialize(bytea, internal) IS
  'Internal: Deserial function of safe_count_distinct (parallel aggregation)';
CREATE FUNCTION brent_mdm.safe_count_distinct_final(internal) RETURNS bigint
  LANGUAGE c IMMUTABLE PARALLEL SAFE
  AS 'MODULE_PATHNAME', 'disclosure_distinct_final';
COMMENT ON FUNCTION brent_mdm.safe_count_distinct_final(internal) IS
  'Internal: Final function of safe_count_distinct: the number of distinct ids suppressed and rounded';

CREATE AGGREGATE brent_mdm.safe_count_distinct(id bigint) (
  SFUNC = brent_mdm.safe_count_distinct_transition, STYPE = internal, SSPACE = 256,
  FINALFUNC = brent_mdm.safe_count_distinct_final,
  COMBINEFUNC = brent_mdm.safe_count_distinct_combine,
  SERIALFUNC = brent_mdm.safe_count_distinct_serialize,
  DESERIALFUNC = brent_mdm.safe_count_distinct_deserialize,
  PARALLEL = SAFE);
COMMENT ON AGGREGATE brent_mdm.safe_count_distinct(bigint) IS
  'Number of distinct ids (persons), NULL when from 1 to 9, else rounded to the nearest 5';

CREATE AGGREGATE brent_mdm.safe_count_distinct(id bigint, threshold integer, base integer) (
  SFUNC = brent_mdm.safe_count_distinct_transition, STYPE = internal, SSPACE = 256,
  FINALFUNC = brent_mdm.safe_count_distinct_final,
  COMBINEFUNC = brent_mdm.safe_count_distinct_combine,
  SERIALFUNC = brent_mdm.safe_count_distinct_serialize,
  DESERIALFUNC = brent_mdm.safe_count_distinct_deserialize,
  PARALLEL = SAFE);
COMMENT ON AGGREGATE brent_mdm.safe_count_distinct(bigint, integer, integer) IS
  'Number of distinct ids (persons), NULL when from 1 to threshold - 1, else rounded to the nearest multiple of base';

-- secondary suppression of whole tables
CREATE FUNCTION brent_mdm.suppress_table(labels text[], counts bigint[],
                                         threshold integer DEFAULT 10, base integer DEFAULT 5)
  RETURNS TABLE (row_label text, column_label text, kind text, count bigint,
                 published bigint, suppressed text)
  LANGUAGE c IMMUTABLE PARALLEL SAFE ROWS 20
  AS 'MODULE_PATHNAME', 'disclosure_suppress_table_1';
COMMENT ON FUNCTION brent_mdm.suppress_table(text[], bigint[], integer, integer) IS
  'A one-way table of counts and its total, with primary and secondary suppression so that no suppressed count can be worked out';

CREATE FUNCTION brent_mdm.suppress_table(row_labels text[], column_labels text[], counts bigint[],
                                         threshold integer DEFAULT 10, base integer DEFAULT 5)
  RETURNS TABLE (row_label text, column_label text, kind text, count bigint,
                 published bigint, suppressed text)
  LANGUAGE c IMMUTABLE PARALLEL SAFE ROWS 200
  AS 'MODULE_PATHNAME', 'disclosure_suppress_table_2';
COMMENT ON FUNCTION brent_mdm.suppress_table(text[], text[], bigint[], integer, integer) IS
  'A two-way table of counts with its margins, with primary and secondary suppression so that no suppressed count can be worked out';

-- Published aggregates reveal nothing personal: any role may use them.
GRANT EXECUTE ON FUNCTION brent_mdm.suppress_small(bigint, integer),
                          brent_mdm.round_to_base(bigint, integer),
                          brent_mdm.disclosure_format(bigint, integer, integer),
                          brent_mdm.safe_count(),
                          brent_mdm.safe_count(integer, integer),
                          brent_mdm.safe_count_distinct(bigint),
                          brent_mdm.safe_count_distinct(bigint, integer, integer),
                          brent_mdm.suppress_table(text[], bigint[], integer, integer),
                          brent_mdm.suppress_table(text[], text[], bigint[], integer, integer)
  TO PUBLIC;

-- The aggregates' support functions are called by the aggregates (whose
-- owner's right to call them PostgreSQL checks), never by users.
REVOKE ALL ON FUNCTION brent_mdm.safe_count_transition(internal),
  brent_mdm.safe_count_transition(internal, integer, integer), brent_mdm.safe_count_combine(internal, internal),
  brent_mdm.safe_count_serialize(internal), brent_mdm.safe_count_deserialize(bytea, internal),
  brent_mdm.safe_count_final(internal), brent_mdm.safe_count_final_default(bigint),
  brent_mdm.safe_count_distinct_transition(internal, bigint),
  brent_mdm.safe_count_distinct_transition(internal, bigint, integer, integer),
  brent_mdm.safe_count_distinct_combine(internal, internal), brent_mdm.safe_count_distinct_serialize(internal),
  brent_mdm.safe_count_distinct_deserialize(bytea, internal), brent_mdm.safe_count_distinct_final(internal)
  FROM PUBLIC;
