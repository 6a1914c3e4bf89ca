from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class ApiKeysConfig(AppConfig):
    name = "apps.api_keys"

    def ready(self) -> None:
        from apps.api_keys.access import api_key_changed
        from apps.api_keys.models import ApiKey

        for signal in (post_save, post_delete):
            signal.connect(api_key_changed, sender=ApiKey, dispatch_uid=signal)
