"""Upload posts over the API: create, PUT chunks (resumable, refused without change), quota,
expiry, cancel; and every mode's fields: the 422s, the limits taken, inbox needing video.upload."""

from __future__ import annotations

import random

import pytest
from django.test import Client

from api.posts.schemas import PostIn
from apps.posts import client_upload, publisher
from apps.posts.models import Post, PostStatus
from apps.posts.upload_store import upload_storage
from testing.http import assert_error, bearer_header
from testing.posts import put_chunks, stored_files

pytestmark = pytest.mark.django_db

MIB = 1024 * 1024
UPLOAD = {"source": "upload", "title": "From my disk", "privacy_level": "SELF_ONLY"}


@pytest.fixture
def account(link_account, user, fake_tiktok):
    return link_account(user)[0]


@pytest.fixture
def small_chunks(settings):
    settings.UPLOAD_CHUNK_BYTES = 5 * MIB
    settings.STREAMED_BODY_MAX_BYTES = 10 * MIB


def _create(client, account, **body):
    return client.post(f"/api/accounts/{account.id}/posts", body, content_type="application/json")


def _put(client, post_id, data: bytes, content_range: str, **kwargs):
    return client.put(
        f"/api/posts/{post_id}/upload",
        data,
        content_type="application/octet-stream",
        headers={"Content-Range": content_range},
        **kwargs,
    )


def _read(name: str) -> bytes:
    with upload_storage().open(name, "rb") as file:
        return file.read()


def test_a_file_sent_in_chunks_is_what_tiktok_receives(
    auth_client,
    account,
    fake_tiktok,
    enqueued,
    small_chunks,
    stored_chunks,
    django_capture_on_commit_callbacks,
) -> None:
    data = random.Random(7).randbytes(11 * MIB + 3)
    created = _create(auth_client, account, **UPLOAD, video_size=len(data))
    assert created.status_code == 202, created.content
    body = created.json()
    post_id = body["id"]
    assert (body["status"], body["source"], body["video_url"]) == (
        "awaiting_upload",
        "upload",
        None,
    )
    upload = body["upload"]
    assert upload["url"] == f"/api/posts/{post_id}/upload"
    assert (upload["chunk_size"], upload["total_chunks"], upload["received_bytes"]) == (
        5 * MIB,
        2,
        0,
    )

    with django_capture_on_commit_callbacks(execute=True):
        first, second = put_chunks(auth_client, post_id, data, 5 * MIB)
    assert first.json() == {"received_bytes": 5 * MIB, "complete": False}
    assert second.json() == {"received_bytes": len(data), "complete": True}
    names = Post.objects.get().upload_chunks
    assert stored_chunks() == sorted(names)
    assert [_read(name) for name in names] == [data[: 5 * MIB], data[5 * MIB :]]
    again = _put(auth_client, post_id, data[: 5 * MIB], f"bytes 0-{5 * MIB - 1}/{len(data)}")
    assert (again.status_code, again.json()["received_bytes"]) == (200, len(data))
    assert (stored_chunks(), Post.objects.get().upload_chunks) == (sorted(names), names)
    post = auth_client.get(f"/api/posts/{post_id}").json()
    assert (post["status"], post["upload"]) == ("scheduled", None)
    assert enqueued == [Post.objects.get().pk]

    publisher.post_publish(post_id=Post.objects.get().pk)

    stored = Post.objects.get()
    assert fake_tiktok.content.received(stored.publish_id) == data
    assert stored_chunks() == []
    assert (stored.upload_stored, stored.tiktok_upload_url, stored.upload_chunks) == (
        False,
        None,
        [],
    )
    assert len(fake_tiktok.content.inits) == 1


@pytest.mark.parametrize(
    ("content_range", "size", "why"),
    [
        ("bytes 5242880-10485759/11534339", 5 * MIB, "out of order"),
        ("bytes 0-1023/11534339", 1024, "not a whole chunk"),
        ("bytes 0-5242879/999", 5 * MIB, "another total"),
        ("bytes 11534339-11534340/11534339", 2, "beyond video_size"),
        ("bytes=0-5242879", 5 * MIB, "malformed"),
    ],
)
def test_a_wrong_chunk_is_422_and_changes_nothing(
    auth_client, account, small_chunks, upload_dir, content_range, size, why
) -> None:
    post_id = _create(auth_client, account, **UPLOAD, video_size=11 * MIB + 3).json()["id"]

    response = _put(auth_client, post_id, b"x" * size, content_range)

    assert_error(response, 422, "VALIDATION_ERROR")
    post = Post.objects.get()
    assert (post.received_bytes, post.upload_chunks, post.status) == (0, [], "awaiting_upload")
    assert stored_files(upload_dir) == []


