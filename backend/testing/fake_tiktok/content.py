"""The fake TikTok's content endpoints: the video list (Display API) and the routing, scopes,
per-token limits and controls of the Content Posting API, whose endpoints live in posting.py
(inits, status) and uploads.py (FILE_UPLOAD's upload URL).

Behaviour follows TikTok's docs (tiktok-api-v2-video-list, content-posting-api-*): scopes are
honoured, each access token has TikTok's per-minute limits (video list 600, creator info 20,
each init 6, status fetch 30). Handlers answer `(HTTP status, JSON payload)`; transport.py owns
the HTTP, api.py the counting and the generic faults.
"""

from __future__ import annotations

import json
import threading
import time
import zlib
from collections import defaultdict, deque
from typing import TYPE_CHECKING, Any

from testing.fake_tiktok.posting import PRIVACY_LEVELS, Call, PostingMixin, Publish, answer
from testing.fake_tiktok.uploads import UPLOAD_PATH, FakeUploads

if TYPE_CHECKING:
    from testing.fake_tiktok.server import FakeTikTok

ROUTES = {
    ("POST", "/v2/video/list/"): "video_list",
    ("POST", "/v2/post/publish/creator_info/query/"): "creator_info",
    ("POST", "/v2/post/publish/video/init/"): "video_init",
    ("POST", "/v2/post/publish/inbox/video/init/"): "inbox_init",
    ("POST", "/v2/post/publish/content/init/"): "content_init",
    ("POST", "/v2/post/publish/status/fetch/"): "status_fetch",
    # TikTok's upload URLs live on another host; the upload id and token are in the query.
    ("PUT", UPLOAD_PATH): "upload",
}
ENDPOINTS = tuple(ROUTES.values())
# Any one of these scopes lets a token call the endpoint (the content init then checks the one
# its post_mode needs); the upload URL is its own credential.
SCOPES: dict[str, tuple[str, ...]] = {
    "video_list": ("video.list",),
    "creator_info": ("video.publish",),
    "video_init": ("video.publish",),
    "inbox_init": ("video.upload",),
    "content_init": ("video.publish", "video.upload"),
    "status_fetch": ("video.publish", "video.upload"),
}
# Per access token and sliding minute, as TikTok documents them.
PER_TOKEN_LIMITS = {
    "video_list": 600,
    "creator_info": 20,
    "video_init": 6,
    "inbox_init": 6,
    "content_init": 6,
    "status_fetch": 30,
}
VIDEO_FIELDS = (
    "id",
    "create_time",
    "cover_image_url",
    "share_url",
    "video_description",
    "duration",
    "height",
    "width",
    "title",
    "embed_html",
    "embed_link",
    "like_count",
    "comment_count",
    "share_count",
    "view_count",
)
# TikTok's documented refusals of creator info / init / status fetch: code -> HTTP status.
POSTING_ERRORS = {
    "invalid_param": 400,
    "spam_risk_too_many_posts": 403,
    "spam_risk_user_banned_from_posting": 403,
    "reached_active_user_cap": 403,
    "unaudited_client_can_only_post_to_private_accounts": 403,
    "url_ownership_unverified": 403,
    "privacy_level_option_mismatch": 403,
    "invalid_publish_id": 400,
    "token_not_authorized_for_specified_publish_id": 400,
}
_VIDEO_EPOCH = 1_700_000_000  # create_time of the oldest fake video


def _video(open_id: str, index: int, epoch: int) -> dict[str, Any]:
    """The `index`-th video (0 = oldest) of an identity, created `epoch + index` hours."""
    video_id = str(7_300_000_000_000_000_000 + zlib.crc32(open_id.encode()) * 100_000 + index)
    seed = (index * 7919) % 10_007
    return {
        "id": video_id,
        "create_time": epoch + index * 3600,
        "cover_image_url": f"https://fake-tiktok.invalid/cover/{video_id}.jpeg",
        "share_url": f"https://fake-tiktok.invalid/@{open_id}/video/{video_id}",
        "video_description": f"Video {index} of {open_id} #fake",
        "duration": 5 + index % 55,
        "height": 1920,
        "width": 1080,
        "title": f"Video {index}",
        "embed_html": f"<blockquote data-video-id='{video_id}'></blockquote>",
        "embed_link": f"https://fake-tiktok.invalid/embed/v2/{video_id}",
        "like_count": seed * 3,
        "comment_count": seed % 500,
        "share_count": seed % 90,
        "view_count": seed * 41,
    }


