"""A user's writes on posts: create (with an Idempotency-Key, checked against the creator
info, the upload quota and the workspace's approval rule), cancel."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import asdict
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.audit.models import AuditAction
from apps.audit.services import RequestMeta
from apps.core.errors import (
    IdempotencyConflict,
    InvalidInput,
    PostNotCancellable,
    PostNotFound,
    UploadQuotaExceeded,
)
from apps.posts import tasks
from apps.posts.audit import post_audit
from apps.posts.creator_info import creator_info_fetch
from apps.posts.drafts import PostDraft, draft_check, field_error
from apps.posts.models import CANCELLABLE_STATUSES, Post, PostMode, PostStatus, Source
from apps.posts.upload_store import upload_bytes_held, upload_discard
from apps.tiktok_accounts.models import TikTokAccount
from apps.tiktok_accounts.services.scoped_calls import require_scope
from apps.workspaces.models import Role, Workspace
from integrations.tiktok.uploads import chunk_plan

IDEMPOTENCY_WINDOW = timedelta(hours=24)
__all__ = ["PostDraft", "post_cancel", "post_create"]


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
    role: Role = Role.OWNER,
) -> tuple[Post, bool]:
    """Returns (post, created). A replay of an Idempotency-Key returns the first post and
    calls TikTok no more; the (workspace, user, key) unique constraint settles concurrent
    replays. The post is created in the account's workspace, by `meta.user_id` whose `role`
    there decides whether it waits for approval."""
    fingerprint = _fingerprint(account, draft)

    def replay() -> Post | None:
        if not idempotency_key:
            return None
        return _replay(
            account=account, user_id=meta.user_id, key=idempotency_key, fingerprint=fingerprint
        )

    if earlier := replay():
        return earlier, False
    draft_check(draft)
    _check_account(account, draft)
    post = _new_post(account, draft, role=role, meta=meta)
    post.idempotency_key, post.request_fingerprint = idempotency_key, fingerprint
    try:
        with transaction.atomic():
            if post.upload_stored:
                _reserve(post)
            post.save(force_insert=True)
            post_audit(post, AuditAction.POST_CREATE, meta=meta, scheduled_at=_iso(post))
    except IntegrityError:  # a concurrent request with the same key inserted first
        if earlier := replay():
            return earlier, False
        raise
    if post.status == PostStatus.SCHEDULED and post.due_at <= post.created_at:
        transaction.on_commit(lambda: tasks.enqueue_publish(post.id))
    return post, True


def _check_account(account: TikTokAccount, draft: PostDraft) -> None:
    """An inbox post needs video.upload; a direct one a privacy level the creator offers."""
    if draft.post_mode == PostMode.INBOX:
        require_scope(account, "video.upload")
        return
    options = creator_info_fetch(account=account).privacy_level_options
    if draft.privacy_level not in options:
        message = f"must be one of this account's options: {', '.join(options)}"
        raise InvalidInput([field_error("privacy_level", message, "privacy_level_option")])


def _new_post(account: TikTokAccount, draft: PostDraft, *, role: Role, meta: RequestMeta) -> Post:
    now = timezone.now()
    workspace = Workspace.objects.only("post_approval_required").get(pk=account.workspace_id)
    needs_approval = workspace.post_approval_required and not role.at_least(Role.ADMIN)
    values = asdict(draft)
    values["photo_urls"] = list(draft.photo_urls) if draft.photo_urls else None
    for name in ("video_url", "privacy_level"):
        values[name] = values[name] or ""
    for name in ("disable_comment", "disable_duet", "disable_stitch"):
        values[name] = bool(values[name])
    post = Post(
        workspace_id=account.workspace_id,
        user_id=meta.user_id,
        account=account,
        status=PostStatus.PENDING_APPROVAL if needs_approval else PostStatus.SCHEDULED,
        requires_approval=needs_approval,
        due_at=draft.scheduled_at or now,
        created_at=now,
        **values,
    )
    if draft.source == Source.UPLOAD:
        plan = chunk_plan(int(draft.video_size or 0), chunk_size=settings.UPLOAD_CHUNK_BYTES)
        post.status = PostStatus.AWAITING_UPLOAD
        post.upload_chunk_size, post.upload_total_chunks = plan.chunk_size, plan.total_chunk_count
        post.upload_expires_at = now + timedelta(seconds=settings.UPLOAD_EXPIRY_SECONDS)
        post.upload_stored = True  # its whole size counts against the quota from now on
    return post


def _reserve(post: Post) -> None:
    """The quota check, under the workspace's row lock: two creates never both squeeze in."""
    Workspace.objects.select_for_update().filter(pk=post.workspace_id).values("id").first()
    held = upload_bytes_held(workspace_id=post.workspace_id)
    if held + int(post.video_size or 0) > settings.UPLOAD_QUOTA_BYTES:
        raise UploadQuotaExceeded


def _iso(post: Post) -> str | None:
    return post.scheduled_at.isoformat() if post.scheduled_at else None


def post_cancel(*, workspace_id: uuid.UUID, post_id: uuid.UUID, meta: RequestMeta) -> None:
    """Deletes a post TikTok has nothing of yet (awaiting its upload, its approval or its
    time), and its stored upload. The row lock (PostgreSQL) or the write lock IMMEDIATE takes
    (SQLite) orders it against the publisher's claim and a chunk's arrival: one of them wins."""
    with transaction.atomic():
        post = (
            Post.objects.select_for_update().filter(pk=post_id, workspace_id=workspace_id).first()
        )
        if post is None:
            raise PostNotFound
        if post.status not in CANCELLABLE_STATUSES:
            raise PostNotCancellable
        post_audit(post, AuditAction.POST_CANCEL, meta=meta, title=post.title[:100])
        names = list(post.upload_chunks)
        post.delete()
        transaction.on_commit(lambda: upload_discard(post_id=post_id, names=names))
