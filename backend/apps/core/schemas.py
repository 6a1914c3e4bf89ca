"""Base of every request body: a field the schema does not name is refused, never ignored."""

from __future__ import annotations

from ninja import Schema
from pydantic import ConfigDict


class InSchema(Schema):
    """Mass assignment (OWASP API3): `{"user": 2}` or `{"status": "active"}` in a body is a
    422 naming the field, so a client learns at once that it was not applied (a typo too)."""

    model_config = ConfigDict(extra="forbid")
