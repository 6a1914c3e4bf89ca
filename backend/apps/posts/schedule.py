"""The periodic jobs of posts, for the Celery beat schedule.

No Django import here, so settings.py may import it: e.g.
`CELERY_BEAT_SCHEDULE = {**beat_schedule(scan_seconds=POST_SCAN_INTERVAL_SECONDS,
poll_seconds=POST_STATUS_POLL_SECONDS), ...}`. Two schedulers enqueueing the same jobs do no
harm: each post is claimed by one conditional UPDATE per send and per poll.
"""

from __future__ import annotations

from typing import Any


def beat_schedule(*, scan_seconds: float, poll_seconds: float) -> dict[str, dict[str, Any]]:
    return {
        "posts-publish-due": {
            "task": "posts.publish_due",
            "schedule": scan_seconds,
            "options": {"expires": scan_seconds},
        },
        "posts-poll-due": {
            "task": "posts.poll_due",
            "schedule": poll_seconds,
            "options": {"expires": poll_seconds},
        },
    }
