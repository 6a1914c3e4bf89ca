"""Reads on posts: the workspace's posts, newest first, and one post."""

from __future__ import annotations

import uuid

from apps.core.cursor import Page, keyset_page
from apps.core.errors import PostNotFound
from apps.posts.models import Post, PostStatus
from apps.workspaces.access import WorkspaceAccess


def post_list_page(
    *,
    access: WorkspaceAccess,
    limit: int,
    cursor: str | None = None,
    account_id: uuid.UUID | None = None,
    status: PostStatus | None = None,
) -> Page[Post]:
    """One query whatever the limit (another workspace's account_id matches nothing)."""
    queryset = Post.objects.filter(workspace_id=access.id)
    if account_id:
        queryset = queryset.filter(account_id=account_id)
    if status:
        queryset = queryset.filter(status=status)
    return keyset_page(
        queryset,
        limit=limit,
        cursor=cursor,
        owner=access.owner,
        listing="posts",
        filters={"account_id": str(account_id or ""), "status": status or ""},
    )


def post_get(*, workspace_id: uuid.UUID, post_id: uuid.UUID) -> Post:
    post = Post.objects.filter(workspace_id=workspace_id, pk=post_id).first()
    if post is None:
        raise PostNotFound
    return post
