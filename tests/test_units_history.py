"""Units with history: validity, lineage, and a code reused the day after its unit ends
(domain.md, "Administrative tiers and the 2025 reform"; api.md 1.1, "Units with history")."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from certify.errors import Invalid
from certify.extensions import db
from certify.models import EARLIEST, Succession, Unit
from certify.services import accounts, directory, progress, units
from tests.api_client import Api
from tests.factories import CITIZEN, PASSWORD

from .test_web_admin import admin, site  # noqa: F401 (fixtures: the test world, signed in as admin)

# The day the 2025 reorganisation took effect, and the last day of the units it replaced.
EFFECTIVE = date(2025, 7, 1)
LAST_DAY = EFFECTIVE - timedelta(days=1)
SOURCE = "NQ 1686/NQ-UBTVQH15"


def reorganise(w) -> Unit:
    """Both wards and their town end on 30 June 2025; from 1 July one ward directly under the
    province takes them over, reusing the first ward's code (as phường Bỉm Sơn reused Ba Đình's)."""
    for old in (w.ward_a, w.ward_b, w.district):
        units.end(old, LAST_DAY)
    new = units.create(code=w.ward_a.code, name="Phường Bỉm Sơn", level="commune",
                       parent_code=w.province.code, valid_from=EFFECTIVE.isoformat())
    for old in (w.ward_a, w.ward_b):
        units.record_succession(old, new, effective=EFFECTIVE, kind="merge", source=SOURCE)
    return new


def unit_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Unit))


# -- the service ------------------------------------------------------------------------------

def test_a_code_is_reused_the_day_after_its_unit_ends_and_each_is_found_by_date(world):
    new = reorganise(world)
    assert units.find(new.code, LAST_DAY) == world.ward_a
    assert units.find(new.code, EFFECTIVE) == new
    assert units.find(new.code) == new  # today
    assert units.find(world.ward_b.code, LAST_DAY) == world.ward_b
    assert units.find(world.ward_b.code, EFFECTIVE) is None
    assert (new.valid_from, new.valid_until) == (EFFECTIVE, None)
    assert world.ward_a.valid_until == LAST_DAY
    # Today's tree has the new ward directly under the province; the day before, the town.
    assert [u.code for u in units.children_on(world.province)] == [new.code]
    assert [u.code for u in units.children_on(world.province, LAST_DAY)] == [world.district.code]
    assert world.district not in directory.all_units()
    assert world.district in directory.all_units(LAST_DAY) and new not in directory.all_units(LAST_DAY)


def test_callers_that_resolve_a_code_today_get_the_current_unit(world):
    new = reorganise(world)
    user = accounts.create_user(username="ho-moi", password=PASSWORD, role="household",
                                unit_code=new.code)
    assert user.unit == new
    # Progress resolves `unit=` on its as_of day.
    assert progress.for_viewer(None, CITIZEN, new.code, LAST_DAY).figure.unit == world.ward_a
    assert progress.for_viewer(None, CITIZEN, new.code, EFFECTIVE).figure.unit == new


@pytest.mark.parametrize("valid_from", [None, LAST_DAY.isoformat(), "2020-01-01"])
def test_an_overlapping_reuse_is_refused_with_its_reason_and_nothing_changes(world, valid_from):
    units.end(world.ward_a, LAST_DAY)
    before = unit_count()
    with pytest.raises(Invalid) as refused:
        units.create(code=world.ward_a.code, name="Phường Bỉm Sơn", level="commune",
                     parent_code=world.province.code, valid_from=valid_from)
    (reason,) = refused.value.details
    assert reason["field"] == "code" and reason["code"] == "taken"
    assert "Phường Ba Đình" in reason["message"] and LAST_DAY.isoformat() in reason["message"]
    assert unit_count() == before


def test_a_current_code_cannot_be_taken_twice_even_past_the_service(world):
    with pytest.raises(Invalid):
        units.create(code=world.ward_b.code, name="X", level="commune", valid_from="2030-01-01")
    db.session.add(Unit(code=world.ward_b.code, name="X", level="commune", path="/"))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_bad_dates_and_an_end_before_its_children_are_refused(world):
    before = unit_count()
    for fields, code in (({"valid_from": "30/06/2025"}, "date_parsing"),
                         ({"valid_from": "2025-07-01", "valid_until": "2025-06-30"}, "before_start")):
        with pytest.raises(Invalid) as refused:
            units.create(code="99999", name="X", level="commune", **fields)
        assert [r["code"] for r in refused.value.details] == [code]
    with pytest.raises(Invalid) as refused:
        units.end(world.district, LAST_DAY)
    assert refused.value.details[0]["code"] == "children_go_on"
    assert world.district.valid_until is None and unit_count() == before
    # A child cannot outlive its parent.
    units.end(world.ward_a, LAST_DAY)
    units.end(world.ward_b, LAST_DAY)
    units.end(world.district, LAST_DAY)
    with pytest.raises(Invalid) as refused:
        units.create(code="99999", name="X", level="commune", parent_code=world.district.code,
                     valid_from="2025-01-01")
    assert refused.value.details[0]["code"] == "ends_before"


def test_a_succession_links_a_unit_that_ends_to_one_that_starts(world):
    with pytest.raises(Invalid) as refused:
        units.record_succession(world.ward_b, world.ward_b, effective=EFFECTIVE, kind="merge")
    assert refused.value.details[0]["code"] == "same_unit"
    new = reorganise(world)
    with pytest.raises(Invalid) as refused:
        units.record_succession(world.ward_a, new, effective=EFFECTIVE, kind="merge")
    assert refused.value.details[0]["code"] == "taken"
    with pytest.raises(Invalid) as refused:
        units.record_succession(new, world.ward_a, effective=EFFECTIVE, kind="rename")
    assert {r["code"] for r in refused.value.details} == {"not_valid"}
    links = units.lineage([new, world.ward_a])
    assert [s.predecessor for s in links[new.id].predecessors] == [world.ward_a, world.ward_b]
    assert [s.successor for s in links[world.ward_a.id].successors] == [new]
    assert db.session.scalar(select(func.count()).select_from(Succession)) == 2


# -- the API ----------------------------------------------------------------------------------

@pytest.fixture
def api(client):
    return Api(client)


def test_api_shows_a_unit_as_it_was_on_a_day(world, api):
    new = reorganise(world)
    code = new.code
    before = api.get(f"/units/{code}?on={LAST_DAY}", "admin").get_json()
    assert before["name"] == "Phường Ba Đình" and before["parent_code"] == "381"
    assert (before["valid_from"], before["valid_until"]) == (EARLIEST.isoformat(), LAST_DAY.isoformat())
    assert before["predecessors"] == []
    assert before["successors"] == [{"code": code, "name": "Phường Bỉm Sơn",
                                     "valid_from": EFFECTIVE.isoformat(), "valid_until": None,
                                     "effective": EFFECTIVE.isoformat(), "kind": "merge"}]
    after = api.get(f"/units/{code}?on={EFFECTIVE}", "admin").get_json()
    assert after == api.get(f"/units/{code}", "admin").get_json()  # today
    assert after["name"] == "Phường Bỉm Sơn" and after["parent_code"] == "38"
    assert [(p["code"], p["name"], p["valid_until"]) for p in after["predecessors"]] == [
        (code, "Phường Ba Đình", LAST_DAY.isoformat()),
        (world.ward_b.code, "Phường Lam Sơn", LAST_DAY.isoformat())]
    assert after["successors"] == [] and after["valid_until"] is None
    # Children are those valid on the day.
    assert api.get(f"/units/38?on={LAST_DAY}", "admin").get_json()["children"] == ["381"]
    assert api.get("/units/38", "admin").get_json()["children"] == [code]
    assert api.get(f"/units/381?on={LAST_DAY}", "admin").get_json()["children"] == [
        code, world.ward_b.code]
    # The town no longer exists today; nothing bore the code before 1900; a bad day is a 400.
    assert api.get("/units/381", "admin").status_code == 404
    assert api.get("/units/381?on=1899-12-31", "admin").status_code == 404
    bad = api.get("/units/381?on=30/06/2025", "admin")
    assert bad.status_code == 400 and bad.get_json()["error"]["details"][0]["field"] == "on"
    # Denominators of a unit that has ended are entered for the day it existed.
    r = api.call("PUT", f"/units/381/denominators/2024?on={LAST_DAY}", "admin", json={CITIZEN: 9})
    assert r.status_code == 200 and r.get_json()["denominators"] == {CITIZEN: 9}
    assert units.denominators_of(world.district, 2024) == {CITIZEN: 9}
    assert api.call("PUT", "/units/381/denominators/2024", "admin",
                    json={CITIZEN: 9}).status_code == 404


def test_api_creates_a_unit_with_its_dates_and_refuses_an_overlap(world, api):
    units.end(world.ward_a, LAST_DAY)
    body = {"code": world.ward_a.code, "name": "Phường Bỉm Sơn", "level": "commune",
            "parent_code": "38"}
    refused = api.post("/units", "admin", json={**body, "valid_from": LAST_DAY.isoformat()})
    assert refused.status_code == 422
    (reason,) = refused.get_json()["error"]["details"]
    assert reason["code"] == "taken" and "Phường Ba Đình" in reason["message"]
    assert api.post("/units", "admin", json={**body, "valid_from": "1 July"}).status_code == 422
    assert unit_count() == 4
    created = api.post("/units", "admin", json={**body, "valid_from": EFFECTIVE.isoformat()})
    assert created.status_code == 201
    assert created.get_json()["valid_from"] == EFFECTIVE.isoformat()
    ended = api.post("/units", "admin", json={"code": "14800", "name": "Xã Hà Lan", "level": "commune",
                                              "valid_until": "1999-12-31"})
    assert ended.status_code == 201 and ended.get_json()["valid_until"] == "1999-12-31"
    assert api.get("/units/14800", "admin").status_code == 404
    assert api.get("/units/14800?on=1999-12-31", "admin").get_json()["name"] == "Xã Hà Lan"


def test_api_documents_the_unit_history_fields(api):
    schema = api.spec["components"]["schemas"]["UnitOut"]
    assert {"valid_from", "valid_until", "predecessors", "successors"} <= set(schema["required"])
    created = api.spec["components"]["schemas"]["UnitCreate"]["properties"]
    assert {"valid_from", "valid_until"} <= set(created)
    params = api.spec["paths"]["/api/v1/units/{code}"]["get"]["parameters"]
    assert any(p["name"] == "on" and p["in"] == "query" for p in params)


# -- the admin page ---------------------------------------------------------------------------

def page(response) -> str:
    return response.get_data(as_text=True)


def test_admin_page_shows_validity_lineage_and_the_tree_on_a_date(admin, site):
    site.run(reorganise)
    today = page(admin.get("/admin/"))
    assert "Phường Bỉm Sơn" in today and "Thị xã Bỉm Sơn" not in today
    assert "Từ 01/07/2025 thay cho Phường Ba Đình" in today and "sáp nhập" in today
    assert "từ 01/07/2025" in today
    earlier = page(admin.get(f"/admin/?ngay={LAST_DAY}"))
    assert "Thị xã Bỉm Sơn" in earlier and "Phường Lam Sơn" in earlier
    assert "Các đơn vị hành chính vào ngày 30/06/2025." in earlier
    assert "đến hết 30/06/2025" in earlier and "Từ 01/07/2025 thuộc về Phường Bỉm Sơn" in earlier
    assert f"/admin/units/381/denominators?ngay={LAST_DAY}" in earlier
    assert admin.get(f"/admin/units/381/denominators?ngay={LAST_DAY}").status_code == 200
    assert admin.get("/admin/units/381/denominators").status_code == 404
    bad = admin.get("/admin/?ngay=hôm-qua")
    assert bad.status_code == 200 and "Ngày xem không hợp lệ" in page(bad)
    assert "Phường Bỉm Sơn" in page(bad)


def test_progress_dashboard_resolves_the_unit_on_the_day_counted(admin, site):
    site.run(reorganise)
    before = page(admin.get(f"/progress/?title={CITIZEN}&unit=16729&as_of={LAST_DAY}"))
    after = page(admin.get(f"/progress/?title={CITIZEN}&unit=16729&as_of={EFFECTIVE}"))
    # The unit shown (the selected one) is the one valid on the day counted; the page may still
    # name the predecessors in its year-by-year path.
    assert selected_unit(before) == "Phường Ba Đình" and "Phường Bỉm Sơn" not in before
    assert selected_unit(after) == "Phường Bỉm Sơn"
    assert "Phường Ba Đình" in after.split("Lộ trình theo năm")[1]  # only as a predecessor


def selected_unit(html: str) -> str:
    import re

    select = html.split('id="unit"', 1)[1].split("</select>", 1)[0]
    return re.search(r"<option[^>]*\bselected\b[^>]*>([^<]*)</option>", select).group(1).strip()


def test_admin_creates_a_unit_from_a_date_and_refuses_an_overlap(admin, site):
    site.run(lambda w: [units.end(u, LAST_DAY) for u in (w.ward_a, w.ward_b, w.district)])
    form = {"code": "16729", "name": "Phường Bỉm Sơn", "level": "commune", "parent_code": "38"}
    refused = admin.post("/admin/", data={**form, "valid_from": "2025-06-01"})
    assert refused.status_code == 422
    assert ("Mã 16729 là mã của Phường Ba Đình đến hết ngày 30/06/2025: mỗi ngày một mã chỉ "
            "thuộc một đơn vị, nên mã này chỉ dùng lại được từ ngày hôm sau.") in page(refused)
    bad = admin.post("/admin/", data={**form, "valid_from": "31/02/2025"})
    assert bad.status_code == 422 and "Ngày không hợp lệ" in page(bad)
    assert site.count(Unit) == 4
    assert admin.post("/admin/", data={**form, "valid_from": "01/07/2025"}).status_code == 302
    with site.app.app_context():
        assert units.find("16729").valid_from == EFFECTIVE
        assert units.find("16729", LAST_DAY).name == "Phường Ba Đình"
        db.session.remove()


# -- the migration ----------------------------------------------------------------------------

def test_the_migration_back_fills_existing_units_and_frees_a_code_after_its_unit_ends(app):
    """Units recorded before validity existed become valid from EARLIEST and current; rows that
    point at them (a denominator here) keep pointing at them."""
    from flask_migrate import downgrade, upgrade

    before_units = "3f8b6d2a1c47"
    insert_unit = ("INSERT INTO units (code, name, level, path, created_at) VALUES "
                   "('38', :name, 'province', '/', CURRENT_TIMESTAMP)")
    with app.app_context():
        db.session.remove()
        downgrade(revision=before_units)
        try:
            with db.engine.begin() as conn:
                conn.execute(text(insert_unit), {"name": "Thanh Hóa"})
                unit_id = conn.execute(text("SELECT id FROM units")).scalar_one()
                conn.execute(text("INSERT INTO denominators (unit_id, title_code, year, value, "
                                  "updated_at) VALUES (:u, :t, 2024, 7, CURRENT_TIMESTAMP)"),
                             {"u": unit_id, "t": CITIZEN})
                with pytest.raises(IntegrityError), conn.begin_nested():  # unique forever, then
                    conn.execute(text(insert_unit), {"name": "Again"})
        finally:
            upgrade()
        province = db.session.get(Unit, unit_id)
        assert (province.valid_from, province.valid_until) == (EARLIEST, None)
        assert units.find("38") == province and units.find("38", date(1950, 1, 1)) == province
        assert units.denominators_of(province, 2024) == {CITIZEN: 7}
        with pytest.raises(IntegrityError):  # foreign keys are enforced again
            db.session.add(Unit(code="99", name="X", level="commune", path="/", parent_id=10**6))
            db.session.flush()
        db.session.rollback()
        units.end(province, LAST_DAY)
        units.create(code="38", name="Tỉnh Thanh Hóa", level="province",
                     valid_from=EFFECTIVE.isoformat())
        assert units.find("38", LAST_DAY) == province and units.find("38").name == "Tỉnh Thanh Hóa"
        db.session.remove()
