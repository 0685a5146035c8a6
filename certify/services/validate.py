"""Small checks every service shares; each failure is a reason in an Invalid error."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from ..errors import Invalid


# The largest value an INTEGER column holds on PostgreSQL (and SQLite's driver binds safely).
MAX_INT = 2**31 - 1


class Longest:
    """The longest text each free-text field takes, in characters: the services refuse longer
    (422 `too_long`), the API's schemas publish it (`maxLength`) and the page forms check it. The
    stored ones are the widths of their columns (certify/models)."""

    USERNAME = 80
    DISPLAY_NAME = 200
    FULL_NAME = 200
    ETHNICITY = 64
    RELIGION = 64
    OCCUPATION = 200
    UNIT_CODE = 20
    UNIT_NAME = 200
    ORGANIZATION_NAME = 300
    # The text that decided a change of units ("NQ 1686/NQ-UBTVQH15 ngày 16/6/2025").
    SUCCESSION_SOURCE = 300
    DECISION_NUMBER = 64
    SIGNER = 200
    # Where a decision is signed ("Hà Nội", "Đông Anh"), printed before its date.
    PLACE = 100
    # History comments (reasons to return, reject, revoke): a paragraph or two, not a document.
    COMMENT = 2000
    # The reviewer's note on one target criterion (TT 24/2023): a sentence or two.
    NOTE = 500
    # A search: a name, diacritics optional (as long as the names it searches).
    QUERY = 200
    # Codes from the workflow files and the API: titles, events, criteria, states.
    CODE = 64


def row(model, row_id):
    """The row of `model` with that id, or None — also for ids that are not integers or that no
    column could hold (a huge id from a client must be a 404, never an overflow in the driver)."""
    from ..extensions import db

    if isinstance(row_id, bool) or not isinstance(row_id, int) or not 1 <= row_id <= MAX_INT:
        return None
    return db.session.get(model, row_id)


class Reasons:
    """Collects every problem with an input, so a form or client learns them all at once."""

    def __init__(self) -> None:
        self.items: list[dict] = []

    def add(self, field: str, code: str, message: str) -> None:
        self.items.append({"field": field, "code": code, "message": message})

    def text(self, field: str, value: Any, *, max_length: int = 200, required: bool = True) -> str | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.add(field, "required", f"{field} is required.")
            return None
        value = str(value).strip()
        if CONTROL.search(value):
            # A name or code is one line of text: a NUL, a line break or another control
            # character in it only breaks what shows or exports it later.
            self.add(field, "control_character", f"{field} contains a control character.")
            return None
        if len(value) > max_length:
            self.too_long(field, max_length)
        return value

    def too_long(self, field: str, max_length: int) -> None:
        self.items.append({"field": field, "code": "too_long", "max_length": max_length,
                           "message": f"{field} is longer than {max_length} characters."})

    def integer(self, field: str, value: Any, *, minimum: int | None = None,
                maximum: int | None = None, required: bool = True) -> int | None:
        if value is None:
            if required:
                self.add(field, "required", f"{field} is required.")
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(field, "not_integer", f"{field} must be a whole number.")
            return None
        maximum = MAX_INT if maximum is None else min(maximum, MAX_INT)
        if (minimum is not None and value < minimum) or value > maximum:
            bounds = f"between {minimum} and {maximum}" if minimum is not None else f"at most {maximum}"
            self.add(field, "out_of_range", f"{field} must be {bounds}.")
        return value

    def choice(self, field: str, value: Any, choices, *, required: bool = True) -> str | None:
        if value is None:
            if required:
                self.add(field, "required", f"{field} is required.")
            return None
        if value not in choices:
            self.add(field, "not_allowed", f"{field} must be one of: {', '.join(choices)}.")
            return None
        return value

    def raise_if_any(self, message: str = "Some fields are missing or invalid.") -> None:
        if self.items:
            raise Invalid(message, self.items)


NATIONAL_ID = re.compile(r"^\d{12}$")
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def too_long(field: str, max_length: int) -> Invalid:
    """A single-reason Invalid for a text longer than its field takes."""
    r = Reasons()
    r.too_long(field, max_length)
    return Invalid(f"{field} is too long.", r.items)


# The width of Person.search_name: fold's output always fits it.
SEARCH_NAME_LENGTH = Longest.FULL_NAME


def fold(text: str) -> str:
    """Lower case without diacritics, đ→d: "Nguyễn Văn Đức" → "nguyen van duc"; at most
    SEARCH_NAME_LENGTH characters, so that it always fits its column.

    The compatibility decomposition (NFKD) both separates Vietnamese diacritics from their letters
    and folds look-alike forms (full-width "Ａ", the ligature "ﬁ") into plain letters, as a
    forgiving search should. It can also make a text much longer — U+FDFA alone becomes 18
    characters, lower() turns "İ" into two — so the result is cut to the column's width; a search
    term is folded the same way, so a name still finds itself."""
    decomposed = unicodedata.normalize("NFKD", text.lower().replace("đ", "d"))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.split())[:SEARCH_NAME_LENGTH].rstrip()
