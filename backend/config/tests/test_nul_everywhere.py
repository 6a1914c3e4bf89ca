"""A NUL character anywhere in a request is a 422, never a 500 (PostgreSQL refuses NUL in text).

The walk reads the OpenAPI document at test time, so routes added later are covered without
touching this file: every operation, every path and query parameter, every string field of
every JSON body (nested objects and list items included), plus an undeclared query parameter.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from django.test import Client

from testing.http import bearer_header

pytestmark = pytest.mark.django_db

NUL_VALUE = "nul\x00here"


@dataclass
class Case:
    method: str
    path: str
    operation: dict[str, Any]
    where: str  # path, query or body
    name: str  # the parameter, or the dotted body field
    body_path: list[str | int] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.method} {self.path} {self.where}:{self.name}"


def _resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].removeprefix("#/components/schemas/")]
    for key in ("anyOf", "oneOf", "allOf"):
        options = [_resolve(schema, n) for n in node.get(key, []) if n.get("type") != "null"]
        if options:
            return options[0]
    return node


def _sample(schema: dict, node: dict) -> Any:
    """A valid value of `node`: the NUL then replaces one field, everything else is fine."""
    node = _resolve(schema, node)
    if "enum" in node:
        return node["enum"][0]
    kind = node.get("type", "string")
    if kind == "object":
        properties = node.get("properties", {})
        return {key: _sample(schema, properties[key]) for key in node.get("required", [])}
    if kind == "array":
        return [_sample(schema, node.get("items", {}))] * max(node.get("minItems", 1), 1)
    if kind in {"integer", "number"}:
        return node.get("minimum", 1)
    if kind == "boolean":
        return True
    formats = {
        "uuid": str(uuid.uuid4()),
        "email": "nul@example.com",
        "date-time": "2026-01-01T00:00:00Z",
    }
    return formats.get(node.get("format", ""), "x" * max(node.get("minLength", 1), 1))


def _string_leaves(schema: dict, node: dict, at: list[str | int]) -> Iterator[list[str | int]]:
    node = _resolve(schema, node)
    kind = node.get("type")
    if kind == "object":
        for key, child in node.get("properties", {}).items():
            yield from _string_leaves(schema, child, [*at, key])
    elif kind == "array":
        yield from _string_leaves(schema, node.get("items", {}), [*at, 0])
    elif kind == "string" or (kind is None and "enum" not in node):
        yield at


def _body_schema(operation: dict) -> dict | None:
    content = operation.get("requestBody", {}).get("content", {})
    return content.get("application/json", {}).get("schema")


def _cases(schema: dict) -> list[Case]:
    cases = []
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            op = (method.upper(), path, operation)
            cases.append(Case(*op, "query", "undeclared"))
            for parameter in operation.get("parameters", []):
                cases.append(Case(*op, parameter["in"], parameter["name"]))
            body = _body_schema(operation)
            for leaf in _string_leaves(schema, body, []) if body else []:
                cases.append(Case(*op, "body", ".".join(map(str, leaf)), leaf))
    return cases


def _set(document: Any, at: list[str | int], value: str) -> Any:
    """`document` with the leaf at `at` replaced (list indexes are always 0 in the walk)."""
    if not at:
        return value
    head, rest = at[0], at[1:]
    if isinstance(head, int):
        items = list(document) if isinstance(document, list) and document else [None]
        items[0] = _set(items[0], rest, value)
        return items
    mapping = dict(document) if isinstance(document, dict) else {}
    mapping[head] = _set(mapping.get(head), rest, value)
    return mapping


def _send(client: Client, schema: dict, case: Case) -> Any:
    operation = case.operation
    params = {p["name"]: p for p in operation.get("parameters", [])}
    path = case.path
    query: dict[str, Any] = {}
    headers: dict[str, str] = {}
    for name, parameter in params.items():
        value = NUL_VALUE if (case.where, case.name) == (parameter["in"], name) else None
        if parameter["in"] == "path":
            value = value or str(_sample(schema, parameter.get("schema", {})))
            path = path.replace("{" + name + "}", quote(value, safe=""))
        elif parameter["in"] == "query" and (value or parameter.get("required")):
            query[name] = value or _sample(schema, parameter.get("schema", {}))
        elif parameter["in"] == "header" and (value or parameter.get("required")):
            headers[name] = value or str(_sample(schema, parameter.get("schema", {})))
    if case.name == "undeclared":
        query["undeclared"] = NUL_VALUE
    body_schema = _body_schema(operation)
    kwargs: dict[str, Any] = {"headers": headers}
    if body_schema:
        body = _sample(schema, body_schema)
        if case.where == "body":
            body = _set(body, case.body_path, NUL_VALUE)
        kwargs.update(data=json.dumps(body), content_type="application/json")
    url = f"{path}?{urlencode(query, doseq=True)}" if query else path
    return client.generic(case.method, url, **kwargs)


def test_a_nul_in_any_field_of_any_operation_answers_422(user, fake_tiktok) -> None:
    schema = Client().get("/api/openapi.json").json()
    cases = _cases(schema)
    client = Client(headers=bearer_header(user))
    # The walk must reach the fields the fuzzer found, or it proves nothing.
    names = {str(case) for case in cases}
    assert "POST /api/auth/token body:username" in names
    assert "GET /api/accounts query:search" in names
    assert "GET /api/accounts/{account_id} path:account_id" in names
    assert len({(case.method, case.path) for case in cases}) == sum(
        len(methods) for methods in schema["paths"].values()
    )

    failures = []
    for case in cases:
        response = _send(client, schema, case)
        body = response.json() if response["Content-Type"].startswith("application/json") else {}
        locs = [error["loc"] for error in body.get("errors") or []]
        field_name = case.body_path[-1] if case.body_path else case.name
        if case.body_path and isinstance(field_name, int):
            field_name = case.body_path[-2]
        # Header names are case-insensitive (Django reports them capitalized).
        fold = str.lower if case.where == "header" else str
        named = any(
            loc[0] == case.where
            and (case.where == "path" or fold(str(field_name)) in map(fold, map(str, loc)))
            for loc in locs
        )
        if response.status_code != 422 or body.get("code") != "VALIDATION_ERROR" or not named:
            failures.append(f"{case}: {response.status_code} {response.content[:300]!r}")
    assert not failures, "\n".join(failures)


def test_every_operation_declares_the_422_a_nul_gets() -> None:
    schema = Client().get("/api/openapi.json").json()

    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            assert "422" in map(str, operation["responses"]), (method, path)


def test_login_with_a_nul_username_is_refused_before_any_query(django_assert_num_queries) -> None:
    with django_assert_num_queries(0):
        response = Client().post(
            "/api/auth/token",
            {"username": "\x00", "password": "x"},
            content_type="application/json",
        )

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "loc": ["body", "username"],
            "msg": "must not contain the NUL character (\\u0000)",
            "type": "string_nul",
        }
    ]


@pytest.mark.parametrize(
    ("body", "content_type", "loc"),
    [
        ("username=a%00b&password=x", "application/x-www-form-urlencoded", ["body", "username"]),
        ('{"a": [{"b": "\\u0000"}]}', "application/json", ["body", "a", 0, "b"]),
        ('{"\\u0000": 1}', "application/json", ["body", "\\u0000"]),
    ],
    ids=["form", "nested-json", "json-key"],
)
def test_a_nul_is_located_in_any_body_shape(body: str, content_type: str, loc: list) -> None:
    response = Client().post("/api/auth/token", body, content_type=content_type)

    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["errors"]] == [loc]


def test_an_escaped_backslash_u0000_is_text_not_a_nul(user) -> None:
    # JSON `\\u0000` is a backslash followed by "u0000": an ordinary (wrong) password.
    response = Client().post(
        "/api/auth/token",
        json.dumps({"username": user.username, "password": "\\u0000"}),
        content_type="application/json",
    )

    assert response.status_code == 401
    assert response.json()["code"] == "INVALID_CREDENTIALS"


def test_a_nul_outside_the_api_answers_400(admin_client) -> None:
    response = admin_client.get("/admin/auth/user/", {"q": "\x00"})

    assert response.status_code == 400
