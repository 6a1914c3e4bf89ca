"""AccountTotalsPart and the triggers that insert the parts (see the model for why).

A live row's contribution is `(status = 'active', follower_count, video_count, likes_count)`;
a soft-deleted row contributes nothing. The same rules in each dialect, on
tiktok_accounts_tiktokaccount, each inserting a part (no row is ever updated, so no lock is
shared by two writers):
- a live row inserted: +contribution for its workspace;
- a live row deleted: -contribution for its workspace, if the workspace still exists (a
  workspace's parts go with it: see below);
- an update of a watched column that changes a contribution: a row live before and after in
  the same workspace inserts the difference (nothing when it is zero: a change from `error`
  to `revoked`); otherwise (a soft delete, a restore, a move) -old for the old workspace if
  the row was live, +new for the new one if it is live.
Only UPDATEs of the watched columns fire (`UPDATE OF`), and only when a contribution changes
(the trigger's WHEN): a token refresh or a save that rewrites equal counts inserts nothing.

Deleting a workspace: Django deletes its parts first, then its accounts, whose deletes insert
parts again, then the workspace: a trigger on the workspace row deletes its parts (foreign
keys are checked at commit, so none is left dangling). The delete guard above covers the other
order (the workspace first, as a flush may do).

Then one part per workspace is filled from the rows. As 0005 says: Django's SQLite schema
editor rebuilds a table to alter it, which drops its triggers; a later migration that alters
the accounts or the workspaces table on SQLite must create them again (test_live_count checks
they exist after every migration).
"""

import django.db.models.deletion
from django.db import migrations, models

ACCOUNTS = "tiktok_accounts_tiktokaccount"
PARTS = "tiktok_accounts_accounttotalspart"
WORKSPACES = "workspaces_workspace"
WATCHED = "is_deleted, workspace_id, status, follower_count, video_count, likes_count"
_INSERT = f"INSERT INTO {PARTS} (workspace_id, active, followers, videos, likes)"
# Both dialects: the columns are NOT NULL, so `<>` is IS DISTINCT FROM here.
_MOVED = "OLD.is_deleted <> NEW.is_deleted OR OLD.workspace_id <> NEW.workspace_id"
_CHANGED = (
    "(OLD.status = 'active') <> (NEW.status = 'active') OR OLD.follower_count <> "
    "NEW.follower_count OR OLD.video_count <> NEW.video_count OR OLD.likes_count <> NEW.likes_count"
)
_ALIVE = f"EXISTS (SELECT 1 FROM {WORKSPACES} WHERE id = OLD.workspace_id)"


def _rows(active: str) -> dict[str, str]:
    """The parts' values (workspace first) for one dialect; `active` maps a row to 0 or 1."""
    old, new = active.format(row="OLD"), active.format(row="NEW")
    return {
        "plus": f"NEW.workspace_id, {new}, NEW.follower_count, NEW.video_count, NEW.likes_count",
        "minus": (
            f"OLD.workspace_id, -{old}, -OLD.follower_count, -OLD.video_count, -OLD.likes_count"
        ),
        "difference": (
            f"NEW.workspace_id, {new} - {old}, NEW.follower_count - OLD.follower_count, "
            "NEW.video_count - OLD.video_count, NEW.likes_count - OLD.likes_count"
        ),
    }


_PG = _rows("({row}.status = 'active')::int")
POSTGRESQL = [
    f"""
    CREATE FUNCTION tta_account_totals() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND NOT OLD.is_deleted AND NOT NEW.is_deleted
                AND OLD.workspace_id = NEW.workspace_id THEN
            IF {_CHANGED} THEN
                {_INSERT} VALUES ({_PG["difference"]});
            END IF;
            RETURN NULL;
        END IF;
        IF TG_OP IN ('UPDATE', 'DELETE') AND NOT OLD.is_deleted THEN
            {_INSERT} SELECT {_PG["minus"]} WHERE {_ALIVE};
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') AND NOT NEW.is_deleted THEN
            {_INSERT} VALUES ({_PG["plus"]});
        END IF;
        RETURN NULL;
    END
    $$
    """,
    f"""
    CREATE TRIGGER tta_account_totals_insert AFTER INSERT ON {ACCOUNTS}
    FOR EACH ROW WHEN (NOT NEW.is_deleted) EXECUTE FUNCTION tta_account_totals()
    """,
    f"""
    CREATE TRIGGER tta_account_totals_delete AFTER DELETE ON {ACCOUNTS}
    FOR EACH ROW WHEN (NOT OLD.is_deleted) EXECUTE FUNCTION tta_account_totals()
    """,
    f"""
    CREATE TRIGGER tta_account_totals_update AFTER UPDATE OF {WATCHED} ON {ACCOUNTS}
    FOR EACH ROW WHEN (NOT (OLD.is_deleted AND NEW.is_deleted) AND ({_MOVED} OR {_CHANGED}))
    EXECUTE FUNCTION tta_account_totals()
    """,
    f"""
    CREATE FUNCTION tta_account_totals_gone() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM {PARTS} WHERE workspace_id = OLD.id;
        RETURN NULL;
    END
    $$
    """,
    f"""
    CREATE TRIGGER tta_account_totals_workspace_delete AFTER DELETE ON {WORKSPACES}
    FOR EACH ROW EXECUTE FUNCTION tta_account_totals_gone()
    """,
]
POSTGRESQL_DROP = [
    f"DROP TRIGGER tta_account_totals_insert ON {ACCOUNTS}",
    f"DROP TRIGGER tta_account_totals_delete ON {ACCOUNTS}",
    f"DROP TRIGGER tta_account_totals_update ON {ACCOUNTS}",
    f"DROP TRIGGER tta_account_totals_workspace_delete ON {WORKSPACES}",
    "DROP FUNCTION tta_account_totals()",
    "DROP FUNCTION tta_account_totals_gone()",
]

