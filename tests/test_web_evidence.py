"""Evidence files: type and size limits, stored outside the web root, seen only within scope."""

from __future__ import annotations

import io

import pytest

from .web_support import Site, sign_in, text

PDF = b"%PDF-1.4\n% minh chung\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


@pytest.fixture
def site(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "EVIDENCE_FOLDER", str(tmp_path / "evidence"))
    monkeypatch.setitem(app.config, "EVIDENCE_MAX_BYTES", 1024)
    return Site(app)


@pytest.fixture
def household(client, site):
    sign_in(client, "ho-a")
    return client


def upload(client, nid, data, name="giay-khen.pdf", criterion="1.3"):
    return client.post(f"/nominations/{nid}/evidence", data={
        "criterion": criterion, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data", follow_redirects=True)


def _token(page: str) -> str:
    return page.split("/evidence/")[1].split('"')[0]


def test_upload_and_download(household, site, tmp_path):
    nid = site.nomination("draft")
    page = text(upload(household, nid, PDF))
    assert "Đã tải lên giay-khen.pdf cho chỉ số 1.3." in page
    token = _token(page)
    stored = list((tmp_path / "evidence" / str(nid)).iterdir())
    assert [p.name for p in stored] == [f"{token}.pdf"]  # the user's file name is not a path
    response = household.get(f"/nominations/{nid}/evidence/{token}")
    assert response.data == PDF and response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]


@pytest.mark.parametrize("data, name, message", [
    (b"MZ\x90\x00 not a document", "virus.pdf", "Chỉ nhận tệp PDF, JPEG hoặc PNG."),
    (b"", "rong.pdf", "Hãy chọn một tệp để tải lên."),
    (PDF + b"x" * 2000, "lon.pdf", "Tệp quá lớn"),
])
def test_bad_files_are_refused(household, site, tmp_path, data, name, message):
    nid = site.nomination("draft")
    page = text(upload(household, nid, data, name))
    assert message in page
    assert not (tmp_path / "evidence" / str(nid)).exists() or \
        not list((tmp_path / "evidence" / str(nid)).iterdir())


def test_a_body_far_too_large_is_refused_before_reading(household, site):
    nid = site.nomination("draft")
    response = household.post(f"/nominations/{nid}/evidence", data={
        "criterion": "1.3", "file": (io.BytesIO(PDF + b"x" * 200_000), "big.pdf")},
        content_type="multipart/form-data")
    assert response.status_code == 413
    assert "Tệp quá lớn" in text(response)


def test_unknown_criterion_is_refused(household, site):
    nid = site.nomination("draft")
    assert "Chỉ số: không tồn tại." in text(upload(household, nid, PNG, "a.png", criterion="9.9"))


def test_reviewer_in_scope_sees_the_evidence_others_do_not(household, site, app):
    nid = site.nomination("draft")
    token = _token(text(upload(household, nid, PNG, "anh.png")))
    # Submit through the engine, then look as each role.
    from certify.extensions import db
    from certify.models import Nomination
    from certify.workflow import engine

    def submit(w):
        n = db.session.get(Nomination, nid)
        engine.apply(nid, "submit", w.household_a, n.version)
    site.run(submit)

    reviewer = app.test_client()
    sign_in(reviewer, "review-a")
    assert f"/evidence/{token}" in text(reviewer.get(f"/review/nominations/{nid}"))
    assert reviewer.get(f"/nominations/{nid}/evidence/{token}").data == PNG
    for username in ("review-b", "ho-b"):
        other = app.test_client()
        sign_in(other, username)
        assert other.get(f"/nominations/{nid}/evidence/{token}").status_code == 404
    assert app.test_client().get(f"/nominations/{nid}/evidence/{token}").status_code == 302


def test_no_changes_after_submission(household, site):
    nid = site.nomination("draft")
    token = _token(text(upload(household, nid, PDF)))
    from certify.extensions import db
    from certify.models import Nomination
    from certify.workflow import engine
    site.run(lambda w: engine.apply(nid, "submit", w.household_a, db.session.get(Nomination, nid).version))
    page = text(upload(household, nid, PNG, "moi.png"))
    assert "Đã tải lên" not in page
    household.post(f"/nominations/{nid}/evidence/{token}/delete")
    assert household.get(f"/nominations/{nid}/evidence/{token}").status_code == 200


def test_delete_while_editable(household, site):
    nid = site.nomination("draft")
    token = _token(text(upload(household, nid, PDF)))
    page = text(household.post(f"/nominations/{nid}/evidence/{token}/delete", follow_redirects=True))
    assert "Đã xóa tệp minh chứng." in page
    assert household.get(f"/nominations/{nid}/evidence/{token}").status_code == 404


def test_path_tricks_are_not_found(household, site):
    nid = site.nomination("draft")
    assert household.get(f"/nominations/{nid}/evidence/..%2F..%2Fsecret_key").status_code == 404
    assert household.get(f"/nominations/{nid}/evidence/{'0' * 32}").status_code == 404


def test_at_most_five_files_per_indicator(household, site):
    nid = site.nomination("draft")
    for i in range(5):
        assert "Đã tải lên" in text(upload(household, nid, PNG, f"anh-{i}.png"))
    page = text(upload(household, nid, PNG, "anh-6.png"))
    assert "Mỗi chỉ số có tối đa 5 tệp minh chứng." in page
    assert "Đã tải lên" in text(upload(household, nid, PNG, "khac.png", criterion="2.1"))


def test_deleting_removes_the_stored_bytes_too(household, site, tmp_path):
    nid = site.nomination("draft")
    token = _token(text(upload(household, nid, PDF)))
    household.post(f"/nominations/{nid}/evidence/{token}/delete")
    assert list((tmp_path / "evidence" / str(nid)).iterdir()) == []
