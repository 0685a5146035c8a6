"""Configuration defaults; instance/config.py and CERTIFY_* environment variables override them."""

from __future__ import annotations

import logging
import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PACKAGE = Path(__file__).resolve().parent
REPOSITORY = PACKAGE.parent


def shipped(folder: str) -> Path:
    """templates/ or workflows/: top-level folders of the repository, which the wheel carries inside
    the package (setup.cfg's package_dir). The installed copy wins: a site-packages/templates left
    by some other distribution must never be taken for ours."""
    installed = PACKAGE / folder
    return installed if installed.is_dir() else REPOSITORY / folder


def instance_path() -> str | None:
    """CERTIFY_INSTANCE_PATH when set; otherwise Flask's own choice: instance/ beside the package in
    a checkout (and an editable install), <prefix>/var/certify-instance for an installed one."""
    configured = os.environ.get("CERTIFY_INSTANCE_PATH")
    return os.path.abspath(configured) if configured else None


# Where links point when CERTIFY_PUBLIC_URL is not set: the address scripts/demo.sh and
# `flask run` serve on. Never the request's Host header, which any client chooses.
DEVELOPMENT_PUBLIC_URL = "http://127.0.0.1:5000"

log = logging.getLogger(__name__)


class ConfigError(Exception):
    """A setting the app cannot start with; the message names the variable and what it expects."""


class Defaults:
    # Database: a SQLite file in instance/ unless CERTIFY_DATABASE_URL says otherwise.
    DATABASE_URL: str | None = None
    # Where the workflow files live, and which tier profile of them is in force.
    WORKFLOWS: str = str(shipped("workflows"))
    PROFILE: str = "three-tier"
    # Dates (approval, validity, as_of) are calendar dates in this zone; pages show dates and times
    # in it too (Babel's zone is derived from it in finish()).
    TIMEZONE: str = "Asia/Ho_Chi_Minh"
    # The address people reach the product at (scheme, host, optional path), e.g.
    # https://hoctap.bimson.thanhhoa.gov.vn: printed on certificates (link and QR code) and
    # receipts. Unset: DEVELOPMENT_PUBLIC_URL, with a warning.
    PUBLIC_URL: str | None = None
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
    # each process on its own, so with several processes use redis://... (see certify/deployment.py).
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
    # Password length in characters (not bytes), OWASP ASVS 4.0.3 V2.1.1/V2.1.2: every password
    # an account gets is 12 to 128 characters; sign-in refuses longer input before hashing it.
    PASSWORD_MIN_LENGTH: int = 12
    PASSWORD_MAX_LENGTH: int = 128
    # argon2id cost (OWASP 2024 minimum: m=19 MiB, t=2, p=1); tests lower it.
    PASSWORD_TIME_COST: int = 2
    PASSWORD_MEMORY_KIB: int = 19456
    # Seconds a write waits for a lock another one holds (SQLite's write lock, PostgreSQL's row
    # locks) before the request gives up and answers 503 busy with Retry-After, nothing changed.
    # Well under the server's own timeout (gunicorn: 30 s), so the answer is ours, not a kill.
    DATABASE_LOCK_TIMEOUT: float = 5
    # Request bodies: the largest accepted (bytes; larger: 413 too_large, nothing read past it),
    # the largest in-memory part of a form and the most parts a form may have (Flask/Werkzeug
    # settings). A view may raise its own body limit (certify.routing.body_limit: evidence files).
    MAX_CONTENT_LENGTH: int = 1024 * 1024
    MAX_FORM_MEMORY_SIZE: int = 500_000
    # The largest list an import takes (CERTIFY_IMPORT_MAX_BYTES; CLI files are not limited): the
    # body limit of the admin page's upload and of POST /api/v1/imports/{kind}. 50 MiB holds a
    # CSV of about half a million persons.
    IMPORT_MAX_BYTES: int = 50 * 1024 * 1024
    MAX_FORM_PARTS: int = 1000
    # Log lines on stderr: "json" (one object per line, for a log collector) or "text" (for a
    # developer's terminal). JSON whatever the debug flag, so what production writes is what the
    # tests check; a developer switches with one variable.
    LOG_FORMAT: str = "json"
    LOG_LEVEL: str = "INFO"
    # Folder holding pg_dump and pg_restore for `flask backup`/`restore` on PostgreSQL; by default
    # the newest /usr/lib/postgresql/<major>/bin not older than the server, else the PATH.
    PG_BIN: str | None = None
    # Notifications (certify/services/notifications.py). E-mail is off while MAIL_SERVER is unset:
    # the inbox alone. MAIL_USE_TLS: STARTTLS on MAIL_PORT; MAIL_USE_SSL: TLS from the start.
    MAIL_SERVER: str | None = None
    MAIL_PORT: int = 25
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_USE_TLS: bool = False
    MAIL_USE_SSL: bool = False
    MAIL_SENDER: str = "certify@localhost"
    MAIL_TIMEOUT: float = 30
    # Redis for the delivery worker's queue (RQ), e.g. redis://127.0.0.1:6379/0; unset: deliver
    # with `flask notifications deliver`.
    REDIS_URL: str | None = None
    # A claimed mail is another deliverer's to retry after this long (well over MAIL_TIMEOUT); a
    # refused one waits NOTIFY_RETRY_SECONDS, doubling each time, and is given up ("failed",
    # kept) after NOTIFY_MAX_ATTEMPTS attempts.
    NOTIFY_LEASE_SECONDS: int = 300
    NOTIFY_RETRY_SECONDS: int = 60
    NOTIFY_MAX_ATTEMPTS: int = 10
    JSON_SORT_KEYS = False
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    BABEL_DEFAULT_LOCALE = "vi"


