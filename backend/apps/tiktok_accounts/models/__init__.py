from apps.tiktok_accounts.models.tiktok_account_model import AccountStatus, TikTokAccount

__all__ = ["AccountStatus", "TikTokAccount"]
