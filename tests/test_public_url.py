"""Addresses printed for people to follow (certificate link and QR code, receipt) are under
CERTIFY_PUBLIC_URL whatever Host header the request that printed them carried."""

from __future__ import annotations

import logging

import pytest

from certify import create_app
from certify.config import DEVELOPMENT_PUBLIC_URL, ConfigError
from certify.extensions import db
from certify.models import Nomination

from .conftest import TEST_CONFIG
from .test_certificates import qr_codes, text_of
from .factories import PASSWORD, decide
from .web_support import Site, text

PUBLIC = "https://hoctap.bimson.thanhhoa.gov.vn"
HOSTILE = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}


@pytest.fixture
def site(app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_URL", PUBLIC)
    return Site(app)


def sign_in(client, username: str) -> None:
    """Signed in through the hostile host too (cookies follow the host they were set for)."""
    response = client.post("/signin", data={"username": username, "password": PASSWORD},
                           headers=HOSTILE)
    assert response.status_code == 302


def _approved(site):
    nid = site.nomination("approved")
    return site.run(lambda w: (nid, db.session.get(Nomination, nid).recognition.id,
                               db.session.get(Nomination, nid).recognition.code))


def test_a_certificate_links_to_the_configured_address_not_the_host_header(client, site):
    _nid, recognition_id, code = _approved(site)
    sign_in(client, "approve")
    response = client.get(f"/recognitions/{recognition_id}/certificate.pdf", headers=HOSTILE)
    assert response.status_code == 200

    expected = f"{PUBLIC}/verify/{code}"
    assert qr_codes(response.data) == [[expected]]
    [page] = text_of(response.data)
    assert expected in "".join(page.split())
    assert "evil" not in page


def test_a_decisions_certificates_link_to_the_configured_address(client, site):
    nid = site.nomination("verified")

    def decided(w):
        from datetime import date

        decision = decide(w, [db.session.get(Nomination, nid)], number="7/QĐ-UBND",
                          on=date(2026, 3, 1))
        return decision.id, db.session.get(Nomination, nid).recognition.code
    decision_id, code = site.run(decided)
    sign_in(client, "approve")
    response = client.get(f"/district/decisions/{decision_id}/certificates.pdf", headers=HOSTILE)
    assert qr_codes(response.data) == [[f"{PUBLIC}/verify/{code}"]]


def test_the_receipt_prints_the_configured_lookup_address(client, site):
    nid = site.nomination("submitted")
    sign_in(client, "ho-a")
    page = text(client.get(f"/household/nominations/{nid}/receipt", headers=HOSTILE))
    assert f"{PUBLIC}/lookup" in page
    assert "evil.example" not in page


def test_a_public_url_with_a_path_keeps_it(client, site, app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://sgd.thanhhoa.gov.vn/hoc-tap")
    _nid, recognition_id, code = _approved(site)
    sign_in(client, "approve")
    response = client.get(f"/recognitions/{recognition_id}/certificate.pdf", headers=HOSTILE)
    assert qr_codes(response.data) == [[f"https://sgd.thanhhoa.gov.vn/hoc-tap/verify/{code}"]]


def _config(database_url, **settings) -> dict:
    return create_app({**TEST_CONFIG, "DATABASE_URL": database_url, **settings}).config


def test_the_setting_is_normalised(database_url):
    assert _config(database_url, PUBLIC_URL="https://Hoctap.example.gov.vn/")["PUBLIC_URL"] == \
        "https://Hoctap.example.gov.vn"


@pytest.mark.parametrize("value", ["hoctap.example.gov.vn", "ftp://example.gov.vn",
                                   "https://example.gov.vn/?a=1", "https://user:pw@example.gov.vn",
                                   "https://example.gov.vn:port", "https://"])
def test_an_address_that_cannot_be_right_stops_the_app(database_url, value):
    with pytest.raises(ConfigError, match="CERTIFY_PUBLIC_URL"):
        _config(database_url, PUBLIC_URL=value)


def test_unset_it_falls_back_to_the_development_address_and_says_so(database_url, caplog,
                                                                   monkeypatch):
    # Alembic's logging set-up (migrations/env.py, run by the app fixture) disables the loggers
    # that existed before it; a process that starts the app normally has not run it.
    monkeypatch.setattr(logging.getLogger("certify.config"), "disabled", False)
    with caplog.at_level(logging.WARNING, logger="certify.config"):
        config = _config(database_url, TESTING=False)
    assert config["PUBLIC_URL"] == DEVELOPMENT_PUBLIC_URL
    assert "CERTIFY_PUBLIC_URL is not set" in caplog.text
