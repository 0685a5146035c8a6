"""Progress toward the targets (domain.md, "How progress is counted"): holders, denominators,
ratios and targets per unit — and, under a random mix of events, counters that always agree with
the recognitions themselves."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from certify.errors import CertifyError
from certify.extensions import db
from certify.models import Nomination, ProgressDelta, Recognition, Unit
from certify.services import nominations, people, progress
from certify.services import units as unit_service
from certify.workflow import engine, workflow
from tests.factories import (CITIZEN, CITIZEN_PASS, TT22_YEAR, UNIT_CODES, UNIT_TITLE, approval,
                             attach_documents, build_world, member_holding, person, unit_passing,
                             submitted_before, unit_rules, user)

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
LOW_CITIZEN = dict(CITIZEN_PASS, **{"1.1": 4})


def today() -> date:
    return datetime.now(ZONE).date()


def same_day_years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


class Subjects:
    """Who applies and who reviews for each subject of the test world."""

    def __init__(self, w):
        self.w = w
        self.applicant: dict[tuple[str, int], object] = {}

    def citizen(self, ward: str, name: str):
        household = self.w.household_a if ward == "a" else self.w.household_b
        p = person(household, name)
        self.applicant[(CITIZEN, p.id)] = household
        return p

    def organization(self, unit_code: str, name: str):
        org = people.create_organization(name=name, unit_code=unit_code, members_count=20)
        self.applicant[(UNIT_TITLE, org.id)] = user(f"org-{org.id}", "organization", unit_code,
                                                    organization_id=org.id)
        return org

    def reviewer(self, title: str, nomination: Nomination):
        if title == UNIT_TITLE:
            return self.w.district_reviewer
        return self.w.reviewer_a if nomination.unit_id == self.w.ward_a.id else self.w.reviewer_b


def drive(subjects: Subjects, title: str, subject, to: str, *, year: int | None = None,
          decided: date | None = None, number: str = "1/QĐ-UBND") -> Nomination:
    """Create a nomination for `subject` and take it to `verified`, `approved` or `revoked`.
    A unit's dossier is filed once its year has ended: its default year is TT 22/2020's last
    (points, no member share to build); a TT 24 year gets its documents and a member holding
    "Công dân học tập" in another ward."""
    if year is None:
        year = 2026 if title == CITIZEN else TT22_YEAR
    w = subjects.w
    applicant = subjects.applicant[(title, subject.id)]
    scores = dict(CITIZEN_PASS if title == CITIZEN else unit_passing(year))
    n = nominations.create(applicant, title=title, subject_id=subject.id, year=year,
                           self_assessment=scores)
    if title == UNIT_TITLE and unit_rules(year).by_levels:
        attach_documents(w, n)
        member_holding(w, year, organization=subject)
    engine.apply(n.id, "submit", applicant, n.version)
    engine.apply(n.id, "verify", subjects.reviewer(title, n), n.version,
                 engine.Payload(assessment=scores))
    if to in ("approved", "revoked"):
        if decided is None:
            engine.apply(n.id, "approve", w.approver, n.version, approval(w.approver))
        else:
            submitted_before(decided, n)
            nominations.issue_decision(w.approver, number=number, date_=decided,
                                       signer="Chủ tịch UBND", signer_position="tm_chu_tich",
                                       nomination_ids=[n.id])
    if to == "revoked":
        engine.apply(n.id, "revoke", w.approver, n.version, engine.Payload(comment="Sai sót"))
    db.session.refresh(n)
    assert n.state == to
    return n


@pytest.fixture
def subjects(world) -> Subjects:
    s = Subjects(world)
    s.applicant[(CITIZEN, world.person_a.id)] = world.household_a
    s.applicant[(CITIZEN, world.person_b.id)] = world.household_b
    s.applicant[(UNIT_TITLE, world.organization.id)] = world.organization_user
    return s


def figures(p: progress.Progress) -> dict:
    return {
        "unit": (p.figure.unit.code, p.figure.holders, p.figure.denominator, p.figure.ratio),
        "target": (p.target, p.target_year),
        "children": [(c.unit.code, c.holders, c.denominator, c.ratio) for c in p.children],
    }


def citizens(subjects, ward_a: int, ward_b: int):
    """Approve `ward_a` + `ward_b` citizens today (person_a and person_b among them)."""
    w = subjects.w
    people_a = [w.person_a] + [subjects.citizen("a", f"Công dân A{i}") for i in range(ward_a - 1)]
    people_b = [w.person_b] + [subjects.citizen("b", f"Công dân B{i}") for i in range(ward_b - 1)]
    for p in people_a[:ward_a] + people_b[:ward_b]:
        drive(subjects, CITIZEN, p, "approved")


# -- holders, denominators, ratios -------------------------------------------------------------------

def test_holders_and_ratios_per_unit_and_children(subjects):
    w = subjects.w
    citizens(subjects, 3, 1)
    year = today().year
    unit_service.set_denominators(w.ward_a, year, {CITIZEN: 100})
    unit_service.set_denominators(w.ward_b, year, {CITIZEN: 50})
    wf = workflow(CITIZEN)

    district = figures(progress.progress(w.district, wf, today()))
    # No figure entered for the district: the sum of its wards' figures.
    assert district["unit"] == ("381", 4, 150, pytest.approx(4 / 150))
    assert district["children"] == [("16729", 3, 100, pytest.approx(0.03)),
                                    ("16732", 1, 50, pytest.approx(0.02))]
    province = figures(progress.progress(w.province, wf, today()))
    assert province["unit"] == ("38", 4, 150, pytest.approx(4 / 150))  # recursively
    assert province["children"] == [("381", 4, 150, pytest.approx(4 / 150))]
    ward = figures(progress.progress(w.ward_a, wf, today()))
    assert ward["unit"] == ("16729", 3, 100, pytest.approx(0.03)) and ward["children"] == []
    # Nothing counted for the other title.
    assert progress.progress(w.district, workflow(UNIT_TITLE), today()).figure.holders == 0


def test_an_entered_figure_beats_the_childrens_sum(subjects):
    w = subjects.w
    citizens(subjects, 2, 0)
    year = today().year
    unit_service.set_denominators(w.ward_a, year, {CITIZEN: 100})
    unit_service.set_denominators(w.ward_b, year, {CITIZEN: 50})
    unit_service.set_denominators(w.district, year, {CITIZEN: 400})
    p = progress.progress(w.district, workflow(CITIZEN), today())
    assert (p.figure.holders, p.figure.denominator, p.figure.ratio) == (2, 400, 0.005)
    assert progress.progress(w.province, workflow(CITIZEN), today()).figure.denominator == 400


def test_only_the_children_with_figures_add_up(subjects):
    w = subjects.w
    citizens(subjects, 1, 1)
    unit_service.set_denominators(w.ward_a, today().year, {CITIZEN: 80})
    p = figures(progress.progress(w.district, workflow(CITIZEN), today()))
    assert p["unit"] == ("381", 2, 80, pytest.approx(2 / 80))
    assert p["children"] == [("16729", 1, 80, pytest.approx(1 / 80)), ("16732", 1, None, None)]


def test_ratio_is_none_for_a_zero_or_unknown_denominator(subjects):
    w = subjects.w
    citizens(subjects, 1, 1)
    p = figures(progress.progress(w.district, workflow(CITIZEN), today()))
    assert p["unit"] == ("381", 2, None, None)
    assert p["children"] == [("16729", 1, None, None), ("16732", 1, None, None)]
    unit_service.set_denominators(w.ward_a, today().year, {CITIZEN: 0})
    unit_service.set_denominators(w.ward_b, today().year, {CITIZEN: 0})
    p = figures(progress.progress(w.district, workflow(CITIZEN), today()))
    assert p["unit"] == ("381", 2, 0, None)
    assert p["children"] == [("16729", 1, 0, None), ("16732", 1, 0, None)]


def test_the_denominator_is_that_of_the_year_asked_for(subjects):
    w = subjects.w
    unit_service.set_denominators(w.ward_a, 2025, {CITIZEN: 90, UNIT_TITLE: 3})
    unit_service.set_denominators(w.ward_a, 2026, {CITIZEN: 120})
    wf = workflow(CITIZEN)
    assert progress.progress(w.ward_a, wf, date(2025, 12, 31)).figure.denominator == 90
    assert progress.progress(w.ward_a, wf, date(2026, 1, 1)).figure.denominator == 120
    assert progress.progress(w.ward_a, wf, date(2027, 6, 1)).figure.denominator is None
    units = workflow(UNIT_TITLE)
    assert progress.progress(w.ward_a, units, date(2025, 5, 1)).figure.denominator == 3
    assert progress.progress(w.ward_a, units, date(2026, 5, 1)).figure.denominator is None


@pytest.mark.parametrize("title, as_of, target", [
    (CITIZEN, date(2021, 1, 1), (0.40, 2025)),
    (CITIZEN, date(2024, 6, 1), (0.40, 2025)),
    (CITIZEN, date(2025, 12, 31), (0.40, 2025)),
    (CITIZEN, date(2026, 1, 1), (0.50, 2030)),
    (CITIZEN, date(2030, 12, 31), (0.50, 2030)),
    (CITIZEN, date(2031, 1, 1), (0.50, 2030)),  # past the last target year, the last holds
    (CITIZEN, date(2045, 7, 1), (0.50, 2030)),
    (UNIT_TITLE, date(2024, 1, 1), (0.50, 2030)),
    (UNIT_TITLE, date(2035, 1, 1), (0.50, 2030)),
])
def test_target_for_the_first_target_year_at_or_after_the_date(world, title, as_of, target):
    p = progress.progress(world.district, workflow(title), as_of)
    assert (p.target, p.target_year) == target


# -- validity: expiry and revocation -----------------------------------------------------------------

def holders_on(unit, title, day) -> int:
    return progress.progress(unit, workflow(title), day).figure.holders


@pytest.mark.parametrize("title, year, decided, last_day", [
    (CITIZEN, 2025, date(2025, 3, 1), date(2026, 2, 28)),
    # TT 22/2020 (as modelled): 3 years from the decision date.
    (UNIT_TITLE, TT22_YEAR, date(2024, 3, 1), date(2027, 2, 28)),
    # TT 24/2023: the 3 years following the year of recognition.
    (UNIT_TITLE, 2024, date(2025, 3, 1), date(2028, 12, 31)),
])
def test_a_recognition_counts_from_its_first_to_its_last_valid_day(subjects, title, year, decided,
                                                                    last_day):
    w = subjects.w
    subject = w.person_a if title == CITIZEN else w.organization
    drive(subjects, title, subject, "approved", year=year, decided=decided)
    for unit in (w.province, w.district):
        assert holders_on(unit, title, decided - timedelta(days=1)) == 0
        assert holders_on(unit, title, decided) == 1
        assert holders_on(unit, title, last_day) == 1
        assert holders_on(unit, title, last_day + timedelta(days=1)) == 0
    assert progress.discrepancies(title, last_day) == []
    assert progress.discrepancies(title, last_day + timedelta(days=1)) == []


def test_revocation_drops_the_holder_from_the_day_of_revocation(subjects):
    w = subjects.w
    decided = today() - timedelta(days=30)
    drive(subjects, CITIZEN, w.person_a, "approved", year=decided.year, decided=decided)
    drive(subjects, CITIZEN, w.person_b, "approved")
    yesterday = today() - timedelta(days=1)
    assert holders_on(w.district, CITIZEN, yesterday) == 1
    assert holders_on(w.district, CITIZEN, today()) == 2
    n = db.session.scalar(select(Nomination).where(Nomination.person_id == w.person_a.id))
    engine.apply(n.id, "revoke", w.approver, n.version, engine.Payload(comment="Khai sai"))
    assert holders_on(w.district, CITIZEN, decided) == 1  # the past stays as it was
    assert holders_on(w.district, CITIZEN, yesterday) == 1
    assert holders_on(w.district, CITIZEN, today()) == 1  # only person_b now
    assert holders_on(w.ward_a, CITIZEN, today()) == 0
    assert holders_on(w.ward_b, CITIZEN, today()) == 1
    assert holders_on(w.district, CITIZEN, today() + timedelta(days=200)) == 1
    for day in (yesterday, today(), decided):
        assert progress.discrepancies(CITIZEN, day) == []


@pytest.mark.parametrize("title", [CITIZEN, UNIT_TITLE])
def test_a_subject_holding_two_valid_recognitions_is_one_holder(subjects, title):
    """Holders are subjects (domain.md): a title recognised for 2024 and again for 2025, both
    still valid, counts its holder once."""
    w = subjects.w
    subject = w.person_a if title == CITIZEN else w.organization
    earlier = today() - timedelta(days=100)
    # Units on TT 22/2020 (validity from the decision: the later one outlasts the earlier).
    years = (2024, 2025) if title == CITIZEN else (TT22_YEAR - 1, TT22_YEAR)
    first = drive(subjects, title, subject, "approved", year=years[0], decided=earlier)
    second = drive(subjects, title, subject, "approved", year=years[1])
    first_until = first.recognition.valid_until
    assert first_until >= today()  # both valid today
    for unit in (w.province, w.district, w.ward_a if title == CITIZEN else w.district):
        assert holders_on(unit, title, earlier) == 1
        assert holders_on(unit, title, today()) == 1
        assert holders_on(unit, title, first_until + timedelta(days=1)) == 1
    assert progress.discrepancies(title, today()) == []
    # Revoking the later one leaves the earlier one holding, until it runs out.
    engine.apply(second.id, "revoke", w.approver, second.version,
                 engine.Payload(comment="Trùng hồ sơ"))
    assert holders_on(w.province, title, today()) == 1
    assert holders_on(w.province, title, first_until) == 1
    assert holders_on(w.province, title, first_until + timedelta(days=1)) == 0
    for day in (today(), first_until, first_until + timedelta(days=1)):
        assert progress.discrepancies(title, day) == []


def test_one_decision_approving_two_years_of_one_subject_counts_one_holder(subjects):
    w = subjects.w
    ids = [drive(subjects, CITIZEN, w.person_a, "verified", year=y).id for y in (2025, 2026)]
    decided = today() - timedelta(days=10)
    submitted_before(decided, *(db.session.get(Nomination, i) for i in ids))
    nominations.issue_decision(w.approver, number="3/QĐ-UBND", date_=decided,
                               signer="Chủ tịch UBND", signer_position="tm_chu_tich",
                               nomination_ids=ids)
    assert holders_on(w.ward_a, CITIZEN, decided) == 1
    assert holders_on(w.province, CITIZEN, today()) == 1
    assert progress.discrepancies(CITIZEN, today()) == []


def test_rebuild_recomputes_drifted_counters_from_the_recognitions(subjects):
    w = subjects.w
    drive(subjects, CITIZEN, w.person_a, "approved", year=2025,
          decided=today() - timedelta(days=100))
    drive(subjects, CITIZEN, w.person_a, "approved", year=2026)
    drive(subjects, CITIZEN, w.person_b, "revoked")
    drive(subjects, UNIT_TITLE, w.organization, "approved")
    expected = {day: progress.recount(CITIZEN, day)
                for day in (today() - timedelta(days=100), today(), today() + timedelta(days=300))}
    # Counters drifted, as in a database written before holders were counted per subject.
    db.session.execute(ProgressDelta.__table__.update()
                       .where(ProgressDelta.title_code == CITIZEN)
                       .values(delta=ProgressDelta.delta * 2))
    db.session.commit()
    assert progress.discrepancies(CITIZEN, today()) != []
    units_before = progress.holders([w.province.id], UNIT_TITLE, today())

    progress.rebuild(CITIZEN)
    for day, counts in expected.items():
        assert progress.discrepancies(CITIZEN, day) == []
        assert progress.holders(list(counts), CITIZEN, day) == counts
    assert progress.holders([w.province.id], CITIZEN, today())[w.province.id] == 1
    assert progress.holders([w.province.id], UNIT_TITLE, today()) == units_before  # untouched


def test_a_verified_or_rejected_nomination_is_no_holder(subjects):
    w = subjects.w
    drive(subjects, CITIZEN, w.person_a, "verified")
    drive(subjects, UNIT_TITLE, w.organization, "revoked")
    assert holders_on(w.province, CITIZEN, today()) == 0
    assert holders_on(w.province, UNIT_TITLE, today()) == 0


# -- property: counters always agree with the recognitions -------------------------------------------

ACTIONS = ["create", "submit", "return", "verify", "verify_low", "reject", "approve", "revoke",
           "withdraw", "decide"]
# The next step on the happy path from each state; random events alone seldom reach a recognition.
ADVANCE = {"draft": "submit", "returned": "submit", "submitted": "verify", "verified": "approve",
           "approved": "revoke"}
YEARS = [2025, 2026]
# Units' years judged on TT 22/2020's points: the machine scores them as it scores citizens.
UNIT_YEARS = [TT22_YEAR - 1, TT22_YEAR]
DECISION_DAYS = [date(2024, 12, 31), date(2025, 1, 15), date(2025, 2, 28), date(2025, 12, 31),
                 date(2026, 1, 1), date(2026, 3, 1)]


def decision_days() -> list[date]:
    """Fixed past days, and days after today (a decision dated ahead, revoked before it starts)."""
    return DECISION_DAYS + [today() + timedelta(days=20), today() + timedelta(days=400)]


def _empty_tables() -> None:
    db.session.remove()
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())


def _counted(recognition: Recognition, day: date) -> bool:
    last = recognition.valid_until
    if recognition.revoked_on is not None:
        last = min(last, recognition.revoked_on - timedelta(days=1))
    return recognition.valid_from <= day <= last


def _independent_holders(title: str, day: date) -> dict[int, int]:
    """Holders per unit subtree: the subjects holding a valid recognition, each counted once,
    walking parents from the subject's unit."""
    holding: dict[tuple, Unit] = {}
    for r in db.session.scalars(select(Recognition).where(Recognition.title_code == title)):
        if _counted(r, day):
            n = r.nomination
            holding[(n.person_id, n.organization_id)] = n.unit
    counts = {u.id: 0 for u in db.session.scalars(select(Unit))}
    for unit in holding.values():
        while unit is not None:
            counts[unit.id] += 1
            unit = unit.parent
    return counts


