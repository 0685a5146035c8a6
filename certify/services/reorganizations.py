"""A reorganisation of administrative units as one reviewed change (issue 8, item 2).

A reorganisation file (YAML, or the same shape as JSON from the API) names the day it takes effect,
the text that decided it, and the new units, each with the units it replaces (`from`):

    effective: 2025-07-01
    source: "NQ 1686/NQ-UBTVQH15, 16/6/2025"
    units:
      - {code: "14812", name: Phường Bỉm Sơn, level: commune, parent_code: "38",
         from: ["14812", "14815", "14821", "381"]}
    assign:            # only for a unit split between several new units
      "14812": {organizations: ["Trường THPT Bỉm Sơn"], households: [12], accounts: [xet-bim-son]}

A unit named in the `from` of exactly one new unit is taken over whole (a merge, or a rename when
it is the new unit's only predecessor): everything of it moves there. A unit named in the `from` of
several new units is split: each of its own households, organizations, persons without a household
and accounts (other than household and organization accounts, which follow their household or
organization) must be assigned to one of them under `assign`, by id, or by name (organizations,
households), national id (persons) or username (accounts); while anything is left unassigned the
change is refused (422 listing it). A household's persons follow it.

`plan(data)` says what would move; `apply(data, actor)` does it in one transaction: old units end
on the day before `effective`, new units start on it (so a code may be reused), successions are
recorded, households, organizations, persons, accounts and open dossiers move; each moved dossier
(in progress: not in a granted nor a final state; see
`in_progress`) keeps its state and queue place (`submitted_at`), gets a history entry naming the change (event
`reorganize`, from_state = to_state) and a new `version`, so a reviewer holding the old version
gets 409 `stale`. Decided dossiers, recognitions and decisions stay where they were decided.

Denominators: a new unit gets, for each year from the effective year on, the sum of its
predecessors' figures for a title when every predecessor taken over whole has one and no split
predecessor has one (`carried` in the plan); a figure of a split unit cannot be divided by the
product, so that title and year is left for the admin to enter (`to_enter` in the plan).

Applying a file already applied (its new units exist from `effective` with their successions) changes
nothing and says so (`already_applied`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from sqlalchemy import and_, false, func, insert, or_, select, update

from ..database import writes
from ..errors import Invalid
from ..extensions import db
from ..models import (Denominator, Household, HistoryEntry, Nomination, Organization, Person,
                      Succession, Unit, User)
from ..models.types import utcnow
from . import audit_trail, progress
from . import units as unit_service
from ..workflow import meaning, workflows
from .validate import Longest

# The history event of a dossier moved by a reorganisation (not a workflow event: its state stays).
REORGANIZE = "reorganize"
# At most this many households, persons, ... are listed per unit in a plan (all are counted).
LISTED = 200
# Ids per UPDATE ... WHERE id IN (...) (below SQLite's and PostgreSQL's parameter limits).
CHUNK = 900


def in_progress():
    """The SQL condition: a dossier not yet decided — neither in a state that holds the title
    (granted) nor in a final one (rejected, withdrawn, revoked): it moves with its subject."""
    terms, states = [], set()
    for code, wf in workflows().items():
        decided = set(meaning.granted_states(wf.spec)) | set(wf.spec.final_states)
        undecided = [s for s in wf.spec.states if s not in decided]
        states.update(undecided)
        terms.append(and_(Nomination.title_code == code, Nomination.state.in_(undecided)))
    # The plain `state IN (...)` (implied by the terms) lets both databases search the queue
    # index (unit_id, state) instead of reading every decided dossier of the units.
    return and_(Nomination.state.in_(sorted(states)), or_(*terms)) if terms else false()


def _text(value: Any) -> Any:
    """YAML reads 14812 as a number: codes and names are text."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


Code = Annotated[str, BeforeValidator(_text), Field(min_length=1, max_length=Longest.UNIT_CODE)]
# An id (a number), or a name / national id / username (text, kept as text: "0381…" is a national
# id, not the number 381…).
Ref = Annotated[int | str, Field(union_mode="smart")]


