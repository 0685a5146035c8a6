"""Evidence uploads and downloads: the applicant adds files per indicator while the dossier can be
edited; anyone who may see the nomination may open them; nobody else learns they exist."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge

from ..errors import Forbidden, Invalid, TransitionNotAllowed, invalid
from ..services import evidence
from .filters import loc
from .errors import page
from .helpers import ActionForm, attachment, flash_error, roles
from ..messages import reasons
from ..routing import body_limit

bp = Blueprint("evidence", __name__)

def upload_limit() -> int | None:
    """The upload's own body limit, in place of the app's MAX_CONTENT_LENGTH — only for people who
    are signed in: anyone else stays under the app's limit."""
    if not current_user.is_authenticated:
        return None
    return evidence.request_limit()


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_error):
    """Whoever read the body first (the CSRF check or the view), say how large a file may be."""
    return page(413, " ".join(reasons(invalid("file", "too_large", "File too large."))))


def _back(nomination_id: int):
    return redirect(url_for("household.nomination", nomination_id=nomination_id) + "#evidence")


@bp.route("/nominations/<id:nomination_id>/evidence", methods=["POST"])
@roles("household", "organization")
# Refuse oversized bodies before they are read (413 page), a little above the file limit — also
# in the CSRF check, which reads the form before this view runs.
@body_limit(upload_limit)
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
        document = _document(record)
        if document is not None:
            flash(_("Đã tải lên %(name)s: %(document)s.", name=record.display_name,
                    document=loc(document.name)), "success")
        else:
            flash(_("Đã tải lên %(name)s cho chỉ số %(code)s.", name=record.display_name,
                    code=record.criterion), "success")
    return _back(nomination_id)


def _document(record):
    """The version's document the file was uploaded as (Tờ trình …), or None for a criterion."""
    from ..services import nominations

    n = nominations.get(current_user, record.nomination_id)
    return evidence.documents(n).get(record.criterion)


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
    return attachment(path, record.mimetype, record.display_name, record.kind)
