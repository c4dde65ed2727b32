-- pgTAP: statistical disclosure control.  Markings and privileges; the
-- aggregates against plain SQL on random groups; and the properties of
-- secondary suppression over many random one- and two-way tables: no
-- suppressed cell can be worked out from what is published.
\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only true
\pset pager off
SET client_min_messages = warning;
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS brent_mdm CASCADE;
SET LOCAL search_path = brent_mdm, public;
SELECT plan(31);

-- ---- markings and privileges
SELECT is_empty($$
  SELECT p.oid::regprocedure FROM pg_proc p
   WHERE p.pronamespace = 'brent_mdm'::regnamespace
     AND p.proname IN ('suppress_small', 'round_to_base', 'disclosure_format', 'safe_count',
                       'safe_count_distinct', 'suppress_table')
     AND (p.provolatile <> 'i' OR p.proparallel <> 's' OR p.proleakproof)$$,
  'the disclosure functions are IMMUTABLE, PARALLEL SAFE and (as they check their arguments) not LEAKPROOF');
SELECT is_empty($$
  SELECT p.oid::regprocedure FROM pg_proc p
   WHERE p.pronamespace = 'brent_mdm'::regnamespace
     AND p.proname IN ('suppress_small', 'round_to_base', 'disclosure_format') AND NOT p.proisstrict$$,
  'the scalar functions are STRICT');
SELECT is((SELECT count(*)::int FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
            WHERE p.pronamespace = 'brent_mdm'::regnamespace
              AND p.proname IN ('safe_count', 'safe_count_distinct')
              AND a.aggcombinefn <> 0
              AND (a.aggtranstype <> 'internal'::regtype OR (a.aggserialfn <> 0 AND a.aggdeserialfn <> 0))), 4,
          'the four aggregates can be split by parallel query (combine functions; serial and deserial where the state is internal)');
SELECT ok(bool_and(has_function_privilege('public', f, 'EXECUTE')),
          'PUBLIC may execute every disclosure function')
  FROM unnest(ARRAY['brent_mdm.suppress_small(bigint, integer)', 'brent_mdm.round_to_base(bigint, integer)',
                    'brent_mdm.disclosure_format(bigint, integer, integer)', 'brent_mdm.safe_count()',
                    'brent_mdm.safe_count(integer, integer)', 'brent_mdm.safe_count_distinct(bigint)',
                    'brent_mdm.safe_count_distinct(bigint, integer, integer)',
                    'brent_mdm.suppress_table(text[], bigint[], integer, integer)',
                    'brent_mdm.suppress_table(text[], text[], bigint[], integer, integer)']) f;
CREATE ROLE disclosure_analyst;
SET LOCAL ROLE disclosure_analyst;
SELECT is((SELECT brent_mdm.safe_count(*) FROM generate_series(1, 23)), 25::bigint,
          'a role granted nothing may use safe_count');
SELECT is((SELECT count(*)::int FROM brent_mdm.suppress_table(ARRAY['a', 'b'], ARRAY[3, 30]::bigint[])), 3,
          'a role granted nothing may use suppress_table');
RESET ROLE;

-- ---- the scalar rules against their definition, over many values
SELECT is_empty($$
  SELECT v, t FROM generate_series(0, 300) v, generate_series(1, 25) t
   WHERE suppress_small(v, t) IS DISTINCT FROM (CASE WHEN v > 0 AND v < t THEN NULL ELSE v END)$$,
  'suppress_small is NULL exactly for 0 < count < threshold');
SELECT is_empty($$
  SELECT v, b FROM generate_series(-300, 300) v, generate_series(1, 25) b
   WHERE round_to_base(v, b) <> (round(v::numeric / b) * b)::bigint$$,
  'round_to_base agrees with numeric round(value / base) * base (halves away from zero)');
SELECT is_empty($$
  SELECT v, t, b FROM generate_series(0, 120) v, generate_series(1, 12) t, generate_series(1, 12) b
   WHERE disclosure_format(v, t, b) <> CASE WHEN v > 0 AND v < t THEN '*'
                                            WHEN v > 0 AND round_to_base(v, b) = 0 THEN '~'
                                            ELSE round_to_base(v, b)::text END$$,
  'disclosure_format is *, ~ or the rounded count');
SELECT throws_ok('SELECT brent_mdm.suppress_small(1, 0)', '22023', NULL, 'threshold 0 is 22023');
SELECT throws_ok('SELECT brent_mdm.round_to_base(1, 0)', '22023', NULL, 'base 0 is 22023');
SELECT throws_ok('SELECT brent_mdm.safe_count(g::int, 5) FROM generate_series(1, 2) g', '22023', NULL,
                 'a threshold that changes within a group is 22023');

