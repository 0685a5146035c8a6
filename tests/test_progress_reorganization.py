"""Progress across a reorganisation (issue 8, item 3): a holder counts on the unit valid that day on
its line of succession — on the old units before the effective date, on the new ones from it —
never lost, never counted twice; approvals and revocations after the change land on the right units;
`flask check` covers the day before and the day of every change; the chart of a new ward shows its
predecessors' history. All through the services (reorganizations.apply, the engine, progress, audit).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from certify.extensions import db
from certify.models import Unit
from certify.services import audit, nominations, progress, reorganizations, units
from certify.workflow import engine, workflow
from tests.factories import CITIZEN, TT22_YEAR, UNIT_TITLE, person, submitted_before, user
from tests.test_progress import subjects, today  # noqa: F401 (a fixture)
from tests.test_progress import drive as drive_once
from tests.web_support import sign_in, text

SOURCE = "NQ 1686/NQ-UBTVQH15, 16/6/2025"



_NUMBERS = iter(range(1, 10**6))


def drive(*args, **kw):
    """test_progress.drive, each decision with its own number."""
    return drive_once(*args, number=f"{next(_NUMBERS)}/QĐ-UBND", **kw)


def dates():
    """The change takes effect 60 days ago; the first decisions are 100 days before it, so a
    citizen's one-year recognition is valid across the date and still today."""
    effective = today() - timedelta(days=60)
    return effective, effective - timedelta(days=1), effective - timedelta(days=100)


def new_unit(code, name, parent, replaces) -> dict:
    return {"code": code, "name": name, "level": "commune", "parent_code": parent,
            "from": replaces}


def apply(w, effective, new_units, assign=None):
    data = {"effective": effective.isoformat(), "source": SOURCE, "units": new_units}
    if assign:
        data["assign"] = assign
    result = reorganizations.apply(data, actor=w.admin)
    assert result.applied
    return result


def merge(w, effective) -> Unit:
    """Both wards become one ward under the town, reusing ward A's code."""
    apply(w, effective, [new_unit(w.ward_a.code, "Phường Bỉm Sơn", w.district.code,
                                  [w.ward_a.code, w.ward_b.code])])
    return units.find(w.ward_a.code, effective)


def on(unit, day, title=CITIZEN) -> int:
    return progress.holders([unit.id], title, day)[unit.id]


def children(unit, day, title=CITIZEN) -> list:
    return [(f.unit.id, f.holders) for f in progress.progress(unit, workflow(title), day).children]


def assert_clean(title=CITIZEN, *days) -> None:
    """The recount agrees on today, on the days around every reorganisation and on `days`."""
    checked = audit.days_to_check(title, today()) + list(days)
    assert audit.check(title, checked) == {}


def test_merge_counts_on_the_old_wards_before_and_on_the_new_ward_from_the_day(subjects):
    w = subjects.w
    effective, before, decided = dates()
    drive(subjects, CITIZEN, w.person_a, "approved", year=decided.year, decided=decided)
    drive(subjects, CITIZEN, w.person_b, "approved", year=decided.year, decided=decided)
    old_a, old_b = w.ward_a, w.ward_b

    new = merge(w, effective)

    assert (on(old_a, before), on(old_b, before), on(new, before)) == (1, 1, 0)
    # The recognitions are valid across the date: each holder counted once on each day.
    assert (on(old_a, effective), on(old_b, effective), on(new, effective)) == (0, 0, 2)
    assert on(new, today()) == 2
    for parent in (w.district, w.province):
        assert on(parent, before) == on(parent, effective) == on(parent, today()) == 2
    assert children(w.district, before) == [(old_a.id, 1), (old_b.id, 1)]
    assert children(w.district, effective) == [(new.id, 2)]
    assert_clean(CITIZEN, decided)


def test_rename_moves_the_holder_on_the_day(subjects):
    w = subjects.w
    effective, before, decided = dates()
    drive(subjects, CITIZEN, w.person_a, "approved", year=decided.year, decided=decided)
    apply(w, effective, [new_unit("14830", "Phường Ba Đình Mới", w.district.code,
                                  [w.ward_a.code])])
    renamed = units.find("14830")
    assert (on(w.ward_a, before), on(renamed, before)) == (1, 0)
    assert (on(w.ward_a, effective), on(renamed, effective)) == (0, 1)
    assert on(w.district, before) == on(w.district, effective) == 1
    assert_clean()


