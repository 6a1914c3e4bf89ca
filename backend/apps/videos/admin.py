"""Ops view of synced videos; an account's change page links to its own list."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from apps.core.admin import ViewOnlyAdmin
from apps.videos.models import TikTokVideo

ACCOUNT_LOOKUP = "account__id__exact"


@admin.register(TikTokVideo)
class TikTokVideoAdmin(ViewOnlyAdmin):
    list_display = ("video_id", "title", "account", "create_time", "view_count", "like_count")
    search_fields = ("video_id", "title", "account__username")
    search_help_text = "TikTok video id, title, or the account's username."
    date_hierarchy = "create_time"
    fields = (
        "id",
        "account",
        "video_id",
        "title",
        "video_description",
        "duration",
        "create_time",
        "view_count",
        "like_count",
        "comment_count",
        "share_count",
        "share_url",
        "embed_link",
        "cover_image_url",
        "synced_at",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[TikTokVideo]:
        # The account's display needs its username only: never load its token columns.
        return (
            super()
            .get_queryset(request)
            .select_related("account")
            .defer("account__access_token", "account__refresh_token")
        )

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest | None = None) -> bool:
        """The account page's "Videos" link filters by account id."""
        return lookup == ACCOUNT_LOOKUP or super().lookup_allowed(lookup, value, request)
