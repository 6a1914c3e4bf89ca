"""The fake TikTok's FILE_UPLOAD: the chunk rules an init must obey, and the upload URL that
takes the chunks (content-posting-api-media-transfer-guide).

Written from TikTok's docs apart from the client's chunk plan (integrations/tiktok/chunks.py)
on purpose: the tests then prove that two readings of the rules agree. TikTok writes "MB"
without saying which; each bound here takes the stricter reading (a chunk of at least 5 MiB, of
at most 64,000,000 bytes), so whatever the fake accepts TikTok accepts under either reading.
Received chunks go to a temporary file, never memory, so a benchmark of a large upload measures
the service, not the fake. Like the rest of the fake, it imports nothing from Django.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from testing.fake_tiktok.transport import Request

MIN_CHUNK_BYTES = 5 * 1024 * 1024
MAX_CHUNK_BYTES = 64_000_000
# The last chunk takes the remainder, so it is under twice a chunk: at most 128 MB.
MAX_CHUNKS = 1000
UPLOAD_URL_LIFETIME_SECONDS = 3600
UPLOAD_PATH = "/upload/video/"
CONTENT_TYPES = ("video/mp4", "video/quicktime", "video/webm")
_BLOCK_BYTES = 64 * 1024
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+)")
_SIZES = ("video_size", "chunk_size", "total_chunk_count")


def chunk_problem(source: dict[str, Any]) -> str | None:
    """Why TikTok refuses these FILE_UPLOAD numbers at init, or None when they obey its rules."""
    sizes = [source.get(name) for name in _SIZES]
    if any(not isinstance(value, int) or isinstance(value, bool) or value < 1 for value in sizes):
        return "video_size, chunk_size and total_chunk_count must be positive integers."
    size, chunk, count = sizes
    if size < MIN_CHUNK_BYTES:
        if (chunk, count) != (size, 1):
            return "A video under 5 MB is sent whole: chunk_size = video_size, one chunk."
        return None
    if not MIN_CHUNK_BYTES <= chunk <= MAX_CHUNK_BYTES:
        return "chunk_size must be 5 MB to 64 MB."
    if count != size // chunk:
        return "total_chunk_count must be floor(video_size / chunk_size)."
    if count > MAX_CHUNKS:
        return "An upload has at most 1000 chunks."
    if size > MAX_CHUNK_BYTES and count < 2:
        return "A video over 64 MB must be sent in several chunks."
    return None


@dataclass
class Upload:
    """One FILE_UPLOAD publish's upload URL and what it has received so far."""

    upload_id: str
    token: str
    video_size: int
    chunk_size: int
    total_chunk_count: int
    expires_at: float
    file: IO[bytes] | None
    ranges: list[tuple[int, int]] = field(default_factory=list)
    # Requests to one upload URL are handled one at a time, as chunks must come in order.
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def received_bytes(self) -> int:
        return self.ranges[-1][1] + 1 if self.ranges else 0

    @property
    def complete(self) -> bool:
        return self.received_bytes == self.video_size

    def next_range(self) -> tuple[int, int]:
        """The only range TikTok takes next: chunk after chunk, the last one to the end."""
        index = len(self.ranges)
        first = index * self.chunk_size
        if index == self.total_chunk_count - 1:
            return first, self.video_size - 1
        return first, first + self.chunk_size - 1


