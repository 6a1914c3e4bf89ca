"""Calls to TikTok on behalf of an account: scope checks and the account's token lifecycle.

`call_with_token` gives every content call (video list, creator info, init, status fetch) the
same token rules as a profile sync, from the same code (`services.tokens.call_with_fresh_token`):
refresh first when the token is about to expire (through the one-refresh-per-account lease),
once more when TikTok rejects it, and a grant rejected right after a refresh is dead. It raises
the client's own errors, so background callers can tell a refused call from an ambiguous one;
`api_error` gives a request's answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from apps.core.errors import ApplicationError, ReauthRequired, TikTokBadGateway
from apps.tiktok_accounts.models import TikTokAccount
from apps.tiktok_accounts.services.errors import tiktok_error_to_api
from apps.tiktok_accounts.services.tokens import DEAD_GRANT_STATUSES, call_with_fresh_token
from integrations.tiktok.errors import PostingRefusedError, ScopeNotAuthorizedError

logger = logging.getLogger(__name__)
T = TypeVar("T")

# What a user sees on TikTok's consent page for each optional permission.
PERMISSION_NAMES = {"video.list": "reading your videos", "video.publish": "posting videos"}


def missing_scope(scope: str) -> ReauthRequired:
    return ReauthRequired(
        f"This account has not granted TikTok's {scope} permission "
        f"({PERMISSION_NAMES.get(scope, scope)}); reconnect it and allow {scope}."
    )


def require_scope(account: TikTokAccount, scope: str) -> None:
    """409 at once, without calling TikTok, for a dead grant or a permission never granted."""
    if account.status in DEAD_GRANT_STATUSES:
        raise ReauthRequired
    if scope not in account.scopes:
        raise missing_scope(scope)


def call_with_token(account: TikTokAccount, scope: str, call: Callable[[str], T]) -> T:
    """`call(access_token)` under the token rules above; raises TikTokError on failure."""
    require_scope(account, scope)
    try:
        return call_with_fresh_token(account, call)
    except ScopeNotAuthorizedError:
        # The user withdrew this permission at TikTok: later calls answer 409 without calling.
        account.scopes = [name for name in account.scopes if name != scope]
        TikTokAccount.all_objects.filter(pk=account.pk).update(scopes=account.scopes)
        raise


def api_error(exc: Exception, scope: str) -> ApplicationError:
    """A request's answer for a failed `call_with_token`."""
    if isinstance(exc, ScopeNotAuthorizedError):
        return missing_scope(scope)
    if isinstance(exc, PostingRefusedError):
        logger.warning("TikTok refused a posting call: %s", exc.code, extra={"log_id": exc.log_id})
        return TikTokBadGateway(f"TikTok does not accept posts from this account: {exc.code}.")
    return tiktok_error_to_api(exc)
