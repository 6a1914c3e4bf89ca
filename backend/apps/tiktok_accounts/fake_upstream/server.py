"""A fake TikTok that speaks the OAuth and Display API the way /work/shared/tiktok-api.md says.

Tests, benchmarks and the README's demo mode talk to it over real HTTP on 127.0.0.1, so the
client is exercised exactly as against TikTok: form-encoded token grants with rotating refresh
tokens, field selection bound to scopes, TikTok's error bodies and log ids. Faults (rate limit,
5xx, garbage, timeouts, dead tokens) and latency are switched on in-process or through the
`/_fake/` control endpoints. It deliberately imports nothing from Django.
"""

from __future__ import annotations

import html
import json
import secrets
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlencode, urlsplit

from apps.tiktok_accounts.fake_upstream import content
from apps.tiktok_accounts.fake_upstream.webhooks import WebhookSender

SCOPE_FIELDS: dict[str, tuple[str, ...]] = {
    "user.info.basic": (
        "open_id",
        "union_id",
        "avatar_url",
        "avatar_url_100",
        "avatar_large_url",
        "display_name",
    ),
    "user.info.profile": ("bio_description", "profile_deep_link", "is_verified", "username"),
    "user.info.stats": ("follower_count", "following_count", "likes_count", "video_count"),
}
FIELD_SCOPE = {name: scope for scope, names in SCOPE_FIELDS.items() for name in names}
SCOPES = (*SCOPE_FIELDS, *sorted(set(content.SCOPES.values())))
OAUTH_ENDPOINTS = ("token", "refresh", "revoke")
ENDPOINTS = (*OAUTH_ENDPOINTS, "user_info", *content.ENDPOINTS)
_ACCESS_INVALID = "The access token is invalid or not found in the request."
_SCOPE_MISSING = "The user did not authorize the scope required for completing this request."
# kind: (OAuth HTTP status, OAuth error, Display API HTTP status, Display API code, description).
# OAuth errors come with HTTP 200 on purpose: TikTok documents no status, clients must read
# the body.
_FAULT_ANSWERS: dict[str, tuple[int, str, int, str, str]] = {
    "rate_limit": (429, "rate_limit_exceeded", 429, "rate_limit_exceeded", "Too many requests."),
    "token_invalid": (200, "invalid_grant", 401, "access_token_invalid", _ACCESS_INVALID),
    "scope_not_authorized": (200, "invalid_scope", 401, "scope_not_authorized", _SCOPE_MISSING),
    "server_error": (500, "server_error", 500, "internal_error", "Something went wrong."),
    "invalid_grant": (200, "invalid_grant", 401, "access_token_invalid", "Token expired."),
    "revoked": (200, "invalid_grant", 401, "access_token_invalid", "Token revoked by the user."),
}
FAULT_KINDS = (*_FAULT_ANSWERS, "garbage", "timeout", *content.POSTING_ERRORS)
CODE_LIFETIME_SECONDS = 300
# Profiles that exercise unicode end to end: usernames, display names, emoji.
_DEMO_PROFILES = (
    ("café_crème", "Café Crème ☕"),
    ("tokyo.eats", "東京グルメ"),
    ("zoë_dances", "Zoë Dances 💃"),
    ("münchen_bikes", "München Bikes"),
    ("el_niño_surf", "El Niño 🌊"),
    ("seoul_vibes", "서울 바이브"),
)


@dataclass
class Identity:
    """A TikTok user the fake can log in as; mutate the counts to simulate growth."""

    open_id: str
    username: str
    display_name: str
    union_id: str = ""
    avatar_url: str = ""
    avatar_url_100: str = ""
    avatar_large_url: str = ""
    bio_description: str = ""
    profile_deep_link: str = ""
    is_verified: bool = False
    follower_count: int = 0
    following_count: int = 0
    likes_count: int = 0
    video_count: int = 0

    def __post_init__(self) -> None:
        avatar = f"https://fake-tiktok.invalid/avatar/{self.open_id}"
        self.union_id = self.union_id or f"union-{self.open_id}"
        self.avatar_url = self.avatar_url or f"{avatar}.jpeg"
        self.avatar_url_100 = self.avatar_url_100 or f"{avatar}-100.jpeg"
        self.avatar_large_url = self.avatar_large_url or f"{avatar}-large.jpeg"
        self.profile_deep_link = (
            self.profile_deep_link or f"https://fake-tiktok.invalid/@{self.open_id}"
        )


