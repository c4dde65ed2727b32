#!/usr/bin/env bash
# Family formation from the Client Index (issue 14): a borough of BRENT_PEOPLE
# people (default 100000), its Client Index, then brent_mdm.family_units on the
# borough's reference date, timed, with pairwise precision and recall of "same
# family" against the truth households (bench/family_accuracy.sql).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
people=${BRENT_PEOPLE:-100000}
db=brent_mdm_bench_families
dropdb --if-exists "$db" >/dev/null 2>&1 || true
createdb "$db"
psql -X -q -v ON_ERROR_STOP=1 -d "$db" <<SQL
SET client_min_messages = warning;
CREATE EXTENSION brent_mdm CASCADE;
SELECT count(*) FROM brent_mdm.generate_borough($people, seed => 1);
SELECT count(*) FROM brent_mdm.client_index_load('borough.person_record');
-- family_units reads the parents' names (health visiting, early years) and the
-- UPRNs (council tax, housing, electoral register) of located datasets
SELECT brent_mdm.scorecard_locate('borough');
SQL
echo "# families: $people people"
psql -X -q -v ON_ERROR_STOP=1 -v d=2026-03-31 -d "$db" <<SQL
\timing on
SELECT count(*) AS family_rows FROM brent_mdm.family_units('2026-03-31');
\timing off
\i $here/family_accuracy.sql
SELECT * FROM family_accuracy;
SQL
dropdb "$db"
