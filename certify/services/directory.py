"""Listing units for pickers: which units a page may offer (names only, nothing personal)."""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import Organization, Unit, User


def all_units() -> list[Unit]:
    """Every unit, parents before their children."""
    return list(db.session.scalars(select(Unit).order_by(Unit.path)))


def top_unit() -> Unit | None:
    return db.session.scalars(select(Unit).where(Unit.parent_id.is_(None))
                              .order_by(Unit.code)).first()


def visible_units(actor: User) -> list[Unit]:
    """The units `actor` may look at: its own unit and everything below it (admins: all)."""
    if actor.role == "admin":
        return all_units()
    if actor.unit is None:
        return []
    return list(db.session.scalars(
        select(Unit).where(Unit.path.startswith(actor.unit.path)).order_by(Unit.path)))


def users() -> list[User]:
    """Every account, by role then username (the admin's accounts page)."""
    return list(db.session.scalars(select(User).order_by(User.role, User.username)))


def organizations() -> list[Organization]:
    return list(db.session.scalars(select(Organization).order_by(Organization.name)))
