"""The workflow engine against the contract of api.md: every event, for every kind of actor, in every
state, for both titles — plus history, versions, guards, recognitions, scope and the tier profiles.

The expected outcome is computed from the small tables below, written from api.md ("The workflow
every title shares", "Roles and scope", the order of errors) and domain.md (the three-tier default:
the ward reviews citizens, the district approves them; the district reviews and approves units).
They deliberately do not ask the engine or the workflow files what should happen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from certify import create_app
from certify.errors import Forbidden, Invalid, NotFound, Stale, TransitionNotAllowed
from certify.extensions import db
from certify.models import Nomination, ProgressDelta, Recognition, User
from certify.services import nominations, people, progress
from certify.services import units as unit_service
from certify import policy
from certify.workflow import engine, workflow
from tests.conftest import TEST_CONFIG
from tests.factories import (CITIZEN, CITIZEN_PASS, UNIT_CODES, UNIT_TITLE, UNIT_YEAR, TT22_YEAR, approval, unit_passing,
                             build_world, nomination_in, person, submitted_before, user)

TITLES = [CITIZEN, UNIT_TITLE]
STATES = ["draft", "submitted", "returned", "verified", "approved", "rejected", "withdrawn",
          "revoked"]
EVENTS = ["submit", "withdraw", "return", "verify", "reject", "approve", "revoke"]
ACTORS = ["owner", "other_applicant", "ward_reviewer", "other_ward_reviewer", "district_reviewer",
          "approver", "admin"]

# api.md, "The workflow every title shares": event -> [(from states, to, role)].
TRANSITIONS = {
    "submit": [({"draft", "returned"}, "submitted", "applicant")],
    "withdraw": [({"draft", "returned", "submitted"}, "withdrawn", "applicant")],
    "return": [({"submitted"}, "returned", "reviewer")],
    "verify": [({"submitted"}, "verified", "reviewer")],
    "reject": [({"submitted"}, "rejected", "reviewer"), ({"verified"}, "rejected", "approver")],
    "approve": [({"verified"}, "approved", "approver")],
    "revoke": [({"approved"}, "revoked", "approver")],
}
# What each event needs in its payload besides permission ("needs" column).
NEEDS = {"submit": [], "withdraw": [], "return": ["comment"], "verify": ["assessment"],
         "reject": ["comment"], "revoke": ["comment"],
         "approve": ["decision.number", "decision.date", "decision.signer",
                     "decision.signer_position"]}

# The nomination of the test world lives in ward A (citizen) or in the district (unit).
# Who may see it (api.md, "Roles and scope"):
SEES = {
    CITIZEN: {"owner", "ward_reviewer", "district_reviewer", "approver", "admin"},
    UNIT_TITLE: {"owner", "district_reviewer", "approver", "admin"},
}
# Which workflow role each actor plays under the three-tier default (domain.md):
PLAYS = {
    CITIZEN: {"owner": "applicant", "ward_reviewer": "reviewer", "approver": "approver"},
    UNIT_TITLE: {"owner": "applicant", "district_reviewer": "reviewer", "approver": "approver"},
}
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


# A dossier never submitted — a draft, or one withdrawn as a draft (nomination_in's path) — has
# no receipt code and is its applicant's and the admins' alone (issue 10): officials get 404.
NEVER_SUBMITTED = {"draft", "withdrawn"}
OFFICIALS = {"ward_reviewer", "other_ward_reviewer", "district_reviewer", "approver"}


def sees(title: str, state: str, actor: str) -> bool:
    return actor in SEES[title] and not (state in NEVER_SUBMITTED and actor in OFFICIALS)


def expected(title: str, state: str, event: str, actor: str):
    """(error class, None) or (None, target state), in api.md's order: 404, 409, 403."""
    if not sees(title, state, actor):
        return NotFound, None
    options = [(to, role) for sources, to, role in TRANSITIONS[event] if state in sources]
    if not options:
        return TransitionNotAllowed, None
    for to, role in options:
        if PLAYS[title].get(actor) == role:
            return None, to
    return Forbidden, None


