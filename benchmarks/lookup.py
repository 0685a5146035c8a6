"""What does the public look-up of a dossier cost now that it says what the receipt says?

`GET /api/v1/public/dossiers/{code}` gained the receiving office (the tier in force), the date
received (the first submission in the history), the expected result date (the rules' deadlines),
on time / late, the next step and the return reason. The baseline, measured in the same run on
the same app and database, is a bare endpoint answering api.md's first five fields from the same
row found by its receipt code (what the look-up did before), rate-limited the same way. Phases alternate (bare, look-up,
bare, ...) and the medians of the per-request times are compared (in-process, Flask's test
client, so the figure is the application's cost without the network).

    .venv/bin/python benchmarks/lookup.py                      # SQLite file in a temp folder
    CERTIFY_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench \\
        .venv/bin/python benchmarks/lookup.py                  # PostgreSQL: THE DATABASE IS WIPED

Options: --dossiers N (default 200), --rounds N (default 5 pairs of phases).
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
from pathlib import Path

from flask import jsonify
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).parent))
import events  # noqa: E402  benchmarks/events.py: the same seeded ward
import progress as bench  # noqa: E402  benchmarks/progress.py: open_app, reset_schema

from certify.extensions import db, limiter  # noqa: E402
from certify.models import Nomination, User  # noqa: E402
from certify.workflow import engine, meaning, workflow  # noqa: E402

def seed(n: int) -> list[str]:
    """A ward, its reviewer and a household of `n` members, each with a submitted dossier
    (benchmarks/events.py's), a third of them returned with a reason: their receipt codes."""
    ids = events.seed(n)
    reviewer = db.session.scalar(select(User).where(User.username == "bench-reviewer"))
    send_back = meaning.send_back_events(workflow(events.CITIZEN).spec)[0]
    for nid in ids[::3]:
        engine.apply(nid, send_back, reviewer, None, engine.Payload(comment="Bổ sung minh chứng"))
    return list(db.session.scalars(select(Nomination.receipt_code).where(Nomination.id.in_(ids))))


def add_bare(app) -> None:
    """The baseline: api.md's five fields of the dossier found by its code, nothing else."""
    def bare(code: str):
        n = db.session.scalar(select(Nomination).where(Nomination.receipt_code == code.upper()))
        return jsonify({"receipt_code": n.receipt_code, "title": n.title_code, "year": n.year,
                        "state": n.state, "updated_at": n.updated_at.isoformat()})

    # Rate-limited like the public look-up, so that both pay the same for it.
    app.add_url_rule("/bench/bare/<code>", "bench_bare",
                     limiter.limit(lambda: app.config["PUBLIC_RATE_LIMIT"])(bare))


def phase(client, path: str, codes: list[str]) -> list[float]:
    times = []
    for code in codes:
        start = time.perf_counter()
        r = client.get(path.format(code=code))
        times.append(time.perf_counter() - start)
        assert r.status_code == 200, (path, r.status_code)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dossiers", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    logging.disable(logging.INFO)
    app, folder = bench.open_app()
    add_bare(app)
    with app.app_context():
        bench.reset_schema()
        codes = seed(args.dossiers)
        db.session.remove()
    client = app.test_client()
    phase(client, "/api/v1/public/dossiers/{code}", codes[:20])  # warm-up
    phase(client, "/bench/bare/{code}", codes[:20])
    bare, lookup = [], []
    for _ in range(args.rounds):
        bare += phase(client, "/bench/bare/{code}", codes)
        lookup += phase(client, "/api/v1/public/dossiers/{code}", codes)
    mb, ml = statistics.median(bare), statistics.median(lookup)
    print(f"database: {app.config['DATABASE_URL'].split(':')[0]}; {len(codes)} dossiers, "
          f"{args.rounds} rounds")
    print(f"bare look-up (api.md's 5 fields): median {mb * 1000:.2f} ms")
    print(f"public look-up with the receipt's facts: median {ml * 1000:.2f} ms")
    print(f"ratio (look-up / bare): {ml / mb:.2f}")
    if folder is not None:
        folder.cleanup()


if __name__ == "__main__":
    main()
