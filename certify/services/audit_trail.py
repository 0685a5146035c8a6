"""The audit trail of administrative changes, recorded by the database session so no service can forget it.

Every flush that inserts, updates or deletes a unit, denominator, account, organization or
membership is noted (`before_flush`, from SQLAlchemy's attribute history); just before the
transaction commits the notes become `AuditEntry` rows, which the commit then writes with the
change itself. A rollback drops the notes with the change. Password hashes are never copied: the entry says that the password changed.

Who acted comes from a context variable the caller sets: the request layer (certify/web/audit.py)
sets it to the signed-in account of each request; outside any request — `flask` commands on the
server, a shell — the actor is "cli". Nothing here reads the Flask request.
"""

from __future__ import annotations

import contextlib
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Callable, Iterator

from sqlalchemy import Integer, String, event, insert, inspect, literal, select
from sqlalchemy.orm import Session

from ..extensions import db
from ..models import AuditEntry, Denominator, Membership, Organization, Unit, User
from ..models.types import UTCDateTime, utcnow

_INFO_KEY = "certify.audit"
# Shown instead of a secret's value ("the password changed", never the hash).
CHANGED = "[changed]"


@dataclass(frozen=True)
class Actor:
    id: int | None
    name: str


CLI = Actor(None, "cli")
ANONYMOUS = Actor(None, "anonymous")

# A function returning the acting account (a User, an Actor, or None for nobody signed in);
# unset outside requests. A function rather than the account itself so that a request which
# changes nothing never loads its account just for this.
_actor: ContextVar[Callable[[], Any] | None] = ContextVar("certify_audit_actor", default=None)


def set_actor(resolver: Callable[[], Any] | None) -> Token:
    return _actor.set(resolver)


def reset_actor(token: Token) -> None:
    _actor.reset(token)


@contextlib.contextmanager
def acting_as(actor: User | Actor) -> Iterator[None]:
    token = set_actor(lambda: actor)
    try:
        yield
    finally:
        reset_actor(token)


def current_actor() -> Actor:
    resolver = _actor.get()
    if resolver is None:
        return CLI
    who = resolver()
    if who is None:
        return ANONYMOUS
    if isinstance(who, Actor):
        return who
    return Actor(who.id, who.username)


@dataclass(frozen=True)
class Audited:
    """How one model class is recorded: its entity name, the key a person knows a row by, the
    columns whose values must not be copied, and the columns not worth recording."""

    entity: str
    key: Callable[[Any], str]
    secret: frozenset[str] = frozenset()
    ignore: frozenset[str] = frozenset({"created_at"})


def _denominator_key(row: Denominator) -> str:
    unit = row.unit.code if row.unit is not None else row.unit_id
    return f"{unit} · {row.title_code} · {row.year}"


AUDITED: dict[type, Audited] = {
    # A unit's path is derived from its parent (recorded) and its own id.
    Unit: Audited("unit", lambda u: u.code, ignore=frozenset({"created_at", "path"})),
    Denominator: Audited("denominator", _denominator_key, ignore=frozenset({"updated_at"})),
    User: Audited("account", lambda u: u.username, secret=frozenset({"password_hash"})),
    Organization: Audited("organization", lambda o: o.name),
    # Who belongs to an organization (the national id shown masked, as to anyone but admins).
    Membership: Audited("membership", lambda m: f"{m.organization.name} · {m.person.full_name} "
                                                f"({m.person.masked_national_id})"),
}
ENTITY_TYPES = tuple(spec.entity for spec in AUDITED.values())
# The name a secret column is recorded under.
SECRET_NAMES = {"password_hash": "password"}  # nosec B105 — a field name, not a password


@dataclass
class _Note:
    obj: Any
    spec: Audited
    action: str  # create, update, delete
    before: dict[str, Any] = field(default_factory=dict)
    key: str = ""
    entity_id: int | None = None


