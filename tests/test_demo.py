"""The default demo (issue 10, item 6): three years of history in which the wards reach 30–45 %
holders of "Công dân học tập" (read by the progress service and recounted from the recognitions),
a path that rises year by year, decisions never dated before their dossiers, every state of both
titles, the open year's dossiers waiting in the queues, and the accounts listed again on every
start (`flask demo-accounts`). Loaded at a small scale: the ratios do not depend on it."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from certify import clock
from certify.extensions import db
from certify.models import (Decision, Denominator, Household, Membership, Nomination, Person,
                            Recognition, Unit, User)
from certify.services import demo, deadlines, progress
from certify.workflow import workflows

PASSWORD = "demo passphrase"
SCALE = 0.02
# The issue's band for the wards' holders today.
LOW, HIGH = 0.30, 0.45


@pytest.fixture
def loaded(runner, ctx):
    result = runner.invoke(args=["demo-data", "--password", PASSWORD, "--scale", str(SCALE)])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return result


def citizen_title():
    return next(wf for wf in workflows().values() if wf.spec.subject == "person")


def unit_title():
    return next(wf for wf in workflows().values() if wf.spec.subject == "organization")


def town() -> Unit:
    return db.session.scalar(select(Unit).where(Unit.level == "district"))


def holders_from_rows(title_code: str, day: date) -> dict[int, int]:
    """Ward id → persons holding a recognition of the title valid on `day`, counted from the
    recognition rows (each person once, in the ward they live in)."""
    held = defaultdict(set)
    for rec, person_id, own_unit, household_unit in db.session.execute(
            select(Recognition, Person.id, Person.own_unit_id, Household.unit_id)
            .join(Nomination, Nomination.id == Recognition.nomination_id)
            .join(Person, Person.id == Nomination.person_id)
            .outerjoin(Household, Household.id == Person.household_id)
            .where(Recognition.title_code == title_code)):
        if rec.valid_on(day):
            held[own_unit or household_unit].add(person_id)
    return {unit_id: len(people) for unit_id, people in held.items()}


def test_the_wards_hold_30_to_45_percent_today_by_the_progress_service_and_by_a_recount(loaded):
    wf, today = citizen_title(), clock.today()
    figures = progress.progress(town(), wf, today)
    recounted = holders_from_rows(wf.code, today)
    band = demo.read_data()["history"]["holders_today"]
    assert len(figures.children) == len(demo.read_data()["communes"])
    for figure in figures.children:
        assert figure.holders == recounted.get(figure.unit.id, 0), figure.unit.name
        # The denominator is the ward's citizens at the demo's scale, as entered.
        entered = db.session.scalar(select(Denominator.value).where(
            Denominator.unit_id == figure.unit.id, Denominator.title_code == wf.code,
            Denominator.year == today.year))
        assert figure.denominator == entered
        assert LOW <= figure.ratio <= HIGH, (figure.unit.name, figure.ratio)
        # Drawn within the data file's band (one person either side: rounding at a small scale).
        assert band[0] - 1 / entered <= figure.ratio <= band[1] + 1 / entered, figure.unit.name
    assert LOW <= figures.figure.ratio <= HIGH
    assert figures.figure.holders == sum(f.holders for f in figures.children)
    # The counters agree with the product's own recount everywhere, for both titles.
    for title in workflows().values():
        assert progress.discrepancies(title.code, today) == [], title.code


def test_the_path_rises_year_by_year_to_today(loaded):
    wf, today = citizen_title(), clock.today()
    ends = sorted({date(n.year, 12, 31) for n in db.session.scalars(
        select(Nomination).where(Nomination.title_code == wf.code, Nomination.year < today.year))
        if date(n.year, 12, 31) < today})
    assert len(ends) >= 3, ends  # two to three years of history before the open one
    path = [progress.progress(town(), wf, day) for day in ends[-3:]]
    for earlier, later in zip(path, path[1:]):
        assert later.figure.ratio > earlier.figure.ratio, (earlier.as_of, later.as_of)
        for before, after in zip(earlier.children, later.children):
            assert after.ratio > before.ratio, (after.unit.name, earlier.as_of, later.as_of)
    # At each year's end the counters say what the recognition rows say.
    for figures in path:
        recounted = holders_from_rows(wf.code, figures.as_of)
        assert {f.unit.id: f.holders for f in figures.children} == {
            f.unit.id: recounted.get(f.unit.id, 0) for f in figures.children}
    # The path starts low and ends in the band: a believable climb, not a jump.
    assert path[0].figure.ratio < LOW <= path[-1].figure.ratio <= HIGH
    # Organizations ("Đơn vị học tập") are recognised in every one of those years too.
    units_wf = unit_title()
    decided_years = set(db.session.scalars(
        select(Nomination.year).join(Recognition, Recognition.nomination_id == Nomination.id)
        .where(Nomination.title_code == units_wf.code)))
    for end in ends[-3:]:  # a unit's year is decided in the next February
        assert end.year - 1 in decided_years, end
    assert progress.progress(town(), units_wf, today).figure.holders > 0


def test_every_decision_is_dated_on_or_after_its_dossiers_submission(loaded):
    zone = clock.zone()
    decisions = db.session.scalars(select(Decision)).all()
    assert len(decisions) >= 3 * len(demo.read_data()["communes"])  # a paper decision a ward a year
    checked = 0
    for decision in decisions:
        for rec in decision.recognitions:
            n = rec.nomination
            # Never before the evaluation year, nor after today.
            assert n.year <= decision.date.year and decision.date <= clock.today(), n.id
            if n.submitted_at is not None:
                assert decision.date >= n.submitted_at.astimezone(zone).date(), (
                    decision.number, n.receipt_code)
                checked += 1
    assert checked > 0  # the decisions taken through the workflow, not only paper ones


def test_every_state_of_both_titles_is_present_and_the_queues_have_work(loaded):
    for wf in workflows().values():
        states = set(db.session.scalars(
            select(Nomination.state).where(Nomination.title_code == wf.code)))
        assert states == set(wf.spec.states), wf.code
    wf = citizen_title()
    year = max(deadlines.fileable_years(wf.code))
    per_ward = Counter(db.session.execute(
        select(Nomination.unit_id, Nomination.state)
        .where(Nomination.title_code == wf.code, Nomination.year == year)).all())
    for ward in town().children:
        # Each ward's reviewer has submitted dossiers to review; the approver verified ones.
        assert per_ward[(ward.id, "submitted")] >= 1, ward.name
        assert per_ward[(ward.id, "verified")] >= 1, ward.name
    # The open year's dossiers were filed by the organizations for their members.
    filed_by = Counter(db.session.scalars(
        select(User.role).join(Nomination, Nomination.created_by_id == User.id)
        .where(Nomination.title_code == wf.code, Nomination.year == year)))
    assert filed_by["organization"] > 0
    # The organizations' were filed over the weeks before the deadline, on time, each reviewed
    # after its submission (the named households' are filed today, late once it has passed).
    open_year = db.session.scalars(select(Nomination).join(
        User, User.id == Nomination.created_by_id).where(
        Nomination.title_code == wf.code, Nomination.year == year, User.role == "organization",
        Nomination.submitted_at.is_not(None))).all()
    assert open_year and not any(deadlines.submitted_late(n) for n in open_year)
    for n in open_year:
        times = [entry.at for entry in sorted(n.history, key=lambda e: e.id)]
        assert times == sorted(times), n.receipt_code
        assert n.submitted_at <= clock.now()
    assert db.session.scalar(select(func.count()).select_from(Membership)) > 0


def test_the_scale_multiplies_citizens_and_people_together(runner, ctx):
    result = runner.invoke(args=["demo-data", "--password", PASSWORD, "--scale", "0.01"])
    assert result.exit_code == 0, result.output
    year = clock.today().year
    data = demo.read_data()
    entered = db.session.scalar(select(func.sum(Denominator.value)).where(
        Denominator.title_code == citizen_title().code, Denominator.year == year))
    growth = (1 + data["growth_per_year"]) ** (year - data["reference_year"])
    full = sum(c["citizens"] for c in data["communes"]) * growth
    assert abs(entered - full * 0.01) <= len(data["communes"])
    persons = db.session.scalar(select(func.count()).select_from(Person))
    assert entered * data["history"]["registered"] <= persons <= entered


@pytest.mark.parametrize("scale", ["0", "-1", "abc", "1000"])
def test_a_bad_scale_is_refused_and_loads_nothing(runner, ctx, scale):
    result = runner.invoke(args=["demo-data", "--scale", scale])
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert db.session.scalar(select(func.count()).select_from(Unit)) == 0


# -- the accounts on every start -------------------------------------------------------------------

def test_the_accounts_are_listed_again_on_a_second_start(runner, ctx, monkeypatch):
    first = runner.invoke(args=["demo-data", "--password", PASSWORD, "--scale", "0.01"])
    assert first.exit_code == 0, first.output
    # The second start: the data is already there, demo-data refuses and changes nothing…
    again = runner.invoke(args=["demo-data", "--password", PASSWORD, "--scale", "0.01"])
    assert again.exit_code == 1
    # …and the accounts are printed again, with the shared password and what to try.
    monkeypatch.setenv("CERTIFY_DEMO_PASSWORD", PASSWORD)
    listed = runner.invoke(args=["demo-accounts"])
    assert listed.exit_code == 0, listed.output
    users = db.session.scalars(select(User)).all()
    lines = {line.split()[0]: line for line in listed.output.splitlines() if line.strip()}
    for user in users:
        assert user.username in lines, user.username
        assert (user.unit.code if user.unit else "—") in lines[user.username]
    assert f"(shared password): {PASSWORD}" in listed.output
    assert "$argon2" not in listed.output
    assert "Không dùng mật khẩu chung" not in listed.output


def test_accounts_with_generated_passwords_say_so(runner, ctx, monkeypatch):
    monkeypatch.delenv("CERTIFY_DEMO_PASSWORD", raising=False)
    assert runner.invoke(args=["demo-data", "--scale", "0.01"]).exit_code == 0
    listed = runner.invoke(args=["demo-accounts"])
    assert listed.exit_code == 0, listed.output
    assert "shared password" not in listed.output and "$argon2" not in listed.output
    note = next(line for line in listed.output.splitlines() if "Không dùng mật khẩu chung" in line)
    assert all(u.username in note for u in db.session.scalars(select(User)))
    assert demo.DEFAULT_PASSWORD not in listed.output


def test_the_accounts_command_on_an_empty_database_says_what_to_do(runner, ctx):
    listed = runner.invoke(args=["demo-accounts"])
    assert listed.exit_code == 0
    assert "flask demo-data" in listed.output


def test_the_demo_script_prints_the_accounts_on_every_start():
    script = (Path(__file__).parent.parent / "scripts" / "demo.sh").read_text()
    load = script.index(".venv/bin/flask demo-data")
    listing = script.index(".venv/bin/flask demo-accounts")
    serve = script.index(".venv/bin/waitress-serve")
    # After loading (which may refuse: data already there) and before serving, unconditionally.
    assert load < listing < serve
    between = script[script.rindex("\nfi\n", load, listing):listing]
    assert "if " not in between and "exit" not in between
