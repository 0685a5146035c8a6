#!/usr/bin/env bash
# Sets everything up and runs certify with demo data on the embedded SQLite database.
# Open http://127.0.0.1:5000 — the accounts are printed below (and in the README).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh postgresql
export FLASK_APP=certify
.venv/bin/flask init-db
if .venv/bin/flask demo-data; then :; else
  echo "(demo data already loaded — keeping it; delete instance/certify.sqlite3 to start afresh)"
fi
exec .venv/bin/flask run --host "${HOST:-127.0.0.1}" --port "${PORT:-5000}"
