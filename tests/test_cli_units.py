"""`flask units [CODE] [--on DATE]`: a unit, and the tree, as they were on a day (issue 8, item 1),
across a merge that reuses a code the day after."""

from __future__ import annotations

from datetime import timedelta

from certify.services import reorganizations

from .test_reorganizations import EFFECTIVE, SOURCE, merge_file

LAST_DAY = EFFECTIVE - timedelta(days=1)


def test_a_code_shows_the_unit_that_bore_it_on_each_side_of_a_merge(world, runner):
    w = world
    old_name = w.ward_a.name
    reorganizations.apply(merge_file(w), actor=None)
    before = runner.invoke(args=["units", w.ward_a.code, "--on", LAST_DAY.isoformat()])
    assert before.exit_code == 0, before.output
    assert old_name in before.output and "30/06/2025" in before.output
    assert "kế thừa" in before.output and "Phường Bỉm Sơn" in before.output
    after = runner.invoke(args=["units", w.ward_a.code, "--on", EFFECTIVE.isoformat()])
    assert after.exit_code == 0, after.output
    assert after.output.splitlines()[0].startswith(f"{w.ward_a.code}  Phường Bỉm Sơn")
    assert "tiền thân" in after.output and w.ward_b.name in after.output
    assert SOURCE in after.output


def test_the_tree_on_a_day_lists_only_the_units_valid_that_day(world, runner):
    w = world
    reorganizations.apply(merge_file(w), actor=None)
    before = runner.invoke(args=["units", "--on", LAST_DAY.isoformat()]).output
    after = runner.invoke(args=["units", "--on", EFFECTIVE.isoformat()]).output
    assert w.ward_b.name in before and w.ward_b.name not in after
    assert "Phường Bỉm Sơn" in after and "Phường Bỉm Sơn" not in before
    assert w.province.name in before and w.province.name in after


def test_an_unknown_code_or_a_bad_day_exits_with_a_reason(world, runner):
    missing = runner.invoke(args=["units", "99999"])
    assert missing.exit_code == 1 and "99999" in missing.output
    before_existence = runner.invoke(args=["units", world.ward_b.code, "--on", "1800-01-01"])
    assert before_existence.exit_code == 1
    bad = runner.invoke(args=["units", "--on", "30/06/2025"])
    assert bad.exit_code == 2 and "Traceback" not in bad.output


def test_without_a_day_the_unit_of_today_is_shown(world, runner):
    w = world
    reorganizations.apply(merge_file(w), actor=None)
    today = runner.invoke(args=["units", w.ward_a.code])
    assert today.exit_code == 0, today.output
    assert today.output.splitlines()[0].startswith(f"{w.ward_a.code}  Phường Bỉm Sơn")
