"""Post.sent_at: when a post was first claimed for sending, the start of its publish deadline.

Posts already publishing take it from their current claim, or (released by a TikTok 429) from
their last update, so every one of them ends within POST_PUBLISH_DEADLINE_SECONDS.
"""

from django.db import migrations, models
from django.db.models.functions import Coalesce


def backfill(apps, schema_editor):
    Post = apps.get_model("posts", "Post")
    Post.objects.filter(status="publishing", sent_at__isnull=True).update(
        sent_at=Coalesce("send_started_at", "updated_at")
    )


class Migration(migrations.Migration):
    dependencies = [("posts", "0001_post")]

    operations = [
        migrations.AddField(
            model_name="post",
            name="sent_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
