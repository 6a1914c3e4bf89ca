"""Fixtures of the accounts API tests: accounts whose tokens the fake TikTok really issued."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from api.accounts.tests.utils import fake_grant, new_open_id
from apps.tiktok_accounts.models import TikTokAccount
from apps.tiktok_accounts.tests.factories import TikTokAccountFactory
from testing.fake_tiktok import FakeTikTok, Identity

LinkAccount = Callable[..., tuple[TikTokAccount, Identity]]


@pytest.fixture
def link_account(fake_tiktok: FakeTikTok) -> LinkAccount:
    """Makes a TikTok identity at the fake and a stored account holding its live tokens.

    The stored profile equals the identity's except `follower_count` and `video_count`, which
    are behind, so a successful sync changes exactly those two fields.
    """

    def make(user: Any, *, identity: dict[str, Any] | None = None, **account: Any):
        seed = len(fake_tiktok.identities)
        values = {
            "open_id": new_open_id(),
            "username": f"creator_{seed}",
            "display_name": f"Creator {seed}",
            "bio_description": f"Bio of creator {seed}",
            "follower_count": 10_000 + seed,
            "following_count": 300 + seed,
            "likes_count": 90_000 + seed,
            "video_count": 40 + seed,
            **(identity or {}),
        }
        person = fake_tiktok.add_identity(**values)
        grant = fake_grant(fake_tiktok, person.open_id)
        fields = {
            "user": user,
            "open_id": person.open_id,
            "union_id": person.union_id,
            "username": person.username,
            "display_name": person.display_name,
            "avatar_url": person.avatar_url,
            "avatar_url_100": person.avatar_url_100,
            "avatar_large_url": person.avatar_large_url,
            "bio_description": person.bio_description,
            "profile_deep_link": person.profile_deep_link,
            "is_verified": person.is_verified,
            "follower_count": person.follower_count - 100,
            "following_count": person.following_count,
            "likes_count": person.likes_count,
            "video_count": person.video_count - 1,
            "access_token": grant["access_token"],
            "refresh_token": grant["refresh_token"],
            **account,
        }
        return TikTokAccountFactory(**fields), person

    return make
