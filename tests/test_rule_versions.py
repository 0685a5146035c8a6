"""Rules that follow time (domain.md, "Rules change over time"): a dossier is judged by the rule
version in force on 31 December of its evaluation year, recorded on it; tiers act by the version in
force on the day of the action; "Đơn vị học tập" under TT 24/2023 reaches mức độ 1 or 2 by its
targets and the share of its members holding "Công dân học tập", computed from the records.

Thresholds, days and levels are read from the loaded workflow files, never repeated here."""

from __future__ import annotations

import io
import shutil
from datetime import date, datetime, time, timedelta, timezone
from fractions import Fraction
from pathlib import Path

import pytest
import time_machine
import yaml

from certify import create_app, policy, rubric
from certify.config import REPOSITORY
from certify.errors import Forbidden, Invalid
from certify.extensions import db
from certify.models import Membership
from certify.services import certificates, judging, nominations
from certify.workflow import engine, workflow
from tests import factories as f
from tests.api_client import Api
from tests.conftest import TEST_CONFIG
from tests.test_certificates import text_of

def unit_wf():
    return workflow(f.UNIT_TITLE)


def tt24():
    """The first version of the unit title that judges by levels (TT 24/2023)."""
    return next(v for v in unit_wf().spec.versions if v.by_levels)


def tt22():
    return next(v for v in unit_wf().spec.versions if not v.by_levels)


# -- which version judges a dossier ----------------------------------------------------------------

def test_a_unit_dossier_of_the_year_before_tt24_is_judged_by_tt22_and_after_by_tt24(world):
    w = world
    start = tt24().in_force_from
    assert date(start.year - 1, 12, 31) < start <= date(start.year, 12, 31)
    before = nominations.create(w.organization_user, title=f.UNIT_TITLE,
                                subject_id=w.organization.id, year=start.year - 1)
    after = nominations.create(w.organization_user, title=f.UNIT_TITLE,
                               subject_id=w.organization.id, year=start.year)
    assert before.rule_version == tt22().id
    assert after.rule_version == tt24().id
    # Points for TT 22, met / not met for TT 24: each refuses the other's values.
    with pytest.raises(Invalid) as refused:
        nominations.update_self_assessment(w.organization_user, before.id, version=1,
                                           self_assessment={"1.1": True})
    assert refused.value.details[0]["code"] == "not_integer"
    with pytest.raises(Invalid) as refused:
        nominations.update_self_assessment(w.organization_user, after.id, version=1,
                                           self_assessment={"1.1": 10})
    assert refused.value.details[0]["code"] == "not_boolean"


def test_the_computed_target_cannot_be_set_by_anyone(world):
    n = nominations.create(world.organization_user, title=f.UNIT_TITLE,
                           subject_id=world.organization.id, year=f.UNIT_YEAR)
    [computed] = tt24().computed_criteria
    with pytest.raises(Invalid) as refused:
        nominations.update_self_assessment(world.organization_user, n.id, version=1,
                                           self_assessment={computed.code: True})
    assert refused.value.details[0]["code"] == "computed"


def _copy(tmp_path) -> Path:
    target = tmp_path / "workflows"
    shutil.copytree(REPOSITORY / "workflows", target)
    return target


def _edit_unit(folder: Path, change) -> None:
    path = folder / f"{f.UNIT_TITLE}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


@pytest.fixture
def edited(app, database_url, tmp_path):
    """An app over a copy of the workflow files, changed by the test before it starts."""
    apps = []

    def start(change):
        folder = _copy(tmp_path)
        _edit_unit(folder, change)
        other = create_app({**TEST_CONFIG, "DATABASE_URL": database_url, "WORKFLOWS": str(folder),
                            "EVIDENCE_FOLDER": str(tmp_path / "evidence")})
        ctx = other.app_context()
        ctx.push()
        apps.append(ctx)
        return other

    yield start
    for ctx in apps:
        db.session.remove()
        ctx.pop()


