"""Absolute addresses printed or sent outside the app (certificates, receipts): always under the
configured CERTIFY_PUBLIC_URL, never built from the request's Host header, which any client sets."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app


def public_url(endpoint: str, **values) -> str:
    """url_for(endpoint, **values) as an absolute address under PUBLIC_URL (its path included, for
    an app served under a prefix). Needs the app, not a request: the CLI can print it too."""
    base = urlsplit(current_app.config["PUBLIC_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/",
                                       url_scheme=base.scheme)
    return adapter.build(endpoint, values, force_external=True)
