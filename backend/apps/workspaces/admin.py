"""Ops view of workspaces with their members and roles, and of invitations (no token hash).

Read-only: memberships and invitations change through the API's services, which keep the
last owner, audit every change and mark cached roles stale.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from apps.core.admin import ViewOnlyAdmin
from apps.workspaces.models import Invitation, Membership, Workspace

# The admin lists that can be filtered by workspace, and their links' labels.
HOLDINGS = (
    ("tiktok_accounts_tiktokaccount_changelist", "TikTok accounts"),
    ("posts_post_changelist", "Posts"),
    ("jobs_job_changelist", "Jobs"),
    ("audit_auditlog_changelist", "Audit log"),
)


class PersonalFilter(admin.SimpleListFilter):
    title = "kind"
    parameter_name = "personal"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Personal"), ("no", "Team")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Workspace]) -> QuerySet[Workspace]:
        if self.value() in ("yes", "no"):
            return queryset.filter(personal_for__isnull=self.value() == "no")
        return queryset


class MembershipInline(admin.TabularInline):
    model = Membership
    fields = ("user", "role", "joined_at")
    readonly_fields = fields
    ordering = ("joined_at", "id")
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Membership]:
        return super().get_queryset(request).select_related("user")


@admin.register(Workspace)
class WorkspaceAdmin(ViewOnlyAdmin):
    list_display = ("name", "personal", "members", "personal_for", "created_at")
    list_select_related = ("personal_for",)
    list_filter = (PersonalFilter,)
    search_fields = ("name",)
    search_help_text = "The workspace's name."
    date_hierarchy = "created_at"
    fields = ("id", "name", "personal_for", "post_approval_required", "created_at", "holdings")
    readonly_fields = fields
    inlines = (MembershipInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Workspace]:
        return super().get_queryset(request).annotate(member_total=Count("memberships"))

    @admin.display(boolean=True)
    def personal(self, workspace: Workspace) -> bool:
        return workspace.personal

    @admin.display(ordering="member_total")
    def members(self, workspace: Workspace) -> int:
        return workspace.member_total  # type: ignore[attr-defined]

    @admin.display(description="holds")
    def holdings(self, workspace: Workspace) -> SafeString:
        """Links to what the workspace holds, each list filtered by it."""
        return format_html_join(
            " · ",
            '<a href="{}?workspace__id__exact={}">{}</a>',
            (
                (reverse(f"admin:{changelist}"), workspace.pk, label)
                for changelist, label in HOLDINGS
            ),
        )


@admin.register(Invitation)
class InvitationAdmin(ViewOnlyAdmin):
    # No token_hash anywhere: it is what a token is checked against.
    list_display = ("workspace", "role", "created_by", "created_at", "expires_at", "used_at")
    list_select_related = ("workspace", "created_by")
    list_filter = ("role",)
    search_fields = ("workspace__name",)
    search_help_text = "The workspace's name."
    fields = (
        "id",
        "workspace",
        "role",
        "created_by",
        "created_at",
        "expires_at",
        "used_at",
        "used_by",
        "revoked_at",
    )
    readonly_fields = fields
