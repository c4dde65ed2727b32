#!/usr/bin/env bash
# Benchmark: dedupe's accuracy on public person-linkage sets kept outside this repository,
# each run with the mapping a new user writes from docs/reference.md (no tuning to the set).
#   BENCH_EXTERNAL_DIR=/path/to/sets ./run bench link_external
# Files looked for in BENCH_EXTERNAL_DIR (default ../shared/data/external); a set that is
# not there is skipped, and said so:
#   fake_1000.csv     splink's synthetic UK persons (splink tests/datasets/fake_1000_from_splink_demos.csv):
#                     unique_id,first_name,surname,dob,city,email,group
#   RLdata500.csv     R RecordLinkage's synthetic German persons (as mismo ships them):
#   RLdata10000.csv   record_id,fname_c1,fname_c2,lname_c1,lname_c2,by,bm,bd,label_true
#   historical_50k.csv splink's historical persons (splink.datasets.historical_50k, parquet there:
#                     written as CSV with its header): unique_id,cluster,full_name,
#                     first_and_surname,first_name,surname,dob,birth_place,postcode_fake,gender,occupation
# Prints pairwise precision, recall and F1 of the clusters (every pair inside a cluster is a
# predicted match) and the seconds dedupe took; the peer is the same data's exact-key
# deduplication an analyst writes in plain SQL (same names and date of birth).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=${BENCH_EXTERNAL_DIR:-$here/../../shared/data/external}
db=brent_bench_link_external
createdb "$db" 2>/dev/null || true
export PGDATABASE=$db
psql -X -q -c "SET client_min_messages = warning; CREATE EXTENSION IF NOT EXISTS brent_mdm CASCADE"
psql -X -q <<'SQL'
SET client_min_messages = warning;
-- pairwise scores of a clustering (tbl: the set with id and truth; clu: record_id, cluster_id)
CREATE OR REPLACE FUNCTION public.bench_pairwise(tbl regclass, id text, truth text, clu regclass,
  OUT prec numeric, OUT rec numeric, OUT f1 numeric, OUT clusters bigint, OUT largest bigint)
LANGUAGE plpgsql AS $f$
DECLARE tp bigint; p bigint; t bigint;
BEGIN
  EXECUTE format($q$
    WITH x AS (SELECT c.cluster_id, s.%2$I::text AS truth FROM %3$s c JOIN %1$s s ON s.%4$I::text = c.record_id),
         pc AS (SELECT count(*) AS n FROM x GROUP BY cluster_id),
         pt AS (SELECT count(*) AS n FROM x GROUP BY cluster_id, truth),
         tt AS (SELECT count(*) AS n FROM %1$s GROUP BY %2$I)
    SELECT (SELECT coalesce(sum(n * (n - 1) / 2), 0) FROM pt), (SELECT coalesce(sum(n * (n - 1) / 2), 0) FROM pc),
           (SELECT coalesce(sum(n * (n - 1) / 2), 0) FROM tt), (SELECT count(*) FROM pc), (SELECT max(n) FROM pc)$q$,
    tbl, truth, clu, id) INTO tp, p, t, clusters, largest;
  prec := round(tp::numeric / greatest(p, 1), 4);
  rec := round(tp::numeric / greatest(t, 1), 4);
  f1 := round(2 * tp::numeric / greatest(p + t, 1), 4);
END $f$;
SQL

run() {  # name table id truth mapping
  local name=$1 tbl=$2 id=$3 truth=$4 map=$5 t0 t1
  t0=$(date +%s.%N)
  psql -X -q -v ON_ERROR_STOP=1 -c "SET client_min_messages = warning" \
    -c "DROP TABLE IF EXISTS c_$tbl" -c "CREATE TABLE c_$tbl AS SELECT * FROM brent_mdm.dedupe('$tbl', '$id', '$map')"
  t1=$(date +%s.%N)
  psql -X -At -F ' ' -c "SELECT 'precision', prec, 'recall', rec, 'F1', f1, 'clusters', clusters, 'largest', largest
                          FROM public.bench_pairwise('$tbl', '$id', '$truth', 'c_$tbl')" |
    awk -v n="$name" -v s="$(echo "$t1 - $t0" | bc -l)" '{printf "%-34s %s %s  %s %s  %s %s  (%s %s, largest %s; %.1f s)\n", n, $1, $2, $3, $4, $5, $6, $8, $7, $10, s}'
}

