# pg_helpers.bash — bats helpers for the PostgreSQL store tests
# (tests/bats/store_pg*.bats): one private server per test file, one fresh
# database per test.
#
#   pg_setup_file      start the server (tests/pg/pg_start.sh) in a new
#                      /tmp/sa-pg.XXXXXX dir; exports PGDIR (also written
#                      to $BATS_FILE_TMPDIR/pgdir for teardown)
#   pg_teardown_file   stop it and remove the dir (tests/pg/pg_stop.sh)
#   pg_newdb [NAME]    create database NAME (default t<test number>); sets
#                      PGDB=NAME and DB=postgresql://postgres@/NAME?host=PGDIR
#   pgq SQL...         run SQL in $PGDB with psql, unaligned tuples only
# The server listens only on the unix socket in PGDIR; nothing else on the
# machine is touched.

PG_TOOLS=${SA_TOP:?}/tests/pg

pg_bin() {
  local d b=""
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/psql" ] && b=$d; done
  echo "$b"
}

pg_setup_file() {
  PGDIR=$(mktemp -d /tmp/sa-pg.XXXXXX)
  echo "$PGDIR" > "$BATS_FILE_TMPDIR/pgdir"
  "$PG_TOOLS/pg_start.sh" "$PGDIR" > "$BATS_FILE_TMPDIR/pgurl"
  PGBIN=$(pg_bin)
  export PGDIR PGBIN
}

pg_teardown_file() {
  local d
  d=$(cat "$BATS_FILE_TMPDIR/pgdir" 2>/dev/null) || return 0
  case $d in /tmp/sa-pg.*) "$PG_TOOLS/pg_stop.sh" "$d" ;; esac
}

pg_newdb() {
  PGDB=${1:-t$BATS_TEST_NUMBER}
  "$PGBIN/createdb" -h "$PGDIR" -U postgres "$PGDB"
  DB="postgresql://postgres@/$PGDB?host=$PGDIR"
}

pgq() {
  "$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$PGDIR" -U postgres -d "$PGDB" -c "$*"
}
