"""A reorganisation as one reviewed change (issue 8, item 2): merge, split, rename, a code reused the
day after, open dossiers moved (409 stale for a reviewer holding the old version), a refusal half way
that changes nothing, an idempotent re-apply, a dry run, and the CLI, API and shipped Bỉm Sơn file,
all driving certify/services/reorganizations.py."""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from certify.errors import Invalid, Stale
from certify.extensions import db
from certify.models import (Denominator, HistoryEntry, Household, Nomination, Organization, Person,
                            Succession, Unit, User)
from certify.services import reorganizations, units
from certify.workflow import engine, workflows
from tests.api_client import Api
from tests.factories import CITIZEN, CITIZEN_PASS, nomination_in

EFFECTIVE = date(2025, 7, 1)
LAST_DAY = EFFECTIVE - timedelta(days=1)
SOURCE = "NQ 1686/NQ-UBTVQH15, 16/6/2025"
EXAMPLE = Path(__file__).parent.parent / "certify/data/reorganizations/thanh-hoa-2025-bim-son.yaml"


def merge_file(w, **changes) -> dict:
    """Both wards of the test world become one ward under the town, reusing ward A's code."""
    return {"effective": EFFECTIVE.isoformat(), "source": SOURCE, "units": [
        {"code": w.ward_a.code, "name": "Phường Bỉm Sơn", "level": "commune",
         "parent_code": w.district.code, "from": [w.ward_a.code, w.ward_b.code]}], **changes}


def split_file(w, assign=None) -> dict:
    """The town ends; its two wards go on as two new wards directly under the province, sharing
    what the town itself held (its organization, its staff accounts)."""
    data = {"effective": EFFECTIVE.isoformat(), "source": SOURCE, "units": [
        {"code": w.ward_a.code, "name": "Phường Bỉm Sơn", "level": "commune",
         "parent_code": w.province.code, "from": [w.ward_a.code, w.district.code]},
        {"code": "14818", "name": "Phường Quang Trung", "level": "commune",
         "parent_code": w.province.code, "from": [w.ward_b.code, w.district.code]}]}
    if assign is not None:
        data["assign"] = assign
    return data


def snapshot() -> dict:
    """Everything a reorganisation may change, as plain values."""
    def rows(*columns):
        return sorted(db.session.execute(select(*columns)).all())
    return {"units": rows(Unit.id, Unit.code, Unit.valid_from, Unit.valid_until, Unit.parent_id),
            "households": rows(Household.id, Household.unit_id),
            "persons": rows(Person.id, Person.unit_id),
            "organizations": rows(Organization.id, Organization.unit_id),
            "users": rows(User.id, User.unit_id),
            "nominations": rows(Nomination.id, Nomination.unit_id, Nomination.state,
                                Nomination.version, Nomination.submitted_at),
            "history": rows(HistoryEntry.id),
            "successions": rows(Succession.id),
            "denominators": rows(Denominator.unit_id, Denominator.title_code, Denominator.year,
                                 Denominator.value)}


def test_merge_moves_everything_of_the_old_wards_and_reuses_a_code_the_day_after(world):
    w = world
    units.set_denominators(w.ward_a, 2025, {CITIZEN: 100})
    units.set_denominators(w.ward_b, 2025, {CITIZEN: 50})
    units.set_denominators(w.ward_b, 2024, {CITIZEN: 40})  # before the change: stays
    submitted = nomination_in(w, "submitted")
    queued_at, version = submitted.submitted_at, submitted.version
    old_a, old_b = w.ward_a, w.ward_b

    result = reorganizations.apply(merge_file(w), actor=w.admin)

    assert result.applied
    new = units.find(old_a.code, EFFECTIVE)
    assert new is not None and new.id != old_a.id and new.parent_id == w.district.id
    assert units.find(old_a.code, LAST_DAY) == old_a and old_a.valid_until == LAST_DAY
    assert old_b.valid_until == LAST_DAY
    assert {(s.predecessor_id, s.kind, s.source) for s in db.session.scalars(
        select(Succession).where(Succession.successor_id == new.id))} == {
        (old_a.id, "merge", SOURCE), (old_b.id, "merge", SOURCE)}
    for model in (Household, Person):
        assert set(db.session.scalars(select(model.unit_id))) == {new.id}
    assert w.household_a.unit_id == w.reviewer_b.unit_id == new.id
    # The open dossier: same state, same place in the queue, a new version, a history entry.
    db.session.refresh(submitted)
    assert (submitted.unit_id, submitted.state, submitted.submitted_at) == (new.id, "submitted",
                                                                            queued_at)
    assert submitted.version == version + 1
    last = submitted.history[-1]
    assert last.event == reorganizations.REORGANIZE and last.from_state == last.to_state
    assert SOURCE in last.comment
    # Denominators: the sum for the effective year, nothing for the year before.
    assert units.denominators_of(new, 2025) == {CITIZEN: 150}
    assert units.denominators_of(new, 2024) == {}
    (planned,) = result.units
    assert planned.carried == [{"title_code": CITIZEN, "year": 2025, "value": 150}]
    assert planned.moves.counts["open_dossiers"] == 1


