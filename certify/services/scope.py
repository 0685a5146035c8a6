"""Who may see what: the scope rules of api.md ("Roles and scope"), in one place."""

from __future__ import annotations

from sqlalchemy import and_, exists, or_, select, true

from .. import clock
from ..extensions import db
from ..models import Membership, Nomination, Organization, Person, Unit, User


def nomination_filter(actor: User):
    """A WHERE clause limiting nominations to those `actor` may see."""
    if actor.role == "admin":
        return true()
    if actor.role == "household":
        return Nomination.person_id.in_(
            select(Person.id).where(Person.household_id == actor.household_id))
    if actor.role == "organization":
        # Its own "Đơn vị học tập" dossiers, and the "Công dân học tập" dossiers it filed for its
        # members.
        return or_(Nomination.organization_id == actor.organization_id,
                   and_(Nomination.person_id.is_not(None), Nomination.created_by_id.in_(
                       select(User.id).where(User.role == "organization",
                                             User.organization_id == actor.organization_id))))
    if actor.role in ("reviewer", "approver") and actor.unit is not None:
        # A draft never submitted (no receipt code yet) is its applicant's alone.
        return and_(Nomination.receipt_code.is_not(None), Nomination.unit_id.in_(
            actor.unit.subtree_ids()))
    return Nomination.id.is_(None)


def is_member(person: Person, organization_id: int | None, day=None, *, ever=False) -> bool:
    """Whether the person is a member (staff or learner) of the organization on `day` (today), or
    `ever` was."""
    if organization_id is None:
        return False
    where = [Membership.person_id == person.id, Membership.organization_id == organization_id]
    if not ever:
        day = day or clock.today()
        where += [Membership.starts_on <= day,
                  or_(Membership.ends_on.is_(None), Membership.ends_on >= day)]
    return bool(db.session.scalar(select(exists().where(*where))))


def owns_subject(actor: User, subject: Person | Organization) -> bool:
    """Whether `actor` may apply on behalf of a person (its household, or an organization it is a
    current member of) or an organization (its own account)."""
    if isinstance(subject, Person):
        if actor.role == "organization":
            return is_member(subject, actor.organization_id)
        return actor.role == "household" and subject.household_id == actor.household_id
    return actor.role == "organization" and subject.id == actor.organization_id


def filing_organization_id(nomination: Nomination) -> int | None:
    """The organization that filed a person's dossier for its member; None when the person's
    household filed it (or for an organization's own dossier)."""
    creator = nomination.created_by
    if nomination.person_id is None or creator is None or creator.role != "organization":
        return None
    return creator.organization_id


def owns(actor: User, nomination: Nomination) -> bool:
    """Whether `actor` applies for the nomination (edits, submits, withdraws it): whoever filed it
    — the person's household, or the organization that filed it for its member (then the
    household only reads it)."""
    filer = filing_organization_id(nomination)
    if filer is not None:
        return actor.role == "organization" and actor.organization_id == filer
    if nomination.person is not None:
        return actor.role == "household" and nomination.person.household_id == actor.household_id
    return owns_subject(actor, nomination.organization)


def in_unit_scope(actor: User, unit: Unit) -> bool:
    if actor.role == "admin":
        return True
    return actor.unit is not None and actor.unit.contains(unit)


def can_see_nomination(actor: User, nomination: Nomination) -> bool:
    if actor.role == "admin":
        return True
    if actor.role == "household":  # also a dossier an organization filed for its member
        return nomination.person is not None and \
            nomination.person.household_id == actor.household_id
    if actor.role == "organization":
        return owns(actor, nomination)
    if actor.role in ("reviewer", "approver"):
        return nomination.receipt_code is not None and in_unit_scope(actor, nomination.unit)
    return False


def can_see_person(actor: User, person: Person) -> bool:
    if actor.role == "admin":
        return True
    if actor.role == "household":
        return person.household_id == actor.household_id
    if actor.role == "organization":  # its members, current or former
        return is_member(person, actor.organization_id, ever=True)
    if actor.role in ("reviewer", "approver"):
        return in_unit_scope(actor, person.unit)
    return False


def can_see_organization(actor: User, organization: Organization) -> bool:
    if actor.role == "admin":
        return True
    if actor.role == "organization":
        return actor.organization_id == organization.id
    if actor.role in ("reviewer", "approver"):
        return in_unit_scope(actor, organization.unit)
    return False


def writes_members(actor: User, organization: Organization) -> bool:
    """Who enters an organization's members: its own account and admins."""
    return actor.role == "admin" or (actor.role == "organization"
                                     and actor.organization_id == organization.id)


def sees_full_national_id(actor: User, person: Person) -> bool:
    """Only the person's own household and admins see the whole CCCD number (api.md)."""
    return actor.role == "admin" or (actor.role == "household" and
                                      person.household_id == actor.household_id)
