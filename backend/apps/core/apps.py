from django.apps import AppConfig
from django.conf import settings
from django.db.models.signals import post_delete, post_save


class CoreConfig(AppConfig):
    name = "apps.core"

    def ready(self) -> None:
        from apps.core.tracing import tracing_start
        from apps.core.user_cache import user_changed

        # Here, before any middleware is loaded: Django's instrumentation adds its own.
        tracing_start()

        for signal in (post_save, post_delete):
            signal.connect(user_changed, sender=settings.AUTH_USER_MODEL, dispatch_uid=signal)
