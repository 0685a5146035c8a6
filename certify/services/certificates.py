"""Certificates (giấy chứng nhận) as PDF: one A4 landscape page per recognition, with the
verification code and a QR code that opens the public verification page.

The verification address is built under CERTIFY_PUBLIC_URL (certify.links), never from the Host
header of the request that asked for the PDF.

The text is set in DejaVu Serif, shipped in certify/data/fonts (licence beside it) and embedded in
every PDF, so Vietnamese diacritics print the same on any server and any reader.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from ..errors import Conflict, NotFound
from ..links import public_url
from ..models import Decision, Recognition, Unit
from ..workflow import workflow
from ..workflow.spec import RuleVersion
from . import decisions as decision_rules


class NotPrintable(Conflict):
    """A recognition without a decision (issuer, number, signer): no certificate is printed."""

    code = "not_printable"

FONTS = Path(__file__).resolve().parent.parent / "data" / "fonts"
REGULAR, BOLD = "CertifySerif", "CertifySerif-Bold"
PAGE = landscape(A4)
INK = colors.HexColor("#1f2d5a")
ACCENT = colors.HexColor("#b3261e")


def _register_fonts() -> None:
    registered = pdfmetrics.getRegisteredFontNames()
    for name, file in ((REGULAR, "DejaVuSerif.ttf"), (BOLD, "DejaVuSerif-Bold.ttf")):
        if name not in registered:
            pdfmetrics.registerFont(TTFont(name, str(FONTS / file)))


def day(d: date) -> str:
    """dd/MM/yyyy, as every date in the product is shown."""
    return d.strftime("%d/%m/%Y")


def _text(value) -> str:
    # Names typed on some keyboards arrive decomposed (base letter + combining marks); the font's
    # precomposed Vietnamese glyphs print them correctly, loose combining marks would not.
    return unicodedata.normalize("NFC", str(value or "")).strip()


def qr_drawing(value: str, size: float) -> Drawing:
    """A QR code of `value`, `size` points square, error correction M (readable when smudged)."""
    widget = QrCodeWidget(value, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    # initialFontName: the renderer would otherwise select Helvetica, a font the PDF lacks.
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0],
                      initialFontName=REGULAR)
    drawing.add(widget)
    return drawing


def unit_line(unit: Unit) -> str:
    """"Phường Ba Đình, Thị xã Bỉm Sơn, Thanh Hóa": the unit and everything above it."""
    names = []
    current: Unit | None = unit
    while current is not None:
        names.append(current.name)
        current = current.parent
    return ", ".join(names)


def _rules(recognition: Recognition):
    wf = workflow(recognition.title_code)
    return wf.rules(recognition.nomination) if wf else None


def _named(recognition: Recognition, code: str | None, pick) -> str | None:
    """The Vietnamese name of the grade or level `code` in the recognition's rule version."""
    if not code:
        return None
    rules = _rules(recognition)
    found = pick(rules, code) if rules else None
    return found.name.vi if found else code


def grade_name(recognition: Recognition) -> str | None:
    return _named(recognition, recognition.grade, RuleVersion.grade)


def level_name(recognition: Recognition) -> str | None:
    """The level reached, as the version names it ("Mức độ 1"); None for versions without."""
    return _named(recognition, recognition.level, RuleVersion.level)


def rules_source(recognition: Recognition) -> str | None:
    """The official text of the rule version the dossier was judged by."""
    rules = _rules(recognition)
    return rules.source if rules else None


def title_name(recognition: Recognition) -> str:
    wf = workflow(recognition.title_code)
    return wf.spec.name.vi if wf else recognition.title_code


