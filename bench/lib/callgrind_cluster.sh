# Sourced by the instruction benchmarks (bench/*_instructions.sh): a throwaway
# cluster of its own, brent_mdm preloaded, whose server can be started under
# valgrind --tool=callgrind (each backend writes $work/cg.<pid>).  Works as root
# (the cluster then belongs to postgres) or as a user.
#   callgrind_cluster_init <name>   $work, $bindir, $port, initdb, cleanup on exit
#   callgrind_cluster_start         the server under callgrind; PG* set for psql
#   BENCH_BINDIR: the PostgreSQL binaries (default pg_config's); BENCH_KEEP: keep $work
bindir=${BENCH_BINDIR:-$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)}
[ -x "$bindir/postgres" ] || bindir=/usr/lib/postgresql/15/bin
command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install valgrind)"; exit 1; }
as_owner() { if [ "$(id -u)" = 0 ]; then chown -R postgres "$work"; su postgres -s /bin/bash -c "$1"; else bash -c "$1"; fi; }
callgrind_cluster_cleanup() {
  as_owner "$bindir/pg_ctl -D $work/data -w stop -m fast" >/dev/null 2>&1 || true
  [ -n "${BENCH_KEEP:-}" ] && { echo "kept $work"; return; }
  for i in 1 2 3 4 5; do rm -rf "$work" 2>/dev/null && break; sleep 2; done
}
callgrind_cluster_init() {
  work=$(mktemp -d "/tmp/brent_$1.XXXXXX")
  chmod 755 "$work"
  port=$((20000 + RANDOM % 20000))
  trap callgrind_cluster_cleanup EXIT
  as_owner "$bindir/initdb -D $work/data -A trust -U postgres >/dev/null"
  echo "shared_preload_libraries = 'brent_mdm'" >> "$work/data/postgresql.conf"
  export PGHOST=$work PGPORT=$port PGUSER=postgres PGDATABASE=postgres
}
callgrind_cluster_start() {
  as_owner "cd $work && nohup valgrind --tool=callgrind --trace-children=yes --callgrind-out-file=$work/cg.%p $bindir/postgres -D $work/data -p $port -k $work -c autovacuum=off -c listen_addresses='' > $work/server.log 2>&1 &"
  for i in $(seq 120); do psql -X -Atc 'select 1' >/dev/null 2>&1 && break; sleep 1; done
}
