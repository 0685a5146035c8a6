"""The staff lists issue 9 found missing or unfilterable: the organizations of a reviewer's or
approver's unit, the admin's organizations with search and pager, decisions filtered by year,
dates, number and unit; and the API's list of organization dossiers with their computed targets
worked out for the whole page. Each costs a fixed number of SQL statements per page."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from certify import clock
from certify.extensions import db
from certify.models import Membership, Nomination, Organization
from certify.services import judging, people
from certify.workflow import workflow

from .api_client import Api
from .factories import UNIT_TITLE, UNIT_YEAR, member_holding, person, unit_rules
from .test_queues import statements
from .web_support import Site, sign_in, text


@pytest.fixture
def site(app):
    return Site(app)


def _organization_dossiers(site, count: int, *, start: int = 0) -> list[int]:
    """`count` new organizations of ward A, each with a draft "Đơn vị học tập" dossier of
    UNIT_YEAR (the title's initial state, as `nominations.create` leaves it) and two members that
    year; the first one's members include a holder of the counted title."""
    def build(w):
        wf = workflow(UNIT_TITLE)
        rules = unit_rules(UNIT_YEAR)
        ids = []
        for i in range(start, start + count):
            org = people.create_organization(name=f"Trường Mầm non Số {i:03d}",
                                             unit_code=w.ward_a.code, members_count=2)
            for k, role in enumerate(("staff", "learner" if i % 2 else "staff")):
                p = person(w.household_a, f"Giáo viên {i:03d}-{k}")
                db.session.add(Membership(organization_id=org.id, person_id=p.id, role=role,
                                          starts_on=date(UNIT_YEAR, 1, 1)))
            if i == start:
                member_holding(w, UNIT_YEAR, organization=org)
            now = clock.now()
            n = Nomination(receipt_code=f"DVHT-{UNIT_YEAR}-T{i:05d}", title_code=UNIT_TITLE,
                           year=UNIT_YEAR, rule_version=rules.id, organization_id=org.id,
                           unit_id=org.unit_id, state=wf.spec.initial_state, is_open=True,
                           version=1, self_assessment={}, review_assessment={},
                           created_at=now, updated_at=now)
            db.session.add(n)
            db.session.commit()
            ids.append(n.id)
        return ids
    return site.run(build)


def _api_list_statements(app, api) -> tuple[int, dict]:
    with statements(app) as seen:
        response = api.get(f"/nominations?title={UNIT_TITLE}&per_page=200", "admin")
    assert response.status_code == 200
    return len(seen), response.get_json()


def test_organization_dossiers_computed_targets_cost_the_same_for_10_as_for_50(app, client,
                                                                                site):
    if not site.run(lambda _w: bool(unit_rules(UNIT_YEAR).computed_criteria)):
        pytest.skip("the unit title's version has no computed target")
    _organization_dossiers(site, 10)
    api = Api(client)
    api.get("/nominations?per_page=1", "admin")
    ten, first = _api_list_statements(app, api)
    assert first["total"] == 10
    _organization_dossiers(site, 40, start=10)
    fifty, second = _api_list_statements(app, api)
    assert second["total"] == 50
    assert ten == fifty, (ten, fifty)

    # And each row's figures are those the single dossier's page shows (judging.measured).
    def expected(_w):
        return {n.id: {code: m.as_dict() for code, m in judging.measured(n).items()}
                for n in db.session.scalars(select(Nomination).where(
                    Nomination.title_code == UNIT_TITLE))}
    want = site.run(expected)
    got = {item["id"]: item["computed"] for item in second["items"]}
    assert got == want
    assert any(c["numerator"] == 1 for item in got.values() for c in item.values())
