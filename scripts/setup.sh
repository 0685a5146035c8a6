#!/usr/bin/env bash
# Creates .venv and installs certify with the given extras (default: postgresql).
# Usage: scripts/setup.sh [extras]     e.g. scripts/setup.sh test,postgresql
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-postgresql}"
python=${PYTHON:-python3}
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "certify needs Python 3.11 or newer ($python is $("$python" --version 2>&1))." >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
stamp=.venv/.certify-installed-$extras
if [ ! -f "$stamp" ] || [ setup.cfg -nt "$stamp" ]; then
  # (this machine's pip configuration names local mirrors that may be absent: not worth a warning)
  quiet() { "$@" 2> >(grep -v "^WARNING: Location 'file:" >&2); }
  quiet .venv/bin/python -m pip install --quiet --upgrade pip setuptools wheel
  quiet .venv/bin/python -m pip install --quiet -e ".[$extras]"
  touch "$stamp"
fi
