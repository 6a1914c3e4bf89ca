"""Jobs belong to workspaces: each user's jobs move into their personal workspace.

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
        ("jobs", "0003_periodic_claim_to_scheduling"),
        ("workspaces", "0002_personal_workspaces"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="job",
            name="workspace",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="jobs",
                to="workspaces.workspace",
                db_index=False,
            ),
        ),
        migrations.AlterField(
            model_name="job",
            name="user",
            field=models.ForeignKey(
                
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="jobs",
                to=settings.AUTH_USER_MODEL,
                db_index=False,
            ),
        ),
        migrations.RemoveConstraint(model_name="job", name="jobs_one_active_per_user_kind"),
        migrations.RemoveIndex(model_name="job", name="jobs_user_created_id"),
        _personal.move_into_personal("jobs", "Job"),
        migrations.AlterField(
            model_name="job",
            name="workspace",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="jobs",
                to="workspaces.workspace",
                db_index=False,
            ),
        ),
        migrations.AddConstraint(
            model_name="job",
            constraint=models.UniqueConstraint(
                fields=["workspace", "kind"],
                condition=models.Q(status__in=["queued", "running"]),
                name="jobs_one_active_per_ws_kind",
            ),
        ),
        migrations.AddIndex(
            model_name="job",
            index=models.Index(
                fields=["workspace", "-created_at", "-id"],
                name="jobs_ws_created_id",
            ),
        ),
    ]