@pytest.mark.parametrize("day, judged_by_new", [
    ((12, 31), True),    # in force on 31 December: that year's dossiers follow it
    ((1, 1), False),     # from 1 January of the next year: that year's dossiers keep the old
])
def test_a_version_in_force_on_31_december_judges_that_year(edited, day, judged_by_new):
    # 31/12/2024 itself, or 1/1/2025: in force on the 31 December of 2024, or not.
    year_of_day = 2024 if day == (12, 31) else 2025
    edited(lambda d: d["versions"][1].__setitem__("in_force_from", date(year_of_day, *day)))
    w = f.build_world()
    n = nominations.create(w.organization_user, title=f.UNIT_TITLE,
                           subject_id=w.organization.id, year=2024)
    versions = workflow(f.UNIT_TITLE).spec.versions
    assert n.rule_version == (versions[1].id if judged_by_new else versions[0].id)


@pytest.mark.parametrize("starts", [25, 26])
def test_tt24_from_25_or_26_january_judges_the_dossiers_of_that_year(edited, starts):
    """25/01 or 26/01 of a year: both fall before 31 December, so that year's dossiers follow
    the new version and the previous year's the old one."""
    edited(lambda d: d["versions"][1].__setitem__("in_force_from", date(2024, 1, starts)))
    w = f.build_world()
    old = nominations.create(w.organization_user, title=f.UNIT_TITLE,
                             subject_id=w.organization.id, year=2023)
    new = nominations.create(w.organization_user, title=f.UNIT_TITLE,
                             subject_id=w.organization.id, year=2024)
    versions = workflow(f.UNIT_TITLE).spec.versions
    assert (old.rule_version, new.rule_version) == (versions[0].id, versions[1].id)


@pytest.mark.parametrize("on, reviewer_level", [(date(2024, 1, 25), "district"),
                                                (date(2024, 1, 26), "province")])
def test_tiers_follow_the_version_in_force_on_the_day_of_the_action(edited, on, reviewer_level):
    """A later version moves the review to the province from 26/01/2024: on the 25th the
    district reviews, on the 26th only the province — whatever the dossier's year."""
    def change(d):
        d["versions"][1]["in_force_from"] = date(2024, 1, 26)
        d["versions"][1]["tiers"]["three-tier"]["reviewer"] = "province"
    edited(change)
    w = f.build_world()
    province_reviewer = f.user("review-38", "reviewer", w.province.code)
    n = nominations.create(w.organization_user, title=f.UNIT_TITLE,
                           subject_id=w.organization.id, year=2022,
                           self_assessment=dict(f.UNIT_CODES))
    with time_machine.travel(datetime.combine(on, time(3), tzinfo=timezone.utc), tick=False):
        engine.apply(n.id, "submit", w.organization_user, n.version)
        assert workflow(f.UNIT_TITLE).tier("reviewer") == reviewer_level
        allowed = {"district": w.district_reviewer, "province": province_reviewer}
        refused = {"district": province_reviewer, "province": w.district_reviewer}
        assert "verify" in policy.allowed_events(allowed[reviewer_level], n)
        assert policy.allowed_events(refused[reviewer_level], n) == []
        with pytest.raises(Forbidden):
            engine.apply(n.id, "return", refused[reviewer_level], n.version,
                         engine.Payload(comment="Bổ sung"))
        db.session.refresh(n)
        engine.apply(n.id, "verify", allowed[reviewer_level], n.version,
                     engine.Payload(assessment=dict(f.UNIT_CODES)))
    db.session.refresh(n)
    assert n.state == "verified" and n.rule_version == tt22().id


# -- TT 24: targets, the computed share, levels -----------------------------------------------------

