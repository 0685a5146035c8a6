"""The annual cycle: a unit dossier is filed only once its evaluation year has ended, "trước ngày
15/1" makes the 14th the last day on time, late is shown and never refused, and the "Công dân học
tập" deadlines are data in its workflow file. Days come from the workflow files, not literals."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
import time_machine

from certify import clock
from certify.extensions import db
from certify.models import Nomination
from certify.services import deadlines
from certify.workflow import workflow
from tests.api_client import Api

from .factories import CITIZEN, UNIT_TITLE, attach_documents, nomination_in, unit_passing
from .web_support import Site, sign_in, text


def _day(d, year: int) -> date:
    """A file's deadline for an evaluation year, read straight from the spec."""
    return date(year + d.year_offset, d.month, d.day)


@pytest.fixture
def site(app):
    return Site(app)


@pytest.fixture
def today(app) -> date:
    with app.app_context():
        return clock.today()


# -- "trước ngày 15/1": the 14th is on time, the 15th is late ---------------------------------------

@pytest.mark.parametrize("title", [UNIT_TITLE, CITIZEN])
def test_before_the_day_means_the_day_before_is_the_last_on_time(app, site, title):
    year = 2025
    nid = site.nomination("submitted", title=title, year=year)
    with app.app_context():
        named = _day(workflow(title).rules_for_year(year).deadlines.submit_before, year)
        due = deadlines.for_year(title, year)
        assert due["submit_before"] == named and due["submit_by"] == named - timedelta(days=1)
        n = db.session.get(Nomination, nid)
        for submitted, late in ((named - timedelta(days=1), False), (named, True)):
            # late afternoon in the product's zone: the calendar day is what counts
            n.submitted_at = datetime.combine(submitted, time(16, 59), clock.zone())
            assert deadlines.submitted_late(n) is late, submitted


def test_a_late_dossier_is_shown_late_and_still_reviewed(client, app, site):
    year = 2025
    nid = site.nomination("submitted", title=UNIT_TITLE, year=year)
    with app.app_context():
        named = _day(workflow(UNIT_TITLE).rules_for_year(year).deadlines.submit_before, year)

    def on(day):
        def change(_w):
            db.session.get(Nomination, nid).submitted_at = datetime.combine(
                day, time(9, 0), clock.zone())
            db.session.commit()
        return change

    sign_in(client, "truong")
    site.run(on(named - timedelta(days=1)))
    page = text(client.get(f"/household/nominations/{nid}"))
    last = (named - timedelta(days=1)).strftime("%d/%m/%Y")
    assert f"trước ngày {named:%d/%m/%Y}" in page and f"chậm nhất ngày {last}" in page
    assert "nộp muộn" not in page
    site.run(on(named))
    assert "nộp muộn" in text(client.get(f"/household/nominations/{nid}"))
    reviewer = app.test_client()
    sign_in(reviewer, "review-district")
    assert 'value="verify"' in text(reviewer.get(f"/review/nominations/{nid}"))


# -- a unit dossier waits for the end of its year -----------------------------------------------

def test_a_unit_dossier_opens_on_the_first_day_after_its_year(app):
    year = 2025
    with app.app_context():
        first = _day(workflow(UNIT_TITLE).rules_for_year(year).deadlines.submit_from, year)
        assert first == date(year + 1, 1, 1)  # the file follows TT 24: the year must have ended
        assert not deadlines.may_submit(UNIT_TITLE, year, date(year, 12, 31))
        assert deadlines.may_submit(UNIT_TITLE, year, date(year + 1, 1, 1))
        [why] = deadlines.submission_reasons(UNIT_TITLE, year, date(year, 12, 31))
        assert why.field == "year" and why.code == "not_open"
        assert deadlines.submission_reasons(UNIT_TITLE, year, date(year + 1, 1, 1)) == []
        # Citizens file during their year: the file sets no first day.
        assert deadlines.may_submit(CITIZEN, year, date(year, 6, 1))


def _at(app, day: date, hour: int, minute: int = 0):
    """Move the clock to a moment of the product's day (CERTIFY_TIMEZONE)."""
    with app.app_context():
        zone = clock.zone()
    return time_machine.travel(datetime.combine(day, time(hour, minute), zone), tick=True)


