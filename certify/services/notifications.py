"""Notifications: who is told what, the inbox, and e-mail through an outbox.

What is notified is data (`NOTICES`): each kind names the events that mean it — asked of the
title's workflow file by meaning (certify/workflow/meaning.py), never by an event's name — and
who receives it. The engine calls `on_event` once per event, where it records the history entry;
the bulk path calls `on_events` with many at once. Both insert the inbox rows and, for accounts
with an e-mail address while mail is configured, the outbox rows in the caller's transaction
(one INSERT … each, executemany); nothing is sent inside it. Every row has a key (the dossier and
its version after the event, or the reminder's dossier and deadline) that is unique per account,
so a repeated hook or reminder run writes nothing twice.

Delivery (`deliver`) claims one outbox row at a time (state "sending" with a lease, in its own
committed transaction), hands it to the SMTP server, and marks it "sent" right after the server
accepted it. A refused or failed attempt goes back to "pending" with an exponential back-off, and
to "failed" (kept, listed) after the last attempt. A deliverer killed before the server accepted
leaves a claimed row whose lease runs out; the next deliverer sends it then. The one window that
remains: killed after the server accepted and before "sent" is committed, the mail is sent again
when the lease runs out — with the same Message-ID, by which mail clients and servers recognise
the copy.

With CERTIFY_REDIS_URL set, a committed transaction that wrote outbox rows queues a delivery job
on RQ (`flask notifications worker` runs the worker); otherwise `flask notifications deliver`
drains the outbox (from cron, for instance).
"""

from __future__ import annotations

import email.policy
import functools
import logging
import re
import smtplib
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Callable, Iterable
from urllib.parse import urlsplit

from flask import current_app, has_app_context
from sqlalchemy import (Integer, String, and_, bindparam, cast, event, func, literal, or_,
                        select, type_coerce, update)
from sqlalchemy.orm import Session, aliased

from .. import clock
from ..extensions import db
from ..models import Nomination, Notification, OutboxMail, Unit, User
from ..models.types import JSONType, UTCDateTime
from ..workflow import meaning, workflow, workflows
from . import deadlines, scope

log = logging.getLogger(__name__)


def N_(text: str) -> str:
    """Marks a msgid for the catalogue; the text is Vietnamese, translated where it is shown."""
    return text


def _end_events(spec):
    return meaning.events_with_effect(spec, "end_recognition")


@dataclass(frozen=True)
class Notice:
    kind: str
    # The title's events that mean it (None: a reminder, made by `remind`).
    events: Callable | None
    # "applicant": the account(s) that apply for the dossier; "acting": the reviewers or
    # approvers of the tier that must act on it now.
    to: str
    subject: str
    body: str


# In order: an event that means two things (none in the shipped files) counts as the first.
NOTICES = (
    Notice("approved", meaning.grant_events, "applicant",
           N_("Hồ sơ %(receipt)s đã được công nhận"),
           N_("Hồ sơ %(receipt)s (%(title)s năm %(year)s, %(subject)s) đã được công nhận. "
              "Mã giấy chứng nhận: %(code)s.")),
    Notice("revoked", _end_events, "applicant",
           N_("Danh hiệu của hồ sơ %(receipt)s đã bị thu hồi"),
           N_("Danh hiệu %(title)s năm %(year)s của %(subject)s (hồ sơ %(receipt)s) đã bị thu "
              "hồi. Lý do: %(reason)s")),
    Notice("rejected", meaning.refuse_events, "applicant",
           N_("Hồ sơ %(receipt)s không được công nhận"),
           N_("Hồ sơ %(receipt)s (%(title)s năm %(year)s, %(subject)s) không được công nhận. "
              "Lý do: %(reason)s")),
    Notice("returned", meaning.send_back_events, "applicant",
           N_("Hồ sơ %(receipt)s được trả lại để bổ sung"),
           N_("Hồ sơ %(receipt)s (%(title)s năm %(year)s, %(subject)s) được trả lại để bổ sung. "
              "Lý do: %(reason)s")),
    Notice("verified", meaning.assessment_events, "applicant",
           N_("Hồ sơ %(receipt)s đã được xác nhận đạt"),
           N_("Hồ sơ %(receipt)s (%(title)s năm %(year)s, %(subject)s) đã được xác nhận đạt và "
              "chờ quyết định công nhận.")),
    Notice("overdue", None, "acting",
           N_("Hồ sơ %(receipt)s đã quá hạn xử lý"),
           N_("Hồ sơ %(receipt)s (%(title)s năm %(year)s, %(subject)s) đang chờ xử lý, đã quá "
              "hạn ngày %(due)s.")),
    Notice("draft_due", None, "applicant",
           N_("Hồ sơ %(receipt)s chưa nộp, sắp hết hạn"),
           N_("Hồ sơ %(receipt)s (%(title)s năm %(year)s, %(subject)s) chưa được nộp; hạn nộp "
              "là ngày %(due)s.")),
)
BY_KIND = {n.kind: n for n in NOTICES}
# Drafts are reminded this long before the last day of filing.
DRAFT_WARNING = timedelta(days=7)
# How many outbox rows one delivery job sends at most before handing over to the next.
BATCH = 500


