"""Tracing: one trace follows a request through the database, the cache, its TikTok calls and
into the tasks it enqueues; the request id of its log lines is the trace id. An in-memory
exporter collects the spans."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

import pytest
from celery import Celery
from django.conf import settings
from django.db import connection
from django.test import Client
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from apps.core import tracing
from testing.factories import UserFactory
from testing.http import bearer_header
from testing.processes import python_run

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    connection.close()  # the next connection is opened through the instrumented driver
    tracing.instrument(provider)
    try:
        yield exporter
    finally:
        tracing.uninstrument()
        connection.close()


def test_tracing_is_off_unless_configured(settings):
    settings.OTEL_TRACES_EXPORTER, settings.OTEL_EXPORTER_OTLP_ENDPOINT = [], ""
    assert tracing.tracing_exporters() == []
    assert tracing.current_trace_id() is None

    settings.OTEL_EXPORTER_OTLP_ENDPOINT = "http://collector:4318"
    assert tracing.tracing_exporters() == ["otlp"]
    settings.OTEL_TRACES_EXPORTER = ["console"]
    assert tracing.tracing_exporters() == ["console"]
    settings.OTEL_TRACES_EXPORTER = ["none"]
    assert tracing.tracing_exporters() == []


def test_one_trace_follows_a_request_through_database_cache_and_tiktok(spans, link_account, caplog):
    user = UserFactory()
    account, _ = link_account(user)
    headers = bearer_header(user)
    caplog.set_level(logging.INFO, logger="apps.request")
    spans.clear()

    response = Client().post(f"/api/accounts/{account.pk}/sync", headers=headers)

    assert response.status_code == 200, response.content
    finished = spans.get_finished_spans()
    server = [s for s in finished if s.kind == SpanKind.SERVER]
    assert len(server) == 1
    trace_id = server[0].context.trace_id
    assert {s.context.trace_id for s in finished} == {trace_id}
    tiktok = [
        s
        for s in finished
        if s.kind == SpanKind.CLIENT and settings.TIKTOK_API_BASE_URL in str(s.attributes)
    ]
    assert tiktok, [s.name for s in finished]
    systems = {
        s.attributes.get("db.system") or s.attributes.get("db.system.name") for s in finished
    }
    if connection.vendor == "postgresql":
        assert "postgresql" in systems
    if settings.REDIS_URL:
        assert "redis" in systems
    # The log line of the request carries the trace id as its request id, as does the header.
    assert response["X-Request-ID"] == format(trace_id, "032x")
    lines = [r for r in caplog.records if r.name == "apps.request"]
    assert [r.request_id for r in lines] == [format(trace_id, "032x")]


def test_an_enqueued_task_carries_the_trace_in_its_headers(spans):
    broker = Celery("trace-test", broker="memory://", set_as_current=False)
    request_tracer = TracerProvider()
    request_tracer.add_span_processor(SimpleSpanProcessor(spans))

    with request_tracer.get_tracer("test").start_as_current_span("request") as request_span:
        broker.send_task("jobs.sync_chunk", args=["chunk-id"], queue="trace-test")
    with broker.connection_for_read() as conn:
        message = conn.SimpleQueue("trace-test").get(timeout=5)

    trace_id = format(request_span.get_span_context().trace_id, "032x")
    assert trace_id in message.headers["traceparent"]
    publish = [s for s in spans.get_finished_spans() if s.kind == SpanKind.PRODUCER]
    assert publish
    assert publish[0].context.trace_id == request_span.get_span_context().trace_id


def test_a_process_without_tracing_loads_no_instrumentation() -> None:
    # Megabytes in every web worker (the HTTP benchmark's RSS target). The SDK may be loaded:
    # redis-py's observability module imports its metrics part whenever it is installed.
    script = (
        "import django; django.setup(); from config.wsgi import application; import sys; "
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('opentelemetry.'))))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    seen = python_run(script, {**env, "DJANGO_SETTINGS_MODULE": "config.settings"})

    loaded = seen.stdout.split()
    assert "opentelemetry.trace" in loaded
    assert [m for m in loaded if m.startswith("opentelemetry.instrumentation")] == []
