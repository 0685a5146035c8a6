"""District pages: the queue of verified nominations, recognition decisions (with a confirmation
step before anything is committed), a decision's recognitions, and certificate downloads."""

from __future__ import annotations

from flask import (Blueprint, Response, abort, flash, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import DateField, StringField
from wtforms.validators import InputRequired

from .. import clock
from ..errors import Invalid, NotFound, TransitionNotAllowed
from ..services import certificates, nominations
from .errors import page
from ..services.validate import Longest
from .helpers import MaxLength, attachment, int_arg, roles
from ..messages import describe

bp = Blueprint("district", __name__)
PER_PAGE = 100


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


def _selected() -> list[int]:
    ids = [int_arg(v) for v in request.form.getlist("nomination_id")]
    return list(dict.fromkeys(i for i in ids if i is not None))


def _verified():
    return nominations.search(current_user, state="verified", page=1, per_page=PER_PAGE)


@bp.route("/district/")
@roles("approver", "admin")
def queue():
    form = DecisionForm(formdata=None, date=clock.today())
    return render_template("district/queue.html", result=_verified(), form=form, chosen=set(),
                           lines=[])


@bp.route("/district/decisions/confirm", methods=["POST"])
@roles("approver")
def confirm():
    """Step one: show how many and who will be recognised; nothing is written yet."""
    form = DecisionForm()
    ids = _selected()
    lines = []
    if not ids:
        lines.append(_("Hãy chọn ít nhất một hồ sơ."))
    if not form.validate_on_submit() or lines:
        return render_template("district/queue.html", result=_verified(), form=form,
                               chosen=set(ids), lines=lines), 422
    chosen = [nominations.get(current_user, i) for i in ids]  # 404 outside the approver's scope
    return render_template("district/confirm.html", form=form, chosen=chosen)


@bp.route("/district/decisions", methods=["POST"])
@roles("approver")
def issue():
    """Step two: approve them all in one decision, all or none."""
    form = DecisionForm()
    ids = _selected()
    if not ids or not form.validate_on_submit():
        flash(_("Thiếu thông tin quyết định; chưa có gì được ghi."), "error")
        return redirect(url_for("district.queue"))
    try:
        decision = nominations.issue_decision(
            current_user, number=form.number.data.strip(), date_=form.date.data,
            signer=form.signer.data.strip(), nomination_ids=ids)
    except NotFound:
        abort(404)
    except TransitionNotAllowed:
        return page(409, _("Một số hồ sơ không còn ở trạng thái “Đã thẩm định” (có thể người khác "
                           "vừa xử lý). Chưa có gì được ghi; hãy chọn lại."),
                    back=url_for("district.queue"))
    except Invalid as error:
        chosen = [nominations.get(current_user, i) for i in ids]
        return render_template("district/confirm.html", form=form, chosen=chosen,
                               lines=describe(error)), 422
    flash(_("Đã ban hành quyết định số %(number)s công nhận %(count)s hồ sơ.",
            number=decision.number, count=len(decision.recognitions)), "success")
    return redirect(url_for("district.decision", decision_id=decision.id))


@bp.route("/district/decisions/")
@roles("approver", "reviewer", "admin")
def decisions():
    page_no = max(int_arg(request.args.get("page")) or 1, 1)
    return render_template("district/decisions.html",
                           result=nominations.list_decisions(current_user, page_no, 50))


@bp.route("/district/decisions/<id:decision_id>")
@roles("approver", "reviewer", "admin")
def decision(decision_id: int):
    return render_template("district/decision.html",
                           decision=nominations.get_decision(current_user, decision_id))


@bp.route("/district/decisions/<id:decision_id>/certificates.pdf")
@roles("approver", "reviewer", "admin")
def decision_pdf(decision_id: int):
    found = nominations.get_decision(current_user, decision_id)
    return _pdf(certificates.decision_pdf(found), f"giay-chung-nhan-qd-{found.id}")


@bp.route("/recognitions/<id:recognition_id>/certificate.pdf")
@login_required
def certificate(recognition_id: int):
    """One certificate, for anyone who may see its nomination (the household included)."""
    rec = nominations.get_recognition(current_user, recognition_id)  # 404 outside the scope
    return _pdf(certificates.recognition_pdf(rec), f"giay-chung-nhan-{rec.code}")


def _pdf(data: bytes, name: str) -> Response:
    return attachment(data, "application/pdf", name, "pdf")
