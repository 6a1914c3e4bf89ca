"""TikTok HTTP client: one function per TikTok endpoint we use, typed results, own exceptions.

Every request goes through `_request`, which draws on the app-wide TikTok budget and owns the
timeout, the per-thread session and the mapping of TikTok's answers to `exceptions.py`. Errors
are decided by the body: TikTok documents no HTTP status for OAuth errors, only 429 and 5xx are
decided by status.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any, Literal, TypeVar
from urllib.parse import urlencode

import requests
from django.conf import settings
from pydantic import AliasChoices, BaseModel, Field, ValidationError, field_validator

from apps.core.fields import ensure_readable
from apps.core.metrics import tiktok_call_observed, tiktok_timer
from integrations.tiktok.budget import budget_take
from integrations.tiktok.errors import (
    DEFAULT_RETRY_AFTER_SECONDS,
    AccessTokenInvalidError,
    AuthorizationCodeInvalidError,
    RefreshTokenInvalidError,
    ScopeNotAuthorizedError,
    TikTokError,
    TikTokRateLimitError,
    TikTokTimeoutError,
    TikTokUpstreamError,
    outcome_of,
)

logger = logging.getLogger(__name__)

_ModelT = TypeVar("_ModelT", bound=BaseModel)
# Builds the exception for one TikTok error code from (error_description, log_id).
_ErrorFactory = Callable[[str, str | None], TikTokError]


class TokenGrant(BaseModel):
    """Tokens from the token endpoint; repr=False keeps them out of reprs and logs."""

    open_id: str = Field(min_length=1)
    # min_length: an empty token must never reach the database.
    access_token: str = Field(repr=False, min_length=1)
    expires_in: int
    refresh_token: str = Field(repr=False, min_length=1)
    refresh_expires_in: int
    # TikTok sends the granted scopes as one comma-separated `scope` string.
    scopes: list[str] = Field(validation_alias=AliasChoices("scope", "scopes"))

    @field_validator("scopes", mode="before")
    @classmethod
    def _split_scopes(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [scope for scope in value.split(",") if scope]
        return value


class UserInfo(BaseModel):
    """A TikTok profile; fields a scope does not cover keep their defaults."""

    open_id: str = Field(min_length=1)
    union_id: str = ""
    avatar_url: str = ""
    avatar_url_100: str = ""
    avatar_large_url: str = ""
    display_name: str = ""
    bio_description: str = ""
    profile_deep_link: str = ""
    is_verified: bool = False
    username: str = ""
    follower_count: int = 0
    following_count: int = 0
    likes_count: int = 0
    video_count: int = 0


USER_INFO_FIELDS: tuple[str, ...] = tuple(UserInfo.model_fields)


class _OkError(BaseModel):
    code: Literal["ok"]


class _UserInfoData(BaseModel):
    user: UserInfo


class _UserInfoAnswer(BaseModel):
    """The Display API envelope: success is HTTP 200 with error.code == "ok"."""

    data: _UserInfoData
    error: _OkError


_thread_state = threading.local()


def _session() -> requests.Session:
    """This thread's session: keep-alive across calls, never shared between threads."""
    session = getattr(_thread_state, "session", None)
    if session is None:
        session = _thread_state.session = requests.Session()
    return session


def _raises(error_class: type[TikTokError], message: str) -> _ErrorFactory:
    return lambda _description, log_id: error_class(message, log_id=log_id)


def _refresh_refused(description: str, log_id: str | None) -> TikTokError:
    revoked = "revoked" in description.lower()
    reason = "was revoked" if revoked else "is expired or no longer valid"
    return RefreshTokenInvalidError(
        f"TikTok refused the refresh token: it {reason}.", revoked=revoked, log_id=log_id
    )


