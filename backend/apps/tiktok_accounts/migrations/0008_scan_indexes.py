"""Indexes of the periodic scans: tokens to refresh, accounts not synced lately (issue 23).

CREATE INDEX only: SQLite does not rebuild the table, so the live-count triggers stay.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tiktok_accounts", "0007_accounts_in_workspaces"),
        ("workspaces", "0002_personal_workspaces"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="tiktokaccount",
            index=models.Index(
                condition=models.Q(("is_deleted", False), ("status", "active")),
                fields=["access_token_expires_at", "id"],
                name="tta_scan_token_expiry",
            ),
        ),
        migrations.AddIndex(
            model_name="tiktokaccount",
            index=models.Index(
                condition=models.Q(("is_deleted", False), ("status", "active")),
                fields=["last_synced_at", "id"],
                name="tta_scan_last_synced",
            ),
        ),
    ]