class FakeContent(PostingMixin):
    """Videos, publishes and uploads of the fake's identities; controls mirror `FakeTikTok`'s."""

    def __init__(self, fake: FakeTikTok) -> None:
        self._fake = fake
        self._lock = threading.Lock()
        self._video_counts: dict[str, int] = {}
        # (open_id, index) -> views added to that video's own: its counts changed.
        self._extra_views: dict[tuple[str, int], int] = {}
        self.publishes: dict[str, Publish] = {}
        self.uploads = FakeUploads()
        self.reset()

    def reset(self) -> None:
        """Forgets tuning, windows, inits and the received upload bytes (publishes stay)."""
        with self._lock:
            self._windows: dict[tuple[str, str], deque[float]] = defaultdict(deque)
            # A page size below max_count: TikTok may answer short pages with has_more true.
            self.page_cap: int | None = None
            self.polls_to_complete = 2
            # create_time (Unix seconds) of every identity's oldest video: move it to make
            # videos recent (analytics counts the videos created in its period).
            self.video_epoch = _VIDEO_EPOCH
            self.fail_reason: str | None = None
            self.privacy_level_options = [*PRIVACY_LEVELS[:2], "SELF_ONLY"]
            self.inits: list[Publish] = []
            # Moderation: seconds a public post's id is withheld after PUBLISH_COMPLETE.
            self.post_id_delay = 0.0
            # Post ids handed out first, in order (e.g. ids a float would corrupt).
            self.next_post_ids: deque[int] = deque()
        self.uploads.reset()

    # --- controls ----------------------------------------------------------------------------
    def set_videos(self, open_id: str, count: int) -> None:
        """`open_id` has `count` videos (default: its profile's video_count)."""
        if count < 0:
            raise ValueError("count cannot be negative")
        with self._lock:
            self._video_counts[open_id] = count

    def add_views(self, open_id: str, index: int, views: int) -> None:
        """The `index`-th video (0 = oldest) of `open_id` gains `views` views."""
        with self._lock:
            key = (open_id, index)
            self._extra_views[key] = self._extra_views.get(key, 0) + views

    def fail_publishes(self, reason: str | None) -> None:
        """Publishes initialised from now on end FAILED with `reason` (None: they succeed)."""
        self.fail_reason = reason

    def delay_post_ids(self, seconds: float, ids: list[int] | None = None) -> None:
        """Public post ids come `seconds` after PUBLISH_COMPLETE; `ids` are the next ones."""
        if seconds < 0 or any(not isinstance(i, int) or i <= 0 for i in ids or []):
            raise ValueError("seconds must be >= 0 and ids positive integers")
        with self._lock:
            self.post_id_delay = seconds
            self.next_post_ids.extend(ids or [])

    def received(self, publish_id: str) -> bytes:
        """The bytes a FILE_UPLOAD publish has received so far, to compare with those sent."""
        return self.uploads.content(self._upload_of(publish_id))

    def upload_state(self, publish_id: str) -> dict[str, Any]:
        """What a FILE_UPLOAD publish has received: size, SHA-256 and the chunk ranges."""
        upload = self._upload_of(publish_id)
        return {
            "video_size": upload.video_size,
            "chunk_size": upload.chunk_size,
            "total_chunk_count": upload.total_chunk_count,
            "received_bytes": upload.received_bytes,
            "complete": upload.complete,
            "ranges": [list(span) for span in upload.ranges],
            "sha256": self.uploads.sha256(upload),
        }

    def _upload_of(self, publish_id: str) -> Any:
        upload = self.publishes[publish_id].upload
        if upload is None:
            raise ValueError(f"{publish_id} is not a FILE_UPLOAD publish")
        return upload

    def control(self, action: str, args: dict[str, Any]) -> dict[str, Any]:
        match action:
            case "videos":
                self.set_videos(args["open_id"], int(args["count"]))
            case "add_views":
                self.add_views(args["open_id"], int(args["index"]), int(args["views"]))
            case "fail_publishes":
                self.fail_publishes(args.get("reason"))
            case "post_ids":
                self.delay_post_ids(float(args.get("delay", 0)), args.get("ids"))
            case "post_event":
                return self.post_event(args["publish_id"], args["event"])
            case "upload":
                return self.upload_state(args["publish_id"])
            case _:
                raise KeyError(action)
        return {"ok": True}

    # --- TikTok's API ------------------------------------------------------------------------
    def serve(self, endpoint: str, request: Any, log_id: str) -> tuple[int, dict[str, Any]]:
        if endpoint == "upload":
            status, code, message = self.uploads.receive(request)
            return answer(status, code, message, log_id)
        token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        found = self._fake.grant_info(token)
        if found is None:
            message = "The access token is invalid or not found in the request."
            return answer(401, "access_token_invalid", message, log_id)
        identity, scopes = found
        if not set(SCOPES[endpoint]) & set(scopes):
            message = f"The user did not authorize the scope {' or '.join(SCOPES[endpoint])}."
            return answer(401, "scope_not_authorized", message, log_id)
        if not self._within_limit(endpoint, token):
            return answer(429, "rate_limit_exceeded", "Too many requests.", log_id)
        try:
            body = json.loads(request.body or b"{}")
            if not isinstance(body, dict):
                raise TypeError
        except (ValueError, TypeError):
            return answer(400, "invalid_params", "The body must be a JSON object.", log_id)
        handler = getattr(self, f"_{endpoint}")
        return handler(Call(identity, tuple(scopes), body, request.query, log_id))

    def _within_limit(self, endpoint: str, token: str) -> bool:
        now = time.monotonic()
        with self._lock:
            window = self._windows[(endpoint, token)]
            while window and window[0] <= now - 60:
                window.popleft()
            if len(window) >= PER_TOKEN_LIMITS[endpoint]:
                return False
            window.append(now)
            return True

    def _video_list(self, call: Call) -> tuple:
        body, log_id = call.body, call.log_id
        fields = [name for name in call.query.get("fields", "").split(",") if name]
        max_count = body.get("max_count", 10)
        if not fields or any(name not in VIDEO_FIELDS for name in fields):
            return answer(400, "invalid_params", "Invalid fields parameter.", log_id)
        if not isinstance(max_count, int) or not 1 <= max_count <= 20:
            return answer(400, "invalid_params", "max_count must be 1..20.", log_id)
        open_id = call.identity.open_id
        with self._lock:
            count = self._video_counts.get(open_id, call.identity.video_count)
        cursor = body.get("cursor")
        # Newest first; the cursor is the create_time in ms of the last video already seen.
        newest = count - 1
        if isinstance(cursor, int) and cursor > 0:
            newest = min(newest, (cursor // 1000 - self.video_epoch) // 3600 - 1)
        size = min(max_count, self.page_cap or max_count)
        indexes = range(newest, max(newest - size, -1), -1)
        with self._lock:
            extra = {i: self._extra_views.get((open_id, i), 0) for i in indexes}
        videos = [
            {
                name: value + extra[i] if name == "view_count" else value
                for name, value in _video(open_id, i, self.video_epoch).items()
                if name in fields
            }
            for i in indexes
        ]
        last = self.video_epoch + indexes[-1] * 3600 if indexes else self.video_epoch
        more = bool(indexes) and indexes[-1] > 0
        data = {"videos": videos, "cursor": last * 1000, "has_more": more}
        return answer(200, "ok", "", log_id, data)
