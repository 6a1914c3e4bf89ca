"""The chunk plan at TikTok's boundaries, and chunks streamed to the fake TikTok's upload URL
over real HTTP, byte for byte."""

from __future__ import annotations

import io
import itertools
import logging
import os
import socket
import tracemalloc
from pathlib import Path
from typing import IO

import pytest

from integrations.tiktok import client, content_client, uploads
from integrations.tiktok.errors import (
    TikTokRateLimitError,
    TikTokTimeoutError,
    TikTokUpstreamError,
    UploadRefusedError,
)
from integrations.tiktok.uploads import (
    DEFAULT_CHUNK_BYTES,
    MAX_CHUNK_BYTES,
    MIN_CHUNK_BYTES,
    ChunkPlan,
    chunk_plan,
)
from testing.fake_tiktok.uploads import chunk_problem

MIB = 1024 * 1024
D = DEFAULT_CHUNK_BYTES
MIN, MAX = MIN_CHUNK_BYTES, MAX_CHUNK_BYTES
POST_INFO = {"title": "t", "privacy_level": "SELF_ONLY"}


@pytest.mark.parametrize(
    ("size", "chunk", "expected"),
    [
        (1, D, (1, 1)),
        (MIN - 1, D, (MIN - 1, 1)),  # under 5 MB: whole
        (MIN, D, (MIN, 1)),
        (2 * D - 1, D, (2 * D - 1, 1)),  # under two chunks: one whole chunk
        (2 * D, D, (D, 2)),
        (3 * D - 1, D, (D, 2)),  # the last chunk absorbs the remainder
        (MAX, MAX, (MAX, 1)),  # 64 MB still fits one chunk
        (MAX + 1, MAX, ((MAX + 1) // 2, 2)),  # over 64 MB: at least two
        (2 * MAX + 1, MAX, (MAX, 2)),
        (1000 * D + D - 1, D, (D, 1000)),  # at most 1000 chunks
        (1001 * D, D, (D + 1, 1000)),  # more: the chunks grow just enough
        (4 * 1024**3, D, (D, 409)),  # the service's largest video
        (1000 * MAX, MIN, (1000 * MAX // 1001 + 1, 1000)),
        (1000 * MAX + MAX - 1, MIN, (MAX, 1000)),  # the largest video TikTok takes
    ],
)
def test_chunk_plan_at_tiktoks_boundaries(size, chunk, expected):
    plan = chunk_plan(size, chunk_size=chunk)

    assert (plan.chunk_size, plan.total_chunk_count) == expected
    assert plan.total_chunk_count == size // plan.chunk_size  # TikTok's floor rule
    assert chunk_problem(plan.source_info()) is None  # the fake's reading agrees


@pytest.mark.parametrize(
    ("size", "chunk"),
    [(0, D), (-1, D), (D, MIN - 1), (D, MAX + 1), (1000 * MAX + MAX, MAX)],
)
def test_chunk_plan_refuses_what_tiktok_cannot_take(size, chunk):
    with pytest.raises(ValueError, match=r"video_size|chunk_size|chunks"):
        chunk_plan(size, chunk_size=chunk)


@pytest.mark.parametrize("size", [1, 7 * MIB, 2 * D + 12345, 3 * MAX + 7, 4 * 1024**3])
def test_chunks_cover_the_video_in_order_and_obey_the_size_rules(size):
    plan = chunk_plan(size)
    spans = list(plan.spans())

    assert spans[0].first == 0
    assert spans[-1].last == size - 1
    assert all(a.last + 1 == b.first for a, b in itertools.pairwise(spans))
    assert {span.size for span in spans[:-1]} <= {plan.chunk_size}
    assert spans[-1].size < 128_000_000
    assert size < MIN or len(spans) == 1 or min(span.size for span in spans) >= MIN
    assert [plan.index_at(span.first) for span in spans] == list(range(len(spans)))


def test_index_at_refuses_an_offset_that_starts_no_chunk():
    plan = chunk_plan(3 * D)
    with pytest.raises(ValueError, match="no chunk"):
        plan.index_at(D + 1)
    with pytest.raises(ValueError, match="no chunk"):
        plan.index_at(3 * D)  # the end: nothing left to send
    with pytest.raises(IndexError):
        plan.span(3)


# --- over HTTP, against the fake -------------------------------------------------------------
@pytest.fixture
def token(fake_tiktok) -> str:
    return client.exchange_code(code=fake_tiktok.issue_code("fake-open-id-0006")).access_token


@pytest.fixture
def video(tmp_path: Path) -> Path:
    path = tmp_path / "video.mp4"
    path.write_bytes(os.urandom(2 * MIN + 2 * MIB + 5))  # 2 chunks: 5 MiB, 7 MiB + 5
    return path


def _closed_port() -> int:
    free = socket.socket()
    free.bind(("127.0.0.1", 0))
    port = free.getsockname()[1]
    free.close()
    return port


def _start(token: str, size: int) -> tuple[ChunkPlan, content_client.UploadTarget]:
    plan = chunk_plan(size, chunk_size=MIN)
    target = content_client.init_direct_file_upload(
        access_token=token, plan=plan, post_info=POST_INFO
    )
    return plan, target


def _send(target, file: IO[bytes], plan: ChunkPlan, index: int) -> bool:
    return uploads.upload_chunk(upload_url=target.upload_url, file=file, plan=plan, index=index)


def test_a_file_uploaded_in_chunks_reaches_tiktok_byte_for_byte(fake_tiktok, token, video):
    plan, target = _start(token, video.stat().st_size)

    with video.open("rb") as file:
        assert [_send(target, file, plan, span.index) for span in plan.spans()] == [False, True]

    assert fake_tiktok.content.received(target.publish_id) == video.read_bytes()
    status = content_client.fetch_post_status(access_token=token, publish_id=target.publish_id)
    assert (status.status, status.uploaded_bytes) == ("PROCESSING_UPLOAD", plan.video_size)


def test_an_interrupted_upload_resumes_where_tiktok_says(fake_tiktok, token, video):
    plan, target = _start(token, video.stat().st_size)
    with video.open("rb") as file:
        _send(target, file, plan, 0)
        status = content_client.fetch_post_status(access_token=token, publish_id=target.publish_id)

        assert _send(target, file, plan, plan.index_at(status.uploaded_bytes)) is True
    assert fake_tiktok.content.received(target.publish_id) == video.read_bytes()


def test_a_chunk_is_streamed_from_the_file_never_held_whole(fake_tiktok, token, video):
    plan, target = _start(token, video.stat().st_size)
    with video.open("rb") as file:
        _send(target, file, plan, 0)
        tracemalloc.start()
        try:
            _send(target, file, plan, 1)  # 7 MiB
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()

    # The client and the fake both move the chunk in small blocks (this process runs both).
    assert plan.span(1).size > 7 * MIB
    assert peak < MIB


def test_a_chunk_tiktok_refuses_raises_upload_refused(fake_tiktok, token, video):
    plan, target = _start(token, video.stat().st_size)

    with video.open("rb") as file, pytest.raises(UploadRefusedError) as refused:
        _send(target, file, plan, 1)  # out of order

    assert (refused.value.status, refused.value.code) == (416, "invalid_param")
    assert refused.value.log_id


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("server_error", TikTokUpstreamError),
        ("rate_limit", TikTokRateLimitError),
        ("timeout", TikTokTimeoutError),
        ("garbage", TikTokUpstreamError),
    ],
)
def test_upload_faults_map_to_the_clients_errors(fake_tiktok, token, kind, error):
    plan, target = _start(token, 100)
    fake_tiktok.add_fault("upload", kind, times=1)

    with pytest.raises(error):
        _send(target, io.BytesIO(b"v" * 100), plan, 0)
    assert _send(target, io.BytesIO(b"v" * 100), plan, 0) is True  # nothing was kept


def test_an_upload_url_neither_https_nor_tiktoks_is_never_called(fake_tiktok, token):
    plan = chunk_plan(100)

    with pytest.raises(TikTokUpstreamError, match="neither https"):
        uploads.upload_chunk(
            upload_url=f"http://127.0.0.1:{_closed_port()}/upload/", file=io.BytesIO(b"v" * 100),
            plan=plan, index=0,
        )  # fmt: skip
    assert fake_tiktok.count("upload") == 0


def test_a_file_of_another_size_than_the_plan_is_refused_before_sending(fake_tiktok, token):
    plan, target = _start(token, 100)

    with pytest.raises(ValueError, match="size"):
        _send(target, io.BytesIO(b"v" * 99), plan, 0)
    assert fake_tiktok.count("upload") == 0


def test_the_upload_token_never_appears_in_logs_or_errors(fake_tiktok, token, settings, caplog):
    plan, target = _start(token, 100)
    secret = target.upload_url.split("upload_token=")[1]
    port = _closed_port()
    settings.TIKTOK_API_BASE_URL = f"http://127.0.0.1:{port}"
    caplog.set_level(logging.DEBUG, logger="integrations.tiktok")

    with pytest.raises(TikTokUpstreamError) as failed:
        uploads.upload_chunk(
            upload_url=f"http://127.0.0.1:{port}/upload/video/?upload_token={secret}",
            file=io.BytesIO(b"v" * 100), plan=plan, index=0,
        )  # fmt: skip

    assert failed.value.__cause__ is None
    assert failed.value.__suppress_context__
    assert secret not in str(failed.value)
    assert secret not in caplog.text
    assert secret not in repr(target)
