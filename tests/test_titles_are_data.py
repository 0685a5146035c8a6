"""Titles are data: a copy of the workflow files with every state and event renamed, plus a third
title, runs the whole procedure through the pages and the API. No code may name a state or an
event; each step is found by what it means (certify.workflow.meaning)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
import yaml

from certify import clock, create_app
from certify.config import REPOSITORY
from certify.extensions import db
from certify.models import Recognition
from certify.services import deadlines, nominations
from certify.workflow import meaning, workflow, workflows

from .api_client import Api
from .conftest import TEST_CONFIG, Client
from certify.web.assessment import MET, NOT_MET

from .factories import CITIZEN, TT22_YEAR, UNIT_TITLE
from .web_support import Site, sign_in, text

THIRD = "gia-dinh-hoc-tap"
PERSON_TITLES = (THIRD, CITIZEN)


# -- the renamed copy -----------------------------------------------------------------------------

def _names(node, key: str, found: set) -> set:
    """Every key of every `key:` mapping anywhere in a workflow file's data."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == key and isinstance(v, dict):
                found.update(v)
            _names(v, key, found)
    elif isinstance(node, list):
        for v in node:
            _names(v, key, found)
    return found


def _renamed(node, states: dict, events: dict):
    """The data with every state and event renamed: the keys of `states:` and `events:` mappings
    and every transition's `from` and `to`, wherever the file puts them."""
    if isinstance(node, list):
        return [_renamed(v, states, events) for v in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for k, v in node.items():
        if k == "states" and isinstance(v, dict):
            out[k] = {states[s]: _renamed(spec, states, events) for s, spec in v.items()}
        elif k == "events" and isinstance(v, dict):
            out[k] = {events[e]: _renamed(spec, states, events) for e, spec in v.items()}
        elif k == "from" and isinstance(v, list):
            out[k] = [states[s] for s in v]
        elif k == "to" and isinstance(v, str):
            out[k] = states[v]
        else:
            out[k] = _renamed(v, states, events)
    return out


def rename_file(data: dict, tag: str) -> tuple[dict, dict, dict]:
    """New names for every state and event (`tt1_<tag>`, `bc1_<tag>`, …) and the renamed data."""
    states = {s: f"tt{i}_{tag}" for i, s in enumerate(sorted(_names(data, "states", set())), 1)}
    events = {e: f"bc{i}_{tag}" for i, e in enumerate(sorted(_names(data, "events", set())), 1)}
    return _renamed(data, states, events), states, events


def renamed_folder(target: Path) -> dict[str, dict[str, str]]:
    """The shipped files renamed into `target`, with a third person title; returns the old names
    of each file (to check that none survives)."""
    target.mkdir()
    old = {}
    for path in sorted((REPOSITORY / "workflows").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        copies = [(data["code"], data, path.stem[:2])]
        if data["code"] == CITIZEN:
            third = {**data, "code": THIRD,
                     "name": {"vi": "Gia đình học tập", "en": "Learning Family"}}
            copies.append((THIRD, third, "gd"))
        for code, content, tag in copies:
            new, states, events = rename_file(content, tag)
            old[code] = {**states, **events}
            (target / f"{code}.yaml").write_text(yaml.safe_dump(new, allow_unicode=True,
                                                                sort_keys=False), encoding="utf-8")
    return old


@pytest.fixture
def renamed(app, database_url, tmp_path):
    """An app on the renamed files, sharing the test database (emptied after the test)."""
    folder = tmp_path / "workflows"
    old = renamed_folder(folder)
    other = create_app({**TEST_CONFIG, "DATABASE_URL": database_url, "WORKFLOWS": str(folder)})
    other.test_client_class = Client
    other.old_names = old
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def site(renamed):
    return Site(renamed)


def step(app, title: str) -> dict:
    with app.app_context():
        return meaning.procedure(workflow(title).spec)


def spec_of(app, title: str):
    with app.app_context():
        return workflow(title).spec


def passing(spec, year: int | None = None) -> dict:
    """Every criterion of the version judging `year` (default: the newest) at its maximum, every
    target met: passes whatever the file's rule."""
    rules = spec.versions[-1] if year is None else next(
        v for v in reversed(spec.versions) if v.in_force_from <= date(year, 12, 31))
    return {c.code: True if c.kind == "target" else c.max_points
            for c in rules.assessed_criteria}


def scores_form(scores: dict, **extra) -> dict:
    def value(v):
        return (MET if v else NOT_MET) if isinstance(v, bool) else str(v)
    return {**{f"c-{code}": value(v) for code, v in scores.items()}, **extra}


def a_year(app, title: str) -> int:
    with app.app_context():
        return max(deadlines.fileable_years(title))


def today(app) -> str:
    with app.app_context():
        return clock.today().isoformat()


def signed_in(app, username: str):
    client = app.test_client()
    sign_in(client, username)
    return client


def test_the_copy_renames_everything_and_loads(renamed):
    with renamed.app_context():
        assert set(workflows()) == {CITIZEN, UNIT_TITLE, THIRD}
        for code, wf in workflows().items():
            names = set(wf.spec.states) | set(wf.spec.events)
            assert not names & set(renamed.old_names[code]), code  # no old name survives
            steps = meaning.procedure(wf.spec)
            assert all(steps.values()), (code, steps)  # every step found by meaning


# -- through the pages ----------------------------------------------------------------------------

def _nominate(client, person_id: int, title: str, year: int) -> int:
    r = client.post("/household/nominate", data={"person_id": person_id, "title": title,
                                                 "year": year})
    assert r.status_code == 302, r.status_code
    return int(r.headers["Location"].rstrip("/").split("/")[-1])


@pytest.mark.parametrize("title", PERSON_TITLES)
def test_household_review_and_decision_through_the_pages(renamed, site, title):
    spec, steps = spec_of(renamed, title), step(renamed, title)
    household = signed_in(renamed, "ho-a")
    page = text(household.get("/household/"))
    for code in PERSON_TITLES:  # every person title is offered, the third one included
        with renamed.app_context():
            name = workflow(code).spec.name.vi
        assert f"Đề nghị công nhận “{name}”" in page
    nid = _nominate(household, site.person_a, title, a_year(renamed, title))
    row = site.nomination_row(nid)
    assert row.title_code == title and row.state == spec.initial_state and row.is_open

    # Save and submit, in one request.
    r = household.post(f"/household/nominations/{nid}", data=scores_form(
        passing(spec), version=row.version, action="submit", declared="1"))
    assert r.status_code == 302
    row = site.nomination_row(nid)
    assert row.state in meaning.queue_states(spec)
    page = text(household.get(f"/household/nominations/{nid}"))
    assert 'name="c-' not in page  # no longer editable
    assert f"/household/nominations/{nid}/withdraw" in page  # the applicant may still withdraw

    # The reviewer's queue holds it; scoring and the buttons come from the file.
    reviewer = signed_in(renamed, "review-a")
    assert f"/review/nominations/{nid}" in text(reviewer.get("/review/"))
    page = text(reviewer.get(f"/review/nominations/{nid}"))
    assert 'name="c-' in page and f'value="{steps["score"]}"' in page
    assert f'value="{steps["send_back"]}" class="secondary"' in page
    assert f'value="{steps["refuse"]}" class="danger"' in page
    r = reviewer.post(f"/review/nominations/{nid}", data=scores_form(
        passing(spec), event=steps["score"], version=row.version))
    assert r.status_code == 302 and r.headers["Location"].endswith("/review/")
    row = site.nomination_row(nid)
    assert row.state in meaning.awaiting_decision_states(spec)

    # The approver decides, in a decision, after a confirmation step.
    approver = signed_in(renamed, "approve")
    assert f'value="{nid}"' in text(approver.get("/district/"))
    decision = {"nomination_id": [str(nid)], "number": "21/QĐ-UBND", "date": today(renamed),
                "signer": "Lê Văn Hùng", "signer_position": "tm_chu_tich", "place": "Bỉm Sơn"}
    confirmation = approver.post("/district/decisions/confirm", data=decision)
    assert confirmation.status_code == 200
    token = re.search(r'name="token"[^>]*value="([^"]+)"', text(confirmation)).group(1)
    r = approver.post("/district/decisions",
                      data={**{k: v for k, v in decision.items() if k != "nomination_id"},
                            "token": token})
    assert r.status_code == 302 and "/district/decisions/" in r.headers["Location"]
    row = site.nomination_row(nid)
    assert row.state in meaning.granted_states(spec) and row.is_open

    # The certificate and its public verification.
    rec_id, code = site.run(lambda w: (lambda r: (r.id, r.code))(
        db.session.query(Recognition).filter_by(nomination_id=nid).one()))
    pdf = household.get(f"/recognitions/{rec_id}/certificate.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert "Giấy chứng nhận còn hiệu lực." in text(renamed.test_client().get(f"/verify/{code}"))
    page = text(household.get(f"/household/nominations/{nid}"))
    assert "state-granted" in page and spec.states[row.state].name.vi in page


def test_send_back_withdraw_and_a_new_dossier_through_the_pages(renamed, site):
    spec, steps = spec_of(renamed, THIRD), step(renamed, THIRD)
    year = a_year(renamed, THIRD)
    household = signed_in(renamed, "ho-a")
    nid = _nominate(household, site.person_a, THIRD, year)
    row = site.nomination_row(nid)
    household.post(f"/household/nominations/{nid}", data=scores_form(
        passing(spec), version=row.version, action="submit", declared="1"))
    row = site.nomination_row(nid)
    reviewer = signed_in(renamed, "review-a")
    # Sending back needs a comment (the file says so): without one, nothing changes.
    r = reviewer.post(f"/review/nominations/{nid}", data={"event": steps["send_back"],
                                                          "version": row.version})
    assert r.status_code == 422 and site.nomination_row(nid).state == row.state
    r = reviewer.post(f"/review/nominations/{nid}", data={
        "event": steps["send_back"], "version": row.version, "comment": "Bổ sung minh chứng 1.2"})
    assert r.status_code == 302
    row = site.nomination_row(nid)
    assert row.state in meaning.returned_states(spec)
    page = text(household.get(f"/household/nominations/{nid}"))
    assert "Cần bổ sung" in page and "Bổ sung minh chứng 1.2" in page and 'name="c-' in page

    # While it is open, the year is not offered again for this title; once withdrawn, it is.
    def offered() -> bool:
        index = text(household.get("/household/"))
        member = index.split(f'id="member-{site.person_a}"')[1].split("</section>")[0]
        form = member.split(f'id="year-{site.person_a}-{THIRD}"')
        return len(form) > 1 and f'<option value="{year}">' in form[1].split("</select>")[0]
    assert not offered()
    # Withdrawing cannot be undone (the file's final state says so): it is confirmed first.
    r = household.post(f"/household/nominations/{nid}/withdraw", data={"version": row.version})
    assert r.status_code == 200 and 'name="confirmed" value="1"' in text(r)
    assert site.nomination_row(nid).state == row.state
    r = household.post(f"/household/nominations/{nid}/withdraw",
                       data={"version": row.version, "confirmed": "1"})
    assert r.status_code == 302
    row = site.nomination_row(nid)
    assert row.state in meaning.freeing_states(spec) and not row.is_open
    assert offered()
    again = _nominate(household, site.person_a, THIRD, year)
    assert again != nid and site.nomination_row(again).is_open


def test_a_refused_submission_keeps_nothing_of_the_request(renamed, site):
    """Save and submit is one transaction: a submission the engine refuses (a score missing)
    leaves the saved draft as it was, and the page keeps what the user typed."""
    spec = spec_of(renamed, THIRD)
    household = signed_in(renamed, "ho-a")
    nid = _nominate(household, site.person_a, THIRD, a_year(renamed, THIRD))
    criteria = spec.versions[-1].assessed_criteria
    first, second, *rest = [c.code for c in criteria]
    draft = {first: criteria[0].max_points}
    r = household.post(f"/household/nominations/{nid}", data=scores_form(
        draft, version=site.nomination_row(nid).version, action="save"))
    assert r.status_code == 302
    saved = site.nomination_row(nid)
    assert saved.self_assessment == draft

    typed = {first: 0, second: 1}  # the rest left empty
    r = household.post(f"/household/nominations/{nid}", data=scores_form(
        typed, version=saved.version, action="submit", declared="1"))
    assert r.status_code == 422
    page = text(r)
    assert "chưa có gì được lưu" in page and "Chưa có điểm." in page
    assert re.search(rf'name="c-{re.escape(second)}"[^>]*value="1"', page)  # kept as typed
    after = site.nomination_row(nid)
    assert (after.self_assessment, after.version, after.state) == \
        (saved.self_assessment, saved.version, saved.state)


def test_a_refused_unit_submission_keeps_nothing_either(renamed, site):
    """The year of a unit dossier has not ended: the engine refuses the submission, and the
    scores sent with it are not saved."""
    spec = spec_of(renamed, UNIT_TITLE)
    this_year = int(today(renamed)[:4])
    with renamed.app_context():
        assert not deadlines.may_submit(UNIT_TITLE, this_year)
    nid = site.run(lambda w: nominations.create(w.organization_user, title=UNIT_TITLE,
                                                subject_id=w.organization.id, year=this_year).id)
    organization = signed_in(renamed, "truong")
    row = site.nomination_row(nid)
    r = organization.post(f"/household/nominations/{nid}", data=scores_form(
        passing(spec), version=row.version, action="submit", declared="1"))
    assert r.status_code == 422
    assert str(this_year + 1) in text(r)  # the first day it may be submitted
    after = site.nomination_row(nid)
    assert (after.self_assessment, after.version) == ({}, row.version)


# -- through the API ------------------------------------------------------------------------------

def fire(api, who, n, event, **extra):
    r = api.post(f"/nominations/{n['id']}/events", who,
                 json={"event": event, "version": n["version"], **extra})
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_the_same_journey_through_the_api(renamed, site):
    api = Api(renamed.test_client())
    spec, steps = spec_of(renamed, THIRD), step(renamed, THIRD)
    year = a_year(renamed, THIRD)
    r = api.post("/nominations", "ho-a", json={"title": THIRD, "subject_id": site.person_a,
                                               "year": year, "self_assessment": passing(spec)})
    assert r.status_code == 201
    n = r.get_json()
    assert set(n["allowed_events"]) == {steps["submit"], steps["withdraw"]}
    # One open dossier per subject, title and year.
    again = api.post("/nominations", "ho-a", json={"title": THIRD, "subject_id": site.person_a,
                                                   "year": year})
    assert again.status_code == 409
    n = fire(api, "ho-a", n, steps["submit"])
    assert n["state"] in meaning.queue_states(spec)
    n = fire(api, "review-a", n, steps["score"], assessment=passing(spec))
    assert n["state"] in meaning.awaiting_decision_states(spec)
    n = fire(api, "approve", n, steps["grant"],
             decision={"number": "31/QĐ-UBND", "date": today(renamed), "signer": "Lê Văn Hùng",
                       "signer_position": "tm_chu_tich"})
    assert n["state"] in meaning.granted_states(spec)
    assert [h["event"] for h in n["history"]] == [steps["submit"], steps["score"], steps["grant"]]
    code = n["recognition"]["code"]
    assert api.get(f"/public/recognitions/{code}").get_json()["valid"] is True
    n = fire(api, "approve", n, steps["end"], comment="Kê khai sai")
    assert api.get(f"/public/recognitions/{code}").get_json()["valid"] is False

    # The unit title, renamed too, through a decision of the API (a year judged on points: a TT 24
    # year's verify also needs members holding the citizen title in the records; its documents
    # through the API are tests/test_api_evidence.py's).
    unit_spec, unit_steps = spec_of(renamed, UNIT_TITLE), step(renamed, UNIT_TITLE)
    r = api.post("/nominations", "truong", json={
        "title": UNIT_TITLE, "subject_id": site.organization,
        "year": TT22_YEAR, "self_assessment": passing(unit_spec, TT22_YEAR)})
    u = fire(api, "truong", r.get_json(), unit_steps["submit"])
    u = fire(api, "review-district", u, unit_steps["score"],
             assessment=passing(unit_spec, TT22_YEAR))
    r = api.post("/decisions", "approve", json={
        "number": "32/QĐ-UBND", "date": today(renamed), "signer": "Lê Văn Hùng",
        "signer_position": "tm_chu_tich", "nomination_ids": [u["id"]]})
    assert r.status_code == 201 and r.get_json()["approved"] == 1
    u = api.get(f"/nominations/{u['id']}", "approve").get_json()
    assert u["state"] in meaning.granted_states(unit_spec)
    refused = api.post("/nominations", "ho-a", json={"title": CITIZEN, "subject_id": site.person_a,
                                                     "year": year})
    c = fire(api, "ho-a", refused.get_json(), step(renamed, CITIZEN)["withdraw"])
    assert c["state"] in meaning.freeing_states(spec_of(renamed, CITIZEN))
    assert api.post("/nominations", "ho-a", json={"title": CITIZEN, "subject_id": site.person_a,
                                                  "year": year}).status_code == 201


# -- role labels follow the tier in force ---------------------------------------------------------

TIER = {"commune": "cấp xã", "district": "cấp huyện", "province": "cấp tỉnh"}


@pytest.mark.parametrize("profile", ["three-tier", "two-tier"])
def test_role_labels_and_the_home_page_name_the_tiers_in_force(app, database_url, profile):
    other = create_app({**TEST_CONFIG, "DATABASE_URL": database_url, "PROFILE": profile})
    other.test_client_class = Client
    try:
        with other.app_context():
            from .factories import build_world

            build_world()
            db.session.commit()
            titles = list(workflows().values())
            levels = {role: {wf.tier(role) for wf in titles} for role in ("reviewer", "approver")}
            citizen = {role: workflow(CITIZEN).tier(role) for role in ("reviewer", "approver")}
            db.session.remove()
        home = text(other.test_client().get("/"))
        assert (f"{TIER[citizen['reviewer']]} thẩm định; {TIER[citizen['approver']]} "
                "ra quyết định công nhận") in home
        admin = other.test_client()
        sign_in(admin, "admin")
        page = text(admin.get("/admin/accounts"))
        for role, word in (("reviewer", "Thẩm định"), ("approver", "Phê duyệt")):
            label = f"{word} ({', '.join(TIER[lv] for lv in TIER if lv in levels[role])})"
            assert label in page, label
            for level in set(TIER) - levels[role]:
                assert f"{word} ({TIER[level]})" not in page
    finally:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()