class NewUnit(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    code: Code
    name: Annotated[str, Field(min_length=1, max_length=Longest.UNIT_NAME)]
    level: Literal["province", "district", "commune"]
    parent_code: Code | None = None
    replaces: list[Code] = Field(default_factory=list, alias="from",
                                 description="codes of the units it replaces, as on the day before "
                                             "`effective`")


class Assignment(BaseModel):
    """What of a split unit goes to one new unit."""

    model_config = ConfigDict(extra="forbid")

    households: list[Ref] = Field(default_factory=list, description="household ids or names")
    organizations: list[Ref] = Field(default_factory=list,
                                     description="organization ids or names")
    persons: list[Ref] = Field(default_factory=list,
                               description="ids or national ids of persons without a household")
    accounts: list[Annotated[str, Field(max_length=Longest.USERNAME)]] = Field(
        default_factory=list, description="usernames of the split unit's staff accounts")


class Reorganization(BaseModel):
    model_config = ConfigDict(extra="forbid")

    effective: date
    source: Annotated[str, Field(min_length=1, max_length=Longest.SUCCESSION_SOURCE)]
    units: list[NewUnit] = Field(min_length=1)
    assign: dict[Code, Assignment] = Field(
        default_factory=dict, description="new unit code → what of a split unit goes there")


def parse(data: Any) -> Reorganization:
    """`data` (a mapping, or YAML/JSON text) as a Reorganization; 422 naming each bad key."""
    if isinstance(data, Reorganization):
        return data
    if isinstance(data, (str, bytes)):
        try:
            data = yaml.safe_load(data)
        except yaml.YAMLError as exc:
            raise Invalid("The reorganisation file is not valid YAML.", [{
                "field": "(file)", "code": "yaml", "message": str(exc)[:500]}]) from None
    try:
        return Reorganization.model_validate(data)
    except ValidationError as exc:
        raise Invalid("The reorganisation file has errors.", [
            _reason(e) for e in exc.errors(include_url=False, include_input=False)]) from None


# pydantic's error types → the codes every service uses (certify/messages.py words them).
_CODES = {"missing": "required", "too_short": "required", "string_too_short": "required",
          "extra_forbidden": "unknown_key", "literal_error": "not_allowed",
          "string_too_long": "too_long", "model_type": "not_allowed", "dict_type": "not_allowed",
          "list_type": "not_allowed", "string_type": "not_allowed"}


def _reason(error: dict) -> dict:
    field_ = ".".join(str(p) for p in error["loc"]) or "(file)"
    code = "date_parsing" if error["type"].startswith("date") else _CODES.get(error["type"],
                                                                              error["type"])
    item = {"field": field_, "code": code, "message": f"{field_}: {error['msg']}"}
    if code == "too_long":
        item["max_length"] = (error.get("ctx") or {}).get("max_length")
    return item


@dataclass
class Moves:
    """What moves to one new unit: counts, and the first LISTED of each kind."""

    households: list[dict] = field(default_factory=list)
    organizations: list[dict] = field(default_factory=list)
    persons: list[dict] = field(default_factory=list)
    accounts: list[dict] = field(default_factory=list)
    open_dossiers: list[dict] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, kind: str, items: list[dict], count: int | None = None) -> None:
        listed = getattr(self, kind)
        listed.extend(items[:max(0, LISTED - len(listed))])
        self.counts[kind] += len(items) if count is None else count


@dataclass
class UnitPlan:
    code: str
    name: str
    level: str
    parent_code: str | None
    replaces: list[dict]  # {"code", "name", "kind"}
    moves: Moves = field(default_factory=Moves)
    carried: list[dict] = field(default_factory=list)  # {"title_code", "year", "value"}
    to_enter: list[dict] = field(default_factory=list)  # {"title_code", "year"}

    def as_dict(self) -> dict:
        m = self.moves
        return {"code": self.code, "name": self.name, "level": self.level,
                "parent_code": self.parent_code, "from": self.replaces,
                "counts": {k: m.counts.get(k, 0) for k in
                           ("households", "organizations", "persons", "accounts",
                            "open_dossiers")},
                "households": m.households, "organizations": m.organizations,
                "persons": m.persons, "accounts": m.accounts, "open_dossiers": m.open_dossiers,
                "denominators": {"carried": self.carried, "to_enter": self.to_enter}}


