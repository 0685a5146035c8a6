"""Pages anyone may open without an account: dossier look-up, certificate check, ward progress.
They show no personal data (initials only) and are rate-limited like the public API."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from .. import clock
from ..errors import NotFound
from ..extensions import limiter
from ..links import public_url
from ..services import directory, exports
from ..services import progress as progress_service
from ..services import public
from ..services import units as unit_service
from ..workflow import workflow, workflows

bp = Blueprint("public", __name__)

# What happens next, by the stage of the procedure (services/public.py STAGES), in plain words.
NEXT_STEPS = {
    "review": _l("Hồ sơ đang chờ %(office)s thẩm định. Người nộp không cần làm gì thêm; kết quả "
                 "được cập nhật tại trang tra cứu này."),
    "returned": _l("Hồ sơ được trả lại để bổ sung. Người nộp sửa theo yêu cầu dưới đây rồi nộp "
                   "lại; mã biên nhận giữ nguyên."),
    "decision": _l("Hồ sơ đã được thẩm định đạt và đang chờ %(office)s ra quyết định công nhận."),
    "granted": _l("Hồ sơ đã được công nhận. Giấy chứng nhận có mã kiểm tra riêng, in trên giấy."),
    "ended": _l("Hồ sơ đã kết thúc, không được xử lý tiếp."),
}
STATUSES = {"on_time": _l("Đúng hạn"), "late": _l("Trễ hạn")}


def next_step(f: public.Follow) -> str:
    return str(NEXT_STEPS[f.stage]) % {"office": f.next_office.name}


def status_text(f: public.Follow) -> str:
    return str(STATUSES[f.status])


def lookup_url(code: str) -> str:
    """The public look-up of a receipt code, as printed and in the QR code."""
    return public_url("public.lookup", code=code)


def qr_markup(code: str) -> Markup:
    """The inline SVG QR code of a receipt code's look-up (segno's output, no user text in it
    but the code, which is made of letters, digits and dashes)."""
    return Markup(public.qr_svg(lookup_url(code)))  # nosec B704 — segno's SVG of our own URL


def _limit() -> str:
    return current_app.config["PUBLIC_RATE_LIMIT"]


@bp.route("/lookup")
@limiter.limit(_limit)
def lookup():
    code = (request.args.get("code") or "").strip()
    found, missing = None, False
    if code:
        try:
            found = public.dossier(code)
        except NotFound:
            missing = True
    return render_template("public/lookup.html", code=code, found=found, missing=missing,
                           follow=public.follow(found) if found else None, next_step=next_step,
                           status_text=status_text, qr=qr_markup if found else None,
                           lookup_url=lookup_url), 404 if missing else 200


@bp.route("/verify")
def verify_form():
    code = (request.args.get("code") or "").strip()
    if code:
        return redirect(url_for("public.verify", code=code.upper()))
    return render_template("public/verify_form.html")


@bp.route("/verify/<code>")
@limiter.limit(_limit)
def verify(code: str):
    try:
        rec = public.recognition(code)
    except NotFound:
        return render_template("public/verify.html", rec=None, code=code), 404
    return render_template("public/verify.html", rec=rec, code=rec.code, valid=public.is_valid(rec),
                           holder=public.holder_label(rec))


@bp.route("/public/progress")
@limiter.limit(_limit)
def progress():
    """Holders against the denominator for a unit and its children — counts only."""
    titles = list(workflows().values())
    wf = workflow(request.args.get("title") or "") or titles[0]
    code = request.args.get("unit") or ""
    unit = (unit_service.find(code) if code else None) or directory.top_unit()
    if unit is None:
        return render_template("public/progress.html", result=None, titles=titles, wf=wf)
    from .progress import page_context

    dash = progress_service.dashboard(unit, wf, clock.today())
    return render_template(
        "public/progress.html", titles=titles, units=directory.all_units(),
        **page_context(dash, wf, lambda u: url_for("public.progress", unit=u.code, title=wf.code),
                       lambda sort: url_for("public.progress", unit=unit.code, title=wf.code,
                                            sort=sort)))
