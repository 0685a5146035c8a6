"""Progress figures as files an official can open in Excel: CSV (UTF-8 with BOM) and XLSX.

Each row says which denominator it divided by — what it counts, for which year, and whether the
figure was entered for that unit or summed from the units below it — because reports that give a
ratio without its denominator are what domain.md sets out to end.

Every text cell goes through `inert` (CSV) or `_write_row` (XLSX), both deciding with
`formula_like`: a unit named `=HYPERLINK(...)` is shown as text, never run as a formula (OWASP
"CSV injection"). Numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from sqlalchemy import select

from .. import clock
from ..extensions import db
from ..models import Denominator
from ..workflow import workflow
from .progress import Figure, Progress, gap

# What the denominator counts, by the title's subject (domain.md, "How progress is counted").
COUNTS = {"person": "số công dân", "organization": "số cơ quan, đơn vị"}
SOURCES = {
    "entered": "số liệu nhập cho đơn vị",
    "children": "tổng của các đơn vị trực thuộc",
    None: "chưa có số liệu",
}
HEADERS = ["Mã đơn vị", "Đơn vị", "Số đạt danh hiệu", "Mẫu số", "Nguồn mẫu số", "Tỷ lệ (%)",
           "Chỉ tiêu (%)", "Năm chỉ tiêu", "Còn thiếu để đạt chỉ tiêu"]
# In the workbook ratios are numbers formatted as percentages, so the headers carry no "(%)".
XLSX_HEADERS = [h.replace(" (%)", "") for h in HEADERS]


# What a spreadsheet reads as the start of a formula (OWASP: = + - @, tab, carriage return), the
# line feed, and the full-width forms some spreadsheets accept in their place.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def formula_like(value) -> bool:
    """Text a spreadsheet could take for a formula (numbers never are)."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def inert(value):
    """A CSV cell: formula-like text behind a single quote, which spreadsheets show as text and do
    not print (the OWASP way); anything else unchanged."""
    return "'" + value if formula_like(value) else value


def _write_row(sheet, values) -> None:
    """Append a row to the workbook with text as string cells: openpyxl would store text starting
    with "=" as a formula. Formula-like text also gets Excel's quote prefix, so that editing the
    cell does not turn it into one either."""
    sheet.append(values)
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"
            if formula_like(cell.value):
                cell.quotePrefix = True


# The formula-safe writer, for the other workbooks the product makes (a decision's annex).
write_row = _write_row


@dataclass(frozen=True)
class Row:
    code: str
    name: str
    holders: int
    denominator: int | None
    source: str | None  # "entered", "children" or None (no figure)
    ratio: float | None


def _title(progress: Progress) -> tuple[str, str]:
    """The title's Vietnamese name and what its denominator counts."""
    wf = workflow(progress.title_code)
    if wf is None:
        return progress.title_code, "mẫu số"
    return wf.spec.name.vi, COUNTS[wf.spec.subject]


def denominator_label(progress: Progress) -> str:
    """"số công dân năm 2026": what every denominator of this export counts."""
    return f"{_title(progress)[1]} năm {progress.as_of.year}"


def rows(progress: Progress) -> list[Row]:
    """The unit itself first, then each child unit, each with where its denominator came from."""
    figures: list[Figure] = [progress.figure, *progress.children]
    entered = set(db.session.scalars(
        select(Denominator.unit_id).where(
            Denominator.unit_id.in_([f.unit.id for f in figures]),
            Denominator.title_code == progress.title_code,
            Denominator.year == progress.as_of.year)))
    out = []
    for f in figures:
        if f.denominator is None:
            source = None
        else:
            source = "entered" if f.unit.id in entered else "children"
        out.append(Row(f.unit.code, f.unit.name, f.holders, f.denominator, source, f.ratio))
    return out


def _target_source(progress: Progress) -> str:
    wf = workflow(progress.title_code)
    return (wf.spec.target_source(progress.target_year) if wf is not None else None) or ""


def _blank(value: int | None) -> int | str:
    return "" if value is None else value


def _percent(ratio: float | None) -> str:
    return "" if ratio is None else f"{ratio * 100:.2f}"


def _preamble(progress: Progress) -> list[list[str]]:
    title, _ = _title(progress)
    target = ("" if progress.target is None
              else f"{progress.target * 100:g}".replace(".", ",")
              + f"% đến năm {progress.target_year}")
    return [
        ["Tiến độ danh hiệu", title],
        ["Đơn vị", f"{progress.figure.unit.name} ({progress.figure.unit.code})"],
        ["Tính đến ngày", progress.as_of.strftime("%d/%m/%Y")],
        ["Mẫu số", denominator_label(progress)],
        ["Chỉ tiêu", target],
        # The text that sets the target (the workflow file's target_sources), as the dashboard.
        ["Căn cứ chỉ tiêu", _target_source(progress)],
    ]


def filename(progress: Progress, extension: str) -> str:
    """"tien-do-cong-dan-hoc-tap-381-2026-11-30.csv": ASCII, safe in a download header."""
    return (f"tien-do-{progress.title_code}-{progress.figure.unit.code}-"
            f"{progress.as_of.isoformat()}.{extension}")


