#!/usr/bin/env bash
# The BI path: a DSN-less ODBC session through psqlODBC (as Power BI, Tableau or
# Excel would use) connects to the cluster and reads generated data, compared
# with what psql reads.  Prints TAP.
set -euo pipefail
driver=/usr/lib/x86_64-linux-gnu/odbc/psqlodbcw.so
[ -f "$driver" ] || driver=$(find /usr/lib -name psqlodbcw.so 2>/dev/null | head -n 1)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/odbcinst.ini" <<INI
[PostgreSQL Unicode]
Description = psqlODBC (Unicode)
Driver = $driver
INI
export ODBCSYSINI=$work ODBCINI=$work/odbc.ini
: > "$work/odbc.ini"

db=brent_mdm_odbc
createdb "$db"
psql -X -q -d "$db" -v ON_ERROR_STOP=1 <<'SQL' >/dev/null
SET client_min_messages = warning;
CREATE EXTENSION brent_mdm CASCADE;
SELECT * FROM brent_mdm.generate_borough(2000, 3);
SQL

conn="DRIVER={PostgreSQL Unicode};SERVER=${PGHOST:-localhost};PORT=${PGPORT:-5432};DATABASE=$db;UID=${PGUSER:-$USER};PWD=${PGPASSWORD:-}"
odbc() { printf '%s\n' "$1" | isql -b -k -d'|' -x0x09 "$conn" 2>&1; }
ask() { odbc "$1" | grep -v '^SQL>' | sed '/^$/d' | head -n 1 | tr -d '\r'; }

echo "1..4"
n=0; fail=0
check() {  # description, expected, got
  n=$((n+1))
  if [ "$2" = "$3" ]; then echo "ok $n - $1"; else echo "not ok $n - $1 (expected '$2', got '$3')"; fail=1; fi
}

got=$(ask "SELECT brent_mdm.version()")
check "connects through psqlODBC and calls the extension" "$(psql -X -Atd "$db" -c 'SELECT brent_mdm.version()')" "$got"
got=$(ask "SELECT count(*) FROM borough.council_tax")
check "reads a source system" "$(psql -X -Atd "$db" -c 'SELECT count(*) FROM borough.council_tax')" "$got"
got=$(ask "SELECT count(*) FROM borough.ward WHERE ST_IsValid(geom)")
check "reads the ward geometry" "22" "$got"
q="SELECT child_forename FROM borough.health_visiting WHERE child_forename ~ '[^ -~]' ORDER BY hv_client_id LIMIT 1"
got=$(ask "$q")
check "non-Latin names arrive intact (UTF-8)" "$(psql -X -Atd "$db" -c "$q")" "$got"
exit $fail
