"""Schemathesis generates requests from the OpenAPI document (valid and invalid ones) and checks
that none causes a server error and that every answer matches the document."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.factories import PASSWORD


@pytest.mark.slow
@pytest.mark.parametrize("username", ["admin", "ho-a", "approve"])
def test_api_never_fails_and_answers_as_documented(app, client, world, username):
    token = client.post("/api/v1/auth/token",
                        json={"username": username, "password": PASSWORD}).get_json()["token"]
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=20, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case):
            case.call_and_validate(headers={"Authorization": f"Bearer {token}"})

        check()
