"""The client's side of a file upload: chunks PUT in order, stored, resumable; and expiry.

A chunk is checked against the post's plan before a byte is read, streamed into a new stored
object with no transaction open, then counted under the post's row lock only if the post still
wants exactly that chunk: two requests racing with the same chunk store it once (the loser's
object is deleted, and it answers like a re-send), and nothing else changes on any refusal.
The last chunk moves the post on: to `pending_approval` when it needs approval, else to
`scheduled` (sent at once when due).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import IO

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.core.errors import InvalidInput, PostNotFound
from apps.posts import tasks
from apps.posts.drafts import field_error
from apps.posts.models import Post, PostStatus, Source
from apps.posts.reasons import fail_reason
from apps.posts.sending import plan_of
from apps.posts.transitions import post_transition
from apps.posts.upload_store import IncompleteChunkError, chunk_delete, chunk_store
from integrations.tiktok.uploads import ChunkSpan

_CONTENT_RANGE = re.compile(r"bytes (\d{1,12})-(\d{1,12})/(\d{1,12})")


@dataclass(frozen=True)
class ChunkAck:
    received_bytes: int
    complete: bool


def _refuse(msg: str, where: str = "Content-Range") -> InvalidInput:
    error = {"loc": ["header", where], "msg": msg, "type": "upload_chunk"}
    return InvalidInput([error], detail=f"This chunk was refused: {msg}.")


def _span(post: Post, content_range: str, length: int | None) -> ChunkSpan:
    """The chunk `content_range` names, if it is exactly one chunk of the post's plan."""
    match = _CONTENT_RANGE.fullmatch(content_range.strip())
    if match is None:
        raise _refuse("must be bytes <first>-<last>/<video_size>")
    first, last, total = map(int, match.groups())
    plan = plan_of(post)
    if total != plan.video_size:
        raise _refuse(f"the total must be this post's video_size, {plan.video_size}")
    if last >= plan.video_size or last < first:
        raise _refuse(f"the range must lie within the video's {plan.video_size} bytes")
    try:
        span = plan.span(plan.index_at(first))
    except ValueError:
        raise _refuse(f"chunks start at multiples of chunk_size ({plan.chunk_size})") from None
    if (span.first, span.last) != (first, last):
        raise _refuse(f"chunk {span.index} is bytes {span.first}-{span.last}/{total}")
    if length != span.size:
        raise _refuse(f"must be the chunk's size, {span.size} bytes", "Content-Length")
    return span


def _ack(post: Post) -> ChunkAck:
    return ChunkAck(post.received_bytes, post.received_bytes == post.video_size)


def upload_receive(
    *,
    workspace_id: uuid.UUID,
    post_id: uuid.UUID,
    content_range: str,
    length: int | None,
    body: IO[bytes],
) -> ChunkAck:
    """Stores one chunk of an upload post (or recognises one already received)."""
    post = Post.objects.filter(pk=post_id, workspace_id=workspace_id).first()
    if post is None:
        raise PostNotFound
    if post.source != Source.UPLOAD:
        raise InvalidInput([field_error("source", "this post takes no upload", "upload_source")])
    span = _span(post, content_range, length)
    if span.last < post.received_bytes:
        return _ack(post)  # a re-send: harmless
    _still_open(post)
    if span.first != post.received_bytes:
        raise _refuse(f"chunks come in order: the next starts at byte {post.received_bytes}")
    try:
        name = chunk_store(post_id=post.pk, index=span.index, body=body, size=span.size)
    except IncompleteChunkError:
        raise _refuse(f"the body ended before {span.size} bytes", "Content-Length") from None
    return _count(post.pk, span, name)


def _still_open(post: Post) -> None:
    if post.status == PostStatus.AWAITING_UPLOAD:
        return
    reason = "it expired" if post.status == PostStatus.FAILED else f"the post is {post.status}"
    raise InvalidInput(
        [field_error("status", f"this upload takes no more chunks: {reason}", "upload_closed")]
    )


def _count(post_id: uuid.UUID, span: ChunkSpan, name: str) -> ChunkAck:
    """Counts the stored chunk if the post still wants it (under its row lock)."""
    with transaction.atomic():
        post = Post.objects.select_for_update().filter(pk=post_id).first()
        wanted = (
            post is not None
            and post.status == PostStatus.AWAITING_UPLOAD
            and post.received_bytes == span.first
        )
        if not wanted:  # nothing refers to our object: it goes now, whatever follows
            chunk_delete([name])
        if post is None:
            raise PostNotFound
        if not wanted:
            if span.last < post.received_bytes:
                return _ack(post)  # the same chunk, stored by a concurrent request
            _still_open(post)
            raise _refuse(f"chunks come in order: the next starts at byte {post.received_bytes}")
        post.received_bytes = span.last + 1
        post.upload_chunks = [*post.upload_chunks, name]
        post.save(update_fields=["received_bytes", "upload_chunks", "updated_at"])
        if post.received_bytes == post.video_size:
            _uploaded(post)
    return _ack(post)


def _uploaded(post: Post) -> None:
    after = PostStatus.PENDING_APPROVAL if post.requires_approval else PostStatus.SCHEDULED
    post_transition(post=post, before=PostStatus.AWAITING_UPLOAD, after=after, via="upload")
    if after == PostStatus.SCHEDULED and post.due_at <= timezone.now():
        transaction.on_commit(lambda: tasks.enqueue_publish(post.pk))


def uploads_expire(*, limit: int = 500) -> int:
    """Fails the uploads unfinished at their expiry (`upload_expired`); their stored chunks
    are deleted. Idempotent, safe on two workers (one conditional UPDATE each)."""
    now = timezone.now()
    expired = Post.objects.filter(status=PostStatus.AWAITING_UPLOAD, upload_expires_at__lte=now)
    count = 0
    for post in expired.select_related(None)[:limit]:
        count += post_transition(
            post=post,
            before=PostStatus.AWAITING_UPLOAD,
            after=PostStatus.FAILED,
            match=Q(upload_expires_at__lte=now),
            values={"fail_reason": fail_reason("upload_expired")},
            via="expiry",
        )
    return count
