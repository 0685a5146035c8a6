"""Small checks every service shares; each failure is a reason in an Invalid error."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from ..errors import Invalid


# The largest value an INTEGER column holds on PostgreSQL (and SQLite's driver binds safely).
MAX_INT = 2**31 - 1


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
        if "\x00" in value:
            self.add(field, "control_character", f"{field} contains a NUL character.")
            return None
        if len(value) > max_length:
            self.add(field, "too_long", f"{field} is longer than {max_length} characters.")
        return value

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


def fold(text: str) -> str:
    """Lower case without diacritics, đ→d: "Nguyễn Văn Đức" → "nguyen van duc"."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.lower().split())
