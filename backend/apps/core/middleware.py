"""Request id, one access-log line per request, JSON errors for anything under /api/, and the
HTTP metrics of every request."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve

from apps.core.errors import InternalError, NotFound, PayloadTooLarge, ServiceUnavailable
from apps.core.logging import request_id_var
from apps.core.metrics import http_request_observed, route_template
from apps.core.outages import outage_part
from apps.core.tracing import current_trace_id

logger = logging.getLogger("apps.request")

_CLIENT_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_GENERIC_ERRORS = {
    400: ("BAD_REQUEST", "The request could not be understood."),
    403: ("FORBIDDEN", "You are not allowed to do this."),
    405: ("METHOD_NOT_ALLOWED", "This method is not allowed at this address."),
    **{
        error.status: (error.code, error.detail)
        for error in (NotFound, PayloadTooLarge, InternalError, ServiceUnavailable)
    },
}


def error_response(status: int, code: str, detail: str, **extra: object) -> JsonResponse:
    return JsonResponse({"detail": detail, "code": code, **extra}, status=status)


class RequestContextMiddleware:
    """Outermost middleware: sees every request and the final response, whatever happened."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # While tracing is on, the request id is the trace id: a log line leads to its trace.
        request_id = current_trace_id()
        if request_id is None:
            incoming = request.headers.get("X-Request-ID", "")
            request_id = incoming if _CLIENT_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        try:
            response = self._respond(request)
            response["X-Request-ID"] = request_id
            logger.info(
                "%s %s %s %.1fms",
                request.method,
                request.path,
                response.status_code,
                (time.perf_counter() - started) * 1000,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
            return response
        finally:
            request_id_var.reset(token)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """A view outside the API (admin, docs) met a database or cache outage: 503, not 500."""
        part = outage_part(exception)
        if part is None:
            return None
        logger.error("%s unavailable on %s %s", part, request.method, request.path)
        if request.path.startswith("/api/"):
            return error_response(503, ServiceUnavailable.code, ServiceUnavailable.detail)
        return HttpResponse(ServiceUnavailable.detail, status=503, content_type="text/plain")

    def _respond(self, request: HttpRequest) -> HttpResponse:
        is_api = request.path.startswith("/api/")
        if is_api and declared_length(request) > body_limit(request):
            return error_response(413, PayloadTooLarge.code, PayloadTooLarge.detail)
        response = self.get_response(request)
        if is_api and response.status_code >= 400 and not _is_json(response):
            # Django's own 404/405/500 pages are HTML; under /api/ every error is JSON.
            code, detail = _GENERIC_ERRORS.get(
                response.status_code, ("ERROR", "The request could not be processed.")
            )
            replaced = error_response(response.status_code, code, detail)
            for header in ("Allow", "Retry-After"):
                if header in response:
                    replaced[header] = response[header]
            return replaced
        return response


class HttpMetricsMiddleware:
    """tta_http_requests_total and tta_http_request_duration_seconds, labelled by the route's
    template (`/api/accounts/{account_id}`), never the raw path: a path that matched no route
    is `unmatched`, a static file `/static/{path}`. Outermost but for tracing, so the figures
    include every other middleware and every answer they give (413, 503, ...)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.static_prefix = "/" + settings.STATIC_URL.strip("/") + "/"

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        http_request_observed(
            request.method or "",
            self._route(request),
            response.status_code,
            time.perf_counter() - started,
        )
        return response

    def _route(self, request: HttpRequest) -> str:
        match = request.resolver_match
        if match is not None:
            return route_template(match.route)
        # No view ran: answered by a middleware (413, a NUL refused, whitenoise) or no route.
        if request.path.startswith(self.static_prefix):
            return self.static_prefix + "{path}"
        try:
            return route_template(resolve(request.path_info).route)
        except Resolver404:
            return "unmatched"


def declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def streams_body(request: HttpRequest) -> bool:
    """A route whose view streams the body to storage itself (an upload chunk), never whole."""
    return (
        request.method == "PUT" and re.match(settings.STREAMED_BODY_PATH, request.path) is not None
    )


def body_limit(request: HttpRequest) -> int:
    """MAX_REQUEST_BODY_BYTES, or on a streamed route the largest chunk it takes."""
    return (
        settings.STREAMED_BODY_MAX_BYTES
        if streams_body(request)
        else settings.MAX_REQUEST_BODY_BYTES
    )


def _is_json(response: HttpResponse) -> bool:
    if not response.get("Content-Type", "").startswith("application/json"):
        return False
    try:
        return isinstance(json.loads(response.content), dict)
    except (ValueError, AttributeError):
        return False
