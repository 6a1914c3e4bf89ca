"""The canonical spelling of a route's query: its values as the route itself validates them.

A cache keyed on the raw query string stores `?limit=5&status=active` and
`?status=active&limit=5` apart, and `?limit=05`, `?limit=20` and no limit at all apart from
their twins. Keyed on the validated values instead (every field, defaults spelled out, keys
sorted), one answer has one key, and two queries that differ after validation never share one.

The key is needed before the route validates its input (in the auth's round trip), so the query
is validated here too, with the very models Ninja built for the route, and as Ninja's default
parser reads a query string (the last value of a repeated scalar, every value of a list field).
Only a route whose answer depends on nothing but its path and query may be keyed this way.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pydantic
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from ninja.operation import Operation
from ninja.params.models import ParamModel, PathModel, QueryModel
from ninja.parser import Parser
from ninja.utils import contribute_operation_callback

# What QueryModel.resolve needs of the API: its parser (config.api keeps Ninja's default).
_PARSING: Any = SimpleNamespace(parser=Parser())


class RouteQuery:
    """Learns the query models of the route `view` becomes, when Ninja builds its operation."""

    def __init__(self, view: Callable[..., object]) -> None:
        self.models: list[type[ParamModel]] | None = None
        contribute_operation_callback(view, self._learn)

    def _learn(self, operation: Operation) -> None:
        others = [m for m in operation.models if not issubclass(m, QueryModel | PathModel)]
        if others:
            raise ImproperlyConfigured(
                f"{operation.path}: a route keyed on its query may read only its path and query, "
                f"not {[m.__ninja_param_source__ for m in others]}"
            )
        # The path's parameters are in the path itself, which every key starts with.
        self.models = [m for m in operation.models if issubclass(m, QueryModel)]

    def canonical(self, request: HttpRequest) -> str | None:
        """The validated query as canonical JSON; None if it is invalid (the route answers 422)."""
        if self.models is None:
            raise ImproperlyConfigured("RouteQuery is used on a view that is not a Ninja route")
        validated = []
        for model in self.models:
            try:
                value = model.resolve(request, _PARSING, {})  # as Operation._get_values does
            except pydantic.ValidationError:
                return None
            validated.append(value.model_dump(mode="json"))
        return json.dumps(validated, sort_keys=True, separators=(",", ":"))
