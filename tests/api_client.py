"""A thin client for the API tests: sign in as any account, call, check against the OpenAPI
document (every response a test sees must match what the document promises)."""

from __future__ import annotations

import jsonschema
from jsonschema.validators import Draft202012Validator

from tests.factories import PASSWORD


class Api:
    def __init__(self, client):
        self.client = client
        self._tokens: dict[str, str] = {}
        self.spec = client.get("/api/v1/openapi.json").get_json()

    def token(self, username: str) -> str:
        if username not in self._tokens:
            r = self.client.post("/api/v1/auth/token",
                                 json={"username": username, "password": PASSWORD})
            assert r.status_code == 200, r.get_json()
            self._tokens[username] = r.get_json()["token"]
        return self._tokens[username]

    def call(self, method: str, path: str, as_: str | None = None, *, json=None, data=None,
             headers=None, **kw):
        headers = dict(headers or {})
        if as_ is not None:
            headers["Authorization"] = f"Bearer {self.token(as_)}"
        r = self.client.open("/api/v1" + path, method=method, json=json, data=data,
                             headers=headers, **kw)
        self.check_against_spec(method, path, r)
        return r

    def get(self, path, as_=None, **kw):
        return self.call("GET", path, as_, **kw)

    def post(self, path, as_=None, **kw):
        return self.call("POST", path, as_, **kw)

    def check_against_spec(self, method: str, path: str, response) -> None:
        """The response's status is documented for the operation and its body fits the schema."""
        operation = self._operation(method, path.split("?")[0])
        if operation is None:
            assert response.status_code in (404, 405), (method, path, response.status_code)
            return
        documented = operation["responses"].get(str(response.status_code))
        assert documented is not None, \
            f"{method} {path} answered {response.status_code}, not in the OpenAPI document"
        content = documented.get("content", {}).get("application/json")
        if content is None:
            return
        schema = {**content["schema"], "components": self.spec["components"]}
        Draft202012Validator(schema).validate(response.get_json())

    def _operation(self, method: str, path: str):
        parts = path.strip("/").split("/")
        for template, operations in self.spec["paths"].items():
            tparts = template.removeprefix("/api/v1").strip("/").split("/")
            if len(tparts) != len(parts):
                continue
            if all(t.startswith("{") or t == p for t, p in zip(tparts, parts)):
                if method.lower() in operations:
                    return operations[method.lower()]
        return None


__all__ = ["Api", "jsonschema"]
