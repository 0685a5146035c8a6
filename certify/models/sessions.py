"""Browser sessions kept on the server (the database storage of certify/sessions.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime


class BrowserSession(db.Model):
    """One browser's session: the cookie holds only `session_id`; `data` is Flask-Session's
    serialised dictionary (the signed-in account, CSRF secret, sign-in and last-seen times)."""

    __tablename__ = "sessions"

    session_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    # The row is worthless after this (idle timeout); expired rows are deleted now and then.
    expiry: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
