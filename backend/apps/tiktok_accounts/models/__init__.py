from apps.tiktok_accounts.models.account import AccountStatus, TikTokAccount
from apps.tiktok_accounts.models.live_count import LiveAccountCount

__all__ = ["AccountStatus", "LiveAccountCount", "TikTokAccount"]
