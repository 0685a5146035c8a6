"""The members pages: an organization lists, adds and ends its members and files their "Công dân
học tập" dossiers; admins reach the same page; reviewers read the list and the share."""

from __future__ import annotations

from datetime import date

import pytest

from certify.models import Membership, Nomination, Person
from certify.services import members, people

from .factories import CITIZEN_PASS
from .web_support import Site, sign_in, text


@pytest.fixture
def site(app):
    return Site(app)


NEW = {"national_id": "038200000001", "full_name": "Hoàng Văn Em", "birth_year": "1990",
       "gender": "male", "target_group": "staff_business", "unit_code": "16729", "role": "staff",
       "starts": "2025-09-01", "until": ""}


def _path(site, tail=""):
    return f"/to-chuc/{site.organization}/thanh-vien{tail}"


def test_the_organization_adds_searches_and_ends_members(client, site):
    sign_in(client, "truong")
    home = text(client.get("/household/"))
    assert _path(site) in home
    page = text(client.get(_path(site)))
    assert "Thêm thành viên" in page and "Phường Ba Đình (16729)" in page
    r = client.post(_path(site), data=NEW)
    assert r.status_code == 302
    page = text(client.get(r.headers["Location"]))
    assert "Hoàng Văn Em" in page and "********0001" in page and "038200000001" not in page
    # A known number links the person registered by their household (one row per number).
    r = client.post(_path(site), data={**NEW, "national_id": site.run(
        lambda w: w.person_a.national_id), "full_name": "Nguyễn Văn An", "role": "learner"},
        follow_redirects=True)
    assert "Đã thêm Nguyễn Văn An" in text(r) and site.count(Person) == 3
    page = text(client.get(_path(site, "?q=hoang")))
    assert "Hoàng Văn Em" in page and "Nguyễn Văn An" not in page
    # End a membership; a last day before the first is refused with its reason.
    mid = site.run(lambda w: members.search(w.admin, w.organization.id, q="hoang").items[0].id)
    r = client.post(_path(site, f"/{mid}/ket-thuc"), data={"until": "2025-01-01"},
                    follow_redirects=True)
    assert "Ngày kết thúc không được trước ngày bắt đầu." in text(r)
    assert site.get(Membership, mid).ends_on is None
    r = client.post(_path(site, f"/{mid}/ket-thuc"), data={"until": "2025-12-31"},
                    follow_redirects=True)
    assert "Đã ghi ngày cuối Hoàng Văn Em là thành viên: 31/12/2025." in text(r)
    assert site.get(Membership, mid).ends_on == date(2025, 12, 31)
    page = text(client.get(_path(site, "?hien_tai=1")))
    assert "Hoàng Văn Em" not in page and "Nguyễn Văn An" in page


def test_bad_input_shows_its_reason_under_the_field_and_saves_nothing(client, site):
    sign_in(client, "truong")
    r = client.post(_path(site), data={**NEW, "unit_code": "381", "until": "2025-01-01"})
    assert r.status_code == 422
    page = text(r)
    assert "Nơi cư trú phải là một xã, phường" in page
    assert "Ngày kết thúc không được trước ngày bắt đầu." in page
    r = client.post(_path(site), data={**NEW, "national_id": "12345"})
    assert r.status_code == 422 and "Số định danh cá nhân phải gồm đúng 12 chữ số." in text(r)
    assert site.count(Membership) == 0 and site.count(Person) == 2


