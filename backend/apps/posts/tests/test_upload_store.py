"""The upload store on each backend (a directory, a bucket of a real S3 server on loopback):
a chunk stored whole or not at all, read back at any offset, deleted at best effort; and, on
S3, bytes moved in blocks, never a whole object in memory."""

from __future__ import annotations

import io
import logging
import random
import uuid

import pytest
import requests
import urllib3
from storages.utils import ReadBytesWrapper

from apps.core.errors import InvalidInput
from apps.posts import client_upload, publisher
from apps.posts.upload_store import StoredVideo, chunk_delete, chunk_store, upload_storage
from integrations.tiktok.uploads import ChunkPlan
from testing.posts import awaiting_upload, uploaded_post

pytestmark = pytest.mark.django_db

MIB = 1024 * 1024


def _store(data: bytes, plan: ChunkPlan) -> list[str]:
    post_id = uuid.uuid4()
    return [
        chunk_store(
            post_id=post_id,
            index=span.index,
            body=io.BytesIO(data[span.first : span.last + 1]),
            size=span.size,
        )
        for span in plan.spans()
    ]


def test_a_body_that_ends_before_its_chunk_is_refused_and_stores_nothing(make_post, stored_chunks):
    post = awaiting_upload(make_post, 1000)

    with pytest.raises(InvalidInput, match="the body ended before 1000 bytes"):
        client_upload.upload_receive(
            workspace_id=post.workspace_id,
            post_id=post.pk,
            content_range="bytes 0-999/1000",
            length=1000,
            body=io.BytesIO(b"x" * 999),  # the client hung up one byte short
        )

    post.refresh_from_db()
    assert (post.received_bytes, post.upload_chunks, stored_chunks()) == (0, [], [])


def test_the_stored_chunks_read_as_one_file_at_any_offset(stored_chunks):
    data = random.Random(1).randbytes(3 * 1000 + 500)
    plan = ChunkPlan(video_size=len(data), chunk_size=1000, total_chunk_count=3)
    names = _store(data, plan)
    assert stored_chunks() == sorted(names)

    with StoredVideo(names, plan) as video:
        assert video.read() == data[:1000]  # one chunk at most per read
        video.seek(1990)
        assert video.read(20) == data[1990:2000]  # up to the chunk's end
        assert video.read(20) == data[2000:2020]
        video.seek(10)  # back into a chunk closed since: a retried send
        assert video.read(5) == data[10:15]
        video.seek(-1, io.SEEK_END)
        assert (video.read(), video.read()) == (data[-1:], b"")


def test_a_chunk_the_store_refuses_to_delete_is_logged_not_raised(s3_endpoint, s3_uploads, caplog):
    (name,) = _store(b"kept", ChunkPlan(video_size=4, chunk_size=4, total_chunk_count=1))
    # From now on the server checks credentials, and knows none: every request is a 403.
    requests.post(f"{s3_endpoint}/moto-api/reset-auth", data=b"0", timeout=10)
    try:
        with caplog.at_level(logging.WARNING, logger="apps.posts.upload_store"):
            chunk_delete([name])
    finally:
        requests.post(f"{s3_endpoint}/moto-api/reset-auth", data=b"inf", timeout=10)

    assert f"Could not delete the stored upload chunk {name}" in caplog.text
    assert s3_uploads() == [name]


def test_a_stored_chunk_gone_fails_the_post_upload_interrupted(
    make_post, fake_tiktok, stored_chunks, django_capture_on_commit_callbacks
):
    post = uploaded_post(make_post, random.Random(3).randbytes(11 * MIB), 5 * MIB)
    upload_storage().delete(post.upload_chunks[1])  # by hand, or a bucket's lifecycle rule

    with django_capture_on_commit_callbacks(execute=True):
        publisher.post_publish(post_id=post.pk)

    post.refresh_from_db()
    assert (post.status, post.fail_reason.split(":")[0]) == ("failed", "upload_interrupted")
    assert fake_tiktok.content.upload_state(post.publish_id)["received_bytes"] == 5 * MIB
    assert (stored_chunks(), post.upload_stored) == ([], False)


@pytest.fixture
def read_sizes(monkeypatch) -> dict[str, list[int]]:
    """The size of every block read: from the file the S3 store uploads (what s3transfer
    PUTs), from an HTTP response (what it GETs), and from the stored video sent to TikTok."""
    sizes: dict[str, list[int]] = {}
    spied = {"put": ReadBytesWrapper, "get": urllib3.response.HTTPResponse, "sent": StoredVideo}
    for way, cls in spied.items():
        real, sizes[way] = cls.read, []

        def read(self, *args, _real=real, _sizes=sizes[way], **kwargs):
            block = _real(self, *args, **kwargs)
            _sizes.append(len(block))
            return block

        monkeypatch.setattr(cls, "read", read)
    return sizes


def test_s3_moves_a_file_in_blocks_never_a_whole_chunk(
    make_post, fake_tiktok, s3_uploads, read_sizes, django_capture_on_commit_callbacks
):
    data = random.Random(2).randbytes(13 * MIB + 7)  # the last chunk over s3transfer's 8 MiB
    post = uploaded_post(make_post, data, 5 * MIB)

    with django_capture_on_commit_callbacks(execute=True):
        publisher.post_publish(post_id=post.pk)

    post.refresh_from_db()
    assert fake_tiktok.content.received(post.publish_id) == data
    assert s3_uploads() == []
    for way, sizes in read_sizes.items():
        assert sum(sizes) >= len(data), way
        assert max(sizes) <= MIB, (way, sorted(sizes)[-3:])
