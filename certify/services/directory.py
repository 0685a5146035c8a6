"""Listing units for pickers: which units a page may offer (names only, nothing personal)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from .. import clock
from ..extensions import db
from ..models import Organization, Unit, User
from .units import valid_on


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