peer() {  # name table id truth key-expression
  local name=$1 tbl=$2 id=$3 truth=$4 key=$5
  psql -X -q -v ON_ERROR_STOP=1 -c "SET client_min_messages = warning" -c "DROP TABLE IF EXISTS p_$tbl" \
    -c "CREATE TABLE p_$tbl AS SELECT $id::text AS record_id, dense_rank() OVER (ORDER BY $key) AS cluster_id FROM $tbl"
  psql -X -At -F ' ' -c "SELECT prec, rec, f1 FROM public.bench_pairwise('$tbl', '$id', '$truth', 'p_$tbl')" |
    awk -v n="$name" '{printf "%-34s precision %s  recall %s  F1 %s\n", n, $1, $2, $3}'
}

printf '\n== link_external: dedupe on sets it was not developed on (pairwise, after clustering)\n'
found=0
if [ -f "$dir/fake_1000.csv" ]; then
  found=1
  psql -X -q -v ON_ERROR_STOP=1 -c "DROP TABLE IF EXISTS fake_1000" \
    -c "CREATE TABLE fake_1000 (unique_id text, first_name text, surname text, dob text, city text, email text, \"group\" text)" \
    -c "\\copy fake_1000 FROM '$dir/fake_1000.csv' csv header"
  run "fake_1000 (splink, UK)" fake_1000 unique_id group \
    '{"first_name": "given_name", "surname": "surname", "dob": "date", "city": "text", "email": "text"}'
  peer "  peer: same names and dob" fake_1000 unique_id group "lower(trim(first_name)), lower(trim(surname)), dob"
  # other mappings of the same columns (the reference says an e-mail address is text: an
  # identifier is a person's own number, and its differences keep records apart)
  run "  email identifier" fake_1000 unique_id group \
    '{"first_name": "given_name", "surname": "surname", "dob": "date", "city": "text", "email": "identifier"}'
  run "  city exact, email identifier" fake_1000 unique_id group \
    '{"first_name": "given_name", "surname": "surname", "dob": "date", "city": "exact", "email": "identifier"}'
  run "  no city, email identifier" fake_1000 unique_id group \
    '{"first_name": "given_name", "surname": "surname", "dob": "date", "email": "identifier"}'
  run "  city and email exact" fake_1000 unique_id group \
    '{"first_name": "given_name", "surname": "surname", "dob": "date", "city": "exact", "email": "exact"}'
  run "  names and dob alone" fake_1000 unique_id group \
    '{"first_name": "given_name", "surname": "surname", "dob": "date"}'
else
  echo "fake_1000.csv: not in $dir, skipped"
fi
for n in RLdata500 RLdata10000; do
  if [ -f "$dir/$n.csv" ]; then
    found=1
    t=$(echo "$n" | tr 'A-Z' 'a-z')
    psql -X -q -v ON_ERROR_STOP=1 -c "DROP TABLE IF EXISTS $t" \
      -c "CREATE TABLE $t (record_id text, fname_c1 text, fname_c2 text, lname_c1 text, lname_c2 text, by text, bm text, bd text, label_true text)" \
      -c "\\copy $t FROM '$dir/$n.csv' csv header"
    run "$n (RecordLinkage, German)" "$t" record_id label_true \
      '{"fname_c1": "given_name", "lname_c1": "surname", "date_of_birth": {"kind": "date", "from": ["by", "bm", "bd"]}}'
    peer "  peer: same names and dob" "$t" record_id label_true "fname_c1, lname_c1, by, bm, bd"
  else
    echo "$n.csv: not in $dir, skipped"
  fi
done
if [ -f "$dir/historical_50k.csv" ]; then
  # splink's historical_50k (splink.datasets, a parquet file: write it as CSV with a header first)
  found=1
  psql -X -q -v ON_ERROR_STOP=1 -c "SET client_min_messages = warning" -c "DROP TABLE IF EXISTS historical_50k" \
    -c "CREATE TABLE historical_50k (unique_id text, cluster text, full_name text, first_and_surname text, first_name text,
          surname text, dob text, birth_place text, postcode_fake text, gender text, occupation text)" \
    -c "\\copy historical_50k FROM '$dir/historical_50k.csv' csv header"
  run "historical_50k (splink, historical)" historical_50k unique_id cluster \
    '{"first_name": "given_name", "surname": "surname", "dob": "date", "birth_place": "text", "postcode_fake": "postcode", "gender": "exact", "occupation": "text"}'
  peer "  peer: same names and dob" historical_50k unique_id cluster "lower(trim(first_name)), lower(trim(surname)), dob"
else
  echo "historical_50k.csv: not in $dir, skipped"
fi
[ "$found" = 1 ] || echo "no external set found: set BENCH_EXTERNAL_DIR (see the head of bench/link_external.sh)"
