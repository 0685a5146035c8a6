"""What one workflow event costs the database over HTTP (issue 9: "at most 8 SQL statements per
event"). Every statement the request sends is counted — transaction starts included — from the
token check to the response body, on SQLite and on PostgreSQL."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import event, func, select

from certify.extensions import db
from certify.models import OutboxMail
from tests.factories import CITIZEN, CITIZEN_PASS, PASSWORD, nomination_in

# The bound for an event that grants nothing (approval writes a decision, a recognition and
# the progress counters besides; it has its own bound below).
PER_EVENT = 8


@contextmanager
def statements():
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def token(client, username: str) -> dict:
    r = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200
    return {"Authorization": f"Bearer {r.get_json()['token']}"}


CASES = {
    # event: (start state, who, body)
    "submit": ("draft", "household_a", {}),
    "return": ("submitted", "reviewer_a", {"comment": "Bổ sung minh chứng"}),
    "reject": ("submitted", "reviewer_a", {"comment": "Không đạt"}),
    "withdraw": ("submitted", "household_a", {}),
    "verify": ("submitted", "reviewer_a", {"assessment": dict(CITIZEN_PASS)}),
}


@pytest.mark.parametrize("mail", [False, True], ids=["inbox-only", "with-e-mail"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_an_event_over_the_api_costs_at_most_the_bound(world, client, app, monkeypatch, name,
                                                       mail):
    """With e-mail configured and every account holding an address, a notifying event writes its
    outbox row too (certify/services/notifications.py) and stays within the bound."""
    if mail:
        monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
        for user in world.users.values():
            user.email = f"{user.username}@example.vn"
        db.session.commit()
    start, who, body = CASES[name]
    n = nomination_in(world, start, title=CITIZEN)
    nid, version = n.id, n.version
    auth = token(client, getattr(world, who).username)
    db.session.remove()  # the request starts from nothing loaded, as in production
    with statements() as seen:
        r = client.post(f"/api/v1/nominations/{nid}/events", headers=auth,
                        json={"event": name, "version": version, **body})
    assert r.status_code == 200, r.get_json()
    after = r.get_json()
    assert after["version"] == version + 1 and after["state"] != start
    assert after["history"][-1]["event"] == name
    assert len(seen) <= PER_EVENT, "\n".join(s.split("\n")[0][:120] for s in seen)
    if mail and name in ("return", "reject", "verify"):  # these tell the household
        assert db.session.scalar(select(func.count()).select_from(OutboxMail).where(
            OutboxMail.key.like(f"%:{nid}:%"))) == 1


def test_a_refused_event_is_cheap_too_and_changes_nothing(world, client):
    n = nomination_in(world, "submitted", title=CITIZEN)
    nid, version = n.id, n.version
    auth = token(client, world.reviewer_a.username)
    db.session.remove()
    with statements() as seen:
        r = client.post(f"/api/v1/nominations/{nid}/events", headers=auth,
                        json={"event": "return", "version": version + 5, "comment": "x"})
    assert r.status_code == 409
    assert len(seen) <= PER_EVENT