_CODE_GRANT_ERRORS: Mapping[str, _ErrorFactory] = {
    code: _raises(
        AuthorizationCodeInvalidError,
        "TikTok refused the authorization code: it is expired, already used or unknown.",
    )
    for code in ("invalid_grant", "invalid_request", "access_denied")
}
_REFRESH_GRANT_ERRORS: Mapping[str, _ErrorFactory] = {"invalid_grant": _refresh_refused}
_USER_INFO_ERRORS: Mapping[str, _ErrorFactory] = {
    "access_token_invalid": _raises(
        AccessTokenInvalidError, "TikTok says the access token is expired, revoked or unknown."
    ),
    "scope_not_authorized": _raises(
        ScopeNotAuthorizedError, "The TikTok user did not authorize a scope this call needs."
    ),
}


def _error_of(body: dict[str, Any] | None) -> tuple[str | None, str, str | None]:
    """TikTok's error code (None for none), description and log_id, from either body shape.

    OAuth endpoints answer `{"error": code, "error_description", "log_id"}`; the Display API
    answers `{"error": {"code", "message", "log_id"}}` with code "ok" on success.
    """
    if body is None:
        return None, "", None
    error = body.get("error")
    if isinstance(error, dict):
        code, description, log_id = error.get("code"), error.get("message"), error.get("log_id")
    else:
        code, description, log_id = error, body.get("error_description"), body.get("log_id")
    return (
        str(code) if code not in (None, "", "ok") else None,
        str(description or ""),
        str(log_id) if log_id else None,
    )


def _json_object(response: requests.Response) -> dict[str, Any] | None:
    """The body as a JSON object, or None when it is anything else."""
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _retry_after(response: requests.Response) -> int:
    value = response.headers.get("Retry-After", "").strip()
    return int(value) if value.isdigit() else DEFAULT_RETRY_AFTER_SECONDS


def _request(
    method: str,
    path: str,
    *,
    endpoint: str,
    errors: Mapping[str, _ErrorFactory],
    **kwargs: Any,
) -> dict[str, Any]:
    """Sends one request to TikTok and returns its JSON body, or raises a TikTokError.

    `errors` maps the TikTok error codes this endpoint expects to exceptions; any other code is
    an upstream error. Only the endpoint, status, error code and log_id are logged: the URL
    holds no secret but the body and headers do.
    """
    try:
        budget_take()
    except TikTokRateLimitError:
        tiktok_call_observed(path, "budget_exhausted", None)
        raise
    with tiktok_timer(path) as call:
        try:
            return _answer(_send(method, path, endpoint, **kwargs), endpoint, errors)
        except TikTokError as exc:
            call.outcome = outcome_of(exc)
            raise


def _send(method: str, path: str, endpoint: str, **kwargs: Any) -> requests.Response:
    timeout = settings.TIKTOK_TIMEOUT_SECONDS
    url = f"{settings.TIKTOK_API_BASE_URL}{path}"
    try:
        return _session().request(method, url, timeout=timeout, allow_redirects=False, **kwargs)
    except requests.Timeout as exc:
        logger.warning("TikTok %s: no answer within %s s", endpoint, timeout)
        raise TikTokTimeoutError(f"TikTok did not answer {endpoint} within {timeout} s.") from exc
    except requests.RequestException as exc:
        logger.warning("TikTok %s: request failed (%s)", endpoint, type(exc).__name__)
        raise TikTokUpstreamError(f"TikTok could not be reached for {endpoint}.") from exc


def _answer(
    response: requests.Response, endpoint: str, errors: Mapping[str, _ErrorFactory]
) -> dict[str, Any]:
    """The JSON body of a success, else the TikTokError TikTok's answer means, raised."""
    status = response.status_code
    body = _json_object(response)
    code, description, log_id = _error_of(body)
    # TikTok also sends the log id as a header, which survives a garbage body.
    log_id = log_id or response.headers.get("X-Tt-Logid")
    if code is None and body is not None and 200 <= status < 300:
        return body

    error: TikTokError
    if status == 429 or code == "rate_limit_exceeded":
        error = TikTokRateLimitError(
            f"TikTok rate limit hit on {endpoint}.",
            retry_after=_retry_after(response),
            log_id=log_id,
        )
    elif status >= 500 or body is None or code not in errors:
        error = TikTokUpstreamError(
            f"TikTok answered {endpoint} with HTTP {status}"
            + (f" and error {code}." if code else " and no usable body."),
            log_id=log_id,
        )
    else:
        error = errors[code](description, log_id)
    logger.warning("TikTok %s failed: status=%s error=%s log_id=%s", endpoint, status, code, log_id)
    raise error


