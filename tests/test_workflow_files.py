"""The workflow files are the rules: a broken file stops the app with a message naming the file and
the key, and an edited file changes the rule without any code change."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
import yaml

from certify import create_app
from certify.config import REPOSITORY
from certify.errors import Invalid
from certify.extensions import db
from certify.workflow import WorkflowError, engine, workflow
from tests.conftest import TEST_CONFIG
from tests.factories import CITIZEN, UNIT_TITLE, build_world

SHIPPED = REPOSITORY / "workflows"


@pytest.fixture
def folder(tmp_path) -> Path:
    target = tmp_path / "workflows"
    shutil.copytree(SHIPPED, target)
    return target


def edit(folder: Path, code: str, change) -> Path:
    """Load a copied file, let `change` alter the data, write it back."""
    path = folder / f"{code}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def start(folder: Path, tmp_path: Path, **config):
    return create_app({**TEST_CONFIG, "WORKFLOWS": str(folder),
                       "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}", **config})


def test_the_shipped_files_load_in_both_profiles(folder, tmp_path):
    for profile in ("three-tier", "two-tier", "vn-2025"):
        app = start(folder, tmp_path, PROFILE=profile)
        with app.app_context():
            assert set(app.extensions["certify.workflows"]) == {CITIZEN, UNIT_TITLE}
            assert workflow(CITIZEN).profile_name == profile


def test_a_dated_profile_in_the_mapping_form_still_loads(folder, tmp_path):
    """`vn-2025` may also be written as one mapping: then its tiers never change."""
    edit(folder, CITIZEN, _set({"reviewer": "commune", "approver": "commune"},
                               *_v("tiers", "vn-2025")))
    app = start(folder, tmp_path, PROFILE="vn-2025")
    with app.app_context():
        wf = workflow(CITIZEN)
        assert wf.tier("approver", date(2020, 1, 1)) == wf.tier("approver", date(2030, 1, 1))


def test_an_unedited_round_trip_still_loads(folder, tmp_path):
    """Guards the helper below: re-dumping a file must not itself break it."""
    edit(folder, CITIZEN, lambda d: None)
    edit(folder, UNIT_TITLE, lambda d: None)
    start(folder, tmp_path)


def _delete(*keys):
    def change(d):
        target = d
        for k in keys[:-1]:
            target = target[k]
        del target[keys[-1]]
    return change


def _set(value, *keys):
    def change(d):
        target = d
        for k in keys[:-1]:
            target = target[k]
        target[keys[-1]] = value
    return change


def _duplicate_criterion(d):
    d["versions"][0]["criteria"][1]["code"] = d["versions"][0]["criteria"][0]["code"]


def _unreachable_state(d):
    d["states"]["archived"] = {"name": {"vi": "Lưu trữ", "en": "Archived"}, "final": True}


def _trap_state(d):
    d["states"]["on_hold"] = {"name": {"vi": "Tạm dừng", "en": "On hold"}}
    d["events"]["hold"] = {"name": {"vi": "Tạm dừng", "en": "Hold"},
                           "transitions": [{"from": ["submitted"], "to": "on_hold",
                                            "role": "reviewer"}]}


def _no_initial(d):
    d["states"]["draft"].pop("initial")


def _two_initial(d):
    d["states"]["submitted"]["initial"] = True


def _transition_out_of_final(d):
    d["events"]["submit"]["transitions"][0]["from"].append("withdrawn")


def _one_event_two_targets(d):
    # `reject` would leave `submitted` for `rejected` (reviewer) and for `returned` (approver): the
    # state machine can follow only one of them, whoever fires it.
    d["events"]["reject"]["transitions"].append(
        {"from": ["submitted"], "to": "returned", "role": "approver"})


def _same_role_twice(d):
    d["events"]["return"]["transitions"].append(
        {"from": ["submitted"], "to": "returned", "role": "reviewer"})


def _v(*keys):
    """A key inside the first version (TT 22/2020 for units, QĐ 324 for citizens)."""
    return ("versions", 0) + keys


def _tt24(*keys):
    return ("versions", 1) + keys


def _swap_versions(d):
    d["versions"].reverse()


def _same_day(d):
    d["versions"][1]["in_force_from"] = d["versions"][0]["in_force_from"]


def _twice_the_same_id(d):
    d["versions"][1]["id"] = d["versions"][0]["id"]


def _both_pass_rule_and_levels(d):
    d["versions"][1]["pass_rule"] = {"min_total": 1}


def _points_among_targets(d):
    d["versions"][1]["criteria"][0]["kind"] = "points"
    d["versions"][1]["criteria"][0]["max_points"] = 10


def _level_after_unknown(d):
    d["versions"][1]["levels"][1]["after"]["level"] = "muc_do_3"


def _threshold_of_no_computed_target(d):
    d["versions"][1]["levels"][0]["min_share"]["1.1"] = {"members": 0.5}


def _computed_without_threshold(d):
    del d["versions"][1]["levels"][1]["min_share"]["3.1"]


def _duplicate_document(d):
    d["versions"][1]["documents"][1]["code"] = d["versions"][1]["documents"][0]["code"]


BROKEN = [
    # (title, change, key the message must name, words the message must contain)
    (CITIZEN, _delete(*_v("pass_rule")), "versions[0].pass_rule", "either a pass_rule"),
    (CITIZEN, _delete(*_v("pass_rule", "min_total")), "versions.0.pass_rule.min_total",
     "Field required"),
    (UNIT_TITLE, _delete("states"), "states", "Field required"),
    (CITIZEN, _delete("versions"), "versions", "Field required"),
    (CITIZEN, _set([], "versions"), "versions", "at least 1"),
    (CITIZEN, _delete(*_v("criteria", 0, "max_points")), "versions.0.criteria.0.max_points",
     "Field required"),
    (CITIZEN, _set("three", *_v("valid", "years")), "versions.0.valid.years", "integer"),
    (CITIZEN, _set("many", *_v("pass_rule", "min_total")), "versions.0.pass_rule.min_total",
     "integer"),
    (CITIZEN, _set({"a": 1}, *_v("criteria")), "versions.0.criteria", "list"),
    (CITIZEN, _set(0, *_v("valid", "years")), "versions.0.valid.years", "1"),
    (CITIZEN, _set(-3, *_v("criteria", 2, "max_points")), "versions.0.criteria.2.max_points", "0"),
    (CITIZEN, _set("superseded", "events", "approve", "transitions", 0, "to"),
     "events.approve.transitions[0].to", "superseded"),
    (UNIT_TITLE, _set(["submitted", "pending"], "events", "verify", "transitions", 0, "from"),
     "events.verify.transitions[0].from", "pending"),
    (CITIZEN, _set("mayor", "events", "approve", "transitions", 0, "role"),
     "events.approve.transitions.0.role", "applicant"),
    (CITIZEN, _set("magic", "events", "verify", "needs", 0), "events.verify.needs.0", "comment"),
    (CITIZEN, _set("director", *_v("tiers", "three-tier", "approver")),
     "versions.0.tiers.three-tier.approver", "district"),
    # Dated profiles (vn-2025): a list of entries in day order, each with its own tiers.
    (CITIZEN, _set("director", *_v("tiers", "vn-2025", 1, "approver")),
     "versions.0.tiers.vn-2025.1.approver", "district"),
    (CITIZEN, _delete(*_v("tiers", "vn-2025", 1, "from")), "versions.0.tiers.vn-2025.1.from",
     "Field required"),
    (CITIZEN, _set("1/7/2025", *_v("tiers", "vn-2025", 1, "from")),
     "versions.0.tiers.vn-2025.1.from", "date"),
    (UNIT_TITLE, _set("2019-01-01", *_tt24("tiers", "vn-2025", 1, "from")),
     "versions[1].tiers.vn-2025[1].from", "must come after"),
    (CITIZEN, _set([], *_v("tiers", "vn-2025")), "versions[0].tiers.vn-2025", "at least one"),
    (CITIZEN, _set("two-tier", *_v("tiers", "vn-2025")), "versions.0.tiers.vn-2025",
     "dictionary"),
    (CITIZEN, _duplicate_criterion, "versions[0].criteria[1].code", "1.1"),
    (UNIT_TITLE, _duplicate_criterion, "versions[0].criteria[1].code", "1.1"),
    (CITIZEN, _set(101, *_v("pass_rule", "min_total")), "versions[0].pass_rule.min_total", "101"),
    (UNIT_TITLE, _set(11, *_v("pass_rule", "min_each")), "versions[0].pass_rule.min_each", "11"),
    (UNIT_TITLE, _set(120, *_v("grades", 0, "min_total")), "versions[0].grades[0].min_total",
     "120"),
    (CITIZEN, _set(1.5, "targets", 2030), "targets.2030", "ratio"),
    (UNIT_TITLE, _set(0, "targets", 2030), "targets.2030", "ratio"),
    (CITIZEN, _set(0.4, "targets", 1975), "targets.1975", "year"),
    (CITIZEN, _set("ten", "unexpected_key"), "unexpected_key", "Extra inputs"),
    (CITIZEN, _set("ten", *_v("unexpected_key")), "versions.0.unexpected_key", "Extra inputs"),
    (CITIZEN, _set("xa-hoi", "code"), "code", "file name"),
    (UNIT_TITLE, _delete(*_v("tiers", "three-tier")), "versions[0].tiers.three-tier", "three-tier"),
    (UNIT_TITLE, _delete(*_tt24("tiers", "three-tier")), "versions[1].tiers.three-tier",
     "tt24-2023"),
    (CITIZEN, _no_initial, "states", "initial"),
    (CITIZEN, _two_initial, "states", "initial"),
    (CITIZEN, _unreachable_state, "states", "archived"),
    (UNIT_TITLE, _trap_state, "states", "on_hold"),
    (CITIZEN, _transition_out_of_final, "states", "withdrawn"),
    (CITIZEN, _one_event_two_targets, "events.reject.transitions[2].to", "submitted"),
    (UNIT_TITLE, _same_role_twice, "events.return.transitions[1].role", "reviewer"),
    (CITIZEN, _set(["pass_rule"], "events", "verify", "needs"), "events.verify.needs",
     "complete_assessment"),
    (UNIT_TITLE, _set({"month": 2, "day": 30}, *_tt24("deadlines", "submit_before")),
     "versions.1.deadlines.submit_before", "30"),
    (UNIT_TITLE, _set({"month": 4, "day": 31}, *_tt24("deadlines", "approve_before")),
     "versions.1.deadlines.approve_before", "31"),
    (CITIZEN, _set({"month": 12, "day": 20}, *_v("deadlines", "submit_before")),
     "versions.0.deadlines", "approve_before must come after submit_before"),
    (UNIT_TITLE, _set({"month": 2, "day": 1, "year_offset": 1}, *_tt24("deadlines", "submit_from")),
     "versions.1.deadlines", "submit_before must come after submit_from"),
    (UNIT_TITLE, _set({"month": 1, "day": 14, "year_offset": 1}, *_tt24("deadlines", "submit_by")),
     "versions.1.deadlines.submit_by", "Extra inputs"),
    # Versions: sorted oldest first, each day once, each id once (domain.md, "Rules change").
    (UNIT_TITLE, _swap_versions, "versions[1].in_force_from", "oldest first"),
    (UNIT_TITLE, _same_day, "versions[1].in_force_from", "overlaps"),
    (UNIT_TITLE, _twice_the_same_id, "versions[1].id", "twice"),
    (UNIT_TITLE, _set("26/01/2024", *_tt24("in_force_from")), "versions.1.in_force_from", "date"),
    (UNIT_TITLE, _delete(*_tt24("source")), "versions.1.source", "Field required"),
    (UNIT_TITLE, _set("TT 24", *_tt24("id")), "versions.1.id", "pattern"),
    # What a version may hold: targets or points, levels that fit its computed targets.
    (UNIT_TITLE, _both_pass_rule_and_levels, "versions[1].pass_rule", "not both"),
    (UNIT_TITLE, _points_among_targets, "versions[1].criteria[0].kind", "points"),
    (UNIT_TITLE, _set(5, *_tt24("criteria", 1, "max_points")),
     "versions.1.criteria.1.max_points", "no points"),
    (UNIT_TITLE, _set("sometimes", *_tt24("criteria", 1, "kind")), "versions.1.criteria.1.kind",
     "points"),
    (UNIT_TITLE, _level_after_unknown, "versions[1].levels[1].after.level", "muc_do_3"),
    (UNIT_TITLE, _threshold_of_no_computed_target, "versions[1].levels[0].min_share.1.1",
     "computed"),
    (UNIT_TITLE, _computed_without_threshold, "versions[1].levels[1].min_share", "3.1"),
    (UNIT_TITLE, _set(1.2, *_tt24("levels", 0, "min_share", "3.1", "members")),
     "versions.1.levels.0.min_share.3.1.members", "1"),
    (UNIT_TITLE, _set({"members": 0.9}, *_v("criteria", 0, "computed")),
     "versions.0.criteria.0.computed.share_of", "Field required"),
    (UNIT_TITLE, _duplicate_document, "versions[1].documents[1].code", "twice"),
    (UNIT_TITLE, _set("from_time_to_time", *_tt24("valid", "counted_from")),
     "versions.1.valid.counted_from", "decision_date"),
]


@pytest.mark.parametrize("title, change, key, words", BROKEN,
                         ids=[f"{t}-{k}-{i}" for i, (t, _, k, _) in enumerate(BROKEN)])
def test_a_broken_file_stops_the_app_naming_file_and_key(folder, tmp_path, title, change, key,
                                                         words):
    path = edit(folder, title, change)
    with pytest.raises(WorkflowError) as raised:
        start(folder, tmp_path)
    error = raised.value
    assert Path(error.path).name == path.name
    assert error.key == key
    assert words in error.message
    assert path.name in str(error) and key in str(error)


def test_yaml_syntax_error_names_the_file_and_line(folder, tmp_path):
    path = folder / f"{UNIT_TITLE}.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    broken_at = next(i for i, line in enumerate(lines) if line.startswith("targets:"))
    lines[broken_at] = "targets: [3"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(WorkflowError) as raised:
        start(folder, tmp_path)
    assert Path(raised.value.path).name == path.name
    assert raised.value.key.startswith("line ")
    # The parser notices the unclosed bracket at or after the line that opened it.
    assert int(raised.value.key.split()[1]) >= broken_at + 1
    assert "YAML" in raised.value.message


@pytest.mark.parametrize("text", ["", "- just\n- a list\n", "42\n"])
def test_a_file_that_is_not_a_mapping_is_refused(folder, tmp_path, text):
    (folder / f"{CITIZEN}.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(WorkflowError) as raised:
        start(folder, tmp_path)
    assert Path(raised.value.path).name == f"{CITIZEN}.yaml"


def test_the_profile_in_force_must_exist_in_every_file(folder, tmp_path):
    with pytest.raises(WorkflowError) as raised:
        start(folder, tmp_path, PROFILE="one-tier")
    assert raised.value.key == "versions[0].tiers.one-tier"
    assert Path(raised.value.path).name.endswith(".yaml")


def test_an_empty_folder_is_refused(tmp_path):
    empty = tmp_path / "nothing"
    empty.mkdir()
    with pytest.raises(WorkflowError) as raised:
        start(empty, tmp_path)
    assert raised.value.path == str(empty)


def test_a_file_name_that_differs_from_its_code_is_refused(folder, tmp_path):
    (folder / f"{CITIZEN}.yaml").rename(folder / "cong-dan.yaml")
    with pytest.raises(WorkflowError) as raised:
        start(folder, tmp_path)
    assert Path(raised.value.path).name == "cong-dan.yaml" and raised.value.key == "code"


# -- editing a file changes the rule ----------------------------------------------------------------

SEVENTY_FIVE = {c: p for c, p in zip(
    ("1.1", "1.2", "1.3", "1.4", "2.1", "2.2", "2.3", "2.4", "3.1", "3.2"),
    (8, 8, 8, 8, 8, 7, 7, 7, 7, 7))}


@pytest.mark.parametrize("threshold, verifies", [(None, False), (70, True), (75, True),
                                                 (76, False)])
def test_editing_the_threshold_changes_the_rule(app, database_url, folder, threshold, verifies):
    if threshold is not None:
        edit(folder, CITIZEN, _set(threshold, *_v("pass_rule", "min_total")))
    edited = create_app({**TEST_CONFIG, "DATABASE_URL": database_url, "WORKFLOWS": str(folder)})
    with edited.app_context():
        try:
            from certify.services import nominations

            w = build_world()
            assert sum(SEVENTY_FIVE.values()) == 75
            n = nominations.create(w.household_a, title=CITIZEN, subject_id=w.person_a.id,
                                   year=2026, self_assessment=dict(SEVENTY_FIVE))
            engine.apply(n.id, "submit", w.household_a, n.version)
            payload = engine.Payload(assessment=dict(SEVENTY_FIVE))
            if verifies:
                engine.apply(n.id, "verify", w.reviewer_a, n.version, payload)
                db.session.refresh(n)
                assert n.state == "verified"
            else:
                with pytest.raises(Invalid) as refused:
                    engine.apply(n.id, "verify", w.reviewer_a, n.version, payload)
                assert refused.value.details[-1]["threshold"] == (threshold or 80)
                db.session.refresh(n)
                assert n.state == "submitted"
        finally:
            db.session.remove()
            db.engine.dispose()


def test_the_events_read_from_a_file_are_those_its_state_machine_allows(ctx):
    """policy.allowed_events reads the file's transitions instead of building a machine per
    question; both come from one file and must agree in every state of every shipped title."""
    from types import SimpleNamespace

    from certify.workflow import workflows

    for wf in workflows().values():
        for state in wf.spec.states:
            machine = wf.machine(SimpleNamespace(state=state))
            from_machine = [e.id for e in machine.allowed_events]
            from_file = [e for e in wf.spec.events if wf.spec.transition(e, state)]
            assert sorted(from_machine) == sorted(from_file), (wf.code, state)
