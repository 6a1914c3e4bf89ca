"""After PUBLISH_COMPLETE a public post's id comes later (moderation): polling goes on, with
its backoff and within the deadline, until TikTok gives it; every digit of it is kept."""

from __future__ import annotations

import json

import pydantic
import pytest
from django.test import Client

from apps.posts import publisher, tasks
from apps.posts.models import Post, PostStatus
from apps.posts.webhook_handlers import post_webhook_apply
from integrations.tiktok import content_client
from testing.http import bearer_header
from testing.posts import beat

pytestmark = pytest.mark.django_db

BIG_ID = 7_312_345_678_901_234_567


def _sent(make_post, **fields) -> Post:
    post, _ = make_post(**fields)
    publisher.post_publish(post_id=post.pk)
    post.refresh_from_db()
    return post


def _published_without_id(clock, make_post) -> Post:
    post = _sent(make_post)
    beat(clock, seconds=15, every=5)  # polls at +5 and +15: PROCESSING_DOWNLOAD, COMPLETE
    post.refresh_from_db()
    assert (post.status, post.published_video_id) == (PostStatus.PUBLISHED, None)
    assert post.next_poll_at is not None
    return post


def test_polling_goes_on_after_complete_until_the_public_id_comes(
    clock, make_post, fake_tiktok
) -> None:
    fake_tiktok.content.delay_post_ids(600, [BIG_ID])
    post = _published_without_id(clock, make_post)

    beat(clock, seconds=590, every=5)
    post.refresh_from_db()
    assert post.published_video_id is None
    fetches = fake_tiktok.count("status_fetch")
    assert 10 < fetches < 30  # backed off to one poll every 50 s, not one every 5 s

    beat(clock, seconds=60, every=5)
    post.refresh_from_db()
    assert (post.status, post.published_video_id) == (PostStatus.PUBLISHED, str(BIG_ID))
    assert post.next_poll_at is None
    fetches = fake_tiktok.count("status_fetch")
    beat(clock, seconds=300)
    assert fake_tiktok.count("status_fetch") == fetches


@pytest.mark.parametrize("post_id", [BIG_ID, 2**53 + 1, 2**63 - 1])
def test_a_post_id_keeps_every_digit_through_http_json_and_the_api(
    clock, make_post, fake_tiktok, user, post_id
) -> None:
    fake_tiktok.content.delay_post_ids(0, [post_id])
    post = _sent(make_post)

    beat(clock, seconds=15, every=5)

    post.refresh_from_db()
    assert post.published_video_id == str(post_id)
    body = Client(headers=bearer_header(user)).get(f"/api/posts/{post.pk}").json()
    assert body["published_video_id"] == str(post_id)


def test_the_client_refuses_a_post_id_that_went_through_a_float() -> None:
    answer = {"status": "PUBLISH_COMPLETE", "publicaly_available_post_id": [float(BIG_ID)]}

    with pytest.raises(pydantic.ValidationError):
        content_client.PublishStatus.model_validate(answer)
    exact = {**answer, "publicaly_available_post_id": [BIG_ID, str(BIG_ID + 1)]}
    parsed = content_client.PublishStatus.model_validate(exact)
    assert parsed.publicaly_available_post_id == [str(BIG_ID), str(BIG_ID + 1)]


@pytest.mark.parametrize("privacy_level", ["SELF_ONLY", "MUTUAL_FOLLOW_FRIENDS"])
def test_a_post_that_is_not_public_stops_polling_at_complete(
    clock, make_post, fake_tiktok, privacy_level
) -> None:
    post = _sent(make_post, privacy_level=privacy_level)

    beat(clock, seconds=300, every=5)

    post.refresh_from_db()
    assert (post.status, post.published_video_id) == (PostStatus.PUBLISHED, None)
    assert post.next_poll_at is None
    assert fake_tiktok.count("status_fetch") == 2


def test_the_wait_for_an_id_ends_at_the_deadline_and_the_post_stays_published(
    clock, make_post, fake_tiktok, settings
) -> None:
    fake_tiktok.content.delay_post_ids(3 * 3600)
    post = _published_without_id(clock, make_post)

    beat(clock, seconds=settings.POST_PUBLISH_DEADLINE_SECONDS)

    post.refresh_from_db()
    assert (post.status, post.fail_reason, post.published_video_id) == (
        PostStatus.PUBLISHED,
        None,
        None,
    )
    assert post.next_poll_at is None
    assert Post.objects.filter(status=PostStatus.PUBLISHED, next_poll_at__isnull=False).count() == 0


def test_a_publish_id_tiktok_disowns_after_complete_keeps_the_post_published(
    clock, make_post, fake_tiktok
) -> None:
    fake_tiktok.content.delay_post_ids(600)
    post = _published_without_id(clock, make_post)
    fake_tiktok.add_fault("status_fetch", "invalid_publish_id")

    beat(clock, seconds=60, every=5)

    post.refresh_from_db()
    assert (post.status, post.fail_reason, post.next_poll_at) == (PostStatus.PUBLISHED, None, None)


def _deliver(fake_tiktok, post: Post, event: str) -> str:
    body = fake_tiktok.content.post_event(post.publish_id, event)
    return post_webhook_apply(
        event=body["event"], user_openid=body["user_openid"], content=json.loads(body["content"])
    )


def test_a_complete_webhook_leaves_a_public_post_polling_for_its_id(
    clock, make_post, fake_tiktok
) -> None:
    fake_tiktok.content.delay_post_ids(0, [BIG_ID])
    fake_tiktok.content.polls_to_complete = 1
    post = _sent(make_post)

    assert _deliver(fake_tiktok, post, "post.publish.complete") == "processed"
    post.refresh_from_db()
    assert (post.status, post.published_video_id) == (PostStatus.PUBLISHED, None)
    beat(clock, seconds=5, every=5)

    post.refresh_from_db()
    assert post.published_video_id == str(BIG_ID)
    assert post.next_poll_at is None


def test_no_longer_publicly_available_stops_the_wait_for_the_id(
    clock, make_post, fake_tiktok
) -> None:
    fake_tiktok.content.delay_post_ids(3600)
    post = _published_without_id(clock, make_post)

    assert _deliver(fake_tiktok, post, "post.publish.no_longer_publicaly_available") == "processed"
    fetches = fake_tiktok.count("status_fetch")
    beat(clock, seconds=600)

    post.refresh_from_db()
    assert (post.status, post.next_poll_at) == (PostStatus.PUBLISHED, None)
    assert fake_tiktok.count("status_fetch") == fetches
    assert tasks.posts_poll_due_task.apply().get() == 0