def kind_of(spec, event: str) -> str | None:
    """What an event of a title means for notifications (None: nobody is told)."""
    return next((n.kind for n in NOTICES if n.events is not None and event in n.events(spec)),
                None)


# -- who -----------------------------------------------------------------------------------------

def _applicant_clause(organization: bool):
    """A WHERE clause on users: the active accounts that apply for a dossier (scope.owns) — the
    organization that filed a person's dossier for its member, else the person's household, or
    the organization itself — without loading the dossier's creator. Its values are bound
    parameters (`organization_id`; `created_by_id` and `household_id`), so that the statements
    built on it are built once (`_notice_statements`)."""
    active = User.active.is_(True)
    if organization:
        return and_(active, User.role == "organization",
                    User.organization_id == bindparam("organization_id"))
    creator = aliased(User)
    filer = select(creator.organization_id).where(creator.id == bindparam("created_by_id"),
                                                  creator.role == "organization")
    return and_(active, or_(
        and_(User.role == "organization", User.organization_id == filer.scalar_subquery()),
        and_(~filer.exists(), User.role == "household",
             User.household_id == bindparam("household_id"))))


def _applicant_values(n: Nomination) -> dict:
    """The values of `_applicant_clause`'s parameters for a dossier."""
    if n.person_id is None:
        return {"organization_id": n.organization_id}
    return {"created_by_id": n.created_by_id,
            "household_id": n.person.household_id if n.person is not None else None}


def applicants(nominations: list[Nomination]) -> dict[int, list[tuple[int, str | None]]]:
    """The applicant accounts (id, e-mail address) of each dossier, as `applicant_clause` chooses
    them, for any number of dossiers in a few statements (two per CHUNK): the dossiers' creators,
    then the active household and organization accounts they point to."""
    out: dict[int, list[tuple[int, str | None]]] = {n.id: [] for n in nominations}
    for start in range(0, len(nominations), CHUNK):
        part = nominations[start:start + CHUNK]
        creators = {uid: org for uid, role, org in db.session.execute(
            select(User.id, User.role, User.organization_id).where(
                User.id.in_({n.created_by_id for n in part if n.created_by_id is not None})))
            if role == "organization"}
        wanted: dict[int, tuple[str, int | None]] = {}  # nomination → (role, household/org id)
        for n in part:
            if n.person_id is None:
                wanted[n.id] = ("organization", n.organization_id)
            elif n.created_by_id in creators:  # an organization filed it for its member
                wanted[n.id] = ("organization", creators[n.created_by_id])
            else:
                wanted[n.id] = ("household",
                                n.person.household_id if n.person is not None else None)
        households = {key for role, key in wanted.values() if role == "household" and key}
        organizations = {key for role, key in wanted.values() if role == "organization" and key}
        accounts: dict[tuple[str, int], list[tuple[int, str | None]]] = {}
        for uid, email, role, household_id, organization_id in db.session.execute(
                select(User.id, User.email, User.role, User.household_id, User.organization_id)
                .where(User.active.is_(True), or_(
                    and_(User.role == "household", User.household_id.in_(households)),
                    and_(User.role == "organization",
                         User.organization_id.in_(organizations))))
                .order_by(User.id)):
            key = household_id if role == "household" else organization_id
            accounts.setdefault((role, key), []).append((uid, email))
        for nid, (role, key) in wanted.items():
            out[nid] = list(accounts.get((role, key), []))
    return out


