"""Accounts, passwords and API tokens."""

from __future__ import annotations

import functools
import hashlib
import secrets
import unicodedata
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from .. import clock
from ..config import Defaults
from ..errors import Forbidden, Invalid, NotFound, Unauthorized
from ..database import writes
from ..extensions import db
from ..models import ROLES, ApiToken, Household, Organization, User
from . import units
from .validate import Longest, Reasons, row


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
    if not isinstance(password, str) or password_too_long(password):
        return None  # no account has such a password: refuse it before argon2 hashes all of it
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
    role = r.choice("role", role, ROLES)
    unit = None
    if unit_code is not None:
        unit = units.find(unit_code)
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
    r.items += password_reasons(password, username=username, display_name=display_name)
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


def set_password(user: User, password: str) -> None:
    """Give the account a new password (an admin's reset); the policy is password_reasons'.
    Every browser session and API token of the account ends."""
    reasons = password_reasons(password, username=user.username, display_name=user.display_name)
    if reasons:
        raise Invalid("The password is not allowed.", reasons)
    _store_password(user, hash_password(password))


def change_password(user: User, current_password: str, new_password: str) -> None:
    """A person changes their own password, proving it is them with the current one.

    422 (Invalid) when the new password breaks the policy — checked first, as it costs no hash;
    403 (Forbidden) when the current password is wrong; nothing changes in either case. On
    success every browser session and API token of the account ends, the caller's included: a
    page that wants its session to go on signs it in again (it now carries the new hash)."""
    reasons = password_reasons(new_password, field="new_password", username=user.username,
                               display_name=user.display_name)
    if reasons:
        raise Invalid("The new password is not allowed.", reasons)
    if not isinstance(current_password, str) or password_too_long(current_password) \
            or not check_password(user, current_password):
        raise Forbidden("The current password is wrong.",
                        [{"field": "current_password", "code": "wrong",
                          "message": "The current password is wrong."}])
    _store_password(user, hash_password(new_password))


@writes
def _store_password(user: User, password_hash: str) -> None:
    # Hashed by the caller, outside the write transaction: argon2 takes tens of milliseconds
    # that SQLite's write lock need not be held for.
    user.password_hash = password_hash  # also ends its browser sessions (User.session_key)
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


# -- the password policy (OWASP ASVS 4.0.3 level 2, V2.1) -----------------------------------------

def password_limits() -> tuple[int, int]:
    """The shortest and longest password an account may get, in characters: PASSWORD_MIN_LENGTH
    and PASSWORD_MAX_LENGTH, read by the forms and the OpenAPI document too."""
    cfg = current_app.config if has_app_context() else vars(Defaults)
    return int(cfg["PASSWORD_MIN_LENGTH"]), int(cfg["PASSWORD_MAX_LENGTH"])


def password_length(password: str) -> int:
    """Characters as a person counts them, not bytes: "ễ" is one character whether the keyboard
    sent it precomposed or as "e" and two combining marks (NFC)."""
    return len(unicodedata.normalize("NFC", password))


def password_too_long(password: str) -> bool:
    """Longer than any password may be: sign-in refuses such input without hashing it."""
    return password_length(password) > password_limits()[1]


@functools.cache
def _common_passwords() -> frozenset[str]:
    # zxcvbn's list of the 30,000 passwords most found in leaked password sets: data a kept
    # library maintains, not a list of ours.
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(word.casefold() for word in FREQUENCY_LISTS["passwords"])


def _folded(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip().casefold()


def is_common_password(password: str) -> bool:
    """In the list of common passwords, whatever its case or surrounding spaces."""
    return _folded(password) in _common_passwords()


def password_reasons(password, *, field: str = "password", username: str | None = None,
                     display_name: str | None = None) -> list[dict]:
    """Every reason why `password` may not be an account's password; empty when it may.

    Any printable Unicode is allowed, spaces included, and nothing is truncated (ASVS 2.1.4,
    2.1.3); refused are a NUL character, fewer or more characters than password_limits(), a
    common password, and the account's own username or display name."""
    reasons = Reasons()
    if not isinstance(password, str) or not password.strip():
        reasons.add(field, "required", "A password is required.")
        return reasons.items
    if "\x00" in password:
        reasons.add(field, "control_character", "The password contains a NUL character.")
    low, high = password_limits()
    length = password_length(password)
    if length < low:
        reasons.items.append({"field": field, "code": "too_short", "minimum": low,
                              "message": f"The password needs at least {low} characters."})
    elif length > high:
        reasons.items.append({"field": field, "code": "too_long", "maximum": high,
                              "message": f"The password has more than {high} characters."})
        return reasons.items
    if is_common_password(password):
        reasons.add(field, "common", "This is one of the most common passwords; choose another.")
    folded = _folded(password)
    if username and folded == _folded(username):
        reasons.add(field, "same_as_username", "The password may not be the username.")
    elif display_name and folded == _folded(display_name):
        reasons.add(field, "same_as_display_name", "The password may not be the display name.")
    return reasons.items


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
    # One statement: the token, its account and the account's unit (every request needs them).
    row = db.session.scalar(_token_statement(), {"token_hash": _digest(token)})
    if row is None or row.revoked_at is not None or row.expires_at <= clock.now() \
            or not row.user.active:
        raise Unauthorized("The token is missing, wrong, expired or revoked.")
    return row.user, row


@functools.cache
def _token_statement():
    """`user_for_token`'s statement, built once (SQLAlchemy keeps its cache key on it)."""
    return (select(ApiToken).where(ApiToken.token_hash == bindparam("token_hash"))
            .options(joinedload(ApiToken.user).joinedload(User.unit)))


@writes
def revoke_token(row: ApiToken) -> None:
    row.revoked_at = clock.now()
    db.session.commit()