@dataclass
class Plan:
    effective: date
    source: str
    units: list[UnitPlan]
    ending: list[dict]  # {"code", "name", "level"} of the units that end on the day before
    unassigned: list[dict] = field(default_factory=list)
    already_applied: bool = False
    applied: bool = False

    def as_dict(self) -> dict:
        return {"effective": self.effective.isoformat(), "source": self.source,
                "last_day_of_old_units": (self.effective - timedelta(days=1)).isoformat(),
                "already_applied": self.already_applied, "applied": self.applied,
                "ending": self.ending, "units": [u.as_dict() for u in self.units],
                "unassigned": self.unassigned}


@dataclass
class _Resolved:
    """The file checked against the database: old units and where their rows go."""

    data: Reorganization
    olds: dict[int, Unit]  # id → unit ending on the day before
    whole: dict[int, int]  # old unit id → index of the new unit that takes it over whole
    split: dict[int, list[int]]  # old unit id → indexes of the new units sharing it
    households: dict[int, int] = field(default_factory=dict)  # split household id → new index
    organizations: dict[int, int] = field(default_factory=dict)
    persons: dict[int, int] = field(default_factory=dict)
    accounts: dict[int, int] = field(default_factory=dict)
    unassigned: list[dict] = field(default_factory=list)


def _already_applied(data: Reorganization) -> bool:
    """Whether every new unit exists from `effective` with its successions recorded."""
    before = data.effective - timedelta(days=1)
    for new in data.units:
        unit = unit_service.find(new.code, data.effective)
        if unit is None or unit.valid_from != data.effective:
            return False
        linked = set(db.session.scalars(
            select(Unit.code).join(Succession, Succession.predecessor_id == Unit.id)
            .where(Succession.successor_id == unit.id, Succession.effective == data.effective)))
        if not set(new.replaces) <= linked:
            return False
        if any(unit_service.find(code, before) is None for code in new.replaces):
            return False
    return True


def _resolve(data: Reorganization) -> _Resolved:
    """Check the file against the units on the day before; 422 listing every problem."""
    before = data.effective - timedelta(days=1)
    problems: list[dict] = []

    def problem(where: str, code: str, message: str, **extra) -> None:
        problems.append({"field": where, "code": code, "message": message, **extra})

    olds: dict[int, Unit] = {}
    users_of: dict[int, list[int]] = defaultdict(list)
    codes = [u.code for u in data.units]
    for i, new in enumerate(data.units):
        if codes.count(new.code) > 1:
            problem(f"units.{i}.code", "duplicate", f"Unit {new.code} is listed twice.")
        for j, code in enumerate(new.replaces):
            old = unit_service.find(code, before)
            if old is None:
                problem(f"units.{i}.from.{j}", "unknown",
                        f"There is no unit {code} on {before.isoformat()}.")
            elif old.valid_until is not None:
                problem(f"units.{i}.from.{j}", "ended",
                        f"Unit {code} ({old.name}) already ends on {old.valid_until.isoformat()}.")
            elif i in users_of[old.id]:
                problem(f"units.{i}.from.{j}", "duplicate", f"Unit {code} is listed twice.")
            else:
                olds[old.id] = old
                users_of[old.id].append(i)
    for old in olds.values():
        going_on = [c for c in unit_service.children_on(old, before)
                    if c.id not in olds and c.valid_until is None]
        if going_on:
            problem("units", "children_go_on",
                    f"Unit {old.code} ({old.name}) ends, but units below it are not replaced: "
                    f"{', '.join(c.code + ' ' + c.name for c in going_on)}.",
                    unit=old.code, children=[c.code for c in going_on])
    for i, new in enumerate(data.units):
        taken = unit_service.find(new.code, data.effective)
        if taken is not None and taken.id not in olds:
            problem(f"units.{i}.code", "taken",
                    f"Unit {new.code} ({taken.name}) exists on {data.effective.isoformat()} and "
                    f"does not end with this change.")
        if new.parent_code is None:
            continue
        if new.parent_code in codes:
            parent_level = data.units[codes.index(new.parent_code)].level
        else:
            parent = unit_service.find(new.parent_code, before)
            if parent is None:
                problem(f"units.{i}.parent_code", "unknown",
                        f"There is no unit {new.parent_code} on {data.effective.isoformat()}.")
                continue
            if parent.id in olds:
                problem(f"units.{i}.parent_code", "parent_ends",
                        f"Unit {parent.code} ({parent.name}) ends on {before.isoformat()}; give "
                        f"the unit that stands above {new.code} from {data.effective.isoformat()}.")
                continue
            parent_level = parent.level
        if unit_service.RANK[new.level] <= unit_service.RANK[parent_level]:
            problem(f"units.{i}.level", "not_below_parent",
                    f"A {new.level} cannot stand below a {parent_level}.")
    for code in data.assign:
        if code not in codes:
            problem(f"assign.{code}", "unknown", f"Unit {code} is not a new unit of this file.")
    if problems:
        raise Invalid("The reorganisation cannot be applied as written.", problems)
    whole = {uid: idx[0] for uid, idx in users_of.items() if len(idx) == 1}
    split = {uid: idx for uid, idx in users_of.items() if len(idx) > 1}
    resolved = _Resolved(data, olds, whole, split)
    _assign(resolved)
    return resolved


