"""Progress exports: the CSV and XLSX files read back give the dashboard's figures, and say which
denominator each ratio divided by."""

from __future__ import annotations

import csv
import io
import math
import zipfile
from datetime import date, datetime

import openpyxl
import pytest

from certify.extensions import db
from certify.services import exports, units
from certify.services.progress import progress
from certify.workflow import workflow

from .factories import CITIZEN, UNIT_TITLE, decide, nomination_in, person

AS_OF = date(2026, 6, 30)


def target_of(title: str = CITIZEN) -> tuple[float, int, str]:
    """The target in force on AS_OF, its year and the text that sets it (the workflow file)."""
    spec = workflow(title).spec
    target, year = spec.target_for(AS_OF.year)
    return target, year, spec.target_source(year)


@pytest.fixture
def citizens(world):
    """Two citizens of ward A recognised by a decision of 01/03/2026; ward A entered 4 citizens for
    2026, ward B nothing, the district nothing (so its denominator is its wards' sum)."""
    first = nomination_in(world, "verified")
    second = nomination_in(world, "verified",
                           subject=person(world.household_a, "Lê Thị Hồng Nhung", gender="female"))
    decide(world, [first, second], number="01/QĐ-UBND", on=date(2026, 3, 1))
    units.set_denominators(world.ward_a, 2026, {CITIZEN: 4})
    return progress(world.district, workflow(CITIZEN), AS_OF)


def read_csv(data: bytes) -> tuple[dict[str, str], list[dict[str, str]]]:
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    blank = lines.index([])
    preamble = {row[0]: row[1] for row in lines[:blank]}
    header, *body = lines[blank + 1:]
    return preamble, [dict(zip(header, row)) for row in body]


def read_xlsx(data: bytes):
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    rows = [[cell for cell in row] for row in sheet.iter_rows()]
    header_at = next(i for i, row in enumerate(rows) if row[0].value == "Mã đơn vị")
    preamble = {row[0].value: row[1] for row in rows[:header_at] if row[0].value}
    header = [cell.value for cell in rows[header_at]]
    body = [dict(zip(header, row)) for row in rows[header_at + 1:]]
    return sheet, preamble, body


def test_csv_starts_with_a_byte_order_mark_so_excel_reads_utf8(citizens):
    data = exports.progress_csv(citizens)
    assert data.startswith(b"\xef\xbb\xbf")
    assert "Thị xã Bỉm Sơn".encode() in data


def test_csv_gives_the_figures_and_the_denominator_of_each_row(citizens, world):
    preamble, rows = read_csv(exports.progress_csv(citizens))

    assert preamble["Tiến độ danh hiệu"] == "Công dân học tập"
    assert preamble["Đơn vị"] == "Thị xã Bỉm Sơn (381)"
    assert preamble["Tính đến ngày"] == "30/06/2026"
    assert preamble["Mẫu số"] == "số công dân năm 2026"
    target, year, source = target_of()
    assert preamble["Chỉ tiêu"] == f"{target * 100:g}% đến năm {year}"
    assert preamble["Căn cứ chỉ tiêu"] == source and source

    district, ward_a, ward_b = rows
    assert (district["Mã đơn vị"], district["Đơn vị"]) == ("381", "Thị xã Bỉm Sơn")
    assert district["Số đạt danh hiệu"] == "2"
    assert district["Mẫu số"] == "4"
    assert district["Nguồn mẫu số"] == "tổng của các đơn vị trực thuộc"
    assert district["Tỷ lệ (%)"] == "50.00"
    assert (district["Chỉ tiêu (%)"], district["Năm chỉ tiêu"]) == (f"{target * 100:.2f}", str(year))
    assert district["Còn thiếu để đạt chỉ tiêu"] == str(max(0, math.ceil(target * 4) - 2))

    assert (ward_a["Đơn vị"], ward_a["Số đạt danh hiệu"], ward_a["Mẫu số"]) == \
        ("Phường Ba Đình", "2", "4")
    assert ward_a["Nguồn mẫu số"] == "số liệu nhập cho đơn vị"
    assert ward_a["Tỷ lệ (%)"] == "50.00"

    assert (ward_b["Đơn vị"], ward_b["Số đạt danh hiệu"]) == ("Phường Lam Sơn", "0")
    assert ward_b["Mẫu số"] == "" and ward_b["Tỷ lệ (%)"] == ""
    assert ward_b["Nguồn mẫu số"] == "chưa có số liệu"
    assert ward_b["Còn thiếu để đạt chỉ tiêu"] == ""  # no denominator: nothing to measure against


def test_an_entered_district_figure_is_used_and_said_to_be_entered(citizens, world):
    units.set_denominators(world.district, 2026, {CITIZEN: 8})
    _, rows = read_csv(exports.progress_csv(progress(world.district, workflow(CITIZEN), AS_OF)))
    district = rows[0]
    assert (district["Mẫu số"], district["Tỷ lệ (%)"]) == ("8", "25.00")
    assert district["Nguồn mẫu số"] == "số liệu nhập cho đơn vị"
    # The people still needed: the target's share of the 8, less the 2 holders.
    target, _year, _source = target_of()
    assert district["Còn thiếu để đạt chỉ tiêu"] == str(max(0, math.ceil(target * 8) - 2))


def test_only_recognitions_valid_on_the_day_are_counted(citizens, world):
    before = progress(world.district, workflow(CITIZEN), date(2026, 2, 28))
    _, rows = read_csv(exports.progress_csv(before))
    assert [row["Số đạt danh hiệu"] for row in rows] == ["0", "0", "0"]
    assert rows[0]["Tỷ lệ (%)"] == "0.00"


