"""How a nomination fares under the rule version it is judged by: the figures of its computed
targets (from the records, as of 31 December of its evaluation year), the levels its subject held
before, and the level it reaches. Pages, API, CLI and the workflow engine all ask here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import or_, select

from .. import rubric
from ..extensions import db
from ..models import Membership, Nomination, Recognition
from ..workflow import workflow
from . import members


def rules(nomination: Nomination):
    """The rule version the nomination is judged by."""
    return workflow(nomination.title_code).rules(nomination)


def shares(nomination: Nomination, version=None, *,
           with_members: bool = True) -> dict[str, members.Share]:
    """Each computed target's share, with the members behind it (`with_members`). A school (an
    organization with learners on 31 December — the file's assumption) counts its learners, others
    all members."""
    version = version or rules(nomination)
    if nomination.organization_id is None or not version.computed_criteria:
        return {}
    day = date(nomination.year, 12, 31)
    school = bool(members.members_on(nomination.organization_id, day, "learner"))
    return {c.code: members.share(nomination.organization_id, c.computed.share_of,
                                  nomination.year, role="learner" if school else None,
                                  with_members=with_members)
            for c in version.computed_criteria}


def measured(nomination: Nomination, version=None,
             known: dict[str, members.Share] | None = None) -> dict[str, rubric.Measured]:
    """The computed targets' figures (empty for a version without any), from the `known` shares
    when the caller already has them, else counted without loading the members."""
    found = known if known is not None else shares(nomination, version, with_members=False)
    return {code: rubric.Measured(value=s.value, numerator=s.numerator,
                                  denominator=s.denominator, as_of=s.as_of,
                                  basis="learners" if s.role == "learner" else "members")
            for code, s in found.items()}


def measured_for(nominations: list[Nomination]) -> dict[int, dict[str, rubric.Measured]]:
    """`measured` for a page of nominations at once: nomination id → its computed targets'
    figures (the same as `measured` of each), in a fixed number of statements whatever the page's
    length — one for the members of all its organizations on each evaluation year's 31 December,
    one per (year, counted title) for which of those members hold it."""
    wanted: dict[int, list[Nomination]] = {}  # year -> organization dossiers with computed targets
    versions = {}
    for n in nominations:
        if n.organization_id is None:
            continue
        version = rules(n)
        if version.computed_criteria:
            versions[n.id] = version
            wanted.setdefault(n.year, []).append(n)
    out: dict[int, dict[str, rubric.Measured]] = {n.id: {} for n in nominations}
    for year, group in wanted.items():
        day = date(year, 12, 31)
        org_ids = sorted({n.organization_id for n in group})
        active = (Membership.organization_id.in_(org_ids), Membership.starts_on <= day,
                  or_(Membership.ends_on.is_(None), Membership.ends_on >= day))
        roles: dict[int, dict[int, set[str]]] = {}  # organization -> person -> roles that day
        for org_id, person_id, role in db.session.execute(
                select(Membership.organization_id, Membership.person_id, Membership.role)
                .where(*active)):
            roles.setdefault(org_id, {}).setdefault(person_id, set()).add(role)
        held: dict[str, set[int]] = {}
        for title_code in sorted({c.computed.share_of for n in group
                                  for c in versions[n.id].computed_criteria}):
            held[title_code] = set(db.session.scalars(
                select(Nomination.person_id)
                .join(Recognition, Recognition.nomination_id == Nomination.id)
                .where(Nomination.person_id.in_(select(Membership.person_id).where(*active)),
                       Recognition.title_code == title_code,
                       Recognition.valid_from <= day, Recognition.valid_until >= day,
                       or_(Recognition.revoked_on.is_(None), Recognition.revoked_on > day))
                .distinct()))
        for n in group:
            everyone = roles.get(n.organization_id, {})
            # A school (learners on the day) counts its learners, others all members (`shares`).
            learners = {p for p, r in everyone.items() if "learner" in r}
            counted = learners if learners else set(everyone)
            role = "learner" if learners else None
            for c in versions[n.id].computed_criteria:
                numerator = len(counted & held[c.computed.share_of])
                share = members.Share(organization_id=n.organization_id,
                                      title_code=c.computed.share_of, role=role, as_of=day,
                                      numerator=numerator, denominator=len(counted))
                out[n.id][c.code] = measured(n, versions[n.id], {c.code: share})[c.code]
    return out


def prior_levels(nomination: Nomination) -> dict[str, date]:
    """Level → the earliest decision date of the subject's other recognitions of the title at that
    level that were not revoked."""
    subject = (Nomination.person_id == nomination.person_id if nomination.person_id is not None
               else Nomination.organization_id == nomination.organization_id)
    found: dict[str, date] = {}
    for level, since in db.session.execute(
            select(Recognition.level, Recognition.valid_from)
            .join(Nomination, Nomination.id == Recognition.nomination_id)
            .where(subject, Recognition.title_code == nomination.title_code,
                   Recognition.level.is_not(None), Recognition.revoked_on.is_(None),
                   Recognition.nomination_id != nomination.id)):
        if level not in found or since < found[level]:
            found[level] = since
    return found


@dataclass(frozen=True)
class Outcome:
    """What the reviewer's assessment reaches: a level (levels versions) or a grade (points), and
    why the next level up is not reached."""

    level: str | None = None
    grade: str | None = None
    why_not_higher: list[rubric.Reason] = field(default_factory=list)


def outcome(nomination: Nomination, assessment: dict | None = None,
            on: date | None = None) -> Outcome:
    """The outcome of `assessment` (default: the reviewer's) for a decision dated `on`."""
    version = rules(nomination)
    assessment = nomination.review_assessment if assessment is None else assessment
    if version.by_levels:
        level, why = rubric.level(version, assessment or {}, measured(nomination, version),
                                  prior_levels(nomination), on)
        return Outcome(level=level, why_not_higher=why)
    return Outcome(grade=rubric.grade(version.grades, rubric.total(assessment)))
