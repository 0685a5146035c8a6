"""Evidence files through the API: a TT 24 unit dossier carries the documents its rule version
declares, uploaded, listed, downloaded and deleted by API clients on the same service as the pages
(type, size, scope, role and state checks included). The documents are read from the workflow."""

from __future__ import annotations

import io

import pytest

from certify.services import evidence
from tests import factories as f
from tests.api_client import Api

PDF = b"%PDF-1.4\n% to trinh\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


@pytest.fixture
def api(app, client, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "EVIDENCE_FOLDER", str(tmp_path / "evidence"))
    monkeypatch.setitem(app.config, "EVIDENCE_MAX_BYTES", 1024)
    return Api(client)


def required_documents():
    return [d.code for d in f.unit_rules().documents if d.required]


def new_dossier(api, w) -> dict:
    r = api.post("/nominations", "truong", json={
        "title": f.UNIT_TITLE, "subject_id": w.organization.id,
        "year": f.UNIT_YEAR, "self_assessment": f.unit_passing()})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def upload(api, nid, criterion, data=PDF, name="to-trinh.pdf", as_="truong"):
    return api.post(f"/nominations/{nid}/evidence", as_,
                    data={"criterion": criterion, "file": (io.BytesIO(data), name)},
                    content_type="multipart/form-data")


def submit(api, n, as_="truong"):
    fresh = api.get(f"/nominations/{n['id']}", as_).get_json()
    return api.post(f"/nominations/{n['id']}/events", as_,
                    json={"event": "submit", "version": fresh["version"]})


def listed(api, nid, as_="truong", **query):
    r = api.get(f"/nominations/{nid}/evidence", as_, query_string=query)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_a_tt24_unit_dossier_is_submitted_with_its_documents_uploaded_through_the_api(world, api):
    documents = required_documents()
    assert documents  # the version in force for the year declares them
    n = new_dossier(api, world)
    *first, last = documents
    for code in first:
        r = upload(api, n["id"], code, name=f"{code}.pdf")
        assert r.status_code == 201, r.get_json()
        assert r.get_json()["slot"] == "document" and r.get_json()["criterion"] == code
    refused = submit(api, n)
    assert refused.status_code == 422
    assert [d["field"] for d in refused.get_json()["error"]["details"]] == [f"documents.{last}"]
    assert upload(api, n["id"], last, name=f"{last}.pdf").status_code == 201
    files = listed(api, n["id"])
    assert files["total"] == len(documents)
    assert [i["criterion"] for i in files["items"]] == documents
    assert {i["uploaded_by"] for i in files["items"]} == {world.organization_user.id}
    r = submit(api, n)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["state"] != n["state"]


def test_a_file_for_a_criterion_is_listed_downloaded_and_deleted(world, api):
    n = new_dossier(api, world)
    criterion = f.unit_rules().criteria[0].code
    r = upload(api, n["id"], criterion, PNG, name="ảnh hoạt động.png")
    assert r.status_code == 201, r.get_json()
    file = r.get_json()
    assert (file["slot"], file["size"], file["content_type"]) == ("criterion", len(PNG),
                                                                  "image/png")
    got = api.get(f"/nominations/{n['id']}/evidence/{file['token']}", "truong")
    assert got.status_code == 200 and got.data == PNG
    assert got.mimetype == "image/png"
    assert "attachment" in got.headers["Content-Disposition"]
    assert file["filename"].endswith(".png")
    gone = api.call("DELETE", f"/nominations/{n['id']}/evidence/{file['token']}", "truong")
    assert gone.status_code == 204
    assert listed(api, n["id"])["total"] == 0
    assert api.get(f"/nominations/{n['id']}/evidence/{file['token']}",
                   "truong").status_code == 404


def test_the_list_is_paginated(world, api):
    n = new_dossier(api, world)
    for code in required_documents():
        upload(api, n["id"], code)
    page = listed(api, n["id"], page=2, per_page=1)
    assert (page["total"], page["page"], page["per_page"]) == (len(required_documents()), 2, 1)
    assert [i["criterion"] for i in page["items"]] == [required_documents()[1]]


def test_names_are_cleaned(world, api):
    n = new_dossier(api, world)
    r = upload(api, n["id"], required_documents()[0], name="../../x/tờ trình\u202egpj.exe")
    assert r.status_code == 201, r.get_json()
    name = r.get_json()["filename"]
    assert name.endswith(".pdf") and "/" not in name and "\u202e" not in name and ".." not in name


@pytest.mark.parametrize("data, criterion, field, code", [
    (b"MZ\x90\x00 not a document", None, "file", "wrong_type"),
    (b"", None, "file", "required"),
    (PDF, "khong-co", "criterion", "unknown"),
])
def test_bad_uploads_are_refused_and_nothing_is_stored(world, api, data, criterion, field, code):
    n = new_dossier(api, world)
    r = upload(api, n["id"], criterion or required_documents()[0], data)
    assert r.status_code == 422
    assert [(d["field"], d["code"]) for d in r.get_json()["error"]["details"]] == [(field, code)]
    assert listed(api, n["id"])["total"] == 0


def test_no_file_part_is_refused(world, api):
    n = new_dossier(api, world)
    r = api.post(f"/nominations/{n['id']}/evidence", "truong",
                 data={"criterion": required_documents()[0]}, content_type="multipart/form-data")
    assert r.status_code == 422
    assert r.get_json()["error"]["details"][0]["code"] == "required"


