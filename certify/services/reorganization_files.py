"""The loader of reorganisation files: YAML or CSV, by the file's name (issue 8, item 2).

`load(content, filename)` reads a file into the one Reorganization model of
services/reorganizations.py; everything after parsing is the same code path. `plan` and `apply`
load and hand over, and name a bad CSV cell by its row and column ("row 3, level"), including the
problems found only against the database (an unknown replaced code, a parent that ends, ...).

A CSV file has one row per new unit; Excel in Vietnam writes it with commas or semicolons, in
UTF-8 with or without a BOM:

    effective,source,code,name,level,parent_code,from,organizations
    2025-07-01,"NQ 1686/NQ-UBTVQH15, 16/6/2025",14812,Phường Bỉm Sơn,commune,38,14812;14815;381,Trường THPT Bỉm Sơn

`effective` (YYYY-MM-DD or dd/mm/yyyy) and `source` are the same on every row; `from` lists the
replaced codes separated by ";" or spaces; the optional columns `households`, `organizations`,
`persons` and `accounts` (";"-separated names, ids, national ids or usernames) say what of a split
unit goes to the row's new unit (the YAML `assign`). The header is row 1, the first unit row 2.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from pathlib import PurePath
from typing import Any

from ..errors import Invalid
from ..models import User
from . import reorganizations
from .reorganizations import Plan, Reorganization

REQUIRED = ("effective", "source", "code", "name", "level", "parent_code", "from")
ASSIGNED = ("households", "organizations", "persons", "accounts")
COLUMNS = REQUIRED + ASSIGNED
SUFFIXES = {".yaml": "yaml", ".yml": "yaml", ".csv": "csv"}
# Characters no cell may hold: control characters, also tabs and line breaks inside a quoted cell.
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Rows a CSV file may hold (a province's reorganisation has a few hundred new units).
MAX_ROWS = 10_000


def kind_of(filename: str | None) -> str:
    """"yaml" or "csv" by the file's extension; 422 `file_type` for anything else. No name (text
    pasted on a page, a JSON body): YAML."""
    if not filename:
        return "yaml"
    kind = SUFFIXES.get(PurePath(filename).suffix.lower())
    if kind is None:
        raise Invalid("A reorganisation file is .yaml, .yml or .csv.", [{
            "field": "(file)", "code": "file_type",
            "message": f"{filename}: a reorganisation file is .yaml, .yml or .csv."}])
    return kind


def _text(content: str | bytes) -> str:
    if isinstance(content, bytes):
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise Invalid("The reorganisation file is not UTF-8 text.", [{
                "field": "(file)", "code": "encoding",
                "message": "The file is not UTF-8 text."}]) from None
    return content.removeprefix("\ufeff")


def load(content: str | bytes, filename: str | None = None) -> Reorganization:
    """The file as a Reorganization: YAML or CSV by `filename`'s extension; 422 naming each
    problem (a CSV problem by row and column)."""
    return _load(content, filename)[0]


def plan(content: str | bytes, filename: str | None = None) -> Plan:
    data, rows = _load(content, filename)
    with _by_row(rows):
        return reorganizations.plan(data)


def apply(content: str | bytes, filename: str | None, actor: User | None) -> Plan:
    data, rows = _load(content, filename)
    with _by_row(rows):
        return reorganizations.apply(data, actor)


# -- CSV ------------------------------------------------------------------------------------------

class _Rows:
    """Where each new unit and each value came from: the unit's index → its row number."""

    def __init__(self) -> None:
        self.of_unit: list[int] = []
        self.of_code: dict[str, int] = {}
        self.first = 2

    def locate(self, field: str) -> tuple[int, str] | None:
        parts = field.split(".")
        if parts[0] in ("effective", "source"):
            return self.first, parts[0]
        if parts[0] == "units" and len(parts) >= 3 and parts[1].isdigit() \
                and int(parts[1]) < len(self.of_unit):
            return self.of_unit[int(parts[1])], parts[2]
        if parts[0] == "assign" and len(parts) >= 2 and parts[1] in self.of_code:
            return self.of_code[parts[1]], parts[2] if len(parts) >= 3 else "code"
        return None


def _cell_error(row: int, column: str, code: str, message: str, **extra) -> dict:
    where = f"row {row}, {column}"
    return {"field": where, "code": code, "message": f"{where}: {message}", "row": row,
            "column": column, **extra}


def _relocate(error: Invalid, rows: _Rows) -> Invalid:
    """The same error with every `units.2.level`-like field named by its row and column."""
    if not isinstance(error.details, list):
        return error
    details = []
    for item in error.details:
        place = rows.locate(str(item.get("field", ""))) if isinstance(item, dict) else None
        if place is None:
            details.append(item)
            continue
        row, column = place
        message = str(item.get("message", "")).split(": ", 1)[-1]
        details.append({**item, **_cell_error(row, column, item.get("code", ""), message)})
    return Invalid(error.message, details)


