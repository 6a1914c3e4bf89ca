"""Each kind of post sent to the fake TikTok (inbox, photos, file uploads), once, to its end;
and a file upload whose worker died mid-way: resumed from TikTok's uploaded_bytes, or failed,
never sent again."""

from __future__ import annotations

import io
import random
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from django.db.models import TextField, Value
from django.utils import timezone

from apps.events.models import Event
from apps.posts import client_upload, file_push, polling, publisher, tasks
from apps.posts.events import post_event_data
from apps.posts.models import Post, PostStatus
from testing.posts import awaiting_upload, beat, race, stored_files, uploaded_post

pytestmark = pytest.mark.django_db

MIB = 1024 * 1024
PHOTOS = ["https://photos.example.com/1.jpg", "https://photos.example.com/2.jpg"]


class WorkerDied(BaseException):
    """What a SIGKILL looks like from inside: nothing after it runs."""


def _poll_now(post: Post) -> None:
    Post.objects.filter(pk=post.pk).update(next_poll_at=timezone.now() - timedelta(seconds=1))
    polling.post_poll(post_id=post.pk)


def test_an_inbox_video_ends_sent_to_inbox_without_privacy_settings(make_post, fake_tiktok):
    post, _ = make_post(post_mode="inbox", privacy_level="")

    publisher.post_publish(post_id=post.pk)
    _poll_now(post)
    _poll_now(post)

    post.refresh_from_db()
    sent = fake_tiktok.content.inits[0]
    assert (sent.inbox, sent.video_url, sent.privacy_level) == (True, post.video_url, "")
    assert (post.status, post.tiktok_status) == (PostStatus.SENT_TO_INBOX, "SEND_TO_USER_INBOX")
    assert (post.published_video_id, post.next_poll_at) == (None, None)
    (event,) = Event.objects.filter(type="post.sent_to_inbox")
    assert event.data == post_event_data(post)


@pytest.mark.parametrize(("mode", "final"), [("direct", "published"), ("inbox", "sent_to_inbox")])
def test_photos_are_pulled_with_their_cover_and_description(make_post, fake_tiktok, mode, final):
    post, _ = make_post(
        media_type="photo",
        post_mode=mode,
        video_url="",
        photo_urls=PHOTOS,
        photo_cover_index=1,
        title="Two photos",
        description="A longer description #photos",
        privacy_level="SELF_ONLY" if mode == "direct" else "",
    )

    publisher.post_publish(post_id=post.pk)
    _poll_now(post)
    _poll_now(post)

    post.refresh_from_db()
    sent = fake_tiktok.content.inits[0]
    assert (sent.media_type, sent.photo_images, sent.photo_cover_index) == ("PHOTO", PHOTOS, 1)
    assert (sent.title, sent.description, sent.inbox) == (
        "Two photos",
        "A longer description #photos",
        mode == "inbox",
    )
    assert post.status == final


@pytest.mark.parametrize(("mode", "final"), [("direct", "published"), ("inbox", "sent_to_inbox")])
def test_an_uploaded_file_reaches_tiktok_byte_for_byte_then_is_deleted(
    make_post, fake_tiktok, stored_chunks, django_capture_on_commit_callbacks, mode, final
):
    data = random.Random(3).randbytes(3000)
    post = uploaded_post(
        make_post, data, 5 * MIB, post_mode=mode, privacy_level="SELF_ONLY" * (mode == "direct")
    )
    assert stored_chunks() == post.upload_chunks

    with django_capture_on_commit_callbacks(execute=True):
        publisher.post_publish(post_id=post.pk)
        _poll_now(post)
        _poll_now(post)

    post.refresh_from_db()
    assert fake_tiktok.content.received(post.publish_id) == data
    assert fake_tiktok.content.inits[0].inbox == (mode == "inbox")
    assert post.status == final
    assert (stored_chunks(), post.upload_stored) == ([], False)


def _died_after_first_chunk(make_post, monkeypatch, data: bytes) -> Post:
    """An upload post of `data` (5 MiB chunks) whose worker died as it started sending the
    second chunk to TikTok; later sends go through."""
    post = uploaded_post(make_post, data, 5 * MIB)
    real = file_push.upload_chunk
    sent: list[int] = []
    alive: list[int] = [1]

    def dying(**kwargs):
        if sent and alive:
            alive.clear()
            raise WorkerDied
        sent.append(kwargs["index"])
        return real(**kwargs)

    monkeypatch.setattr(file_push, "upload_chunk", dying)
    with pytest.raises(WorkerDied):
        publisher.post_publish(post_id=post.pk)
    return post


