"""A personal workspace, owned by them, for every user that existed before workspaces.

Ids as apps.workspaces.personal derives them (a migration may not import app code that can
change later, so the derivation is repeated here, frozen). Reverse: the personal workspaces
go (the accounts' migration moves their rows back to users first).
"""

import uuid

from django.conf import settings
from django.db import migrations

_NAMESPACE = uuid.UUID("5c1b7a3e-2f0d-4c55-9a7e-8d2f4b6c9e10")


def create_personal(apps, schema_editor):
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    Workspace = apps.get_model("workspaces", "Workspace")
    Membership = apps.get_model("workspaces", "Membership")
    have = set(Workspace.objects.filter(personal_for__isnull=False).values_list("personal_for", flat=True))
    users = list(User.objects.exclude(pk__in=have).values_list("pk", "date_joined"))
    Workspace.objects.bulk_create(
        [
            Workspace(
                id=uuid.uuid5(_NAMESPACE, f"personal:{pk}"),
                name="Personal",
                personal_for_id=pk,
                created_at=joined,
            )
            for pk, joined in users
        ],
        batch_size=1000,
    )
    Membership.objects.bulk_create(
        [
            Membership(
                workspace_id=uuid.uuid5(_NAMESPACE, f"personal:{pk}"),
                user_id=pk,
                role="owner",
                joined_at=joined,
            )
            for pk, joined in users
        ],
        batch_size=1000,
    )


def delete_personal(apps, schema_editor):
    apps.get_model("workspaces", "Workspace").objects.filter(personal_for__isnull=False).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("workspaces", "0001_workspaces"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.RunPython(create_personal, delete_personal)]
