"""Posts in tests: a stopped clock, recorded enqueues, stored posts, beats and races (the
conftests of apps/posts and api/posts import the fixtures: `enqueued` is autouse there only)."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from apps.posts import client_upload, tasks
from apps.posts.models import Post, PostStatus
from config.uploads import local_upload_storage

__all__ = ["beat", "clock", "enqueued", "make_post", "put_chunks", "race", "stored_files"]
__all__ += ["stored_chunks", "upload_dir", "uploaded_post"]

# A fixed instant, so that no test depends on the hour or the date it runs at.
NOON = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    """The clock stopped at NOON (for the service and the in-process fake TikTok alike); a
    test moves it with `clock.shift(seconds)`. Request it before the fixtures that issue
    tokens, so that they are issued on this clock."""
    with time_machine.travel(NOON, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def enqueued(monkeypatch) -> list:
    """The publishes enqueued at create time; recorded instead of reaching a broker."""
    calls: list = []
    monkeypatch.setattr(tasks, "enqueue_publish", calls.append)
    return calls


@pytest.fixture(autouse=True)
def upload_dir(settings, tmp_path: Path) -> Path:
    """Uploads stored in a directory of the test's own (settings.STORAGES["uploads"]); a
    worker process gets the same with DATA_DIR=tmp_path."""
    location = tmp_path / "uploads"
    settings.STORAGES = {**settings.STORAGES, "uploads": local_upload_storage(location)}
    return location


def stored_files(location: Path) -> list[str]:
    return sorted(path.name for path in location.glob("*")) if location.exists() else []


@pytest.fixture(params=["local", "s3"])
def stored_chunks(request: pytest.FixtureRequest, upload_dir: Path) -> Callable[[], list[str]]:
    """Runs the test on each upload store: files in `upload_dir`, then a bucket of a real S3
    server (testing.s3); gives the names of what the store holds."""
    if request.param == "s3":
        return request.getfixturevalue("s3_uploads")
    return lambda: stored_files(upload_dir)


def put_chunks(client: Any, post_id: Any, data: bytes, chunk_size: int, **headers: str) -> list:
    """PUTs `data` to an upload post in `chunk_size` chunks (the last takes the rest), as a
    client following the post's `upload` object would; the answers, in order."""
    count = max(1, len(data) // chunk_size)
    answers = []
    for index in range(count):
        first = index * chunk_size
        last = len(data) - 1 if index == count - 1 else first + chunk_size - 1
        answers.append(
            client.put(
                f"/api/posts/{post_id}/upload",
                data[first : last + 1],
                content_type="application/octet-stream",
                headers={"Content-Range": f"bytes {first}-{last}/{len(data)}", **headers},
            )
        )
    return answers


def awaiting_upload(
    make_post: Callable[..., tuple[Post, Any]],
    video_size: int,
    *,
    chunk_size: int | None = None,
    chunks: int = 1,
    **fields: Any,
) -> Post:
    """An upload post created and waiting for its file (`chunks` of `chunk_size`, one chunk of
    the whole file by default), expiring in a day."""
    post, _ = make_post(
        status=PostStatus.AWAITING_UPLOAD,
        source="upload",
        video_url="",
        video_size=video_size,
        upload_chunk_size=chunk_size or video_size,
        upload_total_chunks=chunks,
        upload_stored=True,
        upload_expires_at=timezone.now() + timedelta(days=1),
        **fields,
    )
    return post


def uploaded_post(
    make_post: Callable[..., tuple[Post, Any]], data: bytes, chunk_size: int, **fields: Any
) -> Post:
    """An upload post whose client sent all of `data` (in `chunk_size` chunks, cut as
    TikTok's plan cuts them), through the service's own receiving code; now `scheduled`."""
    count = max(1, len(data) // chunk_size) if len(data) >= 2 * chunk_size else 1
    size = chunk_size if count > 1 else len(data)
    post = awaiting_upload(make_post, len(data), chunk_size=size, chunks=count, **fields)
    for index in range(count):
        first = index * size
        last = len(data) - 1 if index == count - 1 else first + size - 1
        client_upload.upload_receive(
            workspace_id=post.workspace_id,
            post_id=post.pk,
            content_range=f"bytes {first}-{last}/{len(data)}",
            length=last - first + 1,
            body=io.BytesIO(data[first : last + 1]),
        )
    post.refresh_from_db()
    assert post.status == PostStatus.SCHEDULED
    return post


@pytest.fixture
def make_post(link_account, user) -> Callable[..., tuple[Post, Any]]:
    """A post stored as a create would store it, for an account with live fake tokens."""

    def make(*, account=None, person=None, **fields: Any) -> tuple[Post, Any]:
        if account is None:
            account, person = link_account(user)
        values = {
            "workspace": account.workspace,
            "user": user,
            "account": account,
            "status": PostStatus.SCHEDULED,
            "title": "Hello TikTok #test",
            "privacy_level": "PUBLIC_TO_EVERYONE",
            "video_url": "https://videos.example.com/clip.mp4",
            "due_at": timezone.now() - timedelta(seconds=1),
            **fields,
        }
        return Post.objects.create(**values), person

    return make


def beat(clock: time_machine.Traveller, *, seconds: float, every: float = 60) -> None:
    """Moves the clock `seconds` on, running the two periodic scans every `every` seconds as
    Celery beat would (tasks run eagerly in tests: each scan's publishes and polls too)."""
    elapsed = 0.0
    while elapsed < seconds:
        step = min(every, seconds - elapsed)
        clock.shift(step)
        elapsed += step
        tasks.posts_publish_due_task.apply()
        tasks.posts_poll_due_task.apply()


def race(*targets: Callable[[], Any]) -> list:
    """Runs `targets` in threads released at once; their results or exceptions, in order."""
    barrier = threading.Barrier(len(targets))
    results: list = [None] * len(targets)

    def run(index: int, target: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            results[index] = target()
        except Exception as exc:
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, t)) for i, t in enumerate(targets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results
