"""What tests that walk the OpenAPI document ask of an operation: whether it takes a user's
credential, which of its path parameters name objects, and a body it accepts."""

from __future__ import annotations

import re
from typing import Any

from config.openapi import SIGNATURE_SCHEMES

ID_PARAMETER = re.compile(r"\{(\w+_id)\}")

# A valid body for a route whose schema examples do not make one ("POST /api/x/{x_id}/y" ->
# body), so the request reaches the object lookup instead of stopping at validation.
REQUEST_BODIES: dict[str, dict[str, Any]] = {
    # A public address written as a number: valid without DNS (nothing is sent at creation).
    "POST /api/webhook-endpoints": {"url": "https://93.184.216.34/hooks/tiktok", "events": ["*"]},
}


def takes_user_credential(operation: dict[str, Any]) -> bool:
    """True when the operation needs a user's credential (a JWT): not public, not sender-signed.

    Every operation declares `security` (config.openapi); `[]` is public, and a signature
    scheme (TikTok's webhook) is its sender's proof, not a user's.
    """
    return any(
        name not in SIGNATURE_SCHEMES
        for requirement in operation.get("security", [])
        for name in requirement
    )


def id_operations(schema: dict[str, Any]) -> list[tuple[str, str]]:
    """(METHOD, path) of every operation whose path names an object by id."""
    return sorted(
        (method.upper(), path)
        for path, methods in schema["paths"].items()
        if ID_PARAMETER.search(path)
        for method in methods
    )


def request_schema(schema: dict[str, Any], method: str, path: str) -> dict[str, Any] | None:
    """The JSON schema of the operation's body, or None when it takes none."""
    body = schema["paths"][path][method.lower()].get("requestBody")
    if not body or "application/json" not in body["content"]:  # a raw body (upload chunk)
        return None
    node = body["content"]["application/json"]["schema"]
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def example_body(schema: dict[str, Any], method: str, path: str) -> dict[str, Any] | None:
    """REQUEST_BODIES' entry, else a body made of the first example of each field."""
    if f"{method} {path}" in REQUEST_BODIES:
        return REQUEST_BODIES[f"{method} {path}"]
    body_schema = request_schema(schema, method, path)
    if body_schema is None:
        return None
    properties = body_schema.get("properties", {})
    return {name: prop["examples"][0] for name, prop in properties.items() if prop.get("examples")}
