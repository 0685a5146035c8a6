"""Evidence uploads and downloads: the applicant adds files per indicator while the dossier can be
edited; anyone who may see the nomination may open them; nobody else learns they exist."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..errors import Forbidden, Invalid, TransitionNotAllowed
from ..services import evidence
from .helpers import ActionForm, flash_error, roles
from ..messages import reasons
from ..routing import body_limit

bp = Blueprint("evidence", __name__)


def _back(nomination_id: int):
    return redirect(url_for("household.nomination", nomination_id=nomination_id) + "#evidence")


@bp.route("/nominations/<id:nomination_id>/evidence", methods=["POST"])
@roles("household", "organization")
# Refuse oversized bodies before they are read (413 page), a little above the file limit — also
# in the CSRF check, which reads the form before this view runs.
@body_limit(lambda: evidence.max_bytes() + 64 * 1024)
def upload(nomination_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    upload = request.files.get("file")
    try:
        record = evidence.add(current_user, nomination_id,
                              criterion=request.form.get("criterion", ""),
                              filename=upload.filename if upload else "",
                              stream=upload.stream if upload else _Empty())
    except Invalid as error:
        for line in reasons(error):
            flash(line, "error")
    except (Forbidden, TransitionNotAllowed) as error:
        flash_error(error)
    else:
        flash(_("Đã tải lên %(name)s cho tiêu chí %(code)s.", name=record.name,
                code=record.criterion), "success")
    return _back(nomination_id)


class _Empty:
    def read(self, _size=-1) -> bytes:
        return b""


@bp.route("/nominations/<id:nomination_id>/evidence/<token>/delete", methods=["POST"])
@roles("household", "organization")
def delete(nomination_id: int, token: str):
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        evidence.remove(current_user, nomination_id, token)
    except (Forbidden, TransitionNotAllowed) as error:
        flash_error(error)
    else:
        flash(_("Đã xóa tệp minh chứng."), "success")
    return _back(nomination_id)


@bp.route("/nominations/<id:nomination_id>/evidence/<token>")
@login_required
def download(nomination_id: int, token: str):
    path, record = evidence.get(current_user, nomination_id, token)
    response = send_file(path, mimetype=record.mimetype, as_attachment=True,
                         download_name=record.name, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
