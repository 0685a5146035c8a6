"""Issue 9, items 3 and 4: what cannot be undone is confirmed first (withdraw, reject, revoke,
approve), reject sits apart from return with its own reason, and the review page is for reviewing
(evidence beside its indicator, "fill from the self-assessment", the next dossier in the queue)."""

from __future__ import annotations

import io
import re

import pytest

from certify.workflow import meaning, workflows

from .factories import CITIZEN, CITIZEN_PASS, UNIT_TITLE, person
from .web_support import Site, sign_in, text

PDF = b"%PDF-1.4\n% minh chung\n"
IRREVERSIBLE = "không thể hoàn tác"


@pytest.fixture
def site(app):
    return Site(app)


@pytest.fixture
def reviewer(client, site):
    sign_in(client, "review-a")
    return client


SPECS: dict = {}


@pytest.fixture(autouse=True)
def _specs(app):
    """The titles' workflow files, read once in the app (meaning.* then needs no context)."""
    with app.app_context():
        SPECS.update({code: wf.spec for code, wf in workflows().items()})


def _spec(title=CITIZEN):
    return SPECS[title]


def _steps(title=CITIZEN) -> dict:
    return meaning.procedure(_spec(title))


def _submit_new(w, name):
    from certify.services import nominations
    from certify.workflow import engine
    p = person(w.household_a, name)
    n = nominations.create(w.household_a, title=CITIZEN, subject_id=p.id, year=2026,
                           self_assessment=dict(CITIZEN_PASS))
    engine.apply(n.id, "submit", w.household_a, n.version)
    return n.id


def _forms(page: str) -> list[str]:
    return re.findall(r"<form\b.*?</form>", page, flags=re.S)


def _textarea(page: str, ident: str) -> str:
    found = re.search(r'<textarea id="%s"[^>]*>(.*?)</textarea>' % re.escape(ident), page, re.S)
    assert found, ident
    return found.group(1)


def _input_value(page: str, name: str) -> str:
    tag = re.search(r'<input[^>]*\bname="%s"[^>]*>' % re.escape(name), page, re.S).group(0)
    return re.search(r'\bvalue="([^"]*)"', tag).group(1)


def _last_history(site, nid):
    from certify.models import Nomination

    def read(_w):
        from certify.extensions import db
        n = db.session.get(Nomination, nid)
        last = n.history[-1]
        return last.event, last.comment
    return site.run(read)


# -- which events are confirmed: the workflow files' answer ----------------------------------------

@pytest.mark.parametrize("title", [CITIZEN, UNIT_TITLE])
def test_irreversible_events_come_from_the_workflow_file(title):
    spec, steps = _spec(title), _steps(title)
    irreversible = meaning.irreversible_events(spec)
    for step in ("withdraw", "refuse", "grant", "end"):
        assert steps[step] in irreversible, step
    for step in ("submit", "send_back", "score"):
        assert steps[step] not in irreversible, step
    for event in irreversible:  # each ends the dossier or recognises the title
        e = spec.events[event]
        assert event in meaning.grant_events(spec) or all(spec.states[t.to].final for t in e.transitions)


# -- reject ---------------------------------------------------------------------------------------

def test_reject_is_confirmed_first_and_names_the_dossier(reviewer, site):
    refuse = _steps()["refuse"]
    nid = site.nomination("submitted")
    row = site.nomination_row(nid)
    asked = reviewer.post(f"/review/nominations/{nid}/confirm", data={
        "event": refuse, "comment": "Khai không đúng sự thật", "version": row.version})
    page = text(asked)
    assert asked.status_code == 200
    assert IRREVERSIBLE in page and "Nguyễn Văn An" in page and row.receipt_code in page
    assert "Công dân học tập 2026" in page and "Khai không đúng sự thật" in page
    assert f'href="/review/nominations/{nid}">Quay lại</a>' in page
    assert _input_value(page, "confirmed") == "1" and _input_value(page, "event") == refuse
    assert _input_value(page, "version") == str(row.version)
    assert _input_value(page, "comment") == "Khai không đúng sự thật"
    after = site.nomination_row(nid)
    assert after.state == row.state and after.version == row.version  # nothing written yet
    done = reviewer.post(f"/review/nominations/{nid}", data={
        "event": refuse, "comment": "Khai không đúng sự thật", "version": row.version,
        "confirmed": "1"})
    assert done.status_code == 302
    assert site.nomination_row(nid).state in meaning.freeing_states(_spec())
    assert _last_history(site, nid) == (refuse, "Khai không đúng sự thật")


