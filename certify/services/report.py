"""The yearly report to the province (domain.md: provinces report before 15 December): for a unit
and each unit below it, per title, the dossiers of the year received, on time, recognised and
rejected, then holders, denominators, ratios, targets and gaps from the dashboard's own service
(progress.dashboard — one rule, one place), and the plan's other indicators (services/indicators).
As XLSX (openpyxl) and PDF (reportlab, DejaVu Serif as on the certificates)."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date

from openpyxl import Workbook
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from sqlalchemy import select

from .. import clock
from ..errors import NotFound, invalid
from ..extensions import db
from ..models import Nomination, Recognition, Unit
from ..workflow import meaning, workflow, workflows
from . import deadlines, directory, indicators, progress, scope
from . import units as unit_service
from .certificates import BOLD, REGULAR, _register_fonts
from .exports import COUNTS, fill_sheet

FORMATS = ("xlsx", "pdf")
FIRST_YEAR = 2000


@dataclass
class Counts:
    """Dossiers of the year (evaluation year) filed in a unit's subtree."""

    received: int = 0  # submitted at least once
    on_time: int = 0  # of those, last submitted by the title's last day on time
    recognised: int = 0  # holding a recognition (approved, even if revoked since)
    rejected: int = 0


@dataclass
class UnitRow:
    line: progress.Line
    counts: Counts

    @property
    def unit(self) -> Unit:
        return self.line.figure.unit


@dataclass
class TitleSection:
    workflow: object
    denominator_name: str
    rows: list[UnitRow]


@dataclass
class Report:
    unit: Unit
    year: int
    as_of: date
    titles: list[TitleSection]
    indicators: list[tuple[Unit, list[indicators.Row]]] = field(default_factory=list)


def report_day(year: int) -> date:
    """The day the figures are counted on: 31 December of the year, or today within it."""
    return min(clock.today(), date(year, 12, 31))


def _unit(actor, unit_code: str | None, on: date) -> Unit:
    if unit_code:
        return unit_service.get_visible(actor, unit_code, on)
    unit = actor.unit if actor is not None and actor.unit is not None else directory.top_unit(on)
    if unit is None or not scope.in_unit_scope(actor, unit):
        raise NotFound("No unit to report on.")
    return unit


def counts(units: list[Unit], title_code: str, year: int) -> dict[int, Counts]:
    """Counts per unit (whole subtree) of the title's dossiers for `year`, in one query."""
    found = {u.id: Counts() for u in units}
    if not units:
        return found
    due = deadlines.for_year(title_code, year).get("submit_by")
    refused = set(meaning.refused_states(workflow(title_code).spec))
    rows = db.session.execute(
        select(Unit.path, Nomination.state, Nomination.submitted_at, Recognition.id)
        .join(Unit, Unit.id == Nomination.unit_id)
        .outerjoin(Recognition, Recognition.nomination_id == Nomination.id)
        .where(Nomination.title_code == title_code, Nomination.year == year,
               Nomination.submitted_at.is_not(None))).all()
    for path, state, submitted_at, recognition_id in rows:
        late = due is not None and submitted_at.astimezone(clock.zone()).date() > due
        for u in units:
            if path.startswith(u.path):
                c = found[u.id]
                c.received += 1
                c.on_time += not late
                c.recognised += recognition_id is not None
                c.rejected += state in refused
    return found


def build(actor, year, unit_code: str | None = None) -> Report:
    """The report of `year` for `unit_code` (default: the actor's unit) and its children."""
    if isinstance(year, bool) or not isinstance(year, int) or \
            not FIRST_YEAR <= year <= clock.today().year:
        raise invalid("year", "out_of_range",
                      f"year must be between {FIRST_YEAR} and {clock.today().year}.")
    as_of = report_day(year)
    unit = _unit(actor, unit_code, as_of)
    sections = []
    for wf in workflows().values():
        dash = progress.dashboard(unit, wf, as_of)
        lines = [dash.unit, *dash.children]
        counted = counts([line.figure.unit for line in lines], wf.code, year)
        name = dash.denominator_name.vi if dash.denominator_name else COUNTS[wf.spec.subject]
        sections.append(TitleSection(wf, name, [UnitRow(line, counted[line.figure.unit.id])
                                                for line in lines]))
    units = [row.unit for row in sections[0].rows] if sections else [unit]
    return Report(unit, year, as_of, sections,
                  [(u, indicators.rows(u, year)) for u in units])


