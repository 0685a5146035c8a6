#!/usr/bin/env bash
# Sets everything up and runs certify with demo data on the embedded SQLite database.
# Open http://127.0.0.1:5000 — the accounts are printed below (and listed in the README); they all
# share the password in CERTIFY_DEMO_PASSWORD (default: hoc-tap-suot-doi-2030).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh postgresql
export FLASK_APP=certify
host="${HOST:-127.0.0.1}" port="${PORT:-5000}"
# Certificates and receipts print links under this address (never the request's Host header).
export CERTIFY_PUBLIC_URL="${CERTIFY_PUBLIC_URL:-http://$host:$port}"
# Log lines a person reads in this terminal (production keeps JSON, the default).
export CERTIFY_LOG_FORMAT="${CERTIFY_LOG_FORMAT:-text}"
.venv/bin/flask init-db
if ! .venv/bin/flask demo-data --password "${CERTIFY_DEMO_PASSWORD:-hoc-tap-suot-doi-2030}"; then
  echo "(keeping the data already loaded; delete instance/certify.sqlite3 to start afresh)"
fi
echo "certify is running at http://$host:$port/ (Ctrl+C stops it)"
exec .venv/bin/waitress-serve --host "$host" --port "$port" --call certify:create_app
