"""Approval of posts: while a workspace asks for it, an editor's post waits in
`pending_approval` until an admin approves it (it is then scheduled, or sent at once when due)
or rejects it (final). Nothing sends a post in `pending_approval`: the publisher claims only
`scheduled` posts, so an unapproved post is never sent.
"""

from __future__ import annotations

import uuid

from django.db import transaction
from django.utils import timezone

from apps.audit.models import AuditAction
from apps.audit.services import RequestMeta
from apps.core.errors import PostNotPending
from apps.posts import tasks
from apps.posts.models import Post, PostStatus
from apps.posts.selectors import post_get
from apps.posts.transitions import post_transition


def post_approve(*, workspace_id: uuid.UUID, post_id: uuid.UUID, meta: RequestMeta) -> Post:
    """pending_approval -> scheduled; sent at once when its time has come (or passed)."""
    post = post_get(workspace_id=workspace_id, post_id=post_id)
    with transaction.atomic():
        moved = post_transition(
            post=post,
            before=PostStatus.PENDING_APPROVAL,
            after=PostStatus.SCHEDULED,
            values={"approved_by_id": meta.user_id},
            action=AuditAction.POST_APPROVE,
            meta=meta,
        )
        if not moved:
            raise PostNotPending
        if post.due_at <= timezone.now():
            transaction.on_commit(lambda: tasks.enqueue_publish(post.pk))
    return post


def post_reject(
    *, workspace_id: uuid.UUID, post_id: uuid.UUID, reason: str, meta: RequestMeta
) -> Post:
    """pending_approval -> rejected (final); its stored upload is deleted."""
    post = post_get(workspace_id=workspace_id, post_id=post_id)
    moved = post_transition(
        post=post,
        before=PostStatus.PENDING_APPROVAL,
        after=PostStatus.REJECTED,
        values={"reject_reason": reason},
        action=AuditAction.POST_REJECT,
        meta=meta,
        reason=reason[:200],
    )
    if not moved:
        raise PostNotPending
    return post
