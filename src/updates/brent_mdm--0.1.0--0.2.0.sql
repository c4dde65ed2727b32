/*
 * brent_mdm 0.1.0 to @EXTVERSION@: changes to objects of 0.1.0; make appends
 * the SQL files of the modules added since (MODULES_SQL_NEW in the Makefile).
 */
\echo Use "ALTER EXTENSION brent_mdm UPDATE" to load this file. \quit

CREATE OR REPLACE FUNCTION brent_mdm.version() RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT '@EXTVERSION@'::text $$;
