"""What Redocly's recommended lint (CI) asks of the document, guarded without node.

Generated from the served document, so a route added later is covered; a small API of its own
shows that routes the document has never seen get the same treatment.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.http import HttpRequest
from django.test import Client
from ninja import Query, Router, Schema

from api.auth.security import JWTAuth
from config.openapi import SIGNATURE_SCHEMES, DocumentedAPI, operations

pytestmark = pytest.mark.django_db


def _served() -> dict[str, Any]:
    response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    return response.json()


def _reachable(schema: dict[str, Any]) -> set[str]:
    """Every `#/components/...` ref reachable from outside `components` (walked here afresh)."""
    seen: set[str] = set()
    stack: list[Any] = [{key: value for key, value in schema.items() if key != "components"}]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref not in seen:
                seen.add(ref)
                _, kind, name = ref.removeprefix("#/").split("/")
                stack.append(schema["components"][kind][name])  # a dangling ref fails here
            stack.extend(value for key, value in node.items() if key != "$ref")
    return seen


def test_every_operation_declares_security_with_defined_schemes() -> None:
    schema = _served()
    defined = set(schema["components"]["securitySchemes"])

    assert operations(schema)
    for method, path, operation in operations(schema):
        assert isinstance(operation.get("security"), list), (method, path)
        for requirement in operation["security"]:
            assert set(requirement) <= defined, (method, path, requirement)


def test_public_operations_say_so_and_the_webhook_names_its_signature() -> None:
    schema = _served()
    security = {(method, path): op["security"] for method, path, op in operations(schema)}

    assert security[("POST", "/api/auth/register")] == []
    assert security[("GET", "/api/health")] == []
    assert security[("POST", "/api/webhooks/tiktok")] == [{"TikTokSignature": []}]
    assert security[("GET", "/api/auth/me")] == [{"JWTAuth": []}]
    scheme = schema["components"]["securitySchemes"]["TikTokSignature"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == (
        "apiKey",
        "header",
        "TikTok-Signature",
    )


def test_document_has_servers_and_a_license() -> None:
    schema = _served()

    assert schema["servers"]
    assert all(server["url"] for server in schema["servers"])
    assert schema["info"]["license"]["name"]
    assert schema["info"]["title"] == "TikTok Accounts API"


def test_every_component_is_used_and_every_ref_resolves() -> None:
    schema = _served()
    reachable = _reachable(schema)

    for kind, members in schema["components"].items():
        if kind == "securitySchemes":  # named by `security`, never `$ref`-erenced
            continue
        for name in members:
            assert f"#/components/{kind}/{name}" in reachable, name


# --- routes the served document has never seen ------------------------------------------------


class _Filters(Schema):
    limit: int = 10


class _Leaf(Schema):
    value: str


class _Out(Schema):
    leaf: _Leaf


def _signature(required: bool) -> dict[str, Any]:
    # As the TikTok webhook declares it: the raw body is read, so the header is declared by hand.
    return {"in": "header", "name": "tiktok-signature", "required": required, "schema": {}}


def _new_api() -> dict[str, Any]:
    router = Router()

    @router.get("/open", auth=None, response=_Out)
    def open_route(request: HttpRequest, filters: Query[_Filters]) -> Any: ...

    @router.post("/signed", auth=None, openapi_extra={"parameters": [_signature(True)]})
    def signed_route(request: HttpRequest) -> None: ...

    @router.post(
        "/optional-signature", auth=None, openapi_extra={"parameters": [_signature(False)]}
    )
    def optional_signature(request: HttpRequest) -> None: ...

    @router.get("/private")
    def private_route(request: HttpRequest) -> None: ...

    api = DocumentedAPI(title="t", version="1", auth=JWTAuth(), urls_namespace="openapi-test")
    api.add_router("/new", router)
    return api.get_openapi_schema(path_prefix="")


def test_routes_added_later_get_security_and_lose_unused_components() -> None:
    schema = _new_api()
    security = {path: op["security"] for _method, path, op in operations(schema)}

    assert security == {
        "/new/open": [],
        "/new/signed": [{"TikTokSignature": []}],
        # An optional signature proves nothing: public.
        "/new/optional-signature": [],
        "/new/private": [{"JWTAuth": []}],
    }
    assert (
        schema["components"]["securitySchemes"]["TikTokSignature"]
        == (SIGNATURE_SCHEMES["TikTokSignature"])
    )
    # The query model is flattened into parameters; what the response reaches stays.
    assert set(schema["components"]["schemas"]) == {"_Out", "_Leaf"}
    assert [
        parameter["name"] for parameter in schema["paths"]["/new/open"]["get"]["parameters"]
    ] == ["limit"]
