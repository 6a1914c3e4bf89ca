"""The fake TikTok's Content Posting API: creator info, the three inits, status fetch and the
post webhooks' payloads (content-posting-api-reference-direct-post, -upload-video,
-photo-post, -get-video-status, webhooks-events).

A video comes by PULL_FROM_URL or FILE_UPLOAD (uploads.py takes the chunks); photos are only
pulled. A publish advances over status polls once TikTok has the media: a pull or a finished
upload reaches its final status after `polls_to_complete` polls (an upload in progress answers
PROCESSING_UPLOAD with its `uploaded_bytes` and does not advance). The final status is FAILED
while the failure switch is set, else SEND_TO_USER_INBOX for the inbox (video init of the inbox,
photo MEDIA_UPLOAD) and PUBLISH_COMPLETE for a direct post, whose public post id is withheld
for `post_id_delay` seconds (moderation; `time.time()`, so tests move it with time-machine).
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from testing.fake_tiktok.uploads import FakeUploads, Upload, chunk_problem

if TYPE_CHECKING:
    from testing.fake_tiktok.identities import Identity
    from testing.fake_tiktok.server import FakeTikTok

PRIVACY_LEVELS = ("PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "FOLLOWER_OF_CREATOR", "SELF_ONLY")
# What TikTok refuses in an inbox post: the creator chooses these in the app.
DIRECT_ONLY_FIELDS = ("privacy_level", "disable_comment", "disable_duet", "disable_stitch")
MAX_VIDEO_TITLE, MAX_PHOTO_TITLE, MAX_DESCRIPTION, MAX_PHOTOS = 2200, 90, 4000, 35
POST_EVENTS = (
    "post.publish.complete",
    "post.publish.failed",
    "post.publish.inbox_delivered",
    "post.publish.publicly_available",
    "post.publish.no_longer_publicaly_available",  # sic: TikTok spells it so
)
ID_EVENTS = POST_EVENTS[3:]  # they carry the post id


class Call(NamedTuple):
    """One authenticated request to a content endpoint."""

    identity: Identity
    scopes: tuple[str, ...]
    body: dict[str, Any]
    query: dict[str, str]
    log_id: str


@dataclass
class Publish:
    publish_id: str
    open_id: str
    privacy_level: str  # "" for the inbox
    video_url: str  # "" for a file upload or photos
    title: str
    fail_reason: str | None
    polls: int = 0
    post_id: int | None = None
    completed_at: float | None = None  # when a status fetch first answered PUBLISH_COMPLETE
    inbox: bool = False
    media_type: str = "VIDEO"
    description: str = ""
    photo_images: list[str] = field(default_factory=list)
    photo_cover_index: int = 0
    upload: Upload | None = None  # FILE_UPLOAD only


def answer(status: int, code: str, message: str, log_id: str, data: Any = None) -> tuple:
    error = {"code": code, "message": message, "log_id": log_id}
    return status, {"data": {} if data is None else data, "error": error}


def _refuse(call: Call, message: str) -> tuple:
    return answer(400, "invalid_param", message, call.log_id)


def _parts(body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    post, source = body.get("post_info") or {}, body.get("source_info") or {}
    return (post if isinstance(post, dict) else {}), (source if isinstance(source, dict) else {})


class PostingMixin:
    """FakeContent's publishing side; its state lives in FakeContent.reset."""

    _fake: FakeTikTok
    _lock: threading.Lock
    publishes: dict[str, Publish]
    inits: list[Publish]
    uploads: FakeUploads
    privacy_level_options: list[str]
    fail_reason: str | None
    polls_to_complete: int
    post_id_delay: float
    next_post_ids: deque[int]

    def post_event(
        self, publish_id: str, event: str, create_time: int | None = None
    ) -> dict[str, Any]:
        """The webhook TikTok would send for `event` on this publish (unsigned body as a dict).
        `create_time` defaults to now; pass a delivery's own to redeliver it as TikTok retries."""
        if event not in POST_EVENTS:
            raise ValueError(f"unknown post event {event}")
        publish = self.publishes[publish_id]
        publish_type = "INBOX_SHARE" if publish.inbox else "DIRECT_PUBLISH"
        content: dict[str, Any] = {"publish_id": publish_id, "publish_type": publish_type}
        if event == "post.publish.failed":
            content["reason"] = publish.fail_reason or "internal"
        elif event in ID_EVENTS:
            with self._lock:
                publish.post_id = publish.post_id or self._post_id()
            content["post_id"] = str(publish.post_id)
        return {
            "client_key": self._fake.client_key,
            "event": event,
            "create_time": int(time.time()) if create_time is None else create_time,
            "user_openid": publish.open_id,
            "content": json.dumps(content),
        }

    # --- TikTok's API ------------------------------------------------------------------------
    def _creator_info(self, call: Call) -> tuple:
        identity = call.identity
        data = {
            "creator_avatar_url": identity.avatar_url,
            "creator_username": identity.username,
            "creator_nickname": identity.display_name,
            "privacy_level_options": list(self.privacy_level_options),
            "comment_disabled": False,
            "duet_disabled": False,
            "stitch_disabled": True,
            "max_video_post_duration_sec": 600,
        }
        return answer(200, "ok", "", call.log_id, data)

    def _video_init(self, call: Call) -> tuple:
        post, source = _parts(call.body)
        if len(str(post.get("title", ""))) > MAX_VIDEO_TITLE:
            return _refuse(call, "The title is too long.")
        if refused := self._privacy_refusal(call, post):
            return refused
        return self._start_video(call, source, post, inbox=False)

    def _inbox_init(self, call: Call) -> tuple:
        if "post_info" in call.body:
            return _refuse(call, "An inbox upload takes source_info only.")
        return self._start_video(call, _parts(call.body)[1], {}, inbox=True)

    def _content_init(self, call: Call) -> tuple:
        body = call.body
        post, source = _parts(body)
        if body.get("media_type") != "PHOTO":
            return _refuse(call, "media_type must be PHOTO.")
        if body.get("post_mode") not in ("DIRECT_POST", "MEDIA_UPLOAD"):
            return _refuse(call, "post_mode must be DIRECT_POST or MEDIA_UPLOAD.")
        inbox = body["post_mode"] == "MEDIA_UPLOAD"
        scope = "video.upload" if inbox else "video.publish"
        if scope not in call.scopes:
            message = f"The user did not authorize the scope {scope}."
            return answer(401, "scope_not_authorized", message, call.log_id)
        title, description = str(post.get("title", "")), str(post.get("description", ""))
        if len(title) > MAX_PHOTO_TITLE or len(description) > MAX_DESCRIPTION:
            return _refuse(call, "A photo title has at most 90 characters, a description 4000.")
        images, cover = source.get("photo_images"), source.get("photo_cover_index")
        if source.get("source") != "PULL_FROM_URL":
            return _refuse(call, "Photos are only pulled: source must be PULL_FROM_URL.")
        if not isinstance(images, list) or not 1 <= len(images) <= MAX_PHOTOS:
            return _refuse(call, "photo_images must hold 1 to 35 URLs.")
        if any(not isinstance(url, str) or not url.startswith("https://") for url in images):
            return _refuse(call, "Every photo URL must be https.")
        if not isinstance(cover, int) or isinstance(cover, bool) or not 0 <= cover < len(images):
            return _refuse(call, "photo_cover_index must index photo_images.")
        if inbox and any(name in post for name in DIRECT_ONLY_FIELDS):
            return _refuse(call, "An inbox post takes no privacy level or interaction settings.")
        if not inbox and (refused := self._privacy_refusal(call, post)):
            return refused
        publish = self._publish(call, "p_inbox_url" if inbox else "p_pub_url", post, inbox=inbox)
        publish.media_type, publish.description = "PHOTO", description
        publish.photo_images, publish.photo_cover_index = list(images), cover
        return answer(200, "ok", "", call.log_id, {"publish_id": publish.publish_id})

    def _privacy_refusal(self, call: Call, post: dict[str, Any]) -> tuple | None:
        if post.get("privacy_level") not in self.privacy_level_options:
            message = "The privacy level is not one of the creator's options."
            return answer(403, "privacy_level_option_mismatch", message, call.log_id)
        return None

    def _start_video(
        self, call: Call, source: dict[str, Any], post: dict[str, Any], *, inbox: bool
    ) -> tuple:
        """A video init's source: a https URL to pull, or chunk numbers that obey the rules."""
        prefix = "v_inbox" if inbox else "v_pub"
        if source.get("source") == "PULL_FROM_URL":
            url = source.get("video_url")
            if not str(url).startswith("https://"):
                return _refuse(call, "source_info needs an https video_url.")
            publish = self._publish(call, f"{prefix}_url", post, inbox=inbox, video_url=url)
            return answer(200, "ok", "", call.log_id, {"publish_id": publish.publish_id})
        if source.get("source") != "FILE_UPLOAD":
            return _refuse(call, "source must be PULL_FROM_URL or FILE_UPLOAD.")
        if problem := chunk_problem(source):
            return _refuse(call, problem)
        upload = self.uploads.open(source)
        publish = self._publish(call, f"{prefix}_file", post, inbox=inbox, upload=upload)
        data = {"publish_id": publish.publish_id, "upload_url": self._upload_url(upload)}
        return answer(200, "ok", "", call.log_id, data)

    def _upload_url(self, upload: Upload) -> str:
        return self.uploads.url(self._fake.base_url, upload)

    def _publish(
        self,
        call: Call,
        kind: str,
        post: dict[str, Any],
        *,
        inbox: bool,
        video_url: str = "",
        upload: Upload | None = None,
    ) -> Publish:
        publish = Publish(
            publish_id=f"{kind}~v2-1.{secrets.token_hex(10)}",
            open_id=call.identity.open_id,
            privacy_level="" if inbox else post["privacy_level"],
            video_url=video_url,
            title=str(post.get("title", "")),
            fail_reason=self.fail_reason,
            inbox=inbox,
            upload=upload,
        )
        with self._lock:
            self.publishes[publish.publish_id] = publish
            self.inits.append(publish)
        return publish

    def _status_fetch(self, call: Call) -> tuple:
        with self._lock:
            publish = self.publishes.get(str(call.body.get("publish_id")))
            if publish is None:
                message = "The publish_id does not exist."
                return answer(400, "invalid_publish_id", message, call.log_id)
            if publish.open_id != call.identity.open_id:
                code = "token_not_authorized_for_specified_publish_id"
                return answer(400, code, "This token cannot see that publish_id.", call.log_id)
            data = self._status(publish)
        return answer(200, "ok", "", call.log_id, data)

    def _status(self, publish: Publish) -> dict[str, Any]:
        """The publish's status at this poll (the caller holds the lock)."""
        upload = publish.upload
        if upload is not None and not upload.complete:
            return {"status": "PROCESSING_UPLOAD", "uploaded_bytes": upload.received_bytes}
        publish.polls += 1
        if publish.polls < self.polls_to_complete:
            if upload is not None:
                return {"status": "PROCESSING_UPLOAD", "uploaded_bytes": upload.video_size}
            return {"status": "PROCESSING_DOWNLOAD", "downloaded_bytes": 1024}
        if publish.fail_reason:
            return {"status": "FAILED", "fail_reason": publish.fail_reason}
        if publish.inbox:
            return {"status": "SEND_TO_USER_INBOX"}
        data: dict[str, Any] = {"status": "PUBLISH_COMPLETE", "publicaly_available_post_id": []}
        publish.completed_at = publish.completed_at or time.time()
        moderated = time.time() >= publish.completed_at + self.post_id_delay
        if publish.privacy_level == "PUBLIC_TO_EVERYONE" and moderated:
            publish.post_id = publish.post_id or self._post_id()
            data["publicaly_available_post_id"] = [publish.post_id]
        return data

    def _post_id(self) -> int:
        """The next queued id, else a random 19-digit one (the caller holds the lock)."""
        if self.next_post_ids:
            return self.next_post_ids.popleft()
        return 7_400_000_000_000_000_000 + secrets.randbelow(10**15)
