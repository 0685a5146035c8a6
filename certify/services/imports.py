"""Imports of the lists wards and units already keep (issue 9, item 5): one code path for the CLI
(`flask import`), the admin page (/admin/imports) and the API (`POST /api/v1/imports/{kind}`).

Three kinds, one row per line of a CSV (UTF-8 with or without BOM, comma or semicolon) or the
first sheet of an XLSX workbook; the first line names the columns, in Vietnamese as wards write
them or by the English keys below (`COLUMNS`; matched without case or diacritics):

- `persons`: households with their members, one row per person. Rows with the same household
  name, address and commune form one household (an existing household with the same three is
  reused); a row without a household name is a person without a household.
- `members`: members of organizations (staff, learners) by số định danh. A person not registered
  yet is registered from the row's full name, birth year, gender, target group and commune.
- `recognitions`: titles granted on paper before the product, each becoming a decided dossier, a
  recognition and its paper decision (grouped by number and deciding unit), the progress counters
  moved in the same transaction (certify.workflow.engine.record_paper_recognitions).

`check()` reads and validates a file and reports EVERY bad row with its line (the header is line
1), column and reason, changing nothing (the dry run). `apply()` does the same checks and then
writes all rows in one transaction, or, when any row is bad, nothing. Duplicates are matched by
số định danh: a person already registered is matched, never registered twice, and left as the
product has them (their household entered them; a different name under the same number is a bad
row, as a mistyped number would link a stranger).

Rows are written set-based (executemany / INSERT ... RETURNING in batches), never one ORM flush
per row (benchmarks/imports.py measures it against raw executemany).
"""

from __future__ import annotations

import csv
import functools
import io
import json
import re
import unicodedata
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Callable, Iterable

from sqlalchemy import func, insert, or_, select, text
from sqlalchemy.exc import IntegrityError

from .. import clock
from ..bulk import without_cyclic_gc
from ..database import writes
from ..errors import Invalid
from ..extensions import db
from ..models import (Decision, Household, Membership, Nomination, Organization, Person,
                      Recognition, Unit, User)
from . import units as unit_service
from .validate import CONTROL, MAX_INT, NATIONAL_ID, SEARCH_NAME_LENGTH, Longest, fold

KINDS = ("persons", "members", "recognitions")
# How many bad rows the page and the CLI list (all of them are in the errors CSV and the API).
SHOWN_ERRORS = 100
# Ids per IN (...) when looking rows up: well under SQLite's and PostgreSQL's bind limits.
CHUNK = 2000
HOUSEHOLD_NAME, ADDRESS = 200, 300  # widths of households.name and households.address


@dataclass(frozen=True)
class Column:
    key: str
    aliases: tuple[str, ...]  # Vietnamese headers as wards write them (folded on matching)
    required: bool = False


COLUMNS: dict[str, tuple[Column, ...]] = {
    "persons": (
        Column("household", ("Hộ gia đình", "Tên hộ", "Chủ hộ", "Hộ")),
        Column("address", ("Địa chỉ",)),
        Column("unit_code", ("Mã đơn vị", "Mã xã", "Mã phường", "Mã xã/phường", "Mã xã, phường"),
               True),
        Column("full_name", ("Họ và tên", "Họ tên"), True),
        Column("national_id", ("Số định danh", "Số định danh cá nhân", "Số CCCD", "CCCD",
                               "Số căn cước"), True),
        Column("birth_year", ("Năm sinh",), True),
        Column("gender", ("Giới tính",), True),
        Column("target_group", ("Đối tượng", "Nhóm đối tượng"), True),
        Column("ethnicity", ("Dân tộc",)),
        Column("religion", ("Tôn giáo",)),
        Column("occupation", ("Nghề nghiệp",)),
    ),
    "members": (
        Column("organization", ("Cơ quan, đơn vị", "Cơ quan", "Đơn vị", "Tên cơ quan, đơn vị",
                                "Mã cơ quan"), True),
        Column("national_id", ("Số định danh", "Số định danh cá nhân", "Số CCCD", "CCCD",
                               "Số căn cước"), True),
        Column("role", ("Vai trò", "Là"), True),
        Column("from", ("Từ ngày",), True),
        Column("until", ("Đến ngày",)),
        # Only to register a person not registered yet:
        Column("full_name", ("Họ và tên", "Họ tên")),
        Column("birth_year", ("Năm sinh",)),
        Column("gender", ("Giới tính",)),
        Column("target_group", ("Đối tượng", "Nhóm đối tượng")),
        Column("unit_code", ("Mã đơn vị", "Mã xã", "Mã phường", "Mã xã/phường", "Mã xã, phường")),
        Column("ethnicity", ("Dân tộc",)),
    ),
    "recognitions": (
        Column("national_id", ("Số định danh", "Số định danh cá nhân", "Số CCCD", "CCCD",
                               "Số căn cước")),
        Column("organization", ("Cơ quan, đơn vị", "Cơ quan", "Tên cơ quan, đơn vị",
                                "Mã cơ quan")),
        Column("title", ("Danh hiệu",), True),
        Column("year", ("Năm", "Năm công nhận", "Năm đánh giá"), True),
        Column("decision_number", ("Số quyết định", "Số QĐ"), True),
        Column("decision_date", ("Ngày quyết định", "Ngày QĐ", "Ngày ký"), True),
        Column("signer", ("Người ký",)),
        Column("valid_until", ("Hiệu lực đến", "Có giá trị đến")),
        Column("level", ("Mức độ",)),
        Column("grade", ("Xếp loại",)),
    ),
}

GENDER_WORDS = {"nam": "male", "male": "male", "m": "male",
                "nu": "female", "female": "female", "f": "female"}
# The product's codes and their Vietnamese labels (certify/web/filters.py TARGET_GROUPS), folded.
TARGET_GROUP_WORDS = {
    "commune_resident": "commune_resident", "nguoi dan trong xa, phuong": "commune_resident",
    "nguoi dan": "commune_resident",
    "worker": "worker", "nguoi lao dong": "worker",
    "staff_business": "staff_business", "can bo, cong nhan vien, doanh nhan": "staff_business",
    "learner": "learner", "hoc sinh, sinh vien, hoc vien": "learner", "nguoi hoc": "learner",
}
ROLE_WORDS = {"staff": "staff", "can bo, nguoi lao dong": "staff", "can bo": "staff",
              "nguoi lao dong": "staff", "giao vien": "staff",
              "learner": "learner", "nguoi hoc": "learner", "hoc sinh": "learner",
              "hoc vien": "learner", "sinh vien": "learner"}

