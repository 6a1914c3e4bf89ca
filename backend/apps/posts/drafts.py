"""What a post creation asks for, and the rules between its fields, with one clear 422 each.

The API schema checks every value on its own (lengths, ranges, https); this checks what the
mode makes required or refused: a video pulled from a URL needs `video_url`, an upload
`video_size`; photos are only pulled, take 1..35 `photo_urls`, a title of at most 90
characters and a description; a direct post needs a privacy level; an inbox post takes no
privacy level and no interaction switches (TikTok refuses them there).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from apps.core.errors import InvalidInput
from apps.posts.models import MediaType, PostMode, Source

MAX_PHOTO_TITLE = 90
INTERACTIONS = ("disable_comment", "disable_duet", "disable_stitch")


@dataclass(frozen=True)
class PostDraft:
    """What a create asks for; None: the field was not given."""

    title: str
    scheduled_at: datetime | None
    video_url: str | None = None
    privacy_level: str | None = None
    disable_comment: bool | None = None
    disable_duet: bool | None = None
    disable_stitch: bool | None = None
    media_type: str = MediaType.VIDEO
    post_mode: str = PostMode.DIRECT
    source: str = Source.URL
    photo_urls: tuple[str, ...] | None = None
    photo_cover_index: int = 0
    description: str = ""
    video_size: int | None = None


def field_error(name: str, msg: str, kind: str) -> dict[str, Any]:
    return {"loc": ["body", "payload", name], "msg": msg, "type": kind}


def _problems(draft: PostDraft) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def refuse(name: str, msg: str) -> None:
        found.append(field_error(name, msg, "post_mode_field"))

    if draft.media_type == MediaType.PHOTO:
        if draft.source != Source.URL:
            refuse("source", "photos are only pulled from their URLs: source must be url")
        if not draft.photo_urls:
            refuse("photo_urls", "a photo post needs 1 to 35 photo_urls")
        elif draft.photo_cover_index >= len(draft.photo_urls):
            refuse("photo_cover_index", "must be the index of one of photo_urls")
        if len(draft.title) > MAX_PHOTO_TITLE:
            refuse("title", f"a photo post's title has at most {MAX_PHOTO_TITLE} characters")
        for name in ("video_url", "video_size"):
            if getattr(draft, name) is not None:
                refuse(name, "is for video posts; a photo post takes photo_urls")
        if draft.disable_duet or draft.disable_stitch:
            refuse("disable_duet", "duets and stitches are switched for videos only")
    else:
        if draft.photo_urls is not None:
            refuse("photo_urls", "is for photo posts (media_type photo)")
        if draft.photo_cover_index:
            refuse("photo_cover_index", "is for photo posts (media_type photo)")
        if draft.description:
            refuse("description", "is for photo posts; a video's caption is its title")
        if draft.source == Source.URL:
            if draft.video_url is None:
                refuse("video_url", "a video pulled from a URL needs video_url")
            if draft.video_size is not None:
                refuse("video_size", "is for uploads (source upload)")
        else:
            if draft.video_size is None:
                refuse("video_size", "an upload needs video_size (bytes)")
            if draft.video_url is not None:
                refuse("video_url", "an upload (source upload) takes no video_url")
    if draft.post_mode == PostMode.INBOX:
        if draft.privacy_level is not None:
            refuse("privacy_level", "an inbox post takes none: the creator chooses it in TikTok")
        for name in INTERACTIONS:
            if getattr(draft, name):
                refuse(name, "an inbox post takes none: the creator chooses it in TikTok")
    elif draft.privacy_level is None:
        refuse("privacy_level", "a direct post needs a privacy_level")
    return found


def draft_check(draft: PostDraft) -> None:
    """422 naming every field the post's mode requires or refuses; nothing is changed."""
    if problems := _problems(draft):
        raise InvalidInput(problems)
