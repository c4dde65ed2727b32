#!/usr/bin/env bash
# The demo as a new user first sees it (./run demo), on a small borough: it runs to
# the end, psql reports no error of its own (a quoting slip in an \echo line), and
# the only server error is the refusal the demo shows on purpose.  Prints TAP.
set -uo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp) err=$(mktemp)
reset() { dropdb --if-exists brent_demo 2>/dev/null; }   # the demo's roles may stay (and be others')
reset
maps=$(mktemp -d)
BRENT_PEOPLE=3000 BRENT_DEMO_OUT="$maps" bash demo/demo.sh >"$out" 2>"$err"
rc=$?
echo "1..19"
fail=0
check() { if [ "$2" = "$3" ]; then echo "ok $1 - $4"; else echo "not ok $1 - $4 (expected '$2', got '$3')"; fail=1; fi; }
check 1 0 "$rc" "the demo runs to its end"
check 2 0 "$(grep -c 'psql: error\|unterminated\|invalid command' "$err")" "psql reports no error of its own"
check 3 2 "$(grep -c 'ERROR:' "$err")" "two server errors: the refusals the demo shows on purpose"
check 4 1 "$(grep -c 'may not act under DPIA "adult_social_care"' "$err")" "... which is the refusal of an ungranted DPIA"
# the under-fives query ran as ey_analyst under the Early Years DPIA, over the Client
# Index's masking views, found families the truth confirms, and was audited as such
found=$(grep -A2 'true_families | families_found | found_and_true' "$out" | tail -1 | awk -F'|' '{gsub(/ /,""); print ($2 > 0 && $3 > 0) ? "yes" : "no"}')
check 5 yes "$found" "the analyst's under-fives query over the Client Index finds families the truth confirms"
check 6 2 "$(grep -cE '^ ey_analyst +\| early_years +\| select +\| brent_mdm\.client(_record)? ' "$out")" "its reads of client and client_record are audited under early_years"
# the indicators defined on the borough follow a change: each equal to a recount
check 7 3 "$(grep -cE '^ (asb_by_ward_month|csc_referrals|unauthorised_absence) +\| +0$' "$out")" "three indicators, changed, each equal to a recount (verify_indicator = 0)"
# the JAG pack: an SVG map and a GeoJSON FeatureCollection, written to files
check 8 yes "$(perl -ne 'BEGIN { undef $/ } print(/\A<svg xmlns="http:\/\/www.w3.org\/2000\/svg".*<title>Anti-social behaviour hot spots, March 2026<\/title>.*<\/svg>\s*\z/s ? "yes" : "no")' "$maps/jag_hotspots_2026-03.svg" 2>/dev/null)" "the demo writes the SVG map of March 2026"
check 9 yes "$(perl -MJSON::PP -e 'local $/; open my $f, "<", $ARGV[0] or die; my $j = decode_json(<$f>); print(($j->{type} eq "FeatureCollection" && ref $j->{features} eq "ARRAY") ? "yes" : "no")' "$maps/jag_hotspots_2026-03.geojson" 2>/dev/null)" "the demo writes a GeoJSON FeatureCollection that parses"
# the scorecard: printed by ward, and checked against the truth (eligible families found and true)
check 10 yes "$(grep -E '^ eligible +\| +[0-9]+ \| +[0-9]+ \|' "$out" | awk -F'|' '{gsub(/ /,""); print ($2 > 0 && $4 > 0) ? "yes" : "no"}')" "the scorecard finds eligible families the truth confirms"
# the pictures: the scorecard's ward map and Brent's crime chart, written as SVG files that parse
check 11 yes "$(xmllint --noout "$maps/scorecard_eligible_by_ward_2026-03.svg" 2>/dev/null && grep -c '<path ' "$maps/scorecard_eligible_by_ward_2026-03.svg" >/dev/null && echo yes || echo no)" "the demo writes the scorecard's ward map (SVG)"
check 12 yes "$(xmllint --noout "$maps/brent_crime_2014-2016.svg" 2>/dev/null && grep -q 'id="trend"' "$maps/brent_crime_2014-2016.svg" && echo yes || echo no)" "the demo writes Brent's crime chart with its trend line (SVG)"
# the child's single view: refused without a purpose, then given under the DPIA and audited with the child's id
check 13 1 "$(grep -c 'child_view' "$err" | awk '{print ($1 >= 1) ? 1 : 0}')" "the child's view without a purpose is refused"
check 14 yes "$(grep -E '^ social_worker +\| child_safeguarding +\| child_view +\| +1$' "$out" >/dev/null && echo yes || echo no)" "the child's view under the DPIA is audited with the child's client id"
# open data: the CSV (a header, suppressed cells marked c, no count from 1 to 9) and its CSVW metadata
check 15 yes "$(perl -MJSON::PP -e 'local $/; open my $m, "<", $ARGV[1] or die; my $j = decode_json(<$m>); open my $c, "<", $ARGV[0] or die; my @l = split /\r?\n/, <$c>; my $bad = grep { my @f = split /,/; $f[2] ne "" && $f[2] =~ /^\d+$/ && ($f[2] >= 1 && $f[2] <= 9 || $f[2] % 5) } @l[1..$#l]; print(($l[0] eq "ward_code,period,value,note" && !$bad && $j->{"brent:disclosureControl"}{rule} eq "suppress") ? "yes" : "no")' "$maps/asb_by_ward_month.csv" "$maps/asb_by_ward_month.csv-metadata.json" 2>/dev/null)" "the demo publishes an indicator: CSV through disclosure control, CSVW metadata"
# the catalogue's safety theme by ward with trends, and its dashboard page (XHTML that parses, a section
# per installed indicator); drawn to a PNG when Debian's chromium is there (the demo says so otherwise)
check 16 yes "$(grep -qE '^ Anti-social behaviour incidents +\| 2026-01-01 \| +[0-9.]+ \| per 1,000 residents +\| (improving|worsening|no significant change|not enough data) ' "$out" \
  && [ "$(grep -cE '^ [A-Z][A-Za-z ]+ +\| [0-9.]+ \(#[0-9]+\) (improving|worsening|no significant change|not enough data) +\|' "$out")" -ge 22 ] && echo yes || echo no)" "the demo prints the safety theme by indicator and by ward, with trends"