# What each reason means, in English (the API's message; pages translate by `reason`).
REASONS = {
    "required": "is required",
    "format": "has the wrong format",
    "national_id": "a personal identification number has exactly 12 digits",
    "unknown_unit": "there is no such commune (ward) today",
    "not_commune": "the unit is not a commune or ward",
    "unknown_target_group": "unknown target group",
    "unknown_gender": "gender is Nam/Nữ (male/female)",
    "unknown_role": "role is staff or learner (cán bộ / người học)",
    "out_of_range": "out of range",
    "too_long": "too long",
    "control_character": "contains a control character (line break, tab…)",
    "duplicate": "duplicate within the file",
    "name_mismatch": "a person with this number is registered under another name",
    "unknown_person": "no person with this number; give full name, birth year, gender, target "
                      "group and commune to register them",
    "unknown_organization": "no such organization",
    "ambiguous_organization": "several organizations bear this name; give its id",
    "date": "is not a date (YYYY-MM-DD or DD/MM/YYYY)",
    "future": "is after today",
    "before_start": "is before the first day",
    "overlap": "already a member with this role on some of these days",
    "one_subject": "give a số định danh (persons) or an organization, not both",
    "unknown_title": "no such title",
    "wrong_subject": "this title is for the other kind of subject",
    "no_rules": "no rules of this title are in force for this year",
    "before_year": "the decision is dated before the evaluation year",
    "already_recognized": "this subject already holds this title for this year",
    "open_dossier": "this subject has an open dossier for this title and year",
    "decision_date_differs": "this decision number was recorded with another date",
    "unknown_level": "not a level of the title's rules for this year",
    "unknown_grade": "not a grade of the title's rules for this year",
    # The file as a whole
    "not_a_table": "the file is neither a CSV (UTF-8) nor an XLSX workbook",
    "old_excel": "an Excel 97-2003 (.xls) file: save it as XLSX (Excel Workbook)",
    "encoding": "the CSV is not UTF-8: save it as \"CSV UTF-8\"",
    "empty": "the file has no rows below its header",
    "unknown_column": "unknown column",
    "missing_column": "a required column is missing",
    "duplicate_column": "the column appears twice",
    "changed_meanwhile": "someone else registered some of these rows meanwhile; nothing was "
                         "imported; try again",
}


@dataclass(frozen=True)
class Problem:
    """One bad cell: `line` as the user sees it (header = 1; None: the file as a whole)."""

    line: int | None
    column: str
    reason: str
    detail: str = ""

    @property
    def message(self) -> str:
        text = REASONS.get(self.reason, self.reason)
        return f"{text} ({self.detail})" if self.detail else text

    def as_dict(self) -> dict:
        return {"row": self.line, "column": self.column, "reason": self.reason,
                "message": self.message}


@dataclass
class Report:
    """What a file holds and what is wrong with it; `created` counts what was (or would be)
    written, `matched` what already existed and was reused."""

    kind: str
    rows: int = 0
    errors: list[Problem] = field(default_factory=list)
    created: dict[str, int] = field(default_factory=dict)
    matched: dict[str, int] = field(default_factory=dict)
    applied: bool = False

    @property
    def bad_rows(self) -> int:
        return len({p.line for p in self.errors if p.line is not None})

    @property
    def valid(self) -> int:
        if any(p.line is None for p in self.errors):
            return 0
        return self.rows - self.bad_rows

    @property
    def file_problem(self) -> bool:
        return any(p.line is None for p in self.errors)

    def as_dict(self, limit: int | None = None) -> dict:
        errors = self.errors if limit is None else self.errors[:limit]
        return {"kind": self.kind, "rows": self.rows, "valid": self.valid,
                "error_count": len(self.errors), "errors": [p.as_dict() for p in errors],
                "created": dict(self.created), "matched": dict(self.matched),
                "applied": self.applied}

    def errors_csv(self) -> str:
        """Every problem, one per line (UTF-8 with BOM so that Excel reads the diacritics)."""
        out = io.StringIO()
        out.write("\ufeff")
        writer = csv.writer(out)
        writer.writerow(["dòng (line)", "cột (column)", "lý do (reason)", "message"])
        for p in self.errors:
            writer.writerow(["" if p.line is None else p.line, p.column, p.reason, p.message])
        return out.getvalue()


class ImportRefused(Invalid):
    """Nothing was written: the file or some of its rows are bad (`report` says which)."""

    def __init__(self, report: Report):
        super().__init__(f"{len(report.errors)} problem(s) in the file; nothing was imported.",
                         [p.as_dict() for p in report.errors])
        self.report = report


# -- reading --------------------------------------------------------------------------------------

@dataclass
class Table:
    kind: str
    columns: dict[str, int]  # key -> index in each row
    headers: dict[str, str]  # key -> the header as written in the file
    rows: list[tuple[int, list[Any]]]  # (line, cells)
    # Told (phase "check" or "write", rows done since the last call, rows in all) as the work
    # goes: the CLI's progress bar.
    progress: Callable[[str, int, int], None] | None = None

    def tick(self, phase: str, done: int) -> None:
        if self.progress is not None and done:
            self.progress(phase, done, len(self.rows))


def _header_key(text: str) -> str:
    return " ".join(fold(str(text)).strip(" *:").split())


ALIASES = {kind: {**{_header_key(a): c.key for c in cols for a in c.aliases},
                  **{c.key: c.key for c in cols}} for kind, cols in COLUMNS.items()}


