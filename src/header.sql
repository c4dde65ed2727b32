/*
 * brent_mdm @EXTVERSION@: install script, assembled by make from the modules'
 * SQL files (src/<module>/<module>.sql).  Do not edit the assembled file.
 */
\echo Use "CREATE EXTENSION brent_mdm CASCADE" to load this file. \quit

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
