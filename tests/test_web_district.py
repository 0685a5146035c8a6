"""District pages: the verified queue, the decision's confirmation step, decisions, certificates,
revocation; and the progress dashboard with its downloads."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from certify.models import Decision

from .web_support import Site, sign_in, text


@pytest.fixture
def site(app):
    return Site(app)


@pytest.fixture
def approver(client, site):
    sign_in(client, "approve")
    return client


def _today() -> str:
    # The app's CERTIFY_TIMEZONE default: a decision is dated no later than today there.
    return datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date().isoformat()


def _decision_form(ids, **extra):
    return {"nomination_id": [str(i) for i in ids], "number": "15/QĐ-UBND", "date": _today(),
            "signer": "Lê Văn Hùng", "signer_position": "tm_chu_tich", "place": "Bỉm Sơn",
            **extra}


def _decide(approver, ids, **extra):
    """Issue a decision as the page does: the confirmation step, then its confirmed selection."""
    form = _decision_form(ids, **extra)
    page = approver.post("/district/decisions/confirm", data=form)
    assert page.status_code == 200, page.status_code
    token = re.search(r'name="token"[^>]*value="([^"]+)"', text(page)).group(1)
    return approver.post("/district/decisions",
                         data={**{k: v for k, v in form.items() if k != "nomination_id"},
                               "token": token})


def _approval_form(version, **extra):
    return {"version": str(version), "number": "16/QĐ-UBND", "date": _today(),
            "signer": "Trần Thị Mai", "signer_position": "kt_pho_chu_tich", "place": "Bỉm Sơn",
            **extra}


def test_a_single_approval_asks_for_its_decision_first(approver, site):
    from certify.extensions import db
    from certify.models import Nomination

    nid = site.nomination("verified")
    version = site.nomination_row(nid).version
    # The approve button leads to the decision's form; nothing changes yet.
    response = approver.post(f"/review/nominations/{nid}", data={"event": "approve",
                                                                 "version": str(version)})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/district/nominations/{nid}/approve")
    page = text(approver.get(response.headers["Location"]))
    assert "Số quyết định" in page and "Thẩm quyền ký" in page and "KT. CHỦ TỊCH" in page
    # Missing fields: the form again, 422, nothing written.
    missing = approver.post(f"/district/nominations/{nid}/approve/confirm",
                            data=_approval_form(version, signer="", signer_position=""))
    assert missing.status_code == 422 and "Hãy nhập người ký." in text(missing)
    confirm = approver.post(f"/district/nominations/{nid}/approve/confirm",
                            data=_approval_form(version))
    assert confirm.status_code == 200 and "Xác nhận ban hành quyết định" in text(confirm)
    assert site.nomination_row(nid).state == "verified"
    # A number in the wrong shape: 422 with the reason, still nothing written.
    bad = approver.post(f"/district/nominations/{nid}/approve",
                        data=_approval_form(version, number="16-QĐ"))
    assert bad.status_code == 422 and "Nghị định 30/2020/NĐ-CP" in text(bad)
    assert site.nomination_row(nid).state == "verified"
    # Without the confirmation page's `confirmed=1` the POST only shows that page.
    unconfirmed = approver.post(f"/district/nominations/{nid}/approve", data=_approval_form(version))
    assert unconfirmed.status_code == 200 and "không thể hoàn tác" in text(unconfirmed)
    assert site.nomination_row(nid).state == "verified"
    done = approver.post(f"/district/nominations/{nid}/approve",
                         data={**_approval_form(version), "confirmed": "1"})
    assert done.status_code == 302
    page = text(approver.get(done.headers["Location"]))
    assert "16/QĐ-UBND" in page and "KT. CHỦ TỊCH / PHÓ CHỦ TỊCH" in page
    assert "ỦY BAN NHÂN DÂN THỊ XÃ BỈM SƠN" in page and "Trần Thị Mai" in page
    assert site.nomination_row(nid).state == "approved"
    decision_id = site.run(lambda w: db.session.get(Nomination, nid).recognition.decision_id)
    annex = approver.get(f"/district/decisions/{decision_id}/annex.xlsx")
    assert annex.status_code == 200 and annex.data.startswith(b"PK")


def test_queue_lists_verified_nominations(approver, site):
    verified = site.nomination("verified")
    submitted = site.nomination("submitted", year=2025)
    page = text(approver.get("/district/"))
    assert f'value="{verified}"' in page and f'value="{submitted}"' not in page


def test_confirmation_shows_who_and_writes_nothing(approver, site):
    a = site.nomination("verified")
    b = site.nomination("verified", year=2025)
    page = approver.post("/district/decisions/confirm", data=_decision_form([a, b]))
    assert page.status_code == 200
    html = text(page)
    assert "Sẽ công nhận 2 hồ sơ sau:" in html and "Nguyễn Văn An" in html
    assert datetime.fromisoformat(_today()).strftime("%d/%m/%Y") in html
    assert site.count(Decision) == 0
    assert site.nomination_row(a).state == "verified"


def test_confirmation_needs_a_selection_and_the_decision_details(approver, site):
    a = site.nomination("verified")
    none_chosen = approver.post("/district/decisions/confirm", data=_decision_form([]))
    assert none_chosen.status_code == 422 and "Hãy chọn ít nhất một hồ sơ." in text(none_chosen)
    bad_date = approver.post("/district/decisions/confirm", data=_decision_form([a], date="31/02/2026"))
    assert bad_date.status_code == 422 and "Ngày không hợp lệ" in text(bad_date)
    no_signer = approver.post("/district/decisions/confirm", data=_decision_form([a], signer=""))
    assert no_signer.status_code == 422 and "Hãy nhập người ký." in text(no_signer)
    assert site.count(Decision) == 0


def test_a_decision_posted_without_its_confirmation_only_shows_the_confirmation(approver, site):
    """Recognition cannot be undone: a POST that skips the confirmation step decides nothing."""
    a = site.nomination("verified")
    page = approver.post("/district/decisions", data=_decision_form([a]))
    assert page.status_code == 200
    assert "Sẽ công nhận 1 hồ sơ sau:" in text(page) and 'name="token"' in text(page)
    assert site.count(Decision) == 0
    assert site.nomination_row(a).state == "verified"


def test_issue_decision_recognises_all_and_lists_them(approver, site):
    a = site.nomination("verified")
    b = site.nomination("verified", year=2025)
    response = _decide(approver, [a, b])
    assert response.status_code == 302
    assert site.nomination_row(a).state == "approved" and site.nomination_row(b).state == "approved"
    page = text(approver.get(response.headers["Location"]))
    assert "15/QĐ-UBND" in page and "Nguyễn Văn An" in page
    assert datetime.fromisoformat(_today()).strftime("%d/%m/%Y") in page
    assert "ỦY BAN NHÂN DÂN THỊ XÃ BỈM SƠN" in page and "TM. ỦY BAN NHÂN DÂN / CHỦ TỊCH" in page
    assert page.count("/certificate.pdf") == 2


def test_issue_is_all_or_none(approver, site):
    a = site.nomination("verified")
    b = site.nomination("submitted", year=2025)
    response = _decide(approver, [a, b])
    assert response.status_code == 409
    assert site.count(Decision) == 0 and site.nomination_row(a).state == "verified"


def test_duplicate_decision_number_is_refused(approver, site):
    a = site.nomination("verified")
    b = site.nomination("verified", year=2025)
    _decide(approver, [a])
    response = _decide(approver, [b])
    assert response.status_code == 422 and "Số quyết định: đã được dùng." in text(response)
    assert site.nomination_row(b).state == "verified"


def test_ward_reviewer_cannot_issue_decisions(client, site):
    a = site.nomination("verified")
    sign_in(client, "review-a")
    assert client.get("/district/").status_code == 403
    assert client.post("/district/decisions", data=_decision_form([a])).status_code == 403
    assert site.nomination_row(a).state == "verified"


def test_certificate_pdf_downloads(approver, site, client):
    from certify.extensions import db
    from certify.models import Nomination

    nid = site.nomination("approved")
    rec_id = site.run(lambda w: db.session.get(Nomination, nid).recognition.id)
    response = approver.get(f"/recognitions/{rec_id}/certificate.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert response.mimetype == "application/pdf"


def test_household_downloads_its_own_certificate_only(client, site):
    from certify.extensions import db
    from certify.models import Nomination

    nid = site.nomination("approved")
    rec_id = site.run(lambda w: db.session.get(Nomination, nid).recognition.id)
    sign_in(client, "ho-b")
    assert client.get(f"/recognitions/{rec_id}/certificate.pdf").status_code == 404
    client.post("/signout")
    sign_in(client, "ho-a")
    page = text(client.get(f"/household/nominations/{nid}"))
    assert f"/recognitions/{rec_id}/certificate.pdf" in page
    assert client.get(f"/recognitions/{rec_id}/certificate.pdf").data.startswith(b"%PDF")


def test_decision_pdf(approver, site):
    a = site.nomination("verified")
    location = _decide(approver, [a]).headers["Location"]
    response = approver.get(location + "/certificates.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")


def test_revoke_needs_a_reason(approver, site):
    nid = site.nomination("approved")
    row = site.nomination_row(nid)
    page = text(approver.get(f"/review/nominations/{nid}"))
    assert 'value="revoke"' in page
    refused = approver.post(f"/review/nominations/{nid}", data={"event": "revoke", "comment": "",
                                                                 "version": row.version})
    assert refused.status_code == 422
    assert site.nomination_row(nid).state == "approved"
    asked = approver.post(f"/review/nominations/{nid}", data={"event": "revoke", "comment": "Khai sai",
                                                              "version": row.version})
    assert asked.status_code == 200 and "không thể hoàn tác" in text(asked)
    assert site.nomination_row(nid).state == "approved"
    approver.post(f"/review/nominations/{nid}", data={"event": "revoke", "comment": "Khai sai",
                                                      "version": row.version, "confirmed": "1"})
    assert site.nomination_row(nid).state == "revoked"


def test_progress_dashboard_draws_bars_and_exports(client, site):
    site.nomination("approved")

    def denominators(w):
        from certify.services import units
        units.set_denominators(w.ward_a, 2026, {"cong-dan-hoc-tap": 4})
        units.set_denominators(w.ward_b, 2026, {"cong-dan-hoc-tap": 10})
    site.run(denominators)
    sign_in(client, "approve")
    page = text(client.get("/progress/?as_of=2026-12-31"))
    assert "units-chart" in page and "Phường Ba Đình" in page  # the bars, in HTML
    assert "25,0%" in page  # 1 holder of 4 in ward A
    csv = client.get("/progress/export.csv?as_of=2026-12-31")
    assert csv.status_code == 200 and "Phường Ba Đình" in csv.data.decode("utf-8-sig")
    xlsx = client.get("/progress/export.xlsx?as_of=2026-12-31")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    assert client.get("/progress/export.pdf").status_code == 404


def test_progress_of_a_unit_outside_scope_is_not_found(client, site):
    sign_in(client, "review-a")
    assert client.get("/progress/?unit=16729").status_code == 200
    assert client.get("/progress/?unit=16732").status_code == 404
    assert client.get("/progress/export.csv?unit=381").status_code == 404


def _other_district_verified(site) -> tuple[int, int]:
    """A verified nomination in another district (with its own ward, household and reviewer),
    and a decision of that district's approver."""
    def make(w):
        from certify.services import accounts, nominations, people, units
        from certify.workflow import engine

        from .factories import CITIZEN_PASS, PASSWORD, next_national_id

        units.create(code="382", name="Huyện Hà Trung", level="district", parent_code="38")
        units.create(code="16800", name="Xã Hà Lĩnh", level="commune", parent_code="382")
        home = accounts.create_user(username="ho-ha", password=PASSWORD, role="household",
                                    unit_code="16800", display_name="Hộ Hà")
        reviewer = accounts.create_user(username="review-ha", password=PASSWORD, role="reviewer",
                                        unit_code="16800")
        approver = accounts.create_user(username="approve-ha", password=PASSWORD, role="approver",
                                        unit_code="382")
        ids = []
        for name in ("Hoàng Văn Em", "Hoàng Thị Gấm"):
            p = people.add_person(home, {"full_name": name, "national_id": next_national_id(),
                                         "birth_year": 1980, "gender": "male",
                                         "target_group": "worker"})
            n = nominations.create(home, title="cong-dan-hoc-tap", subject_id=p.id, year=2026,
                                   self_assessment=dict(CITIZEN_PASS))
            engine.apply(n.id, "submit", home, n.version)
            engine.apply(n.id, "verify", reviewer, n.version,
                         engine.Payload(assessment=dict(CITIZEN_PASS)))
            ids.append(n.id)
        decision = nominations.issue_decision(approver, number="1/QĐ-UBND", date_=datetime.fromisoformat(
            _today()).date(), signer="Chủ tịch", signer_position="tm_chu_tich",
            nomination_ids=[ids[1]])
        return ids[0], decision.id
    return site.run(make)


