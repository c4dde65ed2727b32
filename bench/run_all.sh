#!/usr/bin/env bash
# Runs bench/<name>.sh (or all of them) inside the throwaway cluster ./run bench made.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ -n "${1:-}" ]; then
  [ -f "$here/$1.sh" ] || { echo "no benchmark bench/$1.sh" >&2; exit 2; }
  bash "$here/$1.sh"
else
  for b in "$here"/*.sh; do
    [ "$(basename "$b")" = run_all.sh ] && continue
    bash "$b"
  done
fi
