"""Household members (persons) and organizations."""

from __future__ import annotations

from sqlalchemy import func, select

from .. import clock, policy
from ..errors import Forbidden, NotFound
from ..database import writes
from ..extensions import db
from ..models import (GENDERS, LEVELS, TARGET_GROUPS, Household, Membership, Organization, Person,
                      User)
from . import scope
from . import units as unit_service
from .validate import NATIONAL_ID, Longest, Reasons, fold, row


def _person_fields(r: Reasons, data: dict, *, exclude_id: int | None = None) -> dict:
    out = {}
    out["full_name"] = r.text("full_name", data.get("full_name"), max_length=Longest.FULL_NAME)
    national_id = data.get("national_id")
    if national_id is None or national_id == "":
        r.add("national_id", "required", "The personal identification number is required.")
    elif not isinstance(national_id, str) or not NATIONAL_ID.match(national_id):
        r.add("national_id", "format", "The personal identification number has exactly 12 digits.")
    else:
        clash = db.session.scalar(select(Person.id).where(Person.national_id == national_id))
        if clash is not None and clash != exclude_id:
            r.add("national_id", "taken", "A person with this personal identification number is already registered.")
        out["national_id"] = national_id
    out["birth_year"] = r.integer("birth_year", data.get("birth_year"), minimum=1900,
                                  maximum=clock.today().year)
    out["gender"] = r.choice("gender", data.get("gender"), GENDERS)
    out["target_group"] = r.choice("target_group", data.get("target_group"), TARGET_GROUPS)
    out["ethnicity"] = r.text("ethnicity", data.get("ethnicity"), max_length=Longest.ETHNICITY,
                              required=False)
    out["religion"] = r.text("religion", data.get("religion"), max_length=Longest.RELIGION,
                             required=False)
    out["occupation"] = r.text("occupation", data.get("occupation"), max_length=Longest.OCCUPATION,
                              required=False)
    return out


@writes
def add_person(actor: User, data: dict) -> Person:
    if not policy.can_register_person(actor):
        raise Forbidden("Only a household account registers its members.")
    r = Reasons()
    fields = _person_fields(r, data)
    r.raise_if_any()
    # A member lives where the household is: no unit of their own (Person.unit_id reads it).
    person = Person(household=actor.household, search_name=fold(fields["full_name"]), **fields)
    db.session.add(person)
    db.session.commit()
    return person


@writes
def update_person(actor: User, person: Person, data: dict) -> Person:
    if not policy.can_edit_person(actor, person):
        raise Forbidden("Only the person's household edits their details.")
    r = Reasons()
    fields = _person_fields(r, data, exclude_id=person.id)
    r.raise_if_any()
    for key, value in fields.items():
        setattr(person, key, value)
    person.search_name = fold(person.full_name)
    db.session.commit()
    return person


def get_person(actor: User, person_id) -> Person:
    person = row(Person, person_id)
    if person is None or not scope.can_see_person(actor, person):
        raise NotFound("No such person.")
    return person


def household_members(actor: User) -> list[Person]:
    if actor.household is None:
        return []
    return list(actor.household.members)


@writes
def create_organization(*, name, unit_code, members_count, level=None) -> Organization:
    """A new organization; its `level` (LEVELS) defaults to its unit's."""
    r = Reasons()
    name = r.text("name", name, max_length=Longest.ORGANIZATION_NAME)
    unit = None
    if unit_code is None:
        r.add("unit_code", "required", "unit_code is required.")
    else:
        unit = unit_service.find(unit_code)
        if unit is None:
            r.add("unit_code", "unknown", f"There is no unit {unit_code}.")
    members_count = r.integer("members_count", members_count, minimum=0)
    if level is not None:
        level = r.choice("level", level, LEVELS)
    r.raise_if_any()
    org = Organization(name=name, unit=unit, members_count=members_count,
                       level=level or unit.level)
    db.session.add(org)
    db.session.commit()
    return org


@writes
def set_organization_level(actor: User, org_id, level) -> Organization:
    """An admin sets the organization's level: who reviews and approves its "Đơn vị học tập"
    dossier where a tier profile routes by it (vn-2025)."""
    if actor.role != "admin":
        raise Forbidden("Only an admin changes an organization's level.")
    org = get_organization(actor, org_id)
    r = Reasons()
    level = r.choice("level", level, LEVELS)
    r.raise_if_any()
    org.level = level
    db.session.commit()
    return org


def get_organization(actor: User, org_id) -> Organization:
    org = row(Organization, org_id)
    if org is None or not scope.can_see_organization(actor, org):
        raise NotFound("No such organization.")
    return org


def filing_organization(nomination) -> Organization | None:
    """The organization that filed a person's dossier for its member (None: the household)."""
    org_id = scope.filing_organization_id(nomination)
    return db.session.get(Organization, org_id) if org_id is not None else None


def search_persons(actor: User, *, page: int = 1, per_page: int = 50):
    """Persons the actor may see, by name."""
    from .nominations import Page, paginate

    query = select(Person)
    if actor.role == "household":
        query = query.where(Person.household_id == actor.household_id)
    elif actor.role == "organization":  # its members, current or former
        query = query.where(Person.id.in_(select(Membership.person_id).where(
            Membership.organization_id == actor.organization_id)))
    elif actor.role in ("reviewer", "approver") and actor.unit is not None:
        # A member lives where the household is: joined explicitly (one indexed look-up per
        # row), so that the search_name index can serve ORDER BY ... LIMIT on both databases.
        query = (query.outerjoin(Household, Household.id == Person.household_id)
                 .where(func.coalesce(Household.unit_id, Person.own_unit_id).in_(
                     actor.unit.subtree_ids())))
    elif actor.role != "admin":
        return Page([], 0, page, per_page)
    return paginate(query.order_by(Person.search_name, Person.id), page, per_page)
