"""The test factories, in one place: users with a known password, TikTok accounts (unique
TikTok users, live tokens, strictly increasing created_at) and videos stored directly."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import factory
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
from faker import Faker

from apps.tiktok_accounts.models import AccountStatus, TikTokAccount
from apps.tiktok_accounts.models.account import search_key
from apps.videos.models import TikTokVideo
from apps.workspaces.models import Workspace
from apps.workspaces.personal import personal_workspace_id

PASSWORD = "Correct-Horse-Battery-42"  # every factory user's, to log in through /api/auth
_fake = Faker()


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    # Faker's `unique` proxy: factory.Faker has no unique=... option in factory-boy 3.3.
    username = factory.LazyFunction(lambda: _fake.unique.user_name())
    email = factory.LazyFunction(lambda: _fake.unique.email())
    password = factory.django.Password(PASSWORD)
    is_active = True


_clock_lock = threading.Lock()
_last_created_at: list[datetime] = []


def _next_created_at() -> datetime:
    """Now, but always later than the previous account: list order never depends on luck."""
    with _clock_lock:
        now = timezone.now()
        if _last_created_at and now <= _last_created_at[-1]:
            now = _last_created_at[-1] + timedelta(microseconds=1)
        _last_created_at[:] = [now]
        return now


def personal_workspace(user: Any) -> Workspace:
    return Workspace.objects.get(id=personal_workspace_id(user.pk))


class TikTokAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TikTokAccount

    class Params:
        # `user=`: the account lives in that user's personal workspace (a new user's if unset).
        user = None

    workspace = factory.LazyAttribute(lambda o: personal_workspace(o.user or UserFactory()))
    open_id = factory.Sequence(lambda n: f"factory-open-id-{n:06d}")
    union_id = factory.LazyAttribute(lambda o: f"union-{o.open_id}")
    username = factory.LazyFunction(lambda: _fake.unique.user_name())
    display_name = factory.LazyFunction(lambda: _fake.name())
    avatar_url = factory.LazyAttribute(lambda o: f"https://example.invalid/{o.open_id}.jpeg")
    bio_description = factory.LazyFunction(lambda: _fake.sentence())
    profile_deep_link = factory.LazyAttribute(lambda o: f"https://example.invalid/@{o.open_id}")
    is_verified = False
    follower_count = factory.Sequence(lambda n: 1_000 + n)
    following_count = factory.Sequence(lambda n: 10 + n)
    likes_count = factory.Sequence(lambda n: 50_000 + n)
    video_count = factory.Sequence(lambda n: 5 + n % 100)
    search_text = factory.LazyAttribute(lambda o: search_key(o.username, o.display_name))
    scopes = factory.LazyFunction(lambda: sorted(settings.TIKTOK_SCOPES))
    status = AccountStatus.ACTIVE
    access_token = factory.Sequence(lambda n: f"act.factory-access-{n:06d}")
    refresh_token = factory.Sequence(lambda n: f"rft.factory-refresh-{n:06d}")
    access_token_expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))
    refresh_token_expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=365))
    token_version = 1
    created_at = factory.LazyFunction(_next_created_at)


class TikTokVideoFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TikTokVideo

    account = factory.SubFactory(TikTokAccountFactory)
    video_id = factory.Sequence(lambda n: str(7_000_000_000_000_000_000 + n))
    title = factory.Sequence(lambda n: f"Video {n}")
    create_time = factory.Sequence(lambda n: datetime(2024, 1, 1, tzinfo=UTC) + timedelta(hours=n))
    # Few distinct counts: the keyset walks must get ties right.
    view_count = factory.Sequence(lambda n: n % 4 * 100)
    like_count = factory.Sequence(lambda n: n % 3 * 10)
    synced_at = factory.LazyFunction(timezone.now)
