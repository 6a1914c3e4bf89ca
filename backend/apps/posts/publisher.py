"""Sending due posts to TikTok, exactly once.

TikTok's init is not idempotent (it offers no idempotency key: every successful call is a new
post), so "never twice" rests on one rule: a post is sent only by whoever won the conditional
UPDATE that sets `send_started_at`, and once that is set nothing ever sends the post again.
- Two workers, or one task delivered twice: only one UPDATE matches, the other does nothing.
- A worker dying after the claim (before, during or after the init call, before storing the
  publish_id): the post stays `publishing` with `send_started_at` and no `publish_id`; the
  sweep settles it as failed (`send_outcome_unknown`) once `_send_deadline()` has passed,
  which no live worker can outlast. It is never re-sent: the user sees why and decides.
- A refusal TikTok gives before creating anything (its 429, a rejected token that a refresh
  cures, a failed refresh) releases the claim (`send_started_at` back to NULL, `due_at` later)
  and the post is sent on a later scan. A timeout or 5xx of the init itself is ambiguous and
  ends as `send_outcome_unknown` too.
- Every post ends: one still `publishing` POST_PUBLISH_DEADLINE_SECONDS after its first claim
  (`sent_at`, kept through releases) is failed by the sweep (`status_unknown`), whether no
  worker polls it any more, its grant died or TikTok never answered; a released post past
  that deadline is never claimed again.
- A scheduled post whose account is not active when due is failed (`account_not_active`)
  instead of claimed: it is never sent.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import DateTimeField, F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from apps.core.errors import ReauthRequired
from apps.core.fields import TokenUnreadableError
from apps.posts import file_push
from apps.posts.creator_info import creator_info_forget
from apps.posts.models import SEND_READY, Post, PostStatus
from apps.posts.polling import poll_delay
from apps.posts.sending import init_publish
from apps.posts.settle import DEADLINE_CODE, post_settle, publish_cutoff
from apps.posts.transitions import post_transition
from apps.tiktok_accounts.models import AccountStatus
from apps.tiktok_accounts.services.scoped_calls import call_with_token
from apps.tiktok_accounts.services.tokens import DEAD_GRANT_STATUSES
from integrations.tiktok.errors import (
    AccessTokenInvalidError,
    PostingRefusedError,
    RefreshTokenInvalidError,
    ScopeNotAuthorizedError,
    TikTokError,
    TikTokRateLimitError,
)

logger = logging.getLogger(__name__)

SEND_ATTEMPTS = 5  # releases (TikTok 429, refresh failures) before a post is given up
# Answers with which TikTok refuses an init before creating anything.
REFUSALS = (
    AccessTokenInvalidError,
    ScopeNotAuthorizedError,
    TikTokRateLimitError,
    PostingRefusedError,
)


def _send_deadline() -> timedelta:
    # Longer than the slowest send can take: two lease waits, two refreshes and two inits.
    return timedelta(seconds=settings.TIKTOK_TIMEOUT_SECONDS * 10 + 60)


def posts_due_ids(*, limit: int = 200) -> list[uuid.UUID]:
    """Posts whose time has come (new ones, and released ones whose retry time has come)."""
    due = Post.objects.filter(SEND_READY, due_at__lte=timezone.now()).order_by("due_at")
    return list(due.values_list("id", flat=True)[:limit])


def _account_refusal(post: Post) -> str | None:
    """Why a due post's account cannot take it: it is then failed, never sent."""
    if post.account.is_deleted:
        return "account_disconnected"
    if post.account.status != AccountStatus.ACTIVE:
        return "account_not_active"
    return None


def _claim(post_id: uuid.UUID) -> Post | None:
    """The one conditional UPDATE that gives one caller the right to send this post."""
    post = Post.objects.select_related("account").filter(pk=post_id).first()
    now = timezone.now()
    if post is None or post.due_at > now or post.send_started_at or post.publish_id:
        return None
    if post.status not in (PostStatus.SCHEDULED, PostStatus.PUBLISHING):
        return None
    if post.status == PostStatus.SCHEDULED and (code := _account_refusal(post)):
        post_settle(
            post=post, tiktok_status=None, code=code, via="send", from_status=PostStatus.SCHEDULED
        )
        return None
    match = Q(
        Q(sent_at__isnull=True) | Q(sent_at__gte=publish_cutoff()),
        send_started_at__isnull=True,
        publish_id__isnull=True,
        due_at__lte=now,
    )
    values = {
        "send_started_at": now,
        "sent_at": Coalesce(F("sent_at"), Value(now, output_field=DateTimeField())),
        "send_attempts": F("send_attempts") + 1,
    }
    if post.status == PostStatus.SCHEDULED:
        won = post_transition(
            post=post,
            before=PostStatus.SCHEDULED,
            after=PostStatus.PUBLISHING,
            match=match,
            values=values,
            tiktok_status=None,
        )
    else:  # a released send, taken again: no change of status
        won = bool(
            Post.objects.filter(match, pk=post_id, status=post.status).update(
                **values, updated_at=now
            )
        )
    if not won:
        return None
    post.status, post.send_started_at = PostStatus.PUBLISHING, now
    post.send_attempts += 1
    return post


