"""Configuration defaults; instance/config.py and CERTIFY_* environment variables override them."""

from __future__ import annotations

import secrets
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
    # Sign-in throttling per username (api.md): failures allowed per window.
    SIGNIN_FAILURES_LIMIT: str = "10 per 15 minutes"
    PUBLIC_RATE_LIMIT: str = "120 per minute"
    # Flask-Limiter storage; memory is right for one process, use redis://... for several.
    RATELIMIT_STORAGE_URI: str = "memory://"
    RATELIMIT_ENABLED: bool = True
    # Behind a reverse proxy (nginx, a load balancer): how many proxies set X-Forwarded-For/-Proto/
    # -Host, so rate limits and links use the client's address and scheme. 0: none, trust no header.
    PROXY_FIX: int = 0
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
    MAX_FORM_PARTS: int = 1000
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
        connect_args.setdefault("timeout", config["DATABASE_LOCK_TIMEOUT"])
        connect_args.setdefault("check_same_thread", False)
        options["connect_args"] = connect_args
        config["SQLALCHEMY_ENGINE_OPTIONS"] = options
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
