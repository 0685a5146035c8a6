"""bandit finds no high-severity issue in certify/ (scripts/audit.sh also lists medium ones)."""

from __future__ import annotations

import json
import subprocess
import sys

from certify.config import REPOSITORY


def high_severity_findings(target) -> list[str]:
    done = subprocess.run([sys.executable, "-m", "bandit", "-r", str(target), "-lll", "-f", "json",
                           "-q"], capture_output=True, text=True, timeout=300)
    report = json.loads(done.stdout)
    assert not report["errors"], f"bandit could not read: {report['errors']}"
    return [f"{r['filename']}:{r['line_number']} {r['test_id']} {r['issue_text']}"
            for r in report["results"] if r["issue_severity"] == "HIGH"]


def test_no_high_severity_finding_in_certify():
    assert high_severity_findings(REPOSITORY / "certify") == []


def test_the_scan_reports_a_high_severity_finding_when_there_is_one(tmp_path):
    (tmp_path / "shell.py").write_text(
        "import subprocess\n\ndef run(name):\n"
        "    return subprocess.call('ls ' + name, shell=True)\n")
    found = high_severity_findings(tmp_path)
    assert len(found) == 1 and "B602" in found[0]
