"""Sending posts to TikTok exactly once, and following them to a final status."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.audit.models import AuditLog
from apps.audit.services import RequestMeta
from apps.core.errors import PostNotCancellable
from apps.posts import polling, publisher, services, tasks
from apps.posts.models import Post, PostStatus
from apps.tiktok_accounts.models import AccountStatus, TikTokAccount
from apps.workspaces.personal import personal_workspace_id
from testing.posts import race

pytestmark = pytest.mark.django_db


def _poll_now(post: Post) -> None:
    Post.objects.filter(pk=post.pk).update(next_poll_at=timezone.now() - timedelta(seconds=1))
    polling.post_poll(post_id=post.pk)


def _status_entries(post: Post) -> list[AuditLog]:
    return list(
        AuditLog.objects.filter(resource_id=post.pk, action="post_status").order_by("created_at")
    )


def test_due_post_is_sent_once_then_polled_to_published(make_post, fake_tiktok) -> None:
    post, person = make_post()

    publisher.post_publish(post_id=post.pk)

    post.refresh_from_db()
    assert len(fake_tiktok.content.inits) == 1
    sent = fake_tiktok.content.inits[0]
    assert (sent.open_id, sent.video_url, sent.title) == (
        person.open_id,
        post.video_url,
        post.title,
    )
    assert post.status == PostStatus.PUBLISHING
    assert post.publish_id == sent.publish_id
    assert post.next_poll_at is not None
    _poll_now(post)
    post.refresh_from_db()
    assert (post.status, post.tiktok_status) == (PostStatus.PUBLISHING, "PROCESSING_DOWNLOAD")
    _poll_now(post)
    post.refresh_from_db()
    assert (post.status, post.tiktok_status) == (PostStatus.PUBLISHED, "PUBLISH_COMPLETE")
    assert post.published_video_id == str(fake_tiktok.content.publishes[post.publish_id].post_id)
    assert post.next_poll_at is None
    entries = _status_entries(post)
    assert [e.changes["after"]["status"] for e in entries] == ["publishing", "published"]
    assert entries[-1].metadata["tiktok_status"] == "PUBLISH_COMPLETE"
    assert all(e.metadata["actor"] == "system" and e.ip_address is None for e in entries)
    assert all(e.resource_type == "post" for e in entries)


def test_a_private_post_completes_without_a_public_video_id(make_post, fake_tiktok) -> None:
    post, _ = make_post(privacy_level="SELF_ONLY")
    publisher.post_publish(post_id=post.pk)
    _poll_now(post)
    _poll_now(post)

    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHED
    assert post.published_video_id is None


def test_repeated_task_delivery_sends_once(make_post, fake_tiktok) -> None:
    post, _ = make_post()

    for _ in range(3):
        tasks.post_publish_task.apply(args=[str(post.pk)])

    assert len(fake_tiktok.content.inits) == 1
    assert len(_status_entries(post)) == 1


def test_a_post_is_not_sent_before_its_time(make_post, fake_tiktok, monkeypatch) -> None:
    later = timezone.now() + timedelta(minutes=10)
    post, _ = make_post(scheduled_at=later, due_at=later)
    due_now, _ = make_post()
    delayed: list = []
    monkeypatch.setattr(tasks.post_publish_task, "delay", delayed.append)

    assert tasks.posts_publish_due_task.apply().get() == 1
    publisher.post_publish(post_id=post.pk)

    assert delayed == [str(due_now.pk)]
    assert fake_tiktok.content.inits == []
    Post.objects.filter(pk=post.pk).update(due_at=timezone.now() - timedelta(seconds=1))
    assert set(publisher.posts_due_ids()) == {due_now.pk, post.pk}
    publisher.post_publish(post_id=post.pk)
    assert len(fake_tiktok.content.inits) == 1


def test_a_worker_dying_after_init_never_leads_to_a_second_init(
    make_post, fake_tiktok, monkeypatch
) -> None:
    post, _ = make_post()

    def die(*args, **kwargs):
        raise SystemExit("worker killed")

    monkeypatch.setattr(publisher, "_store_publish_id", die)
    with pytest.raises(SystemExit):
        publisher.post_publish(post_id=post.pk)
    monkeypatch.undo()

    publisher.post_publish(post_id=post.pk)  # the task delivered again
    assert post.pk not in publisher.posts_due_ids()
    assert publisher.posts_sweep() == 0  # a live worker might still be sending
    Post.objects.filter(pk=post.pk).update(send_started_at=timezone.now() - timedelta(hours=1))
    assert publisher.posts_sweep() == 1

    post.refresh_from_db()
    assert len(fake_tiktok.content.inits) == 1
    assert post.status == PostStatus.FAILED
    assert post.fail_reason.startswith("send_outcome_unknown: ")
    assert "not sent again" in post.fail_reason


def test_an_init_without_an_answer_is_never_retried(make_post, fake_tiktok) -> None:
    post, _ = make_post()
    fake_tiktok.timeout_sleep = 1.5
    fake_tiktok.add_fault("video_init", "timeout", times=1)

    publisher.post_publish(post_id=post.pk)
    publisher.post_publish(post_id=post.pk)

    post.refresh_from_db()
    assert post.status == PostStatus.FAILED
    assert post.fail_reason.startswith("send_outcome_unknown")
    assert fake_tiktok.count("video_init") == 1
    # TikTok acted on the init the client gave up on: waiting for it to land keeps it out of
    # the next test's `inits` (it used to land there, 0.5 s later, now and then).
    deadline = time.monotonic() + 10
    while not fake_tiktok.content.inits and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(fake_tiktok.content.inits) == 1


def test_tiktoks_rate_limit_on_init_releases_the_post_for_later(make_post, fake_tiktok) -> None:
    post, _ = make_post()
    fake_tiktok.rate_limit_retry_after = 30
    fake_tiktok.add_fault("video_init", "rate_limit", times=1)

    publisher.post_publish(post_id=post.pk)

    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHING
    assert post.send_started_at is None
    assert post.due_at > timezone.now() + timedelta(seconds=25)
    assert post.pk not in publisher.posts_due_ids()
    Post.objects.filter(pk=post.pk).update(due_at=timezone.now())
    publisher.post_publish(post_id=post.pk)
    post.refresh_from_db()
    assert post.publish_id == fake_tiktok.content.inits[0].publish_id
    assert len(_status_entries(post)) == 1  # scheduled -> publishing, once


def test_a_post_kept_rate_limited_is_given_up(make_post, fake_tiktok) -> None:
    post, _ = make_post()
    fake_tiktok.add_fault("video_init", "rate_limit")

    for _ in range(publisher.SEND_ATTEMPTS):
        Post.objects.filter(pk=post.pk).update(due_at=timezone.now())
        publisher.post_publish(post_id=post.pk)

    post.refresh_from_db()
    assert post.status == PostStatus.FAILED
    assert post.fail_reason.startswith("rate_limited")
    assert fake_tiktok.content.inits == []


def test_an_expired_token_is_refreshed_and_init_sent_once(make_post, fake_tiktok) -> None:
    post, _ = make_post()
    fake_tiktok.expire_access_tokens()

    publisher.post_publish(post_id=post.pk)

    post.refresh_from_db()
    assert post.publish_id is not None
    assert fake_tiktok.count("refresh") == 1
    assert len(fake_tiktok.content.inits) == 1


def test_a_dead_grant_fails_the_post_and_marks_the_account(make_post, fake_tiktok) -> None:
    post, _ = make_post()
    fake_tiktok.add_fault("video_init", "token_invalid")
    fake_tiktok.add_fault("refresh", "invalid_grant")

    publisher.post_publish(post_id=post.pk)

    post.refresh_from_db()
    assert post.fail_reason.startswith("reauth_required")
    assert TikTokAccount.objects.get(pk=post.account_id).status == AccountStatus.TOKEN_EXPIRED


def test_an_account_without_video_publish_fails_without_calling(
    make_post, link_account, user, fake_tiktok
) -> None:
    account, _ = link_account(user, scopes=["user.info.basic", "user.info.profile"])
    post, _ = make_post(account=account)

    publisher.post_publish(post_id=post.pk)

    post.refresh_from_db()
    assert post.fail_reason.startswith("scope_not_authorized")
    assert fake_tiktok.count("video_init") == 0


@pytest.mark.parametrize(
    "code",
    [
        "invalid_param",
        "spam_risk_too_many_posts",
        "spam_risk_user_banned_from_posting",
        "reached_active_user_cap",
        "unaudited_client_can_only_post_to_private_accounts",
        "url_ownership_unverified",
        "privacy_level_option_mismatch",
        "scope_not_authorized",
    ],
)
def test_every_init_refusal_fails_the_post_with_its_code(make_post, fake_tiktok, code) -> None:
    post, _ = make_post()
    fake_tiktok.add_fault("video_init", code)

    publisher.post_publish(post_id=post.pk)
    publisher.post_publish(post_id=post.pk)

    post.refresh_from_db()
    assert post.status == PostStatus.FAILED
    assert post.fail_reason.startswith(f"{code}: ")
    assert len(post.fail_reason.split(": ", 1)[1]) > 10
    assert fake_tiktok.count("video_init") == 1


@pytest.mark.parametrize(
    "reason",
    [
        "file_format_check_failed",
        "duration_check_failed",
        "frame_rate_check_failed",
        "picture_size_check_failed",
        "internal",
        "video_pull_failed",
        "photo_pull_failed",
        "publish_cancelled",
        "auth_removed",
        "spam_risk_too_many_posts",
        "spam_risk_user_banned_from_posting",
        "spam_risk_text",
        "spam_risk",
        "a_reason_tiktok_adds_later",
    ],
)
def test_every_status_fail_reason_is_recorded(make_post, fake_tiktok, reason) -> None:
    post, _ = make_post()
    fake_tiktok.content.fail_publishes(reason)
    publisher.post_publish(post_id=post.pk)
    _poll_now(post)
    _poll_now(post)

    post.refresh_from_db()
    assert (post.status, post.tiktok_status) == (PostStatus.FAILED, "FAILED")
    assert post.fail_reason.startswith(f"{reason}: ")
    assert _status_entries(post)[-1].metadata["tiktok_status"] == "FAILED"


@pytest.mark.parametrize(
    "code", ["invalid_publish_id", "token_not_authorized_for_specified_publish_id"]
)
def test_a_publish_id_tiktok_disowns_fails_the_post(make_post, fake_tiktok, code) -> None:
    post, _ = make_post()
    publisher.post_publish(post_id=post.pk)
    fake_tiktok.add_fault("status_fetch", code)

    _poll_now(post)

    post.refresh_from_db()
    assert post.fail_reason.startswith(code)


@pytest.mark.parametrize(
    "kind", ["rate_limit", "server_error", "timeout", "garbage", "token_invalid"]
)
def test_passing_poll_failures_keep_polling_with_backoff(make_post, fake_tiktok, kind) -> None:
    post, _ = make_post()
    publisher.post_publish(post_id=post.pk)
    fake_tiktok.timeout_sleep = 1.5
    fake_tiktok.add_fault("status_fetch", kind, times=1)
    fake_tiktok.add_fault("refresh", "server_error", times=1)

    _poll_now(post)

    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHING
    assert post.next_poll_at > timezone.now()
    _poll_now(post)
    _poll_now(post)
    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHED


def test_polls_back_off_up_to_ten_times_the_interval(settings) -> None:
    settings.POST_STATUS_POLL_SECONDS = 5

    delays = [polling.poll_delay(n).total_seconds() for n in range(6)]

    assert delays == [5, 10, 20, 40, 50, 50]


def test_two_schedulers_poll_a_post_once_per_period(make_post, fake_tiktok) -> None:
    post, _ = make_post()
    publisher.post_publish(post_id=post.pk)
    Post.objects.filter(pk=post.pk).update(next_poll_at=timezone.now() - timedelta(seconds=1))

    polling.post_poll(post_id=post.pk)
    polling.post_poll(post_id=post.pk)

    assert fake_tiktok.count("status_fetch") == 1


# --- two workers at once, on real transactions ------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(3))
def test_two_concurrent_publishers_send_exactly_one_init(make_post, fake_tiktok, attempt) -> None:
    post, _ = make_post()
    fake_tiktok.set_latency(0.05)

    results = race(
        lambda: publisher.post_publish(post_id=post.pk),
        lambda: publisher.post_publish(post_id=post.pk),
    )

    assert results == [None, None]
    assert len(fake_tiktok.content.inits) == 1
    post.refresh_from_db()
    assert post.publish_id == fake_tiktok.content.inits[0].publish_id
    assert len(_status_entries(post)) == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(4))
def test_cancel_racing_the_publisher_one_wins_cleanly(
    make_post, fake_tiktok, user, attempt
) -> None:
    post, _ = make_post()

    cancel, _ = race(
        lambda: services.post_cancel(
            workspace_id=personal_workspace_id(user.pk), post_id=post.pk, meta=RequestMeta()
        ),
        lambda: publisher.post_publish(post_id=post.pk),
    )

    inits = len(fake_tiktok.content.inits)
    if cancel is None:  # the cancel won: the post is gone and TikTok never saw it
        assert not Post.objects.filter(pk=post.pk).exists()
        assert inits == 0
    else:  # the publisher won: the cancel was refused and the post went out once
        assert isinstance(cancel, PostNotCancellable)
        assert Post.objects.get(pk=post.pk).publish_id is not None
        assert inits == 1
