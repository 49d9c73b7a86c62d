#!/usr/bin/env bash
# Creates the local database of `make run` (DATABASE_URL's default) if absent.
set -euo pipefail
db=cairbot
psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1 \
  || psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $db"