# Dossiers per round of `applicants`' statements (below both databases' bound-parameter limits).
CHUNK = 2000


def acting(nomination: Nomination, on: date | None = None) -> list[User]:
    """The active reviewers or approvers who may act on the dossier now: the roles of its state's
    transitions (not the applicant's), at the tier in force, over its unit (policy.may_take)."""
    wf = workflow(nomination.title_code)
    if wf is None:
        return []
    roles = {t.role for e in wf.spec.events for t in wf.spec.transition(e, nomination.state)
             if t.role != "applicant"}
    out = []
    for role in sorted(roles):
        level = wf.tier(role, on, subject=nomination.organization)
        if level is None:
            continue
        for u in db.session.scalars(select(User).join(Unit, Unit.id == User.unit_id).where(
                User.role == role, User.active.is_(True), Unit.level == level)
                .order_by(User.id)):
            if u.unit.contains(nomination.unit):
                out.append(u)
    return out


# -- what ----------------------------------------------------------------------------------------

def _subject_name(n: Nomination) -> str:
    if n.person is not None:
        return n.person.full_name
    return n.organization.name if n.organization is not None else ""


def params_for(n: Nomination, **extra) -> dict:
    return {"receipt": n.receipt_code, "title_code": n.title_code, "year": n.year,
            "subject": _subject_name(n), **extra}


def _vi_title(code: str) -> str:
    wf = workflow(code)
    return wf.spec.name.vi if wf is not None else code


def mail_text(kind: str, params: dict) -> tuple[str, str]:
    """The e-mail's subject and body, in Vietnamese (the text people receive is the msgid)."""
    notice = BY_KIND[kind]
    values = {"reason": "", "code": "", "due": "", **params,
              "title": _vi_title(params.get("title_code", ""))}
    if values["due"]:
        values["due"] = date.fromisoformat(values["due"]).strftime("%d/%m/%Y")
    return notice.subject % values, notice.body % values


def mail_enabled() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


def _host() -> str:
    return urlsplit(current_app.config["PUBLIC_URL"]).hostname or "localhost"


def _message_id_parts(key: str) -> tuple[str, str]:
    safe = "".join(c if c.isalnum() or c in ".-" else "." for c in key)
    return f"<certify.{safe}.u", f"@{_host()}>"


def message_id(user_id: int, key: str) -> str:
    """One Message-ID per outbox row, the same on every attempt."""
    before, after = _message_id_parts(key)
    return f"{before}{user_id}{after}"


@dataclass
class Rows:
    notifications: list[dict] = field(default_factory=list)
    mails: list[dict] = field(default_factory=list)


def _add(rows: Rows, recipient: tuple[int, str | None], kind: str, key: str,
         nomination: Nomination, params: dict, now: datetime, mail: bool) -> None:
    user_id, email = recipient
    rows.notifications.append({"user_id": user_id, "key": key, "kind": kind,
                               "nomination_id": nomination.id, "params": params,
                               "created_at": now, "read_at": None})
    if mail and email:
        subject, body = _mail(kind, nomination, params)
        rows.mails.append({"user_id": user_id, "key": key, "message_id": message_id(user_id, key),
                           "recipient": email, "subject": subject, "body": body,
                           "state": "pending", "attempts": 0, "next_attempt_at": now,
                           "created_at": now})


def _mail(kind: str, nomination: Nomination, params: dict) -> tuple[str, str]:
    subject, body = mail_text(kind, params)
    link = _link(kind, nomination, params)
    return subject[:300], body + (f"\n\n{link}\n" if link else "\n")


