"""Who may see what: the scope rules of api.md ("Roles and scope"), in one place."""

from __future__ import annotations

from sqlalchemy import select, true

from ..models import Nomination, Organization, Person, Unit, User


def nomination_filter(actor: User):
    """A WHERE clause limiting nominations to those `actor` may see."""
    if actor.role == "admin":
        return true()
    if actor.role == "household":
        return Nomination.person_id.in_(
            select(Person.id).where(Person.household_id == actor.household_id))
    if actor.role == "organization":
        return Nomination.organization_id == actor.organization_id
    if actor.role in ("reviewer", "approver") and actor.unit is not None:
        return Nomination.unit_id.in_(select(Unit.id).where(Unit.path.startswith(actor.unit.path)))
    return Nomination.id.is_(None)


def owns_subject(actor: User, subject: Person | Organization) -> bool:
    """Whether `actor` applies on behalf of a person (its household) or an organization (its
    own account)."""
    if isinstance(subject, Person):
        return actor.role == "household" and subject.household_id == actor.household_id
    return actor.role == "organization" and subject.id == actor.organization_id


def owns(actor: User, nomination: Nomination) -> bool:
    """Whether `actor` applies on behalf of the nomination's subject."""
    return owns_subject(actor, nomination.person or nomination.organization)


def in_unit_scope(actor: User, unit: Unit) -> bool:
    if actor.role == "admin":
        return True
    return actor.unit is not None and actor.unit.contains(unit)


def can_see_nomination(actor: User, nomination: Nomination) -> bool:
    if actor.role == "admin":
        return True
    if actor.role in ("household", "organization"):
        return owns(actor, nomination)
    if actor.role in ("reviewer", "approver"):
        return in_unit_scope(actor, nomination.unit)
    return False


def can_see_person(actor: User, person: Person) -> bool:
    if actor.role == "admin":
        return True
    if actor.role == "household":
        return person.household_id == actor.household_id
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


def sees_full_national_id(actor: User, person: Person) -> bool:
    """Only the person's own household and admins see the whole CCCD number (api.md)."""
    return actor.role == "admin" or (actor.role == "household" and
                                      person.household_id == actor.household_id)