def test_a_body_of_another_size_than_its_range_is_422(auth_client, account, upload_dir) -> None:
    post_id = _create(auth_client, account, **UPLOAD, video_size=1000).json()["id"]

    response = _put(auth_client, post_id, b"x" * 999, "bytes 0-999/1000")

    assert "Content-Length" in str(assert_error(response, 422, "VALIDATION_ERROR")["errors"])
    assert Post.objects.get().received_bytes == 0
    assert stored_files(upload_dir) == []


def test_a_chunk_over_the_streamed_limit_is_413(auth_client, account, settings) -> None:
    settings.STREAMED_BODY_MAX_BYTES = 100
    post_id = _create(auth_client, account, **UPLOAD, video_size=1000).json()["id"]

    response = _put(auth_client, post_id, b"x" * 1000, "bytes 0-999/1000")

    assert_error(response, 413, "PAYLOAD_TOO_LARGE")


def test_a_url_post_takes_no_upload(auth_client, account) -> None:
    post_id = _create(
        auth_client,
        account,
        video_url="https://videos.example.com/a.mp4",
        privacy_level="SELF_ONLY",
    ).json()["id"]

    assert_error(_put(auth_client, post_id, b"x" * 10, "bytes 0-9/10"), 422, "VALIDATION_ERROR")


def test_another_workspaces_post_is_404(other_client, auth_client, account) -> None:
    post_id = _create(auth_client, account, **UPLOAD, video_size=10).json()["id"]

    response = _put(other_client, post_id, b"x" * 10, "bytes 0-9/10")

    assert_error(response, 404, "POST_NOT_FOUND")
    assert Post.objects.get().received_bytes == 0


def test_over_the_quota_creating_an_upload_is_409(auth_client, account, settings) -> None:
    settings.UPLOAD_QUOTA_BYTES = 1500
    assert _create(auth_client, account, **UPLOAD, video_size=1000).status_code == 202

    response = _create(auth_client, account, **UPLOAD, video_size=501)

    assert_error(response, 409, "UPLOAD_QUOTA_EXCEEDED")
    assert Post.objects.count() == 1
    assert _create(auth_client, account, **UPLOAD, video_size=500).status_code == 202


def test_the_quota_is_each_workspaces_own(
    auth_client, other_client, other_user, account, link_account, settings
) -> None:
    settings.UPLOAD_QUOTA_BYTES = 1000
    assert _create(auth_client, account, **UPLOAD, video_size=1000).status_code == 202
    assert_error(
        _create(auth_client, account, **UPLOAD, video_size=1), 409, "UPLOAD_QUOTA_EXCEEDED"
    )

    theirs, _ = link_account(other_user)  # in the other user's own workspace

    assert _create(other_client, theirs, **UPLOAD, video_size=1000).status_code == 202


def test_a_cancelled_upload_frees_its_files_and_quota(
    auth_client, account, settings, stored_chunks, django_capture_on_commit_callbacks
) -> None:
    settings.UPLOAD_QUOTA_BYTES = 1000
    post_id = _create(auth_client, account, **UPLOAD, video_size=1000).json()["id"]
    assert _put(auth_client, post_id, b"x" * 1000, "bytes 0-999/1000").status_code == 200
    assert len(stored_chunks()) == 1
    assert _create(auth_client, account, **UPLOAD, video_size=1).status_code == 409
    assert Post.objects.get().status == PostStatus.SCHEDULED

    with django_capture_on_commit_callbacks(execute=True):
        assert auth_client.delete(f"/api/posts/{post_id}").status_code == 204

    assert stored_chunks() == []
    assert _create(auth_client, account, **UPLOAD, video_size=1000).status_code == 202


