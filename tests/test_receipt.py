"""The receipt and the public look-up as the public-service portal does them (issue 10 item 2):
a receipt code only from the first submission, drafts private to their applicant and deletable,
and what the receipt, the look-up page and the public API say of a dossier — receiving office,
date received, expected result date from the rules, on time / late, next step, the reason when
returned, a QR code to the look-up — with no personal data."""

from __future__ import annotations

import io
import re
from urllib.parse import urlsplit

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import select

from certify import clock
from certify.extensions import db
from certify.models import AuditEntry, EvidenceFile, HistoryEntry, Nomination
from certify.services import deadlines, evidence, nominations, public
from certify.workflow import engine, meaning, workflow

from .api_client import Api
from .factories import CITIZEN, CITIZEN_PASS, PDF, nomination_in
from .web_support import Site, sign_in, text


@pytest.fixture
def api(client):
    return Api(client)


def _draft(w, scores=None):
    return nominations.create(w.household_a, title=CITIZEN, subject_id=w.person_a.id,
                              year=clock.today().year, self_assessment=dict(scores or CITIZEN_PASS))


def _upload(w, n) -> EvidenceFile:
    return evidence.add(w.household_a, n.id, criterion="1.1", filename="giay-khen.pdf",
                        stream=io.BytesIO(PDF))


# -- a receipt code only from submission ----------------------------------------------------------

def test_a_draft_has_no_receipt_code_until_submitted_and_keeps_it_after(world, api):
    n = _draft(world)
    assert n.receipt_code is None
    body = api.get(f"/nominations/{n.id}", "ho-a").get_json()
    assert body["receipt_code"] is None and body["state"] == "draft"

    engine.apply(n.id, "submit", world.household_a, n.version)
    code = db.session.get(Nomination, n.id).receipt_code
    assert code and code.startswith(f"CDHT-{n.year}-")
    assert api.get(f"/public/dossiers/{code}").status_code == 200

    engine.apply(n.id, "return", world.reviewer_a, n.version,
                 engine.Payload(comment="Bổ sung minh chứng 2.2"))
    engine.apply(n.id, "submit", world.household_a, n.version)
    assert db.session.get(Nomination, n.id).receipt_code == code


def test_drafts_are_private_to_their_applicant(world, api):
    draft = _draft(world)
    # Reviewers and approvers of its ward and district neither list nor open a draft.
    for official in ("review-a", "approve"):
        assert api.get(f"/nominations/{draft.id}", official).status_code == 404
        listed = api.get("/nominations", official).get_json()["items"]
        assert draft.id not in [i["id"] for i in listed]
    # Its household and the admins do.
    assert api.get(f"/nominations/{draft.id}", "ho-a").status_code == 200
    assert api.get(f"/nominations/{draft.id}", "admin").status_code == 200
    # Once submitted, the reviewer sees it.
    engine.apply(draft.id, "submit", world.household_a, draft.version)
    assert api.get(f"/nominations/{draft.id}", "review-a").status_code == 200


def test_review_pages_do_not_show_a_draft(world, client):
    draft = _draft(world)
    sign_in(client, "review-a")
    assert client.get(f"/review/nominations/{draft.id}").status_code == 404
    assert world.person_a.full_name not in text(client.get("/review/"))


# -- deleting a draft -----------------------------------------------------------------------------

def test_the_applicant_deletes_a_draft_with_its_files_and_the_audit_log_says_so(world, api):
    n = _draft(world)
    record = _upload(world, n)
    path = evidence.path_of(record)
    assert path.is_file()
    nid = n.id

    r = api.call("DELETE", f"/nominations/{nid}", "ho-a")
    assert r.status_code == 204
    db.session.expire_all()
    assert db.session.get(Nomination, nid) is None
    assert not path.exists()
    assert db.session.scalar(select(EvidenceFile).where(EvidenceFile.nomination_id == nid)) is None
    assert db.session.scalar(select(HistoryEntry).where(HistoryEntry.nomination_id == nid)) is None
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.entity_type == "nomination"))
    assert (entry.action, entry.entity_id, entry.actor_name) == ("delete", nid, "ho-a")
    assert entry.before["evidence_files"] == 1
    assert api.get(f"/nominations/{nid}", "ho-a").status_code == 404
    # The subject is free again: a new draft for the same title and year.
    assert _draft(world).state == "draft"


