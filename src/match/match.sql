-- ---- match: person-matching primitives ----
-- Comparators count characters (code points), never bytes.  Functions that
-- cannot raise an error on any input and reveal nothing of it but their
-- result are LEAKPROOF, so the planner may push them below row-level
-- security barriers.

-- comparators
CREATE FUNCTION brent_mdm.jaro(a text, b text) RETURNS float8
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF
  AS 'MODULE_PATHNAME', 'match_jaro';
COMMENT ON FUNCTION brent_mdm.jaro(text, text) IS
  'Jaro similarity (0 to 1) of two strings, on characters';

CREATE FUNCTION brent_mdm.jaro_winkler(a text, b text) RETURNS float8
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF
  AS 'MODULE_PATHNAME', 'match_jaro_winkler';
COMMENT ON FUNCTION brent_mdm.jaro_winkler(text, text) IS
  'Jaro-Winkler similarity (0 to 1), prefix scale 0.1, boost above Jaro 0.7';

CREATE FUNCTION brent_mdm.jaro_winkler(a text, b text, prefix_scale float8) RETURNS float8
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
  AS 'MODULE_PATHNAME', 'match_jaro_winkler_scaled';
COMMENT ON FUNCTION brent_mdm.jaro_winkler(text, text, float8) IS
  'Jaro-Winkler similarity with a given prefix scale (0 to 0.25)';

CREATE FUNCTION brent_mdm.levenshtein(a text, b text) RETURNS integer
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF
  AS 'MODULE_PATHNAME', 'match_levenshtein';
COMMENT ON FUNCTION brent_mdm.levenshtein(text, text) IS
  'Levenshtein edit distance on characters (bit-parallel; no length limit)';

CREATE FUNCTION brent_mdm.levenshtein_within(a text, b text, k integer) RETURNS boolean
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF
  AS 'MODULE_PATHNAME', 'match_levenshtein_within';
COMMENT ON FUNCTION brent_mdm.levenshtein_within(text, text, integer) IS
  'Whether the Levenshtein distance is at most k; stops as soon as it cannot be';

CREATE FUNCTION brent_mdm.damerau_levenshtein(a text, b text) RETURNS integer
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF
  AS 'MODULE_PATHNAME', 'match_damerau_levenshtein';
COMMENT ON FUNCTION brent_mdm.damerau_levenshtein(text, text) IS
  'Damerau-Levenshtein distance, optimal string alignment variant (no substring edited twice)';

CREATE FUNCTION brent_mdm.jaccard_tokens(a text, b text) RETURNS float8
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF
  AS 'MODULE_PATHNAME', 'match_jaccard_tokens';
COMMENT ON FUNCTION brent_mdm.jaccard_tokens(text, text) IS
  'Jaccard similarity of the sets of whitespace-separated tokens';

-- UK identifiers
CREATE FUNCTION brent_mdm.postcode_normalise(postcode text) RETURNS text
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF
  AS 'MODULE_PATHNAME', 'match_postcode_normalise';
COMMENT ON FUNCTION brent_mdm.postcode_normalise(text) IS
  'UK postcode in upper case with one space (HA9 6AB); NULL if not a valid postcode';

CREATE FUNCTION brent_mdm.postcode_is_valid(postcode text) RETURNS boolean
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF
  AS 'MODULE_PATHNAME', 'match_postcode_is_valid';
COMMENT ON FUNCTION brent_mdm.postcode_is_valid(text) IS
  'Whether a string is a UK postcode of one of the six formats (or GIR 0AA), any spacing and case';

CREATE FUNCTION brent_mdm.postcode_area(postcode text) RETURNS text
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF
  AS 'MODULE_PATHNAME', 'match_postcode_area';
COMMENT ON FUNCTION brent_mdm.postcode_area(text) IS 'Postcode area (HA); NULL if not valid';

CREATE FUNCTION brent_mdm.postcode_district(postcode text) RETURNS text
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF
  AS 'MODULE_PATHNAME', 'match_postcode_district';
COMMENT ON FUNCTION brent_mdm.postcode_district(text) IS
  'Postcode district, the outward code (HA9); NULL if not valid';

CREATE FUNCTION brent_mdm.postcode_sector(postcode text) RETURNS text
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF
  AS 'MODULE_PATHNAME', 'match_postcode_sector';
COMMENT ON FUNCTION brent_mdm.postcode_sector(text) IS 'Postcode sector (HA9 6); NULL if not valid';

CREATE FUNCTION brent_mdm.postcode_agreement(a text, b text) RETURNS text
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF
  AS 'MODULE_PATHNAME', 'match_postcode_agreement';
COMMENT ON FUNCTION brent_mdm.postcode_agreement(text, text) IS
  'Closest level two postcodes share: unit, sector, district, area or none; NULL if either is not valid';

