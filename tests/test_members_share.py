"""The share of an organization's members holding "Công dân học tập", from the records."""

import itertools
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from certify.extensions import db
from certify.models import Membership, Nomination, Recognition
from certify.services import members, people
from certify.workflow import workflow

from . import factories as f


def _member(w, person, role="staff", starts=date(2020, 1, 1), ends=None):
    db.session.add(Membership(organization_id=w.organization.id, person_id=person.id, role=role,
                              starts_on=starts, ends_on=ends))
    db.session.commit()


def test_members_on_31_december_holding_a_valid_title_that_day(world):
    w = world
    holder = f.nomination_in(w, "approved", year=2026).person  # valid from today (2026)
    other = f.person(w.household_a, "Lê Thị Cúc")
    left = f.person(w.household_a, "Phạm Văn Dũng")
    _member(w, holder)
    _member(w, other, role="learner")
    _member(w, left, ends=date(2026, 12, 30))  # gone before the day: not counted

    share = members.share(w.organization.id, f.CITIZEN, 2026)
    assert (share.numerator, share.denominator) == (1, 2)
    assert share.value == 0.5 and share.as_of == date(2026, 12, 31)
    # The list behind the figure, by name.
    assert [(m.person.full_name, m.holds) for m in share.members] == [
        ("Lê Thị Cúc", False), (holder.full_name, True)]
    learners = members.share(w.organization.id, f.CITIZEN, 2026, role="learner")
    assert (learners.numerator, learners.denominator) == (0, 1)
    assert members.share(w.organization.id, f.CITIZEN, 2019).value is None


# -- boundaries, two organizations, and an independent recount ------------------------------------

_codes = itertools.count(1)


def _recognised(person, valid_from, valid_until, revoked_on=None, title=f.CITIZEN):
    """A recognition on record (as an earlier year's approval left it), valid over the days given."""
    i = next(_codes)
    n = Nomination(receipt_code=f"R-{i}", title_code=title, person_id=person.id,
                   unit_id=person.unit_id, year=1000 + i, state="approved", version=1,
                   rule_version=workflow(title).spec.versions[0].id,
                   self_assessment={}, review_assessment={})
    db.session.add(n)
    db.session.flush()
    db.session.add(Recognition(nomination_id=n.id, code=f"C-{i}", title_code=title,
                               unit_id=person.unit_id, valid_from=valid_from,
                               valid_until=valid_until, revoked_on=revoked_on))
    db.session.commit()


def test_membership_and_validity_boundaries_on_31_december(world):
    w = world
    names = ["A starts 31/12", "B ends 31/12", "C ends 30/12", "D starts 1/1 next", "E open"]
    p = {n: f.person(w.household_a, n) for n in names}
    _member(w, p["A starts 31/12"], starts=date(2025, 12, 31))
    _member(w, p["B ends 31/12"], ends=date(2025, 12, 31))
    _member(w, p["C ends 30/12"], ends=date(2025, 12, 30))
    _member(w, p["D starts 1/1 next"], starts=date(2026, 1, 1))
    _member(w, p["E open"])
    # Valid through 31/12; valid from 31/12; revoked on 31/12 (not valid that day).
    _recognised(p["A starts 31/12"], date(2025, 1, 1), date(2025, 12, 31))
    _recognised(p["B ends 31/12"], date(2025, 12, 31), date(2026, 12, 30))
    _recognised(p["E open"], date(2025, 1, 1), date(2026, 1, 1), revoked_on=date(2025, 12, 31))
    s = members.share(w.organization.id, f.CITIZEN, 2025)
    assert [(m.person.full_name, m.holds) for m in s.members] == [
        ("A starts 31/12", True), ("B ends 31/12", True), ("E open", False)]
    assert (s.numerator, s.denominator) == (2, 3)


def test_a_member_of_two_organizations_counts_in_both(world):
    w = world
    other = people.create_organization(name="Công ty Xi măng Bỉm Sơn", unit_code="381",
                                       members_count=0)
    _member(w, w.person_a)
    db.session.add(Membership(organization_id=other.id, person_id=w.person_a.id, role="learner",
                              starts_on=date(2024, 3, 1)))
    db.session.commit()
    _recognised(w.person_a, date(2025, 6, 1), date(2026, 5, 31))
    for org in (w.organization, other):
        s = members.share(org.id, f.CITIZEN, 2025)
        assert (s.numerator, s.denominator) == (1, 1)
    assert w.person_a.household_id is not None  # and still in their household


DAYS = st.dates(date(2023, 1, 1), date(2027, 6, 30))
MEMBERSHIPS = st.lists(st.tuples(st.integers(0, 5), st.integers(0, 1),
                                 st.sampled_from(["staff", "learner"]), DAYS,
                                 st.none() | st.integers(0, 800)), max_size=14)
RECOGNITIONS = st.lists(st.tuples(st.integers(0, 5), st.sampled_from([f.CITIZEN, f.UNIT_TITLE]),
                                  DAYS, st.integers(0, 800), st.none() | DAYS), max_size=10)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(MEMBERSHIPS, RECOGNITIONS, st.integers(2023, 2027),
       st.sampled_from([None, "staff", "learner"]))
def test_share_agrees_with_an_independent_recount(world, memberships, recognitions, year, role):
    w = world
    if not hasattr(w, "crowd"):
        w.crowd = [w.person_a, w.person_b] + [f.person(w.household_a, f"Người {i}")
                                               for i in range(4)]
        w.second = people.create_organization(name="Trường Mầm non", unit_code="381",
                                              members_count=0)
    for model in (Membership, Recognition, Nomination):
        db.session.execute(delete(model))
    db.session.commit()
    orgs = [w.organization.id, w.second.id]
    for who, org, member_role, starts, length in memberships:
        ends = None if length is None else starts + timedelta(days=length)
        db.session.add(Membership(organization_id=orgs[org], person_id=w.crowd[who].id,
                                  role=member_role, starts_on=starts, ends_on=ends))
    db.session.commit()
    for who, title, starts, length, revoked in recognitions:
        _recognised(w.crowd[who], starts, starts + timedelta(days=length), revoked, title=title)

    # The recount, in plain Python over the generated data alone.
    day = date(year, 12, 31)
    counted = {who for who, org, member_role, starts, length in memberships
               if org == 0 and role in (None, member_role) and starts <= day
               and (length is None or day <= starts + timedelta(days=length))}
    holding = {who for who, title, starts, length, revoked in recognitions
               if title == f.CITIZEN and starts <= day <= starts + timedelta(days=length)
               and (revoked is None or day < revoked)}

    s = members.share(w.organization.id, f.CITIZEN, year, role=role)
    assert (s.numerator, s.denominator) == (len(counted & holding), len(counted))
    assert s.as_of == day
    assert sorted((m.person.id, m.holds) for m in s.members) == sorted(
        (w.crowd[who].id, who in holding) for who in counted)


def test_the_demo_enters_members_through_the_organizations_accounts(ctx):
    from sqlalchemy import select

    from certify.models import Organization, Person, User
    from certify.services import demo

    demo.load(password=f.PASSWORD)
    admin = db.session.scalars(select(User).where(User.role == "admin")).first()
    for org in db.session.scalars(select(Organization)):
        listed = members.search(admin, org.id)
        assert listed.total > 0, org.name
        # Registered by their households: one person, in a household and an organization.
        assert all(m.person.household_id is not None for m in listed.items)
    assert db.session.scalar(select(Person).where(Person.household_id.is_(None))) is None
