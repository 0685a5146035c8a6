"""A decision over many nominations at once (issue 9): the engine's set-based path gives what
approving them one at a time gives — states, versions, history, recognitions and progress
counters — in a number of SQL statements that does not grow with the count, and racing writers
are answered 409 or 503, never 500. On SQLite and PostgreSQL alike (CERTIFY_TEST_DATABASE_URL).

Its speed is measured by benchmarks/decision.py, not here."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import func, select

from certify.database import begin_write
from certify.extensions import db
from certify.models import Decision, HistoryEntry, Nomination, ProgressDelta, Recognition
from certify.services import decisions, judging, nominations, progress
from certify.workflow import engine, meaning, workflow
from tests.factories import (CITIZEN, CITIZEN_PASS, nomination_in, one_item_decision, person,
                             submitted_before)
from tests.test_concurrency import THREADS, post, race, sign_in

EARLIER = date(2026, 2, 1)  # a recognition the subject already holds when the decision comes
DECIDED = date(2026, 11, 20)


def verified(household, reviewer, subject, year: int) -> Nomination:
    """A citizen's dossier submitted by `household` and verified by `reviewer`, through the engine."""
    spec = workflow(CITIZEN).spec
    n = nominations.create(household, title=CITIZEN, subject_id=subject.id, year=year,
                           self_assessment=dict(CITIZEN_PASS))
    engine.apply(n.id, meaning.submit_event(spec), household, n.version)
    score = next(e for e in meaning.assessment_events(spec) if spec.transition(e, "submitted"))
    engine.apply(n.id, score, reviewer, n.version,
                 engine.Payload(assessment=dict(CITIZEN_PASS)))
    db.session.refresh(n)
    return n


def ward_of_dossiers(household, reviewer, approver, tag: str) -> tuple[list[Nomination], Nomination]:
    """Three people of one household: the first already holds the title (approved alone on
    EARLIER) and has this year's dossier verified, the second has two years verified (both in one
    decision), the third one year. Returns the verified ones, in a fixed order, and the held one."""
    first, second, third = (person(household, f"{name} {tag}")
                            for name in ("Phạm Văn Một", "Lê Thị Hai", "Đỗ Văn Ba"))
    held = verified(household, reviewer, first, 2025)
    submitted_before(EARLIER, held)
    grant = meaning.grant_event(workflow(CITIZEN).spec)
    nominations.fire(approver, held.id, grant, version=held.version,
                     decision=one_item_decision(date=EARLIER.isoformat()))
    todo = [verified(household, reviewer, first, 2026), verified(household, reviewer, second, 2025),
            verified(household, reviewer, second, 2026), verified(household, reviewer, third, 2026)]
    submitted_before(DECIDED, *todo)
    return todo, held


def one_at_a_time(actor, number: str, ids: list[int]) -> None:
    """What issue_decision did before the set-based path: the same checks, then `engine.fire`
    on each nomination in turn, in one write transaction."""
    begin_write()
    rows = engine.lock_all(ids)
    decision = decisions.new(actor, {"number": number, "date": DECIDED, "signer": "Lê Văn Thắng",
                                     "signer_position": "tm_chu_tich", "place": None})
    db.session.add(decision)
    db.session.flush()
    progress.lock_subjects(rows.values())
    for nid in ids:
        spec = workflow(rows[nid].title_code).spec
        grant = next(e for e in meaning.grant_events(spec) if spec.transition(e, rows[nid].state))
        engine.fire(rows[nid], grant, actor, engine.Payload(decision=decision))
    db.session.commit()


def outcome_of(n: Nomination) -> tuple:
    """What a user sees of a decided dossier, apart from its ids and codes."""
    db.session.expire_all()
    n = db.session.get(Nomination, n.id)
    rec = n.recognition
    # Who fired the earlier events differs from ward to ward; the decision's is the approver's.
    return (n.state, n.version, n.is_open,
            [(h.event, h.from_state, h.to_state, h.comment) for h in n.history],
            n.history[-1].actor.role,
            (rec.title_code, rec.unit_id == n.unit_id, rec.valid_from, rec.valid_until, rec.grade,
             rec.level, rec.decision.number.split("/")[1], rec.revoked_on))


