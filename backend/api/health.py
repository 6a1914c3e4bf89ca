"""Health: `/health` and `/health/ready` check the dependencies (503 naming the part, database
or cache, that is down); `/health/live` only says the process serves (for an orchestrator's
liveness probe: a database outage must not get every web process restarted).

The broker is named too (`"broker": "down"`) but never fails the answer: reads and syncs work
without it, only new background work waits.
"""

from __future__ import annotations

import logging
import uuid

from celery import current_app
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest
from ninja import Router, Schema, Status

from apps.core.errors import ErrorOut, ServiceUnavailable, ValidationErrorOut

logger = logging.getLogger(__name__)
router = Router(tags=["operations"])


class HealthOut(Schema):
    status: str
    database: str
    cache: str
    broker: str


class LiveOut(Schema):
    status: str


class HealthErrorOut(ErrorOut):
    status: str
    database: str
    cache: str
    broker: str


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        logger.exception("Health check: database unreachable")
        return False


def _broker_ok() -> bool:
    """One connection attempt to the broker, bounded to a few seconds."""
    try:
        with current_app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, timeout=3)
            if connection.transport.driver_type == "redis":
                connection.default_channel.client.ping()
    except Exception:
        logger.warning("Broker unreachable", exc_info=True)
        return False
    return True


def _cache_ok() -> bool:
    # A key of its own: concurrent probes from other workers never overwrite it.
    probe = uuid.uuid4().hex
    key = f"health:{probe}"
    try:
        cache.set(key, probe, 10)
        ok = cache.get(key) == probe
        cache.delete(key)
        return ok
    except Exception:
        logger.exception("Health check: cache unreachable")
        return False


@router.get(
    "/health",
    auth=None,
    # 422: a NUL anywhere in a request is refused before any route runs (apps.core.nul_guard).
    response={200: HealthOut, 422: ValidationErrorOut, 503: HealthErrorOut},
)
def health(request: HttpRequest) -> Status[dict[str, str]]:
    parts = {"database": _database_ok(), "cache": _cache_ok()}
    body = {name: "ok" if ok else "unavailable" for name, ok in parts.items()}
    body["broker"] = "ok" if _broker_ok() else "down"
    down = [name for name, ok in parts.items() if not ok]
    if not down:
        return Status(200, {"status": "ok", **body})
    detail = f"Unavailable: {', '.join(down)}."
    return Status(
        503, {"status": "unavailable", "detail": detail, "code": ServiceUnavailable.code, **body}
    )


@router.get(
    "/health/ready",
    auth=None,
    response={200: HealthOut, 422: ValidationErrorOut, 503: HealthErrorOut},
)
def health_ready(request: HttpRequest) -> Status[dict[str, str]]:
    """Readiness: exactly the answer of /health."""
    return health(request)


@router.get("/health/live", auth=None, response={200: LiveOut, 422: ValidationErrorOut})
def health_live(request: HttpRequest) -> dict[str, str]:
    """Liveness: the process serves; no dependency is checked."""
    return {"status": "ok"}
