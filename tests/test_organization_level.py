"""Organizations carry a level (commune, district, province): an admin sets it (page, API), the
migration back-fills it from the organization's unit, and a tier profile may route "Đơn vị học tập"
by it — under vn-2025 from 1 July 2025 a former district-level unit (a kindergarten) goes to its
commune, a provincial one (an upper-secondary school) to the province."""

from __future__ import annotations

import io
from datetime import date

import pytest
from sqlalchemy import select, text

from certify import policy
from certify.errors import Forbidden
from certify.extensions import db
from certify.models import Organization
from certify.services import evidence, nominations, people
from certify.workflow import WorkflowError, engine, workflow
from certify.workflow.spec import ByOrganizationLevel
from tests.factories import (PDF, UNIT_TITLE, member_holding, one_item_decision,
                             unit_passing, unit_rules, user)
from tests.test_tiers_vn2025 import EVE, REFORM, on, vn2025  # noqa: F401 (a fixture)
from tests.test_workflow_files import _set, edit, folder, start  # noqa: F401 (a fixture)
from tests.web_support import Site, sign_in
from tests.web_support import text as page_text

from .api_client import Api

LEVELS = ("commune", "district", "province")
IN_FLIGHT = date(2025, 6, 20)
YEAR = 2024  # a dossier of 2024, submitted in June 2025, still open on the day of the reform


# -- the migration ------------------------------------------------------------------------------

LEVEL_REVISION = "93ad62661205"


def test_the_migration_gives_each_organization_its_units_level(app, world):
    from alembic.script import ScriptDirectory
    from flask_migrate import downgrade, upgrade

    w = world
    made = {
        "commune": people.create_organization(name="Trường Mầm non Ba Đình", unit_code="16729",
                                              members_count=20).id,
        "district": w.organization.id,
        # Provincial by its own level, but attached to the province: back-filled "province".
        "province": people.create_organization(name="Sở Giáo dục và Đào tạo", unit_code="38",
                                               members_count=50).id,
    }
    # An admin's choice made before the column existed cannot be kept: it is the unit's again.
    odd = people.create_organization(name="Trường THPT Bỉm Sơn", unit_code="381",
                                     members_count=95, level="province").id
    db.session.commit()
    script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
    before = script.get_revision(LEVEL_REVISION).down_revision
    db.session.remove()
    try:
        downgrade(revision=before)
        with db.engine.connect() as conn:
            columns = {c["name"] for c in __import__("sqlalchemy").inspect(conn)
                       .get_columns("organizations")}
        assert "level" not in columns
        upgrade(revision=LEVEL_REVISION)
        with db.engine.connect() as conn:
            levels = dict(conn.execute(text("SELECT id, level FROM organizations")).all())
        assert {level: levels[oid] for level, oid in made.items()} == {lv: lv for lv in LEVELS}
        assert levels[odd] == "district"
    finally:
        db.session.remove()
        upgrade()


# -- the API ------------------------------------------------------------------------------------

@pytest.fixture
def api(client):
    return Api(client)


def org_count() -> int:
    return len(db.session.scalars(select(Organization)).all())


def test_the_api_creates_shows_and_changes_the_level(world, api):
    r = api.post("/organizations", "admin", json={"name": "Trường THPT Bỉm Sơn",
                                                  "unit_code": "16729", "members_count": 95,
                                                  "level": "province"})
    assert r.status_code == 201 and r.get_json()["level"] == "province"
    school = r.get_json()["id"]
    r = api.post("/organizations", "admin", json={"name": "Trường Mầm non Ba Đình",
                                                  "unit_code": "16729", "members_count": 20})
    assert r.status_code == 201 and r.get_json()["level"] == "commune"  # its unit's
    assert api.get(f"/organizations/{school}", "admin").get_json()["level"] == "province"
    assert api.get(f"/organizations/{world.organization.id}", "truong").get_json()["level"] \
        == "district"

    r = api.call("PATCH", f"/organizations/{school}", "admin", json={"level": "district"})
    assert r.status_code == 200 and r.get_json()["level"] == "district"
    assert api.get(f"/organizations/{school}", "admin").get_json()["level"] == "district"


@pytest.mark.parametrize("bad", ["ward", "", "Province", 3, None, ["province"]])
def test_the_api_refuses_a_bad_level_and_changes_nothing(world, api, bad):
    before = org_count()
    r = api.post("/organizations", "admin", json={"name": "Trường X", "unit_code": "16729",
                                                  "members_count": 1, "level": bad})
    if bad is None:  # no level: the unit's
        assert r.status_code == 201 and r.get_json()["level"] == "commune"
        return
    # A value of the wrong type is a malformed body (400), a wrong string a refused one (422).
    status = 422 if isinstance(bad, str) else 400
    assert r.status_code == status, r.get_json()
    assert org_count() == before
    org = world.organization.id
    r = api.call("PATCH", f"/organizations/{org}", "admin", json={"level": bad})
    assert r.status_code == status
    assert api.get(f"/organizations/{org}", "admin").get_json()["level"] == "district"


