"""PeriodicClaim moved from the jobs app to this one: its rows move with it (a table rename)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from apps.scheduling.models import PeriodicClaim

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = ("jobs", "0002_job_progress_at")


def _migrate(*targets: tuple[str, str | None]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(list(targets))
    return MigrationExecutor(connection)  # a fresh graph: the state after the move


def test_the_claims_of_the_jobs_app_are_the_scheduling_apps_after_the_move() -> None:
    executor = _migrate(("scheduling", None))  # back before the move (jobs.0003 with it)
    old_model = executor.loader.project_state(BEFORE).apps.get_model("jobs", "PeriodicClaim")
    old_model.objects.create(key="sync_stale_accounts:900:1")

    _migrate(*MigrationExecutor(connection).loader.graph.leaf_nodes())

    assert list(PeriodicClaim.objects.values_list("key", flat=True)) == [
        "sync_stale_accounts:900:1"
    ]
    tables = connection.introspection.table_names()
    assert "scheduling_periodicclaim" in tables
    assert "jobs_periodicclaim" not in tables
