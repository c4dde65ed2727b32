
-- ---- match: the name variant dictionary ----
-- Shipped seed (not dumped: CREATE EXTENSION makes it), the DBA's own
-- additions and removals (dumped by pg_dump), and the effective view.
CREATE TABLE brent_mdm.name_variant_seed (
  name    text NOT NULL,
  variant text NOT NULL,
  kind    text NOT NULL CHECK (kind IN ('nickname', 'spelling', 'transliteration')),
  source  text NOT NULL,
  PRIMARY KEY (name, variant)
);
COMMENT ON TABLE brent_mdm.name_variant_seed IS
  'Name variants shipped with brent_mdm (nicknames.csv, Apache 2.0; name_spellings.csv); change brent_mdm.name_variant instead';

CREATE TABLE brent_mdm.name_variant (
  name     text NOT NULL,
  variant  text NOT NULL,
  kind     text NOT NULL DEFAULT 'spelling'
           CHECK (kind IN ('nickname', 'spelling', 'transliteration')),
  action   text NOT NULL DEFAULT 'add' CHECK (action IN ('add', 'remove')),
  note     text,
  added_by name NOT NULL DEFAULT current_user,
  added_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (name, variant),
  CHECK (name <> '' AND variant <> '' AND name <> variant)
);
COMMENT ON TABLE brent_mdm.name_variant IS
  'The DBA''s name variants: action add (a new pair) or remove (hides a seeded pair); names are normalised on write';
SELECT pg_catalog.pg_extension_config_dump('brent_mdm.name_variant', '');

CREATE FUNCTION brent_mdm.name_variant_normalise() RETURNS trigger
  LANGUAGE plpgsql SET search_path = pg_catalog, brent_mdm
  AS $$
BEGIN
  NEW.name := brent_mdm.normalise_name(NEW.name);
  NEW.variant := brent_mdm.normalise_name(NEW.variant);
  IF NEW.name = '' OR NEW.variant = '' THEN
    RAISE EXCEPTION 'a name variant needs two names'
      USING ERRCODE = '22023', DETAIL = 'After normalisation one of them is empty.';
  END IF;
  IF NEW.name = NEW.variant THEN
    RAISE EXCEPTION 'a name is not a variant of itself: %', NEW.name
      USING ERRCODE = '22023', HINT = 'Give two different names.';
  END IF;
  RETURN NEW;
END $$;
COMMENT ON FUNCTION brent_mdm.name_variant_normalise() IS
  'Internal trigger: stores name variants in normalised form and refuses empty or identical pairs';

REVOKE ALL ON FUNCTION brent_mdm.name_variant_normalise() FROM PUBLIC;
CREATE TRIGGER name_variant_normalise BEFORE INSERT OR UPDATE ON brent_mdm.name_variant
  FOR EACH ROW EXECUTE FUNCTION brent_mdm.name_variant_normalise();

CREATE FUNCTION brent_mdm.name_variant_changed() RETURNS trigger
  LANGUAGE c AS 'MODULE_PATHNAME', 'match_name_variant_changed';
COMMENT ON FUNCTION brent_mdm.name_variant_changed() IS
  'Internal trigger: makes every session reload the name variant dictionary after a change commits';
REVOKE ALL ON FUNCTION brent_mdm.name_variant_changed() FROM PUBLIC;
CREATE TRIGGER name_variant_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
  ON brent_mdm.name_variant FOR EACH STATEMENT EXECUTE FUNCTION brent_mdm.name_variant_changed();
CREATE TRIGGER name_variant_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
  ON brent_mdm.name_variant_seed FOR EACH STATEMENT EXECUTE FUNCTION brent_mdm.name_variant_changed();

CREATE VIEW brent_mdm.name_variants AS
  SELECT s.name, s.variant, s.kind, s.source
    FROM brent_mdm.name_variant_seed s
   WHERE NOT EXISTS (SELECT 1 FROM brent_mdm.name_variant r
                      WHERE r.action = 'remove' AND r.name = s.name AND r.variant = s.variant)
  UNION
  SELECT a.name, a.variant, a.kind, 'local'
    FROM brent_mdm.name_variant a WHERE a.action = 'add';
COMMENT ON VIEW brent_mdm.name_variants IS
  'The name variant dictionary in use: the seed, plus the DBA''s additions, less the removals';

-- Reference data, not personal data: readable by all (name_keys and
-- name_similarity read it with the caller's rights).
GRANT SELECT ON brent_mdm.name_variant_seed, brent_mdm.name_variant, brent_mdm.name_variants TO PUBLIC;

CREATE FUNCTION brent_mdm.name_keys(name text) RETURNS text[]
  LANGUAGE c STABLE STRICT PARALLEL SAFE
  AS 'MODULE_PATHNAME', 'match_name_keys';
COMMENT ON FUNCTION brent_mdm.name_keys(text) IS
  'Blocking keys of a name, per token: n: normalised, s: consonant skeleton, p: Double Metaphone codes, v: dictionary canonical names';

CREATE FUNCTION brent_mdm.name_similarity(a text, b text) RETURNS float8
  LANGUAGE c STABLE STRICT PARALLEL SAFE
  AS 'MODULE_PATHNAME', 'match_name_similarity';
COMMENT ON FUNCTION brent_mdm.name_similarity(text, text) IS
  'Similarity (0 to 1) of two full names, tolerating order, initials, missing middle names, double surnames and known variants';

GRANT EXECUTE ON FUNCTION brent_mdm.name_keys(text), brent_mdm.name_similarity(text, text) TO PUBLIC;