def test_decided_dossiers_and_recognitions_stay_where_they_were_decided(world):
    w = world
    approved = nomination_in(w, "approved")
    rejected = nomination_in(w, "rejected", year=2025)
    unit_of_recognition = approved.recognition.unit_id
    reorganizations.apply(merge_file(w), actor=w.admin)
    for n in (approved, rejected):
        db.session.refresh(n)
        assert n.unit_id == w.ward_a.id and n.history[-1].event != reorganizations.REORGANIZE
    assert approved.recognition.unit_id == unit_of_recognition


def test_rename_is_one_to_one(world):
    w = world
    data = {"effective": EFFECTIVE.isoformat(), "source": SOURCE, "units": [
        {"code": "14830", "name": "Phường Ba Đình Mới", "level": "commune",
         "parent_code": w.district.code, "from": [w.ward_a.code]}]}
    reorganizations.apply(data, actor=w.admin)
    new = units.find("14830")
    (link,) = db.session.scalars(select(Succession).where(Succession.successor_id == new.id))
    assert (link.predecessor_id, link.kind) == (w.ward_a.id, "rename")
    assert w.household_a.unit_id == new.id and w.household_b.unit_id == w.ward_b.id


def test_a_split_is_refused_while_anything_of_the_split_unit_is_unassigned(world):
    w = world
    before = snapshot()
    preview = reorganizations.plan(split_file(w))
    assert {(u["kind"], u["name"]) for u in preview.unassigned} == {
        ("organization", w.organization.name), ("account", w.district_reviewer.username),
        ("account", w.approver.username)}
    with pytest.raises(Invalid) as refused:
        reorganizations.apply(split_file(w), actor=w.admin)
    assert {d["name"] for d in refused.value.details} == {
        w.organization.name, w.district_reviewer.username, w.approver.username}
    assert snapshot() == before


def test_a_split_applies_with_its_assignment(world):
    w = world
    units.set_denominators(w.district, 2025, {"don-vi-hoc-tap": 9})
    units.set_denominators(w.ward_b, 2025, {CITIZEN: 50})
    dossier = nomination_in(w, "submitted", title="don-vi-hoc-tap")
    assign = {"14818": {"organizations": [w.organization.name],
                        "accounts": [w.district_reviewer.username]},
              w.ward_a.code: {"accounts": [w.approver.username]}}
    result = reorganizations.apply(split_file(w, assign), actor=w.admin)
    quang_trung, bim_son = units.find("14818"), units.find(w.ward_a.code)
    assert quang_trung.parent_id == bim_son.parent_id == w.province.id
    assert w.district.valid_until == LAST_DAY  # the parent ends on the same day as its children
    assert w.organization.unit_id == quang_trung.id
    assert w.organization_user.unit_id == quang_trung.id  # follows its organization
    assert w.district_reviewer.unit_id == quang_trung.id and w.approver.unit_id == bim_son.id
    assert w.household_b.unit_id == quang_trung.id and w.household_a.unit_id == bim_son.id
    db.session.refresh(dossier)
    assert dossier.unit_id == quang_trung.id and dossier.state == "submitted"
    kinds = dict(db.session.execute(select(Succession.predecessor_id, Succession.kind)
                                    .where(Succession.successor_id == quang_trung.id)).all())
    assert kinds == {w.ward_b.id: "merge", w.district.id: "split"}
    # The town's own figure cannot be divided: left for the admin; the ward's is carried.
    planned = {u.code: u for u in result.units}["14818"]
    assert planned.to_enter == [{"title_code": "don-vi-hoc-tap", "year": 2025}]
    assert units.denominators_of(quang_trung, 2025) == {CITIZEN: 50}


