"""An organization account applies for "Đơn vị học tập" through the same pages; the district reviews."""

from __future__ import annotations

import io

import pytest

from .factories import PDF, member_holding, unit_passing, unit_rules
from .web_support import Site, sign_in, text


@pytest.fixture
def site(app):
    return Site(app)


def test_organization_applies_and_the_district_verifies(client, site, app):
    """The offered year is judged on TT 24/2023: targets met or not met, the dossier's documents,
    the share of members computed from the records (shown to the reviewer with its list)."""
    sign_in(client, "truong")
    page = text(client.get("/household/"))
    assert "Trường THCS Ba Đình" in page
    year = int(page.split('name="year"')[1].split('value="')[1].split('"')[0])
    with app.app_context():
        rules = unit_rules(year)
        marks = unit_passing(year)
        [computed] = rules.computed_criteria
    assert rules.by_levels
    created = client.post("/household/nominate", data={"year": str(year)})
    nid = int(created.headers["Location"].rstrip("/").split("/")[-1])
    form = text(client.get(f"/household/nominations/{nid}"))
    assert "Tối đa" not in form and 'value="dat"' in form and rules.source in form
    assert f'name="c-{computed.code}"' not in form  # computed: shown, never entered
    for d in rules.documents:
        done = client.post(f"/nominations/{nid}/evidence", data={
            "criterion": d.code, "file": (io.BytesIO(PDF), f"{d.code}.pdf")},
            content_type="multipart/form-data", follow_redirects=True)
        assert f"Đã tải lên {d.code}.pdf: {d.name.vi}." in text(done)
    row = site.nomination_row(nid)
    form = {**{f"c-{code}": "dat" for code in marks}, "version": row.version, "declared": "1"}
    # No member holds "Công dân học tập" yet: the computed target is not met, which the page says
    # before submitting; the unit submits anyway.
    warned = client.post(f"/household/nominations/{nid}", data={**form, "action": "submit"})
    assert "chưa đạt điều kiện công nhận" in text(warned)
    assert site.nomination_row(nid).state == row.state  # nothing written yet
    client.post(f"/household/nominations/{nid}", data={**form, "action": "submit_anyway"})
    assert site.nomination_row(nid).state == "submitted"
    holder = site.run(lambda w: member_holding(w, year).full_name)

    ward = app.test_client()
    sign_in(ward, "review-a")
    assert ward.get(f"/review/nominations/{nid}").status_code == 404

    district = app.test_client()
    sign_in(district, "review-district")
    review = text(district.get(f"/review/nominations/{nid}"))
    assert 'value="verify"' in review and holder in review and f"31/12/{year}" in review
    row = site.nomination_row(nid)
    note = next(iter(marks))
    district.post(f"/review/nominations/{nid}", data={
        **{f"c-{code}": "dat" for code in marks}, f"note-{note}": "Đã kiểm tra kế hoạch",
        "event": "verify", "version": row.version})
    after = site.nomination_row(nid)
    assert after.state == "verified" and after.review_notes == {note: "Đã kiểm tra kế hoạch"}


def test_organization_cannot_see_household_members_pages(client, site):
    sign_in(client, "truong")
    assert client.get("/household/members/new").status_code == 403
    assert client.get(f"/household/members/{site.person_a}/edit").status_code == 403


def test_unit_dossiers_show_their_deadlines_and_lateness(client, site, app):
    from datetime import datetime, timezone

    from certify.extensions import db
    from certify.models import Nomination

    nid = site.nomination("submitted", title="don-vi-hoc-tap", year=2025)
    sign_in(client, "truong")
    page = text(client.get(f"/household/nominations/{nid}"))
    assert "Hạn nộp hồ sơ" in page and "15/01/2026" in page and "15/02/2026" in page

    def late(w):  # it entered the queue on 20/01/2026 (the engine set it; we move the clock)
        n = db.session.get(Nomination, nid)
        n.submitted_at = datetime(2026, 1, 20, 3, 0, tzinfo=timezone.utc)
        db.session.commit()
    site.run(late)
    assert "nộp muộn" in text(client.get(f"/household/nominations/{nid}"))
    rules = text(client.get("/rules/don-vi-hoc-tap"))
    assert "ngày 15/01 năm sau năm đánh giá" in rules


def test_citizen_dossiers_show_the_deadlines_their_file_sets(client, site, app):
    from certify.services import deadlines

    nid = site.nomination("submitted")
    with app.app_context():
        row = site.nomination_row(nid)
        due = deadlines.for_year("cong-dan-hoc-tap", row.year)
    sign_in(client, "ho-a")
    page = text(client.get(f"/household/nominations/{nid}"))
    assert "Hạn nộp hồ sơ" in page and due["submit_before"].strftime("%d/%m/%Y") in page
