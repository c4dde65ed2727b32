-- The family scorecard in plain SQL (CTEs and GROUP BY, as an analyst would
-- write it from the rule tables), for bench/scorecard.sh and
-- test/scorecard_plain.sql to check brent_mdm.family_profile against.
-- Inputs: tables sc_member (family_id, client_id, role 'child' or 'adult'),
-- sc_event (client_id, source, category, ef, et, missed, possible; et NULL
-- while open) and sc_att (family_id, attached, closed); psql variables d (the
-- date) and r (the rule set).  Output: temp table plain_scorecard
-- (family_id, problems text[] in problem order, eligible, progress).
-- Same rules as profile.c: windows (lo, hi] in months or complete school terms;
-- identification per member (any member meeting it); progress over the outcome
-- window, once ended, against the family's total (counts) or each member's
-- rate (rates).
DROP TABLE IF EXISTS plain_scorecard;
CREATE TEMP TABLE plain_scorecard AS
WITH RECURSIVE
crit AS (
  SELECT c.*, m.kind = 'rate' AS rate, p.ordinal, s.problems_required
    FROM brent_mdm.scorecard_criterion c
    JOIN brent_mdm.scorecard_measure m USING (source, measure)
    JOIN brent_mdm.scorecard_problem p USING (rule_set, problem)
    JOIN brent_mdm.scorecard_rule_set s USING (rule_set)
   WHERE c.rule_set = :'r'
),
-- a term is 3 * year + 0 (spring, January-March), 1 (summer, April-August), 2 (autumn)
asof AS (
  SELECT :'d'::date AS d,
         (extract(year FROM :'d'::date)::int * 3
          + CASE WHEN extract(month FROM :'d'::date) <= 3 THEN 0 WHEN extract(month FROM :'d'::date) <= 8 THEN 1 ELSE 2 END) AS t
),
-- the window of each identification criterion on the date
crit_id AS (
  SELECT c.*,
         CASE WHEN c.window_unit = 'month' THEN (a.d + make_interval(months => c.window_from))::date
              ELSE make_date((r.r + 1 + c.window_from) / 3, (ARRAY[1, 4, 9])[(r.r + 1 + c.window_from) % 3 + 1], 1) - 1 END AS lo,
         CASE WHEN c.window_unit = 'month' THEN (a.d + make_interval(months => c.window_to))::date
              ELSE make_date((r.r + c.window_to + 1) / 3, (ARRAY[1, 4, 9])[(r.r + c.window_to + 1) % 3 + 1], 1) - 1 END AS hi
    FROM crit c CROSS JOIN asof a
    CROSS JOIN LATERAL (SELECT a.t - CASE WHEN a.d = make_date((a.t + 1) / 3, (ARRAY[1, 4, 9])[(a.t + 1) % 3 + 1], 1) - 1
                                          THEN 0 ELSE 1 END AS r) r
   WHERE c.kind = 'identify'
),
ev AS (
  SELECT m.family_id, m.client_id, m.role, e.source, e.category, e.ef, coalesce(e.et, 'infinity') AS et,
         e.missed, e.possible
    FROM sc_member m JOIN sc_event e USING (client_id)
   WHERE e.ef <= :'d'::date
),
member_value AS (
  SELECT e.family_id, e.client_id, c.problem, c.criterion, c.ordinal, c.operator, c.threshold, c.rate,
         count(*) AS n, sum(e.missed) AS missed, sum(e.possible) AS possible
    FROM ev e JOIN crit_id c
      ON c.source = e.source
     AND (c.member = 'any' OR c.member = e.role)
     AND (c.categories IS NULL OR e.category = ANY (c.categories))
     AND (NOT c.rate OR e.possible > 0)
     AND CASE WHEN c.rate THEN e.ef > c.lo AND e.et <= c.hi ELSE e.ef <= c.hi AND e.et > c.lo END
   GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
),
met AS (
  SELECT DISTINCT v.family_id, v.problem, v.ordinal
    FROM member_value v
    CROSS JOIN LATERAL (SELECT CASE WHEN v.rate THEN v.missed::float8 / v.possible ELSE v.n END AS x) x
   WHERE CASE v.operator WHEN '>=' THEN x.x >= v.threshold WHEN '>' THEN x.x > v.threshold
                         WHEN '<=' THEN x.x <= v.threshold WHEN '<' THEN x.x < v.threshold ELSE x.x = v.threshold END
),
problems AS (
  SELECT m.family_id, array_agg(m.problem ORDER BY m.ordinal) AS problems, count(*) AS n
    FROM met m GROUP BY m.family_id
),
-- progress: the outcome window of each progress criterion of a problem met,
-- from the family's attachment or closure
crit_pr AS (
  SELECT m.family_id, c.problem, c.criterion, c.rate, c.operator, c.threshold,
         CASE WHEN c.window_unit = 'month' THEN (ref.d + make_interval(months => c.window_from))::date
              ELSE make_date((r.r + 1 + c.window_from) / 3, (ARRAY[1, 4, 9])[(r.r + 1 + c.window_from) % 3 + 1], 1) - 1 END AS lo,
         CASE WHEN c.window_unit = 'month' THEN (ref.d + make_interval(months => c.window_to))::date
              ELSE make_date((r.r + c.window_to + 1) / 3, (ARRAY[1, 4, 9])[(r.r + c.window_to + 1) % 3 + 1], 1) - 1 END AS hi
    FROM met m
    JOIN crit c ON c.problem = m.problem AND c.kind = 'progress'
    JOIN sc_att a ON a.family_id = m.family_id
    CROSS JOIN LATERAL (SELECT CASE c.reference WHEN 'attachment' THEN a.attached ELSE a.closed END AS d) ref
    CROSS JOIN LATERAL (SELECT extract(year FROM ref.d)::int * 3
                               + CASE WHEN extract(month FROM ref.d) <= 3 THEN 0 WHEN extract(month FROM ref.d) <= 8 THEN 1 ELSE 2 END AS t) t
    CROSS JOIN LATERAL (SELECT t.t - CASE WHEN ref.d = make_date((t.t + 1) / 3, (ARRAY[1, 4, 9])[(t.t + 1) % 3 + 1], 1) - 1
                                          THEN 0 ELSE 1 END AS r) r
),
pr_member AS (
  SELECT p.family_id, p.problem, p.criterion, e.client_id, count(e.client_id) AS n,
         sum(e.missed) AS missed, sum(e.possible) AS possible
    FROM crit_pr p
    JOIN crit c ON c.criterion = p.criterion AND c.problem = p.problem
    LEFT JOIN ev e ON e.family_id = p.family_id AND e.source = c.source
                  AND (c.member = 'any' OR c.member = e.role)
                  AND (c.categories IS NULL OR e.category = ANY (c.categories))
                  AND (NOT p.rate OR e.possible > 0)
                  AND CASE WHEN p.rate THEN e.ef > p.lo AND e.et <= p.hi ELSE e.ef <= p.hi AND e.et > p.lo END
   GROUP BY 1, 2, 3, 4
),
pr_status AS (
  -- 0 met, 1 not met, 2 pending (not ended, or no closure yet), 3 no data
  SELECT p.family_id, p.problem, p.criterion,
         CASE WHEN p.hi IS NULL OR p.hi > :'d'::date THEN 2
              WHEN NOT p.rate THEN
                CASE WHEN (SELECT CASE p.operator WHEN '>=' THEN sum(m.n) >= p.threshold WHEN '>' THEN sum(m.n) > p.threshold
                                                  WHEN '<=' THEN sum(m.n) <= p.threshold WHEN '<' THEN sum(m.n) < p.threshold
                                                  ELSE sum(m.n) = p.threshold END
                             FROM pr_member m WHERE (m.family_id, m.problem, m.criterion) = (p.family_id, p.problem, p.criterion))
                     THEN 0 ELSE 1 END
              WHEN NOT EXISTS (SELECT FROM pr_member m WHERE (m.family_id, m.problem, m.criterion) = (p.family_id, p.problem, p.criterion)
                                 AND m.possible > 0) THEN 3
              WHEN EXISTS (SELECT FROM pr_member m WHERE (m.family_id, m.problem, m.criterion) = (p.family_id, p.problem, p.criterion)
                             AND m.possible > 0
                             AND NOT CASE p.operator WHEN '>=' THEN m.missed::float8 / m.possible >= p.threshold
                                                     WHEN '>' THEN m.missed::float8 / m.possible > p.threshold
                                                     WHEN '<=' THEN m.missed::float8 / m.possible <= p.threshold
                                                     WHEN '<' THEN m.missed::float8 / m.possible < p.threshold
                                                     ELSE m.missed::float8 / m.possible = p.threshold END) THEN 1
              ELSE 0 END AS status
    FROM crit_pr p
),
pr_problem AS (
  SELECT s.family_id, s.problem, min(s.status) AS best FROM pr_status s GROUP BY 1, 2
),
pr_family AS (
  SELECT b.family_id, count(*) AS measured, count(*) FILTER (WHERE b.best = 1) AS failed,
         count(*) FILTER (WHERE b.best = 2) AS pending, count(*) FILTER (WHERE b.best = 3) AS nodata
    FROM pr_problem b GROUP BY 1
),
families AS (SELECT DISTINCT family_id FROM sc_member)
SELECT f.family_id, coalesce(p.problems, '{}') AS problems,
       coalesce(p.n, 0) >= (SELECT s.problems_required FROM brent_mdm.scorecard_rule_set s WHERE s.rule_set = :'r') AS eligible,
       CASE WHEN a.attached IS NULL THEN 'not attached'
            WHEN coalesce(p.n, 0) < (SELECT s.problems_required FROM brent_mdm.scorecard_rule_set s WHERE s.rule_set = :'r')
              THEN 'not eligible'
            WHEN coalesce(g.measured, 0) = 0 THEN 'no progress measure'
            WHEN g.failed > 0 THEN 'not achieved'
            WHEN g.pending > 0 THEN 'pending'
            WHEN g.nodata > 0 THEN 'no data'
            ELSE 'achieved' END AS progress
  FROM families f
  LEFT JOIN problems p USING (family_id)
  LEFT JOIN sc_att a USING (family_id)
  LEFT JOIN pr_family g USING (family_id);
