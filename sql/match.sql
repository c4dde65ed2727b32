-- Matching primitives: published reference values, edge cases, UK identifiers.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS brent_mdm CASCADE;
SET search_path = brent_mdm, public;
SET extra_float_digits = 0;

-- Winkler's and the textbooks' examples
SELECT a, b, round(jaro(a, b)::numeric, 4) AS jaro, round(jaro_winkler(a, b)::numeric, 4) AS jaro_winkler
  FROM (VALUES ('MARTHA', 'MARHTA'), ('DWAYNE', 'DUANE'), ('DIXON', 'DICKSONX'),
               ('JELLYFISH', 'SMELLYFISH'), ('CRATE', 'TRACE'), ('SHACKLEFORD', 'SHACKELFORD')) v(a, b);
-- the prefix scale, and its bounds
SELECT round(jaro_winkler('MARTHA', 'MARHTA', 0.2)::numeric, 4) AS p02,
       round(jaro_winkler('MARTHA', 'MARHTA', 0)::numeric, 4) AS p0;
SELECT jaro_winkler('MARTHA', 'MARHTA', 0.3);

-- edge cases: empty, one character, identical, NULL
SELECT jaro('', '') AS both_empty, jaro('', 'a') AS one_empty, jaro('a', 'a') AS one_char,
       jaro('a', 'b') AS differ, jaro_winkler('Smith', 'Smith') AS identical,
       jaro(NULL, 'a') IS NULL AS null_is_null;
SELECT levenshtein('', '') AS e0, levenshtein('', 'abc') AS e3, levenshtein('kitten', 'sitting') AS kitten,
       levenshtein('flaw', 'lawn') AS flaw, damerau_levenshtein('ab', 'ba') AS osa_swap,
       levenshtein('ab', 'ba') AS lev_swap, damerau_levenshtein('CA', 'ABC') AS osa_ca_abc;

-- characters, not bytes: accented, other scripts, emoji, combining marks
SELECT levenshtein('Zoë', 'Zoe') AS zoe, levenshtein('Łukasz', 'Lukasz') AS lukasz,
       levenshtein('محمد', 'محمود') AS arabic, levenshtein('😀😀', '😀') AS emoji,
       levenshtein('é', 'e' || U&'\0301') AS combining,
       levenshtein(normalise_name('é'), normalise_name('e' || U&'\0301')) AS combining_normalised,
       round(jaro_winkler('José', 'Jose')::numeric, 4) AS jose;

-- long strings: no length limit (1,000,000 characters), bit-parallel blocks
SELECT levenshtein(repeat('a', 1000000), repeat('a', 999999) || 'b') AS million,
       levenshtein_within(repeat('ab', 500000), repeat('ab', 499999) || 'ba', 2) AS million_within,
       levenshtein(repeat('abcdefghij', 30), repeat('abcdefghij', 29) || 'abcdexghij') AS blocks,
       levenshtein(repeat('xy', 200), repeat('yx', 200)) AS shifted,
       damerau_levenshtein(repeat('xy', 100), repeat('yx', 100)) AS osa_long,
       round(jaro(repeat('abcd', 2000), repeat('abdc', 2000))::numeric, 4) AS jaro_long;

-- levenshtein_within: early exit, and the same answer as levenshtein
SELECT k, levenshtein_within('kitten', 'sitting', k) AS within FROM generate_series(-1, 4) k;

SELECT jaccard_tokens('john paul smith', 'smith john') AS two_of_three,
       jaccard_tokens('', '') AS both_empty, jaccard_tokens('a a b', 'b a') AS sets;

-- phonetic codes (National Archives Soundex: H and W do not separate)
SELECT x, soundex(x), nysiis(x), double_metaphone(x), double_metaphone_alt(x)
  FROM unnest(ARRAY['Robert', 'Rupert', 'Ashcraft', 'Tymczak', 'Pfister', 'Honeyman', 'Knight',
                    'Schmidt', 'Mohammed', 'محمد', 'Zoë', '', '123']) x;
SELECT double_metaphone('Cunningham', 10) AS long_code, double_metaphone('Cunningham') AS code;
SELECT double_metaphone('Cunningham', 0);

-- names across scripts
SELECT x, normalise_name(x)
  FROM unnest(ARRAY['Mr John SMITH', 'O''Brien, Seán', '  Smith--Jones  ', 'Dr. Jane Doe Jr.',
                    'محمد', 'মোহাম্মদ', 'રાજેશ પટેલ', 'ਗੁਰਪ੍ਰੀਤ ਸਿੰਘ', 'प्रिया शर्मा', 'Дмитро Мельник',
                    'Γιώργος', 'José Gonçalves', 'Łukasz Wiśniewski', 'Strauß', 'Jo😀hn', 'Mrs', '',
                    'சுரேஷ்', 'රුවන්', 'ප්‍රියා', 'فاطمة', 'عمر', 'عثمان', '王小明', 'بٹ', 'ڈار', 'ګلالۍ']) x;
