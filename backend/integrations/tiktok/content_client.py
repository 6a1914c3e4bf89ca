"""TikTok client for an account's content: the video list, and the Content Posting API's
inits (a video posted directly or sent to the inbox, pulled from a URL or uploaded from a file;
photos posted directly or sent to the inbox) and status fetch.

Same rules as `client.py`, whose request helper it uses (timeout, per-thread session, TikTok's
error bodies mapped to `errors.py`): one function per endpoint, typed results. Every call is a
POST of JSON with the user's token, answered `{"data": ...}` (`_post`). Every successful
init is a new post at TikTok: none of them is idempotent. A FILE_UPLOAD init's chunks go to
`uploads.upload_chunk`, cut by `uploads.chunk_plan`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, BeforeValidator, Field

from apps.core.fields import ensure_readable
from integrations.tiktok.client import _USER_INFO_ERRORS, _ErrorFactory, _parse, _request
from integrations.tiktok.errors import PostingRefusedError, TikTokError
from integrations.tiktok.uploads import ChunkPlan

_DataT = TypeVar("_DataT", bound=BaseModel)

VIDEO_PAGE_SIZE = 20
# TikTok's documented refusals of the posting endpoints; anything else undocumented is a 502.
POSTING_ERROR_CODES = (
    "invalid_param",
    "spam_risk_too_many_posts",
    "spam_risk_user_banned_from_posting",
    "reached_active_user_cap",
    "unaudited_client_can_only_post_to_private_accounts",
    "url_ownership_unverified",
    "privacy_level_option_mismatch",
    "invalid_publish_id",
    "token_not_authorized_for_specified_publish_id",
)


def _refused(code: str) -> _ErrorFactory:
    def make(description: str, log_id: str | None) -> TikTokError:
        return PostingRefusedError(f"TikTok refused the post: {code}.", code=code, log_id=log_id)

    return make


_POSTING_ERRORS: Mapping[str, _ErrorFactory] = {
    **_USER_INFO_ERRORS,
    **{code: _refused(code) for code in POSTING_ERROR_CODES},
}


class Video(BaseModel):
    id: str = Field(min_length=1)
    create_time: int
    title: str = ""
    video_description: str = ""
    duration: int = 0
    cover_image_url: str = ""
    share_url: str = ""
    embed_link: str = ""
    view_count: int = 0
    like_count: int = 0
    comment_count: int = 0
    share_count: int = 0


VIDEO_FIELDS: tuple[str, ...] = tuple(Video.model_fields)


class VideoBatch(BaseModel):
    videos: list[Video]
    cursor: int = 0
    has_more: bool = False


class CreatorInfo(BaseModel):
    creator_username: str = ""
    creator_nickname: str = ""
    privacy_level_options: list[str]
    comment_disabled: bool = False
    duet_disabled: bool = False
    stitch_disabled: bool = False
    max_video_post_duration_sec: int = 0


class _PublishInit(BaseModel):
    publish_id: str = Field(min_length=1)


class UploadTarget(BaseModel):
    """A FILE_UPLOAD init's answer. The upload URL is valid for one hour and its query holds a
    credential: repr=False keeps it out of reprs and logs."""

    publish_id: str = Field(min_length=1)
    upload_url: str = Field(min_length=1, repr=False)


def post_id_text(value: Any) -> str:
    """A TikTok post id as its exact digits. The ids are 64-bit integers: JSON parsing keeps
    an integer literal an int, and a float (which would have lost digits) is refused here."""
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
        raise ValueError("a TikTok post id is a non-negative integer")
    return str(value)


class PublishStatus(BaseModel):
    """TikTok's answer to status/fetch: where a publish stands (not our Post's status)."""

    status: str = Field(min_length=1)
    fail_reason: str = ""
    uploaded_bytes: int = 0  # FILE_UPLOAD: how far TikTok has the file (where to resume)
    downloaded_bytes: int = 0
    # Sic: TikTok's own spelling. Empty until moderation ends, and forever for a post that is
    # not public.
    publicaly_available_post_id: list[Annotated[str, BeforeValidator(post_id_text)]] = []


class _Answer(BaseModel, Generic[_DataT]):
    """A success of these endpoints: what was asked for is under `data`."""

    data: _DataT


def _post(
    model: type[_DataT],
    access_token: str,
    path: str,
    endpoint: str,
    body: dict[str, Any],
    *,
    errors: Mapping[str, _ErrorFactory] = _POSTING_ERRORS,
    **kwargs: Any,
) -> _DataT:
    """POSTs `body` as JSON with the user's token; the answer's `data`, validated as `model`.
    `errors`: the TikTok error codes the endpoint may answer (the posting ones by default)."""
    headers = {
        "Authorization": f"Bearer {ensure_readable(access_token)}",
        "Content-Type": "application/json; charset=UTF-8",
    }
    answer = _request(
        "POST", path, endpoint=endpoint, errors=errors, headers=headers, json=body, **kwargs
    )
    return _parse(_Answer[model], answer, endpoint=endpoint).data  # type: ignore[valid-type]


def list_videos(*, access_token: str, cursor: int | None = None) -> VideoBatch:
    """One page (at most 20) of the user's videos, newest first; `cursor` from the last page."""
    # Reference: https://developers.tiktok.com/doc/tiktok-api-v2-video-list
    body: dict[str, Any] = {"max_count": VIDEO_PAGE_SIZE}
    if cursor:
        body["cursor"] = cursor
    return _post(
        VideoBatch,
        access_token,
        "/v2/video/list/",
        "video_list",
        body,
        errors=_USER_INFO_ERRORS,
        params={"fields": ",".join(VIDEO_FIELDS)},
    )


