/*
 * brent_mdm @EXTVERSION@: install script, assembled by make from the modules'
 * SQL files (src/<module>/<module>.sql).  Do not edit the assembled file.
 */
\echo Use "CREATE EXTENSION brent_mdm CASCADE" to load this file. \quit

-- Names are compared by characters and transliterated to Latin through UTF-8: a
-- database whose encoding has no conversion to UTF-8 (SQL_ASCII, which declares
-- none, or MULE_INTERNAL) cannot be served, and is refused here rather than
-- given wrong answers.
DO $$
BEGIN
  IF pg_catalog.current_setting('server_encoding') <> 'UTF8' AND NOT EXISTS (
       SELECT FROM pg_catalog.pg_conversion
        WHERE conforencoding = pg_catalog.pg_char_to_encoding(pg_catalog.current_setting('server_encoding'))
          AND contoencoding = pg_catalog.pg_char_to_encoding('UTF8') AND condefault) THEN
    RAISE EXCEPTION 'brent_mdm cannot be installed in a database of encoding %',
                    pg_catalog.current_setting('server_encoding')
      USING ERRCODE = 'feature_not_supported',
            DETAIL = 'brent_mdm compares names by characters and transliterates them from their script through UTF-8; '
                     'this encoding has no conversion to UTF-8 (SQL_ASCII declares no encoding at all), so a name''s '
                     'characters cannot be told apart.',
            HINT = 'Install it in a UTF8 database: CREATE DATABASE ... ENCODING ''UTF8'' TEMPLATE template0.';
  END IF;
END
$$;

-- The script makes the schema (the control file names none), so the schema is a
-- member of the extension and DROP EXTENSION removes it with everything in it.
CREATE SCHEMA brent_mdm;

COMMENT ON SCHEMA brent_mdm IS
  'brent_mdm: client index, person matching, DPIA-aware access policy and indicator analytics';

-- Nothing in this schema is for PUBLIC unless granted below, function by function.
REVOKE ALL ON SCHEMA brent_mdm FROM PUBLIC;
GRANT USAGE ON SCHEMA brent_mdm TO PUBLIC;

CREATE FUNCTION brent_mdm.version() RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT '@EXTVERSION@'::text $$;
COMMENT ON FUNCTION brent_mdm.version() IS 'Version of the brent_mdm install script';