def test_only_the_applicant_deletes_and_only_a_draft(world, api):
    draft = _draft(world)
    for other in ("ho-b", "review-a", "approve", "admin", "truong"):
        r = api.call("DELETE", f"/nominations/{draft.id}", other)
        assert r.status_code == 404, other
        assert r.get_json()["error"]["code"] == "not_found"
    db.session.expire_all()
    assert db.session.get(Nomination, draft.id) is not None

    engine.apply(draft.id, "submit", world.household_a, draft.version)
    r = api.call("DELETE", f"/nominations/{draft.id}", "ho-a")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "transition_not_allowed"
    db.session.expire_all()
    assert db.session.get(Nomination, draft.id).state == "submitted"
    assert api.call("DELETE", "/nominations/99999", "ho-a").status_code == 404


def test_the_delete_button_asks_for_confirmation_without_javascript(app, client):
    site = Site(app)
    nid = site.run(lambda w: _draft(w).id)
    sign_in(client, "ho-a")
    page = text(client.get(f"/household/nominations/{nid}"))
    assert "Xoá hồ sơ nháp" in page
    version = site.nomination_row(nid).version

    asked = client.post(f"/household/nominations/{nid}/delete", data={"version": version})
    assert asked.status_code == 200
    body = text(asked)
    assert "Thao tác này không thể hoàn tác" in body and 'name="confirmed" value="1"' in body
    assert site.nomination_row(nid) is not None  # nothing deleted yet

    done = client.post(f"/household/nominations/{nid}/delete",
                       data={"version": version, "confirmed": "1"}, follow_redirects=True)
    assert "Đã xoá hồ sơ nháp" in text(done)
    assert site.nomination_row(nid) is None


def test_a_submitted_dossier_offers_no_delete_and_refuses_one(app, client):
    site = Site(app)
    nid = site.nomination("submitted")
    sign_in(client, "ho-a")
    assert "Xoá hồ sơ nháp" not in text(client.get(f"/household/nominations/{nid}"))
    row = site.nomination_row(nid)
    r = client.post(f"/household/nominations/{nid}/delete",
                    data={"version": row.version, "confirmed": "1"}, follow_redirects=True)
    assert r.status_code == 200 and site.nomination_row(nid).state == "submitted"


# -- what the receipt and the look-up say ---------------------------------------------------------

def _expected_office(n):
    """The unit the title's reviewer tier in force names, found from the dossier's unit up."""
    level = workflow(n.title_code).tier("reviewer", clock.today(), subject=n.organization)
    unit = n.unit
    while unit.level != level:
        unit = unit.parent
    return unit


def test_the_public_dossier_says_office_dates_status_and_next_step_without_personal_data(
        world, api):
    n = nomination_in(world, "submitted")
    r = api.get(f"/public/dossiers/{n.receipt_code}")
    assert r.status_code == 200
    body = r.get_json()
    due = deadlines.for_year(n.title_code, n.year).get("approve_by")
    office = _expected_office(n)
    assert body["office"] == office.name and body["office_code"] == office.code
    assert body["received_on"] == n.submitted_at.astimezone(clock.zone()).date().isoformat()
    assert body["expected_by"] == (due.isoformat() if due else None)
    assert body["status"] == ("late" if due and clock.today() > due else "on_time")
    assert body["stage"] == "review" and office.name in body["next_step"]
    assert body["returned_reason"] is None
    assert urlsplit(body["lookup_url"]).path == "/lookup"
    raw = r.get_data(as_text=True)
    person = world.person_a
    assert person.full_name not in raw and person.national_id not in raw
    assert person.national_id[-4:] not in raw


def test_a_returned_dossier_shows_the_reason_only(world, api):
    n = nomination_in(world, "submitted")
    engine.apply(n.id, meaning.procedure(workflow(CITIZEN).spec)["send_back"], world.reviewer_a,
                 n.version, engine.Payload(comment="Bổ sung minh chứng cho chỉ số 2.2"))
    body = api.get(f"/public/dossiers/{n.receipt_code}").get_json()
    assert body["stage"] == "returned"
    assert body["returned_reason"] == "Bổ sung minh chứng cho chỉ số 2.2"
    raw = str(body)
    assert world.reviewer_a.display_name not in raw and world.person_a.full_name not in raw


