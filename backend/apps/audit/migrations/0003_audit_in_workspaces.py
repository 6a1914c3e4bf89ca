"""Audit entries belong to workspaces; `user` is now the acting user (None: the service).

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
        ("audit", "0002_audit_actions"),
        ("workspaces", "0002_personal_workspaces"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="auditlog",
            name="workspace",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="audit_logs",
                to="workspaces.workspace",
            ),
        ),
        migrations.AlterField(
            model_name="auditlog",
            name="user",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="audit_logs",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RemoveIndex(model_name="auditlog", name="audit_user_created_idx"),
        migrations.RemoveIndex(model_name="auditlog", name="audit_user_resource_idx"),
        _personal.move_into_personal("audit", "AuditLog"),
        migrations.AddIndex(
            model_name="auditlog",
            index=models.Index(
                fields=["workspace", "-created_at", "-id"],
                name="audit_ws_created_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="auditlog",
            index=models.Index(
                fields=["workspace", "resource_id", "-created_at", "-id"],
                name="audit_ws_resource_idx",
            ),
        ),
    ]
