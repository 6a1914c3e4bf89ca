"""LiveAccountCount and the triggers that keep it (see its model for why).

The same three rules in each dialect, on tiktok_accounts_tiktokaccount:
- a live row inserted: +1 for its user;
- a row deleted while live: -1 for its user;
- `is_deleted` or `user_id` changed: -1 for the old owner if it was live, +1 for the new owner
  if it is live (a soft delete, a restore, a change of owner).
The +1 is an upsert (the first live account creates the user's row); the -1 an UPDATE (a
deleted user's row may already be gone in a cascade). Then the counts are filled from the rows.

Django's SQLite schema editor rebuilds a table to alter it, which drops its triggers: a later
migration that alters this table on SQLite must create them again (test_live_count checks
they exist after every migration).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

POSTGRESQL = [
    """
    CREATE FUNCTION tta_live_count() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') AND NOT OLD.is_deleted THEN
            UPDATE tiktok_accounts_liveaccountcount SET live = live - 1
            WHERE user_id = OLD.user_id;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') AND NOT NEW.is_deleted THEN
            INSERT INTO tiktok_accounts_liveaccountcount (user_id, live) VALUES (NEW.user_id, 1)
            ON CONFLICT (user_id) DO UPDATE SET live = tiktok_accounts_liveaccountcount.live + 1;
        END IF;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER tta_live_count_insert AFTER INSERT ON tiktok_accounts_tiktokaccount
    FOR EACH ROW WHEN (NOT NEW.is_deleted) EXECUTE FUNCTION tta_live_count()
    """,
    """
    CREATE TRIGGER tta_live_count_delete AFTER DELETE ON tiktok_accounts_tiktokaccount
    FOR EACH ROW WHEN (NOT OLD.is_deleted) EXECUTE FUNCTION tta_live_count()
    """,
    """
    CREATE TRIGGER tta_live_count_update AFTER UPDATE OF is_deleted, user_id
    ON tiktok_accounts_tiktokaccount FOR EACH ROW
    WHEN (OLD.is_deleted IS DISTINCT FROM NEW.is_deleted OR OLD.user_id IS DISTINCT FROM NEW.user_id)
    EXECUTE FUNCTION tta_live_count()
    """,
]
POSTGRESQL_DROP = [
    "DROP TRIGGER tta_live_count_insert ON tiktok_accounts_tiktokaccount",
    "DROP TRIGGER tta_live_count_delete ON tiktok_accounts_tiktokaccount",
    "DROP TRIGGER tta_live_count_update ON tiktok_accounts_tiktokaccount",
    "DROP FUNCTION tta_live_count()",
]

_SQLITE_PLUS = """
    INSERT INTO tiktok_accounts_liveaccountcount (user_id, live) VALUES (NEW.user_id, 1)
    ON CONFLICT (user_id) DO UPDATE SET live = live + 1;
"""
_SQLITE_MINUS = """
    UPDATE tiktok_accounts_liveaccountcount SET live = live - 1 WHERE user_id = OLD.user_id;
"""
SQLITE = [
    f"""
    CREATE TRIGGER tta_live_count_insert AFTER INSERT ON tiktok_accounts_tiktokaccount
    WHEN NOT NEW.is_deleted BEGIN {_SQLITE_PLUS} END
    """,
    f"""
    CREATE TRIGGER tta_live_count_delete AFTER DELETE ON tiktok_accounts_tiktokaccount
    WHEN NOT OLD.is_deleted BEGIN {_SQLITE_MINUS} END
    """,
    # Two triggers for an update (SQLite has no IF): the old owner's -1, then the new owner's +1.
    *(
        f"""
    CREATE TRIGGER tta_live_count_update_{side} AFTER UPDATE OF is_deleted, user_id
    ON tiktok_accounts_tiktokaccount
    WHEN (OLD.is_deleted IS NOT NEW.is_deleted OR OLD.user_id IS NOT NEW.user_id)
        AND NOT {side.upper()}.is_deleted
    BEGIN {body} END
    """
        for side, body in (("old", _SQLITE_MINUS), ("new", _SQLITE_PLUS))
    ),
]
SQLITE_DROP = [
    "DROP TRIGGER tta_live_count_insert",
    "DROP TRIGGER tta_live_count_delete",
    "DROP TRIGGER tta_live_count_update_old",
    "DROP TRIGGER tta_live_count_update_new",
]
FILL = """
    INSERT INTO tiktok_accounts_liveaccountcount (user_id, live)
    SELECT user_id, COUNT(*) FROM tiktok_accounts_tiktokaccount WHERE NOT is_deleted
    GROUP BY user_id
"""


def _run(schema_editor, statements):
    for statement in statements:
        schema_editor.execute(statement)


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor not in ("postgresql", "sqlite"):
        raise NotImplementedError(f"no live-count triggers for {vendor}")
    _run(schema_editor, (POSTGRESQL if vendor == "postgresql" else SQLITE) + [FILL])


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    _run(schema_editor, POSTGRESQL_DROP if vendor == "postgresql" else SQLITE_DROP)


class Migration(migrations.Migration):
    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("tiktok_accounts", "0004_live_user_count_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="LiveAccountCount",
            fields=[
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                ("live", models.IntegerField()),
            ],
            options={
                "verbose_name": "live account count",
            },
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
