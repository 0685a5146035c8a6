"""Members of organizations through the API (api.md, Version 1.1 "Members of organizations"):
entering, ending and listing members, who may do it, and the reasons bad input is refused."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from certify.extensions import db
from certify.models import AuditEntry, Membership, Person
from certify.services import people
from tests import factories as f
from tests.api_client import Api


@pytest.fixture
def api(client):
    return Api(client)


@pytest.fixture
def ward_org(world):
    """A school in ward A, with its own account: ward A's reviewer reads its members."""
    org = people.create_organization(name="Trường Tiểu học Ba Đình", unit_code="16729",
                                     members_count=0)
    f.user("truong-tieu-hoc", "organization", "16729", organization_id=org.id)
    return org


NEW = {"national_id": "038200000001", "full_name": "Hoàng Văn Em", "birth_year": 1990,
       "gender": "male", "target_group": "staff_business", "unit_code": "16732", "role": "staff",
       "from": "2025-09-01"}


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def reasons(r) -> set[tuple[str, str]]:
    return {(d["field"], d["code"]) for d in r.get_json()["error"]["details"]}


def test_the_document_describes_the_members_operations(api):
    paths = api.spec["paths"]
    members_path = "/api/v1/organizations/{org_id}/members"
    assert set(paths[members_path]) >= {"get", "post"}
    assert "patch" in paths[members_path + "/{member_id}"]
    shape = api.spec["components"]["schemas"]["MemberOut"]
    assert {"from", "until", "role", "person", "current"} <= set(shape["properties"])


def test_the_organization_registers_a_new_person_who_lives_in_a_commune(world, api):
    org = world.organization.id
    r = api.post(f"/organizations/{org}/members", "truong", json=NEW)
    assert r.status_code == 201, r.get_json()
    member = r.get_json()
    assert member["role"] == "staff" and member["from"] == "2025-09-01" and member["until"] is None
    assert member["current"] is True
    person = member["person"]
    # Registered without a household, in the commune where they live (its committee reviews).
    assert person["household_id"] is None and person["unit_code"] == "16732"
    # Masked for the organization, whole for admins (as for persons).
    assert person["national_id"] == "********0001"
    listed = api.get(f"/organizations/{org}/members", "admin").get_json()
    assert listed["total"] == 1 and listed["items"][0]["person"]["national_id"] == "038200000001"
    # The audit trail names who added whom.
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.entity_type == "membership")).one()
    assert entry.action == "create" and entry.actor_name == "truong"
    assert "Hoàng Văn Em" in entry.entity_key and "038200000001" not in entry.entity_key


def test_a_known_number_links_the_same_person_in_two_organizations_and_their_household(
        world, ward_org, api):
    a = world.person_a  # registered by household A
    for org, account in ((world.organization.id, "truong"), (ward_org.id, "truong-tieu-hoc")):
        r = api.post(f"/organizations/{org}/members", account,
                     json={"national_id": a.national_id, "role": "learner",
                           "from": "2024-01-01"})
        assert r.status_code == 201, r.get_json()
        assert r.get_json()["person"]["id"] == a.id
    db.session.expire_all()
    assert _count(Person) == 2  # nobody registered twice
    person = db.session.get(Person, a.id)
    assert person.household_id == world.household_a.household_id
    assert {m.organization_id for m in person.memberships} == {world.organization.id, ward_org.id}
    # Its household still sees the whole number; the organizations see it masked.
    assert api.get(f"/persons/{a.id}", "ho-a").get_json()["national_id"] == a.national_id
    assert api.get(f"/persons/{a.id}", "truong").get_json()["national_id"].startswith("****")
    # An organization lists the persons it knows: its members.
    listed = api.get("/persons", "truong").get_json()
    assert [p["id"] for p in listed["items"]] == [a.id]


@pytest.mark.parametrize("change, expected", [
    ({"until": "2025-08-31"}, {("until", "before_start")}),
    ({"unit_code": "381"}, {("unit_code", "not_commune")}),
    ({"unit_code": "99999"}, {("unit_code", "unknown")}),
    ({"national_id": "03820000000"}, {("national_id", "format")}),
    ({"national_id": None}, {("national_id", "required")}),
    ({"person_id": 999999, "national_id": None}, {("person_id", "unknown")}),
    ({"person_id": 1}, {("person_id", "one_of")}),
    ({"role": "chairman"}, {("role", "not_allowed")}),
    ({"from": "31/12/2025"}, {("from", "format")}),
    ({"full_name": None, "birth_year": None}, {("full_name", "required"),
                                               ("birth_year", "required")}),
])
def test_bad_input_is_refused_with_its_reason_and_changes_nothing(world, api, change, expected):
    before = (_count(Person), _count(Membership))
    r = api.post(f"/organizations/{world.organization.id}/members", "truong",
                 json={**NEW, **change})
    assert r.status_code == 422, r.get_json()
    assert reasons(r) == expected
    assert r.get_json()["error"]["details"][0]["message"]
    assert (_count(Person), _count(Membership)) == before


