"""The v1 HTTP contract (shared/spec/api.md), driven the way an outside client drives it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from openapi_spec_validator import validate

from certify import clock
from tests.api_client import Api
from tests.factories import (CITIZEN, CITIZEN_PASS, PASSWORD, TT22_YEAR, UNIT_CODES, UNIT_TITLE, nomination_in,
                             one_item_decision)


@pytest.fixture
def api(client):
    return Api(client)


def error_code(r):
    return r.get_json()["error"]["code"]


def test_openapi_document_is_valid_3_1_and_lists_every_operation(api):
    spec = api.spec
    assert spec["openapi"] == "3.1.0"
    validate(spec)
    for path in ("/api/v1/auth/token", "/api/v1/units", "/api/v1/units/{code}",
                 "/api/v1/units/{code}/denominators/{year}", "/api/v1/users",
                 "/api/v1/organizations", "/api/v1/persons", "/api/v1/persons/{person_id}",
                 "/api/v1/titles", "/api/v1/nominations", "/api/v1/nominations/{nomination_id}",
                 "/api/v1/nominations/{nomination_id}/events", "/api/v1/decisions",
                 "/api/v1/progress", "/api/v1/public/dossiers/{receipt_code}",
                 "/api/v1/public/recognitions/{code}"):
        assert path in spec["paths"], path


def test_a_client_builds_a_jurisdiction_and_takes_a_citizen_and_a_unit_through_the_workflow(
        app, api):
    """Everything through the API alone, starting from one admin account."""
    from certify.services import accounts

    with app.app_context():
        accounts.create_user(username="root", password=PASSWORD, role="admin")
    admin = "root"
    for body in ({"code": "38", "name": "Thanh Hóa", "level": "province", "parent_code": None},
                 {"code": "381", "name": "Thị xã Bỉm Sơn", "level": "district", "parent_code": "38"},
                 {"code": "16729", "name": "Phường Ba Đình", "level": "commune",
                  "parent_code": "381"}):
        r = api.post("/units", admin, json=body)
        assert r.status_code == 201, r.get_json()
    r = api.get("/units/381", admin)
    assert r.get_json() == {"code": "381", "name": "Thị xã Bỉm Sơn", "level": "district",
                            "parent_code": "38", "children": ["16729"],
                            "valid_from": "1900-01-01", "valid_until": None,
                            "predecessors": [], "successors": []}
    year = clock_year(app)
    r = api.call("PUT", f"/units/16729/denominators/{year}", admin, json={CITIZEN: 10})
    assert r.status_code == 200 and r.get_json()["denominators"] == {CITIZEN: 10}
    r = api.call("PUT", f"/units/381/denominators/{year}", admin, json={UNIT_TITLE: 4})
    assert r.status_code == 200
    r = api.post("/organizations", admin,
                 json={"name": "Trường THCS Ba Đình", "unit_code": "381", "members_count": 30})
    assert r.status_code == 201
    org_id = r.get_json()["id"]
    for user in ({"username": "ho1", "role": "household", "unit_code": "16729"},
                 {"username": "ward", "role": "reviewer", "unit_code": "16729"},
                 {"username": "phong-gd", "role": "reviewer", "unit_code": "381"},
                 {"username": "ubnd", "role": "approver", "unit_code": "381"},
                 {"username": "truong", "role": "organization", "unit_code": "381",
                  "organization_id": org_id}):
        r = api.post("/users", admin, json={**user, "password": PASSWORD,
                                            "display_name": user["username"]})
        assert r.status_code == 201, r.get_json()
        assert "password" not in r.get_json() and "password_hash" not in r.get_json()

    r = api.post("/persons", "ho1", json={"full_name": "Nguyễn Văn An", "national_id": "038123456789",
                                          "birth_year": 1980, "gender": "male",
                                          "target_group": "worker"})
    assert r.status_code == 201
    person = r.get_json()
    assert person["national_id"] == "038123456789"  # the household sees it whole
    assert api.get(f"/persons/{person['id']}", "ward").get_json()["national_id"] == "********6789"

    # The citizen: draft → submitted → returned → submitted → verified → approved → revoked.
    r = api.post("/nominations", "ho1", json={"title": CITIZEN, "subject_id": person["id"],
                                              "year": year, "self_assessment": {"1.1": 8}})
    assert r.status_code == 201
    n = r.get_json()
    assert n["state"] == "draft" and n["allowed_events"] == ["submit", "withdraw"]
    r = api.post(f"/nominations/{n['id']}/events", "ho1", json={"event": "submit",
                                                                 "version": n["version"]})
    assert r.status_code == 422  # the self-assessment is incomplete
    assert {d["field"] for d in r.get_json()["error"]["details"]} == \
        {f"self_assessment.{c}" for c in CITIZEN_PASS if c != "1.1"}
    r = api.call("PATCH", f"/nominations/{n['id']}", "ho1",
                 json={"version": n["version"], "self_assessment": CITIZEN_PASS})
    n = r.get_json()
    assert r.status_code == 200 and n["self_total"] == 80
    n = fire(api, "ho1", n, "submit")
    assert n["state"] == "submitted"
    n = fire(api, "ward", n, "return", comment="Bổ sung minh chứng 2.2")
    assert n["state"] == "returned" and n["history"][-1]["comment"] == "Bổ sung minh chứng 2.2"
    n = fire(api, "ho1", n, "submit")
    n = fire(api, "ward", n, "verify", assessment=CITIZEN_PASS)
    assert n["state"] == "verified" and n["review_total"] == 80
    n = fire(api, "ubnd", n, "approve",
             decision=one_item_decision(date=clock_today(app).isoformat()))
    assert n["state"] == "approved"
    rec = n["recognition"]
    today = clock_today(app)
    assert rec["valid_from"] == today.isoformat()
    assert rec["valid_until"] == (today.replace(year=today.year + 1) - timedelta(days=1)).isoformat()
    assert rec["grade"] is None
    assert [h["event"] for h in n["history"]] == ["submit", "return", "submit", "verify", "approve"]

    r = api.get(f"/progress?title={CITIZEN}&unit=381", "ubnd")
    body = r.get_json()
    assert (body["holders"], body["denominator"], body["ratio"]) == (1, 10, 0.1)
    needed = round(body["target"] * 10) - 1  # the workflow file's target of 10 people, less 1
    assert body["gap"] == needed and body["target_source"]
    assert body["children"] == [{"unit": "16729", "name": "Phường Ba Đình", "holders": 1,
                                 "denominator": 10, "ratio": 0.1, "gap": needed}]
    r = api.get(f"/public/recognitions/{rec['code']}")
    assert r.get_json() == {"valid": True, "title": CITIZEN, "holder": "N.V.A.",
                            "valid_until": rec["valid_until"]}
    r = api.get(f"/public/dossiers/{n['receipt_code']}")
    assert r.get_json()["state"] == "approved" and "Nguyễn" not in r.get_data(as_text=True)

    n = fire(api, "ubnd", n, "revoke", comment="Hồ sơ kê khai sai")
    assert n["state"] == "revoked"
    assert api.get(f"/public/recognitions/{rec['code']}").get_json()["valid"] is False
    assert api.get(f"/progress?title={CITIZEN}&unit=381", "ubnd").get_json()["holders"] == 0

    # The unit: through a recognition decision, graded (a year judged on TT 22/2020's points).
    # Its dossier of this year cannot be submitted before the year ends; an earlier year's can.
    r = api.post("/nominations", "truong", json={"title": UNIT_TITLE, "subject_id": org_id,
                                                 "year": year})
    early = r.get_json()
    r = api.post(f"/nominations/{early['id']}/events", "truong",
                 json={"event": "submit", "version": early["version"]})
    assert r.status_code == 422 and r.get_json()["error"]["details"][0]["code"] == "not_open"
    r = api.post("/nominations", "truong", json={"title": UNIT_TITLE, "subject_id": org_id,
                                                 "year": TT22_YEAR, "self_assessment": UNIT_CODES})
    u = r.get_json()
    assert u["rule_version"] == "tt22-2020"
    u = fire(api, "truong", u, "submit")
    low = {**UNIT_CODES, "3.1": 10}  # 85 - 15 = 85? no: 100 - 15 = 85 → "tot"
    u = fire(api, "phong-gd", u, "verify", assessment=low)
    r = api.post("/decisions", "ubnd", json={"number": "15/QĐ-UBND", "date": today.isoformat(),
                                             "signer": "Lê Văn Thắng", "signer_position": "tm_chu_tich",
                                             "nomination_ids": [u["id"]]})
    assert r.status_code == 201 and r.get_json()["approved"] == 1
    u = api.get(f"/nominations/{u['id']}", "ubnd").get_json()
    assert u["state"] == "approved" and u["recognition"]["grade"] == "tot"
    assert u["recognition"]["valid_from"] == today.isoformat()
    assert u["recognition"]["valid_until"] == (
        today.replace(year=today.year + 3) - timedelta(days=1)).isoformat()
    assert u["recognition"]["decision"]["number"] == "15/QĐ-UBND"


def clock_today(app) -> date:
    with app.app_context():
        return clock.today()


def clock_year(app) -> int:
    return clock_today(app).year


def fire(api, who, n, event, **extra):
    r = api.post(f"/nominations/{n['id']}/events", who,
                 json={"event": event, "version": n["version"], **extra})
    assert r.status_code == 200, r.get_json()
    return r.get_json()


# -- the error table ------------------------------------------------------------------------------

def test_400_when_the_body_is_not_json_or_a_field_has_the_wrong_type(world, api):
    r = api.post("/nominations", "ho-a", data="not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and error_code(r) == "bad_request"
    r = api.post("/nominations", "ho-a", json=["a", "list"])
    assert r.status_code == 400
    r = api.post("/nominations", "ho-a", json={"title": CITIZEN, "subject_id": "one", "year": 2026})
    assert r.status_code == 400
    assert r.get_json()["error"]["details"][0]["field"] == "subject_id"
    r = api.post("/nominations", "ho-a", json={"title": CITIZEN, "subject_id": world.person_a.id,
                                                 "year": 2026, "self_assessment": {"1.1": "8"}})
    assert r.status_code == 400
    assert api.get("/nominations?page=two", "ho-a").status_code == 400
    assert api.get(f"/progress?title={CITIZEN}&as_of=yesterday", "approve").status_code == 400


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer nonsense", "Basic abc"])
def test_401_without_valid_credentials(world, api, header):
    headers = {"Authorization": header} if header else {}
    r = api.get("/titles", headers=headers)
    assert r.status_code == 401 and error_code(r) == "unauthorized"


def test_401_for_a_wrong_password_and_no_password_material_returned(world, api):
    r = api.post("/auth/token", json={"username": "ho-a", "password": "wrong password"})
    assert r.status_code == 401
    r = api.post("/auth/token", json={"username": "ho-a", "password": PASSWORD})
    assert r.status_code == 200
    assert "password" not in str(r.get_json()["user"])


def test_tokens_can_be_revoked_and_expire(app, world, api):
    token = api.token("ho-a")
    auth = {"Authorization": f"Bearer {token}"}
    assert api.get("/titles", headers=auth).status_code == 200
    assert api.call("DELETE", "/auth/token", headers=auth).status_code == 204
    assert api.get("/titles", headers=auth).status_code == 401

    from certify.extensions import db
    from certify.models import ApiToken

    fresh = api.client.post("/api/v1/auth/token",
                            json={"username": "ho-b", "password": PASSWORD}).get_json()["token"]
    with app.app_context():
        for row in db.session.query(ApiToken).all():
            row.expires_at = clock.now() - timedelta(seconds=1)
        db.session.commit()
    assert api.get("/titles", headers={"Authorization": f"Bearer {fresh}"}).status_code == 401


def test_a_disabled_account_loses_its_tokens(app, world, api):
    from certify.extensions import db
    from certify.models import User

    token = api.token("ho-a")
    with app.app_context():
        db.session.query(User).filter_by(username="ho-a").update({"active": False})
        db.session.commit()
    assert api.get("/titles", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_403_when_the_role_may_not(world, api):
    r = api.post("/units", "review-a", json={"code": "1", "name": "x", "level": "commune",
                                             "parent_code": "381"})
    assert r.status_code == 403 and error_code(r) == "forbidden"
    n = nomination_in(world, "submitted")
    r = api.post(f"/nominations/{n.id}/events", "approve", json={"event": "verify", "version": n.version,
                                                                "assessment": CITIZEN_PASS})
    assert r.status_code == 403  # the district approver sees it but may not verify
    r = api.post("/persons", "review-a", json={"full_name": "A", "national_id": "038000000001",
                                               "birth_year": 1990, "gender": "male",
                                               "target_group": "worker"})
    assert r.status_code == 403


def test_404_for_unknown_and_out_of_scope_objects_alike(world, api):
    n = nomination_in(world, "submitted")  # in ward A
    for who in ("review-b", "ho-b", "truong"):
        r = api.get(f"/nominations/{n.id}", who)
        assert r.status_code == 404 and error_code(r) == "not_found"
        r = api.post(f"/nominations/{n.id}/events", who, json={"event": "return", "version": n.version,
                                                                "comment": "x"})
        assert r.status_code == 404
    assert api.get("/nominations/999999", "review-a").status_code == 404
    assert api.get(f"/persons/{world.person_a.id}", "review-b").status_code == 404
    assert api.get("/units/16729", "review-b").status_code == 404
    assert api.get(f"/progress?title={CITIZEN}&unit=16729", "review-b").status_code == 404
    listed = api.get("/nominations", "review-b").get_json()
    assert listed["total"] == 0 and listed["items"] == []
    assert api.get("/nominations", "review-a").get_json()["total"] == 1


def test_409_transition_not_allowed_stale_and_duplicate(world, api):
    n = nomination_in(world, "draft")
    # A draft is its applicant's alone: the approver does not find it (issue 10).
    r = api.post(f"/nominations/{n.id}/events", "approve", json={"event": "approve", "version": n.version})
    assert r.status_code == 404
    r = api.post(f"/nominations/{n.id}/events", "ho-a", json={"event": "approve", "version": n.version})
    assert r.status_code == 409 and error_code(r) == "transition_not_allowed"
    r = api.post(f"/nominations/{n.id}/events", "ho-a", json={"event": "submit", "version": n.version - 1
                                                              if n.version > 1 else 99})
    assert r.status_code == 409 and error_code(r) == "stale"
    r = api.post("/nominations", "ho-a", json={"title": CITIZEN, "subject_id": world.person_a.id,
                                               "year": n.year})
    assert r.status_code == 409 and error_code(r) == "duplicate"
    fire(api, "ho-a", {"id": n.id, "version": n.version}, "withdraw")
    r = api.post("/nominations", "ho-a", json={"title": CITIZEN, "subject_id": world.person_a.id,
                                               "year": n.year})
    assert r.status_code == 201  # a withdrawn nomination no longer blocks a new one


def test_422_lists_every_unmet_reason_of_a_guard(world, api):
    n = nomination_in(world, "submitted")
    scores = {**CITIZEN_PASS, "2.2": 4, "3.1": 3}
    r = api.post(f"/nominations/{n.id}/events", "review-a",
                 json={"event": "verify", "version": n.version, "assessment": scores})
    assert r.status_code == 422 and error_code(r) == "invalid"
    details = r.get_json()["error"]["details"]
    assert {(d["field"], d["code"]) for d in details} == {
        ("assessment.2.2", "below_minimum"), ("assessment.3.1", "below_minimum"),
        ("assessment", "below_threshold")}
    r = api.post(f"/nominations/{n.id}/events", "review-a",
                 json={"event": "return", "version": n.version})
    assert r.status_code == 422
    assert r.get_json()["error"]["details"][0]["field"] == "comment"
    r = api.post(f"/nominations/{n.id}/events", "review-a", json={"version": n.version})
    assert r.status_code == 422  # the event itself is missing
    after = api.get(f"/nominations/{n.id}", "review-a").get_json()
    assert after["state"] == "submitted" and after["version"] == n.version


def test_error_order_scope_before_stale_before_state_before_role(world, api):
    # Returned: the reviewer sees it (a draft never submitted it would not), and the applicant's
    # submit is allowed in this state.
    n = nomination_in(world, "returned")
    # out of scope and stale: 404
    r = api.post(f"/nominations/{n.id}/events", "review-b", json={"event": "verify", "version": 99})
    assert r.status_code == 404
    # stale and not allowed in this state: stale
    r = api.post(f"/nominations/{n.id}/events", "review-a", json={"event": "verify", "version": 99})
    assert error_code(r) == "stale"
    # not allowed in this state, and wrong role: transition_not_allowed
    r = api.post(f"/nominations/{n.id}/events", "review-a",
                 json={"event": "approve", "version": n.version})
    assert error_code(r) == "transition_not_allowed"
    # allowed in this state but wrong role, guard also unmet: 403
    r = api.post(f"/nominations/{n.id}/events", "review-a",
                 json={"event": "submit", "version": n.version})
    assert r.status_code == 403


def test_429_after_ten_failed_sign_ins_for_one_username(world, api):
    for _ in range(10):
        r = api.post("/auth/token", json={"username": "ho-a", "password": "wrong"})
        assert r.status_code == 401
    r = api.post("/auth/token", json={"username": "ho-a", "password": PASSWORD})
    assert r.status_code == 429 and error_code(r) == "rate_limited"
    # another username is not affected
    assert api.post("/auth/token", json={"username": "ho-b", "password": PASSWORD}).status_code == 200


def test_successful_sign_ins_are_not_counted(world, api):
    for _ in range(12):
        assert api.post("/auth/token", json={"username": "ho-a", "password": PASSWORD}).status_code == 200


def test_lists_are_paginated(world, api):
    for i in range(3):
        from tests.factories import person
        p = person(world.household_a, f"Lê Văn {i}")
        api.post("/nominations", "ho-a", json={"title": CITIZEN, "subject_id": p.id, "year": 2026})
    r = api.get("/nominations?per_page=2&page=2", "ho-a").get_json()
    assert (r["total"], r["page"], r["per_page"], len(r["items"])) == (3, 2, 2, 1)
    assert api.get("/nominations?per_page=201", "ho-a").status_code == 422
    assert api.get("/nominations?page=0", "ho-a").status_code == 422
    persons = api.get("/persons?per_page=200", "ho-a").get_json()
    assert persons["total"] == 4


def test_nominations_filter_by_state_title_year_and_unit(world, api):
    nomination_in(world, "submitted")
    nomination_in(world, "verified", title=UNIT_TITLE)
    assert api.get(f"/nominations?title={UNIT_TITLE}", "approve").get_json()["total"] == 1
    assert api.get("/nominations?state=submitted", "approve").get_json()["total"] == 1
    assert api.get("/nominations?year=2020", "approve").get_json()["total"] == 0
    assert api.get("/nominations?unit=16729", "approve").get_json()["total"] == 1
    assert api.get("/nominations?q=nguyen van an", "approve").get_json()["total"] == 1


def test_decision_is_all_or_none(world, api):
    ok = nomination_in(world, "verified")
    from tests.factories import person
    other = nomination_in(world, "submitted", subject=person(world.household_a, "Phạm Thị Đào"))
    r = api.post("/decisions", "approve", json={"number": "1/QĐ", "date": "2026-01-10", "signer": "A",
                                                "nomination_ids": [ok.id, other.id]})
    assert r.status_code == 409 and error_code(r) == "transition_not_allowed"
    assert api.get(f"/nominations/{ok.id}", "approve").get_json()["state"] == "verified"
    r = api.post("/decisions", "approve", json={"number": "1/QĐ", "date": "2026-01-10", "signer": "A",
                                                "nomination_ids": [ok.id, 424242]})
    assert r.status_code == 404
    r = api.post("/decisions", "review-a", json={"number": "1/QĐ", "date": "2026-01-10",
                                                 "signer": "A", "nomination_ids": [ok.id]})
    assert r.status_code == 403
    fields = one_item_decision(date=clock_today(api.client.application).isoformat())
    r = api.post("/decisions", "approve", json={**fields, "nomination_ids": [ok.id]})
    assert r.status_code == 201
    d = api.get(f"/decisions/{r.get_json()['id']}", "approve").get_json()
    assert [x["nomination_id"] for x in d["items"]["items"]] == [ok.id]


def test_titles_describe_the_rules_in_force(world, api):
    titles = {t["code"]: t for t in api.get("/titles", "ho-a").get_json()}
    citizen = titles[CITIZEN]
    assert citizen["subject"] == "person" and len(citizen["criteria"]) == 10
    assert citizen["pass_rule"] == {"min_total": 80, "min_each": 5}
    assert citizen["targets"] == {"2025": 0.4, "2030": 0.5}
    # Top-level rules are those in force today; every version is listed, oldest first.
    unit = titles[UNIT_TITLE]
    assert unit["grades"] == [] and unit["pass_rule"] is None
    assert unit["versions"][0]["grades"][0] == {"code": "tot", "name": "Tốt", "min_total": 85}
    assert unit["versions"][0]["pass_rule"] == {"min_total": 50, "min_each": 0}
    assert [lv["code"] for lv in unit["versions"][1]["levels"]] == ["muc_do_1", "muc_do_2"]
    assert [v["id"] for v in citizen["versions"]] == ["qd324-2023"]
    verify = next(e for e in citizen["events"] if e["code"] == "verify")
    assert verify["transitions"][0]["tier"] == "commune"
    # A dated profile (vn-2025) is listed entry by entry, oldest first; the last gives citizens
    # to the commune (no district tier from 1 July 2025).
    dated = citizen["versions"][0]["tiers"]["vn-2025"]
    assert len(dated) > 1 and [e["from"] for e in dated] == sorted(e["from"] for e in dated)
    assert dated[0]["approver"] == "district" and dated[-1]["approver"] == "commune"


def test_public_lookups_need_no_account_and_leak_nothing(world, api):
    n = nomination_in(world, "approved")
    r = api.get(f"/public/dossiers/{n.receipt_code.lower()}")
    assert r.status_code == 200
    # api.md's fields, and those of the receipt (issue 10): no name, no số định danh.
    assert set(r.get_json()) == {"receipt_code", "title", "year", "state", "updated_at",
                                 "office", "office_code", "received_on", "expected_by", "status",
                                 "stage", "next_step", "returned_reason", "lookup_url"}
    assert n.person.full_name not in r.get_data(as_text=True)
    assert api.get("/public/dossiers/CDHT-2026-NOPE").status_code == 404
    assert api.get("/public/recognitions/UNKNOWN").status_code == 404


@pytest.mark.parametrize("body", [None, "", "null", "[]", "{}", '{"username": 5, "password": []}',
                                  '{"username": "a"}', "\xff\xfe"])
def test_malformed_bodies_never_cause_a_server_error(world, api, body):
    for path, who in (("/auth/token", None), ("/nominations", "ho-a"), ("/units", "admin"),
                      ("/users", "admin"), ("/persons", "ho-a"), ("/decisions", "approve"),
                      ("/organizations", "admin")):
        r = api.post(path, who, data=body, headers={"Content-Type": "application/json"})
        assert r.status_code in (400, 401, 422), (path, body, r.status_code)


@pytest.mark.parametrize("path", ["/nominations/99999999999999999999", "/persons/2147483648",
                                  "/decisions/99999999999999999999", "/users/0"])
def test_ids_no_database_column_holds_are_simply_not_found(world, api, path):
    r = api.get(path, "admin")
    assert r.status_code == 404 and error_code(r) == "not_found"


def test_huge_numbers_in_bodies_and_queries_are_client_errors(world, api):
    huge = 10**20
    r = api.post("/nominations", "ho-a", json={"title": CITIZEN, "subject_id": huge, "year": 2026})
    assert r.status_code == 404
    r = api.post("/decisions", "approve", json={"number": "9/QĐ", "date": "2026-01-10",
                                                "signer": "A", "nomination_ids": [huge]})
    assert r.status_code == 404
    r = api.post("/organizations", "admin", json={"name": "X", "unit_code": "381",
                                                  "members_count": huge})
    assert r.status_code == 422
    r = api.call("PUT", "/units/381/denominators/2026", "admin", json={CITIZEN: huge})
    assert r.status_code == 422
    assert api.get(f"/nominations?year={huge}", "admin").status_code == 422
    assert api.get(f"/nominations?page={huge}", "admin").status_code == 422


@pytest.mark.parametrize("call", [
    ("GET", "/public/dossiers/A%00", None, None),
    ("GET", "/public/recognitions/A%00B", None, None),
    ("GET", "/nominations?q=an%00", "approve", None),
    ("POST", "/auth/token", None, {"username": "ho-a\u0000", "password": "x"}),
    ("POST", "/persons", "ho-a", {"full_name": "Lê\u0000", "national_id": "038000000077",
                                  "birth_year": 1990, "gender": "male", "target_group": "worker"}),
])
def test_nul_characters_are_refused_as_bad_requests(world, api, call):
    method, path, who, body = call
    r = api.call(method, path, who, json=body)
    assert r.status_code == 400 and error_code(r) == "bad_request"


def test_a_comment_with_a_nul_character_changes_nothing(world, api):
    n = nomination_in(world, "submitted")
    r = api.post(f"/nominations/{n.id}/events", "review-a",
                 json={"event": "return", "version": n.version, "comment": "x\u0000y"})
    assert r.status_code == 400
    assert api.get(f"/nominations/{n.id}", "review-a").get_json()["state"] == "submitted"


def test_messages_are_vietnamese_unless_the_client_asks_for_english(world, api):
    n = nomination_in(world, "submitted")
    body = {"event": "verify", "version": n.version, "assessment": {**CITIZEN_PASS, "2.2": 4}}
    vi = api.post(f"/nominations/{n.id}/events", "review-a", json=body).get_json()["error"]
    assert vi["message"] == "Dữ liệu chưa hợp lệ."
    assert "Chỉ số 2.2" in vi["details"][0]["message"]
    en = api.post(f"/nominations/{n.id}/events", "review-a", json=body,
                  headers={"Accept-Language": "en-US,en;q=0.9"}).get_json()["error"]
    assert en["message"] == "The data is not valid."
    assert en["details"][0]["code"] == vi["details"][0]["code"] == "below_minimum"
    assert api.get("/titles").get_json()["error"]["message"].startswith("Chưa đăng nhập")
