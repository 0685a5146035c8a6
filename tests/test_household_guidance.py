"""Guidance on the household page (issue 10 item 3): what needs doing now first (a returned
dossier before drafts), only the years that can be filed (late ones with a warning), a failing
self-assessment said plainly before submitting with a choice to fix or submit anyway, and the
declaration ("Tôi cam đoan …") before submitting — on the page and, optionally, in the API."""

from __future__ import annotations

from certify import clock
from certify.extensions import db
from certify.models import Nomination
from certify.services import nominations
from certify.workflow import workflow

from .api_client import Api
from .factories import CITIZEN, CITIZEN_PASS
from .test_web_household import household, scores_form, site  # noqa: F401 (fixtures)
from .web_support import text


def _rules(year: int | None = None):
    return workflow(CITIZEN).rules_for_year(year or clock.today().year)


def _failing(rules) -> tuple[dict, str, str]:
    """A complete self-assessment that fails the pass rule read from the workflow file: one
    indicator just below its minimum, the rest so that the total is below the threshold too."""
    codes = [c.code for c in rules.assessed_criteria]
    rule = rules.pass_rule
    low = rule.min_each - 1
    rest = max(rule.min_each, (rule.min_total - 1 - low) // (len(codes) - 1))
    scores = {code: rest for code in codes}
    scores[codes[0]] = low
    assert sum(scores.values()) < rule.min_total
    return scores, codes[0], str(sum(scores.values()))


def _new_draft(site, scores=None) -> int:
    return site.run(lambda w: nominations.create(
        w.household_a, title=CITIZEN, subject_id=w.person_a.id, year=clock.today().year,
        self_assessment=dict(scores or {})).id)


# -- what needs doing now -------------------------------------------------------------------------

def test_a_returned_dossier_comes_first_with_its_reason_and_the_big_button_fixes_it(
        household, site):
    returned = site.nomination("returned")  # person A, this year, reason "Bổ sung"

    def second_member_draft(w):
        from .factories import person
        other = person(w.household_a, "Lê Thị Cúc")
        return nominations.create(w.household_a, title=CITIZEN, subject_id=other.id,
                                  year=clock.today().year, self_assessment={}).id

    draft = site.run(second_member_draft)
    page = text(household.get("/household/"))
    todo = page.split('id="todo"')[1].split("</section>")[0]
    assert todo.index("Sửa hồ sơ bị trả lại") < todo.index("Hoàn thành và nộp hồ sơ nháp")
    assert "Lý do trả lại" in todo and "Bổ sung" in todo
    fix = todo.split("Sửa hồ sơ bị trả lại")[0].rsplit("<a ", 1)[1]
    assert f"/household/nominations/{returned}" in fix and 'class="button"' in fix
    assert f"/household/nominations/{draft}" in todo
    # The what-to-do card comes before the members and their "new nomination" buttons, which
    # are secondary while something needs fixing.
    assert page.index('id="todo"') < page.index("Thành viên trong hộ")
    offers = page.split("Thành viên trong hộ")[1]
    assert 'class="secondary">Đề nghị công nhận' in offers


def test_nothing_to_do_means_no_todo_card(household, site):
    site.nomination("submitted")
    assert 'id="todo"' not in text(household.get("/household/"))


def test_only_years_the_service_accepts_are_offered_and_late_ones_are_warned(household, site):
    page = text(household.get("/household/"))
    with site.app.app_context():
        offered = nominations.filing_years(CITIZEN)
    select = page.split('name="year"')[1].split("</select>")[0]
    assert [int(v) for v in _option_values(select)] == [f.year for f in offered]
    for f in offered:
        warned = f"Năm {f.year} đã quá hạn nộp" in page
        assert warned == f.late
    # Every year offered is accepted by the service that creates dossiers.
    for f in offered:
        nid = site.run(lambda w, y=f.year: nominations.create(
            w.household_a, title=CITIZEN, subject_id=w.person_a.id, year=y).id)
        assert nid


def _option_values(select_html: str) -> list[str]:
    return [part.split('"')[0] for part in select_html.split('<option value="')[1:]]


def test_a_late_year_is_flagged_by_the_rules_deadline(app):
    """filing_years says "late" exactly when today is past the year's last day on time."""
    with app.app_context():
        from certify.services import deadlines

        for f in nominations.filing_years(CITIZEN):
            due = deadlines.for_year(CITIZEN, f.year).get("submit_by")
            assert f.late == (due is not None and clock.today() > due)
            assert deadlines.may_submit(CITIZEN, f.year)


# -- a failing self-assessment, said before submitting ---------------------------------------------

def test_a_failing_self_assessment_is_said_plainly_and_nothing_is_submitted(household, site):
    with site.app.app_context():
        rules = _rules()
        scores, low_code, total = _failing(rules)
        minimum, threshold = rules.pass_rule.min_each, rules.pass_rule.min_total
    nid = _new_draft(site)
    version = site.nomination_row(nid).version
    warned = household.post(f"/household/nominations/{nid}", data=scores_form(
        scores, version=version, action="submit", declared="1"))
    assert warned.status_code == 200
    page = text(warned)
    box = page.split('id="shortfalls"')[1].split("</div>")[0]
    assert low_code in box and f"thấp hơn mức tối thiểu {minimum}" in box
    assert f"Tổng điểm {total}, chưa đạt ngưỡng {threshold}" in box
    assert "Vẫn nộp hồ sơ" in page and "Lưu nháp để sửa lại" in page
    assert 'name="declared" value="1" checked' in page  # the tick is kept
    row = site.nomination_row(nid)
    assert row.state == "draft" and row.self_assessment == {} and row.version == version

    # Submit anyway: the applicant's choice.
    sent = household.post(f"/household/nominations/{nid}", data=scores_form(
        scores, version=version, action="submit_anyway", declared="1"))
    assert sent.status_code == 302
    row = site.nomination_row(nid)
    assert row.state == "submitted" and row.self_assessment == scores and row.receipt_code


def test_fixing_after_the_warning_then_submitting_passes_without_a_warning(household, site):
    with site.app.app_context():
        scores, _code, _total = _failing(_rules())
    nid = _new_draft(site, scores)
    page = text(household.get(f"/household/nominations/{nid}"))
    assert 'id="shortfalls"' in page  # said on the page before any button is pressed
    version = site.nomination_row(nid).version
    sent = household.post(f"/household/nominations/{nid}", data=scores_form(
        CITIZEN_PASS, version=version, action="submit", declared="1"))
    assert sent.status_code == 302 and site.nomination_row(nid).state == "submitted"


# -- the declaration --------------------------------------------------------------------------------

def test_submitting_without_the_declaration_is_refused_and_changes_nothing(household, site):
    nid = _new_draft(site)
    version = site.nomination_row(nid).version
    page = text(household.get(f"/household/nominations/{nid}"))
    assert "Tôi cam đoan những thông tin kê khai là đúng sự thật" in page
    refused = household.post(f"/household/nominations/{nid}", data=scores_form(
        CITIZEN_PASS, version=version, action="submit"))
    assert refused.status_code == 422
    assert "Hãy đánh dấu ô cam đoan trước khi nộp hồ sơ" in text(refused)
    row = site.nomination_row(nid)
    assert row.state == "draft" and row.self_assessment == {} and row.version == version
    assert row.receipt_code is None


def test_the_declaration_is_recorded_in_the_history(household, site):
    nid = _new_draft(site)
    version = site.nomination_row(nid).version
    household.post(f"/household/nominations/{nid}", data=scores_form(
        CITIZEN_PASS, version=version, action="submit", declared="1"))

    def history(w):
        return [(h.event, h.comment) for h in db.session.get(Nomination, nid).history]

    assert site.run(history) == [("submit", nominations.DECLARATION)]
    timeline = text(household.get(f"/household/nominations/{nid}"))
    assert "Tôi cam đoan" in timeline


def test_the_api_accepts_an_optional_declaration_and_still_submits_without_one(world, client):
    api = Api(client)
    year = clock.today().year
    n = api.post("/nominations", "ho-a", json={"title": CITIZEN, "subject_id": world.person_a.id,
                                               "year": year, "self_assessment": CITIZEN_PASS})
    body = n.get_json()
    r = api.post(f"/nominations/{body['id']}/events", "ho-a",
                 json={"event": "submit", "version": body["version"], "declared": True})
    assert r.status_code == 200
    assert r.get_json()["history"][-1]["comment"] == nominations.DECLARATION
    assert r.get_json()["receipt_code"]

    # An existing client sends no "declared": the contract of api.md is unchanged.
    from .factories import person
    other = person(world.household_a, "Lê Thị Cúc")
    n2 = api.post("/nominations", "ho-a", json={"title": CITIZEN, "subject_id": other.id,
                                                "year": year, "self_assessment": CITIZEN_PASS})
    b2 = n2.get_json()
    r2 = api.post(f"/nominations/{b2['id']}/events", "ho-a",
                  json={"event": "submit", "version": b2["version"]})
    assert r2.status_code == 200 and r2.get_json()["history"][-1]["comment"] is None
