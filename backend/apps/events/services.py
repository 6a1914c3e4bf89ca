"""Emitting an event: a row in the writer's transaction, then a message after it commits.

The emitting apps sit below apps.outbound_webhooks, so they never import it: the fan-out task
is named (FAN_OUT_TASK) and reached through `celery.current_app`. A message that is lost (the
broker down at commit, a worker killed) leaves the event with no `fanned_out_at`: the periodic
scan of apps.outbound_webhooks fans it out then. A change that rolls back takes its event with
it, and no message is sent.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from celery import current_app
from django.db import transaction

from apps.events.models import Event, EventType

logger = logging.getLogger(__name__)

FAN_OUT_TASK = "outbound_webhooks.fan_out"


@dataclass(frozen=True)
class NewEvent:
    workspace_id: uuid.UUID
    type: EventType
    data: dict[str, Any] = field(default_factory=dict)


def events_emit(events: Iterable[NewEvent]) -> list[Event]:
    """Stores the events (one INSERT) and hands them to the workers once the caller commits."""
    rows = [Event(workspace_id=e.workspace_id, type=e.type, data=e.data) for e in events]
    if not rows:
        return []
    Event.objects.bulk_create(rows)
    ids = [str(row.id) for row in rows]
    transaction.on_commit(lambda: events_enqueue(ids))
    return rows


def event_emit(*, workspace_id: uuid.UUID, type: EventType, data: dict[str, Any]) -> Event:
    """One event: see events_emit."""
    return events_emit([NewEvent(workspace_id=workspace_id, type=type, data=data)])[0]


def events_enqueue(event_ids: list[str]) -> None:
    """One fan-out message for these events; a broker failure is logged, never raised (the
    change has committed; the scan delivers the events later)."""
    try:
        current_app.signature(FAN_OUT_TASK, args=(event_ids,)).apply_async()
    except Exception as exc:
        logger.warning("Events %s not enqueued (%s): the scan picks them up", event_ids, exc)
