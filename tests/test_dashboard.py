"""The dashboard answers "are we on track?" (issue 10, item 4) and the yearly report (item 5):
every figure it shows — holders, denominator, ratio (with the precision a small share needs), the
gap in people, a verdict for each target year passed, the path year by year — against a recount
made here from the database rows (recognitions valid on the day, entered denominators), with the
targets read from the workflow file. The report's XLSX (openpyxl) and PDF (pypdf) carry the same
figures; the plan's other indicators are entered on the admin's page, bad input refused."""

from __future__ import annotations

import io
import math
import re
import shutil
from datetime import date, timedelta, timezone
from fractions import Fraction

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from certify.extensions import db
from certify.models import Denominator, IndicatorFigure, Nomination, Recognition, Unit
from certify.services import deadlines, indicators, nominations, progress, report
from certify.services import units as unit_service
from certify.workflow import WorkflowError, engine, workflow
from tests.api_client import Api
from tests.factories import CITIZEN, CITIZEN_PASS, decide, person
from tests.test_workflow_files import SHIPPED, edit, start
from tests.web_support import csrf_token, sign_in, text

AS_OF = date(2026, 11, 30)
BIG = 70_560  # the town's denominator: a handful of holders is a share below 0.1%


def _dossier(w, ward: str, name: str, year: int):
    household, reviewer = ((w.household_a, w.reviewer_a) if ward == "a"
                           else (w.household_b, w.reviewer_b))
    p = person(household, name)
    n = nominations.create(household, title=CITIZEN, subject_id=p.id, year=year,
                           self_assessment=dict(CITIZEN_PASS))
    engine.apply(n.id, "submit", household, n.version)
    return n, reviewer


def recognised(w, ward: str, name: str, year: int, on: date, number: str) -> Nomination:
    n, reviewer = _dossier(w, ward, name, year)
    engine.apply(n.id, "verify", reviewer, n.version,
                 engine.Payload(assessment=dict(CITIZEN_PASS)))
    decide(w, [n], number=number, on=on)
    db.session.refresh(n)
    return n


@pytest.fixture
def town(world):
    """Ward A and ward B with holders recognised in 2025 and 2026, one revoked, one rejected;
    denominators entered for the wards and, far larger, for the town."""
    w = world
    for unit, figures in ((w.ward_a, {2025: 9, 2026: 10}), (w.ward_b, {2025: 6, 2026: 7})):
        for year, value in figures.items():
            unit_service.set_denominators(unit, year, {CITIZEN: value})
    unit_service.set_denominators(w.district, 2026, {CITIZEN: BIG})
    number = iter(range(100, 200))
    for i in range(4):
        recognised(w, "a", f"Công dân A{i}", 2025, date(2025, 6, 2), f"{next(number)}/QĐ-UBND")
    for i in range(2):
        recognised(w, "b", f"Công dân B{i}", 2025, date(2025, 6, 2), f"{next(number)}/QĐ-UBND")
    for i in range(3):
        recognised(w, "b", f"Công dân C{i}", 2026, date(2026, 3, 2), f"{next(number)}/QĐ-UBND")
    revoked = recognised(w, "a", "Công dân bị thu hồi", 2026, date(2026, 3, 2),
                          f"{next(number)}/QĐ-UBND")
    engine.apply(revoked.id, "revoke", w.approver, revoked.version,
                 engine.Payload(comment="Sai sót hồ sơ"))
    rejected, reviewer = _dossier(w, "b", "Công dân không đạt", 2026)
    engine.apply(rejected.id, "reject", reviewer, rejected.version,
                 engine.Payload(comment="Chưa đủ điều kiện"))
    return w


# -- the recount, from the rows --------------------------------------------------------------------

def holders_on(unit: Unit, day: date) -> int:
    """Persons with a recognition of the title valid on `day`, filed in `unit`'s subtree."""
    units = {u.id: u for u in db.session.scalars(select(Unit))}
    found = set()
    for rec, person_id in db.session.execute(
            select(Recognition, Nomination.person_id)
            .join(Nomination, Nomination.id == Recognition.nomination_id)
            .where(Recognition.title_code == CITIZEN)):
        if rec.valid_on(day) and unit.contains(units[rec.unit_id]):
            found.add(person_id)
    return len(found)


def denominator_of(unit: Unit, year: int) -> int | None:
    entered = db.session.scalar(select(Denominator.value).where(
        Denominator.unit_id == unit.id, Denominator.title_code == CITIZEN,
        Denominator.year == year))
    if entered is not None:
        return entered
    known = [d for d in (denominator_of(c, year) for c in unit.children) if d is not None]
    return sum(known) if known else None