SELECT x, name_keys(x)
  FROM unnest(ARRAY['Mohammed', 'Muhammad', 'Mohamed', 'محمد', 'Chaudhry', 'Choudhury', 'Bob', '',
                    'Cabdiraxmaan', 'Abdirahman', 'Jaswinder', 'ਜਸਵਿੰਦਰ']) x;
-- every spelling of Mohammed shares a key with every other
SELECT bool_and(name_keys(a) && name_keys(b)) AS all_share_a_key
  FROM unnest(ARRAY['Mohammed', 'Muhammad', 'Mohamed', 'محمد', 'Mohammad']) a,
       unnest(ARRAY['Mohammed', 'Muhammad', 'Mohamed', 'محمد', 'Mohammad']) b;
SELECT a, b, round(name_similarity(a, b)::numeric, 3) AS similarity
  FROM (VALUES ('John Smith', 'SMITH, John'), ('John Paul Smith', 'John Smith'),
               ('J Smith', 'John Smith'), ('Bob Smith', 'Robert Smith'),
               ('Maria Silva Santos', 'Maria Santos'), ('Ana Silva-Santos', 'Ana Silva Santos'),
               ('Mohammed Ali', 'Muhammad Ali'), ('محمد علي', 'Mohammed Ali'),
               ('Rajesh Patel', 'રાજેશ પટેલ'), ('John Smith', 'Jane Doe'), ('John', 'John Smith'),
               ('', '')) v(a, b);

-- the dictionary: the DBA adds and removes pairs; every session sees them
INSERT INTO name_variant (name, variant, kind) VALUES ('Tunde', 'Babatunde', 'nickname');
SELECT name, variant, kind, action FROM name_variant;
SELECT name_keys('Tunde') @> ARRAY['v:tunde'] AS added,
       round(name_similarity('Tunde Bakare', 'Babatunde Bakare')::numeric, 3) AS similarity;
INSERT INTO name_variant (name, variant, action) VALUES ('robert', 'bob', 'remove');
SELECT name_keys('Bob') @> ARRAY['v:robert'] AS bob_is_still_robert;
INSERT INTO name_variant (name, variant) VALUES ('Smith', 'SMITH');
INSERT INTO name_variant (name, variant) VALUES ('Mr', 'Smith');
DELETE FROM name_variant;
SELECT name_keys('Bob') @> ARRAY['v:robert'] AS bob_is_robert_again;

-- dates of birth
SELECT a, b, date_agreement(a, b)
  FROM (VALUES (date '1980-03-04', date '1980-03-04'), ('1980-03-04', '1980-04-03'),
               ('1980-03-04', '1980-03-07'), ('1980-03-04', '1981-03-04'), ('1980-03-04', '1980-03-24'),
               ('1980-03-04', '1980-03-29'), ('1980-03-04', '1980-11-20'), ('1980-03-04', '1975-03-04'),
               ('1980-03-04', '1975-06-04'), ('1980-01-01', '1975-01-01'), ('infinity', 'infinity'),
               ('1980-03-04', 'infinity')) v(a, b);

-- postcodes: the six formats and GIR 0AA, any spacing and case
SELECT x, postcode_is_valid(x) AS valid, postcode_normalise(x) AS normalised, postcode_area(x) AS area,
       postcode_district(x) AS district, postcode_sector(x) AS sector
  FROM unnest(ARRAY['M1 1AE', 'B33 8TH', 'CR2 6XH', 'DN55 1PT', 'W1A 0AX', 'EC1A 1BB', 'gir0aa',
                    ' ha9  6ab ', 'nw106xy', 'QA1 1AA', 'AI1 1AA', 'W1Z 1AA', 'EC1C 1BB', 'HA9 6AC',
                    'HA96A', 'HA9 6ABC', 'HA99 9999', '', 'ＨＡ９ ６ＡＢ']) x;
SELECT a, b, postcode_agreement(a, b)
  FROM (VALUES ('HA9 6AB', 'ha96ab'), ('HA9 6AB', 'HA9 6ZZ'), ('HA9 6AB', 'HA9 0AB'),
               ('HA9 6AB', 'HA0 1AA'), ('HA9 6AB', 'NW10 1AA'), ('HA9 6AB', 'nonsense')) v(a, b);

-- NHS numbers: modulus 11 (a remainder giving 10 is never valid)
SELECT x, nhs_number_is_valid(x)
  FROM unnest(ARRAY['9434765919', '943 476 5919', '943-476-5919', '9434765918', '943476591',
                    '94347659190', '0000000060', '0000000061', 'abcdefghij', '']) x;
-- National Insurance numbers: HMRC's prefix and suffix rules
SELECT x, ni_number_is_valid(x)
  FROM unnest(ARRAY['AB123456C', 'ab 12 34 56 c', 'DA123456C', 'AO123456C', 'GB123456A',
                    'TN123456A', 'AB123456E', 'AB12345C', 'OA123456D', '']) x;
-- unique pupil numbers: DfE check letter, permanent and temporary
SELECT x, upn_is_valid(x)
  FROM unnest(ARRAY['B304200022000', 'b304 2000 22000', 'Q304200022001', 'B30420002200A',
                    'A304200022000', 'B30420002200', 'I304200022000', '']) x;