class Scenario:
    """Runs random operations; keeps its own record of what every recognition should be."""

    def __init__(self):
        self.world = w = build_world()
        self.s = Subjects(w)
        self.s.applicant[(CITIZEN, w.person_a.id)] = w.household_a
        self.s.applicant[(CITIZEN, w.person_b.id)] = w.household_b
        self.s.applicant[(UNIT_TITLE, w.organization.id)] = w.organization_user
        self.subjects = [
            (CITIZEN, w.person_a), (CITIZEN, w.person_b),
            (CITIZEN, self.s.citizen("a", "Hoàng Văn Em")),
            (CITIZEN, self.s.citizen("b", "Đỗ Thị Gấm")),
            (UNIT_TITLE, w.organization),
            (UNIT_TITLE, self.s.organization(w.ward_a.code, "Trường Mầm non Ba Đình")),
        ]
        self.current: dict[int, int] = {}  # subject index -> latest nomination id
        # nomination id -> [valid_from, valid_until, revoked_on], as the contract says it must be
        self.expected: dict[int, list] = {}
        self.decisions = 0

    def _grant(self, nid: int, title: str, start: date) -> None:
        years = 1 if title == CITIZEN else 3
        self.expected[nid] = [start, same_day_years_later(start, years) - timedelta(days=1), None]

    def run(self, index: int, action: str, choice: int) -> None:
        title, subject = self.subjects[index]
        w = self.world
        nid = self.current.get(index)
        n = db.session.get(Nomination, nid) if nid else None
        applicant = self.s.applicant[(title, subject.id)]
        scores = dict(CITIZEN_PASS if title == CITIZEN else UNIT_CODES)
        if action == "advance":
            action = ADVANCE.get(n.state, "create") if n is not None else "create"
            if action == "approve" and choice % 2:
                action = "decide"
            elif action == "revoke" and choice % 3:
                action = "create"  # mostly keep the title, and apply for another year
        try:
            if action == "create" or n is None:
                years = YEARS if title == CITIZEN else UNIT_YEARS
                created = nominations.create(applicant, title=title, subject_id=subject.id,
                                             year=years[choice % len(years)],
                                             self_assessment=scores)
                self.current[index] = created.id
                return
            reviewer = self.s.reviewer(title, n)
            if action == "decide":
                verified = db.session.scalars(select(Nomination.id).where(
                    Nomination.state == "verified", Nomination.title_code == title)
                    .order_by(Nomination.id)).all()
                self.decisions += 1
                days = decision_days()
                day = days[choice % len(days)]
                chosen = list(verified[: choice + 1]) or [n.id]
                submitted_before(day, *(db.session.get(Nomination, i) for i in chosen))
                nominations.issue_decision(w.approver, number=f"{self.decisions}/QĐ-UBND",
                                           date_=day, signer="Chủ tịch UBND",
                                           signer_position="tm_chu_tich", nomination_ids=chosen)
                for approved in verified[: choice + 1]:
                    self._grant(approved, title, day)
                return
            actor, payload = {
                "submit": (applicant, engine.Payload()),
                "withdraw": (applicant, engine.Payload()),
                "return": (reviewer, engine.Payload(comment="Bổ sung minh chứng")),
                "verify": (reviewer, engine.Payload(assessment=scores)),
                "verify_low": (reviewer, engine.Payload(
                    assessment=LOW_CITIZEN if title == CITIZEN else dict(scores, **{"3.1": 0,
                                                                                     "1.1": 0,
                                                                                     "1.2": 0,
                                                                                     "1.3": 0}))),
                "reject": (reviewer if n.state == "submitted" else w.approver,
                           engine.Payload(comment="Không đạt")),
                "approve": (w.approver, approval(w.approver)),
                "revoke": (w.approver, engine.Payload(comment="Thu hồi")),
            }[action]
            engine.apply(n.id, "verify" if action == "verify_low" else action, actor, n.version,
                         payload)
            if action == "approve":
                self._grant(n.id, title, today())
            elif action == "revoke":
                self.expected[n.id][2] = today()
        except CertifyError:
            db.session.rollback()

    def check(self) -> None:
        db.session.expire_all()
        recognitions = {r.nomination_id: r for r in db.session.scalars(select(Recognition))}
        assert {nid: [r.valid_from, r.valid_until, r.revoked_on]
                for nid, r in recognitions.items()} == self.expected
        days = {today(), today() - timedelta(days=1), date(2025, 6, 30), date(2027, 12, 31)}
        for start, until, revoked in self.expected.values():
            days |= {start - timedelta(days=1), start, until, until + timedelta(days=1)}
            if revoked is not None:
                days |= {revoked - timedelta(days=1), revoked}
        for title in (CITIZEN, UNIT_TITLE):
            for day in sorted(days):
                assert progress.discrepancies(title, day) == [], (title, day)
                mine = _independent_holders(title, day)
                assert progress.holders(list(mine), title, day) == mine, (title, day)
                top = progress.progress(self.world.province, workflow(title), day)
                assert top.figure.holders == mine[self.world.province.id]


@pytest.mark.slow
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 5), st.sampled_from(ACTIONS + ["advance"] * 30),
                          st.integers(0, 7)),
                min_size=20, max_size=60))
def test_counters_agree_with_recognitions_whatever_happens(ctx, operations):
    _empty_tables()  # the autouse clean-up runs once per test, not per example
    scenario = Scenario()
    for index, action, choice in operations:
        scenario.run(index, action, choice)
    scenario.check()
    event(f"recognitions: {len(scenario.expected)}, "
          f"revoked: {sum(1 for e in scenario.expected.values() if e[2])}")