def _link(kind: str, n: Nomination, params: dict) -> str | None:
    """The address a mail points to: the certificate for an approval, the dossier otherwise."""
    from ..links import public_url

    try:
        if kind == "approved" and params.get("code"):
            return public_url("public.verify", code=params["code"])
        if BY_KIND[kind].to == "acting":
            return public_url("review.nomination", nomination_id=n.id)
        return public_url("household.nomination", nomination_id=n.id)
    except Exception:  # noqa: BLE001 — a link is a courtesy; the mail goes without it
        return None


def _insert(rows: Rows) -> int:
    """Insert the rows (executemany), skipping those already written (same account and key)."""
    if rows.notifications:
        db.session.execute(_insert_ignoring(Notification, ("user_id", "key")), rows.notifications)
    if rows.mails:
        db.session.execute(_insert_ignoring(OutboxMail, ("message_id",)), rows.mails)
        db.session.info["certify.mail_written"] = True
    return len(rows.notifications)


def _insert_ignoring(model, columns: tuple[str, ...], dialect: str | None = None):
    """An INSERT into the model's table that skips rows already written (same key)."""
    if dialect is None:
        dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(model.__table__).on_conflict_do_nothing(index_elements=list(columns))


# -- events --------------------------------------------------------------------------------------

def on_event(nomination: Nomination, event: str, before_state: str | None, actor: User | None,
             comment: str | None) -> int:
    """The engine's hook for one event (inside its transaction): inbox and outbox rows for whom
    the event concerns: one INSERT … SELECT per table, the recipients chosen in the statement
    itself (an event notifies nothing: no statement). Returns how many inbox rows it wrote."""
    todo = _todo([(nomination, event, before_state, actor, comment)])
    if not todo:
        return 0
    n, kind, key, params = todo[0]
    now = clock.now()
    conn = db.session.connection()
    mail = mail_enabled()
    inbox, outbox = _notice_statements(conn.dialect.name, n.person_id is None, mail)
    values = {"key": key, "kind": kind, "nomination_id": n.id, "params": params, "now": now,
              **_applicant_values(n)}
    written = conn.execute(inbox, values).rowcount
    if mail:
        subject, body = _mail(kind, n, params)
        before, after = _message_id_parts(key)
        conn.execute(outbox, {**values, "before": before, "after": after, "subject": subject,
                              "body": body})
        db.session.info["certify.mail_written"] = True
    return written


@functools.cache
def _notice_statements(dialect: str, organization: bool, mail: bool):
    """`on_event`'s INSERT … SELECT statements (the inbox's, and the outbox's when mail is on),
    built once per database kind and kind of subject: SQLAlchemy keeps a statement's cache key on
    it, so an event neither rebuilds them nor recomputes that key."""
    who = _applicant_clause(organization)
    now = bindparam("now", type_=UTCDateTime())
    params = bindparam("params", type_=JSONType)
    # A JSON value in a SELECT list: typed for PostgreSQL (jsonb), as text for SQLite.
    params = cast(params, JSONType) if dialect == "postgresql" else type_coerce(params, JSONType)
    inbox = _insert_ignoring(Notification, ("user_id", "key"), dialect).from_select(
        ["user_id", "key", "kind", "nomination_id", "params", "created_at"],
        select(User.id, bindparam("key", type_=String), bindparam("kind", type_=String),
               bindparam("nomination_id", type_=Integer), params, now).where(who))
    if not mail:
        return inbox, None
    outbox = _insert_ignoring(OutboxMail, ("message_id",), dialect).from_select(
        ["user_id", "key", "message_id", "recipient", "subject", "body", "state", "attempts",
         "next_attempt_at", "created_at"],
        select(User.id, bindparam("key", type_=String),
               bindparam("before", type_=String) + cast(User.id, String)
               + bindparam("after", type_=String),
               User.email, bindparam("subject", type_=String), bindparam("body", type_=String),
               literal("pending", String), literal(0), now, now)
        .where(who, User.email.is_not(None), User.email != ""))
    return inbox, outbox


