"""The OpenAPI document as integrators lint it: every operation states its security.

Ninja writes `security` only on operations with an auth class and lists every model it meets
under `components`, the query models it flattens into parameters too. Redocly's recommended
ruleset (CI's `.ci/run`, `redocly.yaml`) refuses both, so the document is finished here, once,
from the routes: a route added later is covered without a line of its own.
"""

from __future__ import annotations

from typing import Any

from ninja import NinjaAPI
from ninja.openapi.schema import OpenAPISchema

# Public callers that still prove who they are: a required header carrying a signature over
# the body. An operation without auth that declares one of these headers is secured by it.
SIGNATURE_SCHEMES: dict[str, dict[str, str]] = {
    "TikTokSignature": {
        "type": "apiKey",
        "in": "header",
        "name": "TikTok-Signature",
        "description": (
            "TikTok's `t=<unix s>,s=<hex HMAC-SHA256 of \"<t>.<raw body>\">` with the app's "
            "client secret: TikTok's calls only."
        ),
    },
}

# Relative: the host that serves this document (its paths already start with /api/).
SERVERS = [{"url": "/", "description": "The host serving this document"}]
# No licence is granted to the API's users; the field says so rather than being absent.
LICENSE = {"name": "Proprietary", "identifier": "LicenseRef-Proprietary"}

_HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


class DocumentedAPI(NinjaAPI):
    """A NinjaAPI whose document declares `servers`, a licence and every operation's security."""

    def __init__(self, **kwargs: Any) -> None:
        extra = kwargs.pop("openapi_extra", None) or {}
        extra = {**extra, "info": {"license": LICENSE, **extra.get("info", {})}}
        kwargs.setdefault("servers", SERVERS)
        super().__init__(openapi_extra=extra, **kwargs)

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        declare_security(schema)
        drop_unused_components(schema)
        return schema


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(METHOD, path, operation) of every operation of the document."""
    return [
        (method.upper(), path, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in _HTTP_METHODS
    ]


def declare_security(schema: dict[str, Any]) -> None:
    """Give each operation without auth a signature scheme it carries, or an explicit `[]`."""
    for _method, _path, operation in operations(schema):
        if "security" in operation:
            continue
        headers = {
            parameter["name"].lower()
            for parameter in operation.get("parameters", [])
            if parameter.get("in") == "header" and parameter.get("required")
        }
        signed = [
            name for name, scheme in SIGNATURE_SCHEMES.items() if scheme["name"].lower() in headers
        ]
        operation["security"] = [{name: []} for name in signed]
        for name in signed:
            components = schema.setdefault("components", {})
            components.setdefault("securitySchemes", {})[name] = SIGNATURE_SCHEMES[name]


def _refs(node: Any) -> set[str]:
    """Every local `$ref` below node, e.g. `#/components/schemas/UserOut`."""
    if isinstance(node, dict):
        found = {node["$ref"]} if isinstance(node.get("$ref"), str) else set()
        return found.union(*(_refs(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(value) for value in node))
    return set()


def used_components(schema: dict[str, Any]) -> set[str]:
    """The `#/components/<kind>/<name>` reachable from outside `components`, transitively."""
    components = schema.get("components", {})
    pending = _refs({key: value for key, value in schema.items() if key != "components"})
    used: set[str] = set()
    while pending:
        ref = pending.pop()
        if ref in used:
            continue
        used.add(ref)
        kind, _, name = ref.removeprefix("#/components/").partition("/")
        pending |= _refs(components.get(kind, {}).get(name))
    return used


def drop_unused_components(schema: dict[str, Any]) -> None:
    """Remove components no `$ref` reaches (security schemes are named, not referenced)."""
    used = used_components(schema)
    for kind, members in schema.get("components", {}).items():
        if kind == "securitySchemes":
            continue
        for name in [name for name in members if f"#/components/{kind}/{name}" not in used]:
            del members[name]