def test_split_of_a_ward_sends_each_holder_to_the_ward_it_went_to(subjects):
    w = subjects.w
    effective, before, decided = dates()
    household_c = user("ho-c", "household", w.ward_a.code)
    person_c = person(household_c, "Lê Văn Cường")
    subjects.applicant[(CITIZEN, person_c.id)] = household_c
    drive(subjects, CITIZEN, w.person_a, "approved", year=decided.year, decided=decided)
    drive(subjects, CITIZEN, person_c, "approved", year=decided.year, decided=decided)
    drive(subjects, CITIZEN, w.person_b, "approved", year=decided.year, decided=decided)

    apply(w, effective, [
        new_unit(w.ward_a.code, "Phường Ba Đình", w.district.code, [w.ward_a.code]),
        new_unit("14818", "Phường Quang Trung", w.district.code, [w.ward_a.code])],
        assign={"14818": {"households": [w.household_a.household_id]},
                w.ward_a.code: {"households": [household_c.household_id],
                                "accounts": [w.reviewer_a.username]}})
    first, second = units.find(w.ward_a.code, effective), units.find("14818")

    assert on(w.ward_a, before) == 2 and on(first, before) == on(second, before) == 0
    assert (on(w.ward_a, effective), on(first, effective), on(second, effective)) == (0, 1, 1)
    assert on(w.ward_b, before) == on(w.ward_b, effective) == 1
    assert on(w.district, before) == on(w.district, effective) == on(w.province, effective) == 3
    assert_clean()


def test_split_of_the_town_moves_its_organization_and_marks_the_chart(subjects):
    w = subjects.w
    effective, before, decided = dates()
    drive(subjects, UNIT_TITLE, w.organization, "approved", year=TT22_YEAR, decided=decided)
    drive(subjects, CITIZEN, w.person_a, "approved", year=decided.year, decided=decided)
    apply(w, effective, [
        {"code": w.ward_a.code, "name": "Phường Bỉm Sơn", "level": "commune",
         "parent_code": w.province.code, "from": [w.ward_a.code, w.district.code]},
        {"code": "14818", "name": "Phường Quang Trung", "level": "commune",
         "parent_code": w.province.code, "from": [w.ward_b.code, w.district.code]}],
        assign={"14818": {"organizations": [w.organization.name],
                          "accounts": [w.district_reviewer.username]},
                w.ward_a.code: {"accounts": [w.approver.username]}})
    bim_son, quang_trung = units.find(w.ward_a.code, effective), units.find("14818")

    assert on(w.district, before, UNIT_TITLE) == 1
    assert (on(w.district, effective, UNIT_TITLE), on(bim_son, effective, UNIT_TITLE),
            on(quang_trung, effective, UNIT_TITLE)) == (0, 0, 1)
    assert on(w.province, before, UNIT_TITLE) == on(w.province, effective, UNIT_TITLE) == 1
    assert (on(bim_son, effective), on(quang_trung, effective), on(w.province, effective)) \
        == (1, 0, 1)
    assert children(w.province, effective) == sorted(
        [(bim_son.id, 1), (quang_trung.id, 0)],
        key=lambda c: db.session.get(Unit, c[0]).code)
    for title in (CITIZEN, UNIT_TITLE):
        assert_clean(title)

    # Before it existed, Quang Trung's chart shows its predecessors: ward B and the whole town
    # (split, so marked).
    history = progress.history(quang_trung, workflow(UNIT_TITLE), today())
    earlier = [p for p in history.points if p.day < effective]
    assert earlier and all(p.from_predecessors and p.split for p in earlier)
    assert {u.id for u in history.predecessors} == {w.ward_b.id, w.district.id}
    assert [p.holders for p in earlier if p.day >= decided] == \
        [on(w.district, p.day, UNIT_TITLE) for p in earlier if p.day >= decided]