def _todo(rows: Iterable[tuple]) -> list[tuple[Nomination, str, str, dict]]:
    """The events among `rows` that notify: (nomination, kind, key, params) each."""
    out = []
    for n, event_name, _before, _actor, comment in rows:
        wf = workflow(n.title_code)
        kind = kind_of(wf.spec, event_name) if wf is not None else None
        if kind is None:
            continue
        extra = {"reason": (comment or "").strip()}
        if kind == "approved" and n.recognition is not None:
            extra["code"] = n.recognition.code
        out.append((n, kind, f"{kind}:{n.id}:v{n.version}", params_for(n, **extra)))
    return out


def on_events(rows: Iterable[tuple]) -> int:
    """The same for many events at once — (nomination, event, before_state, actor, comment) each,
    the nomination after the event — with one statement per table (executemany)."""
    todo = _todo(rows)
    if not todo:
        return 0
    now, mail = clock.now(), mail_enabled()
    who = applicants([n for n, _k, _key, _p in todo])
    out = Rows()
    for n, kind, key, params in todo:
        for recipient in who[n.id]:
            _add(out, recipient, kind, key, n, params, now, mail)
    return _insert(out)


# -- reminders ------------------------------------------------------------------------------------

def remind(today: date | None = None) -> int:
    """Write the reminders due today: open dossiers past their last day for a decision, to the
    reviewers or approvers who must act; drafts not submitted within a week of the last day of
    filing, to their applicants. One per dossier and deadline for each account, however often this
    runs. Returns how many it wrote; commits."""
    from .nominations import _late  # the queues' own test of "late"

    today = today or clock.today()
    now, mail, out = clock.now(), mail_enabled(), Rows()
    for n in db.session.scalars(select(Nomination).where(_late()).order_by(Nomination.id)):
        due = deadlines.for_year(n.title_code, n.year).get("approve_by")
        key = f"overdue:{n.id}:{due.isoformat()}"
        params = params_for(n, due=due.isoformat())
        for user in acting(n, today):
            _add(out, (user.id, user.email), "overdue", key, n, params, now, mail)
    drafts = []
    for wf in workflows().values():
        for year in range(today.year - 2, today.year + 2):
            due = deadlines.for_year(wf.code, year).get("submit_by")
            if due is None or not due - DRAFT_WARNING <= today <= due:
                continue
            drafts += [(n, due) for n in db.session.scalars(select(Nomination).where(
                Nomination.title_code == wf.code, Nomination.year == year,
                Nomination.state == wf.spec.initial_state).order_by(Nomination.id))]
    who = applicants([n for n, _d in drafts])
    for n, due in drafts:
        key = f"draft_due:{n.id}:{due.isoformat()}"
        for recipient in who[n.id]:
            _add(out, recipient, "draft_due", key, n, params_for(n, due=due.isoformat()), now,
                 mail)
    before = db.session.scalar(select(func.count()).select_from(Notification))
    _insert(out)
    written = db.session.scalar(select(func.count()).select_from(Notification)) - before
    db.session.commit()
    return written


# -- the inbox -----------------------------------------------------------------------------------

@dataclass
class Page:
    items: list
    total: int
    page: int
    per_page: int


def inbox(user: User, page: int = 1, per_page: int = 20) -> Page:
    """The account's own notifications, newest first."""
    base = select(Notification).where(Notification.user_id == user.id)
    total = db.session.scalar(select(func.count()).select_from(base.subquery()))
    items = db.session.scalars(base.order_by(Notification.created_at.desc(),
                                             Notification.id.desc())
                               .limit(per_page).offset((page - 1) * per_page)).all()
    return Page(list(items), total, page, per_page)


def unread_count(user: User) -> int:
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)))


def mark_read(user: User, notification_id: int) -> Notification:
    """Mark one of the account's own notifications read (another's: NotFound); commits."""
    from ..errors import NotFound

    n = db.session.get(Notification, notification_id) if isinstance(notification_id, int) else None
    if n is None or n.user_id != user.id:
        raise NotFound("No such notification.")
    if n.read_at is None:
        n.read_at = clock.now()
    db.session.commit()
    return n


def mark_all_read(user: User) -> None:
    db.session.execute(update(Notification).where(Notification.user_id == user.id,
                                                  Notification.read_at.is_(None))
                       .values(read_at=clock.now()))
    db.session.commit()


# -- an account's address ------------------------------------------------------------------------

