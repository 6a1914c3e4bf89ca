"""The fake TikTok's FILE_UPLOAD over raw HTTP: the chunk rules at init, the upload URL's
checks of each chunk, the bytes it keeps, and the status of an upload."""

from __future__ import annotations

import hashlib
import os
import socket
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from integrations.tiktok import client
from testing.fake_tiktok.uploads import MAX_CHUNK_BYTES as MAX
from testing.fake_tiktok.uploads import MIN_CHUNK_BYTES as MIN

OPEN_ID = "fake-open-id-0004"
# Two chunks of MIN, the last one absorbing 3 more bytes.
VIDEO = os.urandom(2 * MIN + 3)


@pytest.fixture
def token(fake_tiktok) -> str:
    return client.exchange_code(code=fake_tiktok.issue_code(OPEN_ID)).access_token


def _post(fake, token: str, path: str, body: dict[str, Any]) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"}
    return requests.post(f"{fake.base_url}{path}", headers=headers, json=body, timeout=5)


def _init(fake, token: str, size: Any, chunk: Any, count: Any, inbox: bool = False):
    source = {"source": "FILE_UPLOAD", "video_size": size, "chunk_size": chunk}
    source["total_chunk_count"] = count
    if inbox:
        return _post(fake, token, "/v2/post/publish/inbox/video/init/", {"source_info": source})
    post_info = {"title": "t", "privacy_level": "SELF_ONLY"}
    body = {"post_info": post_info, "source_info": source}
    return _post(fake, token, "/v2/post/publish/video/init/", body)


def _started(fake, token: str, data: bytes = VIDEO, chunk: int = MIN, inbox: bool = False):
    count = len(data) // chunk
    answer = _init(fake, token, len(data), chunk, count, inbox).json()["data"]
    return answer["publish_id"], answer["upload_url"]


def _put(url: str, body: Any, first: int, last: int, total: int = len(VIDEO), **headers: str):
    sent = {"Content-Type": "video/mp4", "Content-Range": f"bytes {first}-{last}/{total}"}
    return requests.put(url, data=body, headers=sent | headers, timeout=5)


def _status(fake, token: str, publish_id: str) -> dict[str, Any]:
    body = {"publish_id": publish_id}
    return _post(fake, token, "/v2/post/publish/status/fetch/", body).json()["data"]


