"""The audit log: who changed which administrative record, when, and its values before and after."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import JSONType, UTCDateTime, utcnow


class AuditEntry(db.Model):
    """One change to a unit, denominator, account or organization (nhật ký thay đổi).

    Written in the transaction of the change itself (certify/services/audit_trail.py), so a change
    is never committed without its entry. `actor_id` has no foreign key on purpose: the log is a
    record of what happened and must neither block nor follow later changes to accounts;
    `actor_name` keeps the name the account had then ("cli" for commands run on the server).
    """

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer, index=True)
    actor_name: Mapped[str] = mapped_column(String(80))
    # create, update, delete, or what an account update amounts to: activate, deactivate, password.
    action: Mapped[str] = mapped_column(String(32))
    entity_type: Mapped[str] = mapped_column(String(32), index=True)
    entity_id: Mapped[int | None] = mapped_column(Integer)
    # What a person recognises the record by: a unit's code, an account's username...
    entity_key: Mapped[str] = mapped_column(String(400), default="")
    before: Mapped[dict | None] = mapped_column(JSONType)
    after: Mapped[dict | None] = mapped_column(JSONType)

    def __repr__(self) -> str:
        return f"<AuditEntry {self.action} {self.entity_type} {self.entity_key} by {self.actor_name}>"
