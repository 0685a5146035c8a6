"""Does a staff list of 200 rows cost within 2x a list of 10?

Builds a district of two wards with N citizen dossiers awaiting a decision (default 11,000, the
ward of issue 9), each with its person, household and two history entries, written by bulk
inserts (the engine is not what is measured here). Then requests, through the app's own test
client as the district's approver, each staff list with per_page=10 and per_page=200 — the review
queue, the approver's list, the API's GET /nominations — alternating, and prints the median time
of each and their ratio (the target: 200 rows within 2x the time of 10), with the SQL statements
each page cost.

    .venv/bin/python benchmarks/lists.py                 # SQLite file in a temporary folder
    CERTIFY_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench \\
        .venv/bin/python benchmarks/lists.py             # PostgreSQL: THE DATABASE IS WIPED

Options: --dossiers N, --repetitions N.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import event, insert

sys.path.insert(0, str(Path(__file__).resolve().parent))
import progress as bench  # noqa: E402  (benchmarks/progress.py: app and schema helpers)

from certify import clock  # noqa: E402
from certify.extensions import db  # noqa: E402
from certify.models import HistoryEntry, Household, Nomination, Person, User  # noqa: E402
from certify.services import accounts, units  # noqa: E402
from certify.services.validate import fold  # noqa: E402
from certify.workflow import meaning, workflow  # noqa: E402

CITIZEN = "cong-dan-hoc-tap"
PASSWORD = "benchmark password 1"
LISTS = {"review queue (approver)": "/review/?state=&per_page={n}",
         "approver list": "/district/?per_page={n}",
         "API GET /nominations": "/api/v1/nominations?per_page={n}"}


def build(dossiers: int) -> None:
    units.create(code="38", name="Thanh Hóa", level="province")
    units.create(code="381", name="Thị xã Bỉm Sơn", level="district", parent_code="38")
    wards = [units.create(code=c, name=n, level="commune", parent_code="381")
             for c, n in (("16729", "Phường Ba Đình"), ("16732", "Phường Lam Sơn"))]
    accounts.create_user(username="approve", password=PASSWORD, role="approver",
                         unit_code="381", display_name="Approver")
    reviewer = accounts.create_user(username="review", password=PASSWORD, role="reviewer",
                                    unit_code="16729", display_name="Reviewer")
    wf = workflow(CITIZEN)
    spec = wf.spec
    queue, awaiting = meaning.queue_states(spec)[0], meaning.awaiting_decision_states(spec)[0]
    submit, score = meaning.submit_event(spec), meaning.procedure(spec)["score"]
    year = clock.today().year
    rules = wf.rules_for_year(year)
    scores = {c.code: c.max_points for c in rules.criteria}
    now = clock.now()
    households, persons, noms, history = [], [], [], []
    for i in range(dossiers):
        ward = wards[i % 2]
        households.append({"id": i + 1, "unit_id": ward.id, "name": f"Hộ {i}",
                           "created_at": now})
        name = f"Nguyễn Văn Thử {i}"
        persons.append({"id": i + 1, "household_id": i + 1, "unit_id": ward.id, "full_name": name,
                        "search_name": fold(name), "national_id": f"0389{i:08d}",
                        "birth_year": 1980, "gender": "male", "target_group": "worker",
                        "created_at": now})
        at = now - timedelta(minutes=dossiers - i)
        noms.append({"id": i + 1, "receipt_code": f"CDHT-{year}-B{i:07d}", "title_code": CITIZEN,
                     "person_id": i + 1, "unit_id": ward.id, "year": year,
                     "rule_version": rules.id, "state": awaiting, "is_open": True, "version": 3,
                     "self_assessment": scores, "review_assessment": scores, "review_notes": {},
                     "created_at": at, "updated_at": at, "submitted_at": at})
        history += [{"nomination_id": i + 1, "event": submit, "from_state": spec.initial_state,
                     "to_state": queue, "at": at},
                    {"nomination_id": i + 1, "event": score, "from_state": queue,
                     "to_state": awaiting, "actor_id": reviewer.id, "at": at}]
    for model, rows in ((Household, households), (Person, persons), (Nomination, noms),
                        (HistoryEntry, history)):
        for k in range(0, len(rows), 5000):
            db.session.execute(insert(model), rows[k:k + 5000])
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        for table in ("households", "persons", "nominations", "history_entries"):
            db.session.execute(db.text(f"ANALYZE {table}"))
        db.session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dossiers", type=int, default=11_000)
    parser.add_argument("--repetitions", type=int, default=30)
    args = parser.parse_args()
    app, folder = bench.open_app()
    app.config["WTF_CSRF_ENABLED"] = False
    with app.app_context():
        print(f"database: {db.engine.dialect.name}")
        bench.reset_schema()
        t0 = time.perf_counter()
        build(args.dossiers)
        print(f"built {args.dossiers:,} dossiers awaiting a decision in "
              f"{time.perf_counter() - t0:.1f} s")
        engine = db.engine
        db.session.remove()
    client = app.test_client()
    assert client.post("/signin", data={"username": "approve",
                                        "password": PASSWORD}).status_code == 302
    token = client.post("/api/v1/auth/token", json={"username": "approve",
                                                    "password": PASSWORD}).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    seen = []
    event.listen(engine, "before_cursor_execute", lambda *a: seen.append(1))
    worst = 0.0
    print(f"\n{'list':26} {'10 rows':>10} {'200 rows':>10} {'ratio':>7} {'SQL (10/200)':>14}")
    for name, url in LISTS.items():
        times = {10: [], 200: []}
        statements = {}
        for n in (10, 200):  # warm both up once
            client.get(url.format(n=n), headers=headers)
        for _ in range(args.repetitions):
            for n in (10, 200):
                seen.clear()
                t = time.perf_counter()
                response = client.get(url.format(n=n), headers=headers)
                times[n].append(time.perf_counter() - t)
                assert response.status_code == 200, (url, response.status_code)
                statements[n] = len(seen)
        small, large = statistics.median(times[10]), statistics.median(times[200])
        worst = max(worst, large / small)
        print(f"{name:26} {small * 1000:8.1f}ms {large * 1000:8.1f}ms {large / small:6.2f}x "
              f"{statements[10]:>6}/{statements[200]:<6}")
    print(f"\nworst ratio 200 rows / 10 rows: {worst:.2f}x (target: within 2x)")
    if folder is not None:
        folder.cleanup()


if __name__ == "__main__":
    main()
