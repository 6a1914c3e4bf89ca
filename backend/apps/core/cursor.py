"""Opaque keyset cursors, signed and bound to the user, the listing and its filters."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.core import signing

from apps.core.errors import InvalidCursor

_SALT = "apps.core.cursor"


@dataclass(frozen=True)
class Position:
    """The last row of a page in `(created_at desc, id desc)` order."""

    created_at: datetime
    id: uuid.UUID


def _scope(*, user_id: object, listing: str, filters: dict[str, object]) -> str:
    raw = json.dumps([str(user_id), listing, filters], sort_keys=True, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def cursor_encode(
    position: Position, *, user_id: object, listing: str, filters: dict[str, object]
) -> str:
    payload = {
        "t": position.created_at.isoformat(),
        "i": position.id.hex,
        "s": _scope(user_id=user_id, listing=listing, filters=filters),
    }
    return signing.dumps(payload, salt=_SALT, compress=True)


def cursor_decode(
    cursor: str, *, user_id: object, listing: str, filters: dict[str, object]
) -> Position:
    """Raises InvalidCursor for anything but a cursor this same listing handed out."""
    try:
        payload = signing.loads(cursor, salt=_SALT)
        position = Position(datetime.fromisoformat(payload["t"]), uuid.UUID(payload["i"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise InvalidCursor from None
    if payload.get("s") != _scope(user_id=user_id, listing=listing, filters=filters):
        raise InvalidCursor
    return position
