"""Reorganisation files in CSV (issue 8, item 2): one row per new unit, commas or semicolons,
UTF-8 with or without a BOM, every bad row and column named (and nothing changed), the same plan as
the YAML file; the CLI and the admin page read either by the file's name. And carried
denominators: a figure summed from the former units says so until an admin enters it again."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from certify.errors import Invalid
from certify.extensions import db
from certify.models import Denominator, Organization, Unit
from certify.services import reorganization_files as files
from certify.services import reorganizations, units
from tests.api_client import Api
from tests.factories import CITIZEN, UNIT_TITLE
from tests.test_reorganizations import EFFECTIVE, SOURCE, merge_file, snapshot

DATA = Path(__file__).parent.parent / "certify/data/reorganizations"
HEADER = "effective,source,code,name,level,parent_code,from"


def merge_csv(w, sep=",") -> str:
    """merge_file(w) as a CSV file."""
    rows = [HEADER.split(","),
            [EFFECTIVE.isoformat(), SOURCE, w.ward_a.code, "Phường Bỉm Sơn", "commune",
             w.district.code, f"{w.ward_a.code};{w.ward_b.code}"]]
    out = io.StringIO()
    import csv
    csv.writer(out, delimiter=sep, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def split_csv(w, assign=True) -> str:
    """split_file(w) with the town's organization and staff accounts assigned, as CSV."""
    org = w.organization.name
    staff = [u.username for u in w.users.values() if u.unit_id == w.district.id
             and u.organization_id is None and u.household_id is None]
    return "\n".join([
        HEADER + ",organizations,accounts",
        f'{EFFECTIVE.isoformat()},"{SOURCE}",{w.ward_a.code},Phường Bỉm Sơn,commune,'
        f'{w.province.code},{w.ward_a.code} {w.district.code},"{org if assign else ""}",'
        f'{";".join(staff) if assign else ""}',
        f'{EFFECTIVE.isoformat()},"{SOURCE}",14818,Phường Quang Trung,commune,'
        f'{w.province.code},{w.ward_b.code} {w.district.code},,']) + "\n"


def test_a_csv_file_reads_as_the_yaml_file_does(world):
    expected = reorganizations.parse(merge_file(world))
    assert files.load(merge_csv(world), "merge.csv") == expected
    assert files.load(merge_csv(world, ";"), "merge.csv") == expected  # Excel, Vietnamese settings
    assert files.load(b"\xef\xbb\xbf" + merge_csv(world).encode(), "MERGE.CSV") == expected  # BOM
    dated = merge_csv(world).replace(EFFECTIVE.isoformat(), EFFECTIVE.strftime("%d/%m/%Y"))
    assert files.load(dated, "merge.csv") == expected
    # Empty cells past the last column, as spreadsheets write them, are no error.
    padded = merge_csv(world, ";").replace("\r\n", ";;\r\n")
    assert files.load(padded, "merge.csv") == expected
    assert files.load(yaml.safe_dump(merge_file(world), allow_unicode=True), "m.yml") == expected


def test_a_split_csv_assigns_by_its_optional_columns_and_applies(world):
    w = world
    refused = files.plan(split_csv(w, assign=False), "split.csv")
    assert {u["name"] for u in refused.unassigned} >= {w.organization.name}
    result = files.apply(split_csv(w), "split.csv", actor=w.admin)
    assert result.applied and not result.unassigned
    db.session.expire_all()
    moved = db.session.get(Organization, w.organization.id)
    assert moved.unit_id == units.find(w.ward_a.code, EFFECTIVE).id


