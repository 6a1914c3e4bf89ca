"""Every mode of post, end to end with a real Celery worker and scheduler on Redis: created over
the API (an upload's chunks PUT to it), sent by the worker to the fake TikTok, followed to its
final status. Run in CI's PostgreSQL + Redis pass (skipped without REDIS_URL)."""

from __future__ import annotations

import random

import pytest

from apps.posts.models import Post
from testing.fake_tiktok import FakeTikTok
from testing.posts import put_chunks, stored_files
from testing.workers import REAL_WORKER_MARKS, celery_processes, wait_for

pytestmark = REAL_WORKER_MARKS
MIB = 1024 * 1024
PHOTOS = ["https://photos.example.com/1.jpg", "https://photos.example.com/2.jpg"]
MODES = {
    "video url direct": ({"video_url": "https://v.example.com/a.mp4"}, "published"),
    "video url inbox": ({"video_url": "https://v.example.com/a.mp4"}, "sent_to_inbox"),
    "video upload direct": ({"source": "upload"}, "published"),
    "video upload inbox": ({"source": "upload"}, "sent_to_inbox"),
    "photo direct": ({"media_type": "photo", "photo_urls": PHOTOS}, "published"),
    "photo inbox": ({"media_type": "photo", "photo_urls": PHOTOS}, "sent_to_inbox"),
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
    env = {
        "DATA_DIR": str(upload_dir.parent),
        "UPLOAD_CHUNK_BYTES": str(5 * MIB),
        "POST_SCAN_INTERVAL_SECONDS": "1",
        "POST_STATUS_POLL_SECONDS": "0.5",
    }

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
