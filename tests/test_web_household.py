"""Household pages: members, personal identification number checks, nominating, the self-assessment, submit, withdraw."""

from __future__ import annotations

import pytest

from certify.models import Nomination, Person

from .factories import CITIZEN_PASS
from .web_support import Site, sign_in, text


@pytest.fixture
def site(app):
    return Site(app)


@pytest.fixture
def household(client, site):
    sign_in(client, "ho-a")
    return client


def scores_form(scores: dict, **extra) -> dict:
    return {**{f"c-{code}": str(points) for code, points in scores.items()}, **extra}


def test_members_list_shows_only_own_household(household):
    page = text(household.get("/household/"))
    assert "Nguyễn Văn An" in page
    assert "Trần Thị Bình" not in page


def test_add_member(household, site):
    before = site.count(Person)
    response = household.post("/household/members/new", data={
        "full_name": "Lê Thị Hoa", "national_id": "038199001234", "birth_year": "1990",
        "gender": "female", "target_group": "worker"})
    assert response.status_code == 302
    assert site.count(Person) == before + 1
    assert "Lê Thị Hoa" in text(household.get("/household/"))


@pytest.mark.parametrize("national_id, message", [
    ("12345", "Số định danh cá nhân phải gồm đúng 12 chữ số."),
    ("03819900123a", "Số định danh cá nhân phải gồm đúng 12 chữ số."),
    ("", "Hãy nhập số định danh cá nhân."),
])
def test_bad_cccd_is_refused_with_a_clear_message(household, site, national_id, message):
    before = site.count(Person)
    response = household.post("/household/members/new", data={
        "full_name": "Lê Thị Hoa", "national_id": national_id, "birth_year": "1990",
        "gender": "female", "target_group": "worker"})
    assert response.status_code == 422
    assert message in text(response)
    assert site.count(Person) == before


def test_cccd_already_registered_is_refused(household, site):
    taken = site.get(Person, site.person_b).national_id
    response = household.post("/household/members/new", data={
        "full_name": "Lê Thị Hoa", "national_id": taken, "birth_year": "1990",
        "gender": "female", "target_group": "worker"})
    assert response.status_code == 422
    assert "Đã có người đăng ký với số định danh cá nhân này." in text(response)


def test_birth_year_must_be_a_number(household, site):
    response = household.post("/household/members/new", data={
        "full_name": "Lê Thị Hoa", "national_id": "038199001234", "birth_year": "199O",
        "gender": "female", "target_group": "worker"})
    assert response.status_code == 422
    assert "Phải là một số nguyên." in text(response)


def test_edit_member(household, site):
    person = site.get(Person, site.person_a)
    response = household.post(f"/household/members/{site.person_a}/edit", data={
        "full_name": "Nguyễn Văn Ân", "national_id": person.national_id, "birth_year": "1986",
        "gender": "male", "target_group": "learner"})
    assert response.status_code == 302
    changed = site.get(Person, site.person_a)
    assert (changed.full_name, changed.birth_year, changed.search_name) == (
        "Nguyễn Văn Ân", 1986, "nguyen van an")


def test_another_households_member_is_not_found(household, site):
    assert household.get(f"/household/members/{site.person_b}/edit").status_code == 404
    response = household.post(f"/household/members/{site.person_b}/edit", data={
        "full_name": "X", "national_id": "038199001234", "birth_year": "1990",
        "gender": "female", "target_group": "worker"})
    assert response.status_code == 404
    assert site.get(Person, site.person_b).full_name == "Trần Thị Bình"


def test_staff_cannot_use_household_pages(client, site):
    sign_in(client, "review-a")
    assert client.get("/household/").status_code == 403