def test_an_upload_whose_worker_died_resumes_where_tiktok_stopped(
    clock, make_post, fake_tiktok, stored_chunks, monkeypatch, django_capture_on_commit_callbacks
):
    data = random.Random(5).randbytes(16 * MIB)
    post = _died_after_first_chunk(make_post, monkeypatch, data)
    post.refresh_from_db()
    state = fake_tiktok.content.upload_state(post.publish_id)
    assert (post.status, state["received_bytes"]) == (PostStatus.PUBLISHING, 5 * MIB)
    assert post.upload_lease_until is not None

    beat(clock, seconds=60, every=15)  # the lease holds: nobody touches the upload
    assert fake_tiktok.content.upload_state(post.publish_id)["received_bytes"] == 5 * MIB
    tasks.post_publish_task.apply(args=[str(post.pk)])  # a redelivered send does nothing
    with django_capture_on_commit_callbacks(execute=True):
        beat(clock, seconds=file_push.upload_lease().total_seconds() + 30, every=15)

    post.refresh_from_db()
    assert fake_tiktok.content.received(post.publish_id) == data
    assert [(a, b) for a, b in fake_tiktok.content.upload_state(post.publish_id)["ranges"]] == [
        (0, 5 * MIB - 1),
        (5 * MIB, 10 * MIB - 1),
        (10 * MIB, 16 * MIB - 1),
    ]
    assert len(fake_tiktok.content.inits) == 1
    assert post.status == PostStatus.PUBLISHED
    assert stored_chunks() == []


def test_an_upload_tiktok_no_longer_takes_fails_and_is_never_sent_again(
    clock, make_post, fake_tiktok, upload_dir, monkeypatch, django_capture_on_commit_callbacks
):
    data = random.Random(6).randbytes(10 * MIB)
    post = _died_after_first_chunk(make_post, monkeypatch, data)

    with django_capture_on_commit_callbacks(execute=True):
        beat(clock, seconds=3700, every=3700)  # TikTok's upload URL lived one hour

    post.refresh_from_db()
    assert post.status == PostStatus.FAILED
    assert post.fail_reason.startswith("upload_interrupted:")
    assert len(fake_tiktok.content.inits) == 1
    assert stored_files(upload_dir) == []
    assert (post.tiktok_upload_url, post.upload_lease_until) == (None, None)


def test_an_upload_url_no_configured_key_opens_fails_the_post_without_a_byte_sent(
    clock, make_post, fake_tiktok, upload_dir, monkeypatch, django_capture_on_commit_callbacks
):
    data = random.Random(7).randbytes(10 * MIB)
    post = _died_after_first_chunk(make_post, monkeypatch, data)
    # Stored under a key since dropped from FIELD_ENCRYPTION_KEY.
    foreign = Fernet(Fernet.generate_key()).encrypt(b"https://upload.example/x").decode()
    Post.objects.filter(pk=post.pk).update(tiktok_upload_url=Value(foreign, TextField()))

    with django_capture_on_commit_callbacks(execute=True):
        beat(clock, seconds=file_push.upload_lease().total_seconds() + 30, every=15)

    post.refresh_from_db()
    assert post.status == PostStatus.FAILED
    assert post.fail_reason.startswith("upload_url_unreadable:")
    assert fake_tiktok.content.upload_state(post.publish_id)["received_bytes"] == 5 * MIB
    assert stored_files(upload_dir) == []
    assert post.tiktok_upload_url is None


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(3))
def test_the_same_chunk_sent_twice_at_once_is_stored_once(make_post, stored_chunks, attempt):
    post = awaiting_upload(make_post, 1000)

    def send():
        return client_upload.upload_receive(
            workspace_id=post.workspace_id,
            post_id=post.pk,
            content_range="bytes 0-999/1000",
            length=1000,
            body=io.BytesIO(b"z" * 1000),
        )

    results = race(send, send)

    assert results == [client_upload.ChunkAck(1000, True)] * 2, results
    post.refresh_from_db()
    assert (post.received_bytes, post.status) == (1000, PostStatus.SCHEDULED)
    assert len(post.upload_chunks) == 1
    assert stored_chunks() == post.upload_chunks
