"""`/api/webhook-endpoints` and `/api/webhook-deliveries`: a workspace's outbound webhooks.
Thin routes over apps.outbound_webhooks; admins write (RATE_LIMIT_MANAGE), viewers read."""

import uuid
from typing import Any

from django.http import HttpRequest
from ninja import Query, Status

from api.outbound_webhooks.schemas import (
    DeliveryListQuery,
    DeliveryOut,
    DeliveryPageOut,
    EndpointCreatedOut,
    EndpointIn,
    EndpointListOut,
    EndpointOut,
    EndpointPatchIn,
    SecretOut,
)
from api.round_trip import user_rate_limit
from api.workspace_scope import WorkspaceRouter, requires
from apps.audit.services import RequestMeta
from apps.core.errors import BODY_ERRORS, NOT_FOUND, READ_ERRORS
from apps.outbound_webhooks import selectors, services
from apps.outbound_webhooks.models import WebhookEndpoint
from apps.workspaces.models import Role

router = WorkspaceRouter(tags=["webhook endpoints"])
delivery_router = WorkspaceRouter(tags=["webhook endpoints"])
WRITE_ERRORS = {**READ_ERRORS, **BODY_ERRORS}


def _endpoint(request: HttpRequest, endpoint_id: uuid.UUID) -> WebhookEndpoint:
    """The workspace's endpoint, or 404 WEBHOOK_ENDPOINT_NOT_FOUND (never saying whose)."""
    return selectors.endpoint_get(workspace_id=request.workspace.id, endpoint_id=endpoint_id)


@router.get("", response={200: EndpointListOut, **READ_ERRORS}, summary="List the endpoints")
@requires(Role.VIEWER)
@user_rate_limit("read")
def endpoint_list(request: HttpRequest) -> Any:
    return {"items": list(selectors.endpoint_list(workspace_id=request.workspace.id))}


@router.post(
    "",
    response={201: EndpointCreatedOut, **WRITE_ERRORS},
    summary="Register an endpoint (its secret is in this answer only)",
)
@requires(Role.ADMIN)
@user_rate_limit("manage")
def endpoint_create(request: HttpRequest, payload: EndpointIn) -> Any:
    endpoint, secret = services.endpoint_create(
        workspace_id=request.workspace.id,
        draft=services.EndpointDraft(**payload.dict()),
        meta=RequestMeta.from_request(request),
    )
    endpoint.secret = secret  # the plaintext, for this answer only
    return Status(201, endpoint)


@router.get(
    "/{endpoint_id}", response={200: EndpointOut, **READ_ERRORS, **NOT_FOUND}, summary="One"
)
@requires(Role.VIEWER)
@user_rate_limit("read")
def endpoint_detail(request: HttpRequest, endpoint_id: uuid.UUID) -> Any:
    return _endpoint(request, endpoint_id)


@router.patch(
    "/{endpoint_id}",
    response={200: EndpointOut, **WRITE_ERRORS, **NOT_FOUND},
    summary="Change url, events, description or is_active (re-activating clears the reason)",
)
@requires(Role.ADMIN)
@user_rate_limit("manage")
def endpoint_update(request: HttpRequest, endpoint_id: uuid.UUID, payload: EndpointPatchIn) -> Any:
    endpoint = _endpoint(request, endpoint_id)
    values = payload.dict(exclude_unset=True)
    for name in ("url", "events", "description", "is_active"):
        if name in values and values[name] is None:
            del values[name]  # `null` leaves a field as it is
    return services.endpoint_update(
        endpoint=endpoint, values=values, meta=RequestMeta.from_request(request)
    )


@router.delete(
    "/{endpoint_id}",
    response={204: None, **READ_ERRORS, **NOT_FOUND},
    summary="Delete an endpoint; its pending deliveries are never sent",
)
@requires(Role.ADMIN)
@user_rate_limit("manage")
def endpoint_delete(request: HttpRequest, endpoint_id: uuid.UUID) -> Any:
    endpoint = _endpoint(request, endpoint_id)
    services.endpoint_delete(endpoint=endpoint, meta=RequestMeta.from_request(request))
    return Status(204, None)


@router.post(
    "/{endpoint_id}/rotate-secret",
    response={200: SecretOut, **READ_ERRORS, **NOT_FOUND},
    summary="A new secret; the old one keeps signing during the overlap",
)
@requires(Role.ADMIN)
@user_rate_limit("manage")
def endpoint_rotate_secret(request: HttpRequest, endpoint_id: uuid.UUID) -> Any:
    endpoint = _endpoint(request, endpoint_id)
    meta = RequestMeta.from_request(request)
    return {"secret": services.endpoint_secret_rotate(endpoint=endpoint, meta=meta)}


@router.post(
    "/{endpoint_id}/test",
    response={202: DeliveryOut, **READ_ERRORS, **NOT_FOUND},
    summary="Send a `ping` event to this endpoint alone",
)
@requires(Role.ADMIN)
@user_rate_limit("manage")
def endpoint_test(request: HttpRequest, endpoint_id: uuid.UUID) -> Any:
    endpoint = _endpoint(request, endpoint_id)
    return Status(202, services.endpoint_ping(endpoint=endpoint))


@router.get(
    "/{endpoint_id}/deliveries",
    response={200: DeliveryPageOut, **READ_ERRORS, **NOT_FOUND},
    summary="The endpoint's deliveries, newest first",
)
@requires(Role.VIEWER)
@user_rate_limit("read")
def delivery_list(
    request: HttpRequest, endpoint_id: uuid.UUID, query: Query[DeliveryListQuery]
) -> Any:
    return selectors.delivery_list_page(
        access=request.workspace, endpoint_id=endpoint_id, **query.dict()
    )


@delivery_router.post(
    "/{delivery_id}/redeliver",
    response={202: DeliveryOut, **READ_ERRORS, **NOT_FOUND},
    summary="Deliver the same event (same webhook-id) once more, now",
)
@requires(Role.ADMIN)
@user_rate_limit("manage")
def delivery_redeliver(request: HttpRequest, delivery_id: uuid.UUID) -> Any:
    delivery = selectors.delivery_get(workspace_id=request.workspace.id, delivery_id=delivery_id)
    return Status(202, services.delivery_redeliver(delivery=delivery))
