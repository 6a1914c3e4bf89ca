"""The fake TikTok delivers signed post.publish.* webhooks through the real route."""

from __future__ import annotations

import time

import pytest
import requests

from apps.posts import publisher
from apps.posts.models import Post, PostStatus
from apps.tiktok_accounts.models import AccountStatus, TikTokAccount
from testing.posts import beat

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


def test_a_post_whose_access_is_removed_at_tiktok_ends_at_the_deadline_then_the_webhook_wins(
    clock, service, make_post, settings
) -> None:
    post, person = make_post()
    publisher.post_publish(post_id=post.pk)
    beat(clock, seconds=5, every=5)
    post.refresh_from_db()
    assert (post.status, post.tiktok_status) == (PostStatus.PUBLISHING, "PROCESSING_DOWNLOAD")

    # The fake's "Remove the app's access" page: the tokens die, authorization.removed comes.
    page = requests.post(
        f"{service.base_url}/demo/webhooks", data={"open_id": person.open_id}, timeout=15
    )
    assert page.status_code == 200
    assert TikTokAccount.objects.get(pk=post.account_id).status == AccountStatus.REVOKED
    beat(clock, seconds=settings.POST_PUBLISH_DEADLINE_SECONDS - 6)
    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHING
    assert service.count("status_fetch") == 1
    beat(clock, seconds=2, every=2)

    post.refresh_from_db()
    assert post.status == PostStatus.FAILED
    assert post.fail_reason.startswith("status_unknown: ")
    answer = _deliver(service, post.publish_id, "post.publish.complete")
    assert answer == {"status": 200, "body": {"status": "processed"}}
    post.refresh_from_db()
    assert (post.status, post.fail_reason) == (PostStatus.PUBLISHED, None)
