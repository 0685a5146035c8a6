"""The share of an organization's members holding "Công dân học tập", from the records."""

from datetime import date

from certify.extensions import db
from certify.models import Membership
from certify.services import members

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
