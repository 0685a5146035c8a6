"""Public pages (no account): dossier look-up, certificate verification, progress per ward."""

from __future__ import annotations

import pytest

from certify.extensions import db
from certify.models import Nomination

from .web_support import Site, text


@pytest.fixture
def site(app):
    return Site(app)


def _recognition_code(site, nid):
    return site.run(lambda w: db.session.get(Nomination, nid).recognition.code)


def test_lookup_by_receipt_code_shows_state_but_no_name(client, site):
    nid = site.nomination("submitted")
    code = site.nomination_row(nid).receipt_code
    page = text(client.get(f"/lookup?code={code.lower()}"))
    assert "Đã nộp" in page and code in page
    assert "Nguyễn Văn An" not in page


def test_lookup_of_an_unknown_code(client, site):
    response = client.get("/lookup?code=CDHT-2026-NOPE")
    assert response.status_code == 404
    assert "Không có hồ sơ nào với mã biên nhận này" in text(response)


def test_verify_a_valid_certificate(client, site):
    nid = site.nomination("approved")
    code = _recognition_code(site, nid)
    page = text(client.get(f"/verify/{code}"))
    assert "Giấy chứng nhận còn hiệu lực." in page
    assert "N.V.A." in page and "Nguyễn Văn An" not in page


def test_verify_a_revoked_certificate(client, site):
    nid = site.nomination("revoked")
    code = _recognition_code(site, nid)
    page = text(client.get(f"/verify/{code}"))
    assert "Giấy chứng nhận không còn hiệu lực." in page


def test_verify_an_unknown_code(client, site):
    response = client.get("/verify/ZZZZZZZZZZZZ")
    assert response.status_code == 404
    assert "Không có giấy chứng nhận nào với mã ZZZZZZZZZZZZ." in text(response)


def test_verify_form_redirects_to_the_code_page(client):
    response = client.get("/verify?code=abc123")
    assert response.headers["Location"].endswith("/verify/ABC123")


def test_public_progress_per_ward_without_an_account(client, site):
    site.nomination("approved")
    site.run(lambda w: __import__("certify.services.units", fromlist=["x"]).set_denominators(
        w.ward_a, 2026, {"cong-dan-hoc-tap": 2}))
    page = text(client.get("/public/progress?unit=381"))
    assert "Phường Ba Đình" in page and "units-chart" in page
    ward = text(client.get("/public/progress?unit=16729"))
    assert "Phường Ba Đình" in ward
    assert "Nguyễn" not in ward


def test_public_pages_work_in_english(client, site):
    client.get("/lang/en")
    assert "Look up a dossier" in text(client.get("/lookup"))