def _assign(r: _Resolved) -> None:
    """Match `assign` to the rows of the split units; note what is left unassigned."""
    if not r.split:
        if r.data.assign:
            raise Invalid("Nothing is split, so nothing needs an assignment.", [{
                "field": "assign", "code": "not_split",
                "message": "Only a unit named in the `from` of several new units takes `assign`."}])
        return
    split_ids = list(r.split)
    codes = [u.code for u in r.data.units]
    problems: list[dict] = []
    kinds = {
        "households": (Household, r.households, [Household.name],
                       select(Household).where(Household.unit_id.in_(split_ids))),
        "organizations": (Organization, r.organizations, [Organization.name],
                          select(Organization).where(Organization.unit_id.in_(split_ids))),
        "persons": (Person, r.persons, [Person.national_id],
                    select(Person).where(Person.own_unit_id.in_(split_ids))),
        "accounts": (User, r.accounts, [User.username],
                     select(User).where(User.unit_id.in_(split_ids),
                                        User.household_id.is_(None),
                                        User.organization_id.is_(None))),
    }
    for kind, (model, target, keys, query) in kinds.items():
        rows = list(db.session.scalars(query))
        by_id = {row.id: row for row in rows}
        by_key: dict[str, list] = defaultdict(list)
        for row in rows:
            for key in keys:
                by_key[str(getattr(row, key.key))].append(row)
        for code, assignment in r.data.assign.items():
            index = codes.index(code)
            for k, ref in enumerate(getattr(assignment, kind)):
                where = f"assign.{code}.{kind}.{k}"
                found = by_key.get(str(ref), [])
                if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()
                                            and int(ref) in by_id and not found):
                    found = [by_id[int(ref)]] if int(ref) in by_id else []
                if len(found) != 1:
                    problems.append({"field": where, "code": "unknown" if not found else "ambiguous",
                                     "message": f"{ref!r} is not one {kind[:-1]} of a split unit"
                                                + (" (several match: give the id)." if found
                                                   else ".")})
                    continue
                row = found[0]
                if index not in r.split[row.unit_id]:
                    problems.append({"field": where, "code": "not_a_successor",
                                     "message": f"Unit {code} does not replace the unit of "
                                                f"{ref!r}."})
                elif row.id in target and target[row.id] != index:
                    problems.append({"field": where, "code": "twice",
                                     "message": f"{ref!r} is assigned to two units."})
                else:
                    target[row.id] = index
        for row in rows:
            if row.id not in target:
                unit = r.olds[row.unit_id]
                r.unassigned.append({"kind": kind[:-1], "id": row.id, "unit": unit.code,
                                     "name": _label(kind, row)})
    if problems:
        raise Invalid("The assignment of the split units has errors.", problems)


def _label(kind: str, row) -> str:
    if kind == "persons":
        return f"{row.full_name} ({row.masked_national_id})"
    if kind == "accounts":
        return row.username
    return row.name


def _kind(r: _Resolved, old_id: int, index: int) -> str:
    if old_id in r.split:
        return "split"
    sharing = [uid for uid, i in r.whole.items() if i == index] + [
        uid for uid, idx in r.split.items() if index in idx]
    return "rename" if len(sharing) == 1 else "merge"