def finish(config, instance_path: str) -> None:
    """Derive the settings that depend on others (database URL, secret key, Babel's time zone,
    the public address); refuse (ConfigError) a time zone or address that cannot be right."""
    _time_zone(config)
    _public_url(config)
    instance = Path(instance_path)
    url = config.get("DATABASE_URL") or f"sqlite:///{instance / 'certify.sqlite3'}"
    if url.startswith("postgresql://"):
        # psycopg 3 is the driver we ship; plain postgresql:// would ask for psycopg2.
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    config["SQLALCHEMY_DATABASE_URI"] = url
    # JSON columns (assessments, notes) are read with orjson: a list page decodes three a row.
    import orjson

    config["SQLALCHEMY_ENGINE_OPTIONS"] = {"json_deserializer": orjson.loads,
                                           **(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})}
    if url.startswith("sqlite"):
        options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        connect_args = dict(options.get("connect_args") or {})
        connect_args.setdefault("timeout", config["DATABASE_LOCK_TIMEOUT"])
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


def _time_zone(config) -> None:
    """One setting for rules and pages: Babel formats dates in CERTIFY_TIMEZONE. A separate
    BABEL_DEFAULT_TIMEZONE would let a page show another day than the rules use, so a different
    one is refused rather than silently overridden."""
    name = config.get("TIMEZONE")
    try:
        if not isinstance(name, str) or not name:
            raise ValueError
        ZoneInfo(name)
    except (ValueError, ZoneInfoNotFoundError):
        raise ConfigError(f"CERTIFY_TIMEZONE: {name!r} is not a time zone; use an IANA name such "
                          "as Asia/Ho_Chi_Minh or UTC") from None
    babel = config.get("BABEL_DEFAULT_TIMEZONE")
    if babel not in (None, name):
        raise ConfigError(f"BABEL_DEFAULT_TIMEZONE ({babel}) differs from CERTIFY_TIMEZONE "
                          f"({name}): set only CERTIFY_TIMEZONE, pages follow it")
    config["BABEL_DEFAULT_TIMEZONE"] = name


def _public_url(config) -> None:
    """PUBLIC_URL as scheme://host[:port][/path] without a trailing slash."""
    value = config.get("PUBLIC_URL")
    if not value:
        if not config.get("TESTING"):
            log.warning("CERTIFY_PUBLIC_URL is not set: certificates and receipts will link to %s. "
                        "Set it to the address people use, e.g. https://hoctap.example.gov.vn",
                        DEVELOPMENT_PUBLIC_URL)
        value = DEVELOPMENT_PUBLIC_URL
    try:
        parts = urlsplit(str(value).strip())
        parts.port  # noqa: B018 (reading it checks it: a port that is not a number raises)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname \
            or parts.query or parts.fragment or parts.username or parts.password:
        raise ConfigError(f"CERTIFY_PUBLIC_URL: {value!r} is not an address such as "
                          "https://hoctap.example.gov.vn (http or https, a host, an optional path)")
    config["PUBLIC_URL"] = f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


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
