-- ---- scorecard: troubled-families rule sets (data, not code) ----
--
-- A rule set is rows: its headline problems, and for each problem the criteria
-- that evidence it (any one is enough).  A criterion names a source (a dataset
-- the scorecard knows how to read through the Client Index), a measure of that
-- source (a count or a rate the scorecard computes), optionally the categories
-- of the source's records it counts, an operator and a threshold, and a time
-- window in months or school terms relative to a reference date.  Nothing in
-- these tables is SQL: no text of theirs is ever executed.
--
-- The two shipped sets (Troubled Families 2015-2020, Supporting Families
-- 2022-2025) are read-only; a council copies one (copy_rule_set) and edits the
-- copy.  pg_dump keeps the council's sets (the shipped ones are written again
-- by CREATE EXTENSION).

-- The sources a criterion may name, and what the scorecard measures of each.
-- Shipped with the code that reads them (not configuration: the council cannot
-- add a reader), so not dumped.
CREATE TABLE brent_mdm.scorecard_source (
  source      text PRIMARY KEY,
  member      text NOT NULL CHECK (member IN ('child', 'adult', 'any')),
  categories  text[],
  linked_by   text NOT NULL,
  description text NOT NULL
);
COMMENT ON TABLE brent_mdm.scorecard_source IS
  'Datasets a scorecard criterion may name: whose records they are (child, adult, any member), their categories, how a record reaches a client of the Client Index';

CREATE TABLE brent_mdm.scorecard_measure (
  source      text NOT NULL REFERENCES brent_mdm.scorecard_source,
  measure     text NOT NULL,
  kind        text NOT NULL CHECK (kind IN ('count', 'rate')),
  description text NOT NULL,
  PRIMARY KEY (source, measure)
);
COMMENT ON TABLE brent_mdm.scorecard_measure IS
  'What the scorecard measures of each source over a criterion''s window: a count of records, or a rate (0 to 1)';

INSERT INTO brent_mdm.scorecard_source VALUES
  ('school_attendance', 'child', NULL, 'UPN',
   'Sessions possible and missed by pupil and term (autumn, spring, summer)'),
  ('school_exclusion', 'child', '{suspension,permanent}', 'UPN',
   'Suspensions (fixed-term exclusions) and permanent exclusions'),
  ('cme_referral', 'child', NULL, 'UPN, else name, date of birth and postcode',
   'Referrals of children missing education'),
  ('childrens_social_care', 'child', '{CIN,CP,LAC}', 'the social care record (lcs_person_id)',
   'Episodes of children''s social care: child in need, child protection, looked after'),
  ('missing_episode', 'child', NULL, 'the social care record (lcs_person_id)',
   'Missing-from-home or care episodes'),
  ('cse_concern', 'child', '{low,medium,high}', 'the social care record (lcs_person_id, case and spaces ignored)',
   'Child sexual exploitation risk assessments, by risk level'),
  ('ehcp', 'child', '{ASD,SLCN,SEMH,MLD,SLD,PMLD,SpLD,PD,HI,VI,MSI,OTH}', 'UPN, else NHS number',
   'Education, health and care plans in force, by primary need (SEN2)'),
  ('offence', 'any', NULL, 'the youth offending case (yot_case_id)',
   'Proven offences'),
  ('asb_case', 'any', '{perpetrator,victim,witness}', 'the ASB case record (asb_case_ref)',
   'Anti-social behaviour cases, by the party''s role'),
  ('out_of_work_benefit', 'adult', NULL, 'the benefit claim record (claim_ref)',
   'Out-of-work benefit claims open in the window'),
  ('domestic_abuse', 'any', NULL, 'the family''s address (UPRN) on the date',
   'Police notifications of domestic abuse at the family''s address'),
  ('health_flag', 'any', '{mental_health,substance_misuse,new_mother}', 'NHS number, else name, date of birth and postcode',
   'Health flags shared under agreement'),
  ('early_help', 'adult', '{parenting support,school attendance,domestic abuse,financial hardship,mental health,housing,child behaviour}',
   'the lead adult''s name, date of birth and postcode',
   'Early help (family support) episodes open in the window, by primary need');

INSERT INTO brent_mdm.scorecard_measure VALUES
  ('school_attendance', 'absence_rate', 'rate', 'sessions missed / sessions possible over the window''s terms (a child with no sessions recorded has no rate)'),
  ('school_attendance', 'sessions_missed', 'count', 'sessions missed over the window''s terms'),
  ('school_exclusion', 'exclusions', 'count', 'exclusions dated in the window'),
  ('cme_referral', 'referrals', 'count', 'referrals dated in the window'),
  ('childrens_social_care', 'episodes', 'count', 'episodes open at any time in the window'),
  ('missing_episode', 'episodes', 'count', 'episodes that began in the window'),
  ('cse_concern', 'assessments', 'count', 'assessments dated in the window'),
  ('ehcp', 'plans', 'count', 'plans in force at any time in the window'),
  ('offence', 'offences', 'count', 'offences dated in the window'),
  ('asb_case', 'cases', 'count', 'cases opened in the window'),
  ('out_of_work_benefit', 'claims', 'count', 'out-of-work claims open at any time in the window'),
  ('domestic_abuse', 'notifications', 'count', 'notifications dated in the window'),
  ('health_flag', 'flags', 'count', 'flags recorded in the window'),
  ('early_help', 'episodes', 'count', 'episodes open at any time in the window');

CREATE TABLE brent_mdm.scorecard_rule_set (
  rule_set          text PRIMARY KEY CHECK (rule_set ~ '^[a-z][a-z0-9_]{0,47}$'),
  title             text NOT NULL,
  programme_from    date,
  programme_to      date,
  problems_required integer NOT NULL CHECK (problems_required >= 1),
  sustained_months  integer NOT NULL DEFAULT 0 CHECK (sustained_months >= 0),
  description       text,
  shipped           boolean NOT NULL DEFAULT false,
  CHECK (programme_to >= programme_from)
);
COMMENT ON TABLE brent_mdm.scorecard_rule_set IS
  'Troubled-families rule sets: a family is eligible (a claim may be made) with problems_required headline problems or more; outcomes must hold sustained_months after closure. Shipped sets are read-only: copy_rule_set makes an editable copy';

CREATE TABLE brent_mdm.scorecard_problem (
  rule_set    text NOT NULL REFERENCES brent_mdm.scorecard_rule_set ON UPDATE CASCADE ON DELETE CASCADE,
  problem     text NOT NULL CHECK (problem ~ '^[a-z][a-z0-9_]{0,47}$'),
  ordinal     integer NOT NULL,
  title       text NOT NULL,
  shipped     boolean NOT NULL DEFAULT false,
  PRIMARY KEY (rule_set, problem)
);
COMMENT ON TABLE brent_mdm.scorecard_problem IS
  'Headline problems of a rule set; a family has a problem when any one of its identification criteria holds';

CREATE TABLE brent_mdm.scorecard_criterion (
  rule_set       text NOT NULL,
  problem        text NOT NULL,
  criterion      text NOT NULL CHECK (criterion ~ '^[a-z][a-z0-9_]{0,47}$'),
  kind           text NOT NULL DEFAULT 'identify' CHECK (kind IN ('identify', 'progress')),
  source         text NOT NULL,
  measure        text NOT NULL,
  categories     text[],
  member         text NOT NULL DEFAULT 'any' CHECK (member IN ('child', 'adult', 'any')),
  operator       text NOT NULL CHECK (operator IN ('>=', '>', '<=', '<', '=')),
  threshold      numeric NOT NULL,
  window_unit    text NOT NULL CHECK (window_unit IN ('month', 'term')),
  reference      text NOT NULL DEFAULT 'as_of' CHECK (reference IN ('as_of', 'attachment', 'closure')),
  window_from    integer NOT NULL,
  window_to      integer NOT NULL,
  baseline_from  integer,
  baseline_to    integer,
  description    text,
  shipped        boolean NOT NULL DEFAULT false,
  PRIMARY KEY (rule_set, problem, criterion),
  FOREIGN KEY (rule_set, problem) REFERENCES brent_mdm.scorecard_problem
    ON UPDATE CASCADE ON DELETE CASCADE,
  FOREIGN KEY (source, measure) REFERENCES brent_mdm.scorecard_measure
);
COMMENT ON TABLE brent_mdm.scorecard_criterion IS
  'Criteria of a rule set: identify (the problem is evidenced when measure operator threshold holds over the window) or progress (the outcome over the window, after the baseline window); windows are [window_from, window_to) months or school terms from the reference date (as_of; the family''s attachment or closure for progress)';
CREATE INDEX scorecard_criterion_source ON brent_mdm.scorecard_criterion (source, measure);

