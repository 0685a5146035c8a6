"""The shape of a workflow file (workflows/*.yaml), checked when the app starts."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Level = Literal["province", "district", "commune"]
Role = Literal["applicant", "reviewer", "approver"]
# What an event may require before it fires; the engine knows each by name.
Need = Literal["comment", "complete_self_assessment", "complete_assessment", "pass_rule"]
# What firing an event does besides changing state.
Effect = Literal["grant_recognition", "end_recognition", "enter_review_queue"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Localized(Strict):
    vi: str = Field(min_length=1)
    en: str = Field(min_length=1)


class Criterion(Strict):
    code: str = Field(pattern=r"^\d+(\.\d+)*$")
    group: Localized | None = None
    name: Localized
    max_points: int = Field(gt=0)


class PassRule(Strict):
    min_total: int = Field(ge=0)
    min_each: int = Field(default=0, ge=0)


class Grade(Strict):
    code: str = Field(pattern=r"^[a-z_]+$")
    name: Localized
    min_total: int = Field(ge=0)


class Deadline(Strict):
    month: int = Field(ge=1, le=12)
    day: int = Field(ge=1, le=31)
    year_offset: int = Field(default=0, ge=0, le=1)

    @model_validator(mode="after")
    def _a_real_day(self) -> Deadline:
        try:
            date(2000, self.month, self.day)  # a leap year: 29 February may be a deadline
        except ValueError:
            raise ValueError(f"day {self.day} of month {self.month} is not a date") from None
        return self


class Deadlines(Strict):
    """Days counted from the evaluation year. "trước ngày 15/1" is written `submit_before: 15/1`: the
    day before it (the 14th) is the last day on time. `submit_from` is the first day a dossier of
    the year may be submitted (TT 24/2023: once the evaluation year has ended)."""
    submit_from: Deadline | None = None
    submit_before: Deadline | None = None
    approve_before: Deadline | None = None

    @model_validator(mode="after")
    def _in_order(self) -> Deadlines:
        def key(d):
            return (d.year_offset, d.month, d.day)
        days = [(name, getattr(self, name)) for name in ("submit_from", "submit_before",
                                                         "approve_before")]
        days = [(name, d) for name, d in days if d is not None]
        for (first, a), (then, b) in zip(days, days[1:]):
            if key(a) >= key(b):
                raise ValueError(f"{then} must come after {first}")
        return self


class TierProfile(Strict):
    reviewer: Level
    approver: Level


class StateSpec(Strict):
    name: Localized
    initial: bool = False
    final: bool = False
    # A dossier in this state no longer blocks a new one for the same subject, title and year
    # (rejected, withdrawn): the one meaning the events' needs and effects cannot tell.
    frees_subject: bool = False


class TransitionSpec(Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    from_: list[str] = Field(alias="from", min_length=1)
    to: str
    role: Role


class EventSpec(Strict):
    name: Localized
    transitions: list[TransitionSpec] = Field(min_length=1)
    needs: list[Need] = Field(default_factory=list)
    effects: list[Effect] = Field(default_factory=list)


class TitleSpec(Strict):
    code: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    name: Localized
    subject: Literal["person", "organization"]
    sources: list[str] = Field(default_factory=list)
    criteria: list[Criterion] = Field(min_length=1)
    pass_rule: PassRule
    grades: list[Grade] = Field(default_factory=list)
    valid_years: int = Field(ge=1, le=10)
    deadlines: Deadlines | None = None
    targets: dict[int, float] = Field(min_length=1)
    tiers: dict[str, TierProfile] = Field(min_length=1)
    states: dict[str, StateSpec] = Field(min_length=2)
    events: dict[str, EventSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> TitleSpec:
        problems: list[tuple[str, str]] = []
        codes = [c.code for c in self.criteria]
        for i, code in enumerate(codes):
            if code in codes[:i]:
                problems.append((f"criteria[{i}].code", f"criterion {code} is listed twice"))
        most = sum(c.max_points for c in self.criteria)
        if self.pass_rule.min_total > most:
            problems.append(("pass_rule.min_total",
                             f"{self.pass_rule.min_total} is more than the {most} points there are"))
        for c in self.criteria:
            if self.pass_rule.min_each > c.max_points:
                problems.append(("pass_rule.min_each",
                                 f"{self.pass_rule.min_each} is more than criterion {c.code}'s "
                                 f"maximum of {c.max_points}"))
        for i, g in enumerate(self.grades):
            if g.min_total > most:
                problems.append((f"grades[{i}].min_total", f"{g.min_total} is more than {most}"))
        for year, ratio in self.targets.items():
            if not 0 < ratio <= 1:
                problems.append((f"targets.{year}", "a target is a ratio above 0 and at most 1"))
            if not 2000 <= year <= 2100:
                problems.append((f"targets.{year}", "a target year lies between 2000 and 2100"))
        initial = [name for name, s in self.states.items() if s.initial]
        if len(initial) != 1:
            problems.append(("states", f"exactly one state must be initial, found {len(initial)}"))
        for event, spec in self.events.items():
            if "pass_rule" in spec.needs and "complete_assessment" not in spec.needs:
                # The pass rule alone would judge whatever indicators were scored.
                problems.append((f"events.{event}.needs",
                                 "pass_rule needs complete_assessment as well"))
            leads: dict[str, str] = {}  # source state -> the one state this event leads to
            roles: set[tuple[str, str]] = set()
            for i, t in enumerate(spec.transitions):
                for source in t.from_:
                    if source not in self.states:
                        problems.append((f"events.{event}.transitions[{i}].from",
                                         f"unknown state {source!r}"))
                    # The state machine follows one transition per event and state, whoever
                    # fires it: a second target would be unreachable, a second role ambiguous.
                    if leads.setdefault(source, t.to) != t.to:
                        problems.append((f"events.{event}.transitions[{i}].to",
                                         f"{event!r} already leads from {source!r} to "
                                         f"{leads[source]!r}; one event leads out of a state to "
                                         "one state only"))
                    if (source, t.role) in roles:
                        problems.append((f"events.{event}.transitions[{i}].role",
                                         f"the {t.role} may already {event!r} from {source!r}"))
                    roles.add((source, t.role))
                if t.to not in self.states:
                    problems.append((f"events.{event}.transitions[{i}].to",
                                     f"unknown state {t.to!r}"))
        if problems:
            raise ValueError("; ".join(f"{key}: {message}" for key, message in problems))
        return self

    # -- questions the engine and services ask --------------------------------------------------

    @property
    def initial_state(self) -> str:
        return next(name for name, s in self.states.items() if s.initial)

    @property
    def final_states(self) -> list[str]:
        return [name for name, s in self.states.items() if s.final]

    @property
    def max_total(self) -> int:
        return sum(c.max_points for c in self.criteria)

    def transition(self, event: str, source: str) -> list[TransitionSpec]:
        """The transitions `event` offers out of `source` (one per role that may fire it)."""
        spec = self.events.get(event)
        if spec is None:
            return []
        return [t for t in spec.transitions if source in t.from_]

    def target_for(self, year: int) -> tuple[float | None, int | None]:
        """The target for the first target year at or after `year`; past the last, the last."""
        years = sorted(self.targets)
        for y in years:
            if y >= year:
                return self.targets[y], y
        return self.targets[years[-1]], years[-1]
