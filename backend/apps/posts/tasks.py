"""Celery tasks of posts: thin, idempotent wrappers over the publisher and the poller.

Every task may run twice, or on two workers at once: the conditional UPDATEs in publisher.py
and polling.py decide who acts. A task lost with its worker loses nothing either: the periodic
scans (schedule.py) find every post that is due, to send or to poll, in the database.
"""

from __future__ import annotations

import logging
import uuid

from celery import shared_task

from apps.posts import client_upload, polling, publisher

logger = logging.getLogger(__name__)


@shared_task(name="posts.publish", ignore_result=True)
def post_publish_task(post_id: str) -> None:
    publisher.post_publish(post_id=uuid.UUID(post_id))


@shared_task(name="posts.poll", ignore_result=True)
def post_poll_task(post_id: str) -> None:
    polling.post_poll(post_id=uuid.UUID(post_id))


@shared_task(name="posts.publish_due", ignore_result=True)
def posts_publish_due_task() -> int:
    """Every POST_SCAN_INTERVAL_SECONDS: settle stuck posts, expire unfinished uploads, then
    send the due ones."""
    publisher.posts_sweep()
    client_upload.uploads_expire()
    due = publisher.posts_due_ids()
    for post_id in due:
        post_publish_task.delay(str(post_id))
    return len(due)


@shared_task(name="posts.poll_due", ignore_result=True)
def posts_poll_due_task() -> int:
    """Every POST_STATUS_POLL_SECONDS: poll each sent post whose next poll time has come."""
    due = polling.posts_poll_due_ids()
    for post_id in due:
        post_poll_task.delay(str(post_id))
    return len(due)


def enqueue_publish(post_id: uuid.UUID) -> None:
    """Sends a post due now without waiting for the next scan; best effort."""
    try:
        post_publish_task.apply_async(args=[str(post_id)], retry=False)
    except Exception:  # the broker is down: the next scan sends it
        logger.warning("Post %s: could not enqueue its publish; the scan will pick it up", post_id)