-- Checks a criterion before it is written: its source and measure exist, its
-- categories are the source's, it is for members the source holds, and its
-- windows are well formed and (progress) the baseline and outcome windows do
-- not overlap.  Shipped sets are read-only.
CREATE FUNCTION brent_mdm.scorecard_criterion_check() RETURNS trigger
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  src brent_mdm.scorecard_source;
  known text;
  bad text[];
BEGIN
  IF (SELECT s.shipped FROM brent_mdm.scorecard_rule_set s WHERE s.rule_set = NEW.rule_set) THEN
    RAISE EXCEPTION 'rule set "%" is shipped with brent_mdm and cannot be changed', NEW.rule_set
      USING ERRCODE = '42501',
            HINT = format('Copy it and edit the copy: SELECT brent_mdm.copy_rule_set(%L, ''my_rules'');', NEW.rule_set);
  END IF;
  NEW.shipped := false;
  SELECT * INTO src FROM brent_mdm.scorecard_source s WHERE s.source = NEW.source;
  IF NOT FOUND THEN
    SELECT string_agg(s.source, ', ' ORDER BY s.source) INTO known FROM brent_mdm.scorecard_source s;
    RAISE EXCEPTION 'criterion "%" of rule set "%" refers to source "%", which does not exist',
                    NEW.criterion, NEW.rule_set, NEW.source
      USING ERRCODE = '23503',
            DETAIL = 'A criterion reads one of the sources the scorecard knows how to reach through the Client Index.',
            HINT = coalesce('Sources: ' || known || ' (brent_mdm.scorecard_source).', 'There is no source.');
  END IF;
  IF NOT EXISTS (SELECT FROM brent_mdm.scorecard_measure m
                  WHERE m.source = NEW.source AND m.measure = NEW.measure) THEN
    SELECT string_agg(m.measure, ', ' ORDER BY m.measure) INTO known
      FROM brent_mdm.scorecard_measure m WHERE m.source = NEW.source;
    RAISE EXCEPTION 'criterion "%" of rule set "%" measures "%", which source "%" does not have',
                    NEW.criterion, NEW.rule_set, NEW.measure, NEW.source
      USING ERRCODE = '23503',
            HINT = format('Measures of %s: %s (brent_mdm.scorecard_measure).', NEW.source, known);
  END IF;
  IF NEW.categories IS NOT NULL THEN
    bad := ARRAY(SELECT c FROM unnest(NEW.categories) c
                  WHERE c IS NULL OR src.categories IS NULL OR c <> ALL (src.categories));
    IF cardinality(bad) > 0 OR cardinality(NEW.categories) = 0 THEN
      RAISE EXCEPTION 'criterion "%" of rule set "%" counts categories % that source "%" does not have',
                      NEW.criterion, NEW.rule_set, coalesce(array_to_string(bad, ', ', 'NULL'), '(none)'), NEW.source
        USING ERRCODE = '22023',
              HINT = CASE WHEN src.categories IS NULL THEN format('Source %s has no categories: leave categories NULL.', NEW.source)
                          ELSE format('Categories of %s: %s.', NEW.source, array_to_string(src.categories, ', ')) END;
    END IF;
  END IF;
  IF src.member <> 'any' AND NEW.member <> src.member THEN
    RAISE EXCEPTION 'criterion "%" of rule set "%" is for % members, but source "%" holds records of % members only',
                    NEW.criterion, NEW.rule_set, NEW.member, NEW.source, src.member
      USING ERRCODE = '22023', HINT = format('Set member to %L.', src.member);
  END IF;
  IF (SELECT m.kind FROM brent_mdm.scorecard_measure m
       WHERE m.source = NEW.source AND m.measure = NEW.measure) = 'rate'
     AND NEW.threshold NOT BETWEEN 0 AND 1 THEN
    RAISE EXCEPTION 'criterion "%" of rule set "%": rate threshold % is not between 0 and 1',
                    NEW.criterion, NEW.rule_set, NEW.threshold
      USING ERRCODE = '22023', HINT = 'A rate is a share: 10 % is 0.10.';
  END IF;
  IF greatest(abs(NEW.window_from), abs(NEW.window_to), abs(coalesce(NEW.baseline_from, 0)), abs(coalesce(NEW.baseline_to, 0))) > 1200 THEN
    RAISE EXCEPTION 'criterion "%" of rule set "%" has a window beyond 1200 months or terms', NEW.criterion, NEW.rule_set
      USING ERRCODE = '22023', HINT = 'Windows are counted from the reference date; 100 years is the most.';
  END IF;
  IF NEW.window_from >= NEW.window_to THEN
    RAISE EXCEPTION 'criterion "%" of rule set "%": window [%, %) is empty', NEW.criterion, NEW.rule_set,
                    NEW.window_from, NEW.window_to
      USING ERRCODE = '22023',
            HINT = 'A window is [window_from, window_to) in months or terms from the reference date: e.g. -3 and 0 for the last three terms.';
  END IF;
  IF NEW.kind = 'identify' THEN
    IF NEW.reference <> 'as_of' OR NEW.baseline_from IS NOT NULL OR NEW.baseline_to IS NOT NULL THEN
      RAISE EXCEPTION 'identification criterion "%" of rule set "%" has a baseline or a reference other than as_of',
                      NEW.criterion, NEW.rule_set
        USING ERRCODE = '22023', HINT = 'Only progress criteria compare an outcome window with a baseline.';
    END IF;
    IF NEW.window_to > 0 THEN
      RAISE EXCEPTION 'identification criterion "%" of rule set "%" looks past the date it is evaluated on (window_to %)',
                      NEW.criterion, NEW.rule_set, NEW.window_to
        USING ERRCODE = '22023', HINT = 'A problem is evidenced by what has happened: window_to <= 0.';
    END IF;
  ELSE
    IF NEW.reference = 'as_of' OR NEW.baseline_from IS NULL OR NEW.baseline_to IS NULL THEN
      RAISE EXCEPTION 'progress criterion "%" of rule set "%" needs a baseline window and the family''s attachment or closure as reference',
                      NEW.criterion, NEW.rule_set
        USING ERRCODE = '22023', HINT = 'Set reference (attachment or closure), baseline_from and baseline_to.';
    END IF;
    IF NEW.baseline_from >= NEW.baseline_to THEN
      RAISE EXCEPTION 'progress criterion "%" of rule set "%": baseline window [%, %) is empty',
                      NEW.criterion, NEW.rule_set, NEW.baseline_from, NEW.baseline_to
        USING ERRCODE = '22023';
    END IF;
    IF NEW.baseline_from < NEW.window_to AND NEW.window_from < NEW.baseline_to THEN
      RAISE EXCEPTION 'progress criterion "%" of rule set "%": baseline window [%, %) and outcome window [%, %) overlap',
                      NEW.criterion, NEW.rule_set, NEW.baseline_from, NEW.baseline_to, NEW.window_from, NEW.window_to
        USING ERRCODE = '23514',
              DETAIL = 'Progress compares the outcome window with the baseline before it; a period counted in both would be compared with itself.',
              HINT = 'Make baseline_to <= window_from (the outcome after the baseline).';
    END IF;
  END IF;
  RETURN NEW;
END $$;
COMMENT ON FUNCTION brent_mdm.scorecard_criterion_check() IS
  'Internal: validates a scorecard criterion (source, measure, categories, member, windows) before it is written';
REVOKE ALL ON FUNCTION brent_mdm.scorecard_criterion_check() FROM PUBLIC;

-- Shipped sets and their problems are read-only; rows the council writes are
-- never marked shipped (they would not be dumped).
CREATE FUNCTION brent_mdm.scorecard_shipped_guard() RETURNS trigger
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  r record;
BEGIN
  r := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
  IF (TG_OP <> 'INSERT' AND OLD.shipped)
     OR (TG_TABLE_NAME <> 'scorecard_rule_set'
         AND (SELECT s.shipped FROM brent_mdm.scorecard_rule_set s WHERE s.rule_set = r.rule_set)) THEN
    RAISE EXCEPTION 'rule set "%" is shipped with brent_mdm and cannot be changed', r.rule_set
      USING ERRCODE = '42501',
            HINT = format('Copy it and edit the copy: SELECT brent_mdm.copy_rule_set(%L, ''my_rules'');', r.rule_set);
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  NEW.shipped := false;
  RETURN NEW;
END $$;
COMMENT ON FUNCTION brent_mdm.scorecard_shipped_guard() IS
  'Internal: keeps the shipped rule sets read-only and the council''s rows unmarked';
REVOKE ALL ON FUNCTION brent_mdm.scorecard_shipped_guard() FROM PUBLIC;