def _cell(value: Any) -> Any:
    """A cell as text, except what only XLSX carries: whole numbers and dates."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, (int, datetime, date)) and not isinstance(value, bool):
        return value
    return str(value)


def _rows_xlsx(data: bytes) -> Iterable[list[Any]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # not a workbook after all (another zip, a damaged file)
        raise _file_refused("not_a_table") from None
    try:
        sheet = book.worksheets[0]
        for values in sheet.iter_rows(values_only=True):
            yield [_cell(v) for v in values]
    finally:
        book.close()


def _rows_csv(data: bytes) -> Iterable[list[Any]]:
    if b"\x00" in data[:65536]:
        raise _file_refused("not_a_table")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _file_refused("encoding") from None
    end = text.find("\n")
    first = text if end < 0 else text[:end]  # (not split: a copy of the rest of a large file)
    delimiter = ";" if first.count(";") > first.count(",") else ","
    # The reader itself, not a generator around it: one Python frame less per row.
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)


def _file_refused(reason: str, column: str = "", detail: str = "", kind: str = "") -> ImportRefused:
    return ImportRefused(Report(kind, errors=[Problem(None, column, reason, detail)]))


def read(kind: str, data: bytes) -> Table:
    """The file's rows under their column keys; ImportRefused for a file that is not a table,
    has missing, unknown or repeated columns, or no rows."""
    if kind not in KINDS:
        raise Invalid(f"Unknown import kind {kind!r}.", [{"field": "kind", "code": "not_allowed",
                                                         "message": "persons, members or recognitions"}])
    if data[:4] == b"PK\x03\x04":
        if not _is_xlsx(data):
            raise _file_refused("not_a_table", kind=kind)
        source = _rows_xlsx(data)
    elif data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise _file_refused("old_excel", kind=kind)
    elif data[:5] in (b"%PDF-",) or data[:4] in (b"\x89PNG", b"\xff\xd8\xff\xe0", b"\xff\xd8\xff\xe1"):
        raise _file_refused("not_a_table", kind=kind)
    else:
        source = _rows_csv(data)
    try:
        rows = iter(source)
        header = next((r for r in rows if any(str(c).strip() for c in r)), None)
        if header is None:
            raise _file_refused("empty", kind=kind)
        aliases = ALIASES[kind]
        columns: dict[str, int] = {}
        headers: dict[str, str] = {}
        problems: list[Problem] = []
        for index, raw in enumerate(header):
            text = str(raw).strip()
            if not text:
                continue
            key = aliases.get(_header_key(text))
            if key is None:
                problems.append(Problem(None, text, "unknown_column"))
            elif key in columns:
                problems.append(Problem(None, text, "duplicate_column"))
            else:
                columns[key], headers[key] = index, text
        for col in COLUMNS[kind]:
            if col.required and col.key not in columns:
                problems.append(Problem(None, col.aliases[0] if col.aliases else col.key,
                                        "missing_column", col.key))
        if kind == "recognitions" and not {"national_id", "organization"} & set(columns):
            problems.append(Problem(None, "Số định danh / Cơ quan", "missing_column",
                                    "national_id / organization"))
        if problems:
            raise ImportRefused(Report(kind, errors=problems))
        body: list[tuple[int, list[Any]]] = []
        # Lines as the user sees them: the header is line 1 (blank lines before it count too).
        line = 1
        for r in rows:
            line += 1
            # (a row whose first cell is filled text is the usual case, told at once)
            if (r and r[0].__class__ is str and r[0].strip()) or (any(r) and any(
                    c != "" and (c.__class__ is not str or c.strip()) for c in r)):
                body.append((line, r))
    except csv.Error as exc:
        raise _file_refused("not_a_table", detail=str(exc), kind=kind) from None
    if not body:
        raise _file_refused("empty", kind=kind)
    return Table(kind, columns, headers, body)


def _is_xlsx(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return "xl/workbook.xml" in z.namelist()
    except zipfile.BadZipFile:
        return False


# -- checking cells -------------------------------------------------------------------------------

class Rows:
    """Reads one row's cells by key, collecting its problems."""

    def __init__(self, table: Table, problems: list[Problem]):
        self.table, self.problems = table, problems
        self.line = self.count = 0
        self.cells: list[Any] = []
        self.bad = False
        # Every key of the kind gets an index; a column the file lacks points past its cells, at
        # the blank each row is padded with.
        self.width = 1 + max(table.columns.values(), default=-1)
        self.columns = {c.key: table.columns.get(c.key, self.width)
                        for cols in COLUMNS.values() for c in cols}
        self.pad = [""] * (self.width + 1)
        self.this_year = clock.today().year

    def start(self, line: int, cells: list[Any]) -> None:
        cells = [c.strip() if c.__class__ is str else c for c in cells[:self.width]]
        cells += self.pad[len(cells):]
        self.line, self.cells, self.bad = line, cells, False
        self.count += 1
        if self.count % 1000 == 0:
            self.table.tick("check", 1000)

    def add(self, key: str, reason: str, detail: str = "") -> None:
        self.problems.append(Problem(self.line, self.table.headers.get(key, key), reason, detail))
        self.bad = True

    def raw(self, key: str) -> Any:
        return self.cells[self.columns[key]]

    def text(self, key: str, longest: int, required: bool = False) -> str | None:
        value = self.raw(key)
        if value == "":
            if required:
                self.add(key, "required")
            return None
        value = str(value)
        if value.isascii():
            if not value.isprintable():
                self.add(key, "control_character")
                return None
        else:
            if not unicodedata.is_normalized("NFC", value):
                value = unicodedata.normalize("NFC", value)
            if CONTROL.search(value):
                self.add(key, "control_character")
                return None
        if len(value) > longest:
            self.add(key, "too_long", f"> {longest}")
            return None
        return value

    def national_id(self, key: str = "national_id", required: bool = True) -> str | None:
        value = nid_text(self.raw(key))
        if value == "":
            if required:
                self.add(key, "required")
            return None
        if not NATIONAL_ID.match(value):
            self.add(key, "national_id")
            return None
        return value

    def integer(self, key: str, low: int, high: int, required: bool = True) -> int | None:
        value = self.raw(key)
        if value == "":
            if required:
                self.add(key, "required")
            return None
        if isinstance(value, str):
            value = value.strip()
            if not re.fullmatch(r"\d{1,9}", value):
                self.add(key, "format")
                return None
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool) or isinstance(value, datetime):
            self.add(key, "format")
            return None
        if not low <= value <= high:
            self.add(key, "out_of_range", f"{low}–{high}")
            return None
        return value

    def word(self, key: str, words: dict[str, str], reason: str, required: bool = True) -> str | None:
        value = self.raw(key)
        if value == "":
            if required:
                self.add(key, "required")
            return None
        found = words.get(_word(str(value)))
        if found is None:
            self.add(key, reason, str(value)[:60])
        return found

    def day(self, key: str, required: bool = True) -> date | None:
        value = self.raw(key)
        if value == "":
            if required:
                self.add(key, "required")
            return None
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        found = parse_day(str(value))
        if found is None:
            self.add(key, "date", str(value)[:40])
        return found


def nid_text(value: Any) -> str:
    """A số định danh cell as text: spaces dropped; an XLSX number cell, which lost its leading
    zeros, written back with 12 digits."""
    if value.__class__ is int and 0 <= value < 10**12:
        return f"{value:012d}"
    return "".join(str(value).split())


@functools.lru_cache(maxsize=4096)
def _word(text: str) -> str:
    """A cell compared with the words a column takes (labels repeat on every row: cached)."""
    return " ".join(fold(text).split())


def fold_name(name: str) -> str:
    """`fold(name)`, character by character through one translation table: a list's names are
    made of a few hundred distinct characters, each folded once (`_FoldTable`). Equal to `fold`
    for every text: the whole name is lowered first (lower() alone looks at its neighbours, for
    the Greek final sigma), and decomposing and dropping combining marks work character by
    character (canonical reordering only moves combining marks, which are dropped); white space
    is collapsed and the result cut to the same length after."""
    folded = name.lower().translate(_FOLD)
    return " ".join(folded.split())[:SEARCH_NAME_LENGTH].rstrip()


