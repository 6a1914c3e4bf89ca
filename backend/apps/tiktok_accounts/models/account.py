"""A TikTok account connected in a workspace: its profile, statistics and OAuth grant."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any, ClassVar

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from apps.core.fields import EncryptedTokenField
from apps.tiktok_accounts.models.stale_reads import AccountManager
from apps.tiktok_accounts.models.status_events import (
    ACCOUNT_OUT_FIELDS,
    status_changes_emit,
    statuses_locked,
    writes_status,
)

# The fields a sync copies from TikTok's user info and audits. (`union_id`, like `open_id`,
# identifies the TikTok user and is set once, at connect.)
PROFILE_FIELDS = (
    "username",
    "display_name",
    "avatar_url",
    "avatar_url_100",
    "avatar_large_url",
    "bio_description",
    "profile_deep_link",
    "is_verified",
    "follower_count",
    "following_count",
    "likes_count",
    "video_count",
)


class AccountStatus(models.TextChoices):
    ACTIVE = "active"
    TOKEN_EXPIRED = "token_expired"  # noqa: S105 (a status, not a secret)
    REVOKED = "revoked"
    ERROR = "error"


class LiveAccountManager(AccountManager):
    """Hides soft-deleted accounts: the default everywhere a user can see."""

    def get_queryset(self) -> models.QuerySet[TikTokAccount]:
        return super().get_queryset().filter(is_deleted=False)


def token_refresh_horizon(ahead_seconds: int | None = None) -> datetime:
    """Access tokens expiring by then are due for a refresh; later ones are never refreshed.

    One margin, TOKEN_REFRESH_AHEAD_SECONDS, for syncs, content calls and the background
    refresher alike: TikTok rotates refresh tokens, and each needless rotation risks the grant.
    """
    ahead = settings.TOKEN_REFRESH_AHEAD_SECONDS if ahead_seconds is None else ahead_seconds
    return timezone.now() + timedelta(seconds=ahead)


def search_key(username: str, display_name: str) -> str:
    """Case-folded text the list searches, identical on SQLite and PostgreSQL for any script."""
    return f"{username}\n{display_name}".casefold()


class TikTokAccount(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # No index of its own: the composite indexes below start with `workspace`.
    workspace = models.ForeignKey(
        "workspaces.Workspace",
        on_delete=models.CASCADE,
        related_name="tiktok_accounts",
        db_index=False,
    )
    open_id = models.CharField(max_length=128)
    union_id = models.CharField(max_length=128, blank=True, default="")
    username = models.CharField(max_length=128, blank=True, default="")
    display_name = models.CharField(max_length=255, blank=True, default="")
    avatar_url = models.URLField(max_length=2048, blank=True, default="")
    avatar_url_100 = models.URLField(max_length=2048, blank=True, default="")
    avatar_large_url = models.URLField(max_length=2048, blank=True, default="")
    bio_description = models.TextField(blank=True, default="")
    profile_deep_link = models.URLField(max_length=2048, blank=True, default="")
    is_verified = models.BooleanField(default=False)
    follower_count = models.BigIntegerField(default=0)
    following_count = models.BigIntegerField(default=0)
    likes_count = models.BigIntegerField(default=0)
    video_count = models.BigIntegerField(default=0)
    search_text = models.TextField(blank=True, default="", editable=False)

    scopes = models.JSONField(default=list, blank=True)
    status = models.CharField(
        max_length=16, choices=AccountStatus.choices, default=AccountStatus.ACTIVE
    )
    access_token = EncryptedTokenField()
    refresh_token = EncryptedTokenField()
    access_token_expires_at = models.DateTimeField()
    refresh_token_expires_at = models.DateTimeField()
    # Bumped on every token write: lets a waiting worker see that another one refreshed.
    token_version = models.PositiveIntegerField(default=0)
    # While set in the future, one worker holds the right to refresh this account's token.
    refresh_lock_until = models.DateTimeField(null=True, blank=True)
    # While set in the future, one run of the scheduled sync holds this account (apps.scheduling).
    sync_lease_until = models.DateTimeField(null=True, blank=True)

    last_synced_at = models.DateTimeField(null=True, blank=True)
    # NULL, not "": the API promises `null` when the last sync succeeded.
    last_sync_error = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    created_at = models.DateTimeField(default=timezone.now, db_index=False)
    # The latest connect or reconnect: a TikTok webhook about an older grant must not touch it.
    connected_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    is_deleted = models.BooleanField(default=False)
    deleted_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[LiveAccountManager] = LiveAccountManager()
    # Both managers write through AccountQuerySet: every write makes cached reads stale.
    all_objects: ClassVar[AccountManager] = AccountManager()

    class Meta:
        base_manager_name = "all_objects"
        verbose_name = "TikTok account"
        verbose_name_plural = "TikTok accounts"
        ordering = ("-created_at", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "open_id"],
                condition=models.Q(is_deleted=False),
                name="tta_unique_live_open_id_per_ws",
            ),
        ]
        indexes = [
            # From the review: "this workspace's accounts in a status, newest first".
            models.Index(
                fields=["workspace", "status", "-created_at"], name="tta_ws_status_created"
            ),
            # The list's keyset order over live rows.
            models.Index(
                fields=["workspace", "-created_at", "-id"],
                condition=models.Q(is_deleted=False),
                name="tta_live_ws_created_id",
            ),
            # A COUNT of a workspace's live rows (the list's `total` under a filter; unfiltered
            # it is LiveAccountCount) from an index a seventh the size of the one above:
            # 1.2 -> 0.9 ms for 10,000 rows.
            models.Index(
                fields=["workspace"], condition=models.Q(is_deleted=False), name="tta_live_ws_count"
            ),
            # The periodic scans (apps.scheduling), read in keyset batches (apps.core.scan):
            # tokens to refresh, accounts not synced lately. Only live active rows are scanned.
            models.Index(
                fields=["access_token_expires_at", "id"],
                condition=models.Q(status=AccountStatus.ACTIVE, is_deleted=False),
                name="tta_scan_token_expiry",
            ),
            models.Index(
                fields=["last_synced_at", "id"],
                condition=models.Q(status=AccountStatus.ACTIVE, is_deleted=False),
                name="tta_scan_last_synced",
            ),
            # tta_accounts{status} of /metrics: live rows of one status over every workspace,
            # counted from this index alone (apps/core/counting.py).
            models.Index(
                fields=["status"], condition=models.Q(is_deleted=False), name="tta_live_status"
            ),
        ]

    def __str__(self) -> str:
        return f"@{self.username or self.open_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """A save of an existing row's status emits its change (models.status_events)."""
        if self._state.adding or not writes_status(kwargs.get("update_fields")):
            super().save(*args, **kwargs)
            return
        with transaction.atomic():
            before = statuses_locked(TikTokAccount.all_objects.filter(pk=self.pk))
            super().save(*args, **kwargs)
            fields = kwargs.get("update_fields") or ACCOUNT_OUT_FIELDS
            written = {name: getattr(self, name) for name in ACCOUNT_OUT_FIELDS if name in fields}
            status_changes_emit(TikTokAccount, before, written=written)

    def set_profile(self, values: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """Copies profile fields; returns `{"before": ..., "after": ...}` of those that changed
        (both `{}` when none did: the audit's `changes` always has that shape)."""
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        for name in PROFILE_FIELDS:
            if name in values and getattr(self, name) != values[name]:
                before[name], after[name] = getattr(self, name), values[name]
                setattr(self, name, values[name])
        self.search_text = search_key(self.username, self.display_name)
        return {"before": before, "after": after}

    def set_tokens(
        self, *, access_token: str, refresh_token: str, expires_in: int, refresh_expires_in: int
    ) -> None:
        """Stores a grant TikTok just issued; an empty token is refused, never stored."""
        if not access_token or not refresh_token:
            raise ValueError("TikTok issued an empty token; refusing to store it.")
        now = timezone.now()
        self.access_token = access_token
        self.refresh_token = refresh_token
        self.access_token_expires_at = now + timedelta(seconds=expires_in)
        self.refresh_token_expires_at = now + timedelta(seconds=refresh_expires_in)
        self.token_version += 1
        self.refresh_lock_until = None

    def access_token_expiring(self) -> bool:
        """Due for a refresh before the next call: the one margin every caller uses."""
        return self.access_token_expires_at <= token_refresh_horizon()
