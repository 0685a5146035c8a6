#!/usr/bin/env bash
# Security checks of the installed environment (.venv): bandit over certify/ (any high-severity
# finding fails; medium ones are listed) and pip-audit over every installed dependency against a
# vulnerability database (PyPI's, else OSV's). Exits 1 on a finding, and also when no database
# could be reached: an audit that checked nothing never passes.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test,postgresql || exit 1
status=0

echo "== bandit: medium and high severity"
.venv/bin/bandit -r certify -q -ll && echo "bandit: no medium- or high-severity finding"
.venv/bin/bandit -r certify -q -lll >/dev/null || { echo "bandit: high-severity findings above"; status=1; }

echo "== pip-audit"
audited=
for service in ${CERTIFY_AUDIT_SERVICES:-pypi osv}; do
  # --strict: a dependency that cannot be looked up fails the run instead of being skipped;
  # --skip-editable: certify itself (installed from this checkout) is not on PyPI.
  out=$(.venv/bin/pip-audit --strict --skip-editable --progress-spinner off \
        --vulnerability-service "$service" 2>&1)
  code=$?
  if [ $code = 0 ]; then
    echo "$out"; audited=$service; break
  fi
  if grep -qE "could not be audited|ConnectionError|NameResolutionError|Max retries exceeded" \
       <<<"$out"; then
    echo "pip-audit could not reach the $service vulnerability data:"
    grep -E "could not be audited|ConnectionError" <<<"$out" | tail -n1 | cut -c1-240
    continue
  fi
  echo "$out"; audited=$service; status=1; break
done
if [ -z "$audited" ]; then
  echo "pip-audit: no vulnerability database reachable; the dependencies were NOT audited." >&2
  status=1
fi
exit $status
