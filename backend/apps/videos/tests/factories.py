"""Videos for tests, stored directly (the sync tests go through the fake TikTok instead)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import factory
from django.utils import timezone

from apps.tiktok_accounts.tests.factories import TikTokAccountFactory
from apps.videos.models import TikTokVideo


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