def test_another_districts_nominations_and_decisions_are_out_of_reach(approver, site):
    nid, decision_id = _other_district_verified(site)
    mine = site.nomination("verified")
    assert f'value="{nid}"' not in text(approver.get("/district/"))
    assert approver.get(f"/review/nominations/{nid}").status_code == 404
    assert approver.post("/district/decisions/confirm",
                         data=_decision_form([mine, nid])).status_code == 404
    assert approver.post("/district/decisions", data=_decision_form([mine, nid])).status_code == 404
    assert site.nomination_row(nid).state == "verified" and site.nomination_row(mine).state == "verified"
    assert site.count(Decision) == 1  # only the other district's own
    assert approver.get(f"/district/decisions/{decision_id}").status_code == 404
    assert approver.get(f"/district/decisions/{decision_id}/certificates.pdf").status_code == 404
    assert "1/QĐ-UBND" not in text(approver.get("/district/decisions/"))


def test_confirmation_counts_in_english_grammar(approver, site):
    one = site.nomination("verified")
    approver.get("/lang/en")
    page = text(approver.post("/district/decisions/confirm", data=_decision_form([one])))
    assert "This 1 dossier will be recognised:" in page
    two = site.nomination("verified", year=2025)
    page = text(approver.post("/district/decisions/confirm", data=_decision_form([one, two])))
    assert "These 2 dossiers will be recognised:" in page
