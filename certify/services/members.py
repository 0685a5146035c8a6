"""Members of organizations (staff, learners) and the share of them holding a title.

TT 24/2023/TT-BGDĐT judges a "Đơn vị học tập" partly by how many of its members hold "Công dân học
tập" (domain.md, Title 2). The share is computed from the product's own records — persons linked to
the organization with dates — never typed in: the members on the day (31 December of the
evaluation year), and which of them hold a recognition of the title valid that day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from .. import clock
from ..database import writes
from ..errors import Forbidden, NotFound, invalid
from ..extensions import db
from ..models import MEMBER_ROLES, Membership, Nomination, Organization, Person, Recognition, User
from . import scope
from . import units as unit_service
from .decisions import _date as read_date
from .nominations import Page, paginate
from .people import _person_fields
from .validate import NATIONAL_ID, Longest, Reasons, fold, row, too_long


@dataclass(frozen=True)
class Member:
    """One member counted in a share, and whether they hold the title on the day."""

    person: Person
    roles: tuple[str, ...]
    holds: bool


@dataclass(frozen=True)
class Share:
    """Members of an organization on `as_of` holding a title valid that day."""

    organization_id: int
    title_code: str
    role: str | None
    as_of: date
    numerator: int
    denominator: int
    members: list[Member] = field(default_factory=list, compare=False, repr=False)

    @property
    def value(self) -> float | None:
        """numerator / denominator; None for an organization without members that day."""
        return self.numerator / self.denominator if self.denominator else None


def members_on(organization_id: int, day: date, role: str | None = None) -> dict[int, set[str]]:
    """Person id → their roles in the organization on `day` (a person counted once)."""
    query = select(Membership.person_id, Membership.role).where(
        Membership.organization_id == organization_id, Membership.starts_on <= day,
        or_(Membership.ends_on.is_(None), Membership.ends_on >= day))
    if role is not None:
        query = query.where(Membership.role == role)
    found: dict[int, set[str]] = {}
    for person_id, member_role in db.session.execute(query):
        found.setdefault(person_id, set()).add(member_role)
    return found


def holders_among(person_ids, title_code: str, day: date) -> set[int]:
    """Which of the persons hold a recognition of the title valid on `day` (not revoked by then)."""
    ids = sorted(set(person_ids))
    if not ids:
        return set()
    held: set[int] = set()
    for chunk in (ids[i:i + 500] for i in range(0, len(ids), 500)):
        held.update(db.session.scalars(
            select(Nomination.person_id).join(Recognition, Recognition.nomination_id == Nomination.id)
            .where(Nomination.person_id.in_(chunk), Recognition.title_code == title_code,
                   Recognition.valid_from <= day, Recognition.valid_until >= day,
                   or_(Recognition.revoked_on.is_(None), Recognition.revoked_on > day))
            .distinct()))
    return held


def share(organization_id: int, title_code: str, year: int, role: str | None = None, *,
          with_members: bool = True) -> Share:
    """The share of the organization's members (of `role`, or all) on 31 December of `year`
    holding `title_code` valid that day, with the list behind it (by name; left empty when
    `with_members` is false and only the figure is wanted)."""
    day = date(year, 12, 31)
    roles = members_on(organization_id, day, role)
    held = holders_among(roles, title_code, day)
    persons = db.session.scalars(select(Person).where(Person.id.in_(sorted(roles)))
                                 .order_by(Person.search_name, Person.id)).all() \
        if roles and with_members else []
    return Share(organization_id=organization_id, title_code=title_code, role=role, as_of=day,
                 numerator=len(held), denominator=len(roles),
                 members=[Member(p, tuple(sorted(roles[p.id])), p.id in held) for p in persons])


# -- entering members -----------------------------------------------------------------------------
# Written by the organization's own account and by admins; read also by the reviewers and approvers
# whose unit contains the organization's (scope.can_see_organization); everyone else: 404.

def readable(actor: User, organization_id) -> Organization:
    """The organization whose members `actor` may read (404 otherwise)."""
    org = row(Organization, organization_id)
    if org is None or not scope.can_see_organization(actor, org):
        raise NotFound("No such organization.")
    return org


def _writable(actor: User, organization_id) -> Organization:
    org = readable(actor, organization_id)
    if not scope.writes_members(actor, org):
        raise Forbidden("Only the organization's account and admins enter its members.")
    return org


def _day(r: Reasons, field_name: str, value, *, required: bool) -> date | None:
    """A date from a form or a client (a date, or text YYYY-MM-DD)."""
    if value is None or value == "":
        if required:
            r.add(field_name, "required", f"{field_name} is required.")
        return None
    day = read_date(value)
    if day is None:
        r.add(field_name, "format", f"{field_name} must be a date YYYY-MM-DD.")
    return day


def _person_for(r: Reasons, actor: User, org: Organization, data: dict):
    """The member's person: (an existing Person, None) or (None, the fields of a new one)."""
    person_id, national_id = data.get("person_id"), data.get("national_id")
    if person_id is not None and national_id not in (None, ""):
        r.add("person_id", "one_of", "Give person_id or national_id, not both.")
        return None, None
    if person_id is not None:
        person = row(Person, person_id)
        # By id only a person the writer already knows: a former member (or any, for admins).
        if person is None or not scope.can_see_person(actor, person):
            r.add("person_id", "unknown", f"There is no person {person_id}.")
            return None, None
        return person, None
    if national_id in (None, ""):
        r.add("national_id", "required", "Give person_id or national_id.")
        return None, None
    if isinstance(national_id, str) and NATIONAL_ID.match(national_id):
        person = db.session.scalar(select(Person).where(Person.national_id == national_id))
        if person is not None:
            # One row per số định danh: the same person is linked, never registered twice. A name
            # given with the number must be theirs (a mistyped number links a stranger).
            name = data.get("full_name")
            if isinstance(name, str) and name.strip() and fold(name) != person.search_name:
                r.add("full_name", "name_mismatch",
                      "A person with this identification number is registered under another name.")
            return person, None
    fields = _person_fields(r, data)
    unit_code = data.get("unit_code")
    if unit_code in (None, ""):
        r.add("unit_code", "required", "unit_code (the commune the person lives in) is required.")
    else:
        unit = unit_service.find(unit_code) if isinstance(unit_code, str) else None
        if unit is None:
            r.add("unit_code", "unknown", f"There is no unit {unit_code}.")
        elif unit.level != "commune":
            r.add("unit_code", "not_commune", "The person's unit is the commune they live in.")
        else:
            fields["own_unit_id"] = unit.id  # no household: the person's own commune
    return None, fields