CREATE FUNCTION brent_mdm.nhs_number_is_valid(nhs_number text) RETURNS boolean
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF
  AS 'MODULE_PATHNAME', 'match_nhs_number_is_valid';
COMMENT ON FUNCTION brent_mdm.nhs_number_is_valid(text) IS
  'Whether an NHS number has ten digits and a correct modulus 11 check digit (spaces, hyphens ignored)';

CREATE FUNCTION brent_mdm.ni_number_is_valid(ni_number text) RETURNS boolean
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF
  AS 'MODULE_PATHNAME', 'match_ni_number_is_valid';
COMMENT ON FUNCTION brent_mdm.ni_number_is_valid(text) IS
  'Whether a National Insurance number follows HMRC''s prefix, digit and suffix rules';

CREATE FUNCTION brent_mdm.upn_is_valid(upn text) RETURNS boolean
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF
  AS 'MODULE_PATHNAME', 'match_upn_is_valid';
COMMENT ON FUNCTION brent_mdm.upn_is_valid(text) IS
  'Whether a unique pupil number (DfE) has a correct check letter (permanent and temporary UPNs)';

-- The matching primitives reveal nothing by themselves: any role may call them.
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA brent_mdm TO PUBLIC;
REVOKE EXECUTE ON FUNCTION brent_mdm.generate_borough(integer, integer, name, boolean) FROM PUBLIC;

-- names
CREATE FUNCTION brent_mdm.normalise_name(name text) RETURNS text
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
  AS 'MODULE_PATHNAME', 'match_normalise_name';
COMMENT ON FUNCTION brent_mdm.normalise_name(text) IS
  'Name in lower-case ASCII Latin from any script (ICU), titles and suffixes removed, punctuation normalised, hyphens kept';
GRANT EXECUTE ON FUNCTION brent_mdm.normalise_name(text) TO PUBLIC;

-- phonetic codes (non-ASCII input is transliterated first, hence not LEAKPROOF:
-- ICU could in principle fail)
CREATE FUNCTION brent_mdm.soundex(name text) RETURNS text
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
  AS 'MODULE_PATHNAME', 'match_soundex';
COMMENT ON FUNCTION brent_mdm.soundex(text) IS
  'American Soundex (US National Archives rules: H and W do not separate)';

CREATE FUNCTION brent_mdm.nysiis(name text) RETURNS text
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
  AS 'MODULE_PATHNAME', 'match_nysiis';
COMMENT ON FUNCTION brent_mdm.nysiis(text) IS
  'NYSIIS phonetic code (Taft 1970), not truncated';

CREATE FUNCTION brent_mdm.double_metaphone(name text) RETURNS text
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
  AS 'MODULE_PATHNAME', 'match_double_metaphone';
COMMENT ON FUNCTION brent_mdm.double_metaphone(text) IS
  'Double Metaphone primary code (Philips 2000), 4 characters';

CREATE FUNCTION brent_mdm.double_metaphone(name text, max_length integer) RETURNS text
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
  AS 'MODULE_PATHNAME', 'match_double_metaphone';
COMMENT ON FUNCTION brent_mdm.double_metaphone(text, integer) IS
  'Double Metaphone primary code of up to max_length (1 to 64) characters';

CREATE FUNCTION brent_mdm.double_metaphone_alt(name text) RETURNS text
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
  AS 'MODULE_PATHNAME', 'match_double_metaphone_alt';
COMMENT ON FUNCTION brent_mdm.double_metaphone_alt(text) IS
  'Double Metaphone alternate code, 4 characters (the primary when there is no alternate)';

CREATE FUNCTION brent_mdm.double_metaphone_alt(name text, max_length integer) RETURNS text
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
  AS 'MODULE_PATHNAME', 'match_double_metaphone_alt';
COMMENT ON FUNCTION brent_mdm.double_metaphone_alt(text, integer) IS
  'Double Metaphone alternate code of up to max_length (1 to 64) characters';

-- dates
CREATE FUNCTION brent_mdm.date_agreement(a date, b date) RETURNS text
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF
  AS 'MODULE_PATHNAME', 'match_date_agreement';
COMMENT ON FUNCTION brent_mdm.date_agreement(date, date) IS
  'Agreement of two dates: exact, day_month_transposed, one_digit_differs, same_month_year, within_one_year, same_day_month or different';

GRANT EXECUTE ON FUNCTION brent_mdm.soundex(text), brent_mdm.nysiis(text),
  brent_mdm.double_metaphone(text), brent_mdm.double_metaphone(text, integer),
  brent_mdm.double_metaphone_alt(text), brent_mdm.double_metaphone_alt(text, integer),
  brent_mdm.date_agreement(date, date) TO PUBLIC;