-- ---- the two shipped rule sets ----
-- Windows: 'term' counts complete school terms (autumn 1 Sep - 31 Dec, spring
-- 1 Jan - 31 Mar, summer 1 Apr - 31 Aug) ending on or before the reference
-- date; 'month' counts calendar months back from it.
INSERT INTO brent_mdm.scorecard_rule_set VALUES
  ('troubled_families_2015', 'Troubled Families programme, phase 2 (2015-2020)', '2015-04-01', '2020-03-31', 2, 0,
   'Six headline problems; a family is eligible with two or more. Payment by results for significant and sustained progress (attendance 90 % or more for three consecutive terms, no offence for six months) or continuous employment.',
   true),
  ('supporting_families_2022', 'Supporting Families programme, National Outcome Framework (2022-2025)', '2022-10-01', '2025-03-31', 3, 6,
   'Ten headline problems; a claim needs three or more, and positive outcomes on every identified need sustained six months after closure.',
   true);

INSERT INTO brent_mdm.scorecard_problem VALUES
  ('troubled_families_2015', 'crime_asb', 1, 'Parents and children involved in crime or anti-social behaviour', true),
  ('troubled_families_2015', 'not_attending_school', 2, 'Children who have not been attending school regularly', true),
  ('troubled_families_2015', 'children_need_help', 3, 'Children who need help', true),
  ('troubled_families_2015', 'worklessness', 4, 'Adults out of work or at risk of financial exclusion', true),
  ('troubled_families_2015', 'domestic_abuse', 5, 'Families affected by domestic violence and abuse', true),
  ('troubled_families_2015', 'health', 6, 'Parents and children with a range of health problems', true),
  ('supporting_families_2022', 'education', 1, 'Getting a good education', true),
  ('supporting_families_2022', 'early_years', 2, 'Good early years development', true),
  ('supporting_families_2022', 'mental_physical_health', 3, 'Improved mental and physical health', true),
  ('supporting_families_2022', 'substance_use', 4, 'Promoting recovery and reducing harm from substance use', true),
  ('supporting_families_2022', 'family_relationships', 5, 'Improved family relationships', true),
  ('supporting_families_2022', 'safe_from_abuse_exploitation', 6, 'Children safe from abuse and exploitation', true),
  ('supporting_families_2022', 'crime', 7, 'Crime prevention and tackling crime', true),
  ('supporting_families_2022', 'domestic_abuse', 8, 'Safe from domestic abuse', true),
  ('supporting_families_2022', 'housing', 9, 'Secure housing', true),
  ('supporting_families_2022', 'financial_stability', 10, 'Financial stability', true);

INSERT INTO brent_mdm.scorecard_criterion
  (rule_set, problem, criterion, kind, source, measure, categories, member, operator, threshold,
   window_unit, reference, window_from, window_to, baseline_from, baseline_to, description, shipped) VALUES
  -- Troubled Families 2015: identification
  ('troubled_families_2015', 'crime_asb', 'offence', 'identify', 'offence', 'offences', NULL, 'any', '>=', 1,
   'month', 'as_of', -12, 0, NULL, NULL, 'a proven offence in the last 12 months', true),
  ('troubled_families_2015', 'crime_asb', 'asb', 'identify', 'asb_case', 'cases', '{perpetrator}', 'any', '>=', 1,
   'month', 'as_of', -12, 0, NULL, NULL, 'an ASB case as perpetrator in the last 12 months', true),
  ('troubled_families_2015', 'not_attending_school', 'absence', 'identify', 'school_attendance', 'absence_rate', NULL, 'child', '>=', 0.10,
   'term', 'as_of', -3, 0, NULL, NULL, '10 % or more of sessions missed over the last three consecutive terms', true),
  ('troubled_families_2015', 'not_attending_school', 'suspensions', 'identify', 'school_exclusion', 'exclusions', '{suspension}', 'child', '>=', 3,
   'term', 'as_of', -3, 0, NULL, NULL, 'three or more fixed-term exclusions in the last three consecutive terms', true),
  ('troubled_families_2015', 'not_attending_school', 'permanent_exclusion', 'identify', 'school_exclusion', 'exclusions', '{permanent}', 'child', '>=', 1,
   'term', 'as_of', -3, 0, NULL, NULL, 'a permanent exclusion in the last three consecutive terms', true),
  ('troubled_families_2015', 'not_attending_school', 'missing_education', 'identify', 'cme_referral', 'referrals', NULL, 'child', '>=', 1,
   'month', 'as_of', -12, 0, NULL, NULL, 'referred as missing education in the last 12 months', true),
  ('troubled_families_2015', 'children_need_help', 'social_care', 'identify', 'childrens_social_care', 'episodes', '{CIN,CP,LAC}', 'child', '>=', 1,
   'month', 'as_of', -12, 0, NULL, NULL, 'a child in need, on a child protection plan or looked after in the last 12 months', true),
  ('troubled_families_2015', 'children_need_help', 'missing', 'identify', 'missing_episode', 'episodes', NULL, 'child', '>=', 1,
   'month', 'as_of', -12, 0, NULL, NULL, 'a child missing from home or care in the last 12 months', true),
  ('troubled_families_2015', 'children_need_help', 'cse', 'identify', 'cse_concern', 'assessments', '{medium,high}', 'child', '>=', 1,
   'month', 'as_of', -12, 0, NULL, NULL, 'a child assessed at medium or high risk of sexual exploitation in the last 12 months', true),
  ('troubled_families_2015', 'worklessness', 'out_of_work', 'identify', 'out_of_work_benefit', 'claims', NULL, 'adult', '>=', 1,
   'month', 'as_of', -6, 0, NULL, NULL, 'an adult on out-of-work benefits in the last 6 months', true),
  ('troubled_families_2015', 'domestic_abuse', 'notification', 'identify', 'domestic_abuse', 'notifications', NULL, 'any', '>=', 1,
   'month', 'as_of', -12, 0, NULL, NULL, 'a police domestic abuse notification at the family''s address in the last 12 months', true),
  ('troubled_families_2015', 'health', 'health_flag', 'identify', 'health_flag', 'flags', '{mental_health,substance_misuse,new_mother}', 'any', '>=', 1,
   'month', 'as_of', -12, 0, NULL, NULL, 'mental health, substance misuse or a vulnerable new mother in the last 12 months', true),
  -- Troubled Families 2015: significant and sustained progress (from attachment)
  ('troubled_families_2015', 'not_attending_school', 'attendance_90', 'progress', 'school_attendance', 'absence_rate', NULL, 'child', '<', 0.10,
   'term', 'attachment', 1, 4, -3, 0, 'attendance 90 % or more for three consecutive terms after the term of attachment', true),
  ('troubled_families_2015', 'crime_asb', 'no_offence_6_months', 'progress', 'offence', 'offences', NULL, 'any', '=', 0,
   'month', 'attachment', 0, 6, -6, 0, 'no proven offence in the 6 months after attachment', true),
  ('troubled_families_2015', 'worklessness', 'continuous_employment', 'progress', 'out_of_work_benefit', 'claims', NULL, 'adult', '=', 0,
   'month', 'attachment', 0, 6, -6, 0, 'continuous employment: no out-of-work claim for 6 months (26 weeks) after attachment', true),
  -- Supporting Families 2022: identification
  ('supporting_families_2022', 'education', 'absence', 'identify', 'school_attendance', 'absence_rate', NULL, 'child', '>=', 0.10,
   'term', 'as_of', -3, 0, NULL, NULL, 'persistent absence: 10 % or more of sessions missed over the last three terms', true),
  ('supporting_families_2022', 'education', 'suspensions', 'identify', 'school_exclusion', 'exclusions', '{suspension}', 'child', '>=', 3,
   'term', 'as_of', -3, 0, NULL, NULL, 'three or more suspensions in the last three terms', true),
  ('supporting_families_2022', 'education', 'permanent_exclusion', 'identify', 'school_exclusion', 'exclusions', '{permanent}', 'child', '>=', 1,
   'term', 'as_of', -3, 0, NULL, NULL, 'a permanent exclusion in the last three terms', true),
  ('supporting_families_2022', 'education', 'missing_education', 'identify', 'cme_referral', 'referrals', NULL, 'child', '>=', 1,
   'month', 'as_of', -12, 0, NULL, NULL, 'missing education in the last 12 months', true),
  ('supporting_families_2022', 'education', 'ehcp', 'identify', 'ehcp', 'plans', NULL, 'child', '>=', 1,
   'month', 'as_of', -12, 0, NULL, NULL, 'special educational needs: an EHCP in force in the last 12 months', true),
  ('supporting_families_2022', 'early_years', 'new_mother', 'identify', 'health_flag', 'flags', '{new_mother}', 'adult', '>=', 1,
   'month', 'as_of', -12, 0, NULL, NULL, 'a vulnerable new mother (health flag) in the last 12 months', true),
  ('supporting_families_2022', 'mental_physical_health', 'mental_health', 'identify', 'health_flag', 'flags', '{mental_health}', 'any', '>=', 1,
   'month', 'as_of', -12, 0, NULL, NULL, 'a mental health need in the last 12 months', true),
  ('supporting_families_2022', 'substance_use', 'substance_misuse', 'identify', 'health_flag', 'flags', '{substance_misuse}', 'any', '>=', 1,
   'month', 'as_of', -12, 0, NULL, NULL, 'substance misuse in the last 12 months', true),
  ('supporting_families_2022', 'family_relationships', 'early_help', 'identify', 'early_help', 'episodes', '{parenting support,child behaviour}', 'adult', '>=', 1,
   'month', 'as_of', -12, 0, NULL, NULL, 'early help for parenting or a child''s behaviour in the last 12 months', true),
  ('supporting_families_2022', 'safe_from_abuse_exploitation', 'social_care', 'identify', 'childrens_social_care', 'episodes', '{CIN,CP,LAC}', 'child', '>=', 1,
   'month', 'as_of', -12, 0, NULL, NULL, 'a child in need, on a child protection plan or looked after in the last 12 months', true),
  ('supporting_families_2022', 'safe_from_abuse_exploitation', 'missing', 'identify', 'missing_episode', 'episodes', NULL, 'child', '>=', 1,
   'month', 'as_of', -12, 0, NULL, NULL, 'a child missing from home or care in the last 12 months', true),
  ('supporting_families_2022', 'safe_from_abuse_exploitation', 'cse', 'identify', 'cse_concern', 'assessments', NULL, 'child', '>=', 1,
   'month', 'as_of', -12, 0, NULL, NULL, 'a child sexual exploitation risk assessment in the last 12 months', true),
  ('supporting_families_2022', 'crime', 'offence', 'identify', 'offence', 'offences', NULL, 'any', '>=', 1,
   'month', 'as_of', -12, 0, NULL, NULL, 'a proven offence in the last 12 months', true),
  ('supporting_families_2022', 'crime', 'asb', 'identify', 'asb_case', 'cases', '{perpetrator}', 'any', '>=', 1,
   'month', 'as_of', -12, 0, NULL, NULL, 'an ASB case as perpetrator in the last 12 months', true),
  ('supporting_families_2022', 'domestic_abuse', 'notification', 'identify', 'domestic_abuse', 'notifications', NULL, 'any', '>=', 1,
   'month', 'as_of', -12, 0, NULL, NULL, 'a police domestic abuse notification at the family''s address in the last 12 months', true),
  ('supporting_families_2022', 'housing', 'early_help_housing', 'identify', 'early_help', 'episodes', '{housing}', 'adult', '>=', 1,
   'month', 'as_of', -12, 0, NULL, NULL, 'early help for housing in the last 12 months', true),
  ('supporting_families_2022', 'financial_stability', 'out_of_work', 'identify', 'out_of_work_benefit', 'claims', NULL, 'adult', '>=', 1,
   'month', 'as_of', -6, 0, NULL, NULL, 'an adult on out-of-work benefits in the last 6 months', true),
  ('supporting_families_2022', 'financial_stability', 'early_help_hardship', 'identify', 'early_help', 'episodes', '{financial hardship}', 'adult', '>=', 1,
   'month', 'as_of', -12, 0, NULL, NULL, 'early help for financial hardship in the last 12 months', true),
  -- Supporting Families 2022: outcomes sustained 6 months after closure
  ('supporting_families_2022', 'education', 'attendance_sustained', 'progress', 'school_attendance', 'absence_rate', NULL, 'child', '<', 0.10,
   'term', 'closure', 0, 2, -3, 0, 'attendance 90 % or more over the two terms after closure', true),
  ('supporting_families_2022', 'crime', 'no_offence_sustained', 'progress', 'offence', 'offences', NULL, 'any', '=', 0,
   'month', 'closure', 0, 6, -12, 0, 'no proven offence in the 6 months after closure', true),
  ('supporting_families_2022', 'domestic_abuse', 'no_notification_sustained', 'progress', 'domestic_abuse', 'notifications', NULL, 'any', '=', 0,
   'month', 'closure', 0, 6, -12, 0, 'no domestic abuse notification in the 6 months after closure', true),
  ('supporting_families_2022', 'financial_stability', 'off_benefits_sustained', 'progress', 'out_of_work_benefit', 'claims', NULL, 'adult', '=', 0,
   'month', 'closure', 0, 6, -6, 0, 'no out-of-work claim in the 6 months after closure', true),
  ('supporting_families_2022', 'safe_from_abuse_exploitation', 'no_missing_sustained', 'progress', 'missing_episode', 'episodes', NULL, 'child', '=', 0,
   'month', 'closure', 0, 6, -12, 0, 'no missing episode in the 6 months after closure', true);