EMAIL = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;.]+$")
EMAIL_MAX = 254


def clean_email(value: str | None) -> str | None:
    """The address as stored (None for empty); not an address: Invalid."""
    from ..errors import Invalid

    value = (value or "").strip()
    if value and (len(value) > EMAIL_MAX or not EMAIL.match(value)):
        raise Invalid("Not an e-mail address.", [{"field": "email", "code": "invalid_email",
                                                  "message": "not an e-mail address"}])
    return value or None


def set_email(user: User, value: str | None) -> None:
    """Set (or, empty, remove) the address the account's notifications are e-mailed to; commits.
    Not an address: Invalid, nothing changed."""
    user.email = clean_email(value)
    db.session.commit()


# -- delivery ------------------------------------------------------------------------------------

@dataclass
class Delivery:
    sent: int = 0
    retried: int = 0
    failed: int = 0


def _due_clause(now: datetime):
    return or_(and_(OutboxMail.state == "pending", OutboxMail.next_attempt_at <= now),
               and_(OutboxMail.state == "sending", OutboxMail.lease_until < now))


def claim(token: str) -> OutboxMail | None:
    """Claim the oldest row due for sending (or whose deliverer's lease ran out), in a committed
    transaction of its own: only one deliverer gets it."""
    config = current_app.config
    while True:
        now = clock.now()
        candidate = db.session.scalar(select(OutboxMail.id).where(_due_clause(now))
                                      .order_by(OutboxMail.id).limit(1))
        if candidate is None:
            db.session.commit()
            return None
        taken = db.session.execute(
            update(OutboxMail).where(OutboxMail.id == candidate, _due_clause(now))
            .values(state="sending", claimed_by=token, attempts=OutboxMail.attempts + 1,
                    lease_until=now + timedelta(seconds=int(config["NOTIFY_LEASE_SECONDS"])))
            .execution_options(synchronize_session=False)).rowcount
        db.session.commit()
        if taken == 1:
            return db.session.get(OutboxMail, candidate, populate_existing=True)


# Headers unfolded up to RFC 5322's 998 characters: Python's folding of a long Vietnamese subject
# into several encoded words loses the space between two of them.
MAIL_POLICY = email.policy.SMTP.clone(max_line_length=998)


def _message(row: OutboxMail) -> EmailMessage:
    msg = EmailMessage(policy=MAIL_POLICY)
    msg["From"] = current_app.config["MAIL_SENDER"]
    msg["To"] = row.recipient
    msg["Subject"] = row.subject
    msg["Message-ID"] = row.message_id
    msg["Date"] = format_datetime(row.created_at)
    msg.set_content(row.body)
    return msg


def _connect() -> smtplib.SMTP:
    config = current_app.config
    host, port = config["MAIL_SERVER"], int(config["MAIL_PORT"])
    timeout = float(config["MAIL_TIMEOUT"])
    if config.get("MAIL_USE_SSL"):
        conn: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout)
    else:
        conn = smtplib.SMTP(host, port, timeout=timeout)
        if config.get("MAIL_USE_TLS"):
            conn.starttls()
    if config.get("MAIL_USERNAME"):
        conn.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
    return conn


def back_off(attempts: int) -> timedelta:
    """The wait before attempt `attempts + 1`: doubling from CERTIFY_NOTIFY_RETRY_SECONDS, at most
    six hours."""
    base = int(current_app.config["NOTIFY_RETRY_SECONDS"])
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 6 * 3600))


def deliver(limit: int | None = None) -> Delivery:
    """Send the outbox rows due now, one claim at a time; returns what happened."""
    result = Delivery()
    if not mail_enabled():
        return result
    token = uuid.uuid4().hex
    conn = None
    count = 0
    try:
        while limit is None or count < limit:
            row = claim(token)
            if row is None:
                break
            count += 1
            try:
                if conn is None:
                    conn = _connect()
                conn.send_message(_message(row))
            except (smtplib.SMTPException, OSError) as exc:
                _failed(row, token, exc, result)
                if conn is not None:
                    try:
                        conn.quit()
                    except (smtplib.SMTPException, OSError):
                        pass
                    conn = None
                continue
            # Accepted by the server: recorded at once (see the module's note on the window).
            db.session.execute(update(OutboxMail).where(
                OutboxMail.id == row.id, OutboxMail.claimed_by == token,
                OutboxMail.state == "sending")
                .values(state="sent", sent_at=clock.now(), lease_until=None, last_error=None)
                .execution_options(synchronize_session=False))
            db.session.commit()
            result.sent += 1
    finally:
        if conn is not None:
            try:
                conn.quit()
            except (smtplib.SMTPException, OSError):
                pass
    return result


