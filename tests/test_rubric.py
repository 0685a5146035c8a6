"""The pass rules and grades of the shipped workflow files, through certify.rubric.

The criteria come from the real workflows/*.yaml as the app loads them, so a wrong number in a file
(a threshold of 70 instead of 80, a grade boundary off by one) fails here.
"""

from __future__ import annotations

import pytest

from certify import rubric
from certify.workflow import workflow
from tests.factories import CITIZEN, TT22_YEAR, UNIT_TITLE

CITIZEN_CODES = ["1.1", "1.2", "1.3", "1.4", "2.1", "2.2", "2.3", "2.4", "3.1", "3.2"]
# Maximum points per indicator of "Đơn vị học tập" (TT 22/2020), as domain.md lists them.
UNIT_MAX = {"1.1": 10, "1.2": 10, "1.3": 10, "2.1": 10, "2.2": 5, "2.3": 10, "2.4": 5,
            "3.1": 25, "3.2": 10, "3.3": 5}


@pytest.fixture
def citizen(ctx):
    """The rule version a citizen dossier of this year is judged by."""
    return workflow(CITIZEN).rules_on()


@pytest.fixture
def unit_title(ctx):
    """TT 22/2020's version: the one that scores units in points."""
    return workflow(UNIT_TITLE).rules_for_year(TT22_YEAR)


def citizen_scores(*points: int) -> dict:
    assert len(points) == len(CITIZEN_CODES)
    return dict(zip(CITIZEN_CODES, points))


def unit_scores(points: int) -> dict:
    """A complete unit assessment totalling `points`, filled indicator by indicator."""
    left, scores = points, {}
    for code, most in UNIT_MAX.items():
        scores[code] = min(most, left)
        left -= scores[code]
    assert left == 0 and sum(scores.values()) == points
    return scores


def reasons(spec, assessment) -> list[rubric.Reason]:
    return rubric.pass_rule_errors(spec, assessment, "assessment")


def test_the_files_hold_the_criteria_domain_md_lists(citizen, unit_title):
    assert [c.code for c in citizen.criteria] == CITIZEN_CODES
    assert all(c.max_points == 10 for c in citizen.criteria)
    assert {c.code: c.max_points for c in unit_title.criteria} == UNIT_MAX
    assert citizen.max_total == unit_title.max_total == 100


# -- Công dân học tập: total >= 80 and no indicator below 5 ----------------------------------------

@pytest.mark.parametrize("points", [
    (8, 8, 8, 8, 8, 8, 8, 8, 8, 8),
    (5, 5, 10, 10, 10, 10, 10, 10, 5, 5),
    (5, 5, 5, 5, 10, 10, 10, 10, 10, 10),
])
def test_citizen_passes_at_exactly_80_with_every_indicator_at_least_5(citizen, points):
    scores = citizen_scores(*points)
    assert rubric.total(scores) == 80
    assert reasons(citizen, scores) == []
    assert rubric.passes(citizen, scores)
    assert rubric.grade(citizen.grades, 80) is None  # binary title: no grade


def test_citizen_fails_at_79(citizen):
    scores = citizen_scores(8, 8, 8, 8, 8, 8, 8, 8, 8, 7)
    assert rubric.total(scores) == 79
    assert not rubric.passes(citizen, scores)
    found = reasons(citizen, scores)
    assert [(r.field, r.code) for r in found] == [("assessment", "below_threshold")]
    assert found[0].params == {"total": 79, "threshold": 80}


def test_citizen_fails_with_one_indicator_at_4_whatever_the_total(citizen):
    # Ten indicators of at most 10 with one at 4 total at most 94: the highest such total fails.
    scores = citizen_scores(10, 10, 10, 10, 10, 4, 10, 10, 10, 10)
    assert rubric.total(scores) == 94
    assert not rubric.passes(citizen, scores)
    found = reasons(citizen, scores)
    assert [(r.field, r.code) for r in found] == [("assessment.2.2", "below_minimum")]
    assert found[0].params == {"points": 4, "minimum": 5}
    assert "2.2" in found[0].message


def test_citizen_at_5_everywhere_but_one_passes_the_minimum(citizen):
    scores = citizen_scores(10, 10, 10, 10, 10, 5, 10, 10, 10, 10)
    assert reasons(citizen, scores) == []


def test_citizen_lists_every_unmet_reason(citizen):
    scores = citizen_scores(4, 10, 3, 10, 10, 0, 10, 10, 10, 10)
    found = reasons(citizen, scores)
    assert [(r.field, r.code) for r in found] == [
        ("assessment.1.1", "below_minimum"), ("assessment.1.3", "below_minimum"),
        ("assessment.2.2", "below_minimum"), ("assessment", "below_threshold")]
    assert found[-1].params == {"total": 77, "threshold": 80}