-- ---- the aggregates against plain SQL, random groups and rules
SELECT setseed(0.31);
CREATE TEMP TABLE rows_ AS
SELECT g AS id, floor(random() * random() * 400)::int AS grp, floor(random() * 3000)::bigint AS person
  FROM generate_series(1, 60000) g;
INSERT INTO rows_ SELECT 0, 1000, NULL FROM generate_series(1, 12);
SELECT is_empty($$
  SELECT grp FROM rows_ GROUP BY grp
  HAVING safe_count(*) IS DISTINCT FROM (CASE WHEN count(*) < 10 THEN NULL ELSE round(count(*) / 5.0) * 5 END)::bigint
      OR safe_count_distinct(person) IS DISTINCT FROM
         (CASE WHEN count(DISTINCT person) BETWEEN 1 AND 9 THEN NULL ELSE round(count(DISTINCT person) / 5.0) * 5 END)::bigint$$,
  'safe_count and safe_count_distinct agree with plain SQL on 401 random groups');
SELECT is_empty($$
  SELECT grp, t, b FROM rows_, generate_series(1, 40, 13) t, generate_series(1, 10, 3) b GROUP BY grp, t, b
  HAVING safe_count(t, b) IS DISTINCT FROM round_to_base(suppress_small(count(*), t), b)
      OR safe_count_distinct(person, t, b) IS DISTINCT FROM round_to_base(suppress_small(count(DISTINCT person), t), b)$$,
  'with a threshold and a base, they agree with suppress_small and round_to_base');
