"""The one mapping from the TikTok client's errors to the contract's API errors."""

from __future__ import annotations

from apps.core.errors import (
    ApplicationError,
    InternalError,
    ReauthRequired,
    TikTokBadGateway,
    TikTokRateLimited,
    TikTokTimeout,
)
from integrations.tiktok.errors import (
    AccessTokenInvalidError,
    RefreshTokenInvalidError,
    ScopeNotAuthorizedError,
    TikTokError,
    TikTokRateLimitError,
    TikTokTimeoutError,
)


def tiktok_error_to_api(exc: Exception) -> ApplicationError:
    """The contract's answer for a TikTok failure (and for a token we cannot decrypt)."""
    if isinstance(exc, TikTokTimeoutError):
        return TikTokTimeout()
    if isinstance(exc, TikTokRateLimitError):
        return TikTokRateLimited(retry_after=exc.retry_after)
    if isinstance(exc, AccessTokenInvalidError | RefreshTokenInvalidError):
        return ReauthRequired()
    if isinstance(exc, ScopeNotAuthorizedError):
        return ReauthRequired(
            "TikTok no longer grants the permissions this service needs; reconnect the account."
        )
    if isinstance(exc, TikTokError):
        return TikTokBadGateway()
    return InternalError()
