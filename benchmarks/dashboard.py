"""What does the dashboard cost beside the bare progress figure, and the yearly report?

Builds the synthetic province of benchmarks/progress.py (fewer recognitions by default: the cost
follows units and change days, not citizens), then times, each repetition in a fresh session:
- the baseline, certify.services.progress.progress(unit, workflow, as_of) — the figure and its
  children, as GET /api/v1/progress answers;
- progress.dashboard(...) — the same plus a verdict for every target year passed for the unit and
  each child, and the path year by year (what /progress/ shows);
- report.build(admin, year) — every title, dossier counts per unit, indicators (the yearly report
  before its XLSX/PDF is drawn); and the XLSX and PDF drawing themselves, once each.
It prints medians and the ratio to the baseline, measured in the same run.

    .venv/bin/python benchmarks/dashboard.py                   # SQLite file in a temp folder
    CERTIFY_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench \\
        .venv/bin/python benchmarks/dashboard.py               # PostgreSQL: THE DATABASE IS WIPED
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import progress as base  # noqa: E402  (benchmarks/progress.py: the synthetic province)

from certify import clock  # noqa: E402
from certify.extensions import db  # noqa: E402
from certify.models import Unit  # noqa: E402
from certify.services import accounts, report  # noqa: E402
from certify.services import progress  # noqa: E402
from certify.workflow import workflow  # noqa: E402


def timed(fn, repetitions: int) -> list[float]:
    fn()  # warm-up, not counted
    times = []
    for _ in range(repetitions):
        db.session.remove()
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recognitions", type=int, default=200_000)
    parser.add_argument("--organizations", type=int, default=3_000)
    parser.add_argument("--repetitions", type=int, default=30)
    args = parser.parse_args()

    app, folder = base.open_app()
    with app.app_context():
        print(f"database: {db.engine.dialect.name}")
        t0 = time.perf_counter()
        base.reset_schema()
        today = clock.today()
        tree = base.build_units()
        base.enter_denominators(tree, today, args.organizations)
        rng = random.Random(1373)
        with base.secondary_indexes_dropped(("households", "persons", "nominations",
                                             "recognitions")):
            counts = base.load_recognitions(tree, today, rng, args.recognitions,
                                            args.organizations)
        base.analyse()
        admin = accounts.create_user(username="bench-admin", password="benchmark-password-1",
                                     role="admin", unit_code=None, display_name="bench")
        admin_id = admin.id
        print(f"built in {time.perf_counter() - t0:.0f} s: " + ", ".join(
            f"{name} {value:,}" for name, value in counts.items()))
        wf = workflow(base.CITIZEN)
        cases = [("province (5 children)", tree["province"].id),
                 ("district, 70,000 (7 children)", tree["small_district"].id)]
        print(f"\n{args.repetitions} repetitions each, fresh session each time, as_of={today}:")
        print(f"{'case':<31} {'progress() ms':>14} {'dashboard() ms':>15} {'ratio':>6}")
        for label, unit_id in cases:
            bare = timed(lambda: progress.progress(db.session.get(Unit, unit_id), wf, today),
                         args.repetitions)
            full = timed(lambda: progress.dashboard(db.session.get(Unit, unit_id), wf, today),
                         args.repetitions)
            ratio = statistics.median(full) / statistics.median(bare)
            print(f"{label:<31} {statistics.median(bare):>14.1f} "
                  f"{statistics.median(full):>15.1f} {ratio:>5.1f}x")
        province_code = tree["province"].code
        built = timed(lambda: report.build(db.session.get(type(admin), admin_id), today.year,
                                           province_code), max(3, args.repetitions // 5))
        found = report.build(db.session.get(type(admin), admin_id), today.year, province_code)
        t = time.perf_counter()
        report.xlsx(found)
        xlsx_ms = (time.perf_counter() - t) * 1000
        t = time.perf_counter()
        report.pdf(found)
        pdf_ms = (time.perf_counter() - t) * 1000
        print(f"\nreport.build(province, {today.year}): median {statistics.median(built):.0f} ms; "
              f"XLSX drawn in {xlsx_ms:.0f} ms, PDF in {pdf_ms:.0f} ms")
        db.session.remove()
        db.engine.dispose()
    if folder is not None:
        folder.cleanup()


if __name__ == "__main__":
    main()
