"""The JSON API under /api/v1 (shared/spec/api.md)."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from . import core, openapi, views  # noqa: E402,F401  (register the operations)
