"""Administrative units (đơn vị hành chính) as a tree of any depth, and their denominators."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (CheckConstraint, Date, ForeignKey, Index, Integer, String,
                        UniqueConstraint, select, text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, utcnow

LEVELS = ("province", "district", "commune")
SUCCESSION_KINDS = ("merge", "split", "rename")

# The first day of a unit whose start is not recorded: units that existed before the product knew
# them (every unit created before validity was recorded, and any unit created without a start).
EARLIEST = date(1900, 1, 1)


class Unit(db.Model):
    """A province (tỉnh), district-level unit (huyện/thị xã) or commune/ward (xã/phường).

    `code` is the General Statistics Office code. `path` holds the ids from the root down to this
    unit ("/1/4/9/") so that a subtree is one indexed prefix query, whatever the depth.

    A unit exists from `valid_from` to `valid_until`, both days included; `valid_until` is None
    while the unit is current. Codes are reused after a reorganisation, so a code is unique only
    among the units valid on the same day (services/units.py refuses an overlap; the partial
    unique index guards the current units in the database).
    """

    __tablename__ = "units"
    __table_args__ = (
        CheckConstraint("level IN ('province', 'district', 'commune')", name="level"),
        CheckConstraint("valid_until IS NULL OR valid_until >= valid_from", name="validity"),
        Index("uq_units_current_code", "code", unique=True,
              sqlite_where=text("valid_until IS NULL"), postgresql_where=text("valid_until IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), index=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    path: Mapped[str] = mapped_column(String(400), index=True, default="")
    valid_from: Mapped[date] = mapped_column(Date, default=EARLIEST)
    valid_until: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    parent: Mapped[Unit | None] = relationship(remote_side=[id], back_populates="children")
    # Every child that ever stood below this unit; services/units.children_on(unit, day) picks
    # those valid on a day.
    children: Mapped[list[Unit]] = relationship(back_populates="parent",
                                                order_by="Unit.code")

    def valid_on(self, day: date) -> bool:
        """Whether the unit exists on `day`."""
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)

    def contains(self, other: Unit) -> bool:
        """Whether `other` is this unit or lies below it."""
        return other.path.startswith(self.path)

    def subtree_ids(self):
        """The ids of this unit and of every unit below it, as a subquery: `contains` in SQL."""
        return select(Unit.id).where(Unit.path.startswith(self.path))

    def ancestor_ids(self) -> list[int]:
        """Ids from the root down to and including this unit."""
        return [int(part) for part in self.path.strip("/").split("/") if part]

    def __repr__(self) -> str:
        return f"<Unit {self.code} {self.name}>"


class Succession(db.Model):
    """One dated link of a unit's lineage: from `effective` on, `successor` takes over (all or part
    of) `predecessor` — a merge, a split or a rename, with the text that decided it."""

    __tablename__ = "unit_successions"
    __table_args__ = (
        UniqueConstraint("predecessor_id", "successor_id"),
        CheckConstraint("kind IN ('merge', 'split', 'rename')", name="kind"),
        CheckConstraint("predecessor_id <> successor_id", name="distinct_units"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    predecessor_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    successor_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    effective: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    predecessor: Mapped[Unit] = relationship(foreign_keys=[predecessor_id])
    successor: Mapped[Unit] = relationship(foreign_keys=[successor_id])


class Denominator(db.Model):
    """The figure a progress ratio divides by: citizens, or eligible agencies and units, of a unit
    for a title and a year — entered, never guessed (domain.md, "How progress is counted")."""

    __tablename__ = "denominators"
    __table_args__ = (UniqueConstraint("unit_id", "title_code", "year"),
                      CheckConstraint("value >= 0", name="value_not_negative"))

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    title_code: Mapped[str] = mapped_column(String(64))
    year: Mapped[int] = mapped_column(Integer)
    value: Mapped[int] = mapped_column(Integer)
    # The source text of the reorganisation that summed this figure from the predecessors' own
    # (services/reorganizations.py, `carried`): a figure to check. None once an admin enters it.
    carried_from: Mapped[str | None] = mapped_column(String(300))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    unit: Mapped[Unit] = relationship()