def _release(post: Post, delay: timedelta) -> None:
    """TikTok refused before creating anything: send again after `delay`, a few times."""
    if post.send_attempts >= SEND_ATTEMPTS:
        _fail(post, "rate_limited")
        return
    Post.objects.filter(pk=post.pk, send_started_at=post.send_started_at).update(
        send_started_at=None, due_at=timezone.now() + delay, updated_at=timezone.now()
    )


def _fail(post: Post, code: str) -> None:
    post_settle(post=post, tiktok_status="FAILED", code=code, via="send")


def _store_publish_id(post: Post, publish_id: str, upload_url: str | None) -> datetime | None:
    """Written the moment TikTok answers, before any chunk is sent; the poller takes over from
    here. A file upload also keeps TikTok's upload URL and takes the lease of its upload (the
    lease, returned, ends when its first poll is due)."""
    now = timezone.now()
    lease = now + file_push.upload_lease() if upload_url else None
    Post.objects.filter(pk=post.pk, publish_id__isnull=True).update(
        publish_id=publish_id,
        tiktok_upload_url=upload_url,
        upload_lease_until=lease,
        next_poll_at=lease or now + poll_delay(0),
        polls=0,
        updated_at=now,
    )
    post.publish_id, post.tiktok_upload_url, post.upload_lease_until = publish_id, upload_url, lease
    return lease


def post_publish(*, post_id: uuid.UUID) -> None:
    """Claims a due post and sends it to its TikTok init (sending.py), at most once ever; a
    file upload's chunks follow (file_push)."""
    post = _claim(post_id)
    if post is None:
        return
    account = post.account
    if account.is_deleted:
        _fail(post, "account_disconnected")
        return
    in_doubt = False  # an init call TikTok may have acted on, with no answer to show for it

    def init(token: str) -> tuple[str, str | None]:
        nonlocal in_doubt
        in_doubt = True
        try:
            started = init_publish(post, token)
        except REFUSALS:
            in_doubt = False  # TikTok answered, and refused: it created nothing
            raise
        in_doubt = False
        return started

    try:
        publish_id, upload_url = call_with_token(account, post.scope, init)
    except TikTokRateLimitError as exc:
        _release(post, timedelta(seconds=exc.retry_after))
    except PostingRefusedError as exc:
        if exc.code == "privacy_level_option_mismatch":  # the creator's options changed
            creator_info_forget(account=account)
        _fail(post, exc.code)
    except ReauthRequired:
        dead = account.status in DEAD_GRANT_STATUSES
        _fail(post, "reauth_required" if dead else "scope_not_authorized")
    except (AccessTokenInvalidError, RefreshTokenInvalidError):
        _fail(post, "reauth_required")
    except ScopeNotAuthorizedError:
        _fail(post, "scope_not_authorized")
    except TokenUnreadableError:
        _fail(post, "token_unreadable")
    except TikTokError as exc:
        logger.warning("Post %s: send failed (%s)", post.pk, type(exc).__name__)
        if in_doubt:
            _fail(post, "send_outcome_unknown")
        else:  # the token refresh failed in passing: TikTok never saw the post
            _release(post, poll_delay(post.send_attempts))
    else:
        lease = _store_publish_id(post, publish_id, upload_url)
        if lease is not None:
            file_push.upload_push(post=post, lease=lease)


def posts_sweep() -> int:
    """Ends what no worker will finish; returns how many posts it failed. Idempotent and safe
    on two workers (each settle is one conditional UPDATE):
    - a send that never stored its publish_id (`send_outcome_unknown`);
    - a post still publishing at its deadline (`status_unknown`), claimed by no live send;
    - the wait for a published post's id at that deadline (the post stays published).
    """
    now, cutoff = timezone.now(), publish_cutoff()
    lost = Q(publish_id__isnull=True, send_started_at__lt=now - _send_deadline())
    unclaimed = Q(publish_id__isnull=False) | Q(send_started_at__isnull=True)
    overdue = Q(sent_at__lt=cutoff) & unclaimed
    settled = 0
    for post in Post.objects.filter(Q(status=PostStatus.PUBLISHING) & (lost | overdue)):
        if post.publish_id is None and post.send_started_at is not None:
            settled += post_settle(
                post=post, tiktok_status="FAILED", code="send_outcome_unknown", via="sweep"
            )
        else:  # TikTok's last word stays in tiktok_status: it never said FAILED
            settled += post_settle(
                post=post, tiktok_status=post.tiktok_status, code=DEADLINE_CODE, via="sweep"
            )
    Post.objects.filter(
        status=PostStatus.PUBLISHED, next_poll_at__isnull=False, sent_at__lt=cutoff
    ).update(next_poll_at=None, updated_at=now)
    return settled
