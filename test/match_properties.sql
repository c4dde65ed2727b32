-- pgTAP: properties of the matching primitives over many generated pairs
-- (names from a synthetic borough with its recording errors, and random
-- strings in several scripts), identifier validity on generated data, and
-- the cross-script rate of name_keys.
\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only true
\pset pager off
SET client_min_messages = warning;
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS brent_mdm CASCADE;
SET LOCAL search_path = brent_mdm, public;
SELECT plan(27);

SELECT lives_ok($$SELECT * FROM generate_borough(6000, 21, 'pt')$$, 'a borough to draw pairs from');

-- pairs: each recorded name against the true name, and against a name of
-- another person; plus random strings of Latin, Arabic, Cyrillic, Gujarati,
-- emoji and combining marks
CREATE TEMP TABLE pairs AS
WITH recorded AS (
  SELECT s.person_id, concat_ws(' ', h.forename, h.surname) AS name
    FROM pt.housing h JOIN pt_truth.source_record s ON s.system = 'housing' AND s.record_key = h.tenancy_person_ref
  UNION ALL
  SELECT s.person_id, concat_ws(' ', c.first_name, c.last_name)
    FROM pt.childrens_social_care c JOIN pt_truth.source_record s ON s.system = 'childrens_social_care' AND s.record_key = c.lcs_person_id
  UNION ALL
  SELECT s.person_id, concat_ws(' ', v.child_forename, v.child_surname)
    FROM pt.health_visiting v JOIN pt_truth.source_record s ON s.system = 'health_visiting' AND s.record_key = v.hv_client_id
  UNION ALL
  SELECT s.person_id, a.party_name
    FROM pt.asb_case a JOIN pt_truth.source_record s ON s.system = 'asb_case' AND s.record_key = a.asb_case_ref)
SELECT r.name AS a, p.given_name || ' ' || p.family_name AS b
  FROM recorded r JOIN pt_truth.person p USING (person_id)
UNION ALL
SELECT r.name, q.given_name || ' ' || q.family_name
  FROM recorded r JOIN pt_truth.person q ON q.person_id = (r.person_id * 7919) % 6000 + 1;
INSERT INTO pairs
SELECT (SELECT string_agg(chr(CASE (g + i) % 6 WHEN 0 THEN 97 + (g * 31 + i * 7) % 26
                                            WHEN 1 THEN 1575 + (g * 13 + i) % 30
                                            WHEN 2 THEN 1072 + (g * 17 + i * 3) % 32
                                            WHEN 3 THEN 2709 + (g + i * 5) % 30
                                            WHEN 4 THEN 128512 + (g + i) % 40
                                            ELSE 769 END), '') FROM generate_series(1, 1 + g % 23) i),
       (SELECT string_agg(chr(CASE (g * 3 + i) % 5 WHEN 0 THEN 97 + (g * 11 + i * 5) % 26
                                                WHEN 1 THEN 1575 + (g * 7 + i) % 30
                                                WHEN 2 THEN 1072 + (g + i * 3) % 32
                                                WHEN 3 THEN 2709 + (g * 5 + i) % 30
                                                ELSE 128512 + (g + i * 2) % 40 END), '') FROM generate_series(1, 1 + (g * 7) % 19) i)
  FROM generate_series(1, 3000) g;
SELECT cmp_ok((SELECT count(*)::int FROM pairs), '>', 6000, 'many pairs');

-- symmetry
SELECT is_empty($$SELECT a, b FROM pairs WHERE jaro(a, b) <> jaro(b, a)$$, 'jaro is symmetric');
SELECT is_empty($$SELECT a, b FROM pairs WHERE jaro_winkler(a, b) <> jaro_winkler(b, a)$$,
                'jaro_winkler is symmetric');
SELECT is_empty($$SELECT a, b FROM pairs WHERE levenshtein(a, b) <> levenshtein(b, a)$$,
                'levenshtein is symmetric');
SELECT is_empty($$SELECT a, b FROM pairs WHERE damerau_levenshtein(a, b) <> damerau_levenshtein(b, a)$$,
                'damerau_levenshtein is symmetric');
SELECT is_empty($$SELECT a, b FROM pairs WHERE jaccard_tokens(a, b) <> jaccard_tokens(b, a)$$,
                'jaccard_tokens is symmetric');
