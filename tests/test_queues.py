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

_SPECS = {}


@pytest.fixture(autouse=True)
def _citizen_spec(app):
    with app.app_context():
        _SPECS[CITIZEN] = workflow(CITIZEN).spec


def SPEC():  # noqa: N802
    """The citizen title's workflow, as the loaded file says (states asked by meaning)."""
    return _SPECS[CITIZEN]


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
    "review queue with bulk": ("review-a", "/review/?per_page={n}"),
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


# -- bulk decisions on the approver's list -------------------------------------------------------

def _today() -> str:
    return datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date().isoformat()


DECISION = {"number": "77/QĐ-UBND", "signer": "Lê Văn Hùng", "signer_position": "tm_chu_tich",
            "place": "Bỉm Sơn"}


def _preview(client, data: dict):
    page = text(client.get("/district/"))
    return client.post("/district/decisions/confirm",
                       data={"csrf_token": csrf_token(page), "date": _today(), **DECISION, **data})


def _token(html: str) -> str:
    return re.search(r'name="token"[^>]*value="([^"]+)"', html).group(1)


def _issue(client, html: str):
    return client.post("/district/decisions", data={
        "csrf_token": csrf_token(html), "date": _today(), **DECISION, "token": _token(html)})


def _decided(site) -> list[list[int]]:
    def read(_w):
        return [sorted(r.nomination_id for r in d.recognitions)
                for d in db.session.scalars(select(Decision).order_by(Decision.id))]
    return site.run(read)


def test_nothing_selected_is_a_clear_error_and_nothing_is_written(client, site):
    _people_in(site, "verified", 2)
    sign_in(client, "approve")
    response = _preview(client, {})
    assert response.status_code == 422 and "Hãy chọn ít nhất một hồ sơ." in text(response)
    assert _decided(site) == []


def test_one_selected_dossier_is_decided_after_its_confirmation(client, site):
    one, other = _people_in(site, "verified", 2)
    sign_in(client, "approve")
    preview = _preview(client, {"nomination_id": [str(one)]})
    html = text(preview)
    assert preview.status_code == 200 and "Sẽ công nhận 1 hồ sơ sau:" in html
    assert _decided(site) == []  # the confirmation writes nothing
    done = _issue(client, html)
    assert done.status_code == 302
    assert _decided(site) == [[one]]
    assert site.nomination_row(other).state == site.nomination_row(other).state  # untouched
    granted = meaning.granted_states(SPEC())
    assert site.nomination_row(one).state in granted
    assert site.nomination_row(other).state not in granted


def test_every_dossier_matching_the_filter_across_pages_in_one_decision(client, site):
    chosen = _people_in(site, "verified", 5, prefix="Ngô Gia Tự")
    others = _people_in(site, "verified", 2, prefix="Lý Thường")
    sign_in(client, "approve")
    page = text(client.get("/district/?q=ngo+gia&per_page=2"))
    assert "Trang 1 / 3" in page
    preview = _preview(client, {"q": "ngo gia", "all_matching": "yes"})
    html = text(preview)
    assert "Sẽ công nhận 5 hồ sơ sau:" in html and len(_named(html, "Ngô Gia Tự")) == 5
    assert "Lý Thường" not in html
    assert _issue(client, html).status_code == 302
    assert _decided(site) == [sorted(chosen)]
    assert all(site.nomination_row(i).state in meaning.awaiting_decision_states(SPEC())
               for i in others)


def test_the_decision_names_exactly_what_was_confirmed_when_the_filter_changes(client, site):
    shown = _people_in(site, "verified", 2, prefix="Đinh Bộ Lĩnh")
    sign_in(client, "approve")
    html = text(_preview(client, {"q": "dinh bo", "all_matching": "yes"}))
    assert "Sẽ công nhận 2 hồ sơ sau:" in html
    # Meanwhile a third dossier comes to match the same filter.
    late_comer = _people_in(site, "verified", 1, prefix="Đinh Bộ Lĩnh Mới")
    assert _issue(client, html).status_code == 302
    assert _decided(site) == [sorted(shown)]
    assert site.nomination_row(late_comer[0]).state in meaning.awaiting_decision_states(SPEC())


def test_a_dossier_decided_by_someone_else_meanwhile_is_409_and_nothing_is_written(client, site):
    ids = _people_in(site, "verified", 3)
    sign_in(client, "approve")
    html = text(_preview(client, {"all_matching": "yes"}))
    assert "Sẽ công nhận 3 hồ sơ sau:" in html

    def elsewhere(w):  # another approval of one of them, in its own decision
        from .factories import decide
        decide(w, [db.session.get(Nomination, ids[1])], number="901/QĐ-UBND")
    site.run(elsewhere)
    before = _decided(site)
    response = _issue(client, html)
    assert response.status_code == 409 and "Chưa có gì được ghi" in text(response)
    assert _decided(site) == before == [[ids[1]]]
    assert site.nomination_row(ids[0]).state in meaning.awaiting_decision_states(SPEC())


