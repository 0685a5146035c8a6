"""Builders for test data, going through the same services the product uses."""

from __future__ import annotations

from dataclasses import dataclass, field

from certify import clock
from certify.extensions import db
from certify.models import Nomination, Organization, Person, Unit, User
from certify.services import accounts, nominations, people, units
from certify.workflow import engine

PASSWORD = "correct horse battery"
CITIZEN = "cong-dan-hoc-tap"
UNIT_TITLE = "don-vi-hoc-tap"

# Passing scores: every indicator 8 (citizens: total 80, the threshold exactly).
CITIZEN_PASS = {c: 8 for c in ("1.1", "1.2", "1.3", "1.4", "2.1", "2.2", "2.3", "2.4", "3.1", "3.2")}
UNIT_CODES = {"1.1": 10, "1.2": 10, "1.3": 10, "2.1": 10, "2.2": 5, "2.3": 10, "2.4": 5, "3.1": 25,
              "3.2": 10, "3.3": 5}  # TT 22/2020's maximum, 100: grade "tot"
# An evaluation year judged on TT 22/2020's points (in force on 31/12/2023, before TT 24/2023).
TT22_YEAR = 2023
# The default year of unit dossiers, judged on TT 24/2023's targets.
UNIT_YEAR = 2025
PDF = b"%PDF-1.4\n% a test document\n"


def unit_rules(year: int = UNIT_YEAR):
    """The rule version a unit dossier of `year` is judged by, from the loaded workflow file."""
    from certify.workflow import workflow

    return workflow(UNIT_TITLE).rules_for_year(year)


def unit_passing(year: int = UNIT_YEAR) -> dict:
    """A passing assessment of a unit dossier of `year`, built from the workflow file: TT 22's
    maximum points, or every target of TT 24 met (computed targets are left to the records)."""
    rules = unit_rules(year)
    if not rules.by_levels:
        return dict(UNIT_CODES)
    return {c.code: True for c in rules.assessed_criteria}


def attach_documents(w: World, n: Nomination) -> None:
    """The documents the version declares (Tờ trình …), uploaded by the organization account."""
    import io

    from certify.services import evidence

    rules = unit_rules(n.year)
    for d in rules.documents:
        evidence.add(w.organization_user, n.id, criterion=d.code, filename=f"{d.code}.pdf",
                     stream=io.BytesIO(PDF))


def member_holding(w: World, year: int, *, role: str = "staff", organization=None) -> Person:
    """A new member of the organization through `year` holding "Công dân học tập" on 31 December
    of it: their own dossier of that year (household B's, ward B's), approved by a decision of 1
    June that year."""
    from datetime import date

    from certify.models import Membership

    global _MEMBERS
    _MEMBERS += 1
    p = person(w.household_b, f"Thành viên {_MEMBERS}")
    db.session.add(Membership(organization_id=(organization or w.organization).id,
                              person_id=p.id, role=role, starts_on=date(year, 1, 1),
                              ends_on=date(year, 12, 31)))
    db.session.commit()
    n = nominations.create(w.household_b, title=CITIZEN, subject_id=p.id, year=year,
                           self_assessment=dict(CITIZEN_PASS))
    engine.apply(n.id, "submit", w.household_b, n.version)
    engine.apply(n.id, "verify", w.reviewer_b, n.version,
                 engine.Payload(assessment=dict(CITIZEN_PASS)))
    decide(w, [n], number=f"{700 + _MEMBERS}/QĐ-UBND", on=date(year, 6, 1))
    return p


_MEMBERS = 0


@dataclass
class World:
    province: Unit
    district: Unit
    ward_a: Unit
    ward_b: Unit
    admin: User
    household_a: User
    household_b: User
    reviewer_a: User
    reviewer_b: User
    district_reviewer: User
    approver: User
    organization_user: User
    person_a: Person
    person_b: Person
    organization: Organization
    users: dict[str, User] = field(default_factory=dict)


_national_ids = iter(range(1, 10**6))


def next_national_id() -> str:
    return f"0381{next(_national_ids):08d}"


def user(username: str, role: str, unit_code: str | None, **kw) -> User:
    return accounts.create_user(username=username, password=PASSWORD, role=role,
                                unit_code=unit_code, display_name=username, **kw)


def person(household: User, name: str = "Nguyễn Văn An", **kw) -> Person:
    data = {"full_name": name, "national_id": next_national_id(), "birth_year": 1985,
            "gender": "male", "target_group": "worker", **kw}
    return people.add_person(household, data)


def person_without_household(w: World, unit: Unit, name: str = "Lê Văn Cường",
                             **kw) -> Person:
    """A person registered by the world's organization as its staff, living in `unit` (a
    commune), with no household: the person has a unit of their own."""
    from certify.services import members

    data = {"full_name": name, "national_id": next_national_id(), "birth_year": 1980,
            "gender": "male", "target_group": "staff_business", "unit_code": unit.code,
            "role": "staff", "from": "2024-01-01", **kw}
    return members.add(w.organization_user, w.organization.id, data).person


