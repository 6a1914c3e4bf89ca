"""Which handler each TikTok event runs: a registry the apps above fill in.

The webhooks app verifies, parses, stores and deduplicates every event but knows no event's
meaning, so it imports none of the apps that act on them: each registers its handlers in its
AppConfig.ready (tiktok_accounts: `authorization.removed`; posts: `post.publish.*`). An event
nobody registered is stored as `ignored`.

A handler runs inside the transaction that stores the event, so its writes and the event's
record commit together (a redelivery then finds the record and changes nothing). Handlers do
row updates only, never an HTTP call: TikTok wants its 200 within milliseconds.
"""

from __future__ import annotations

from collections.abc import Callable

from apps.webhooks.envelope import WebhookEnvelope
from apps.webhooks.models import WebhookStatus

Handler = Callable[[WebhookEnvelope], WebhookStatus]

_handlers: dict[str, Handler] = {}


def webhook_handler_register(*events: str, handler: Handler) -> None:
    """`handler` runs for each of `events`; registering it again is a no-op, another handler
    for an event already taken is a programming error."""
    for event in events:
        taken = _handlers.setdefault(event, handler)
        if taken is not handler:
            raise ValueError(f"TikTok event {event!r} already has a handler: {taken!r}.")


def webhook_handler(event: str) -> Handler | None:
    return _handlers.get(event)


def webhook_events_handled() -> frozenset[str]:
    return frozenset(_handlers)
