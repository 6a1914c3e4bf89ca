"""An account's TikTok creator info, reused for CREATOR_INFO_CACHE_SECONDS.

TikTok allows 20 creator-info queries a minute per token, and every post creation validates
its privacy level against them: reused, a burst of creations is limited by RATE_LIMIT_POST
only. The key holds the account id and its `connected_at`, which every (re)connect moves, so a
reconnect starts from TikTok's fresh answer; the value is TikTok's answer (never a token) and
when it came: its age is judged on the service's clock, the cache's expiry only cleans up. A
dead grant or a withdrawn video.publish is refused before the cache is read.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache

from apps.core.fields import TokenUnreadableError
from apps.core.outages import cache_optional
from apps.posts.polling import SCOPE
from apps.tiktok_accounts.models import TikTokAccount
from apps.tiktok_accounts.services.scoped_calls import api_error, call_with_token, require_scope
from integrations.tiktok import content_client
from integrations.tiktok.errors import TikTokError

CONSEQUENCE = "creator info asked from TikTok"


def creator_info_key(account: TikTokAccount) -> str:
    """Per account and connection; never a token."""
    return f"creator-info:{account.pk}:{account.connected_at.timestamp()}"


def creator_info_fetch(*, account: TikTokAccount) -> content_client.CreatorInfo:
    """What the account's creator may post now: reused if TikTok said it recently."""
    require_scope(account, SCOPE)
    seconds = settings.CREATOR_INFO_CACHE_SECONDS
    if seconds:
        with cache_optional(CONSEQUENCE):
            cached = cache.get(creator_info_key(account))
            if cached is not None and time.time() - cached["at"] < seconds:
                return content_client.CreatorInfo.model_validate(cached["info"])
    try:
        info = call_with_token(
            account, SCOPE, lambda token: content_client.query_creator_info(access_token=token)
        )
    except (TikTokError, TokenUnreadableError) as exc:
        raise api_error(exc, SCOPE) from exc
    if seconds:
        with cache_optional(CONSEQUENCE):
            value = {"at": time.time(), "info": info.model_dump()}
            cache.set(creator_info_key(account), value, seconds)
    return info


def creator_info_forget(*, account: TikTokAccount) -> None:
    """TikTok said the creator's options changed: the next post asks TikTok again."""
    with cache_optional(CONSEQUENCE):
        cache.delete(creator_info_key(account))