def test_approvals_after_the_change_land_on_the_right_units(subjects):
    w = subjects.w
    effective, before, decided = dates()
    drive(subjects, CITIZEN, w.person_a, "approved", year=decided.year, decided=decided)
    # person_b's dossier is open (verified) on the day: it moves to the new ward.
    open_b = drive(subjects, CITIZEN, w.person_b, "verified", year=decided.year)
    new = merge(w, effective)
    db.session.refresh(open_b)
    assert open_b.unit_id == new.id

    # A normal approval after the change: counted on the new ward from today.
    person_c = person(w.household_a, "Lê Thị Cúc", gender="female")
    subjects.applicant[(CITIZEN, person_c.id)] = w.household_a
    drive(subjects, CITIZEN, person_c, "approved")
    assert on(new, today()) == 2 and on(new, today() - timedelta(days=1)) == 1
    assert on(w.ward_a, today()) == 0

    # The moved dossier approved with a decision dated before the effective day: the holder is
    # in the town (and the province) from that date and in the new ward from the effective day.
    back = before - timedelta(days=10)
    submitted_before(back, open_b)
    nominations.issue_decision(w.approver, number="77/QĐ-UBND", date_=back, signer="Chủ tịch",
                               signer_position="tm_chu_tich", nomination_ids=[open_b.id])
    assert on(w.district, back) == on(w.district, before) == 2
    assert on(new, effective) == 2 and on(w.district, effective) == 2

    # person_a, whose recognition was decided on the old ward, is approved again back-dated before
    # the change: still one holder each day, on ward A before the date, on the new ward after.
    again = drive(subjects, CITIZEN, w.person_a, "approved", year=decided.year - 1, decided=back)
    assert again.recognition.unit_id == new.id
    assert on(w.ward_a, before) == 1 and on(w.ward_a, effective) == 0
    assert on(new, effective) == 2 and on(w.district, back) == 2
    first_ends = decided.replace(year=decided.year + 1)  # the first recognition's day after
    assert on(new, first_ends) == 3 and on(w.province, first_ends) == 3
    assert_clean(CITIZEN, back, first_ends, today() + timedelta(days=400))

    # rebuild() follows the same rule: the counters come back identical.
    days = sorted({back, before, effective, first_ends, today()})
    unit_ids = [u.id for u in db.session.scalars(select(Unit))]
    counted = {d: progress.holders(unit_ids, CITIZEN, d) for d in days}
    progress.rebuild(CITIZEN)
    assert {d: progress.holders(unit_ids, CITIZEN, d) for d in days} == counted


def test_revocation_after_the_change_leaves_the_new_ward_from_the_day(subjects):
    w = subjects.w
    effective, before, decided = dates()
    granted = drive(subjects, CITIZEN, w.person_a, "approved", year=decided.year,
                    decided=decided)
    new = merge(w, effective)
    engine.apply(granted.id, "revoke", w.approver, granted.version,
                 engine.Payload(comment="Khai sai"))
    yesterday = today() - timedelta(days=1)
    assert on(w.ward_a, before) == 1  # the past stays as it was
    assert on(new, effective) == on(new, yesterday) == 1
    assert on(new, today()) == on(w.district, today()) == on(w.province, today()) == 0
    assert on(w.ward_a, today()) == 0
    assert_clean(CITIZEN, yesterday)


def test_check_covers_the_day_before_and_the_day_of_the_change(subjects, runner):
    w = subjects.w
    effective, before, decided = dates()
    drive(subjects, CITIZEN, w.person_a, "approved", year=decided.year, decided=decided)
    new = merge(w, effective)
    assert set(audit.reorganization_days()) == {before, effective}
    assert runner.invoke(args=["check"]).exit_code == 0

    # A counter wrong on the effective day only (right again the day after).
    progress._upsert([
        {"unit_id": new.id, "title_code": CITIZEN, "day": effective, "delta": 1},
        {"unit_id": new.id, "title_code": CITIZEN, "day": effective + timedelta(days=1),
         "delta": -1}])
    db.session.commit()
    assert audit.check(CITIZEN, [today()]) == {}
    found = audit.check(CITIZEN, audit.days_to_check(CITIZEN, today()))
    assert list(found) == [effective]
    assert [(u.id, counters, records) for u, counters, records in found[effective]] == [
        (new.id, 2, 1)]
    result = runner.invoke(args=["check"])
    assert result.exit_code == 1
    assert effective.strftime("%d/%m/%Y") in result.output and new.code in result.output


def test_the_chart_of_a_new_ward_shows_its_predecessors_before_it(subjects, client):
    w = subjects.w
    effective, before, decided = dates()
    drive(subjects, CITIZEN, w.person_a, "approved", year=decided.year, decided=decided)
    drive(subjects, CITIZEN, w.person_b, "approved", year=decided.year,
          decided=decided + timedelta(days=35))
    old_a, old_b = w.ward_a, w.ward_b
    new = merge(w, effective)

    history = progress.history(new, workflow(CITIZEN), today())
    assert history.points[-1].day == today()
    assert {u.id for u in history.predecessors} == {old_a.id, old_b.id}
    for p in history.points:
        if p.day < effective:
            assert p.from_predecessors and not p.split
            assert p.holders == on(old_a, p.day) + on(old_b, p.day)
        else:
            assert not p.from_predecessors and p.holders == on(new, p.day)
    assert {p.holders for p in history.points} >= {1, 2}

    sign_in(client, w.approver.username)
    page = text(client.get(f"/progress/?unit={new.code}&title={CITIZEN}"))
    assert 'class="history"' in page
    assert old_a.name in page and old_b.name in page
    assert effective.strftime("%d/%m/%Y") in page