def test_the_clock_decides_submission_and_lateness_through_the_api(app, world, client):
    """31/12/Y refused, 1/1/Y+1 accepted; on the last day on time, then the day named late."""
    api = Api(client)
    year = 2025
    def spec_of(y):
        return workflow(UNIT_TITLE).rules_for_year(y).deadlines

    spec = spec_of(year)
    opens, named = _day(spec.submit_from, year), _day(spec.submit_before, year)

    def submit(n):
        return api.post(f"/nominations/{n['id']}/events", "truong",
                        json={"event": "submit", "version": n["version"]})

    def create(y):
        n = api.post("/nominations", "truong", json={
            "title": UNIT_TITLE, "subject_id": world.organization.id, "year": y,
            "self_assessment": unit_passing(y)}).get_json()
        attach_documents(world, db.session.get(Nomination, n["id"]))
        return api.get(f"/nominations/{n['id']}", "truong").get_json()

    with _at(app, opens - timedelta(days=1), 23, 30):
        n = create(year)
        r = submit(n)
        assert r.status_code == 422 and r.get_json()["error"]["details"][0]["code"] == "not_open"
    with _at(app, opens, 0, 30):
        r = submit(n)
        assert r.status_code == 200 and r.get_json()["state"] == "submitted"

    # Earlier years' dossiers (each by its own version's days): one filed on its last day on
    # time, one on the day named.
    filed = {}
    for y, day, hour in ((year - 1, _day(spec_of(year - 1).submit_before, year - 1)
                          - timedelta(days=1), 23),
                         (year - 2, _day(spec_of(year - 2).submit_before, year - 2), 0)):
        with _at(app, day, hour, 10):
            m = create(y)
            assert submit(m).status_code == 200
            filed[y] = m["id"]
    db.session.expire_all()
    late = {y: deadlines.submitted_late(db.session.get(Nomination, i))
            for y, i in [(year, n["id"]), *filed.items()]}
    assert late == {year: False, year - 1: False, year - 2: True}
    assert named > opens


def test_the_api_refuses_this_years_unit_dossier_naming_the_first_day(world, client, today):
    api = Api(client)
    org = world.organization.id
    r = api.post("/nominations", "truong", json={"title": UNIT_TITLE, "subject_id": org,
                                                 "year": today.year,
                                                 "self_assessment": unit_passing(today.year)})
    assert r.status_code == 201
    n = r.get_json()
    r = api.post(f"/nominations/{n['id']}/events", "truong",
                 json={"event": "submit", "version": n["version"]})
    assert r.status_code == 422
    error = r.get_json()["error"]
    first = date(today.year + 1, 1, 1)
    assert error["details"][0]["code"] == "not_open"
    assert f"{first:%d/%m/%Y}" in error["details"][0]["message"]
    again = api.get(f"/nominations/{n['id']}", "truong").get_json()
    assert again["state"] == "draft" and again["version"] == n["version"]
    en = api.post(f"/nominations/{n['id']}/events", "truong",
                  json={"event": "submit", "version": n["version"]},
                  headers={"Accept-Language": "en"}).get_json()["error"]
    assert f"{first:%d/%m/%Y}" in en["details"][0]["message"]
    assert "evaluation year" in en["details"][0]["message"]

    last = nomination_in(world, "draft", title=UNIT_TITLE, year=today.year - 1)
    attach_documents(world, last)
    r = api.post(f"/nominations/{last.id}/events", "truong",
                 json={"event": "submit", "version": last.version})
    assert r.status_code == 200 and r.get_json()["state"] == "submitted"


def test_the_organization_page_offers_only_years_it_can_file(client, site, today):
    sign_in(client, "truong")
    page = text(client.get("/household/"))
    form = page.split('name="year"')[1].split("</select>")[0]
    assert f'value="{today.year - 1}"' in form and f'value="{today.year}"' not in form
    assert client.post("/household/nominate", data={"year": str(today.year)}).status_code == 302
    assert site.count(Nomination) == 0  # a year not offered is not accepted either


def test_the_page_refuses_this_years_unit_dossier_and_saves_nothing(client, site, today, app):
    nid = site.nomination("draft", title=UNIT_TITLE, year=today.year)
    before = site.nomination_row(nid)
    with app.app_context():
        marks = unit_passing(today.year)
    sign_in(client, "truong")
    r = client.post(f"/household/nominations/{nid}", data={
        **{f"c-{code}": "dat" if value is True else str(value) for code, value in marks.items()},
        "version": before.version, "action": "submit", "declared": "1"})
    assert r.status_code == 422
    first = date(today.year + 1, 1, 1)
    assert f"từ ngày {first:%d/%m/%Y}" in text(r)
    after = site.nomination_row(nid)
    assert after.state == "draft" and after.self_assessment == before.self_assessment


def test_the_household_page_still_offers_this_year_for_citizens(client, site, today):
    sign_in(client, "ho-a")
    form = text(client.get("/household/")).split('name="year"')[1].split("</select>")[0]
    assert f'value="{today.year}"' in form


# -- the citizen deadlines are data ---------------------------------------------------------------

def test_the_rules_page_shows_each_titles_deadlines_from_its_file(client, app):
    with app.app_context():
        # The version in force today (the page lists every version's days).
        specs = {code: workflow(code).rules_on().deadlines for code in (CITIZEN, UNIT_TITLE)}
    for code, spec in specs.items():
        page = text(client.get(f"/rules/{code}"))
        named = f"{spec.submit_before.day:02d}/{spec.submit_before.month:02d}"
        assert f"trước ngày {named}" in page, code
    unit = text(client.get(f"/rules/{UNIT_TITLE}"))
    assert "Nộp từ" in unit and "ngày 01/01 năm sau năm đánh giá" in unit
