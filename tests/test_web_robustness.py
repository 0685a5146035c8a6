"""Odd input never causes a server error: huge numbers, unknown codes, control characters."""

from __future__ import annotations

import pytest

from .web_support import Site, sign_in

BIG = "99999999999999999999"


@pytest.fixture
def site(app):
    return Site(app)


@pytest.mark.parametrize("user, url", [
    ("review-a", f"/review/nominations/{BIG}"), ("ho-a", f"/household/nominations/{BIG}"),
    ("ho-a", f"/household/members/{BIG}/edit"), ("approve", f"/district/decisions/{BIG}"),
    ("approve", f"/recognitions/{BIG}/certificate.pdf"),
    ("ho-a", f"/nominations/{BIG}/evidence/{'0' * 32}"), ("review-a", "/review/nominations/0"),
    ("ho-a", "/household/nominations/-1"),
])
def test_huge_or_odd_ids_are_not_found(client, site, user, url):
    sign_in(client, user)
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("url", [
    f"/review/?page={BIG}", f"/review/?year={BIG}", "/review/?year=-5", "/review/?page=abc",
    "/review/?state=xx&title=yy&target_group=zz&q=%00", f"/district/decisions/?page={BIG}",
    "/progress/?as_of=9999-99-99", "/progress/?as_of=0001-01-01", "/progress/?title=nope",
    "/public/progress?unit=%00", "/lookup?code=%00%00", "/verify/%00", "/rules/%00",
    f"/admin/units/381/denominators?year={BIG}", "/admin/units/%00/denominators",
])
def test_odd_query_strings_answer_without_error(client, site, url):
    sign_in(client, "admin")
    assert client.get(url).status_code < 500


@pytest.mark.parametrize("user, url, data", [
    ("ho-a", "/household/nominate", {"person_id": BIG, "year": "2026"}),
    ("approve", "/district/decisions/confirm", {"nomination_id": [BIG, "x"], "number": "1",
                                                "date": "2026-01-01", "signer": "A"}),
    ("admin", "/admin/accounts", {"username": "x" * 500, "password": "a long enough passphrase",
                                  "role": "admin", "organization_id": BIG}),
    ("admin", "/admin/organizations", {"name": "X", "unit_code": "381", "members_count": BIG}),
    ("admin", "/admin/units/381/denominators", {"year": "2026", "cong-dan-hoc-tap": BIG}),
    ("ho-a", "/household/members/new", {"full_name": "A", "national_id": "038199001234",
                                        "birth_year": BIG, "gender": "male", "target_group": "worker"}),
])
def test_odd_forms_answer_without_error(client, site, user, url, data):
    sign_in(client, user)
    assert client.post(url, data=data).status_code < 500


@pytest.mark.parametrize("url", ["/review/?q=%00", "/lookup?code=A%00", "/verify/A%00B",
                                 "/admin/units/%00/denominators"])
def test_nul_bytes_are_a_bad_request(client, site, url):
    sign_in(client, "admin")
    assert client.get(url).status_code == 400


def test_nul_bytes_in_a_form_are_a_bad_request(client, site):
    sign_in(client, "ho-a")
    response = client.post("/household/members/new", data={
        "full_name": "A\x00B", "national_id": "038199001234", "birth_year": "1990",
        "gender": "male", "target_group": "worker"})
    assert response.status_code == 400
