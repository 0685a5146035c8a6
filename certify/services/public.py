"""What anyone may look up without an account — never personal data.

A dossier is followed by its receipt code, as on the public-service portal: the office that
received it, the day it was received, the day a result is due by the rules' deadlines, whether it
is on time, what happens next, and — when it was sent back — the reviewer's reason (the return
comment only: no names, no số định danh)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

import segno
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from .. import clock
from ..errors import NotFound
from ..extensions import db
from ..models import Nomination, Recognition, Unit
from ..workflow import meaning, workflow
from . import deadlines

# The stages of the procedure a dossier can be in (certify/web/public.py words each one).
STAGES = ("review", "returned", "decision", "granted", "ended")


def dossier(receipt_code: str) -> Nomination:
    """The dossier with that receipt code; a draft has none, so it is never found."""
    nomination = db.session.scalar(
        select(Nomination).where(Nomination.receipt_code == receipt_code.strip().upper())
        # What `follow` reads, in the same statement and one more (not one per relation).
        .options(joinedload(Nomination.unit), joinedload(Nomination.organization),
                 selectinload(Nomination.history)))
    if nomination is None:
        raise NotFound("No dossier has that receipt code.")
    return nomination


def office(nomination: Nomination, role: str = "reviewer", on: date | None = None) -> Unit:
    """The unit whose tier acts as `role` on the dossier on `on` (default today), by the tier
    profile in force (the organization's level where the title routes by it): the dossier's unit
    or the ancestor of that level; its own unit when no tier is set."""
    wf = workflow(nomination.title_code)
    level = wf.tier(role, on, subject=nomination.organization) if wf is not None else None
    unit = nomination.unit
    while unit is not None and level is not None and unit.level != level:
        unit = unit.parent
    return unit or nomination.unit


def stage(nomination: Nomination) -> str:
    """The stage of the procedure the dossier is in: one of STAGES."""
    spec = workflow(nomination.title_code).spec
    for name, states in (("review", meaning.queue_states(spec)),
                         ("returned", meaning.returned_states(spec)),
                         ("decision", meaning.awaiting_decision_states(spec)),
                         ("granted", meaning.granted_states(spec))):
        if nomination.state in states:
            return name
    return "ended"


def received_on(nomination: Nomination) -> date | None:
    """The day the dossier was first submitted (received), in the product's time zone."""
    spec = workflow(nomination.title_code).spec
    submits = set(meaning.submit_events(spec))
    first = next((h.at for h in nomination.history if h.event in submits), None)
    first = first or nomination.submitted_at
    return first.astimezone(clock.zone()).date() if first is not None else None


@dataclass
class Follow:
    """What the receipt and the public look-up say of a dossier."""

    nomination: Nomination
    office: Unit
    received_on: date | None
    due: date | None  # the last day for a result by the rules (deadlines "approve_by")
    late: bool
    stage: str
    next_office: Unit
    returned_reason: str | None

    @property
    def status(self) -> str:
        return "late" if self.late else "on_time"


def follow(nomination: Nomination, today: date | None = None) -> Follow:
    today = today or clock.today()
    due = deadlines.for_year(nomination.title_code, nomination.year).get("approve_by")
    where = stage(nomination)
    if where in ("granted", "ended") and nomination.history:
        # Finished: on time if it was finished by the last day.
        ended = nomination.history[-1].at.astimezone(clock.zone()).date()
        late = due is not None and ended > due
    else:
        late = due is not None and today > due
    reason = None
    if where == "returned":
        send_back = set(meaning.send_back_events(workflow(nomination.title_code).spec))
        last = next((h for h in reversed(nomination.history) if h.event in send_back), None)
        reason = (last.comment or None) if last is not None else None
    return Follow(nomination=nomination, office=office(nomination, "reviewer", today),
                  received_on=received_on(nomination), due=due, late=late, stage=where,
                  next_office=office(nomination, "approver" if where == "decision" else "reviewer",
                                     today),
                  returned_reason=reason)


def qr(url: str) -> segno.QRCode:
    """The QR code of an address (the look-up of a receipt code)."""
    return segno.make(url, error="m", micro=False)


def qr_svg(url: str) -> str:
    """The QR code as an inline SVG element for a page (scales with it; prints sharp)."""
    return qr(url).svg_inline(scale=4, border=2, svgclass="qr", omitsize=True,
                              title="QR", dark="#000", light="#fff")


def qr_png(url: str) -> bytes:
    out = io.BytesIO()
    qr(url).save(out, kind="png", scale=6, border=4)
    return out.getvalue()


def recognition(code: str) -> Recognition:
    found = db.session.scalar(select(Recognition).where(Recognition.code == code.strip().upper()))
    if found is None:
        raise NotFound("No certificate has that verification code.")
    return found


def holder_label(rec: Recognition) -> str:
    """Initials for a person; an organization's name is public."""
    nomination = rec.nomination
    return nomination.person.initials if nomination.person else nomination.organization.name


def is_valid(rec: Recognition) -> bool:
    return rec.valid_on(clock.today())