def test_a_forged_or_foreign_confirmation_is_refused(client, site):
    ids = _people_in(site, "verified", 1)
    sign_in(client, "approve")
    html = text(_preview(client, {"nomination_id": [str(ids[0])]}))
    forged = html.replace(_token(html), _token(html)[:-3] + "abc")
    assert _issue(client, forged).status_code == 400
    assert _decided(site) == []


# -- bulk verify and bulk return on the review queue ---------------------------------------------

def _bulk_preview(client, data: dict):
    page = text(client.get("/review/"))
    return client.post("/review/bulk/confirm", data={"csrf_token": csrf_token(page), **data})


def _bulk_commit(client, html: str):
    action = re.search(r'name="action"[^>]*value="([a-z]+)"', html)
    comment = re.search(r'<input type="hidden" name="comment" value="([^"]*)"', html).group(1)
    return client.post("/review/bulk", data={
        "csrf_token": csrf_token(html), "action": action.group(1), "token": _token(html),
        "comment": comment.replace("&#39;", "'")})


def _history(site, nid):
    def read(_w):
        return [(h.event, h.comment) for h in db.session.scalars(
            select(HistoryEntry).where(HistoryEntry.nomination_id == nid)
            .order_by(HistoryEntry.id))]
    return site.run(read)


def test_bulk_verify_takes_the_self_assessment_and_says_so_in_each_history(client, site):
    ids = _people_in(site, "submitted", 3)
    sign_in(client, "review-a")
    html = text(_bulk_preview(client, {"action": "verify", "all_matching": "yes",
                                       "state": "@queue"}))
    assert "Xác minh 3 hồ sơ" in html
    assert all(site.nomination_row(i).state in meaning.queue_states(SPEC()) for i in ids)
    assert _bulk_commit(client, html).status_code == 302
    score = meaning.procedure(SPEC())["score"]
    for i in ids:
        row = site.nomination_row(i)
        assert row.state in meaning.awaiting_decision_states(SPEC())
        assert row.review_assessment == row.self_assessment
        assert _history(site, i)[-1] == (score, nominations.BULK_VERIFY_COMMENT)


def test_bulk_verify_refuses_a_selection_with_a_failing_self_assessment_and_names_it(client,
                                                                                     site):
    good = _people_in(site, "submitted", 1)

    def failing(w):
        p = person(w.household_a, "Bùi Thị Xuân")
        low = {code: 1 for code in CITIZEN_PASS}  # complete, far below the pass rule
        return _submitted(w.household_a, p, low).id
    bad = site.run(failing)
    sign_in(client, "review-a")
    response = _bulk_preview(client, {"action": "verify",
                                      "nomination_id": [str(good[0]), str(bad)]})
    html = text(response)
    assert response.status_code == 422 and "Bùi Thị Xuân" in html and "chưa đạt" in html
    assert 'name="token"' in html and "Xác minh 2 hồ sơ</button>" not in html
    # Even a confirmation forced through is refused by the engine, all or nothing.
    assert _bulk_commit(client, html).status_code == 422
    assert all(site.nomination_row(i).state in meaning.queue_states(SPEC()) for i in (good[0], bad))


def test_bulk_return_needs_one_reason_and_sends_it_to_each(client, site):
    ids = _people_in(site, "submitted", 2)
    sign_in(client, "review-a")
    refused = _bulk_preview(client, {"action": "return", "all_matching": "yes",
                                     "state": "@queue", "comment": "  "})
    assert refused.status_code == 422 and "Hãy nhập lý do trả lại" in text(refused)
    html = text(_bulk_preview(client, {"action": "return", "all_matching": "yes",
                                       "state": "@queue", "comment": "Thiếu minh chứng"}))
    assert "Trả lại 2 hồ sơ" in html
    assert _bulk_commit(client, html).status_code == 302
    back = meaning.procedure(SPEC())["send_back"]
    for i in ids:
        assert site.nomination_row(i).state in meaning.returned_states(SPEC())
        assert _history(site, i)[-1] == (back, "Thiếu minh chứng")