def query_creator_info(*, access_token: str) -> CreatorInfo:
    """What the creator may post now: privacy levels, interaction switches, max duration."""
    # Reference: https://developers.tiktok.com/doc/content-posting-api-reference-query-creator-info
    return _post(
        CreatorInfo, access_token, "/v2/post/publish/creator_info/query/", "creator_info", {}
    )


def _pull(video_url: str) -> dict[str, str]:
    return {"source": "PULL_FROM_URL", "video_url": video_url}


def init_direct_post(*, access_token: str, video_url: str, post_info: dict[str, Any]) -> str:
    """Asks TikTok to pull `video_url` and post it; returns the publish_id. Not idempotent at
    TikTok: every successful call is a new post."""
    # Reference: https://developers.tiktok.com/doc/content-posting-api-reference-direct-post
    body = {"post_info": post_info, "source_info": _pull(video_url)}
    return _post(
        _PublishInit, access_token, "/v2/post/publish/video/init/", "video_init", body
    ).publish_id


def init_direct_file_upload(
    *, access_token: str, plan: ChunkPlan, post_info: dict[str, Any]
) -> UploadTarget:
    """Starts a direct post whose video we upload in `plan`'s chunks to the returned URL."""
    # Reference: https://developers.tiktok.com/doc/content-posting-api-reference-direct-post
    body = {"post_info": post_info, "source_info": plan.source_info()}
    return _post(UploadTarget, access_token, "/v2/post/publish/video/init/", "video_init", body)


def init_inbox_video(*, access_token: str, video_url: str) -> str:
    """Asks TikTok to pull `video_url` into the creator's inbox (scope video.upload), where
    they finish the post in the app; returns the publish_id."""
    # Reference: https://developers.tiktok.com/doc/content-posting-api-reference-upload-video
    body = {"source_info": _pull(video_url)}
    return _post(
        _PublishInit, access_token, "/v2/post/publish/inbox/video/init/", "inbox_init", body
    ).publish_id


def init_inbox_file_upload(*, access_token: str, plan: ChunkPlan) -> UploadTarget:
    """Starts an upload of a video to the creator's inbox, in `plan`'s chunks."""
    # Reference: https://developers.tiktok.com/doc/content-posting-api-reference-upload-video
    body = {"source_info": plan.source_info()}
    return _post(
        UploadTarget, access_token, "/v2/post/publish/inbox/video/init/", "inbox_init", body
    )


def init_photo_post(
    *,
    access_token: str,
    photo_urls: Sequence[str],
    cover_index: int,
    post_info: dict[str, Any],
    inbox: bool = False,
) -> str:
    """Asks TikTok to pull 1..35 photos and post them (`inbox`: send them to the creator's
    inbox, scope video.upload; `post_info` then carries no privacy or interaction settings);
    returns the publish_id."""
    # Reference: https://developers.tiktok.com/doc/content-posting-api-reference-photo-post
    body = {
        "media_type": "PHOTO",
        "post_mode": "MEDIA_UPLOAD" if inbox else "DIRECT_POST",
        "post_info": post_info,
        "source_info": {
            "source": "PULL_FROM_URL",
            "photo_images": list(photo_urls),
            "photo_cover_index": cover_index,
        },
    }
    return _post(
        _PublishInit, access_token, "/v2/post/publish/content/init/", "content_init", body
    ).publish_id


def fetch_post_status(*, access_token: str, publish_id: str) -> PublishStatus:
    """Where TikTok is with a publish: PROCESSING_*, SEND_TO_USER_INBOX, PUBLISH_COMPLETE or
    FAILED."""
    # Reference: https://developers.tiktok.com/doc/content-posting-api-reference-get-video-status
    return _post(
        PublishStatus,
        access_token,
        "/v2/post/publish/status/fetch/",
        "status_fetch",
        {"publish_id": publish_id},
    )