@pytest.mark.parametrize("extra", [1, "far"])
def test_too_large_files_are_refused_with_413(world, api, app, extra):
    n = new_dossier(api, world)
    with app.app_context():
        limit = evidence.max_bytes()
        size = limit + 1 if extra == 1 else evidence.request_limit() + 1
    r = upload(api, n["id"], required_documents()[0], PDF + b"\0" * (size - len(PDF)))
    assert r.status_code == 413
    assert r.get_json()["error"]["code"] == "too_large"
    assert listed(api, n["id"])["total"] == 0


def test_someone_elses_dossier_is_not_found(world, api):
    n = new_dossier(api, world)
    token = upload(api, n["id"], required_documents()[0]).get_json()["token"]
    for other in ("ho-a", "review-a"):
        assert api.get(f"/nominations/{n['id']}/evidence", other).status_code == 404
        assert upload(api, n["id"], required_documents()[1], as_=other).status_code == 404
        assert api.get(f"/nominations/{n['id']}/evidence/{token}", other).status_code == 404
        assert api.call("DELETE", f"/nominations/{n['id']}/evidence/{token}",
                        other).status_code == 404
    assert listed(api, n["id"])["total"] == 1


def test_a_reviewer_reads_but_does_not_upload_or_delete(world, api):
    """A draft is its applicant's alone (404 to the reviewer); once submitted and sent back, the
    reviewer reads its files but neither adds nor deletes one, while the unit may again."""
    n = new_dossier(api, world)
    token = upload(api, n["id"], required_documents()[0]).get_json()["token"]
    for code in required_documents()[1:]:
        upload(api, n["id"], code)
    assert api.get(f"/nominations/{n['id']}/evidence", "review-district").status_code == 404
    assert api.get(f"/nominations/{n['id']}/evidence/{token}",
                   "review-district").status_code == 404
    assert submit(api, n).status_code == 200
    fresh = api.get(f"/nominations/{n['id']}", "review-district").get_json()
    back = api.post(f"/nominations/{n['id']}/events", "review-district",
                    json={"event": "return", "version": fresh["version"],
                          "comment": "Bổ sung minh chứng"})
    assert back.status_code == 200, back.get_json()
    total = len(required_documents())
    assert listed(api, n["id"], "review-district")["total"] == total
    assert api.get(f"/nominations/{n['id']}/evidence/{token}",
                   "review-district").data == PDF
    r = upload(api, n["id"], required_documents()[1], as_="review-district")
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "forbidden"
    assert api.call("DELETE", f"/nominations/{n['id']}/evidence/{token}",
                    "review-district").status_code == 403
    assert listed(api, n["id"])["total"] == total


def test_nothing_changes_once_submitted(world, api):
    n = new_dossier(api, world)
    for code in required_documents():
        upload(api, n["id"], code)
    assert submit(api, n).status_code == 200
    token = listed(api, n["id"])["items"][0]["token"]
    r = upload(api, n["id"], required_documents()[0])
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "transition_not_allowed"
    gone = api.call("DELETE", f"/nominations/{n['id']}/evidence/{token}", "truong")
    assert gone.status_code == 409
    assert listed(api, n["id"])["total"] == len(required_documents())


def test_unknown_tokens_and_nominations_are_not_found(world, api):
    n = new_dossier(api, world)
    for token in ("0" * 32, "..", "abc"):
        assert api.get(f"/nominations/{n['id']}/evidence/{token}", "truong").status_code == 404
    assert api.get("/nominations/999999/evidence", "truong").status_code == 404
    assert upload(api, 999999, required_documents()[0]).status_code == 404


def test_the_document_describes_the_four_operations(world, api):
    paths = api.spec["paths"]
    files = paths["/api/v1/nominations/{nomination_id}/evidence"]
    one = paths["/api/v1/nominations/{nomination_id}/evidence/{token}"]
    form = files["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    shape = api.spec["components"]["schemas"][form["$ref"].rsplit("/", 1)[1]]
    assert set(shape["required"]) == {"file", "criterion"}
    assert shape["properties"]["file"]["format"] == "binary"
    assert {"201", "403", "404", "409", "413", "422"} <= set(files["post"]["responses"])
    assert set(one["get"]["responses"]["200"]["content"]) == {
        "application/pdf", "image/jpeg", "image/png"}
    assert {"204", "403", "404", "409"} <= set(one["delete"]["responses"])
    assert "items" in str(files["get"]["responses"]["200"]["content"]["application/json"])


@pytest.mark.slow
def test_fuzzed_uploads_to_a_real_dossier_never_fail(world, api, app):
    """Schemathesis's requests to the evidence operations, aimed at the applicant's own draft (an
    unknown id only reaches the 404): every answer is one the document promises, none a 500.
    (A schema-valid upload may still be refused with 422: the criterion must be one of the
    dossier's, the bytes a PDF, JPEG or PNG — rules of the version, not of the shape.)"""
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from schemathesis.checks import positive_data_acceptance

    n = new_dossier(api, world)
    token = api.token("truong")
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()
                  if "/evidence" in result.ok().path]
    assert len(operations) == 4
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=30, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case):
            case.path_parameters["nomination_id"] = n["id"]
            case.call_and_validate(headers={"Authorization": f"Bearer {token}"},
                                   excluded_checks=[positive_data_acceptance])

        check()