def needed(target: float, denominator: int, holders: int) -> int:
    return max(0, math.ceil(Fraction(str(target)) * denominator) - holders)


def shown_percent(holders: int, denominator: int) -> str:
    """The ratio as the page must show it: one decimal, or enough for its first significant
    digit (written here independently of the product's formatter)."""
    share = Fraction(holders * 100, denominator)
    decimals = 1
    while share and share * 10 ** decimals < 1:
        decimals += 1
    value = round(share, decimals)
    return f"{float(value):.{decimals}f}".replace(".", ",") + "%" if share else "0%"


def test_dashboard_figures_match_a_recount_from_the_rows(town):
    w, wf = town, workflow(CITIZEN)
    dash = progress.dashboard(w.district, wf, AS_OF)
    target, target_year = wf.spec.target_for(AS_OF.year)
    passed = sorted(y for y in wf.spec.targets if date(y, 12, 31) <= AS_OF)
    assert passed, "the workflow file has a target year before the day counted"

    for line in [dash.unit, *dash.children]:
        unit = line.figure.unit
        holders, denominator = holders_on(unit, AS_OF), denominator_of(unit, AS_OF.year)
        assert (line.figure.holders, line.figure.denominator) == (holders, denominator)
        assert (line.target, line.target_year) == (target, target_year)
        assert line.source == wf.spec.target_sources[target_year]
        assert line.gap == needed(target, denominator, holders)
        assert [v.year for v in line.verdicts] == passed
        for v in line.verdicts:
            end = date(v.year, 12, 31)
            h, d = holders_on(unit, end), denominator_of(unit, v.year)
            assert (v.holders, v.denominator, v.target) == (h, d, wf.spec.targets[v.year])
            assert v.met == (Fraction(h, d) >= Fraction(str(v.target)))
            assert v.gap == needed(v.target, d, h)
    # Both outcomes occur in this town's 2025 (so the verdicts are really compared).
    assert {v.met for line in dash.children for v in line.verdicts} == {True, False}
    assert dash.unit.figure.holders < BIG // 1000  # the share is below 0.1%

    years = [p.year for p in dash.path]
    assert years == list(range(progress.PLAN_START, AS_OF.year + 1))
    for p in dash.path:
        assert p.holders == holders_on(w.district, p.day)
        assert p.target == wf.spec.target_for(p.year)[0]
    assert dash.path[-1].day == AS_OF


def test_the_page_shows_the_figures_the_gap_and_the_verdicts(town, client):
    w, wf = town, workflow(CITIZEN)
    dash = progress.dashboard(w.district, wf, AS_OF)
    sign_in(client, "approve")
    page = text(client.get(f"/progress/?as_of={AS_OF.isoformat()}&title={CITIZEN}"))
    holders = holders_on(w.district, AS_OF)
    small = shown_percent(holders, BIG)
    assert small != "0,0%" and re.search(r"[1-9]", small)
    assert f'<strong class="ratio">{small}</strong>' in page
    gap = needed(wf.spec.target_for(AS_OF.year)[0], BIG, holders)
    assert f"còn thiếu {gap:,} người".replace(",", ".") in page
    assert wf.spec.target_sources[wf.spec.target_for(AS_OF.year)[1]] in page
    assert "dân số từ 15 tuổi" in page  # the denominator named, as the workflow file names it
    for line in dash.children:
        row = page.split(f'data-unit="{line.figure.unit.code}"')[1].split("</tr>")[0]
        f = line.figure
        assert shown_percent(f.holders, f.denominator) in row
        verdict = line.verdicts[0]
        assert ("Đạt" if verdict.met else "Không đạt") in row
    assert 'class="history"' in page and "Lộ trình theo năm" in page


@pytest.mark.parametrize("sort, key, reverse", [
    ("name", lambda line: line.figure.unit.name, False),
    ("-holders", lambda line: line.figure.holders, True),
    ("ratio", lambda line: line.figure.ratio, False),
    ("-gap", lambda line: line.gap, True),
])
def test_children_sort_by_a_link_without_javascript(town, client, sort, key, reverse):
    dash = progress.dashboard(town.district, workflow(CITIZEN), AS_OF)
    sign_in(client, "approve")
    page = text(client.get(f"/progress/?as_of={AS_OF.isoformat()}&sort={sort}"))
    shown = re.findall(r'<tr data-unit="(\d+)"', page)
    expected = [line.figure.unit.code
                for line in sorted(dash.children, key=key, reverse=reverse)]
    assert shown == expected
    assert f"sort={sort.lstrip('-')}" in page or f"sort=-{sort}" in page


