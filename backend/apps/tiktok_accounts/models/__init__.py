from apps.tiktok_accounts.models.account import AccountStatus, TikTokAccount
from apps.tiktok_accounts.models.live_count import LiveAccountCount
from apps.tiktok_accounts.models.totals import AccountTotalsPart

__all__ = ["AccountStatus", "AccountTotalsPart", "LiveAccountCount", "TikTokAccount"]