class _FoldTable(dict):
    """str.translate's table for fold_name: a lowered character → its compatibility decomposition
    without combining marks (đ → d), computed the first time the character is met."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        decomposed = unicodedata.normalize("NFKD", "d" if char == "đ" else char)
        folded = self[code] = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
        return folded


_FOLD = _FoldTable()


def parse_day(text: str) -> date | None:
    text = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text)
        m = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", text)
        if m:
            return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    except ValueError:
        return None
    return None


def _chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _units_by_code(codes: set[str]) -> dict[str, Unit | None]:
    return {code: unit_service.find(code) for code in codes}


def _among(column, values: list):
    """`column IN values`; on PostgreSQL `column = ANY(array)`, on SQLite `column IN (SELECT
    value FROM json_each(list))`: one parameter, not thousands (a statement with thousands of
    placeholders is slow to expand and to parse)."""
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy import any_, literal
        from sqlalchemy.dialects.postgresql import ARRAY

        return column == any_(literal(values, ARRAY(column.type)))
    listed = func.json_each(json.dumps(values, ensure_ascii=False)).table_valued("value")
    return column.in_(select(listed.c.value))


def _persons_by_national_id(numbers: Iterable[str]) -> dict[str, tuple[int, str, int]]:
    """số định danh → (person id, folded name, unit id) of those already registered."""
    found: dict[str, tuple[int, str, int]] = {}
    # (unsorted: both databases order the list themselves to probe the index)
    for chunk in _chunks(list(set(numbers)), 50_000):
        for pid, nid, name, unit_id in db.session.execute(
                select(Person.id, Person.national_id, Person.search_name, Person.unit_id)
                .where(_among(Person.national_id, chunk))):
            found[nid] = (pid, name, unit_id)
    return found


def _unit_cell(rows: Rows, units: dict[str, Unit | None]) -> Unit | None:
    code = rows.text("unit_code", Longest.UNIT_CODE, required=True)
    if code is None:
        return None
    unit = units.get(code)
    if unit is None:
        rows.add("unit_code", "unknown_unit", code)
        return None
    if unit.level != "commune":
        rows.add("unit_code", "not_commune", code)
        return None
    return unit


def _new_person(rows: Rows, units: dict[str, Unit | None], *, required: bool = True) -> dict | None:
    """The fields of a person from a row (None when one is bad)."""
    full_name = rows.text("full_name", Longest.FULL_NAME, required=required)
    birth_year = rows.integer("birth_year", 1900, rows.this_year)
    gender = rows.word("gender", GENDER_WORDS, "unknown_gender")
    group = rows.word("target_group", TARGET_GROUP_WORDS, "unknown_target_group")
    ethnicity = rows.text("ethnicity", Longest.ETHNICITY)
    religion = rows.text("religion", Longest.RELIGION)
    occupation = rows.text("occupation", Longest.OCCUPATION)
    unit = _unit_cell(rows, units)
    if rows.bad:
        return None
    return {"full_name": full_name, "birth_year": birth_year, "gender": gender,
            "target_group": group, "ethnicity": ethnicity, "religion": religion,
            "occupation": occupation, "unit_id": unit.id}


def person_row(fields: dict, *, household_id: int | None, national_id: str, now: datetime) -> dict:
    """One persons row (members register persons one by one): `person_columns` of one row."""
    columns = person_columns({key: [value] for key, value in fields.items()},
                             household_ids=[household_id], national_ids=[national_id], now=now)
    return {key: values[0] for key, values in columns.items()}


def person_columns(fields: dict[str, list], *, household_ids: list[int | None],
                   national_ids: list[str], now: datetime) -> dict[str, list]:
    """The persons rows an import writes, column by column (the one place that says which unit a
    person gets): a household member lives where its household is (no unit of its own,
    models.Person); a person without a household has the commune of its row."""
    names = fields["full_name"]
    blanks = [None] * len(names)
    return {"household_id": household_ids,
            "unit_id": [unit_id if household_id is None else None
                        for household_id, unit_id in zip(household_ids, fields["unit_id"])],
            "full_name": names, "search_name": [fold_name(name) for name in names],
            "national_id": national_ids, "birth_year": fields["birth_year"],
            "gender": fields["gender"], "target_group": fields["target_group"],
            "ethnicity": fields.get("ethnicity", blanks),
            "religion": fields.get("religion", blanks),
            "occupation": fields.get("occupation", blanks), "created_at": [now] * len(names)}


# -- persons --------------------------------------------------------------------------------------

@dataclass
class Plan:
    report: Report
    write: Callable[[User | None], None] | None = None


# What `_new_person` gives, and `_PersonColumns` column by column.
PERSON_FIELDS = ("full_name", "birth_year", "gender", "target_group", "ethnicity", "religion",
                 "occupation", "unit_id")


def _plan_persons(table: Table) -> Plan:
    """The persons checks and writes, column by column: a list's rows are nearly all good, and
    per-row Python work is most of an import's time (benchmarks/imports.py)."""
    report = Report("persons", rows=len(table.rows))
    problems = report.errors
    rows = Rows(table, problems)
    i_unit = table.columns["unit_code"]
    units = _units_by_code({str(c).strip() for c in {r[i_unit] for _, r in table.rows
                                                      if i_unit < len(r)}})
    values, slow = _PersonColumns(table, units).check()
    households, addresses, nids = values["household"], values["address"], values["national_id"]
    # Rows a quick check did not pass go through the cell-by-cell checks, which name each problem
    # (and may find the row good after all: a commune code typed as a number, a year as 01980).
    bad: set[int] = set()
    for i in slow:
        rows.start(*table.rows[i])
        households[i] = rows.text("household", HOUSEHOLD_NAME)
        addresses[i] = rows.text("address", ADDRESS)
        nids[i] = rows.national_id()
        fields = _new_person(rows, units)
        if rows.bad:
            bad.add(i)
            continue
        for key in PERSON_FIELDS:
            values[key][i] = fields[key]

    def problem(i: int, key: str, reason: str, detail: str = "") -> None:
        problems.append(Problem(table.rows[i][0], table.headers.get(key, key), reason, detail))
        bad.add(i)

    # Each number's first row (a dict filled from the last row back keeps the first).
    first = dict(zip(reversed(nids), range(len(nids) - 1, -1, -1)))
    first.pop(None, None)
    if len(first) < len(nids) - sum(nids[i] is None for i in slow):
        for i, nid in enumerate(nids):
            if nid is not None and first[nid] != i:
                problem(i, "national_id", "duplicate", f"= line {table.rows[first[nid]][0]}")
    existing = _persons_by_national_id(first)
    matched: set[int] = set()
    for nid, (_pid, name, _unit_id) in existing.items():
        i = first[nid]
        if i in bad:
            continue
        if name != fold_name(values["full_name"][i]):
            problem(i, "full_name", "name_mismatch")
        else:
            matched.add(i)
    if bad or matched:
        kept = [i for i in range(len(nids)) if i not in bad and i not in matched]
        values = {key: [column[i] for i in kept] for key, column in values.items()}
        households, addresses, nids = values["household"], values["address"], values["national_id"]
    # Rows with the same household name, address and commune form one household.
    keys = [None if name is None else (unit_id, name, address or "")
            for unit_id, name, address in zip(values["unit_id"], households, addresses)]
    new_households = list(dict.fromkeys(key for key in keys if key is not None))
    reuse = _existing_households(new_households)
    report.created = {"households": len(new_households) - len(reuse), "persons": len(nids)}
    report.matched = {"persons": len(matched), "households": len(reuse)}

    def write(actor: User | None) -> None:
        now = clock.now()
        ids = dict(reuse)
        todo = [key for key in new_households if key not in ids]
        ids.update(zip(todo, _new_ids(Household, len(todo))))
        _executemany(Household, {"id": [ids[key] for key in todo],
                                 "unit_id": [unit_id for unit_id, _name, _address in todo],
                                 "name": [name for _unit_id, name, _address in todo],
                                 "address": [address or None for _unit_id, _name, address in todo],
                                 "created_at": [now] * len(todo)})
        columns = person_columns(values, household_ids=[None if key is None else ids[key]
                                                        for key in keys],
                                 national_ids=nids, now=now)
        for start in range(0, len(nids), 5000):
            _executemany(Person, {name: column[start:start + 5000]
                                  for name, column in columns.items()})
            table.tick("write", min(5000, len(nids) - start))

    return Plan(report, write)