def test_the_api_gives_the_gap_and_the_target_source(town, client):
    wf = workflow(CITIZEN)
    api = Api(client)
    body = api.get(f"/progress?title={CITIZEN}&unit=381&as_of={AS_OF.isoformat()}",
                   "approve").get_json()
    target, target_year = wf.spec.target_for(AS_OF.year)
    assert body["target_source"] == wf.spec.target_sources[target_year]
    assert body["gap"] == needed(target, BIG, holders_on(town.district, AS_OF))
    for child in body["children"]:
        unit = unit_service.find(child["unit"])
        assert child["gap"] == needed(target, denominator_of(unit, AS_OF.year),
                                      holders_on(unit, AS_OF))


# -- the yearly report ---------------------------------------------------------------------------

def dossier_counts(unit: Unit, year: int) -> tuple[int, int, int, int]:
    due = deadlines.for_year(CITIZEN, year).get("submit_by")
    received = on_time = recognised = rejected = 0
    units = {u.id: u for u in db.session.scalars(select(Unit))}
    for n in db.session.scalars(select(Nomination).where(Nomination.title_code == CITIZEN,
                                                         Nomination.year == year)):
        if n.submitted_at is None or not unit.contains(units[n.unit_id]):
            continue
        received += 1
        local = n.submitted_at.astimezone(timezone(timedelta(hours=7))).date()
        on_time += due is None or local <= due
        recognised += n.recognition is not None
        rejected += n.state == "rejected"
    return received, on_time, recognised, rejected


def test_the_yearly_report_matches_a_recount_in_xlsx_and_pdf(town, client):
    w, wf = town, workflow(CITIZEN)
    year = AS_OF.year
    found = report.build(w.approver, year)
    day = report.report_day(year)
    section = next(s for s in found.titles if s.workflow.code == CITIZEN)
    expected = {}
    for row in section.rows:
        unit = row.unit
        holders, denominator = holders_on(unit, day), denominator_of(unit, year)
        expected[unit.code] = (*dossier_counts(unit, year), holders, denominator)
        c = row.counts
        assert (c.received, c.on_time, c.recognised, c.rejected, row.line.figure.holders,
                row.line.figure.denominator) == expected[unit.code]
    assert expected[w.district.code][0] >= 5 and expected[w.district.code][3] == 1

    sign_in(client, "approve")
    r = client.get(f"/progress/report/{year}.xlsx")
    assert r.status_code == 200 and f"bao-cao-{year}-381-" in r.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(r.data))
    rows = list(book["Danh hiệu"].iter_rows(values_only=True))
    header = rows.index(tuple(report.HEADERS))
    by_unit = {(r[0], r[1]): r for r in rows[header + 1:]}
    name = wf.spec.name.vi
    for code, (received, on_time, recognised, rejected, holders, denominator) in expected.items():
        r_ = by_unit[(name, code)]
        assert r_[3:9] == (received, on_time, recognised, rejected, holders, denominator)
        assert r_[10] == pytest.approx(holders / denominator * 100, abs=1e-4)
        target, _ = wf.spec.target_for(year)
        assert r_[14] == needed(target, denominator, holders)
    verdicts = list(book["Đánh giá chỉ tiêu"].iter_rows(values_only=True))[1:]
    assert {(v[1], v[3]) for v in verdicts if v[0] == name} == {
        (code, y) for code in expected for y in wf.spec.targets if date(y, 12, 31) <= day}

    r = client.get(f"/progress/report/{year}.pdf")
    assert r.status_code == 200 and r.data[:4] == b"%PDF"
    pdf_text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(r.data)).pages)
    assert f"NĂM {year}" in pdf_text
    for unit in (w.district, w.ward_a, w.ward_b):
        assert unit.name in pdf_text
    holders = expected[w.district.code][4]
    assert shown_percent(holders, BIG) in pdf_text
    assert f"{BIG:,}".replace(",", ".") in pdf_text


