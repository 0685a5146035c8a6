"""The demo scenario `reform-2025` (issue 8, item 5): Bỉm Sơn from January 2024 through the 1 July
2025 reorganisation to today, under the dated profile vn-2025 — refused under another profile and on
a loaded database; its dossiers and decisions on the right units on both sides of the date; progress
that reads on the old wards the day before and on the new wards the day of."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from certify import create_app
from certify.extensions import db
from certify.models import (Decision, HistoryEntry, Nomination, Recognition, Succession, Unit,
                            User)
from certify.services import demo_reform, progress, reorganizations, units
from certify.workflow import workflows
from tests.conftest import TEST_CONFIG

CHANGE = reorganizations.parse(demo_reform.REFORM_FILE.read_text(encoding="utf-8"))
EFFECTIVE = CHANGE.effective
EVE = EFFECTIVE - timedelta(days=1)
NEW_CODES = {u.code for u in CHANGE.units}
PASSWORD = "demo passphrase"


@pytest.fixture
def vn2025(app, database_url, tmp_path):
    """An app on the same test database under CERTIFY_PROFILE=vn-2025."""
    other = create_app({**TEST_CONFIG, "DATABASE_URL": database_url, "PROFILE": "vn-2025",
                        "EVIDENCE_FOLDER": str(tmp_path / "evidence")})
    with other.app_context():
        yield other
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def loaded(vn2025):
    result = vn2025.test_cli_runner().invoke(
        args=["demo-data", "--scenario", "reform-2025", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return result


def test_the_scenario_refuses_under_another_profile_naming_the_setting(runner, ctx):
    result = runner.invoke(args=["demo-data", "--scenario", "reform-2025"])
    assert result.exit_code == 1
    assert "CERTIFY_PROFILE=vn-2025" in result.output and "Traceback" not in result.output
    assert db.session.scalar(select(func.count()).select_from(Unit)) == 0


def test_the_default_demo_is_still_the_three_tier_town(runner, ctx):
    result = runner.invoke(args=["demo-data", "--scenario", "default", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    assert units.find("381") is not None and units.find("381").valid_until is None
    assert db.session.scalar(select(func.count()).select_from(Succession)) == 0


def test_the_scenario_loads_on_a_fresh_database_and_refuses_on_a_loaded_one(vn2025, loaded):
    out = loaded.output
    assert "Phường Bỉm Sơn" in out and "Phường Quang Trung" in out
    assert "phe-duyet-phuong-quang-trung" in out and PASSWORD in out
    # The shipped reorganisation was applied: the town and its wards ended on the eve.
    assert units.find("381", EVE) is not None and units.find("381", EFFECTIVE) is None
    assert {u.code for u in units.children_on(units.find("38", EFFECTIVE), EFFECTIVE)} == NEW_CODES
    again = vn2025.test_cli_runner().invoke(
        args=["demo-data", "--scenario", "reform-2025", "--password", PASSWORD])
    assert again.exit_code == 1 and "Traceback" not in again.output
    assert "cơ sở dữ liệu đã có đơn vị hành chính" in again.output


def _new_unit_ids() -> set[int]:
    return {units.find(code, EFFECTIVE).id for code in NEW_CODES}


def test_dossiers_and_decisions_sit_on_the_right_units_on_both_sides_of_the_date(vn2025, loaded):
    old = {u.id for u in db.session.scalars(select(Unit).where(Unit.valid_until == EVE))}
    new = _new_unit_ids()
    decisions = db.session.scalars(select(Decision)).all()
    before = [d for d in decisions if d.date < EFFECTIVE]
    after = [d for d in decisions if d.date >= EFFECTIVE]
    assert before and after
    assert {d.date.year for d in before} == {2024, 2025}
    for d in before:  # decided before the change: by the town, and there they stay
        assert d.unit_id in old
        assert {r.nomination.unit_id for r in d.recognitions} <= old
        assert {r.unit_id for r in d.recognitions} <= old
    for d in after:  # decided after it: by the new tier (the new wards for citizens)
        assert d.unit_id in new
        assert {r.nomination.unit_id for r in d.recognitions} <= new
        assert {r.unit_id for r in d.recognitions} <= new
    # Every dossier open on the eve moved to a new ward, kept its filing day, and says so.
    moved = db.session.scalars(select(Nomination).join(Nomination.history).where(
        HistoryEntry.event == reorganizations.REORGANIZE)).unique().all()
    assert moved
    for n in moved:
        assert n.unit_id in new and n.submitted_at.date() < EFFECTIVE
    # Nothing is left open on the old units; something is left open for today's officials.
    assert not db.session.scalar(select(func.count()).select_from(Nomination).where(
        reorganizations.in_progress(), Nomination.unit_id.in_(old)))
    assert db.session.scalar(select(func.count()).select_from(Nomination).where(
        reorganizations.in_progress(), Nomination.unit_id.in_(new)))
    # The accounts of the former town and wards work in the new wards.
    assert set(db.session.scalars(select(User.unit_id).where(User.unit_id.is_not(None)))) <= \
        new | {units.find("38", EFFECTIVE).id}


def _held(title_code: str, unit_ids: set[int], day: date) -> int:
    """Subjects holding the title on `day` through recognitions decided in `unit_ids` — counted
    from the recognitions themselves."""
    subjects = set()
    for rec, person, organization in db.session.execute(
            select(Recognition, Nomination.person_id, Nomination.organization_id)
            .join(Nomination, Nomination.id == Recognition.nomination_id)
            .where(Recognition.title_code == title_code, Recognition.unit_id.in_(unit_ids))):
        if rec.valid_on(day):
            subjects.add((person, organization))
    return len(subjects)


def _citizen():
    return next(wf for wf in workflows().values() if wf.spec.subject == "person")


def test_progress_reads_on_the_old_wards_the_day_before(vn2025, loaded):
    wf = _citizen()
    province = units.find("38", EVE)
    wards = [u for u in db.session.scalars(select(Unit).where(Unit.valid_until == EVE,
                                                                Unit.level == "commune"))]
    on_eve = progress.progress(units.find("381", EVE), wf, EVE)
    assert {f.unit.id for f in on_eve.children} == {u.id for u in wards}
    held = _held(wf.code, {u.id for u in wards}, EVE)
    assert held > 0
    assert sum(f.holders for f in on_eve.children) == held
    assert progress.progress(province, wf, EVE).figure.holders == held
    # Each ward's own denominator, not the new wards' carried sums beside it.
    assert progress.progress(province, wf, EVE).figure.denominator == sum(
        units.denominators_of(u, EVE.year)[wf.code] for u in wards)


def test_progress_reads_on_the_new_wards_from_the_day_of_the_change(vn2025, loaded):
    """Fails until progress counters follow a reorganisation (another branch moves them at
    apply): the holders of the day before must be counted on the new wards from the day of."""
    wf = _citizen()
    province = units.find("38", EFFECTIVE)
    old_wards = {u.id for u in db.session.scalars(select(Unit).where(Unit.valid_until == EVE,
                                                                     Unit.level == "commune"))}
    held = _held(wf.code, old_wards | _new_unit_ids(), EFFECTIVE)
    on_the_day = progress.progress(province, wf, EFFECTIVE)
    assert {f.unit.code for f in on_the_day.children} == NEW_CODES
    assert on_the_day.figure.holders == progress.progress(province, wf, EVE).figure.holders == held
    assert sum(f.holders for f in on_the_day.children) == held
    # Denominators carried to the new wards add up to the former wards' (and are flagged).
    assert sum(f.denominator for f in on_the_day.children) == \
        progress.progress(province, wf, EVE).figure.denominator
    for code in NEW_CODES:
        assert units.carried_denominators(units.find(code, EFFECTIVE), EFFECTIVE.year) \
            == {wf.code: CHANGE.source}


def test_progress_today_counts_the_new_wards_decisions(vn2025, loaded):
    from certify import clock

    wf = _citizen()
    today = clock.today()
    province = units.find("38", today)
    now = progress.progress(province, wf, today)
    new = _new_unit_ids()
    assert now.figure.holders == _held(wf.code, set(db.session.scalars(select(Unit.id))), today)
    # Holders decided by the new wards are counted on them.
    by_new = {f.unit.id: f.holders for f in now.children}
    for unit_id in new:
        assert by_new[unit_id] >= _held(wf.code, {unit_id}, today)
