"""The import service through its three doors: `flask import`, /admin/imports and
POST /api/v1/imports/{kind} — the same checks, the same all-or-nothing."""

from __future__ import annotations

import io
import re
from pathlib import Path

from sqlalchemy import func, select

from certify.extensions import db
from certify.models import Person, Recognition

from .api_client import Api
from .factories import next_national_id
from .test_imports import PERSONS_HEADER, csv_bytes, xlsx_bytes
from .web_support import Site, sign_in, text


def persons_csv(n: int = 2, *, bad: bool = False) -> bytes:
    lines = [PERSONS_HEADER]
    for i in range(n):
        lines.append(f"Hộ {i},Xóm {i},16729,Người Số {i},{next_national_id()},1980,Nam,worker,Kinh")
    if bad:
        lines.append("Hộ x,,16729,Sai,123,1980,Nam,worker,")
    return csv_bytes(*lines)


def person_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Person))


# -- CLI ------------------------------------------------------------------------------------------

def test_cli_dry_run_then_import(world, runner, tmp_path):
    path = tmp_path / "nhan-khau.csv"
    path.write_bytes(persons_csv(3))
    before = person_count()
    result = runner.invoke(args=["import", "persons", str(path), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "3 dòng, 3 hợp lệ" in result.output and "Sẽ tạo" in result.output
    assert person_count() == before
    result = runner.invoke(args=["import", "persons", str(path)])
    assert result.exit_code == 0, result.output
    assert "Đã tạo" in result.output and "persons 3" in result.output
    assert person_count() == before + 3


def test_cli_bad_rows_exit_1_with_the_listing_and_an_errors_file(world, runner, tmp_path):
    path = tmp_path / "nhan-khau.csv"
    path.write_bytes(persons_csv(2, bad=True))
    before = person_count()
    result = runner.invoke(args=["import", "persons", str(path)])
    assert result.exit_code == 1
    assert "dòng 4, cột Số định danh" in result.output and "Traceback" not in result.output
    assert "Không nhập dòng nào" in result.output
    errors = Path(str(path) + ".errors.csv").read_text(encoding="utf-8-sig")
    assert "4,Số định danh,national_id" in errors
    assert person_count() == before
    other = tmp_path / "anh.png"
    other.write_bytes(b"\x89PNG\r\n\x1a\nxxxx")
    result = runner.invoke(args=["import", "members", str(other), "--dry-run"])
    assert result.exit_code == 1 and "Không đọc được tệp" in result.output


# -- API ------------------------------------------------------------------------------------------

def test_api_dry_run_apply_and_refusal(world, client):
    api = Api(client)
    good = persons_csv(2)
    before = person_count()
    r = api.post("/imports/persons?dry_run=true", "admin",
                 data={"file": (io.BytesIO(good), "list.csv")}, content_type="multipart/form-data")
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert (body["rows"], body["valid"], body["errors"]) == (2, 2, [])
    assert person_count() == before
    r = api.post("/imports/persons", "admin", data={"file": (io.BytesIO(good), "list.csv")},
                 content_type="multipart/form-data")
    assert r.status_code == 201 and r.get_json()["created"]["persons"] == 2
    assert person_count() == before + 2
    # The raw file as the body works too; the same rows again are matched, not duplicated.
    r = api.post("/imports/persons", "admin", data=good, content_type="text/csv")
    assert r.status_code == 201 and r.get_json()["matched"]["persons"] == 2
    assert person_count() == before + 2
    bad = persons_csv(1, bad=True)
    r = api.post("/imports/persons?dry_run=true", "admin", data=bad, content_type="text/csv")
    assert r.status_code == 200
    assert r.get_json()["errors"] == [{"row": 3, "column": "Số định danh", "reason": "national_id",
                                       "message": r.get_json()["errors"][0]["message"]}]
    r = api.post("/imports/persons", "admin", data=bad, content_type="text/csv")
    assert r.status_code == 422
    assert [(d["row"], d["reason"]) for d in r.get_json()["error"]["details"]] == [(3, "national_id")]
    assert person_count() == before + 2
    r = api.post("/imports/persons?dry_run=true", "admin", data=b"%PDF-1.4", content_type="text/csv")
    assert r.status_code == 422
    assert r.get_json()["error"]["details"][0]["reason"] == "not_a_table"


def test_api_is_admin_only_knows_its_kinds_and_limits_the_body(world, client, app):
    api = Api(client)
    assert api.post("/imports/persons", "review-a", data=persons_csv(1),
                    content_type="text/csv").status_code == 403
    assert api.post("/imports/persons", data=persons_csv(1),
                    content_type="text/csv").status_code == 401
    assert api.post("/imports/units", "admin", data=b"x", content_type="text/csv").status_code == 404
    assert api.post("/imports/persons?dry_run=maybe", "admin", data=persons_csv(1),
                    content_type="text/csv").status_code == 400
    limit = app.config["IMPORT_MAX_BYTES"]
    app.config["IMPORT_MAX_BYTES"] = 1000
    try:
        r = api.post("/imports/persons", "admin", data=persons_csv(40), content_type="text/csv")
        assert r.status_code == 413 and r.get_json()["error"]["code"] == "too_large"
    finally:
        app.config["IMPORT_MAX_BYTES"] = limit


def test_api_recognitions_xlsx(world, client):
    api = Api(client)
    xlsx = xlsx_bytes([["national_id", "title", "year", "decision_number", "decision_date"],
                       [world.person_a.national_id, "Công dân học tập", 2024, "9/QĐ-UBND",
                        "20/12/2024"]])
    r = api.post("/imports/recognitions", "admin", data={"file": (io.BytesIO(xlsx), "qd.xlsx")},
                 content_type="multipart/form-data")
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["created"] == {"nominations": 1, "recognitions": 1, "decisions": 1}
    assert db.session.scalar(select(func.count()).select_from(Recognition)) == 1


# -- admin page -----------------------------------------------------------------------------------

def test_admin_page_previews_then_applies_with_one_click(client, app):
    site = Site(client.application)
    sign_in(client, "admin")
    page = client.get("/admin/imports")
    assert page.status_code == 200 and "Nhập danh sách" in text(page)
    before = site.count(Person)
    preview = client.post("/admin/imports", content_type="multipart/form-data",
                          data={"kind": "persons", "file": (io.BytesIO(persons_csv(3)), "a.csv")})
    assert preview.status_code == 200
    html = text(preview)
    assert "Xem trước: chưa thay đổi gì" in html and 'name="confirm"' in html
    assert site.count(Person) == before
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', html).group(1)
    stored = Path(app.instance_path) / "imports" / f"{token}.persons"
    assert stored.is_file()
    applied = client.post("/admin/imports", data={"token": token, "confirm": "1"})
    assert applied.status_code == 200 and "Đã nhập" in text(applied)
    assert site.count(Person) == before + 3
    assert not stored.exists()
    # The token is spent: a second click imports nothing more.
    again = client.post("/admin/imports", data={"token": token, "confirm": "1"})
    assert again.status_code == 422 and site.count(Person) == before + 3


def test_admin_page_lists_errors_offers_them_as_csv_and_no_apply(client):
    site = Site(client.application)
    sign_in(client, "admin")
    before = site.count(Person)
    preview = client.post("/admin/imports", content_type="multipart/form-data",
                          data={"kind": "persons",
                                "file": (io.BytesIO(persons_csv(1, bad=True)), "a.csv")})
    html = text(preview)
    assert "12 chữ số" in html and 'name="confirm"' not in html
    link = re.search(r'href="(/admin/imports/[^"]+/errors\.csv)"', html).group(1)
    errors = client.get(link)
    assert errors.status_code == 200 and "national_id" in errors.get_data(as_text=True)
    wrong = client.post("/admin/imports", content_type="multipart/form-data",
                        data={"kind": "members", "file": (io.BytesIO(b"%PDF-1.4"), "a.pdf")})
    assert wrong.status_code == 422 and "Không đọc được tệp" in text(wrong)
    assert client.get("/admin/imports/not-a-token/errors.csv").status_code == 404
    assert site.count(Person) == before
    sign_in(client, "ho-a")
    assert client.get("/admin/imports").status_code == 403


def test_admin_page_has_the_import_body_limit(client, app):
    Site(client.application)
    sign_in(client, "admin")
    limit = app.config["IMPORT_MAX_BYTES"]
    app.config["IMPORT_MAX_BYTES"] = 2000
    try:
        r = client.post("/admin/imports", content_type="multipart/form-data",
                        data={"kind": "persons", "file": (io.BytesIO(persons_csv(60)), "a.csv")})
        assert r.status_code == 413
    finally:
        app.config["IMPORT_MAX_BYTES"] = limit
    # Above the app's general 1 MiB limit, within the import's own.
    big = persons_csv(15_000)
    assert len(big) > app.config["MAX_CONTENT_LENGTH"]
    r = client.post("/admin/imports", content_type="multipart/form-data",
                    data={"kind": "persons", "file": (io.BytesIO(big), "big.csv")})
    assert r.status_code == 200 and 'name="confirm"' in text(r)
