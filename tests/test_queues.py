"""Staff lists that scale (issue 9, items 1, 2 and 6): one filter for pages, API and exports; a
fixed number of SQL statements per page whatever its length; bulk work with the count shown
first (decisions, verify on the self-assessment, return with one reason), all or nothing; the
exports staff need."""

from __future__ import annotations

import csv
import io
import re
from contextlib import contextmanager
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import event, func, select

from certify import clock
from certify.extensions import db
from certify.models import Decision, HistoryEntry, Nomination, Recognition
from certify.services import deadlines, nominations
from certify.services.nominations import QueueFilter
from certify.workflow import engine, meaning, workflow

from .api_client import Api
from .factories import CITIZEN, CITIZEN_PASS, UNIT_TITLE, nomination_in, person
from .web_support import Site, csrf_token, sign_in, text

SPEC = lambda: workflow(CITIZEN).spec  # noqa: E731


@pytest.fixture
def site(app):
    return Site(app)


def _people_in(site, state: str, count: int, *, prefix="Lê Thị Hoa", year=None,
               household="household_a") -> list[int]:
    """`count` dossiers of distinct persons of household A (ward A), driven to `state`."""
    def build(w):
        ids = []
        for i in range(count):
            p = person(getattr(w, household), f"{prefix} {i:03d}")
            ids.append(nomination_in(w, state, subject=p, year=year).id)
        return ids
    return site.run(build)


def _submitted(household, subject, scores=None):
    """A citizen dossier its household files and submits, with `scores` as self-assessment."""
    n = nominations.create(household, title=CITIZEN, subject_id=subject.id,
                           year=clock.today().year, self_assessment=dict(scores or CITIZEN_PASS))
    engine.apply(n.id, meaning.submit_event(SPEC()), household, n.version)
    return n


@contextmanager
def statements(app):
    """Count the SQL statements sent to the database inside the block."""
    seen = []

    def count(*_args):
        seen.append(1)

    with app.app_context():
        engine_ = db.engine
    event.listen(engine_, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine_, "before_cursor_execute", count)


# -- the filter service --------------------------------------------------------------------------

def test_one_search_box_finds_names_without_accents_receipt_codes_national_ids_and_organizations(
        world):
    an = nomination_in(world, "submitted")  # Nguyễn Văn An, ward A
    other = person(world.household_a, "Phạm Đức Thắng")
    thang = nomination_in(world, "submitted", subject=other)
    school = nomination_in(world, "submitted", title=UNIT_TITLE)  # Trường THCS Ba Đình

    def found(q, actor=world.approver):
        return [n.id for n in nominations.search(actor, QueueFilter(q=q)).items]

    assert found("nguyen van an") == [an.id]
    assert found("DUC THANG") == [thang.id]
    assert found(an.receipt_code.lower()) == [an.id]  # exact, any case
    assert found(an.receipt_code[:-1]) == []  # a receipt code matches whole, not a part of it
    assert found(world.person_a.national_id) == [an.id]
    assert found(world.person_a.national_id[:11]) == []
    assert found("truong thcs ba dinh") == [school.id]
    assert found("ba dinh") == [school.id]
    # Scope first: a ward B reviewer finds none of ward A's, whatever the search.
    assert found(an.receipt_code, world.reviewer_b) == []


def test_filters_narrow_by_unit_subtree_title_year_target_group_state_and_lateness(world):
    school = nomination_in(world, "submitted", title=UNIT_TITLE)
    # (the school's dossier brings a member's recognised citizen dossier: its computed share)
    share = set(db.session.scalars(select(Nomination.id))) - {school.id}
    a = nomination_in(world, "submitted")
    b_person = person(world.household_b, "Trần Văn Cường", target_group="learner")
    b = _submitted(world.household_b, b_person)
    # A dossier of an evaluation year whose last day for a decision has passed, still open.
    old_year = next(y for y in range(clock.today().year - 1, 2020, -1)
                    if deadlines.for_year(CITIZEN, y).get("approve_by")
                    and deadlines.for_year(CITIZEN, y)["approve_by"] < clock.today())
    late = nomination_in(world, "verified", year=old_year)

    def ids(**kw):
        return sorted(n.id for n in nominations.search(world.admin, QueueFilter(**kw)).items
                      if n.id not in share)

    assert ids(unit=world.ward_a.code) == sorted([a.id, late.id])
    assert ids(unit=world.district.code, stage="review") == sorted([a.id, b.id, school.id])
    assert ids(unit=world.ward_b.code, stage="review") == [b.id]
    assert ids(unit="no-such-unit") == []
    assert ids(title=UNIT_TITLE) == [school.id]
    assert ids(year=old_year, title=CITIZEN) == [late.id]
    assert ids(target_group="learner") == [b.id]
    assert ids(stage="decision") == [late.id]
    assert ids(state=a.state) == sorted([a.id, b.id, school.id])
    school_due = deadlines.for_year(UNIT_TITLE, school.year).get("approve_by")
    school_late = school_due is not None and school_due < clock.today()
    assert ids(late=True) == sorted([late.id] + ([school.id] if school_late else []))
    assert nominations.is_late(late) and not nominations.is_late(a)
    # Filters combine, and the API reads the same filter.
    assert ids(unit=world.ward_a.code, late=True, q="nguyen") == [late.id]


