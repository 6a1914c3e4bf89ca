"""Ops view of posts: read-only (they change only through the API and the publisher)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from apps.core.admin import ViewOnlyAdmin
from apps.posts.models import Post


@admin.register(Post)
class PostAdmin(ViewOnlyAdmin):
    list_display = (
        "created_at",
        "title",
        "user",
        "account",
        "status",
        "tiktok_status",
        "scheduled_at",
        "publish_id",
        "fail_reason",
    )
    list_filter = ("status", "tiktok_status", "privacy_level")
    search_fields = ("title", "publish_id", "user__username", "account__username")
    search_help_text = "Title, TikTok publish_id, owner's username or the account's username."
    date_hierarchy = "created_at"
    fields = (
        "id",
        "user",
        "account",
        "status",
        "title",
        "privacy_level",
        "video_url",
        "disable_comment",
        "disable_duet",
        "disable_stitch",
        "scheduled_at",
        "publish_id",
        "tiktok_status",
        "fail_reason",
        "published_video_id",
        "send_started_at",
        "send_attempts",
        "polls",
        "next_poll_at",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Post]:
        return (
            super()
            .get_queryset(request)
            .select_related("user", "account")
            .defer("account__access_token", "account__refresh_token")
        )