def _columns(obj, spec: Audited) -> list[str]:
    return [attr.key for attr in inspect(type(obj)).column_attrs if attr.key not in spec.ignore]


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _shown(spec: Audited, values: dict[str, Any]) -> dict[str, Any]:
    """Values as the entry stores them: JSON-ready, secrets replaced by the fact of a change."""
    out = {}
    for name, value in values.items():
        if name in spec.secret:
            out[SECRET_NAMES.get(name, name)] = CHANGED
        else:
            out[name] = _plain(value)
    return out


def _notes(session: Session) -> dict[int, _Note]:
    return session.info.setdefault(_INFO_KEY, {})


def _before_flush(session: Session, _context, _instances) -> None:
    notes = None
    for obj in session.new:
        spec = AUDITED.get(type(obj))
        if spec is not None:
            notes = notes if notes is not None else _notes(session)
            notes.setdefault(id(obj), _Note(obj, spec, "create"))
    for obj in session.dirty:
        spec = AUDITED.get(type(obj))
        if spec is None:
            continue
        notes = notes if notes is not None else _notes(session)
        note = notes.get(id(obj))
        if note is not None and note.action == "create":
            continue  # the entry records its values as they are at commit
        changed = _changes(session, obj, spec)
        if not changed:
            continue
        if note is None:
            note = notes[id(obj)] = _Note(obj, spec, "update")
        for name, old in changed.items():
            note.before.setdefault(name, old)  # the value before the transaction's first change
    for obj in session.deleted:
        spec = AUDITED.get(type(obj))
        if spec is None:
            continue
        notes = notes if notes is not None else _notes(session)
        note = notes.get(id(obj))
        if note is not None and note.action == "create":
            del notes[id(obj)]  # created and deleted in one transaction: nothing happened
            continue
        with session.no_autoflush:
            before = _committed(session, obj, spec)
            before.update(note.before if note else {})
            notes[id(obj)] = _Note(obj, spec, "delete", before, spec.key(obj), obj.id)


def _changes(session: Session, obj, spec: Audited) -> dict[str, Any]:
    """{column: value before} for the columns this flush changes. A column set on an expired
    object has no old value in its history; those are read from the database."""
    state = inspect(obj)
    changed: dict[str, Any] = {}
    unknown: list[str] = []
    for name in _columns(obj, spec):
        history = state.attrs[name].history
        if not history.added:
            continue
        if history.deleted:
            if history.deleted[0] != history.added[0]:
                changed[name] = history.deleted[0]
        else:
            unknown.append(name)
    if unknown and obj.id is not None:
        model = type(obj)
        with session.no_autoflush:
            old = session.execute(select(*(getattr(model, n) for n in unknown))
                                  .where(model.id == obj.id)).one()
        for name, value in zip(unknown, old):
            if value != getattr(obj, name):
                changed[name] = value
    return changed


def _committed(session: Session, obj, spec: Audited) -> dict[str, Any]:
    state = inspect(obj)
    values = {}
    for name in _columns(obj, spec):
        history = state.attrs[name].history
        if history.deleted:
            values[name] = history.deleted[0]
        elif history.unchanged:
            values[name] = history.unchanged[0]
        else:
            values[name] = getattr(obj, name)
    return values


def _before_commit(session: Session) -> None:
    if session.new or session.dirty or session.deleted:
        session.flush()  # notes every pending change, and gives new rows their ids
    notes = session.info.pop(_INFO_KEY, None)
    if not notes:
        return
    actor = current_actor()
    for note in notes.values():
        entry = _entry(note)
        if entry is not None:
            entry.actor_id, entry.actor_name = actor.id, actor.name[:80]
            session.add(entry)