def _nominate(household, person_id, year=None) -> int:
    from certify import clock  # noqa: F401  (the page offers this year by default)

    page = text(household.get("/household/"))
    year = year or page.split('name="year"')[1].split('value="')[1].split('"')[0]
    response = household.post("/household/nominate", data={"person_id": person_id, "year": year})
    assert response.status_code == 302
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def test_nominate_opens_the_self_assessment_form(household, site):
    nid = _nominate(household, site.person_a)
    page = text(household.get(f"/household/nominations/{nid}"))
    row = site.nomination_row(nid)
    assert row.state == "draft"
    # A draft has no receipt code yet: it is given when the dossier is submitted.
    assert row.receipt_code is None and "mã biên nhận được cấp khi nộp hồ sơ" in page
    # Every indicator with its description and maximum, and the pass rule.
    assert "Đọc và cập nhật thông tin" in page
    assert page.count("Tối đa 10 điểm") == 10
    assert "Điều kiện đạt: tổng từ 80 điểm trở lên" in page
    assert 'name="c-3.2"' in page
    assert len(page.encode()) < 100_000


def test_nominating_twice_goes_to_the_open_dossier(household, site):
    # The same form sent twice (a stale page, a double tap).
    page = text(household.get("/household/"))
    year = page.split('name="year"')[1].split('value="')[1].split('"')[0]
    nid = _nominate(household, site.person_a, year)
    response = household.post("/household/nominate", data={"person_id": site.person_a, "year": year},
                              follow_redirects=True)
    assert "đã có hồ sơ đang xử lý" in text(response)
    assert site.count(Nomination) == 1
    assert f"/household/nominations/{nid}" in response.request.path


def test_cannot_nominate_another_households_member(household, site):
    page = text(household.get("/household/"))
    year = page.split('name="year"')[1].split('value="')[1].split('"')[0]
    response = household.post("/household/nominate", data={"person_id": site.person_b, "year": year})
    assert response.status_code == 404
    assert site.count(Nomination) == 0


def test_save_partial_then_submit_complete(household, site):
    nid = _nominate(household, site.person_a)
    version = site.nomination_row(nid).version
    partial = household.post(f"/household/nominations/{nid}", data=scores_form(
        {"1.1": 9, "1.2": 7}, version=version, action="save"))
    assert partial.status_code == 302
    row = site.nomination_row(nid)
    assert row.self_assessment == {"1.1": 9, "1.2": 7} and row.state == "draft"
    page = text(household.get(f"/household/nominations/{nid}"))
    assert "<strong data-total>16</strong>" in page and "Chưa chấm đủ các chỉ số." in page

    incomplete = household.post(f"/household/nominations/{nid}", data=scores_form(
        {"1.1": 9}, version=row.version, action="submit"))
    assert incomplete.status_code == 422
    assert "Hãy chấm đủ tất cả chỉ số trước khi nộp" in text(incomplete)
    assert site.nomination_row(nid).state == "draft"

    done = household.post(f"/household/nominations/{nid}", data=scores_form(
        CITIZEN_PASS, version=row.version, action="submit", declared="1"), follow_redirects=True)
    row = site.nomination_row(nid)
    assert row.state == "submitted" and row.self_assessment == CITIZEN_PASS
    page = text(done)
    assert "Đã nộp hồ sơ" in page and row.receipt_code in page
    assert "Nộp hồ sơ" in page  # the timeline names the event
    assert 'name="c-1.1"' not in page  # no longer editable
    assert len(page.encode()) < 100_000


@pytest.mark.parametrize("value", ["11", "-1", "abc", "7.5"])
def test_bad_scores_are_refused_and_nothing_is_saved(household, site, value):
    nid = _nominate(household, site.person_a)
    row = site.nomination_row(nid)
    response = household.post(f"/household/nominations/{nid}", data=scores_form(
        {"1.1": 5}, **{"c-1.2": value}, version=row.version, action="save"))
    assert response.status_code == 422
    assert "chưa có gì được lưu" in text(response)
    after = site.nomination_row(nid)
    assert after.self_assessment == {} and after.version == row.version


def test_stale_version_shows_what_changed(household, site):
    nid = _nominate(household, site.person_a)
    row = site.nomination_row(nid)
    household.post(f"/household/nominations/{nid}", data=scores_form(
        {"1.1": 9}, version=row.version, action="save"))
    response = household.post(f"/household/nominations/{nid}", data=scores_form(
        {"1.1": 3}, version=row.version, action="save"))
    assert response.status_code == 409
    assert "Người khác vừa thao tác trên hồ sơ này trước bạn" in text(response)
    assert site.nomination_row(nid).self_assessment == {"1.1": 9}