def test_an_unfinished_upload_cancelled_midway_frees_its_files_and_quota(
    auth_client, account, settings, small_chunks, stored_chunks, django_capture_on_commit_callbacks
) -> None:
    data = b"c" * (11 * MIB)
    settings.UPLOAD_QUOTA_BYTES = len(data)
    post_id = _create(auth_client, account, **UPLOAD, video_size=len(data)).json()["id"]
    _put(auth_client, post_id, data[: 5 * MIB], f"bytes 0-{5 * MIB - 1}/{len(data)}")
    assert (Post.objects.get().status, len(stored_chunks())) == (PostStatus.AWAITING_UPLOAD, 1)

    with django_capture_on_commit_callbacks(execute=True):
        assert auth_client.delete(f"/api/posts/{post_id}").status_code == 204

    assert (Post.objects.count(), stored_chunks()) == (0, [])
    late = _put(
        auth_client, post_id, data[5 * MIB :], f"bytes {5 * MIB}-{len(data) - 1}/{len(data)}"
    )
    assert_error(late, 404, "POST_NOT_FOUND")
    assert _create(auth_client, account, **UPLOAD, video_size=len(data)).status_code == 202


def test_an_unfinished_upload_expires_failed_and_its_files_go(
    clock,
    auth_client,
    user,
    account,
    settings,
    small_chunks,
    stored_chunks,
    django_capture_on_commit_callbacks,
) -> None:
    settings.UPLOAD_EXPIRY_SECONDS = 3600
    data = b"y" * (11 * MIB)
    body = _create(auth_client, account, **UPLOAD, video_size=len(data)).json()
    assert body["upload"]["expires_at"].startswith("2026-03-10T13:00:00")
    _put(auth_client, body["id"], data[: 5 * MIB], f"bytes 0-{5 * MIB - 1}/{len(data)}")
    assert len(stored_chunks()) == 1
    clock.shift(3599)
    assert client_upload.uploads_expire() == 0

    clock.shift(1)
    with django_capture_on_commit_callbacks(execute=True):
        assert client_upload.uploads_expire() == 1

    post = Post.objects.get()
    assert post.status == PostStatus.FAILED
    assert post.fail_reason.startswith("upload_expired:")
    assert (post.upload_stored, stored_chunks()) == (False, [])
    fresh = Client(headers=bearer_header(user))  # the first access token has expired
    late = _put(fresh, body["id"], data[5 * MIB :], f"bytes {5 * MIB}-{len(data) - 1}/{len(data)}")
    assert_error(late, 422, "VALIDATION_ERROR")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"source": "upload", "privacy_level": "SELF_ONLY"}, "video_size"),
        ({"source": "upload", "video_size": 0, "privacy_level": "SELF_ONLY"}, "video_size"),
        (
            {"source": "upload", "video_size": 4 * 1024**3 + 1, "privacy_level": "SELF_ONLY"},
            "video_size",
        ),
        (
            {"video_url": "http://videos.example.com/a.mp4", "privacy_level": "SELF_ONLY"},
            "video_url",
        ),
        ({"video_url": "https://v.example.com/a.mp4"}, "privacy_level"),
        (
            {
                "title": "x" * 2201,
                "video_url": "https://v.example.com/a.mp4",
                "privacy_level": "SELF_ONLY",
            },
            "title",
        ),
        (
            {
                "post_mode": "inbox",
                "video_url": "https://v.example.com/a.mp4",
                "privacy_level": "SELF_ONLY",
            },
            "privacy_level",
        ),
        (
            {
                "post_mode": "inbox",
                "video_url": "https://v.example.com/a.mp4",
                "disable_comment": True,
            },
            "disable_comment",
        ),
        (
            {
                "media_type": "photo",
                "source": "upload",
                "video_size": 10,
                "privacy_level": "SELF_ONLY",
            },
            "source",
        ),
        ({"media_type": "photo", "privacy_level": "SELF_ONLY"}, "photo_urls"),
        (
            {
                "media_type": "photo",
                "photo_urls": ["https://p.example.com/1.jpg"] * 36,
                "privacy_level": "SELF_ONLY",
            },
            "photo_urls",
        ),
        (
            {
                "media_type": "photo",
                "photo_urls": ["http://p.example.com/1.jpg"],
                "privacy_level": "SELF_ONLY",
            },
            "photo_urls",
        ),
        (
            {
                "media_type": "photo",
                "photo_urls": ["https://p.example.com/1.jpg"],
                "photo_cover_index": 1,
                "privacy_level": "SELF_ONLY",
            },
            "photo_cover_index",
        ),
        (
            {
                "media_type": "photo",
                "photo_urls": ["https://p.example.com/1.jpg"],
                "title": "t" * 91,
                "privacy_level": "SELF_ONLY",
            },
            "title",
        ),
        (
            {
                "media_type": "photo",
                "photo_urls": ["https://p.example.com/1.jpg"],
                "description": "d" * 4001,
                "privacy_level": "SELF_ONLY",
            },
            "description",
        ),
        (
            {
                "media_type": "photo",
                "photo_urls": ["https://p.example.com/1.jpg"],
                "video_url": "https://v.example.com/a.mp4",
                "privacy_level": "SELF_ONLY",
            },
            "video_url",
        ),
        (
            {
                "video_url": "https://v.example.com/a.mp4",
                "description": "d",
                "privacy_level": "SELF_ONLY",
            },
            "description",
        ),
        (
            {
                "video_url": "https://v.example.com/a.mp4",
                "photo_cover_index": 2,
                "privacy_level": "SELF_ONLY",
            },
            "photo_cover_index",
        ),
        (
            {
                "media_type": "gif",
                "video_url": "https://v.example.com/a.mp4",
                "privacy_level": "SELF_ONLY",
            },
            "media_type",
        ),
    ],
)
def test_bad_mode_fields_are_422_naming_the_field_and_create_nothing(
    auth_client, account, fake_tiktok, body, field
) -> None:
    response = _create(auth_client, account, **body)

    errors = assert_error(response, 422, "VALIDATION_ERROR")["errors"]
    assert field in {str(loc) for error in errors for loc in error["loc"]}, errors
    assert Post.objects.count() == 0
    assert fake_tiktok.content.inits == []