def _new_ids(model, n: int) -> list[int]:
    """`n` fresh primary keys of `model`'s table, taken before inserting (rows then go in by
    executemany, which returns no ids): PostgreSQL's sequence, or SQLite's next rowids (the
    import holds SQLite's write lock, so no one else takes them meanwhile)."""
    if n == 0:
        return []
    table = model.__table__.name
    if db.session.get_bind().dialect.name == "postgresql":
        return list(db.session.scalars(text(
            f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) "
            "FROM generate_series(1, :n)"), {"n": n}))
    start = (db.session.scalar(text(f"SELECT max(id) FROM {table}")) or 0) + 1
    return list(range(start, start + n))


def _executemany(model, columns: dict[str, list]) -> None:
    """INSERT the rows, given column by column, with the driver's executemany (PostgreSQL: COPY):
    each column's value goes through its type's bind processing once per distinct value kind, not
    through the ORM per row."""
    if not columns or not next(iter(columns.values())):
        return
    table = model.__table__
    # A column no row fills (religion, occupation in most lists) is left to its default, NULL:
    # fewer values for the driver to bind, a tenth of the rows' time on SQLite.
    columns = {name: values for name, values in columns.items()
               if values.count(None) < len(values) or table.c[name].server_default is not None}
    connection = db.session.connection()
    dialect = connection.dialect
    mark = "%s" if dialect.paramstyle in ("format", "pyformat") else "?"
    sql = (f"INSERT INTO {table.name} ({', '.join(columns)}) "
           f"VALUES ({', '.join([mark] * len(columns))})")
    # Only columns whose type converts values (timestamps on SQLite) are touched again; a value
    # repeated from the row before (the one timestamp of the import) is converted once. The rows'
    # tuples are then zipped from the columns.
    values_of = []
    for name, values in columns.items():
        processor = table.c[name].type._cached_bind_processor(dialect)
        if processor is not None:
            values = list(values)
            last_in, last_out = object(), None
            for n, value in enumerate(values):
                if value is None:
                    continue
                if value is not last_in:
                    last_in, last_out = value, processor(value)
                values[n] = last_out
        values_of.append(values)
    params = list(zip(*values_of))
    if dialect.name == "postgresql":
        # COPY: PostgreSQL's own bulk path, several times faster than INSERTs in a batch.
        cursor = connection.connection.dbapi_connection.cursor()
        try:
            with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
                for values in params:
                    copy.write_row(values)
        finally:
            cursor.close()
        return
    connection.exec_driver_sql(sql, params)


_BAD = object()  # a cell that is not plainly right


class _Distinct(dict):
    """A column's distinct cells, each checked once, the first time it is met (cell → value, or
    _BAD)."""

    def __init__(self, check: Callable[[Any], Any]):
        super().__init__()
        self.check = check

    def __missing__(self, cell: Any) -> Any:
        value = self[cell] = self.check(cell)
        return value