def _demo_identity(number: int) -> Identity:
    if number <= len(_DEMO_PROFILES):
        username, display_name = _DEMO_PROFILES[number - 1]
    else:
        username, display_name = f"demo_creator_{number:04d}", f"Demo Creator {number}"
    followers = number * 7919 % 250_000
    return Identity(
        open_id=f"fake-open-id-{number:04d}",
        username=username,
        display_name=display_name,
        bio_description=f"Demo account #{number}, served by the fake TikTok.",
        is_verified=number % 10 == 0,
        follower_count=followers,
        following_count=number * 13 % 2_000,
        likes_count=followers * 9,
        video_count=number * 3 % 400,
    )


class RecordedRequest(NamedTuple):
    endpoint: str
    open_id: str | None
    at: float


@dataclass
class _Fault:
    endpoint: str
    kind: str
    times: int | None
    open_id: str | None


@dataclass
class _Code:
    open_id: str
    scopes: tuple[str, ...]
    expires_at: float


@dataclass
class _Grant:
    open_id: str
    scopes: tuple[str, ...]
    access_token: str
    refresh_token: str
    access_expires_at: float
    refresh_expires_at: float


@dataclass(frozen=True)
class _Request:
    query: dict[str, str]
    form: dict[str, str]
    body: bytes
    headers: Message


@dataclass(frozen=True)
class _Response:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


def _json(status: int, payload: Any, log_id: str | None = None) -> _Response:
    headers = {"X-Tt-Logid": log_id} if log_id else {}
    return _Response(status, json.dumps(payload).encode(), headers=headers)


def _oauth_error(error: str, description: str, log_id: str, status: int = 200) -> _Response:
    payload = {"error": error, "error_description": description, "log_id": log_id}
    return _json(status, payload, log_id)


def _api_error(status: int, code: str, message: str, log_id: str) -> _Response:
    payload = {"data": {}, "error": {"code": code, "message": message, "log_id": log_id}}
    return _json(status, payload, log_id)


def _html(status: int, title: str, body: str) -> _Response:
    page = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"</head><body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
    return _Response(status, page.encode(), "text/html; charset=utf-8")


def _redirect(url: str) -> _Response:
    return _Response(302, b"", "text/plain", {"Location": url})


def _new_log_id() -> str:
    """Shaped like TikTok's: a UTC timestamp followed by random hex."""
    return datetime.now(UTC).strftime("%Y%m%d%H%M%S") + secrets.token_hex(10).upper()


