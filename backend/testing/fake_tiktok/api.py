"""The fake TikTok's request counting, delays and injected faults, and the Display API's
user info endpoint (content endpoints live in content.py)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, NamedTuple

from testing.fake_tiktok import content
from testing.fake_tiktok.identities import FIELD_SCOPE
from testing.fake_tiktok.transport import (
    Request,
    Response,
    api_error,
    bearer,
    json_response,
    new_log_id,
    oauth_error,
)

if TYPE_CHECKING:
    from testing.fake_tiktok.identities import Identity
    from testing.fake_tiktok.oauth import Grant

OAUTH_ENDPOINTS = ("token", "refresh", "revoke")
ENDPOINTS = (*OAUTH_ENDPOINTS, "user_info", *content.ENDPOINTS)
ACCESS_INVALID = "The access token is invalid or not found in the request."
SCOPE_MISSING = "The user did not authorize the scope required for completing this request."
# kind: (OAuth HTTP status, OAuth error, Display API HTTP status, Display API code, description).
# OAuth errors come with HTTP 200 on purpose: TikTok documents no status, clients must read
# the body.
_FAULT_ANSWERS: dict[str, tuple[int, str, int, str, str]] = {
    "rate_limit": (429, "rate_limit_exceeded", 429, "rate_limit_exceeded", "Too many requests."),
    "token_invalid": (200, "invalid_grant", 401, "access_token_invalid", ACCESS_INVALID),
    "scope_not_authorized": (200, "invalid_scope", 401, "scope_not_authorized", SCOPE_MISSING),
    "server_error": (500, "server_error", 500, "internal_error", "Something went wrong."),
    "invalid_grant": (200, "invalid_grant", 401, "access_token_invalid", "Token expired."),
    "revoked": (200, "invalid_grant", 401, "access_token_invalid", "Token revoked by the user."),
}
FAULT_KINDS = (*_FAULT_ANSWERS, "garbage", "timeout", *content.POSTING_ERRORS)


class RecordedRequest(NamedTuple):
    endpoint: str
    open_id: str | None
    at: float


@dataclass
class Fault:
    endpoint: str
    kind: str
    times: int | None
    open_id: str | None


class ApiMixin:
    """FakeTikTok's serving of API requests: every endpoint goes through `serve_api`."""

    _lock: threading.Lock
    _faults: list[Fault]
    _counts: Counter[str]
    _generation: int
    _in_flight: int
    _identities: dict[str, Identity]
    _by_access: dict[str, Grant]
    requests: list[RecordedRequest]
    max_in_flight: int
    latency: float
    timeout_sleep: float
    rate_limit_retry_after: int | None
    content: content.FakeContent

    def _open_id_of(self, endpoint: str, request: Request) -> str | None:
        """Whose request this is, so that faults can target one identity."""
        if endpoint == "token":
            code = self._codes.get(request.form.get("code", ""))
            return code.open_id if code else None
        grant = (
            self._by_refresh.get(request.form.get("refresh_token", ""))
            if endpoint == "refresh"
            else self._by_access.get(request.form.get("token") or bearer(request))
        )
        return grant.open_id if grant else None

    def _take_fault(self, endpoint: str, open_id: str | None) -> Fault | None:
        for fault in self._faults:
            if fault.endpoint == endpoint and fault.open_id in (None, open_id):
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times == 0:
                        self._faults.remove(fault)
                return fault
        return None

    # --- TikTok's API ------------------------------------------------------------------------
    def serve_api(self, endpoint: str, request: Request) -> Response:
        """Counts, delays and maybe faults one API request, then answers it like TikTok."""
        log_id = new_log_id()
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
            answer: Callable[[Request, str], Response] | None = {
                "token": self._exchange_code,
                "refresh": self._refresh,
                "revoke": self._revoke_token,
                "user_info": self._user_info,
            }.get(endpoint)
            if answer is None:
                return json_response(*self.content.serve(endpoint, request, log_id), log_id)
            return answer(request, log_id)
        finally:
            with self._lock:
                if tracked and generation == self._generation:
                    self._in_flight -= 1

    def _fault_answer(self, endpoint: str, kind: str, log_id: str) -> Response:
        if kind == "garbage":
            # Truncated JSON behind a JSON content type, as a broken proxy would send.
            return Response(200, b'{"data": {"user": {"open_id": ', headers={"X-Tt-Logid": log_id})
        if kind in content.POSTING_ERRORS:
            return api_error(content.POSTING_ERRORS[kind], kind, f"TikTok says {kind}.", log_id)
        oauth_status, oauth_code, api_status, api_code, description = _FAULT_ANSWERS[kind]
        if endpoint not in OAUTH_ENDPOINTS:
            answer = api_error(api_status, api_code, description, log_id)
        else:
            answer = oauth_error(oauth_code, description, log_id, oauth_status)
        if kind == "rate_limit" and self.rate_limit_retry_after is not None:
            answer.headers["Retry-After"] = str(self.rate_limit_retry_after)
        return answer

    def _user_info(self, request: Request, log_id: str) -> Response:
        with self._lock:
            grant = self._by_access.get(bearer(request))
            if grant is None or grant.access_expires_at <= time.time():
                return api_error(401, "access_token_invalid", ACCESS_INVALID, log_id)
            scopes, identity = grant.scopes, self._identities[grant.open_id]
        if "user.info.basic" not in scopes:
            return api_error(401, "scope_not_authorized", SCOPE_MISSING, log_id)
        fields = [name for name in request.query.get("fields", "").split(",") if name]
        if not fields or any(name not in FIELD_SCOPE for name in fields):
            return api_error(400, "invalid_params", "Invalid fields parameter.", log_id)
        if missing := [name for name in fields if FIELD_SCOPE[name] not in scopes]:
            message = f"The access token lacks the scopes for fields {','.join(missing)}."
            return api_error(400, "scope_permission_missed", message, log_id)
        profile = asdict(identity)
        user = {name: profile[name] for name in fields}
        ok = {"code": "ok", "message": "", "log_id": log_id}
        return json_response(200, {"data": {"user": user}, "error": ok}, log_id)
