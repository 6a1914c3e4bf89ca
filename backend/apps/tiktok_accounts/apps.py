from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class TikTokAccountsConfig(AppConfig):
    name = "apps.tiktok_accounts"
    verbose_name = "TikTok accounts"

    def ready(self) -> None:
        from apps.tiktok_accounts.models import TikTokAccount
        from apps.tiktok_accounts.models.stale_reads import account_row_written
        from apps.tiktok_accounts.webhook_handlers import (
            AUTHORIZATION_REMOVED,
            authorization_removed,
        )
        from apps.webhooks.registry import webhook_handler_register

        for signal in (post_save, post_delete):
            signal.connect(account_row_written, sender=TikTokAccount, dispatch_uid=signal)
        webhook_handler_register(AUTHORIZATION_REMOVED, handler=authorization_removed)
