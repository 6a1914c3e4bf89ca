from apps.tiktok_accounts.models.live_count_model import LiveAccountCount
from apps.tiktok_accounts.models.tiktok_account_model import AccountStatus, TikTokAccount

__all__ = ["AccountStatus", "LiveAccountCount", "TikTokAccount"]