def _holders(w, organization, year, holding: int, others: int, role: str) -> None:
    """`holding` members (of `role`) holding "Công dân học tập" on 31 December of `year`, approved
    in one decision, and `others` members who do not."""
    day = date(year, 12, 31)
    made = []
    for i in range(holding + others):
        p = f.person(w.household_a, f"Người {role} {i}")
        db.session.add(Membership(organization_id=organization.id, person_id=p.id, role=role,
                                  starts_on=date(year, 1, 1), ends_on=day))
        if i < holding:
            made.append(p)
    db.session.commit()
    if not made:
        return
    ns = []
    for p in made:
        n = nominations.create(w.household_a, title=f.CITIZEN, subject_id=p.id, year=year,
                               self_assessment=dict(f.CITIZEN_PASS))
        engine.apply(n.id, "submit", w.household_a, n.version)
        engine.apply(n.id, "verify", w.reviewer_a, n.version,
                     engine.Payload(assessment=dict(f.CITIZEN_PASS)))
        ns.append(n)
    global _NUMBER
    _NUMBER += 1
    f.decide(w, ns, number=f"{300 + _NUMBER}/QĐ-UBND", on=date(year, 6, 1))


_NUMBER = 0


def _edges(threshold: float) -> tuple[tuple[int, int], tuple[int, int]]:
    """(holders, others) exactly at `threshold`, and just below it with the same denominator."""
    exact = Fraction(str(threshold))
    total = exact.denominator
    at = exact.numerator
    return (at, total - at), (at - 1, total - at + 1)


def _submitted_unit(w, year=f.UNIT_YEAR):
    n = nominations.create(w.organization_user, title=f.UNIT_TITLE, subject_id=w.organization.id,
                           year=year, self_assessment=f.unit_passing(year))
    f.attach_documents(w, n)
    engine.apply(n.id, "submit", w.organization_user, n.version)
    db.session.refresh(n)
    return n


def _thresholds():
    """(level index, basis, threshold) for every threshold of TT 24's computed target, read from
    the shipped file (the parameters are chosen before any app starts)."""
    from certify.workflow.loader import load_file

    spec = load_file(REPOSITORY / "workflows" / f"{f.UNIT_TITLE}.yaml", "three-tier").spec
    rules = next(v for v in spec.versions if v.by_levels)
    [c] = rules.computed_criteria
    out = []
    for i, lv in enumerate(rules.levels):
        t = lv.min_share[c.code]
        out.append((i, "members", t.members))
        if t.learners:
            out.append((i, "learners", t.learners))
    return out


@pytest.mark.parametrize("level_index, basis, threshold", _thresholds())
@pytest.mark.parametrize("side", ["at", "below"])
def test_each_threshold_edge_of_the_computed_share(world, level_index, basis, threshold, side):
    """Members built to land exactly on the threshold, and one holder fewer: at it the level is
    reached, below it not (a school, with learners, counts its learners)."""
    w = world
    rules = tt24()
    [computed] = rules.computed_criteria
    at, below = _edges(threshold)
    holding, others = at if side == "at" else below
    _holders(w, w.organization, f.UNIT_YEAR, holding, others,
             "learner" if basis == "learners" else "staff")
    n = _submitted_unit(w)
    figure = judging.measured(n)[computed.code]
    assert figure.basis == basis
    assert Fraction(figure.numerator, figure.denominator) == Fraction(holding, holding + others)
    level = rules.levels[level_index]
    # The share alone: a level open after another is taken as open (held long before).
    prior = {lv.code: date(2000, 1, 1) for lv in rules.levels}
    reasons = rubric.level_errors(rules, level, n.self_assessment, judging.measured(n),
                                  "assessment", prior, date(2100, 1, 1))
    assert (reasons == []) == (side == "at"), reasons
    if level_index == 0:
        payload = engine.Payload(assessment=f.unit_passing())
        if side == "at":
            engine.apply(n.id, "verify", w.district_reviewer, n.version, payload)
        else:
            with pytest.raises(Invalid) as refused:
                engine.apply(n.id, "verify", w.district_reviewer, n.version, payload)
            assert [(d["field"], d["code"]) for d in refused.value.details] == [
                (f"assessment.{computed.code}", "below_share")]


