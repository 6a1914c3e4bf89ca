"""The Celery beat schedule: every periodic job, its task and its interval.

config/celery.py installs it when the Celery app reads its configuration (settings.py imports
no app). Entry names, task names and intervals are those the schedulers always used.
Two schedulers enqueueing the same jobs do no harm: the account jobs, the retention, the
history thinning and the totals' compaction claim their period (claims.py), the watchdog acts
on a job with a conditional UPDATE, and each post is claimed by one conditional UPDATE per send
and per poll.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from apps.outbound_webhooks.schedule import SCAN_INTERVAL_SECONDS

# Hourly: a day becomes old enough at midnight UTC, and a run cut short resumes within the hour.
HISTORY_THIN_INTERVAL_SECONDS = 3600
# Every minute: the summary then sums one part per workspace plus a minute's changes.
ACCOUNT_TOTALS_COMPACT_INTERVAL_SECONDS = 60


def beat_schedule() -> dict[str, dict[str, Any]]:
    scan = settings.POST_SCAN_INTERVAL_SECONDS
    poll = settings.POST_STATUS_POLL_SECONDS
    return {
        "refresh-tokens-ahead": {
            "task": "tiktok_accounts.refresh_tokens_ahead",
            "schedule": float(settings.TOKEN_REFRESH_INTERVAL_SECONDS),
        },
        "sync-stale-accounts": {
            "task": "tiktok_accounts.sync_stale_accounts",
            "schedule": float(settings.SCHEDULED_SYNC_INTERVAL_SECONDS),
        },
        "jobs-watchdog": {"task": "jobs.watchdog", "schedule": 60.0},
        "daily-retention": {"task": "jobs.daily_retention", "schedule": 86400.0},
        "history-thin": {"task": "history.thin", "schedule": float(HISTORY_THIN_INTERVAL_SECONDS)},
        "account-totals-compact": {
            "task": "tiktok_accounts.compact_totals",
            "schedule": float(ACCOUNT_TOTALS_COMPACT_INTERVAL_SECONDS),
            "options": {"expires": ACCOUNT_TOTALS_COMPACT_INTERVAL_SECONDS},
        },
        "posts-publish-due": {
            "task": "posts.publish_due",
            "schedule": scan,
            "options": {"expires": scan},
        },
        "outbound-webhooks-scan": {
            "task": "outbound_webhooks.scan",
            "schedule": float(SCAN_INTERVAL_SECONDS),
            "options": {"expires": SCAN_INTERVAL_SECONDS},
        },
        "posts-poll-due": {
            "task": "posts.poll_due",
            "schedule": poll,
            "options": {"expires": poll},
        },
    }
