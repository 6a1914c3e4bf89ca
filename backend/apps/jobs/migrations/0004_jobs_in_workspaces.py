"""Jobs belong to workspaces: each user's jobs move into their personal workspace.

Forward: `workspace` is filled from the user's personal workspace (workspaces 0002) in one
UPDATE. Reverse: `workspace` goes; a row with no user (the service's own, written since) gets
its workspace's first owner.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce


def fill_workspace(apps, schema_editor):
    Workspace = apps.get_model("workspaces", "Workspace")
    personal = Workspace.objects.filter(personal_for_id=OuterRef("user_id")).values("id")[:1]
    apps.get_model("jobs", "Job")._base_manager.update(workspace_id=Subquery(personal))


def fill_user(apps, schema_editor):
    Membership = apps.get_model("workspaces", "Membership")
    owner = (
        Membership.objects.filter(workspace_id=OuterRef("workspace_id"), role="owner")
        .order_by("joined_at", "id")
        .values("user_id")[:1]
    )
    rows = apps.get_model("jobs", "Job")._base_manager
    rows.filter(user_id__isnull=True).update(user_id=Coalesce("user_id", Subquery(owner)))


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
        migrations.RunPython(fill_workspace, fill_user),
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
