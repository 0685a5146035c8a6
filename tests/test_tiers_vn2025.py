"""The dated profile `vn-2025` (CERTIFY_PROFILE=vn-2025): tiers are those in force on the day of the
action — three tiers until 30 June 2025, two from 1 July 2025 (Law 72/2025/QH15, NQ 202/2025/QH15).
A dossier in flight on 30 June moves to the tier in force the next day."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
import time_machine

from certify import create_app, policy
from certify.errors import Forbidden
from certify.extensions import db
from certify.services import people
from certify.workflow import engine, workflow
from tests.conftest import TEST_CONFIG
from tests.factories import (CITIZEN, UNIT_TITLE, approval, build_world, nomination_in,
                             unit_passing, user)

REFORM = date(2025, 7, 1)
EVE = date(2025, 6, 30)


def on(day: date):
    """Noon UTC of `day` (evening in Việt Nam, the same calendar day)."""
    return time_machine.travel(datetime(day.year, day.month, day.day, 5, tzinfo=timezone.utc),
                               tick=False)


@pytest.fixture
def vn2025(app, database_url):
    other = create_app({**TEST_CONFIG, "DATABASE_URL": database_url, "PROFILE": "vn-2025"})
    with other.app_context():
        yield build_world()
        db.session.remove()
        db.engine.dispose()


def test_the_tiers_of_the_profile_change_on_the_day_of_the_reform(vn2025):
    citizen, unit = workflow(CITIZEN), workflow(UNIT_TITLE)
    assert citizen.profile_name == "vn-2025"
    before = {(wf.tier("reviewer", EVE), wf.tier("approver", EVE)) for wf in (citizen, unit)}
    assert before == {("commune", "district"), ("district", "district")}
    assert (citizen.tier("reviewer", REFORM), citizen.tier("approver", REFORM)) == \
        ("commune", "commune")
    # Units are routed by the organization's own level (tests/test_organization_level.py).
    assert unit.tier_levels("reviewer", REFORM) == unit.tier_levels("approver", REFORM) == \
        ["commune", "province"]


def test_a_citizen_dossier_in_flight_on_30_june_moves_to_the_commune(vn2025):
    w = vn2025
    commune_approver = user("approve-a", "approver", w.ward_a.code)
    with on(date(2025, 6, 20)):
        early = nomination_in(w, "verified", year=2024)
    with on(EVE):
        assert set(policy.allowed_events(w.approver, early)) == {"approve", "reject"}
        assert policy.allowed_events(commune_approver, early) == []
        with pytest.raises(Forbidden):
            engine.apply(early.id, "approve", commune_approver, early.version,
                         approval(commune_approver))
    with on(REFORM):
        assert policy.allowed_events(w.approver, early) == []
        with pytest.raises(Forbidden):
            engine.apply(early.id, "approve", w.approver, early.version, approval(w.approver))
        assert set(policy.allowed_events(commune_approver, early)) == {"approve", "reject"}
        engine.apply(early.id, "approve", commune_approver, early.version,
                     approval(commune_approver))
    db.session.expire_all()
    assert early.state == "approved" and early.history[-1].actor_id == commune_approver.id


def test_the_district_approves_on_30_june(vn2025):
    w = vn2025
    with on(date(2025, 6, 20)):
        n = nomination_in(w, "verified", year=2024)
    with on(EVE):
        engine.apply(n.id, "approve", w.approver, n.version, approval(w.approver))
    db.session.expire_all()
    assert n.state == "approved" and n.history[-1].actor_id == w.approver.id


def test_a_provincial_units_dossier_submitted_before_the_reform_is_reviewed_by_the_province(
        vn2025):
    w = vn2025
    people.set_organization_level(w.admin, w.organization.id, "province")
    province_reviewer = user("review-38", "reviewer", w.province.code)
    with on(date(2025, 6, 20)):
        n = nomination_in(w, "submitted", title=UNIT_TITLE, year=2024)
        assert set(policy.allowed_events(w.district_reviewer, n)) == {"return", "verify", "reject"}
        assert policy.allowed_events(province_reviewer, n) == []
    with on(REFORM):
        assert policy.allowed_events(w.district_reviewer, n) == []
        with pytest.raises(Forbidden):
            engine.apply(n.id, "verify", w.district_reviewer, n.version,
                         engine.Payload(assessment=dict(unit_passing(2024))))
        engine.apply(n.id, "verify", province_reviewer, n.version,
                     engine.Payload(assessment=dict(unit_passing(2024))))
    db.session.expire_all()
    assert n.state == "verified" and n.history[-1].actor_id == province_reviewer.id