def test_a_wrong_assignment_is_refused_with_its_key(world):
    w = world
    with pytest.raises(Invalid) as refused:
        reorganizations.plan(split_file(w, {"14818": {"organizations": ["Trường không có"]}}))
    assert refused.value.details[0]["field"] == "assign.14818.organizations.0"


@pytest.mark.parametrize("change, field", [
    ({"effective": "2025-13-01"}, "effective"),
    ({"units": []}, "units"),
    ({"source": "x" * 301}, "source"),
    ({"units": [{"code": "1", "name": "A", "level": "ward", "from": []}]}, "units.0.level"),
    ({"units": [{"code": "1", "name": "A", "level": "commune", "from": ["999"]}]}, "units.0.from.0"),
    ({"unknown": 1}, "unknown"),
])
def test_a_bad_file_is_refused_naming_the_key_and_changes_nothing(world, change, field):
    before = snapshot()
    with pytest.raises(Invalid) as refused:
        reorganizations.apply(merge_file(world, **change), actor=world.admin)
    assert field in [d["field"] for d in refused.value.details]
    assert snapshot() == before


def test_a_parent_that_ends_is_refused(world):
    w = world
    data = split_file(w)
    data["units"][0]["parent_code"] = w.district.code
    with pytest.raises(Invalid) as refused:
        reorganizations.plan(data)
    assert ("units.0.parent_code", "parent_ends") in [(d["field"], d["code"])
                                                      for d in refused.value.details]


def test_a_refusal_half_way_changes_nothing(world):
    """The parent given ends before the new unit would: `units.add` refuses after the old units
    were already closed and households moved in the same transaction — all of it is rolled back."""
    w = world
    units.create(code="39", name="Tỉnh sắp nhập", level="province", valid_until="2030-12-31")
    nomination_in(w, "submitted")
    before = snapshot()
    data = merge_file(w)
    data["units"][0]["parent_code"] = "39"
    data["units"][0]["level"] = "district"
    data["units"].insert(0, {"code": "14830", "name": "Phường Mới", "level": "commune",
                             "parent_code": w.district.code, "from": [w.ward_b.code]})
    data["units"][1]["from"] = [w.ward_a.code]
    with pytest.raises(Invalid) as refused:
        reorganizations.apply(data, actor=w.admin)
    assert refused.value.details[0]["code"] == "ends_before"
    db.session.expire_all()
    assert snapshot() == before


def test_applying_the_same_file_twice_changes_nothing_the_second_time(world):
    w = world
    nomination_in(w, "submitted")
    reorganizations.apply(merge_file(w), actor=w.admin)
    after_first = snapshot()
    again = reorganizations.apply(merge_file(w), actor=w.admin)
    assert again.already_applied and not again.applied
    assert snapshot() == after_first
    assert reorganizations.plan(merge_file(w)).already_applied


def test_a_dry_run_changes_nothing_and_says_what_would_move(world):
    w = world
    n = nomination_in(w, "submitted")
    before = snapshot()
    preview = reorganizations.plan(merge_file(w))
    assert snapshot() == before
    (planned,) = preview.units
    assert planned.moves.counts["households"] == 2 and planned.moves.counts["persons"] == 2
    assert [d["receipt_code"] for d in planned.moves.open_dossiers] == [n.receipt_code]
    assert {a["name"] for a in planned.moves.accounts} == {"ho-a", "ho-b", "review-a", "review-b"}


