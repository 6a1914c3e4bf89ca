"""The fake TikTok's video list (Display API) and direct post (Content Posting API).

Behaviour follows TikTok's docs (tiktok-api-v2-video-list, content-posting-api-reference-
direct-post, -query-creator-info, -get-video-status, webhooks-events): scopes are honoured,
each access token has TikTok's per-minute limits (video list 600, creator info 20, init 6,
status fetch 30), a publish advances over status polls from PROCESSING_DOWNLOAD to
PUBLISH_COMPLETE, or to FAILED while the failure switch is set. A public post's id is withheld
for `post_id_delay` seconds after PUBLISH_COMPLETE (moderation; `time.time()`, so tests move it
with time-machine) and a private one never gets one. Handlers answer
`(HTTP status, JSON payload)`; transport.py owns the HTTP, api.py the counting and the generic
faults.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
import zlib
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from testing.fake_tiktok.identities import Identity
    from testing.fake_tiktok.server import FakeTikTok

ROUTES = {
    ("POST", "/v2/video/list/"): "video_list",
    ("POST", "/v2/post/publish/creator_info/query/"): "creator_info",
    ("POST", "/v2/post/publish/video/init/"): "video_init",
    ("POST", "/v2/post/publish/status/fetch/"): "status_fetch",
}
ENDPOINTS = tuple(ROUTES.values())
SCOPES = {
    "video_list": "video.list",
    "creator_info": "video.publish",
    "video_init": "video.publish",
    "status_fetch": "video.publish",
}
# Per access token and sliding minute, as TikTok documents them.
PER_TOKEN_LIMITS = {"video_list": 600, "creator_info": 20, "video_init": 6, "status_fetch": 30}
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
PRIVACY_LEVELS = ("PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "FOLLOWER_OF_CREATOR", "SELF_ONLY")
# Webhook events that carry the post id (sic: TikTok spells the second one so).
ID_EVENTS = ("post.publish.publicly_available", "post.publish.no_longer_publicaly_available")
_VIDEO_EPOCH = 1_700_000_000  # create_time of the oldest fake video


@dataclass
class Publish:
    publish_id: str
    open_id: str
    privacy_level: str
    video_url: str
    title: str
    fail_reason: str | None
    polls: int = 0
    post_id: int | None = None
    completed_at: float | None = None  # when a status fetch first answered PUBLISH_COMPLETE


def _answer(status: int, code: str, message: str, log_id: str, data: Any = None) -> tuple:
    error = {"code": code, "message": message, "log_id": log_id}
    return status, {"data": {} if data is None else data, "error": error}


def _video(open_id: str, index: int) -> dict[str, Any]:
    """The `index`-th video (0 = oldest) of an identity; a distinct second for each."""
    video_id = str(7_300_000_000_000_000_000 + zlib.crc32(open_id.encode()) * 100_000 + index)
    seed = (index * 7919) % 10_007
    return {
        "id": video_id,
        "create_time": _VIDEO_EPOCH + index * 3600,
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


class FakeContent:
    """Videos and publishes of the fake's identities; controls mirror `FakeTikTok`'s."""

    def __init__(self, fake: FakeTikTok) -> None:
        self._fake = fake
        self._lock = threading.Lock()
        self._video_counts: dict[str, int] = {}
        # (open_id, index) -> views added to that video's own: its counts changed.
        self._extra_views: dict[tuple[str, int], int] = {}
        self.publishes: dict[str, Publish] = {}
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._windows: dict[tuple[str, str], deque[float]] = defaultdict(deque)
            # A page size below max_count: TikTok may answer short pages with has_more true.
            self.page_cap: int | None = None
            self.polls_to_complete = 2
            self.fail_reason: str | None = None
            self.privacy_level_options = [*PRIVACY_LEVELS[:2], "SELF_ONLY"]
            self.inits: list[Publish] = []
            # Moderation: seconds a public post's id is withheld after PUBLISH_COMPLETE.
            self.post_id_delay = 0.0
            # Post ids handed out first, in order (e.g. ids a float would corrupt).
            self.next_post_ids: deque[int] = deque()

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

    def post_event(
        self, publish_id: str, event: str, create_time: int | None = None
    ) -> dict[str, Any]:
        """The webhook TikTok would send for `event` on this publish (unsigned body as a dict).
        `create_time` defaults to now; pass a delivery's own to redeliver it as TikTok retries."""
        publish = self.publishes[publish_id]
        content: dict[str, Any] = {"publish_id": publish_id, "publish_type": "DIRECT_PUBLISH"}
        if event == "post.publish.failed":
            content["reason"] = publish.fail_reason or "internal"
        elif event in ID_EVENTS:
            with self._lock:
                publish.post_id = publish.post_id or self._post_id()
            content["post_id"] = str(publish.post_id)
        elif event != "post.publish.complete":
            raise ValueError(f"unknown post event {event}")
        return {
            "client_key": self._fake.client_key,
            "event": event,
            "create_time": int(time.time()) if create_time is None else create_time,
            "user_openid": publish.open_id,
            "content": json.dumps(content),
        }

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
            case _:
                raise KeyError(action)
        return {"ok": True}

    # --- TikTok's API ------------------------------------------------------------------------
    def serve(self, endpoint: str, request: Any, log_id: str) -> tuple[int, dict[str, Any]]:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        found = self._fake.grant_info(token)
        if found is None:
            message = "The access token is invalid or not found in the request."
            return _answer(401, "access_token_invalid", message, log_id)
        identity, scopes = found
        if SCOPES[endpoint] not in scopes:
            message = f"The user did not authorize the scope {SCOPES[endpoint]}."
            return _answer(401, "scope_not_authorized", message, log_id)
        if not self._within_limit(endpoint, token):
            return _answer(429, "rate_limit_exceeded", "Too many requests.", log_id)
        try:
            body = json.loads(request.body or b"{}")
            if not isinstance(body, dict):
                raise TypeError
        except (ValueError, TypeError):
            return _answer(400, "invalid_params", "The body must be a JSON object.", log_id)
        handler = getattr(self, f"_{endpoint}")
        return handler(identity, body, request.query, log_id)

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

    def _video_list(self, identity: Identity, body: dict, query: dict, log_id: str) -> tuple:
        fields = [name for name in query.get("fields", "").split(",") if name]
        max_count = body.get("max_count", 10)
        if not fields or any(name not in VIDEO_FIELDS for name in fields):
            return _answer(400, "invalid_params", "Invalid fields parameter.", log_id)
        if not isinstance(max_count, int) or not 1 <= max_count <= 20:
            return _answer(400, "invalid_params", "max_count must be 1..20.", log_id)
        with self._lock:
            count = self._video_counts.get(identity.open_id, identity.video_count)
        cursor = body.get("cursor")
        # Newest first; the cursor is the create_time in ms of the last video already seen.
        newest = count - 1
        if isinstance(cursor, int) and cursor > 0:
            newest = min(newest, (cursor // 1000 - _VIDEO_EPOCH) // 3600 - 1)
        size = min(max_count, self.page_cap or max_count)
        indexes = range(newest, max(newest - size, -1), -1)
        with self._lock:
            extra = {i: self._extra_views.get((identity.open_id, i), 0) for i in indexes}
        videos = [
            {
                name: value + extra[i] if name == "view_count" else value
                for name, value in _video(identity.open_id, i).items()
                if name in fields
            }
            for i in indexes
        ]
        last = _VIDEO_EPOCH + indexes[-1] * 3600 if indexes else _VIDEO_EPOCH
        more = bool(indexes) and indexes[-1] > 0
        data = {"videos": videos, "cursor": last * 1000, "has_more": more}
        return _answer(200, "ok", "", log_id, data)

    def _creator_info(self, identity: Identity, body: dict, query: dict, log_id: str) -> tuple:
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
        return _answer(200, "ok", "", log_id, data)

    def _video_init(self, identity: Identity, body: dict, query: dict, log_id: str) -> tuple:
        post, source = body.get("post_info") or {}, body.get("source_info") or {}
        url = source.get("video_url")
        if source.get("source") != "PULL_FROM_URL" or not str(url).startswith("https://"):
            return _answer(400, "invalid_param", "source_info needs an https video_url.", log_id)
        if len(str(post.get("title", ""))) > 2200:
            return _answer(400, "invalid_param", "The title is too long.", log_id)
        if post.get("privacy_level") not in self.privacy_level_options:
            message = "The privacy level is not one of the creator's options."
            return _answer(403, "privacy_level_option_mismatch", message, log_id)
        publish = Publish(
            publish_id=f"v_pub_url~v2-1.{secrets.token_hex(10)}",
            open_id=identity.open_id,
            privacy_level=post["privacy_level"],
            video_url=url,
            title=str(post.get("title", "")),
            fail_reason=self.fail_reason,
        )
        with self._lock:
            self.publishes[publish.publish_id] = publish
            self.inits.append(publish)
        return _answer(200, "ok", "", log_id, {"publish_id": publish.publish_id})

    def _status_fetch(self, identity: Identity, body: dict, query: dict, log_id: str) -> tuple:
        with self._lock:
            publish = self.publishes.get(str(body.get("publish_id")))
            if publish is None:
                return _answer(400, "invalid_publish_id", "The publish_id does not exist.", log_id)
            if publish.open_id != identity.open_id:
                code = "token_not_authorized_for_specified_publish_id"
                return _answer(400, code, "This token cannot see that publish_id.", log_id)
            publish.polls += 1
            data: dict[str, Any] = {"status": "PROCESSING_DOWNLOAD", "downloaded_bytes": 1024}
            if publish.polls >= self.polls_to_complete and publish.fail_reason:
                data = {"status": "FAILED", "fail_reason": publish.fail_reason}
            elif publish.polls >= self.polls_to_complete:
                data = {"status": "PUBLISH_COMPLETE", "publicaly_available_post_id": []}
                publish.completed_at = publish.completed_at or time.time()
                moderated = time.time() >= publish.completed_at + self.post_id_delay
                if publish.privacy_level == "PUBLIC_TO_EVERYONE" and moderated:
                    publish.post_id = publish.post_id or self._post_id()
                    data["publicaly_available_post_id"] = [publish.post_id]
        return _answer(200, "ok", "", log_id, data)

    def _post_id(self) -> int:
        """The next queued id, else a random 19-digit one (the caller holds the lock)."""
        if self.next_post_ids:
            return self.next_post_ids.popleft()
        return 7_400_000_000_000_000_000 + secrets.randbelow(10**15)