def today() -> date:
    return datetime.now(ZONE).date()


def same_day_years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def scores_for(title: str, year: int = UNIT_YEAR) -> dict:
    """A passing assessment under the rule version of `year`."""
    return dict(CITIZEN_PASS if title == CITIZEN else unit_passing(year))


def actor_of(w, title: str, kind: str):
    if kind == "owner":
        return w.household_a if title == CITIZEN else w.organization_user
    if kind == "other_applicant":
        if title == CITIZEN:  # a neighbour in the same ward: scope is the household, not the ward
            return user("ho-a-2", "household", w.ward_a.code)
        org = people.create_organization(name="Trường Tiểu học Lam Sơn", unit_code=w.district.code,
                                         members_count=25)
        return user("truong-2", "organization", w.district.code, organization_id=org.id)
    return {"ward_reviewer": w.reviewer_a, "other_ward_reviewer": w.reviewer_b,
            "district_reviewer": w.district_reviewer, "approver": w.approver,
            "admin": w.admin}[kind]


def full_payload(title: str, event: str, year: int = UNIT_YEAR) -> engine.Payload:
    decision = None
    if event == "approve":
        approver = db.session.scalar(select(User).where(User.username == "approve"))
        decision = approval(approver).decision
    return engine.Payload(comment=f"  Ghi chú: {event}  ",
                          assessment=scores_for(title, year) if event == "verify" else None,
                          decision=decision)


@dataclass(frozen=True)
class Snapshot:
    state: str
    version: int
    updated_at: datetime
    review_assessment: dict
    history: tuple
    recognition: tuple | None
    recognitions: int
    counters: tuple


def snapshot(nomination_id: int) -> Snapshot:
    """Everything an event may change, read afresh from the database."""
    db.session.expire_all()
    n = db.session.get(Nomination, nomination_id)
    r = n.recognition
    return Snapshot(
        state=n.state, version=n.version, updated_at=n.updated_at,
        review_assessment=dict(n.review_assessment or {}),
        history=tuple((h.event, h.from_state, h.to_state, h.actor_id, h.comment) for h in n.history),
        recognition=None if r is None else (r.id, r.code, r.valid_from, r.valid_until, r.grade,
                                            r.revoked_on, r.decision_id),
        recognitions=len(db.session.scalars(select(Recognition.id)).all()),
        counters=tuple(db.session.execute(
            select(ProgressDelta.unit_id, ProgressDelta.title_code, ProgressDelta.day,
                   ProgressDelta.delta).order_by(ProgressDelta.unit_id, ProgressDelta.title_code,
                                                 ProgressDelta.day)).all()),
    )


# -- every event, every actor, every state ---------------------------------------------------------

@pytest.mark.parametrize("actor_kind", ACTORS)
@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("title", TITLES)
def test_every_event_for_every_actor_in_every_state(world, subtests, title, state, actor_kind):
    actor = actor_of(world, title, actor_kind)
    # One nomination per event, each for another evaluation year of the same subject: the clock
    # moves past the last of those years, since a unit's dossier waits for its year to end.
    last = 2021 + len(EVENTS) - 1
    with time_machine.travel(datetime(last + 1, 1, 2, 3, 0, tzinfo=timezone.utc), tick=True):
        for i, event in enumerate(EVENTS):
            with subtests.test(event=event):
                n = nomination_in(world, state, title=title, year=2021 + i)
                check_event(n, title, state, event, actor_kind, actor)


