"""Words officials use on the Vietnamese pages: "chỉ số" for the ten citizen indicators, "tiêu chí"
for the three competences "Năng lực …", "số định danh cá nhân", no English at all (source lists
and workflow-derived labels included), a target-group hint that claims only what the data does, and
the optional religion field ("Tôn giáo") through the page and the API."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from certify.workflow import workflow
from tests.api_client import Api

from .factories import CITIZEN, UNIT_TITLE
from .test_web_crawl import crawl
from .web_support import Site, sign_in, text

# English the Vietnamese pages used to show (source lists, hints, labels), and plain English words
# that never belong in a Vietnamese sentence.
REMOVED = ["criteria and scoring", "national target", "local target", "in force", "rubric",
           "procedure, levels, validity", "was not available", "CCCD", "Tổng cục Thống kê",
           "quyết định mẫu tự đánh giá"]
ENGLISH = re.compile(r"\b(the|and|of|for|with|from|target|criteria|criterion|indicator|scoring|"
                     r"levels?|validity|procedure|points?|Submit|Draft|Approved?|Verified?)\b")


class _Visible(HTMLParser):
    """The text a reader sees: no tags, scripts, styles, or codes shown as <code>."""

    SKIP = {"script", "style", "code", "option"}

    def __init__(self):
        super().__init__()
        self.depth, self.parts = 0, []

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.depth += 1

    def handle_endtag(self, tag):
        if tag in self.SKIP and self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if not self.depth:
            self.parts.append(data)


def visible(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


@pytest.fixture
def site(app):
    site = Site(app)
    for state, year in {"draft": 2023, "submitted": 2024, "approved": 2025}.items():
        site.nomination(state, year=year)
        site.nomination(state, year=year, title=UNIT_TITLE)
    return site


@pytest.mark.parametrize("username", ["ho-a", "truong", "review-a", "review-district", "approve",
                                      "admin", None])
def test_vietnamese_pages_use_no_english(client, site, username):
    client.get("/lang/vi")
    if username:
        sign_in(client, username)
    pages = crawl(client, limit=80)
    checked = 0
    for url, response in pages.items():
        if response.mimetype != "text/html" or response.status_code != 200:
            continue
        words = visible(text(response))
        for phrase in REMOVED:
            assert phrase not in words, (url, phrase)
        found = ENGLISH.findall(words)
        assert not found, (url, found)
        checked += 1
    assert checked > 1


def test_the_citizen_rules_say_chi_so_for_indicators_and_tieu_chi_for_competences(client, app):
    with app.app_context():
        spec = workflow(CITIZEN).rules_on()
    groups = {c.group.vi for c in spec.criteria}
    assert len(groups) == 3 and all(g.startswith("Năng lực") for g in groups)
    page = visible(text(client.get(f"/rules/{CITIZEN}")))
    assert "Tiêu chí Chỉ số" in page  # the table's headings: the criterion, then its indicator
    for g in groups:
        assert g in page
    assert f"không chỉ số nào dưới {spec.pass_rule.min_each} điểm" in page


def test_the_citizen_form_and_dossier_use_the_officials_words(client, site):
    sign_in(client, "ho-a")
    member = visible(text(client.get("/household/members/new")))
    assert "Số định danh cá nhân" in member and "thẻ căn cước" in member
    assert "Tôn giáo" in member
    assert "dùng chung một mẫu tự đánh giá" in member
    home = visible(text(client.get("/household/")))
    assert "Số định danh cá nhân" in home


def test_religion_round_trip_through_page_and_api(client, site, app):
    sign_in(client, "ho-a")
    r = client.post("/household/members/new", data={
        "full_name": "Lê Thị Hoa", "national_id": "038190000123", "birth_year": "1990",
        "gender": "female", "target_group": "worker", "ethnicity": "Kinh",
        "religion": "Phật giáo", "occupation": ""})
    assert r.status_code == 302
    api = Api(client)
    people = api.get("/persons?per_page=100", "ho-a").get_json()["items"]
    [hoa] = [p for p in people if p["full_name"] == "Lê Thị Hoa"]
    assert hoa["religion"] == "Phật giáo"
    edit = text(client.get(f"/household/members/{hoa['id']}/edit"))
    assert 'value="Phật giáo"' in edit

    r = api.post("/persons", "ho-a", json={
        "full_name": "Lê Văn Nam", "national_id": "038090000456", "birth_year": 1985,
        "gender": "male", "target_group": "worker", "religion": "Công giáo"})
    assert r.status_code == 201 and r.get_json()["religion"] == "Công giáo"
    r = api.post("/persons", "ho-a", json={
        "full_name": "Lê Văn Bình", "national_id": "038090000457", "birth_year": 1985,
        "gender": "male", "target_group": "worker"})
    assert r.status_code == 201 and r.get_json()["religion"] is None
    r = api.post("/persons", "ho-a", json={
        "full_name": "Lê Văn Tâm", "national_id": "038090000458", "birth_year": 1985,
        "gender": "male", "target_group": "worker", "religion": "x" * 65})
    assert r.status_code == 422 and r.get_json()["error"]["details"][0]["field"] == "religion"