def _moves(r: _Resolved) -> list[Moves]:
    """What moves to each new unit, counted and listed (the first LISTED of each kind)."""
    moves = [Moves() for _ in r.data.units]
    whole = list(r.whole)
    # Counted per old unit in one grouped query per kind (a province: ~100 units, millions of
    # rows). Persons: those without a household, and the members of the unit's households.
    member = (Household.unit_id,
              select(Household.unit_id, func.count()).join(Person, Person.household_id
                                                            == Household.id))
    counted = {
        "households": [(Household.unit_id, select(Household.unit_id, func.count()))],
        "organizations": [(Organization.unit_id, select(Organization.unit_id, func.count()))],
        "persons": [(Person.own_unit_id, select(Person.own_unit_id, func.count())), member],
        "accounts": [(User.unit_id, select(User.unit_id, func.count()))],
    }
    counts: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    if whole:
        for kind, queries in counted.items():
            for column, query in queries:
                for unit_id, n in db.session.execute(query.where(column.in_(whole))
                                                     .group_by(column)):
                    counts[kind][unit_id] += n
    # The first LISTED of each. No ORDER BY id: with it PostgreSQL may walk the primary key past
    # millions of other units' rows to find LISTED of this one; these are sorted here instead.
    listed = {
        "households": lambda old: [select(Household.id, Household.name)
                                   .where(Household.unit_id == old)],
        "organizations": lambda old: [select(Organization.id, Organization.name)
                                      .where(Organization.unit_id == old)],
        "persons": lambda old: [select(Person.id, Person.full_name)
                                .where(Person.own_unit_id == old),
                                select(Person.id, Person.full_name)
                                .join(Household, Household.id == Person.household_id)
                                .where(Household.unit_id == old)],
        "accounts": lambda old: [select(User.id, User.username).where(User.unit_id == old)],
    }
    for old_id, index in r.whole.items():
        for kind, queries in listed.items():
            count = counts[kind].get(old_id, 0)
            if count:
                rows = sorted(row for query in queries(old_id)
                              for row in db.session.execute(query.limit(LISTED)))[:LISTED]
                moves[index].add(kind, [{"id": i, "name": n} for i, n in rows], count)
    households_to = defaultdict(list)
    for hid, index in r.households.items():
        households_to[index].append(hid)
    orgs_to = defaultdict(list)
    for oid, index in r.organizations.items():
        orgs_to[index].append(oid)
    for index, m in enumerate(moves):
        hids, oids = households_to[index], orgs_to[index]
        if hids:
            rows = db.session.execute(select(Household.id, Household.name)
                                      .where(Household.id.in_(hids)).order_by(Household.id)).all()
            m.add("households", [{"id": i, "name": n} for i, n in rows])
        if oids:
            rows = db.session.execute(select(Organization.id, Organization.name)
                                      .where(Organization.id.in_(oids))
                                      .order_by(Organization.id)).all()
            m.add("organizations", [{"id": i, "name": n} for i, n in rows])
        pids = [pid for pid, i in r.persons.items() if i == index]
        if hids or pids:
            # The members of its households, and its persons without a household.
            rows = db.session.execute(select(Person.id, Person.full_name).where(
                Person.household_id.in_(hids)
                | (Person.id.in_(pids) & Person.own_unit_id.in_(list(r.split))))
                .order_by(Person.id)).all()
            m.add("persons", [{"id": i, "name": n} for i, n in rows])
        uids = [uid for uid, i in r.accounts.items() if i == index]
        rows = db.session.execute(select(User.id, User.username).where(
            User.unit_id.in_(list(r.split)),
            User.id.in_(uids) | User.household_id.in_(hids) | User.organization_id.in_(oids))
            .order_by(User.id)).all() if r.split else []
        m.add("accounts", [{"id": i, "name": n} for i, n in rows])
    # Open dossiers follow their subject.
    rows = _open_dossiers(r, Nomination.id, Nomination.receipt_code, Nomination.state,
                          Nomination.unit_id, Nomination.person_id, Nomination.organization_id,
                          Person.household_id)
    for nid, receipt, state, unit_id, person_id, org_id, household_id in rows:
        index = _subject_target(r, unit_id, person_id, org_id, household_id)
        if index is None:
            continue
        moves[index].add("open_dossiers", [{"id": nid, "receipt_code": receipt, "state": state}])
    return moves


def _open_dossiers(r: _Resolved, *columns) -> list:
    """`columns` of the dossiers in progress of the old units (joined to their person), by id.
    One query per unit: with `unit_id = ?` both databases search the queue index (unit_id,
    state); with `unit_id IN (every commune of a province)` SQLite reads every dossier."""
    rows = []
    for old_id in r.olds:
        rows.extend(db.session.execute(
            select(*columns).outerjoin(Person, Person.id == Nomination.person_id)
            .where(Nomination.unit_id == old_id, in_progress())).all())
    return sorted(rows)


