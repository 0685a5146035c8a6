"""Listing units for pickers: which units a page may offer (names only, nothing personal)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import false, func, or_, select
from sqlalchemy.orm import joinedload

from .. import clock
from ..extensions import db
from ..models import LEVELS, Membership, Nomination, Organization, Unit, User
from ..workflow import workflows
from .units import find as find_unit
from .units import valid_on
from .validate import Longest, fold, too_long


def all_units(on: date | None = None) -> list[Unit]:
    """Every unit valid on the day `on` (default: today), parents before their children."""
    return list(db.session.scalars(select(Unit).where(valid_on(on or clock.today()))
                                   .order_by(Unit.path)))


def top_unit(on: date | None = None) -> Unit | None:
    """The first root of the tree valid on `on` (default: today)."""
    return db.session.scalars(select(Unit).where(Unit.parent_id.is_(None),
                                                 valid_on(on or clock.today()))
                              .order_by(Unit.code)).first()


def visible_units(actor: User, on: date | None = None) -> list[Unit]:
    """The units valid on `on` (default: today) that `actor` may look at: its own unit and
    everything below it (admins: all)."""
    if actor.role == "admin":
        return all_units(on)
    if actor.unit is None:
        return []
    return list(db.session.scalars(
        select(Unit).where(Unit.path.startswith(actor.unit.path), valid_on(on or clock.today()))
        .order_by(Unit.path)))


def users() -> list[User]:
    """Every account, by role then username (the admin's accounts page)."""
    return list(db.session.scalars(select(User).order_by(User.role, User.username)))


def organizations() -> list[Organization]:
    return list(db.session.scalars(select(Organization).order_by(Organization.name)))


@dataclass(frozen=True)
class OrganizationRow:
    """A row of a staff list of organizations: the organization (with its unit), its members
    today (from the records) and its latest dossier of a title for organizations ("Đơn vị học
    tập"; None when it has none)."""

    organization: Organization
    members_today: int
    dossier: Nomination | None


def search_organizations(actor: User, *, q: str | None = None, level: str | None = None,
                         unit: str | None = None, page: int = 1, per_page: int = 50):
    """The organizations `actor` may look at (admins: all; reviewers and approvers: those of their
    unit and below; others: none) matching a name without diacritics (`q`), their own `level` and
    a unit's code (it and below), by name, a page at a time, each with its members today and its
    latest dossier: four statements whatever the page's length. A search longer than
    Longest.QUERY is 422; an unknown level or unit matches nothing."""
    from .nominations import Page, paginate  # nominations -> judging -> members -> this module

    q = (q or "").strip()
    if len(q) > Longest.QUERY:
        raise too_long("q", Longest.QUERY)
    query = select(Organization)
    if actor.role != "admin":
        if actor.role not in ("reviewer", "approver") or actor.unit is None:
            query = query.where(false())
        else:
            query = query.where(Organization.unit_id.in_(
                actor.unit.subtree_ids()))
    if q and fold(q):
        query = query.where(Organization.search_name.contains(fold(q), autoescape=True))
    if level:
        query = query.where(Organization.level == level if level in LEVELS else false())
    if unit:
        found = find_unit(unit)
        query = query.where(Organization.unit_id.in_(
            found.subtree_ids()) if found else false())
    result = paginate(query.options(joinedload(Organization.unit))
                      .order_by(Organization.search_name, Organization.id), page, per_page)
    ids = [o.id for o in result.items]
    if not ids:
        return Page([], result.total, page, per_page)
    today = clock.today()
    counts = dict(db.session.execute(
        select(Membership.organization_id, func.count(Membership.person_id.distinct()))
        .where(Membership.organization_id.in_(ids), Membership.starts_on <= today,
               or_(Membership.ends_on.is_(None), Membership.ends_on >= today))
        .group_by(Membership.organization_id)).all())
    titles = [code for code, wf in workflows().items() if wf.spec.subject == "organization"]
    ranked = select(Nomination.id.label("id"), func.row_number().over(
        partition_by=Nomination.organization_id,
        order_by=(Nomination.year.desc(), Nomination.id.desc())).label("rank")).where(
        Nomination.organization_id.in_(ids), Nomination.title_code.in_(titles)).subquery()
    latest = {n.organization_id: n for n in db.session.scalars(
        select(Nomination).join(ranked, ranked.c.id == Nomination.id).where(ranked.c.rank == 1))}
    return Page([OrganizationRow(o, counts.get(o.id, 0), latest.get(o.id)) for o in result.items],
                result.total, page, per_page)
