"""A person in a household lives where the household is (issue 8, Scale): persons.unit_id is stored
only for persons without a household, so a reorganisation moves a household's members by moving
the household, with no person row written. Person.unit_id / Person.unit read either case, in
Python and in SQL."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.exc import IntegrityError

from certify.extensions import db
from certify.models import Person
from certify.services import people, reorganizations, units
from tests.factories import next_national_id, person_without_household

EFFECTIVE = date(2025, 7, 1)
SOURCE = "NQ 1686/NQ-UBTVQH15, 16/6/2025"
HEAD = "5f30ed10946f"  # this change's migration


def merge_file(w) -> dict:
    return {"effective": EFFECTIVE.isoformat(), "source": SOURCE, "units": [
        {"code": w.ward_a.code, "name": "Phường Bỉm Sơn", "level": "commune",
         "parent_code": w.district.code, "from": [w.ward_a.code, w.ward_b.code]}]}


def split_file(w, assign) -> dict:
    """Ward A split in two: itself (code reused) and a new ward 16735."""
    return {"effective": EFFECTIVE.isoformat(), "source": SOURCE, "units": [
        {"code": w.ward_a.code, "name": "Phường Ba Đình", "level": "commune",
         "parent_code": w.district.code, "from": [w.ward_a.code]},
        {"code": "16735", "name": "Phường Đông Sơn", "level": "commune",
         "parent_code": w.district.code, "from": [w.ward_a.code]}], "assign": assign}


def own_unit(person_id: int):
    """The unit stored on the person's row (NULL for a household member)."""
    return db.session.execute(text("SELECT unit_id FROM persons WHERE id = :id"),
                              {"id": person_id}).scalar()


@contextmanager
def person_writes():
    """How many person rows the UPDATE statements inside the block wrote (a list of one)."""
    written = [0]

    def listen(_conn, cursor, statement, *_args):
        if statement.lstrip().upper().startswith("UPDATE PERSONS"):
            written[0] += max(cursor.rowcount, 0)

    event.listen(db.engine, "after_cursor_execute", listen)
    try:
        yield written
    finally:
        event.remove(db.engine, "after_cursor_execute", listen)


def test_a_household_member_has_no_unit_of_their_own_but_lives_where_the_household_is(world):
    w = world
    assert own_unit(w.person_a.id) is None
    assert w.person_a.unit_id == w.ward_a.id and w.person_a.unit == w.ward_a
    lone = person_without_household(w, w.ward_b)
    assert own_unit(lone.id) == w.ward_b.id
    assert lone.unit_id == w.ward_b.id and lone.unit == w.ward_b
    # In SQL: a filter, an IN, a selected column.
    assert set(db.session.scalars(select(Person.id).where(Person.unit_id == w.ward_a.id))) == {
        w.person_a.id}
    assert set(db.session.scalars(select(Person.id).where(
        Person.unit_id.in_([w.ward_b.id])))) == {w.person_b.id, lone.id}
    assert dict(db.session.execute(select(Person.id, Person.unit_id)).all()) == {
        w.person_a.id: w.ward_a.id, w.person_b.id: w.ward_b.id, lone.id: w.ward_b.id}


def test_members_follow_their_household_through_a_merge_with_no_person_row_written(world):
    w = world
    with person_writes() as writes:
        reorganizations.apply(merge_file(w), actor=w.admin)
    new = units.find(w.ward_a.code, EFFECTIVE)
    assert writes == [0]
    for person in (w.person_a, w.person_b):
        db.session.refresh(person)
        assert own_unit(person.id) is None
        assert person.unit_id == new.id and person.unit == new
    # The plan still counts the members it moves.
    preview = reorganizations.plan(merge_file(w))
    assert preview.already_applied


def test_the_plan_counts_the_members_of_the_households_it_moves(world):
    w = world
    lone = person_without_household(w, w.ward_b)
    (planned,) = reorganizations.plan(merge_file(w)).units
    assert planned.moves.counts["persons"] == 3
    assert {p["id"] for p in planned.moves.persons} == {w.person_a.id, w.person_b.id, lone.id}


def test_a_person_without_a_household_moves_with_their_unit(world):
    w = world
    lone = person_without_household(w, w.ward_b)
    reorganizations.apply(merge_file(w), actor=w.admin)
    new = units.find(w.ward_a.code, EFFECTIVE)
    db.session.refresh(lone)
    assert own_unit(lone.id) == new.id and lone.unit == new