@pytest.mark.parametrize(
    ("size", "chunk", "count"),
    [
        (1, 1, 1),
        (MIN - 1, MIN - 1, 1),  # under 5 MB: whole
        (MIN, MIN, 1),
        (2 * MIN + 3, MIN, 2),  # the last chunk absorbs the remainder
        (MAX, MAX, 1),  # up to 64 MB in one chunk
        (MAX + 1, (MAX + 1) // 2, 2),
        (1000 * MIN + MIN - 1, MIN, 1000),
    ],
)
def test_init_accepts_chunk_numbers_that_obey_the_rules(fake_tiktok, token, size, chunk, count):
    answer = _init(fake_tiktok, token, size, chunk, count)

    assert answer.status_code == 200, answer.text
    data = answer.json()["data"]
    assert data["publish_id"].startswith("v_pub_file~")
    assert data["upload_url"].startswith(f"{fake_tiktok.base_url}/upload/video/?upload_id=")


@pytest.mark.parametrize(
    ("size", "chunk", "count"),
    [
        (MIN - 1, MIN - 2, 1),  # a small video is not cut
        (MIN - 1, MIN - 1, 2),
        (10 * MIN, MIN - 1, 10),  # chunk under 5 MB
        (3 * MAX, MAX + 1, 2),  # chunk over 64 MB
        (3 * MIN, MIN, 2),  # count is not floor(size / chunk)
        (3 * MIN, 4 * MIN, 0),
        (MAX + 1, MAX, 1),  # over 64 MB in one chunk
        (1001 * MIN, MIN, 1001),  # over 1000 chunks
        (0, 0, 0),
        ("10", "10", 1),
        (True, True, True),
        (None, MIN, 1),
    ],
)
def test_init_refuses_chunk_numbers_against_the_rules(fake_tiktok, token, size, chunk, count):
    answer = _init(fake_tiktok, token, size, chunk, count)

    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "invalid_param"
    assert fake_tiktok.content.inits == []


def test_chunks_in_order_answer_206_then_201_and_the_fake_keeps_every_byte(fake_tiktok, token):
    publish_id, url = _started(fake_tiktok, token)
    assert _status(fake_tiktok, token, publish_id) == {
        "status": "PROCESSING_UPLOAD",
        "uploaded_bytes": 0,
    }

    first = _put(url, VIDEO[:MIN], 0, MIN - 1)
    assert first.status_code == 206
    assert _status(fake_tiktok, token, publish_id)["uploaded_bytes"] == MIN
    last = _put(url, VIDEO[MIN:], MIN, len(VIDEO) - 1)

    assert last.status_code == 201
    assert fake_tiktok.content.received(publish_id) == VIDEO
    state = requests.post(
        f"{fake_tiktok.base_url}/_fake/upload", json={"publish_id": publish_id}, timeout=5
    ).json()
    assert state["sha256"] == hashlib.sha256(VIDEO).hexdigest()
    assert state["ranges"] == [[0, MIN - 1], [MIN, len(VIDEO) - 1]]
    assert (state["received_bytes"], state["complete"]) == (len(VIDEO), True)


def test_a_small_video_is_one_put_answered_201(fake_tiktok, token):
    data = os.urandom(1000)
    publish_id, url = _started(fake_tiktok, token, data, chunk=len(data))

    assert _put(url, data, 0, 999, total=1000).status_code == 201
    assert fake_tiktok.content.received(publish_id) == data


@pytest.mark.parametrize(
    ("body", "first", "last", "total", "headers", "status"),
    [
        (VIDEO[MIN:], MIN, len(VIDEO) - 1, len(VIDEO), {}, 416),  # out of order
        (VIDEO[: MIN - 1], 0, MIN - 2, len(VIDEO), {}, 416),  # not chunk_size
        (VIDEO[: MIN + 1], 0, MIN, len(VIDEO), {}, 416),
        (VIDEO[:MIN], 0, MIN - 1, len(VIDEO) + 1, {}, 400),  # another video_size
        (VIDEO[: MIN - 1], 0, MIN - 1, len(VIDEO), {}, 400),  # Content-Length != range
        (VIDEO[:MIN], MIN - 1, 0, len(VIDEO), {}, 400),  # backwards
        (VIDEO[:MIN], 0, MIN - 1, len(VIDEO), {"Content-Type": "text/plain"}, 400),
        (VIDEO[:MIN], 0, MIN - 1, len(VIDEO), {"Content-Range": "bytes=0-5/9"}, 400),
    ],
)
def test_a_wrong_chunk_is_refused_and_changes_nothing(
    fake_tiktok, token, body, first, last, total, headers, status
):
    publish_id, url = _started(fake_tiktok, token)

    answer = _put(url, body, first, last, total, **headers)

    assert answer.status_code == status
    assert answer.json()["error"]["code"] == "invalid_param"
    assert _status(fake_tiktok, token, publish_id)["uploaded_bytes"] == 0
    assert _put(url, VIDEO[:MIN], 0, MIN - 1).status_code == 206  # the connection still works


def test_a_chunk_sent_again_or_after_the_last_is_refused(fake_tiktok, token):
    publish_id, url = _started(fake_tiktok, token)
    assert _put(url, VIDEO[:MIN], 0, MIN - 1).status_code == 206

    assert _put(url, VIDEO[:MIN], 0, MIN - 1).status_code == 416
    assert _put(url, VIDEO[MIN:], MIN, len(VIDEO) - 1).status_code == 201
    assert _put(url, VIDEO[MIN:], MIN, len(VIDEO) - 1).status_code == 416
    assert fake_tiktok.content.received(publish_id) == VIDEO


def test_the_upload_url_needs_its_token_and_lasts_one_hour(fake_tiktok, token, time_machine):
    time_machine.move_to("2026-03-10T12:00:00Z", tick=False)
    _, url = _started(fake_tiktok, token)
    forged = url.split("upload_token=")[0] + "upload_token=guess"

    assert _put(forged, VIDEO[:MIN], 0, MIN - 1).status_code == 404
    time_machine.shift(3599)
    assert _put(url, VIDEO[:MIN], 0, MIN - 1).status_code == 206
    time_machine.shift(1)
    expired = _put(url, VIDEO[MIN:], MIN, len(VIDEO) - 1)
    assert (expired.status_code, expired.json()["error"]["code"]) == (403, "upload_url_expired")


def test_a_chunk_without_content_length_is_refused(fake_tiktok, token):
    _, url = _started(fake_tiktok, token)

    answer = _put(url, iter([VIDEO[:MIN]]), 0, MIN - 1)  # a generator: chunked encoding

    assert answer.status_code == 411


def test_a_body_shorter_than_its_content_length_is_refused_and_kept_nowhere(fake_tiktok, token):
    publish_id, url = _started(fake_tiktok, token, b"s" * 100, chunk=100)
    parts = urlsplit(url)
    head = (
        f"PUT {parts.path}?{parts.query} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        "Content-Type: video/mp4\r\nContent-Range: bytes 0-99/100\r\nContent-Length: 100\r\n\r\n"
    )
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as connection:
        connection.sendall(head.encode() + b"s" * 60)
        connection.shutdown(socket.SHUT_WR)  # the client dies mid-chunk
        answer = connection.makefile("rb").readline()

    assert answer.startswith(b"HTTP/1.1 400")
    assert fake_tiktok.content.upload_state(publish_id)["received_bytes"] == 0
    assert _put(url, b"s" * 100, 0, 99, total=100).status_code == 201


def test_a_fault_on_the_upload_url_stores_nothing(fake_tiktok, token):
    publish_id, url = _started(fake_tiktok, token)
    fake_tiktok.add_fault("upload", "server_error", times=1)

    assert _put(url, VIDEO[:MIN], 0, MIN - 1).status_code == 500
    assert _put(url, VIDEO[:MIN], 0, MIN - 1).status_code == 206
    assert fake_tiktok.count("upload") == 2
    assert fake_tiktok.content.received(publish_id) == VIDEO[:MIN]


@pytest.mark.parametrize(
    ("inbox", "final"), [(False, "PUBLISH_COMPLETE"), (True, "SEND_TO_USER_INBOX")]
)
def test_an_upload_advances_only_once_complete(fake_tiktok, token, inbox, final):
    data = os.urandom(100)
    publish_id, url = _started(fake_tiktok, token, data, chunk=100, inbox=inbox)
    for _ in range(3):
        assert _status(fake_tiktok, token, publish_id)["status"] == "PROCESSING_UPLOAD"
    _put(url, data, 0, 99, total=100)

    assert _status(fake_tiktok, token, publish_id) == {
        "status": "PROCESSING_UPLOAD",
        "uploaded_bytes": 100,
    }
    assert _status(fake_tiktok, token, publish_id)["status"] == final
    assert publish_id.startswith("v_inbox_file~" if inbox else "v_pub_file~")


def test_a_failing_upload_ends_failed_after_its_bytes_arrive(fake_tiktok, token):
    fake_tiktok.content.fail_publishes("file_format_check_failed")
    publish_id, url = _started(fake_tiktok, token, b"x" * 10, chunk=10)
    _put(url, b"x" * 10, 0, 9, total=10)

    _status(fake_tiktok, token, publish_id)
    assert _status(fake_tiktok, token, publish_id) == {
        "status": "FAILED",
        "fail_reason": "file_format_check_failed",
    }


def test_a_reset_drops_the_received_bytes(fake_tiktok, token):
    publish_id, url = _started(fake_tiktok, token, b"abc", chunk=3)
    fake_tiktok.reset()

    assert _put(url, b"abc", 0, 2, total=3).status_code == 404
    with pytest.raises(ValueError, match="reset"):
        fake_tiktok.content.received(publish_id)
