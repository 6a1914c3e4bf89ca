"""Posts a user owns (`{post_id}`): scheduled, or waiting for approval."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from apps.posts.models import Post, PostStatus
from config.tests.owned_objects.accounts import linked_account
from testing.factories import personal_workspace
from testing.fake_tiktok import FakeTikTok


def scheduled_post(user: AbstractBaseUser, fake: FakeTikTok) -> uuid.UUID:
    """Scheduled a day ahead, so no publisher picks it up while a test looks at it."""
    return Post.objects.create(
        workspace=personal_workspace(user),
        user=user,
        account_id=linked_account(user, fake),
        status=PostStatus.SCHEDULED,
        title="Hello TikTok",
        privacy_level="PUBLIC_TO_EVERYONE",
        video_url="https://videos.example.com/clip.mp4",
        scheduled_at=timezone.now() + timedelta(days=1),
        due_at=timezone.now() + timedelta(days=1),
    ).id


def pending_post(user: AbstractBaseUser, fake: FakeTikTok) -> uuid.UUID:
    """A post waiting for approval (what approve and reject act on)."""
    post_id = scheduled_post(user, fake)
    Post.objects.filter(pk=post_id).update(
        status=PostStatus.PENDING_APPROVAL, requires_approval=True
    )
    return post_id
