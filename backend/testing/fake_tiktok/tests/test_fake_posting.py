"""The fake TikTok's inbox and photo posts over raw HTTP: scopes, the rules of each init, and
the statuses they end in."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from integrations.tiktok import client

OPEN_ID = "fake-open-id-0005"
PHOTO = "https://photos.example.com/{}.jpeg"
INBOX_PATH = "/v2/post/publish/inbox/video/init/"
CONTENT_PATH = "/v2/post/publish/content/init/"


def _token(fake, scopes: list[str] | None = None) -> str:
    return client.exchange_code(code=fake.issue_code(OPEN_ID, scopes)).access_token


def _post(fake, token: str, path: str, body: dict[str, Any]) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"}
    return requests.post(f"{fake.base_url}{path}", headers=headers, json=body, timeout=5)


def _pull_to_inbox(url: str = "https://videos.example.com/a.mp4") -> dict[str, Any]:
    return {"source_info": {"source": "PULL_FROM_URL", "video_url": url}}


def _photos(
    count: int = 2, cover: Any = 0, mode: str = "DIRECT_POST", **post: Any
) -> dict[str, Any]:
    if mode == "DIRECT_POST":
        post.setdefault("privacy_level", "PUBLIC_TO_EVERYONE")
    return {
        "media_type": "PHOTO",
        "post_mode": mode,
        "post_info": {"title": "Photos", **post},
        "source_info": {
            "source": "PULL_FROM_URL",
            "photo_images": [PHOTO.format(i) for i in range(count)],
            "photo_cover_index": cover,
        },
    }


def _statuses(fake, token: str, publish_id: str, polls: int = 3) -> list[dict[str, Any]]:
    path, body = "/v2/post/publish/status/fetch/", {"publish_id": publish_id}
    return [_post(fake, token, path, body).json()["data"] for _ in range(polls)]


def test_an_inbox_video_needs_video_upload_and_ends_in_the_inbox(fake_tiktok):
    without = _token(fake_tiktok, ["user.info.basic", "video.publish"])
    refused = _post(fake_tiktok, without, INBOX_PATH, _pull_to_inbox())
    assert (refused.status_code, refused.json()["error"]["code"]) == (401, "scope_not_authorized")

    token = _token(fake_tiktok, ["user.info.basic", "video.upload"])
    publish_id = _post(fake_tiktok, token, INBOX_PATH, _pull_to_inbox()).json()["data"][
        "publish_id"
    ]

    assert publish_id.startswith("v_inbox_url~")
    assert [status["status"] for status in _statuses(fake_tiktok, token, publish_id)] == [
        "PROCESSING_DOWNLOAD",
        "SEND_TO_USER_INBOX",
        "SEND_TO_USER_INBOX",
    ]
    assert "publicaly_available_post_id" not in _statuses(fake_tiktok, token, publish_id, 1)[0]


@pytest.mark.parametrize(
    "body",
    [
        _pull_to_inbox("http://videos.example.com/a.mp4"),
        {**_pull_to_inbox(), "post_info": {"privacy_level": "SELF_ONLY"}},
        {"source_info": {"source": "SOMETHING"}},
        {},
    ],
)
def test_the_inbox_refuses_a_bad_source_and_any_post_info(fake_tiktok, body):
    answer = _post(fake_tiktok, _token(fake_tiktok), INBOX_PATH, body)

    assert (answer.status_code, answer.json()["error"]["code"]) == (400, "invalid_param")


def test_each_init_allows_six_calls_a_minute_per_token(fake_tiktok):
    token = _token(fake_tiktok)
    for _ in range(6):
        assert _post(fake_tiktok, token, INBOX_PATH, _pull_to_inbox()).ok
    assert _post(fake_tiktok, token, INBOX_PATH, _pull_to_inbox()).status_code == 429
    for _ in range(6):  # the photo init has its own window
        assert _post(fake_tiktok, token, CONTENT_PATH, _photos()).ok
    assert _post(fake_tiktok, token, CONTENT_PATH, _photos()).status_code == 429


@pytest.mark.parametrize(
    "body",
    [
        _photos(count=1),
        _photos(count=35, cover=34),
        _photos(title="t" * 90, description="d" * 4000),
        _photos(mode="MEDIA_UPLOAD"),
        _photos(mode="MEDIA_UPLOAD", title="t" * 90, description="d" * 4000),
    ],
)
def test_a_photo_post_within_the_rules_is_accepted(fake_tiktok, body):
    answer = _post(fake_tiktok, _token(fake_tiktok), CONTENT_PATH, body)

    assert answer.status_code == 200, answer.text
    publish = fake_tiktok.content.publishes[answer.json()["data"]["publish_id"]]
    assert publish.media_type == "PHOTO"
    assert publish.photo_images == body["source_info"]["photo_images"]
    assert publish.inbox == (body["post_mode"] == "MEDIA_UPLOAD")


def _with(body: dict[str, Any], **source: Any) -> dict[str, Any]:
    return {**body, "source_info": {**body["source_info"], **source}}


@pytest.mark.parametrize(
    "body",
    [
        _photos(count=0),
        _photos(count=36),
        _with(_photos(), photo_images=["http://photos.example.com/1.jpeg"]),
        _with(_photos(), photo_images="https://photos.example.com/1.jpeg"),
        _with(_photos(), photo_images=[7]),
        _photos(cover=2),
        _photos(cover=-1),
        _photos(cover=True),
        _photos(cover=None),
        _photos(title="t" * 91),
        _photos(description="d" * 4001),
        _with(_photos(), source="FILE_UPLOAD"),
        {**_photos(), "media_type": "VIDEO"},
        {**_photos(), "post_mode": "INBOX"},
        _photos(mode="MEDIA_UPLOAD", privacy_level="SELF_ONLY"),
        _photos(mode="MEDIA_UPLOAD", disable_comment=True),
    ],
)
def test_a_photo_post_against_the_rules_is_refused(fake_tiktok, body):
    answer = _post(fake_tiktok, _token(fake_tiktok), CONTENT_PATH, body)

    assert (answer.status_code, answer.json()["error"]["code"]) == (400, "invalid_param")
    assert fake_tiktok.content.inits == []


def test_a_direct_photo_post_needs_a_privacy_level_of_the_creator(fake_tiktok):
    fake_tiktok.content.privacy_level_options = ["SELF_ONLY"]
    token = _token(fake_tiktok)

    answer = _post(fake_tiktok, token, CONTENT_PATH, _photos())
    missing = _post(fake_tiktok, token, CONTENT_PATH, _photos(privacy_level=None))

    assert answer.json()["error"]["code"] == "privacy_level_option_mismatch"
    assert (missing.status_code, answer.status_code) == (403, 403)


@pytest.mark.parametrize(
    ("mode", "scope"), [("DIRECT_POST", "video.publish"), ("MEDIA_UPLOAD", "video.upload")]
)
def test_each_photo_mode_needs_its_own_scope(fake_tiktok, mode, scope):
    other = "video.upload" if scope == "video.publish" else "video.publish"
    token = _token(fake_tiktok, ["user.info.basic", other])

    answer = _post(fake_tiktok, token, CONTENT_PATH, _photos(mode=mode))

    assert (answer.status_code, answer.json()["error"]["code"]) == (401, "scope_not_authorized")
    assert _post(fake_tiktok, _token(fake_tiktok, [scope]), CONTENT_PATH, _photos(mode=mode)).ok


def test_photos_end_published_with_a_post_id_or_in_the_inbox(fake_tiktok):
    fake_tiktok.content.delay_post_ids(0, [2**63 - 1])
    token = _token(fake_tiktok)
    direct = _post(fake_tiktok, token, CONTENT_PATH, _photos()).json()["data"]["publish_id"]
    inbox = _post(fake_tiktok, token, CONTENT_PATH, _photos(mode="MEDIA_UPLOAD")).json()
    inbox_id = inbox["data"]["publish_id"]

    assert direct.startswith("p_pub_url~")
    assert inbox_id.startswith("p_inbox_url~")
    assert (
        _statuses(fake_tiktok, token, direct)[1:]
        == [{"status": "PUBLISH_COMPLETE", "publicaly_available_post_id": [2**63 - 1]}] * 2
    )
    assert _statuses(fake_tiktok, token, inbox_id)[-1] == {"status": "SEND_TO_USER_INBOX"}


def test_the_inbox_delivered_webhook_says_inbox_share(fake_tiktok):
    token = _token(fake_tiktok)
    publish_id = _post(fake_tiktok, token, INBOX_PATH, _pull_to_inbox()).json()["data"][
        "publish_id"
    ]

    envelope = fake_tiktok.content.post_event(publish_id, "post.publish.inbox_delivered")

    assert json.loads(envelope["content"]) == {
        "publish_id": publish_id,
        "publish_type": "INBOX_SHARE",
    }
