"""What anyone may look up without an account — never personal data."""

from __future__ import annotations

from sqlalchemy import select

from .. import clock
from ..errors import NotFound
from ..extensions import db
from ..models import Nomination, Recognition


def dossier(receipt_code: str) -> Nomination:
    nomination = db.session.scalar(
        select(Nomination).where(Nomination.receipt_code == receipt_code.strip().upper()))
    if nomination is None:
        raise NotFound("No dossier has that receipt code.")
    return nomination


def recognition(code: str) -> Recognition:
    found = db.session.scalar(select(Recognition).where(Recognition.code == code.strip().upper()))
    if found is None:
        raise NotFound("No certificate has that verification code.")
    return found


def holder_label(rec: Recognition) -> str:
    """Initials for a person; an organization's name is public."""
    nomination = rec.nomination
    return nomination.person.initials if nomination.person else nomination.organization.name


def is_valid(rec: Recognition) -> bool:
    return rec.valid_on(clock.today())