def test_a_recognised_dossier_is_finished(world, api):
    n = nomination_in(world, "approved")
    body = api.get(f"/public/dossiers/{n.receipt_code}").get_json()
    assert body["stage"] == "granted"
    due = deadlines.for_year(n.title_code, n.year).get("approve_by")
    assert body["status"] == ("late" if due and clock.today() > due else "on_time")


def test_the_receiving_office_follows_the_tier_profile(world, api):
    """A unit dossier is reviewed by the district under the default profile: the office is the
    district even though the school's unit is the district itself; a citizen's by the ward."""
    n = nomination_in(world, "submitted", title="don-vi-hoc-tap")
    body = api.get(f"/public/dossiers/{n.receipt_code}").get_json()
    assert body["office_code"] == _expected_office(n).code
    citizen = nominations.create(world.household_b, title=CITIZEN, subject_id=world.person_b.id,
                                 year=clock.today().year, self_assessment=dict(CITIZEN_PASS))
    engine.apply(citizen.id, "submit", world.household_b, citizen.version)
    body = api.get(f"/public/dossiers/{citizen.receipt_code}").get_json()
    assert body["office_code"] == _expected_office(citizen).code == world.ward_b.code


def _decode_png(png: bytes) -> list[str]:
    return [found.text for found in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


def test_the_receipt_page_carries_a_qr_code_that_opens_the_look_up(app, client):
    site = Site(app)
    nid = site.nomination("submitted")
    code = site.nomination_row(nid).receipt_code
    sign_in(client, "ho-a")
    page = text(client.get(f"/household/nominations/{nid}/receipt"))
    for words in ("Cơ quan tiếp nhận", "Ngày tiếp nhận", "Ngày hẹn trả kết quả",
                  "Tình trạng xử lý", "Bước tiếp theo"):
        assert words in page
    svg = re.search(r"<svg[^>]*class=\"qr\".*?</svg>", page, re.S)
    assert svg is not None
    with app.app_context():
        from certify.web.public import lookup_url

        url = lookup_url(code)
        # The SVG on the page is the QR of that address: the same symbol segno draws as PNG.
        assert public.qr_svg(url) in page
        decoded = _decode_png(public.qr_png(url))
    assert decoded == [url]
    client.post("/signout")
    parts = urlsplit(decoded[0])
    opened = client.get(f"{parts.path}?{parts.query}")
    assert opened.status_code == 200
    body = text(opened)
    assert code in body and "Cơ quan tiếp nhận" in body
    assert "Nguyễn Văn An" not in body


def test_the_look_up_never_finds_a_draft_and_the_receipt_of_a_draft_has_no_qr(app, client):
    site = Site(app)
    nid = site.run(lambda w: _draft(w).id)
    sign_in(client, "ho-a")
    page = text(client.get(f"/household/nominations/{nid}/receipt"))
    assert "chưa có mã biên nhận" in page and 'class="qr"' not in page
    assert client.get("/lookup?code=None").status_code == 404


def test_the_migration_clears_the_codes_of_dossiers_never_submitted(app, world):
    """Upgrading: a draft loses the code it was given at creation, a submitted dossier keeps its
    own; downgrading gives every dossier a code again (the column was NOT NULL)."""
    from alembic.script import ScriptDirectory
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    draft = _draft(world).id
    submitted = nomination_in(world, "submitted", year=clock.today().year - 1)
    sent, code = submitted.id, submitted.receipt_code
    db.session.commit()
    script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
    before = script.get_revision("d7a3c1e9b842").down_revision
    db.session.remove()
    downgrade(revision=before)
    with db.engine.begin() as conn:
        codes = dict(conn.execute(text("SELECT id, receipt_code FROM nominations")).all())
    assert codes[draft] and codes[draft].startswith("CDHT-") and codes[sent] == code
    upgrade()
    codes = dict(db.session.execute(text("SELECT id, receipt_code FROM nominations")).all())
    assert codes == {draft: None, sent: code}