def test_the_api_list_takes_the_same_filter(client, site):
    verified = _people_in(site, "verified", 3)
    _people_in(site, "submitted", 2)
    api = Api(client)
    receipt = site.nomination_row(verified[1]).receipt_code
    found = api.get(f"/nominations?q={receipt.lower()}", "approve").get_json()
    assert [n["id"] for n in found["items"]] == [verified[1]]
    found = api.get("/nominations?stage=decision&per_page=2&page=2", "approve").get_json()
    assert found["total"] == 3 and [n["id"] for n in found["items"]] == [verified[2]]
    assert api.get("/nominations?late=true", "approve").get_json()["total"] == 0
    assert api.get("/nominations?stage=nowhere", "approve").status_code == 422
    assert api.get("/nominations?late=maybe", "approve").status_code == 422


# -- pager, statement counts ---------------------------------------------------------------------

def test_the_pager_keeps_the_filter(client, site):
    _people_in(site, "submitted", 3, prefix="Đỗ Minh Khôi")
    _people_in(site, "submitted", 2, prefix="Vũ Lan")
    sign_in(client, "review-a")
    first = text(client.get("/review/?q=do+minh&per_page=2"))
    assert "Tìm thấy 3 hồ sơ" in first and len(_named(first, "Đỗ Minh Khôi")) == 2
    assert "Vũ Lan" not in first
    link = re.search(r'href="(/review/\?[^"]*page=2[^"]*)"', first).group(1).replace("&amp;", "&")
    assert "q=do+minh" in link and "per_page=2" in link
    second = text(client.get(link))
    assert len(_named(second, "Đỗ Minh Khôi")) == 1 and "Vũ Lan" not in second
    assert not _named(first, "Đỗ Minh Khôi") & _named(second, "Đỗ Minh Khôi")
    # The approver's list has a pager too (it showed the first 100, and no more).
    sign_in(client, "approve")
    _people_in(site, "verified", 3, prefix="Hồ Quang")
    page = text(client.get("/district/?q=ho+quang&per_page=2"))
    assert "3 hồ sơ đã thẩm định" in page and "Trang 1 / 2" in page
    assert "q=ho+quang" in re.search(r'href="(/district/\?[^"]*page=2[^"]*)"',
                                     page).group(1).replace("&amp;", "&")


def _named(html: str, prefix: str) -> set[str]:
    """The numbered names `_people_in` gave that a page shows."""
    return set(re.findall(re.escape(prefix) + r" \d{3}", html))


LISTS = {
    "review queue": ("review-a", "/review/?state=&per_page={n}"),
    "approver list": ("approve", "/district/?per_page={n}"),
    "decisions": ("approve", "/district/decisions/?per_page={n}"),
}


def test_a_page_costs_the_same_statements_whatever_its_length(app, client, site):
    """Pages of 10 and of 200 rows cost exactly as many SQL statements (30 rows here, more than
    a page of 10), on every staff list and the API list."""
    verified = _people_in(site, "verified", 24)

    def decide(w):
        from .factories import decide as issue
        for k in range(12):  # twelve decisions of one dossier each
            issue(w, [db.session.get(Nomination, verified[k])], number=f"{300 + k}/QĐ-UBND")
    site.run(decide)
    _people_in(site, "submitted", 6, prefix="Mai Văn Tùng")
    for name, (user, url) in LISTS.items():
        sign_in(client, user)
        client.get(url.format(n=1))  # the first request after signing in also touches the session
        counts = []
        for n in (10, 200):
            with statements(app) as seen:
                response = client.get(url.format(n=n))
            assert response.status_code == 200, name
            counts.append(len(seen))
        assert counts[0] == counts[1], (name, counts)
        assert counts[0] <= 25, (name, counts)  # the bound: a fixed handful, not one per row

    api = Api(client)
    api.token("approve")
    api.get("/nominations?per_page=1", "approve")
    counts = []
    for n in (10, 200):
        with statements(app) as seen:
            response = api.get(f"/nominations?per_page={n}", "approve")
        assert response.status_code == 200 and len(response.get_json()["items"]) == min(n, 30)
        counts.append(len(seen))
    assert counts[0] == counts[1] and counts[0] <= 25, counts
