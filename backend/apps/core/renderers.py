"""JSON rendering with full-precision UTC timestamps.

Django's encoder cuts datetimes to milliseconds; the contract promises microseconds, so
items connected in the same millisecond keep a visible, stable order.
"""

from datetime import UTC, datetime
from typing import Any

from ninja.renderers import JSONRenderer
from ninja.responses import NinjaJSONEncoder


class ApiJSONEncoder(NinjaJSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, datetime) and o.tzinfo is not None:
            return o.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
        return super().default(o)


class ApiRenderer(JSONRenderer):
    encoder_class = ApiJSONEncoder