PHOTOS_35 = [f"https://p.example.com/{index}.jpg" for index in range(35)]


@pytest.mark.parametrize(
    ("body", "stored"),
    [
        (
            {"source": "upload", "video_size": 4 * 1024**3, "privacy_level": "SELF_ONLY"},
            {"status": "awaiting_upload", "video_size": 4 * 1024**3},
        ),
        (
            {"source": "upload", "video_size": 1, "post_mode": "inbox"},
            {"status": "awaiting_upload", "video_size": 1, "privacy_level": ""},
        ),
        (
            {"post_mode": "inbox", "video_url": "https://v.example.com/a.mp4"},
            {"status": "scheduled", "privacy_level": "", "disable_comment": False},
        ),
        (
            {
                "media_type": "photo",
                "photo_urls": PHOTOS_35,
                "photo_cover_index": 34,
                "title": "t" * 90,
                "description": "d" * 4000,
                "privacy_level": "SELF_ONLY",
            },
            {"photo_urls": PHOTOS_35, "photo_cover_index": 34, "video_url": ""},
        ),
        (
            {"media_type": "photo", "post_mode": "inbox", "photo_urls": PHOTOS_35[:1]},
            {"photo_urls": PHOTOS_35[:1], "privacy_level": "", "post_mode": "inbox"},
        ),
    ],
)
def test_every_mode_takes_its_limits_and_omits_what_it_needs_not(
    auth_client, account, fake_tiktok, body, stored
) -> None:
    response = _create(auth_client, account, **body)

    assert response.status_code == 202, response.content
    answer = response.json()
    for name in ("media_type", "post_mode", "source", "photo_urls", "description", "title"):
        assert answer[name] == body.get(name, PostIn.model_fields[name].default), name
    assert answer["privacy_level"] == body.get("privacy_level")
    post = Post.objects.get()
    assert {name: getattr(post, name) for name in stored} == stored
    assert fake_tiktok.content.inits == []  # sent later, by the worker


def test_an_inbox_post_needs_video_upload(auth_client, link_account, user, fake_tiktok) -> None:
    account, _ = link_account(user, scopes=["user.info.basic", "video.list", "video.publish"])
    inbox = {"post_mode": "inbox", "video_url": "https://v.example.com/a.mp4"}

    response = _create(auth_client, account, **inbox)

    assert "video.upload" in assert_error(response, 409, "TIKTOK_REAUTH_REQUIRED")["detail"]
    assert Post.objects.count() == 0
    direct = _create(
        auth_client, account, **{**inbox, "post_mode": "direct"}, privacy_level="SELF_ONLY"
    )
    assert direct.status_code == 202, direct.content