def test_the_report_through_the_api_and_its_refusals(town, client):
    api = Api(client)
    r = api.get(f"/reports/{AS_OF.year}?format=pdf&unit=16729", "approve")
    assert r.status_code == 200 and r.data[:4] == b"%PDF"
    r = api.get(f"/reports/{AS_OF.year}?unit=16729", "approve")
    assert r.status_code == 200 and r.data[:2] == b"PK"
    assert api.get(f"/reports/{AS_OF.year + 5}", "approve").status_code == 422
    assert api.get(f"/reports/{AS_OF.year}?format=doc", "approve").status_code == 422
    assert api.get(f"/reports/{AS_OF.year}?unit=16732", "review-a").status_code == 404
    assert api.get(f"/reports/{AS_OF.year}", "ho-a").status_code == 403


# -- the plan's other indicators -----------------------------------------------------------------

def _indicator_form(client, unit: str, year: int):
    page = text(client.get(f"/admin/indicators/?unit={unit}&year={year}"))
    return csrf_token(page)


def test_bad_indicator_figures_are_refused_and_nothing_saved(town, client):
    first, second = indicators.indicators()[:2]
    sign_in(client, "admin")
    token = _indicator_form(client, "381", 2026)
    for bad, expected in (("abc", "phải là một số"), ("120", "từ 0 đến 100"),
                          ("-3", "từ 0 đến 100"), ("nan", "phải là một số")):
        r = client.post("/admin/indicators/", data={
            "csrf_token": token, "unit": "381", "year": "2026",
            first.code: "87,5", second.code: bad})
        assert r.status_code == 422 and expected in text(r)
        assert db.session.scalar(select(IndicatorFigure)) is None
    r = client.post("/admin/indicators/", data={"csrf_token": token, "unit": "381",
                                               "year": "1850", first.code: "50"})
    assert r.status_code == 422 and "Năm phải từ" in text(r)
    assert db.session.scalar(select(IndicatorFigure)) is None


def test_indicator_figures_entered_show_on_the_dashboard_and_in_the_report(town, client):
    first, second = indicators.indicators()[:2]
    sign_in(client, "admin")
    token = _indicator_form(client, "381", 2026)
    r = client.post("/admin/indicators/", data={"csrf_token": token, "unit": "381",
                                               "year": "2026", first.code: "87,5",
                                               second.code: "100"})
    assert r.status_code == 302
    saved = dict(db.session.execute(select(IndicatorFigure.indicator,
                                           IndicatorFigure.value)).all())
    assert saved == {first.code: 87.5, second.code: 100.0}
    page = text(client.get(f"/progress/?unit=381&as_of={AS_OF.isoformat()}"))
    row = page.split(f'data-indicator="{first.code}"')[1].split("</tr>")[0]
    assert "87,5%" in row
    target = next(t for t in first.targets)
    assert ("Đạt" if 87.5 >= target.value else "Chưa đạt") in row
    r = client.get(f"/progress/report/{AS_OF.year}.xlsx?unit=381")
    rows = list(load_workbook(io.BytesIO(r.data))["Chỉ tiêu khác"].iter_rows(values_only=True))
    mine = [r_ for r_ in rows if r_[0] == "381" and r_[2] == first.name.vi]
    assert mine and all(r_[3] == 87.5 for r_ in mine)
    assert {r_[7] for r_ in mine} == {t.set_name.vi for t in first.targets}


def test_a_target_source_for_a_year_without_a_target_is_refused(tmp_path):
    """The loader names the file and the key (a source must belong to a target year)."""
    folder = tmp_path / "workflows"
    shutil.copytree(SHIPPED, folder)
    edit(folder, CITIZEN, lambda d: d["target_sources"].update({2027: "Không có chỉ tiêu"}))
    with pytest.raises(WorkflowError) as raised:
        start(folder, tmp_path)
    assert "target_sources.2027" in str(raised.value) and f"{CITIZEN}.yaml" in str(raised.value)


def test_the_units_title_lists_only_units_holding_organizations(town, client):
    """"Đơn vị học tập": wards without an organization are neither children nor choices."""
    from tests.factories import UNIT_TITLE

    w = town
    sign_in(client, "admin")
    page = text(client.get(f"/progress/?title={UNIT_TITLE}&unit=381"))
    options = re.findall(r'<option value="(\d+)"', page.split('id="unit"')[1].split("</select>")[0])
    assert options == ["38", "381"]  # the organization's unit and its parent, not the wards
    assert 'data-unit="16729"' not in page and 'data-unit="16732"' not in page
    citizens = text(client.get(f"/progress/?title={CITIZEN}&unit=381"))
    assert 'data-unit="16729"' in citizens and 'data-unit="16732"' in citizens
    province = progress.progress(w.province, workflow(UNIT_TITLE), AS_OF)
    assert [c.unit.code for c in province.children] == ["381"]
