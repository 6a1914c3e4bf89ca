"""Every post ends: POST_PUBLISH_DEADLINE_SECONDS after it was sent, a post whose status the
service cannot learn is failed (`status_unknown`), whatever its mode (inbox, photos, a file
upload TikTok never takes: its stored file goes too), and TikTok's later word still settles it; a
scheduled post of an account that is not active is failed unsent (`account_not_active`)."""

from __future__ import annotations

import json

import pytest

from apps.audit.models import AuditLog
from apps.posts import polling, publisher, tasks
from apps.posts.models import Post, PostStatus
from apps.posts.webhook_handlers import post_webhook_apply
from apps.tiktok_accounts.models import AccountStatus, TikTokAccount
from testing.posts import beat, race, stored_files, uploaded_post

pytestmark = pytest.mark.django_db

DEADLINE = 7200


def _sent(make_post) -> tuple[Post, object]:
    post, person = make_post()
    publisher.post_publish(post_id=post.pk)
    post.refresh_from_db()
    assert post.publish_id
    return post, person


def _changes(post: Post) -> list[tuple[str, str, str]]:
    entries = AuditLog.objects.filter(resource_id=post.pk, action="post_status")
    return [
        (e.changes["before"]["status"], e.changes["after"]["status"], e.metadata.get("via", ""))
        for e in entries.order_by("created_at", "id")
    ]


def _assert_status_unknown(post: Post) -> None:
    post.refresh_from_db()
    assert post.status == PostStatus.FAILED
    assert post.fail_reason.startswith("status_unknown: ")
    assert post.next_poll_at is None
    assert _changes(post)[-1] == ("publishing", "failed", "sweep")


def test_a_post_whose_grant_dies_while_polling_stops_calling_and_ends_at_the_deadline(
    clock, make_post, fake_tiktok
) -> None:
    post, person = _sent(make_post)
    beat(clock, seconds=5, every=5)
    post.refresh_from_db()
    assert post.tiktok_status == "PROCESSING_DOWNLOAD"

    fake_tiktok.revoke_all(person.open_id)  # the user removes the app's access at TikTok
    beat(clock, seconds=60)
    assert TikTokAccount.objects.get(pk=post.account_id).status == AccountStatus.REVOKED
    fetches = fake_tiktok.count("status_fetch")
    beat(clock, seconds=DEADLINE - 65 - 1)

    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHING
    assert fake_tiktok.count("status_fetch") == fetches  # a dead grant is not asked
    beat(clock, seconds=2, every=2)
    _assert_status_unknown(post)
    assert post.tiktok_status == "PROCESSING_DOWNLOAD"  # TikTok's last word, not a FAILED
    assert polling.posts_poll_due_ids() == []


@pytest.mark.parametrize("override", [None, 600])
def test_a_post_tiktok_keeps_rate_limiting_fails_at_the_deadline(
    clock, settings, make_post, fake_tiktok, override
) -> None:
    if override:
        settings.POST_PUBLISH_DEADLINE_SECONDS = override
    deadline = override or DEADLINE
    assert deadline == settings.POST_PUBLISH_DEADLINE_SECONDS
    post, _ = _sent(make_post)
    fake_tiktok.add_fault("status_fetch", "rate_limit")

    beat(clock, seconds=deadline - 1)

    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHING
    assert fake_tiktok.count("status_fetch") > 1
    beat(clock, seconds=2, every=2)
    _assert_status_unknown(post)


def test_a_post_released_by_tiktoks_429_past_its_deadline_is_never_sent(
    clock, make_post, fake_tiktok
) -> None:
    post, _ = make_post()
    fake_tiktok.rate_limit_retry_after = DEADLINE + 100
    fake_tiktok.add_fault("video_init", "rate_limit", times=1)
    publisher.post_publish(post_id=post.pk)
    post.refresh_from_db()
    assert (post.status, post.send_started_at) == (PostStatus.PUBLISHING, None)

    clock.shift(DEADLINE + 101)
    publisher.post_publish(post_id=post.pk)  # a publish task enqueued before the sweep ran

    assert fake_tiktok.count("video_init") == 1  # the refused one only
    tasks.posts_publish_due_task.apply()
    _assert_status_unknown(post)
    assert fake_tiktok.content.inits == []


def test_the_scan_settles_overdue_posts_once_without_any_poll_task(
    clock, make_post, fake_tiktok
) -> None:
    post, _ = _sent(make_post)  # and no poll ever runs
    clock.shift(DEADLINE - 1)
    assert publisher.posts_sweep() == 0

    clock.shift(2)
    tasks.posts_publish_due_task.apply()
    tasks.posts_publish_due_task.apply()

    _assert_status_unknown(post)
    assert _changes(post) == [("scheduled", "publishing", ""), ("publishing", "failed", "sweep")]
    assert fake_tiktok.count("status_fetch") == 0


