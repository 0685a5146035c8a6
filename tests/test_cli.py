"""The flask commands: create-admin, demo-data and the recount check."""

from __future__ import annotations

from datetime import date

import pytest
from flask import current_app
from sqlalchemy import func, select, text

from certify import clock, create_app
from certify.extensions import db
from certify.models import (
    Denominator,
    Nomination,
    Organization,
    Person,
    ProgressDelta,
    Recognition,
    Unit,
    User,
)
from certify.services import accounts, progress
from certify.services.demo import read_data
from certify.workflow import workflow

from .conftest import TEST_CONFIG

STATES = {"draft", "submitted", "returned", "withdrawn", "verified", "rejected", "approved",
          "revoked"}
TITLES = ("cong-dan-hoc-tap", "don-vi-hoc-tap")


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def printed_accounts(output: str) -> dict[str, str]:
    """username → password, read from the table demo-data prints."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Tài khoản"))
    rows = [line.split() for line in lines[start + 2:] if line.strip()]
    return {row[0]: row[-1] for row in rows}


# -- create-admin ----------------------------------------------------------------------------------

def test_create_admin_makes_an_admin_who_can_sign_in(runner, ctx):
    result = runner.invoke(args=["create-admin", "boss", "--password", "a long passphrase"])
    assert result.exit_code == 0, result.output
    assert "boss" in result.output
    user = accounts.authenticate("boss", "a long passphrase")
    assert user is not None and user.role == "admin" and user.unit is None


@pytest.mark.parametrize("username, password, field", [
    ("boss", "short", "password"),
    ("taken", "a long passphrase", "username"),
])
def test_create_admin_refuses_bad_input_and_creates_nothing(runner, ctx, username, password, field):
    accounts.create_user(username="taken", password="another passphrase", role="admin")
    before = count(User)
    result = runner.invoke(args=["create-admin", username, "--password", password])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert f"{field}:" in result.output  # the service's reason, field by field
    assert count(User) == before
    assert accounts.authenticate(username, password) is None


# -- demo-data -------------------------------------------------------------------------------------

def test_demo_data_loads_bim_son_with_every_role_and_state(runner, ctx):
    result = runner.invoke(args=["demo-data"])
    assert result.exit_code == 0, result.output
    data = read_data()

    levels = dict(db.session.execute(select(Unit.level, func.count()).group_by(Unit.level)).all())
    assert levels == {"province": 1, "district": 1, "commune": 7}
    district = db.session.scalar(select(Unit).where(Unit.level == "district"))
    assert (district.code, district.parent.code) == ("381", "38")
    assert sorted(u.name for u in district.children) == sorted(c["name"] for c in data["communes"])
    assert {u.code for u in district.children} == {c["code"] for c in data["communes"]}

    # Every account printed signs in with the password printed next to it.
    printed = printed_accounts(result.output)
    assert len(printed) == count(User)
    for username, password in printed.items():
        assert accounts.authenticate(username, password) is not None, username
    users = db.session.scalars(select(User)).all()
    assert {u.role for u in users} == {"admin", "household", "organization", "reviewer",
                                       "approver"}
    households = [u for u in users if u.role == "household"]
    assert {u.unit.code for u in households} == {c["code"] for c in data["communes"]}
    assert all(len(u.household.members) >= 3 for u in households)
    reviewers = {u.unit.code for u in users if u.role == "reviewer"}
    assert reviewers == {c["code"] for c in data["communes"]} | {"381"}
    assert {u.unit.code for u in users if u.role == "approver"} == {"381"}
    assert count(Organization) == len(data["organizations"])

    for title in TITLES:
        states = set(db.session.scalars(
            select(Nomination.state).where(Nomination.title_code == title)))
        assert states == STATES, title
        approved = db.session.scalars(select(Recognition).join(Nomination).where(
            Recognition.title_code == title, Nomination.state == "approved")).all()
        # Every approval through a decision: the paper decisions of the history (imported, no
        # submission), many-item decisions and the one-item decisions of single approvals, each
        # dated on or after its dossiers' submission.
        assert all(r.decision is not None and r.decision.issuer for r in approved), title
        submitted = [r for r in approved if r.nomination.submitted_at is not None]
        assert any(len(r.decision.recognitions) == 1 for r in submitted), title
        assert all(r.decision.signer_position and r.decision.place for r in submitted), title
        assert all(r.decision.date >= r.nomination.submitted_at.date() for r in submitted), title

    # About 70,000 citizens this year at scale 1 (the tests' DEMO_SCALE multiplies them), entered
    # per ward/commune; agencies entered at the town.
    year = clock.today().year
    scale = current_app.config["DEMO_SCALE"]
    entered = db.session.scalars(select(Denominator).where(
        Denominator.title_code == "cong-dan-hoc-tap", Denominator.year == year)).all()
    assert {d.unit.level for d in entered} == {"commune"}
    assert 68_000 * scale <= sum(d.value for d in entered) <= 72_000 * scale
    for neighbour in (year - 1, year + 1):
        assert db.session.scalar(select(func.count()).select_from(Denominator).where(
            Denominator.title_code == "cong-dan-hoc-tap", Denominator.year == neighbour)) == 7
    figure = progress.progress(district, workflow("cong-dan-hoc-tap"), clock.today()).figure
    assert 68_000 * scale <= figure.denominator <= 72_000 * scale
    assert figure.holders > 0
    units_figure = progress.progress(district, workflow("don-vi-hoc-tap"), clock.today()).figure
    assert units_figure.denominator == data["district"]["agencies_and_units"]
    assert units_figure.holders > 0


def test_demo_data_refuses_a_second_run_and_changes_nothing(runner, ctx):
    assert runner.invoke(args=["demo-data", "--password", "demo passphrase"]).exit_code == 0
    before = {m.__name__: count(m) for m in (Unit, User, Person, Nomination, Recognition,
                                             Denominator, ProgressDelta)}
    result = runner.invoke(args=["demo-data"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "init-db" in result.output  # tells what to do instead
    assert {m.__name__: count(m) for m in (Unit, User, Person, Nomination, Recognition,
                                           Denominator, ProgressDelta)} == before
    # The fixed password was given to every account.
    assert accounts.authenticate("admin-demo", "demo passphrase") is not None


def test_demo_data_refuses_when_a_demo_username_is_taken(runner, ctx):
    accounts.create_user(username="admin-demo", password="my own passphrase", role="admin")
    result = runner.invoke(args=["demo-data"])
    assert result.exit_code == 1
    assert "admin-demo" in result.output
    assert count(Unit) == 0
    assert accounts.authenticate("admin-demo", "my own passphrase") is not None


def test_demo_data_refuses_a_short_password_before_loading_anything(runner, ctx):
    result = runner.invoke(args=["demo-data", "--password", "short"])
    assert result.exit_code == 1
    assert "password:" in result.output
    assert count(Unit) == 0 and count(User) == 0


def test_commands_ask_for_init_db_when_the_schema_is_missing(tmp_path):
    empty = create_app({**TEST_CONFIG, "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}"})
    runner = empty.test_cli_runner()
    for args in (["demo-data"], ["check"], ["create-admin", "boss", "--password", "a long enough passphrase"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 1, args
        assert "init-db" in result.output
        assert "Traceback" not in result.output
    with empty.app_context():
        db.engine.dispose()


# -- check -----------------------------------------------------------------------------------------

def test_check_agrees_after_demo_data(runner, ctx):
    assert runner.invoke(args=["demo-data"]).exit_code == 0
    for args in (["check"], ["check", "--all-days"], ["check", "--as-of", "2025-06-01"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
        for title in TITLES:
            assert f"{title} " in result.output
        assert result.output.count(f"all {count(Unit)} units agree") == len(TITLES)


def _corrupt(unit: Unit, day: date) -> None:
    changed = db.session.execute(
        text("UPDATE progress_deltas SET delta = delta + 1 "
             "WHERE unit_id = :unit AND title_code = :title AND day = :day"),
        {"unit": unit.id, "title": "cong-dan-hoc-tap", "day": day})
    assert changed.rowcount == 1
    db.session.commit()


def test_check_reports_a_corrupted_counter_and_exits_1(runner, ctx):
    assert runner.invoke(args=["demo-data"]).exit_code == 0
    # A ward's counter row for the first day any of its recognitions counted.
    row = db.session.execute(
        select(ProgressDelta.unit_id, ProgressDelta.day).join(Unit, Unit.id == ProgressDelta.unit_id)
        .where(Unit.level == "commune", ProgressDelta.title_code == "cong-dan-hoc-tap",
               ProgressDelta.delta > 0)
        .order_by(ProgressDelta.day, ProgressDelta.unit_id)).first()
    ward = db.session.get(Unit, row.unit_id)
    _corrupt(ward, row.day)

    result = runner.invoke(args=["check"])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if ward.code in line]
    assert len(lines) == 1 and ward.name in lines[0]
    assert "381" not in result.output  # the district's own counters are still right
    assert "don-vi-hoc-tap" in result.output and "all 9 units agree" in result.output

    # The day before the corrupted row, both sides still agree.
    day_before = date.fromordinal(row.day.toordinal() - 1).isoformat()
    assert runner.invoke(args=["check", "--as-of", day_before]).exit_code == 0


def test_check_all_days_finds_a_difference_today_does_not_see(runner, ctx):
    assert runner.invoke(args=["demo-data"]).exit_code == 0
    # The row where this year's recognitions lapse lies in the future.
    row = db.session.execute(
        select(ProgressDelta.unit_id, ProgressDelta.day).join(Unit, Unit.id == ProgressDelta.unit_id)
        .where(Unit.level == "commune", ProgressDelta.title_code == "cong-dan-hoc-tap",
               ProgressDelta.day > clock.today())
        .order_by(ProgressDelta.day)).first()
    ward = db.session.get(Unit, row.unit_id)
    _corrupt(ward, row.day)

    assert runner.invoke(args=["check"]).exit_code == 0
    result = runner.invoke(args=["check", "--all-days"])
    assert result.exit_code == 1
    assert ward.code in result.output
    assert row.day.strftime("%d/%m/%Y") in result.output


def test_check_repair_rebuilds_drifted_counters(runner, ctx):
    assert runner.invoke(args=["demo-data"]).exit_code == 0
    row = db.session.execute(
        select(ProgressDelta.unit_id, ProgressDelta.day).join(Unit, Unit.id == ProgressDelta.unit_id)
        .where(Unit.level == "commune", ProgressDelta.title_code == "cong-dan-hoc-tap",
               ProgressDelta.delta > 0)
        .order_by(ProgressDelta.day, ProgressDelta.unit_id)).first()
    _corrupt(db.session.get(Unit, row.unit_id), row.day)
    assert runner.invoke(args=["check", "--all-days"]).exit_code == 1

    result = runner.invoke(args=["check", "--all-days", "--repair"])
    assert result.exit_code == 0, result.output
    assert "counters rebuilt" in result.output
    assert runner.invoke(args=["check", "--all-days"]).exit_code == 0
