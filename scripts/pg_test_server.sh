#!/usr/bin/env bash
# A throw-away PostgreSQL server for the tests (and CI), from the Debian packages.
#
#   scripts/pg_test_server.sh start DIR PORT   initdb in DIR, listen on 127.0.0.1:PORT only,
#                                              create database auditlens_test; prints its URL
#   scripts/pg_test_server.sh stop DIR         stop it (DIR can then be deleted)
#
# Run as root (CI, these machines) it runs the server as the postgres user via runuser, since
# PostgreSQL refuses to run as root. Passwords are checked (scram-sha-256) on TCP, so a wrong
# password is a real authentication failure; the password is random per start.
set -euo pipefail
cmd=${1:?start or stop}
dir=${2:?data directory}
pg_ctl=$(command -v pg_ctl || ls -d /usr/lib/postgresql/*/bin/pg_ctl 2>/dev/null | sort -V | tail -n 1)
[ -x "$pg_ctl" ] || { echo "pg_test_server: PostgreSQL binaries not found (Debian: apt-get install postgresql)" >&2; exit 3; }
bin=$(dirname "$(readlink -f "$pg_ctl")")
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

case $cmd in
start)
  port=${3:?port}
  mkdir -p "$dir"
  chmod 700 "$dir"
  [ "$(id -u)" = 0 ] && chown postgres "$dir"
  password=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
  as_pg sh -c "umask 077; printf '%s\n' '$password' > '$dir/pwfile'"
  as_pg "$bin/initdb" -D "$dir/data" -U auditlens --pwfile="$dir/pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
  as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
    -o "-k $dir -h 127.0.0.1 -p $port -c max_connections=200" start >/dev/null \
    || { cat "$dir/server.log" >&2; exit 1; }
  as_pg "$bin/createdb" -h "$dir" -p "$port" -U auditlens auditlens_test
  echo "postgresql://auditlens:$password@127.0.0.1:$port/auditlens_test"
  ;;
stop)
  [ -d "$dir/data" ] && as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
  ;;
*)
  echo "usage: $0 start DIR PORT | stop DIR" >&2; exit 2
  ;;
esac