SELECT is_empty($$SELECT a, b FROM pairs WHERE abs(name_similarity(a, b) - name_similarity(b, a)) > 1e-12$$,
                'name_similarity is symmetric');

-- bounds
SELECT is_empty($$SELECT a, b FROM pairs
                   WHERE NOT (jaro(a, b) BETWEEN 0 AND 1 AND jaro_winkler(a, b) BETWEEN 0 AND 1
                              AND jaro_winkler(a, b, 0.25) BETWEEN 0 AND 1
                              AND jaccard_tokens(a, b) BETWEEN 0 AND 1 AND name_similarity(a, b) BETWEEN 0 AND 1)$$,
                'every similarity is between 0 and 1');
SELECT is_empty($$SELECT a, b FROM pairs WHERE jaro_winkler(a, b) < jaro(a, b)$$,
                'Winkler''s boost never lowers Jaro');
SELECT is_empty($$SELECT a, b FROM pairs
                   WHERE NOT (levenshtein(a, b) BETWEEN abs(length(a) - length(b)) AND greatest(length(a), length(b)))$$,
                'levenshtein lies between the length difference and the longer length (in characters)');
SELECT is_empty($$SELECT a, b FROM pairs WHERE damerau_levenshtein(a, b) > levenshtein(a, b)$$,
                'a transposition never makes OSA longer than Levenshtein');

-- identity
SELECT is_empty($$SELECT a FROM pairs WHERE jaro(a, a) <> 1 OR jaro_winkler(a, a) <> 1
                   OR levenshtein(a, a) <> 0 OR damerau_levenshtein(a, a) <> 0 OR jaccard_tokens(a, a) <> 1$$,
                'a string is identical to itself');
SELECT is_empty($$SELECT a FROM pairs WHERE normalise_name(a) <> '' AND name_similarity(a, a) <> 1$$,
                'a name is identical to itself');

-- triangle inequality, over triples of pairs
SELECT is_empty($$SELECT x.a, x.b, y.b FROM (SELECT * FROM pairs LIMIT 400) x
                  JOIN (SELECT * FROM pairs ORDER BY b LIMIT 60) y ON true
                 WHERE levenshtein(x.a, y.b) > levenshtein(x.a, x.b) + levenshtein(x.b, y.b)$$,
                'levenshtein obeys the triangle inequality');

-- the bounded form agrees with the full distance
SELECT is_empty($$SELECT a, b, k FROM pairs, generate_series(-1, 6) k
                   WHERE levenshtein_within(a, b, k) <> (levenshtein(a, b) <= k)$$,
                'levenshtein_within(a, b, k) = (levenshtein(a, b) <= k) for k from -1 to 6');
SELECT is_empty($$SELECT a, b FROM (SELECT repeat(a, 40) AS a, repeat(b, 40) AS b FROM pairs LIMIT 300) p,
                        (VALUES (0), (3), (20), (100)) v(k)
                   WHERE levenshtein_within(a, b, k) <> (levenshtein(a, b) <= k)$$,
                'and on long strings (bit-parallel blocks and band)');

-- Levenshtein and OSA against the two-row dynamic program written out in
-- PL/pgSQL, on strings of 1 to 260 characters (one and several 64-bit blocks;
-- masks per distinct character, ASCII or not), with shifts and transpositions
CREATE FUNCTION pg_temp.edit_ref(a text, b text, osa boolean) RETURNS integer
  LANGUAGE plpgsql IMMUTABLE AS $f$
DECLARE
  n int := length(a); m int := length(b);
  ac text[] := regexp_split_to_array(a, ''); bc text[] := regexp_split_to_array(b, '');
  p2 int[]; p int[]; c int[]; v int;
BEGIN
  IF n = 0 OR m = 0 THEN RETURN greatest(n, m); END IF;
  p := array(SELECT generate_series(0, n)); p2 := p; c := p;
  FOR j IN 1..m LOOP
    c[1] := j;
    FOR i IN 1..n LOOP
      v := least(p[i + 1] + 1, c[i] + 1, p[i] + CASE WHEN ac[i] = bc[j] THEN 0 ELSE 1 END);
      IF osa AND i > 1 AND j > 1 AND ac[i] = bc[j - 1] AND ac[i - 1] = bc[j] THEN
        v := least(v, p2[i - 1] + 1);
      END IF;
      c[i + 1] := v;
    END LOOP;
    p2 := p; p := c;
  END LOOP;
  RETURN p[n + 1];
