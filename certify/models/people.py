"""Households and their members, and organizations (agencies, units, schools)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (CheckConstraint, Date, ForeignKey, Index, Integer, String, func, or_,
                        select, text)
from sqlalchemy.ext.hybrid import Comparator, hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates
from sqlalchemy.sql import operators

from ..extensions import db
from .types import UTCDateTime, utcnow
from .units import Unit

GENDERS = ("male", "female")
# How a person belongs to an organization (TT 24/2023/TT-BGDĐT counts members: staff, and in schools
# learners).
MEMBER_ROLES = ("staff", "learner")
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
        # A household member lives where the household is (no unit of their own); a person
        # without a household has one.
        CheckConstraint("(household_id IS NULL) <> (unit_id IS NULL)", name="household_or_unit"),
        # Only persons without a household: with millions of NULLs in it SQLite's statistics
        # would call the index useless.
        Index("ix_persons_unit_id", "unit_id", sqlite_where=text("unit_id IS NOT NULL"),
              postgresql_where=text("unit_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # A person registered by an organization (its staff, its learners) may belong to no household.
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"), index=True)
    # The commune (ward) of a person WITHOUT a household (NULL for a household member, who lives
    # where the household is): a reorganisation moves households, and their members follow with
    # no write. Read `unit_id` / `unit` (either case); write `own_unit_id` / `own_unit`.
    own_unit_id: Mapped[int | None] = mapped_column("unit_id", ForeignKey("units.id"))
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

    household: Mapped[Household | None] = relationship(back_populates="members")
    own_unit: Mapped[Unit | None] = relationship()
    memberships: Mapped[list[Membership]] = relationship(back_populates="person",
                                                         order_by="Membership.id")

    @hybrid_property
    def unit_id(self) -> int | None:
        """The commune the person lives in: their household's, or their own when they have none.
        Its review committee reviews the person's dossiers."""
        household = self.household
        return household.unit_id if household is not None else self.own_unit_id

    @unit_id.inplace.setter
    def _unit_id_setter(self, value: int | None) -> None:
        """Only for a person without a household (a member's unit is the household's)."""
        self.own_unit_id = value

    @unit_id.inplace.comparator
    @classmethod
    def _unit_id_comparator(cls) -> _UnitComparator:
        return _UnitComparator(cls)

    @property
    def unit(self) -> Unit | None:
        return self.household.unit if self.household is not None else self.own_unit

    @property
    def masked_national_id(self) -> str:
        return "*" * 8 + self.national_id[-4:]

    @property
    def initials(self) -> str:
        """"Nguyễn Văn An" → "N.V.A." — what public pages may show of a holder."""
        return "".join(part[0].upper() + "." for part in self.full_name.split() if part)


class _UnitComparator(Comparator):
    """`Person.unit_id` in SQL. `== x` and `.in_(...)` become "own unit is x, or the household's
    unit is x" (each side an indexed lookup on both databases); anything else (ORDER BY, a
    selected column) reads coalesce(own unit, the household's unit). Queries over many units and
    millions of persons join households explicitly instead (people.search_persons, the
    reorganisation's counts): PostgreSQL plans an IN over a large subquery poorly."""

    def __init__(self, cls):
        household_unit = (select(Household.unit_id).where(Household.id == cls.household_id)
                          .scalar_subquery())
        super().__init__(func.coalesce(cls.own_unit_id, household_unit))
        self.cls = cls

    def operate(self, op, *other, **kwargs):
        cls = self.cls
        if op is operators.eq and other[0] is not None:
            return or_(cls.own_unit_id == other[0], cls.household_id.in_(
                select(Household.id).where(Household.unit_id == other[0])))
        if op is operators.in_op:
            return or_(cls.own_unit_id.in_(other[0]), cls.household_id.in_(
                select(Household.id).where(Household.unit_id.in_(other[0]))))
        return op(self.expression, *other, **kwargs)


class Organization(db.Model):
    """An agency, unit or school (cơ quan, đơn vị, trường học) that may become a "Đơn vị học tập"."""

    __tablename__ = "organizations"
    __table_args__ = (
        CheckConstraint("members_count >= 0", name="members_count"),
        CheckConstraint("level IN ('province', 'district', 'commune')", name="level"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    # Lower-case, without diacritics: what a search box matches against (kept by `_fold_name`).
    search_name: Mapped[str] = mapped_column(String(300), index=True, default="",
                                             server_default="")
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    # Its own level (cấp tỉnh, cấp huyện, cấp xã), set by an admin; by default its unit's. Where a
    # title routes by it (vn-2025 from 1/7/2025), it picks who reviews and approves its dossier.
    level: Mapped[str] = mapped_column(String(16))
    members_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    unit: Mapped[Unit] = relationship()

    @validates("name")
    def _fold_name(self, _key, value):
        from ..services.validate import fold

        self.search_name = fold(value or "")
        return value


class Membership(db.Model):
    """A person's membership of an organization, as staff or learner, from `starts_on` through
    `ends_on` (both included; open while `ends_on` is empty). A person may belong to several
    organizations at once, and to a household besides."""

    __tablename__ = "memberships"
    __table_args__ = (
        CheckConstraint("role IN ('staff', 'learner')", name="role"),
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="dates"),
        Index("ix_memberships_organization_dates", "organization_id", "starts_on", "ends_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organization: Mapped[Organization] = relationship()
    person: Mapped[Person] = relationship(back_populates="memberships")

    def current_on(self, day: date) -> bool:
        return self.starts_on <= day and (self.ends_on is None or day <= self.ends_on)
