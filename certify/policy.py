"""Who may do what: one place asked by pages, the API, templates and the engine alike.

Every question is a `can_*` function of an account and the thing it would act on. Visibility is
the scope of api.md ("Roles and scope", certify.services.scope, which also builds the matching SQL
filters); acting on a dossier is its workflow file's transitions (role) with the tier in force
(unit level). Templates reach these through a context processor bound to the signed-in account:
`can_edit(n)`, `can_fire(n, event)`, `can_score(n)`, `withdraw_event(n)`, `allowed_events(n)`,
`can_decide()`, `can_see_full_national_id(person)`.
"""

from __future__ import annotations

from sqlalchemy import and_, or_, select, true

from .models import Decision, Nomination, Organization, Person, User
from .services import scope
from .workflow import Workflow, meaning, workflow, workflows
from .workflow.spec import ByOrganizationLevel, TransitionSpec

# -- seeing ---------------------------------------------------------------------------------------

can_view = scope.can_see_nomination
can_view_person = scope.can_see_person
can_view_organization = scope.can_see_organization
can_see_full_national_id = scope.sees_full_national_id


def can_view_decision(user: User, decision: Decision) -> bool:
    """Approvers and reviewers of the deciding unit or above, and admins."""
    return user.role in ("admin", "approver", "reviewer") and scope.in_unit_scope(user, decision.unit)


# -- persons -------------------------------------------------------------------------------------

def can_register_person(user: User) -> bool:
    """A household account registers its members."""
    return user.role == "household" and user.household is not None


def can_edit_person(user: User, person: Person) -> bool:
    """The person's own household edits their details."""
    return (user.role == "household" and person.household_id is not None
            and person.household_id == user.household_id)


# -- applying -------------------------------------------------------------------------------------

def can_apply_for(user: User, subject: Person | Organization) -> bool:
    """Whether the account files dossiers for the subject (its household, its own organization)."""
    return scope.owns_subject(user, subject)


def is_applicant(user: User, nomination: Nomination) -> bool:
    return scope.owns(user, nomination)


def can_edit(user: User, nomination: Nomination) -> bool:
    """Whether the account may change the self-assessment and evidence now: the applicant, while
    the dossier is in a state its title's submit event leaves."""
    wf = workflow(nomination.title_code)
    return (wf is not None and nomination.state in meaning.editable_states(wf.spec)
            and is_applicant(user, nomination))


# -- workflow events ------------------------------------------------------------------------------

def may_take(user: User, wf: Workflow, t: TransitionSpec, nomination: Nomination) -> bool:
    """Whether one transition's role and tier fit the account (scope is checked before)."""
    if t.role == "applicant":
        return is_applicant(user, nomination)
    if user.role != t.role or user.unit is None:
        return False
    # A title may route the role by the organization's own level (vn-2025, "Đơn vị học tập"
    # from 1/7/2025): the dossier's organization picks the tier.
    return (user.unit.level == wf.tier(t.role, subject=nomination.organization)
            and user.unit.contains(nomination.unit))


def routed_filter(user: User):
    """A WHERE clause for the queues (stage review/decision) of a reviewer or approver: a dossier
    of a title that routes the account's role by the organization's level is listed only when
    its organization's level leads to the account's unit level (the same rule as `may_take`);
    every other dossier is left as its scope lists it."""
    if user.role not in ("reviewer", "approver") or user.unit is None:
        return true()
    clauses = []
    for wf in workflows().values():
        route = wf.route(user.role)
        if not isinstance(route, ByOrganizationLevel):
            continue
        levels = [org for org, tier in route.by_organization_level.items()
                  if tier == user.unit.level]
        clauses.append(or_(Nomination.title_code != wf.code, Nomination.organization_id.in_(
            select(Organization.id).where(Organization.level.in_(levels)))))
    return and_(*clauses) if clauses else true()


def allowed_events(user: User, nomination: Nomination) -> list[str]:
    """Events the account may fire now, guards aside: what the buttons and `allowed_events` show."""
    wf = workflow(nomination.title_code)
    if wf is None or not can_view(user, nomination):
        return []
    # The events the file declares out of the current state — what the state machine built from
    # the same file allows — read from the file, without building a machine per question.
    return [
        event for event in wf.spec.events
        if any(may_take(user, wf, t, nomination) for t in wf.spec.transition(event, nomination.state))
    ]


def allowed_events_among(user: User, nominations) -> dict[int, list[str]]:
    """`allowed_events` for a page's rows (id → events), asked once per kind of row: rows of one
    title, state, unit and organization level that the account sees and owns alike allow the
    same events (what `may_take` and `can_view` read)."""
    memo: dict[tuple, list[str]] = {}
    out = {}
    for n in nominations:
        key = (n.title_code, n.state, n.unit_id,
               n.organization.level if n.organization is not None else None,
               is_applicant(user, n), can_view(user, n))
        if key not in memo:
            memo[key] = allowed_events(user, n)
        out[n.id] = memo[key]
    return out


def can_fire(user: User, nomination: Nomination, event: str) -> bool:
    return event in allowed_events(user, nomination)


def can_score(user: User, nomination: Nomination) -> bool:
    """Whether the account may fire an event that carries the reviewer's scores."""
    wf = workflow(nomination.title_code)
    return wf is not None and any(e in meaning.assessment_events(wf.spec)
                                  for e in allowed_events(user, nomination))


def withdraw_event(user: User, nomination: Nomination) -> str | None:
    """The event by which the applicant withdraws the dossier now, if any."""
    wf = workflow(nomination.title_code)
    if wf is None:
        return None
    allowed = allowed_events(user, nomination)
    return next((e for e in meaning.withdraw_events(wf.spec) if e in allowed), None)


def can_decide(user: User) -> bool:
    """Whether the account issues recognition decisions (an approver of a unit)."""
    return user.role == "approver" and user.unit is not None


def register(app) -> None:
    """Expose the questions to templates, bound to the signed-in account."""
    from flask_login import current_user

    @app.context_processor
    def _policy():
        return {
            "can_edit": lambda n: can_edit(current_user, n),
            "can_fire": lambda n, event: can_fire(current_user, n, event),
            "can_score": lambda n: can_score(current_user, n),
            "withdraw_event": lambda n: withdraw_event(current_user, n),
            "allowed_events": lambda n: allowed_events(current_user, n),
            "can_decide": lambda: can_decide(current_user),
            "can_see_full_national_id": lambda p: can_see_full_national_id(current_user, p),
        }
