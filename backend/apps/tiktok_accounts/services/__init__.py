"""Writes on TikTok accounts: connect, token refresh, sync (single and batch), delete, restore.

One module per concern; this package exports the write API that routers, the admin and the
demo seeder call (`services.account_sync(...)`). Pieces other apps build on (the refresh lease,
the sync's fetch and store, the error mapping) are imported from their own modules.
"""

from apps.tiktok_accounts.services.connect import account_connect_complete, account_connect_start
from apps.tiktok_accounts.services.delete import account_delete, account_restore
from apps.tiktok_accounts.services.sync import BatchFailure, account_batch_sync, account_sync
from apps.tiktok_accounts.services.tokens import account_refresh_token

__all__ = [
    "BatchFailure",
    "account_batch_sync",
    "account_connect_complete",
    "account_connect_start",
    "account_delete",
    "account_refresh_token",
    "account_restore",
    "account_sync",
]
