"""Notifications: the inbox and the e-mail outbox written with each event, once; delivery to a
real SMTP server (aiosmtpd), retried when it refuses, once after a deliverer is killed; reminders
once however often they run; the API's own-only inbox."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime, time as dtime, timedelta
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import func, select, update

from certify import clock
from certify.extensions import db
from certify.models import Notification, OutboxMail
from certify.models import Nomination
from certify.services import deadlines, nominations, notifications
from certify.workflow import meaning, workflow

from .factories import CITIZEN, UNIT_TITLE, nomination_in
from .mail_server import MailServer

FLASK = Path(sys.executable).parent / "flask"


@pytest.fixture
def mail(app, monkeypatch):
    """A real SMTP server, and the app's mail settings pointing at it."""
    with MailServer() as server:
        monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
        monkeypatch.setitem(app.config, "MAIL_PORT", server.port)
        monkeypatch.setitem(app.config, "MAIL_SENDER", "hoctap@bimson.example")
        yield server


def with_email(w):
    for u in w.users.values():
        u.email = f"{u.username}@example.vn"
    db.session.commit()


def kinds(user) -> list[str]:
    return [n.kind for n in db.session.scalars(
        select(Notification).where(Notification.user_id == user.id).order_by(Notification.id))]


def outbox(user) -> list[OutboxMail]:
    return list(db.session.scalars(select(OutboxMail).where(OutboxMail.user_id == user.id)
                                   .order_by(OutboxMail.id)))


@pytest.mark.parametrize("state, expected", [
    ("submitted", []),
    ("returned", ["returned"]),
    ("rejected", ["rejected"]),
    ("verified", ["verified"]),
    ("approved", ["verified", "approved"]),
    ("revoked", ["verified", "approved", "revoked"]),
])
def test_each_event_notifies_the_household_once_in_the_inbox_and_the_outbox(
        world, mail, state, expected):
    with_email(world)
    n = nomination_in(world, state, year=2026)
    assert kinds(world.household_a) == expected
    mails = outbox(world.household_a)
    assert [m.recipient for m in mails] == ["ho-a@example.vn"] * len(expected)
    assert len({m.message_id for m in mails}) == len(expected)
    # Nobody else is told: not the other household, not the reviewers.
    for other in (world.household_b, world.reviewer_a, world.approver, world.organization_user):
        assert kinds(other) == [] and outbox(other) == []
    # The hook run again for the same event (a retried request, a repeated bulk row) writes
    # nothing more.
    last = n.history[-1]
    notifications.on_event(n, last.event, last.from_state, world.approver, last.comment)
    db.session.commit()
    assert kinds(world.household_a) == expected
    assert len(outbox(world.household_a)) == len(expected)


def test_the_reason_and_the_certificate_are_in_the_notice(world, mail):
    with_email(world)
    returned = nomination_in(world, "returned", year=2026)
    note = db.session.scalar(select(Notification).where(Notification.kind == "returned"))
    assert note.params["reason"] == "Bổ sung" and note.nomination_id == returned.id
    (m,) = outbox(world.household_a)
    assert returned.receipt_code in m.subject and "Lý do: Bổ sung" in m.body
    approved = nomination_in(world, "approved", year=2025)
    mail_row = [m for m in outbox(world.household_a) if approved.receipt_code in m.subject][-1]
    assert approved.recognition.code in mail_row.body
    assert f"/verify/{approved.recognition.code}" in mail_row.body


def test_events_are_found_by_meaning_not_by_name(world):
    """The table of notices asks the workflow file what each event means."""
    spec = workflow(CITIZEN).spec
    assert notifications.kind_of(spec, meaning.send_back_events(spec)[0]) == "returned"
    assert notifications.kind_of(spec, meaning.grant_event(spec)) == "approved"
    assert notifications.kind_of(spec, meaning.submit_event(spec)) is None


def test_an_organization_dossier_notifies_the_organization_account(world, mail):
    with_email(world)
    nomination_in(world, "verified", title=UNIT_TITLE)
    assert kinds(world.organization_user) == ["verified"]
    assert [m.recipient for m in outbox(world.organization_user)] == ["truong@example.vn"]


def test_without_an_address_or_without_mail_the_inbox_alone(world, app, monkeypatch):
    with_email(world)
    monkeypatch.setitem(app.config, "MAIL_SERVER", None)
    nomination_in(world, "returned", year=2026)
    assert kinds(world.household_a) == ["returned"] and outbox(world.household_a) == []
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    world.household_a.email = None
    db.session.commit()
    nomination_in(world, "rejected", year=2025)
    assert kinds(world.household_a) == ["returned", "rejected"]
    assert outbox(world.household_a) == []