class _PersonColumns:
    """The persons checks for the rows in which every cell is plainly right, column by column and
    without naming problems: the cells of a column that repeats (commune, household, address,
    year, gender, group, ethnicity…) are each checked once, those of a column of distinct cells
    (name, số định danh) one call each, and no row is handled on its own. A row with any cell not
    plainly right is listed in `slow`, for the cell-by-cell checks (`Rows`)."""

    KEYS = ("household", "address", "unit_code", "full_name", "national_id", "birth_year",
            "gender", "target_group", "ethnicity", "religion", "occupation")
    BLOCK = 20_000  # rows checked between two ticks of the progress bar

    def __init__(self, table: Table, units: dict[str, Unit | None]):
        self.table = table
        self.width = 1 + max(table.columns.values())
        self.index = {key: table.columns.get(key, self.width) for key in self.KEYS}
        unit_ids = {code: u.id for code, u in units.items()
                    if u is not None and u.level == "commune"}
        this_year = clock.today().year

        def unit(cell: Any) -> Any:
            return unit_ids.get(cell.strip() if cell.__class__ is str else cell, _BAD)

        def year(cell: Any) -> Any:
            if cell.__class__ is str:
                cell = cell.strip()
                # isdecimal, not isdigit: int() takes decimal digits only ("¹⁹⁸⁰" is digits)
                if not cell.isdecimal() or len(cell) != 4:
                    return _BAD
                cell = int(cell)
            elif cell.__class__ is not int:
                return _BAD
            return cell if 1900 <= cell <= this_year else _BAD

        self.checks: dict[str, Callable[[Any], Any]] = {
            "household": _Distinct(_plain_text(HOUSEHOLD_NAME)).__getitem__,
            "address": _Distinct(_plain_text(ADDRESS)).__getitem__,
            "unit_code": _Distinct(unit).__getitem__,
            "full_name": _plain_text(Longest.FULL_NAME, required=True),
            "national_id": _plain_national_id,
            "birth_year": _Distinct(year).__getitem__,
            "gender": _Distinct(functools.partial(_label, words=GENDER_WORDS)).__getitem__,
            "target_group": _Distinct(
                functools.partial(_label, words=TARGET_GROUP_WORDS)).__getitem__,
            "ethnicity": _Distinct(_plain_text(Longest.ETHNICITY)).__getitem__,
            "religion": _Distinct(_plain_text(Longest.RELIGION)).__getitem__,
            "occupation": _Distinct(_plain_text(Longest.OCCUPATION)).__getitem__,
        }

    def check(self) -> tuple[dict[str, list], list[int]]:
        """Each key's values for every row (`PERSON_FIELDS`, household, address, national_id;
        `unit_code` as the unit's id under `unit_id`), and the rows to check cell by cell (their
        values are left to those checks)."""
        width, rows = self.width, self.table.rows
        pad = [""] * width
        values: dict[str, list] = {key: [] for key in self.KEYS}
        slow: list[int] = []
        for start in range(0, len(rows), self.BLOCK):
            block = [cells if len(cells) == width else (cells + pad)[:width]
                     for _line, cells in rows[start:start + self.BLOCK]]
            columns = list(zip(*block))
            bad: set[int] = set()
            for key in self.KEYS:
                at = self.index[key]
                checked = list(map(self.checks[key], columns[at] if at < width else
                                   pad[:1] * len(block)))
                if _BAD in checked:
                    bad.update(start + i for i, value in enumerate(checked) if value is _BAD)
                values[key] += checked
            slow += sorted(bad)
            self.table.tick("check", len(block) - len(bad))
        values["unit_id"] = values.pop("unit_code")
        return values, slow


def _plain_text(longest: int, required: bool = False) -> Callable[[Any], Any]:
    def check(cell: Any) -> Any:
        if cell.__class__ is not str:
            return _BAD
        cell = cell.strip()
        if not cell:
            return _BAD if required else None
        if len(cell) > longest or not cell.isprintable() or (
                not cell.isascii() and not unicodedata.is_normalized("NFC", cell)):
            return _BAD
        return cell

    return check


def _plain_national_id(cell: Any) -> Any:
    number = cell.strip() if cell.__class__ is str else nid_text(cell)
    return number if NATIONAL_ID.match(number) else _BAD


def _label(cell: Any, words: dict[str, str]) -> Any:
    if cell.__class__ is not str or not cell.strip():
        return _BAD
    return words.get(_word(cell.strip()), _BAD)


def _existing_households(keys: list[tuple]) -> dict[tuple, int]:
    """(unit id, name, address) → the id of the first stored household with them: the households
    of those units with those names (one list parameter per query), kept when the whole key
    matches."""
    found: dict[tuple, int] = {}
    wanted = set(keys)
    unit_ids = sorted({u for u, _n, _a in keys})
    for chunk in _chunks(sorted({n for _u, n, _a in keys}), 50_000):
        for hid, unit_id, name, address in db.session.execute(
                select(Household.id, Household.unit_id, Household.name, Household.address)
                .where(_among(Household.unit_id, unit_ids), _among(Household.name, chunk))
                .order_by(Household.id)):
            key = (unit_id, name, address or "")
            if key in wanted:
                found.setdefault(key, hid)
    return found


# -- members --------------------------------------------------------------------------------------

def _organizations(values: set) -> tuple[dict[int, Organization], dict[str, list[Organization]]]:
    ids = sorted({int(v) for v in values if isinstance(v, int) or str(v).isdigit()
                  if 1 <= int(v) <= MAX_INT})
    names = sorted({str(v).strip() for v in values if not (isinstance(v, int) or str(v).isdigit())})
    by_id: dict[int, Organization] = {}
    for chunk in _chunks(ids):
        by_id.update({o.id: o for o in db.session.scalars(
            select(Organization).where(Organization.id.in_(chunk)))})
    by_name: dict[str, list[Organization]] = defaultdict(list)
    for chunk in _chunks(names):
        for o in db.session.scalars(select(Organization).where(Organization.name.in_(chunk))
                                    .order_by(Organization.id)):
            by_name[o.name].append(o)
    return by_id, by_name


def _organization_cell(rows: Rows, by_id, by_name, required: bool = True) -> Organization | None:
    value = rows.raw("organization")
    if value == "":
        if required:
            rows.add("organization", "required")
        return None
    if isinstance(value, int) or str(value).isdigit():
        org = by_id.get(int(value)) if 1 <= int(value) <= MAX_INT else None
        if org is None:
            rows.add("organization", "unknown_organization", str(value))
        return org
    found = by_name.get(str(value).strip(), [])
    if len(found) > 1:
        rows.add("organization", "ambiguous_organization", ", ".join(str(o.id) for o in found))
        return None
    if not found:
        rows.add("organization", "unknown_organization", str(value)[:80])
        return None
    return found[0]


