"""Simultaneous events on one nomination: exactly one wins, every other caller gets 409, and the
record shows one change — on SQLite (WAL, BEGIN IMMEDIATE) and PostgreSQL (row locks) alike.

Each caller runs in its own thread, with its own HTTP client and bearer token (so its own app
context and database session), and all of them are released at the same moment by a barrier.
"""

from __future__ import annotations

import threading
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from certify.errors import CertifyError, TransitionNotAllowed
from certify.extensions import db
from certify.models import Decision, HistoryEntry, Nomination, Recognition, User
from certify.services import nominations, progress
from tests.factories import (CITIZEN, CITIZEN_PASS, PASSWORD, nomination_in, person,
                             submitted_before, user)

pytestmark = pytest.mark.slow

THREADS = 6
# Where each event leads (api.md, "The workflow every title shares").
TARGET = {"submit": "submitted", "withdraw": "withdrawn", "return": "returned",
          "verify": "verified", "reject": "rejected", "approve": "approved", "revoke": "revoked"}


def race(app, calls) -> list:
    """Run every call at once, each in its own thread with its own client; return the results."""
    # End the test's own read transaction first: on SQLite it would keep reading the snapshot
    # from before the race.
    db.session.commit()
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        client = app.test_client()
        try:
            barrier.wait(timeout=30)
            results[i] = call(client)
        except BaseException as exc:  # surfaced by the assertions below
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a caller never returned"
    return results


