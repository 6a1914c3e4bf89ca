"""Refuse a NUL character anywhere in a request before any view, form or query sees it.

PostgreSQL text columns cannot hold NUL (0x00): a NUL that reaches a query raises `DataError`,
a 500, on any route that filters or writes with the value. No legitimate value of this service
contains one, so the request is refused once, here, for every route (present and future):
422 `VALIDATION_ERROR` under /api/, a plain 400 elsewhere (the admin). File uploads are not
inspected: their bytes never reach a text column, and neither are the bodies of streamed
routes (upload chunks), which are never read whole.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest

from apps.core.errors import InvalidInput
from apps.core.middleware import error_response, streams_body

NUL = "\x00"
_MESSAGE = "must not contain the NUL character (\\u0000)"
_FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}

Loc = list[str | int]


def nul_locations(request: HttpRequest) -> list[Loc]:
    """Where the request carries a NUL, as 422 `loc`s: path, query, header, cookie, body."""
    found: list[Loc] = []
    if NUL in request.path:
        found.append(["path"])
    found += [["query", key] for key in _keys_with_nul(request.GET)]
    found += [["header", name] for name, value in request.headers.items() if NUL in name + value]
    found += [["cookie", name] for name, value in request.COOKIES.items() if NUL in name + value]
    found += [["body", *loc] for loc in _body_locations(request)]
    return found


def _keys_with_nul(data: Any) -> Iterator[str]:
    """Keys of a QueryDict whose name or any value holds a NUL."""
    for key, values in data.lists():
        if NUL in key or any(NUL in value for value in values):
            yield key.replace(NUL, "\\u0000")


def _body_locations(request: HttpRequest) -> Iterator[Loc]:
    if request.method in {"GET", "HEAD", "OPTIONS"} or streams_body(request):
        return
    if request.content_type in _FORM_TYPES:
        try:
            yield from ([key] for key in _keys_with_nul(request.POST))
        except RequestDataTooBig:
            return  # answered 413 by the route itself
        return
    try:
        body = request.body
    except RequestDataTooBig:
        return
    # JSON spells NUL `\u0000` (a raw 0x00 is invalid JSON, refused by the parser): parse only
    # then, so the common request pays one substring search.
    if b"\\u0000" not in body:
        return
    try:
        document = json.loads(body)
    except ValueError:
        return  # not JSON: the route's parser answers 422 json_invalid
    yield from _json_locations(document, [])


def _json_locations(node: Any, loc: Loc) -> Iterator[Loc]:
    if isinstance(node, str):
        if NUL in node:
            yield loc
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _json_locations(item, [*loc, index])
    elif isinstance(node, dict):
        for key, value in node.items():
            if NUL in key:
                yield [*loc, key.replace(NUL, "\\u0000")]
            else:
                yield from _json_locations(value, [*loc, key])


class RejectNulMiddleware:
    """Right after the request-id middleware, so the refusal is logged with its request id."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        locations = nul_locations(request)
        if not locations:
            return self.get_response(request)
        if not request.path.startswith("/api/"):
            return HttpResponseBadRequest("The request contains a NUL character.")
        errors = [{"loc": loc, "msg": _MESSAGE, "type": "string_nul"} for loc in locations]
        return error_response(422, InvalidInput.code, InvalidInput.detail, errors=errors)
