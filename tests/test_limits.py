"""Hostile input: bodies past the limit (413), texts past their field's length (422), malformed and
deeply nested JSON (400), ids no row can have (404) — each answered as documented, nothing
changed, never a 5xx."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from certify.errors import BY_STATUS
from certify.extensions import db
from certify.models import HistoryEntry, Organization, Person, Unit
from certify.services import people
from certify.services.validate import SEARCH_NAME_LENGTH, Longest, fold
from tests.api_client import Api
from tests.factories import PASSWORD

from .web_support import CSRF, Site, load_world, sign_in, text


@pytest.fixture
def api(client):
    return Api(client)


@pytest.fixture
def site(app):
    return Site(app)


def error(r) -> dict:
    return r.get_json()["error"]


def reasons(r) -> dict[str, str]:
    return {d["field"]: d["code"] for d in error(r)["details"]}


# -- the body limit ------------------------------------------------------------------------------

def test_a_body_past_the_limit_is_413_too_large_before_sign_in(app, api, site):
    limit = app.config["MAX_CONTENT_LENGTH"]
    body = json.dumps({"username": "admin", "password": "x" * limit})
    r = api.post("/auth/token", data=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert error(r)["code"] == "too_large" and error(r)["details"] == {"limit": limit}


def test_a_body_past_the_limit_is_refused_on_every_writing_operation(app, api, site):
    big = json.dumps({"name": "x" * app.config["MAX_CONTENT_LENGTH"]})
    for method, path, user in (("POST", "/units", "admin"), ("POST", "/persons", "ho-a"),
                               ("PATCH", "/nominations/1", "ho-a"),
                               ("PUT", "/units/381/denominators/2026", "admin")):
        r = api.call(method, path, user, data=big, headers={"Content-Type": "application/json"})
        assert r.status_code == 413 and error(r)["code"] == "too_large", (method, path)
    assert site.count(Unit) == 4


def test_a_page_form_past_the_limit_gets_the_friendly_413_page(app, client, site):
    sign_in(client, "admin")
    r = client.post("/admin/", data={"code": "99", "name": "x" * app.config["MAX_CONTENT_LENGTH"],
                                     "level": "province"})
    assert r.status_code == 413 and r.mimetype == "text/html"
    assert "Nội dung quá lớn" in text(r)
    assert site.count(Unit) == 4


def test_a_multipart_field_past_the_form_memory_limit_is_413(app, client, site):
    sign_in(client, "review-a")
    nid = site.nomination("submitted")
    r = client.post(f"/review/nominations/{nid}", content_type="multipart/form-data", data={
        "event": "return", "version": "2",
        "comment": "x" * (app.config["MAX_FORM_MEMORY_SIZE"] + 1)})
    assert r.status_code == 413
    assert site.nomination_row(nid).state == "submitted"


def test_a_view_may_raise_its_own_limit_even_with_csrf_reading_the_form_first(
        app, client, site, tmp_path, monkeypatch):
    """Evidence uploads keep their own per-file limit, larger than MAX_CONTENT_LENGTH: the CSRF
    check reads the form before the view runs, and the body is not refused there."""
    monkeypatch.setitem(app.config, "EVIDENCE_FOLDER", str(tmp_path / "evidence"))
    monkeypatch.setitem(app.config, "EVIDENCE_MAX_BYTES", 2 * app.config["MAX_CONTENT_LENGTH"])
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    sign_in_page = client.get("/signin")
    token = next(g for g in CSRF.search(sign_in_page.get_data(as_text=True)).groups() if g)
    client.post("/signin", data={"username": "ho-a", "password": PASSWORD, "csrf_token": token})
    nid = site.nomination("draft")
    page = client.get(f"/household/nominations/{nid}").get_data(as_text=True)
    token = next(g for g in CSRF.search(page).groups() if g)
    pdf = b"%PDF-1.4\n" + b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1000)
    r = client.post(f"/nominations/{nid}/evidence", content_type="multipart/form-data",
                    data={"csrf_token": token, "criterion": "1.3",
                          "file": (io.BytesIO(pdf), "giay-khen.pdf")})
    assert r.status_code == 302
    assert "Đã tải lên giay-khen.pdf" in text(client.get(r.headers["Location"]))


# -- texts past their field's length -------------------------------------------------------------

PERSON = {"full_name": "Lê Văn Cường", "national_id": "038199900001", "birth_year": 1990,
          "gender": "male", "target_group": "worker"}

TOO_LONG = [
    ("admin", "/units", {"code": "9", "name": "N", "level": "province"}, "code", Longest.UNIT_CODE),
    ("admin", "/units", {"code": "9", "name": "N", "level": "province"}, "name", Longest.UNIT_NAME),
    ("admin", "/users", {"username": "u", "password": PASSWORD, "role": "admin"}, "username",
     Longest.USERNAME),
    ("admin", "/users", {"username": "u", "password": PASSWORD, "role": "admin",
                         "display_name": "d"}, "display_name", Longest.DISPLAY_NAME),
    ("admin", "/organizations", {"name": "O", "unit_code": "381", "members_count": 3}, "name",
     Longest.ORGANIZATION_NAME),
    ("ho-a", "/persons", PERSON, "full_name", Longest.FULL_NAME),
    ("ho-a", "/persons", {**PERSON, "ethnicity": "Kinh"}, "ethnicity", Longest.ETHNICITY),
    ("ho-a", "/persons", {**PERSON, "occupation": "Nông dân"}, "occupation", Longest.OCCUPATION),
    ("approve", "/decisions", {"number": "1/QĐ-UBND", "date": "2026-01-05", "signer": "S",
                               "signer_position": "tm_chu_tich", "nomination_ids": [1]},
     "number", Longest.DECISION_NUMBER),
    ("approve", "/decisions", {"number": "1/QĐ-UBND", "date": "2026-01-05", "signer": "S",
                               "signer_position": "tm_chu_tich", "nomination_ids": [1]},
     "signer", Longest.SIGNER),
]


@pytest.mark.parametrize("user, path, body, field, limit", TOO_LONG,
                         ids=[f"{t[1]}.{t[3]}" for t in TOO_LONG])
def test_every_free_text_field_refuses_a_text_past_its_length(api, site, user, path, body,
                                                              field, limit):
    before = {m: site.count(m) for m in (Unit, Person, Organization)}
    r = api.post(path, user, json={**body, field: "ờ" * (limit + 1)})
    assert r.status_code == 422 and error(r)["code"] == "invalid"
    assert reasons(r) == {field: "too_long"}
    assert {m: site.count(m) for m in before} == before
    # the OpenAPI document states the same limit
    schema_name = api.spec["paths"]["/api/v1" + path]["post"]["requestBody"]["content"][
        "application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    prop = api.spec["components"]["schemas"][schema_name]["properties"][field]
    lengths = [prop.get("maxLength")] + [s.get("maxLength") for s in prop.get("anyOf", [])]
    assert limit in lengths


@pytest.mark.parametrize("user, path, body, field, limit", TOO_LONG,
                         ids=[f"{t[1]}.{t[3]}" for t in TOO_LONG])
def test_the_services_refuse_the_same_lengths(api, user, path, body, field, limit, app, site):
    """What pages and the command line reach: the service itself, not only the API schema."""
    from certify.errors import Invalid
    from certify.services import accounts, nominations, units

    if path == "/decisions":
        body = {**body, "nomination_ids": [site.nomination("verified")]}
    with app.app_context():
        w = load_world()
        call = {
            "/units": lambda b: units.create(**b),
            "/users": lambda b: accounts.create_user(**b),
            "/organizations": lambda b: people.create_organization(**b),
            "/persons": lambda b: people.add_person(w.household_a, b),
            "/decisions": lambda b: nominations.issue_decision(
                w.approver, number=b["number"], date_=b["date"], signer=b["signer"],
                signer_position=b["signer_position"], nomination_ids=b["nomination_ids"]),
        }[path]
        with pytest.raises(Invalid) as raised:
            call({**body, field: "ờ" * (limit + 1)})
        assert {"field": field, "code": "too_long", "max_length": limit} \
            .items() <= raised.value.details[0].items()
        db.session.remove()


def test_a_1_mb_comment_on_an_event_is_refused_and_changes_nothing(api, site):
    nid = site.nomination("submitted")
    before = site.nomination_row(nid)
    r = api.post(f"/nominations/{nid}/events", "review-a",
                 json={"event": "return", "version": before.version, "comment": "x" * 1_000_000})
    assert r.status_code in (413, 422)
    if r.status_code == 422:
        assert reasons(r) == {"comment": "too_long"}
    after = site.nomination_row(nid)
    assert (after.state, after.version) == (before.state, before.version)
    assert site.count(HistoryEntry) == 1  # the submission only


def test_a_comment_past_its_length_is_refused_by_the_review_page(client, site):
    sign_in(client, "review-a")
    nid = site.nomination("submitted")
    r = client.post(f"/review/nominations/{nid}", data={
        "event": "return", "version": "2", "comment": "x" * (Longest.COMMENT + 1)})
    assert r.status_code == 422
    assert f"Nhận xét: tối đa {Longest.COMMENT:,} ký tự.".replace(",", ".") in text(r)
    assert site.nomination_row(nid).state == "submitted"


@pytest.mark.parametrize("path, data, field_label", [
    ("/admin/", {"code": "99", "level": "province", "name": "x" * (Longest.UNIT_NAME + 1)},
     f"Tối đa {Longest.UNIT_NAME} ký tự."),
    ("/admin/organizations", {"unit_code": "381", "members_count": "3",
                              "name": "x" * (Longest.ORGANIZATION_NAME + 1)},
     f"Tối đa {Longest.ORGANIZATION_NAME} ký tự."),
])
def test_page_forms_refuse_texts_past_their_length(client, site, path, data, field_label):
    sign_in(client, "admin")
    before = (site.count(Unit), site.count(Organization))
    r = client.post(path, data=data)
    assert r.status_code in (400, 422) and field_label in text(r)
    assert (site.count(Unit), site.count(Organization)) == before


def test_a_search_past_its_length_is_refused(api, client, site):
    r = api.get("/nominations?q=" + "a" * (Longest.QUERY + 1), "review-a")
    assert r.status_code == 422 and reasons(r) == {"q": "too_long"}
    q = api.spec["paths"]["/api/v1/nominations"]["get"]["parameters"]
    assert next(p for p in q if p["name"] == "q")["schema"]["maxLength"] == Longest.QUERY
    sign_in(client, "review-a")
    page = client.get("/review/?q=" + "a" * (Longest.QUERY + 1))
    assert page.status_code == 422 and f"tối đa {Longest.QUERY} ký tự" in text(page)


def test_control_characters_in_a_name_are_refused(api, site):
    r = api.post("/persons", "ho-a", json={**PERSON, "full_name": "Lê Văn\r\nCường"})
    assert r.status_code == 422 and reasons(r) == {"full_name": "control_character"}
    assert site.count(Person) == 2


# -- malformed JSON ------------------------------------------------------------------------------

@pytest.mark.parametrize("body", [
    "[" * 100_000 + "]" * 100_000,
    '{"username": ' + "[" * 5000 + "]" * 5000 + ', "password": "x"}',
    '{"username": "admin", "password": "x"',
    '{"username": "\\ud800", "password": "x"}',
    "\xff\xfe",
])
def test_malformed_or_deeply_nested_json_is_400(api, site, body):
    r = api.post("/auth/token", data=body.encode("utf-8", "surrogatepass"),
                 headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and error(r)["code"] == "bad_request"
    r = api.post("/persons", "ho-a", data=body.encode("utf-8", "surrogatepass"),
                 headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and error(r)["code"] == "bad_request"


def test_huge_numbers_are_answered_not_overflowed(api, site):
    for raw in ("1" + "0" * 400, "1e400", "-99999999999999999999"):
        body = json.dumps(PERSON).replace("1990", raw)
        r = api.post("/persons", "ho-a", data=body, headers={"Content-Type": "application/json"})
        assert r.status_code in (400, 422), raw
    r = api.call("PUT", "/units/381/denominators/" + "9" * 40, "admin", json={"cong-dan-hoc-tap": 1})
    assert r.status_code == 422
    assert site.count(Person) == 2


# -- ids no row can have -------------------------------------------------------------------------

@pytest.mark.parametrize("method, path", [
    ("PATCH", "/nominations/0"), ("GET", "/nominations/0"), ("POST", "/nominations/0/events"),
    ("PATCH", "/nominations/99999999999999999999"), ("GET", "/persons/0"),
    ("GET", "/users/" + "9" * 5000), ("GET", "/decisions/2147483648"),
])
def test_an_id_no_row_can_have_is_404_whatever_the_method(api, site, method, path):
    r = api.call(method, path, "admin", json={"version": 1, "self_assessment": {}, "event": "submit"})
    assert r.status_code == 404 and error(r)["code"] == "not_found"


def test_pages_answer_404_for_an_id_no_row_can_have(client, site):
    sign_in(client, "review-a")
    assert client.get("/review/nominations/0").status_code == 404
    assert client.post("/review/nominations/" + "9" * 30, data={"event": "return"}).status_code == 404


# -- one error table -----------------------------------------------------------------------------

def test_every_operation_documents_busy_and_every_body_too_large(api):
    for path, operations in api.spec["paths"].items():
        for method, op in operations.items():
            assert "503" in op["responses"], (method, path)
            assert "Retry-After" in op["responses"]["503"]["headers"]
            if "requestBody" in op:
                assert "413" in op["responses"], (method, path)


def test_werkzeug_answers_use_the_codes_of_the_table(api, client):
    r = client.delete("/api/v1/units")
    assert r.status_code == 405 and error(r)["code"] == BY_STATUS[405].code
    assert "POST" in r.headers["Allow"]
    r = client.get("/api/v1/no-such-thing")
    assert r.status_code == 404 and error(r)["code"] == BY_STATUS[404].code


# -- search names always fit their column --------------------------------------------------------

def test_a_name_that_grows_when_folded_is_stored_and_found(api, app, site):
    """U+FDFA is one character that decomposes into 18: twelve of them overflowed search_name
    on PostgreSQL. The folded form always fits, and a Vietnamese search still works."""
    assert SEARCH_NAME_LENGTH == Person.__table__.c.search_name.type.length
    name = "\ufdfa" * 12
    r = api.post("/persons", "ho-a", json={**PERSON, "full_name": name})
    assert r.status_code == 201, r.get_json()
    assert len(fold(name)) <= SEARCH_NAME_LENGTH
    assert fold("Nguyễn Văn ĐỨC  Hoà") == "nguyen van duc hoa"
    nid = site.nomination("submitted")  # Nguyễn Văn An's
    found = api.get("/nominations?q=nguyen%20van%20an", "review-a").get_json()["items"]
    assert [n["id"] for n in found] == [nid]
    found = api.get("/nominations?q=NGUYỄN%20VĂN", "review-a").get_json()["items"]
    assert [n["id"] for n in found] == [nid]
    with app.app_context():
        stored = db.session.scalar(select(func.length(Person.search_name))
                                   .where(Person.full_name == name))
        assert stored <= SEARCH_NAME_LENGTH
        db.session.remove()


# -- nothing is read past the limit, on a real server --------------------------------------------

@pytest.fixture
def server(app, database_url, tmp_path):
    """gunicorn serving the app on the test database, as in production."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "CERTIFY_DATABASE_URL": database_url, "CERTIFY_SECRET_KEY": "test",
           "CERTIFY_PASSWORD_TIME_COST": "1", "CERTIFY_PASSWORD_MEMORY_KIB": "8"}
    gunicorn = Path(sys.executable).with_name("gunicorn")
    proc = subprocess.Popen([str(gunicorn), "-w", "1", "-b", f"127.0.0.1:{port}",
                             "certify:create_app()"], env=env, cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _answer(sock) -> bytes:
    sock.settimeout(20)  # a server that waited for the rest of the body would never answer
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def test_a_declared_length_past_the_limit_is_refused_without_reading_the_body(app, server):
    with socket.create_connection(("127.0.0.1", server)) as sock:
        sock.sendall(b"POST /api/v1/auth/token HTTP/1.1\r\nHost: x\r\n"
                     b"Content-Type: application/json\r\n"
                     + f"Content-Length: {100 * app.config['MAX_CONTENT_LENGTH']}\r\n\r\n".encode()
                     + b'{"username": "admin", ')  # and never the rest
        assert _answer(sock).startswith(b"HTTP/1.1 413")


def test_a_chunked_body_without_length_is_refused_at_the_limit(app, server):
    # 64 KiB past the limit (the server reads ahead a little), and never the last chunk: a server
    # that read on to the end would wait for ever.
    chunk = b"2000\r\n" + b"[" * 0x2000 + b"\r\n"
    with socket.create_connection(("127.0.0.1", server)) as sock:
        sock.sendall(b"POST /api/v1/auth/token HTTP/1.1\r\nHost: x\r\n"
                     b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                     + chunk * (app.config["MAX_CONTENT_LENGTH"] // 0x2000 + 8))
        assert _answer(sock).startswith(b"HTTP/1.1 413")