class _by_row:
    """Re-raise an Invalid of the services with CSV rows and columns (no-op for YAML)."""

    def __init__(self, rows: _Rows | None):
        self.rows = rows

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        if self.rows is not None and isinstance(error, Invalid):
            raise _relocate(error, self.rows) from None
        return False


def _load(content, filename) -> tuple[Reorganization, _Rows | None]:
    kind = kind_of(filename)
    text = _text(content)
    if kind == "yaml":
        return reorganizations.parse(text), None
    data, rows = _csv(text)
    try:
        return reorganizations.parse(data), rows
    except Invalid as error:
        raise _relocate(error, rows) from None


def _delimiter(header: str) -> str:
    """Excel writes ";" where the decimal separator is a comma (Vietnamese settings), "," else."""
    return ";" if header.count(";") > header.count(",") else ","


def _codes(cell: str) -> list[str]:
    return [c for c in re.split(r"[;\s]+", cell.strip()) if c]


def _refs(cell: str) -> list[str]:
    return [r.strip() for r in cell.split(";") if r.strip()]


def _day(cell: str) -> str:
    """dd/mm/yyyy (as officials and Excel write it) as ISO; anything else as it is."""
    cell = cell.strip()
    try:
        return datetime.strptime(cell, "%d/%m/%Y").date().isoformat()
    except ValueError:
        return cell


def _csv(text: str) -> tuple[dict[str, Any], _Rows]:
    problems: list[dict] = []
    header_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(header_line))
    try:
        header = [h.strip().lower() for h in next(reader, [])]
        while header and not header[-1]:  # empty cells after the last column name
            header.pop()
        body = []
        # Rows as a spreadsheet numbers them: the header is 1; a cell with a line break in it
        # does not start a new row; empty rows count but hold nothing.
        for number, cells in enumerate(reader, start=2):
            if any(c.strip() for c in cells):
                body.append((number, cells))
            if len(body) > MAX_ROWS:
                raise Invalid("The reorganisation file has too many rows.", [{
                    "field": "(file)", "code": "too_many_rows", "maximum": MAX_ROWS,
                    "message": f"At most {MAX_ROWS} rows."}])
    except csv.Error as exc:
        raise Invalid("The reorganisation file is not valid CSV.", [{
            "field": "(file)", "code": "csv", "message": str(exc)[:500]}]) from None
    for column in REQUIRED:
        if column not in header:
            problems.append(_cell_error(1, column, "no_column", "the header lacks this column."))
    for position, column in enumerate(header):
        if column not in COLUMNS:
            problems.append(_cell_error(1, column or str(position + 1), "unknown_key",
                                        "not a column of a reorganisation file."))
        elif header.index(column) != position:
            problems.append(_cell_error(1, column, "duplicate", "the column is given twice."))
    if not body and not problems:
        problems.append({"field": "(file)", "code": "empty",
                         "message": "The file has no unit rows below its header."})
    if problems:
        raise Invalid("The reorganisation file has errors.", problems)
    rows = _Rows()
    rows.first = body[0][0]
    data: dict[str, Any] = {"units": [], "assign": {}}
    for line, cells in body:
        extra = [i for i, c in enumerate(cells) if i >= len(header) and c.strip()]
        if extra:  # (empty cells past the header, as spreadsheets write them, are ignored)
            problems.append(_cell_error(line, str(extra[0] + 1), "too_many_cells",
                                        "the row has more cells than the header."))
            continue
        row = {column: (cells[i] if i < len(cells) else "") for i, column in enumerate(header)}
        bad = [column for column, cell in row.items() if CONTROL.search(cell)]
        if bad:
            problems += [_cell_error(line, column, "control_character",
                                     "the cell holds a control character.") for column in bad]
            continue
        for column in ("effective", "source"):
            value = _day(row[column]) if column == "effective" else row[column].strip()
            if column not in data:
                data[column] = value or None
            elif value != (data[column] or ""):
                problems.append(_cell_error(line, column, "differs",
                                            f"differs from row {rows.first}: every row gives "
                                            f"the same effective date and source."))
        code = row["code"].strip()
        unit = {"code": code or None, "name": row["name"].strip() or None,
                "level": row["level"].strip().lower() or None,
                "parent_code": row["parent_code"].strip() or None, "from": _codes(row["from"])}
        data["units"].append({k: v for k, v in unit.items() if v is not None})
        rows.of_unit.append(line)
        if code:
            rows.of_code.setdefault(code, line)
        assignment = {kind: _refs(row[kind]) for kind in ASSIGNED
                      if kind in row and _refs(row[kind])}
        if assignment and code:
            data["assign"][code] = assignment
    if problems:
        raise Invalid("The reorganisation file has errors.", problems)
    for key in ("effective", "source"):
        if data.get(key) is None:
            data.pop(key, None)
    return data, rows