def test_xlsx_holds_the_same_figures_as_numbers(citizens):
    sheet, preamble, rows = read_xlsx(exports.progress_xlsx(citizens))

    assert sheet.title == "Tiến độ"
    assert preamble["Tiến độ danh hiệu"].value == "Công dân học tập"
    assert preamble["Tính đến ngày"].value == datetime(2026, 6, 30)
    assert preamble["Tính đến ngày"].number_format == "DD/MM/YYYY"
    assert preamble["Mẫu số"].value == "số công dân năm 2026"

    district, ward_a, ward_b = rows
    assert [district[k].value for k in ("Mã đơn vị", "Đơn vị", "Số đạt danh hiệu", "Mẫu số")] == \
        ["381", "Thị xã Bỉm Sơn", 2, 4]
    assert district["Nguồn mẫu số"].value == "tổng của các đơn vị trực thuộc"
    assert district["Tỷ lệ"].value == pytest.approx(0.5)
    assert district["Tỷ lệ"].number_format == "0.00%"
    target, year, source = target_of()
    assert (district["Chỉ tiêu"].value, district["Năm chỉ tiêu"].value) == (target, year)
    assert preamble["Căn cứ chỉ tiêu"].value == source
    assert district["Còn thiếu để đạt chỉ tiêu"].value == max(0, math.ceil(target * 4) - 2)
    assert ward_b["Còn thiếu để đạt chỉ tiêu"].value is None

    assert [ward_a[k].value for k in ("Đơn vị", "Số đạt danh hiệu", "Mẫu số")] == \
        ["Phường Ba Đình", 2, 4]
    assert ward_a["Tỷ lệ"].value == pytest.approx(0.5)
    assert ward_b["Số đạt danh hiệu"].value == 0
    assert ward_b["Mẫu số"].value is None and ward_b["Tỷ lệ"].value is None
    assert ward_b["Nguồn mẫu số"].value == "chưa có số liệu"


def test_learning_units_are_counted_against_agencies_and_units(world):
    n = nomination_in(world, "verified", title=UNIT_TITLE)
    decide(world, [n], number="02/QĐ-UBND", on=date(2026, 3, 1))
    units.set_denominators(world.district, 2026, {UNIT_TITLE: 5})
    p = progress(world.district, workflow(UNIT_TITLE), AS_OF)

    preamble, rows = read_csv(exports.progress_csv(p))
    assert preamble["Tiến độ danh hiệu"] == "Đơn vị học tập"
    assert preamble["Mẫu số"] == "số cơ quan, đơn vị năm 2026"
    assert (rows[0]["Số đạt danh hiệu"], rows[0]["Mẫu số"], rows[0]["Tỷ lệ (%)"]) == \
        ("1", "5", "20.00")


def test_file_names_are_plain_ascii(citizens):
    name = exports.filename(citizens, "xlsx")
    assert name == "tien-do-cong-dan-hoc-tap-381-2026-06-30.xlsx"
    assert name.isascii()


HOSTILE = ['=HYPERLINK("http://x","y")', "+1", "-1", "@SUM(1)", "\tcmd", "\rcmd", "＝1+1"]


@pytest.mark.parametrize("name", HOSTILE)
def test_a_unit_named_like_a_formula_is_text_in_the_csv(world, name):
    world.ward_a.name = name
    db.session.commit()
    data = exports.progress_csv(progress(world.district, workflow(CITIZEN), AS_OF))

    _, rows = read_csv(data)
    ward_a = rows[1]
    # The OWASP way: a leading single quote, which a spreadsheet shows as text, never runs.
    assert ward_a["Đơn vị"] == "'" + name
    assert ward_a["Mã đơn vị"] == "16729" and ward_a["Số đạt danh hiệu"] == "0"
    for row in rows:  # nothing else in the file starts a formula
        for value in row.values():
            assert not exports.formula_like(value), value


@pytest.mark.parametrize("name", HOSTILE)
def test_a_unit_named_like_a_formula_is_a_string_cell_in_the_xlsx(world, name):
    world.ward_a.name = name
    world.district.name = name  # the preamble names the district
    db.session.commit()
    data = exports.progress_xlsx(progress(world.district, workflow(CITIZEN), AS_OF))

    sheet, preamble, rows = read_xlsx(data)  # the file after reloading
    shown = name.replace("\r", "\n")  # XML reads a carriage return back as a line feed
    assert preamble["Đơn vị"].value == f"{shown} (381)"
    for cell in (rows[0]["Đơn vị"], rows[1]["Đơn vị"]):
        assert cell.value == shown
        assert cell.data_type == "s"  # "f" would be a formula
        assert cell.quotePrefix  # Excel keeps it text when the cell is edited
    assert rows[1]["Số đạt danh hiệu"].value == 0  # numbers stay numbers
    assert rows[1]["Số đạt danh hiệu"].data_type == "n"
    for row in sheet.iter_rows():
        assert all(cell.data_type != "f" for cell in row)
    # Nor in the file itself: no <f> (formula) element anywhere in the sheet's XML.
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert b"<f>" not in archive.read("xl/worksheets/sheet1.xml")


def test_numbers_and_plain_text_are_left_as_they_are():
    assert [exports.inert(v) for v in (5, 0.5, -3, None, "", "Phường Ba Đình", "a=b")] == \
        [5, 0.5, -3, None, "", "Phường Ba Đình", "a=b"]
