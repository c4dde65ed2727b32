-- Installing, the extension's objects, and a clean uninstall.
SET client_min_messages = warning;
CREATE EXTENSION brent_mdm CASCADE;
SELECT extname, extversion = brent_mdm.version() AS version_matches, extrelocatable
  FROM pg_extension WHERE extname = 'brent_mdm';
-- the schema belongs to the extension, and every member object is in it
SELECT count(*) AS schema_is_member FROM pg_depend
 WHERE classid = 'pg_namespace'::regclass AND objid = 'brent_mdm'::regnamespace
   AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'brent_mdm') AND deptype = 'e';
SELECT count(*) AS functions_outside_schema FROM pg_depend d JOIN pg_proc p ON p.oid = d.objid
 WHERE d.classid = 'pg_proc'::regclass AND d.deptype = 'e'
   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'brent_mdm')
   AND p.pronamespace <> 'brent_mdm'::regnamespace;
-- requires postgis: CASCADE installed it
SELECT count(*) AS postgis_installed FROM pg_extension WHERE extname = 'postgis';

-- every member object, by kind
SELECT pg_describe_object(classid, objid, 0) AS object
  FROM pg_depend
 WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
   AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'brent_mdm')
 ORDER BY 1;

-- DROP EXTENSION leaves nothing behind: no schema, no function, no type
DROP EXTENSION brent_mdm;
SELECT count(*) AS schemas_left FROM pg_namespace WHERE nspname = 'brent_mdm';
SELECT count(*) AS functions_left FROM pg_proc WHERE proname IN ('generate_borough', 'version')
   AND pronamespace NOT IN ('pg_catalog'::regnamespace);
-- and installs again in the same database
CREATE EXTENSION brent_mdm;
SELECT brent_mdm.version() = (SELECT default_version FROM pg_available_extensions
                               WHERE name = 'brent_mdm') AS reinstalled;