def sign_in(app, username: str) -> dict:
    response = app.test_client().post("/api/v1/auth/token",
                                      json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def new_decision(i: int) -> dict:
    """A one-item decision signed today (in the app's time zone), numbered by thread."""
    today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date().isoformat()
    return {"number": f"{900 + i}/QĐ-UBND", "date": today, "signer": "Chủ tịch UBND",
            "signer_position": "tm_chu_tich"}


def all_submitted_before(day: date) -> None:
    """For decisions on fixed 2026 dates: the dossiers' submissions precede them."""
    db.session.expire_all()
    submitted_before(day, *db.session.scalars(select(Nomination)).all())


def post(path: str, headers: dict, body: dict):
    def call(client):
        response = client.post(path, json=body, headers=headers)
        return response.status_code, response.get_json()
    return call


def record(nomination_id: int) -> tuple:
    db.session.expire_all()
    n = db.session.get(Nomination, nomination_id)
    return n.state, n.version, [(h.event, h.from_state, h.to_state) for h in n.history]


def assert_one_winner(results, ok_status: int = 200) -> int:
    assert not [r for r in results if isinstance(r, BaseException)], results
    statuses = [status for status, _ in results]
    winners = [i for i, status in enumerate(statuses) if status == ok_status]
    assert len(winners) == 1, results
    for i, (status, body) in enumerate(results):
        if i != winners[0]:
            assert status == 409, results
            assert body["error"]["code"] in ("stale", "transition_not_allowed"), body
    return winners[0]


RACES = {
    # state: [(account, event, payload)] — one entry per thread
    "submitted": [("review-a", "verify", {"assessment": CITIZEN_PASS}),
                  ("review-a", "return", {"comment": "Bổ sung minh chứng"}),
                  ("review-a", "reject", {"comment": "Không đạt"}),
                  ("review-a", "verify", {"assessment": CITIZEN_PASS}),
                  ("review-a", "return", {"comment": "Thiếu ảnh"}),
                  ("review-a", "reject", {"comment": "Hồ sơ sai"})],
    "verified": [("approve", "approve", {}), ("approve", "reject", {"comment": "Không đạt"})] * 3,
    "draft": [("ho-a", "submit", {}), ("ho-a", "withdraw", {})] * 3,
    "approved": [("approve", "revoke", {"comment": f"Sai sót {i}"}) for i in range(THREADS)],
}


@pytest.mark.parametrize("state", list(RACES))
def test_simultaneous_events_over_http_one_wins(app, world, state):
    n = nomination_in(world, state)
    before_state, before_version, before_history = record(n.id)
    headers = {name: sign_in(app, name) for name in {a for a, _, _ in RACES[state]}}
    calls = [post(f"/api/v1/nominations/{n.id}/events", headers[account],
                  {"event": event, "version": before_version, **payload,
                   **({"decision": new_decision(i)} if event == "approve" else {})})
             for i, (account, event, payload) in enumerate(RACES[state])]
    results = race(app, calls)
    winner = assert_one_winner(results)
    event = RACES[state][winner][1]
    assert results[winner][1]["state"] == TARGET[event]

    after_state, after_version, after_history = record(n.id)
    assert after_state == TARGET[event]
    assert after_version == before_version + 1
    assert after_history == before_history + [(event, before_state, TARGET[event])]
    recognitions = db.session.scalars(select(Recognition)).all()
    assert len(recognitions) == (1 if state in ("verified", "approved") and event != "reject"
                                 else 0)
    if event == "revoke":
        assert recognitions[0].revoked_on is not None
    assert progress.discrepancies(CITIZEN, date.today()) == []


@pytest.mark.parametrize("state, events", [
    ("submitted", ["verify", "return", "reject"] * 2),
    ("verified", ["approve", "reject"] * 3),
])
def test_simultaneous_events_without_a_version_one_wins(app, world, state, events):
    """No version sent: the row lock alone must keep the second caller from acting on a state
    that is no longer there."""
    nid = nomination_in(world, state).id  # plain values only: threads must not touch our session
    actor_id = (world.reviewer_a if state == "submitted" else world.approver).id
    _, before_version, before_history = record(nid)

    def call(event, index):
        def run(_client):
            with app.app_context():
                actor = db.session.get(User, actor_id)
                try:
                    nominations.fire(actor, nid, event, version=None, comment="Lý do",
                                     assessment=dict(CITIZEN_PASS) if event == "verify" else None,
                                     decision=new_decision(index) if event == "approve" else None)
                    return 200, {"state": TARGET[event]}
                except CertifyError as exc:
                    return exc.status, exc.as_dict()
                finally:
                    db.session.remove()
        return run

    results = race(app, [call(e, i) for i, e in enumerate(events)])
    assert not [r for r in results if isinstance(r, BaseException)], results
    winners = [i for i, (status, _) in enumerate(results) if status == 200]
    assert len(winners) == 1, results
    winner = winners[0]
    now = TARGET[events[winner]]
    for i, (status, body) in enumerate(results):
        if i != winner:
            # Each loser is judged on the state the winner left: a reviewer's `reject` of a
            # verified nomination exists only for the approver (403); anything else has no
            # transition out of the new state (409).
            forbidden = events[i] == "reject" and now == "verified"
            assert (status, body["error"]["code"]) == (
                (403, "forbidden") if forbidden else (409, TransitionNotAllowed.code)), results
    after_state, after_version, after_history = record(nid)
    assert after_state == TARGET[events[winner]]
    assert after_version == before_version + 1
    assert len(after_history) == len(before_history) + 1
    assert len(db.session.scalars(select(Recognition)).all()) == \
        (1 if events[winner] == "approve" else 0)


def test_two_approvers_deciding_over_the_same_nominations(app, world):
    user("approve-2", "approver", world.district.code)
    subjects = [world.person_a] + [person(world.household_a, f"Người {i}") for i in range(2)]
    verified = [nomination_in(world, "verified", subject=s) for s in subjects]
    ids = [n.id for n in verified]
    all_submitted_before(date(2026, 1, 15))
    before = {nid: record(nid) for nid in ids}
    headers = {name: sign_in(app, name) for name in ("approve", "approve-2")}
    accounts = ["approve", "approve-2"] * (THREADS // 2)
    calls = [post("/api/v1/decisions", headers[account],
                  {"number": f"{i + 1}/QĐ-UBND", "date": "2026-01-15", "signer": "Chủ tịch UBND", "signer_position": "tm_chu_tich",
                   "nomination_ids": ids})
             for i, account in enumerate(accounts)]
    results = race(app, calls)
    winner = assert_one_winner(results, ok_status=201)
    for i, (status, body) in enumerate(results):
        if i != winner:
            assert body["error"]["code"] == TransitionNotAllowed.code
    assert results[winner][1]["approved"] == len(ids)

    decisions = db.session.scalars(select(Decision)).all()
    assert [d.number for d in decisions] == [f"{winner + 1}/QĐ-UBND"]
    for nid in ids:
        state, version, history = record(nid)
        assert state == "approved"
        assert version == before[nid][1] + 1
        assert history == before[nid][2] + [("approve", "verified", "approved")]
        recognitions = db.session.scalars(
            select(Recognition).where(Recognition.nomination_id == nid)).all()
        assert len(recognitions) == 1
        assert recognitions[0].decision_id == decisions[0].id
        assert recognitions[0].valid_from == date(2026, 1, 15)
    for day in (date(2026, 1, 15), date(2026, 6, 1)):
        assert progress.discrepancies(CITIZEN, day) == []
        assert progress.holders([world.district.id], CITIZEN, day)[world.district.id] == len(ids)


def test_a_decision_racing_single_approvals(app, world):
    """Decisions and single `approve` events over the same nomination: one recognition."""
    n = nomination_in(world, "verified")
    all_submitted_before(date(2026, 2, 1))
    _, before_version, before_history = record(n.id)
    headers = sign_in(app, "approve")
    calls = []
    for i in range(THREADS):
        if i % 2:
            calls.append(post("/api/v1/decisions", headers,
                              {"number": f"{i}/QĐ-UBND", "date": "2026-02-01",
                               "signer": "Chủ tịch UBND", "signer_position": "tm_chu_tich", "nomination_ids": [n.id]}))
        else:
            calls.append(post(f"/api/v1/nominations/{n.id}/events", headers,
                              {"event": "approve", "version": before_version,
                               "decision": new_decision(i)}))
    results = race(app, calls)
    statuses = [status for status, _ in results]
    assert sorted(statuses).count(409) == THREADS - 1, results
    assert len([s for s in statuses if s in (200, 201)]) == 1, results
    state, version, history = record(n.id)
    assert (state, version) == ("approved", before_version + 1)
    assert history == before_history + [("approve", "verified", "approved")]
    assert db.session.scalar(select(func.count()).select_from(Recognition)) == 1
    assert db.session.scalar(select(func.count()).select_from(HistoryEntry)
                             .where(HistoryEntry.event == "approve")) == 1


def test_two_decisions_with_the_same_number_over_different_nominations(app, world):
    """Row locks do not serialise decisions over different nominations: the decision number's
    uniqueness within the unit must still answer 422, never a server error."""
    subjects = [world.person_a] + [person(world.household_a, f"Người {i}")
                                   for i in range(THREADS - 1)]
    ids = [nomination_in(world, "verified", subject=s).id for s in subjects]
    all_submitted_before(date(2026, 1, 20))
    headers = sign_in(app, "approve")
    calls = [post("/api/v1/decisions", headers,
                  {"number": "7/QĐ-UBND", "date": "2026-01-20", "signer": "Chủ tịch UBND", "signer_position": "tm_chu_tich",
                   "nomination_ids": [nid]}) for nid in ids]
    results = race(app, calls)
    assert not [r for r in results if isinstance(r, BaseException)], results
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [422] * (THREADS - 1), results
    for status, body in results:
        if status == 422:
            assert [d["code"] for d in body["error"]["details"]] == ["taken"], body
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Decision)) == 1
    assert db.session.scalar(select(func.count()).select_from(Recognition)) == 1
    states = sorted(record(nid)[0] for nid in ids)
    assert states == ["approved"] + ["verified"] * (THREADS - 1)