def test_a_dossier_returned_by_someone_else_meanwhile_is_409_and_nothing_is_verified(client,
                                                                                    site):
    ids = _people_in(site, "submitted", 3)
    sign_in(client, "review-a")
    html = text(_bulk_preview(client, {"action": "verify", "all_matching": "yes",
                                       "state": "@queue"}))
    assert "Xác minh 3 hồ sơ" in html

    def meanwhile(w):
        n = db.session.get(Nomination, ids[2])
        engine.apply(n.id, meaning.procedure(SPEC())["send_back"], w.reviewer_a, n.version,
                     engine.Payload(comment="Thiếu giấy tờ"))
    site.run(meanwhile)
    response = _bulk_commit(client, html)
    assert response.status_code == 409 and "Chưa có gì được ghi" in text(response)
    assert all(site.nomination_row(i).state in meaning.queue_states(SPEC()) for i in ids[:2])
    assert all(len(_history(site, i)) == 1 for i in ids[:2])  # only their submission


def test_a_bulk_selection_outside_the_reviewers_ward_is_404(client, site):
    mine = _people_in(site, "submitted", 1)
    sign_in(client, "review-b")
    response = _bulk_preview(client, {"action": "verify", "nomination_id": [str(mine[0])]})
    assert response.status_code == 404
    assert site.nomination_row(mine[0]).state in meaning.queue_states(SPEC())


def test_bulk_service_refuses_an_empty_selection_and_a_missing_reason(world):
    from certify.errors import Invalid
    n = nomination_in(world, "submitted")
    with pytest.raises(Invalid):
        nominations.bulk_verify(world.reviewer_a, [])
    with pytest.raises(Invalid):
        nominations.bulk_return(world.reviewer_a, [n.id], " ")
    db.session.refresh(n)
    assert n.state in meaning.queue_states(SPEC())


# -- exports -------------------------------------------------------------------------------------

def _csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_the_queue_export_holds_exactly_the_filtered_rows(client, site):
    wanted = _people_in(site, "verified", 3, prefix="Tô Hiến Thành")
    _people_in(site, "verified", 2, prefix="=HYPERLINK")
    sign_in(client, "approve")
    page = text(client.get("/district/?q=to+hien"))
    link = re.search(r'href="(/district/export\.csv[^"]*)"', page).group(1).replace("&amp;", "&")
    rows = _csv_rows(client.get(link).data)
    receipts = {site.nomination_row(i).receipt_code for i in wanted}
    assert {r[1] for r in rows[1:]} == receipts and len(rows) == 4
    everything = _csv_rows(client.get("/district/export.csv").data)
    assert len(everything) == 6
    assert all(r[2].startswith("'=") for r in everything[1:] if "HYPERLINK" in r[2])
    xlsx = client.get(link.replace("export.csv", "export.xlsx"))
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert {row[1] for row in sheet.iter_rows(min_row=2, values_only=True)} == receipts
    # The reviewer's queue export reads the same filter.
    sign_in(client, "review-a")
    rows = _csv_rows(client.get("/review/export.csv?state=&q=to+hien").data)
    assert {r[1] for r in rows[1:]} == receipts


def test_a_decisions_annex_as_csv_and_a_units_roster(client, site):
    ids = _people_in(site, "verified", 2, prefix="Chu Văn An")

    def decide(w):
        from .factories import decide as issue
        return issue(w, [db.session.get(Nomination, i) for i in ids], number="88/QĐ-UBND").id
    decision_id = site.run(decide)
    sign_in(client, "approve")
    page = text(client.get(f"/district/decisions/{decision_id}"))
    assert f"/district/decisions/{decision_id}/annex.csv" in page
    rows = _csv_rows(client.get(f"/district/decisions/{decision_id}/annex.csv").data)
    assert any("88/QĐ-UBND" in cell for cell in rows[1])
    assert len(_named(str(rows), "Chu Văn An")) == 2
    sign_in(client, "review-a")
    assert "/review/units/16729/roster.csv" in text(client.get("/review/"))
    roster = _csv_rows(client.get("/review/units/16729/roster.csv").data)
    names = {r[2] for r in roster if r and r[0] == "Hộ gia đình"}
    assert {"Nguyễn Văn An", "Chu Văn An 000", "Chu Văn An 001"} <= names
    assert "Trần Thị Bình" not in names  # ward B's
    assert all(not r[3] or r[3].startswith("********") for r in roster if r and r[0] == "Hộ gia đình")
    assert client.get("/review/units/16732/roster.csv").status_code == 404  # outside the scope
    book = load_workbook(io.BytesIO(client.get("/review/units/16729/roster.xlsx").data))
    assert any(r[2] == "Nguyễn Văn An" for r in book.active.iter_rows(values_only=True))