def test_a_reviewer_holding_a_moved_dossier_gets_stale_and_nothing_is_lost(world):
    w = world
    n = nomination_in(w, "submitted")
    held = n.version  # the reviewer opened the dossier before the change
    reorganizations.apply(merge_file(w), actor=w.admin)
    with pytest.raises(Stale):
        engine.apply(n.id, "verify", w.reviewer_a, held, engine.Payload(assessment=CITIZEN_PASS))
    db.session.refresh(n)
    assert n.state == "submitted"
    # With the current version the same reviewer, now of the new ward, verifies it.
    engine.apply(n.id, "verify", w.reviewer_a, n.version, engine.Payload(assessment=CITIZEN_PASS))
    db.session.refresh(n)
    assert n.state == "verified"


# -- the same service through the API and the CLI --------------------------------------------------

def test_api_dry_run_then_apply_then_stale(world, client):
    w = world
    api = Api(client)
    n = nomination_in(w, "submitted")
    held = n.version
    assert api.post("/reorganizations", "ho-a", json={**merge_file(w), "dry_run": True}
                    ).status_code == 403
    r = api.post("/reorganizations", "admin", json={**merge_file(w), "dry_run": True})
    assert r.status_code == 200 and not r.get_json()["applied"]
    assert r.get_json()["units"][0]["counts"]["open_dossiers"] == 1
    assert units.find(w.ward_b.code) is not None  # nothing changed
    r = api.post("/reorganizations", "admin", json=merge_file(w))
    assert r.status_code == 201 and r.get_json()["applied"]
    r = api.post("/reorganizations", "admin", json=merge_file(w))
    assert r.status_code == 200 and r.get_json()["already_applied"]
    r = api.post(f"/nominations/{n.id}/events", "review-a",
                 json={"event": "verify", "version": held, "assessment": CITIZEN_PASS})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "stale"
    r = api.post("/reorganizations", "admin", json=split_file(w))
    assert r.status_code == 422


def test_api_bad_input_is_422_naming_the_key(world, client):
    r = Api(client).post("/reorganizations", "admin", json=merge_file(world, effective="1/7/2025"))
    assert r.status_code == 422
    assert r.get_json()["error"]["details"][0]["field"] == "effective"


