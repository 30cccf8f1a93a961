#!/usr/bin/env bash
# Runs the PostgreSQL store tests (package pgstore) against a throw-away
# PostgreSQL cluster: initialised in a temp dir as an unprivileged user,
# listening on 127.0.0.1 only, on a free port, and removed afterwards.
#
#   scripts/postgres-test.sh            # go test -count=1 ./pgstore/...
#   scripts/postgres-test.sh -run X -v  # extra go test arguments (./pgstore/... only)
#   scripts/postgres-test.sh --cli -run TestStoreFleet -v   # ./internal/cli/ only
#
# Without arguments it also runs the internal/cli store tests (^TestStore),
# among them TestStoreFleet: 3 `safeclaw serve` processes, 10,000 decisions,
# a PostgreSQL outage in the middle (about a minute).
#
# As root it installs Debian's postgresql package when missing and runs the
# server as the postgres user; as another user it runs the server itself.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
  export PATH=/usr/local/go/bin:$PATH
fi

bindir=""
find_bindir() {
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && bindir=$d
  done
  return 0
}
find_bindir
if [ -z "$bindir" ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get install -y postgresql >/dev/null || { apt-get update >/dev/null && apt-get install -y postgresql >/dev/null; }
    find_bindir
  fi
  [ -n "$bindir" ] || { echo "postgres-test: PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }
fi

# The server refuses to run as root: use the postgres user then.
as=()
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
  as=(runuser -u postgres --)
fi

tmp=$(mktemp -d /tmp/safeclaw-pg.XXXXXX)
chmod 755 "$tmp"
[ "${#as[@]}" -gt 0 ] && chown postgres "$tmp"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null || echo $((20000 + RANDOM % 20000)))

stop() {
  "${as[@]}" "$bindir/pg_ctl" -D "$tmp/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap stop EXIT

"${as[@]}" "$bindir/initdb" -D "$tmp/data" -U postgres -A trust --no-sync >"$tmp/initdb.log" 2>&1 ||
  { cat "$tmp/initdb.log" >&2; exit 1; }
"${as[@]}" "$bindir/pg_ctl" -D "$tmp/data" -l "$tmp/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $tmp -c fsync=off -c max_connections=200" start >/dev/null ||
  { cat "$tmp/server.log" >&2; exit 1; }
"$bindir/createdb" -h 127.0.0.1 -p "$port" -U postgres safeclaw_test

export SAFECLAW_TEST_POSTGRES="postgres://postgres@127.0.0.1:$port/safeclaw_test?sslmode=disable"
echo "postgres-test: PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
if [ "${1:-}" = "--cli" ]; then
  shift
  go test -count=1 "$@" ./internal/cli/
  exit
fi
go test -count=1 "$@" ./pgstore/...
if [ $# -eq 0 ]; then
  go test -count=1 -v -run "^TestStore" ./internal/cli/ | grep -E "^(--- |ok|FAIL|PASS)|fleet_test.go"
fi
