#!/usr/bin/env bash
# A throwaway local PostgreSQL for the tests that run the bank on PostgreSQL as well as SQLite.
# Prints the database URL on stdout when one is up (messages go to stderr); prints nothing otherwise,
# and those tests are skipped with that reason.
set -uo pipefail
DB=assistant_test
PASSWORD=assistant-test-only
say() { echo "==> $*" >&2; }

if [ -n "${TEST_POSTGRES_URL:-}" ]; then echo "$TEST_POSTGRES_URL"; exit 0; fi
if [ "$(id -u)" != 0 ]; then say "not root: PostgreSQL tests will be skipped"; exit 0; fi
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  say "installing PostgreSQL with apt-get (one time, about a minute)"
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends postgresql >/dev/null; } 2>&1 | tail -2 >&2 \
    || { say "could not install PostgreSQL: its tests will be skipped"; exit 0; }
fi
version=$(ls /etc/postgresql 2>/dev/null | sort -n | tail -1)
[ -n "$version" ] || { say "no PostgreSQL cluster found: its tests will be skipped"; exit 0; }
pg_ctlcluster "$version" main start >/dev/null 2>&1 || true
for _ in $(seq 1 20); do su postgres -c "pg_isready -q" 2>/dev/null && break; sleep 0.5; done
if ! su postgres -c "pg_isready -q" 2>/dev/null; then say "PostgreSQL did not start: its tests will be skipped"; exit 0; fi
su postgres -c "psql -qc \"ALTER USER postgres PASSWORD '$PASSWORD';\"" >/dev/null 2>&1
su postgres -c "psql -tAc \"SELECT 1 FROM pg_database WHERE datname='$DB'\"" 2>/dev/null | grep -q 1 \
  || su postgres -c "createdb $DB" >/dev/null 2>&1
say "PostgreSQL $version ready for the tests"
echo "postgresql://postgres:$PASSWORD@127.0.0.1/$DB"
