"""Where an uploaded video waits until TikTok has it: one stored object per chunk.

The `uploads` storage (settings.STORAGES) is Django's storage API: files under
DATA_DIR/uploads by default, an S3-compatible bucket through django-storages when configured.
One object per chunk, because an object store cannot append, and because a chunk then exists
whole or not at all: each is written under a fresh name and counts only once the post's row
lists it. Bytes always move in blocks, from the request to the store and from the store to
TikTok: memory stays flat whatever the file size.
"""

from __future__ import annotations

import io
import logging
import os
import secrets
import uuid
from collections.abc import Sequence
from typing import IO, Any

from django.core.files.storage import Storage, storages
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.db.models import Sum

from apps.posts.models import Post
from integrations.tiktok.uploads import ChunkPlan

logger = logging.getLogger(__name__)

BLOCK_BYTES = 64 * 1024


class IncompleteChunkError(Exception):
    """The request body ended before the chunk's size."""


def upload_storage() -> Storage:
    return storages["uploads"]


def chunk_store(*, post_id: uuid.UUID, index: int, body: IO[bytes], size: int) -> str:
    """Streams `size` bytes of `body` into a new stored object; returns its name.

    The bytes go to a temporary file first, as Django's own uploads do: an object store takes
    a file of known size that it can stream and rewind (given the request itself, s3transfer
    would take one short read for the whole object), and a body that ends early stores nothing.
    The local store moves that file into place."""
    name = f"{post_id}-{index:04d}-{secrets.token_hex(6)}"
    with TemporaryUploadedFile(name, "application/octet-stream", size, None) as spool:
        remaining = size
        while remaining:
            block = body.read(min(remaining, BLOCK_BYTES))
            if not block:
                raise IncompleteChunkError
            spool.write(block)
            remaining -= len(block)
        spool.seek(0)  # flushes it, for the local store's move, and rewinds it for S3's read
        return upload_storage().save(name, spool)


def chunk_delete(names: Sequence[str]) -> None:
    """Best effort: a leftover object is ops' to clean, never a failed request or sweep. Any
    error, since each store has its own (OSError for files, botocore's for S3)."""
    storage = upload_storage()
    for name in names:
        try:
            storage.delete(name)
        except Exception:
            logger.warning("Could not delete the stored upload chunk %s", name, exc_info=True)


def upload_discard(*, post_id: uuid.UUID, names: Sequence[str] | None = None) -> None:
    """Deletes a post's stored chunks and frees its quota; idempotent. `names` for a post
    whose row is gone (cancelled)."""
    if names is None:
        names = Post.objects.filter(pk=post_id).values_list("upload_chunks", flat=True).first()
    chunk_delete(names or [])
    Post.objects.filter(pk=post_id, upload_stored=True).update(upload_stored=False)
    Post.objects.filter(pk=post_id).exclude(upload_chunks=[]).update(upload_chunks=[])


def upload_bytes_held(*, workspace_id: uuid.UUID) -> int:
    """Bytes the workspace's uploads hold or have reserved (their whole video_size)."""
    held = Post.objects.filter(workspace_id=workspace_id, upload_stored=True)
    return held.aggregate(total=Sum("video_size"))["total"] or 0


class StoredVideo(io.RawIOBase):
    """The stored chunks read as one seekable file of `plan.video_size` bytes, one chunk
    open at a time: what integrations.tiktok.uploads.upload_chunk streams from."""

    def __init__(self, names: Sequence[str], plan: ChunkPlan) -> None:
        if len(names) != plan.total_chunk_count:
            raise ValueError("the stored chunks do not match the plan")
        self._names, self._plan, self._pos = list(names), plan, 0
        self._open: tuple[int, Any] | None = None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        """Opens the chunk at the new position now (an S3 chunk is fetched to a temporary
        file): one that cannot be read fails here, before the PUT that would send it starts."""
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._pos, os.SEEK_END: self._plan.video_size}
        self._pos = base[whence] + offset
        if 0 <= self._pos < self._plan.video_size:
            self._at(self._pos)
        return self._pos

    def read(self, size: int | None = -1) -> bytes:
        if self._pos >= self._plan.video_size:
            return b""
        file, left = self._at(self._pos)
        block = file.read(left if size is None or size < 0 else min(size, left))
        self._pos += len(block)
        return block

    def _at(self, pos: int) -> tuple[Any, int]:
        """The chunk holding byte `pos`, open and positioned there; the bytes left in it."""
        index = min(pos // self._plan.chunk_size, self._plan.total_chunk_count - 1)
        span = self._plan.span(index)
        file = self._chunk(index)
        file.seek(pos - span.first)
        return file, span.last + 1 - pos

    def _chunk(self, index: int) -> Any:
        if self._open is None or self._open[0] != index:
            self._close_chunk()
            self._open = (index, upload_storage().open(self._names[index], "rb"))
        return self._open[1]

    def _close_chunk(self) -> None:
        if self._open is not None:
            self._open[1].close()
            self._open = None

    def close(self) -> None:
        self._close_chunk()
        super().close()