def build_world() -> World:
    province = units.create(code="38", name="Thanh Hóa", level="province")
    district = units.create(code="381", name="Thị xã Bỉm Sơn", level="district", parent_code="38")
    ward_a = units.create(code="16729", name="Phường Ba Đình", level="commune", parent_code="381")
    ward_b = units.create(code="16732", name="Phường Lam Sơn", level="commune", parent_code="381")
    org = people.create_organization(name="Trường THCS Ba Đình", unit_code="381", members_count=40)
    w = World(
        province=province, district=district, ward_a=ward_a, ward_b=ward_b,
        admin=user("admin", "admin", None),
        household_a=user("ho-a", "household", "16729"),
        household_b=user("ho-b", "household", "16732"),
        reviewer_a=user("review-a", "reviewer", "16729"),
        reviewer_b=user("review-b", "reviewer", "16732"),
        district_reviewer=user("review-district", "reviewer", "381"),
        approver=user("approve", "approver", "381"),
        organization_user=user("truong", "organization", "381", organization_id=org.id),
        person_a=None, person_b=None, organization=org,
    )
    w.person_a = person(w.household_a, "Nguyễn Văn An")
    w.person_b = person(w.household_b, "Trần Thị Bình", gender="female")
    w.users = {u.username: u for u in (w.admin, w.household_a, w.household_b, w.reviewer_a,
                                         w.reviewer_b, w.district_reviewer, w.approver,
                                         w.organization_user)}
    return w


def one_item_decision(**changes) -> dict:
    """The fields of a new one-item decision, signed today, each number different."""
    global _DECISIONS
    _DECISIONS += 1
    fields = {"number": f"{5000 + _DECISIONS}/QĐ-UBND", "signer": "Nguyễn Văn Hùng",
              "signer_position": "tm_chu_tich", "place": "Đông Anh", **changes}
    if "date" not in fields:
        fields["date"] = clock.today().isoformat()
    return fields


_DECISIONS = 0


def approval(actor: User, **changes) -> engine.Payload:
    """The payload of an `approve` fired on the engine directly: a new one-item decision."""
    from certify.services import decisions

    fields = {**one_item_decision(**changes), "place": None}
    fields["date"] = clock.today() if "date" not in changes else changes["date"]
    return engine.Payload(decision=decisions.new(actor, fields))


def submitted_before(day, *ns) -> None:
    """Move the submission of `ns` to the day before `day`: for tests that sign a decision on a
    fixed past date (a decision cannot precede the dossiers it decides)."""
    from datetime import datetime, time, timedelta, timezone

    when = datetime.combine(day - timedelta(days=1), time(3), tzinfo=timezone.utc)
    for n in ns:
        n.submitted_at = when
    db.session.commit()


def decide(w: World, ns, *, number: str = "125/QĐ-UBND", on=None):
    """The district's decision over the verified nominations `ns`, signed on `on` (a fixed past
    day by default) after their submissions are moved before it."""
    from datetime import date

    from certify.services import nominations

    on = on or date(2026, 11, 20)
    submitted_before(on, *ns)
    return nominations.issue_decision(w.approver, number=number, date_=on, signer="Lê Văn Thắng",
                                      signer_position="tm_chu_tich",
                                      nomination_ids=[n.id for n in ns])


def nomination_in(w: World, state: str, *, title: str = CITIZEN, year: int | None = None,
                  subject=None) -> Nomination:
    """A nomination driven through the engine to `state` — never by writing `state` directly.
    A unit dossier is submitted only once its year has ended: its default year is 2025."""
    if year is None:
        year = 2026 if title == CITIZEN else UNIT_YEAR
    if title == CITIZEN:
        applicant, reviewer, scores = w.household_a, w.reviewer_a, CITIZEN_PASS
        subject = subject or w.person_a
    else:
        applicant, reviewer, scores = w.organization_user, w.district_reviewer, unit_passing(year)
        subject = subject or w.organization
    n = nominations.create(applicant, title=title, subject_id=subject.id, year=year,
                           self_assessment=dict(scores))
    if title != CITIZEN and state not in ("draft", "withdrawn"):
        attach_documents(w, n)
        if unit_rules(year).computed_criteria:
            # The computed share, 1 of 1, so that a reviewer's verify can pass.
            member_holding(w, year, organization=subject)

    def go(event, actor, **payload):
        if event == "approve":
            # Every approval belongs to a decision: a one-item decision dated today.
            nominations.fire(actor, n.id, event, version=n.version, decision=one_item_decision())
        else:
            engine.apply(n.id, event, actor, n.version, engine.Payload(**payload))

    path = {
        "draft": [],
        "submitted": [("submit", applicant, {})],
        "returned": [("submit", applicant, {}), ("return", reviewer, {"comment": "Bổ sung"})],
        "withdrawn": [("withdraw", applicant, {})],
        "verified": [("submit", applicant, {}), ("verify", reviewer, {"assessment": dict(scores)})],
        "rejected": [("submit", applicant, {}), ("reject", reviewer, {"comment": "Không đạt"})],
        "approved": [("submit", applicant, {}), ("verify", reviewer, {"assessment": dict(scores)}),
                     ("approve", w.approver, {})],
        "revoked": [("submit", applicant, {}), ("verify", reviewer, {"assessment": dict(scores)}),
                    ("approve", w.approver, {}), ("revoke", w.approver, {"comment": "Sai sót"})],
    }[state]
    for event, actor, payload in path:
        go(event, actor, **payload)
    db.session.refresh(n)
    assert n.state == state
    return n
