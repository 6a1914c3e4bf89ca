"""A user's writes on posts: create (with an Idempotency-Key, checked against the creator
info), cancel."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.audit.models import AuditAction
from apps.audit.services import RequestMeta
from apps.core.errors import IdempotencyConflict, InvalidInput, PostNotCancellable, PostNotFound
from apps.posts.audit import post_audit
from apps.posts.creator_info import creator_info_fetch
from apps.posts.models import Post, PostStatus
from apps.posts.tasks import enqueue_publish
from apps.tiktok_accounts.models import TikTokAccount

IDEMPOTENCY_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class PostDraft:
    """What a create asks for, validated by the API schema."""

    video_url: str
    title: str
    privacy_level: str
    disable_comment: bool
    disable_duet: bool
    disable_stitch: bool
    scheduled_at: datetime | None


def _fingerprint(account: TikTokAccount, draft: PostDraft) -> str:
    raw = json.dumps({"account": str(account.pk), **asdict(draft)}, sort_keys=True, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()


def _replay(*, account: TikTokAccount, user_id: object, key: str, fingerprint: str) -> Post | None:
    """The post an earlier request with this key created, or None when the key is free.

    A key older than the 24 h window is released (set to NULL) so it may be used again.
    """
    post = Post.objects.filter(
        workspace_id=account.workspace_id, user_id=user_id, idempotency_key=key
    ).first()
    if post is None:
        return None
    if post.created_at < timezone.now() - IDEMPOTENCY_WINDOW:
        Post.objects.filter(pk=post.pk, idempotency_key=key).update(idempotency_key=None)
        return None
    if post.request_fingerprint != fingerprint:
        raise IdempotencyConflict
    return post


def post_create(
    *,
    account: TikTokAccount,
    draft: PostDraft,
    idempotency_key: str | None,
    meta: RequestMeta,
) -> tuple[Post, bool]:
    """Returns (post, created). A replay of an Idempotency-Key returns the first post and
    calls TikTok no more; the (workspace, user, key) unique constraint settles concurrent
    replays. The post is created in the account's workspace, by `meta.user_id`."""
    fingerprint = _fingerprint(account, draft)

    def replay() -> Post | None:
        if not idempotency_key:
            return None
        return _replay(
            account=account, user_id=meta.user_id, key=idempotency_key, fingerprint=fingerprint
        )

    if earlier := replay():
        return earlier, False
    options = creator_info_fetch(account=account).privacy_level_options
    if draft.privacy_level not in options:
        raise InvalidInput(
            [
                {
                    "loc": ["body", "payload", "privacy_level"],
                    "msg": f"must be one of this account's options: {', '.join(options)}",
                    "type": "privacy_level_option",
                }
            ]
        )
    now = timezone.now()
    post = Post(
        workspace_id=account.workspace_id,
        user_id=meta.user_id,
        account=account,
        status=PostStatus.SCHEDULED,
        due_at=draft.scheduled_at or now,
        idempotency_key=idempotency_key,
        request_fingerprint=fingerprint,
        created_at=now,
        **asdict(draft),
    )
    try:
        with transaction.atomic():
            post.save(force_insert=True)
            post_audit(post, AuditAction.POST_CREATE, meta=meta, scheduled_at=_iso(post))
    except IntegrityError:  # a concurrent request with the same key inserted first
        if earlier := replay():
            return earlier, False
        raise
    if post.due_at <= now:
        transaction.on_commit(lambda: enqueue_publish(post.id))
    return post, True


def _iso(post: Post) -> str | None:
    return post.scheduled_at.isoformat() if post.scheduled_at else None


def post_cancel(*, workspace_id: uuid.UUID, post_id: uuid.UUID, meta: RequestMeta) -> None:
    """Deletes a scheduled post. The row lock (PostgreSQL) or the write lock IMMEDIATE takes
    (SQLite) orders it against the publisher's claim: exactly one of the two wins."""
    with transaction.atomic():
        post = (
            Post.objects.select_for_update().filter(pk=post_id, workspace_id=workspace_id).first()
        )
        if post is None:
            raise PostNotFound
        if post.status != PostStatus.SCHEDULED:
            raise PostNotCancellable
        post_audit(post, AuditAction.POST_CANCEL, meta=meta, title=post.title[:100])
        post.delete()