def test_a_direct_reject_without_the_confirmation_changes_nothing(reviewer, site):
    nid = site.nomination("submitted")
    row = site.nomination_row(nid)
    response = reviewer.post(f"/review/nominations/{nid}", data={
        "event": _steps()["refuse"], "comment": "Không đạt", "version": row.version,
        "confirmed": "yes"})
    assert response.status_code == 200 and IRREVERSIBLE in text(response)
    assert site.nomination_row(nid).version == row.version


def test_reject_without_a_reason_is_refused_before_the_confirmation(reviewer, site):
    nid = site.nomination("submitted")
    row = site.nomination_row(nid)
    response = reviewer.post(f"/review/nominations/{nid}/confirm", data={
        "event": _steps()["refuse"], "comment": "  ", "version": row.version})
    page = text(response)
    assert response.status_code == 422 and "Nhận xét: chưa nhập." in page
    assert 'name="confirmed"' not in page  # the review page again, not the confirmation
    assert site.nomination_row(nid).version == row.version


def test_a_stale_version_gets_the_409_page_at_either_step(reviewer, site):
    refuse = _steps()["refuse"]
    nid = site.nomination("submitted")
    row = site.nomination_row(nid)
    stale = reviewer.post(f"/review/nominations/{nid}/confirm", data={
        "event": refuse, "comment": "Không đạt", "version": row.version - 1})
    assert stale.status_code == 409
    asked = reviewer.post(f"/review/nominations/{nid}/confirm", data={
        "event": refuse, "comment": "Không đạt", "version": row.version})
    assert asked.status_code == 200
    # Meanwhile someone returns the dossier; the confirmed reject must not go through.
    reviewer.post(f"/review/nominations/{nid}", data={
        "event": _steps()["send_back"], "comment": "Bổ sung ảnh", "version": row.version})
    late = reviewer.post(f"/review/nominations/{nid}", data={
        "event": refuse, "comment": "Không đạt", "version": row.version, "confirmed": "1"})
    assert late.status_code == 409
    assert site.nomination_row(nid).state in meaning.returned_states(_spec())


# -- reversible events act at once ------------------------------------------------------------------

def test_return_and_verify_act_without_a_confirmation(reviewer, site):
    steps = _steps()
    returned = site.nomination("submitted")
    row = site.nomination_row(returned)
    response = reviewer.post(f"/review/nominations/{returned}", data={
        "event": steps["send_back"], "comment": "Bổ sung minh chứng 1.3", "version": row.version})
    assert response.status_code == 302
    assert site.nomination_row(returned).state in meaning.returned_states(_spec())
    verified = site.run(lambda w: _submit_new(w, "Lê Văn Cường"))
    row = site.nomination_row(verified)
    response = reviewer.post(f"/review/nominations/{verified}", data={
        **{f"c-{code}": str(v) for code, v in CITIZEN_PASS.items()},
        "event": steps["score"], "version": row.version})
    assert response.status_code == 302
    assert site.nomination_row(verified).state in meaning.awaiting_decision_states(_spec())


def test_only_irreversible_events_have_a_confirmation_page(reviewer, site):
    nid = site.nomination("submitted")
    row = site.nomination_row(nid)
    response = reviewer.post(f"/review/nominations/{nid}/confirm", data={
        "event": _steps()["send_back"], "comment": "Bổ sung", "version": row.version})
    assert response.status_code == 400
    assert site.nomination_row(nid).version == row.version


def test_submit_acts_without_a_confirmation(client, site):
    sign_in(client, "ho-a")
    nid = site.nomination("draft")
    row = site.nomination_row(nid)
    response = client.post(f"/household/nominations/{nid}", data={
        **{f"c-{code}": str(v) for code, v in CITIZEN_PASS.items()},
        "version": row.version, "action": "submit", "declared": "1"})
    assert response.status_code == 302
    assert site.nomination_row(nid).state in meaning.queue_states(_spec())


# -- reject apart from return -----------------------------------------------------------------------

def test_reject_and_return_are_separate_forms_each_with_its_own_comment(reviewer, site):
    steps = _steps()
    nid = site.nomination("submitted")
    page = text(reviewer.get(f"/review/nominations/{nid}"))
    forms = _forms(page)
    back = [f for f in forms if f'value="{steps["send_back"]}"' in f]
    refuse = [f for f in forms if f'value="{steps["refuse"]}"' in f]
    assert len(back) == 1 and len(refuse) == 1 and back != refuse
    assert "Trả lại để bổ sung" in back[0] and 'name="comment"' in back[0]
    assert "Không công nhận" in refuse[0] and 'name="comment"' in refuse[0]
    assert f'action="/review/nominations/{nid}/confirm"' in refuse[0]
    assert 'class="danger"' in refuse[0] and 'class="danger"' not in back[0]
    scoring = [f for f in forms if f'value="{steps["score"]}"' in f][0]
    assert 'name="comment"' not in scoring and f'value="{steps["refuse"]}"' not in scoring
    # A refused return (its comment too long) comes back in the return box only.
    from certify.services.validate import Longest
    long = "x" * (Longest.COMMENT + 1)
    row = site.nomination_row(nid)
    again = reviewer.post(f"/review/nominations/{nid}", data={
        "event": steps["send_back"], "comment": long, "version": row.version})
    assert again.status_code == 422
    page = text(again)
    assert _textarea(page, f"comment-{steps['send_back']}") == long
    assert _textarea(page, f"comment-{steps['refuse']}") == ""
    assert site.nomination_row(nid).version == row.version