def test_simultaneous_creation_of_the_same_nomination(app, world):
    headers = sign_in(app, "ho-a")
    subject_id = world.person_a.id
    calls = [post("/api/v1/nominations", headers,
                  {"title": CITIZEN, "subject_id": subject_id, "year": 2026,
                   "self_assessment": CITIZEN_PASS})] * THREADS
    results = race(app, calls)
    assert not [r for r in results if isinstance(r, BaseException)], results
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [409] * (THREADS - 1), results
    assert {body["error"]["code"] for status, body in results if status == 409} == {"duplicate"}
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Nomination)) == 1


def test_simultaneous_approvals_for_one_subject_count_one_holder(app, world):
    """Approvals of one subject's nominations for several years, at once: the subject holds the
    title once, so every counter must say 1 (the subject's row lock makes them queue)."""
    ids = [nomination_in(world, "verified", year=year).id for year in (2025, 2026, 2027)]
    headers = sign_in(app, "approve")
    calls = []
    for i, nid in enumerate(ids):
        calls.append(post(f"/api/v1/nominations/{nid}/events", headers,
                          {"event": "approve", "version": record(nid)[1],
                           "decision": new_decision(i)}))
    results = race(app, calls)
    assert [status for status, _ in results] == [200] * len(ids), results
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Recognition)) == len(ids)
    today = db.session.scalars(select(Recognition.valid_from)).first()
    for unit in (world.ward_a, world.district, world.province):
        assert progress.holders([unit.id], CITIZEN, today)[unit.id] == 1
    assert progress.discrepancies(CITIZEN, today) == []


def test_decisions_over_crossing_subjects_neither_deadlock_nor_double_count(app, world):
    """Two decisions over different nominations of the same two people, listed so that each
    decision meets the people in the other order: both succeed, each person is one holder."""
    second = person(world.household_a, "Bùi Văn Khoa")
    n = {(p.id, year): nomination_in(world, "verified", subject=p, year=year).id
         for p in (world.person_a, second) for year in (2025, 2026)}
    a, b = world.person_a.id, second.id
    all_submitted_before(date(2026, 2, 2))
    batches = [[n[(a, 2025)], n[(b, 2026)]], [n[(b, 2025)], n[(a, 2026)]]]
    accounts = ["approve", "approve-2"]
    user("approve-2", "approver", world.district.code)
    headers = {name: sign_in(app, name) for name in accounts}
    calls = [post("/api/v1/decisions", headers[account],
                  {"number": f"{i + 30}/QĐ-UBND", "date": "2026-02-02", "signer": "Chủ tịch UBND", "signer_position": "tm_chu_tich",
                   "nomination_ids": ids})
             for i, (account, ids) in enumerate(zip(accounts, batches))]
    results = race(app, calls)
    assert [status for status, _ in results] == [201, 201], results
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Recognition)) == 4
    for day in (date(2026, 2, 2), date(2027, 2, 1)):
        assert progress.holders([world.ward_a.id], CITIZEN, day)[world.ward_a.id] == 2
        assert progress.discrepancies(CITIZEN, day) == []
    assert progress.holders([world.ward_a.id], CITIZEN, date(2027, 2, 2))[world.ward_a.id] == 0
