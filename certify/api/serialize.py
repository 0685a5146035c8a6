"""Models to JSON, as api.md shapes them."""

from __future__ import annotations

from datetime import date

from .. import clock, policy, rubric
from ..models import (Decision, EvidenceFile, Membership, Nomination, Organization, Person,
                      Recognition, Unit, User)
from ..services import judging, scope, units
from ..workflow import engine
from ..workflow.spec import ByOrganizationLevel


def user(u: User) -> dict:
    return {"id": u.id, "username": u.username, "role": u.role,
            "unit_code": u.unit.code if u.unit else None, "display_name": u.display_name,
            "organization_id": u.organization_id, "household_id": u.household_id,
            "active": u.active}


def unit(u: Unit, on: date | None = None) -> dict:
    """A unit as it was on `on` (default: today, or its last day when it has ended, or its first
    when it starts later)."""
    day = on or min(max(clock.today(), u.valid_from), u.valid_until or date.max)
    links = units.lineage([u])[u.id]
    return {"code": u.code, "name": u.name, "level": u.level,
            "parent_code": u.parent.code if u.parent else None,
            "children": [c.code for c in units.children_on(u, day)],
            "valid_from": u.valid_from.isoformat(),
            "valid_until": u.valid_until.isoformat() if u.valid_until else None,
            "predecessors": [_link(s.predecessor, s) for s in links.predecessors],
            "successors": [_link(s.successor, s) for s in links.successors]}


def _link(u: Unit, succession) -> dict:
    return {"code": u.code, "name": u.name, "valid_from": u.valid_from.isoformat(),
            "valid_until": u.valid_until.isoformat() if u.valid_until else None,
            "effective": succession.effective.isoformat(), "kind": succession.kind}


def organization(o: Organization) -> dict:
    return {"id": o.id, "name": o.name, "unit_code": o.unit.code, "members_count": o.members_count,
            "level": o.level}


def person(p: Person, viewer: User) -> dict:
    return {"id": p.id, "full_name": p.full_name,
            "national_id": p.national_id if scope.sees_full_national_id(viewer, p)
            else p.masked_national_id,
            "birth_year": p.birth_year, "gender": p.gender, "target_group": p.target_group,
            "ethnicity": p.ethnicity, "religion": p.religion, "occupation": p.occupation, "unit_code": p.unit.code,
            "household_id": p.household_id}


def member(m: Membership, viewer: User) -> dict:
    return {"id": m.id, "organization_id": m.organization_id, "person": person(m.person, viewer),
            "role": m.role, "from": m.starts_on.isoformat(),
            "until": m.ends_on.isoformat() if m.ends_on else None,
            "current": m.current_on(clock.today())}


def decision_ref(d: Decision | None) -> dict | None:
    return None if d is None else {"id": d.id, "number": d.number, "date": d.date.isoformat()}


def recognition(r: Recognition | None) -> dict | None:
    if r is None:
        return None
    return {"code": r.code, "valid_from": r.valid_from.isoformat(),
            "valid_until": r.valid_until.isoformat(), "grade": r.grade, "level": r.level,
            "revoked_on": r.revoked_on.isoformat() if r.revoked_on else None,
            "decision": decision_ref(r.decision)}


def nomination(n: Nomination, viewer: User, computed: dict | None = None,
               allowed: list[str] | None = None, history: list | None = None) -> dict:
    """A nomination; `computed` its computed targets' figures, `allowed` its allowed events and
    `history` its steps when the caller has them (a page works them out for all its rows at
    once: `nominations`)."""
    found = judging.measured(n) if computed is None else computed
    if history is None:
        steps = [{"event": h.event, "from": h.from_state, "to": h.to_state,
                  "actor": h.actor.display_name if h.actor else None,
                  "at": h.at.isoformat(), "comment": h.comment} for h in n.history]
    else:  # rows of nominations.histories_of
        steps = [{"event": h.event, "from": h.from_state, "to": h.to_state, "actor": h.actor,
                  "at": h.at.isoformat(), "comment": h.comment} for h in history]
    return {
        "id": n.id, "receipt_code": n.receipt_code, "title": n.title_code,
        "subject_id": n.subject_id, "subject_name": n.subject_name, "unit_code": n.unit.code,
        "year": n.year, "rule_version": n.rule_version, "state": n.state, "version": n.version,
        "self_assessment": n.self_assessment or {}, "review_assessment": n.review_assessment or {},
        "review_notes": n.review_notes or {},
        "computed": {code: m.as_dict() for code, m in found.items()},
        "self_total": rubric.total(n.self_assessment), "review_total": rubric.total(n.review_assessment),
        "allowed_events": policy.allowed_events(viewer, n) if allowed is None else allowed,
        "history": steps,
        "recognition": recognition(n.recognition),
        "created_at": n.created_at.isoformat(), "updated_at": n.updated_at.isoformat(),
    }


def nominations(items: list[Nomination], viewer: User) -> list[dict]:
    """A page of nominations: their computed targets counted for the whole page at once
    (`judging.measured_for`, a fixed number of statements) and their allowed events asked once
    per kind of row (`policy.allowed_events_among`), their histories read in one statement
    (`nominations.histories_of`), then each row."""
    from ..services import nominations as service

    computed = judging.measured_for(items)
    allowed = policy.allowed_events_among(viewer, items)
    history = service.histories_of([n.id for n in items])
    return [nomination(n, viewer, computed[n.id], allowed[n.id], history[n.id]) for n in items]


