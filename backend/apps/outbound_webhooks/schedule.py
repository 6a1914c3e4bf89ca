"""How often the delivery scan runs, in a module that imports no model: the beat schedule
reads it while Celery configures itself, before Django's apps are loaded."""

SCAN_INTERVAL_SECONDS = 15
