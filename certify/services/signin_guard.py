"""Sign-in throttling for both doors (the sign-in page and POST /api/v1/auth/token).

Every attempt is counted before its password is checked, in the rate-limit storage
(CERTIFY_RATELIMIT_STORAGE_URI through the `limits` library, shared by all processes when it is
Redis): each count is one atomic increment that is refused past the limit, so however many guesses
arrive at once, at most the limit of them reach the password check. A successful sign-in gives
its counts back, so only failures stay counted (api.md).

Three counters, each a list of `limits` windows:
- the username from one client address (SIGNIN_FAILURES_LIMIT, api.md's 10 in 15 minutes, then
  the longer SIGNIN_BACKOFF_LIMITS): the lock an attacker earns, which does not touch the real
  user signing in from elsewhere;
- the address across usernames (SIGNIN_ADDRESS_LIMITS): one address trying many accounts;
- the username across addresses (SIGNIN_USERNAME_LIMITS): looser, against spread-out guessing.
An admin can unlock an account: its counters start again from nothing.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import time
from dataclasses import dataclass, field

from flask import Flask, current_app
from limits import RateLimitItem, parse_many
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from ..database import writes
from ..errors import Forbidden, RateLimited
from ..extensions import db
from ..models import User
from . import accounts, audit_trail

EXTENSION = "certify.signin_guard"
NAMESPACE = "certify-signin"


def init_app(app: Flask) -> None:
    storage = storage_from_string(app.config["RATELIMIT_STORAGE_URI"],
                                  **(app.config.get("RATELIMIT_STORAGE_OPTIONS") or {}))
    # Fixed windows: a hit is one atomic increment-and-compare in every storage, and a negative
    # hit gives a count back.
    app.extensions[EXTENSION] = FixedWindowRateLimiter(storage)
    for name in ("SIGNIN_FAILURES_LIMIT", "SIGNIN_BACKOFF_LIMITS", "SIGNIN_ADDRESS_LIMITS",
                 "SIGNIN_USERNAME_LIMITS"):
        _items(app.config, name)  # a typo in a limit stops the app at start, not at sign-in


def _limiter() -> FixedWindowRateLimiter:
    return current_app.extensions[EXTENSION]


def _items(config, *names: str) -> list[RateLimitItem]:
    items: list[RateLimitItem] = []
    for name in names:
        text = str(config.get(name) or "").strip()
        if text:
            try:
                items += parse_many(text)
            except ValueError as exc:
                raise ValueError(f"CERTIFY_{name}: {text!r} is not a rate limit "
                                 f"(e.g. \"10 per 15 minutes; 30 per day\")") from exc
    return items


def _user_key(username: str) -> str:
    # A digest: any text a client sends becomes a short key of safe characters.
    return hashlib.sha256(username.strip().casefold().encode()).hexdigest()[:32]


def _address_key(address: str | None) -> str:
    """The client's address; an IPv6 client is counted by its /64 network, which one machine
    usually holds whole."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False).network_address)
    return str(ip)


def _generation_key(user: str) -> str:
    return f"{NAMESPACE}/unlocked/{user}"


def _generation(user: str) -> str:
    return str(_limiter().storage.get(_generation_key(user)))


@dataclass
class _Attempt:
    counted: list[tuple[RateLimitItem, tuple[str, ...]]] = field(default_factory=list)


def _counters(username: str, address: str | None) -> list[tuple[list[RateLimitItem], tuple]]:
    config = current_app.config
    user, addr = _user_key(username), _address_key(address)
    generation = _generation(user)
    return [
        (_items(config, "SIGNIN_FAILURES_LIMIT", "SIGNIN_BACKOFF_LIMITS"),
         (NAMESPACE, "pair", generation, user, addr)),
        (_items(config, "SIGNIN_ADDRESS_LIMITS"), (NAMESPACE, "address", addr)),
        (_items(config, "SIGNIN_USERNAME_LIMITS"), (NAMESPACE, "username", generation, user)),
    ]


def _take(username: str, address: str | None) -> _Attempt:
    """Count one attempt on every window, or raise RateLimited at the first that is full (the
    counts this attempt already took elsewhere are given back: a refused attempt checks no
    password)."""
    limiter, attempt = _limiter(), _Attempt()
    for items, identifiers in _counters(username, address):
        for item in items:
            if limiter.hit(item, *identifiers):
                attempt.counted.append((item, identifiers))
                continue
            _give_back(attempt)
            reset_at = limiter.get_window_stats(item, *identifiers).reset_time
            raise RateLimited("Too many failed sign-ins; try again later.",
                              retry_after=max(1, math.ceil(reset_at - time.time())))
    return attempt


def _give_back(attempt: _Attempt) -> None:
    limiter = _limiter()
    for item, identifiers in attempt.counted:
        limiter.hit(item, *identifiers, cost=-1)
    attempt.counted.clear()


def authenticate(username: str, password: str, address: str | None) -> User | None:
    """The active account with that username and password, or None (a failure, counted);
    raises RateLimited (with `retry_after` seconds) without checking the password when this
    username from this address, this address, or this username has failed too often."""
    attempt = _take(username, address)
    user = accounts.authenticate(username, password)
    if user is not None:
        _give_back(attempt)
    return user


def change_password(user: User, current_password: str, new_password: str,
                    address: str | None) -> None:
    """accounts.change_password, with the current password counted like a sign-in: a stolen
    session cannot guess the password it does not know faster than the sign-in page allows. A
    refused new password (checked before the current one) gives its count back."""
    attempt = _take(user.username, address)
    try:
        accounts.change_password(user, current_password, new_password)
    except Forbidden:
        raise
    except BaseException:
        _give_back(attempt)
        raise
    _give_back(attempt)


@writes
def unlock(account: User) -> None:
    """Forget the failed sign-ins of `account` from every address (an admin's decision, kept in
    the audit trail): its counters start again from nothing. The addresses' own counters stay."""
    audit_trail.record(action="unlock", entity_type="account", entity_id=account.id,
                       key=account.username)
    db.session.commit()
    limiter, config = _limiter(), current_app.config
    user = _user_key(account.username)
    longest = max((i.get_expiry() for i in _items(config, "SIGNIN_FAILURES_LIMIT",
                                                  "SIGNIN_BACKOFF_LIMITS",
                                                  "SIGNIN_USERNAME_LIMITS")), default=86400)
    # The per-address counters of a username cannot be listed, so they are keyed by a
    # generation that an unlock moves on; it outlives every counter it names.
    limiter.storage.incr(_generation_key(user), 2 * longest)


def reset() -> None:
    """Forget every count (tests)."""
    _limiter().storage.reset()