def test_only_an_admin_changes_the_level(world, api):
    org = world.organization.id
    for who in ("truong", "approve", "review-district", "ho-a"):
        r = api.call("PATCH", f"/organizations/{org}", who, json={"level": "province"})
        assert r.status_code in (403, 404), (who, r.status_code)
    assert api.get(f"/organizations/{org}", "admin").get_json()["level"] == "district"
    with pytest.raises(Forbidden):
        people.set_organization_level(world.approver, org, "province")


def test_openapi_documents_the_level_and_the_patch(api):
    spec = api.spec
    assert "patch" in spec["paths"]["/api/v1/organizations/{org_id}"]
    out = spec["components"]["schemas"]["OrganizationOut"]
    assert "level" in out["properties"] and "level" in out["required"]
    assert "level" in spec["components"]["schemas"]["OrganizationCreate"]["properties"]


# -- the admin page -----------------------------------------------------------------------------

@pytest.fixture
def site(app):
    return Site(app)


def levels_now(app) -> dict[str, str]:
    with app.app_context():
        found = {o.name: o.level for o in db.session.scalars(select(Organization))}
        db.session.remove()
        return found


def test_the_admin_page_sets_the_level_on_create_and_on_each_row(app, client, site):
    sign_in(client, "admin")
    page = client.get("/admin/organizations")
    shown = page_text(page)
    assert "Cấp của cơ quan" in shown and "Cấp huyện" in shown and "Cấp tỉnh" in shown
    r = client.post("/admin/organizations", data={"name": "Trường THPT Bỉm Sơn",
                                                  "unit_code": "381", "members_count": "95",
                                                  "level": "province"})
    assert r.status_code == 302
    r = client.post("/admin/organizations", data={"name": "Trường Mầm non Ba Đình",
                                                  "unit_code": "16729", "members_count": "20",
                                                  "level": ""})
    assert r.status_code == 302
    assert levels_now(app) == {"Trường THCS Ba Đình": "district",
                               "Trường THPT Bỉm Sơn": "province",
                               "Trường Mầm non Ba Đình": "commune"}
    r = client.post(f"/admin/organizations/{site.organization}/level", data={"level": "commune"})
    assert r.status_code == 302
    assert "Đã đặt cấp" in page_text(client.get("/admin/organizations"))
    assert levels_now(app)["Trường THCS Ba Đình"] == "commune"


@pytest.mark.parametrize("bad", ["ward", ""])
def test_the_admin_page_refuses_a_bad_level(app, client, site, bad):
    sign_in(client, "admin")
    before = levels_now(app)
    r = client.post("/admin/organizations", data={"name": "Trường X", "unit_code": "381",
                                                  "members_count": "3", "level": bad or "x"})
    assert r.status_code == 422 and "Trường X" not in levels_now(app)
    r = client.post(f"/admin/organizations/{site.organization}/level", data={"level": bad})
    assert r.status_code == 422
    assert "Trường THCS Ba Đình" in page_text(r)
    assert levels_now(app) == before


def test_only_admins_set_the_level_on_the_page(app, client, site):
    sign_in(client, "truong")
    r = client.post(f"/admin/organizations/{site.organization}/level", data={"level": "province"})
    assert r.status_code == 403
    assert levels_now(app)["Trường THCS Ba Đình"] == "district"


# -- routing under vn-2025 ------------------------------------------------------------------------

class Town:
    """Three organizations in ward A (one of each level), their accounts, and the officials."""

    def __init__(self, w):
        self.w = w
        self.orgs, self.accounts = {}, {}
        for level, name in (("commune", "Hội Khuyến học phường Ba Đình"),
                            ("district", "Trường Mầm non Ba Đình"),
                            ("province", "Trường THPT Bỉm Sơn")):
            org = people.create_organization(name=name, unit_code=w.ward_a.code,
                                             members_count=20, level=level)
            self.orgs[level] = org
            self.accounts[level] = user(f"org-{level}", "organization", w.ward_a.code,
                                        organization_id=org.id)
        self.reviewer = {"commune": w.reviewer_a, "district": w.district_reviewer,
                         "province": user("review-38", "reviewer", w.province.code)}
        self.approver = {"commune": user("approve-a", "approver", w.ward_a.code),
                         "district": w.approver,
                         "province": user("approve-38", "approver", w.province.code)}

    def submitted(self, level: str):
        """The organization's dossier of YEAR, submitted with its documents and a member holding
        the title (so that a verify passes)."""
        org, account = self.orgs[level], self.accounts[level]
        n = nominations.create(account, title=UNIT_TITLE, subject_id=org.id, year=YEAR,
                               self_assessment=dict(unit_passing(YEAR)))
        for d in unit_rules(YEAR).documents:
            evidence.add(account, n.id, criterion=d.code, filename=f"{d.code}.pdf",
                         stream=io.BytesIO(PDF))
        if unit_rules(YEAR).computed_criteria:
            member_holding(self.w, YEAR, organization=org)
        engine.apply(n.id, "submit", account, n.version)
        return n


