"""`account.status_changed`, however the status changed: sync, refresh, TikTok's webhook,
reconnect, delete, the admin, a command.

Every ORM write of an account's status passes through one of three doors, and each of them
watches it: `QuerySet.update(status=...)` and `bulk_update([...], ["status", ...])`
(stale_reads.AccountQuerySet) and `TikTokAccount.save()` of an existing row. Each locks the
rows it is about to write and reads their status (one SELECT ... FOR UPDATE), writes, then emits
one event per row whose status differs from before, in the same transaction (the event exists
iff the change committed). A write whose new status is a value equal to every old one costs
that one SELECT and nothing else; a write by expression (the sync's "unless revoked") reads the
rows back once. Creating a row is no status change (`account.connected` says it). Raw SQL
would bypass this, and no module writes the table that way (tests/test_stale_reads.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import models

from apps.core.renderers import timestamp
from apps.events.models import EventType
from apps.events.services import NewEvent, event_emit, events_emit

if TYPE_CHECKING:
    from apps.tiktok_accounts.models.account import TikTokAccount

STATUS = "status"
# What an event's `data` shows of an account: the API's AccountOut, field for field and in its
# order (api/outbound_webhooks/tests check the two render alike). The list page shows the same.
ACCOUNT_OUT_FIELDS = (
    "id",
    "open_id",
    "username",
    "display_name",
    "avatar_url",
    "is_verified",
    "follower_count",
    "following_count",
    "likes_count",
    "video_count",
    "status",
    "last_synced_at",
    "created_at",
)
# Before a write: {pk: the row's workspace_id and ACCOUNT_OUT_FIELDS}.
Before = dict[uuid.UUID, dict[str, Any]]


def account_event_data(account: TikTokAccount | Mapping[str, Any]) -> dict[str, Any]:
    """AccountOut of an account (an instance or a `values()` row), ready for JSON."""
    data: dict[str, Any] = {}
    for name in ACCOUNT_OUT_FIELDS:
        value = account[name] if isinstance(account, Mapping) else getattr(account, name)
        if isinstance(value, datetime):
            value = timestamp(value)
        elif isinstance(value, uuid.UUID) or name == STATUS:
            value = str(value)
        data[name] = value
    return data


def account_event_emit(*, account: TikTokAccount, type: EventType) -> None:
    """`account.connected` / `account.deleted` of one account (in the caller's transaction)."""
    event_emit(workspace_id=account.workspace_id, type=type, data=account_event_data(account))


def writes_status(fields: Any) -> bool:
    """A save's `update_fields` (None: every field) or an update's names include the status."""
    return fields is None or STATUS in fields


def statuses_locked(queryset: models.QuerySet[Any]) -> Before:
    """The rows about to be written, locked until the transaction ends, as they are now."""
    rows = queryset.order_by().select_for_update().values("workspace_id", *ACCOUNT_OUT_FIELDS)
    return {row["id"]: row for row in rows}


def _plain(values: dict[str, Any]) -> bool:
    return not any(hasattr(value, "resolve_expression") for value in values.values())


def status_changes_emit(
    model: type[TikTokAccount], before: Before, *, written: dict[str, Any] | None = None
) -> None:
    """One `account.status_changed` per row whose status is no longer what `before` says.

    `written`: the values written to every row, when they are plain values (the rows as
    stored are then `before` with them applied); otherwise the rows are read back.
    """
    if written is not None and _plain(written):
        after = [
            {**row, **{k: v for k, v in written.items() if k in row}} for row in before.values()
        ]
    else:
        after = list(model._base_manager.filter(pk__in=before).values(*ACCOUNT_OUT_FIELDS))
    events = []
    for row in after:
        previous = before[row["id"]]
        if str(row[STATUS]) != str(previous[STATUS]):
            events.append(
                NewEvent(
                    workspace_id=previous["workspace_id"],
                    type=EventType.ACCOUNT_STATUS_CHANGED,
                    data={"account": account_event_data(row), "previous_status": previous[STATUS]},
                )
            )
    events_emit(events)
