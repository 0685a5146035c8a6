"""Configuration defaults; instance/config.py and CERTIFY_* environment variables override them."""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent


class Defaults:
    # Database: a SQLite file in instance/ unless CERTIFY_DATABASE_URL says otherwise.
    DATABASE_URL: str | None = None
    # Where the workflow files live, and which tier profile of them is in force.
    WORKFLOWS: str = str(REPOSITORY / "workflows")
    PROFILE: str = "three-tier"
    # Dates (approval, validity, as_of) are calendar dates in this zone.
    TIMEZONE: str = "Asia/Ho_Chi_Minh"
    # API tokens live this long.
    TOKEN_HOURS: int = 12
    # Sign-in throttling (certify/services/signin_guard.py), in the `limits` notation; several
    # limits are separated by ";". Only failed attempts count. Per username from one client
    # address (api.md: 10 failures in 15 minutes, then 429):
    SIGNIN_FAILURES_LIMIT: str = "10 per 15 minutes"
    # ...and the back-off after it for the same username and address: longer locks for whoever
    # keeps guessing.
    SIGNIN_BACKOFF_LIMITS: str = "20 per 2 hours; 30 per day"
    # One address trying many usernames.
    SIGNIN_ADDRESS_LIMITS: str = "30 per 15 minutes; 100 per day"
    # One username from all addresses together: looser, so that an attacker cannot lock the real
    # user out from elsewhere, but a spread-out guessing campaign still stalls.
    SIGNIN_USERNAME_LIMITS: str = "50 per 15 minutes"
    PUBLIC_RATE_LIMIT: str = "120 per minute"
    # Storage of every rate limit (Flask-Limiter's and the sign-in guard's): memory:// counts in
    # each process on its own, so with several processes use redis://... (see deployment_problems).
    RATELIMIT_STORAGE_URI: str = "memory://"
    # Browser sessions live on the server: "database" (the app's database, table `sessions`) or a
    # redis://... URL. The cookie carries only a random session id.
    SESSION_STORAGE_URI: str = "database"
    # A session ends after this long without a request, and this long after sign-in whatever the
    # activity.
    SESSION_IDLE_MINUTES: int = 30
    SESSION_MAX_HOURS: int = 12
    # Expired session rows are deleted on average once every this many requests (database storage;
    # Redis expires them itself).
    SESSION_CLEANUP_N_REQUESTS: int = 1000
    # A stored session is written only when it changes (a signed-in user's activity is noted at
    # most once a minute), not on every request.
    SESSION_REFRESH_EACH_REQUEST: bool = False
    SESSION_COOKIE_SAMESITE: str = "Lax"
    SESSION_COOKIE_HTTPONLY: bool = True
    # None: Secure when CERTIFY_PUBLIC_URL starts with https:// (finish() decides).
    SESSION_COOKIE_SECURE: bool | None = None
    RATELIMIT_ENABLED: bool = True
    # Behind a reverse proxy (nginx, a load balancer): how many proxies set X-Forwarded-For/-Proto/
    # -Host, so rate limits and links use the client's address and scheme. 0: none, trust no header.
    PROXY_FIX: int = 0
    # argon2id cost (OWASP 2024 minimum: m=19 MiB, t=2, p=1); tests lower it.
    PASSWORD_TIME_COST: int = 2
    PASSWORD_MEMORY_KIB: int = 19456
    # Seconds a SQLite writer waits for the write lock before giving up.
    SQLITE_BUSY_TIMEOUT: int = 15
    JSON_SORT_KEYS = False
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    BABEL_DEFAULT_LOCALE = "vi"
    BABEL_DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"


def finish(config, instance_path: str) -> None:
    """Derive the settings that depend on others (database URL, secret key)."""
    instance = Path(instance_path)
    url = config.get("DATABASE_URL") or f"sqlite:///{instance / 'certify.sqlite3'}"
    if url.startswith("postgresql://"):
        # psycopg 3 is the driver we ship; plain postgresql:// would ask for psycopg2.
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    config["SQLALCHEMY_DATABASE_URI"] = url
    if url.startswith("sqlite"):
        options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        connect_args = dict(options.get("connect_args") or {})
        connect_args.setdefault("timeout", config["SQLITE_BUSY_TIMEOUT"])
        connect_args.setdefault("check_same_thread", False)
        options["connect_args"] = connect_args
        config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    if config.get("SESSION_COOKIE_SECURE") is None:
        config["SESSION_COOKIE_SECURE"] = str(config.get("PUBLIC_URL") or "").startswith("https://")
    # Stored sessions expire after the idle time; each request of a signed-in user extends them
    # (certify/sessions.py), and the absolute limit is checked against the sign-in time.
    config["PERMANENT_SESSION_LIFETIME"] = timedelta(minutes=int(config["SESSION_IDLE_MINUTES"]))
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = _development_secret(instance)


def _development_secret(instance: Path) -> str:
    """A key generated once into instance/ so sessions survive restarts on a developer machine."""
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key
