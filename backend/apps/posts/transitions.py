"""The one way a post's status changes: `post_transition`.

Every path that moves a post (the publisher's claim, polling, TikTok's webhooks, the deadline
sweep, an upload completing or expiring, approval and rejection) calls it, so three things hold
for all of them: the move is one conditional UPDATE (whoever comes first wins, the others change
nothing), it writes its audit entry in the same transaction, and once it has committed
`post_status_changed` is sent (outbound webhooks listen there) and a post that reached a final
status gives up its stored upload.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.dispatch import Signal
from django.utils import timezone

from apps.audit.models import AuditAction
from apps.audit.services import SYSTEM, RequestMeta
from apps.posts.audit import post_audit, status_changes
from apps.posts.events import EVENT_OF_STATUS, post_final_emit
from apps.posts.models import FINAL_STATUSES, Post, PostStatus
from apps.posts.upload_store import upload_discard

# Sent after commit with post_id, before, after (statuses), for every status change.
post_status_changed = Signal()


def post_transition(
    *,
    post: Post,
    before: PostStatus | str,
    after: PostStatus | str,
    match: Q | None = None,
    values: dict[str, Any] | None = None,
    action: AuditAction = AuditAction.POST_STATUS,
    meta: RequestMeta = SYSTEM,
    **audit_metadata: Any,
) -> bool:
    """Moves `post` from `before` to `after` (and writes `values`) if it is still `before` and
    matches `match`; False when another path moved it first."""
    fields = {**(values or {}), "status": after, "updated_at": timezone.now()}
    with transaction.atomic():
        query = Post.objects.filter(match or Q(), pk=post.pk, status=before)
        if not query.update(**fields):
            return False
        post_audit(
            post,
            action,
            meta=meta,
            changes=status_changes(str(before), str(after)),
            **audit_metadata,
        )
        if str(after) in EVENT_OF_STATUS and str(before) != str(after):
            post_final_emit(post_id=post.pk)  # a confirmed deadline failure says nothing new
        transaction.on_commit(lambda: _changed(post.pk, str(before), str(after)))
    for name, value in fields.items():
        if not hasattr(value, "resolve_expression"):  # an expression's value is the row's
            setattr(post, name, value)
    return True


def _changed(post_id: uuid.UUID, before: str, after: str) -> None:
    if after in FINAL_STATUSES:
        upload_discard(post_id=post_id)
    post_status_changed.send(sender=Post, post_id=post_id, before=before, after=after)
