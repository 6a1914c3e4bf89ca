"""Posts belong to workspaces: each user's posts move into their personal workspace.

Forward: `workspace` is filled from the user's personal workspace (workspaces 0002) in one
UPDATE. Reverse: `workspace` goes; a row with no user (the service's own, written since) gets
its workspace's first owner.
"""

import importlib

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

_personal = importlib.import_module("apps.workspaces.migrations.0002_personal_workspaces")


class Migration(migrations.Migration):
    dependencies = [
        ("posts", "0002_post_sent_at"),
        ("workspaces", "0002_personal_workspaces"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="post",
            name="workspace",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="posts",
                to="workspaces.workspace",
                db_index=False,
            ),
        ),
        migrations.RemoveConstraint(model_name="post", name="post_unique_idempotency_key"),
        migrations.RemoveIndex(model_name="post", name="post_user_created"),
        migrations.RemoveIndex(model_name="post", name="post_user_status"),
        _personal.move_into_personal("posts", "Post"),
        migrations.AlterField(
            model_name="post",
            name="workspace",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="posts",
                to="workspaces.workspace",
                db_index=False,
            ),
        ),
        migrations.AddConstraint(
            model_name="post",
            constraint=models.UniqueConstraint(
                fields=["workspace", "user", "idempotency_key"],
                condition=models.Q(idempotency_key__isnull=False),
                name="post_unique_ws_idempotency_key",
            ),
        ),
        migrations.AddIndex(
            model_name="post",
            index=models.Index(
                fields=["workspace", "-created_at", "-id"],
                name="post_ws_created",
            ),
        ),
        migrations.AddIndex(
            model_name="post",
            index=models.Index(
                fields=["workspace", "status", "-created_at", "-id"],
                name="post_ws_status",
            ),
        ),
    ]