def test_an_unknown_person_id_is_any_person_the_organization_does_not_know(world, api):
    # Person A exists, but is no member of the school: by id it is unknown to the school.
    r = api.post(f"/organizations/{world.organization.id}/members", "truong",
                 json={"person_id": world.person_a.id, "role": "staff", "from": "2025-01-01"})
    assert r.status_code == 422 and reasons(r) == {("person_id", "unknown")}
    # An admin may link anyone by id.
    r = api.post(f"/organizations/{world.organization.id}/members", "admin",
                 json={"person_id": world.person_a.id, "role": "staff", "from": "2025-01-01"})
    assert r.status_code == 201


def test_a_known_number_under_another_name_is_refused(world, api):
    r = api.post(f"/organizations/{world.organization.id}/members", "truong",
                 json={**NEW, "national_id": world.person_a.national_id,
                       "full_name": "Người Khác"})
    assert r.status_code == 422 and reasons(r) == {("full_name", "name_mismatch")}
    # The same name, diacritics aside, links them.
    r = api.post(f"/organizations/{world.organization.id}/members", "truong",
                 json={**NEW, "national_id": world.person_a.national_id,
                       "full_name": "nguyen van an"})
    assert r.status_code == 201


def test_the_same_role_on_overlapping_days_is_refused_another_role_or_later_is_not(world, api):
    path = f"/organizations/{world.organization.id}/members"
    first = api.post(path, "truong", json={**NEW, "until": "2025-12-31"}).get_json()
    again = {"person_id": first["person"]["id"], "role": "staff"}
    r = api.post(path, "truong", json={**again, "from": "2025-12-31"})
    assert r.status_code == 422 and reasons(r) == {("from", "overlap")}
    assert "01/09/2025" in r.get_json()["error"]["details"][0]["message"]
    assert api.post(path, "truong", json={**again, "from": "2026-01-01"}).status_code == 201
    assert api.post(path, "truong", json={**again, "role": "learner",
                                          "from": "2025-10-01"}).status_code == 201
    assert api.get(path, "truong").get_json()["total"] == 3


def test_ending_a_membership(world, api):
    path = f"/organizations/{world.organization.id}/members"
    member = api.post(path, "truong", json=NEW).get_json()
    r = api.call("PATCH", f"{path}/{member['id']}", "truong", json={"until": "2025-08-31"})
    assert r.status_code == 422 and reasons(r) == {("until", "before_start")}
    r = api.call("PATCH", f"{path}/{member['id']}", "truong", json={"until": "2026-01-31"})
    assert r.status_code == 200 and r.get_json()["until"] == "2026-01-31"
    assert db.session.get(Membership, member["id"]).ends_on == date(2026, 1, 31)
    # Another organization's member id is not found here.
    assert api.call("PATCH", f"/organizations/999/members/{member['id']}", "admin",
                    json={"until": "2026-01-31"}).status_code == 404


def test_the_list_is_paginated_searchable_and_filters_members_on_a_day(world, api):
    path = f"/organizations/{world.organization.id}/members"
    for i, (name, until) in enumerate((("Đặng Thị Hoa", None), ("Đỗ Văn Hùng", "2025-06-30"),
                                       ("Lý Thị Lan", None))):
        body = {**NEW, "national_id": f"03820000010{i}", "full_name": name, "from": "2025-01-01"}
        if until:
            body["until"] = until
        assert api.post(path, "truong", json=body).status_code == 201
    page = api.get(f"{path}?per_page=2", "truong").get_json()
    assert (page["total"], page["page"], page["per_page"], len(page["items"])) == (3, 1, 2, 2)
    assert [m["person"]["full_name"] for m in page["items"]] == ["Đặng Thị Hoa", "Đỗ Văn Hùng"]
    found = api.get(f"{path}?q=dang thi", "truong").get_json()
    assert [m["person"]["full_name"] for m in found["items"]] == ["Đặng Thị Hoa"]
    on = api.get(f"{path}?on=2025-12-31", "truong").get_json()
    assert {m["person"]["full_name"] for m in on["items"]} == {"Đặng Thị Hoa", "Lý Thị Lan"}
    assert api.get(f"{path}?on=yesterday", "truong").status_code == 400


def test_who_reads_and_who_writes(world, ward_org, api):
    path = f"/organizations/{ward_org.id}/members"
    assert api.post(path, "truong-tieu-hoc", json=NEW).status_code == 201
    # Ward A's reviewer and the district's approver read; they do not write.
    for reader in ("review-a", "approve", "review-district"):
        assert api.get(path, reader).get_json()["total"] == 1
        r = api.post(path, reader, json={**NEW, "national_id": "038200000009"})
        assert r.status_code == 403
    # Another ward's reviewer, households and other organizations: not found.
    for stranger in ("review-b", "ho-a", "truong"):
        assert api.get(path, stranger).status_code == 404
        assert api.post(path, stranger, json={**NEW, "national_id": "038200000009"}) \
            .status_code == 404
    assert _count(Membership) == 1
