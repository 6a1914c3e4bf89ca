"""/api/api-keys: create, list and revoke the caller's API keys. Login only: no key may."""

import uuid
from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from api.api_keys.schemas import ApiKeyCreatedOut, ApiKeyIn, ApiKeyListOut
from api.auth.scopes import login_only
from api.round_trip import user_rate_limit
from api.workspace_scope import HEADER_PARAMETER, WorkspaceJWTAuth, requires
from apps.api_keys import selectors, services
from apps.audit.services import RequestMeta
from apps.core.errors import AUTH_ERRORS, BODY_ERRORS, NOT_FOUND, READ_ERRORS, WORKSPACE_ERRORS
from apps.workspaces.models import Role

router = Router(tags=["api keys"])


@router.post(
    "",
    auth=WorkspaceJWTAuth(),
    response={201: ApiKeyCreatedOut, **READ_ERRORS, **WORKSPACE_ERRORS, **BODY_ERRORS},
    openapi_extra={"parameters": [HEADER_PARAMETER]},
    summary="Create an API key acting as you in this workspace (the key is shown once)",
)
@requires(Role.VIEWER)  # any member: what a key may do is decided at each use
@login_only
@user_rate_limit("manage")
def api_key_create(request: HttpRequest, payload: ApiKeyIn) -> Any:
    created = services.api_key_create(
        user_id=request.auth.pk,  # type: ignore[attr-defined]
        workspace_id=request.workspace.id,  # type: ignore[attr-defined]
        name=payload.name,
        scopes=payload.scopes,
        expires_at=payload.expires_at,
        meta=RequestMeta.from_request(request),
    )
    return Status(201, {**_out(created.api_key), "key": created.key})


@router.get(
    "",
    response={200: ApiKeyListOut, **READ_ERRORS},
    summary="Your API keys that are not revoked, newest first",
)
@login_only
@user_rate_limit("read")
def api_key_list(request: HttpRequest) -> Any:
    return {"items": [_out(key) for key in selectors.api_key_list(user_id=request.auth.pk)]}  # type: ignore[attr-defined]


@router.delete(
    "/{key_id}",
    response={204: None, **NOT_FOUND, **AUTH_ERRORS},
    summary="Revoke one of your API keys (refused from the next request on)",
)
@login_only
def api_key_revoke(request: HttpRequest, key_id: uuid.UUID) -> Any:
    services.api_key_revoke(
        user_id=request.auth.pk,  # type: ignore[attr-defined]
        key_id=key_id,
        meta=RequestMeta.from_request(request),
    )
    return Status(204, None)


def _out(api_key: Any) -> dict[str, Any]:
    """ApiKeyOut's fields, named one by one: the hash stays in the model."""
    return {
        "id": api_key.id,
        "name": api_key.name,
        "prefix": api_key.prefix,
        "scopes": api_key.scopes,
        "workspace_id": api_key.workspace_id,
        "created_at": api_key.created_at,
        "expires_at": api_key.expires_at,
        "last_used_at": api_key.last_used_at,
    }
