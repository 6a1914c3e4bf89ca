"""The TikTok client's own errors: the only exceptions `client.py` lets out.

Callers decide what to do by class (retry later, refresh, ask the user to reconnect), never by
parsing messages. Every error keeps TikTok's `log_id` when TikTok sent one, because that is
what TikTok support asks for. Messages never contain a token, code or secret.
"""

from __future__ import annotations

# TikTok documents a one-minute sliding window and no Retry-After header.
DEFAULT_RETRY_AFTER_SECONDS = 60


class TikTokError(Exception):
    """Base of every failure talking to TikTok."""

    def __init__(self, message: str, *, log_id: str | None = None) -> None:
        super().__init__(message)
        self.log_id = log_id


class TikTokTimeoutError(TikTokError):
    """TikTok did not answer within settings.TIKTOK_TIMEOUT_SECONDS."""


class TikTokUpstreamError(TikTokError):
    """TikTok failed or answered something we cannot use: 5xx, garbage, an unexpected error."""


class TikTokRateLimitError(TikTokError):
    """TikTok's rate limit was hit; try again after `retry_after` seconds."""

    def __init__(
        self,
        message: str,
        *,
        retry_after: int = DEFAULT_RETRY_AFTER_SECONDS,
        log_id: str | None = None,
    ) -> None:
        super().__init__(message, log_id=log_id)
        self.retry_after = retry_after


class AccessTokenInvalidError(TikTokError):
    """The access token is expired, revoked or unknown: refresh it, then retry once."""


class ScopeNotAuthorizedError(TikTokError):
    """The user did not grant a scope the call needs: only re-authorizing helps."""


class RefreshTokenInvalidError(TikTokError):
    """TikTok refused the refresh token; `revoked` says the user revoked access."""

    def __init__(self, message: str, *, revoked: bool = False, log_id: str | None = None) -> None:
        super().__init__(message, log_id=log_id)
        self.revoked = revoked


class AuthorizationCodeInvalidError(TikTokError):
    """The authorization code is expired, already used or unknown: start the OAuth flow again."""


class PostingRefusedError(TikTokError):
    """TikTok refused a Content Posting call for a documented reason (`code`): the creator may
    not post now, the request does not fit their options, or the publish_id is not theirs."""

    def __init__(self, message: str, *, code: str, log_id: str | None = None) -> None:
        super().__init__(message, log_id=log_id)
        self.code = code


class UploadRefusedError(TikTokError):
    """TikTok's upload URL refused a chunk (HTTP `status`, 4xx): out of order, of the wrong size,
    or the URL expired or is unknown. Nothing was stored; TikTok's `uploaded_bytes` (status
    fetch) says which chunk it wants next."""

    def __init__(self, message: str, *, status: int, code: str, log_id: str | None = None) -> None:
        super().__init__(message, log_id=log_id)
        self.status = status
        self.code = code


def outcome_of(error: TikTokError) -> str:
    """The `outcome` label of tta_tiktok_requests_total for a call that raised `error`.

    A documented refusal (a post TikTok will not take, a chunk its upload URL refuses) is
    TikTok working as documented: `ok`, like a success, so the error ratio measures TikTok's
    health rather than what users ask of it.
    """
    if isinstance(error, TikTokRateLimitError):
        return "rate_limited"
    if isinstance(error, TikTokTimeoutError):
        return "timeout"
    if isinstance(
        error,
        AccessTokenInvalidError
        | ScopeNotAuthorizedError
        | RefreshTokenInvalidError
        | AuthorizationCodeInvalidError,
    ):
        return "auth_error"
    if isinstance(error, PostingRefusedError | UploadRefusedError):
        return "ok"
    return "upstream_error"