def counters(unit_id: int) -> list[tuple]:
    return sorted(db.session.execute(
        select(ProgressDelta.title_code, ProgressDelta.day, ProgressDelta.delta)
        .where(ProgressDelta.unit_id == unit_id)).all())


def test_a_decision_gives_what_approving_one_at_a_time_gives(world):
    """Two wards with the same people and dossiers: ward A decided the old way (engine.fire per
    dossier), ward B by issue_decision. Each dossier ends alike, and each ward's counters hold
    the same days; the district's are their sum and agree with a recount from the records."""
    slow, _ = ward_of_dossiers(world.household_a, world.reviewer_a, world.approver, "A")
    fast, _ = ward_of_dossiers(world.household_b, world.reviewer_b, world.approver, "B")
    before = {n.id: n.version for n in slow + fast}

    one_at_a_time(world.approver, "50/QĐ-UBND", [n.id for n in slow])
    decision = nominations.issue_decision(
        world.approver, number="51/QĐ-UBND", date_=DECIDED, signer="Lê Văn Thắng",
        signer_position="tm_chu_tich", nomination_ids=[n.id for n in fast])

    for a, b in zip(slow, fast):
        assert outcome_of(a) == outcome_of(b)
        assert outcome_of(b)[1] == before[b.id] + 1
    assert len(decision.recognitions) == len(fast)
    assert counters(world.ward_a.id) == counters(world.ward_b.id) != []
    days = [EARLIER, DECIDED - timedelta(days=1), DECIDED, date(2027, 1, 31), date(2027, 2, 1),
            date(2027, 11, 19), date(2027, 11, 20)]
    for day in days:
        assert progress.discrepancies(CITIZEN, day) == []
        held = progress.holders([world.ward_a.id, world.ward_b.id, world.district.id], CITIZEN, day)
        assert held[world.ward_a.id] == held[world.ward_b.id]
        assert held[world.district.id] == 2 * held[world.ward_a.id]
    # Each person counts once, however many of their dossiers the decision recognised.
    assert progress.holders([world.ward_b.id], CITIZEN, DECIDED)[world.ward_b.id] == 3


def test_a_decision_over_a_unit_grants_the_level_or_grade_of_its_rules(world):
    """A dossier whose outcome the records decide (a unit's title) is recognised at what
    judging.outcome says, through the set-based path as through a single approval."""
    org = nomination_in(world, "verified", title="don-vi-hoc-tap")
    citizen = nomination_in(world, "verified")
    submitted_before(DECIDED, org, citizen)
    expected = judging.outcome(org, on=DECIDED)
    nominations.issue_decision(world.approver, number="52/QĐ-UBND", date_=DECIDED,
                               signer="Lê Văn Thắng", signer_position="tm_chu_tich",
                               nomination_ids=[org.id, citizen.id])
    db.session.expire_all()
    rec = db.session.get(Nomination, org.id).recognition
    assert (rec.level, rec.grade) == (expected.level, expected.grade)
    assert progress.discrepancies("don-vi-hoc-tap", DECIDED) == []


def test_a_refusal_in_the_set_names_its_dossier_and_changes_nothing(world):
    ok = nomination_in(world, "verified")
    other = person(world.household_a, "Hoàng Văn Năm")
    late = nomination_in(world, "submitted", subject=other)
    submitted_before(DECIDED, ok, late)
    history = db.session.scalar(select(func.count()).select_from(HistoryEntry))
    from certify.errors import TransitionNotAllowed

    with pytest.raises(TransitionNotAllowed) as refused:
        nominations.issue_decision(world.approver, number="53/QĐ-UBND", date_=DECIDED,
                                   signer="Lê Văn Thắng", signer_position="tm_chu_tich",
                                   nomination_ids=[ok.id, late.id])
    assert refused.value.details["nomination_id"] == late.id
    db.session.expire_all()
    assert db.session.get(Nomination, ok.id).state == "verified"
    assert db.session.scalar(select(func.count()).select_from(HistoryEntry)) == history
    assert db.session.scalar(select(func.count()).select_from(Decision)) == 0


