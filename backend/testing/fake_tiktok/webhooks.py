"""The fake TikTok's webhooks: signed deliveries to the service, as TikTok sends them.

TikTok's side of https://developers.tiktok.com/doc/webhooks-verification, written apart from
the service's verifier on purpose: the tests then prove that two implementations agree.
Like the rest of the fake, it imports nothing from Django.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import time
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from testing.fake_tiktok.server import FakeTikTok

WEBHOOK_PATH = "/api/webhooks/tiktok"
REASONS = {
    0: "unknown",
    1: "user disconnects from TikTok app",
    2: "user's account got deleted",
    3: "user's age changed",
    4: "user's account got banned",
    5: "developer revoked authorization",
}


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The `TikTok-Signature` header value for `body` sent at `timestamp`."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},s={digest.hexdigest()}"


class WebhookSender:
    """Builds, signs and posts events to `<fake.service_url>/api/webhooks/tiktok`."""

    def __init__(self, fake: FakeTikTok) -> None:
        self.fake = fake

    def body(
        self, event: str, open_id: str, content: Any = None, create_time: int | None = None
    ) -> bytes:
        """TikTok's envelope; `content` (an object, or an already serialized string) is sent
        as the JSON string TikTok sends."""
        payload = {
            "client_key": self.fake.client_key,
            "event": event,
            "create_time": int(time.time()) if create_time is None else create_time,
            "user_openid": open_id,
            "content": content if isinstance(content, str) else json.dumps(content or {}),
        }
        return json.dumps(payload).encode()

    def send(
        self,
        *,
        event: str,
        open_id: str,
        content: Any = None,
        create_time: int | None = None,
        url: str | None = None,
    ) -> dict[str, Any]:
        """Delivers one event; returns what the service answered (status 0: not reachable)."""
        body = self.body(event, open_id, content, create_time)
        request = urllib.request.Request(  # noqa: S310 (http(s) URL of the service under test)
            url or f"{self.fake.service_url}{WEBHOOK_PATH}",
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "TikTok-Signature": sign(self.fake.client_secret, int(time.time()), body),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
                status, raw = answer.status, answer.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        except OSError as exc:
            return {"status": 0, "body": None, "error": str(exc)}
        try:
            return {"status": status, "body": json.loads(raw)}
        except ValueError:
            return {"status": status, "body": raw.decode("utf-8", "replace")}

    def deauthorize(self, *, open_id: str, reason: int = 1) -> dict[str, Any]:
        """The user removed the app in TikTok: its tokens die, then `authorization.removed`."""
        if int(reason) not in REASONS:
            raise ValueError(f"reason must be one of {sorted(REASONS)}")
        self.fake.revoke_all(open_id)
        return self.send(
            event="authorization.removed", open_id=open_id, content={"reason": int(reason)}
        )

    def post_event(
        self, *, publish_id: str, event: str, create_time: int | None = None
    ) -> dict[str, Any]:
        """Delivers a post.publish.* event for one of the fake's publishes, signed."""
        envelope = self.fake.content.post_event(publish_id, event, create_time)
        return self.send(
            event=envelope["event"],
            open_id=envelope["user_openid"],
            content=envelope["content"],
            create_time=envelope["create_time"],
        )

    # --- the demo page ---------------------------------------------------------------------
    def page(self, method: str, form: dict[str, str]) -> tuple[int, str, str]:
        """GET: a "remove access" button per identity; POST: press it. (status, title, html)"""
        result = ""
        if method == "POST":
            try:
                answer = self.deauthorize(
                    open_id=form.get("open_id", ""), reason=int(form.get("reason") or 1)
                )
            except ValueError as exc:
                return 400, "Fake TikTok: bad webhook request", f"<p>{html.escape(str(exc))}</p>"
            result = (
                f"<p><strong>Sent authorization.removed for "
                f"{html.escape(form.get('open_id', ''))}</strong>: the service answered "
                f"<code>{html.escape(json.dumps(answer))}</code></p>"
            )
        options = "".join(
            f"<option value='{number}'{' selected' if number == 1 else ''}>"
            f"{number}: {html.escape(text)}</option>"
            for number, text in REASONS.items()
        )
        rows = "".join(
            "<li><form method='post' action='/demo/webhooks'>"
            f"<input type='hidden' name='open_id' value='{html.escape(identity.open_id)}'>"
            f"{html.escape(identity.display_name)} (@{html.escape(identity.username)}) "
            f"<select name='reason'>{options}</select> "
            "<button type='submit'>Remove the app's access</button></form></li>"
            for identity in self.fake.identities
        )
        target = html.escape(f"{self.fake.service_url}{WEBHOOK_PATH}")
        intro = (
            "<p>As that TikTok user, remove the app's access: the fake revokes the user's "
            "tokens, then sends a signed <code>authorization.removed</code> webhook to "
            f"<code>{target}</code>. The service marks the account <code>revoked</code>.</p>"
        )
        return 200, "Fake TikTok: webhooks", f"{result}{intro}<ul>{rows}</ul>"
