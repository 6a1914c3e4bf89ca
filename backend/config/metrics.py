"""What a scrape answers: GET /metrics on the web server, and a Celery worker's own /metrics.

The series are defined in apps/core/metrics.py; this module puts them together with what only
the top layer may import (the models counted by the state gauges, the TikTok budget). Both
endpoints want `Authorization: Bearer <METRICS_TOKEN>` and answer 404 while it is unset, so an
unconfigured service exposes nothing.
"""

from __future__ import annotations

import hmac
import logging
import os
import threading
from collections.abc import Callable, Iterable
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from apps.core import metrics
from apps.core.counting import status_counts
from apps.jobs.models import Job, JobStatus
from apps.posts.models import Post, PostStatus
from apps.tiktok_accounts.models import AccountStatus, TikTokAccount
from integrations.tiktok.budget import budget_remaining

logger = logging.getLogger(__name__)


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def exposition(accept: str, extra: Iterable[Collector] = ()) -> tuple[bytes, str]:
    """Every process's series (multiprocess mode: the files of every process of this server,
    live or dead, summed) plus `extra`, computed now, in the format `accept` prefers (the
    classic text format, or OpenMetrics); the body and its content type."""
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess_dir():
        MultiProcessCollector(registry)
    else:
        registry.register(metrics.REGISTRY)
    for collector in extra:
        registry.register(collector)
    encoder, content_type = choose_encoder(accept)
    return encoder(registry), content_type


def scrape_gauges() -> metrics.ScrapeGauges:
    """Rows by status over every workspace, and the TikTok budget left (web server only: the
    workers' scrapes would count the same rows again)."""
    return metrics.ScrapeGauges(
        counts={
            "tta_accounts": lambda: status_counts(
                TikTokAccount.objects.all(), AccountStatus.values
            ),
            "tta_posts": lambda: status_counts(Post.objects.all(), PostStatus.values),
            "tta_jobs": lambda: status_counts(Job.objects.all(), JobStatus.values),
        },
        budget_remaining=budget_remaining,
    )


def authorized(header: str) -> bool:
    """`Authorization: Bearer <METRICS_TOKEN>`, compared in constant time."""
    scheme, _, token = header.partition(" ")
    expected = settings.METRICS_TOKEN
    return scheme.lower() == "bearer" and hmac.compare_digest(
        token.strip().encode(), expected.encode()
    )


def metrics_view(request: HttpRequest) -> HttpResponse:
    """GET /metrics: 404 without METRICS_TOKEN, 401 without the right bearer token."""
    if not settings.METRICS_TOKEN:
        return HttpResponse("Not found.\n", status=404, content_type="text/plain")
    if not authorized(request.headers.get("Authorization", "")):
        response = HttpResponse("Unauthorized.\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    body, content_type = exposition(request.headers.get("Accept", ""), [scrape_gauges()])
    return HttpResponse(body, content_type=content_type)


# --- The worker's own endpoint --------------------------------------------------------------
def _worker_app(environ: dict, start_response: Callable) -> Iterable[bytes]:
    if environ.get("PATH_INFO") != "/metrics" or not settings.METRICS_TOKEN:
        status, body, content_type = "404 Not Found", b"Not found.\n", "text/plain"
    elif not authorized(environ.get("HTTP_AUTHORIZATION", "")):
        status, body, content_type = "401 Unauthorized", b"Unauthorized.\n", "text/plain"
    else:
        status = "200 OK"
        body, content_type = exposition(environ.get("HTTP_ACCEPT", ""))
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Scrapes every 15 s are not worth a log line each."""


def worker_metrics_serve(port: int, host: str = "") -> WSGIServer:
    """Serves the worker's /metrics on `port` (every interface by default: the scraper runs
    elsewhere; the token guards it) from a daemon thread of the worker's main process."""
    server = make_server(host, port, _worker_app, handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, name="worker-metrics", daemon=True).start()
    logger.info("Worker metrics on port %s", server.server_port)
    if not settings.METRICS_TOKEN:
        logger.warning("WORKER_METRICS_PORT is set but METRICS_TOKEN is not: /metrics answers 404")
    return server
