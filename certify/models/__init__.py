"""SQLAlchemy models, one module per aggregate."""

from .accounts import APPLICANT_ROLES, ROLES, ApiToken, User
from .audit import AuditEntry
from .evidence import EvidenceFile
from .indicators import IndicatorFigure
from .nominations import HistoryEntry, Nomination
from .notifications import Notification, OutboxMail
from .people import (GENDERS, MEMBER_ROLES, TARGET_GROUPS, Household, Membership, Organization,
                     Person)
from .progress import ProgressDelta
from .recognitions import Decision, Recognition
from .sessions import BrowserSession
from .units import EARLIEST, LEVELS, SUCCESSION_KINDS, Denominator, Succession, Unit

__all__ = [
    "APPLICANT_ROLES", "ROLES", "AuditEntry", "EvidenceFile", "IndicatorFigure", "ApiToken", "User", "HistoryEntry", "Nomination",
    "Notification", "OutboxMail",
    "GENDERS", "MEMBER_ROLES", "TARGET_GROUPS", "Household", "Membership", "Organization", "Person", "ProgressDelta", "Decision",
    "Recognition", "EARLIEST", "LEVELS", "SUCCESSION_KINDS", "Denominator", "Succession", "Unit", "BrowserSession",
]
