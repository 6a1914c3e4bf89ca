"""The fake TikTok's OAuth: authorization codes, rotating grants, the token endpoints, the
consent page and the demo's callback page."""

from __future__ import annotations

import html
import json
import secrets
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from testing.fake_tiktok.identities import SCOPES, Identity
from testing.fake_tiktok.transport import (
    Request,
    Response,
    html_page,
    json_response,
    oauth_error,
    redirect_to,
)

CODE_LIFETIME_SECONDS = 300


@dataclass
class Code:
    open_id: str
    scopes: tuple[str, ...]
    expires_at: float


@dataclass
class Grant:
    open_id: str
    scopes: tuple[str, ...]
    access_token: str
    refresh_token: str
    access_expires_at: float
    refresh_expires_at: float


class OAuthMixin:
    """FakeTikTok's grants: issue codes, exchange and rotate tokens, revoke, expire."""

    client_key: str
    client_secret: str
    service_url: str
    identities: list[Identity]
    _identities: dict[str, Identity]
    _codes: dict[str, Code]
    _by_access: dict[str, Grant]
    _by_refresh: dict[str, Grant]
    _revoked: set[str]
    _lock: threading.Lock
    access_expires_in: int
    refresh_expires_in: int

    def issue_code(self, open_id: str, scopes: Iterable[str] | None = None) -> str:
        """An authorization code as if `open_id` approved `scopes` (default: all)."""
        granted = tuple(SCOPES if scopes is None else scopes)
        if open_id not in self._identities:
            raise ValueError(f"unknown identity {open_id}")
        if unknown := set(granted) - set(SCOPES):
            raise ValueError(f"unknown scopes {sorted(unknown)}")
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = Code(open_id, granted, time.time() + CODE_LIFETIME_SECONDS)
        return code

    def expire_access_tokens(self, open_id: str | None = None) -> None:
        """Current access tokens (of `open_id`, or everyone's) answer access_token_invalid."""
        with self._lock:
            for grant in self._by_access.values():
                if open_id in (None, grant.open_id):
                    grant.access_expires_at = 0

    def revoke_all(self, open_id: str) -> None:
        """The user revoked our app: every token of `open_id` dies."""
        with self._lock:
            for grant in [g for g in self._by_access.values() if g.open_id == open_id]:
                self._revoke(grant)

    def grant_info(self, access_token: str) -> tuple[Identity, tuple[str, ...]] | None:
        """Whose live access token this is and what it grants; None when dead or unknown."""
        with self._lock:
            grant = self._by_access.get(access_token)
            if grant is None or grant.access_expires_at <= time.time():
                return None
            return self._identities[grant.open_id], grant.scopes

    # --- state helpers (caller holds the lock) -----------------------------------------------
    def _issue_grant(self, open_id: str, scopes: tuple[str, ...]) -> Grant:
        now = time.time()
        grant = Grant(
            open_id=open_id,
            scopes=scopes,
            access_token=f"act.{secrets.token_urlsafe(32)}",
            refresh_token=f"rft.{secrets.token_urlsafe(32)}",
            access_expires_at=now + self.access_expires_in,
            refresh_expires_at=now + self.refresh_expires_in,
        )
        self._by_access[grant.access_token] = grant
        self._by_refresh[grant.refresh_token] = grant
        return grant

    def _forget(self, grant: Grant) -> None:
        self._by_access.pop(grant.access_token, None)
        self._by_refresh.pop(grant.refresh_token, None)

    def _revoke(self, grant: Grant) -> None:
        self._forget(grant)
        self._revoked.update((grant.access_token, grant.refresh_token))

    def _grant_body(self, grant: Grant) -> dict[str, Any]:
        return {
            "access_token": grant.access_token,
            "expires_in": self.access_expires_in,
            "open_id": grant.open_id,
            "refresh_token": grant.refresh_token,
            "refresh_expires_in": self.refresh_expires_in,
            "scope": ",".join(grant.scopes),
            "token_type": "Bearer",
        }

    def _client_refused(self, request: Request, log_id: str) -> Response | None:
        form = request.form
        if (
            form.get("client_key") != self.client_key
            or form.get("client_secret") != self.client_secret
        ):
            return oauth_error("invalid_client", "Client key or secret is incorrect.", log_id)
        return None

    def _exchange_code(self, request: Request, log_id: str) -> Response:
        if refused := self._client_refused(request, log_id):
            return refused
        if not request.form.get("redirect_uri"):
            return oauth_error("invalid_request", "redirect_uri is required.", log_id)
        with self._lock:
            code = self._codes.pop(request.form.get("code", ""), None)  # single use
            if code is None or code.expires_at < time.time():
                return oauth_error("invalid_grant", "Authorization code is expired.", log_id)
            grant = self._issue_grant(code.open_id, code.scopes)
            return json_response(200, self._grant_body(grant), log_id)

    def _refresh(self, request: Request, log_id: str) -> Response:
        if refused := self._client_refused(request, log_id):
            return refused
        token = request.form.get("refresh_token", "")
        with self._lock:
            if token in self._revoked:
                return oauth_error("invalid_grant", "Refresh token has been revoked.", log_id)
            grant = self._by_refresh.get(token)
            if grant is None or grant.refresh_expires_at < time.time():
                return oauth_error("invalid_grant", "Refresh token is invalid or expired.", log_id)
            # Rotation: the old refresh token (and its access token) stop working now.
            self._forget(grant)
            grant = self._issue_grant(grant.open_id, grant.scopes)
            return json_response(200, self._grant_body(grant), log_id)

    def _revoke_token(self, request: Request, log_id: str) -> Response:
        if refused := self._client_refused(request, log_id):
            return refused
        with self._lock:
            # Unknown tokens are no error: revoking is idempotent (RFC 7009).
            if grant := self._by_access.get(request.form.get("token", "")):
                self._revoke(grant)
        return json_response(200, {}, log_id)

    # --- browser pages -----------------------------------------------------------------------
    def authorize_page(self, request: Request) -> Response:
        """TikTok's consent page: approve as any identity, optionally denying scopes."""
        query = request.query
        if problems := self._authorize_problems(query):
            items = "".join(f"<li>{html.escape(problem)}</li>" for problem in problems)
            return html_page(400, "Invalid authorization request", f"<ul>{items}</ul>")
        requested = query["scope"].split(",")
        back = {"state": query["state"]}
        if query.get("cancel"):
            back |= {"error": "access_denied", "error_description": "The user denied access."}
            return redirect_to(f"{query['redirect_uri']}?{urlencode(back)}")
        if approve := query.get("approve"):
            if approve not in self._identities:
                return html_page(400, "Unknown identity", f"<p>{html.escape(approve)}</p>")
            denied = set(query.get("deny", "").split(","))
            granted = [scope for scope in requested if scope not in denied]
            back |= {"code": self.issue_code(approve, granted), "scopes": ",".join(granted)}
            return redirect_to(f"{query['redirect_uri']}?{urlencode(back)}")
        own = {key: value for key, value in query.items() if key not in {"approve", "deny"}}
        rows = []
        for identity in self.identities:
            approve_link = html.escape("?" + urlencode({**own, "approve": identity.open_id}))
            deny_link = html.escape(
                "?" + urlencode({**own, "approve": identity.open_id, "deny": "user.info.stats"})
            )
            without_video = {**own, "approve": identity.open_id, "deny": "video.list,video.publish"}
            no_video = html.escape("?" + urlencode(without_video))
            rows.append(
                f"<li><a href='{approve_link}'>Continue as {html.escape(identity.display_name)}"
                f" (@{html.escape(identity.username)})</a> &middot; "
                f"<a href='{deny_link}'>without user.info.stats</a> &middot; "
                f"<a href='{no_video}'>without the video permissions</a></li>"
            )
        cancel_link = html.escape("?" + urlencode({**own, "cancel": "1"}))
        scopes = html.escape(", ".join(requested))
        body = (
            f"<p>The app asks for: {scopes}.</p><ul>{''.join(rows)}</ul>"
            f"<p><a href='{cancel_link}'>Cancel</a></p>"
        )
        return html_page(200, "Fake TikTok: authorize the app", body)

    def _authorize_problems(self, query: dict[str, str]) -> list[str]:
        problems = []
        if query.get("client_key") != self.client_key:
            problems.append("client_key is unknown.")
        if query.get("response_type") != "code":
            problems.append("response_type must be code.")
        redirect = urlsplit(query.get("redirect_uri", ""))
        if redirect.scheme not in {"http", "https"} or not redirect.netloc or redirect.query:
            problems.append("redirect_uri must be an absolute http(s) URL without a query.")
        scopes = [scope for scope in query.get("scope", "").split(",") if scope]
        if not scopes or any(scope not in SCOPES for scope in scopes):
            problems.append(f"scope must be a comma-separated list of {', '.join(SCOPES)}.")
        if not query.get("state"):
            problems.append("state is required.")
        return problems

    def demo_callback_page(self, request: Request) -> Response:
        """Where the demo's redirect_uri lands: shows how to finish the connect with curl."""
        query = request.query
        if "error" in query:
            message = f"{query['error']}: {query.get('error_description', '')}"
            return html_page(200, "TikTok connect cancelled", f"<p>{html.escape(message)}</p>")
        payload = json.dumps({"code": query.get("code", ""), "state": query.get("state", "")})
        curl = (
            f"curl -X POST {self.service_url}/api/accounts/connect/complete \\\n"
            "  -H 'Authorization: Bearer <your access JWT>' \\\n"
            "  -H 'Content-Type: application/json' \\\n"
            f"  -d '{payload}'"
        )
        body = (
            f"<p>code: <code>{html.escape(query.get('code', ''))}</code></p>"
            f"<p>state: <code>{html.escape(query.get('state', ''))}</code></p>"
            f"<p>scopes: <code>{html.escape(query.get('scopes', ''))}</code></p>"
            f"<p>Finish connecting the account:</p><pre>{html.escape(curl)}</pre>"
            "<p>Later, <a href='/demo/webhooks'>remove the app's access</a> as a TikTok user.</p>"
        )
        return html_page(200, "TikTok connect: almost done", body)
