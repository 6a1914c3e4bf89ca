"""TikTok accounts for tests: unique TikTok users, live tokens, strictly increasing created_at."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import factory
from django.conf import settings
from django.utils import timezone
from faker import Faker

from api.auth.tests.factories import UserFactory
from apps.tiktok_accounts.models import AccountStatus, TikTokAccount
from apps.tiktok_accounts.models.account import search_key

_fake = Faker()
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


class TikTokAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TikTokAccount

    user = factory.SubFactory(UserFactory)
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
