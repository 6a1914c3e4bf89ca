"""The fake TikTok's video list and Content Posting endpoints, over real HTTP."""

from __future__ import annotations

import json

import pytest
import requests

from integrations.tiktok import client, content_client
from integrations.tiktok.errors import (
    PostingRefusedError,
    ScopeNotAuthorizedError,
    TikTokRateLimitError,
)

OPEN_ID = "fake-open-id-0003"


def _token(fake, scopes=None) -> str:
    return client.exchange_code(code=fake.issue_code(OPEN_ID, scopes)).access_token


def _init(token: str, privacy: str = "SELF_ONLY") -> str:
    return content_client.init_direct_post(
        access_token=token,
        video_url="https://videos.example.com/a.mp4",
        post_info={"title": "t", "privacy_level": privacy},
    )


def test_video_list_pages_newest_first_until_has_more_is_false(fake_tiktok) -> None:
    token = _token(fake_tiktok)
    fake_tiktok.content.set_videos(OPEN_ID, 25)

    first = content_client.list_videos(access_token=token)
    second = content_client.list_videos(access_token=token, cursor=first.cursor)

    assert (len(first.videos), first.has_more) == (20, True)
    assert (len(second.videos), second.has_more) == (5, False)
    times = [video.create_time for video in first.videos + second.videos]
    assert times == sorted(times, reverse=True)
    assert len({video.id for video in first.videos + second.videos}) == 25


@pytest.mark.parametrize(
    ("call", "scope"),
    [
        (lambda token: content_client.list_videos(access_token=token), "video.list"),
        (lambda token: content_client.query_creator_info(access_token=token), "video.publish"),
        (_init, "video.publish"),
    ],
)
def test_each_endpoint_needs_its_scope(fake_tiktok, call, scope) -> None:
    granted = ["user.info.basic", "video.list", "video.publish"]
    token = _token(fake_tiktok, [name for name in granted if name != scope])

    with pytest.raises(ScopeNotAuthorizedError):
        call(token)


def test_init_allows_six_calls_a_minute_per_token(fake_tiktok) -> None:
    token = _token(fake_tiktok)
    for _ in range(6):
        _init(token)

    with pytest.raises(TikTokRateLimitError):
        _init(token)
    _init(_token(fake_tiktok))  # another token has its own window
    assert len(fake_tiktok.content.inits) == 7


def test_status_advances_over_polls_and_the_failure_switch_fails_it(fake_tiktok) -> None:
    token = _token(fake_tiktok)
    ok = _init(token, "PUBLIC_TO_EVERYONE")
    fake_tiktok.content.fail_publishes("video_pull_failed")
    bad = _init(token)

    def poll(publish_id: str) -> content_client.PublishStatus:
        return content_client.fetch_post_status(access_token=token, publish_id=publish_id)

    assert poll(ok).status == "PROCESSING_DOWNLOAD"
    done = poll(ok)
    assert (done.status, len(done.publicaly_available_post_id)) == ("PUBLISH_COMPLETE", 1)
    assert poll(bad).status == "PROCESSING_DOWNLOAD"
    assert (poll(bad).status, poll(bad).fail_reason) == ("FAILED", "video_pull_failed")
    with pytest.raises(PostingRefusedError) as refused:
        poll("v_pub_url~unknown")
    assert refused.value.code == "invalid_publish_id"


def test_init_refuses_a_privacy_level_the_creator_lacks(fake_tiktok) -> None:
    fake_tiktok.content.privacy_level_options = ["SELF_ONLY"]

    with pytest.raises(PostingRefusedError) as refused:
        _init(_token(fake_tiktok), "PUBLIC_TO_EVERYONE")

    assert refused.value.code == "privacy_level_option_mismatch"


def test_controls_from_another_process_and_the_post_webhook_payload(fake_tiktok) -> None:
    def control(action: str, **payload: object) -> requests.Response:
        return requests.post(f"{fake_tiktok.base_url}/_fake/{action}", json=payload, timeout=5)

    token = _token(fake_tiktok)
    assert control("videos", open_id=OPEN_ID, count=3).ok
    assert len(content_client.list_videos(access_token=token).videos) == 3
    assert control("fault", endpoint="video_init", kind="spam_risk_too_many_posts", times=1).ok
    with pytest.raises(PostingRefusedError):
        _init(token)
    publish_id = _init(token)

    body = control("post_event", publish_id=publish_id, event="post.publish.complete").json()

    assert body["event"] == "post.publish.complete"
    assert body["user_openid"] == OPEN_ID
    assert body["client_key"] == fake_tiktok.client_key
    assert json.loads(body["content"])["publish_id"] == publish_id
    assert control("post_event", publish_id=publish_id, event="post.publish.x").status_code == 400


def test_post_ids_are_withheld_for_the_moderation_delay_and_keep_every_digit(
    fake_tiktok, time_machine
) -> None:
    time_machine.move_to("2026-03-10T12:00:00Z", tick=False)
    answer = requests.post(
        f"{fake_tiktok.base_url}/_fake/post_ids", json={"delay": 60, "ids": [2**63 - 1]}, timeout=5
    )
    assert answer.ok
    token = _token(fake_tiktok)
    public, private = _init(token, "PUBLIC_TO_EVERYONE"), _init(token)
    raw: list[dict] = []

    def poll(publish_id: str) -> list[str]:
        response = requests.post(
            f"{fake_tiktok.base_url}/v2/post/publish/status/fetch/",
            headers={"Authorization": f"Bearer {token}"},
            json={"publish_id": publish_id},
            timeout=5,
        )
        raw.append(response.text)
        data = content_client.PublishStatus.model_validate(response.json()["data"])
        return data.publicaly_available_post_id

    poll(public)  # PROCESSING_DOWNLOAD, then PUBLISH_COMPLETE from the second poll on
    assert poll(public) == []
    assert '"PUBLISH_COMPLETE"' in raw[-1]
    time_machine.shift(59)
    assert poll(public) == []
    time_machine.shift(1)
    assert poll(public) == [str(2**63 - 1)]
    assert f"[{2**63 - 1}]" in raw[-1]  # a JSON integer, as TikTok sends it
    for _ in range(3):
        time_machine.shift(3600)
        assert poll(private) == []