# -- Đơn vị học tập: Tốt 85–100, Khá 70–84, Trung bình 50–69, Không đạt below 50 -------------------

@pytest.mark.parametrize("points, grade, recognised", [
    (0, None, False),
    (49, None, False),
    (50, "trung_binh", True),
    (69, "trung_binh", True),
    (70, "kha", True),
    (84, "kha", True),
    (85, "tot", True),
    (100, "tot", True),
])
def test_unit_grade_at_each_boundary(unit_title, points, grade, recognised):
    scores = unit_scores(points)
    assert rubric.grade(unit_title.grades, rubric.total(scores)) == grade
    assert rubric.passes(unit_title, scores) is recognised
    found = reasons(unit_title, scores)
    if recognised:
        assert found == []
    else:
        assert [(r.field, r.code) for r in found] == [("assessment", "below_threshold")]
        assert found[0].params == {"total": points, "threshold": 50}


def test_unit_has_no_per_indicator_minimum(unit_title):
    scores = unit_scores(100)
    scores["1.1"], scores["3.1"] = 0, 25
    scores["1.2"] = 0  # 80 points with two indicators at zero
    assert rubric.total(scores) == 80
    assert rubric.passes(unit_title, scores)


# -- malformed assessments ---------------------------------------------------------------------------

def test_missing_indicators_are_each_named_and_block_passing(citizen):
    scores = citizen_scores(*[10] * 10)
    del scores["1.4"], scores["3.2"]
    assert rubric.missing(citizen, scores) == ["1.4", "3.2"]
    found = rubric.completeness_errors(citizen, scores, "assessment")
    assert [(r.field, r.code) for r in found] == [("assessment.1.4", "missing"),
                                                  ("assessment.3.2", "missing")]
    # 80 points in eight indicators is still not a recognition: the rubric needs all ten.
    assert rubric.total(scores) == 80
    assert not rubric.passes(citizen, scores)


def test_empty_assessment_misses_everything(unit_title):
    assert rubric.missing(unit_title, {}) == list(UNIT_MAX)


@pytest.mark.parametrize("code, points, max_points", [
    ("1.1", 11, 10), ("1.1", -1, 10), ("2.2", 6, 5), ("3.1", 26, 25), ("3.1", 100, 25),
])
def test_points_out_of_range_are_refused(unit_title, code, points, max_points):
    scores = unit_scores(50)
    scores[code] = points
    found = rubric.score_errors(unit_title, scores, "assessment")
    assert [(r.field, r.code) for r in found] == [(f"assessment.{code}", "out_of_range")]
    assert found[0].params == {"max_points": max_points, "points": points}


@pytest.mark.parametrize("code, points", [("3.1", 25), ("2.2", 5), ("1.1", 0)])
def test_points_at_the_limits_are_accepted(unit_title, code, points):
    scores = unit_scores(50)
    scores[code] = points
    assert rubric.score_errors(unit_title, scores, "assessment") == []


@pytest.mark.parametrize("points", [7.5, 8.0, "8", None, True, False, [8], {"v": 8}])
def test_points_that_are_not_whole_numbers_are_refused(citizen, points):
    scores = citizen_scores(*[8] * 10)
    scores["1.2"] = points
    found = rubric.score_errors(citizen, scores, "self_assessment")
    assert [(r.field, r.code) for r in found] == [("self_assessment.1.2", "not_integer")]


@pytest.mark.parametrize("code", ["4.1", "1.5", "1", "", "x", "1.1 "])
def test_unknown_criterion_codes_are_refused(citizen, code):
    scores = citizen_scores(*[8] * 10)
    scores[code] = 5
    found = rubric.score_errors(citizen, scores, "assessment")
    assert [(r.field, r.code) for r in found] == [(f"assessment.{code}", "unknown_criterion")]


def test_every_malformed_score_is_reported_at_once(citizen):
    scores = {"1.1": 11, "1.2": "x", "9.9": 1, "1.3": 7}
    found = rubric.score_errors(citizen, scores, "assessment")
    assert sorted((r.field, r.code) for r in found) == [
        ("assessment.1.1", "out_of_range"), ("assessment.1.2", "not_integer"),
        ("assessment.9.9", "unknown_criterion")]


def test_total_ignores_values_that_are_not_points(citizen):
    assert rubric.total({"1.1": 8, "1.2": "9", "1.3": True, "1.4": 2.5, "2.1": 4}) == 12
    assert rubric.total(None) == 0
