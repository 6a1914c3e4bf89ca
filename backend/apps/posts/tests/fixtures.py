"""Fixtures shared by the posts tests (imported by the conftest of each test package)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from api.accounts.tests.conftest import link_account
from apps.posts import services
from apps.posts.models import Post, PostStatus

__all__ = ["enqueued", "link_account", "make_post"]


@pytest.fixture(autouse=True)
def enqueued(monkeypatch) -> list:
    """The publishes enqueued at create time; recorded instead of reaching a broker."""
    calls: list = []
    monkeypatch.setattr(services, "enqueue_publish", calls.append)
    return calls


@pytest.fixture
def make_post(link_account, user) -> Callable[..., tuple[Post, Any]]:
    """A post stored as a create would store it, for an account with live fake tokens."""

    def make(*, account=None, person=None, **fields: Any) -> tuple[Post, Any]:
        if account is None:
            account, person = link_account(user)
        values = {
            "user": account.user,
            "account": account,
            "status": PostStatus.SCHEDULED,
            "title": "Hello TikTok #test",
            "privacy_level": "PUBLIC_TO_EVERYONE",
            "video_url": "https://videos.example.com/clip.mp4",
            "due_at": timezone.now() - timedelta(seconds=1),
            **fields,
        }
        return Post.objects.create(**values), person

    return make