def many_verified(world, count: int, tag: str) -> list[int]:
    """`count` people of household A, each with a verified dossier submitted before DECIDED."""
    ns = [verified(world.household_a, world.reviewer_a,
                   person(world.household_a, f"Người {tag} {i}"), 2026) for i in range(count)]
    submitted_before(DECIDED, *ns)
    return [n.id for n in ns]


def statements_of(call) -> int:
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(statement)

    sa_event.listen(db.engine, "before_cursor_execute", record)
    try:
        call()
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", record)
    return len(seen)


def test_a_decisions_statements_do_not_grow_with_its_nominations(world):
    small = many_verified(world, 10, "nhỏ")
    large = many_verified(world, 200, "lớn")
    counts = []
    for number, ids in (("60/QĐ-UBND", small), ("61/QĐ-UBND", large)):
        db.session.commit()
        counts.append(statements_of(lambda: nominations.issue_decision(
            world.approver, number=number, date_=DECIDED, signer="Lê Văn Thắng",
            signer_position="tm_chu_tich", nomination_ids=ids)))
    assert counts[0] == counts[1], counts
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Recognition)) == 210
    assert progress.holders([world.ward_a.id], CITIZEN, DECIDED)[world.ward_a.id] == 210
    assert progress.discrepancies(CITIZEN, DECIDED) == []


def test_a_selection_past_the_databases_parameter_limits_is_answered(world):
    """PostgreSQL's protocol binds at most 65,535 values per statement (SQLite 32,766 unless built
    with more): a decision listing more dossiers than that is read in chunks and answered for what
    it lists (here: the first dossier that does not exist), never a database error."""
    from certify.errors import NotFound

    ids = many_verified(world, 3, "dài")
    unknown = max(ids) + 1
    listed = ids + list(range(unknown, unknown + 70_000))
    db.session.commit()
    with pytest.raises(NotFound) as refused:
        nominations.issue_decision(world.approver, number="62/QĐ-UBND", date_=DECIDED,
                                   signer="Lê Văn Thắng", signer_position="tm_chu_tich",
                                   nomination_ids=listed)
    assert refused.value.details == {"nomination_id": unknown}
    begin_write()
    assert sorted(engine.lock_all(listed)) == sorted(ids)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Decision)) == 0


@pytest.mark.slow
def test_a_decision_racing_events_on_its_nominations(app, world):
    """A decision over many dossiers while the approver fires events on one of them and the
    reviewer works on other dossiers: the contested dossier goes one way only (the other caller
    gets 409), the others' writers succeed or get 503 busy — never 500."""
    ids = many_verified(world, 40, "đua")
    contested = ids[17]
    spec = workflow(CITIZEN).spec
    refuse = next(e for e in meaning.comment_events(spec)
                  if any(t.role == "approver" for t in spec.transition(e, "verified")))
    others = [nomination_in(world, "submitted", subject=person(world.household_a, f"Khác {i}"))
              for i in range(THREADS - 2)]
    version = db.session.get(Nomination, contested).version
    approver, reviewer = sign_in(app, "approve"), sign_in(app, "review-a")
    calls = [post("/api/v1/decisions", approver,
                  {"number": "70/QĐ-UBND", "date": DECIDED.isoformat(), "signer": "Chủ tịch UBND",
                   "signer_position": "tm_chu_tich", "nomination_ids": ids}),
             post(f"/api/v1/nominations/{contested}/events", approver,
                  {"event": refuse, "version": version, "comment": "Không đạt"})]
    calls += [post(f"/api/v1/nominations/{n.id}/events", reviewer,
                   {"event": "return", "version": n.version, "comment": "Bổ sung"})
              for n in others]
    results = race(app, calls)
    assert not [r for r in results if isinstance(r, BaseException)], results
    (decided, body), (fired, fired_body) = results[0], results[1]
    assert sorted([decided, fired]) in ([201, 409], [200, 409]), results[:2]
    loser = body if decided == 409 else fired_body
    assert loser["error"]["code"] in ("stale", "transition_not_allowed"), loser
    for status, answer in results[2:]:
        assert status in (200, 503), answer
    db.session.expire_all()
    states = {nid: db.session.get(Nomination, nid).state for nid in ids}
    recognised = db.session.scalar(select(func.count()).select_from(Recognition))
    if decided == 201:
        assert set(states.values()) == {"approved"} and recognised == len(ids)
    else:  # all or nothing: the contested dossier was refused, nothing else changed
        assert states.pop(contested) == "rejected"
        assert set(states.values()) == {"verified"} and recognised == 0
    assert progress.discrepancies(CITIZEN, DECIDED) == []
    for n in others:
        history = db.session.get(Nomination, n.id).history
        assert [h.event for h in history].count("return") <= 1