def _plan_members(table: Table) -> Plan:
    report = Report("members", rows=len(table.rows))
    rows = Rows(table, report.errors)
    col = table.columns
    orgs = {r[col["organization"]] for _, r in table.rows if col["organization"] < len(r)}
    by_id, by_name = _organizations({o for o in orgs if o != ""})
    i_unit = col.get("unit_code")
    units = _units_by_code({str(r[i_unit]).strip() for _, r in table.rows
                            if i_unit is not None and i_unit < len(r)})
    i_nid = col["national_id"]
    numbers = [nid_text(r[i_nid]) for _, r in table.rows if i_nid < len(r)]
    existing = _persons_by_national_id(n for n in numbers if NATIONAL_ID.match(n))
    current = _memberships({existing[n][0] for n in numbers if n in existing})
    to_register: dict[str, dict] = {}
    planned: list[tuple[int, str, str, date, date | None]] = []  # org id, nid, role, from, until
    spans: dict[tuple[int, str, str], list[tuple[date, date | None, int]]] = defaultdict(list)
    for line, cells in table.rows:
        rows.start(line, cells)
        org = _organization_cell(rows, by_id, by_name)
        nid = rows.national_id()
        role = rows.word("role", ROLE_WORDS, "unknown_role")
        starts = rows.day("from")
        ends = rows.day("until", required=False)
        if starts is not None and ends is not None and ends < starts:
            rows.add("until", "before_start")
        new_fields = None
        if nid is not None and nid in existing:
            name = rows.text("full_name", Longest.FULL_NAME)
            if name is not None and fold(name) != existing[nid][1]:
                rows.add("full_name", "name_mismatch")
        elif nid is not None and nid not in to_register:
            if all(rows.raw(k) == "" for k in ("full_name", "birth_year", "gender",
                                                 "target_group", "unit_code")):
                rows.add("national_id", "unknown_person", nid)
            else:
                new_fields = _new_person(rows, units)
        if rows.bad:
            continue
        key = (org.id, nid, role)
        last = date.max
        for s, e, other in spans[key]:
            if s <= (ends or last) and starts <= (e or last):
                rows.add("from", "duplicate", f"= line {other}")
                break
        else:
            if nid in existing:
                for s, e in current.get((org.id, existing[nid][0], role), []):
                    if s <= (ends or last) and starts <= (e or last):
                        rows.add("from", "overlap")
                        break
        if rows.bad:
            continue
        spans[key].append((starts, ends, line))
        if new_fields is not None:
            to_register[nid] = new_fields
        planned.append((org.id, nid, role, starts, ends))
    report.created = {"persons": len(to_register), "memberships": len(planned)}
    report.matched = {"persons": len({p[1] for p in planned if p[1] in existing})}

    def write(actor: User | None) -> None:
        now = clock.now()
        ids = {nid: v[0] for nid, v in existing.items()}
        numbers = list(to_register)
        for chunk in _chunks(numbers, 1000):
            persons = Person.__table__  # rows keyed by column (person_row), not by attribute
            new_ids = db.session.scalars(
                insert(persons).returning(persons.c.id, sort_by_parameter_order=True),
                [person_row(to_register[n], household_id=None, national_id=n, now=now)
                 for n in chunk]).all()
            ids.update(zip(chunk, new_ids))
        actor_id = actor.id if actor is not None else None
        for chunk in _chunks(planned, 5000):
            db.session.execute(insert(Membership.__table__), [
                {"organization_id": o, "person_id": ids[n], "role": role, "starts_on": s,
                 "ends_on": e, "created_by_id": actor_id, "created_at": now}
                for o, n, role, s, e in chunk])
            table.tick("write", len(chunk))

    return Plan(report, write)


def _memberships(person_ids: set[int]) -> dict[tuple[int, int, str], list[tuple[date, date | None]]]:
    found: dict[tuple[int, int, str], list] = defaultdict(list)
    for chunk in _chunks(sorted(person_ids)):
        for org_id, pid, role, s, e in db.session.execute(
                select(Membership.organization_id, Membership.person_id, Membership.role,
                       Membership.starts_on, Membership.ends_on)
                .where(Membership.person_id.in_(chunk))):
            found[(org_id, pid, role)].append((s, e))
    return found


# -- recognitions ---------------------------------------------------------------------------------

def _titles() -> dict[str, Any]:
    from ..workflow import workflows

    words = {}
    for wf in workflows().values():
        words[wf.code] = wf
        words[" ".join(fold(wf.spec.name.vi).split())] = wf
        words[" ".join(fold(wf.spec.name.en).split())] = wf
    return words


def _deciding_unit(wf, unit: Unit, day: date) -> Unit:
    """Whose committee signed: the subject's unit's ancestor at the approving tier then (the
    subject's own unit when the file names no tier for that day)."""
    try:
        level = wf.tier("approver", on=day)
    except Exception:  # no rules in force that day: the unit itself
        level = None
    if level is None or unit.level == level:
        return unit
    for ancestor_id in reversed(unit.ancestor_ids()):
        ancestor = db.session.get(Unit, ancestor_id)
        if ancestor is not None and ancestor.level == level:
            return ancestor
    return unit


def _plan_recognitions(table: Table) -> Plan:
    from ..workflow import engine
    from .decisions import NUMBER, issuer_of

    report = Report("recognitions", rows=len(table.rows))
    rows = Rows(table, report.errors)
    col = table.columns
    titles = _titles()
    i_nid = col.get("national_id")
    numbers = [nid_text(r[i_nid]) for _, r in table.rows if i_nid is not None and i_nid < len(r)]
    persons = _persons_by_national_id(n for n in numbers if NATIONAL_ID.match(n))
    i_org = col.get("organization")
    by_id, by_name = _organizations({r[i_org] for _, r in table.rows
                                     if i_org is not None and i_org < len(r) and r[i_org] != ""})
    units: dict[int, Unit] = {}
    today = clock.today()
    items: list[dict] = []
    seen: dict[tuple, int] = {}
    decisions: dict[tuple[int, str], dict] = {}
    for line, cells in table.rows:
        rows.start(line, cells)
        has_person = i_nid is not None and rows.raw("national_id") != ""
        has_org = i_org is not None and rows.raw("organization") != ""
        if has_person == has_org:
            rows.add("national_id" if i_nid is not None else "organization", "one_subject")
        title_value = rows.raw("title")
        wf = titles.get(" ".join(fold(str(title_value)).split())) if title_value != "" else None
        if title_value == "":
            rows.add("title", "required")
        elif wf is None:
            rows.add("title", "unknown_title", str(title_value)[:60])
        year = rows.integer("year", 1990, today.year)
        number = rows.text("decision_number", Longest.DECISION_NUMBER, required=True)
        if number is not None and not NUMBER.match(number):
            rows.add("decision_number", "format", "12/QĐ-UBND")
            number = None
        day = rows.day("decision_date")
        if day is not None and day > today:
            rows.add("decision_date", "future")
            day = None
        signer = rows.text("signer", Longest.SIGNER)
        until = rows.day("valid_until", required=False)
        level = rows.text("level", Longest.CODE)
        grade = rows.text("grade", Longest.CODE)
        subject_id, unit_id = None, None
        if has_person and not has_org:
            nid = rows.national_id()
            if nid is not None:
                if nid not in persons:
                    rows.add("national_id", "unknown_person", nid)
                else:
                    subject_id, _name, unit_id = persons[nid]
            if wf is not None and wf.spec.subject != "person":
                rows.add("title", "wrong_subject")
        elif has_org and not has_person:
            org = _organization_cell(rows, by_id, by_name)
            if org is not None:
                subject_id, unit_id = org.id, org.unit_id
            if wf is not None and wf.spec.subject != "organization":
                rows.add("title", "wrong_subject")
        rules = None
        if wf is not None and year is not None:
            rules = wf.rules_for_year(year)
            if rules is None:
                rows.add("year", "no_rules", str(year))
        if day is not None and year is not None and day.year < year:
            rows.add("decision_date", "before_year")
        if until is not None and day is not None and until < day:
            rows.add("valid_until", "before_start")
        if rules is not None:
            level = _code_of(rows, "level", level, [(lv.code, lv.name) for lv in rules.levels],
                             "unknown_level")
            grade = _code_of(rows, "grade", grade, [(g.code, g.name) for g in rules.grades],
                             "unknown_grade")
        if rows.bad:
            continue
        key = (wf.code, has_person, subject_id, year)
        if key in seen:
            rows.add("year", "duplicate", f"= line {seen[key]}")
            continue
        seen[key] = line
        if unit_id not in units:
            units[unit_id] = db.session.get(Unit, unit_id)
        unit = units[unit_id]
        decider = _deciding_unit(wf, unit, day)
        dkey = (decider.id, unicodedata.normalize("NFC", number))
        first = decisions.setdefault(dkey, {"number": dkey[1], "date": day, "signer": signer or "",
                                            "unit": decider, "line": line})
        if first["date"] != day:
            rows.add("decision_date", "decision_date_differs", f"= line {first['line']}")
            continue
        items.append({"line": line, "wf": wf, "rules": rules, "person": has_person,
                      "subject_id": subject_id, "unit": unit, "year": year, "decision": dkey,
                      "valid_until": until, "level": level, "grade": grade})
    _against_records(rows, items, decisions)
    bad = {p.line for p in report.errors}
    items = [i for i in items if i["line"] not in bad]
    used = {i["decision"] for i in items}
    existing_decisions = {k: v for k, v in decisions.items() if k in used and "id" in v}
    report.created = {"nominations": len(items), "recognitions": len(items),
                      "decisions": len(used) - len(existing_decisions)}
    report.matched = {"decisions": len(existing_decisions)}

    def write(actor: User | None) -> None:
        made: dict[tuple, Decision] = {}
        for dkey in sorted(used):
            d = decisions[dkey]
            if "id" in d:
                made[dkey] = db.session.get(Decision, d["id"])
                continue
            made[dkey] = Decision(number=d["number"], date=d["date"], signer=d["signer"],
                                  issuer=issuer_of(d["unit"]), unit_id=d["unit"].id,
                                  created_by_id=actor.id if actor is not None else None)
            db.session.add(made[dkey])
        engine.record_paper_recognitions([
            engine.PaperRecognition(
                workflow=i["wf"], rules=i["rules"], unit=i["unit"], year=i["year"],
                person_id=i["subject_id"] if i["person"] else None,
                organization_id=None if i["person"] else i["subject_id"],
                decision=made[i["decision"]], valid_until=i["valid_until"], level=i["level"],
                grade=i["grade"])
            for i in items], actor)
        table.tick("write", len(items))

    return Plan(report, write)