def check_event(n, title, state, event, actor_kind, actor):
    error, target = expected(title, state, event, actor_kind)
    before = snapshot(n.id)

    # A stale version: outside the caller's scope still 404 (never leak existence), else 409 stale
    # before anything about the transition is said.
    with pytest.raises(NotFound if not sees(title, state, actor_kind) else Stale):
        engine.apply(n.id, event, actor, before.version + 1, full_payload(title, event, n.year))
    assert snapshot(n.id) == before

    if error is not None:
        # An empty payload as well: the guard (422) comes last, so the table's error must answer.
        for payload in (engine.Payload(), full_payload(title, event, n.year)):
            with pytest.raises(error):
                engine.apply(n.id, event, actor, before.version, payload)
            assert snapshot(n.id) == before
        return

    if NEEDS[event]:
        with pytest.raises(Invalid) as refused:
            engine.apply(n.id, event, actor, before.version, engine.Payload())
        assert [d["field"] for d in refused.value.details] == NEEDS[event]
        assert snapshot(n.id) == before

    engine.apply(n.id, event, actor, before.version, full_payload(title, event, n.year))
    after = snapshot(n.id)
    assert after.state == target
    assert after.version == before.version + 1
    assert after.updated_at >= before.updated_at
    assert after.history[:-1] == before.history
    assert after.history[-1] == (event, state, target, actor.id, f"Ghi chú: {event}")
    if event == "verify":
        assert after.review_assessment == scores_for(title, n.year)
    else:
        assert after.review_assessment == before.review_assessment
    if event == "approve":
        assert after.recognitions == before.recognitions + 1
        _, _, valid_from, valid_until, grade, revoked_on, decision_id = after.recognition
        assert valid_from == today()
        rules = workflow(title).rules_for_year(n.year)
        if rules.valid.counted_from == "end_of_decision_year":
            assert valid_until == date(today().year + rules.valid.years, 12, 31)
        else:
            assert valid_until == same_day_years_later(today(), rules.valid.years) \
                - timedelta(days=1)
        # TT 22's maximum (UNIT_CODES, 100) is "tot"; TT 24 has levels, no grade.
        assert grade == ("tot" if title == UNIT_TITLE and not rules.by_levels else None)
        assert revoked_on is None and decision_id is not None
        assert progress.holders([n.unit_id], title, today())[n.unit_id] >= 1
    elif event == "revoke":
        assert after.recognitions == before.recognitions
        assert after.recognition[:5] == before.recognition[:5]
        assert before.recognition[5] is None and after.recognition[5] == today()
    else:
        assert after.recognition == before.recognition
        assert after.counters == before.counters
    # The same subject may hold other recognitions here (one nomination per year): how the
    # counters move is test_progress's business; here they must agree with the records.
    assert progress.discrepancies(title, today()) == []


@pytest.mark.parametrize("actor_kind", ACTORS)
@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("title", TITLES)
def test_allowed_events_for_each_actor_and_state(world, title, state, actor_kind):
    n = nomination_in(world, state, title=title)
    actor = actor_of(world, title, actor_kind)
    wanted = {e for e in EVENTS if expected(title, state, e, actor_kind)[0] is None}
    assert set(policy.allowed_events(actor, n)) == wanted
    assert len(policy.allowed_events(actor, n)) == len(wanted)


def test_final_states_offer_nothing_to_anyone(world):
    for state in ("rejected", "withdrawn", "revoked"):
        for title in TITLES:
            subject = None
            if state == "revoked" and title == CITIZEN:
                subject = person(world.household_a, "Lê Văn Cường")
            n = nomination_in(world, state, title=title, subject=subject)
            for kind in ("owner", "ward_reviewer", "district_reviewer", "approver", "admin"):
                assert policy.allowed_events(actor_of(world, title, kind), n) == []


# -- guards ------------------------------------------------------------------------------------------

def test_verify_lists_every_low_indicator_and_the_total(world):
    n = nomination_in(world, "submitted")
    scores = dict(CITIZEN_PASS, **{"1.1": 4, "2.3": 3, "3.2": 0})  # 7 x 8 + 7 = 63
    before = snapshot(n.id)
    with pytest.raises(Invalid) as refused:
        engine.apply(n.id, "verify", world.reviewer_a, n.version,
                     engine.Payload(assessment=scores))
    details = refused.value.details
    assert [(d["field"], d["code"]) for d in details] == [
        ("assessment.1.1", "below_minimum"), ("assessment.2.3", "below_minimum"),
        ("assessment.3.2", "below_minimum"), ("assessment", "below_threshold")]
    assert details[-1]["total"] == 63 and details[-1]["threshold"] == 80
    assert snapshot(n.id) == before


