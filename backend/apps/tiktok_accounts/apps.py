from django.apps import AppConfig


class TikTokAccountsConfig(AppConfig):
    name = "apps.tiktok_accounts"
    verbose_name = "TikTok accounts"
