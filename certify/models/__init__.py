"""SQLAlchemy models, one module per aggregate."""

from .accounts import APPLICANT_ROLES, ROLES, ApiToken, User
from .audit import AuditEntry
from .evidence import EvidenceFile
from .nominations import HistoryEntry, Nomination
from .people import GENDERS, TARGET_GROUPS, Household, Organization, Person
from .progress import ProgressDelta
from .recognitions import Decision, Recognition
from .sessions import BrowserSession
from .units import LEVELS, Denominator, Unit

__all__ = [
    "APPLICANT_ROLES", "ROLES", "AuditEntry", "EvidenceFile", "ApiToken", "User", "HistoryEntry", "Nomination",
    "GENDERS", "TARGET_GROUPS", "Household", "Organization", "Person", "ProgressDelta", "Decision",
    "Recognition", "LEVELS", "Denominator", "Unit", "BrowserSession",
]
