#!/usr/bin/env bash
# The demo as a new user first sees it (./run demo), on a small borough: it runs to
# the end, psql reports no error of its own (a quoting slip in an \echo line), and
# the only server error is the refusal the demo shows on purpose.  Prints TAP.
set -uo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp) err=$(mktemp)
reset() { dropdb --if-exists brent_demo 2>/dev/null; }   # the demo's roles may stay (and be others')
reset
BRENT_PEOPLE=3000 bash demo/demo.sh >"$out" 2>"$err"
rc=$?
echo "1..4"
fail=0
check() { if [ "$2" = "$3" ]; then echo "ok $1 - $4"; else echo "not ok $1 - $4 (expected '$2', got '$3')"; fail=1; fi; }
check 1 0 "$rc" "the demo runs to its end"
check 2 0 "$(grep -c 'psql: error\|unterminated\|invalid command' "$err")" "psql reports no error of its own"
check 3 1 "$(grep -c 'ERROR:' "$err")" "one server error: the refusal the demo shows on purpose"
check 4 1 "$(grep -c 'may not act under DPIA "adult_social_care"' "$err")" "... which is the refusal of an ungranted DPIA"
reset
rm -f "$out" "$err"
exit $fail