CREATE TABLE public.disclosure_rows AS TABLE rows_;
ANALYZE public.disclosure_rows;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
CREATE FUNCTION pg_temp.plan_of(query text) RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY EXECUTE 'EXPLAIN (COSTS OFF) ' || query;
END $$;
SELECT ok(bool_or(line ~ 'Gather') AND bool_or(line ~ 'Partial'), 'parallel query splits the aggregates')
  FROM pg_temp.plan_of('SELECT grp, brent_mdm.safe_count(*), brent_mdm.safe_count_distinct(person)
                          FROM public.disclosure_rows GROUP BY grp') line;
SELECT results_eq(
  $$SELECT grp, safe_count(*), safe_count_distinct(person), safe_count_distinct(person, 25, 10)
      FROM public.disclosure_rows GROUP BY grp ORDER BY grp$$,
  $$SELECT grp, (CASE WHEN count(*) < 10 THEN NULL ELSE round(count(*) / 5.0) * 5 END)::bigint,
           (CASE WHEN count(DISTINCT person) BETWEEN 1 AND 9 THEN NULL ELSE round(count(DISTINCT person) / 5.0) * 5 END)::bigint,
           (CASE WHEN count(DISTINCT person) BETWEEN 1 AND 24 THEN NULL ELSE round(count(DISTINCT person) / 10.0) * 10 END)::bigint
      FROM public.disclosure_rows GROUP BY grp ORDER BY grp$$,
  'in a parallel plan, the aggregates give what plain SQL gives');
RESET max_parallel_workers_per_gather;

-- ---- one-way tables: 400 random tables of 1 to 12 cells
SELECT setseed(0.57);
CREATE TEMP TABLE t1 AS
SELECT t AS table_id, i, (CASE WHEN random() < 0.15 THEN 0 WHEN random() < 0.4 THEN 1 + floor(random() * random() * 9)
                               ELSE 10 + floor(random() * 50) END)::bigint AS n
  FROM generate_series(1, 400) t, LATERAL generate_series(1, 1 + (t * 7919) % 12) i;
CREATE TEMP TABLE s1 AS
SELECT a.table_id, s.*
  FROM (SELECT table_id, array_agg(i::text ORDER BY i) AS labels, array_agg(n ORDER BY i) AS counts
          FROM t1 GROUP BY table_id) a,
       suppress_table(a.labels, a.counts, 10, 1) s;
SELECT is((SELECT count(*)::int FROM s1 WHERE suppressed = 'primary'),
          (SELECT count(*)::int FROM t1 WHERE n BETWEEN 1 AND 9) +
          (SELECT count(*)::int FROM (SELECT table_id FROM t1 GROUP BY 1 HAVING sum(n) BETWEEN 1 AND 9) x),
          'one-way: every count from 1 to 9, cell or total, is suppressed as primary');
SELECT is_empty($$SELECT * FROM s1 WHERE (suppressed IS NULL) <> (published IS NOT NULL)
                   OR published <> count OR (count = 0 AND suppressed IS NOT NULL)
                   OR (suppressed = 'secondary' AND count < 10 AND kind = 'cell')$$,
          'one-way: the rest is published as it is (base 1); zeros are never suppressed');
SELECT is_empty($$
  SELECT table_id FROM s1 GROUP BY table_id
  HAVING count(suppressed) = 1
      OR (count(suppressed) > 0 AND bool_and(suppressed IS NULL) FILTER (WHERE kind = 'total')
          AND max(count) FILTER (WHERE suppressed IS NOT NULL) < 2)$$,
  'one-way: never exactly one suppressed value, and with the total published, one suppressed cell is 2 or more');
SELECT is_empty($$
  SELECT table_id FROM s1 GROUP BY table_id
  HAVING count(*) FILTER (WHERE suppressed IS NOT NULL AND kind = 'cell') = 1
     AND bool_and(suppressed IS NULL) FILTER (WHERE kind = 'total')$$,
  'one-way: total minus the published cells never gives a suppressed cell');
SELECT cmp_ok((SELECT count(DISTINCT table_id)::int FROM s1 WHERE suppressed = 'secondary'), '>', 50,
              'one-way: the random tables needed secondary suppression often');

-- ---- two-way tables: 300 random tables of 2 to 7 rows by 2 to 6 columns
-- (some zero cells left out: they are 0)
SELECT setseed(0.73);
CREATE TEMP TABLE t2 AS
SELECT t AS table_id, r, c, n FROM (
  SELECT t, r, c, (CASE WHEN random() < 0.15 THEN 0 WHEN random() < 0.35 THEN 1 + floor(random() * random() * 9)
                        ELSE 10 + floor(random() * 60) END)::bigint AS n
    FROM generate_series(1, 300) t, LATERAL generate_series(1, 2 + (t * 31) % 6) r,
         LATERAL generate_series(1, 2 + (t * 17) % 5) c) x
 WHERE n > 0 OR (t + r + c) % 2 = 0;
CREATE TEMP TABLE s2 AS
SELECT a.table_id, s.*,
       coalesce(s.row_label, 'T') AS r, coalesce(s.column_label, 'T') AS c,
       (CASE WHEN s.row_label IS NULL THEN -1 ELSE 1 END) * (CASE WHEN s.column_label IS NULL THEN -1 ELSE 1 END) AS sign
  FROM (SELECT table_id, array_agg(r::text ORDER BY r, c) AS rl, array_agg(c::text ORDER BY r, c) AS cl,
               array_agg(n ORDER BY r, c) AS nl FROM t2 GROUP BY table_id) a,
       suppress_table(a.rl, a.cl, a.nl, 10, 1) s;
SELECT is_empty($$
  SELECT table_id, r FROM s2 WHERE row_label IS NOT NULL AND column_label IS NOT NULL
  EXCEPT SELECT table_id, r::text FROM t2$$, 'two-way: every row given is in the result');
SELECT is_empty($$
  SELECT table_id, r FROM s2 GROUP BY table_id, r HAVING sum(sign * count) <> 0
  UNION ALL SELECT table_id, c FROM s2 GROUP BY table_id, c HAVING sum(sign * count) <> 0$$,
  'two-way: the margins are the sums of the cells');
SELECT is_empty($$SELECT * FROM s2 WHERE (count BETWEEN 1 AND 9) <> (suppressed IS NOT DISTINCT FROM 'primary')
                   OR (suppressed IS NULL) <> (published IS NOT NULL) OR published <> count
                   OR (count = 0 AND suppressed IS NOT NULL)$$,
  'two-way: primary exactly for 1 to 9 (cells and margins); the rest as it is; zeros never suppressed');
SELECT is_empty($$
  SELECT table_id, r FROM s2 GROUP BY table_id, r HAVING count(suppressed) = 1
  UNION ALL SELECT table_id, c FROM s2 GROUP BY table_id, c HAVING count(suppressed) = 1$$,
  'two-way: every row and column (margins included) has 0 or at least 2 suppressed values');

-- No bridge: in the graph whose nodes are rows and columns (margins
-- included) and whose edges are the suppressed cells, every edge is on a
-- cycle.  A cell on no cycle is the only value that a sum of row equations
-- minus column equations leaves, so it could be worked out; a cell on a
-- cycle can take other values with every equation still true.
SELECT is_empty($$
  WITH RECURSIVE e AS (
    SELECT table_id, 'r' || r AS a, 'c' || c AS b FROM s2 WHERE suppressed IS NOT NULL),
  u AS (SELECT table_id, a AS x, b AS y FROM e UNION ALL SELECT table_id, b, a FROM e),
  reach (table_id, ea, eb, node) AS (
    SELECT table_id, a, b, a FROM e
    UNION
    SELECT w.table_id, w.ea, w.eb, u.y FROM reach w JOIN u ON u.table_id = w.table_id AND u.x = w.node
     WHERE NOT (u.x = w.ea AND u.y = w.eb) AND NOT (u.x = w.eb AND u.y = w.ea))
  SELECT e.* FROM e
   WHERE NOT EXISTS (SELECT 1 FROM reach w
                      WHERE w.table_id = e.table_id AND w.ea = e.a AND w.eb = e.b AND w.node = e.b)$$,
  'two-way: no suppressed cell can be worked out by adding and subtracting rows and columns (no bridge)');
-- and with what an attacker knows besides (whole numbers, suppressed cells are
-- 1 or more since zeros are published): every suppressed cell is on a
-- rectangle of suppressed cells around which 1 can move one way or the other
SELECT is_empty($$
  WITH s AS (SELECT * FROM s2 WHERE suppressed IS NOT NULL)
  SELECT p.table_id, p.r, p.c FROM s p
   WHERE NOT EXISTS (
     SELECT 1 FROM s a JOIN s b ON b.table_id = a.table_id AND b.c = p.c AND b.r <> p.r
                       JOIN s d ON d.table_id = a.table_id AND d.r = b.r AND d.c = a.c
      WHERE a.table_id = p.table_id AND a.r = p.r AND a.c <> p.c
        AND (((p.sign > 0 OR p.count >= 2) AND (a.sign < 0 OR a.count >= 2) AND
              (b.sign < 0 OR b.count >= 2) AND (d.sign > 0 OR d.count >= 2))
          OR ((p.sign < 0 OR p.count >= 2) AND (a.sign > 0 OR a.count >= 2) AND
              (b.sign > 0 OR b.count >= 2) AND (d.sign < 0 OR d.count >= 2))))$$,
  'two-way: every suppressed cell has another value consistent with all that is published');

-- The attack itself: solve every row or column with one unknown value,
-- again and again; it recovers small cells when only they are suppressed,
-- and nothing once suppress_table has run.
CREATE FUNCTION pg_temp.differencing_attack(published_only boolean) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  solved bigint;
BEGIN
  CREATE TEMP TABLE known AS
  SELECT table_id, r, c, sign, count,
         CASE WHEN published_only THEN published
              ELSE brent_mdm.suppress_small(count) END AS v,
         CASE WHEN published_only THEN published IS NULL
              ELSE brent_mdm.suppress_small(count) IS NULL END AS hidden
    FROM s2;
  LOOP
    WITH lines AS (
      SELECT table_id, r AS line, true AS is_row, -sum(sign * v) AS rest FROM known GROUP BY 1, 2
      HAVING count(*) - count(v) = 1
      UNION ALL
      SELECT table_id, c, false, -sum(sign * v) FROM known GROUP BY 1, 2 HAVING count(*) - count(v) = 1)
    UPDATE known k SET v = k.sign * l.rest
      FROM lines l
     WHERE k.v IS NULL AND k.table_id = l.table_id
       AND ((l.is_row AND k.r = l.line) OR (NOT l.is_row AND k.c = l.line));
    GET DIAGNOSTICS solved = ROW_COUNT;
    EXIT WHEN solved = 0;
  END LOOP;
  SELECT count(*) INTO solved FROM known WHERE hidden AND v IS NOT NULL;
  IF EXISTS (SELECT 1 FROM known WHERE hidden AND v IS NOT NULL AND v <> count) THEN
    RAISE EXCEPTION 'the attack recovered a wrong value';
  END IF;
  DROP TABLE known;
  RETURN solved;
END $$;
SELECT cmp_ok(pg_temp.differencing_attack(false)::int, '>', 100,
              'two-way: with primary suppression only, differencing recovers many small cells');
SELECT is(pg_temp.differencing_attack(true), 0::bigint,
          'two-way: after secondary suppression, differencing recovers nothing');
SELECT cmp_ok((SELECT count(*)::int FROM s2 WHERE suppressed = 'secondary' AND kind = 'cell'), '>',
              (SELECT count(*)::int FROM s2 WHERE suppressed = 'secondary' AND kind <> 'cell'),
              'two-way: secondary suppression prefers cells to margins');
SELECT ok((SELECT count(*) FILTER (WHERE suppressed = 'secondary')::float8 / count(*) FROM s2) < 0.25,
          'two-way: secondary suppression hides less than a quarter of all values');

SELECT * FROM finish();
ROLLBACK;
