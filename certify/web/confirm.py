"""The confirmation step before an event that cannot be undone (withdraw, refuse, revoke, ...).

Which events need it is the workflow file's answer (`meaning.irreversible_events`: every way
leads into a final state, or the event recognises the title). The page names the dossier, says
what will happen and that it cannot be undone, and carries what the user chose (version, event,
comment) in hidden fields with `confirmed=1`; nothing is written until that second POST. It works
without JavaScript."""

from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext as _

from ..messages import reason
from ..models import Nomination
from ..services.validate import Longest
from ..workflow import meaning, workflow
from .filters import loc, state_name

CONFIRMED = "confirmed"


def needed(n: Nomination, event: str) -> bool:
    """Whether firing `event` on the dossier from a page needs the confirmation step."""
    wf = workflow(n.title_code)
    return wf is not None and meaning.is_irreversible(wf.spec, event)


def given() -> bool:
    """Whether the POST is the confirmation page's final one."""
    return request.form.get(CONFIRMED) == "1"


def comment_problems(n: Nomination, event: str, comment: str) -> list[str]:
    """What is wrong with the comment before the confirmation page is shown (the engine checks it
    again when the event fires): missing where the event needs one, or too long."""
    spec = workflow(n.title_code).spec
    if event in meaning.comment_events(spec) and not comment:
        return [reason({"field": "comment", "code": "required"})]
    if len(comment) > Longest.COMMENT:
        return [reason({"field": "comment", "code": "too_long",
                        "max_length": Longest.COMMENT})]
    return []


def consequences(n: Nomination, event: str) -> list[str]:
    """What the event does to this dossier, in words, from its workflow file."""
    spec = workflow(n.title_code).spec
    lines = []
    targets = [t.to for t in spec.transition(event, n.state)]
    if targets:
        lines.append(_("Hồ sơ sẽ chuyển sang trạng thái “%(state)s” và không được xử lý tiếp.",
                       state=state_name(targets[0], n.title_code))
                     if spec.states[targets[0]].final else
                     _("Hồ sơ sẽ chuyển sang trạng thái “%(state)s”.",
                       state=state_name(targets[0], n.title_code)))
        if targets[0] in meaning.freeing_states(spec):
            lines.append(_("Có thể lập hồ sơ mới cho cùng đối tượng, danh hiệu và năm."))
    if "end_recognition" in spec.events[event].effects and n.recognition is not None:
        lines.append(_("Giấy chứng nhận %(code)s sẽ hết hiệu lực.", code=n.recognition.code))
    if event in meaning.grant_events(spec):
        lines.append(_("Quyết định công nhận được ban hành và ghi vào sổ."))
    return lines


def render(n: Nomination, event: str, *, action: str, back: str, version, comment: str = "",
           status: int = 200):
    """The confirmation page; `action` receives the final POST, `back` is the "Quay lại" link."""
    spec = workflow(n.title_code).spec
    return render_template(
        "confirm.html", n=n, event=event, event_label=loc(spec.events[event].name),
        tone=meaning.event_tone(spec, event), consequences=consequences(n, event),
        action=action, back=back, version=version, comment=comment,
        comment_needed=event in meaning.comment_events(spec)), status
