#!/usr/bin/env bash
# A throwaway local Redis for the tests that run the multi-server topology on Redis (tracker and lock
# stores) and PostgreSQL. Prints the Redis URL on stdout when one is up (messages go to stderr);
# prints nothing otherwise, and those tests are skipped with that reason.
set -uo pipefail
PORT=6390
PASSWORD=assistant-test-only
say() { echo "==> $*" >&2; }

if [ -n "${TEST_REDIS_URL:-}" ]; then echo "$TEST_REDIS_URL"; exit 0; fi
if ! command -v redis-server >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then say "not root and no redis-server: Redis tests will be skipped"; exit 0; fi
  say "installing Redis with apt-get (one time, under a minute)"
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends redis-server >/dev/null; } 2>&1 | tail -2 >&2 \
    || { say "could not install Redis: its tests will be skipped"; exit 0; }
fi
if ! redis-cli -p "$PORT" -a "$PASSWORD" --no-auth-warning ping 2>/dev/null | grep -q PONG; then
  dir=$(mktemp -d /tmp/assistant-redis.XXXXXX)
  redis-server --port "$PORT" --bind 127.0.0.1 --requirepass "$PASSWORD" --save "" --appendonly no \
    --daemonize yes --dir "$dir" --logfile "$dir/redis.log" >/dev/null 2>&1
  for _ in $(seq 1 20); do
    redis-cli -p "$PORT" -a "$PASSWORD" --no-auth-warning ping 2>/dev/null | grep -q PONG && break
    sleep 0.25
  done
fi
if ! redis-cli -p "$PORT" -a "$PASSWORD" --no-auth-warning ping 2>/dev/null | grep -q PONG; then
  say "Redis did not start: its tests will be skipped"; exit 0
fi
say "Redis $(redis-server --version | grep -o 'v=[0-9.]*' | cut -d= -f2) ready for the tests (port $PORT)"
echo "redis://:$PASSWORD@127.0.0.1:$PORT/0"