def _subject_target(r: _Resolved, unit_id, person_id, org_id, household_id) -> int | None:
    """The new unit (index) a dossier of a subject in an old unit goes to."""
    if unit_id in r.whole:
        return r.whole[unit_id]
    if org_id is not None:
        return r.organizations.get(org_id)
    if household_id is not None and household_id in r.households:
        return r.households[household_id]
    return r.persons.get(person_id)


def _denominators(r: _Resolved, plans: list[UnitPlan]) -> None:
    """Carried figures (sums over whole predecessors) and those left to enter, per new unit."""
    year = r.data.effective.year
    rows = db.session.execute(
        select(Denominator.unit_id, Denominator.title_code, Denominator.year, Denominator.value)
        .where(Denominator.unit_id.in_(list(r.olds)), Denominator.year >= year)).all()
    figures: dict[tuple[int, str, int], int] = {(u, t, y): v for u, t, y, v in rows}
    keys = sorted({(t, y) for _, t, y in figures})
    for index, plan in enumerate(plans):
        whole = [uid for uid, i in r.whole.items() if i == index]
        split = [uid for uid, idx in r.split.items() if index in idx]
        for title_code, y in keys:
            present = [figures.get((uid, title_code, y)) for uid in whole]
            if any((uid, title_code, y) in figures for uid in split):
                plan.to_enter.append({"title_code": title_code, "year": y})
            elif whole and all(v is not None for v in present):
                plan.carried.append({"title_code": title_code, "year": y, "value": sum(present)})
            elif any(v is not None for v in present):
                plan.to_enter.append({"title_code": title_code, "year": y})


def _plan(r: _Resolved) -> Plan:
    plans = []
    for index, new in enumerate(r.data.units):
        replaced = []
        for code in new.replaces:
            old = unit_service.find(code, r.data.effective - timedelta(days=1))
            replaced.append({"code": old.code, "name": old.name, "kind": _kind(r, old.id, index)})
        plans.append(UnitPlan(new.code, new.name, new.level, new.parent_code, replaced))
    for plan, moves in zip(plans, _moves(r)):
        plan.moves = moves
    _denominators(r, plans)
    ending = [{"code": u.code, "name": u.name, "level": u.level}
              for u in sorted(r.olds.values(), key=lambda u: (u.path.count("/"), u.code))]
    return Plan(r.data.effective, r.data.source, plans, ending, r.unassigned)


def _applied_plan(data: Reorganization) -> Plan:
    units = [UnitPlan(u.code, u.name, u.level, u.parent_code,
                      [{"code": c, "name": "", "kind": ""} for c in u.replaces])
             for u in data.units]
    return Plan(data.effective, data.source, units, [], already_applied=True)


def plan(data) -> Plan:
    """What applying `data` would do; changes nothing. 422 when the file cannot apply at all; a
    split with rows left unassigned is a plan listing them in `unassigned`."""
    data = parse(data)
    if _already_applied(data):
        return _applied_plan(data)
    return _plan(_resolve(data))


@writes
def apply(data, actor: User | None) -> Plan:
    """Apply `data` in one transaction (see the module's text); nothing changes on any refusal,
    and nothing the second time."""
    data = parse(data)
    if _already_applied(data):
        return _applied_plan(data)
    r = _resolve(data)
    if r.unassigned:
        raise Invalid("Some households, organizations, persons or accounts of a split unit are "
                      "not assigned to a new unit.", [
                          {"field": "assign", "code": "unassigned",
                           "message": f"{u['kind']} {u['id']} ({u['name']}) of unit {u['unit']} "
                                      f"is not assigned.", **u} for u in r.unassigned])
    result = _plan(r)
    before = data.effective - timedelta(days=1)
    # Children end before their parents (units.close refuses a parent whose children go on).
    for old in sorted(r.olds.values(), key=lambda u: -u.path.count("/")):
        unit_service.close(old, before)
    order = sorted(range(len(data.units)),
                   key=lambda i: unit_service.RANK[data.units[i].level])
    new_units: dict[int, Unit] = {}
    for i in order:
        u = data.units[i]
        new_units[i] = unit_service.add(code=u.code, name=u.name, level=u.level,
                                        parent_code=u.parent_code, valid_from=data.effective)
    for i, u in enumerate(data.units):
        for code in u.replaces:
            old = unit_service.find(code, before)
            unit_service.link(old, new_units[i], effective=data.effective,
                              kind=_kind(r, old.id, i), source=data.source)
    _move_rows(r, new_units, actor)
    # The progress counters follow the holders to the successors, from `effective` on.
    progress.follow_reorganization(data.effective, list(r.olds))
    for i, plan_ in enumerate(result.units):
        for d in plan_.carried:
            db.session.add(Denominator(unit=new_units[i], title_code=d["title_code"],
                                       year=d["year"], value=d["value"],
                                       carried_from=data.source))
    db.session.commit()
    result.applied = True
    return result