class FakeUploads:
    """Every upload URL the fake handed out since its last reset."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._uploads: dict[str, Upload] = {}

    def reset(self) -> None:
        with self._lock:
            uploads, self._uploads = list(self._uploads.values()), {}
        for upload in uploads:
            with upload.lock:
                if upload.file is not None:
                    upload.file.close()
                    upload.file = None

    def open(self, source: dict[str, Any]) -> Upload:
        """A new upload for numbers `chunk_problem` accepted."""
        upload = Upload(
            upload_id=secrets.token_hex(8),
            token=secrets.token_urlsafe(16),
            video_size=source["video_size"],
            chunk_size=source["chunk_size"],
            total_chunk_count=source["total_chunk_count"],
            expires_at=time.time() + UPLOAD_URL_LIFETIME_SECONDS,
            # Closed by reset(): it outlives this call by design.
            file=tempfile.TemporaryFile(prefix="fake-tiktok-upload-"),  # noqa: SIM115
        )
        with self._lock:
            self._uploads[upload.upload_id] = upload
        return upload

    @staticmethod
    def url(base_url: str, upload: Upload) -> str:
        return f"{base_url}{UPLOAD_PATH}?upload_id={upload.upload_id}&upload_token={upload.token}"

    # --- what tests read ----------------------------------------------------------------------
    @staticmethod
    def content(upload: Upload) -> bytes:
        """Every byte received so far, in order (small test files only)."""
        with upload.lock:
            if upload.file is None:
                raise ValueError("this upload was dropped by a reset")
            upload.file.seek(0)
            return upload.file.read(upload.received_bytes)

    @staticmethod
    def sha256(upload: Upload) -> str:
        """The SHA-256 of the bytes received so far, read back in blocks (any size)."""
        digest = hashlib.sha256()
        with upload.lock:
            if upload.file is None:
                raise ValueError("this upload was dropped by a reset")
            upload.file.seek(0)
            remaining = upload.received_bytes
            while remaining:
                block = upload.file.read(min(_BLOCK_BYTES, remaining))
                digest.update(block)
                remaining -= len(block)
        return digest.hexdigest()

    # --- TikTok's upload URL ------------------------------------------------------------------
    def receive(self, request: Request) -> tuple[int, str, str]:
        """Takes one PUT chunk: (HTTP status, error code or "ok", message). 206 until the
        last chunk, then 201; a refused chunk changes nothing."""
        with self._lock:
            upload = self._uploads.get(request.query.get("upload_id", ""))
        token = request.query.get("upload_token", "")
        if upload is None or not secrets.compare_digest(upload.token.encode(), token.encode()):
            return 404, "invalid_upload_url", "The upload URL is unknown."
        if time.time() >= upload.expires_at:
            return 403, "upload_url_expired", "The upload URL is valid for one hour."
        with upload.lock:
            if upload.file is None:
                return 404, "invalid_upload_url", "The upload URL is unknown."
            problem = _chunk_refusal(upload, request)
            if problem is not None:
                return problem
            first = upload.received_bytes
            length = request.stream.remaining if request.stream else 0
            upload.file.seek(first)
            while block := request.stream.read(_BLOCK_BYTES) if request.stream else b"":
                upload.file.write(block)
            if upload.file.tell() != first + length:
                upload.file.truncate(first)
                return 400, "invalid_param", "The body ended before Content-Length bytes."
            upload.ranges.append((first, first + length - 1))
            return (201 if upload.complete else 206), "ok", ""


def _chunk_refusal(upload: Upload, request: Request) -> tuple[int, str, str] | None:
    """TikTok's checks of one chunk's headers against the upload's plan."""
    headers = request.headers
    if headers.get_content_type() not in CONTENT_TYPES:
        return 400, "invalid_param", f"Content-Type must be one of {', '.join(CONTENT_TYPES)}."
    match = _CONTENT_RANGE.fullmatch(headers.get("Content-Range", "").strip())
    if match is None:
        return 400, "invalid_param", "Content-Range must be bytes <first>-<last>/<video_size>."
    first, last, total = map(int, match.groups())
    if total != upload.video_size or last < first:
        return 400, "invalid_param", "Content-Range does not fit the video_size of the init."
    length = request.stream.remaining if request.stream else 0
    if length != last - first + 1:
        return 400, "invalid_param", "Content-Length must be the size of the Content-Range."
    if upload.complete:
        return 416, "invalid_param", "Every chunk was already received."
    expected = upload.next_range()
    if (first, last) != expected:
        wanted = f"bytes {expected[0]}-{expected[1]}/{upload.video_size}"
        return 416, "invalid_param", f"Chunks come in order, each of chunk_size: send {wanted}."
    return None
