"""The publisher's scans read partial indexes over the few posts they can find (issue 23)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("posts", "0003_posts_in_workspaces"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="post",
            name="post_status_due",
        ),
        migrations.RemoveIndex(
            model_name="post",
            name="post_status_poll",
        ),
        migrations.AddIndex(
            model_name="post",
            index=models.Index(
                condition=models.Q(
                    ("status", "scheduled"),
                    models.Q(
                        ("publish_id__isnull", True),
                        ("send_started_at__isnull", True),
                        ("status", "publishing"),
                    ),
                    _connector="OR",
                ),
                fields=["due_at"],
                name="post_scan_due",
            ),
        ),
        migrations.AddIndex(
            model_name="post",
            index=models.Index(
                condition=models.Q(
                    ("next_poll_at__isnull", False), ("status__in", ("publishing", "published"))
                ),
                fields=["next_poll_at"],
                name="post_scan_poll",
            ),
        ),
        migrations.AddIndex(
            model_name="post",
            index=models.Index(
                condition=models.Q(("status", "publishing")),
                fields=["sent_at"],
                name="post_scan_publishing",
            ),
        ),
    ]