def test_the_organization_files_a_members_dossier_the_ward_verifies_the_household_reads(
        app, client, site):
    site.run(lambda w: members.add(w.organization_user, w.organization.id, {
        "national_id": w.person_a.national_id, "role": "staff", "from": "2025-01-01"}).id)
    sign_in(client, "truong")
    page = text(client.get(_path(site)))
    assert "Tự đánh giá Công dân học tập" in page
    mid = site.run(lambda w: members.search(w.admin, w.organization.id).items[0].id)
    r = client.post(_path(site, f"/{mid}/de-nghi"), data={"year": "2026"})
    assert r.status_code == 302
    nid = int(r.headers["Location"].rstrip("/").split("/")[-1])
    row = site.nomination_row(nid)
    client.post(f"/household/nominations/{nid}", data={
        **{f"c-{code}": str(points) for code, points in CITIZEN_PASS.items()},
        "version": row.version, "action": "submit", "declared": "1"})
    assert site.nomination_row(nid).state == "submitted"
    assert f"/household/nominations/{nid}" in text(client.get(_path(site)))

    household = app.test_client()
    sign_in(household, "ho-a")
    seen = text(household.get(f"/household/nominations/{nid}"))
    assert "Hồ sơ do Trường THCS Ba Đình lập cho thành viên" in seen
    assert 'action="/household/nominations/%d/withdraw' % nid not in seen
    assert household.post(f"/household/nominations/{nid}/withdraw",
                          data={"version": "2"}).status_code == 404
    # The same person's household cannot file a second dossier for the year.
    r = household.post("/household/nominate", data={"year": "2026",
                                                   "person_id": str(site.person_a)},
                       follow_redirects=True)
    assert "do cơ quan, đơn vị nơi họ là thành viên lập" in text(r)
    assert site.count(Nomination) == 1

    ward = app.test_client()
    sign_in(ward, "review-a")
    assert f"/review/nominations/{nid}" in text(ward.get("/review/"))
    row = site.nomination_row(nid)
    ward.post(f"/review/nominations/{nid}", data={
        **{f"c-{code}": str(points) for code, points in CITIZEN_PASS.items()},
        "event": "verify", "version": row.version})
    assert site.nomination_row(nid).state == "verified"


def test_reviewers_read_the_list_and_the_share_other_wards_get_404(app, site):
    def ward_school(w):
        org = people.create_organization(name="Trường Tiểu học Ba Đình", unit_code="16729",
                                         members_count=0)
        for person in (w.person_a, w.person_b):
            members.add(w.admin, org.id, {"person_id": person.id, "role": "learner",
                                          "from": "2024-09-01"})
        return org.id
    org = site.run(ward_school)
    ward = app.test_client()
    sign_in(ward, "review-a")
    page = text(ward.get(f"/to-chuc/{org}/thanh-vien"))
    assert "Trần Thị Bình" in page and "Thêm thành viên" not in page
    share = text(ward.get(f"/to-chuc/{org}/thanh-vien/ty-le?nam=2025"))
    assert "0/2 thành viên (0%)" in share and "31/12/2025" in share
    assert "Trần Thị Bình" in share and "Người học" in share
    assert ward.post(f"/to-chuc/{org}/thanh-vien", data=NEW).status_code == 403
    other = app.test_client()
    sign_in(other, "review-b")
    assert other.get(f"/to-chuc/{org}/thanh-vien").status_code == 404
    assert other.get(f"/to-chuc/{org}/thanh-vien/ty-le?nam=2025").status_code == 404
    school = app.test_client()
    sign_in(school, "truong")  # another organization
    assert school.get(f"/to-chuc/{org}/thanh-vien").status_code == 404


def test_admins_reach_any_organizations_members_with_the_count_from_the_records(client, site):
    site.run(lambda w: members.add(w.admin, w.organization.id, {
        "person_id": w.person_a.id, "role": "staff", "from": "2020-01-01"}).id)
    sign_in(client, "admin")
    page = text(client.get("/admin/organizations"))
    assert _path(site) in page and "Thành viên hôm nay" in page
    row = page.split("Trường THCS Ba Đình")[1].split("</tr>")[0]
    assert '<td class="num">1</td>' in row and '<td class="num">40</td>' in row
    assert client.post(_path(site), data={**NEW, "national_id": "038200000002"}).status_code == 302
    assert site.count(Membership) == 2
