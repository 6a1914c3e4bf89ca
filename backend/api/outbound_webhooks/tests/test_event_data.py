"""An event's `data` is what the API renders for the same object: AccountOut, PostOut, JobOut.
The domain builds it without the API's schemas (layers), so this test keeps the two alike."""

from __future__ import annotations

from datetime import timedelta

import orjson
import pytest
from django.utils import timezone

from api.accounts.schemas import AccountOut
from api.jobs.schemas import JobOut
from api.posts.schemas import PostOut
from apps.core.renderers import json_dumps
from apps.jobs.events import job_event_data
from apps.jobs.models import Job, JobStatus
from apps.posts.events import post_event_data
from apps.posts.models import Post, PostStatus
from apps.tiktok_accounts.models.status_events import account_event_data
from testing.factories import TikTokAccountFactory, personal_workspace

pytestmark = pytest.mark.django_db


def rendered(schema, obj) -> dict:
    """What a route answering `schema` sends for `obj`, as the integrator parses it."""
    return orjson.loads(json_dumps(schema.from_orm(obj).model_dump()))


def test_account_data_is_account_out(user) -> None:
    account = TikTokAccountFactory(user=user, last_synced_at=timezone.now())
    assert orjson.loads(json_dumps(account_event_data(account))) == rendered(AccountOut, account)
    assert list(account_event_data(account)) == list(AccountOut.model_fields)


def test_post_data_is_post_out(user) -> None:
    account = TikTokAccountFactory(user=user)
    post = Post.objects.create(
        workspace=account.workspace,
        user=user,
        account=account,
        status=PostStatus.FAILED,
        privacy_level="SELF_ONLY",
        video_url="https://videos.example.com/a.mp4",
        due_at=timezone.now(),
        scheduled_at=timezone.now() + timedelta(hours=1),
        fail_reason="spam_risk: TikTok said no",
        publish_id="p.123",
    )
    post.refresh_from_db()
    assert orjson.loads(json_dumps(post_event_data(post))) == rendered(PostOut, post)
    assert list(post_event_data(post)) == list(PostOut.model_fields)


def test_job_data_is_job_out(user) -> None:
    job = Job.objects.create(
        workspace=personal_workspace(user),
        user=user,
        status=JobStatus.PARTIAL,
        total=3,
        succeeded=2,
        failed=1,
        errors=[{"account_id": "0b5e7c1a-3f4d-4e2a-9c8b-7a6d5e4f3c2b", "code": "X"}],
        started_at=timezone.now(),
        finished_at=timezone.now(),
    )
    job.refresh_from_db()
    assert orjson.loads(json_dumps(job_event_data(job))) == rendered(JobOut, job)
    assert list(job_event_data(job)) == list(JobOut.model_fields)