def test_verify_lists_each_unmet_target(world):
    w = world
    n = f.nomination_in(w, "submitted", title=f.UNIT_TITLE)
    marks = f.unit_passing()
    unmet = list(marks)[:2]
    for code in unmet:
        marks[code] = False
    with pytest.raises(Invalid) as refused:
        engine.apply(n.id, "verify", w.district_reviewer, n.version,
                     engine.Payload(assessment=marks))
    assert [(d["field"], d["code"]) for d in refused.value.details] == [
        (f"assessment.{code}", "not_met") for code in unmet]


def test_submit_needs_the_documents_the_version_declares(world):
    w = world
    n = nominations.create(w.organization_user, title=f.UNIT_TITLE, subject_id=w.organization.id,
                           year=f.UNIT_YEAR, self_assessment=f.unit_passing())
    with pytest.raises(Invalid) as refused:
        engine.apply(n.id, "submit", w.organization_user, n.version)
    assert [d["field"] for d in refused.value.details] == [
        f"documents.{d.code}" for d in tt24().documents if d.required]
    f.attach_documents(w, n)
    engine.apply(n.id, "submit", w.organization_user, n.version)


def _approve(w, n, on: date, number: str):
    f.submitted_before(on, n)
    return nominations.issue_decision(w.approver, number=number, date_=on, signer="Lê Văn Thắng",
                                      signer_position="tm_chu_tich", nomination_ids=[n.id])


def test_level_2_only_one_year_after_level_1_by_decision_date(world):
    w = world
    rules = tt24()
    first, second = rules.levels[0], rules.levels[1]
    assert second.after.level == first.code
    [computed] = rules.computed_criteria
    # Every member holds the title in both years: the share reaches every level's threshold.
    years = (f.UNIT_YEAR - 1, f.UNIT_YEAR)
    for year in years:
        _holders(w, w.organization, year, 1, 0, "staff")
    older = _submitted_unit(w, years[0])
    engine.apply(older.id, "verify", w.district_reviewer, older.version,
                 engine.Payload(assessment=f.unit_passing(years[0])))
    decided = date(years[1], 2, 10)
    _approve(w, older, decided, "1/QĐ-UBND")
    db.session.refresh(older)
    assert older.recognition.level == first.code  # nothing before it: mức độ 1 at most

    newer = _submitted_unit(w, years[1])
    engine.apply(newer.id, "verify", w.district_reviewer, newer.version,
                 engine.Payload(assessment=f.unit_passing(years[1])))
    db.session.refresh(newer)
    too_soon = decided + timedelta(days=364)
    result = judging.outcome(newer, on=too_soon)
    assert result.level == first.code
    assert [r.code for r in result.why_not_higher] == ["too_soon"]
    assert judging.outcome(newer, on=decided.replace(year=decided.year + second.after.years)) \
        .level == second.code
    # A year to the day after the first decision (before today: decisions are never future).
    _approve(w, newer, decided.replace(year=decided.year + second.after.years), "2/QĐ-UBND")
    db.session.refresh(newer)
    assert newer.recognition.level == second.code
    assert newer.recognition.grade is None
    assert computed.code in judging.measured(newer)


def test_the_certificate_and_pages_print_the_level_and_the_rules(world, client):
    from tests.web_support import sign_in

    w = world
    n = f.nomination_in(w, "approved", title=f.UNIT_TITLE)
    rec = n.recognition
    rules = tt24()
    assert rec.level == rules.levels[0].code and rec.grade is None
    assert rec.valid_until == date(rec.valid_from.year + rules.valid.years, 12, 31)
    [page] = text_of(certificates.recognition_pdf(rec, "https://example.test/v/" + rec.code))
    assert "Đạt mức độ 1" in page
    assert "Xếp loại" not in page
    assert "TT 24/2023/TT-BGDĐT" in page
    sign_in(client, "truong")
    html = client.get(f"/household/nominations/{n.id}").get_data(as_text=True)
    assert rules.source in html and rules.levels[0].name.vi in html
    # The decision's annex carries the level where TT 22's carries the grade.
    from openpyxl import load_workbook

    from certify.services import decisions

    sheet = load_workbook(io.BytesIO(decisions.annex_xlsx(rec.decision))).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[-1][-1] == rules.levels[0].name.vi


