"""How many workflow events per second does certify take over HTTP?

Serves the app with waitress (4 threads) on a fresh database and fires workflow events through the
API — a reviewer returns N dossiers, the household submits them again, and so on — from 4 client
threads with keep-alive connections. The baseline, measured in the same run on the same server and
database, is a bare Flask endpoint doing one UPDATE and one INSERT in one write transaction (the
least an event must write: the dossier and its history line). Phases alternate (bare, events,
bare, events, ...) and the medians are compared; the issue's target is a ratio of at least 0.3.
It also prints how many SQL statements one event sends (the issue's bound: 8).

    .venv/bin/python benchmarks/events.py                      # SQLite file in a temp folder
    CERTIFY_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench \\
        .venv/bin/python benchmarks/events.py                  # PostgreSQL: THE DATABASE IS WIPED

Options: --dossiers N (default 1000), --rounds N (default 3 pairs of return/submit), --clients N.
"""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import statistics
import sys
import threading
import time
from pathlib import Path

from sqlalchemy import event as sa_event
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).parent))
import progress as bench  # noqa: E402  benchmarks/progress.py: open_app, reset_schema

from certify import clock  # noqa: E402
from certify.database import WRITE  # noqa: E402
from certify.extensions import csrf, db  # noqa: E402
from certify.services import accounts, nominations, people, units  # noqa: E402
from certify.workflow import engine, meaning, workflow  # noqa: E402

PASSWORD = "benchmark passphrase"
CITIZEN = "cong-dan-hoc-tap"


def seed(n: int) -> list[int]:
    """A ward with a reviewer and a household of `n` members, each with a submitted dossier
    (through the services and the engine, as a household would)."""
    units.create(code="90", name="Tỉnh Thử Nghiệm", level="province")
    units.create(code="900", name="Huyện Thử Nghiệm", level="district", parent_code="90")
    units.create(code="90001", name="Xã Thử Nghiệm", level="commune", parent_code="900")
    wf = workflow(CITIZEN)
    for role, level in (("reviewer", wf.tier("reviewer")), ("approver", wf.tier("approver"))):
        code = {"commune": "90001", "district": "900", "province": "90"}[level]
        accounts.create_user(username=f"bench-{role}", password=PASSWORD, role=role,
                             unit_code=code, display_name=role)
    household = accounts.create_user(username="bench-household", password=PASSWORD,
                                     role="household", unit_code="90001",
                                     display_name="Hộ thử nghiệm")
    year = clock.today().year
    # The best self-assessment the rules allow: every criterion at its maximum.
    scores = {c.code: c.max_points for c in wf.rules_for_year(year).criteria}
    ids = []
    for i in range(n):
        person = people.add_person(household, {
            "full_name": f"Người Thử {i}", "national_id": f"0909{i:08d}", "birth_year": 1980,
            "gender": "male", "target_group": "worker"})
        nom = nominations.create(household, title=CITIZEN, subject_id=person.id, year=year,
                                 self_assessment=scores)
        engine.apply(nom.id, meaning.submit_event(wf.spec), household, nom.version)
        ids.append(nom.id)
    return ids


def add_bare_endpoint(app) -> None:
    """One UPDATE and one INSERT in one write transaction: the floor under an event."""

    @csrf.exempt
    def bare():
        nid = int(json.loads(bare_request.get_data())["id"])
        with db.engine.connect().execution_options(**WRITE) as conn, conn.begin():
            conn.execute(text("UPDATE nominations SET updated_at = CURRENT_TIMESTAMP "
                              "WHERE id = :id"), {"id": nid})
            conn.execute(text("INSERT INTO history_entries (nomination_id, event, from_state, "
                              "to_state, at) VALUES (:id, 'bench', '-', '-', CURRENT_TIMESTAMP)"),
                         {"id": nid})
        return {"ok": True}

    from flask import request as bare_request

    app.add_url_rule("/bench/bare", "bench_bare", bare, methods=["POST"])


def serve(app, port_holder: list) -> None:
    from waitress.server import create_server

    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    port_holder.append((server, server.effective_port))
    server.run()


def token(port: int, username: str) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port)
    conn.request("POST", "/api/v1/auth/token", json.dumps({"username": username,
                                                            "password": PASSWORD}),
                 {"Content-Type": "application/json"})
    return json.loads(conn.getresponse().read())["token"]


