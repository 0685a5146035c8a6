"""The audit log of admin changes: every change to units, denominators, accounts and organizations
is recorded with who, when, before and after — through pages, API and commands alike — and a
refused or rolled-back change leaves no entry."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from certify.extensions import db
from certify.models import AuditEntry, Unit, User
from certify.services import accounts, audit_trail, units
from certify.web.audit import PER_PAGE

from .api_client import Api
from .factories import PASSWORD
from .web_support import Site, sign_in, text


@pytest.fixture
def site(app):
    return Site(app)


def entries(app, **where) -> list[AuditEntry]:
    with app.app_context():
        stmt = select(AuditEntry).order_by(AuditEntry.id)
        for name, value in where.items():
            stmt = stmt.where(getattr(AuditEntry, name) == value)
        found = list(db.session.scalars(stmt))
        db.session.expunge_all()
        db.session.remove()
        return found


def test_admin_pages_record_who_changed_what_before_and_after(app, client, site):
    admin_id = site.run(lambda w: w.admin.id)
    sign_in(client, "admin")
    start = len(entries(app))

    client.post("/admin/", data={"code": "16735", "name": "Phường Bắc Sơn", "level": "commune",
                                 "parent_code": "381"})
    client.post("/admin/units/16735/denominators?year=2025", data={"cong-dan-hoc-tap": "1200"})
    client.post("/admin/units/16735/denominators?year=2025", data={"cong-dan-hoc-tap": "1250"})
    reviewer = site.run(lambda w: w.reviewer_a.id)
    client.post(f"/admin/accounts/{reviewer}/active", data={"active": "0"})
    client.post(f"/admin/accounts/{reviewer}/password", data={"password": "a new long password"})
    client.post("/admin/organizations", data={"name": "Trường Tiểu học Bắc Sơn",
                                              "unit_code": "16735", "members_count": "25"})

    made = entries(app)[start:]
    assert [(e.action, e.entity_type, e.entity_key) for e in made] == [
        ("create", "unit", "16735"),
        ("create", "denominator", "16735 · cong-dan-hoc-tap · 2025"),
        ("update", "denominator", "16735 · cong-dan-hoc-tap · 2025"),
        ("deactivate", "account", "review-a"),
        ("password", "account", "review-a"),
        ("create", "organization", "Trường Tiểu học Bắc Sơn"),
    ]
    assert {(e.actor_id, e.actor_name) for e in made} == {(admin_id, "admin")}
    unit, first, second, disabled, password, org = made
    assert unit.before is None and unit.after["name"] == "Phường Bắc Sơn"
    assert unit.after["level"] == "commune"
    assert first.after["value"] == 1200
    assert (second.before, second.after) == ({"value": 1200}, {"value": 1250})
    assert (disabled.before, disabled.after) == ({"active": True}, {"active": False})
    assert org.after["members_count"] == 25
    assert set(password.after) == {"password"}


def test_no_password_hash_ever_reaches_the_log(app, client, site):
    sign_in(client, "admin")
    client.post("/admin/accounts", data={"username": "moi", "password": "mật khẩu đủ dài",
                                         "role": "admin"})
    user_id = site.run(lambda w: db.session.scalar(select(User.id).where(User.username == "moi")))
    client.post(f"/admin/accounts/{user_id}/password", data={"password": "một mật khẩu khác nữa"})
    hashes = site.run(lambda w: list(db.session.scalars(select(User.password_hash))))
    logged = json.dumps([[e.before, e.after] for e in entries(app)], ensure_ascii=False)
    assert "$argon2" not in logged
    assert not any(h in logged for h in hashes)
    assert "mật khẩu" not in logged
    created = entries(app, entity_type="account", entity_key="moi")
    assert [e.action for e in created] == ["create", "password"]


def test_api_changes_name_the_token_holder(app, client, site):
    api = Api(client)
    response = api.post("/units", "admin", json={"code": "16738", "name": "Phường Đông Sơn",
                                                  "level": "commune", "parent_code": "381"})
    assert response.status_code == 201
    api.call("PUT", "/units/16738/denominators/2026", "admin", json={"cong-dan-hoc-tap": 900})
    made = entries(app, entity_type="unit", entity_key="16738") + \
        entries(app, entity_type="denominator")
    assert [e.actor_name for e in made] == ["admin", "admin"]


def test_commands_and_shells_act_as_cli(ctx, world):
    units.create(code="16741", name="Xã Quang Trung", level="commune", parent_code="381")
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.entity_key == "16741"))
    assert (entry.actor_id, entry.actor_name) == (None, "cli")


def test_a_refused_change_leaves_no_entry(app, client, site):
    sign_in(client, "admin")
    before = len(entries(app))
    response = client.post("/admin/", data={"code": "381", "name": "Trùng mã", "level": "commune",
                                            "parent_code": "38"})
    assert response.status_code == 422
    assert len(entries(app)) == before


def test_a_rolled_back_change_leaves_no_entry_and_the_next_commit_none_either(ctx, world):
    before = db.session.scalar(select(db.func.count(AuditEntry.id)))
    unit = db.session.scalar(select(Unit).where(Unit.code == "16729"))
    unit.name = "Tên sẽ không được lưu"
    db.session.flush()  # noted by the listener...
    db.session.rollback()  # ...and forgotten with the change
    accounts.set_active(world.reviewer_b, False)  # a later, unrelated commit
    made = list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)))[before:]
    assert [(e.action, e.entity_key) for e in made] == [("deactivate", "review-b")]


def test_changed_and_changed_back_in_one_transaction_is_no_change(ctx, world):
    before = db.session.scalar(select(db.func.count(AuditEntry.id)))
    unit = db.session.scalar(select(Unit).where(Unit.code == "16729"))
    old = unit.name
    unit.name = "Tạm"
    db.session.flush()
    unit.name = old
    db.session.commit()
    assert db.session.scalar(select(db.func.count(AuditEntry.id))) == before


def test_a_deleted_organization_keeps_its_values(ctx, world):
    from certify.services import people

    org = people.create_organization(name="Trung tâm học tập cộng đồng", unit_code="16729",
                                     members_count=12)
    db.session.delete(org)
    db.session.commit()
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "delete")).one()
    assert entry.entity_type == "organization" and entry.after is None
    assert entry.before["name"] == "Trung tâm học tập cộng đồng"
    assert entry.before["members_count"] == 12


def test_audit_page_newest_first_filtered_with_before_and_after(app, client, site):
    sign_in(client, "admin")
    client.post("/admin/units/16729/denominators?year=2025", data={"cong-dan-hoc-tap": "3000"})
    client.post("/admin/units/16729/denominators?year=2025", data={"cong-dan-hoc-tap": "3100"})

    page = text(client.get("/admin/audit?entity=denominator"))
    assert "Nhật ký thay đổi" in page
    assert page.index("3000 → 3100") < page.index("— → 3000")  # newest first
    assert "16729 · cong-dan-hoc-tap · 2025" in page
    assert "— → Phường Ba Đình" not in page  # unit entries are filtered out

    by_cli = text(client.get("/admin/audit?actor=cli"))
    assert "3000 → 3100" not in by_cli and "— → Phường Ba Đình" in by_cli
    by_admin = text(client.get("/admin/audit?actor=admin&entity=unit"))
    assert "Chưa có thay đổi nào khớp bộ lọc." in by_admin

    client.set_cookie("lang", "en")
    english = text(client.get("/admin/audit?entity=denominator"))
    assert "Audit log" in english and "Before → after" in english


def test_audit_page_is_paginated(app, client, site):
    with app.app_context():
        for n in range(PER_PAGE + 1):
            audit_trail.record(action="update", entity_type="unit", entity_id=None,
                               key=f"marker-{n:03d}", before={"name": n}, after={"name": n + 1})
        db.session.commit()
        db.session.remove()
    sign_in(client, "admin")
    first = text(client.get("/admin/audit"))
    assert f"marker-{PER_PAGE:03d}" in first  # the newest
    assert "marker-000" not in first  # the oldest marker is one page further
    assert "marker-000" in text(client.get("/admin/audit?page=2"))
    assert client.get("/admin/audit?page=999999999999").status_code == 200


def test_only_admins_see_the_audit_log(app, client, site):
    anonymous = client.get("/admin/audit")
    assert anonymous.status_code == 302 and "/signin" in anonymous.headers["Location"]
    for username in ("approve", "review-a", "ho-a", "truong"):
        sign_in(client, username, PASSWORD)
        assert client.get("/admin/audit").status_code == 403
        client.post("/signout")


def test_the_admin_menu_links_the_audit_log(client, site):
    sign_in(client, "admin")
    assert 'href="/admin/audit"' in text(client.get("/admin/"))