MODES = {
    "inbox video": {"post_mode": "inbox", "privacy_level": ""},
    "inbox photo": {
        "post_mode": "inbox",
        "privacy_level": "",
        "media_type": "photo",
        "video_url": "",
        "photo_urls": ["https://photos.example.com/1.jpg"],
    },
    "direct photo": {
        "media_type": "photo",
        "video_url": "",
        "photo_urls": ["https://photos.example.com/1.jpg"],
    },
    "upload direct": {"source": "upload"},
    "upload inbox": {"source": "upload", "post_mode": "inbox", "privacy_level": ""},
}


@pytest.mark.parametrize("mode", list(MODES))
def test_every_mode_tiktok_never_settles_ends_at_the_deadline(
    clock, make_post, fake_tiktok, upload_dir, django_capture_on_commit_callbacks, mode
) -> None:
    fields = dict(MODES[mode])
    if fields.pop("source", None) == "upload":
        post = uploaded_post(make_post, b"v" * 3000, 5 * 1024 * 1024, **fields)
        fake_tiktok.add_fault("upload", "server_error")  # TikTok never takes a chunk
    else:
        post, _ = make_post(**fields)
    fake_tiktok.add_fault("status_fetch", "server_error")

    with django_capture_on_commit_callbacks(execute=True):
        publisher.post_publish(post_id=post.pk)
        beat(clock, seconds=DEADLINE - 1)
    post.refresh_from_db()
    assert (post.status, bool(post.publish_id)) == (PostStatus.PUBLISHING, True)

    with django_capture_on_commit_callbacks(execute=True):
        beat(clock, seconds=2, every=2)
    _assert_status_unknown(post)
    assert len(fake_tiktok.content.inits) == 1
    assert (post.upload_stored, stored_files(upload_dir)) == (False, [])


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(3))
def test_two_workers_sweeping_at_once_settle_a_post_once(
    clock, make_post, fake_tiktok, attempt
) -> None:
    post, _ = _sent(make_post)
    clock.shift(DEADLINE + 1)

    results = race(publisher.posts_sweep, publisher.posts_sweep)

    assert sorted(results) == [0, 1]
    _assert_status_unknown(post)
    assert len(_changes(post)) == 2


def _deliver(fake_tiktok, post: Post, event: str) -> str:
    body = fake_tiktok.content.post_event(post.publish_id, event)
    return post_webhook_apply(
        event=body["event"], user_openid=body["user_openid"], content=json.loads(body["content"])
    )


@pytest.mark.parametrize(
    ("event", "after", "reason"),
    [
        ("post.publish.complete", PostStatus.PUBLISHED, None),
        ("post.publish.publicly_available", PostStatus.PUBLISHED, None),
        ("post.publish.failed", PostStatus.FAILED, "internal: "),
    ],
)
def test_tiktoks_webhook_after_the_deadline_still_settles_the_post(
    clock, make_post, fake_tiktok, event, after, reason
) -> None:
    post, _ = _sent(make_post)
    clock.shift(DEADLINE + 1)
    publisher.posts_sweep()
    _assert_status_unknown(post)
    clock.shift(60)

    assert _deliver(fake_tiktok, post, event) == "processed"
    assert _deliver(fake_tiktok, post, event) == "ignored"

    post.refresh_from_db()
    assert post.status == after
    assert post.fail_reason is None if reason is None else post.fail_reason.startswith(reason)
    assert _changes(post)[-1] == ("failed", after, "webhook")
    if event.endswith("publicly_available"):
        assert post.published_video_id == str(
            fake_tiktok.content.publishes[post.publish_id].post_id
        )


def test_a_webhook_never_overrides_a_failure_tiktok_reported(clock, make_post, fake_tiktok) -> None:
    fake_tiktok.content.fail_publishes("video_pull_failed")
    post, _ = _sent(make_post)
    beat(clock, seconds=20, every=5)
    post.refresh_from_db()
    assert post.fail_reason.startswith("video_pull_failed: ")

    assert _deliver(fake_tiktok, post, "post.publish.complete") == "ignored"

    post.refresh_from_db()
    assert post.status == PostStatus.FAILED


@pytest.mark.parametrize(
    "account_status", [AccountStatus.TOKEN_EXPIRED, AccountStatus.REVOKED, AccountStatus.ERROR]
)
def test_a_scheduled_post_of_an_account_not_active_fails_unsent(
    clock, make_post, fake_tiktok, account_status
) -> None:
    post, _ = make_post()
    TikTokAccount.objects.filter(pk=post.account_id).update(status=account_status)

    tasks.posts_publish_due_task.apply()
    publisher.post_publish(post_id=post.pk)  # a publish task delivered again

    post.refresh_from_db()
    assert post.status == PostStatus.FAILED
    assert post.fail_reason.startswith("account_not_active: ")
    assert post.publish_id is None
    assert post.send_started_at is None
    assert _changes(post) == [("scheduled", "failed", "send")]
    assert fake_tiktok.count("video_init") == 0
    assert fake_tiktok.count("refresh") == 0
