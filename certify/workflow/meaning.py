"""What a title's states and events *mean*, read from its workflow file.

Pages, services, the API and templates never name a state or an event: they ask here. Each answer
follows from the events' `needs` and `effects`, the transitions' roles and the states' flags, so a
workflow file may call its states and events whatever it likes:

- the applicant's *submit* events are those that put the dossier in the review queue
  (effect `enter_review_queue`); the states they leave are those the applicant may edit, the
  states they lead to are the review queue;
- the *grant* events are those that recognise the title (effect `grant_recognition`); the states
  they leave await a decision, those they lead to hold the title;
- an event *needs a comment* or *scores the dossier* when its `needs` say so;
- a state *frees the subject* (a new dossier may be started for the same subject, title and year)
  when the file flags it `frees_subject: true`.
"""

from __future__ import annotations

from .spec import TitleSpec


def events_with_effect(spec: TitleSpec, effect: str) -> list[str]:
    return [name for name, e in spec.events.items() if effect in e.effects]


def events_needing(spec: TitleSpec, need: str) -> list[str]:
    return [name for name, e in spec.events.items() if need in e.needs]


def _sources(spec: TitleSpec, events: list[str], role: str | None = None) -> list[str]:
    found = {s for e in events for t in spec.events[e].transitions
             if role is None or t.role == role for s in t.from_}
    return [name for name in spec.states if name in found]


def _targets(spec: TitleSpec, events: list[str]) -> list[str]:
    found = {t.to for e in events for t in spec.events[e].transitions}
    return [name for name in spec.states if name in found]


# -- events ---------------------------------------------------------------------------------------

def submit_events(spec: TitleSpec) -> list[str]:
    """The events that put a dossier in the review queue."""
    return events_with_effect(spec, "enter_review_queue")


def submit_event(spec: TitleSpec) -> str | None:
    """The applicant's event that submits a dossier (the first, if a file declares several)."""
    return next((e for e in submit_events(spec)
                 if any(t.role == "applicant" for t in spec.events[e].transitions)), None)


def grant_events(spec: TitleSpec) -> list[str]:
    """The events that recognise the title (by a decision)."""
    return events_with_effect(spec, "grant_recognition")


def grant_event(spec: TitleSpec) -> str | None:
    return next(iter(grant_events(spec)), None)


def comment_events(spec: TitleSpec) -> list[str]:
    """The events that need a comment (returning, refusing, revoking)."""
    return events_needing(spec, "comment")


def assessment_events(spec: TitleSpec) -> list[str]:
    """The events that carry the reviewer's scores for every criterion."""
    return events_needing(spec, "complete_assessment")


def withdraw_events(spec: TitleSpec) -> list[str]:
    """The applicant's events that end the dossier and free its subject for a new one."""
    freeing = set(freeing_states(spec))
    return [name for name, e in spec.events.items()
            if any(t.role == "applicant" for t in e.transitions)
            and all(t.to in freeing for t in e.transitions if t.role == "applicant")
            and name not in submit_events(spec)]


def leaves_queue(spec: TitleSpec, event: str) -> bool:
    """Whether the event takes a dossier out of the review queue (its reviewer moves on)."""
    queue = set(queue_states(spec))
    return event in spec.events and any(
        source in queue for t in spec.events[event].transitions for source in t.from_)


def irreversible_events(spec: TitleSpec) -> list[str]:
    """The events that cannot be undone, which pages confirm before firing: those whose every
    way leads into a final state (withdraw, refuse, revoke) and those that recognise the title
    (a recognition is ended only by another event, never taken back)."""
    granting = set(grant_events(spec))
    return [name for name, e in spec.events.items()
            if name in granting
            or (e.transitions and all(spec.states[t.to].final for t in e.transitions))]


def is_irreversible(spec: TitleSpec, event: str) -> bool:
    return event in irreversible_events(spec)