def test_verify_with_a_high_total_still_fails_on_one_low_indicator(world):
    n = nomination_in(world, "submitted")
    scores = dict({c: 10 for c in CITIZEN_PASS}, **{"2.4": 4})
    with pytest.raises(Invalid) as refused:
        engine.apply(n.id, "verify", world.reviewer_a, n.version,
                     engine.Payload(assessment=scores))
    assert [(d["field"], d["code"]) for d in refused.value.details] == [
        ("assessment.2.4", "below_minimum")]


def test_verify_refuses_incomplete_and_malformed_scores_listing_each(world):
    n = nomination_in(world, "submitted")
    scores = dict(CITIZEN_PASS)
    del scores["1.4"]
    scores.update({"2.1": 11, "2.2": "8", "9.9": 5})
    before = snapshot(n.id)
    with pytest.raises(Invalid) as refused:
        engine.apply(n.id, "verify", world.reviewer_a, n.version,
                     engine.Payload(assessment=scores))
    found = {(d["field"], d["code"]) for d in refused.value.details}
    assert {("assessment.1.4", "missing"), ("assessment.2.1", "out_of_range"),
            ("assessment.2.2", "not_integer"), ("assessment.9.9", "unknown_criterion")} <= found
    assert snapshot(n.id) == before


def test_verify_of_a_unit_below_50_names_the_threshold(world):
    n = nomination_in(world, "submitted", title=UNIT_TITLE, year=TT22_YEAR)
    scores = dict(UNIT_CODES, **{"3.1": 0, "1.1": 9})  # 100 - 25 - 1 = 74
    engine.apply(n.id, "verify", world.district_reviewer, n.version,
                 engine.Payload(assessment=scores))
    assert snapshot(n.id).state == "verified"
    org = people.create_organization(name="UBND phường Ba Đình", unit_code="381", members_count=30)
    applicant = user("ubnd-ba-dinh", "organization", "381", organization_id=org.id)
    m = nominations.create(applicant, title=UNIT_TITLE, subject_id=org.id, year=TT22_YEAR,
                           self_assessment=dict(UNIT_CODES))
    engine.apply(m.id, "submit", applicant, m.version)
    low = {c: 0 for c in UNIT_CODES} | {"3.1": 25, "1.1": 10, "1.2": 10, "1.3": 4}  # 49
    with pytest.raises(Invalid) as refused:
        engine.apply(m.id, "verify", world.district_reviewer, m.version,
                     engine.Payload(assessment=low))
    assert [(d["field"], d["code"], d["total"]) for d in refused.value.details] == [
        ("assessment", "below_threshold", 49)]


def test_submit_needs_every_self_assessed_indicator(world):
    partial = dict(CITIZEN_PASS)
    del partial["1.2"], partial["3.1"]
    n = nominations.create(world.household_a, title=CITIZEN, subject_id=world.person_a.id,
                           year=2026, self_assessment=partial)
    before = snapshot(n.id)
    with pytest.raises(Invalid) as refused:
        engine.apply(n.id, "submit", world.household_a, n.version)
    assert [(d["field"], d["code"]) for d in refused.value.details] == [
        ("self_assessment.1.2", "missing"), ("self_assessment.3.1", "missing")]
    assert snapshot(n.id) == before


@pytest.mark.parametrize("comment", [None, "", "   \n\t"])
@pytest.mark.parametrize("state, event, kind", [
    ("submitted", "return", "ward_reviewer"), ("submitted", "reject", "ward_reviewer"),
    ("verified", "reject", "approver"), ("approved", "revoke", "approver")])
def test_a_blank_comment_is_no_comment(world, state, event, kind, comment):
    n = nomination_in(world, state)
    before = snapshot(n.id)
    with pytest.raises(Invalid) as refused:
        engine.apply(n.id, event, actor_of(world, CITIZEN, kind), n.version,
                     engine.Payload(comment=comment))
    assert [(d["field"], d["code"]) for d in refused.value.details] == [("comment", "required")]
    assert snapshot(n.id) == before


