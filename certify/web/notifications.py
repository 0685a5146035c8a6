"""The inbox: an account's own notifications, newest first, each linking to its dossier or
certificate; marking read. The texts come from certify/services/notifications.py (Vietnamese
msgids), rendered in the reader's language."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from ..errors import NotFound
from ..models import Notification
from ..services import notifications
from .filters import day, title_name

bp = Blueprint("notifications", __name__, url_prefix="/notifications")

PER_PAGE = 20


def render(n: Notification) -> dict:
    """What a notification says, in the current language, and where it leads (a path)."""
    notice = notifications.BY_KIND[n.kind]
    p = n.params or {}
    values = {"reason": "", "code": "", **p, "title": title_name(p.get("title_code", "")),
              "due": day(date.fromisoformat(p["due"])) if p.get("due") else ""}
    if n.kind == "approved" and p.get("code"):
        link = url_for("public.verify", code=p["code"])
    elif notice.to == "acting":
        link = url_for("review.nomination", nomination_id=n.nomination_id)
    else:
        link = url_for("household.nomination", nomination_id=n.nomination_id)
    return {"summary": gettext(notice.subject, **values), "text": gettext(notice.body, **values),
            "link": link if n.nomination_id is not None else None}


@bp.app_template_global()
def unread_notifications() -> int:
    """The count beside the inbox link in the menu."""
    if not current_user.is_authenticated:
        return 0
    return notifications.unread_count(current_user)


def _page_arg() -> int:
    raw = request.args.get("page", "1")
    if not raw.isdigit() or not 1 <= int(raw) <= 100_000:
        abort(404)
    return int(raw)


@bp.route("/")
@login_required
def index():
    page = notifications.inbox(current_user, _page_arg(), PER_PAGE)
    last = max(1, (page.total + PER_PAGE - 1) // PER_PAGE)
    return render_template("notifications/index.html", page=page, last=last,
                           rows=[(n, render(n)) for n in page.items])


@bp.route("/<id:notification_id>/read", methods=["POST"])
@login_required
def read(notification_id: int):
    try:
        n = notifications.mark_read(current_user, notification_id)
    except NotFound:
        abort(404)
    if request.form.get("open"):
        return redirect(render(n)["link"] or url_for("notifications.index"))
    return redirect(url_for("notifications.index", page=request.form.get("page", 1, type=int)))


@bp.route("/read-all", methods=["POST"])
@login_required
def read_all():
    notifications.mark_all_read(current_user)
    return redirect(url_for("notifications.index"))
