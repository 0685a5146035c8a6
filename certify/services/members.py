"""Members of organizations (staff, learners) and the share of them holding a title.

TT 24/2023/TT-BGDĐT judges a "Đơn vị học tập" partly by how many of its members hold "Công dân học
tập" (domain.md, Title 2). The share is computed from the product's own records — persons linked to
the organization with dates — never typed in: the members on the day (31 December of the
evaluation year), and which of them hold a recognition of the title valid that day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import or_, select

from ..extensions import db
from ..models import Membership, Nomination, Person, Recognition


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


def share(organization_id: int, title_code: str, year: int, role: str | None = None) -> Share:
    """The share of the organization's members (of `role`, or all) on 31 December of `year`
    holding `title_code` valid that day, with the list behind it (by name)."""
    day = date(year, 12, 31)
    roles = members_on(organization_id, day, role)
    held = holders_among(roles, title_code, day)
    persons = db.session.scalars(select(Person).where(Person.id.in_(sorted(roles)))
                                 .order_by(Person.search_name, Person.id)).all() if roles else []
    return Share(organization_id=organization_id, title_code=title_code, role=role, as_of=day,
                 numerator=len(held), denominator=len(roles),
                 members=[Member(p, tuple(sorted(roles[p.id])), p.id in held) for p in persons])