def test_bulk_verify_and_return_statements_do_not_grow_with_the_selection(world):
    """The reviewer's bulk actions take the same set-based path."""
    def submitted(count: int, tag: str) -> list[int]:
        return [nomination_in(world, "submitted",
                              subject=person(world.household_a, f"Người {tag} {i}")).id
                for i in range(count)]

    for act in (lambda ids: nominations.bulk_verify(world.reviewer_a, ids),
                lambda ids: nominations.bulk_return(world.reviewer_a, ids, "Bổ sung minh chứng")):
        counts = []
        for ids in (submitted(5, "ít"), submitted(60, "nhiều")):
            db.session.commit()
            counts.append(statements_of(lambda: act(ids)))
        assert counts[0] == counts[1], counts
    db.session.expire_all()
    states = db.session.scalars(select(Nomination.state)).all()
    spec = workflow(CITIZEN).spec
    verified_state = spec.transition(meaning.procedure(spec)["score"], "submitted")[0].to
    returned_state = spec.transition(meaning.procedure(spec)["send_back"], "submitted")[0].to
    assert sorted(set(states)) == sorted({verified_state, returned_state})
    assert states.count(verified_state) == states.count(returned_state) == 65


@pytest.mark.slow
def test_writers_that_cannot_wait_for_a_decision_get_503_busy(app, world, database_url):
    """While a decision holds the write lock (SQLite) or its rows (PostgreSQL), writers of
    another worker that waits only briefly (busy_app, as in test_busy) either get through or get
    503 `busy` with nothing changed — never a 500 — and the decision succeeds."""
    from certify import create_app
    from tests.conftest import TEST_CONFIG, Client
    from tests.test_busy import LOCK_TIMEOUT

    impatient = create_app({**TEST_CONFIG, "DATABASE_URL": database_url,
                            "DATABASE_LOCK_TIMEOUT": LOCK_TIMEOUT})
    impatient.test_client_class = Client
    try:
        ids = many_verified(world, 150, "bận")
        others = [nomination_in(world, "submitted", subject=person(world.household_a, f"Chờ {i}"))
                  for i in range(3)]
        before = {n.id: n.version for n in others}
        approver, reviewer = sign_in(app, "approve"), sign_in(impatient, "review-a")
        decide = post("/api/v1/decisions", approver,
                      {"number": "80/QĐ-UBND", "date": DECIDED.isoformat(),
                       "signer": "Chủ tịch UBND", "signer_position": "tm_chu_tich",
                       "nomination_ids": ids})
        calls = [lambda client: decide(client)]
        for n in others:
            call = post(f"/api/v1/nominations/{n.id}/events", reviewer,
                        {"event": "return", "version": n.version, "comment": "Bổ sung"})
            calls.append(lambda _client, call=call: call(impatient.test_client()))
        results = race(app, calls)
        assert not [r for r in results if isinstance(r, BaseException)], results
        assert results[0][0] == 201, results[0]
        db.session.expire_all()
        for (status, body), n in zip(results[1:], others):
            assert status in (200, 503), body
            version = db.session.get(Nomination, n.id).version
            assert version == before[n.id] + (1 if status == 200 else 0)
            if status == 503:
                assert body["error"]["code"] == "busy"
    finally:
        with impatient.app_context():
            db.engine.dispose()
