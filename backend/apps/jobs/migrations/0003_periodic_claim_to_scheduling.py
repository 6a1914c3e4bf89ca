"""PeriodicClaim now belongs to the scheduling app (scheduling.0001 took over its table)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0002_job_progress_at"),
        ("scheduling", "0001_periodic_claim"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="PeriodicClaim")],
            database_operations=[],
        ),
    ]
