"""The Celery app as the apps below config see it: `celery.current_app`, in every thread."""

from __future__ import annotations

import os
import threading

from celery import current_app

from config.celery import app as celery_app
from testing.processes import python_run


def test_every_thread_reaches_the_project_app_as_current_app() -> None:
    # A request served in a thread enqueues through current_app (apps.jobs.services): the
    # fallback app Celery makes per thread would send to a broker nobody configured.
    seen = []
    thread = threading.Thread(target=lambda: seen.append(current_app._get_current_object()))
    thread.start()
    thread.join()

    assert seen == [celery_app]


def test_the_beat_schedule_keeps_every_entry_its_task_and_interval(settings) -> None:
    scan, poll = settings.POST_SCAN_INTERVAL_SECONDS, settings.POST_STATUS_POLL_SECONDS
    every = {
        name: (entry["task"], entry["schedule"], entry.get("options"))
        for name, entry in celery_app.conf.beat_schedule.items()
    }

    assert every == {
        "refresh-tokens-ahead": (
            "tiktok_accounts.refresh_tokens_ahead",
            float(settings.TOKEN_REFRESH_INTERVAL_SECONDS),
            None,
        ),
        "sync-stale-accounts": (
            "tiktok_accounts.sync_stale_accounts",
            float(settings.SCHEDULED_SYNC_INTERVAL_SECONDS),
            None,
        ),
        "jobs-watchdog": ("jobs.watchdog", 60.0, None),
        "daily-retention": ("jobs.daily_retention", 86400.0, None),
        "history-thin": ("history.thin", 3600.0, None),
        "account-totals-compact": ("tiktok_accounts.compact_totals", 60.0, {"expires": 60}),
        "posts-publish-due": ("posts.publish_due", scan, {"expires": scan}),
        "posts-poll-due": ("posts.poll_due", poll, {"expires": poll}),
        "outbound-webhooks-scan": ("outbound_webhooks.scan", 15.0, {"expires": 15}),
    }


def test_every_task_keeps_the_name_queued_messages_use() -> None:
    # Tasks moved between apps (apps.scheduling took the periodic ones) keep their names.
    assert {
        "tiktok_accounts.refresh_tokens_ahead",
        "tiktok_accounts.refresh_tokens_chunk",
        "tiktok_accounts.sync_stale_accounts",
        "tiktok_accounts.sync_accounts_chunk",
        "tiktok_accounts.compact_totals",
        "jobs.start",
        "jobs.sync_chunk",
        "jobs.watchdog",
        "jobs.daily_retention",
        "history.thin",
        "posts.publish",
        "posts.poll",
        "posts.publish_due",
        "posts.poll_due",
        "outbound_webhooks.fan_out",
        "outbound_webhooks.deliver",
        "outbound_webhooks.scan",
    } <= set(celery_app.tasks)


def test_deliveries_go_to_the_webhooks_queue_and_the_rest_to_the_default_one() -> None:
    route = celery_app.amqp.router.route
    assert route({}, "outbound_webhooks.deliver")["queue"].name == "webhooks"
    assert route({}, "outbound_webhooks.fan_out")["queue"].name == "celery"


def test_celery_beat_gets_the_schedule_before_django_is_set_up() -> None:
    # `celery -A config beat` configures the app before Django loads its apps, and Celery
    # swallows an exception of the hook that installs the schedule (a model imported by
    # apps/scheduling/beat.py once left the real scheduler with no entry at all).
    script = "from config.celery import app; print(' '.join(sorted(app.conf.beat_schedule)))"
    seen = python_run(script, {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"})

    assert seen.stdout.split() == sorted(celery_app.conf.beat_schedule)