-- The guards go on after the shipped rows are written.
CREATE TRIGGER scorecard_criterion_check BEFORE INSERT OR UPDATE ON brent_mdm.scorecard_criterion
  FOR EACH ROW EXECUTE FUNCTION brent_mdm.scorecard_criterion_check();
CREATE TRIGGER scorecard_shipped_guard BEFORE INSERT OR UPDATE OR DELETE ON brent_mdm.scorecard_rule_set
  FOR EACH ROW EXECUTE FUNCTION brent_mdm.scorecard_shipped_guard();
CREATE TRIGGER scorecard_shipped_guard BEFORE INSERT OR UPDATE OR DELETE ON brent_mdm.scorecard_problem
  FOR EACH ROW EXECUTE FUNCTION brent_mdm.scorecard_shipped_guard();
CREATE TRIGGER scorecard_shipped_guard BEFORE DELETE ON brent_mdm.scorecard_criterion
  FOR EACH ROW EXECUTE FUNCTION brent_mdm.scorecard_shipped_guard();

-- pg_dump keeps the council's rule sets; the shipped ones come with CREATE EXTENSION.
SELECT pg_catalog.pg_extension_config_dump('brent_mdm.scorecard_rule_set', 'WHERE NOT shipped');
SELECT pg_catalog.pg_extension_config_dump('brent_mdm.scorecard_problem', 'WHERE NOT shipped');
SELECT pg_catalog.pg_extension_config_dump('brent_mdm.scorecard_criterion', 'WHERE NOT shipped');

CREATE FUNCTION brent_mdm.copy_rule_set(from_rule_set text, new_rule_set text, title text DEFAULT NULL)
  RETURNS text
  LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF from_rule_set IS NULL OR new_rule_set IS NULL THEN
    RAISE EXCEPTION 'copy_rule_set needs the rule set to copy and the new one''s name' USING ERRCODE = '22004';
  END IF;
  IF NOT EXISTS (SELECT FROM brent_mdm.scorecard_rule_set s WHERE s.rule_set = from_rule_set) THEN
    RAISE EXCEPTION 'rule set "%" does not exist', from_rule_set USING ERRCODE = '42704',
      HINT = 'See brent_mdm.scorecard_rule_set.';
  END IF;
  IF new_rule_set !~ '^[a-z][a-z0-9_]{0,47}$' THEN
    RAISE EXCEPTION 'invalid rule set name "%"', new_rule_set USING ERRCODE = '22023',
      DETAIL = 'A rule set name is a lower-case letter followed by up to 47 lower-case letters, digits or underscores.';
  END IF;
  IF EXISTS (SELECT FROM brent_mdm.scorecard_rule_set s WHERE s.rule_set = new_rule_set) THEN
    RAISE EXCEPTION 'rule set "%" already exists', new_rule_set USING ERRCODE = '42710';
  END IF;
  INSERT INTO brent_mdm.scorecard_rule_set
    SELECT new_rule_set, coalesce(copy_rule_set.title, s.title || ' (copy)'), s.programme_from, s.programme_to,
           s.problems_required, s.sustained_months, s.description, false
      FROM brent_mdm.scorecard_rule_set s WHERE s.rule_set = from_rule_set;
  INSERT INTO brent_mdm.scorecard_problem
    SELECT new_rule_set, p.problem, p.ordinal, p.title, false
      FROM brent_mdm.scorecard_problem p WHERE p.rule_set = from_rule_set;
  INSERT INTO brent_mdm.scorecard_criterion
    SELECT new_rule_set, c.problem, c.criterion, c.kind, c.source, c.measure, c.categories, c.member, c.operator,
           c.threshold, c.window_unit, c.reference, c.window_from, c.window_to, c.baseline_from, c.baseline_to,
           c.description, false
      FROM brent_mdm.scorecard_criterion c WHERE c.rule_set = from_rule_set;
  RETURN new_rule_set;
END $$;
COMMENT ON FUNCTION brent_mdm.copy_rule_set(text, text, text) IS
  'Copies a scorecard rule set (a shipped one, to edit) under a new name; returns the new name';
REVOKE ALL ON FUNCTION brent_mdm.copy_rule_set(text, text, text) FROM PUBLIC;

