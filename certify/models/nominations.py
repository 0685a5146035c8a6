"""Nominations (hồ sơ đề nghị công nhận) for a title, and their history."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, text,
                        true)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .accounts import User
from .people import Organization, Person
from .types import JSONType, UTCDateTime, utcnow
from .units import Unit

# A nomination blocks a new one for the same subject, title and year while `is_open`: the engine
# keeps the flag in step with the state's meaning (`frees_subject` in the workflow file).
_OPEN = "is_open"


class Nomination(db.Model):
    """One subject's application for one title in one evaluation year.

    `state` is changed by the workflow engine (certify.workflow.engine) and nothing else; `version`
    goes up on every change so that concurrent edits are detected rather than lost.
    """

    __tablename__ = "nominations"
    __table_args__ = (
        CheckConstraint("(person_id IS NULL) <> (organization_id IS NULL)", name="one_subject"),
        CheckConstraint("version >= 1", name="version"),
        # At most one open nomination per subject, title and year (api.md, 409 duplicate).
        Index("uq_nominations_open_person", "title_code", "person_id", "year", unique=True,
              sqlite_where=text(f"person_id IS NOT NULL AND {_OPEN}"),
              postgresql_where=text(f"person_id IS NOT NULL AND {_OPEN}")),
        Index("uq_nominations_open_organization", "title_code", "organization_id", "year",
              unique=True,
              sqlite_where=text(f"organization_id IS NOT NULL AND {_OPEN}"),
              postgresql_where=text(f"organization_id IS NOT NULL AND {_OPEN}")),
        Index("ix_nominations_queue", "unit_id", "state", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Given at the first submission (the engine's "enter_review_queue"), kept after; null for a
    # draft never submitted, which only its applicant (and admins) see.
    receipt_code: Mapped[str | None] = mapped_column(String(32), unique=True)
    title_code: Mapped[str] = mapped_column(String(64), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"), index=True)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    year: Mapped[int] = mapped_column(Integer)
    # The rule version it is judged by (the id of a `versions` entry of its title's file): the one
    # in force on 31 December of `year`, set at creation and never changed after.
    rule_version: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(32))
    # False once the state frees the subject (workflow file: `frees_subject`); set by the engine.
    is_open: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    version: Mapped[int] = mapped_column(Integer, default=1)
    self_assessment: Mapped[dict] = mapped_column(JSONType, default=dict)
    review_assessment: Mapped[dict] = mapped_column(JSONType, default=dict)
    # The reviewer's note per target criterion (criterion code -> text), beside met / not met.
    review_notes: Mapped[dict | None] = mapped_column(JSONType, default=dict)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When it last entered the review queue: the queue shows the longest-waiting first.
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    person: Mapped[Person | None] = relationship()
    organization: Mapped[Organization | None] = relationship()
    unit: Mapped[Unit] = relationship()
    created_by: Mapped[User | None] = relationship()
    history: Mapped[list[HistoryEntry]] = relationship(
        back_populates="nomination", order_by="HistoryEntry.id", cascade="all, delete-orphan")
    recognition: Mapped[Recognition | None] = relationship(back_populates="nomination")

    @property
    def subject_id(self) -> int:
        return self.person_id if self.person_id is not None else self.organization_id

    @property
    def subject_name(self) -> str:
        return self.person.full_name if self.person else self.organization.name


class HistoryEntry(db.Model):
    """One event that happened to a nomination: who, when, from which state to which, and why."""

    __tablename__ = "history_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    nomination_id: Mapped[int] = mapped_column(
        ForeignKey("nominations.id", ondelete="CASCADE"), index=True)
    event: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    comment: Mapped[str | None] = mapped_column(Text)

    nomination: Mapped[Nomination] = relationship(back_populates="history")
    actor: Mapped[User | None] = relationship()


from .recognitions import Recognition  # noqa: E402  (mutual relationship)
