"""post.publish.* webhooks settle a post exactly as polling would, whichever comes first (the
inbox too: `inbox_delivered` makes an inbox post sent_to_inbox)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.audit.models import AuditLog
from apps.events.models import Event
from apps.posts import polling, publisher
from apps.posts.models import Post, PostStatus
from apps.posts.webhook_handlers import post_webhook_apply

pytestmark = pytest.mark.django_db


def _sent(make_post, fake_tiktok, **fields) -> Post:
    post, _ = make_post(**fields)
    publisher.post_publish(post_id=post.pk)
    post.refresh_from_db()
    return post


def _deliver(fake_tiktok, post: Post, event: str) -> str:
    """The fake builds TikTok's webhook body; the route would hand these three values over."""
    body = fake_tiktok.content.post_event(post.publish_id, event)
    return post_webhook_apply(
        event=body["event"], user_openid=body["user_openid"], content=json.loads(body["content"])
    )


def _poll_until_final(post: Post) -> None:
    for _ in range(3):
        due = timezone.now() - timedelta(seconds=1)
        Post.objects.filter(pk=post.pk, status=PostStatus.PUBLISHING).update(next_poll_at=due)
        polling.post_poll(post_id=post.pk)


def _final_entries(post: Post) -> list[AuditLog]:
    entries = AuditLog.objects.filter(resource_id=post.pk, action="post_status")
    return [entry for entry in entries if entry.changes["before"]["status"] == "publishing"]


def test_webhook_first_then_poller_changes_nothing_more(make_post, fake_tiktok) -> None:
    post = _sent(make_post, fake_tiktok, privacy_level="SELF_ONLY")

    assert _deliver(fake_tiktok, post, "post.publish.complete") == "processed"
    _poll_until_final(post)

    post.refresh_from_db()
    assert (post.status, post.tiktok_status) == (PostStatus.PUBLISHED, "PUBLISH_COMPLETE")
    assert post.next_poll_at is None
    assert fake_tiktok.count("status_fetch") == 0
    entries = _final_entries(post)
    assert len(entries) == 1
    assert entries[0].metadata["via"] == "webhook"


def test_poller_first_then_webhook_is_ignored(make_post, fake_tiktok) -> None:
    post = _sent(make_post, fake_tiktok, privacy_level="SELF_ONLY")
    _poll_until_final(post)

    assert _deliver(fake_tiktok, post, "post.publish.complete") == "ignored"

    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHED
    assert len(_final_entries(post)) == 1


def test_failed_webhook_fails_the_post_with_tiktoks_reason(make_post, fake_tiktok) -> None:
    fake_tiktok.content.fail_publishes("video_pull_failed")
    post = _sent(make_post, fake_tiktok)

    assert _deliver(fake_tiktok, post, "post.publish.failed") == "processed"
    assert _deliver(fake_tiktok, post, "post.publish.failed") == "ignored"
    _poll_until_final(post)

    post.refresh_from_db()
    assert post.status == PostStatus.FAILED
    assert post.fail_reason.startswith("video_pull_failed: ")
    assert len(_final_entries(post)) == 1


def test_publicly_available_gives_a_published_post_its_video_id(make_post, fake_tiktok) -> None:
    post = _sent(make_post, fake_tiktok)
    assert _deliver(fake_tiktok, post, "post.publish.complete") == "processed"

    assert _deliver(fake_tiktok, post, "post.publish.publicly_available") == "processed"
    assert _deliver(fake_tiktok, post, "post.publish.publicly_available") == "ignored"

    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHED
    assert post.published_video_id == str(fake_tiktok.content.publishes[post.publish_id].post_id)
    assert len(_final_entries(post)) == 1


def test_publicly_available_alone_publishes_the_post(make_post, fake_tiktok) -> None:
    post = _sent(make_post, fake_tiktok)

    assert _deliver(fake_tiktok, post, "post.publish.publicly_available") == "processed"

    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHED
    assert post.published_video_id


@pytest.mark.parametrize(
    ("event", "user_openid", "content"),
    [
        ("post.publish.complete", "someone", {"publish_id": "v_pub_url~unknown"}),
        ("post.publish.complete", "someone", {}),
        ("post.publish.inbox_delivered", "someone", {"publish_id": "x"}),
    ],
)
def test_unknown_publish_ids_and_events_are_ignored(event, user_openid, content) -> None:
    assert post_webhook_apply(event=event, user_openid=user_openid, content=content) == "ignored"


def test_an_event_for_another_tiktok_user_is_ignored(make_post, fake_tiktok) -> None:
    post = _sent(make_post, fake_tiktok)
    body = fake_tiktok.content.post_event(post.publish_id, "post.publish.complete")

    answer = post_webhook_apply(
        event=body["event"], user_openid="another-open-id", content=json.loads(body["content"])
    )

    assert answer == "ignored"
    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHING


@pytest.mark.parametrize("media", ["video", "photo"])
def test_inbox_delivered_sends_an_inbox_post_to_the_inbox_once(make_post, fake_tiktok, media):
    photos = {"media_type": "photo", "video_url": "", "photo_urls": ["https://p.example.com/1.jpg"]}
    post = _sent(
        make_post,
        fake_tiktok,
        post_mode="inbox",
        privacy_level="",
        **(photos if media == "photo" else {}),
    )

    assert _deliver(fake_tiktok, post, "post.publish.inbox_delivered") == "processed"
    assert _deliver(fake_tiktok, post, "post.publish.inbox_delivered") == "ignored"
    _poll_until_final(post)

    post.refresh_from_db()
    assert (post.status, post.tiktok_status) == (PostStatus.SENT_TO_INBOX, "SEND_TO_USER_INBOX")
    assert (post.published_video_id, post.next_poll_at) == (None, None)
    assert Event.objects.filter(type="post.sent_to_inbox").count() == 1
    assert [entry.metadata["via"] for entry in _final_entries(post)] == ["webhook"]


@pytest.mark.parametrize("event", ["post.publish.complete", "post.publish.publicly_available"])
def test_an_inbox_post_the_creator_finished_first_still_ends_sent_to_inbox(
    make_post, fake_tiktok, event
) -> None:
    # The creator posted the draft from their inbox before TikTok's inbox word reached us: the
    # post went through the inbox all the same, and an inbox post never names a video (one
    # draft may become several posts).
    post = _sent(make_post, fake_tiktok, post_mode="inbox", privacy_level="")

    assert _deliver(fake_tiktok, post, event) == "processed"
    _poll_until_final(post)

    post.refresh_from_db()
    assert (post.status, post.tiktok_status) == (PostStatus.SENT_TO_INBOX, "PUBLISH_COMPLETE")
    assert (post.published_video_id, post.next_poll_at) == (None, None)
    assert Event.objects.filter(type="post.sent_to_inbox").count() == 1
    assert not Event.objects.filter(type="post.published").exists()