def test_bulk_hook_inserts_many_events_at_once(world, mail):
    with_email(world)
    a = nomination_in(world, "returned", year=2026)
    b = nomination_in(world, "rejected", year=2025)
    db.session.execute(Notification.__table__.delete())
    db.session.execute(OutboxMail.__table__.delete())
    rows = [(n, n.history[-1].event, n.history[-1].from_state, world.reviewer_a,
             n.history[-1].comment) for n in (a, b)]
    assert notifications.on_events(rows) == 2
    assert notifications.on_events(rows) == 2  # rows offered, none written twice
    db.session.commit()
    assert sorted(kinds(world.household_a)) == ["rejected", "returned"]
    assert len(outbox(world.household_a)) == 2


# -- delivery ---------------------------------------------------------------------------------------

def test_the_smtp_server_receives_each_mail_once(world, mail):
    with_email(world)
    n = nomination_in(world, "returned", year=2026)
    done = notifications.deliver()
    assert (done.sent, done.retried, done.failed) == (1, 0, 0)
    (message,) = mail.recorder.accepted
    assert mail.recorder.envelopes[0][1] == ["ho-a@example.vn"]
    assert message["Subject"] == f"Hồ sơ {n.receipt_code} được trả lại để bổ sung"
    assert "Lý do: Bổ sung" in message.get_content()
    assert message["Message-ID"] == outbox(world.household_a)[0].message_id
    assert notifications.deliver().sent == 0  # nothing twice
    assert len(mail.recorder.accepted) == 1
    assert outbox(world.household_a)[0].state == "sent"


@pytest.mark.parametrize("reply", ["451 4.3.0 Try again later", "550 5.7.1 Not now"])
def test_a_refusing_server_gets_the_mail_later_nothing_lost(world, mail, reply):
    with_email(world)
    nomination_in(world, "returned", year=2026)
    mail.recorder.reply = reply
    done = notifications.deliver()
    assert (done.sent, done.retried) == (0, 1)
    (row,) = outbox(world.household_a)
    assert row.state == "pending" and row.attempts == 1 and reply[:3] in row.last_error
    wait = notifications.back_off(1)
    assert row.next_attempt_at >= clock.now() + wait - timedelta(seconds=5)
    # Not due yet: nothing is tried before the back-off ends.
    assert notifications.deliver().sent == 0 and mail.recorder.refused == 1
    mail.recorder.reply = None
    with time_machine.travel(row.next_attempt_at + timedelta(seconds=1), tick=True):
        assert notifications.deliver().sent == 1
        assert notifications.deliver().sent == 0
    assert len(mail.recorder.accepted) == 1
    db.session.commit()  # a fresh view of what the other process committed
    assert outbox(world.household_a)[0].state == "sent"


def test_after_the_last_attempt_the_mail_is_kept_as_failed(world, mail, app, monkeypatch):
    with_email(world)
    monkeypatch.setitem(app.config, "NOTIFY_RETRY_SECONDS", 0)
    nomination_in(world, "returned", year=2026)
    mail.recorder.reply = "550 5.1.1 No such user"
    for _ in range(app.config["NOTIFY_MAX_ATTEMPTS"]):
        notifications.deliver()
    db.session.commit()  # a fresh view of what the other process committed
    (row,) = outbox(world.household_a)
    assert row.state == "failed" and row.attempts == app.config["NOTIFY_MAX_ATTEMPTS"]
    assert notifications.deliver().sent == 0 and mail.recorder.accepted == []


