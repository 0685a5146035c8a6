"""The shape of a workflow file (workflows/*.yaml), checked when the app starts."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator

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


class Computed(Strict):
    """A target the product fills from its records: the share of the organization's members on
    31 December of the evaluation year holding the title `share_of` (certify.services.members)."""
    share_of: str = Field(pattern=r"^[a-z][a-z0-9-]*$")


class Criterion(Strict):
    """A criterion of one rule version: scored in points (`kind: points`, 0..max_points) or a
    target met or not met (`kind: target`); a `computed` target is filled by the product from its
    records, never by a person."""
    code: str = Field(pattern=r"^\d+(\.\d+)*$")
    group: Localized | None = None
    name: Localized
    kind: Literal["points", "target"] = "points"
    max_points: int | None = Field(default=None, gt=0)
    computed: Computed | None = None

    @model_validator(mode="after")
    def _kind_fits(self) -> Criterion:
        if self.kind == "points" and self.max_points is None:
            raise ValueError("max_points: Field required for a points criterion")
        if self.kind == "target" and self.max_points is not None:
            raise ValueError("max_points: a target is met or not met, it has no points")
        if self.kind == "points" and self.computed is not None:
            raise ValueError("computed: only a target criterion is computed")
        return self


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


class ShareThreshold(Strict):
    """The least share of members holding the title; `learners` applies instead to a school,
    taken to be an organization with learners on 31 December (an assumption, see the file)."""
    members: float = Field(gt=0, le=1)
    learners: float | None = Field(default=None, gt=0, le=1)


class PriorLevel(Strict):
    """A level open only to a subject recognised at `level` at least `years` before."""
    level: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    years: int = Field(ge=1, le=10)


class LevelSpec(Strict):
    """A level of recognition (TT 24/2023: mức độ 1, mức độ 2), reached when every target is met
    and every computed share reaches its threshold for the level."""
    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: Localized
    min_share: dict[str, ShareThreshold] = Field(default_factory=dict)
    after: PriorLevel | None = None


class Validity(Strict):
    """How long a recognition lasts: `years` from the decision date, or (TT 24/2023, "the 3 years
    following the year of recognition") through 31 December of the decision's year + `years`."""
    years: int = Field(ge=1, le=10)
    counted_from: Literal["decision_date", "end_of_decision_year"] = "decision_date"


class Document(Strict):
    """A document the dossier carries besides the per-criterion evidence (TT 24/2023: Tờ trình,
    Báo cáo tự đánh giá, Bản tổng hợp kết quả); `required` ones must be attached to submit."""
    # Stored as the evidence file's slot (certify.models.EvidenceFile.criterion, 16 characters).
    code: str = Field(pattern=r"^[a-z][a-z0-9-]*$", max_length=16)
    name: Localized
    required: bool = True


LEVELS_ORDER: tuple[str, ...] = ("commune", "district", "province")  # from the lowest up


class ByOrganizationLevel(Strict):
    """A role routed by the organization's own level (Organization.level): each of the three
    levels an organization may carry → the unit level whose accounts act on its dossier. Only for
    a title whose subject is an organization ("Đơn vị học tập" under vn-2025 from 1/7/2025)."""
    by_organization_level: dict[Level, Level]

    @model_validator(mode="after")
    def _every_level(self) -> ByOrganizationLevel:
        missing = [lv for lv in LEVELS_ORDER if lv not in self.by_organization_level]
        if missing:
            raise ValueError("by_organization_level: every organization level needs a tier; "
                             f"missing: {', '.join(missing)}")
        return self

    def levels(self) -> list[str]:
        """The unit levels this route may lead to, from the lowest up."""
        found = set(self.by_organization_level.values())
        return [lv for lv in LEVELS_ORDER if lv in found]


# Who acts for a role: one unit level, or a route by the organization's level. The tags only pick
# the shape; the loader leaves them out of the key it names (UNION_TAGS).
ROUTE_TAGS = ("tier-level", "tier-by-organization-level")
Route = Annotated[
    Annotated[Level, Tag(ROUTE_TAGS[0])] | Annotated[ByOrganizationLevel, Tag(ROUTE_TAGS[1])],
    Discriminator(lambda v: ROUTE_TAGS[1] if isinstance(v, (dict, ByOrganizationLevel))
                  else ROUTE_TAGS[0])]


def route_levels(route) -> list[str]:
    """Every unit level a role's route may lead to (one for a plain level)."""
    if route is None:
        return []
    return route.levels() if isinstance(route, ByOrganizationLevel) else [route]


def route_level(route, organization_level: str | None) -> str | None:
    """The unit level a route leads to for a subject of `organization_level` (None: a person, or
    an organization without a level — then a route by level leads nowhere)."""
    if isinstance(route, ByOrganizationLevel):
        return route.by_organization_level.get(organization_level) if organization_level else None
    return route


class TierProfile(Strict):
    reviewer: Route
    approver: Route


class DatedTiers(TierProfile):
    """One entry of a dated profile: the tiers in force from `from` until the next entry's day
    (before the first entry's day, the first entry)."""
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    from_: date = Field(alias="from")


# A profile's tiers: one mapping for the whole version, or a list of dated entries in day order
# (e.g. `vn-2025`: three tiers until 30 June 2025, two from 1 July 2025).
# The tags only pick the shape; the loader leaves them out of the key it names (UNION_TAGS).
UNION_TAGS = ("tiers-mapping", "tiers-dated") + ROUTE_TAGS
Tiers = Annotated[
    Annotated[TierProfile, Tag(UNION_TAGS[0])] | Annotated[list[DatedTiers], Tag(UNION_TAGS[1])],
    Discriminator(lambda v: UNION_TAGS[1] if isinstance(v, list) else UNION_TAGS[0])]


def tiers_on(tiers: Tiers, day: date) -> TierProfile:
    """The tiers of one profile in force on `day`."""
    if isinstance(tiers, TierProfile):
        return tiers
    found = tiers[0]
    for entry in tiers:
        if entry.from_ <= day:
            found = entry
    return found


def tier_entries(tiers: Tiers) -> list[tuple[str, TierProfile]]:
    """Each entry of a profile with its key under the profile (`""` or `[i]`)."""
    if isinstance(tiers, TierProfile):
        return [("", tiers)]
    return [(f"[{i}]", entry) for i, entry in enumerate(tiers)]


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


class RuleVersion(Strict):
    """The rules of a title in force from `in_force_from` until the next version's day."""
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=32)
    in_force_from: date
    source: str = Field(min_length=1)
    criteria: list[Criterion] = Field(min_length=1)
    pass_rule: PassRule | None = None
    levels: list[LevelSpec] = Field(default_factory=list)
    grades: list[Grade] = Field(default_factory=list)
    valid: Validity
    deadlines: Deadlines | None = None
    tiers: dict[str, Tiers] = Field(min_length=1)
    documents: list[Document] = Field(default_factory=list)

    @property
    def max_total(self) -> int:
        return sum(c.max_points or 0 for c in self.criteria)

    @property
    def by_levels(self) -> bool:
        """Judged by levels of met targets (TT 24/2023) rather than by points."""
        return bool(self.levels)

    @property
    def computed_criteria(self) -> list[Criterion]:
        return [c for c in self.criteria if c.computed is not None]

    @property
    def assessed_criteria(self) -> list[Criterion]:
        """The criteria a person assesses (computed targets are filled by the product)."""
        return [c for c in self.criteria if c.computed is None]

    def level(self, code: str | None) -> LevelSpec | None:
        return next((lv for lv in self.levels if lv.code == code), None)

    def grade(self, code: str | None) -> Grade | None:
        return next((g for g in self.grades if g.code == code), None)

    def problems(self, at: str) -> list[tuple[str, str]]:
        """What is inconsistent within this version, each with its key under `at`."""
        problems: list[tuple[str, str]] = []
        codes = [c.code for c in self.criteria]
        for i, code in enumerate(codes):
            if code in codes[:i]:
                problems.append((f"{at}criteria[{i}].code", f"criterion {code} is listed twice"))
        if (self.pass_rule is None) == (not self.levels):
            problems.append((f"{at}pass_rule", "a version has either a pass_rule (points) or "
                                               "levels (targets), not both and not neither"))
        kind = "points" if self.pass_rule is not None else "target"
        for i, c in enumerate(self.criteria):
            if c.kind != kind:
                problems.append((f"{at}criteria[{i}].kind",
                                 f"criterion {c.code} is a {c.kind} criterion; this version's "
                                 f"{'pass_rule' if kind == 'points' else 'levels'} judge(s) "
                                 f"{kind} criteria only"))
        most = self.max_total
        if self.pass_rule is not None:
            if self.pass_rule.min_total > most:
                problems.append((f"{at}pass_rule.min_total",
                                 f"{self.pass_rule.min_total} is more than the {most} points "
                                 "there are"))
            for c in self.criteria:
                if c.max_points is not None and self.pass_rule.min_each > c.max_points:
                    problems.append((f"{at}pass_rule.min_each",
                                     f"{self.pass_rule.min_each} is more than criterion "
                                     f"{c.code}'s maximum of {c.max_points}"))
        elif self.grades:
            problems.append((f"{at}grades", "grades go with points (a pass_rule), not levels"))
        for i, g in enumerate(self.grades):
            if g.min_total > most:
                problems.append((f"{at}grades[{i}].min_total", f"{g.min_total} is more than {most}"))
        computed = {c.code for c in self.computed_criteria}
        seen: list[str] = []
        for i, lv in enumerate(self.levels):
            if lv.code in seen:
                problems.append((f"{at}levels[{i}].code", f"level {lv.code} is listed twice"))
            for code in lv.min_share:
                if code not in computed:
                    problems.append((f"{at}levels[{i}].min_share.{code}",
                                     f"{code} is not a computed criterion of this version"))
            for code in sorted(computed - set(lv.min_share)):
                problems.append((f"{at}levels[{i}].min_share",
                                 f"no threshold for the computed criterion {code}"))
            if lv.after is not None and lv.after.level not in seen:
                problems.append((f"{at}levels[{i}].after.level",
                                 f"{lv.after.level!r} is not a level listed before {lv.code!r}"))
            seen.append(lv.code)
        names = [d.code for d in self.documents]
        for i, code in enumerate(names):
            if code in names[:i]:
                problems.append((f"{at}documents[{i}].code", f"document {code} is listed twice"))
        for name, tiers in self.tiers.items():
            if isinstance(tiers, TierProfile):
                continue
            if not tiers:
                problems.append((f"{at}tiers.{name}", "a dated profile lists at least one entry"))
            for i in range(1, len(tiers)):
                if tiers[i].from_ <= tiers[i - 1].from_:
                    problems.append((f"{at}tiers.{name}[{i}].from",
                                     f"{tiers[i].from_} must come after the entry before it "
                                     f"({tiers[i - 1].from_})"))
        return problems


