"""The 409 page: someone else acted first — show what changed."""

from __future__ import annotations

from flask_babel import gettext as _

from flask_login import current_user

from ..errors import NotFound
from ..extensions import db
from ..services import nominations
from .errors import page


def conflict(nomination_id: int, back: str | None = None):
    db.session.rollback()  # whatever the failed attempt loaded is stale: read it afresh
    try:
        nomination = nominations.get(current_user, nomination_id)
    except NotFound:
        nomination = None
    changed = None
    if nomination is not None:
        changed = {"state": nomination.state, "title_code": nomination.title_code,
                   "last": nomination.history[-1] if nomination.history else None}
    return page(409, _("Người khác vừa thao tác trên hồ sơ này trước bạn, nên thao tác của bạn "
                       "chưa được thực hiện. Hãy xem lại hồ sơ rồi quyết định."),
                changed=changed, back=back)