def test_unknown_event_is_not_allowed(world):
    n = nomination_in(world, "submitted")
    before = snapshot(n.id)
    for event in ("publish", "", "APPROVE", "__init__"):
        with pytest.raises(TransitionNotAllowed):
            engine.apply(n.id, event, world.reviewer_a, n.version)
    assert snapshot(n.id) == before


def test_missing_nomination_is_not_found(world):
    with pytest.raises(NotFound):
        engine.apply(10**6, "submit", world.household_a, 1)


# -- a full life, recognitions and decisions --------------------------------------------------------

def test_resubmission_after_return_keeps_the_whole_history(world):
    n = nomination_in(world, "returned")
    engine.apply(n.id, "submit", world.household_a, n.version)
    engine.apply(n.id, "verify", world.reviewer_a, n.version,
                 engine.Payload(assessment=dict(CITIZEN_PASS)))
    engine.apply(n.id, "approve", world.approver, n.version, approval(world.approver))
    s = snapshot(n.id)
    assert [(e, f, t) for e, f, t, _, _ in s.history] == [
        ("submit", "draft", "submitted"), ("return", "submitted", "returned"),
        ("submit", "returned", "submitted"), ("verify", "submitted", "verified"),
        ("approve", "verified", "approved")]
    assert [a for _, _, _, a, _ in s.history] == [
        world.household_a.id, world.reviewer_a.id, world.household_a.id, world.reviewer_a.id,
        world.approver.id]
    assert s.version == 6


@pytest.mark.parametrize("title, year, decided, until", [
    (CITIZEN, None, date(2026, 1, 10), date(2027, 1, 9)),
    # TT 22/2020 (as modelled): 3 years from the decision.
    (UNIT_TITLE, TT22_YEAR, date(2026, 1, 10), date(2029, 1, 9)),
    # TT 24/2023: kept for the 3 years following the year of recognition.
    (UNIT_TITLE, UNIT_YEAR, date(2026, 1, 10), date(2029, 12, 31)),
    (CITIZEN, None, date(2026, 3, 1), date(2027, 2, 28)),
])
def test_a_decision_dates_the_recognition_from_its_own_date(world, title, year, decided, until):
    n = nomination_in(world, "verified", title=title, year=year)
    submitted_before(decided, n)
    decision = nominations.issue_decision(world.approver, number="15/QĐ-UBND", date_=decided,
                                          signer="Chủ tịch UBND", signer_position="tm_chu_tich",
                                          nomination_ids=[n.id])
    s = snapshot(n.id)
    assert s.state == "approved"
    _, _, valid_from, valid_until, grade, revoked_on, decision_id = s.recognition
    assert (valid_from, valid_until, decision_id) == (decided, until, decision.id)
    assert grade == ("tot" if year == TT22_YEAR else None)
    assert s.history[-1][:4] == ("approve", "verified", "approved", world.approver.id)


@pytest.mark.parametrize("points, grade", [(50, "trung_binh"), (69, "trung_binh"), (70, "kha"),
                                           (84, "kha"), (85, "tot")])
def test_the_recognition_carries_the_grade_of_the_reviewers_total(world, points, grade):
    n = nomination_in(world, "submitted", title=UNIT_TITLE, year=TT22_YEAR)
    scores, left = {}, points
    for code, most in UNIT_CODES.items():
        scores[code] = min(most, left)
        left -= scores[code]
    engine.apply(n.id, "verify", world.district_reviewer, n.version,
                 engine.Payload(assessment=scores))
    engine.apply(n.id, "approve", world.approver, n.version, approval(world.approver))
    assert snapshot(n.id).recognition[4] == grade


def test_revoke_ends_the_recognition(world):
    n = nomination_in(world, "approved")
    recognition = n.recognition
    assert recognition.valid_on(today())
    engine.apply(n.id, "revoke", world.approver, n.version, engine.Payload(comment="Gian lận"))
    db.session.expire_all()
    recognition = db.session.get(Recognition, recognition.id)
    assert recognition.revoked_on == today()
    assert not recognition.valid_on(today())
    assert not recognition.valid_on(today() + timedelta(days=1))