class TitleSpec(Strict):
    code: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    name: Localized
    subject: Literal["person", "organization"]
    sources: list[str] = Field(default_factory=list)
    versions: list[RuleVersion] = Field(min_length=1)
    targets: dict[int, float] = Field(min_length=1)
    # Which text sets each target year's figure (shown beside the target on the dashboard).
    target_sources: dict[int, str] = Field(default_factory=dict)
    # What the denominator counts ("dân số từ 15 tuổi"), named on the dashboard and the report.
    denominator: Localized | None = None
    states: dict[str, StateSpec] = Field(min_length=2)
    events: dict[str, EventSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> TitleSpec:
        problems: list[tuple[str, str]] = []
        for i, v in enumerate(self.versions):
            at = f"versions[{i}]."
            if v.id in [w.id for w in self.versions[:i]]:
                problems.append((f"{at}id", f"version {v.id!r} is listed twice"))
            if i and v.in_force_from == self.versions[i - 1].in_force_from:
                problems.append((f"{at}in_force_from",
                                 f"{v.in_force_from} overlaps version "
                                 f"{self.versions[i - 1].id!r}, in force from the same day"))
            elif i and v.in_force_from < self.versions[i - 1].in_force_from:
                problems.append((f"{at}in_force_from",
                                 f"{v.in_force_from} is before {self.versions[i - 1].in_force_from}"
                                 f" of version {self.versions[i - 1].id!r}: versions are listed "
                                 "oldest first"))
            problems += v.problems(at)
        for year, ratio in self.targets.items():
            if not 0 < ratio <= 1:
                problems.append((f"targets.{year}", "a target is a ratio above 0 and at most 1"))
            if not 2000 <= year <= 2100:
                problems.append((f"targets.{year}", "a target year lies between 2000 and 2100"))
        for year in self.target_sources:
            if year not in self.targets:
                problems.append((f"target_sources.{year}", f"{year} is not a target year"))
        if self.subject != "organization":
            # Routing by the organization's level needs an organization to read it from.
            for i, v in enumerate(self.versions):
                for name, tiers in v.tiers.items():
                    for at, entry in tier_entries(tiers):
                        for role in ("reviewer", "approver"):
                            if isinstance(getattr(entry, role), ByOrganizationLevel):
                                problems.append((
                                    f"versions[{i}].tiers.{name}{at}.{role}",
                                    "by_organization_level routes only a title whose subject "
                                    "is an organization"))
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

    def version_on(self, day: date) -> RuleVersion | None:
        """The version in force on `day` (None before the first)."""
        found = None
        for v in self.versions:
            if v.in_force_from <= day:
                found = v
        return found

    def version_for_year(self, year: int) -> RuleVersion | None:
        """The version a dossier of evaluation year `year` is judged by: the one in force on 31
        December of that year."""
        return self.version_on(date(year, 12, 31))

    def version(self, version_id: str | None) -> RuleVersion | None:
        return next((v for v in self.versions if v.id == version_id), None)

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

    def target_source(self, year: int | None) -> str | None:
        return self.target_sources.get(year) if year is not None else None
