"""The ops admin of posts and videos: pages render, filters work, no token leaks."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from apps.posts.models import PostStatus
from testing.admin import assert_no_secret, change_url
from testing.factories import TikTokAccountFactory, TikTokVideoFactory

pytestmark = pytest.mark.django_db

POSTS = reverse("admin:posts_post_changelist")
VIDEOS = reverse("admin:videos_tiktokvideo_changelist")


def test_posts_and_videos_pages_render_filter_and_hide_tokens(
    admin_client: Client, make_post
) -> None:
    failed, _ = make_post(title="It failed", status=PostStatus.FAILED, fail_reason="spam: x")
    make_post(title="Still waiting")
    account = TikTokAccountFactory()
    mine = TikTokVideoFactory(account=account, title="Mine")
    TikTokVideoFactory(title="Someone else's")

    pages = [
        (POSTS, ["It failed", "Still waiting"], []),
        (f"{POSTS}?status__exact=failed", ["It failed"], ["Still waiting"]),
        (f"{POSTS}?q=waiting", ["Still waiting"], ["It failed"]),
        (change_url(failed), ["spam: x"], []),
        (change_url(account), [f"{VIDEOS}?account__id__exact={account.pk}"], []),
        (f"{VIDEOS}?account__id__exact={account.pk}", ["Mine"], ["Someone else"]),
        (change_url(mine), ["Mine"], []),
    ]
    for url, shown, hidden in pages:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert all(text in html for text in shown), url
        assert not any(text in html for text in hidden), url
        assert_no_secret(html)


def test_posts_cannot_be_added_edited_or_deleted_by_hand(admin_client: Client, make_post) -> None:
    post, _ = make_post()

    html = admin_client.get(change_url(post)).content.decode()

    assert admin_client.get(reverse("admin:posts_post_add")).status_code == 403
    assert 'name="_save"' not in html
    delete = reverse("admin:posts_post_delete", args=[post.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
