"""Response headers on every kind of answer: `X-Content-Type-Options: nosniff` on all of them (pages,
API JSON, static files, errors, redirects, downloads) and `Cache-Control: no-store` on all but
static files (personal pages, API answers, public look-ups whose state changes)."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from certify.extensions import db
from certify.models import Recognition

from .factories import PASSWORD
from .test_web_crawl import crawl
from .web_support import Site, sign_in

PDF = b"%PDF-1.4\n% minh chung\n"


def check(url: str, response, *, cacheable: bool = False) -> None:
    assert response.status_code < 500, (url, response.status_code)
    assert response.headers.get("X-Content-Type-Options") == "nosniff", url
    directives = {d.strip() for d in response.headers.get("Cache-Control", "").split(",")}
    if cacheable:
        assert "no-store" not in directives, url
    else:
        assert "no-store" in directives, (url, response.headers.get("Cache-Control"))


@pytest.fixture
def site(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "EVIDENCE_FOLDER", str(tmp_path / "evidence"))
    site = Site(app)
    site.nomination("approved", year=2025)
    site.nomination("submitted", year=2026)
    site.nomination("draft", year=2024, title="don-vi-hoc-tap")
    return site


@pytest.mark.parametrize("username", ["ho-a", "truong", "review-a", "approve", "admin", None])
def test_every_reachable_page_carries_both_headers(client, site, username):
    if username:
        sign_in(client, username)
    pages = crawl(client, limit=80)
    assert len(pages) > 3
    for url, response in pages.items():
        check(url, response)


def test_answers_outside_the_pages(client, site):
    receipt = site.nomination("submitted", year=2023)
    sign_in(client, "ho-a")
    urls = {
        "/household/": 200,
        f"/household/nominations/{receipt}/receipt": 200,
        "/no-such-page": 404,
        "/district/": 403,
        "/progress/export.csv?unit=381": 403,
        "/lang/en": 302,
    }
    for url, status in urls.items():
        response = client.get(url)
        assert response.status_code == status, url
        check(url, response)
    signout = client.post("/signout")
    check("/signout", signout)
    # Signed out: personal pages redirect to the sign-in page, and the redirect is not stored.
    check("/household/ (signed out)", client.get("/household/"))
    for url in ("/", "/signin", "/lookup", "/verify", "/verify/KHONG-CO", "/public/progress",
                "/rules/"):
        check(url, client.get(url))


def test_downloads(client, site, app):
    nid = site.nomination("draft", year=2023)
    sign_in(client, "ho-a")
    page = client.post(f"/nominations/{nid}/evidence", data={
        "criterion": "1.3", "file": (io.BytesIO(PDF), "a.pdf")},
        content_type="multipart/form-data", follow_redirects=True).get_data(as_text=True)
    token = page.split("/evidence/")[1].split('"')[0]
    check("evidence", client.get(f"/nominations/{nid}/evidence/{token}"))

    approver = app.test_client()
    sign_in(approver, "approve")
    for fmt in ("csv", "xlsx"):
        url = f"/progress/export.{fmt}?unit=381"
        check(url, approver.get(url))
    recognition = site.run(lambda _w: db.session.scalar(select(Recognition.id)))
    url = f"/recognitions/{recognition}/certificate.pdf"
    check(url, approver.get(url))


def test_static_files_are_cacheable_but_never_sniffed(client, site):
    for url in ("/static/app.css", "/static/favicon.svg"):
        response = client.get(url)
        assert response.status_code == 200
        check(url, response, cacheable=True)
    check("/static/missing.css", client.get("/static/missing.css"), cacheable=True)


def test_api_answers(client, site):
    token = client.post("/api/v1/auth/token",
                        json={"username": "review-a", "password": PASSWORD})
    check("POST /auth/token", token)
    bearer = {"Authorization": f"Bearer {token.get_json()['token']}"}
    for url, status in {
        "/api/v1/nominations": 200,
        "/api/v1/units/16729": 200,
        "/api/v1/titles": 200,
        "/api/v1/progress?title=cong-dan-hoc-tap&unit=16729": 200,
        "/api/v1/nominations/999999": 404,
        "/api/v1/no-such-thing": 404,
    }.items():
        response = client.get(url, headers=bearer)
        assert response.status_code == status, url
        check(url, response)
    for url, status in {
        "/api/v1/nominations": 401,
        "/api/v1/public/dossiers/KHONG-CO": 404,
        "/api/v1/public/recognitions/KHONG-CO": 404,
        "/api/v1/public/progress?title=cong-dan-hoc-tap&unit=381": 200,
        "/api/v1/openapi.json": 200,
    }.items():
        response = client.get(url)
        assert response.status_code == status, url
        check(url, response)
    bad = client.post("/api/v1/auth/token", json={"username": "review-a", "password": "sai"})
    assert bad.status_code == 401
    check("POST /auth/token (wrong password)", bad)
    wrong_method = client.put("/api/v1/titles")
    assert wrong_method.status_code == 405
    check("PUT /titles", wrong_method)
