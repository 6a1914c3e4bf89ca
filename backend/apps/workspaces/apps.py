from django.apps import AppConfig
from django.conf import settings
from django.db.models.signals import post_delete, post_save


class WorkspacesConfig(AppConfig):
    name = "apps.workspaces"

    def ready(self) -> None:
        from apps.workspaces.access import membership_changed
        from apps.workspaces.models import Membership
        from apps.workspaces.personal import user_saved

        for signal in (post_save, post_delete):
            signal.connect(membership_changed, sender=Membership, dispatch_uid=signal)
        post_save.connect(user_saved, sender=settings.AUTH_USER_MODEL, dispatch_uid="personal")
