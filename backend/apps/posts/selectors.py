"""Reads on posts: the caller's posts, newest first, and one post."""

from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractBaseUser

from apps.core.cursor import Page, keyset_page
from apps.core.errors import PostNotFound
from apps.posts.models import Post, PostStatus


def post_list_page(
    *,
    user: AbstractBaseUser,
    limit: int,
    cursor: str | None = None,
    account_id: uuid.UUID | None = None,
    status: PostStatus | None = None,
) -> Page[Post]:
    """One query whatever the limit (another user's account_id simply matches nothing)."""
    queryset = Post.objects.filter(user=user)
    if account_id:
        queryset = queryset.filter(account_id=account_id)
    if status:
        queryset = queryset.filter(status=status)
    return keyset_page(
        queryset,
        limit=limit,
        cursor=cursor,
        user_id=user.pk,
        listing="posts",
        filters={"account_id": str(account_id or ""), "status": status or ""},
    )


def post_get(*, user: AbstractBaseUser, post_id: uuid.UUID) -> Post:
    post = Post.objects.filter(user=user, pk=post_id).first()
    if post is None:
        raise PostNotFound
    return post