END $f$;
CREATE TEMP TABLE long_pairs AS
  WITH s AS (SELECT g, al, (SELECT string_agg(substr(al, 1 + (g * 7 + i * i * 13 + i) % length(al), 1), '')
                              FROM generate_series(1, 1 + (g * 37) % 260) i) AS a
               FROM generate_series(1, 12) g, unnest(ARRAY['ab', 'abc', 'жяб', 'aжé😀', 'abcdefghijklmnopqrstuvwxyz']) al)
  SELECT a, b FROM (
    SELECT a, (SELECT a FROM s t WHERE t.al = s.al AND t.g = s.g % 12 + 1) AS b FROM s
    UNION ALL SELECT a, substr(a, 2) || 'x' FROM s
    UNION ALL SELECT a, regexp_replace(a, '(.)(.)', '\2\1', 'g') FROM s
    UNION ALL SELECT a, regexp_replace(a, '(.)(.)(.)', '\2\1\3', 'g') FROM s) p;
SELECT is_empty($$SELECT a, b FROM long_pairs WHERE levenshtein(a, b) <> pg_temp.edit_ref(a, b, false)$$,
                'levenshtein equals the dynamic program, up to 260 characters in any script');
SELECT is_empty($$SELECT a, b FROM long_pairs WHERE damerau_levenshtein(a, b) <> pg_temp.edit_ref(a, b, true)$$,
                'damerau_levenshtein equals the OSA dynamic program, up to 260 characters in any script');

-- normalisation is idempotent and ASCII
SELECT is_empty($$SELECT a FROM pairs WHERE normalise_name(normalise_name(a)) <> normalise_name(a)$$,
                'normalise_name is idempotent');
SELECT is_empty($$SELECT a FROM pairs WHERE normalise_name(a) ~ '[^a-z0-9 -]'$$,
                'normalise_name gives lower-case ASCII letters, digits, spaces and hyphens only');

-- identifiers in generated data
SELECT is_empty($$SELECT nhs_number FROM pt_truth.person WHERE NOT nhs_number_is_valid(nhs_number)$$,
                'every generated NHS number is valid');
SELECT is_empty($$SELECT ni_number FROM pt_truth.person WHERE ni_number IS NOT NULL AND NOT ni_number_is_valid(ni_number)$$,
                'every generated NI number is valid');
SELECT is_empty($$SELECT upn FROM pt_truth.person WHERE upn IS NOT NULL AND NOT upn_is_valid(upn)$$,
                'every generated UPN is valid');
SELECT is_empty($$SELECT e.postcode, a.postcode FROM pt.early_years e
                   JOIN pt_truth.source_record s ON s.system = 'early_years' AND s.record_key = e.child_ref
                   JOIN pt_truth.residence r USING (household_id) JOIN pt.address a USING (uprn)
                  WHERE postcode_normalise(e.postcode) IS NULL$$,
                'sloppy postcodes as systems keep them still normalise');
SELECT is_empty($$SELECT postcode FROM pt.address WHERE postcode_normalise(postcode) <> postcode
                   OR postcode_agreement(postcode, lower(replace(postcode, ' ', ''))) <> 'unit'$$,
                'gazetteer postcodes are canonical and agree with their sloppy forms at unit level');

-- the cross-script rate of name_keys on this borough
CREATE TEMP TABLE cross_script AS
SELECT p.native_given_name AS recorded, p.given_name AS true_name
  FROM pt.health_visiting h
  JOIN pt_truth.source_record s ON s.system = 'health_visiting' AND s.record_key = h.hv_client_id
  JOIN pt_truth.person p USING (person_id)
 WHERE h.child_forename = p.native_given_name;
SELECT diag('name_keys share a key for ' ||
            (SELECT round(100.0 * avg((name_keys(recorded) && name_keys(true_name))::int), 1)
               FROM cross_script) || '% of ' || (SELECT count(*) FROM cross_script) ||
            ' names recorded in their original script');
SELECT cmp_ok((SELECT avg((name_keys(recorded) && name_keys(true_name))::int)::float8 FROM cross_script),
              '>=', 0.9::float8, 'at least 90% of names in their original script share a key with the Latin form');

SELECT * FROM finish();
ROLLBACK;