# -- files ----------------------------------------------------------------------------------------

HEADERS = ["Danh hiệu", "Mã đơn vị", "Đơn vị", "Hồ sơ nhận", "Nộp đúng hạn", "Được công nhận",
           "Không công nhận", "Số đạt danh hiệu", "Mẫu số", "Mẫu số là", "Tỷ lệ (%)",
           "Chỉ tiêu (%)", "Năm chỉ tiêu", "Nguồn chỉ tiêu", "Còn thiếu để đạt chỉ tiêu"]
INDICATOR_HEADERS = ["Mã đơn vị", "Đơn vị", "Chỉ tiêu", "Số liệu", "Đơn vị tính", "Mục tiêu",
                     "Năm mục tiêu", "Bộ chỉ tiêu", "Đạt"]
VERDICT_HEADERS = ["Danh hiệu", "Mã đơn vị", "Đơn vị", "Năm chỉ tiêu", "Chỉ tiêu (%)",
                   "Nguồn", "Số đạt ngày 31/12", "Mẫu số", "Tỷ lệ (%)", "Kết quả",
                   "Chênh lệch (điểm %)", "Còn thiếu"]


def _pct(ratio: float | None) -> float | None:
    """A ratio as a number of percent, rounded finely enough for 10 of 70,560 (0.0142)."""
    return None if ratio is None else round(ratio * 100, 4)


def _pct_text(ratio: float | None) -> str:
    return "—" if ratio is None else progress.percent_text(ratio)


def _num(value) -> str:
    return "—" if value is None else f"{value:,}".replace(",", ".")


def _value_text(value: float | None, kind: str) -> str:
    if value is None:
        return "—"
    text = f"{value:g}".replace(".", ",")
    return text + "%" if kind == "percent" else text


def title_rows(report: Report) -> list[list]:
    out = []
    for section in report.titles:
        for row in section.rows:
            f, line, c = row.line.figure, row.line, row.counts
            out.append([section.workflow.spec.name.vi, f.unit.code, f.unit.name, c.received,
                        c.on_time, c.recognised, c.rejected, f.holders, f.denominator,
                        section.denominator_name, _pct(f.ratio), _pct(line.target),
                        line.target_year, line.source or "", line.gap])
    return out


def verdict_rows(report: Report) -> list[list]:
    out = []
    for section in report.titles:
        for row in section.rows:
            for v in row.line.verdicts:
                result = "" if v.met is None else ("Đạt" if v.met else "Không đạt")
                out.append([section.workflow.spec.name.vi, row.unit.code, row.unit.name, v.year,
                            _pct(v.target), v.source or "", v.holders, v.denominator,
                            _pct(v.ratio), result,
                            None if v.points is None else round(v.points * 100, 4), v.gap])
    return out


def indicator_rows(report: Report) -> list[list]:
    out = []
    for unit, rows in report.indicators:
        for r in rows:
            for t in r.targets:
                met = r.met(t)
                out.append([unit.code, unit.name, r.indicator.name.vi, r.value,
                            "%" if r.indicator.kind == "percent" else "số", t.value, t.year,
                            t.set_name.vi, "" if met is None else ("Đạt" if met else "Chưa đạt")])
    return out


def _preamble(report: Report) -> list[list[str]]:
    return [["Báo cáo kết quả xây dựng xã hội học tập năm", str(report.year)],
            ["Đơn vị", f"{report.unit.name} ({report.unit.code})"],
            ["Số liệu tính đến ngày", report.as_of.strftime("%d/%m/%Y")],
            ["Lập ngày", clock.today().strftime("%d/%m/%Y")]]


def filename(report: Report, extension: str) -> str:
    """"bao-cao-2026-381-2026-11-30.xlsx", as the other exports name theirs."""
    return f"bao-cao-{report.year}-{report.unit.code}-{report.as_of.isoformat()}.{extension}"


def _sheet(book, title: str, headers, rows, preamble=(), first=False) -> None:
    fill_sheet(book.active if first else book.create_sheet(), title, headers, rows, preamble,
               widths=[max(12, min(len(header) + 4, 40)) for header in headers])


