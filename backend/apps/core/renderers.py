"""JSON rendering: orjson, compact, full-precision UTC timestamps.

Django's encoder cuts datetimes to milliseconds and orjson drops a zero microsecond part; the
contract promises microseconds, so items connected in the same millisecond keep a visible,
stable order. Every JSON answer of the API goes through `json_dumps`, so an answer built by
hand (the cached list pages) is byte for byte what the NinjaAPI renderer gives.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from django.http import HttpRequest, HttpResponse
from ninja.renderers import BaseRenderer
from ninja.responses import NinjaJSONEncoder

CONTENT_TYPE = "application/json; charset=utf-8"
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS
_fallback = NinjaJSONEncoder()


def timestamp(value: datetime | None) -> str | None:
    """The contract's timestamp: ISO 8601 in UTC with microseconds and a `Z`."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.isoformat(timespec="microseconds")
    return value.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return timestamp(value)
    return _fallback.default(value)


def json_dumps(data: Any) -> bytes:
    return orjson.dumps(data, default=_default, option=_OPTIONS)


def json_response(body: bytes, status: int = 200) -> HttpResponse:
    """An answer already rendered by `json_dumps`, with the renderer's own content type."""
    return HttpResponse(body, status=status, content_type=CONTENT_TYPE)


class ApiRenderer(BaseRenderer):
    media_type = "application/json"
    charset = "utf-8"

    def render(self, request: HttpRequest, data: Any, *, response_status: int) -> bytes:
        return json_dumps(data)