check 17 yes "$(xmllint --noout "$maps/safety_dashboard.html" 2>/dev/null \
  && [ "$(grep -o '<section class="indicator" id="[a-z_0-9]*"' "$maps/safety_dashboard.html" | sort -u | wc -l)" = "$(grep -A2 'safety_indicators | rollups_defined' "$out" | tail -1 | awk -F'|' '{gsub(/ /, "", $1); print $1}')" ] \
  && grep -q '<table class="wards">' "$maps/safety_dashboard.html" && echo yes || echo no)" "the demo writes the safety dashboard: XHTML that parses, a section per installed indicator"
if [ -x /usr/bin/chromium ]; then
  check 18 yes "$([ "$(head -c 8 "$maps/safety_dashboard.png" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] && grep -qx "$maps/safety_dashboard.png" "$out" && echo yes || echo no)" "chromium draws the dashboard to a PNG, and the demo says where"
else
  check 18 yes "$(grep -q 'chromium is not installed' "$out" && [ ! -e "$maps/safety_dashboard.png" ] && echo yes || echo no)" "no chromium: the demo says so and goes on"
fi
check 19 yes "$(grep -qE '^ GLA_Population_Estimate_2017 +\| +332100 \| 6 of 33 +\| +1 \| +8835500 \| +55609600$' "$out" && echo yes || echo no)" "Brent's population ranked among the 33 authorities, next to London's and England's"
reset
rm -rf "$out" "$err" "$maps"
exit $fail
