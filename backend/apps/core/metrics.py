"""Every Prometheus series the service exposes, defined here and nowhere else.

The names and labels are a contract (docs/operations.md, dashboards and alert rules rely on
them). Counters and histograms are recorded by the code that sees the event, through the small
functions below; the gauges of rows by status and of the TikTok budget are computed when
Prometheus scrapes (`ScrapeGauges`, fed by config/metrics.py, which may import the apps).

Under a multi-process server (gunicorn workers, Celery's prefork pool) prometheus-client's
multiprocess mode is on when PROMETHEUS_MULTIPROC_DIR is set before the process starts
(gunicorn.conf.py and config/celery.py set it): every process writes its figures to
a file there and a scrape sums them (config/metrics.py).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator, Mapping
from functools import lru_cache

from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)

# No `*_created` series: nothing here uses them, and multiprocess mode has none either.
disable_created_metrics()
# Our series only, in single-process mode: no process_* or python_* series of the library's
# default registry (in multiprocess mode each process's files are read instead).
REGISTRY = CollectorRegistry(auto_describe=True)

_TASK_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)

HTTP_REQUESTS = Counter(
    "tta_http_requests",
    "HTTP requests answered, by method, route template and status.",
    ("method", "route", "status"),
    registry=REGISTRY,
)
HTTP_DURATION = Histogram(
    "tta_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and route template.",
    ("method", "route"),
    registry=REGISTRY,
)
TIKTOK_REQUESTS = Counter(
    "tta_tiktok_requests",
    "Calls to TikTok by endpoint (TikTok's path) and outcome; budget_exhausted was not sent.",
    ("endpoint", "outcome"),
    registry=REGISTRY,
)
TIKTOK_DURATION = Histogram(
    "tta_tiktok_request_duration_seconds",
    "Time TikTok took to answer (or to time out), by endpoint.",
    ("endpoint",),
    registry=REGISTRY,
)
OUTBOUND_WEBHOOK_DELIVERIES = Counter(
    "tta_outbound_webhook_deliveries",
    "Deliveries of this service's webhooks: succeeded, failed_attempt (will retry), failed.",
    ("outcome",),
    registry=REGISTRY,
)
TASKS = Counter(
    "tta_tasks",
    "Celery tasks run, by task name and outcome (succeeded, failed, retried, ...).",
    ("task", "outcome"),
    registry=REGISTRY,
)
TASK_DURATION = Histogram(
    "tta_task_duration_seconds",
    "Time a Celery task ran, by task name.",
    ("task",),
    buckets=_TASK_BUCKETS,
    registry=REGISTRY,
)

# Computed at scrape (ScrapeGauges): name -> (help, label).
STATE_GAUGES: Mapping[str, tuple[str, str]] = {
    "tta_accounts": ("Live TikTok accounts by status, over every workspace.", "status"),
    "tta_posts": ("Posts by status, over every workspace.", "status"),
    "tta_jobs": ("Background jobs by status, over every workspace.", "status"),
}
BUDGET_REMAINING = "tta_tiktok_budget_remaining"

TIKTOK_OUTCOMES = (
    "ok",
    "rate_limited",
    "auth_error",
    "upstream_error",
    "timeout",
    "budget_exhausted",
)
WEBHOOK_OUTCOMES = ("succeeded", "failed_attempt", "failed")
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


# --- HTTP -----------------------------------------------------------------------------------
@lru_cache(maxsize=1024)
def route_template(route: str) -> str:
    """Django's route (`api/accounts/<account_id>`, or a regex) as `/api/accounts/{account_id}`.

    Cached: there are as many routes as URL patterns, so the cache is bounded by the code.
    """
    template = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", route)
    template = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", template)
    return "/" + template.lstrip("^").rstrip("$")


# (method, route, status) -> the two labelled children: `labels()` builds and checks its
# arguments on every call, a third of the middleware's cost. Bounded like the label sets.
_http_children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}


def http_request_observed(method: str, route: str, status: int, seconds: float) -> None:
    """One answered request. `route` is already a template (never the raw path)."""
    method = method if method in _METHODS else "other"
    key = (method, route, status)
    children = _http_children.get(key)
    if children is None:
        children = _http_children[key] = (
            HTTP_REQUESTS.labels(method, route, str(status)),
            HTTP_DURATION.labels(method, route),
        )
    children[0].inc()
    children[1].observe(seconds)


# --- TikTok ---------------------------------------------------------------------------------
def tiktok_call_observed(endpoint: str, outcome: str, seconds: float | None) -> None:
    """One call to TikTok; `seconds` is None when nothing was sent (budget_exhausted)."""
    TIKTOK_REQUESTS.labels(endpoint, outcome).inc()
    if seconds is not None:
        TIKTOK_DURATION.labels(endpoint).observe(seconds)


class tiktok_timer:
    """Times one call to TikTok: `with tiktok_timer(endpoint) as call: ...; call.outcome = ...`.

    The outcome defaults to `ok` when the block ends normally; an exception leaving the block
    must have set `call.outcome` before (the client maps its own exceptions).
    """

    __slots__ = ("endpoint", "outcome", "started")

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.outcome = "ok"
        self.started = 0.0

    def __enter__(self) -> tiktok_timer:
        self.started = time.perf_counter()
        return self

    def __exit__(self, *_exc: object) -> None:
        tiktok_call_observed(self.endpoint, self.outcome, time.perf_counter() - self.started)


# --- Outbound webhooks ----------------------------------------------------------------------
def outbound_delivery_counted(outcome: str) -> None:
    """One delivery attempt of an outbound webhook: `succeeded`, `failed_attempt` (another
    attempt follows) or `failed` (the last attempt failed)."""
    if outcome not in WEBHOOK_OUTCOMES:
        raise ValueError(f"unknown outbound webhook outcome {outcome!r}")
    OUTBOUND_WEBHOOK_DELIVERIES.labels(outcome).inc()


# --- Celery tasks ---------------------------------------------------------------------------
_TASK_OUTCOMES = {"SUCCESS": "succeeded", "FAILURE": "failed", "RETRY": "retried"}


def task_observed(task: str, state: str, seconds: float | None) -> None:
    """One task run ended in Celery `state` (SUCCESS, FAILURE, RETRY, REJECTED, ...)."""
    TASKS.labels(task, _TASK_OUTCOMES.get(state, state.lower() or "unknown")).inc()
    if seconds is not None:
        TASK_DURATION.labels(task).observe(seconds)


# --- Computed at scrape ---------------------------------------------------------------------
class ScrapeGauges(Collector):
    """The gauges computed when Prometheus scrapes: rows by status and the TikTok budget left.

    `counts` maps a name of STATE_GAUGES to a function answering `{status: rows}`;
    `budget_remaining` answers the calls left in the current budget window.
    """

    def __init__(
        self,
        counts: Mapping[str, Callable[[], Mapping[str, int]]],
        budget_remaining: Callable[[], int],
    ) -> None:
        unknown = set(counts) - set(STATE_GAUGES)
        if unknown:
            raise ValueError(f"not a state gauge: {sorted(unknown)}")
        self.counts = counts
        self.budget_remaining = budget_remaining

    def collect(self) -> Iterator[GaugeMetricFamily]:
        # A source that fails (the database or Redis is down) leaves its gauge out of this
        # scrape; the counters are still served, and are what an outage shows best.
        for name, source in self.counts.items():
            help_text, label = STATE_GAUGES[name]
            family = GaugeMetricFamily(name, help_text, labels=(label,))
            try:
                rows_by_value = source()
            except Exception:
                logger.warning("Metrics: %s could not be computed", name, exc_info=True)
                continue
            for value, rows in sorted(rows_by_value.items()):
                family.add_metric((value,), rows)
            yield family
        try:
            remaining = self.budget_remaining()
        except Exception:
            logger.warning("Metrics: %s could not be computed", BUDGET_REMAINING, exc_info=True)
            return
        yield GaugeMetricFamily(
            BUDGET_REMAINING,
            "Calls to TikTok left in the current budget window (TIKTOK_REQUESTS_PER_MINUTE).",
            value=remaining,
        )