class _Page:
    """Draws one certificate on a canvas page."""

    def __init__(self, canvas: Canvas):
        self.c = canvas
        self.width, self.height = PAGE

    def centred(self, text: str, y: float, font: str, size: float, *, colour=INK,
                max_width: float | None = None, min_size: float = 12, leading: float = 1.25) -> float:
        """Centre `text` at `y`, shrinking it down to `min_size` and then wrapping it to fit
        `max_width`; returns the y below the last line."""
        text = _text(text)
        max_width = max_width or self.width - 120 * mm
        while size > min_size and pdfmetrics.stringWidth(text, font, size) > max_width:
            size -= 1
        lines = simpleSplit(text, font, size, max_width) or [""]
        self.c.setFillColor(colour)
        self.c.setFont(font, size)
        for line in lines:
            self.c.drawCentredString(self.width / 2, y, line)
            y -= size * leading
        return y

    def frame(self) -> None:
        c = self.c
        c.setStrokeColor(INK)
        c.setLineWidth(3)
        c.rect(10 * mm, 10 * mm, self.width - 20 * mm, self.height - 20 * mm)
        c.setLineWidth(0.8)
        c.rect(13 * mm, 13 * mm, self.width - 26 * mm, self.height - 26 * mm)

    def header(self, issuer: str | None) -> None:
        c = self.c
        top = self.height - 25 * mm
        right_x = self.width * 0.70
        c.setFillColor(INK)
        c.setFont(BOLD, 11)
        c.drawCentredString(right_x, top, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
        c.drawCentredString(right_x, top - 15, "Độc lập - Tự do - Hạnh phúc")
        c.setLineWidth(0.6)
        c.line(right_x - 75, top - 22, right_x + 75, top - 22)
        if issuer:
            left_x = self.width * 0.24
            lines = simpleSplit(_text(issuer).upper(), BOLD, 11, self.width * 0.36)
            c.setFont(BOLD, 11)
            for i, line in enumerate(lines[:2]):
                c.drawCentredString(left_x, top - 15 * i, line)
            under = top - 15 * (min(len(lines), 2) - 1) - 7
            c.line(left_x - 40, under, left_x + 40, under)

    def draw(self, rec: Recognition, verify_url: str) -> None:
        nomination = rec.nomination
        decision = rec.decision
        self.frame()
        self.header(decision.issuer)

        y = self.height - 60 * mm
        y = self.centred("GIẤY CHỨNG NHẬN", y, BOLD, 34, colour=ACCENT)

        y -= 14
        if nomination.person is not None:
            person = nomination.person
            y = self.centred("Chứng nhận", y, REGULAR, 13)
            y = self.centred(person.full_name, y - 18, BOLD, 28, min_size=16)
            y = self.centred(f"Năm sinh: {person.birth_year}", y, REGULAR, 13)
        else:
            y = self.centred("Chứng nhận cơ quan, đơn vị", y, REGULAR, 13)
            y = self.centred(nomination.organization.name, y - 16, BOLD, 24, min_size=14)
        y = self.centred(f"Địa bàn: {unit_line(rec.unit)}", y, REGULAR, 13)

        y -= 12
        y = self.centred(f"Đạt danh hiệu “{title_name(rec)}” năm {nomination.year}", y, BOLD, 18)
        grade = grade_name(rec)
        if grade:
            y = self.centred(f"Xếp loại: {grade}", y, BOLD, 15)
        level = level_name(rec)
        if level:
            y = self.centred(f"Đạt {level[:1].lower()}{level[1:]}", y, BOLD, 15)
        source = rules_source(rec)
        if source:
            y = self.centred(f"Theo {source}", y, REGULAR, 11, min_size=8)
        y = self.centred(f"Có giá trị từ ngày {day(rec.valid_from)} đến ngày {day(rec.valid_until)}",
                         y - 2, REGULAR, 13)
        y = self.centred(f"Quyết định số {decision.number} ngày {day(decision.date)}",
                         y, REGULAR, 13)
        if rec.revoked_on is not None:
            self.centred(f"ĐÃ THU HỒI TỪ NGÀY {day(rec.revoked_on)}", y - 4, BOLD, 16,
                         colour=ACCENT)

        self.verification(rec, verify_url)
        self.signature(rec, decision)

    def verification(self, rec: Recognition, verify_url: str) -> None:
        c = self.c
        size = 32 * mm
        x, y = 22 * mm, 20 * mm
        renderPDF.draw(qr_drawing(verify_url, size), c, x, y + 10)
        c.setFillColor(INK)
        c.setFont(REGULAR, 10)
        c.drawString(x, y, "Mã xác minh:")
        c.setFont(BOLD, 11)
        c.drawString(x + pdfmetrics.stringWidth("Mã xác minh: ", REGULAR, 10), y, rec.code)
        c.setFont(REGULAR, 8)
        for i, line in enumerate(simpleSplit(f"Tra cứu: {verify_url}", REGULAR, 8, 95 * mm)[:3]):
            c.drawString(x + size + 4 * mm, y + 10 + size - 12 - 10 * i, line)
        c.linkURL(verify_url, (x, y + 10, x + size, y + 10 + size), relative=0)

    def signature(self, rec: Recognition, decision: Decision) -> None:
        c = self.c
        x = self.width * 0.72
        y = 58 * mm
        c.setFillColor(INK)
        c.setFont(REGULAR, 12)
        c.drawCentredString(x, y, _text(decision_rules.place_and_date(decision)))
        authority = decision_rules.authority(decision)
        c.setFont(BOLD, 12)
        for i, line in enumerate(authority or ()):
            c.drawCentredString(x, y - 16 - 15 * i, line)
        # Room above the name for the handwritten signature and the seal.
        c.setFont(BOLD, 13)
        c.drawCentredString(x, y - 100, _text(decision.signer))


def _render(items: Iterable[tuple[Recognition, str]], title: str) -> bytes:
    _register_fonts()
    buffer = io.BytesIO()
    # invariant: no creation timestamp or random id, so the same data gives the same file.
    # The initial font too: otherwise every page names Helvetica, which the PDF does not carry.
    canvas = Canvas(buffer, pagesize=PAGE, invariant=1, pageCompression=1,
                    initialFontName=REGULAR)
    canvas.setTitle(title)
    canvas.setAuthor("certify")
    canvas.setSubject("Giấy chứng nhận")
    pages = 0
    for recognition, url in items:
        if not decision_rules.printable(recognition.decision):
            raise NotPrintable("This recognition has no decision with an issuer, a number and a "
                               "signer: its certificate cannot be printed.",
                               {"recognition_code": recognition.code})
        _Page(canvas).draw(recognition, url)
        canvas.showPage()
        pages += 1
    if not pages:
        raise NotFound("This decision recognises no one: there is no certificate to print.")
    canvas.save()
    return buffer.getvalue()


def verification_url(code: str) -> str:
    """The public verification page of a certificate, under the configured public address."""
    return public_url("public.verify", code=code)


def recognition_pdf(recognition: Recognition, verify_url: str | None = None) -> bytes:
    """The certificate of one recognition; its QR code opens `verify_url` (by default the public
    verification page under CERTIFY_PUBLIC_URL)."""
    url = verify_url if verify_url is not None else verification_url(recognition.code)
    return _render([(recognition, url)],
                   f"Giấy chứng nhận {title_name(recognition)} – {recognition.code}")


def decision_pdf(decision: Decision, url_for_code: Callable[[str], str] | None = None) -> bytes:
    """Every certificate a decision issues, one page each, in the decision's order;
    `url_for_code(code)` gives each one's verification address (by default verification_url)."""
    url_for_code = url_for_code or verification_url
    return _render(((rec, url_for_code(rec.code)) for rec in decision.recognitions),
                   f"Giấy chứng nhận theo Quyết định số {decision.number}")
