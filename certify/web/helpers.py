"""Small helpers the page views share: role checks, form parsing, flashing service errors."""

from __future__ import annotations

import io
from functools import wraps
from pathlib import Path

from flask import Response, abort, flash, send_file
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField
from wtforms.validators import Length
from flask_babel import lazy_gettext as _l

from ..errors import CertifyError
from ..filenames import safe_filename
from ..messages import describe


def roles(*allowed: str):
    """Signed in with one of `allowed` roles, or 403."""

    def decorate(view):
        @wraps(view)
        @login_required
        def wrapper(*args, **kwargs):
            if current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorate


def flash_error(error: CertifyError) -> None:
    for line in describe(error):
        flash(line, "error")


class WholeNumberField(IntegerField):
    """An IntegerField whose "not a number" message is ours (WTForms has no Vietnamese)."""

    def process_formdata(self, valuelist):
        if not valuelist or valuelist[0] in ("", None):
            self.data = None
            return
        try:
            self.data = int(valuelist[0].strip())
        except ValueError as exc:
            self.data = None
            raise ValueError(str(_l("Phải là một số nguyên."))) from exc


class ActionForm(FlaskForm):
    """A form that only carries CSRF and the version the user saw."""

    version = HiddenField()

    def seen_version(self) -> int | None:
        try:
            return int(self.version.data)
        except (TypeError, ValueError):
            return None


def MaxLength(limit: int) -> Length:  # noqa: N802 (reads like the validator it builds)
    """Length(max=...) with our message (WTForms has no Vietnamese catalogue)."""
    return Length(max=limit, message=_l("Tối đa %(max)d ký tự."))


# For every SelectField: a value that is not among the choices.
INVALID_CHOICE = _l("Lựa chọn không hợp lệ.")


def choices(pairs) -> list:
    """SelectField choices from (value, label) pairs, labels translated when rendered."""
    try:
        from wtforms.fields.choices import SelectChoice
    except ImportError:  # WTForms before 3.3
        return [(str(value), label) for value, label in pairs]
    return [SelectChoice(str(value), label) for value, label in pairs]


def int_arg(value, minimum: int = 1, maximum: int = 2**31 - 1) -> int | None:
    """A whole number from a query or form value within bounds (ids, pages), else None: a huge
    number must never reach the database driver."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if minimum <= number <= maximum else None


def attachment(data: bytes | Path, mimetype: str, name: str, extension: str) -> Response:
    """A download of `data` (bytes, or a stored file) named `name` reduced to the safe set with
    `extension`; Werkzeug writes Content-Disposition with an ASCII `filename` and the UTF-8
    `filename*` (RFC 5987). Downloads are personal: no cache keeps them."""
    source = io.BytesIO(data) if isinstance(data, bytes) else data
    response = send_file(source, mimetype=mimetype, as_attachment=True,
                         download_name=safe_filename(name, extension), max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response