def test_a_return_comment_never_becomes_a_rejection_reason(reviewer, site):
    steps = _steps()
    nid = site.nomination("submitted")
    row = site.nomination_row(nid)
    reviewer.post(f"/review/nominations/{nid}", data={
        "event": steps["send_back"], "comment": "Bổ sung giấy khen", "version": row.version})
    assert _last_history(site, nid) == (steps["send_back"], "Bổ sung giấy khen")
    assert site.nomination_row(nid).state in meaning.returned_states(_spec())


# -- revoke and approve (approver) ------------------------------------------------------------------

def test_revoke_is_confirmed_and_names_the_certificate(client, site):
    sign_in(client, "approve")
    end = _steps()["end"]
    nid = site.nomination("approved")
    row = site.nomination_row(nid)
    page = text(client.get(f"/review/nominations/{nid}"))
    assert f'action="/review/nominations/{nid}/confirm"' in page
    asked = client.post(f"/review/nominations/{nid}/confirm", data={
        "event": end, "comment": "Khai sai", "version": row.version})
    assert asked.status_code == 200 and IRREVERSIBLE in text(asked)
    assert "Giấy chứng nhận" in text(asked) and "sẽ hết hiệu lực" in text(asked)
    assert site.nomination_row(nid).state == row.state
    client.post(f"/review/nominations/{nid}", data={
        "event": end, "comment": "Khai sai", "version": row.version, "confirmed": "1"})
    assert site.nomination_row(nid).state != row.state


