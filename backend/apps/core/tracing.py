"""OpenTelemetry tracing: off unless the standard OTEL_* variables ask for it.

On (OTEL_EXPORTER_OTLP_ENDPOINT set, or OTEL_TRACES_EXPORTER naming `otlp` and/or `console`),
every process (web, worker, beat) gets a tracer provider and the instrumentations of what a
request touches: Django (the server span), the database (psycopg, sqlite3), Redis (the cache,
the budget, the broker), requests (the calls to TikTok) and Celery (the context travels in the
task's headers, so a task continues the trace of the request that enqueued it). The exporters
read the rest of OTEL_* themselves (headers, timeouts, OTEL_SERVICE_NAME, resource attributes).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.conf import settings
from opentelemetry import trace

if TYPE_CHECKING:
    from opentelemetry.instrumentation.instrumentor import BaseInstrumentor
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter

logger = logging.getLogger(__name__)

_state = {"on": False}


def _instrumentors() -> list[BaseInstrumentor]:
    # Imported here, like the SDK below: they weigh about 20 MB in every web worker, needless
    # while tracing is off (the default). Only the API (`trace`) is loaded then.
    from opentelemetry.instrumentation.celery import CeleryInstrumentor
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor
    from opentelemetry.instrumentation.requests import RequestsInstrumentor
    from opentelemetry.instrumentation.sqlite3 import SQLite3Instrumentor

    return [
        DjangoInstrumentor(),
        PsycopgInstrumentor(),
        SQLite3Instrumentor(),
        RedisInstrumentor(),
        RequestsInstrumentor(),
        CeleryInstrumentor(),
    ]


def tracing_exporters() -> list[str]:
    """The exporters the settings ask for: [] means tracing is off."""
    names = [n for n in settings.OTEL_TRACES_EXPORTER if n != "none"]
    if not names and settings.OTEL_EXPORTER_OTLP_ENDPOINT and not settings.OTEL_TRACES_EXPORTER:
        names = ["otlp"]
    return names


def _exporter(name: str) -> SpanExporter:
    from opentelemetry.sdk.trace.export import ConsoleSpanExporter

    if name == "console":
        return ConsoleSpanExporter()
    # The OTLP exporter pulls in protobuf too.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter()


def tracing_start() -> None:
    """Turns tracing on in this process when configured (CoreConfig.ready, before the
    middleware is loaded: Django's instrumentation adds its own)."""
    names = tracing_exporters()
    if not names or _state["on"]:
        return
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    resource = Resource.create()  # OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES
    if str(resource.attributes.get("service.name", "")).startswith("unknown_service"):
        resource = resource.merge(Resource({"service.name": "tiktok-accounts"}))
    provider = TracerProvider(resource=resource)
    for name in names:
        provider.add_span_processor(BatchSpanProcessor(_exporter(name)))
    trace.set_tracer_provider(provider)
    instrument(provider)
    logger.info("Tracing on: exporters %s", ", ".join(names))


def instrument(provider: TracerProvider) -> None:
    """Instruments every library a request touches, reporting to `provider`."""
    for instrumentor in _instrumentors():
        if not instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.instrument(tracer_provider=provider)
    _state["on"] = True


def uninstrument() -> None:
    """Undoes `instrument` (tests)."""
    for instrumentor in _instrumentors():
        if instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.uninstrument()
    _state["on"] = False


def current_trace_id() -> str | None:
    """The current trace's id (32 hex digits) while tracing is on, else None."""
    if not _state["on"]:
        return None
    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else None
