#!/usr/bin/env bash
# Make sure the PostgreSQL server the tests use is up; start the local cluster if it is not.
set -euo pipefail
host="${PGHOST:-127.0.0.1}"
port="${PGPORT:-5432}"
if command -v pg_isready >/dev/null && pg_isready -h "$host" -p "$port" -q; then
  echo "PostgreSQL is up on $host:$port"
  exit 0
fi
if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
  version="$(ls /etc/postgresql | head -n1)"
  echo "starting PostgreSQL $version"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do
    pg_isready -h "$host" -p "$port" -q && { echo "PostgreSQL is up"; exit 0; }
    sleep 1
  done
fi
echo "PostgreSQL is not reachable on $host:$port; tests on PostgreSQL will fail (set LISTINGGUARD_TEST_POSTGRES_URL)" >&2
exit 1