def _failed(row: OutboxMail, token: str, exc: Exception, result: Delivery) -> None:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        error = "; ".join(f"{r}: {c} {m.decode(errors='replace') if isinstance(m, bytes) else m}"
                          for r, (c, m) in exc.recipients.items())
    elif isinstance(exc, smtplib.SMTPResponseException):
        message = exc.smtp_error
        error = f"{exc.smtp_code} {message.decode(errors='replace') if isinstance(message, bytes) else message}"
    else:
        error = f"{type(exc).__name__}: {exc}"
    last = row.attempts >= int(current_app.config["NOTIFY_MAX_ATTEMPTS"])
    db.session.execute(update(OutboxMail).where(
        OutboxMail.id == row.id, OutboxMail.claimed_by == token, OutboxMail.state == "sending")
        .values(state="failed" if last else "pending", lease_until=None, last_error=error[:2000],
                next_attempt_at=clock.now() + back_off(row.attempts))
        .execution_options(synchronize_session=False))
    db.session.commit()
    if last:
        result.failed += 1
    else:
        result.retried += 1
    log.warning("notification mail %s to %s not sent (attempt %s): %s", row.message_id,
                row.recipient, row.attempts, error)


def next_due() -> datetime | None:
    """When the next waiting row is due (for the worker's next run): a pending row's next
    attempt, or the end of a claimed row's lease (another deliverer has it until then)."""
    waiting = db.session.scalar(select(func.min(OutboxMail.next_attempt_at))
                                .where(OutboxMail.state == "pending"))
    claimed = db.session.scalar(select(func.min(OutboxMail.lease_until))
                                .where(OutboxMail.state == "sending"))
    return min((d for d in (waiting, claimed) if d is not None), default=None)


def outbox_counts() -> dict[str, int]:
    return dict(db.session.execute(select(OutboxMail.state, func.count())
                                   .group_by(OutboxMail.state)).all())


# -- the worker (RQ on Redis) ----------------------------------------------------------------------

QUEUE = "certify-notifications"


def queue():
    """The RQ queue on CERTIFY_REDIS_URL (None when it is not set)."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    from redis import Redis
    from rq import Queue

    return Queue(QUEUE, connection=Redis.from_url(url))


def enqueue_delivery(at: datetime | None = None) -> bool:
    """Queue a delivery job (now, or at `at`); False when Redis is not configured or not
    reachable (the rows wait in the outbox for the next job or `flask notifications deliver`)."""
    try:
        q = queue()
        if q is None:
            return False
        if at is not None and at > clock.now():
            q.enqueue_at(at, delivery_job)
        else:
            q.enqueue(delivery_job)
        return True
    except Exception as exc:  # noqa: BLE001 — never fail the event that wrote the rows
        log.warning("could not queue notification delivery: %s", exc)
        return False


def delivery_job() -> dict:
    """The RQ job: drain the outbox (a batch), then queue the next run for what remains."""
    if not has_app_context():
        from .. import create_app

        with create_app().app_context():
            return delivery_job()
    result = deliver(limit=BATCH)
    after = next_due()
    if after is not None:
        enqueue_delivery(at=after)
    db.session.remove()
    return {"sent": result.sent, "retried": result.retried, "failed": result.failed}


@event.listens_for(Session, "after_commit")
def _after_commit(session) -> None:
    if session.info.pop("certify.mail_written", False) and has_app_context():
        enqueue_delivery()


@event.listens_for(Session, "after_rollback")
def _after_rollback(session) -> None:
    session.info.pop("certify.mail_written", None)