_LITE = _rows("({row}.status = 'active')")
# SQLite has no IF: one trigger per case of an update, each with its own WHEN.
_LITE_UPDATES = {
    "difference": (
        "NOT OLD.is_deleted AND NOT NEW.is_deleted AND OLD.workspace_id = NEW.workspace_id "
        f"AND ({_CHANGED})",
        f"{_INSERT} VALUES ({_LITE['difference']});",
    ),
    "old": (
        f"NOT OLD.is_deleted AND ({_MOVED})",
        f"{_INSERT} SELECT {_LITE['minus']} WHERE {_ALIVE};",
    ),
    "new": (f"NOT NEW.is_deleted AND ({_MOVED})", f"{_INSERT} VALUES ({_LITE['plus']});"),
}
SQLITE = [
    f"""
    CREATE TRIGGER tta_account_totals_insert AFTER INSERT ON {ACCOUNTS}
    WHEN NOT NEW.is_deleted BEGIN {_INSERT} VALUES ({_LITE["plus"]}); END
    """,
    f"""
    CREATE TRIGGER tta_account_totals_delete AFTER DELETE ON {ACCOUNTS}
    WHEN NOT OLD.is_deleted BEGIN {_INSERT} SELECT {_LITE["minus"]} WHERE {_ALIVE}; END
    """,
    *(
        f"""
    CREATE TRIGGER tta_account_totals_update_{case} AFTER UPDATE OF {WATCHED} ON {ACCOUNTS}
    WHEN {when} BEGIN {body} END
    """
        for case, (when, body) in _LITE_UPDATES.items()
    ),
    f"""
    CREATE TRIGGER tta_account_totals_workspace_delete AFTER DELETE ON {WORKSPACES}
    BEGIN DELETE FROM {PARTS} WHERE workspace_id = OLD.id; END
    """,
]
SQLITE_DROP = [
    "DROP TRIGGER tta_account_totals_insert",
    "DROP TRIGGER tta_account_totals_delete",
    *(f"DROP TRIGGER tta_account_totals_update_{case}" for case in _LITE_UPDATES),
    "DROP TRIGGER tta_account_totals_workspace_delete",
]
# One part per workspace, from the rows.
FILL = f"""
    {_INSERT}
    SELECT workspace_id, SUM(CASE WHEN status = 'active' THEN 1 ELSE 0 END), SUM(follower_count),
        SUM(video_count), SUM(likes_count)
    FROM {ACCOUNTS} WHERE NOT is_deleted GROUP BY workspace_id
"""


def _run(schema_editor, statements):
    for statement in statements:
        schema_editor.execute(statement)


def create_triggers(apps, schema_editor):
    """The triggers first, then the fill, in one transaction: CREATE TRIGGER locks out writes
    until commit (PostgreSQL), so no write is missed between the fill and the triggers."""
    vendor = schema_editor.connection.vendor
    if vendor not in ("postgresql", "sqlite"):
        raise NotImplementedError(f"no account-totals triggers for {vendor}")
    _run(schema_editor, (POSTGRESQL if vendor == "postgresql" else SQLITE) + [FILL])


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    _run(schema_editor, POSTGRESQL_DROP if vendor == "postgresql" else SQLITE_DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("tiktok_accounts", "0009_status_count_index"),
        ("workspaces", "0002_personal_workspaces"),
    ]

    operations = [
        migrations.CreateModel(
            name="AccountTotalsPart",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("active", models.IntegerField()),
                ("followers", models.BigIntegerField()),
                ("videos", models.BigIntegerField()),
                ("likes", models.BigIntegerField()),
                (
                    "workspace",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="workspaces.workspace",
                    ),
                ),
            ],
            options={
                "verbose_name": "account totals part",
                "indexes": [models.Index(fields=["workspace"], name="tta_totals_part_ws")],
            },
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
