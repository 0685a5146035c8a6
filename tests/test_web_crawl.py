"""Every page a user can reach by following links answers without a server error, for every role,
in both languages, with nominations in every state — and every household page stays under 100 KB."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import pytest

from .web_support import Site, sign_in

# One nomination per state and title; rejected and withdrawn ones no longer block their year.
YEARS = {"draft": 2021, "submitted": 2022, "returned": 2023, "verified": 2024, "approved": 2025,
         "revoked": 2026, "rejected": 2027, "withdrawn": 2027}
# A unit's dossier is submitted once its year has ended: the closed ones first, so that they share
# a past year with the revoked one; only the draft is of this year.
UNIT_YEARS = {"rejected": 2025, "withdrawn": 2025, "revoked": 2025, "draft": 2026,
              "submitted": 2021, "returned": 2022, "verified": 2023, "approved": 2024}
LINK = re.compile(r'href="([^"#]+)"')
SKIP = ("/signout", "/lang/", "/static/")


@pytest.fixture
def site(app):
    site = Site(app)
    for state, year in YEARS.items():
        site.nomination(state, year=year)
    for state, year in UNIT_YEARS.items():
        site.nomination(state, year=year, title="don-vi-hoc-tap")
    return site


def crawl(client, start="/", limit=150):
    seen, queue, pages = set(), [start], {}
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        assert response.status_code < 500, f"{url} answered {response.status_code}"
        pages[url] = response
        if response.status_code in (301, 302, 303):
            queue.append(urljoin(url, response.headers["Location"]))
            continue
        if not response.mimetype == "text/html":
            continue
        for href in LINK.findall(response.get_data(as_text=True)):
            href = href.replace("&amp;", "&")
            parts = urlsplit(urljoin(url, href))
            if parts.netloc not in ("", "localhost") or href.startswith(SKIP) or \
                    parts.path.startswith(SKIP):
                continue
            queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return pages


@pytest.mark.parametrize("username", ["ho-a", "truong", "review-a", "review-district", "approve",
                                      "admin", None])
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_reachable_page_answers(client, site, username, lang):
    client.get(f"/lang/{lang}")
    if username:
        sign_in(client, username)
    pages = crawl(client)
    assert len(pages) > 3
    for url, response in pages.items():
        if response.mimetype == "text/html" and response.status_code == 200:
            html = response.get_data(as_text=True)
            assert f'<html lang="{lang}">' in html, url
            if url.startswith("/household/"):
                assert len(response.data) < 100_000, url