def _bulk(statement) -> None:
    db.session.execute(statement.execution_options(synchronize_session=False))


def _move_rows(r: _Resolved, new_units: dict[int, Unit], actor: User | None) -> None:
    """Move households, persons without a household, organizations, accounts and open dossiers.
    A household's members live where it is (Person.unit_id reads the household's), so they follow
    it with no row written. Everything of a unit taken over whole moves by bulk UPDATE (moved
    organizations and accounts get their audit entries in bulk); the few rows of a split unit
    assigned one by one move through the ORM, which audits organizations and accounts itself."""
    moving = _open_dossiers(r, Nomination.id, Nomination.state, Nomination.unit_id,
                            Nomination.person_id, Nomination.organization_id,
                            Person.household_id)
    for old_id, index in r.whole.items():
        target = new_units[index].id
        _bulk(update(Household).where(Household.unit_id == old_id).values(unit_id=target))
        _bulk(update(Person).where(Person.own_unit_id == old_id).values(own_unit_id=target))
        # Organizations and accounts (every household's among them: as many as households) by
        # bulk UPDATE too, each with the audit entry an ORM change would leave.
        for model, key in ((Organization, Organization.name), (User, User.username)):
            audit_trail.record_moved(model, key, model.unit_id == old_id, "unit_id", old_id,
                                     target)
            _bulk(update(model).where(model.unit_id == old_id).values(unit_id=target))
    split_ids = list(r.split)
    for hid, index in r.households.items():
        target = new_units[index].id
        _bulk(update(Household).where(Household.id == hid).values(unit_id=target))
        for user in db.session.scalars(select(User).where(User.household_id == hid,
                                                          User.unit_id.in_(split_ids))):
            user.unit_id = target
    for pid, index in r.persons.items():
        _bulk(update(Person).where(Person.id == pid).values(own_unit_id=new_units[index].id))
    for oid, index in r.organizations.items():
        target = new_units[index].id
        db.session.get(Organization, oid).unit_id = target
        for user in db.session.scalars(select(User).where(User.organization_id == oid,
                                                          User.unit_id.in_(split_ids))):
            user.unit_id = target
    for uid, index in r.accounts.items():
        db.session.get(User, uid).unit_id = new_units[index].id
    db.session.flush()
    now = utcnow()
    comment = (f"Chuyển sang đơn vị mới theo sắp xếp đơn vị hành chính từ "
               f"{r.data.effective.strftime('%d/%m/%Y')} ({r.data.source}).")
    entries = []
    to_unit: dict[int, list[int]] = defaultdict(list)
    for nid, state, unit_id, person_id, org_id, household_id in moving:
        index = _subject_target(r, unit_id, person_id, org_id, household_id)
        if index is None:  # cannot happen: every row of a split unit is assigned
            continue
        to_unit[new_units[index].id].append(nid)
        entries.append({"nomination_id": nid, "event": REORGANIZE, "from_state": state,
                        "to_state": state, "actor_id": actor.id if actor else None, "at": now,
                        "comment": comment})
    for target, ids in to_unit.items():
        for start in range(0, len(ids), CHUNK):
            # A new version: a reviewer holding the dossier open gets 409 stale, not a lost change.
            _bulk(update(Nomination).where(Nomination.id.in_(ids[start:start + CHUNK])).values(
                unit_id=target, version=Nomination.version + 1, updated_at=now))
    if entries:
        db.session.execute(insert(HistoryEntry), entries)
    db.session.expire_all()
