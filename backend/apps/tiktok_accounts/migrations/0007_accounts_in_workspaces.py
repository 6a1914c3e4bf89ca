"""Accounts belong to workspaces: each user's accounts move into their personal workspace.

Forward: `workspace` is added and filled from the owner's personal workspace (made by
workspaces 0002) in one UPDATE, then `user` goes; the live-account counts are kept per
workspace (LiveAccountCount and the triggers of 0005, with `workspace_id` for `user_id`).
Reverse: each account goes back to its workspace's first owner (for a personal workspace, its
user). A TikTok user connected live in two workspaces of one owner cannot be two live accounts
of one user: the older is soft-deleted, as a reconnect would have left it.
The live-count triggers are dropped first and created last: SQLite's schema editor rebuilds
the table to alter it, which would drop them anyway.
"""

import importlib

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import Count, Subquery
from django.utils import timezone

_0005 = importlib.import_module("apps.tiktok_accounts.migrations.0005_live_account_count")
_personal = importlib.import_module("apps.workspaces.migrations.0002_personal_workspaces")


def _per_workspace(statements):
    return [statement.replace("user_id", "workspace_id") for statement in statements]


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = _0005.POSTGRESQL if vendor == "postgresql" else _0005.SQLITE
    _0005._run(schema_editor, _per_workspace([*statements, _0005.FILL]))


def fill_user(apps, schema_editor):
    accounts = apps.get_model("tiktok_accounts", "TikTokAccount")._base_manager
    accounts.update(user_id=Subquery(_personal.first_owner(apps)))
    twice = (
        accounts.filter(is_deleted=False)
        .values("user_id", "open_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    for pair in twice:
        live = accounts.filter(is_deleted=False, user_id=pair["user_id"], open_id=pair["open_id"])
        newest = live.order_by("-connected_at", "-id").values_list("id", flat=True).first()
        live.exclude(id=newest).update(is_deleted=True, deleted_at=timezone.now())


class Migration(migrations.Migration):
    dependencies = [
        ("tiktok_accounts", "0006_account_sync_lease"),
        ("workspaces", "0002_personal_workspaces"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(_0005.drop_triggers, _0005.create_triggers),
        migrations.DeleteModel(name="LiveAccountCount"),
        migrations.AddField(
            model_name="tiktokaccount",
            name="workspace",
            field=models.ForeignKey(
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="tiktok_accounts",
                to="workspaces.workspace",
            ),
        ),
        migrations.AlterField(
            model_name="tiktokaccount",
            name="user",
            field=models.ForeignKey(
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="tiktok_accounts",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RemoveConstraint(
            model_name="tiktokaccount", name="tta_unique_live_open_id_per_user"
        ),
        migrations.RemoveIndex(model_name="tiktokaccount", name="tta_user_status_created"),
        migrations.RemoveIndex(model_name="tiktokaccount", name="tta_live_user_created_id"),
        migrations.RemoveIndex(model_name="tiktokaccount", name="tta_live_user_count"),
        # Forward as every app's rows move; back, every account gets its user again.
        _personal.move_into_personal("tiktok_accounts", "TikTokAccount", user_back=False),
        migrations.RunPython(migrations.RunPython.noop, fill_user),
        migrations.AlterField(
            model_name="tiktokaccount",
            name="workspace",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="tiktok_accounts",
                to="workspaces.workspace",
            ),
        ),
        migrations.RemoveField(model_name="tiktokaccount", name="user"),
        migrations.AddConstraint(
            model_name="tiktokaccount",
            constraint=models.UniqueConstraint(
                condition=models.Q(is_deleted=False),
                fields=("workspace", "open_id"),
                name="tta_unique_live_open_id_per_ws",
            ),
        ),
        migrations.AddIndex(
            model_name="tiktokaccount",
            index=models.Index(
                fields=["workspace", "status", "-created_at"], name="tta_ws_status_created"
            ),
        ),
        migrations.AddIndex(
            model_name="tiktokaccount",
            index=models.Index(
                condition=models.Q(is_deleted=False),
                fields=["workspace", "-created_at", "-id"],
                name="tta_live_ws_created_id",
            ),
        ),
        migrations.AddIndex(
            model_name="tiktokaccount",
            index=models.Index(
                condition=models.Q(is_deleted=False),
                fields=["workspace"],
                name="tta_live_ws_count",
            ),
        ),
        migrations.CreateModel(
            name="LiveAccountCount",
            fields=[
                (
                    "workspace",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="workspaces.workspace",
                    ),
                ),
                ("live", models.IntegerField()),
            ],
            options={"verbose_name": "live account count"},
        ),
        migrations.RunPython(create_triggers, _0005.drop_triggers),
    ]
