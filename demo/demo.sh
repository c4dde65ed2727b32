#!/usr/bin/env bash
# The demo, run inside a throwaway cluster (./run demo sets PG* for it).
set -euo pipefail
here=$(dirname "$0")
people=${BRENT_PEOPLE:-100000}
createdb brent_demo
export PGDATABASE=brent_demo
psql -X -q -v ON_ERROR_STOP=1 -v people="$people" -f "$here/demo.sql"