def run_phase(port: int, requests_: list[tuple[str, dict, str | None]], clients: int) -> float:
    """Send the requests from `clients` threads (keep-alive); requests per second."""
    chunks = [requests_[i::clients] for i in range(clients)]
    failures: list[str] = []

    def worker(chunk):
        conn = http.client.HTTPConnection("127.0.0.1", port)
        for path, body, bearer in chunk:
            headers = {"Content-Type": "application/json"}
            if bearer:
                headers["Authorization"] = f"Bearer {bearer}"
            conn.request("POST", path, json.dumps(body), headers)
            response = conn.getresponse()
            data = response.read()
            if response.status != 200:
                failures.append(f"{response.status} {data[:200]!r}")

    threads = [threading.Thread(target=worker, args=(c,)) for c in chunks]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    if failures:
        raise SystemExit(f"{len(failures)} requests failed, e.g. {failures[0]}")
    return len(requests_) / elapsed


def statements_per_event(app, port: int, bearer: str, nid: int, version: int, event: str,
                         body: dict) -> int:
    seen: list[str] = []
    with app.app_context():
        engine_ = db.engine

    def record(*_args):
        seen.append(_args[2])

    sa_event.listen(engine_, "before_cursor_execute", record)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port)
        conn.request("POST", f"/api/v1/nominations/{nid}/events",
                     json.dumps({"event": event, "version": version, **body}),
                     {"Content-Type": "application/json", "Authorization": f"Bearer {bearer}"})
        response = conn.getresponse()
        response.read()
        assert response.status == 200, response.status
    finally:
        sa_event.remove(engine_, "before_cursor_execute", record)
    return len(seen)


def main() -> None:
    # The access log is written for both kinds of request alike; the terminal shows only results.
    for name in ("certify.access", "waitress.queue", "alembic"):
        logging.getLogger(name).setLevel(logging.ERROR)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dossiers", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()

    app, folder = bench.open_app()
    add_bare_endpoint(app)
    with app.app_context():
        print(f"database: {db.engine.dialect.name}")
        bench.reset_schema()
        t0 = time.perf_counter()
        ids = seed(args.dossiers)
        wf = workflow(CITIZEN)
        return_event = meaning.send_back_events(wf.spec)[0]
        submit_event = meaning.submit_event(wf.spec)
        db.session.remove()
        print(f"seeded {len(ids):,} submitted dossiers in {time.perf_counter() - t0:.0f} s")

    holder: list = []
    thread = threading.Thread(target=serve, args=(app, holder), daemon=True)
    thread.start()
    while not holder:
        time.sleep(0.05)
    server, port = holder[0]
    reviewer, household = token(port, "bench-reviewer"), token(port, "bench-household")

    versions = {nid: 2 for nid in ids}  # created (1), submitted (2)
    bare_rates, event_rates = [], []
    for r in range(args.rounds):
        for event, bearer, body in ((return_event, reviewer, {"comment": "Bổ sung minh chứng"}),
                                    (submit_event, household, {})):
            bare_rates.append(run_phase(port, [("/bench/bare", {"id": nid}, None)
                                               for nid in ids], args.clients))
            batch = [(f"/api/v1/nominations/{nid}/events",
                      {"event": event, "version": versions[nid], **body}, bearer) for nid in ids]
            event_rates.append(run_phase(port, batch, args.clients))
            for nid in ids:
                versions[nid] += 1
            print(f"round {r + 1} {event:>8}: events {event_rates[-1]:7.0f}/s, "
                  f"bare UPDATE+INSERT {bare_rates[-1]:7.0f}/s")
    nid = ids[0]
    count = statements_per_event(app, port, reviewer, nid, versions[nid], return_event,
                                 {"comment": "Bổ sung"})
    server.close()
    events, bare = statistics.median(event_rates), statistics.median(bare_rates)
    print(f"\nworkflow events over HTTP: {events:,.0f}/s (median of {len(event_rates)} phases of "
          f"{len(ids):,})")
    print(f"bare Flask endpoint, one UPDATE + one INSERT: {bare:,.0f}/s")
    print(f"ratio: {events / bare:.2f}x (target >= 0.3x)")
    print(f"SQL statements for one event, transaction starts included: {count} (bound: 8)")
    if folder is not None:
        folder.cleanup()


if __name__ == "__main__":
    main()
