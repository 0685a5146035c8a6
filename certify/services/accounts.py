"""Accounts, passwords and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import select

from .. import clock
from ..errors import Invalid, NotFound, Unauthorized
from ..database import writes
from ..extensions import db
from ..models import ROLES, ApiToken, Household, Organization, Unit, User
from .validate import Longest, Reasons, row

MIN_PASSWORD = 8


def _hasher() -> PasswordHasher:
    cfg = current_app.config
    return PasswordHasher(time_cost=cfg["PASSWORD_TIME_COST"],
                          memory_cost=cfg["PASSWORD_MEMORY_KIB"], parallelism=1)


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def check_password(user: User, password: str) -> bool:
    try:
        return _hasher().verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def authenticate(username: str, password: str) -> User | None:
    """The active account with that username and password, or None."""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        _hasher().hash(password)  # same work either way: timing does not reveal usernames
        return None
    if not check_password(user, password) or not user.active:
        return None
    return user


@writes
def create_user(*, username, password, role, unit_code=None, display_name=None,
                organization_id=None) -> User:
    r = Reasons()
    username = r.text("username", username, max_length=Longest.USERNAME)
    if username and db.session.scalar(select(User.id).where(User.username == username)):
        r.add("username", "taken", "That username is already in use.")
    if password is None or not isinstance(password, str) or len(password) < MIN_PASSWORD:
        r.add("password", "too_short", f"The password needs at least {MIN_PASSWORD} characters.")
    role = r.choice("role", role, ROLES)
    unit = None
    if unit_code is not None:
        unit = db.session.scalar(select(Unit).where(Unit.code == unit_code))
        if unit is None:
            r.add("unit_code", "unknown", f"There is no unit {unit_code}.")
    elif role and role != "admin":
        r.add("unit_code", "required", "unit_code is required for this role.")
    organization = None
    if role == "organization":
        if organization_id is None:
            r.add("organization_id", "required", "An organization account needs organization_id.")
        else:
            organization = row(Organization, organization_id)
            if organization is None:
                r.add("organization_id", "unknown", "There is no such organization.")
            elif unit is not None and organization.unit_id != unit.id:
                r.add("unit_code", "mismatch", "unit_code must be the organization's unit.")
    elif organization_id is not None:
        r.add("organization_id", "not_allowed", "Only organization accounts have an organization.")
    display_name = r.text("display_name", display_name, max_length=Longest.DISPLAY_NAME,
                          required=False) or username or ""
    r.raise_if_any()
    user = User(username=username, password_hash=hash_password(password), role=role, unit=unit,
                display_name=display_name, organization=organization)
    if role == "household":
        if unit.level != "commune":
            raise Invalid("A household lives in a ward or commune.",
                          [{"field": "unit_code", "code": "wrong_level",
                            "message": "A household account's unit must be a ward or commune."}])
        user.household = Household(unit=unit, name=display_name)
    db.session.add(user)
    db.session.commit()
    return user


@writes
def set_password(user: User, password: str) -> None:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise Invalid("The password is too short.",
                      [{"field": "password", "code": "too_short",
                        "message": f"The password needs at least {MIN_PASSWORD} characters."}])
    user.password_hash = hash_password(password)  # also ends its browser sessions (User.get_id)
    _revoke_tokens(user)
    db.session.commit()


@writes
def set_active(user: User, active: bool) -> None:
    """Enable or disable an account; disabling also revokes its API tokens (browser sessions end
    at the next request, since the session loader refuses inactive accounts)."""
    user.active = bool(active)
    if not active:
        _revoke_tokens(user)
    db.session.commit()


def _revoke_tokens(user: User) -> None:
    now = clock.now()
    for token in db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id,
                                                           ApiToken.revoked_at.is_(None))):
        token.revoked_at = now


def get_user(user_id: int) -> User:
    user = row(User, user_id)
    if user is None:
        raise NotFound("No such account.")
    return user


# -- API tokens -----------------------------------------------------------------------------------

def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@writes
def issue_token(user: User) -> tuple[str, ApiToken]:
    token = secrets.token_urlsafe(32)
    now = clock.now()
    row = ApiToken(user=user, token_hash=_digest(token), created_at=now,
                   expires_at=now + timedelta(hours=current_app.config["TOKEN_HOURS"]))
    db.session.add(row)
    db.session.commit()
    return token, row


def user_for_token(token: str) -> tuple[User, ApiToken]:
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token)))
    if row is None or row.revoked_at is not None or row.expires_at <= clock.now() \
            or not row.user.active:
        raise Unauthorized("The token is missing, wrong, expired or revoked.")
    return row.user, row


@writes
def revoke_token(row: ApiToken) -> None:
    row.revoked_at = clock.now()
    db.session.commit()
