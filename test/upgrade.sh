#!/usr/bin/env bash
# ALTER EXTENSION brent_mdm UPDATE from every released version: each frozen
# install script in src/releases/ (brent_mdm--X.sql, installed with the
# extension) is installed, updated to the current version along the upgrade
# scripts in src/updates/, and its catalogue compared with a fresh install of
# the current version.  Prints TAP.
set -euo pipefail
cd "$(dirname "$0")/.."
current=$(sed -n "s/^default_version *= *'\(.*\)'/\1/p" brent_mdm.control)
releases=$(ls src/releases/brent_mdm--*.sql 2>/dev/null | sed 's/.*brent_mdm--\(.*\)\.sql/\1/' || true)

# Everything the extension owns, described so that two installs can be compared.
catalogue() {
  psql -X -Atd "$1" <<'SQL'
SELECT pg_describe_object(d.classid, d.objid, d.objsubid) || ' ' ||
       coalesce(md5(CASE WHEN d.classid = 'pg_proc'::regclass THEN
                           CASE WHEN (SELECT prokind FROM pg_proc WHERE oid = d.objid) = 'a'
                                -- pg_get_functiondef refuses aggregates: their support functions and state
                                THEN (SELECT concat_ws(' ', a.aggkind, a.aggnumdirectargs, a.aggtransfn, a.aggfinalfn,
                                                       a.aggcombinefn, a.aggserialfn, a.aggdeserialfn, a.aggmtransfn,
                                                       a.aggminvtransfn, a.aggmfinalfn, a.aggfinalextra, a.aggfinalmodify,
                                                       a.aggsortop::regoperator, format_type(a.aggtranstype, NULL),
                                                       a.aggtransspace, a.agginitval, p.proparallel)
                                        FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
                                       WHERE a.aggfnoid = d.objid)
                                ELSE pg_get_functiondef(d.objid) END
                         WHEN d.classid = 'pg_class'::regclass THEN
                           (SELECT string_agg(a.attname || ':' || format_type(a.atttypid, a.atttypmod), ',' ORDER BY a.attnum)
                              FROM pg_attribute a WHERE a.attrelid = d.objid AND a.attnum > 0 AND NOT a.attisdropped)
                    END), '')
  FROM pg_depend d
 WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'brent_mdm')
 ORDER BY 1;
SQL
}

createdb brent_mdm_fresh
psql -X -q -d brent_mdm_fresh -c "SET client_min_messages = warning; CREATE EXTENSION brent_mdm CASCADE"
fresh=$(catalogue brent_mdm_fresh)

count=$(printf '%s\n' $releases | sed '/^$/d' | wc -l)
echo "1..$((count * 2 + 1))"
echo "ok 1 - current version $current installs fresh ($(printf '%s\n' "$fresh" | wc -l) objects)"
n=1; fail=0
[ "$count" -eq 0 ] && echo "# no earlier release in src/releases: $current is the first released version"
for v in $releases; do
  db="brent_mdm_from_${v//./_}"
  createdb "$db"
  n=$((n+1))
  if psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "SET client_min_messages = warning; CREATE EXTENSION brent_mdm VERSION '$v' CASCADE; ALTER EXTENSION brent_mdm UPDATE" &&
     [ "$(psql -X -Atd "$db" -c "SELECT extversion FROM pg_extension WHERE extname = 'brent_mdm'")" = "$current" ]; then
    echo "ok $n - $v updates to $current"
  else
    echo "not ok $n - $v updates to $current"; fail=1
  fi
  n=$((n+1))
  if diff <(printf '%s\n' "$fresh") <(catalogue "$db") >/dev/null; then
    echo "ok $n - $v updated has the same catalogue as a fresh $current"
  else
    echo "not ok $n - $v updated differs from a fresh $current:"; fail=1
    diff <(printf '%s\n' "$fresh") <(catalogue "$db") | sed 's/^/# /'
  fi
done
exit $fail