def _env(app, mail, database_url, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CERTIFY_")}
    env.update(CERTIFY_DATABASE_URL=database_url, CERTIFY_SECRET_KEY="test",
               CERTIFY_PUBLIC_URL="http://127.0.0.1:5000", CERTIFY_MAIL_SERVER="127.0.0.1",
               CERTIFY_MAIL_PORT=str(mail.port), CERTIFY_LOG_FORMAT='"text"',
               CERTIFY_WORKFLOWS=app.config["WORKFLOWS"], CERTIFY_PROFILE=app.config["PROFILE"])
    env.update({f"CERTIFY_{k}": str(v) for k, v in extra.items()})
    return env


def test_a_deliverer_killed_mid_delivery_sends_each_mail_once_after_restart(
        world, mail, app, database_url):
    """The real `flask notifications deliver` is killed (SIGKILL) while the SMTP server holds
    the third mail; a new one run after the lease ends delivers the rest, each mail once."""
    with_email(world)
    for year in (2026, 2025, 2024, 2023):
        nomination_in(world, "returned", year=year)
    db.session.commit()
    total = db.session.scalar(select(func.count()).select_from(OutboxMail))
    assert total == 4
    mail.recorder.hold_at = 3
    env = _env(app, mail, database_url, NOTIFY_LEASE_SECONDS=2)
    process = subprocess.Popen([str(FLASK), "--app", "certify", "notifications", "deliver"],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        assert mail.recorder.reached.wait(120), process.communicate(timeout=5)[0]
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(30)
    mail.recorder.release.set()
    assert len(mail.recorder.accepted) == 2
    db.session.commit()  # a fresh view of what the other process committed
    states = sorted(m.state for m in db.session.scalars(select(OutboxMail)))
    assert states == ["pending", "sending", "sent", "sent"]
    time.sleep(2.5)  # the killed deliverer's lease runs out
    done = subprocess.run([str(FLASK), "--app", "certify", "notifications", "deliver"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    ids = mail.recorder.message_ids()
    assert len(ids) == total and len(set(ids)) == total
    db.session.commit()  # a fresh view of what the other process committed
    assert {m.state for m in db.session.scalars(select(OutboxMail))} == {"sent"}


# -- reminders ---------------------------------------------------------------------------------------

def test_overdue_dossiers_remind_the_tier_that_must_act_once(world, mail, runner):
    with_email(world)
    waiting = nomination_in(world, "submitted", year=2025)  # its last day for a decision passed
    due = deadlines.for_year(CITIZEN, 2025)["approve_by"]
    assert due < clock.today()
    for _ in range(3):
        result = runner.invoke(args=["notifications", "remind"])
        assert result.exit_code == 0, result.output
    assert kinds(world.reviewer_a) == ["overdue"]
    (note,) = db.session.scalars(select(Notification).where(Notification.kind == "overdue"))
    assert note.nomination_id == waiting.id and note.params["due"] == due.isoformat()
    # The reviewer of the other ward and the district's approver have nothing to do with it.
    for other in (world.reviewer_b, world.approver, world.household_a):
        assert "overdue" not in kinds(other)
    assert len(outbox(world.reviewer_a)) == 1


def test_unsubmitted_drafts_remind_their_household_a_week_before_the_deadline(world, mail):
    with_email(world)
    year = clock.today().year
    due = deadlines.for_year(CITIZEN, year)["submit_by"]
    zone = clock.zone()
    with time_machine.travel(datetime.combine(due - timedelta(days=20), dtime(9), zone),
                             tick=True):
        draft = nomination_in(world, "draft", year=year)
        assert notifications.remind() == 0  # too early
    with time_machine.travel(datetime.combine(due - notifications.DRAFT_WARNING, dtime(9), zone),
                             tick=True):
        assert notifications.remind() == 1
        assert notifications.remind() == 0
    with time_machine.travel(datetime.combine(due, dtime(9), zone), tick=True):
        assert notifications.remind() == 0  # one per dossier and deadline
    (note,) = db.session.scalars(select(Notification).where(Notification.kind == "draft_due"))
    assert note.user_id == world.household_a.id and note.nomination_id == draft.id
    assert [m.key for m in outbox(world.household_a)] == [note.key]
    # The household deletes the draft instead: the reminder and its unsent mail go with it.
    nominations.delete_draft(world.household_a, draft.id)
    db.session.expire_all()
    assert kinds(world.household_a) == [] and outbox(world.household_a) == []


# -- the inbox: API and pages -------------------------------------------------------------------------

@pytest.fixture
def api(client):
    from .api_client import Api

    return Api(client)


def test_the_api_lists_the_callers_own_newest_first_and_marks_read(world, api):
    from openapi_spec_validator import validate

    validate(api.spec)
    assert "/api/v1/notifications" in api.spec["paths"]
    assert "/api/v1/notifications/{notification_id}/read" in api.spec["paths"]
    for year in (2026, 2025, 2024):
        nomination_in(world, "returned", year=year)
    db.session.commit()
    r = api.get("/notifications?per_page=2", "ho-a")
    assert r.status_code == 200
    body = r.get_json()
    assert body["total"] == 3 and len(body["items"]) == 2
    ids = [i["id"] for i in body["items"]]
    assert ids == sorted(ids, reverse=True)  # newest first
    first = body["items"][0]
    assert first["kind"] == "returned" and first["reason"] == "Bổ sung"
    assert first["read_at"] is None and first["receipt_code"] in first["summary"]
    page2 = api.get("/notifications?per_page=2&page=2", "ho-a").get_json()
    assert len(page2["items"]) == 1 and page2["items"][0]["id"] not in ids
    # Someone else's: 404, and it stays unread; nobody else sees them.
    assert api.post(f"/notifications/{first['id']}/read", "ho-b").status_code == 404
    assert api.get("/notifications", "ho-b").get_json()["total"] == 0
    assert api.get("/notifications", "review-a").get_json()["total"] == 0
    assert api.get("/notifications?page=1", "ho-a").get_json()["items"][0]["read_at"] is None
    r = api.post(f"/notifications/{first['id']}/read", "ho-a")
    assert r.status_code == 200 and r.get_json()["read_at"] is not None
    assert api.post("/notifications/999999/read", "ho-a").status_code == 404
    assert api.get("/notifications?per_page=0", "ho-a").status_code == 422
    english = api.get("/notifications", "ho-a", headers={"Accept-Language": "en"}).get_json()
    assert "returned" in english["items"][0]["summary"].lower()


def test_the_inbox_page_shows_the_unread_count_and_marks_read(world, client):
    from .web_support import sign_in, text

    approved = nomination_in(world, "approved", year=2025)
    db.session.commit()
    sign_in(client, "ho-a")
    home = text(client.get("/notifications/"))
    assert 'class="badge"' in home and ">2</span>" in home
    assert approved.receipt_code in home and approved.recognition.code in home
    newest = db.session.scalars(select(Notification).order_by(Notification.id.desc())).first()
    r = client.post(f"/notifications/{newest.id}/read", data={"open": "1"})
    assert r.status_code == 302 and r.headers["Location"].endswith(
        f"/verify/{approved.recognition.code}")
    assert ">1</span>" in text(client.get("/notifications/"))
    client.post("/notifications/read-all")
    assert 'class="badge"' not in text(client.get("/notifications/"))
    sign_in(client, "ho-b")
    assert client.post(f"/notifications/{newest.id}/read").status_code == 404
    assert approved.receipt_code not in text(client.get("/notifications/"))


def test_an_account_sets_its_e_mail_address(world, client):
    from .web_support import sign_in, text

    sign_in(client, "ho-a")
    assert client.post("/account/email", data={"email": "not an address"}).status_code == 422
    db.session.commit()
    db.session.refresh(world.household_a)
    assert world.household_a.email is None
    r = client.post("/account/email", data={"email": "an@example.vn"})
    assert r.status_code == 302
    db.session.refresh(world.household_a)
    assert world.household_a.email == "an@example.vn"
    assert 'value="an@example.vn"' in text(client.get("/account/password"))
    client.post("/account/email", data={"email": ""})
    db.session.refresh(world.household_a)
    assert world.household_a.email is None


# -- the worker on Redis (RQ) ---------------------------------------------------------------------------

REDIS_URL = os.environ.get("CERTIFY_TEST_REDIS_URL", "redis://127.0.0.1:6379/7")


@pytest.fixture
def redis_queue(app, monkeypatch):
    """The app's notification queue on a Redis database of these tests, emptied before and after."""
    from redis import Redis

    connection = Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"no Redis at {REDIS_URL}: {exc}")
    connection.flushdb()
    monkeypatch.setitem(app.config, "REDIS_URL", REDIS_URL)
    yield notifications.queue()
    connection.flushdb()


@pytest.mark.parametrize("command", ["flask", "rq"])
def test_an_event_queues_a_delivery_job_and_the_rq_worker_sends_the_mail_once(
        world, mail, app, database_url, redis_queue, command):
    """`flask notifications worker` or RQ's own `rq worker` on the queue."""
    with_email(world)
    n = nomination_in(world, "returned", year=2026)  # committed: the job is queued after commit
    assert redis_queue.count >= 1
    assert mail.recorder.accepted == []  # nothing is sent inside the event's transaction
    env = _env(app, mail, database_url, REDIS_URL=REDIS_URL)
    args = [str(FLASK), "--app", "certify", "notifications", "worker", "--burst"] \
        if command == "flask" else [str(FLASK.parent / "rq"), "worker", "--burst", "--url",
                                    REDIS_URL, notifications.QUEUE]
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    (message,) = mail.recorder.accepted
    assert n.receipt_code in message["Subject"]
    assert redis_queue.count == 0
    db.session.commit()
    assert [m.state for m in outbox(world.household_a)] == ["sent"]


def test_a_dossier_an_organization_filed_for_its_member_notifies_the_organization(world, mail):
    """The applicant is whoever filed it (scope.owns): the school, not the member's household."""
    from datetime import date

    from certify.services import members, nominations as noms
    from certify.workflow import engine

    from .factories import CITIZEN_PASS

    with_email(world)
    members.add(world.organization_user, world.organization.id,
                {"person_id": None, "national_id": world.person_a.national_id, "role": "staff",
                 "from": date(2025, 1, 1), "until": None})
    n = noms.create(world.organization_user, title=CITIZEN, subject_id=world.person_a.id,
                    year=2026, self_assessment=dict(CITIZEN_PASS))
    engine.apply(n.id, "submit", world.organization_user, n.version)
    engine.apply(n.id, "return", world.reviewer_a, n.version, engine.Payload(comment="Thiếu"))
    db.session.commit()
    assert kinds(world.organization_user) == ["returned"]
    assert [m.recipient for m in outbox(world.organization_user)] == ["truong@example.vn"]
    assert kinds(world.household_a) == [] and outbox(world.household_a) == []
    # The bulk hook picks the same account.
    assert notifications.applicants([n])[n.id] == [(world.organization_user.id,
                                                    "truong@example.vn")]


def test_the_admin_gives_a_new_account_an_address_and_a_wrong_one_creates_nothing(world, client):
    from certify.models import User

    from .factories import PASSWORD
    from .web_support import sign_in

    sign_in(client, "admin")
    form = {"username": "ho-moi", "password": PASSWORD + "x", "role": "household",
            "unit_code": "16729", "organization_id": "", "display_name": ""}
    r = client.post("/admin/accounts", data={**form, "email": "khong-phai-dia-chi"})
    assert r.status_code == 422
    assert db.session.scalar(select(User).where(User.username == "ho-moi")) is None
    r = client.post("/admin/accounts", data={**form, "email": "ho-moi@example.vn"})
    assert r.status_code == 302
    assert db.session.scalar(select(User.email).where(User.username == "ho-moi")) == \
        "ho-moi@example.vn"


def test_a_verified_dossier_past_its_deadline_reminds_the_approver(world, mail, runner):
    with_email(world)
    nomination_in(world, "verified", year=2025)
    assert runner.invoke(args=["notifications", "remind"]).exit_code == 0
    assert kinds(world.approver) == ["overdue"]
    assert "overdue" not in kinds(world.reviewer_a)


def test_the_deliver_command_reports_the_outbox(world, mail, runner):
    with_email(world)
    nomination_in(world, "returned", year=2026)
    result = runner.invoke(args=["notifications", "deliver"])
    assert result.exit_code == 0, result.output
    assert "sent 1" in result.output and "sent 1, failed 0" in result.output
    assert len(mail.recorder.accepted) == 1


def test_a_decision_over_many_dossiers_notifies_each_applicant_once_as_one_approval_does(
        world, mail):
    """The set-based decision (engine.fire_many) tells each household what approving its dossiers
    one at a time tells it: one "approved" notice per dossier, with that dossier's certificate;
    a bulk return tells each its reason."""
    from .test_decision_speed import DECIDED, one_at_a_time, ward_of_dossiers

    with_email(world)
    slow, _ = ward_of_dossiers(world.household_a, world.reviewer_a, world.approver, "A")
    fast, _ = ward_of_dossiers(world.household_b, world.reviewer_b, world.approver, "B")
    one_at_a_time(world.approver, "60/QĐ-UBND", [n.id for n in slow])
    nominations.issue_decision(world.approver, number="61/QĐ-UBND", date_=DECIDED,
                               signer="Lê Văn Thắng", signer_position="tm_chu_tich",
                               nomination_ids=[n.id for n in fast])
    db.session.expire_all()
    assert kinds(world.household_a) == kinds(world.household_b)
    assert kinds(world.household_b).count("approved") == len(fast) + 1  # and the earlier one
    for n in fast:
        n = db.session.get(Nomination, n.id)
        (note,) = db.session.scalars(select(Notification).where(
            Notification.nomination_id == n.id, Notification.kind == "approved"))
        assert note.user_id == world.household_b.id
        assert note.params["code"] == n.recognition.code
    assert len(outbox(world.household_b)) == len(outbox(world.household_a))

    submitted = [nomination_in(world, "submitted", year=y) for y in (2025, 2026)]
    nominations.bulk_return(world.reviewer_a, [n.id for n in submitted], "Thiếu minh chứng")
    for n in submitted:
        (note,) = db.session.scalars(select(Notification).where(
            Notification.nomination_id == n.id, Notification.kind == "returned"))
        assert note.params["reason"] == "Thiếu minh chứng"