def test_revoke_keeps_its_reason_on_the_recognition(world):
    n = nomination_in(world, "approved")
    nominations.fire(world.approver, n.id, "revoke", version=n.version,
                     comment="  Khai man minh chứng  ")
    db.session.expire_all()
    recognition = db.session.get(Nomination, n.id).recognition
    assert recognition.revoked_on == today()
    assert recognition.revoke_reason == "Khai man minh chứng"


def test_a_single_approval_may_cite_an_existing_decision(world):
    first = nomination_in(world, "verified")
    later = nomination_in(world, "verified", subject=person(world.household_a, "Vũ Thị Hoa"))
    decided = date(2026, 1, 12)
    submitted_before(decided, first, later)
    decision = nominations.issue_decision(world.approver, number="21/QĐ-UBND", date_=decided,
                                          signer="Chủ tịch UBND", signer_position="tm_chu_tich",
                                          nomination_ids=[first.id])
    nominations.fire(world.approver, later.id, "approve", version=later.version,
                     decision=decision.id)
    s = snapshot(later.id)
    assert s.state == "approved"
    assert s.recognition[2:4] == (decided, date(2027, 1, 11)) and s.recognition[6] == decision.id
    # Another district's approver cannot cite it: it does not exist for them.
    unit_service.create(code="382", name="Huyện Hà Trung", level="district", parent_code="38")
    elsewhere = user("approve-382", "approver", "382")
    third = nomination_in(world, "verified", subject=person(world.household_a, "Đỗ Văn Ba"))
    with pytest.raises(NotFound):
        nominations.fire(elsewhere, third.id, "approve", version=third.version,
                         decision=decision.id)


def test_a_decision_is_all_or_none(world):
    good = nomination_in(world, "verified")
    other = person(world.household_a, "Phạm Thị Dung", gender="female")
    pending = nomination_in(world, "submitted", subject=other)
    before = (snapshot(good.id), snapshot(pending.id))
    with pytest.raises(TransitionNotAllowed):
        nominations.issue_decision(world.approver, number="16/QĐ-UBND", date_=date(2026, 2, 1),
                                   signer="Chủ tịch UBND", nomination_ids=[good.id, pending.id])
    assert (snapshot(good.id), snapshot(pending.id)) == before
    with pytest.raises(NotFound):
        nominations.issue_decision(world.approver, number="16/QĐ-UBND", date_=date(2026, 2, 1),
                                   signer="Chủ tịch UBND", nomination_ids=[good.id, 10**6])
    assert snapshot(good.id) == before[0]
    with pytest.raises(Forbidden):
        nominations.issue_decision(world.reviewer_a, number="16/QĐ-UBND", date_=date(2026, 2, 1),
                                   signer="Chủ tịch UBND", nomination_ids=[good.id])
    assert snapshot(good.id) == before[0]


# -- scope isolation between two wards ---------------------------------------------------------------

def ward_b_nomination(w, state: str) -> Nomination:
    """A ward B citizen's nomination, driven by ward B's household and reviewer."""
    n = nominations.create(w.household_b, title=CITIZEN, subject_id=w.person_b.id, year=2026,
                           self_assessment=dict(CITIZEN_PASS))
    steps = {"draft": [], "submitted": [("submit", w.household_b, {})],
             "returned": [("submit", w.household_b, {}),
                          ("return", w.reviewer_b, {"comment": "Bổ sung"})],
             "verified": [("submit", w.household_b, {}),
                          ("verify", w.reviewer_b, {"assessment": dict(CITIZEN_PASS)})]}[state]
    for event, actor, payload in steps:
        engine.apply(n.id, event, actor, n.version, engine.Payload(**payload))
    return n


