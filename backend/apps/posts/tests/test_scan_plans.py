"""The publisher's scans read partial indexes over the few posts they can find (PostgreSQL).

3,000 published and failed posts (nearly all posts, at scale) beside a few to send, poll and
sweep: each scan reads its own index in order, never the whole table, never a sort.
"""

from __future__ import annotations

import copy
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from apps.posts.models import Post, PostStatus
from apps.posts.polling import posts_poll_due_ids
from apps.posts.publisher import posts_due_ids, posts_sweep
from testing.factories import TikTokAccountFactory, UserFactory
from testing.plans import analyze, plans_of

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="EXPLAIN is a PostgreSQL check"),
]


def _copies(template: Post, count: int, **fields) -> list[Post]:
    rows = []
    for _ in range(count):
        row = copy.copy(template)
        row.id = uuid.uuid4()
        for name, value in fields.items():
            setattr(row, name, value)
        rows.append(row)
    return rows


@pytest.fixture
def posts() -> None:
    account = TikTokAccountFactory(user=UserFactory())
    now = timezone.now()
    template = Post(
        workspace_id=account.workspace_id,
        user_id=UserFactory().pk,
        account=account,
        status=PostStatus.PUBLISHED,
        privacy_level="SELF_ONLY",
        video_url="https://videos.example.com/clip.mp4",
        due_at=now - timedelta(days=3),
        sent_at=now - timedelta(days=3),
    )
    rows = _copies(template, 2000)
    rows += _copies(template, 1000, status=PostStatus.FAILED)
    rows += _copies(template, 5, status=PostStatus.SCHEDULED, due_at=now - timedelta(seconds=5))
    rows += _copies(
        template, 5, status=PostStatus.PUBLISHING, sent_at=now, next_poll_at=now, publish_id=None
    )
    for row in rows[-5:]:
        row.publish_id = f"p_{row.id.hex}"
    Post.objects.bulk_create(rows, batch_size=1000)
    analyze("posts_post")


@pytest.mark.parametrize(
    ("scan", "index"),
    [
        (posts_due_ids, "post_scan_due"),
        (posts_poll_due_ids, "post_scan_poll"),
    ],
)
def test_due_scans_read_their_partial_index_in_order(posts, scan, index) -> None:
    (plan,) = plans_of(scan)

    assert f"Scan using {index} on" in plan, plan
    assert "Seq Scan" not in plan, plan
    assert "Sort" not in plan, plan


def test_the_sweep_reads_only_publishing_and_polled_posts(posts) -> None:
    plans = plans_of(posts_sweep)

    assert plans, plans
    for plan in plans:
        assert "Seq Scan" not in plan, plan
    assert "post_scan_publishing" in plans[0], plans[0]
    assert "post_scan_poll" in plans[-1], plans[-1]
