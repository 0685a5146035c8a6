"""Loads workflows/*.yaml, validates each file and builds its python-statemachine class."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import reduce
from pathlib import Path

import yaml
from pydantic import ValidationError
from statemachine import Event, State, StateMachine
from statemachine.exceptions import InvalidDefinition

from .spec import UNION_TAGS, RuleVersion, TitleSpec, route_level, route_levels, tiers_on


class WorkflowError(Exception):
    """A workflow file is wrong; the message names the file and the key."""

    def __init__(self, path: Path | str, key: str, message: str):
        self.path, self.key, self.message = str(path), key, message
        super().__init__(f"{path}: {key}: {message}")


@dataclass(frozen=True)
class Workflow:
    """One title's dated rule versions with the tier profile in force, and its state machine."""

    spec: TitleSpec
    profile_name: str
    machine_class: type[StateMachine]
    path: str

    @property
    def code(self) -> str:
        return self.spec.code

    def rules_on(self, day: date | None = None) -> RuleVersion:
        """The version in force on `day` (default today); before the first, the first."""
        if day is None:
            from .. import clock
            day = clock.today()
        return self.spec.version_on(day) or self.spec.versions[0]

    def rules_for_year(self, year: int) -> RuleVersion | None:
        """The version a dossier of evaluation year `year` is judged by (31 December)."""
        return self.spec.version_for_year(year)

    def rules(self, nomination) -> RuleVersion:
        """The version a nomination is judged by: the one recorded on it when it was created."""
        found = self.spec.version(getattr(nomination, "rule_version", None))
        if found is None:
            found = self.rules_for_year(nomination.year) or self.spec.versions[0]
        return found

    def route(self, role: str, on: date | None = None):
        """Who acts for `role` on `on` (default today) under the version then in force: a unit
        level, a route by the organization's level (spec.ByOrganizationLevel), or None."""
        if on is None:
            from .. import clock
            on = clock.today()
        return getattr(tiers_on(self.rules_on(on).tiers[self.profile_name], on), role, None)

    def tier(self, role: str, on: date | None = None, subject=None) -> str | None:
        """The unit level an account of `role` must hold to act on `on` (default today) under the
        version then in force (None: ownership decides). Where the file routes the role by the
        organization's level, `subject` (the dossier's organization) picks it; without one, None
        (see `tier_levels` for every level it may be)."""
        return route_level(self.route(role, on), getattr(subject, "level", None))

    def tier_levels(self, role: str, on: date | None = None) -> list[str]:
        """Every unit level whose accounts may act as `role` on `on`, from the lowest up: one,
        or each a route by the organization's level leads to."""
        return route_levels(self.route(role, on))

    def machine(self, nomination) -> StateMachine:
        """The state machine bound to a nomination row; it reads and writes `nomination.state`."""
        return self.machine_class(model=nomination, state_field="state")


def build_machine(spec: TitleSpec) -> type[StateMachine]:
    states = {
        name: State(s.name.vi, value=name, initial=s.initial, final=s.final)
        for name, s in spec.states.items()
    }
    attrs: dict[str, object] = dict(states)
    for event, e in spec.events.items():
        transitions = [
            states[source].to(states[t.to])
            for t in e.transitions
            for source in t.from_
        ]
        # Keyed by a safe attribute name: "return" is a Python keyword but a fine event id.
        attrs[f"event_{event}"] = Event(reduce(lambda a, b: a | b, transitions), id=event,
                                        name=e.name.vi)
    class_name = "".join(part.capitalize() for part in spec.code.split("-")) + "Machine"
    return type(class_name, (StateMachine,), attrs)


def load_file(path: Path, profile: str) -> Workflow:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "(file)"
        raise WorkflowError(path, where, f"not valid YAML: {getattr(exc, 'problem', exc)}") from exc
    except OSError as exc:
        raise WorkflowError(path, "(file)", str(exc)) from exc
    if not isinstance(data, dict):
        raise WorkflowError(path, "(file)", "the file must hold a mapping of keys")
    try:
        spec = TitleSpec.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        # Union tags and pydantic's "[key]" (a mapping's key was wrong) name no key of the file.
        key = ".".join(str(part) for part in first["loc"]
                       if part not in UNION_TAGS and part != "[key]") or "(top level)"
        message = first["msg"]
        if first["type"] == "value_error":
            # Our own consistency checks carry "key: message" in the text.
            text = str(first.get("ctx", {}).get("error", message))
            inner, sep, rest = text.partition(": ")
            if sep and " " not in inner:
                key, message = (f"{key}.{inner}" if first["loc"] else inner), rest
            else:
                message = text
        raise WorkflowError(path, key, message) from exc
    if path.stem != spec.code:
        raise WorkflowError(path, "code", f"{spec.code!r} must match the file name {path.stem!r}")
    for i, version in enumerate(spec.versions):
        if profile not in version.tiers:
            raise WorkflowError(path, f"versions[{i}].tiers.{profile}",
                                f"the tier profile {profile!r} in force (CERTIFY_PROFILE) is not "
                                f"defined in version {version.id!r}")
    try:
        machine = build_machine(spec)
    except InvalidDefinition as exc:
        raise WorkflowError(path, "states", str(exc)) from exc
    return Workflow(spec=spec, profile_name=profile, machine_class=machine, path=str(path))


def load_all(folder: str | Path, profile: str) -> dict[str, Workflow]:
    folder = Path(folder)
    files = sorted(folder.glob("*.yaml"))
    if not files:
        raise WorkflowError(folder, "(folder)", "no workflow files (*.yaml) found")
    workflows = {}
    for path in files:
        wf = load_file(path, profile)
        workflows[wf.code] = wf
    return workflows
