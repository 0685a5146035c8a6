"""How long does a recognition decision over 10,000 verified dossiers take?

Seeds a ward of N persons (default 10,000), each with a verified "Công dân học tập" dossier (raw
inserts: the seed is not what is measured), then, in the same run, alternately:
- the product through the service: certify.services.nominations.issue_decision over all N — the
  checks, the decision, each dossier's state and history, its recognition (code, validity, grade)
  and the progress counters, in one transaction;
- the product over HTTP: POST /api/v1/decisions with the same body, served by waitress;
- the baseline: the least SQL for the same writes, in one transaction — one set-based UPDATE of
  the nominations, the history lines and the recognitions by the driver's bare `executemany`
  (no checks, no counters).
After each, the dossiers are put back to verified (not timed). Prints the median of each over the
repetitions and the ratio product / baseline; issue 9's target is the product within 5 s.

    .venv/bin/python benchmarks/decision.py                          # SQLite file in a temp folder
    .venv/bin/python benchmarks/decision.py --database-url \\
        postgresql+psycopg://postgres@127.0.0.1:5432/bench            # PostgreSQL: THE DATABASE IS WIPED
    (or CERTIFY_BENCH_DATABASE_URL=... as the other benchmarks)

Options: --nominations N (default 10,000), --repetitions N (default 3), --no-http.
"""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import os
import secrets
import statistics
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).parent))
import progress as bench  # noqa: E402  benchmarks/progress.py: open_app, reset_schema

from certify import clock  # noqa: E402
from certify.extensions import db  # noqa: E402
from certify.models import Nomination, Person  # noqa: E402
from certify.services import accounts, nominations, units  # noqa: E402
from certify.services.validate import fold  # noqa: E402
from certify.workflow import engine, meaning, workflow  # noqa: E402

PASSWORD = "benchmark passphrase"
CITIZEN = "cong-dan-hoc-tap"
SIGNER = {"signer": "Chủ tịch UBND", "signer_position": "tm_chu_tich"}


def seed(n: int) -> dict:
    """Units, an approver of the tier that decides today, and `n` persons of one commune, each
    with a verified dossier scored at the maximum (raw inserts)."""
    units.create(code="90", name="Tỉnh Thử Nghiệm", level="province")
    units.create(code="900", name="Huyện Thử Nghiệm", level="district", parent_code="90")
    commune = units.create(code="90001", name="Xã Thử Nghiệm", level="commune", parent_code="900")
    wf = workflow(CITIZEN)
    code = {"commune": "90001", "district": "900", "province": "90"}[wf.tier("approver")]
    accounts.create_user(username="bench-approver", password=PASSWORD, role="approver",
                         unit_code=code, display_name="approver")
    year = clock.today().year
    rules = wf.rules_for_year(year)
    scores = {c.code: c.max_points for c in rules.criteria}
    verified = meaning.awaiting_decision_states(wf.spec)[0]
    now = datetime.now(timezone.utc)
    submitted = now - timedelta(days=2)
    conn = db.session.connection()
    conn.execute(Person.__table__.insert(), [
        {"unit_id": commune.id, "full_name": f"Người Thử {i}", "search_name": fold(f"Người Thử {i}"),
         "national_id": f"0909{i:08d}", "birth_year": 1980, "gender": "male",
         "target_group": "worker", "created_at": now} for i in range(n)])
    person_ids = [pid for (pid,) in conn.execute(text("SELECT id FROM persons ORDER BY id"))]
    conn.execute(Nomination.__table__.insert(), [
        {"receipt_code": f"CDHT-{year}-{engine.random_code(10)}", "title_code": CITIZEN,
         "person_id": pid, "unit_id": commune.id, "year": year, "rule_version": rules.id,
         "state": verified, "is_open": True, "version": 3, "self_assessment": scores,
         "review_assessment": scores, "review_notes": {}, "created_at": now, "updated_at": now,
         "submitted_at": submitted} for pid in person_ids])
    db.session.commit()
    ids = [nid for (nid,) in db.session.execute(text("SELECT id FROM nominations ORDER BY id"))]
    return {"ids": ids, "state": verified}


def put_back(state: str) -> None:
    """The dossiers verified again, as seeded (not timed)."""
    db.session.remove()
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM recognitions"))
        conn.execute(text("DELETE FROM history_entries"))
        conn.execute(text("DELETE FROM progress_deltas"))
        conn.execute(text("DELETE FROM decisions"))
        conn.execute(text("UPDATE nominations SET state = :s, version = 3, is_open = :o"),
                     {"s": state, "o": True})


def product(approver_id: int, ids: list[int], number: str) -> tuple[float, float]:
    """Seconds of the service's call, and the CPU seconds this process spent in it (on a machine
    shared with other work the first grows, the second much less)."""
    from certify.models import User

    approver = db.session.get(User, approver_id)
    t0, c0 = time.perf_counter(), time.process_time()
    decision = nominations.issue_decision(approver, number=number, date_=clock.today(),
                                          nomination_ids=ids, **SIGNER)
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    assert len(decision.recognitions) == len(ids)
    return elapsed, cpu


def over_http(port: int, bearer: str, ids: list[int], number: str) -> tuple[float, float]:
    """Seconds of the request, and the CPU seconds of this process meanwhile (the server's
    threads run in it)."""
    body = json.dumps({"number": number, "date": clock.today().isoformat(),
                       "nomination_ids": ids, **SIGNER})
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    t0, c0 = time.perf_counter(), time.process_time()
    conn.request("POST", "/api/v1/decisions", body,
                 {"Content-Type": "application/json", "Authorization": f"Bearer {bearer}"})
    response = conn.getresponse()
    data = response.read()
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    if response.status != 201:
        raise SystemExit(f"POST /api/v1/decisions: {response.status} {data[:300]!r}")
    assert json.loads(data)["approved"] == len(ids)
    return elapsed, cpu


