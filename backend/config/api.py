"""The one NinjaAPI: JWT auth by default, every error mapped once to `{"detail", "code"}`."""

from __future__ import annotations

import logging

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Swagger
from ninja.errors import AuthenticationError, HttpError, ValidationError

from api.accounts.router import router as accounts_router
from api.analytics.router import router as analytics_router
from api.api_keys.router import router as api_keys_router
from api.audit.router import router as audit_router
from api.auth.router import router as auth_router
from api.auth.scopes import api_key_scope_guard
from api.auth.security import JWTAuth
from api.health import router as health_router
from api.history.router import router as history_router
from api.jobs.router import router as jobs_router
from api.outbound_webhooks.router import delivery_router as webhook_deliveries_router
from api.outbound_webhooks.router import router as webhook_endpoints_router
from api.posts.router import account_router as account_posts_router
from api.posts.router import router as posts_router
from api.videos.router import router as videos_router
from api.webhooks.router import router as webhooks_router
from api.workspaces.router import invitation_router
from api.workspaces.router import router as workspaces_router
from apps.core.errors import (
    ApplicationError,
    InternalError,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PayloadTooLarge,
    ServiceUnavailable,
)
from apps.core.middleware import error_response
from apps.core.outages import OUTAGES, outage_part
from apps.core.renderers import ApiRenderer
from config.openapi import DocumentedAPI

logger = logging.getLogger(__name__)

api = DocumentedAPI(
    title="TikTok Accounts API",
    version="1.0.0",
    description="Connect, sync and manage the TikTok accounts you run.",
    auth=JWTAuth(),
    renderer=ApiRenderer(),
    urls_namespace="api",
    # Served from ninja's own static files; the validator badge would call an outside host.
    docs=Swagger(settings={"validatorUrl": None, "persistAuthorization": True}),
)


@api.exception_handler(ApplicationError)
def application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    extra = {"errors": exc.errors} if isinstance(exc, InvalidInput) else {}
    response = error_response(exc.status, exc.code, exc.detail, **extra)
    if exc.retry_after is not None:
        response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    # Only loc/msg/type: pydantic's `input` and `ctx` could echo a password back.
    errors = [
        {
            "loc": list(err.get("loc", [])),
            "msg": str(err.get("msg", "")),
            "type": str(err.get("type", "")),
        }
        for err in exc.errors
    ]
    return error_response(
        422, "VALIDATION_ERROR", "Some values are missing or invalid.", errors=errors
    )


@api.exception_handler(AuthenticationError)
def authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return application_error(request, NotAuthenticated())


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return application_error(request, NotFound())


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400 and isinstance(exc.__cause__, ValueError):
        # Ninja's one 400: a body that is not JSON. Answered like any other invalid body, so
        # the 422 every body route declares covers it (and Ninja's message, which echoes the
        # parser error in DEBUG, never reaches the client).
        errors = [
            {"loc": ["body"], "msg": "The request body is not valid JSON.", "type": "json_invalid"}
        ]
        return error_response(
            422, "VALIDATION_ERROR", "The request body is not valid JSON.", errors=errors
        )
    code = "BAD_REQUEST" if exc.status_code == 400 else f"HTTP_{exc.status_code}"
    return error_response(exc.status_code, code, "The request could not be processed.")


@api.exception_handler(RequestDataTooBig)
def payload_too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return application_error(request, PayloadTooLarge())


def dependency_down(request: HttpRequest, exc: Exception) -> HttpResponse:
    # The database or the cache is down: the client may retry; no 500, no trace.
    logger.error(
        "%s unavailable on %s %s: %s",
        outage_part(exc),
        request.method,
        request.path,
        type(exc).__name__,
    )
    return application_error(request, ServiceUnavailable())


for _outage in OUTAGES:
    api.add_exception_handler(_outage, dependency_down)


@api.exception_handler(Exception)
def unexpected_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("Unhandled error on %s %s", request.method, request.path)
    return application_error(request, InternalError())


api.add_router("/auth", auth_router)
api.add_router("/accounts", accounts_router)
api.add_router("/accounts", history_router)
api.add_router("/accounts", analytics_router)
api.add_router("/webhooks", webhooks_router)
api.add_router("/accounts", videos_router)
api.add_router("/accounts", account_posts_router)
api.add_router("/posts", posts_router)
api.add_router("/audit-logs", audit_router)
api.add_router("/jobs", jobs_router)
api.add_router("/workspaces", workspaces_router)
api.add_router("/invitations", invitation_router)
api.add_router("/api-keys", api_keys_router)
api.add_router("/webhook-endpoints", webhook_endpoints_router)
api.add_router("/webhook-deliveries", webhook_deliveries_router)
api.add_router("", health_router)
# Every operation, whichever router declares it: an API key outside its scopes gets 403.
api.add_decorator(api_key_scope_guard, mode="operation")