def _parse(model: type[_ModelT], body: dict[str, Any], *, endpoint: str) -> _ModelT:
    """Validates a success body; a body we cannot use is an upstream error."""
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        problems = sorted({".".join(map(str, err["loc"])) for err in exc.errors()})
        logger.warning("TikTok %s: unusable success body, bad fields %s", endpoint, problems)
        # `from None`: a ValidationError's text quotes the input, tokens included.
        raise TikTokUpstreamError(
            f"TikTok answered {endpoint} with an unusable body (bad fields: {problems})."
        ) from None


def _credentials() -> dict[str, str]:
    return {
        "client_key": settings.TIKTOK_CLIENT_KEY,
        "client_secret": settings.TIKTOK_CLIENT_SECRET,
    }


def _token_grant(
    endpoint: str, errors: Mapping[str, _ErrorFactory], form: dict[str, str]
) -> TokenGrant:
    """The tokens the token endpoint grants for `form` (sent with our credentials)."""
    body = _request(
        "POST",
        "/v2/oauth/token/",
        endpoint=endpoint,
        errors=errors,
        data={**_credentials(), **form},
    )
    return _parse(TokenGrant, body, endpoint=endpoint)


def build_authorize_url(*, state: str) -> str:
    """Where to send the browser so the user can grant our scopes."""
    # Reference: https://developers.tiktok.com/doc/login-kit-web
    query = urlencode(
        {
            "client_key": settings.TIKTOK_CLIENT_KEY,
            "scope": ",".join(settings.TIKTOK_SCOPES),
            "response_type": "code",
            "redirect_uri": settings.TIKTOK_REDIRECT_URI,
            "state": state,
            # Always show the consent page, so a user can connect a second TikTok account.
            "disable_auto_auth": "1",
        }
    )
    return f"{settings.TIKTOK_AUTHORIZE_URL}?{query}"


def exchange_code(*, code: str) -> TokenGrant:
    """Trades the authorization code from the redirect for the user's tokens."""
    # Reference: https://developers.tiktok.com/doc/oauth-user-access-token-management
    form = {
        "code": code,
        "grant_type": "authorization_code",
        "redirect_uri": settings.TIKTOK_REDIRECT_URI,
    }
    return _token_grant("token", _CODE_GRANT_ERRORS, form)


def refresh_access_token(*, refresh_token: str) -> TokenGrant:
    """Gets fresh tokens; the old refresh token dies, so store the new one at once."""
    # Reference: https://developers.tiktok.com/doc/oauth-user-access-token-management
    form = {"grant_type": "refresh_token", "refresh_token": ensure_readable(refresh_token)}
    return _token_grant("refresh", _REFRESH_GRANT_ERRORS, form)


def revoke_token(*, access_token: str) -> None:
    """Revokes the user's grant at TikTok (access and refresh token)."""
    # Reference: https://developers.tiktok.com/doc/oauth-user-access-token-management
    _request(
        "POST",
        "/v2/oauth/revoke/",
        endpoint="revoke",
        errors={},
        data={**_credentials(), "token": ensure_readable(access_token)},
    )


def get_user_info(*, access_token: str) -> UserInfo:
    """Fetches the profile and counts of the user the access token belongs to."""
    # Reference: https://developers.tiktok.com/doc/tiktok-api-v2-get-user-info
    body = _request(
        "GET",
        "/v2/user/info/",
        endpoint="user_info",
        errors=_USER_INFO_ERRORS,
        params={"fields": ",".join(USER_INFO_FIELDS)},
        headers={"Authorization": f"Bearer {ensure_readable(access_token)}"},
    )
    return _parse(_UserInfoAnswer, body, endpoint="user_info").data.user