@pytest.mark.parametrize("state", ["returned", "submitted", "verified"])
def test_a_ward_reviewer_sees_nothing_of_the_other_ward(world, state):
    mine = nomination_in(world, state)
    theirs = ward_b_nomination(world, state)
    for reviewer, own, foreign, foreign_person in (
            (world.reviewer_a, mine, theirs, world.person_b),
            (world.reviewer_b, theirs, mine, world.person_a)):
        assert nominations.get(reviewer, own.id).id == own.id
        with pytest.raises(NotFound):
            nominations.get(reviewer, foreign.id)
        listed = nominations.search(reviewer)
        assert [n.id for n in listed.items] == [own.id] and listed.total == 1
        assert nominations.search(reviewer, unit=foreign.unit.code).total == 0
        assert nominations.search(reviewer, state=state, title=CITIZEN).total == 1
        with pytest.raises(NotFound):
            people.get_person(reviewer, foreign_person.id)
        seen = people.search_persons(reviewer)
        assert [p.id for p in seen.items] == [own.person_id] and seen.total == 1
        with pytest.raises(NotFound):
            unit_service.get_visible(reviewer, foreign.unit.code)
        before = snapshot(foreign.id)
        for event in EVENTS:
            for payload in (engine.Payload(), full_payload(CITIZEN, event)):
                with pytest.raises(NotFound):
                    nominations.fire(reviewer, foreign.id, event, version=before.version,
                                     comment=payload.comment, assessment=payload.assessment)
        assert snapshot(foreign.id) == before
    # The district above both wards sees both.
    assert nominations.search(world.approver).total == 2
    assert nominations.search(world.district_reviewer, title=CITIZEN).total == 2


def test_households_see_only_their_own_members_and_nominations(world):
    mine = nomination_in(world, "submitted")
    theirs = ward_b_nomination(world, "submitted")
    assert [n.id for n in nominations.search(world.household_a).items] == [mine.id]
    assert [n.id for n in nominations.search(world.household_b).items] == [theirs.id]
    with pytest.raises(NotFound):
        nominations.get(world.household_a, theirs.id)
    with pytest.raises(NotFound):
        people.get_person(world.household_a, world.person_b.id)
    neighbour = user("ho-a-2", "household", world.ward_a.code)
    assert nominations.search(neighbour).total == 0
    with pytest.raises(NotFound):
        people.get_person(neighbour, world.person_a.id)


def test_an_approver_cannot_decide_on_another_districts_nominations(world):
    n = nomination_in(world, "verified")
    unit_service.create(code="382", name="Huyện Hà Trung", level="district", parent_code="38")
    elsewhere = user("approve-382", "approver", "382")
    before = snapshot(n.id)
    with pytest.raises(NotFound):
        nominations.issue_decision(elsewhere, number="1/QĐ", date_=date(2026, 2, 1),
                                   signer="Chủ tịch", nomination_ids=[n.id])
    with pytest.raises(NotFound):
        engine.apply(n.id, "approve", elsewhere, n.version, approval(elsewhere))
    assert snapshot(n.id) == before
    assert nominations.search(elsewhere).total == 0


# -- the two-tier profile ----------------------------------------------------------------------------

@pytest.fixture
def two_tier(app, database_url):
    """The same database, run with PROFILE="two-tier" (after 1 July 2025: no district tier)."""
    other = create_app({**TEST_CONFIG, "DATABASE_URL": database_url, "PROFILE": "two-tier"})
    with other.app_context():
        yield build_world()
        db.session.remove()
        db.engine.dispose()


def test_two_tier_commune_approves_citizens(two_tier):
    w = two_tier
    commune_approver = user("approve-a", "approver", w.ward_a.code)
    n = nomination_in(w, "verified")
    assert set(policy.allowed_events(commune_approver, n)) == {"approve", "reject"}
    # The old district approver no longer has the tier for citizens.
    assert policy.allowed_events(w.approver, n) == []
    with pytest.raises(Forbidden):
        engine.apply(n.id, "approve", w.approver, n.version, approval(w.approver))
    engine.apply(n.id, "approve", commune_approver, n.version, approval(commune_approver))
    s = snapshot(n.id)
    assert s.state == "approved" and s.history[-1][3] == commune_approver.id
    # The other ward's approver does not even see it.
    other = user("approve-b", "approver", w.ward_b.code)
    with pytest.raises(NotFound):
        engine.apply(n.id, "revoke", other, s.version, engine.Payload(comment="x"))
    engine.apply(n.id, "revoke", commune_approver, s.version, engine.Payload(comment="Sai sót"))
    assert snapshot(n.id).state == "revoked"