def _code_of(rows: Rows, key: str, value: str | None, options, reason: str) -> str | None:
    """A level or grade by its code or its name in either language."""
    if value is None:
        return None
    wanted = " ".join(fold(value).split())
    for code, name in options:
        if wanted in (code, " ".join(fold(name.vi).split()), " ".join(fold(name.en).split())):
            return code
    rows.add(key, reason, value[:40])
    return None


def _against_records(rows: Rows, items: list[dict], decisions: dict) -> None:
    """Rows that the database already holds: a recognition (or an open dossier) of the subject for
    the title and year; a decision number of the deciding unit recorded with another date."""
    def problem(item, column, reason, detail=""):
        rows.problems.append(Problem(item["line"], rows.table.headers.get(column, column), reason,
                                     detail))

    for person in (True, False):
        group = [i for i in items if i["person"] == person]
        subject_col = Nomination.person_id if person else Nomination.organization_id
        for chunk in _chunks(group):
            ids = sorted({i["subject_id"] for i in chunk})
            taken: dict[tuple, str] = {}
            for title, sid, year, has_rec, is_open in db.session.execute(
                    select(Nomination.title_code, subject_col, Nomination.year,
                           Recognition.id.is_not(None), Nomination.is_open)
                    .outerjoin(Recognition, Recognition.nomination_id == Nomination.id)
                    .where(subject_col.in_(ids),
                           or_(Recognition.id.is_not(None), Nomination.is_open.is_(True)))):
                key = (title, sid, year)
                if has_rec:
                    taken[key] = "already_recognized"
                else:
                    taken.setdefault(key, "open_dossier")
            for i in chunk:
                reason = taken.get((i["wf"].code, i["subject_id"], i["year"]))
                if reason:
                    problem(i, "year", reason)
    for (unit_id, number), d in decisions.items():
        found = db.session.execute(select(Decision.id, Decision.date).where(
            Decision.unit_id == unit_id, Decision.number == number)).first()
        if found is None:
            continue
        if found.date != d["date"]:
            for i in items:
                if i["decision"] == (unit_id, number):
                    problem(i, "decision_number", "decision_date_differs",
                            found.date.isoformat())
        else:
            d["id"] = found.id


PLANNERS = {"persons": _plan_persons, "members": _plan_members,
            "recognitions": _plan_recognitions}


# -- the two entry points -------------------------------------------------------------------------

def _sorted(report: Report, table: Table) -> Report:
    """Problems by line, and within a line in the order of the file's columns."""
    position = {table.headers[key]: index for key, index in table.columns.items()}
    report.errors.sort(key=lambda p: (p.line or 0, position.get(p.column, len(position))))
    return report


def check(kind: str, data: bytes, progress: Callable[[str, int, int], None] | None = None) -> Report:
    """The dry run: every problem of the file, what would be created; nothing written.
    A file that cannot be read as a table raises ImportRefused."""
    with without_cyclic_gc():
        table = read(kind, data)
        table.progress = progress
        try:
            return _sorted(PLANNERS[kind](table).report, table)
        finally:
            db.session.rollback()


def apply(kind: str, data: bytes, actor: User | None,
          progress: Callable[[str, int, int], None] | None = None) -> Report:
    """Import every row in one transaction, or nothing: ImportRefused (with every problem) when
    the file or any row is bad."""
    with without_cyclic_gc():  # one stretch without the cyclic collector: reading, checking and writing
        table = read(kind, data)  # no database work: outside the write lock
        table.progress = progress
        return _apply(table, actor)


@writes
def _apply(table: Table, actor: User | None) -> Report:
    with without_cyclic_gc():
        return _plan_and_write(table, actor)


def _plan_and_write(table: Table, actor: User | None) -> Report:
    plan = PLANNERS[table.kind](table)
    report = _sorted(plan.report, table)
    if report.errors:
        raise ImportRefused(report)
    try:
        plan.write(actor)
        db.session.commit()
    except IntegrityError:
        # Another writer registered one of these số định danh (or decision numbers) between the
        # checks and the writes (PostgreSQL): nothing was written; the next attempt reports it.
        db.session.rollback()
        raise ImportRefused(Report(table.kind, rows=len(table.rows),
                                   errors=[Problem(None, "", "changed_meanwhile")])) from None
    report.applied = True
    return report