def decision(d: Decision, page: int = 1, per_page: int = 50) -> dict:
    from ..services import nominations

    return _decision(d, nominations.decision_items(d, page, per_page))


def decisions(found: list[Decision], per_page: int = 50) -> list[dict]:
    """A page of decisions (`nominations.list_decisions`, which counted their items), each with
    the first page of its annex, loaded for all of them at once."""
    from ..services import nominations

    first = nominations.first_items_of(found, per_page)
    return [_decision(d, nominations.Page(first[d.id], d.item_count, 1, per_page))
            for d in found]


def _decision(d: Decision, items) -> dict:
    return {"id": d.id, "number": d.number, "date": d.date.isoformat(), "issuer": d.issuer,
            "signer": d.signer, "signer_position": d.signer_position or None, "place": d.place,
            "unit_code": d.unit.code,
            "items": {"items": [{"nomination_id": r.nomination_id,
                                 "subject_name": r.nomination.subject_name,
                                 "unit_code": r.unit.code, "recognition_code": r.code}
                                for r in items.items],
                      "total": items.total, "page": items.page, "per_page": items.per_page}}


def evidence(f: EvidenceFile, documents: set[str]) -> dict:
    """An evidence file; `documents` are the document slot codes of the nomination's version."""
    return {"id": f.id, "token": f.token, "criterion": f.criterion,
            "slot": "document" if f.criterion in documents else "criterion",
            "filename": f.display_name, "size": f.size, "content_type": f.mimetype,
            "sha256": f.sha256, "uploaded_at": f.uploaded_at.isoformat(),
            "uploaded_by": f.uploaded_by_id}


def criterion(c) -> dict:
    return {"code": c.code, "name": c.name.vi, "name_en": c.name.en,
            "group": c.group.vi if c.group else None, "kind": c.kind, "max_points": c.max_points,
            "computed": c.computed is not None}


def version(v) -> dict:
    return {
        "id": v.id, "in_force_from": v.in_force_from.isoformat(), "source": v.source,
        "criteria": [criterion(c) for c in v.criteria],
        "pass_rule": v.pass_rule.model_dump() if v.pass_rule else None,
        "levels": [{"code": lv.code, "name": lv.name.vi,
                    "min_share": {code: t.model_dump() for code, t in lv.min_share.items()},
                    "after": lv.after.model_dump() if lv.after else None} for lv in v.levels],
        "grades": [{"code": g.code, "name": g.name.vi, "min_total": g.min_total} for g in v.grades],
        "valid": v.valid.model_dump(),
        "deadlines": v.deadlines.model_dump() if v.deadlines else None,
        "tiers": {name: (t.model_dump(by_alias=True, mode="json") if not isinstance(t, list) else
                         [e.model_dump(by_alias=True, mode="json") for e in t])
                  for name, t in v.tiers.items()},
        "documents": [{"code": d.code, "name": d.name.vi, "required": d.required}
                      for d in v.documents],
    }


def route(r):
    """A role's route as the API shows it: a unit level, {"by_organization_level": {...}}, or
    None."""
    return r.model_dump(mode="json") if isinstance(r, ByOrganizationLevel) else r


def title(wf) -> dict:
    spec = wf.spec
    today = wf.rules_on()
    return {
        "code": spec.code, "name": spec.name.vi, "name_en": spec.name.en, "subject": spec.subject,
        "criteria": [criterion(c) for c in today.criteria],
        "pass_rule": today.pass_rule.model_dump() if today.pass_rule else None,
        "grades": [{"code": g.code, "name": g.name.vi, "min_total": g.min_total}
                   for g in today.grades],
        "valid_years": today.valid.years,
        "versions": [version(v) for v in spec.versions],
        "states": list(spec.states), "final_states": spec.final_states,
        "events": [{"code": code, "name": e.name.vi, "needs": list(e.needs),
                    "transitions": [{"from": list(t.from_), "to": t.to, "role": t.role,
                                     "tier": route(wf.route(t.role))} for t in e.transitions]}
                   for code, e in spec.events.items()],
        "targets": {str(year): ratio for year, ratio in sorted(spec.targets.items())},
        "profile": wf.profile_name,
    }


def progress(p) -> dict:
    from ..services.progress import gap
    from ..workflow import workflow

    f = p.figure
    wf = workflow(p.title_code)
    return {"unit": f.unit.code, "name": f.unit.name, "title": p.title_code,
            "as_of": p.as_of.isoformat(), "holders": f.holders, "denominator": f.denominator,
            "ratio": f.ratio, "target": p.target, "target_year": p.target_year,
            "target_source": wf.spec.target_source(p.target_year) if wf else None,
            "gap": gap(f.holders, f.denominator, p.target),
            "children": [{"unit": c.unit.code, "name": c.unit.name, "holders": c.holders,
                          "denominator": c.denominator, "ratio": c.ratio,
                          "gap": gap(c.holders, c.denominator, p.target)} for c in p.children]}