def test_a_tt22_dossier_keeps_points_and_grade(world):
    n = f.nomination_in(world, "approved", title=f.UNIT_TITLE, year=f.TT22_YEAR)
    assert n.rule_version == tt22().id
    assert n.recognition.grade == "tot" and n.recognition.level is None
    [page] = text_of(certificates.recognition_pdf(n.recognition, "https://x.test/v"))
    assert "Xếp loại: Tốt" in page and "mức độ" not in page


def test_the_rules_page_shows_the_versions_side_by_side_with_their_sources(client, ctx):
    html = client.get(f"/rules/{f.UNIT_TITLE}").get_data(as_text=True)
    for v in unit_wf().spec.versions:
        assert f'id="version-{v.id}"' in html and v.source in html
        assert v.in_force_from.strftime("%d/%m/%Y") in html
    for lv in tt24().levels:
        assert lv.name.vi in html
    for g in tt22().grades:
        assert g.name.vi in html
    assert "đạt / chưa đạt" in html


# -- the API: versions, rule_version, computed, level ---------------------------------------------

def test_the_api_describes_versions_and_a_tt24_recognition(world, client):
    api = Api(client)
    titles = api.get("/titles", "truong").get_json()
    unit = next(t for t in titles["items"] if t["code"] == f.UNIT_TITLE) \
        if isinstance(titles, dict) else next(t for t in titles if t["code"] == f.UNIT_TITLE)
    assert [v["id"] for v in unit["versions"]] == [v.id for v in unit_wf().spec.versions]
    kinds = {v["id"]: {c["kind"] for c in v["criteria"]} for v in unit["versions"]}
    assert kinds == {tt22().id: {"points"}, tt24().id: {"target"}}
    n = f.nomination_in(world, "approved", title=f.UNIT_TITLE)
    body = api.get(f"/nominations/{n.id}", "truong").get_json()
    assert body["rule_version"] == tt24().id
    [computed] = tt24().computed_criteria
    assert body["computed"][computed.code]["numerator"] == 1
    assert body["computed"][computed.code]["as_of"] == f"{n.year}-12-31"
    assert body["recognition"]["level"] == tt24().levels[0].code
    assert body["recognition"]["grade"] is None
    assert all(v is True for v in body["review_assessment"].values())


def test_the_api_takes_booleans_and_notes_for_targets(world, client):
    api = Api(client)
    n = f.nomination_in(world, "submitted", title=f.UNIT_TITLE)
    marks = f.unit_passing()
    code = next(iter(marks))
    r = api.post(f"/nominations/{n.id}/events", "review-district",
                 json={"event": "verify", "version": n.version, "assessment": marks,
                       "notes": {code: "Có kế hoạch năm, đã thực hiện"}})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["review_notes"] == {code: "Có kế hoạch năm, đã thực hiện"}


def test_a_target_left_unmarked_is_reported_once_as_missing(world):
    n = f.nomination_in(world, "submitted", title=f.UNIT_TITLE)
    marks = f.unit_passing()
    left = next(iter(marks))
    del marks[left]
    with pytest.raises(Invalid) as refused:
        engine.apply(n.id, "verify", world.district_reviewer, n.version,
                     engine.Payload(assessment=marks))
    assert [(d["field"], d["code"]) for d in refused.value.details] == [
        (f"assessment.{left}", "missing")]
