"""TikTok's FILE_UPLOAD: the chunk plan (the one home of TikTok's chunk rules) and the upload
of one chunk to the upload URL an init returned.

Rules (content-posting-api-media-transfer-guide): chunks of 5 MB to 64 MB sent in order, the
last one taking the remainder (up to 128 MB), a video under 5 MB sent whole, a video over 64 MB
in several chunks, `total_chunk_count` = floor(`video_size` / `chunk_size`), 1 to 1000. TikTok
writes "MB" without saying which: each bound takes the stricter reading (at least 5 MiB, at most
64,000,000 bytes), so a plan is valid under both. A chunk is streamed from the file, never read
whole: memory stays flat whatever the chunk size.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any
from urllib.parse import urlsplit

import requests
from django.conf import settings

from apps.core.metrics import tiktok_timer
from integrations.tiktok.client import _session
from integrations.tiktok.errors import (
    TikTokError,
    TikTokRateLimitError,
    TikTokTimeoutError,
    TikTokUpstreamError,
    UploadRefusedError,
    outcome_of,
)

logger = logging.getLogger(__name__)

MIN_CHUNK_BYTES = 5 * 1024 * 1024
MAX_CHUNK_BYTES = 64_000_000
MAX_CHUNKS = 1000
DEFAULT_CHUNK_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class ChunkSpan:
    """One chunk: its index and its inclusive byte range, as Content-Range names it."""

    index: int
    first: int
    last: int

    @property
    def size(self) -> int:
        return self.last - self.first + 1


@dataclass(frozen=True)
class ChunkPlan:
    """How a video of `video_size` bytes is cut; `chunk_plan` makes only valid ones."""

    video_size: int
    chunk_size: int
    total_chunk_count: int

    def span(self, index: int) -> ChunkSpan:
        if not 0 <= index < self.total_chunk_count:
            raise IndexError(f"chunk {index} of {self.total_chunk_count}")
        first = index * self.chunk_size
        if index == self.total_chunk_count - 1:
            return ChunkSpan(index, first, self.video_size - 1)
        return ChunkSpan(index, first, first + self.chunk_size - 1)

    def spans(self) -> Iterator[ChunkSpan]:
        return (self.span(index) for index in range(self.total_chunk_count))

    def index_at(self, offset: int) -> int:
        """The chunk that starts at `offset` (TikTok's `uploaded_bytes`: where to resume)."""
        index, rest = divmod(offset, self.chunk_size)
        if rest or not 0 <= index < self.total_chunk_count:
            raise ValueError(f"no chunk starts at byte {offset}")
        return index

    def source_info(self) -> dict[str, Any]:
        """The init's `source_info` for this plan."""
        return {
            "source": "FILE_UPLOAD",
            "video_size": self.video_size,
            "chunk_size": self.chunk_size,
            "total_chunk_count": self.total_chunk_count,
        }


def chunk_plan(video_size: int, *, chunk_size: int = DEFAULT_CHUNK_BYTES) -> ChunkPlan:
    """TikTok's cut of a video: `chunk_size`-byte chunks (one whole chunk when the video is
    under two of them and at most 64 MB), grown when 1000 would not hold the video."""
    if video_size < 1:
        raise ValueError("video_size must be positive")
    if not MIN_CHUNK_BYTES <= chunk_size <= MAX_CHUNK_BYTES:
        raise ValueError(f"chunk_size must be {MIN_CHUNK_BYTES} to {MAX_CHUNK_BYTES} bytes")
    if video_size < 2 * chunk_size and video_size <= MAX_CHUNK_BYTES:
        return ChunkPlan(video_size, video_size, 1)
    chunk = chunk_size
    if video_size // chunk > MAX_CHUNKS:  # the smallest chunk that makes 1000 of them
        chunk = video_size // (MAX_CHUNKS + 1) + 1
    if video_size < 2 * chunk:  # over 64 MB, yet under two chunks: TikTok wants several
        chunk = video_size // 2
    if chunk > MAX_CHUNK_BYTES:
        raise ValueError(f"a video of {video_size} bytes does not fit in {MAX_CHUNKS} chunks")
    return ChunkPlan(video_size, chunk, video_size // chunk)


class _FileSlice:
    """`length` bytes of `file` from `first`, read block by block as requests sends them;
    `__len__` gives requests the Content-Length, so the body is never built in memory. The file
    is positioned at once: one that cannot be read raises its own error to the caller, not a
    connection error from inside requests."""

    def __init__(self, file: IO[bytes], first: int, length: int) -> None:
        self._file, self._remaining, self._length = file, length, length
        file.seek(first)

    def __len__(self) -> int:
        return self._length

    def read(self, size: int | None = -1) -> bytes:
        if self._remaining <= 0:
            return b""
        wanted = self._remaining if size is None or size < 0 else min(size, self._remaining)
        block = self._file.read(wanted)
        if not block:
            raise OSError("the file ended before the end of its chunk")
        self._remaining -= len(block)
        return block


def _check_upload_url(upload_url: str) -> None:
    """Only https, or the configured API origin (the fake upstream): the URL came from TikTok,
    and a chunk is never sent in clear text elsewhere."""
    url, base = urlsplit(upload_url), urlsplit(settings.TIKTOK_API_BASE_URL)
    if url.scheme != "https" and (url.scheme, url.netloc) != (base.scheme, base.netloc):
        raise TikTokUpstreamError("TikTok gave an upload URL that is neither https nor its own.")


def upload_chunk(
    *,
    upload_url: str,
    file: IO[bytes],
    plan: ChunkPlan,
    index: int,
    content_type: str = "video/mp4",
) -> bool:
    """PUTs chunk `index` of `file` (a seekable binary file of `plan.video_size` bytes) to
    TikTok's upload URL, streamed; True once TikTok has the whole video (201), False after
    any earlier chunk (206). The upload URL holds a credential: it is never logged."""
    # Reference: https://developers.tiktok.com/doc/content-posting-api-media-transfer-guide
    span = plan.span(index)
    _check_upload_url(upload_url)
    if file.seek(0, os.SEEK_END) != plan.video_size:
        raise ValueError("the file is not the size the chunk plan was made for")
    headers = {
        "Content-Type": content_type,
        "Content-Range": f"bytes {span.first}-{span.last}/{plan.video_size}",
    }
    body = _FileSlice(file, span.first, span.size)
    # The metrics' endpoint is the upload URL's path: its query holds the credential.
    with tiktok_timer(urlsplit(upload_url).path) as call:
        try:
            return _uploaded(_put(upload_url, body, headers, index), index)
        except TikTokError as exc:
            call.outcome = outcome_of(exc)
            raise


def _put(
    upload_url: str, body: _FileSlice, headers: dict[str, str], index: int
) -> requests.Response:
    timeout = settings.TIKTOK_TIMEOUT_SECONDS
    try:
        return _session().put(
            upload_url, data=body, headers=headers, timeout=timeout, allow_redirects=False
        )
    except requests.Timeout:
        logger.warning("TikTok upload: chunk %s got no answer within %s s", index, timeout)
        # `from None`: the requests error quotes the URL, and its query holds the upload token.
        raise TikTokTimeoutError(f"TikTok did not answer the upload within {timeout} s.") from None
    except requests.RequestException as exc:
        logger.warning("TikTok upload: chunk %s failed (%s)", index, type(exc).__name__)
        raise TikTokUpstreamError("TikTok could not be reached for the upload.") from None


def _uploaded(response: requests.Response, index: int) -> bool:
    status = response.status_code
    if status in (201, 206):
        return status == 201
    try:
        error = response.json().get("error") or {}
    except (ValueError, AttributeError):
        error = {}
    code = str(error.get("code") or "") if isinstance(error, dict) else ""
    log_id = response.headers.get("X-Tt-Logid")
    logger.warning(
        "TikTok upload: chunk %s status=%s error=%s log_id=%s", index, status, code, log_id
    )
    if status == 429:
        raise TikTokRateLimitError("TikTok rate limit hit on the upload.", log_id=log_id)
    if 400 <= status < 500:
        raise UploadRefusedError(
            f"TikTok refused chunk {index} with HTTP {status}.",
            status=status,
            code=code,
            log_id=log_id,
        )
    raise TikTokUpstreamError(f"TikTok answered chunk {index} with HTTP {status}.", log_id=log_id)