-- Whole-set checks a row trigger cannot make: every problem has an
-- identification criterion, and the threshold can be reached.  Returns the
-- set's problem count; raises on the first fault.
CREATE FUNCTION brent_mdm.check_rule_set(rule_set text) RETURNS integer
  LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  rs brent_mdm.scorecard_rule_set;
  n integer;
  empty text;
BEGIN
  IF check_rule_set.rule_set IS NULL THEN
    RAISE EXCEPTION 'rule set must not be NULL' USING ERRCODE = '22004';
  END IF;
  SELECT * INTO rs FROM brent_mdm.scorecard_rule_set s WHERE s.rule_set = check_rule_set.rule_set;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'rule set "%" does not exist', check_rule_set.rule_set USING ERRCODE = '42704',
      HINT = coalesce((SELECT 'Rule sets: ' || string_agg(s.rule_set, ', ' ORDER BY s.rule_set) || '.'
                         FROM brent_mdm.scorecard_rule_set s), 'There is no rule set.');
  END IF;
  SELECT count(*) INTO n FROM brent_mdm.scorecard_problem p WHERE p.rule_set = rs.rule_set;
  SELECT p.problem INTO empty FROM brent_mdm.scorecard_problem p
   WHERE p.rule_set = rs.rule_set
     AND NOT EXISTS (SELECT FROM brent_mdm.scorecard_criterion c
                      WHERE c.rule_set = p.rule_set AND c.problem = p.problem AND c.kind = 'identify')
   ORDER BY p.ordinal LIMIT 1;
  IF empty IS NOT NULL THEN
    RAISE EXCEPTION 'problem "%" of rule set "%" has no identification criterion', empty, rs.rule_set
      USING ERRCODE = '23514', HINT = 'Add a criterion of kind identify to it, or delete the problem.';
  END IF;
  IF rs.problems_required > n THEN
    RAISE EXCEPTION 'rule set "%" needs % problems for eligibility but has %', rs.rule_set, rs.problems_required, n
      USING ERRCODE = '23514', HINT = 'Lower problems_required or add problems.';
  END IF;
  RETURN n;
END $$;
COMMENT ON FUNCTION brent_mdm.check_rule_set(text) IS
  'Checks a scorecard rule set as a whole (every problem has an identification criterion, the eligibility threshold can be reached); returns its number of problems';

