"""The Celery app as the apps below config see it: `celery.current_app`, in every thread."""

from __future__ import annotations

import threading

from celery import current_app

from config.celery import app as celery_app


def test_every_thread_reaches_the_project_app_as_current_app() -> None:
    # A request served in a thread enqueues through current_app (apps.jobs.services): the
    # fallback app Celery makes per thread would send to a broker nobody configured.
    seen = []
    thread = threading.Thread(target=lambda: seen.append(current_app._get_current_object()))
    thread.start()
    thread.join()

    assert seen == [celery_app]
