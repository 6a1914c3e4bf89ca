"""Which TikTok init a post goes to, with what: one place for the six kinds of post.

| media | source | direct | inbox |
| video | url    | video init, PULL_FROM_URL | inbox video init, PULL_FROM_URL |
| video | upload | video init, FILE_UPLOAD   | inbox video init, FILE_UPLOAD   |
| photo | url    | content init, DIRECT_POST | content init, MEDIA_UPLOAD      |

An inbox post carries no privacy level or interaction settings (TikTok refuses them there).
"""

from __future__ import annotations

from typing import Any

from apps.posts.models import MediaType, Post, Source
from integrations.tiktok import content_client
from integrations.tiktok.uploads import ChunkPlan


def plan_of(post: Post) -> ChunkPlan:
    """The chunk plan fixed at creation: the client's chunks and TikTok's are the same."""
    return ChunkPlan(
        int(post.video_size or 0), int(post.upload_chunk_size or 0), post.upload_total_chunks or 0
    )


def post_info(post: Post) -> dict[str, Any]:
    info: dict[str, Any] = {"title": post.title}
    if post.media_type == MediaType.PHOTO:
        info["description"] = post.description
    if post.inbox:
        return info
    info["privacy_level"] = post.privacy_level
    info["disable_comment"] = post.disable_comment
    if post.media_type == MediaType.VIDEO:
        info["disable_duet"] = post.disable_duet
        info["disable_stitch"] = post.disable_stitch
    return info


def init_publish(post: Post, access_token: str) -> tuple[str, str | None]:
    """Calls the post's init once: (publish_id, TikTok's upload URL for a file upload)."""
    if post.media_type == MediaType.PHOTO:
        publish_id = content_client.init_photo_post(
            access_token=access_token,
            photo_urls=post.photo_urls or [],
            cover_index=post.photo_cover_index,
            post_info=post_info(post),
            inbox=post.inbox,
        )
        return publish_id, None
    if post.source == Source.UPLOAD:
        plan = plan_of(post)
        if post.inbox:
            target = content_client.init_inbox_file_upload(access_token=access_token, plan=plan)
        else:
            target = content_client.init_direct_file_upload(
                access_token=access_token, plan=plan, post_info=post_info(post)
            )
        return target.publish_id, target.upload_url
    if post.inbox:
        return content_client.init_inbox_video(
            access_token=access_token, video_url=post.video_url
        ), None
    publish_id = content_client.init_direct_post(
        access_token=access_token, video_url=post.video_url, post_info=post_info(post)
    )
    return publish_id, None
