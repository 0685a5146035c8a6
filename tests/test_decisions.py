"""Recognition only by decision: approvals need one, its number, dates, issuer, authority line,
annex and certificate."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from certify import clock
from certify.extensions import db
from certify.models import Decision, Recognition
from certify.services import certificates, decisions
from tests.api_client import Api
from tests.factories import PASSWORD, nomination_in, one_item_decision


@pytest.fixture
def api(client):
    return Api(client)


def today(app):
    with app.app_context():
        return clock.today()


def approve(api, n, decision=None, who="approve"):
    body = {"event": "approve", "version": n.version}
    if decision is not None:
        body["decision"] = decision
    return api.post(f"/nominations/{n.id}/events", who, json=body)


def reasons(r):
    return {(d["field"], d["code"]) for d in r.get_json()["error"]["details"]}


def test_approve_without_a_decision_lists_what_is_missing_and_changes_nothing(world, api):
    n = nomination_in(world, "verified")
    r = approve(api, n)
    assert r.status_code == 422
    assert reasons(r) == {(f"decision.{f}", "required") for f in decisions.FIELDS}
    r = approve(api, n, {"number": "12/QĐ-UBND", "signer": "Nguyễn Văn Hùng"})
    assert r.status_code == 422
    assert reasons(r) == {("decision.date", "required"), ("decision.signer_position", "required")}
    assert api.get(f"/nominations/{n.id}", "approve").get_json()["state"] == "verified"


def test_a_single_approval_creates_a_one_item_decision(app, world, api):
    n = nomination_in(world, "verified")
    day = today(app)
    r = approve(api, n, {"number": "12/QĐ-UBND", "date": day.isoformat(), "signer": "Trần Thị Mai",
                         "signer_position": "kt_pho_chu_tich", "place": "Bỉm Sơn"})
    assert r.status_code == 200, r.get_json()
    rec = r.get_json()["recognition"]
    assert rec["decision"]["number"] == "12/QĐ-UBND" and rec["valid_from"] == day.isoformat()
    d = api.get(f"/decisions/{rec['decision']['id']}", "approve").get_json()
    assert d["issuer"] == "ỦY BAN NHÂN DÂN " + world.district.name.upper()
    assert (d["signer"], d["signer_position"], d["place"]) == ("Trần Thị Mai", "kt_pho_chu_tich",
                                                               "Bỉm Sơn")
    assert d["items"]["total"] == 1
    assert d["items"]["items"] == [{"nomination_id": n.id, "subject_name": "Nguyễn Văn An",
                                    "unit_code": n.unit.code,
                                    "recognition_code": rec["code"]}]


def test_an_approval_joins_an_existing_decision_of_the_callers_unit_only(app, world, api):
    first = nomination_in(world, "approved")
    decision_id = first.recognition.decision_id
    second = nomination_in(world, "verified", year=2025)
    r = approve(api, second, {"id": decision_id})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["recognition"]["decision"]["id"] == decision_id
    assert api.get(f"/decisions/{decision_id}", "approve").get_json()["items"]["total"] == 2

    # A decision of another unit (here the province's) is not one to join: 404, as an unknown id.
    elsewhere = Decision(number="1/QĐ-UBND", date=today(app), signer="X", issuer="ỦY BAN NHÂN DÂN "
                         "TỈNH THANH HÓA", signer_position="tm_chu_tich", unit_id=world.province.id)
    db.session.add(elsewhere)
    db.session.commit()
    third = nomination_in(world, "verified", year=2024)
    for unknown in (elsewhere.id, 999_999):
        r = approve(api, third, {"id": unknown})
        assert r.status_code == 404
    assert api.get(f"/nominations/{third.id}", "approve").get_json()["state"] == "verified"


def test_a_decision_dated_before_a_submission_is_refused_naming_the_dossier(app, world, api):
    n = nomination_in(world, "verified")
    day = today(app) - timedelta(days=1)
    r = api.post("/decisions", "approve", json={
        "number": "15/QĐ-UBND", "date": day.isoformat(), "signer": "Lê Văn Thắng",
        "signer_position": "tm_chu_tich", "nomination_ids": [n.id]})
    assert r.status_code == 422
    [detail] = r.get_json()["error"]["details"]
    assert (detail["field"], detail["code"]) == ("date", "before_submission")
    assert n.receipt_code in detail["message"]
    assert detail["nominations"][0]["nomination_id"] == n.id
    r = approve(api, n, one_item_decision(date=day.isoformat()))
    assert r.status_code == 422 and reasons(r) == {("decision.date", "before_submission")}
    assert api.get(f"/nominations/{n.id}", "approve").get_json()["state"] == "verified"


def test_a_decision_cannot_be_dated_in_the_future(app, world, api):
    n = nomination_in(world, "verified")
    r = approve(api, n, one_item_decision(date=(today(app) + timedelta(days=1)).isoformat()))
    assert r.status_code == 422 and reasons(r) == {("decision.date", "future")}


@pytest.mark.parametrize("number, ok", [
    ("12/QĐ-UBND", True), ("07/2025/QĐ-UBND", True), ("125/QĐ-CT", True),
    ("12/QD-UBND", False), ("QĐ-12", False), ("12", False), ("12/QĐ-", False), ("12 /QĐ-UBND", False),
])
def test_the_number_has_the_nd_30_2020_shape(app, world, api, number, ok):
    n = nomination_in(world, "verified")
    r = approve(api, n, one_item_decision(number=number))
    if ok:
        assert r.status_code == 200, r.get_json()
    else:
        assert r.status_code == 422 and reasons(r) == {("decision.number", "format")}
        assert "12/QĐ-UBND" in r.get_json()["error"]["message"] + r.get_json()["error"]["details"][0]["message"]


def test_a_number_is_used_once_per_unit(app, world, api):
    a, b = nomination_in(world, "verified"), nomination_in(world, "verified", year=2025)
    assert approve(api, a, one_item_decision(number="3/QĐ-UBND")).status_code == 200
    r = approve(api, b, one_item_decision(number="3/QĐ-UBND"))
    assert r.status_code == 422 and reasons(r) == {("decision.number", "taken")}


def test_post_decisions_needs_the_position_and_records_every_field(app, world, api):
    n = nomination_in(world, "verified")
    body = {"number": "20/QĐ-UBND", "date": today(app).isoformat(), "signer": "Lê Văn Thắng",
            "nomination_ids": [n.id]}
    r = api.post("/decisions", "approve", json=body)
    assert r.status_code == 422 and reasons(r) == {("signer_position", "required")}
    r = api.post("/decisions", "approve", json={**body, "signer_position": "tm_chu_tich",
                                                 "place": "Bỉm Sơn"})
    assert r.status_code == 201, r.get_json()
    d = api.get(f"/decisions/{r.get_json()['id']}?per_page=1", "approve").get_json()
    assert d["place"] == "Bỉm Sơn" and d["signer_position"] == "tm_chu_tich"
    assert d["items"]["per_page"] == 1 and d["items"]["total"] == 1


def test_every_recognition_issued_now_has_a_decision(world):
    for state in ("approved", "revoked"):
        nomination_in(world, state, year=2026 if state == "approved" else 2025)
    assert all(r.decision is not None for r in db.session.query(Recognition))


def pdf_text(pdf: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


def test_the_certificate_prints_issuer_decision_place_date_authority_and_signer(app, world, api):
    n = nomination_in(world, "verified")
    day = today(app)
    approve(api, n, {"number": "12/QĐ-UBND", "date": day.isoformat(), "signer": "Trần Thị Mai",
                     "signer_position": "kt_pho_chu_tich", "place": "Bỉm Sơn"})
    db.session.expire_all()
    rec = db.session.get(Recognition, n.recognition.id)
    text = pdf_text(certificates.recognition_pdf(rec, "https://example.vn/x"))
    assert "ỦY BAN NHÂN DÂN " + world.district.name.upper() in text
    assert f"Quyết định số 12/QĐ-UBND ngày {day:%d/%m/%Y}" in text
    assert f"Bỉm Sơn, ngày {day:%d} tháng {day:%m} năm {day:%Y}" in text
    assert "KT. CHỦ TỊCH" in text and "PHÓ CHỦ TỊCH" in text
    assert "Trần Thị Mai" in text


def test_a_recognition_without_a_decision_has_no_certificate_but_still_verifies(app, world, client):
    n = nomination_in(world, "approved")
    rec = n.recognition
    rec.decision_id = None  # as recognitions approved before decisions were required
    db.session.commit()
    with pytest.raises(certificates.NotPrintable):
        certificates.recognition_pdf(rec, "https://example.vn/x")
    assert client.post("/signin", data={"username": "approve", "password": PASSWORD}).status_code == 302
    r = client.get(f"/recognitions/{rec.id}/certificate.pdf")
    assert r.status_code == 409
    assert "Không in được giấy chứng nhận" in r.get_data(as_text=True)
    r = client.get(f"/api/v1/public/recognitions/{rec.code}")
    assert r.status_code == 200 and r.get_json()["valid"] is True


def test_the_annex_lists_the_decisions_recognitions_in_a_spreadsheet(app, world):
    a = nomination_in(world, "approved")
    b = nomination_in(world, "verified", year=2025)
    from certify.services import nominations
    nominations.fire(world.approver, b.id, "approve", version=b.version,
                     decision={"id": a.recognition.decision_id})
    decision = a.recognition.decision
    db.session.refresh(decision)
    sheet = load_workbook(io.BytesIO(decisions.annex_xlsx(decision))).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][0] == decision.issuer
    assert decision.number in rows[1][0]
    assert rows[3] == decisions.ANNEX_HEADERS
    assert [r[1] for r in rows[4:]] == ["Nguyễn Văn An", "Nguyễn Văn An"]
    assert {r[6] for r in rows[4:]} == {r.code for r in decision.recognitions}


def test_the_migration_gives_existing_decisions_their_issuer(tmp_path):
    """Decisions made before this change: the issuer comes from their unit's name, position and
    place stay empty, and they still display."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    from certify import create_app
    from tests.conftest import TEST_CONFIG

    old = create_app({**TEST_CONFIG, "DATABASE_URL": f"sqlite:///{tmp_path / 'old.sqlite3'}"})
    with old.app_context():
        upgrade(revision="215351970bac")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO units (id, code, name, level, path, created_at) "
                              "VALUES (1, '381', 'Thị xã Bỉm Sơn', 'district', '/381/', "
                              "'2025-01-01 00:00:00')"))
            conn.execute(text("INSERT INTO decisions (id, number, date, signer, unit_id, created_at) "
                              "VALUES (1, 'QĐ-2025-01', '2025-02-10', 'Chủ tịch', 1, "
                              "'2025-02-10 00:00:00')"))
        upgrade()
        found = db.session.get(Decision, 1)
        assert found.issuer == "ỦY BAN NHÂN DÂN THỊ XÃ BỈM SƠN"
        assert (found.signer_position, found.place) == (None, None)
        assert decisions.authority(found) is None and decisions.printable(found)
        assert decisions.place_and_date(found) == "Ngày 10 tháng 02 năm 2025"
        db.session.remove()
        db.engine.dispose()