def test_two_tier_province_reviews_and_approves_units(two_tier):
    w = two_tier
    province_reviewer = user("review-38", "reviewer", w.province.code)
    province_approver = user("approve-38", "approver", w.province.code)
    n = nominations.create(w.organization_user, title=UNIT_TITLE, subject_id=w.organization.id,
                           year=TT22_YEAR, self_assessment=dict(UNIT_CODES))
    engine.apply(n.id, "submit", w.organization_user, n.version)
    with pytest.raises(Forbidden):
        engine.apply(n.id, "verify", w.district_reviewer, n.version,
                     engine.Payload(assessment=dict(UNIT_CODES)))
    assert set(policy.allowed_events(province_reviewer, n)) == {"return", "verify", "reject"}
    engine.apply(n.id, "verify", province_reviewer, n.version,
                 engine.Payload(assessment=dict(UNIT_CODES)))
    with pytest.raises(Forbidden):
        engine.apply(n.id, "approve", w.approver, n.version, approval(w.approver))
    with pytest.raises(Forbidden):
        engine.apply(n.id, "approve", province_reviewer, n.version, approval(province_reviewer))
    engine.apply(n.id, "approve", province_approver, n.version, approval(province_approver))
    s = snapshot(n.id)
    assert s.state == "approved" and s.recognition[4] == "tot"
    assert [a for *_, a, _ in s.history] == [w.organization_user.id, province_reviewer.id,
                                            province_approver.id]


def test_two_tier_citizen_review_stays_with_the_ward(two_tier):
    w = two_tier
    n = nomination_in(w, "submitted")
    with pytest.raises(Forbidden):
        engine.apply(n.id, "verify", w.district_reviewer, n.version,
                     engine.Payload(assessment=dict(CITIZEN_PASS)))
    engine.apply(n.id, "verify", w.reviewer_a, n.version,
                 engine.Payload(assessment=dict(CITIZEN_PASS)))
    assert snapshot(n.id).state == "verified"


# -- dates are calendar dates in CERTIFY_TIMEZONE ------------------------------------------------

@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Etc/GMT+12"])
def test_an_approval_is_dated_in_the_configured_time_zone(app, database_url, zone):
    """UTC+14 and UTC-12 are 26 hours apart: their calendar dates always differ, so the
    recognition's first day tells which zone the engine used."""
    zoned = create_app({**TEST_CONFIG, "DATABASE_URL": database_url, "TIMEZONE": zone})
    with zoned.app_context():
        try:
            w = build_world()
            n = nomination_in(w, "approved")
            expected_day = datetime.now(ZoneInfo(zone)).date()
            assert n.recognition.valid_from == expected_day
            assert n.recognition.valid_until == \
                same_day_years_later(expected_day, 1) - timedelta(days=1)
        finally:
            db.session.remove()
            db.engine.dispose()


@pytest.mark.parametrize("event, payload", [
    ("approve", {}), ("reject", {"comment": "Không đạt"})])
def test_the_approver_cannot_rewrite_the_reviewers_scores(world, event, payload):
    """The reviewer scores (verify); an assessment sent along with the approver's event must not
    replace those scores — nor the grade the recognition records."""
    n = nomination_in(world, "verified", title=UNIT_TITLE, year=TT22_YEAR)
    zeros = {code: 0 for code in UNIT_CODES}
    if event == "approve":
        payload = {"decision": approval(world.approver).decision}
    engine.apply(n.id, event, world.approver, n.version,
                 engine.Payload(assessment=zeros, **payload))
    s = snapshot(n.id)
    assert s.state == TARGET_OF[event]
    assert s.review_assessment == UNIT_CODES
    if event == "approve":
        assert s.recognition[4] == "tot"


TARGET_OF = {"approve": "approved", "reject": "rejected"}
