"""Every mode of post, end to end with a real Celery worker and scheduler on Redis: created over
the API (an upload's chunks PUT to it), sent by the worker to the fake TikTok, followed to its
final status; and a worker SIGKILLed mid-send (in TikTok's init, or between two chunks of a
file upload): the post is never sent twice, the upload resumes, the lost init ends failed.
Run in CI's PostgreSQL + Redis pass (skipped without REDIS_URL)."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.posts.models import Post, PostStatus
from testing.fake_tiktok import FakeTikTok
from testing.posts import put_chunks, stored_files
from testing.workers import REAL_WORKER_MARKS, celery_processes, kill, wait_for

pytestmark = REAL_WORKER_MARKS
MIB = 1024 * 1024
VIDEO_URL = "https://v.example.com/a.mp4"
PHOTOS = ["https://photos.example.com/1.jpg", "https://photos.example.com/2.jpg"]
MODES = {
    "video url direct": ({"video_url": "https://v.example.com/a.mp4"}, "published"),
    "video url inbox": ({"video_url": "https://v.example.com/a.mp4"}, "sent_to_inbox"),
    "video upload direct": ({"source": "upload"}, "published"),
    "video upload inbox": ({"source": "upload"}, "sent_to_inbox"),
    "photo direct": ({"media_type": "photo", "photo_urls": PHOTOS}, "published"),
    "photo inbox": ({"media_type": "photo", "photo_urls": PHOTOS}, "sent_to_inbox"),
}


def _env(upload_dir) -> dict[str, str]:
    return {
        "DATA_DIR": str(upload_dir.parent),
        "UPLOAD_CHUNK_BYTES": str(5 * MIB),
        "POST_SCAN_INTERVAL_SECONDS": "1",
        "POST_STATUS_POLL_SECONDS": "0.5",
    }


@pytest.mark.parametrize("mode", list(MODES))
def test_each_mode_is_sent_once_by_a_real_worker_and_ends(
    auth_client, user, link_account, fake_tiktok: FakeTikTok, upload_dir, settings, mode
) -> None:
    settings.UPLOAD_CHUNK_BYTES = 5 * MIB
    settings.STREAMED_BODY_MAX_BYTES = 10 * MIB
    account, _ = link_account(user)
    fields, final = MODES[mode]
    body = {"title": f"e2e {mode}", **fields}
    if mode.endswith("inbox"):
        body["post_mode"] = "inbox"
    else:
        body["privacy_level"] = "SELF_ONLY"
    data = random.Random(9).randbytes(11 * MIB) if fields.get("source") == "upload" else b""
    if data:
        body["video_size"] = len(data)
    env = _env(upload_dir)

    with celery_processes(fake_tiktok, workers=1, beats=1, env=env):
        created = auth_client.post(
            f"/api/accounts/{account.id}/posts", body, content_type="application/json"
        )
        assert created.status_code == 202, created.content
        post_id = created.json()["id"]
        if data:
            answers = put_chunks(auth_client, post_id, data, 5 * MIB)
            assert answers[-1].json() == {"received_bytes": len(data), "complete": True}
        wait_for(lambda: Post.objects.get(pk=post_id).status == final, timeout=60, what=f"{final}")

    post = Post.objects.get(pk=post_id)
    assert len(fake_tiktok.content.inits) == 1
    assert fake_tiktok.content.inits[0].inbox == mode.endswith("inbox")
    if data:
        assert fake_tiktok.content.received(post.publish_id) == data
        assert stored_files(upload_dir) == []


def _upload_reached(fake: FakeTikTok, post_id: str, size: int) -> bool:
    publish_id = Post.objects.get(pk=post_id).publish_id
    return bool(publish_id) and fake.content.upload_state(publish_id)["received_bytes"] >= size


@pytest.mark.parametrize("dies", ["in the init", "between two chunks"])
def test_a_worker_killed_mid_send_never_sends_the_post_twice(
    auth_client, user, link_account, fake_tiktok: FakeTikTok, upload_dir, settings, dies
) -> None:
    settings.UPLOAD_CHUNK_BYTES = 5 * MIB
    settings.STREAMED_BODY_MAX_BYTES = 10 * MIB
    account, _ = link_account(user)
    upload = dies == "between two chunks"
    data = random.Random(11).randbytes(16 * MIB) if upload else b""
    body = {"title": "killed", "privacy_level": "SELF_ONLY"}
    body |= {"source": "upload", "video_size": len(data)} if upload else {"video_url": VIDEO_URL}
    created = auth_client.post(
        f"/api/accounts/{account.id}/posts", body, content_type="application/json"
    )
    assert created.status_code == 202, created.content
    post_id = created.json()["id"]
    if upload:
        put_chunks(auth_client, post_id, data, 5 * MIB)
    # Each TikTok call waits a second before TikTok reads it: the kill lands inside one.
    fake_tiktok.set_latency(1.0)

    with celery_processes(fake_tiktok, workers=1, beats=1, env=_env(upload_dir)) as processes:
        if upload:  # TikTok has the first chunk; the worker is sending the second
            wait_for(
                lambda: _upload_reached(fake_tiktok, post_id, 5 * MIB), timeout=60, what="chunk 0"
            )
        else:  # the init has reached TikTok, which has not answered
            wait_for(lambda: fake_tiktok.count("video_init") == 1, timeout=60, what="the init")
        kill(processes[0])  # SIGKILL the worker's process group
        processes[0].wait(timeout=15)

    post = Post.objects.get(pk=post_id)
    assert post.status == PostStatus.PUBLISHING
    assert (post.publish_id is not None) == upload  # stored before the first chunk left
    fake_tiktok.set_latency(0)
    # What the dead worker held lapses as time would: the upload's lease (its poll falls due),
    # or the send's own deadline (publisher._send_deadline) for the init never answered.
    past = timezone.now() - timedelta(hours=1)
    if upload:
        Post.objects.filter(pk=post_id).update(upload_lease_until=past, next_poll_at=past)
    else:
        Post.objects.filter(pk=post_id).update(send_started_at=past)
    final = PostStatus.PUBLISHED if upload else PostStatus.FAILED

    with celery_processes(fake_tiktok, workers=1, beats=1, env=_env(upload_dir)):
        wait_for(lambda: Post.objects.get(pk=post_id).status == final, timeout=60, what=final)

    post = Post.objects.get(pk=post_id)
    assert fake_tiktok.count("video_init") == 1  # never sent again
    if upload:
        assert fake_tiktok.content.received(post.publish_id) == data
        assert stored_files(upload_dir) == []
    else:  # TikTok may have it: the user sees why and decides, nothing re-sends it
        assert post.fail_reason.startswith("send_outcome_unknown")