def event_tone(spec: TitleSpec, event: str) -> str:
    """How a button for the event looks: "danger" when every way it goes ends the dossier,
    "secondary" when it sends the dossier back with a comment, "" otherwise."""
    e = spec.events.get(event)
    if e is None:
        return ""
    if all(spec.states[t.to].final for t in e.transitions):
        return "danger"
    return "secondary" if "comment" in e.needs else ""


# -- states ---------------------------------------------------------------------------------------

def editable_states(spec: TitleSpec) -> list[str]:
    """States in which the applicant edits the self-assessment and evidence: those the submit
    events leave."""
    return _sources(spec, submit_events(spec), role="applicant")


def queue_states(spec: TitleSpec) -> list[str]:
    """The review queue: the states the submit events lead to."""
    return _targets(spec, submit_events(spec))


def awaiting_decision_states(spec: TitleSpec) -> list[str]:
    """States from which a decision may recognise the title."""
    return _sources(spec, grant_events(spec))


def granted_states(spec: TitleSpec) -> list[str]:
    """States of a recognised dossier."""
    return _targets(spec, grant_events(spec))


def freeing_states(spec: TitleSpec) -> list[str]:
    """States in which a dossier no longer blocks a new one (flagged `frees_subject`)."""
    return [name for name, s in spec.states.items() if s.frees_subject]


def returned_states(spec: TitleSpec) -> list[str]:
    """States the reviewer sends a dossier back to for changes: editable, but not the first."""
    return [s for s in editable_states(spec) if s != spec.initial_state]


def is_open(spec: TitleSpec, state: str) -> bool:
    """Whether a dossier in `state` blocks another for its subject, title and year."""
    return state not in freeing_states(spec)


def state_tone(spec: TitleSpec, state: str) -> str:
    """A word for the colour of a state's badge (CSS class `state-<tone>`)."""
    if state in queue_states(spec):
        return "waiting"
    if state in returned_states(spec):
        return "changes"
    if state in awaiting_decision_states(spec):
        return "ready"
    if state in granted_states(spec):
        return "granted"
    spec_state = spec.states.get(state)
    if spec_state is not None and spec_state.final and any(
            t.to == state and t.role != "applicant"
            for e in spec.events.values() for t in e.transitions):
        return "ended"
    return "plain"


# -- the procedure as a whole ---------------------------------------------------------------------

def _reviewer_events_from_queue(spec: TitleSpec, into: list[str]) -> list[str]:
    queue, into = set(queue_states(spec)), set(into)
    return [name for name, e in spec.events.items()
            if any(t.role == "reviewer" and t.to in into and queue & set(t.from_)
                   for t in e.transitions)]


def send_back_events(spec: TitleSpec) -> list[str]:
    """The reviewer's events that return a dossier in the queue to its applicant for changes."""
    return _reviewer_events_from_queue(spec, returned_states(spec))


def refuse_events(spec: TitleSpec) -> list[str]:
    """The reviewer's events that refuse a dossier in the queue (its subject is free again)."""
    return _reviewer_events_from_queue(spec, freeing_states(spec))


def refused_states(spec: TitleSpec) -> list[str]:
    """Where the reviewer's refusal leaves a dossier ("Không công nhận")."""
    return _targets(spec, refuse_events(spec))


def procedure(spec: TitleSpec) -> dict[str, str | None]:
    """The title's event for each step of the shared procedure, by meaning: "submit", "withdraw",
    "send_back", "score" (verify with the reviewer's scores), "refuse", "grant", "end" (revoke)."""
    def first(events):
        return next(iter(events), None)

    return {"submit": submit_event(spec), "withdraw": first(withdraw_events(spec)),
            "send_back": first(send_back_events(spec)), "score": first(assessment_events(spec)),
            "refuse": first(refuse_events(spec)), "grant": grant_event(spec),
            "end": first(events_with_effect(spec, "end_recognition"))}
