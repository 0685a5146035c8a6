"""Recognition decisions (Quyết định công nhận, NĐ 30/2020/NĐ-CP form): their fields, checks and annex."""

from __future__ import annotations

import io
import re
import unicodedata
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy import select

from .. import clock
from ..extensions import db
from ..models import Decision, Nomination, Unit, User
from .exports import write_row
from .validate import Longest, Reasons

# The authority line above the signer (NĐ 30/2020, Phụ lục I): the chairman signs on behalf of the
# committee ("TM."), or a vice-chairman on behalf of the chairman ("KT.").
POSITIONS = {
    "tm_chu_tich": ("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"),
    "kt_pho_chu_tich": ("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"),
}
# "12/QĐ-UBND", "125/QĐ-CT", "07/2025/QĐ-UBND": number, optional year, "QĐ-" and the issuing
# body's abbreviation in capitals (NĐ 30/2020, Phụ lục VI).
NUMBER = re.compile(r"^\d{1,6}(/\d{4})?/QĐ-[A-ZĐ]+(-[A-ZĐ0-9]+)*$")
FIELDS = ("number", "date", "signer", "signer_position")


def issuer_of(unit: Unit) -> str:
    """The People's Committee of a unit, as it heads the decision: "ỦY BAN NHÂN DÂN HUYỆN ĐÔNG ANH"."""
    return f"ỦY BAN NHÂN DÂN {unit.name.upper()}"


def authority(decision: Decision) -> tuple[str, str] | None:
    """The two lines above the signer's name, or None for a decision from before they were asked."""
    return POSITIONS.get(decision.signer_position or "")


def place_and_date(decision: Decision) -> str:
    """"Đông Anh, ngày 05 tháng 03 năm 2026" (without a place: "Ngày 05 tháng 03 năm 2026")."""
    d = decision.date
    words = f"ngày {d:%d} tháng {d:%m} năm {d:%Y}"
    return f"{decision.place}, {words}" if decision.place else words[0].upper() + words[1:]


def printable(decision: Decision | None) -> bool:
    """A certificate cites an issuer, a number and a signer; without them it is not printed."""
    return bool(decision is not None and decision.issuer and decision.number and decision.signer)


def _date(value):
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def read(r: Reasons, *, number, date_, signer, signer_position, place=None,
         prefix: str = "") -> dict:
    """Check a new decision's fields into `r` (each reason under `prefix` + field name)."""
    number = r.text(prefix + "number", number, max_length=Longest.DECISION_NUMBER)
    if number is not None:
        number = unicodedata.normalize("NFC", number)
        if not NUMBER.match(number):
            r.add(prefix + "number", "format",
                  "number must have the form 12/QĐ-UBND (NĐ 30/2020/NĐ-CP).")
            number = None
    day = None
    if date_ is None:
        r.add(prefix + "date", "required", "date is required.")
    else:
        day = _date(date_)
        if day is None:
            r.add(prefix + "date", "format", "date must be YYYY-MM-DD.")
        elif day > clock.today():
            r.add(prefix + "date", "future", "A decision cannot be dated in the future.")
            day = None
    signer = r.text(prefix + "signer", signer, max_length=Longest.SIGNER)
    position = r.choice(prefix + "signer_position", signer_position, tuple(POSITIONS))
    place = r.text(prefix + "place", place, max_length=Longest.PLACE, required=False)
    return {"number": number, "date": day, "signer": signer, "signer_position": position,
            "place": place}


def check_number_free(r: Reasons, actor: User, number: str | None, prefix: str = "") -> None:
    if number and db.session.scalar(select(Decision.id).where(
            Decision.unit_id == actor.unit_id, Decision.number == number)):
        r.add(prefix + "number", "taken", f"Decision {number} already exists.")


def check_dates(r: Reasons, day: date | None, nominations: list[Nomination],
                field: str = "date") -> None:
    """A decision cannot precede the submission of any dossier it decides: one reason naming them."""
    if day is None:
        return
    early = [n for n in nominations
             if n.submitted_at is not None and day < n.submitted_at.astimezone(clock.zone()).date()]
    if early:
        r.items.append({
            "field": field, "code": "before_submission",
            "message": "The decision is dated before the submission of: "
                       + ", ".join(f"{n.receipt_code} ({n.subject_name})" for n in early) + ".",
            "nominations": [{"nomination_id": n.id, "receipt_code": n.receipt_code,
                             "subject_name": n.subject_name,
                             "submitted_on": n.submitted_at.astimezone(clock.zone()).date().isoformat()}
                            for n in early]})


def new(actor: User, fields: dict) -> Decision:
    """A decision of the actor's unit (not yet added to the session)."""
    return Decision(number=fields["number"], date=fields["date"], signer=fields["signer"],
                    signer_position=fields["signer_position"], place=fields["place"],
                    issuer=issuer_of(actor.unit), unit_id=actor.unit_id, unit=actor.unit,
                    created_by_id=actor.id)


ANNEX_HEADERS = ["STT", "Họ và tên / Tên cơ quan, đơn vị", "Địa bàn", "Danh hiệu", "Năm",
                 "Mã hồ sơ", "Mã xác minh", "Hiệu lực đến", "Xếp loại / Mức độ"]


def annex_xlsx(decision: Decision) -> bytes:
    """The list attached to the decision (danh sách kèm theo), one row per recognition."""
    from .certificates import grade_name, level_name, title_name

    book = Workbook()
    sheet = book.active
    sheet.title = "Danh sách"
    for line in (decision.issuer, f"Danh sách kèm theo Quyết định số {decision.number} "
                                  f"ngày {decision.date:%d/%m/%Y}"):
        write_row(sheet, [line])
        sheet.cell(sheet.max_row, 1).font = Font(bold=True)
    sheet.append([])
    write_row(sheet, ANNEX_HEADERS)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for index, rec in enumerate(decision.recognitions, start=1):
        n = rec.nomination
        write_row(sheet, [index, n.subject_name, rec.unit.name, title_name(rec), n.year,
                           n.receipt_code, rec.code, rec.valid_until,
                           grade_name(rec) or level_name(rec) or ""])
        sheet.cell(sheet.max_row, 8).number_format = "DD/MM/YYYY"
    for index, width in enumerate((6, 34, 28, 24, 8, 20, 16, 14, 16), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
