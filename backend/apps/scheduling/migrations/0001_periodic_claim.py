"""PeriodicClaim moves here from the jobs app, rows and all.

The model is taken over in the migration state only (its table, jobs_periodicclaim, stays
where it is), then the table is renamed to scheduling_periodicclaim: one ALTER TABLE ...
RENAME, no copy, no row lost. jobs.0003 removes the model from the jobs app's state.
"""

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("jobs", "0002_job_progress_at"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="PeriodicClaim",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("key", models.CharField(max_length=200, unique=True)),
                        (
                            "claimed_at",
                            models.DateTimeField(
                                db_index=True, default=django.utils.timezone.now
                            ),
                        ),
                    ],
                    options={"db_table": "jobs_periodicclaim"},
                ),
            ],
            database_operations=[],
        ),
        migrations.AlterModelTable(name="periodicclaim", table=None),
    ]
