"""Recognition decisions (quyết định công nhận) and the recognitions (certificates) they issue."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .accounts import User
from .types import UTCDateTime, utcnow
from .units import Unit


class Decision(db.Model):
    """A recognition decision signed by the approving tier, approving many nominations at once."""

    __tablename__ = "decisions"
    __table_args__ = (UniqueConstraint("unit_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(64))
    date: Mapped[date] = mapped_column(Date)
    signer: Mapped[str] = mapped_column(String(200))
    # "ỦY BAN NHÂN DÂN <UNIT>" as signed: kept, so renaming the unit later does not rewrite it.
    issuer: Mapped[str] = mapped_column(String(300))
    # A code of certify.services.decisions.POSITIONS; empty on decisions from before it was asked.
    signer_position: Mapped[str | None] = mapped_column(String(32))
    place: Mapped[str | None] = mapped_column(String(100))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    unit: Mapped[Unit] = relationship()
    created_by: Mapped[User | None] = relationship()
    recognitions: Mapped[list[Recognition]] = relationship(
        back_populates="decision", order_by="Recognition.id")


class Recognition(db.Model):
    """A title held by a subject from `valid_from` through `valid_until`; `code` is printed on the
    certificate and answers the public verification page. Revocation ends it on `revoked_on`."""

    __tablename__ = "recognitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nominations.id"), unique=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    title_code: Mapped[str] = mapped_column(String(64))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    # Versions that grade points (TT 22/2020) record a grade; versions with levels (TT 24/2023)
    # the level reached ("muc_do_1", "muc_do_2"). Each is None for the other kind.
    grade: Mapped[str | None] = mapped_column(String(32))
    level: Mapped[str | None] = mapped_column(String(32))
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"), index=True)
    revoked_on: Mapped[date | None] = mapped_column(Date)
    revoke_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    nomination: Mapped["Nomination"] = relationship(back_populates="recognition")
    decision: Mapped[Decision | None] = relationship(back_populates="recognitions")
    unit: Mapped[Unit] = relationship()

    @property
    def ends_on(self) -> date:
        """The last day it counts: its validity, or the day before its revocation."""
        from datetime import timedelta

        if self.revoked_on is not None:
            return min(self.valid_until, self.revoked_on - timedelta(days=1))
        return self.valid_until

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day <= self.ends_on


from .nominations import Nomination  # noqa: E402