def _overlap(r: Reasons, org: Organization, person: Person, role: str, starts: date,
             ends: date | None, *, besides: int | None = None) -> None:
    """The same person already a member with the same role on some day of [starts, ends]."""
    query = select(Membership).where(
        Membership.organization_id == org.id, Membership.person_id == person.id,
        Membership.role == role, or_(Membership.ends_on.is_(None), Membership.ends_on >= starts))
    if ends is not None:
        query = query.where(Membership.starts_on <= ends)
    if besides is not None:
        query = query.where(Membership.id != besides)
    clash = db.session.scalars(query.limit(1)).first()
    if clash is not None:
        r.items.append({"field": "from", "code": "overlap", "member_id": clash.id,
                        "starts_on": clash.starts_on.isoformat(),
                        "ends_on": clash.ends_on.isoformat() if clash.ends_on else None,
                        "message": "This person is already a member with this role on some of "
                                   "these days."})


@writes
def add(actor: User, organization_id, data: dict) -> Membership:
    """Add a member by `person_id` or `national_id` (a new person is registered with the fields
    households use plus `unit_code`, their commune), with `role`, `from` and `until`."""
    org = _writable(actor, organization_id)
    r = Reasons()
    person, new_fields = _person_for(r, actor, org, data)
    role = r.choice("role", data.get("role"), MEMBER_ROLES)
    starts = _day(r, "from", data.get("from"), required=True)
    ends = _day(r, "until", data.get("until"), required=False)
    if starts is not None and ends is not None and ends < starts:
        r.add("until", "before_start", "until is before from.")
    elif person is not None and role is not None and starts is not None:
        _overlap(r, org, person, role, starts, ends)
    r.raise_if_any()
    if person is None:
        person = Person(household_id=None, search_name=fold(new_fields["full_name"]), **new_fields)
        db.session.add(person)
    membership = Membership(organization=org, person=person, role=role, starts_on=starts,
                            ends_on=ends, created_by_id=actor.id)
    db.session.add(membership)
    try:
        db.session.commit()
    except IntegrityError as exc:  # a simultaneous request registered the same number first
        db.session.rollback()
        raise invalid("national_id", "taken", "A person with this personal identification "
                      "number was registered meanwhile; add them again.") from exc
    return membership


@writes
def end(actor: User, organization_id, member_id, until) -> Membership:
    """Set the last day (included) of a membership."""
    org = _writable(actor, organization_id)
    membership = row(Membership, member_id)
    if membership is None or membership.organization_id != org.id:
        raise NotFound("No such member.")
    r = Reasons()
    ends = _day(r, "until", until, required=True)
    if ends is not None and ends < membership.starts_on:
        r.add("until", "before_start", "until is before the membership's first day.")
    elif ends is not None:
        _overlap(r, org, membership.person, membership.role, membership.starts_on, ends,
                 besides=membership.id)
    r.raise_if_any()
    membership.ends_on = ends
    db.session.commit()
    return membership


def get(actor: User, organization_id, member_id) -> Membership:
    org = readable(actor, organization_id)
    membership = row(Membership, member_id)
    if membership is None or membership.organization_id != org.id:
        raise NotFound("No such member.")
    return membership


def search(actor: User, organization_id, *, q: str | None = None, on: date | None = None,
           page: int = 1, per_page: int = 50) -> Page:
    """The organization's memberships by name (diacritics optional); `on`: only those current that
    day."""
    org = readable(actor, organization_id)
    if q is not None and len(q) > Longest.QUERY:
        raise too_long("q", Longest.QUERY)
    query = (select(Membership).join(Person, Person.id == Membership.person_id)
             .where(Membership.organization_id == org.id))
    if q:
        query = query.where(Person.search_name.contains(fold(q), autoescape=True))
    if on is not None:
        query = query.where(Membership.starts_on <= on,
                            or_(Membership.ends_on.is_(None), Membership.ends_on >= on))
    return paginate(query.order_by(Person.search_name, Person.id, Membership.starts_on,
                                   Membership.id), page, per_page)


def counts_on(day: date | None = None) -> dict[int, int]:
    """Organization id → how many persons are its members on `day` (today by default), from the
    records (the typed `members_count` is never used)."""
    day = day or clock.today()
    return dict(db.session.execute(
        select(Membership.organization_id, func.count(Membership.person_id.distinct()))
        .where(Membership.starts_on <= day,
               or_(Membership.ends_on.is_(None), Membership.ends_on >= day))
        .group_by(Membership.organization_id)).all())