def progress_csv(progress: Progress) -> bytes:
    """A few lines that say what the figures are, a blank line, then one row for the unit and one
    per child unit. Ratios are percentages with a full stop as decimal mark, two decimals."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def write(values) -> None:
        writer.writerow([inert(v) for v in values])

    for line in _preamble(progress):
        write(line)
    write([])
    write(HEADERS)
    target = _percent(progress.target)
    for row in rows(progress):
        write([row.code, row.name, row.holders,
               "" if row.denominator is None else row.denominator,
               SOURCES[row.source], _percent(row.ratio), target, progress.target_year or "",
               _blank(gap(row.holders, row.denominator, progress.target))])
    # The byte order mark is how Excel recognises UTF-8 (otherwise it misreads the diacritics).
    return buffer.getvalue().encode("utf-8-sig")


def progress_xlsx(progress: Progress) -> bytes:
    """The same table as the CSV, with real numbers: ratios as percentages, the date as a date."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Tiến độ"
    for label, value in _preamble(progress):
        _write_row(sheet, [label, value])
        sheet.cell(sheet.max_row, 1).font = Font(bold=True)
    # The date as a real date cell, shown dd/MM/yyyy.
    date_cell = sheet.cell(3, 2, progress.as_of)
    date_cell.number_format = "DD/MM/YYYY"
    date_cell.alignment = Alignment(horizontal="left")
    sheet.append([])
    _write_row(sheet, XLSX_HEADERS)
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in rows(progress):
        _write_row(sheet, [row.code, row.name, row.holders, row.denominator, SOURCES[row.source],
                           row.ratio, progress.target, progress.target_year,
                           gap(row.holders, row.denominator, progress.target)])
        r = sheet.max_row
        sheet.cell(r, 1).number_format = "@"  # unit codes keep their leading zeros
        sheet.cell(r, 6).number_format = "0.00%"
        sheet.cell(r, 7).number_format = "0%"
    sheet.freeze_panes = sheet.cell(header_row + 1, 1)
    for index, width in enumerate((12, 34, 16, 12, 30, 12, 12, 12, 16), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# -- lists staff download: the queue as filtered, a decision's annex, a unit's roster -------------

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Rows fetched from the database at a time while a list is written (no query per row).
BATCH = 1000

QUEUE_HEADERS = ["STT", "Mã hồ sơ", "Họ và tên / Tên cơ quan, đơn vị", "Số định danh",
                 "Đối tượng", "Danh hiệu", "Năm", "Trạng thái", "Nộp lúc", "Quá hạn xét",
                 "Mã đơn vị", "Địa bàn"]
TARGET_GROUP_NAMES = {"commune_resident": "Người dân trong xã, phường",
                      "worker": "Người lao động",
                      "staff_business": "Cán bộ, công nhân viên, doanh nhân",
                      "learner": "Học sinh, sinh viên, học viên"}
GENDER_NAMES = {"male": "Nam", "female": "Nữ"}


def _state_vi(title_code: str, state: str) -> str:
    wf = workflow(title_code)
    return wf.spec.states[state].name.vi if wf is not None and state in wf.spec.states else state


def queue_rows(actor, f):
    """Every nomination `actor` sees matching the filter `f` (services.nominations.QueueFilter),
    as rows of QUEUE_HEADERS, read in batches with their subject and unit (no query per row).
    The số định danh is masked unless the actor may see it whole (api.md)."""
    from sqlalchemy.orm import joinedload

    from ..models import Nomination, Person
    from . import nominations, scope

    query = nominations.matching(actor, f)
    if query is None:
        return
    query = query.options(joinedload(Nomination.person), joinedload(Nomination.organization),
                          joinedload(Nomination.unit)).execution_options(yield_per=BATCH)
    for index, n in enumerate(db.session.scalars(query), start=1):
        person: Person | None = n.person
        national_id = ""
        if person is not None:
            national_id = (person.national_id if scope.sees_full_national_id(actor, person)
                           else person.masked_national_id)
        submitted = (n.submitted_at.astimezone(clock.zone()).strftime("%d/%m/%Y %H:%M")
                     if n.submitted_at else "")
        yield [index, n.receipt_code, n.subject_name, national_id,
               TARGET_GROUP_NAMES.get(person.target_group, "") if person else "",
               workflow(n.title_code).spec.name.vi if workflow(n.title_code) else n.title_code,
               n.year, _state_vi(n.title_code, n.state), submitted,
               "Có" if nominations.is_late(n) else "", n.unit.code, n.unit.name]


def fill_sheet(sheet, title: str, headers, rows, preamble=(), widths=()) -> None:
    """A table on a worksheet: the preamble lines in bold, a blank line, the header row in bold
    and frozen, the rows, each text cell formula-safe; column widths as given."""
    sheet.title = title
    for line in preamble:
        _write_row(sheet, list(line))
        sheet.cell(sheet.max_row, 1).font = Font(bold=True)
    if preamble:
        sheet.append([])
    _write_row(sheet, headers)
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
    for values in rows:
        _write_row(sheet, list(values))
    sheet.freeze_panes = sheet.cell(header_row + 1, 1)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width


def table_csv(headers: list[str], rows, preamble=()) -> bytes:
    """A CSV Excel opens (UTF-8 with BOM): the preamble lines, a blank line if any, the headers,
    the rows; every text cell made inert."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for line in preamble:
        writer.writerow([inert(v) for v in line])
    if preamble:
        writer.writerow([])
    writer.writerow([inert(v) for v in headers])
    for values in rows:
        writer.writerow([inert("" if v is None else v) for v in values])
    return buffer.getvalue().encode("utf-8-sig")


def table_xlsx(sheet_title: str, headers: list[str], rows, preamble=(), widths=()) -> bytes:
    """The same table as a workbook, text cells written formula-safe, the header row frozen."""
    book = Workbook(write_only=False)
    fill_sheet(book.active, sheet_title, headers, rows, preamble, widths)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


QUEUE_WIDTHS = (6, 20, 32, 14, 24, 22, 7, 18, 17, 10, 10, 26)


def queue_csv(actor, f) -> bytes:
    return table_csv(QUEUE_HEADERS, queue_rows(actor, f))


def queue_xlsx(actor, f) -> bytes:
    return table_xlsx("Hồ sơ", QUEUE_HEADERS, queue_rows(actor, f), widths=QUEUE_WIDTHS)


def annex_rows(decision):
    """The decision's annex (danh sách kèm theo), the rows of decisions.ANNEX_HEADERS, with the
    recognitions' dossiers and units loaded in batches."""
    from sqlalchemy.orm import joinedload

    from ..models import Nomination, Recognition
    from .certificates import grade_name, level_name, title_name

    query = (select(Recognition).where(Recognition.decision_id == decision.id)
             .options(joinedload(Recognition.nomination).joinedload(Nomination.person),
                      joinedload(Recognition.nomination).joinedload(Nomination.organization),
                      joinedload(Recognition.unit))
             .order_by(Recognition.id).execution_options(yield_per=BATCH))
    for index, rec in enumerate(db.session.scalars(query), start=1):
        n = rec.nomination
        yield [index, n.subject_name, rec.unit.name, title_name(rec), n.year, n.receipt_code,
               rec.code, rec.valid_until.strftime("%d/%m/%Y") if rec.valid_until else "",
               grade_name(rec) or level_name(rec) or ""]


def annex_csv(decision) -> bytes:
    from .decisions import ANNEX_HEADERS

    return table_csv(ANNEX_HEADERS, annex_rows(decision), preamble=[
        [decision.issuer],
        [f"Danh sách kèm theo Quyết định số {decision.number} ngày {decision.date:%d/%m/%Y}"]])


ROSTER_HEADERS = ["Loại", "Hộ gia đình / Cơ quan, đơn vị", "Họ và tên", "Số định danh",
                  "Năm sinh", "Giới tính", "Đối tượng", "Mã đơn vị", "Địa bàn"]


def roster_rows(actor, unit):
    """A unit's roster, the unit and every unit below it: each household and its members, then
    each organization (with its declared number of members). Two queries in batches."""
    from sqlalchemy.orm import joinedload

    from ..models import Household, Organization, Person
    from . import scope

    below = unit.subtree_ids()
    people = (select(Person).join(Household, Household.id == Person.household_id)
              .where(Household.unit_id.in_(below))
              .options(joinedload(Person.household).joinedload(Household.unit))
              .order_by(Household.name, Household.id, Person.id)
              .execution_options(yield_per=BATCH))
    for p in db.session.scalars(people):
        national_id = (p.national_id if scope.sees_full_national_id(actor, p)
                       else p.masked_national_id)
        yield ["Hộ gia đình", p.household.name, p.full_name, national_id, p.birth_year,
               GENDER_NAMES.get(p.gender, p.gender), TARGET_GROUP_NAMES.get(p.target_group, ""),
               p.unit.code, p.unit.name]
    orgs = (select(Organization).where(Organization.unit_id.in_(below))
            .options(joinedload(Organization.unit)).order_by(Organization.name, Organization.id)
            .execution_options(yield_per=BATCH))
    for o in db.session.scalars(orgs):
        yield ["Cơ quan, đơn vị", o.name, f"{o.members_count} thành viên", "", "", "", "",
               o.unit.code, o.unit.name]


def roster_csv(actor, unit) -> bytes:
    return table_csv(ROSTER_HEADERS, roster_rows(actor, unit),
                     preamble=[["Danh sách hộ gia đình, thành viên, cơ quan, đơn vị"],
                               ["Đơn vị", f"{unit.name} ({unit.code})"]])


def roster_xlsx(actor, unit) -> bytes:
    return table_xlsx("Danh sách", ROSTER_HEADERS, roster_rows(actor, unit),
                      preamble=[["Danh sách hộ gia đình, thành viên, cơ quan, đơn vị"],
                                ["Đơn vị", f"{unit.name} ({unit.code})"]],
                      widths=(16, 30, 28, 14, 9, 9, 26, 10, 26))