def test_approve_from_the_review_page_goes_to_the_decision_form(client, site):
    sign_in(client, "approve")
    nid = site.nomination("verified")
    row = site.nomination_row(nid)
    response = client.post(f"/review/nominations/{nid}", data={
        "event": _steps()["grant"], "version": row.version, "confirmed": "1"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/district/nominations/{nid}/approve")
    assert site.nomination_row(nid).version == row.version


def test_a_refused_decision_number_is_not_confirmed(client, site):
    sign_in(client, "approve")
    nid = site.nomination("verified")
    row = site.nomination_row(nid)
    response = client.post(f"/district/nominations/{nid}/approve/confirm", data={
        "number": "16-QĐ", "date": "", "signer": "Nguyễn Văn Hùng", "signer_position": "",
        "version": row.version})
    assert response.status_code == 422 and 'name="confirmed"' not in text(response)


# -- withdraw (household) ---------------------------------------------------------------------------

def test_withdraw_is_confirmed_first(client, site):
    sign_in(client, "ho-a")
    nid = site.nomination("submitted")
    row = site.nomination_row(nid)
    page = text(client.get(f"/household/nominations/{nid}"))
    assert f'action="/household/nominations/{nid}/withdraw/confirm"' in page
    asked = client.post(f"/household/nominations/{nid}/withdraw/confirm",
                        data={"version": row.version})
    page = text(asked)
    assert asked.status_code == 200 and IRREVERSIBLE in page and row.receipt_code in page
    assert f'action="/household/nominations/{nid}/withdraw"' in page
    assert f'href="/household/nominations/{nid}">Quay lại</a>' in page
    assert site.nomination_row(nid).state == row.state
    done = client.post(f"/household/nominations/{nid}/withdraw",
                       data={"version": row.version, "confirmed": "1"})
    assert done.status_code == 302
    assert site.nomination_row(nid).state in meaning.freeing_states(_spec())


def test_a_stale_withdraw_confirmation_is_a_409(client, site):
    sign_in(client, "ho-a")
    nid = site.nomination("submitted")
    row = site.nomination_row(nid)
    response = client.post(f"/household/nominations/{nid}/withdraw/confirm",
                           data={"version": row.version + 1})
    assert response.status_code == 409
    assert site.nomination_row(nid).state == row.state


def test_the_api_fires_irreversible_events_at_once(client, site):
    from .api_client import Api
    api = Api(client)
    nid = site.nomination("submitted")
    row = site.nomination_row(nid)
    r = api.post(f"/nominations/{nid}/events", "review-a", json={
        "event": _steps()["refuse"], "version": row.version, "comment": "Không đạt"})
    assert r.status_code == 200
    assert r.get_json()["state"] in meaning.freeing_states(_spec())


# -- the review page for reviewing ------------------------------------------------------------------

def test_prefill_fills_exactly_the_self_assessed_scores(reviewer, site):
    own = {**CITIZEN_PASS, "1.1": 9, "2.2": 6}
    def make(w):
        from certify.services import nominations
        from certify.workflow import engine
        p = person(w.household_a, "Phạm Thị Dung")
        n = nominations.create(w.household_a, title=CITIZEN, subject_id=p.id, year=2026,
                               self_assessment=dict(own))
        engine.apply(n.id, "submit", w.household_a, n.version)
        return n.id
    nid = site.run(make)
    plain = text(reviewer.get(f"/review/nominations/{nid}"))
    assert all(_input_value(plain, f"c-{code}") == "" for code in own)  # nothing by default
    assert f'href="/review/nominations/{nid}?prefill=1#review-form"' in plain
    filled = text(reviewer.get(f"/review/nominations/{nid}?prefill=1"))
    assert {code: int(_input_value(filled, f"c-{code}")) for code in own} == own
    assert "Đã điền theo điểm tự đánh giá" in filled
    assert not site.nomination_row(nid).review_assessment  # nothing saved by filling


def test_prefill_marks_each_target_of_a_unit_title(client, site):
    sign_in(client, "review-district")
    nid = site.nomination("submitted", title=UNIT_TITLE)
    own = site.nomination_row(nid).self_assessment
    page = text(client.get(f"/review/nominations/{nid}?prefill=1"))
    for code, value in own.items():
        select = re.search(r'<select id="c-%s".*?</select>' % re.escape(code), page, re.S)
        if select is None:  # a computed criterion: measured, never entered
            continue
        chosen = re.search(r'<option value="([^"]*)" selected', select.group(0))
        assert chosen and chosen.group(1) == ("dat" if value is True else "khong-dat"), code


def test_evidence_is_listed_beside_its_indicator(app, site):
    household = app.test_client()
    sign_in(household, "ho-a")
    nid = site.nomination("draft")
    household.post(f"/nominations/{nid}/evidence", data={
        "criterion": "1.3", "file": (io.BytesIO(PDF), "the-thu-vien.pdf")},
        content_type="multipart/form-data")
    def submit(w):
        from certify.workflow import engine
        engine.apply(nid, _steps()["submit"], w.household_a, site_version(nid))
    site.run(submit)
    reviewer = app.test_client()
    sign_in(reviewer, "review-a")
    page = text(reviewer.get(f"/review/nominations/{nid}"))
    rows = re.findall(r'<div class="criterion">.*?(?=<div class="criterion">|<div class="total")', page, re.S)
    row_13 = [r for r in rows if 'id="c-1.3"' in r][0]
    assert "the-thu-vien.pdf" in row_13 and "Tự chấm: <strong>8</strong>" in row_13
    assert all("the-thu-vien.pdf" not in r for r in rows if r is not row_13)
    assert page.index("the-thu-vien.pdf") < page.index(f'value="{_steps()["score"]}"')


def site_version(nid):
    from certify.extensions import db
    from certify.models import Nomination
    return db.session.get(Nomination, nid).version


def test_next_dossier_follows_the_queue_order_and_is_absent_at_the_end(reviewer, site):
    first = site.nomination("submitted")
    second = site.run(lambda w: _submit_new(w, "Lê Văn Cường"))
    third = site.run(lambda w: _submit_new(w, "Hoàng Thị Lan"))
    queue = text(reviewer.get("/review/"))
    order = sorted((first, second, third), key=lambda i: queue.index(f"/review/nominations/{i}\""))
    assert order == [first, second, third]
    assert f'href="/review/nominations/{second}" rel="next"' in text(reviewer.get(f"/review/nominations/{first}"))
    assert f'href="/review/nominations/{third}" rel="next"' in text(reviewer.get(f"/review/nominations/{second}"))
    assert 'rel="next"' not in text(reviewer.get(f"/review/nominations/{third}"))
    # After an action that takes a dossier out of the queue, the next one opens.
    row = site.nomination_row(first)
    done = reviewer.post(f"/review/nominations/{first}", data={
        **{f"c-{code}": str(v) for code, v in CITIZEN_PASS.items()},
        "event": _steps()["score"], "version": row.version})
    assert done.headers["Location"].endswith(f"/review/nominations/{second}")
    assert "Hồ sơ tiếp theo" in text(reviewer.get(done.headers["Location"]))
    # At the end of the queue the reviewer goes back to the (now empty of it) queue.
    row = site.nomination_row(third)
    done = reviewer.post(f"/review/nominations/{third}", data={
        "event": _steps()["send_back"], "comment": "Bổ sung", "version": row.version})
    assert done.headers["Location"].endswith("/review/")