def baseline(approver_id: int, unit_id: int, ids: list[int], number: str) -> float:
    """One UPDATE, the history and the recognitions by bare executemany, in one transaction."""
    day = clock.today()
    now = datetime.now(timezone.utc)
    history = [(nid, "approve", "verified", "approved", approver_id, now) for nid in ids]
    recs = [[nid, secrets.token_hex(6), CITIZEN, unit_id, day, day.replace(year=day.year + 1),
             None, now] for nid in ids]
    db.session.remove()
    raw = db.engine.raw_connection()
    marks = "?" if db.engine.dialect.name == "sqlite" else "%s"
    try:
        cursor = raw.cursor()
        t0 = time.perf_counter()
        if db.engine.dialect.name == "sqlite":
            cursor.execute("BEGIN IMMEDIATE")
        cursor.execute(f"INSERT INTO decisions (number, date, signer, issuer, unit_id, created_at) "
                       f"VALUES ({', '.join([marks] * 6)}) RETURNING id",
                       (number, day, "Chủ tịch UBND", "UBND", unit_id, now))
        decision_id = cursor.fetchone()[0]
        for rec in recs:
            rec[6] = decision_id
        cursor.execute(f"UPDATE nominations SET state = 'approved', version = version + 1, "
                       f"updated_at = {marks} WHERE id IN "
                       f"(SELECT id FROM nominations WHERE state = 'verified')", (now,))
        cursor.executemany(f"INSERT INTO history_entries (nomination_id, event, from_state, "
                           f"to_state, actor_id, at) VALUES ({', '.join([marks] * 6)})", history)
        cursor.executemany(f"INSERT INTO recognitions (nomination_id, code, title_code, unit_id, "
                           f"valid_from, valid_until, decision_id, created_at) VALUES "
                           f"({', '.join([marks] * 8)})", recs)
        raw.commit()
        elapsed = time.perf_counter() - t0
    finally:
        raw.close()
    return elapsed


def serve(app, holder: list) -> None:
    from waitress.server import create_server

    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    holder.append((server, server.effective_port))
    server.run()


def token(port: int) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port)
    conn.request("POST", "/api/v1/auth/token", json.dumps({"username": "bench-approver",
                                                            "password": PASSWORD}),
                 {"Content-Type": "application/json"})
    return json.loads(conn.getresponse().read())["token"]


def main() -> None:
    for name in ("certify.access", "waitress.queue", "alembic"):
        logging.getLogger(name).setLevel(logging.ERROR)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nominations", type=int, default=10_000)
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--database-url", help="default: an SQLite file in a temporary folder")
    parser.add_argument("--no-http", action="store_true")
    args = parser.parse_args()
    if args.database_url:
        os.environ["CERTIFY_BENCH_DATABASE_URL"] = args.database_url

    app, folder = bench.open_app()
    with app.app_context():
        print(f"database: {db.engine.dialect.name}; {args.nominations:,} verified dossiers; "
              f"{args.repetitions} repetitions")
        bench.reset_schema()
        t0 = time.perf_counter()
        seeded = seed(args.nominations)
        ids, state = seeded["ids"], seeded["state"]
        from certify.models import User

        approver = db.session.scalar(db.select(User).where(User.username == "bench-approver"))
        approver_id, unit_id = approver.id, approver.unit_id
        db.session.remove()
        print(f"seeded in {time.perf_counter() - t0:.1f} s")

    port = server = None
    if not args.no_http:
        holder: list = []
        threading.Thread(target=serve, args=(app, holder), daemon=True).start()
        while not holder:
            time.sleep(0.05)
        server, port = holder[0]
        bearer = token(port)

    ours, cpu, http_s, http_cpu, bare = [], [], [], [], []
    number = iter(range(1, 10**6))
    with app.app_context():
        for rep in range(args.repetitions):
            sides = ["service", "baseline"] + ([] if args.no_http else ["http"])
            if rep % 2:
                sides.reverse()  # neither always meets a warmer cache
            for side in sides:
                n = f"{next(number)}/QĐ-UBND"
                if side == "service":
                    seconds, used = product(approver_id, ids, n)
                    ours.append(seconds)
                    cpu.append(used)
                elif side == "http":
                    seconds, used = over_http(port, bearer, ids, n)
                    http_s.append(seconds)
                    http_cpu.append(used)
                else:
                    bare.append(baseline(approver_id, unit_id, ids, n))
                put_back(state)
            print(f"repetition {rep + 1}: service {ours[-1]:.2f} s (CPU {cpu[-1]:.2f} s)"
                  + ("" if args.no_http else f", HTTP {http_s[-1]:.2f} s (CPU {http_cpu[-1]:.2f} s)")
                  + f", baseline {bare[-1]:.2f} s")
    if server is not None:
        server.close()
    product_s, baseline_s = statistics.median(ours), statistics.median(bare)
    print(f"\ndecision over {len(ids):,} dossiers through the service: median {product_s:.2f} s "
          f"(target <= 5 s); this process's CPU time in it: median {statistics.median(cpu):.2f} s")
    if http_s:
        print(f"the same over HTTP (POST /api/v1/decisions, waitress): median "
              f"{statistics.median(http_s):.2f} s; CPU time: median {statistics.median(http_cpu):.2f} s")
    print(f"baseline, bare UPDATE + executemany of history and recognitions: median "
          f"{baseline_s:.2f} s")
    print(f"ratio product / baseline: {product_s / baseline_s:.1f}x")
    if folder is not None:
        folder.cleanup()


if __name__ == "__main__":
    main()
