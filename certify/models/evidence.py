"""Evidence files (minh chứng) attached to a nomination's indicators."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..filenames import safe_filename
from .accounts import User
from .types import UTCDateTime, utcnow

# Kinds accepted, with their media types; recognised by content, never by the uploaded name.
MEDIA_TYPES = {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png"}


class EvidenceFile(db.Model):
    """One uploaded file. The bytes live on disk outside the web root, under a random `token`
    (`<evidence folder>/<nomination id>/<token>.<kind>`); this row is what the product knows of
    them, so listing, limits and permissions are questions for the database."""

    __tablename__ = "evidence_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    nomination_id: Mapped[int] = mapped_column(
        ForeignKey("nominations.id", ondelete="CASCADE"), index=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)
    criterion: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(8))
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    uploaded_by: Mapped[User | None] = relationship()

    @property
    def mimetype(self) -> str:
        return MEDIA_TYPES[self.kind]

    @property
    def filename(self) -> str:
        return f"{self.token}.{self.kind}"

    @property
    def display_name(self) -> str:
        """The name shown and offered for download: `name` in the safe set, with the stored kind's
        extension (rows written before names were cleaned at upload may hold CR/LF or bidi
        controls)."""
        return safe_filename(self.name, self.kind, fallback=f"minh-chung-{self.criterion}")