-- ---- families from the Client Index ----
--
-- People at one address at a date, grouped into family units with at least one
-- child (under 18 on the date), each with a lead adult.  Only the Client Index
-- is read (golden records, and the records' address dates); the function runs
-- with the caller's rights, so the policy layer's row filters apply to it.
--
-- 1. An adult's address is its golden postcode and address line; someone whose
--    address records at that postcode all ended before the date has moved out.
--    A client known only by a free-text name (council tax's lead liable name)
--    takes its family and given names from that text.
-- 2. One address line can hold two households, and a register its past
--    occupants.  A date at an address is either an occupation's start (a
--    system that records ends too: council tax liability, tenancy) or a
--    registration (the electoral register: a young adult registers at 17, a
--    partner joins later, years after the household moved in).  Occupations
--    of a line more than 120 days apart are households of their own;
--    registrations before the line's first occupation (past occupants still
--    listed) are split by their dates; a later registration joins the line's
--    one occupation, or, where the line has several, the one begun within 120
--    days of it (else it is split by dates from the rest).  Parts of a line
--    whose adults share a surname are joined again.  An adult with no address
--    line takes the one line of its postcode held by an adult with a like
--    surname (Jaro-Winkler 0.88 or more).
-- 3. A child (whose records rarely hold an address line) joins the unit of its
--    postcode holding the parent or carer its health visiting or early years
--    records name (the adult's family name among the name's words and a like
--    given name, when those datasets are located and readable); else the unit of its
--    postcode holding an adult with its surname (either name part: systems swap
--    them; or an adult's given name: patronymic naming; or a like surname), if
--    exactly one unit is the best, preferring adults of a parent's age; an
--    unplaced child with the surname of a placed child of its postcode joins
--    that child's unit.
-- 4. A unit with a child is a family; its lead adult is the adult sharing a
--    child's surname, a woman, of working age, in that order.
-- The SQL reading, through the Client Index's records, a column of the located
-- datasets among `datasets` that the caller may read: one SELECT per dataset
-- of `select_list` (over r, the record, and x, the dataset's row; %2$I is the
-- dataset's column, a literal or %I made here), UNION ALL.  Never a relation
-- whose owner could make reading it run his code as the caller (a NOTICE
-- names it and `what`).
CREATE FUNCTION brent_mdm.family_dataset_sql(datasets text[], select_list text, empty text, what text)
  RETURNS text
  LANGUAGE plpgsql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  q text := empty;
  d record;
BEGIN
  FOR d IN SELECT s.dataset, s.relation, c.link_system, c.columns,
                  EXISTS (SELECT FROM pg_class k WHERE k.oid = s.relation) AS present
             FROM brent_mdm.scorecard_dataset s JOIN brent_mdm.scorecard_dataset_columns c USING (dataset)
            WHERE s.dataset = ANY (datasets) ORDER BY s.dataset LOOP
    IF NOT d.present THEN
      -- dropped since it was located: its oid alone would be pasted into the query
      RAISE NOTICE 'family_units does not read dataset % (the relation located for it, oid %, no longer exists): the % it holds are not used',
                   d.dataset, d.relation::oid, what;
      CONTINUE;
    END IF;
    CONTINUE WHEN NOT pg_catalog.has_table_privilege(d.relation, 'SELECT');
    IF d.relation = ANY (brent_mdm.scorecard_untrusted(ARRAY[d.dataset])) THEN
      RAISE NOTICE 'family_units does not read % (it or what it reads is owned by %, neither a superuser nor you): the % it holds are not used',
                   d.relation, array_to_string(brent_mdm.scorecard_code_owners(d.relation), ', '), what;
      CONTINUE;
    END IF;
    q := q || format(' UNION ALL SELECT ' || select_list ||
                     ' FROM brent_mdm.client_record r JOIN %1$s x ON r.system = %3$L AND r.record_key = x.%4$I'
                     ' WHERE x.%2$I IS NOT NULL AND r.client_id IS NOT NULL',
                     d.relation, d.columns[2], d.link_system, d.columns[1]);
  END LOOP;
  RETURN q;
END $fn$;
COMMENT ON FUNCTION brent_mdm.family_dataset_sql(text[], text, text, text) IS
  'Internal: the SQL reading a column of the located, readable and trusted datasets through the Client Index''s records, for family_parent_names and family_uprns';
REVOKE ALL ON FUNCTION brent_mdm.family_dataset_sql(text[], text, text, text) FROM PUBLIC;

-- The names of a child's parent or carer, from the systems that record them
-- (health visiting's mother, early years' parent or carer), where the
-- scorecard knows the tables (scorecard_locate) and the caller may read them.
CREATE FUNCTION brent_mdm.family_parent_names()
  RETURNS TABLE (child bigint, pname text)
  LANGUAGE plpgsql STABLE PARALLEL SAFE ROWS 5000 SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
  RETURN QUERY EXECUTE 'SELECT DISTINCT * FROM (' ||
    brent_mdm.family_dataset_sql('{health_visiting,early_years}', 'r.client_id, brent_mdm.normalise_name(x.%2$I)',
                                 'SELECT NULL::bigint, NULL::text WHERE false', 'parents'' names') || ') n';
END $fn$;
COMMENT ON FUNCTION brent_mdm.family_parent_names() IS
  'Internal: the parent''s or carer''s name that health visiting and early years record for each child client (where located, readable, and owned by a superuser or the caller), for family_units';
REVOKE ALL ON FUNCTION brent_mdm.family_parent_names() FROM PUBLIC;

-- The property (UPRN) of each address record, from the systems that hold one
-- (council tax, housing tenancies, the electoral register: each keeps the
-- UPRN of the council's gazetteer), where the scorecard knows the tables
-- (scorecard_locate) and the caller may read them.  One address line can be
-- two properties (a house and its flat written alike, a gazetteer's
-- duplicate): the UPRN tells them apart where the line cannot.
CREATE FUNCTION brent_mdm.family_uprns()
  RETURNS TABLE (client bigint, pc text, uprn bigint, address_from date)
  LANGUAGE plpgsql STABLE PARALLEL SAFE ROWS 50000 SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
  -- a UPRN is up to 12 digits: anything else a system holds in the column ('N/A', '', a
  -- reference of its own) is no UPRN and is not used (one such value failed family_units
  -- and the scorecard for everyone: invalid input syntax for type bigint)
  RETURN QUERY EXECUTE 'SELECT * FROM (' || brent_mdm.family_dataset_sql(
    '{council_tax_property,housing_property,electoral_register_property}',
    'r.client_id, brent_mdm.postcode_normalise(r.postcode),'
    ' CASE WHEN btrim(x.%2$I::text) ~ ''^[0-9]{1,12}$'' THEN btrim(x.%2$I::text)::bigint END, r.address_from',
    'SELECT NULL::bigint, NULL::text, NULL::bigint, NULL::date WHERE false', 'UPRNs') || ') u (client, pc, uprn, address_from) WHERE u.uprn IS NOT NULL';
END $fn$;
COMMENT ON FUNCTION brent_mdm.family_uprns() IS
  'Internal: the UPRN of each address record of the Client Index that council tax, housing and the electoral register hold (where located, readable, and owned by a superuser or the caller), for family_units';
REVOKE ALL ON FUNCTION brent_mdm.family_uprns() FROM PUBLIC;

-- family_units (and child_view) tell occupations from registrations by the
-- systems that record an end date at an address: this finds them without a
-- scan of every record
CREATE INDEX client_record_occupation ON brent_mdm.client_record (system) WHERE address_to IS NOT NULL;

CREATE FUNCTION brent_mdm.family_units_internal(as_of date)
  RETURNS TABLE (family_id bigint, client_id bigint, role text, age integer,
                 postcode text, address_line text)
  LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
WITH parent AS (
  SELECT p.child, p.pname FROM brent_mdm.family_parent_names() p
), fp AS (
  SELECT c.client_id, brent_mdm.postcode_normalise(c.postcode) AS pc, c.address_line,
         nullif(regexp_replace(upper(c.address_line), '[^A-Z0-9]+', ' ', 'g'), '') AS addr,
         coalesce(brent_mdm.normalise_name(c.family_name), n.fam) AS fam,
         coalesce(brent_mdm.normalise_name(c.given_name), n.giv) AS giv,
         c.sex,
         CASE WHEN c.date_of_birth IS NOT NULL
              THEN extract(year FROM age(as_of, c.date_of_birth))::int END AS age,
         -- a child under 16 (too young to register to vote or to be liable)
         -- holding a record of an address line without a date of birth (an
         -- adult's entry in a register: the Client Index joined a parent's
         -- records to a child's): an adult here, of unknown age
         coalesce(c.date_of_birth > (as_of - interval '16 years'), false)
           AND EXISTS (SELECT FROM brent_mdm.client_record r
                        WHERE r.client_id = c.client_id AND r.address_line IS NOT NULL
                          AND r.date_of_birth IS NULL) AS chim
    FROM brent_mdm.client c
    -- a client known only by a free-text name (council tax's lead liable
    -- name: "SMITH, John", "Mr J Smith", "John Smith") has no family name:
    -- its names are taken from that text, a title left out
    CROSS JOIN LATERAL (
      SELECT brent_mdm.normalise_name(CASE WHEN f.fn LIKE '%,%' THEN split_part(f.fn, ',', 1)
                                           ELSE substring(f.fn FROM '(\S+)$') END) AS fam,
             brent_mdm.normalise_name(CASE WHEN f.fn LIKE '%,%' THEN substr(f.fn, strpos(f.fn, ',') + 1)
                                           ELSE substring(f.fn FROM '^(.*\S)\s+\S+$') END) AS giv
        FROM (SELECT regexp_replace(btrim(min(r.full_name)), '^(mr|mrs|ms|miss|dr|mx)\.?\s+', '', 'i') AS fn
                FROM brent_mdm.client_record r
               WHERE c.family_name IS NULL AND r.client_id = c.client_id AND r.full_name IS NOT NULL) f) n
   WHERE c.status = 'active' AND c.postcode IS NOT NULL
     AND (c.date_of_birth IS NULL OR c.date_of_birth <= as_of)
     AND NOT EXISTS (SELECT FROM brent_mdm.client_record r
                      WHERE r.client_id = c.client_id AND r.address_to < as_of
                        AND brent_mdm.postcode_normalise(r.postcode) = brent_mdm.postcode_normalise(c.postcode)
                        AND NOT EXISTS (SELECT FROM brent_mdm.client_record r2
                                         WHERE r2.client_id = c.client_id AND r2.address_from > r.address_to))
), occ_sys AS MATERIALIZED (
  -- the systems that record occupations (an end date at an address: council
  -- tax liability, tenancy), as against registrations (the electoral
  -- register); client_record_occupation makes it an index scan
  SELECT DISTINCT r.system FROM brent_mdm.client_record r WHERE r.address_to IS NOT NULL
), prop AS MATERIALIZED (
  -- the property (UPRN) of each client's latest address record at a postcode
  -- (council tax, housing, the electoral register)
  SELECT DISTINCT ON (u.client, u.pc) u.client, u.pc, u.uprn
    FROM brent_mdm.family_uprns() u
   WHERE u.address_from IS NULL OR u.address_from <= as_of
   ORDER BY u.client, u.pc, u.address_from DESC NULLS LAST, u.uprn
), adult0 AS (
  SELECT f.client_id, f.pc, f.addr, f.fam, f.giv, f.sex, CASE WHEN NOT f.chim THEN f.age END AS age, p.uprn,
         (SELECT min(r.address_from) FROM brent_mdm.client_record r
                WHERE r.client_id = f.client_id AND r.address_from <= as_of
                  AND brent_mdm.postcode_normalise(r.postcode) = f.pc) AS since,
         EXISTS (SELECT FROM brent_mdm.client_record r
                  WHERE r.client_id = f.client_id AND r.address_from <= as_of
                    AND r.system IN (SELECT o.system FROM occ_sys o)
                    AND brent_mdm.postcode_normalise(r.postcode) = f.pc) AS occ
    FROM fp f LEFT JOIN prop p ON p.client = f.client_id AND p.pc = f.pc
   WHERE f.age IS NULL OR f.age >= 18 OR f.chim
), line_for AS (
  SELECT a.client_id, min(b.addr) AS addr
    FROM adult0 a JOIN adult0 b ON b.pc = a.pc AND b.addr IS NOT NULL
   WHERE a.addr IS NULL AND brent_mdm.jaro_winkler(b.fam, a.fam) >= 0.88
   GROUP BY a.client_id HAVING count(DISTINCT b.addr) = 1
), adult1 AS (
  SELECT a.client_id, a.pc, a.fam, a.giv, a.sex, a.age, a.since, a.occ, a.uprn, coalesce(a.addr, l.addr) AS addr
    FROM adult0 a LEFT JOIN line_for l USING (client_id)
), line_uprn AS (
  -- an adult of a line whose records hold no UPRN: the line's one property,
  -- or the one property of the line's adults with a like surname
  SELECT a.client_id, coalesce(CASE WHEN count(DISTINCT b.uprn) FILTER (WHERE brent_mdm.jaro_winkler(b.fam, a.fam) >= 0.88) = 1
                                    THEN min(b.uprn) FILTER (WHERE brent_mdm.jaro_winkler(b.fam, a.fam) >= 0.88) END,
                               CASE WHEN count(DISTINCT b.uprn) = 1 THEN min(b.uprn) END) AS uprn
    FROM adult1 a JOIN adult1 b ON b.pc = a.pc AND b.addr = a.addr AND b.uprn IS NOT NULL
   WHERE a.uprn IS NULL AND a.addr IS NOT NULL
   GROUP BY a.client_id
), adult AS (
  -- a line is a property where the UPRN is known: one address line can be
  -- two properties (a gazetteer writing two alike), never one household
  SELECT a.client_id, a.pc, a.fam, a.giv, a.sex, a.age, a.since, a.occ,
         a.addr || coalesce(' @' || coalesce(a.uprn, l.uprn), '') AS addr
    FROM adult1 a LEFT JOIN line_uprn l USING (client_id)
), line_adult AS (
  SELECT a.*, min(a.since) FILTER (WHERE a.occ) OVER (PARTITION BY a.pc, a.addr) AS first_occ
    FROM adult a WHERE a.addr IS NOT NULL AND a.since IS NOT NULL
), occ_part AS (
  -- occupations of a line more than 120 days apart are households of their own
  SELECT a.client_id, a.pc, a.addr, a.since,
         1 + sum(CASE WHEN a.since - a.prev > 120 THEN 1 ELSE 0 END)
               OVER (PARTITION BY a.pc, a.addr ORDER BY a.since, a.client_id) AS part,
         1 + count(*) FILTER (WHERE a.since - a.prev > 120) OVER (PARTITION BY a.pc, a.addr) AS parts
    FROM (SELECT a.*, lag(a.since) OVER (PARTITION BY a.pc, a.addr ORDER BY a.since, a.client_id) AS prev
            FROM line_adult a WHERE a.occ) a
), reg_before AS (
  -- registrations of a line with no occupation, or before its first one
  -- (past occupants still listed): split by their dates
  SELECT a.client_id, sum(CASE WHEN a.since - a.prev > 120 THEN 1 ELSE 0 END)
                        OVER (PARTITION BY a.pc, a.addr ORDER BY a.since, a.client_id) - 1000 AS part
    FROM (SELECT a.*, lag(a.since) OVER (PARTITION BY a.pc, a.addr ORDER BY a.since, a.client_id) AS prev
            FROM line_adult a WHERE NOT a.occ AND (a.first_occ IS NULL OR a.since < a.first_occ - 120)) a
), reg_near AS (
  -- a registration during the occupations (a young adult registering at 17,
  -- a partner joining): the household of the line's one occupation, or of
  -- the occupation begun within 120 days of it where the line has several
  SELECT n.client_id, n.part FROM (
    SELECT DISTINCT ON (a.client_id) a.client_id, o.part, abs(a.since - o.since) AS gap, o.parts
      FROM line_adult a JOIN occ_part o ON o.pc = a.pc AND o.addr = a.addr
     WHERE NOT a.occ AND a.since >= a.first_occ - 120
     ORDER BY a.client_id, abs(a.since - o.since), o.since) n
   WHERE n.parts = 1 OR n.gap <= 120
), reg_after AS (
  -- the other registrations of a line of several occupations: split by their dates
  SELECT a.client_id, sum(CASE WHEN a.since - a.prev > 120 THEN 1 ELSE 0 END)
                        OVER (PARTITION BY a.pc, a.addr ORDER BY a.since, a.client_id) + 1000 AS part
    FROM (SELECT a.*, lag(a.since) OVER (PARTITION BY a.pc, a.addr ORDER BY a.since, a.client_id) AS prev
            FROM line_adult a
           WHERE NOT a.occ AND a.since >= a.first_occ - 120
             AND NOT EXISTS (SELECT FROM reg_near n WHERE n.client_id = a.client_id)) a
), dated AS (
  -- the dates split a line only where its properties are not known: the
  -- adults of one property (UPRN) on the date are one household
  SELECT a.client_id, a.pc, a.fam, a.giv, a.sex, a.age, a.since, a.addr,
         CASE WHEN a.addr LIKE '% @%' THEN 1 ELSE coalesce(o.part, b.part, n.part, r.part) END AS part
    FROM line_adult a LEFT JOIN occ_part o USING (client_id) LEFT JOIN reg_before b USING (client_id)
    LEFT JOIN reg_near n USING (client_id) LEFT JOIN reg_after r USING (client_id)
), undated AS (
  SELECT a.client_id, a.pc, a.addr, a.fam, a.giv, a.sex, a.age,
         coalesce(min(d.part) FILTER (WHERE brent_mdm.jaro_winkler(d.fam, a.fam) >= 0.88), max(d.part), 0) AS part
    FROM adult a LEFT JOIN dated d ON d.pc = a.pc AND d.addr = a.addr
   WHERE a.addr IS NOT NULL AND a.since IS NULL
   GROUP BY a.client_id, a.pc, a.addr, a.fam, a.giv, a.sex, a.age
), unit0 AS (
  SELECT d.client_id, d.pc, d.addr, d.part, d.fam, d.giv, d.sex, d.age FROM dated d
  UNION ALL
  SELECT u.client_id, u.pc, u.addr, u.part, u.fam, u.giv, u.sex, u.age FROM undated u
  UNION ALL
  SELECT a.client_id, a.pc, '~' || coalesce(a.fam, a.client_id::text), 0, a.fam, a.giv, a.sex, a.age
    FROM adult a WHERE a.addr IS NULL
), unit1 AS (
  -- parts of a line whose adults share a surname (or a part of one longer
  -- than three letters: "Said" and "Shakir-Said") are one household
  SELECT u.client_id, u.pc, u.addr, u.fam, u.giv, u.sex, u.age,
         least(u.part, min(v.part)) AS part
    FROM unit0 u LEFT JOIN unit0 v ON v.pc = u.pc AND v.addr = u.addr
                                  AND (brent_mdm.jaro_winkler(v.fam, u.fam) >= 0.88
                                       OR ARRAY(SELECT t FROM regexp_split_to_table(v.fam, '[ -]+') t WHERE length(t) > 3) && ARRAY(SELECT t FROM regexp_split_to_table(u.fam, '[ -]+') t WHERE length(t) > 3))
   GROUP BY u.client_id, u.pc, u.addr, u.fam, u.giv, u.sex, u.age, u.part
), unit AS (
  SELECT u.client_id, u.pc, u.fam, u.giv, u.sex, u.age, u.addr,
         u.addr || '#' || least(u.part, min(c.part)) AS unit
    FROM unit1 u
    LEFT JOIN unit1 d ON d.pc = u.pc AND d.addr = u.addr AND d.part = u.part
    LEFT JOIN unit1 c ON c.pc = u.pc AND c.addr = u.addr AND (brent_mdm.jaro_winkler(d.fam, c.fam) >= 0.88
                            OR ARRAY(SELECT t FROM regexp_split_to_table(d.fam, '[ -]+') t WHERE length(t) > 3) && ARRAY(SELECT t FROM regexp_split_to_table(c.fam, '[ -]+') t WHERE length(t) > 3))
   GROUP BY u.client_id, u.pc, u.fam, u.giv, u.sex, u.age, u.addr, u.part
), kid AS (
  SELECT f.* FROM fp f WHERE f.age < 18 AND NOT f.chim
), ptok AS (
  -- each word of the name of a parent or carer the child's records name
  -- (health visiting, early years), with the child's postcode
  SELECT DISTINCT k.client_id AS child, k.pc, p.pname, t.tok
    FROM kid k JOIN parent p ON p.child = k.client_id CROSS JOIN unnest(string_to_array(p.pname, ' ')) t(tok)
), pmatch AS (
  -- that parent, an adult of a unit of the postcode: its family name among the
  -- name's words, and a like given name (Jaro-Winkler 0.88 or more) beside it
  SELECT DISTINCT pt.child, a.unit
    FROM ptok pt JOIN unit a ON a.pc = pt.pc AND split_part(a.fam, ' ', 1) = pt.tok
   WHERE strpos(' ' || pt.pname || ' ', ' ' || a.fam || ' ') > 0
     AND EXISTS (SELECT FROM unnest(string_to_array(pt.pname, ' ')) t
                  WHERE strpos(' ' || a.fam || ' ', ' ' || t || ' ') = 0
                    AND brent_mdm.jaro_winkler(t, split_part(a.giv, ' ', 1)) >= 0.88)
), pweak AS (
  -- weaker evidence of that parent: its family name alone among the name's
  -- words (a child whose own surname is lost or another's), or both names
  -- spelt otherwise (Jaro-Winkler 0.9 and 0.88)
  SELECT DISTINCT pt.child, a.unit
    FROM ptok pt JOIN unit a ON a.pc = pt.pc
   WHERE (split_part(a.fam, ' ', 1) = pt.tok AND strpos(' ' || pt.pname || ' ', ' ' || a.fam || ' ') > 0)
      OR (brent_mdm.jaro_winkler(pt.tok, split_part(a.fam, ' ', 1)) >= 0.9
          AND EXISTS (SELECT FROM unnest(string_to_array(pt.pname, ' ')) t
                       WHERE t <> pt.tok AND brent_mdm.jaro_winkler(t, split_part(a.giv, ' ', 1)) >= 0.88))
), cand AS (
  SELECT k.client_id AS child, a.pc, a.unit,
         max(CASE WHEN pm.child IS NOT NULL THEN 4
                  WHEN k.fam = a.fam OR k.giv = a.fam THEN 3
                  WHEN brent_mdm.jaro_winkler(k.fam, a.fam) >= 0.88 OR brent_mdm.jaro_winkler(k.giv, a.fam) >= 0.88
                    OR regexp_split_to_array(k.fam, '[ -]+') && regexp_split_to_array(a.fam, '[ -]+') THEN 2
                  WHEN k.fam = a.giv OR string_to_array(k.fam, ' ') && string_to_array(a.giv, ' ') THEN 2
                  -- weak: the parent named by its family name alone or spelt
                  -- otherwise (pweak), or an adult's given name spelt otherwise
                  -- (patronymic naming: "Bashiir" of "Bashir")
                  WHEN pw.child IS NOT NULL OR brent_mdm.jaro_winkler(k.fam, split_part(a.giv, ' ', 1)) >= 0.9 THEN 1
                  ELSE 0 END) AS score,
         bool_or(a.age IS NULL OR a.age BETWEEN k.age + 14 AND k.age + 60) AS plausible
    FROM kid k JOIN unit a ON a.pc = k.pc
    LEFT JOIN pmatch pm ON pm.child = k.client_id AND pm.unit = a.unit
    LEFT JOIN pweak pw ON pw.child = k.client_id AND pw.unit = a.unit
   GROUP BY 1, 2, 3
), pick AS (
  SELECT DISTINCT ON (c.child) c.child, c.pc, c.unit,
         count(*) OVER (PARTITION BY c.child, c.score, c.plausible) AS ties
    FROM cand c WHERE c.score > 0
   ORDER BY c.child, c.score DESC, c.plausible DESC, c.unit
), placed0 AS (
  SELECT p.child AS client_id, p.pc, p.unit FROM pick p WHERE p.ties = 1
), former AS (
  -- the postcodes an adult's records hold other than its unit's: former
  -- addresses (a family that moved keeps its old postcode in the children's
  -- services that saw it there)
  SELECT DISTINCT u.client_id, u.pc, u.unit, u.fam, u.giv, u.age, brent_mdm.postcode_normalise(r.postcode) AS fpc
    FROM unit u JOIN brent_mdm.client_record r ON r.client_id = u.client_id
   WHERE brent_mdm.postcode_normalise(r.postcode) <> u.pc
), moved AS (
  -- a child placed nowhere at its postcode whose parent or carer (named by
  -- health visiting or early years, as in pmatch) has a record at that
  -- postcode and now lives elsewhere: the unit that parent lives in now,
  -- when exactly one unit has such an adult
  SELECT m.child AS client_id, min(m.pc) AS pc, min(m.unit) AS unit
    FROM (SELECT DISTINCT pt.child, f.pc, f.unit
            FROM ptok pt JOIN former f ON f.fpc = pt.pc AND split_part(f.fam, ' ', 1) = pt.tok
           WHERE NOT EXISTS (SELECT FROM placed0 p WHERE p.client_id = pt.child)
             AND strpos(' ' || pt.pname || ' ', ' ' || f.fam || ' ') > 0
             AND EXISTS (SELECT FROM unnest(string_to_array(pt.pname, ' ')) t
                          WHERE strpos(' ' || f.fam || ' ', ' ' || t || ' ') = 0
                            AND brent_mdm.jaro_winkler(t, split_part(f.giv, ' ', 1)) >= 0.88)
          UNION
          SELECT k.client_id, f.pc, f.unit
            FROM kid k JOIN former f ON f.fpc = k.pc AND (f.fam = k.fam OR f.fam = k.giv)
           WHERE NOT EXISTS (SELECT FROM placed0 p WHERE p.client_id = k.client_id)
             AND (f.age IS NULL OR f.age BETWEEN k.age + 14 AND k.age + 60)) m
   GROUP BY m.child HAVING count(*) = 1
), placed AS (
  SELECT p.client_id, k.pc AS kpc, p.pc, p.unit FROM placed0 p JOIN kid k USING (client_id)
  UNION ALL
  SELECT m.client_id, k.pc, m.pc, m.unit FROM moved m JOIN kid k USING (client_id)
), sibling AS (
  -- an unplaced child with the surname of a placed child of its postcode;
  -- or a like surname (Jaro-Winkler 0.88, or a part in common) when the
  -- postcode's placed children of like surname are of one unit
  SELECT DISTINCT ON (s.client_id) s.client_id, s.pc, s.unit
    FROM (SELECT k.client_id, p.pc, p.unit, (s.fam = k.fam OR s.fam = k.giv OR s.giv = k.fam) AS exact,
                 min(p.unit) OVER (PARTITION BY k.client_id) = max(p.unit) OVER (PARTITION BY k.client_id) AS one
            FROM kid k JOIN placed p ON p.kpc = k.pc JOIN kid s ON s.client_id = p.client_id
           WHERE NOT EXISTS (SELECT FROM placed q WHERE q.client_id = k.client_id)
             AND (s.fam = k.fam OR s.fam = k.giv OR s.giv = k.fam OR brent_mdm.jaro_winkler(s.fam, k.fam) >= 0.88
                  OR regexp_split_to_array(s.fam, '[ -]+') && regexp_split_to_array(k.fam, '[ -]+'))) s
   WHERE s.exact OR s.one
   ORDER BY s.client_id, s.exact DESC, s.unit
), children AS (
  SELECT p.client_id, p.pc, p.unit FROM placed p UNION ALL SELECT * FROM sibling
), unit_chim AS (
  -- a unit's adult whose records join a child's (chim, above) is that child
  -- where the unit has another adult, else the adult it anchors the unit for
  SELECT u.pc, u.unit, u.client_id, f.chim, f.age,
         bool_or(NOT f.chim) OVER (PARTITION BY u.pc, u.unit) AS has_adult,
         bool_or(f.chim) OVER (PARTITION BY u.pc, u.unit) AS has_chim
    FROM unit u JOIN fp f USING (client_id)
), members AS (
  SELECT ch.pc, ch.unit, ch.client_id, false AS adult, k.age, k.fam, k.sex FROM children ch JOIN kid k USING (client_id)
  UNION ALL
  SELECT u.pc, u.unit, u.client_id, NOT (c.chim AND c.has_adult),
         CASE WHEN c.chim AND c.has_adult THEN c.age ELSE u.age END, u.fam, u.sex
    FROM unit u JOIN unit_chim c ON c.pc = u.pc AND c.unit = u.unit AND c.client_id = u.client_id
   WHERE EXISTS (SELECT FROM children ch WHERE ch.pc = u.pc AND ch.unit = u.unit)
      OR (c.has_chim AND c.has_adult)
), like_child AS (
  SELECT DISTINCT a.client_id
    FROM members a JOIN members c ON c.pc = a.pc AND c.unit = a.unit AND NOT c.adult
   WHERE a.adult AND brent_mdm.jaro_winkler(c.fam, a.fam) >= 0.88
), ranked AS (
  SELECT m.*, min(m.client_id) OVER (PARTITION BY m.pc, m.unit) AS fid,
         CASE WHEN m.adult THEN row_number() OVER (
                PARTITION BY m.pc, m.unit, m.adult
                ORDER BY l.client_id IS NOT NULL DESC, m.sex = 'F' DESC NULLS LAST,
                         coalesce(m.age BETWEEN 18 AND 65, true) DESC, m.client_id) END AS rn
    FROM members m LEFT JOIN like_child l ON m.adult AND l.client_id = m.client_id
)
SELECT r.fid, r.client_id,
       CASE WHEN NOT r.adult THEN 'child' WHEN r.rn = 1 THEN 'lead' ELSE 'adult' END,
       r.age, r.pc,
       (SELECT c.address_line FROM brent_mdm.client c WHERE c.client_id = r.client_id)
  FROM ranked r
$$;
COMMENT ON FUNCTION brent_mdm.family_units_internal(date) IS
  'Internal: the family units of family_units, without its argument checks';
REVOKE ALL ON FUNCTION brent_mdm.family_units_internal(date) FROM PUBLIC;

-- the earliest date the scorecard functions take (family_units, the scorecard, child_view)
CREATE FUNCTION brent_mdm.scorecard_check_since_1900(as_of date) RETURNS void
  LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF as_of < date '1900-01-01' THEN
    RAISE EXCEPTION 'as_of % is before 1900', as_of USING ERRCODE = '22008',
      DETAIL = 'The council''s systems hold no family, child or event dated so early (and dates before 4713 BC less some years cannot be computed).',
      HINT = 'Use a date from 1900-01-01 to today.';
  END IF;
END $$;
COMMENT ON FUNCTION brent_mdm.scorecard_check_since_1900(date) IS
  'Raises 22008 for a date before 1900-01-01, the earliest as_of that family_units, the scorecard functions and child_view take (they run as their caller and call it); reads nothing';
REVOKE ALL ON FUNCTION brent_mdm.scorecard_check_since_1900(date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION brent_mdm.scorecard_check_since_1900(date) TO PUBLIC;

CREATE FUNCTION brent_mdm.family_units(as_of date DEFAULT current_date)
  RETURNS TABLE (family_id bigint, client_id bigint, role text, age integer,
                 postcode text, address_line text)
  LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF as_of IS NULL THEN
    RAISE EXCEPTION 'as_of must not be NULL' USING ERRCODE = '22004';
  END IF;
  IF as_of > current_date THEN
    RAISE EXCEPTION 'as_of % is in the future', as_of USING ERRCODE = '22008',
      DETAIL = 'Families are formed from who the Client Index holds at an address on a date that has passed.',
      HINT = 'Use current_date or an earlier date.';
  END IF;
  PERFORM brent_mdm.scorecard_check_since_1900(as_of);
  RETURN QUERY SELECT * FROM brent_mdm.family_units_internal(as_of);
END $$;
COMMENT ON FUNCTION brent_mdm.family_units(date) IS
  'Family units at a date from the Client Index: people at one address with at least one child under 18, one row per member (family_id, client_id, role lead, adult or child, age, postcode, address line); reads the Client Index with the caller''s rights';
REVOKE ALL ON FUNCTION brent_mdm.family_units(date) FROM PUBLIC;
