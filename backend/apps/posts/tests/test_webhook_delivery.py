"""The fake TikTok delivers signed post.publish.* webhooks through the real route."""

from __future__ import annotations

import time

import pytest
import requests

from apps.posts import publisher
from apps.posts.models import Post, PostStatus

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def service(live_server, fake_tiktok):
    previous = fake_tiktok.service_url
    fake_tiktok.service_url = live_server.url
    yield fake_tiktok
    fake_tiktok.service_url = previous


def _deliver(fake, publish_id: str, event: str, create_time: int | None = None) -> dict:
    args = {"publish_id": publish_id, "event": event}
    if create_time is not None:
        args["create_time"] = create_time
    response = requests.post(f"{fake.base_url}/_fake/post_webhook", json=args, timeout=15)
    return response.json()


def test_a_signed_complete_webhook_publishes_the_post_once(service, make_post) -> None:
    post, _ = make_post()
    publisher.post_publish(post_id=post.pk)
    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHING

    # The same event twice, as TikTok's retry sends it (a fresh `create_time` for each
    # delivery made them two events whenever a second boundary fell between them).
    sent_at = int(time.time())
    first = _deliver(service, post.publish_id, "post.publish.complete", sent_at)
    again = _deliver(service, post.publish_id, "post.publish.complete", sent_at)

    assert first == {"status": 200, "body": {"status": "processed"}}
    assert again == {"status": 200, "body": {"status": "duplicate"}}
    assert Post.objects.get(pk=post.pk).status == PostStatus.PUBLISHED


def test_a_signed_failed_webhook_fails_the_post(service, make_post) -> None:
    post, _ = make_post()
    publisher.post_publish(post_id=post.pk)
    post.refresh_from_db()

    answer = _deliver(service, post.publish_id, "post.publish.failed")

    assert answer["body"] == {"status": "processed"}
    post.refresh_from_db()
    assert post.status == PostStatus.FAILED
    assert post.fail_reason
