#!/usr/bin/env bash
# The demo, run inside a throwaway cluster (./run demo sets PG* for it).
set -euo pipefail
here=$(dirname "$0")
people=${BRENT_PEOPLE:-100000}
createdb brent_demo
export PGDATABASE=brent_demo
# the JAG pack's SVG map and GeoJSON layer are written here
outdir=${BRENT_DEMO_OUT:-$PWD/brent_demo_output}
mkdir -p "$outdir"
chmod 777 "$outdir" 2>/dev/null || true
psql -X -q -v ON_ERROR_STOP=1 -v people="$people" -v outdir="$outdir" -f "$here/demo.sql"
