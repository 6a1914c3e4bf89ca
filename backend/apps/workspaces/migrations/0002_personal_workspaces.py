"""A personal workspace, owned by them, for every user that existed before workspaces.

Ids as apps.workspaces.personal derives them (a migration may not import app code that can
change later, so the derivation is repeated here, frozen). Reverse: the personal workspaces
go (the accounts' migration moves their rows back to users first).
"""

import uuid

from django.conf import settings
from django.db import migrations
from django.db.models import OuterRef, Subquery

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


def move_into_personal(app_label, model_name, *, user_back=True):
    """The RunPython of the migrations that move an app's rows into workspaces.

    Forward: `workspace` from the row's user's personal workspace, one UPDATE. Backward (when
    `user_back`): a row with no user (written since by the service) gets its workspace's first
    owner, so `user` can be NOT NULL again.
    """

    def forward(apps, schema_editor):
        personal = apps.get_model("workspaces", "Workspace").objects.filter(
            personal_for_id=OuterRef("user_id")
        )
        rows = apps.get_model(app_label, model_name)._base_manager
        rows.update(workspace_id=Subquery(personal.values("id")[:1]))

    def backward(apps, schema_editor):
        rows = apps.get_model(app_label, model_name)._base_manager
        rows.filter(user_id__isnull=True).update(user_id=Subquery(first_owner(apps)))

    return migrations.RunPython(forward, backward if user_back else migrations.RunPython.noop)


def first_owner(apps):
    """The user id of the first owner of the row's workspace (a subquery)."""
    owners = apps.get_model("workspaces", "Membership").objects.filter(
        workspace_id=OuterRef("workspace_id"), role="owner"
    )
    return owners.order_by("joined_at", "id").values("user_id")[:1]


class Migration(migrations.Migration):
    dependencies = [
        ("workspaces", "0001_workspaces"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.RunPython(create_personal, delete_personal)]
