"""Ward review pages: the queue in scope, filters and diacritic-free search, verify/return/reject,
buttons for allowed events only, and the 409 page when someone else acted first."""

from __future__ import annotations

import pytest


from .factories import CITIZEN_PASS, person
from .web_support import Site, sign_in, text


@pytest.fixture
def site(app):
    return Site(app)


@pytest.fixture
def reviewer(client, site):
    sign_in(client, "review-a")
    return client


def scores_form(scores: dict, **extra) -> dict:
    return {**{f"c-{code}": str(points) for code, points in scores.items()}, **extra}


def _other_ward_nomination(site, state="submitted"):
    """A submitted nomination of ward B's household."""
    def make(w):
        from certify.services import nominations
        from certify.workflow import engine

        n = nominations.create(w.household_b, title="cong-dan-hoc-tap", subject_id=w.person_b.id,
                               year=2026, self_assessment=dict(CITIZEN_PASS))
        engine.apply(n.id, "submit", w.household_b, n.version)
        return n.id
    return site.run(make)


def test_queue_shows_only_the_reviewers_ward(reviewer, site):
    mine = site.nomination("submitted")
    theirs = _other_ward_nomination(site)
    page = text(reviewer.get("/review/"))
    assert f"/review/nominations/{mine}" in page
    assert f"/review/nominations/{theirs}" not in page
    assert reviewer.get(f"/review/nominations/{theirs}").status_code == 404
    response = reviewer.post(f"/review/nominations/{theirs}", data={"event": "reject",
                                                                    "comment": "x", "version": 2})
    assert response.status_code == 404
    assert site.nomination_row(theirs).state == "submitted"


def test_search_without_diacritics(reviewer, site):
    nid = site.nomination("submitted")
    site.run(lambda w: person(w.household_a, "Đặng Thị Đào").id)
    assert f"/review/nominations/{nid}" in text(reviewer.get("/review/?q=nguyen+van+an"))
    assert f"/review/nominations/{nid}" in text(reviewer.get("/review/?q=NGUYEN VAN"))
    assert f"/review/nominations/{nid}" not in text(reviewer.get("/review/?q=dang+thi+dao"))


def test_search_folds_d_with_stroke(reviewer, site):
    def make(w):
        from certify.services import nominations
        from certify.workflow import engine
        p = person(w.household_a, "Đặng Thị Đào")
        n = nominations.create(w.household_a, title="cong-dan-hoc-tap", subject_id=p.id, year=2026,
                               self_assessment=dict(CITIZEN_PASS))
        engine.apply(n.id, "submit", w.household_a, n.version)
        return n.id
    nid = site.run(make)
    assert f"/review/nominations/{nid}" in text(reviewer.get("/review/?q=dang+thi+dao"))


def test_filters_by_state_year_and_group(reviewer, site):
    submitted = site.nomination("submitted")
    page = text(reviewer.get("/review/?state=returned"))
    assert f"/review/nominations/{submitted}" not in page
    assert f"/review/nominations/{submitted}" in text(reviewer.get("/review/?state=&year=2026"))
    assert f"/review/nominations/{submitted}" not in text(reviewer.get("/review/?state=&year=2025"))
    assert f"/review/nominations/{submitted}" in text(reviewer.get("/review/?target_group=worker"))
    assert f"/review/nominations/{submitted}" not in text(reviewer.get("/review/?target_group=learner"))
    assert reviewer.get("/review/?year=abc&page=-3").status_code == 200


def test_oldest_waiting_first(reviewer, site):
    first = site.nomination("submitted")
    second = site.run(lambda w: _submit_new(w, "Lê Văn Cường"))
    page = text(reviewer.get("/review/"))
    assert page.index(f"/review/nominations/{first}") < page.index(f"/review/nominations/{second}")


def _submit_new(w, name):
    from certify.services import nominations
    from certify.workflow import engine
    p = person(w.household_a, name)
    n = nominations.create(w.household_a, title="cong-dan-hoc-tap", subject_id=p.id, year=2026,
                           self_assessment=dict(CITIZEN_PASS))
    engine.apply(n.id, "submit", w.household_a, n.version)
    return n.id


def test_review_page_shows_self_assessment_and_only_allowed_buttons(reviewer, site):
    nid = site.nomination("submitted")
    page = text(reviewer.get(f"/review/nominations/{nid}"))
    assert 'value="verify"' in page and 'value="return"' in page and 'value="reject"' in page
    assert 'value="approve"' not in page and 'value="withdraw"' not in page
    assert "Tự chấm: <strong>8</strong>" in page
    assert "********" in page  # the personal identification number is masked for reviewers
    verified = site.nomination("verified", year=2025)
    page = text(reviewer.get(f"/review/nominations/{verified}"))
    assert 'name="event"' not in page


def test_verify_with_scores(reviewer, site):
    nid = site.nomination("submitted")
    row = site.nomination_row(nid)
    response = reviewer.post(f"/review/nominations/{nid}", data=scores_form(
        {**CITIZEN_PASS, "1.1": 9}, event="verify", version=row.version))
    assert response.status_code == 302
    after = site.nomination_row(nid)
    assert after.state == "verified" and after.review_assessment["1.1"] == 9


