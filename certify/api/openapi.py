"""The OpenAPI 3.1 document, built from the registered operations and their pydantic shapes
(pydantic emits JSON Schema 2020-12, the dialect OpenAPI 3.1 uses)."""

from __future__ import annotations

import re
import typing

from flask import jsonify
from pydantic import BaseModel, TypeAdapter

from ..errors import Busy, TooLarge, for_status
from ..services.validate import MAX_INT
from ..workflow import workflows
from . import schemas
from .core import OPERATIONS, operation


NO_NUL = "^[^\u0000]*$"  # any text but NUL characters (400 bad_request)


def _schema(shape, components: dict) -> dict:
    if shape is None:
        return {}
    if isinstance(shape, dict) and "page_of" in shape:
        item = _schema(shape["page_of"], components)
        return {"type": "object", "required": ["items", "total", "page", "per_page"],
                "properties": {"items": {"type": "array", "items": item},
                               "total": {"type": "integer"}, "page": {"type": "integer"},
                               "per_page": {"type": "integer"}}}
    if isinstance(shape, type) and issubclass(shape, BaseModel):
        doc = shape.model_json_schema(by_alias=True, ref_template="#/components/schemas/{model}",
                                      mode="serialization" if issubclass(shape, schemas.Response)
                                      else "validation")
        for name, sub in doc.pop("$defs", {}).items():
            components.setdefault(name, sub)
        components.setdefault(shape.__name__, doc)
        return {"$ref": f"#/components/schemas/{shape.__name__}"}
    if typing.get_origin(shape) is list:
        (item,) = typing.get_args(shape)
        return {"type": "array", "items": _schema(item, components)}
    return TypeAdapter(shape).json_schema()


def _path(rule: str) -> tuple[str, list[dict]]:
    params = []

    def repl(match):
        converter, name = match.group(1), match.group(2)
        schema = {"id": {"type": "integer", "minimum": 1, "maximum": MAX_INT},
                  "int": {"type": "integer"}}.get(converter, {"type": "string", "pattern": NO_NUL})
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
        return "{" + name + "}"

    path = re.sub(r"<(?:(\w+):)?(\w+)>", repl, rule)
    return "/api/v1" + path, params


def _query_param(name: str, schema: dict) -> dict:
    schema = dict(schema)
    required = schema.pop("required", False)
    if schema.get("enum") == "titles":
        schema["enum"] = sorted(workflows())
    elif schema.get("type") == "string" and "format" not in schema:
        schema["pattern"] = NO_NUL
    return {"name": name, "in": "query", "required": required, "schema": schema}


def document() -> dict:
    components: dict = {}
    paths: dict = {}
    error_ref = _schema(schemas.Error, components)
    for op in OPERATIONS:
        path, params = _path(op.rule)
        params += [_query_param(name, schema) for name, schema in op.query.items()]
        responses = {}
        if op.status == 204:
            responses["204"] = {"description": "Done; no content."}
        elif op.response_media != ("application/json",):
            responses[str(op.status)] = {
                "description": "The file's bytes, offered for download under its name.",
                "headers": {"Content-Disposition": {
                    "description": "attachment; filename=… (ASCII) and filename*=UTF-8''…",
                    "schema": {"type": "string"}}},
                "content": {media: {"schema": {"type": "string", "format": "binary"}}
                            for media in op.response_media}}
        else:
            for status in (op.status, *op.also):
                responses[str(status)] = {
                    "description": "Success.",
                    "content": {"application/json": {"schema": _schema(op.response, components)}}}
        # Any request may be malformed (400) and find the database busy (503); any but the public
        # ones may lack credentials (401); any with a body may send too much of it (413).
        statuses = set(op.errors) | {400, Busy.status} | (set() if op.public else {401})
        if op.body is not None or op.method in ("POST", "PUT", "PATCH"):
            statuses.add(TooLarge.status)
        for status in sorted(statuses):
            responses[str(status)] = {"description": for_status(status).doc,
                                      "content": {"application/json": {"schema": error_ref}}}
            if status == Busy.status:
                responses[str(status)]["headers"] = {"Retry-After": {
                    "description": "Seconds to wait before trying again.",
                    "schema": {"type": "integer", "minimum": 1}}}
        entry = {"operationId": op.endpoint, "summary": op.summary, "tags": [op.tag],
                 "parameters": params, "responses": responses}
        described = ([op.description] if op.description else []) + (
            ["Roles: " + ", ".join(op.roles) + "."] if op.roles else [])
        if described:
            entry["description"] = " ".join(described)
        if op.public:
            entry["security"] = []
        if op.body is not None:
            entry["requestBody"] = {"required": True, "content": {
                op.body_media: {"schema": _schema(op.body, components)}, **op.other_bodies}}
        elif op.method == "PUT":
            entry["requestBody"] = {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "additionalProperties": {"type": "integer", "minimum": 0},
                "description": "Title code → figure."}}}}
        paths.setdefault(path, {})[op.method.lower()] = entry
    return {
        "openapi": "3.1.0",
        "info": {"title": "certify API", "version": "1",
                 "description": "Recognition of the learning-society titles \"Công dân học tập\" "
                                "and \"Đơn vị học tập\"."},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {"schemas": components, "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"}}},
    }


@operation("/openapi.json", "GET", summary="This document", tag="meta", public=True,
           response=dict)
def openapi():
    return jsonify(document())
