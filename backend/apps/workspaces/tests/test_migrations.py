"""The move into workspaces, on a database that holds several users' accounts, posts, jobs and
audit entries: forward, every row lands in its user's personal workspace and nothing else
changes; backward, every row is its user's again. Run on PostgreSQL in CI (and SQLite here).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from apps.workspaces.personal import personal_workspace_id

pytestmark = pytest.mark.django_db(transaction=True)

# The last migration of each app before workspaces.
BEFORE = [
    ("tiktok_accounts", "0006_account_sync_lease"),
    ("posts", "0002_post_sent_at"),
    ("jobs", "0003_periodic_claim_to_scheduling"),
    ("audit", "0002_audit_actions"),
    ("workspaces", None),
]
NODES = [node for node in BEFORE if node[1] is not None]
T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def _migrate(targets: list[tuple[str, str | None]]) -> MigrationExecutor:
    MigrationExecutor(connection).migrate(targets)
    return MigrationExecutor(connection)  # a fresh graph: the state reached


def _latest() -> MigrationExecutor:
    return _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def _seed(apps) -> dict[str, list]:
    """Three users: two accounts, a post, a job and an audit entry each (one account deleted)."""
    User = apps.get_model("auth", "User")
    Account = apps.get_model("tiktok_accounts", "TikTokAccount")
    Post = apps.get_model("posts", "Post")
    Job = apps.get_model("jobs", "Job")
    Audit = apps.get_model("audit", "AuditLog")
    seeded: dict[str, list] = {"users": [], "accounts": [], "posts": [], "jobs": [], "audit": []}
    for n in range(3):
        user = User.objects.create(username=f"before-{n}", date_joined=T0)
        seeded["users"].append(user.pk)
        for k in range(2):
            account = Account.objects.create(
                user=user,
                open_id=f"open-{n}-{k}",
                username=f"tt{n}{k}",
                access_token="",
                refresh_token="",
                access_token_expires_at=T0 + timedelta(days=1),
                refresh_token_expires_at=T0 + timedelta(days=365),
                is_deleted=k == 1,
                created_at=T0 + timedelta(minutes=n * 10 + k),
            )
            seeded["accounts"].append((account.pk, user.pk))
        post = Post.objects.create(
            user=user,
            account_id=account.pk,
            status="scheduled",
            privacy_level="SELF_ONLY",
            video_url="https://videos.example.com/a.mp4",
            due_at=T0,
            idempotency_key=f"key-{n}",
        )
        seeded["posts"].append((post.pk, user.pk))
        job = Job.objects.create(user=user, status="queued")
        seeded["jobs"].append((job.pk, user.pk))
        entry = Audit.objects.create(
            user=user, action="sync", resource_type="tiktok_account", resource_id=account.pk
        )
        seeded["audit"].append((entry.pk, user.pk))
    return seeded


def _owners(apps, model: str, field: str) -> dict[uuid.UUID, object]:
    app, name = model.split(".")
    return dict(apps.get_model(app, name)._base_manager.values_list("pk", field))


def test_the_move_into_workspaces_is_complete_and_reversible() -> None:
    seeded = _seed(_migrate(BEFORE).loader.project_state(NODES).apps)
    try:
        after = _latest().loader.project_state().apps
        Workspace = after.get_model("workspaces", "Workspace")
        Membership = after.get_model("workspaces", "Membership")
        for user_id in seeded["users"]:
            workspace = Workspace.objects.get(id=personal_workspace_id(user_id))
            assert (workspace.personal_for_id, workspace.name) == (user_id, "Personal")
            assert list(
                Membership.objects.filter(workspace=workspace).values_list("user_id", "role")
            ) == [(user_id, "owner")]
        expected = {pk: personal_workspace_id(user) for pk, user in seeded["accounts"]}
        assert _owners(after, "tiktok_accounts.TikTokAccount", "workspace_id") == expected
        for kind, model in (("posts", "posts.Post"), ("jobs", "jobs.Job")):
            rows = {pk: personal_workspace_id(user) for pk, user in seeded[kind]}
            assert _owners(after, model, "workspace_id") == rows
        audit = {pk: personal_workspace_id(user) for pk, user in seeded["audit"]}
        assert _owners(after, "audit.AuditLog", "workspace_id") == audit
        # The live-account counts follow: one live account per personal workspace.
        counts = after.get_model("tiktok_accounts", "LiveAccountCount")
        assert dict(counts.objects.values_list("workspace_id", "live")) == {
            personal_workspace_id(user): 1 for user in seeded["users"]
        }

        back = _migrate(BEFORE).loader.project_state(NODES).apps
        assert _owners(back, "tiktok_accounts.TikTokAccount", "user_id") == dict(seeded["accounts"])
        assert _owners(back, "posts.Post", "user_id") == dict(seeded["posts"])
        assert _owners(back, "jobs.Job", "user_id") == dict(seeded["jobs"])
        assert _owners(back, "audit.AuditLog", "user_id") == dict(seeded["audit"])
        counts = back.get_model("tiktok_accounts", "LiveAccountCount")
        assert dict(counts.objects.values_list("user_id", "live")) == {
            user: 1 for user in seeded["users"]
        }
        assert "workspaces_workspace" not in connection.introspection.table_names()
    finally:
        _latest()