def _entry(note: _Note) -> AuditEntry | None:
    spec, obj = note.spec, note.obj
    if note.action == "delete":
        return AuditEntry(action="delete", entity_type=spec.entity, entity_id=note.entity_id,
                          entity_key=note.key[:400], before=_shown(spec, note.before), after=None)
    if note.action == "create":
        after = {name: getattr(obj, name) for name in _columns(obj, spec)}
        return AuditEntry(action="create", entity_type=spec.entity, entity_id=obj.id,
                          entity_key=spec.key(obj)[:400], before=None, after=_shown(spec, after))
    now = {name: getattr(obj, name) for name in note.before}
    changed = [name for name in note.before if note.before[name] != now[name]
               or name in spec.secret]
    if not changed:
        return None  # changed and changed back within the transaction
    return AuditEntry(action=_update_action(spec, changed, now), entity_type=spec.entity,
                      entity_id=obj.id, entity_key=spec.key(obj)[:400],
                      before=_shown(spec, {n: note.before[n] for n in changed}),
                      after=_shown(spec, {n: now[n] for n in changed}))


def _update_action(spec: Audited, changed: list[str], now: dict[str, Any]) -> str:
    """What an account change amounts to, so the log can be searched for it."""
    if spec.entity == "account" and changed == ["active"]:
        return "activate" if now["active"] else "deactivate"
    if spec.entity == "account" and changed == ["password_hash"]:
        return "password"
    return "update"


def _after_transaction_end(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_INFO_KEY, None)  # rolled back (or committed): the notes go with it


def install() -> None:
    """Listen on the sessions of certify's `db` (idempotent: create_app may run many times)."""
    target = db.session
    for name, fn in (("before_flush", _before_flush), ("before_commit", _before_commit),
                     ("after_transaction_end", _after_transaction_end)):
        if not event.contains(target, name, fn):
            event.listen(target, name, fn)


def record(*, action: str, entity_type: str, entity_id: int | None, key: str,
           before: dict | None = None, after: dict | None = None) -> AuditEntry:
    """Add an entry for a change that is not a row of an audited model (say, lifting a sign-in
    lock kept elsewhere). It is written by the caller's commit, with whatever else it changes."""
    actor = current_actor()
    entry = AuditEntry(action=action, entity_type=entity_type, entity_id=entity_id,
                       entity_key=key[:400], before=before, after=after,
                       actor_id=actor.id, actor_name=actor.name[:80])
    db.session.add(entry)
    return entry


def entries(*, entity_type: str | None = None, actor: str | None = None, page: int = 1,
            per_page: int = 50):
    """Entries newest first, optionally of one entity type and/or by one actor's name."""
    stmt = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if entity_type:
        stmt = stmt.where(AuditEntry.entity_type == entity_type)
    if actor:
        stmt = stmt.where(AuditEntry.actor_name == actor)
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False, count=True)


def actor_names() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.actor_name).distinct()
                                   .order_by(AuditEntry.actor_name)))



def record_moved(model: type, key_column, where, column: str, old: Any, new: Any) -> None:
    """The entries of the rows of an audited model that a bulk UPDATE is about to change (the
    session's events do not see those): the rows `where` selects, whose `column` goes from `old`
    to `new`; `key_column` is what AUDITED's key reads (an organization's name, an account's
    username). The same entries an ORM change would leave, inserted by one INSERT ... SELECT
    (call it before the UPDATE), written by the caller's commit."""
    spec = AUDITED[model]
    actor = current_actor()
    json_type = AuditEntry.__table__.c.before.type
    rows = select(
        literal(utcnow(), UTCDateTime()), literal(actor.id, Integer()),
        literal(actor.name[:80], String()),
        literal(_update_action(spec, [column], {column: new}), String()),
        literal(spec.entity, String()), model.id, key_column,
        literal(_shown(spec, {column: old}), json_type),
        literal(_shown(spec, {column: new}), json_type)).where(where)
    db.session.execute(insert(AuditEntry).from_select(
        ["at", "actor_id", "actor_name", "action", "entity_type", "entity_id", "entity_key",
         "before", "after"], rows))