def queue(actor, stage="review") -> set[int]:
    return {n.id for n in nominations.search(actor, stage=stage).items}


def test_the_unit_title_routes_by_the_organizations_level_from_1_july_2025(vn2025):
    wf = workflow(UNIT_TITLE)
    orgs = {level: Organization(level=level) for level in LEVELS}
    for role in ("reviewer", "approver"):
        assert {lv: wf.tier(role, EVE, orgs[lv]) for lv in LEVELS} == dict.fromkeys(LEVELS,
                                                                                  "district")
        assert {lv: wf.tier(role, REFORM, orgs[lv]) for lv in LEVELS} == {
            "commune": "commune", "district": "commune", "province": "province"}
        assert wf.tier_levels(role, EVE) == ["district"]
        assert wf.tier_levels(role, REFORM) == ["commune", "province"]
        # Without an organization there is no one level to name.
        assert wf.tier(role, REFORM) is None
        assert isinstance(wf.route(role, REFORM), ByOrganizationLevel)


def test_before_the_reform_the_district_acts_on_every_units_dossier(vn2025):
    town = Town(vn2025)
    with on(IN_FLIGHT):
        ns = {level: town.submitted(level) for level in LEVELS}
    with on(EVE):
        for level, n in ns.items():
            assert set(policy.allowed_events(town.reviewer["district"], n)) == \
                {"return", "verify", "reject"}, level
            assert policy.allowed_events(town.reviewer["commune"], n) == []
            assert policy.allowed_events(town.reviewer["province"], n) == []
        assert queue(town.reviewer["district"]) >= {n.id for n in ns.values()}


def test_from_1_july_2025_the_commune_and_the_province_each_get_their_own(vn2025):
    """In flight on 30 June: on 1 July the kindergarten (a former district-level unit) and the
    commune body go to the commune, the upper-secondary school to the province; each sees and
    acts on its own only, and the district on none."""
    town = Town(vn2025)
    with on(IN_FLIGHT):
        ns = {level: town.submitted(level) for level in LEVELS}
    commune, province = town.reviewer["commune"], town.reviewer["province"]
    with on(REFORM):
        for level in ("commune", "district"):
            assert set(policy.allowed_events(commune, ns[level])) == {"return", "verify", "reject"}
            assert policy.allowed_events(province, ns[level]) == []
        assert set(policy.allowed_events(province, ns["province"])) == \
            {"return", "verify", "reject"}
        assert policy.allowed_events(commune, ns["province"]) == []
        for n in ns.values():
            assert policy.allowed_events(town.reviewer["district"], n) == []

        ids = {level: n.id for level, n in ns.items()}
        assert queue(commune) == {ids["commune"], ids["district"]}
        assert queue(province) == {ids["province"]}

        with pytest.raises(Forbidden):
            engine.apply(ns["province"].id, "verify", commune, ns["province"].version,
                         engine.Payload(assessment=dict(unit_passing(YEAR))))
        with pytest.raises(Forbidden):
            engine.apply(ns["district"].id, "verify", province, ns["district"].version,
                         engine.Payload(assessment=dict(unit_passing(YEAR))))
        for level, reviewer in (("district", commune), ("province", province)):
            n = ns[level]
            engine.apply(n.id, "verify", reviewer, n.version,
                         engine.Payload(assessment=dict(unit_passing(YEAR))))

        # The decision: the commune approves the kindergarten, the province the school.
        kindergarten, school = ns["district"], ns["province"]
        assert queue(town.approver["commune"], "decision") == {kindergarten.id}
        assert queue(town.approver["province"], "decision") == {school.id}
        assert policy.allowed_events(town.approver["commune"], school) == []
        assert policy.allowed_events(town.approver["province"], kindergarten) == []
        for n, approver in ((kindergarten, town.approver["commune"]),
                            (school, town.approver["province"])):
            nominations.fire(approver, n.id, "approve", version=n.version,
                             decision=one_item_decision())
    db.session.expire_all()
    assert kindergarten.history[-1].actor_id == town.approver["commune"].id
    assert school.history[-1].actor_id == town.approver["province"].id
    assert kindergarten.recognition is not None and school.recognition is not None


