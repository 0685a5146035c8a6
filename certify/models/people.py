"""Households and their members, and organizations (agencies, units, schools)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, utcnow
from .units import Unit

GENDERS = ("male", "female")
# QĐ 324/QĐ-KHVN (25/10/2023): the four target groups of "Công dân học tập".
TARGET_GROUPS = ("commune_resident", "worker", "staff_business", "learner")


class Household(db.Model):
    """A household (hộ gia đình): the account that registers its members."""

    __tablename__ = "households"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    unit: Mapped[Unit] = relationship()
    members: Mapped[list[Person]] = relationship(back_populates="household", order_by="Person.id")


class Person(db.Model):
    """A citizen who may be nominated for "Công dân học tập".

    The personal identification number (số định danh cá nhân, 12 digits, on the thẻ căn cước) is
    stored whole and shown masked to anyone but
    the household and admins.
    """

    __tablename__ = "persons"
    __table_args__ = (
        CheckConstraint("gender IN ('male', 'female')", name="gender"),
        CheckConstraint(
            "target_group IN ('commune_resident', 'worker', 'staff_business', 'learner')",
            name="target_group"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    full_name: Mapped[str] = mapped_column(String(200))
    # Lower-case, without diacritics (đ→d): what a search box matches against.
    search_name: Mapped[str] = mapped_column(String(200), index=True)
    national_id: Mapped[str] = mapped_column(String(12), unique=True)
    birth_year: Mapped[int] = mapped_column(Integer)
    gender: Mapped[str] = mapped_column(String(8))
    target_group: Mapped[str] = mapped_column(String(32))
    ethnicity: Mapped[str | None] = mapped_column(String(64))
    # Optional, as on the national platform congdanhoctap.vn (domain.md, Registration).
    religion: Mapped[str | None] = mapped_column(String(64))
    occupation: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    household: Mapped[Household] = relationship(back_populates="members")
    unit: Mapped[Unit] = relationship()

    @property
    def masked_national_id(self) -> str:
        return "*" * 8 + self.national_id[-4:]

    @property
    def initials(self) -> str:
        """"Nguyễn Văn An" → "N.V.A." — what public pages may show of a holder."""
        return "".join(part[0].upper() + "." for part in self.full_name.split() if part)


class Organization(db.Model):
    """An agency, unit or school (cơ quan, đơn vị, trường học) that may become a "Đơn vị học tập"."""

    __tablename__ = "organizations"
    __table_args__ = (CheckConstraint("members_count >= 0", name="members_count"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    members_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    unit: Mapped[Unit] = relationship()
