"""An organization nominates its members for "Công dân học tập": the dossier goes to the member's
commune as a household's does; the filer edits it; one open dossier per person and year whoever
files it (household or organization)."""

from __future__ import annotations

from datetime import date

import pytest

from certify.services import members
from tests import factories as f
from tests.api_client import Api


@pytest.fixture
def api(client):
    return Api(client)


def _join(w, person, starts=date(2025, 1, 1), ends=None):
    return members.add(w.organization_user, w.organization.id,
                       {"person_id": None, "national_id": person.national_id, "role": "staff",
                        "from": starts, "until": ends})


def _create(api, account, person_id, year=2026):
    return api.post("/nominations", account, json={"title": f.CITIZEN, "subject_id": person_id,
                                                   "year": year})


def test_the_organization_files_for_a_member_and_the_members_ward_reviews_it(world, api):
    _join(world, world.person_a)  # lives in ward A (household A)
    r = _create(api, "truong", world.person_a.id)
    assert r.status_code == 201, r.get_json()
    n = r.get_json()
    assert n["unit_code"] == "16729"  # the person's commune, not the school's district
    r = api.call("PATCH", f"/nominations/{n['id']}", "truong",
                 json={"version": n["version"], "self_assessment": f.CITIZEN_PASS})
    assert r.status_code == 200
    n = r.get_json()
    assert "submit" in n["allowed_events"]
    n = api.post(f"/nominations/{n['id']}/events", "truong",
                 json={"event": "submit", "version": n["version"]}).get_json()
    assert n["state"] == "submitted"
    # Ward A's reviewer finds it in the queue and verifies it, as a household's dossier.
    queue = api.get("/nominations?state=submitted", "review-a").get_json()
    assert [item["id"] for item in queue["items"]] == [n["id"]]
    assert api.get(f"/nominations/{n['id']}", "review-b").status_code == 404
    r = api.post(f"/nominations/{n['id']}/events", "review-a",
                 json={"event": "verify", "version": n["version"],
                       "assessment": f.CITIZEN_PASS})
    assert r.status_code == 200 and r.get_json()["state"] == "verified"
    # The organization sees its members' dossiers among its own.
    listed = api.get("/nominations", "truong").get_json()
    assert [item["id"] for item in listed["items"]] == [n["id"]]


def test_the_household_reads_an_organization_filed_dossier_and_cannot_change_it(world, api):
    _join(world, world.person_a)
    n = _create(api, "truong", world.person_a.id).get_json()
    seen = api.get(f"/nominations/{n['id']}", "ho-a")
    assert seen.status_code == 200 and seen.get_json()["allowed_events"] == []
    r = api.call("PATCH", f"/nominations/{n['id']}", "ho-a",
                 json={"version": n["version"], "self_assessment": f.CITIZEN_PASS})
    assert r.status_code == 403
    r = api.post(f"/nominations/{n['id']}/events", "ho-a",
                 json={"event": "withdraw", "version": n["version"]})
    assert r.status_code == 403
    # ...and the organization withdraws it.
    r = api.post(f"/nominations/{n['id']}/events", "truong",
                 json={"event": "withdraw", "version": n["version"]})
    assert r.status_code == 200 and r.get_json()["state"] == "withdrawn"


@pytest.mark.parametrize("first, second, filer", [("ho-a", "truong", "household"),
                                                  ("truong", "ho-a", "organization")])
def test_one_open_dossier_per_person_and_year_whoever_files_it(world, api, first, second, filer):
    _join(world, world.person_a)
    assert _create(api, first, world.person_a.id).status_code == 201
    r = _create(api, second, world.person_a.id)
    assert r.status_code == 409
    error = r.get_json()["error"]
    assert error["code"] == "duplicate" and error["details"]["filed_by"] == filer
    assert ("hộ gia đình" if filer == "household" else "cơ quan, đơn vị") in error["message"]
    # Another year is another dossier.
    assert _create(api, second, world.person_a.id, year=2025).status_code == 201


def test_only_current_members_and_only_known_persons(world, api):
    # Not a member: the organization does not even know the person.
    assert _create(api, "truong", world.person_b.id).status_code == 404
    # A former member is known, but the organization no longer files for them.
    _join(world, world.person_b, starts=date(2020, 1, 1), ends=date(2024, 12, 31))
    r = _create(api, "truong", world.person_b.id)
    assert r.status_code == 403