class FakeTikTok:
    """The fake upstream: its state, its controls, and the server that exposes them."""

    def __init__(self, *, client_key: str, client_secret: str) -> None:
        self.client_key = client_key
        self.client_secret = client_secret
        self.base_url = ""
        # Where the demo callback page tells the user to finish the connect.
        self.service_url = "http://127.0.0.1:8000"
        self.identities = [_demo_identity(number) for number in range(1, 51)]
        self._identities = {identity.open_id: identity for identity in self.identities}
        self._codes: dict[str, _Code] = {}
        self._by_access: dict[str, _Grant] = {}
        self._by_refresh: dict[str, _Grant] = {}
        self._revoked: set[str] = set()
        self._lock = threading.Lock()
        self._generation = 0
        self._server: _Server | None = None
        self.webhooks = WebhookSender(self)
        self.content = content.FakeContent(self)
        self.reset()

    # --- lifecycle ---------------------------------------------------------------------------
    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serves in a daemon thread; returns the base URL (port 0 picks a free port)."""
        self._server = _Server((host, port), self)
        threading.Thread(target=self._server.serve_forever, name="fake-tiktok", daemon=True).start()
        self.base_url = f"http://{host}:{self._server.server_port}"
        return self.base_url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def reset(self) -> None:
        """Forgets faults, counters and tuning; keeps identities and the tokens already issued,
        so a benchmark can reset between phases without disconnecting its accounts."""
        with self._lock:
            self._faults: list[_Fault] = []
            self._counts: Counter[str] = Counter()
            self.requests: list[RecordedRequest] = []
            # Requests of an earlier test may still be sleeping in a handler: a new generation
            # keeps them out of the in-flight counters from now on.
            self._generation += 1
            self._in_flight = 0
            self.max_in_flight = 0
            self.latency = 0.0
            self.timeout_sleep = 3.0
            self.access_expires_in = 86_400
            self.refresh_expires_in = 31_536_000
            # TikTok documents no Retry-After header; set a number to send one.
            self.rate_limit_retry_after: int | None = None
        self.content.reset()

    # --- in-process controls -----------------------------------------------------------------
    def add_identity(self, **fields: Any) -> Identity:
        with self._lock:
            number = len(self.identities) + 1
            values = {
                "open_id": f"fake-open-id-{number:04d}",
                "username": f"user_{number:04d}",
                "display_name": f"User {number}",
                **fields,
            }
            if values["open_id"] in self._identities:
                raise ValueError(f"identity {values['open_id']} already exists")
            identity = Identity(**values)
            self.identities.append(identity)
            self._identities[identity.open_id] = identity
            return identity

    def issue_code(self, open_id: str, scopes: Iterable[str] | None = None) -> str:
        """An authorization code as if `open_id` approved `scopes` (default: all)."""
        granted = tuple(SCOPES if scopes is None else scopes)
        if open_id not in self._identities:
            raise ValueError(f"unknown identity {open_id}")
        if unknown := set(granted) - set(SCOPES):
            raise ValueError(f"unknown scopes {sorted(unknown)}")
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = _Code(open_id, granted, time.time() + CODE_LIFETIME_SECONDS)
        return code

    def set_latency(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("latency cannot be negative")
        self.latency = seconds

    def add_fault(
        self, endpoint: str, kind: str, *, times: int | None = None, open_id: str | None = None
    ) -> None:
        """Makes `endpoint` answer with fault `kind`, `times` times (None: until reset)."""
        if endpoint not in ENDPOINTS:
            raise ValueError(f"endpoint must be one of {ENDPOINTS}")
        if kind not in FAULT_KINDS:
            raise ValueError(f"kind must be one of {FAULT_KINDS}")
        if times is not None and times < 1:
            raise ValueError("times must be at least 1")
        with self._lock:
            self._faults.append(_Fault(endpoint, kind, times, open_id))

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

    def count(self, endpoint: str) -> int:
        with self._lock:
            return self._counts[endpoint]

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                "counts": {endpoint: self._counts[endpoint] for endpoint in ENDPOINTS},
                "in_flight": self._in_flight,
                "max_in_flight": self.max_in_flight,
                "latency": self.latency,
                "faults": len(self._faults),
                "identities": len(self.identities),
                "open_ids": [identity.open_id for identity in self.identities],
            }

    # --- state helpers (caller holds the lock) -----------------------------------------------
    def _issue_grant(self, open_id: str, scopes: tuple[str, ...]) -> _Grant:
        now = time.time()
        grant = _Grant(
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

    def _forget(self, grant: _Grant) -> None:
        self._by_access.pop(grant.access_token, None)
        self._by_refresh.pop(grant.refresh_token, None)

    def _revoke(self, grant: _Grant) -> None:
        self._forget(grant)
        self._revoked.update((grant.access_token, grant.refresh_token))

    def _grant_body(self, grant: _Grant) -> dict[str, Any]:
        return {
            "access_token": grant.access_token,
            "expires_in": self.access_expires_in,
            "open_id": grant.open_id,
            "refresh_token": grant.refresh_token,
            "refresh_expires_in": self.refresh_expires_in,
            "scope": ",".join(grant.scopes),
            "token_type": "Bearer",
        }

    def _open_id_of(self, endpoint: str, request: _Request) -> str | None:
        """Whose request this is, so that faults can target one identity."""
        if endpoint == "token":
            code = self._codes.get(request.form.get("code", ""))
            return code.open_id if code else None
        grant = (
            self._by_refresh.get(request.form.get("refresh_token", ""))
            if endpoint == "refresh"
            else self._by_access.get(request.form.get("token") or _bearer(request))
        )
        return grant.open_id if grant else None

    def _take_fault(self, endpoint: str, open_id: str | None) -> _Fault | None:
        for fault in self._faults:
            if fault.endpoint == endpoint and fault.open_id in (None, open_id):
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times == 0:
                        self._faults.remove(fault)
                return fault
        return None

    # --- TikTok's API ------------------------------------------------------------------------
    def serve_api(self, endpoint: str, request: _Request) -> _Response:
        """Counts, delays and maybe faults one API request, then answers it like TikTok."""
        log_id = _new_log_id()
        tracked = endpoint in ("user_info", "refresh")
        with self._lock:
            open_id = self._open_id_of(endpoint, request)
            self._counts[endpoint] += 1
            self.requests.append(RecordedRequest(endpoint, open_id, time.time()))
            fault = self._take_fault(endpoint, open_id)
            generation = self._generation
            if tracked:
                self._in_flight += 1
                self.max_in_flight = max(self.max_in_flight, self._in_flight)
        try:
            time.sleep(self.latency)
            if fault is not None and fault.kind == "timeout":
                # Sleep outside the lock: other requests keep being served meanwhile.
                time.sleep(self.timeout_sleep)
            elif fault is not None:
                return self._fault_answer(endpoint, fault.kind, log_id)
            answer: Callable[[_Request, str], _Response] | None = {
                "token": self._exchange_code,
                "refresh": self._refresh,
                "revoke": self._revoke_token,
                "user_info": self._user_info,
            }.get(endpoint)
            if answer is None:
                return _json(*self.content.serve(endpoint, request, log_id), log_id)
            return answer(request, log_id)
        finally:
            with self._lock:
                if tracked and generation == self._generation:
                    self._in_flight -= 1

    def _fault_answer(self, endpoint: str, kind: str, log_id: str) -> _Response:
        if kind == "garbage":
            # Truncated JSON behind a JSON content type, as a broken proxy would send.
            return _Response(200, b'{"data": {"user": {"open_id": ', headers={"X-Tt-Logid": log_id})
        if kind in content.POSTING_ERRORS:
            return _api_error(content.POSTING_ERRORS[kind], kind, f"TikTok says {kind}.", log_id)
        oauth_status, oauth_error, api_status, api_code, description = _FAULT_ANSWERS[kind]
        if endpoint not in OAUTH_ENDPOINTS:
            answer = _api_error(api_status, api_code, description, log_id)
        else:
            answer = _oauth_error(oauth_error, description, log_id, oauth_status)
        if kind == "rate_limit" and self.rate_limit_retry_after is not None:
            answer.headers["Retry-After"] = str(self.rate_limit_retry_after)
        return answer

    def _client_refused(self, request: _Request, log_id: str) -> _Response | None:
        form = request.form
        if (
            form.get("client_key") != self.client_key
            or form.get("client_secret") != self.client_secret
        ):
            return _oauth_error("invalid_client", "Client key or secret is incorrect.", log_id)
        return None

    def _exchange_code(self, request: _Request, log_id: str) -> _Response:
        if refused := self._client_refused(request, log_id):
            return refused
        if not request.form.get("redirect_uri"):
            return _oauth_error("invalid_request", "redirect_uri is required.", log_id)
        with self._lock:
            code = self._codes.pop(request.form.get("code", ""), None)  # single use
            if code is None or code.expires_at < time.time():
                return _oauth_error("invalid_grant", "Authorization code is expired.", log_id)
            grant = self._issue_grant(code.open_id, code.scopes)
            return _json(200, self._grant_body(grant), log_id)

    def _refresh(self, request: _Request, log_id: str) -> _Response:
        if refused := self._client_refused(request, log_id):
            return refused
        token = request.form.get("refresh_token", "")
        with self._lock:
            if token in self._revoked:
                return _oauth_error("invalid_grant", "Refresh token has been revoked.", log_id)
            grant = self._by_refresh.get(token)
            if grant is None or grant.refresh_expires_at < time.time():
                return _oauth_error("invalid_grant", "Refresh token is invalid or expired.", log_id)
            # Rotation: the old refresh token (and its access token) stop working now.
            self._forget(grant)
            grant = self._issue_grant(grant.open_id, grant.scopes)
            return _json(200, self._grant_body(grant), log_id)

    def _revoke_token(self, request: _Request, log_id: str) -> _Response:
        if refused := self._client_refused(request, log_id):
            return refused
        with self._lock:
            # Unknown tokens are no error: revoking is idempotent (RFC 7009).
            if grant := self._by_access.get(request.form.get("token", "")):
                self._revoke(grant)
        return _json(200, {}, log_id)

    def _user_info(self, request: _Request, log_id: str) -> _Response:
        with self._lock:
            grant = self._by_access.get(_bearer(request))
            if grant is None or grant.access_expires_at <= time.time():
                return _api_error(401, "access_token_invalid", _ACCESS_INVALID, log_id)
            scopes, identity = grant.scopes, self._identities[grant.open_id]
        if "user.info.basic" not in scopes:
            return _api_error(401, "scope_not_authorized", _SCOPE_MISSING, log_id)
        fields = [name for name in request.query.get("fields", "").split(",") if name]
        if not fields or any(name not in FIELD_SCOPE for name in fields):
            return _api_error(400, "invalid_params", "Invalid fields parameter.", log_id)
        if missing := [name for name in fields if FIELD_SCOPE[name] not in scopes]:
            message = f"The access token lacks the scopes for fields {','.join(missing)}."
            return _api_error(400, "scope_permission_missed", message, log_id)
        profile = asdict(identity)
        user = {name: profile[name] for name in fields}
        ok = {"code": "ok", "message": "", "log_id": log_id}
        return _json(200, {"data": {"user": user}, "error": ok}, log_id)

    # --- browser pages -----------------------------------------------------------------------
    def authorize_page(self, request: _Request) -> _Response:
        """TikTok's consent page: approve as any identity, optionally denying scopes."""
        query = request.query
        if problems := self._authorize_problems(query):
            items = "".join(f"<li>{html.escape(problem)}</li>" for problem in problems)
            return _html(400, "Invalid authorization request", f"<ul>{items}</ul>")
        requested = query["scope"].split(",")
        back = {"state": query["state"]}
        if query.get("cancel"):
            back |= {"error": "access_denied", "error_description": "The user denied access."}
            return _redirect(f"{query['redirect_uri']}?{urlencode(back)}")
        if approve := query.get("approve"):
            if approve not in self._identities:
                return _html(400, "Unknown identity", f"<p>{html.escape(approve)}</p>")
            denied = set(query.get("deny", "").split(","))
            granted = [scope for scope in requested if scope not in denied]
            back |= {"code": self.issue_code(approve, granted), "scopes": ",".join(granted)}
            return _redirect(f"{query['redirect_uri']}?{urlencode(back)}")
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
        return _html(200, "Fake TikTok: authorize the app", body)

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

    def demo_callback_page(self, request: _Request) -> _Response:
        """Where the demo's redirect_uri lands: shows how to finish the connect with curl."""
        query = request.query
        if "error" in query:
            message = f"{query['error']}: {query.get('error_description', '')}"
            return _html(200, "TikTok connect cancelled", f"<p>{html.escape(message)}</p>")
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
        return _html(200, "TikTok connect: almost done", body)

    # --- /_fake/ controls for other processes ------------------------------------------------
    def control(self, action: str, request: _Request) -> _Response:
        try:
            args = json.loads(request.body or b"{}")
            if not isinstance(args, dict):
                raise TypeError("the body must be a JSON object")
            result = self._control(action, args)
        except (ValueError, TypeError, KeyError) as exc:
            return _json(400, {"error": f"{type(exc).__name__}: {exc}"})
        return _json(200, result)

    def _control(self, action: str, args: dict[str, Any]) -> dict[str, Any]:
        match action:
            case "stats":
                return self.stats()
            case "reset":
                self.reset()
            case "latency":
                self.set_latency(float(args["seconds"]))
            case "fault":
                self.add_fault(
                    args["endpoint"],
                    args["kind"],
                    times=args.get("times"),
                    open_id=args.get("open_id"),
                )
            case "code":
                return {"code": self.issue_code(args["open_id"], args.get("scopes"))}
            case "expire":
                self.expire_access_tokens(args.get("open_id"))
            case "revoke_all":
                self.revoke_all(args["open_id"])
            case "webhook":
                return self.webhooks.send(**args)
            case "deauthorize":
                return self.webhooks.deauthorize(**args)
            case "post_webhook":
                return self.webhooks.post_event(**args)
            case _:
                return self.content.control(action, args)
        return {"ok": True}