def test_verify_below_the_pass_rule_is_refused_with_every_reason(reviewer, site):
    nid = site.nomination("submitted")
    row = site.nomination_row(nid)
    response = reviewer.post(f"/review/nominations/{nid}", data=scores_form(
        {**CITIZEN_PASS, "2.2": 4}, event="verify", version=row.version))
    assert response.status_code == 422
    page = text(response)
    assert "Chỉ số 2.2: 4 điểm, thấp hơn mức tối thiểu 5." in page
    assert "Tổng điểm 76, chưa đạt ngưỡng 80." in page
    assert site.nomination_row(nid).state == "submitted"


def test_verify_with_missing_or_bad_scores_changes_nothing(reviewer, site):
    nid = site.nomination("submitted")
    row = site.nomination_row(nid)
    missing = reviewer.post(f"/review/nominations/{nid}", data=scores_form(
        {"1.1": 8}, event="verify", version=row.version))
    assert missing.status_code == 422 and "Chỉ số 3.2: chưa có điểm." in text(missing)
    bad = reviewer.post(f"/review/nominations/{nid}", data=scores_form(
        {**CITIZEN_PASS, "1.1": 12}, event="verify", version=row.version))
    assert bad.status_code == 422 and "Điểm phải từ 0 đến 10." in text(bad)
    assert site.nomination_row(nid).state == "submitted"
    assert site.nomination_row(nid).version == row.version


def test_return_needs_a_comment(reviewer, site):
    nid = site.nomination("submitted")
    row = site.nomination_row(nid)
    refused = reviewer.post(f"/review/nominations/{nid}", data={"event": "return", "comment": " ",
                                                                 "version": row.version})
    assert refused.status_code == 422 and "Nhận xét: chưa nhập." in text(refused)
    assert site.nomination_row(nid).state == "submitted"
    done = reviewer.post(f"/review/nominations/{nid}", data={
        "event": "return", "comment": "Bổ sung minh chứng tiêu chí 1.3", "version": row.version})
    assert done.status_code == 302
    assert site.nomination_row(nid).state == "returned"


def test_reject_with_reason(reviewer, site):
    nid = site.nomination("submitted")
    row = site.nomination_row(nid)
    asked = reviewer.post(f"/review/nominations/{nid}", data={
        "event": "reject", "comment": "Không đủ điều kiện", "version": row.version})
    assert asked.status_code == 200 and "không thể hoàn tác" in text(asked)
    assert site.nomination_row(nid).state == "submitted"  # confirmed first
    reviewer.post(f"/review/nominations/{nid}", data={"event": "reject", "comment": "Không đủ điều kiện",
                                                      "version": row.version, "confirmed": "1"})
    assert site.nomination_row(nid).state == "rejected"
    page = text(reviewer.get(f"/review/nominations/{nid}"))
    assert "Không đủ điều kiện" in page


def test_second_reviewer_gets_a_friendly_409_with_what_changed(client, app, site):
    nid = site.nomination("submitted")
    version = site.nomination_row(nid).version
    sign_in(client, "review-a")
    first = client.post(f"/review/nominations/{nid}", data={
        "event": "return", "comment": "Thiếu minh chứng", "version": version})
    assert first.status_code == 302
    other = app.test_client()
    sign_in(other, "review-a")
    second = other.post(f"/review/nominations/{nid}", data=scores_form(
        CITIZEN_PASS, event="verify", version=version))
    assert second.status_code == 409
    page = text(second)
    assert "Người khác vừa thao tác trên hồ sơ này trước bạn" in page
    assert "Trả lại để bổ sung" in page and "Thiếu minh chứng" in page and "review-a" in page
    assert site.nomination_row(nid).state == "returned"


def test_household_cannot_review(client, site):
    nid = site.nomination("submitted")
    sign_in(client, "ho-a")
    assert client.get(f"/review/nominations/{nid}").status_code == 403
    assert client.post(f"/review/nominations/{nid}", data={"event": "verify"}).status_code == 403


def test_unknown_event_is_a_bad_request(reviewer, site):
    nid = site.nomination("submitted")
    row = site.nomination_row(nid)
    response = reviewer.post(f"/review/nominations/{nid}", data={"event": "explode", "version": row.version})
    assert response.status_code == 400
    assert site.nomination_row(nid).state == "submitted"


def test_district_reviewer_sees_but_cannot_verify_citizens(client, site):
    nid = site.nomination("submitted")
    sign_in(client, "review-district")
    page = text(client.get(f"/review/nominations/{nid}"))
    assert 'value="verify"' not in page
    row = site.nomination_row(nid)
    response = client.post(f"/review/nominations/{nid}", data=scores_form(
        CITIZEN_PASS, event="verify", version=row.version))
    assert response.status_code == 403
    assert site.nomination_row(nid).state == "submitted"


def test_review_page_in_english(reviewer, site):
    nid = site.nomination("submitted")
    reviewer.get("/lang/en")
    page = text(reviewer.get(f"/review/nominations/{nid}"))
    assert "Return for changes" in page and ">Verify</button>" in page and "Self-assessed" in page
    row = site.nomination_row(nid)
    refused = reviewer.post(f"/review/nominations/{nid}", data=scores_form(
        {**CITIZEN_PASS, "2.2": 4}, event="verify", version=row.version))
    assert "Indicator 2.2: 4 points, below the minimum of 5." in text(refused)
