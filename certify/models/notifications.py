"""Notifications: one inbox row per account and event (or reminder), and the e-mail outbox rows
written in the same transaction and delivered later (certify/services/notifications.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import JSONType, UTCDateTime, utcnow

# What a notification tells: a dossier's event (by its meaning, not its name in a workflow file)
# or a reminder.
KINDS = ("returned", "verified", "approved", "rejected", "revoked", "overdue", "draft_due")
# An outbox row waits ("pending"), is claimed by one deliverer for a lease ("sending"), and ends
# "sent" — or "failed" after the last attempt (kept, never deleted).
MAIL_STATES = ("pending", "sending", "sent", "failed")


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (
        # One notification per account and event (the key names the nomination and its version
        # after the event, or the reminder's dossier and deadline): written once however often
        # an event's hook or a reminder run repeats.
        UniqueConstraint("user_id", "key", name="uq_notifications_user_key"),
        Index("ix_notifications_inbox", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(16))
    nomination_id: Mapped[int | None] = mapped_column(
        ForeignKey("nominations.id", ondelete="CASCADE"), index=True)
    # What the text is made of (receipt code, title, reason, recognition code, deadline): the
    # page renders it in the reader's language.
    params: Mapped[dict] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OutboxMail(db.Model):
    __tablename__ = "outbox_mails"
    __table_args__ = (
        Index("ix_outbox_mails_due", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The same key as the inbox row it goes with, and the account: one mail per notification.
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(120))
    # Deterministic: a copy sent again after a crash carries the same Message-ID.
    message_id: Mapped[str] = mapped_column(String(250), unique=True)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
