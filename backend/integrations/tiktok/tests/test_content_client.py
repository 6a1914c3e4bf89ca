"""The content client's inits for file uploads, the inbox and photos, against the fake TikTok
over real HTTP: what each sends, what it returns, and how TikTok's refusals map."""

from __future__ import annotations

import io

import pytest

from integrations.tiktok import client, content_client, uploads
from integrations.tiktok.errors import PostingRefusedError, ScopeNotAuthorizedError

OPEN_ID = "fake-open-id-0008"
PHOTOS = [f"https://photos.example.com/{i}.jpeg" for i in range(3)]


def _token(fake, scopes: list[str] | None = None) -> str:
    return client.exchange_code(code=fake.issue_code(OPEN_ID, scopes)).access_token


def _status(token: str, publish_id: str) -> content_client.PublishStatus:
    return content_client.fetch_post_status(access_token=token, publish_id=publish_id)


def test_a_direct_file_upload_sends_the_plan_and_post_info(fake_tiktok):
    token = _token(fake_tiktok)
    plan = uploads.chunk_plan(3 * uploads.DEFAULT_CHUNK_BYTES + 1)
    post_info = {"title": "Mine", "privacy_level": "PUBLIC_TO_EVERYONE"}

    target = content_client.init_direct_file_upload(
        access_token=token, plan=plan, post_info=post_info
    )

    publish = fake_tiktok.content.publishes[target.publish_id]
    assert (publish.title, publish.privacy_level, publish.inbox) == (
        "Mine",
        post_info["privacy_level"],
        False,
    )
    state = fake_tiktok.content.upload_state(target.publish_id)
    assert (state["video_size"], state["chunk_size"], state["total_chunk_count"]) == (
        plan.video_size,
        plan.chunk_size,
        plan.total_chunk_count,
    )
    assert target.upload_url.startswith(fake_tiktok.base_url)
    assert target.upload_url not in repr(target)


def test_an_inbox_file_upload_ends_in_the_inbox(fake_tiktok):
    token = _token(fake_tiktok, ["user.info.basic", "video.upload"])
    plan = uploads.chunk_plan(2048)

    target = content_client.init_inbox_file_upload(access_token=token, plan=plan)
    done = uploads.upload_chunk(
        upload_url=target.upload_url, file=io.BytesIO(b"i" * 2048), plan=plan, index=0
    )

    assert done is True
    assert fake_tiktok.content.received(target.publish_id) == b"i" * 2048
    assert [_status(token, target.publish_id).status for _ in range(2)] == [
        "PROCESSING_UPLOAD",
        "SEND_TO_USER_INBOX",
    ]


def test_an_inbox_video_by_url_needs_only_video_upload(fake_tiktok):
    token = _token(fake_tiktok, ["user.info.basic", "video.upload"])

    publish_id = content_client.init_inbox_video(
        access_token=token, video_url="https://videos.example.com/a.mp4"
    )

    publish = fake_tiktok.content.publishes[publish_id]
    assert (publish.inbox, publish.video_url) == (True, "https://videos.example.com/a.mp4")
    with pytest.raises(ScopeNotAuthorizedError):
        content_client.init_inbox_video(
            access_token=_token(fake_tiktok, ["video.publish"]),
            video_url="https://videos.example.com/a.mp4",
        )


@pytest.mark.parametrize("inbox", [False, True])
def test_a_photo_post_sends_its_photos_cover_and_mode(fake_tiktok, inbox):
    token = _token(fake_tiktok)
    post_info = {"title": "Trip", "description": "Three photos"}
    if not inbox:
        post_info["privacy_level"] = "SELF_ONLY"

    publish_id = content_client.init_photo_post(
        access_token=token, photo_urls=PHOTOS, cover_index=2, post_info=post_info, inbox=inbox
    )

    publish = fake_tiktok.content.publishes[publish_id]
    assert publish.media_type == "PHOTO"
    assert (publish.photo_images, publish.photo_cover_index) == (PHOTOS, 2)
    assert (publish.title, publish.description, publish.inbox) == ("Trip", "Three photos", inbox)
    final = "SEND_TO_USER_INBOX" if inbox else "PUBLISH_COMPLETE"
    assert [_status(token, publish_id).status for _ in range(2)][-1] == final


@pytest.mark.parametrize(
    ("photo_urls", "cover_index", "title"),
    [
        ([], 0, "t"),
        (PHOTOS * 12, 0, "t"),  # 36
        (PHOTOS, 3, "t"),
        (["http://photos.example.com/1.jpeg"], 0, "t"),
        (PHOTOS, 0, "t" * 91),
    ],
)
def test_a_photo_post_tiktok_refuses_raises_posting_refused(
    fake_tiktok, photo_urls, cover_index, title
):
    with pytest.raises(PostingRefusedError) as refused:
        content_client.init_photo_post(
            access_token=_token(fake_tiktok),
            photo_urls=photo_urls,
            cover_index=cover_index,
            post_info={"title": title, "privacy_level": "SELF_ONLY"},
        )

    assert refused.value.code == "invalid_param"
    assert refused.value.log_id


def test_a_refused_init_maps_like_the_other_posting_calls(fake_tiktok):
    fake_tiktok.add_fault("inbox_init", "spam_risk_too_many_posts", times=1)

    with pytest.raises(PostingRefusedError) as refused:
        content_client.init_inbox_file_upload(
            access_token=_token(fake_tiktok), plan=uploads.chunk_plan(10)
        )

    assert refused.value.code == "spam_risk_too_many_posts"