def test_members_follow_their_household_through_a_split(world):
    w = world
    lone = person_without_household(w, w.ward_a)
    household = w.household_a.household
    second = people.add_person(w.household_a, {
        "full_name": "Nguyễn Thị Hoa", "national_id": next_national_id(), "birth_year": 1990,
        "gender": "female", "target_group": "worker"})
    assign = {"16735": {"households": [household.id], "persons": [lone.national_id]},
              w.ward_a.code: {"accounts": [w.reviewer_a.username]}}
    preview = reorganizations.plan(split_file(w, assign))
    assert preview.unassigned == []
    planned = {u.code: u for u in preview.units}["16735"]
    assert {p["id"] for p in planned.moves.persons} == {w.person_a.id, second.id, lone.id}

    with person_writes() as writes:
        reorganizations.apply(split_file(w, assign), actor=w.admin)
    dong_son = units.find("16735", EFFECTIVE)
    assert writes == [1]  # the person without a household, alone
    for person in (w.person_a, second):
        db.session.refresh(person)
        assert own_unit(person.id) is None and person.unit == dong_son
    db.session.refresh(lone)
    assert own_unit(lone.id) == dong_son.id and lone.unit == dong_son
    assert w.household_a.unit_id == dong_son.id  # the household account follows its household


def test_the_persons_list_of_a_reviewer_finds_members_and_persons_without_household(world):
    w = world
    lone = person_without_household(w, w.ward_b)
    listed = {p.id for p in people.search_persons(w.reviewer_a).items}
    assert listed == {w.person_a.id}
    assert {p.id for p in people.search_persons(w.reviewer_b).items} == {w.person_b.id, lone.id}
    assert {p.id for p in people.search_persons(w.district_reviewer).items} == {
        w.person_a.id, w.person_b.id, lone.id}
    reorganizations.apply(merge_file(w), actor=w.admin)
    db.session.expire_all()
    assert {p.id for p in people.search_persons(w.reviewer_a).items} == {
        w.person_a.id, w.person_b.id, lone.id}


@pytest.mark.parametrize("household, own", [(True, True), (False, False)])
def test_the_database_refuses_a_person_with_both_a_household_and_a_unit_or_neither(
        world, household, own):
    w = world
    person = Person(household_id=w.household_a.household_id if household else None,
                    own_unit_id=w.ward_a.id if own else None, full_name="Sai", search_name="sai",
                    national_id=next_national_id(), birth_year=1990, gender="male",
                    target_group="worker")
    db.session.add(person)
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_the_migration_keeps_the_households_unit_and_the_downgrade_gives_it_back(app, world):
    """Down to before this change and back up: members get their household's unit back on the
    way down; on the way up they lose it, and a member whose stored unit was not the household's
    lives where the household is. Leaves the database at the head."""
    from alembic.script import ScriptDirectory
    from flask_migrate import downgrade, upgrade

    w = world
    lone = person_without_household(w, w.ward_b)
    ward_a, ward_b, person_a, person_b = w.ward_a.id, w.ward_b.id, w.person_a.id, w.person_b.id
    lone_id = lone.id
    ids = (person_a, person_b, lone_id)
    script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
    db.session.commit()
    db.session.remove()
    downgrade(revision=script.get_revision(HEAD).down_revision)
    stored = lambda: {i: own_unit(i) for i in ids}  # noqa: E731
    assert stored() == {person_a: ward_a, person_b: ward_b, lone_id: ward_b}
    # A member recorded in another unit than their household's (the old schema allowed it).
    db.session.execute(text("UPDATE persons SET unit_id = :u WHERE id = :id"),
                       {"u": ward_b, "id": person_a})
    db.session.commit()
    db.session.remove()
    upgrade()
    assert stored() == {person_a: None, person_b: None, lone_id: ward_b}
    assert db.session.get(Person, person_a).unit_id == ward_a


def test_accounts_and_organizations_moved_in_bulk_are_audited_like_any_change(world):
    """A merge moves every account of the old wards (households' too) by bulk UPDATE: each still
    gets its audit entry, as the ORM would write it for one account moved in a split."""
    from certify.models import AuditEntry, Organization
    from certify.services import people as people_service

    w = world
    school = people_service.create_organization(name="Trường TH Lam Sơn",
                                                unit_code=w.ward_b.code, members_count=20)
    reorganizations.apply(merge_file(w), actor=w.admin)
    new = units.find(w.ward_a.code, EFFECTIVE)
    entries = {(e.entity_type, e.entity_key): e for e in db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "update"))}
    for kind, key, old in (("account", w.household_a.username, w.ward_a.id),
                           ("account", w.reviewer_b.username, w.ward_b.id),
                           ("organization", school.name, w.ward_b.id)):
        entry = entries[(kind, key)]
        assert (entry.before, entry.after) == ({"unit_id": old}, {"unit_id": new.id})
    assert db.session.get(Organization, school.id).unit_id == new.id


def test_an_account_assigned_in_a_split_is_audited_the_same_way(world):
    from certify.models import AuditEntry

    w = world
    assign = {"16735": {"households": [w.household_a.household_id]},
              w.ward_a.code: {"accounts": [w.reviewer_a.username]}}
    reorganizations.apply(split_file(w, assign), actor=w.admin)
    dong_son = units.find("16735", EFFECTIVE)
    (entry,) = db.session.scalars(select(AuditEntry).where(
        AuditEntry.entity_key == w.household_a.username, AuditEntry.action == "update"))
    assert (entry.entity_type, entry.before, entry.after) == (
        "account", {"unit_id": w.ward_a.id}, {"unit_id": dong_son.id})