def test_cli_dry_run_prints_the_plan_and_apply_applies(world, runner, tmp_path):
    w = world
    path = tmp_path / "merge.yaml"
    path.write_text(yaml.safe_dump(merge_file(w), allow_unicode=True), encoding="utf-8")
    before = snapshot()
    result = runner.invoke(args=["reorganize", str(path), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Phường Bỉm Sơn" in result.output and "Chạy thử" in result.output
    assert snapshot() == before
    result = runner.invoke(args=["reorganize", str(path)])
    assert result.exit_code == 0, result.output
    assert units.find(w.ward_b.code) is None
    result = runner.invoke(args=["reorganize", str(path)])
    assert result.exit_code == 0 and "Đã áp dụng trước đây" in result.output


def test_cli_refusal_exits_1_with_the_reasons(world, runner, tmp_path):
    path = tmp_path / "split.yaml"
    path.write_text(yaml.safe_dump(split_file(world), allow_unicode=True), encoding="utf-8")
    before = snapshot()
    result = runner.invoke(args=["reorganize", str(path)])
    assert result.exit_code == 1 and "assign" in result.output
    assert "Traceback" not in result.output
    assert snapshot() == before


# -- the shipped Bỉm Sơn file on the demo data -----------------------------------------------------

def test_the_bim_son_example_applies_cleanly_to_the_demo(runner, ctx):
    assert runner.invoke(args=["demo-data", "--password", "demo passphrase"]).exit_code == 0
    opened = dict(db.session.execute(select(Nomination.id, Nomination.state)
                                     .where(reorganizations.in_progress())).all())
    decided = dict(db.session.execute(select(Nomination.id, Nomination.unit_id)
                                      .where(~reorganizations.in_progress())).all())
    counts = {m: db.session.scalar(select(func.count()).select_from(m))
              for m in (Nomination, Household, Person, Organization, User)}
    assert opened and decided
    result = runner.invoke(args=["reorganize", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    new = {units.find("14812", EFFECTIVE).id, units.find("14818", EFFECTIVE).id}
    assert all(units.find(c) is not None for c in ("14812", "14818", "38"))
    assert units.find("381") is None and units.find("14809") is None
    # Every open dossier moved, in its state; decided ones stay; nothing lost.
    for nid, state in opened.items():
        n = db.session.get(Nomination, nid)
        assert n.unit_id in new and n.state == state
        assert n.history[-1].event == reorganizations.REORGANIZE
    for nid, unit_id in decided.items():
        assert db.session.get(Nomination, nid).unit_id == unit_id
    assert {m: db.session.scalar(select(func.count()).select_from(m)) for m in counts} == counts
    for model in (Household, Person, Organization):
        assert set(db.session.scalars(select(model.unit_id))) <= new
    assert set(db.session.scalars(select(User.unit_id).where(User.role != "admin"))) <= new
    assert db.session.scalar(select(func.count()).select_from(Succession)) == 9
    assert set(workflows())  # the workflows still load


# -- the admin page --------------------------------------------------------------------------------

def test_admin_page_previews_then_applies_with_one_click(client):
    from tests.web_support import Site, sign_in, text

    site = Site(client.application)
    data = site.run(lambda w: yaml.safe_dump(merge_file(w), allow_unicode=True))
    sign_in(client, "admin")
    assert client.get("/admin/reorganizations").status_code == 200
    units_before = site.count(Unit)
    uploaded = client.post("/admin/reorganizations", content_type="multipart/form-data",
                           data={"file": (io.BytesIO(data.encode()), "bim-son.yaml")})
    assert uploaded.status_code == 200 and "Phường Bỉm Sơn" in text(uploaded)
    preview = client.post("/admin/reorganizations", data={"text": data})
    assert preview.status_code == 200
    page = text(preview)
    assert "Xem trước: chưa thay đổi gì" in page and "Phường Bỉm Sơn" in page
    assert site.count(Unit) == units_before
    applied = client.post("/admin/reorganizations", data={"text": data, "confirm": "1"})
    assert applied.status_code == 200 and "Đã áp dụng" in text(applied)
    assert site.count(Unit) == units_before + 1
    again = client.post("/admin/reorganizations", data={"text": data, "confirm": "1"})
    assert "Đã áp dụng trước đây" in text(again)
    assert site.count(Unit) == units_before + 1


def test_admin_page_shows_errors_and_unassigned_and_changes_nothing(client):
    from tests.web_support import Site, sign_in, text

    site = Site(client.application)
    split = site.run(lambda w: yaml.safe_dump(split_file(w), allow_unicode=True))
    sign_in(client, "admin")
    before = site.count(Unit)
    bad = client.post("/admin/reorganizations", data={"text": "effective: [\n"})
    assert bad.status_code == 422 and "Tệp không đúng định dạng YAML." in text(bad)
    wrong = client.post("/admin/reorganizations", data={"text": "source: x\nunits: []\n"})
    assert wrong.status_code == 422 and "Ngày có hiệu lực: chưa nhập." in text(wrong)
    preview = client.post("/admin/reorganizations", data={"text": split})
    assert "Chưa phân về đơn vị mới" in text(preview) and "Trường THCS Ba Đình" in text(preview)
    assert 'name="confirm"' not in preview.get_data(as_text=True)
    refused = client.post("/admin/reorganizations", data={"text": split, "confirm": "1"})
    assert refused.status_code == 422 and "Chưa phân về đơn vị mới" in text(refused)
    assert site.count(Unit) == before
    sign_in(client, "ho-a")
    assert client.get("/admin/reorganizations").status_code == 403


def test_a_unit_cannot_end_while_a_unit_below_it_is_not_replaced(world):
    w = world
    data = {"effective": EFFECTIVE.isoformat(), "source": SOURCE, "units": [
        {"code": "14830", "name": "Phường Mới", "level": "commune", "parent_code": w.province.code,
         "from": [w.ward_a.code, w.district.code]}]}
    before = snapshot()
    with pytest.raises(Invalid) as refused:
        reorganizations.apply(data, actor=w.admin)
    (reason,) = refused.value.details
    assert reason["code"] == "children_go_on" and reason["children"] == [w.ward_b.code]
    assert snapshot() == before
