"""District pages: the queue of verified nominations, recognition decisions (with a confirmation
step before anything is committed) for many dossiers or one, a decision's annex, certificates."""

from __future__ import annotations

from flask import (Blueprint, Response, abort, flash, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SearchField, SelectField, StringField
from wtforms.validators import InputRequired, Optional, Regexp

from .. import clock, policy
from ..errors import Forbidden, Invalid, NotFound, Stale, TransitionNotAllowed
from ..services import certificates, exports, nominations
from ..services import decisions as decision_rules
from . import confirm as confirmation
from .conflict import conflict
from .helpers import INVALID_CHOICE, choices
from .errors import page
from ..services.validate import Longest, Reasons
from .helpers import MaxLength, attachment, int_arg, roles
from ..messages import describe

bp = Blueprint("district", __name__)
PER_PAGE = 50


class VietnameseDateField(DateField):
    """A date typed as dd/mm/yyyy or sent by a date picker (yyyy-mm-dd), with our own message."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, format=["%Y-%m-%d", "%d/%m/%Y"], **kwargs)

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError(str(_l("Ngày không hợp lệ (ngày/tháng/năm)."))) from exc


class DecisionForm(FlaskForm):
    number = StringField(_l("Số quyết định"), validators=[
        InputRequired(_l("Hãy nhập số quyết định.")), MaxLength(Longest.DECISION_NUMBER)])
    date = VietnameseDateField(_l("Ngày quyết định"), validators=[
        InputRequired(_l("Hãy nhập ngày quyết định."))])
    signer = StringField(_l("Người ký"), validators=[
        InputRequired(_l("Hãy nhập người ký.")), MaxLength(Longest.SIGNER)])
    signer_position = SelectField(_l("Thẩm quyền ký"), invalid_choice_message=INVALID_CHOICE,
                                  validators=[InputRequired(_l("Hãy chọn thẩm quyền ký."))])
    place = StringField(_l("Địa danh"), validators=[Optional(), MaxLength(Longest.PLACE)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.signer_position.choices = choices(
            [("", _("— chọn —"))] + [(code, " / ".join(lines))
                                     for code, lines in decision_rules.POSITIONS.items()])

    def fields(self) -> dict:
        """What the services take, from a validated form."""
        return {"number": self.number.data.strip(), "date_": self.date.data,
                "signer": self.signer.data.strip(), "signer_position": self.signer_position.data,
                "place": (self.place.data or "").strip() or None}


class DecisionFilters(FlaskForm):
    """The decisions list's filter (GET): year, a range of dates, a part of the number, a unit."""

    class Meta:
        csrf = False  # a GET search form changes nothing

    year = StringField(_l("Năm"), validators=[Optional(), Regexp(
        r"^\s*[0-9]{1,4}\s*$", message=_l("Năm là một số, ví dụ 2025."))])
    date_from = VietnameseDateField(_l("Từ ngày"), validators=[Optional()], name="from")
    date_to = VietnameseDateField(_l("Đến ngày"), validators=[Optional()], name="to")
    q = SearchField(_l("Số quyết định"), validators=[Optional(), MaxLength(Longest.QUERY)])
    unit = StringField(_l("Mã đơn vị (gồm các đơn vị trực thuộc)"), validators=[Optional()])


class ApprovalForm(DecisionForm):
    """The one-item decision of a single approval, with the version of the dossier seen."""

    version = HiddenField()


def _filter(args):
    """The approver's list filter (always the dossiers awaiting a decision): review.read_filter."""
    from .review import read_filter

    return read_filter(args, with_state=False)


def _verified(f, params, page_no=1):
    per_page = int_arg(request.args.get("per_page"), 1, 200) or PER_PAGE
    if per_page != PER_PAGE:
        params["per_page"] = per_page
    return nominations.search(current_user, f, page=page_no, per_page=per_page,
                              detail=False)


def _queue_page(form, f, fform, params, page_no=1, lines=(), chosen=(), status=200):
    return render_template("district/queue.html", result=_verified(f, params, page_no),
                           form=form, filter_form=fform, params=params, chosen=set(chosen),
                           lines=list(lines), late=nominations.late_among), status


@bp.route("/district/")
@roles("approver", "admin")
def queue():
    f, fform, params = _filter(request.args)
    page_no = max(int_arg(request.args.get("page")) or 1, 1)
    form = DecisionForm(formdata=None, date=clock.today())
    return _queue_page(form, f, fform, params, page_no)


@bp.route("/district/decisions/confirm", methods=["POST"])
@roles("approver")
def confirm():
    """Step one: show how many and who will be recognised; nothing is written yet. The selection
    is the ticked dossiers, or every one matching the filter ("all_matching")."""
    from .review import SHOWN, selected_ids

    form = DecisionForm()
    f, fform, params = _filter(request.form)
    ids = selected_ids(request.form, f)
    lines = []
    if not ids:
        lines.append(_("Hãy chọn ít nhất một hồ sơ."))
    if not form.validate_on_submit() or lines:
        return _queue_page(form, f, fform, params, lines=lines, chosen=ids, status=422)
    shown = nominations.rows_of(ids[:SHOWN])
    if len(shown) != min(len(ids), SHOWN) or any(
            not policy.can_view(current_user, n) for n in shown):
        abort(404)
    token = nominations.seal(current_user, ids, "decision")
    return render_template("district/confirm.html", form=form, chosen=shown, count=len(ids),
                           token=token, params=params)


@bp.route("/district/decisions", methods=["POST"])
@roles("approver")
def issue():
    """Step two: approve exactly the confirmed dossiers in one decision, all or none."""
    form = DecisionForm()
    token = request.form.get("token")
    if not token:
        # A recognition cannot be undone: without the confirmed selection this is step one.
        return confirm()
    ids = nominations.unseal(current_user, token, "decision")
    if ids is None:
        return page(400, _("Xác nhận không hợp lệ hoặc đã hết hạn; hãy chọn lại."),
                    back=url_for("district.queue"))
    if not ids or not form.validate_on_submit():
        flash(_("Thiếu thông tin quyết định; chưa có gì được ghi."), "error")
        return redirect(url_for("district.queue"))
    try:
        decision = nominations.issue_decision(current_user, nomination_ids=ids, **form.fields())
    except NotFound:
        abort(404)
    except (TransitionNotAllowed, Stale):
        return page(409, _("Một số hồ sơ không còn chờ quyết định công nhận (có thể người khác vừa "
                           "xử lý). Chưa có gì được ghi; hãy chọn lại."),
                    back=url_for("district.queue"))
    except Invalid as error:
        shown = nominations.rows_of(ids[:200])
        return render_template("district/confirm.html", form=form, chosen=shown, count=len(ids),
                               token=token or nominations.seal(current_user, ids, "decision"),
                               params={}, lines=describe(error)), 422
    flash(_("Đã ban hành quyết định số %(number)s công nhận %(count)s hồ sơ.",
            number=decision.number, count=len(ids)), "success")
    return redirect(url_for("district.decision", decision_id=decision.id))


@bp.route("/district/nominations/<id:nomination_id>/approve")
@roles("approver")
def approve_form(nomination_id: int):
    """A single approval, step one: the one-item decision's number, date, signer and position."""
    n = nominations.get(current_user, nomination_id)
    form = ApprovalForm(formdata=None, date=clock.today(), version=n.version)
    return render_template("district/approve.html", n=n, form=form, lines=[])


@bp.route("/district/nominations/<id:nomination_id>/approve/confirm", methods=["POST"])
@roles("approver")
def approve_confirm(nomination_id: int):
    """Step two: the decision and the dossier shown for confirmation; nothing is written yet."""
    n = nominations.get(current_user, nomination_id)
    form = ApprovalForm()
    if not form.validate_on_submit():
        return render_template("district/approve.html", n=n, form=form, lines=[]), 422
    return _approval_confirmation(n, form)


def _approval_confirmation(n, form: ApprovalForm):
    """The confirmation page, unless the decision's fields would be refused: then the form again
    with every reason (the same rules the approval applies), so nothing refused is confirmed."""
    r = Reasons()
    fields = decision_rules.read(r, **form.fields())
    decision_rules.check_number_free(r, current_user, fields.get("number"))
    decision_rules.check_dates(r, fields.get("date"), [n])
    if r.items:
        return render_template("district/approve.html", n=n, form=form,
                               lines=describe(Invalid("", r.items))), 422
    return render_template("district/approve_confirm.html", n=n, form=form)


@bp.route("/district/nominations/<id:nomination_id>/approve", methods=["POST"])
@roles("approver")
def approve(nomination_id: int):
    """Step three: approve the dossier inside its new one-item decision. Only the confirmation
    page's POST (with `confirmed=1`) acts; any other shows that page first."""
    n = nominations.get(current_user, nomination_id)
    form = ApprovalForm()
    if not form.validate_on_submit():
        return render_template("district/approve.html", n=n, form=form, lines=[]), 422
    if not confirmation.given():
        return _approval_confirmation(n, form)
    fields = form.fields()
    fields["date"] = fields.pop("date_").isoformat()
    back = url_for("review.nomination", nomination_id=nomination_id)
    try:
        version = int(form.version.data)
    except (TypeError, ValueError):
        version = None
    try:
        n = nominations.approve(current_user, nomination_id, version=version, decision=fields)
    except (Stale, TransitionNotAllowed):
        return conflict(nomination_id, back)
    except Forbidden as error:
        return page(403, " ".join(describe(error)))
    except Invalid as error:
        return render_template("district/approve.html", n=n, form=form,
                               lines=describe(error)), 422
    decision = n.recognition.decision
    flash(_("Đã ban hành quyết định số %(number)s công nhận %(count)s hồ sơ.",
            number=decision.number, count=len(decision.recognitions)), "success")
    return redirect(url_for("district.decision", decision_id=decision.id))


@bp.route("/district/decisions/")
@roles("approver", "reviewer", "admin")
def decisions():
    """The decisions of the account's unit and below, filtered (DecisionFilters) and paginated.
    A filter that is not valid says why (422) and lists nothing."""
    page_no = max(int_arg(request.args.get("page")) or 1, 1)
    per_page = int_arg(request.args.get("per_page"), 1, 200) or 50
    form = DecisionFilters(request.args)
    params = {"per_page": per_page} if per_page != 50 else {}
    empty = nominations.Page([], 0, page_no, per_page)
    if not form.validate():
        return render_template("district/decisions.html", result=empty, form=form,
                               params=params), 422
    raw_year = (form.year.data or "").strip()
    f = nominations.DecisionFilter(
        year=(int_arg(raw_year, 1, 9999) or -1) if raw_year else None,
        date_from=form.date_from.data, date_to=form.date_to.data,
        q=(form.q.data or "").strip() or None, unit=(form.unit.data or "").strip() or None)
    params.update({k: v for k, v in {"year": raw_year, "from": request.args.get("from", ""),
                                     "to": request.args.get("to", ""), "q": f.q or "",
                                     "unit": f.unit or ""}.items() if v})
    try:
        result = nominations.list_decisions(current_user, page_no, per_page, f)
    except Invalid as exc:
        form.date_to.errors = [_("Ngày kết thúc trước ngày bắt đầu.")] if any(
            d.get("field") == "to" for d in exc.details or []) else describe(exc)
        return render_template("district/decisions.html", result=empty, form=form,
                               params=params), 422
    return render_template("district/decisions.html", result=result, form=form, params=params)


@bp.route("/district/decisions/<id:decision_id>")
@roles("approver", "reviewer", "admin")
def decision(decision_id: int):
    return render_template("district/decision.html",
                           decision=nominations.get_decision(current_user, decision_id))


@bp.route("/district/decisions/<id:decision_id>/annex.xlsx")
@roles("approver", "reviewer", "admin")
def decision_annex(decision_id: int):
    found = nominations.get_decision(current_user, decision_id)
    return attachment(decision_rules.annex_xlsx(found),
                      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                      f"danh-sach-qd-{found.id}", "xlsx")


@bp.route("/district/decisions/<id:decision_id>/annex.csv")
@roles("approver", "reviewer", "admin")
def decision_annex_csv(decision_id: int):
    found = nominations.get_decision(current_user, decision_id)
    return attachment(exports.annex_csv(found), "text/csv; charset=utf-8",
                      f"danh-sach-qd-{found.id}", "csv")


@bp.route("/district/export.<any(csv, xlsx):fmt>")
@roles("approver", "admin")
def export(fmt: str):
    """The approver's list as filtered, every matching row."""
    f, _form, _params = _filter(request.args)
    build = exports.queue_csv if fmt == "csv" else exports.queue_xlsx
    mimetype = "text/csv; charset=utf-8" if fmt == "csv" else exports.XLSX_TYPE
    return attachment(build(current_user, f), mimetype,
                      f"ho-so-cho-cong-nhan-{clock.today().isoformat()}", fmt)


@bp.route("/district/decisions/<id:decision_id>/certificates.pdf")
@roles("approver", "reviewer", "admin")
def decision_pdf(decision_id: int):
    found = nominations.get_decision(current_user, decision_id)
    try:
        return _pdf(certificates.decision_pdf(found), f"giay-chung-nhan-qd-{found.id}")
    except certificates.NotPrintable:
        return _not_printable()


@bp.route("/recognitions/<id:recognition_id>/certificate.pdf")
@login_required
def certificate(recognition_id: int):
    """One certificate, for anyone who may see its nomination (the household included)."""
    rec = nominations.get_recognition(current_user, recognition_id)  # 404 outside the scope
    try:
        return _pdf(certificates.recognition_pdf(rec), f"giay-chung-nhan-{rec.code}")
    except certificates.NotPrintable:
        return _not_printable()


def _not_printable():
    return page(409, _("Không in được giấy chứng nhận: công nhận này được phê duyệt trước khi có "
                       "quyết định công nhận (cơ quan ban hành, số quyết định, người ký). Công nhận "
                       "vẫn có hiệu lực và vẫn tra cứu được bằng mã xác minh; hãy liên hệ cơ quan "
                       "phê duyệt để được cấp giấy theo quyết định."))


def _pdf(data: bytes, name: str) -> Response:
    return attachment(data, "application/pdf", name, "pdf")