def xlsx(report: Report) -> bytes:
    """Three sheets: the titles per unit, the verdicts of the target years passed, the plan's
    other indicators. Figures are numbers (ratios in percent), text is written formula-safe."""
    book = Workbook()
    _sheet(book, "Danh hiệu", HEADERS, title_rows(report), _preamble(report), first=True)
    _sheet(book, "Đánh giá chỉ tiêu", VERDICT_HEADERS, verdict_rows(report))
    _sheet(book, "Chỉ tiêu khác", INDICATOR_HEADERS, indicator_rows(report))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def pdf(report: Report) -> bytes:
    """The same figures on A4 landscape pages, one table per title, then the other indicators."""
    _register_fonts()
    normal = ParagraphStyle("n", fontName=REGULAR, fontSize=8, leading=10)
    head = ParagraphStyle("h", fontName=BOLD, fontSize=13, leading=16, spaceAfter=4)
    sub = ParagraphStyle("s", fontName=BOLD, fontSize=10, leading=13, spaceBefore=8, spaceAfter=4)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=landscape(A4), leftMargin=12 * mm,
                            rightMargin=12 * mm, topMargin=12 * mm, bottomMargin=12 * mm,
                            title=f"Báo cáo năm {report.year} — {report.unit.name}")
    story = [Paragraph(f"BÁO CÁO KẾT QUẢ XÂY DỰNG XÃ HỘI HỌC TẬP NĂM {report.year}", head),
             Paragraph(f"Đơn vị: {_esc(report.unit.name)} ({report.unit.code}). Số liệu tính đến "
                       f"ngày {report.as_of.strftime('%d/%m/%Y')}; lập ngày "
                       f"{clock.today().strftime('%d/%m/%Y')}.", normal)]

    def table(headers, rows, widths):
        data = [[Paragraph(_esc(h), normal) for h in headers]]
        data += [[Paragraph(_esc(str(v)), normal) for v in r] for r in rows]
        t = Table(data, colWidths=[w * mm for w in widths], repeatRows=1)
        t.setStyle(TableStyle([
            ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#8a8f98")),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f6")),
            ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        return t

    for section in report.titles:
        wf = section.workflow
        story.append(Paragraph(f"Danh hiệu “{_esc(wf.spec.name.vi)}” — mẫu số: "
                               f"{_esc(section.denominator_name)}", sub))
        rows = []
        for row in section.rows:
            f, line, c = row.line.figure, row.line, row.counts
            target = "—" if line.target is None else \
                f"{_pct_text(line.target)} ({line.target_year})"
            verdicts = "; ".join(
                f"{v.year}: " + ("chưa có mẫu số" if v.met is None else
                                 ("đạt" if v.met else f"không đạt, thiếu {_num(v.gap)}"))
                for v in line.verdicts) or "—"
            rows.append([f.unit.name, c.received, c.on_time, c.recognised, c.rejected,
                         _num(f.holders), _num(f.denominator), _pct_text(f.ratio), target,
                         _num(line.gap), verdicts])
        story.append(table(["Đơn vị", "Hồ sơ nhận", "Đúng hạn", "Được công nhận",
                            "Không công nhận", "Số đạt", "Mẫu số", "Tỷ lệ", "Chỉ tiêu",
                            "Còn thiếu", "Đánh giá năm chỉ tiêu đã qua"],
                           rows, (48, 18, 18, 20, 20, 20, 22, 18, 24, 20, 45)))
        sources = sorted({r.line.source for r in section.rows if r.line.source})
        if sources:
            story.append(Paragraph("Nguồn chỉ tiêu: " + _esc("; ".join(sources)), normal))
    story.append(Paragraph("Các chỉ tiêu khác của kế hoạch", sub))
    rows = []
    for unit, found in report.indicators:
        for r in found:
            targets = "; ".join(
                f"{_value_text(t.value, r.indicator.kind)} đến năm {t.year} ({t.set_name.vi})"
                for t in r.targets)
            rows.append([unit.name, r.indicator.name.vi,
                         _value_text(r.value, r.indicator.kind), targets])
    story.append(table(["Đơn vị", "Chỉ tiêu", "Số liệu", "Mục tiêu"], rows, (45, 80, 22, 126)))
    story.append(Spacer(1, 4 * mm))
    doc.build(story)
    return buffer.getvalue()


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render(report: Report, fmt: str) -> tuple[bytes, str]:
    """(bytes, media type) of the report in `fmt`."""
    if fmt == "pdf":
        return pdf(report), "application/pdf"
    return xlsx(report), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
