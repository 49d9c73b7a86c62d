#!/usr/bin/env bash
# Makes sure PostgreSQL and Redis answer on 127.0.0.1, installing them from
# Debian's packages and starting them when they are missing. Idempotent.
# `scripts/services.sh browser` also installs Debian's chromium when it is
# missing: the sandbox's browser test drives it (make test, CI).
set -euo pipefail

pg_up()    { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }
redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

install_pkgs() {
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq "$@" >/dev/null
}

if ! pg_up; then
  if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "installing PostgreSQL…"
    install_pkgs postgresql postgresql-client
  fi
  ver=$(ls /etc/postgresql | sort -V | tail -n 1)
  if [ -z "$ver" ]; then echo "no PostgreSQL cluster found" >&2; exit 1; fi
  conf=/etc/postgresql/$ver/main
  # Local trust authentication, as on the development machines: the test
  # suite connects as postgres without a password.
  if ! grep -q '^host all all 127.0.0.1/32 trust' "$conf/pg_hba.conf" 2>/dev/null; then
    as_root sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\nlocal all all trust' "$conf/pg_hba.conf"
  fi
  as_root pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  pg_up || { echo "PostgreSQL did not start" >&2; exit 1; }
fi

if ! redis_up; then
  if ! command -v redis-server >/dev/null 2>&1; then
    echo "installing Redis…"
    install_pkgs redis-server
  fi
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/cairbot.log
  for _ in $(seq 1 30); do redis_up && break; sleep 1; done
  redis_up || { echo "Redis did not start" >&2; exit 1; }
fi

# The tests create their databases from the "test" database.
psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'test'" | grep -q 1 \
  || psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE test"

# The sandbox's end-to-end test runs the page in headless chromium.
if [ "${1:-}" = browser ] && ! command -v chromium >/dev/null 2>&1; then
  echo "installing chromium…"
  install_pkgs chromium
fi