def test_the_shipped_bim_son_files_yaml_and_csv_plan_identically(runner, ctx):
    yaml_file = DATA / "thanh-hoa-2025-bim-son.yaml"
    csv_file = DATA / "thanh-hoa-2025-bim-son.csv"
    assert files.load(csv_file.read_bytes(), csv_file.name) == \
        files.load(yaml_file.read_bytes(), yaml_file.name)
    assert runner.invoke(args=["demo-data", "--password", "demo passphrase"]).exit_code == 0
    from_yaml = files.plan(yaml_file.read_bytes(), yaml_file.name)
    from_csv = files.plan(csv_file.read_bytes(), csv_file.name)
    assert from_csv.as_dict() == from_yaml.as_dict()
    assert not from_csv.unassigned and from_csv.units
    result = runner.invoke(args=["reorganize", str(csv_file)])
    assert result.exit_code == 0, result.output
    assert units.find("381") is None and units.find("14818", EFFECTIVE) is not None


def _bad(w, kind: str) -> tuple[str, str]:
    """A CSV file with one kind of mistake, and the place it must be named at."""
    good = merge_csv(w)
    header, row = good.strip().split("\r\n")
    second = row.replace("Phường Bỉm Sơn", "Phường Hai").replace(
        f"{w.ward_a.code};{w.ward_b.code}", "")
    return {
        "level": (f"{header}\n{row.replace('commune', 'village')}", "row 2, level"),
        "code": (f"{header}\n{row.replace(w.ward_a.code + ',', ',', 1)}", "row 2, code"),
        "name": (f"{header}\n{row.replace('Phường Bỉm Sơn', '')}", "row 2, name"),
        "date": (f"{header}\n{row.replace(EFFECTIVE.isoformat(), '31/02/2025')}",
                 "row 2, effective"),
        "mismatched effective": (f"{header}\n{row}\n" + second.replace(
            EFFECTIVE.isoformat(), "2025-07-02").replace(w.ward_a.code + ",", "14830,", 1),
            "row 3, effective"),
        "mismatched source": (f"{header}\n{row}\n" + second.replace(SOURCE, "NQ khác").replace(
            w.ward_a.code + ",", "14830,", 1), "row 3, source"),
        "missing column": (f"{header.replace(',level', '')}\n{row.replace(',commune', '')}",
                           "row 1, level"),
        "unknown column": (f"{header},note\n{row},x", "row 1, note"),
        "too many cells": (f"{header}\n{row},x,y", "row 2, 8"),
        "control character": (header + "\n" + row.replace("Phường Bỉm Sơn", "Phường\x00Bỉm"),
                              "row 2, name"),
        "line break in a cell": (header + "\n" + row.replace("Phường Bỉm Sơn", '"Phường\nBỉm"'),
                                 "row 2, name"),
        "unknown replaced code": (f"{header}\n{row.replace(w.ward_b.code, '99999')}",
                                  "row 2, from"),
        "parent": (f"{header}\n{row.replace(',' + w.district.code + ',', ',77777,')}",
                   "row 2, parent_code"),
        "unknown assignment": (split_csv(w).replace(w.organization.name, "Cơ quan không có"),
                               "row 2, organizations"),
        "second row": (f"{header}\n{row}\n\n" + second.replace(w.ward_a.code + ",", "14830,", 1)
                       .replace("commune", "tỉnh"), "row 4, level"),
    }[kind]


@pytest.mark.parametrize("kind", [
    "level", "code", "name", "date", "mismatched effective", "mismatched source", "missing column",
    "unknown column", "too many cells", "control character", "line break in a cell",
    "unknown replaced code", "parent", "unknown assignment",
    "second row"])
def test_a_bad_csv_is_refused_naming_row_and_column_and_changes_nothing(world, kind):
    text, where = _bad(world, kind)
    before = snapshot()
    with pytest.raises(Invalid) as refused:
        files.apply(text, "bad.csv", actor=world.admin)
    fields = [d["field"] for d in refused.value.details]
    assert where in fields, fields
    assert snapshot() == before


@pytest.mark.parametrize("content, filename, code", [
    ("effective,source\n", "x.csv", "no_column"),
    (HEADER + "\n", "x.csv", "empty"),
    (b"\xff\xfe" + "effective".encode("utf-16-le"), "x.csv", "encoding"),
    ("a: b", "x.txt", "file_type"),
    ("a: b", "x.json", "file_type"),
])
def test_a_file_that_is_no_reorganisation_is_refused(world, content, filename, code):
    with pytest.raises(Invalid) as refused:
        files.plan(content, filename)
    assert code in [d["code"] for d in refused.value.details]


