"""Ops view of connected TikTok accounts: read-only data, two actions that go through services.

Ops never edit TikTok data by hand and never see a token: the change page is read-only, the
fields are an explicit allow-list with the token columns excluded on top, the queryset never
loads the token columns, and no changelist lookup may touch them (a `?access_token__gt=...`
probe would otherwise let a staff user bisect the ciphertext).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import timedelta
from typing import Any

from django.contrib import admin, messages
from django.contrib.auth import get_permission_codename
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from apps.audit.services import RequestMeta
from apps.core.admin import ViewOnlyAdmin
from apps.history.chart import followers_chart, period_figures_table
from apps.history.period import history_period
from apps.history.selectors import Bucket, followers_change, history_points
from apps.tiktok_accounts.models import TikTokAccount
from apps.tiktok_accounts.services import account_batch_sync, account_restore

# Secrets and refresh machinery: never shown, never loaded, never filterable in the admin.
HIDDEN_FIELDS = (
    "access_token",
    "refresh_token",
    "token_version",
    "refresh_lock_until",
    "sync_lease_until",
)
CHART_DAYS = 90
CHANGE_DAYS = 7


@admin.register(TikTokAccount)
class TikTokAccountAdmin(ViewOnlyAdmin):
    """Accounts are created only by the OAuth connect flow and deleted only through the API's
    soft delete, which revokes the token at TikTok first."""

    list_display = (
        "username",
        "workspace",
        "display_name",
        "status",
        "follower_count",
        "followers_change",
        "likes_count",
        "video_count",
        "last_synced_at",
        "is_deleted",
    )
    list_display_links = ("username",)
    list_select_related = ("workspace",)
    list_filter = ("status", "is_deleted", "is_verified")
    search_fields = (
        "username",
        "display_name",
        "open_id",
        "workspace__name",
        "workspace__memberships__user__username",
        "workspace__memberships__user__email",
    )
    search_help_text = (
        "Username, display name, open_id, the workspace's name, or a member's username or email."
    )
    fieldsets = (
        (None, {"fields": ("id", "workspace", "status", "audit_entries", "videos")}),
        (
            "TikTok profile",
            {
                "fields": (
                    "open_id",
                    "union_id",
                    "username",
                    "display_name",
                    "bio_description",
                    "profile_deep_link",
                    "avatar_url",
                    "is_verified",
                )
            },
        ),
        (
            "Statistics",
            {
                "fields": (
                    "follower_count",
                    "following_count",
                    "likes_count",
                    "video_count",
                    ("followers_chart", "period_figures"),  # one line: side by side
                )
            },
        ),
        (
            "Grant and sync",
            {
                "fields": (
                    "scopes",
                    "connected_at",
                    "access_token_expires_at",
                    "refresh_token_expires_at",
                    "last_synced_at",
                    "last_sync_error",
                )
            },
        ),
        ("Lifecycle", {"fields": ("created_at", "updated_at", "is_deleted", "deleted_at")}),
    )
    # Belt and braces: should editing ever be switched on, no ModelForm the admin builds may
    # carry a token column (test_admin catches a token added to the read-only display).
    exclude = HIDDEN_FIELDS
    readonly_fields = tuple(
        name
        for _, options in fieldsets
        for line in options["fields"]
        for name in (line if isinstance(line, tuple) else (line,))
    )
    actions = ("sync_selected", "restore_selected")

    def get_queryset(self, request: HttpRequest) -> QuerySet[TikTokAccount]:
        """Every row, soft-deleted included (ops restore those), without the token columns."""
        return (
            TikTokAccount.all_objects.defer(*HIDDEN_FIELDS)
            .select_related("workspace")
            .annotate(followers_7d=followers_change(days=CHANGE_DAYS, now=timezone.now()))
        )

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest | None = None) -> bool:
        if lookup.split("__", 1)[0] in HIDDEN_FIELDS:
            return False
        return super().lookup_allowed(lookup, value, request)

    def _may_operate(self, request: HttpRequest) -> bool:
        """Actions change accounts, so they need Django's change permission on the model."""
        codename = get_permission_codename("change", self.opts)
        return request.user.has_perm(f"{self.opts.app_label}.{codename}")

    def has_sync_permission(self, request: HttpRequest) -> bool:
        return self._may_operate(request)

    def has_restore_permission(self, request: HttpRequest) -> bool:
        return self._may_operate(request)

    @admin.display(description=f"followers, {CHANGE_DAYS} days", ordering="followers_7d")
    def followers_change(self, account: TikTokAccount) -> str:
        change = account.followers_7d  # type: ignore[attr-defined]
        return "—" if change is None else f"{change:+,}"

    @admin.display(description=f"followers, last {CHART_DAYS} days")
    def followers_chart(self, account: TikTokAccount) -> SafeString:
        until = timezone.now()
        since = until - timedelta(days=CHART_DAYS)
        points = history_points(account_id=account.pk, since=since, until=until, bucket=Bucket.DAY)
        return followers_chart(list(points), since=since, until=until)

    @admin.display(description=f"last {CHART_DAYS} days")
    def period_figures(self, account: TikTokAccount) -> SafeString:
        """Beside the chart (one fieldset line): the figures the analytics route gives."""
        since = timezone.now() - timedelta(days=CHART_DAYS)
        return period_figures_table(history_period(account_id=account.pk, since=since))

    @admin.display(description="audit log")
    def audit_entries(self, account: TikTokAccount) -> SafeString:
        url = reverse("admin:audit_auditlog_changelist")
        return format_html('<a href="{}?resource_id={}">Audit entries</a>', url, account.pk)

    @admin.display(description="videos")
    def videos(self, account: TikTokAccount) -> SafeString:
        url = reverse("admin:videos_tiktokvideo_changelist")
        return format_html('<a href="{}?account__id__exact={}">Videos</a>', url, account.pk)

    @admin.action(description="Sync selected accounts", permissions=["sync"])
    def sync_selected(self, request: HttpRequest, queryset: QuerySet[TikTokAccount]) -> None:
        """One batch sync per workspace: the service syncs (and audits) one workspace's accounts."""
        ids_by_workspace: dict[Any, list[uuid.UUID]] = defaultdict(list)
        skipped = 0
        for account in queryset.only("id", "is_deleted", "workspace_id"):
            if account.is_deleted:
                skipped += 1
                continue
            ids_by_workspace[account.workspace_id].append(account.id)
        meta = RequestMeta.from_request(request)
        succeeded = failed = 0
        for workspace_id, ids in ids_by_workspace.items():
            done, failures = account_batch_sync(
                workspace_id=workspace_id, account_ids=ids, meta=meta
            )
            succeeded, failed = succeeded + len(done), failed + len(failures)
        level = messages.WARNING if failed or skipped else messages.SUCCESS
        self.message_user(
            request,
            f"Synced {succeeded} account(s); {failed} failed; "
            f"{skipped} deleted account(s) skipped.",
            level,
        )

    @admin.action(description="Restore selected accounts", permissions=["restore"])
    def restore_selected(self, request: HttpRequest, queryset: QuerySet[TikTokAccount]) -> None:
        """Live rows and rows whose TikTok user was reconnected since are skipped."""
        meta = RequestMeta.from_request(request)
        actor = request.user.get_username()
        restored = skipped = 0
        for account in queryset:
            if account.is_deleted and account_restore(account=account, meta=meta, actor=actor):
                restored += 1
            else:
                skipped += 1
        level = messages.WARNING if skipped else messages.SUCCESS
        self.message_user(
            request,
            f"Restored {restored} account(s); {skipped} skipped (not deleted, or the same "
            "TikTok user is connected again).",
            level,
        )
