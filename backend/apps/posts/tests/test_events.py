"""`post.published` / `post.failed`: once, from the settle step every ending path shares."""

from __future__ import annotations

import pytest

from apps.events.models import Event
from apps.posts.models import PostStatus
from apps.posts.settle import DEADLINE_CODE, post_settle

pytestmark = pytest.mark.django_db


def test_a_settled_post_emits_its_final_status_once(make_post) -> None:
    post, _ = make_post(status=PostStatus.PUBLISHING)
    assert post_settle(post=post, tiktok_status="PUBLISH_COMPLETE", via="poll")
    assert not post_settle(post=post, tiktok_status="FAILED", code="spam_risk", via="webhook")
    [event] = Event.objects.all()
    assert (event.type, event.data["id"], event.data["status"]) == (
        "post.published",
        str(post.id),
        "published",
    )


def test_tiktoks_word_after_the_deadline_emits_only_a_new_status(make_post) -> None:
    failed, _ = make_post(status=PostStatus.PUBLISHING)
    post_settle(post=failed, tiktok_status=None, code=DEADLINE_CODE, via="sweep")
    post_settle(post=failed, tiktok_status="FAILED", code="spam_risk", via="webhook")
    published, _ = make_post(status=PostStatus.PUBLISHING)
    post_settle(post=published, tiktok_status=None, code=DEADLINE_CODE, via="sweep")
    post_settle(post=published, tiktok_status="PUBLISH_COMPLETE", via="poll")
    assert list(Event.objects.order_by("created_at").values_list("type", flat=True)) == [
        "post.failed",
        "post.failed",
        "post.published",
    ]