def test_the_api_lists_the_route_under_vn_2025(vn2025):
    from flask import current_app

    from tests.conftest import Client

    current_app.test_client_class = Client
    api = Api(current_app.test_client())
    db.session.commit()
    routed = {"by_organization_level": {"commune": "commune", "district": "commune",
                                        "province": "province"}}
    with on(date(2026, 1, 5)):  # after the reform; every answer checked against OpenAPI
        titles = {t["code"]: t for t in api.get("/titles", "admin").get_json()}
    verify = next(e for e in titles[UNIT_TITLE]["events"] if e["code"] == "verify")
    assert verify["transitions"][0]["tier"] == routed
    dated = titles[UNIT_TITLE]["versions"][-1]["tiers"]["vn-2025"]
    assert dated[-1]["reviewer"] == routed and dated[0]["reviewer"] == "district"


def test_the_rules_page_lists_both_tiers(vn2025):
    from flask import current_app

    page = page_text(current_app.test_client().get(f"/rules/{UNIT_TITLE}"))
    assert "theo cấp của cơ quan" in page
    assert "Xã, phường" in page and "Tỉnh" in page


# -- the default profile is unchanged -------------------------------------------------------------

def test_the_default_profile_ignores_the_organizations_level(world):
    w = world
    wf = workflow(UNIT_TITLE)
    assert wf.profile_name == "three-tier"
    school = people.create_organization(name="Trường THPT Bỉm Sơn", unit_code="16729",
                                        members_count=95, level="province")
    for role in ("reviewer", "approver"):
        assert wf.tier(role, subject=school) == wf.tier(role) == "district"
        assert wf.tier_levels(role) == ["district"]
    account = user("thpt", "organization", "16729", organization_id=school.id)
    n = nominations.create(account, title=UNIT_TITLE, subject_id=school.id, year=YEAR,
                           self_assessment=dict(unit_passing(YEAR)))
    for d in unit_rules(YEAR).documents:
        evidence.add(account, n.id, criterion=d.code, filename=f"{d.code}.pdf",
                     stream=io.BytesIO(PDF))
    engine.apply(n.id, "submit", account, n.version)
    assert set(policy.allowed_events(w.district_reviewer, n)) == {"return", "verify", "reject"}
    province = user("review-38", "reviewer", "38")
    assert policy.allowed_events(province, n) == []
    assert n.id in queue(w.district_reviewer)


# -- the workflow files -------------------------------------------------------------------------

ROUTE = ("versions", 1, "tiers", "vn-2025", 1, "reviewer")


@pytest.mark.parametrize("title, value, key, words", [
    # One organization level left out: its dossiers would reach no one.
    (UNIT_TITLE, {"by_organization_level": {"commune": "commune", "district": "commune"}},
     "versions.1.tiers.vn-2025.1.reviewer.by_organization_level", "missing: province"),
    # A tier that is not a level.
    (UNIT_TITLE, {"by_organization_level": {"commune": "commune", "district": "ward",
                                            "province": "province"}},
     "versions.1.tiers.vn-2025.1.reviewer.by_organization_level.district", "commune"),
    # An organization level that does not exist.
    (UNIT_TITLE, {"by_organization_level": {"commune": "commune", "district": "commune",
                                            "province": "province", "ward": "commune"}},
     "versions.1.tiers.vn-2025.1.reviewer.by_organization_level.ward", "commune"),
    # A misspelt key.
    (UNIT_TITLE, {"by_org_level": {"commune": "commune"}},
     "versions.1.tiers.vn-2025.1.reviewer.by_organization_level", "Field required"),
])
def test_a_malformed_route_stops_the_app_naming_file_and_key(folder, tmp_path, title, value, key,
                                                             words):
    path = edit(folder, title, _set(value, *ROUTE))
    with pytest.raises(WorkflowError) as raised:
        start(folder, tmp_path, PROFILE="vn-2025")
    error = raised.value
    assert error.path.endswith(path.name) and error.key == key, (error.key, error.message)
    assert words in error.message


def test_a_person_title_cannot_route_by_organization_level(folder, tmp_path):
    from tests.factories import CITIZEN

    route = {"by_organization_level": {"commune": "commune", "district": "commune",
                                       "province": "province"}}
    path = edit(folder, CITIZEN, _set(route, "versions", 0, "tiers", "vn-2025", 1, "approver"))
    with pytest.raises(WorkflowError) as raised:
        start(folder, tmp_path, PROFILE="vn-2025")
    assert raised.value.path.endswith(path.name)
    assert raised.value.key == "versions[0].tiers.vn-2025[1].approver"
    assert "subject is an organization" in raised.value.message
