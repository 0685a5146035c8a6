"""The staff lists issue 9 found missing or unfilterable: the organizations of a reviewer's or
approver's unit, the admin's organizations with search and pager, decisions filtered by year,
dates, number and unit; and the API's list of organization dossiers with their computed targets
worked out for the whole page. Each costs a fixed number of SQL statements per page."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from certify import clock
from certify.extensions import db
from certify.models import Membership, Nomination, Organization
from certify.services import judging, people
from certify.workflow import workflow

from .api_client import Api
from .factories import UNIT_TITLE, UNIT_YEAR, member_holding, person, unit_rules
from .test_queues import statements
from .web_support import Site, sign_in, text


@pytest.fixture
def site(app):
    return Site(app)


def _organization_dossiers(site, count: int, *, start: int = 0) -> list[int]:
    """`count` new organizations of ward A, each with a draft "Đơn vị học tập" dossier of
    UNIT_YEAR (the title's initial state, as `nominations.create` leaves it) and two members that
    year; the first one's members include a holder of the counted title."""
    def build(w):
        wf = workflow(UNIT_TITLE)
        rules = unit_rules(UNIT_YEAR)
        ids = []
        for i in range(start, start + count):
            org = people.create_organization(name=f"Trường Mầm non Số {i:03d}",
                                             unit_code=w.ward_a.code, members_count=2)
            for k, role in enumerate(("staff", "learner" if i % 2 else "staff")):
                p = person(w.household_a, f"Giáo viên {i:03d}-{k}")
                db.session.add(Membership(organization_id=org.id, person_id=p.id, role=role,
                                          starts_on=date(UNIT_YEAR, 1, 1)))
            if i == start:
                member_holding(w, UNIT_YEAR, organization=org)
            now = clock.now()
            n = Nomination(receipt_code=f"DVHT-{UNIT_YEAR}-T{i:05d}", title_code=UNIT_TITLE,
                           year=UNIT_YEAR, rule_version=rules.id, organization_id=org.id,
                           unit_id=org.unit_id, state=wf.spec.initial_state, is_open=True,
                           version=1, self_assessment={}, review_assessment={},
                           created_at=now, updated_at=now)
            db.session.add(n)
            db.session.commit()
            ids.append(n.id)
        return ids
    return site.run(build)


def _api_list_statements(app, api) -> tuple[int, dict]:
    with statements(app) as seen:
        response = api.get(f"/nominations?title={UNIT_TITLE}&per_page=200", "admin")
    assert response.status_code == 200
    return len(seen), response.get_json()


def test_organization_dossiers_computed_targets_cost_the_same_for_10_as_for_50(app, client,
                                                                                site):
    if not site.run(lambda _w: bool(unit_rules(UNIT_YEAR).computed_criteria)):
        pytest.skip("the unit title's version has no computed target")
    _organization_dossiers(site, 10)
    api = Api(client)
    api.get("/nominations?per_page=1", "admin")
    ten, first = _api_list_statements(app, api)
    assert first["total"] == 10
    _organization_dossiers(site, 40, start=10)
    fifty, second = _api_list_statements(app, api)
    assert second["total"] == 50
    assert ten == fifty, (ten, fifty)

    # And each row's figures are those the single dossier's page shows (judging.measured).
    def expected(_w):
        return {n.id: {code: m.as_dict() for code, m in judging.measured(n).items()}
                for n in db.session.scalars(select(Nomination).where(
                    Nomination.title_code == UNIT_TITLE))}
    want = site.run(expected)
    got = {item["id"]: item["computed"] for item in second["items"]}
    assert got == want
    assert any(c["numerator"] == 1 for item in got.values() for c in item.values())


# -- decisions: filter by year, dates, number, unit; paginated ----------------------------------

def _decisions(site) -> dict[str, int]:
    """Six one-dossier decisions of the district over verified dossiers, on dates of two years."""
    from .test_queues import _people_in

    verified = _people_in(site, "verified", 6, prefix="Đinh Văn Quyết")
    days = [date(2025, 3, 2), date(2025, 9, 15), date(2025, 12, 31), date(2026, 1, 10),
            date(2026, 6, 1), date(2026, 11, 20)]

    def issue(w):
        from .factories import decide
        out = {}
        for k, (nid, day) in enumerate(zip(verified, days)):
            d = decide(w, [db.session.get(Nomination, nid)], number=f"{40 + k}/QĐ-UBND", on=day)
            out[d.number] = d.id
        return out
    return site.run(issue)


def test_decisions_filter_by_year_date_range_number_and_unit_on_page_and_api(client, site):
    made = _decisions(site)
    sign_in(client, "approve")

    def numbers(query: str) -> list[str]:
        page = text(client.get("/district/decisions/?" + query))
        return re.findall(r"\b4\d/QĐ-UBND", page)

    assert numbers("") == ["45/QĐ-UBND", "44/QĐ-UBND", "43/QĐ-UBND", "42/QĐ-UBND",
                           "41/QĐ-UBND", "40/QĐ-UBND"]  # newest first
    assert numbers("year=2025") == ["42/QĐ-UBND", "41/QĐ-UBND", "40/QĐ-UBND"]
    assert numbers("from=2025-09-15&to=2026-01-10") == ["43/QĐ-UBND", "42/QĐ-UBND",
                                                        "41/QĐ-UBND"]
    assert numbers("from=15/09/2025") == ["45/QĐ-UBND", "44/QĐ-UBND", "43/QĐ-UBND",
                                          "42/QĐ-UBND", "41/QĐ-UBND"]
    assert numbers("q=43%2Fqđ") == ["43/QĐ-UBND"]
    assert numbers("unit=381") == numbers("")
    assert numbers("unit=16729") == []  # the ward signed none of them
    # The pager keeps the filter.
    page = text(client.get("/district/decisions/?year=2026&per_page=2"))
    assert "Trang 1 / 2" in page
    link = re.search(r'href="(/district/decisions/\?[^"]*page=2[^"]*)"', page).group(1)
    assert "year=2026" in link.replace("&amp;", "&")
    assert re.findall(r"\b4\d/QĐ-UBND", text(client.get(link.replace("&amp;", "&")))) == [
        "43/QĐ-UBND"]

    # Bad input says why, lists nothing and is never a 500.
    bad = client.get("/district/decisions/?from=2026-02-30")
    assert bad.status_code == 422 and "Ngày không hợp lệ" in text(bad)
    bad = client.get("/district/decisions/?from=2026-06-01&to=2026-01-01")
    assert bad.status_code == 422 and "Ngày kết thúc trước ngày bắt đầu" in text(bad)
    assert "4" not in "".join(re.findall(r"\b4\d/QĐ-UBND", text(bad)))
    assert client.get("/district/decisions/?year=hai").status_code == 422
    assert client.get("/district/decisions/?q=" + "x" * 300).status_code == 422

    # The API takes the same filter, and each decision comes with its items.
    api = Api(client)
    found = api.get("/decisions?year=2026&q=qđ-ubnd", "approve").get_json()
    assert [d["number"] for d in found["items"]] == ["45/QĐ-UBND", "44/QĐ-UBND", "43/QĐ-UBND"]
    assert all(d["items"]["total"] == 1 and len(d["items"]["items"]) == 1
               and d["items"]["items"][0]["subject_name"].startswith("Đinh Văn Quyết")
               for d in found["items"])
    found = api.get("/decisions?from=2025-12-31&to=2025-12-31", "approve").get_json()
    assert [d["id"] for d in found["items"]] == [made["42/QĐ-UBND"]]
    assert api.get("/decisions?unit=16729", "approve").get_json()["total"] == 0
    assert api.get("/decisions?from=2026-06-01&to=2026-01-01", "approve").status_code == 422
    assert api.get("/decisions?from=yesterday", "approve").status_code == 400
    assert api.get("/decisions?year=x", "approve").status_code == 400
    # A household account sees no decisions list at all.
    assert api.get("/decisions", "ho-a").get_json()["total"] == 0


def test_the_decisions_list_costs_the_same_statements_for_10_and_200(app, client, site):
    _decisions(site)
    api = Api(client)
    sign_in(client, "approve")
    client.get("/district/decisions/?per_page=1")
    api.get("/decisions?per_page=1", "approve")
    for url, get in (("/district/decisions/?year=2026&per_page={n}", client.get),
                     ("/api/v1/decisions?q=ubnd&per_page={n}",
                      lambda u: client.get(u, headers={
                          "Authorization": f"Bearer {api.token('approve')}"}))):
        counts = []
        for n in (2, 200):
            with statements(app) as seen:
                assert get(url.format(n=n)).status_code == 200
            counts.append(len(seen))
        assert counts[0] == counts[1], (url, counts)


# -- organizations: the staff list of a unit's organizations, the admin's with search and pager --

def _organizations(site, count: int = 30) -> None:
    """`count` kindergartens in ward A, three schools in ward B (one provincial), and a draft
    "Đơn vị học tập" dossier of the district's THCS school (world.organization)."""
    def build(w):
        from certify.services import nominations
        from .factories import unit_passing
        for i in range(count):
            people.create_organization(name=f"Trường Mầm non Hoa Sen {i:03d}",
                                       unit_code=w.ward_a.code, members_count=10)
        for name, level in (("Trường Tiểu học Lam Sơn", None), ("Trường THCS Lam Sơn", None),
                            ("Trường THPT Bỉm Sơn", "province")):
            people.create_organization(name=name, unit_code=w.ward_b.code, members_count=50,
                                       level=level)
        nominations.create(w.organization_user, title=UNIT_TITLE, subject_id=w.organization.id,
                           year=UNIT_YEAR, self_assessment=unit_passing(UNIT_YEAR))
    site.run(build)


def test_reviewers_and_approvers_list_the_organizations_of_their_unit(client, site):
    _organizations(site)
    sign_in(client, "review-b")
    home = client.get("/review/").get_data(as_text=True)
    assert 'href="/organizations/"' in home  # the nav link
    page = text(client.get("/organizations/"))
    assert "Tìm thấy 3 cơ quan, đơn vị" in page
    assert "Trường THPT Bỉm Sơn" in page and "Cấp tỉnh" in page and "Hoa Sen" not in page
    assert "Trường THCS Ba Đình" not in page  # the district's, above ward B
    # Without diacritics, any case; by level; by unit.
    assert "Tìm thấy 2 cơ quan" in text(client.get("/organizations/?q=LAM+SON"))
    assert "Tìm thấy 1 cơ quan" in text(client.get("/organizations/?q=thpt+bim+son"))
    assert "Tìm thấy 1 cơ quan" in text(client.get("/organizations/?level=province"))
    assert "Tìm thấy 0 cơ quan" in text(client.get("/organizations/?unit=16729"))

    sign_in(client, "approve")  # the district: every organization, with the latest dossier
    page = text(client.get("/organizations/?q=ba+dinh"))
    assert "Trường THCS Ba Đình" in page
    draft = site.run(lambda _w: workflow(UNIT_TITLE).spec.initial_state)
    from certify.web.filters import state_name
    with site.app.test_request_context():
        assert state_name(draft, UNIT_TITLE) in page
    assert "Tìm thấy 34 cơ quan" in text(client.get("/organizations/"))
    # Paginated, the pager keeping the filter.
    page = text(client.get("/organizations/?q=hoa+sen&per_page=20"))
    assert "Tìm thấy 30 cơ quan" in page and "Trang 1 / 2" in page
    assert "Hoa Sen 019" in page and "Hoa Sen 020" not in page
    link = re.search(r'href="(/organizations/\?[^"]*page=2[^"]*)"', page).group(1)
    second = text(client.get(link.replace("&amp;", "&")))
    assert "Hoa Sen 020" in second and "Hoa Sen 029" in second and "Hoa Sen 019" not in second
    # Bad input: said beside the field, nothing listed, never a 500.
    bad = client.get("/organizations/?q=" + "a" * 300)
    assert bad.status_code == 422 and "Hoa Sen" not in text(bad)
    assert client.get("/organizations/?level=planet").status_code == 422
    assert client.get("/organizations/?page=99999999999999999999").status_code == 200
    # Not for households or organizations.
    sign_in(client, "ho-a")
    assert client.get("/organizations/").status_code == 403


def test_the_admins_organizations_page_searches_and_pages(client, site):
    _organizations(site)
    sign_in(client, "admin")
    page = text(client.get("/admin/organizations?q=truong+mam+non&per_page=25"))
    assert "Tìm thấy 30 cơ quan" in page and "Trang 1 / 2" in page
    assert "Trường Tiểu học Lam Sơn" not in page
    link = re.search(r'href="(/admin/organizations\?[^"]*page=2[^"]*)"', page).group(1)
    assert "Hoa Sen 029" in text(client.get(link.replace("&amp;", "&")))
    page = text(client.get("/admin/organizations?unit=16732&level=province"))
    assert "Tìm thấy 1 cơ quan" in page and "Trường THPT Bỉm Sơn" in page
    assert client.get("/admin/organizations?level=x").status_code == 422


def test_the_organization_lists_cost_the_same_statements_for_10_and_200(app, client, site):
    _organizations(site)
    for user, url in (("approve", "/organizations/?per_page={n}"),
                      ("admin", "/admin/organizations?per_page={n}")):
        sign_in(client, user)
        client.get(url.format(n=1))
        counts = []
        for n in (10, 200):
            with statements(app) as seen:
                assert client.get(url.format(n=n)).status_code == 200
            counts.append(len(seen))
        assert counts[0] == counts[1], (url, counts)
