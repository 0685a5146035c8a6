#!/usr/bin/env bash
# Sets everything up and runs certify with demo data on the embedded SQLite database.
# Open http://127.0.0.1:5000 — the accounts are printed below (and listed in the README); they all
# share the password in CERTIFY_DEMO_PASSWORD (default: hoc-tap-suot-doi-2030).
#
#   scripts/demo.sh                          the three-tier town with three years of history
#                                            (about a minute to load the first time)
#   scripts/demo.sh --scale 0.2              the same with a fifth of the citizens (faster)
#   scripts/demo.sh --scenario reform-2025   the town from 2024 through the 1/7/2025
#                                            reorganisation to today (runs with CERTIFY_PROFILE=vn-2025)
#
# Every start ends by listing the accounts again (`flask demo-accounts`), also when the data was
# loaded by an earlier start.
set -euo pipefail
cd "$(dirname "$0")/.."
scenario=default
scale=()
while [ $# -gt 0 ]; do
  case "$1" in
    --scenario) scenario="${2:?--scenario needs default or reform-2025}"; shift 2 ;;
    --scenario=*) scenario="${1#--scenario=}"; shift ;;
    --scale) scale=(--scale "${2:?--scale needs a number, e.g. 0.2}"); shift 2 ;;
    --scale=*) scale=(--scale "${1#--scale=}"); shift ;;
    *) echo "usage: scripts/demo.sh [--scenario default|reform-2025] [--scale N]" >&2; exit 2 ;;
  esac
done
case "$scenario" in
  default) ;;
  reform-2025)
    # The scenario follows the dated tier profile (three tiers until 30/6/2025, two from 1/7/2025);
    # the server below runs under it too.
    export CERTIFY_PROFILE=vn-2025 ;;
  *) echo "unknown scenario: $scenario (default or reform-2025)" >&2; exit 2 ;;
esac
scripts/setup.sh postgresql
export FLASK_APP=certify
host="${HOST:-127.0.0.1}" port="${PORT:-5000}"
# Certificates and receipts print links under this address (never the request's Host header).
export CERTIFY_PUBLIC_URL="${CERTIFY_PUBLIC_URL:-http://$host:$port}"
# Log lines a person reads in this terminal (production keeps JSON, the default).
export CERTIFY_LOG_FORMAT="${CERTIFY_LOG_FORMAT:-text}"
export CERTIFY_DEMO_PASSWORD="${CERTIFY_DEMO_PASSWORD:-hoc-tap-suot-doi-2030}"
.venv/bin/flask init-db
if [ "$scenario" = default ]; then
  loaded=(.venv/bin/flask demo-data --scenario "$scenario" "${scale[@]}")
else
  loaded=(.venv/bin/flask demo-data --scenario "$scenario")
fi
if ! "${loaded[@]}" --password "$CERTIFY_DEMO_PASSWORD"; then
  echo "(keeping the data already loaded; delete instance/certify.sqlite3 to start afresh)"
fi
echo
.venv/bin/flask demo-accounts
echo "certify is running at http://$host:$port/ (Ctrl+C stops it)"
exec .venv/bin/waitress-serve --host "$host" --port "$port" --call certify:create_app
