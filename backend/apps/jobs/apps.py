from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "apps.jobs"
    label = "jobs"
    verbose_name = "Background jobs"

    def ready(self) -> None:
        # Imports every app's tasks.py in every process, not only in the worker: a web
        # process then enqueues by task name and tests can run tasks eagerly.
        from celery import current_app

        current_app.autodiscover_tasks(force=True)