def test_withdraw(household, site):
    nid = site.nomination("submitted")
    row = site.nomination_row(nid)
    page = text(household.get(f"/household/nominations/{nid}"))
    assert "Rút hồ sơ" in page
    asked = household.post(f"/household/nominations/{nid}/withdraw", data={"version": row.version})
    assert asked.status_code == 200 and "không thể hoàn tác" in text(asked)
    assert site.nomination_row(nid).state == "submitted"
    response = household.post(f"/household/nominations/{nid}/withdraw",
                              data={"version": row.version, "confirmed": "1"})
    assert response.status_code == 302
    assert site.nomination_row(nid).state == "withdrawn"
    assert "Rút hồ sơ</button>" not in text(household.get(f"/household/nominations/{nid}"))


def test_returned_dossier_shows_the_comment_and_can_be_resubmitted(household, site):
    nid = site.nomination("returned")
    page = text(household.get(f"/household/nominations/{nid}"))
    assert "Cần bổ sung" in page and "Bổ sung" in page
    row = site.nomination_row(nid)
    household.post(f"/household/nominations/{nid}", data=scores_form(
        {**CITIZEN_PASS, "1.1": 10}, version=row.version, action="submit", declared="1"))
    after = site.nomination_row(nid)
    assert after.state == "submitted" and after.self_assessment["1.1"] == 10
    assert after.receipt_code == row.receipt_code  # kept on resubmission


def test_another_households_nomination_is_not_found(client, site):
    nid = site.nomination("draft")
    sign_in(client, "ho-b")
    assert client.get(f"/household/nominations/{nid}").status_code == 404
    assert client.get(f"/household/nominations/{nid}/receipt").status_code == 404
    response = client.post(f"/household/nominations/{nid}/withdraw", data={"version": 1})
    assert response.status_code == 404
    assert site.nomination_row(nid).state == "draft"


def test_receipt_is_printable(household, site):
    nid = site.nomination("submitted")
    page = text(household.get(f"/household/nominations/{nid}/receipt"))
    assert site.nomination_row(nid).receipt_code in page
    assert "data-print" in page and "print.js" in page


def test_household_pages_in_english(household, site):
    nid = site.nomination("draft")
    household.get("/lang/en")
    page = text(household.get(f"/household/nominations/{nid}"))
    assert "Self-assessment" in page and "Up to 10 points" in page
    assert "Reads and keeps up with information" in page


def test_form_messages_are_vietnamese_too(household, site):
    before = site.count(Person)
    response = household.post("/household/members/new", data={
        "full_name": "A" * 201, "national_id": "038199001234", "birth_year": "1990",
        "gender": "robot", "target_group": "worker"})
    assert response.status_code == 422
    page = text(response)
    assert "Tối đa 200 ký tự." in page and "Lựa chọn không hợp lệ." in page
    assert "Not a valid choice" not in page and "cannot be longer" not in page
    assert site.count(Person) == before


def test_nominate_offers_only_years_without_an_open_dossier(household, site):
    from certify import clock

    with site.app.app_context():
        this_year = clock.today().year
    site.nomination("submitted", year=this_year)
    page = text(household.get("/household/"))
    member = page.split('id="member-')[1]
    assert f'<option value="{this_year}">' not in member
    assert f'<option value="{this_year - 1}">' in member
    site.nomination("draft", year=this_year - 1)
    member = text(household.get("/household/")).split('id="member-')[1]
    assert "Đề nghị công nhận" not in member


def test_member_form_in_english(household, site):
    household.get("/lang/en")
    response = household.post("/household/members/new", data={
        "full_name": "Lê Thị Hoa", "national_id": "12345", "birth_year": "1990",
        "gender": "female", "target_group": "worker"})
    assert "The personal identification number has exactly 12 digits." in text(response)
