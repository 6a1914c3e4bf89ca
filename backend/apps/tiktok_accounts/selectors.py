"""Reads on TikTok accounts: one account, the per-workspace summary (the list page: list_page)."""

from __future__ import annotations

import uuid
from functools import cache

from django.db import connection

from apps.core.errors import AccountNotFound
from apps.core.raw_sql import quoted_names
from apps.tiktok_accounts.list_page import live_count_sql
from apps.tiktok_accounts.models import AccountTotalsPart, TikTokAccount
from apps.tiktok_accounts.models.totals import SUMMED

SUMMARY_KEYS = (
    "total_accounts",
    "active_accounts",
    "total_followers",
    "total_videos",
    "total_likes",
)


def account_get(*, workspace_id: uuid.UUID, account_id: uuid.UUID) -> TikTokAccount:
    """The workspace's live account, or ACCOUNT_NOT_FOUND (never saying whose or whether
    deleted)."""
    account = TikTokAccount.objects.filter(workspace_id=workspace_id, id=account_id).first()
    if account is None:
        raise AccountNotFound
    return account


@cache
def _summary_sql(vendor: str) -> str:
    """The summary's statement, quoted names from the models' metadata (as list_page's)."""
    del vendor  # only the cache key
    parts, col = quoted_names(AccountTotalsPart)
    sums = ", ".join(f"COALESCE(SUM({col[name]}), 0)" for name in SUMMED)
    return (
        f"SELECT ({live_count_sql()}), {sums} "  # noqa: S608 (no value inlined)
        f"FROM {parts} WHERE {col['workspace']} = %s"
    )


def account_summary(*, workspace_id: uuid.UUID) -> dict[str, int]:
    """Totals over the workspace's live accounts, in one statement that reads no account (the
    route caches it): the count from LiveAccountCount, as the list's total; the rest the sums
    of the workspace's AccountTotalsParts (a few rows: one after each compaction). Both are
    kept by triggers in the writing transaction, so they are what an aggregate over the live
    rows would answer."""
    workspace = AccountTotalsPart._meta.get_field("workspace")
    param = workspace.get_db_prep_value(workspace_id, connection)
    with connection.cursor() as cursor:
        cursor.execute(_summary_sql(connection.vendor), [param, param])
        row = cursor.fetchone()
    # int(): PostgreSQL's SUM of a bigint is a numeric (a Decimal).
    return dict(zip(SUMMARY_KEYS, (int(value) for value in row), strict=True))
