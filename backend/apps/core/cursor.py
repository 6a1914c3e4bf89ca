"""Keyset pagination in `(<key> desc, id desc)` order with opaque, signed cursors.

`key` is `created_at` unless a listing sorts by another column (a datetime or an integer).

A cursor is bound to the workspace and user, the listing and its filters: any other cursor is
INVALID_CURSOR.
Keyset, not offset or `id < cursor`: rows added or removed during a walk neither skip nor
repeat anything, and every page costs the same.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from django.core import signing
from django.db.models import Model, Q, QuerySet

from apps.core.errors import InvalidCursor

_SALT = "apps.core.cursor"
M = TypeVar("M", bound=Model)
T = TypeVar("T")

# No timestamp in the signature: the same page always carries the same cursor, so a cached
# answer is byte for byte the one the database would give.
_SIGNER = signing.Signer(salt=_SALT)


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a listing; `total` only where the listing counts its rows (accounts, videos)."""

    items: list[T]
    next_cursor: str | None  # None on the last page
    total: int | None = None

    @property
    def has_more(self) -> bool:
        return self.next_cursor is not None


def cursor_scope(*, owner: str, listing: str, filters: dict[str, object]) -> str:
    """What a cursor is bound to: any other owner (a workspace and a user: WorkspaceAccess),
    listing or filters makes it INVALID_CURSOR."""
    raw = json.dumps([owner, listing, filters], sort_keys=True, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def cursor_position(cursor: str, scope: str) -> tuple[datetime | int, uuid.UUID]:
    """The `(key value, id)` after which the next page starts; INVALID_CURSOR if not ours."""
    try:
        payload: dict[str, Any] = _SIGNER.unsign_object(cursor)
        value = datetime.fromisoformat(payload["t"]) if "t" in payload else int(payload["v"])
        position = value, uuid.UUID(payload["i"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise InvalidCursor from None
    if payload.get("s") != scope:
        raise InvalidCursor
    return position


def cursor_after(value: datetime | int, last_id: uuid.UUID, scope: str) -> str:
    """The cursor of the page that starts after the row `(value, last_id)`."""
    position = {"t": value.isoformat()} if isinstance(value, datetime) else {"v": int(value)}
    return _SIGNER.sign_object({**position, "i": last_id.hex, "s": scope}, compress=True)


def keyset_page(
    queryset: QuerySet[M, Any],
    *,
    limit: int,
    cursor: str | None,
    owner: str,
    listing: str,
    filters: dict[str, object],
    key: str = "created_at",
) -> Page[Any]:
    """One page and the cursor of the next, in one query."""
    scope = cursor_scope(owner=owner, listing=listing, filters=filters)
    if cursor:
        value, last_id = cursor_position(cursor, scope)
        queryset = queryset.filter(
            Q(**{f"{key}__lt": value}) | Q(**{key: value, "id__lt": last_id})
        )
    rows = list(queryset.order_by(f"-{key}", "-id")[: limit + 1])
    items = rows[:limit]
    if len(rows) <= limit:
        return Page(items=items, next_cursor=None)
    last = items[-1]
    # Model instances, or dicts from `values()` (which must include the key and id).
    value, last_id = (
        (last[key], last["id"]) if isinstance(last, dict) else (getattr(last, key), last.pk)
    )
    return Page(items=items, next_cursor=cursor_after(value, last_id, scope))