def _bearer(request: _Request) -> str:
    return request.headers.get("Authorization", "").removeprefix("Bearer ").strip()


class _Handler(BaseHTTPRequestHandler):
    """HTTP plumbing only: parse the request, route it, write the answer."""

    protocol_version = "HTTP/1.1"  # keep-alive, as the client's sessions expect
    timeout = 60  # drop idle keep-alive connections eventually
    # Headers and body leave in two writes: without this, Nagle plus delayed ACKs add ~40 ms.
    disable_nagle_algorithm = True
    server: _Server

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        is_form = self.headers.get_content_type() == "application/x-www-form-urlencoded"
        request = _Request(
            query=dict(parse_qsl(url.query, keep_blank_values=True)),
            form=dict(parse_qsl(body.decode("utf-8", "replace"))) if is_form else {},
            body=body,
            headers=self.headers,
        )
        fake = self.server.fake
        path = url.path
        if (method, path) == ("POST", "/v2/oauth/token/"):
            grant_type = request.form.get("grant_type")
            response = fake.serve_api(
                "refresh" if grant_type == "refresh_token" else "token", request
            )
        elif (method, path) == ("POST", "/v2/oauth/revoke/"):
            response = fake.serve_api("revoke", request)
        elif (method, path) == ("GET", "/v2/user/info/"):
            response = fake.serve_api("user_info", request)
        elif endpoint := content.ROUTES.get((method, path)):
            response = fake.serve_api(endpoint, request)
        elif (method, path) == ("GET", "/v2/auth/authorize/"):
            response = fake.authorize_page(request)
        elif (method, path) == ("GET", "/demo/callback"):
            response = fake.demo_callback_page(request)
        elif path == "/demo/webhooks":
            response = _html(*fake.webhooks.page(method, request.form))
        elif path == "/_fake/stats" or (method == "POST" and path.startswith("/_fake/")):
            response = fake.control(path.removeprefix("/_fake/"), request)
        else:
            response = _json(404, {"error": f"no route {method} {path}"})
        self._send(response)

    def _send(self, response: _Response) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(response.body)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: one line per request would drown test and benchmark output."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], fake: FakeTikTok) -> None:
        super().__init__(address, _Handler)
        self.fake = fake

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (a timeout test) closes its socket under a sleeping handler.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)