def test_cli_reads_csv_by_extension_and_refuses_other_files(world, runner, tmp_path):
    w = world
    path = tmp_path / "merge.csv"
    path.write_text(merge_csv(w, ";"), encoding="utf-8-sig")
    result = runner.invoke(args=["reorganize", str(path), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Phường Bỉm Sơn" in result.output and "Chạy thử" in result.output
    other = tmp_path / "merge.txt"
    other.write_text(merge_csv(w), encoding="utf-8")
    before = snapshot()
    result = runner.invoke(args=["reorganize", str(other)])
    assert result.exit_code == 1 and ".csv" in result.output and "Traceback" not in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text(merge_csv(w).replace("commune", "village"), encoding="utf-8")
    result = runner.invoke(args=["reorganize", str(bad)])
    assert result.exit_code == 1 and "row 2, level" in result.output
    assert snapshot() == before
    result = runner.invoke(args=["reorganize", str(path)])
    assert result.exit_code == 0, result.output
    assert units.find(w.ward_b.code) is None


def test_admin_page_takes_a_csv_upload_previews_then_applies(client):
    from tests.web_support import Site, sign_in, text

    site = Site(client.application)
    data = site.run(lambda w: merge_csv(w, ";"))
    sign_in(client, "admin")
    page = text(client.get("/admin/reorganizations"))
    assert "chỉ nhận nội dung YAML" in page and ".csv" in page
    before = site.count(Unit)
    bad = client.post("/admin/reorganizations", content_type="multipart/form-data",
                      data={"file": (io.BytesIO(data.replace("commune", "village").encode()),
                                     "bim-son.csv")})
    assert bad.status_code == 422 and "Dòng 2, cột level" in text(bad)
    wrong = client.post("/admin/reorganizations", content_type="multipart/form-data",
                        data={"file": (io.BytesIO(data.encode()), "bim-son.xlsx")})
    assert wrong.status_code == 422 and ".yaml, .yml hoặc .csv" in text(wrong)
    preview = client.post("/admin/reorganizations", content_type="multipart/form-data",
                          data={"file": (io.BytesIO(b"\xef\xbb\xbf" + data.encode()),
                                         "bim-son.csv")})
    assert preview.status_code == 200
    assert "Xem trước: chưa thay đổi gì" in text(preview) and "Phường Bỉm Sơn" in text(preview)
    assert site.count(Unit) == before
    html = preview.get_data(as_text=True)
    assert 'name="filename" type="hidden" value="bim-son.csv"' in html \
        or 'value="bim-son.csv"' in html
    applied = client.post("/admin/reorganizations",
                          data={"text": data, "filename": "bim-son.csv", "confirm": "1"})
    assert applied.status_code == 200 and "Đã áp dụng" in text(applied)
    assert site.count(Unit) == before + 1


# -- carried denominators -------------------------------------------------------------------------

def test_a_carried_denominator_is_flagged_until_an_admin_enters_it(world):
    w = world
    units.set_denominators(w.ward_a, EFFECTIVE.year, {CITIZEN: 100})
    units.set_denominators(w.ward_b, EFFECTIVE.year, {CITIZEN: 50})
    reorganizations.apply(merge_file(w), actor=w.admin)
    new = units.find(w.ward_a.code, EFFECTIVE)
    assert units.denominators_of(new, EFFECTIVE.year) == {CITIZEN: 150}
    assert units.carried_denominators(new, EFFECTIVE.year) == {CITIZEN: SOURCE}
    old = db.session.scalars(select(Denominator).where(Denominator.unit_id == w.ward_b.id)).one()
    assert old.carried_from is None  # the former units' own figures were entered
    units.set_denominators(new, EFFECTIVE.year, {CITIZEN: 150})  # checked: the same figure
    assert units.carried_denominators(new, EFFECTIVE.year) == {}


def test_admin_page_shows_the_carried_flag_and_saving_clears_it(client):
    from tests.web_support import Site, sign_in, text

    site = Site(client.application)

    def merge(w):
        units.set_denominators(w.ward_a, EFFECTIVE.year, {CITIZEN: 100})
        units.set_denominators(w.ward_b, EFFECTIVE.year, {CITIZEN: 50})
        reorganizations.apply(merge_file(w), actor=w.admin)
        return w.ward_a.code

    code = site.run(merge)
    sign_in(client, "admin")
    url = f"/admin/units/{code}/denominators?year={EFFECTIVE.year}"
    page = text(client.get(url))
    assert "Cộng từ các đơn vị cũ — kiểm tra lại" in page and SOURCE in page
    other_year = text(client.get(f"/admin/units/{code}/denominators?year={EFFECTIVE.year - 1}"))
    assert "kiểm tra lại" not in other_year
    saved = client.post(f"/admin/units/{code}/denominators",
                        data={"year": EFFECTIVE.year, CITIZEN: "148"})
    assert saved.status_code == 302
    page = text(client.get(url))
    assert "kiểm tra lại" not in page and "148" in page


def test_api_shows_the_carried_flag_and_entering_clears_it(client):
    from tests.web_support import Site

    site = Site(client.application)

    def merge(w):
        for ward, value in ((w.ward_a, 100), (w.ward_b, 50)):
            units.set_denominators(ward, EFFECTIVE.year, {CITIZEN: value, UNIT_TITLE: 2})
        reorganizations.apply(merge_file(w), actor=w.admin)
        return w.ward_a.code

    code = site.run(merge)
    api = Api(client)
    r = api.call("PUT", f"/units/{code}/denominators/{EFFECTIVE.year}", "admin",
                 json={CITIZEN: 151})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["denominators"] == {CITIZEN: 151, UNIT_TITLE: 4}
    assert body["carried"] == {UNIT_TITLE: SOURCE}  # the figure not entered is still flagged


def test_api_takes_a_csv_body_dry_run_then_apply(client):
    from tests.web_support import Site

    site = Site(client.application)
    data = site.run(lambda w: merge_csv(w, ";"))
    api = Api(client)
    content = api.spec["paths"]["/api/v1/reorganizations"]["post"]["requestBody"]["content"]
    assert set(content) == {"application/json", "text/csv"}
    csv_headers = {"Content-Type": "text/csv; charset=utf-8"}
    before = site.count(Unit)
    bad = api.post("/reorganizations", "admin", data=data.replace("commune", "village").encode(),
                   headers=csv_headers)
    assert bad.status_code == 422
    assert bad.get_json()["error"]["details"][0]["field"] == "row 2, level"
    odd = api.post("/reorganizations?dry_run=maybe", "admin", data=data.encode(),
                   headers=csv_headers)
    assert odd.status_code == 400
    preview = api.post("/reorganizations?dry_run=true", "admin", data=data.encode(),
                       headers=csv_headers)
    assert preview.status_code == 200 and not preview.get_json()["applied"]
    assert site.count(Unit) == before
    applied = api.post("/reorganizations", "admin", data=b"\xef\xbb\xbf" + data.encode(),
                       headers=csv_headers)
    assert applied.status_code == 201 and applied.get_json()["applied"]
    assert site.count(Unit) == before + 1
    assert api.post("/reorganizations", "ho-a", data=data.encode(),
                    headers=csv_headers).status_code == 403


def test_progress_never_adds_a_carried_figure_to_the_former_units_own(world):
    from certify.services import progress
    from certify.workflow import workflow

    w = world
    units.set_denominators(w.ward_a, EFFECTIVE.year, {CITIZEN: 100})
    units.set_denominators(w.ward_b, EFFECTIVE.year, {CITIZEN: 50})
    reorganizations.apply(merge_file(w), actor=w.admin)
    district = units.find(w.district.code, EFFECTIVE)
    for day in (EFFECTIVE - timedelta(days=1), EFFECTIVE):
        figure = progress.progress(district, workflow(CITIZEN), day).figure
        assert figure.denominator == 150, day
