#!/usr/bin/env bash
# Sets everything up and runs the whole test suite (SQLite; PostgreSQL too when
# CERTIFY_TEST_DATABASE_URL is set). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test,postgresql
scripts/setup-browser.sh
exec .venv/bin/python -m pytest "$@"
