"""The handler registry: each app registers its events at start-up, one handler per event."""

from __future__ import annotations

import pytest

from apps.posts.webhook_handlers import POST_EVENTS, post_publish
from apps.tiktok_accounts.webhook_handlers import authorization_removed
from apps.webhooks.registry import (
    webhook_events_handled,
    webhook_handler,
    webhook_handler_register,
)


def test_the_apps_registered_their_events_at_start_up() -> None:
    assert webhook_events_handled() == {"authorization.removed", *POST_EVENTS}
    assert webhook_handler("authorization.removed") is authorization_removed
    assert {webhook_handler(event) for event in POST_EVENTS} == {post_publish}
    assert webhook_handler("video.upload.failed") is None  # stored as ignored


def test_registering_the_same_handler_again_is_a_no_op_and_another_one_is_refused() -> None:
    webhook_handler_register("authorization.removed", handler=authorization_removed)

    with pytest.raises(ValueError, match="already has a handler"):
        webhook_handler_register("authorization.removed", handler=post_publish)
    assert webhook_handler("authorization.removed") is authorization_removed
