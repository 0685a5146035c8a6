"""Administrative units (đơn vị hành chính) as a tree of any depth, and their denominators."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, utcnow

LEVELS = ("province", "district", "commune")


class Unit(db.Model):
    """A province (tỉnh), district-level unit (huyện/thị xã) or commune/ward (xã/phường).

    `code` is the General Statistics Office code. `path` holds the ids from the root down to this
    unit ("/1/4/9/") so that a subtree is one indexed prefix query, whatever the depth.
    """

    __tablename__ = "units"
    __table_args__ = (CheckConstraint("level IN ('province', 'district', 'commune')", name="level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    path: Mapped[str] = mapped_column(String(400), index=True, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    parent: Mapped[Unit | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Unit]] = relationship(back_populates="parent", order_by="Unit.code")

    def contains(self, other: Unit) -> bool:
        """Whether `other` is this unit or lies below it."""
        return other.path.startswith(self.path)

    def ancestor_ids(self) -> list[int]:
        """Ids from the root down to and including this unit."""
        return [int(part) for part in self.path.strip("/").split("/") if part]

    def __repr__(self) -> str:
        return f"<Unit {self.code} {self.name}>"


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
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    unit: Mapped[Unit] = relationship()
