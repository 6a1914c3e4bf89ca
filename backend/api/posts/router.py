"""Posts: creator info and create under `/api/accounts/{account_id}`, the rest under
`/api/posts`. Thin routes over apps.posts."""

import uuid
from typing import Any

from django.http import HttpRequest
from ninja import Header, Query, Status

from api.auth.scopes import key_scope
from api.posts.schemas import (
    ChunkAckOut,
    CreatorInfoOut,
    PostIn,
    PostListQuery,
    PostOut,
    PostPageOut,
    RejectIn,
)
from api.round_trip import user_rate_limit
from api.workspace_scope import WorkspaceRouter, requires
from apps.api_keys.models import Scope
from apps.audit.services import RequestMeta
from apps.core.errors import (
    AUTH_ERRORS,
    BODY_ERRORS,
    NOT_FOUND,
    READ_ERRORS,
    TIKTOK_TOKEN_ERRORS,
    ErrorOut,
)
from apps.core.middleware import declared_length
from apps.posts import approval, client_upload, selectors, services
from apps.posts.creator_info import creator_info_fetch
from apps.tiktok_accounts.selectors import account_get
from apps.workspaces.models import Role

account_router = WorkspaceRouter(tags=["posts"])
router = WorkspaceRouter(tags=["posts"])


@account_router.get(
    "/{account_id}/creator-info",
    response={200: CreatorInfoOut, **READ_ERRORS, **NOT_FOUND, **TIKTOK_TOKEN_ERRORS},
    summary="What the account's creator may post now (TikTok creator info, reused briefly)",
)
@requires(Role.VIEWER)
@user_rate_limit("read")
def creator_info(request: HttpRequest, account_id: uuid.UUID) -> Any:
    account = account_get(workspace_id=request.workspace.id, account_id=account_id)
    return creator_info_fetch(account=account)


@account_router.post(
    "/{account_id}/posts",
    response={
        200: PostOut,
        202: PostOut,
        **READ_ERRORS,
        **NOT_FOUND,
        **TIKTOK_TOKEN_ERRORS,
        **BODY_ERRORS,
    },
    summary="Post a video or photos to the account or its inbox, now or at scheduled_at "
    "(202; 200 for a replay)",
)
@requires(Role.EDITOR)
@key_scope(Scope.PUBLISH)
@user_rate_limit("post")
def post_create(
    request: HttpRequest,
    account_id: uuid.UUID,
    payload: PostIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key", max_length=255),
) -> Any:
    account = account_get(workspace_id=request.workspace.id, account_id=account_id)
    values = payload.dict()
    if values["photo_urls"] is not None:
        values["photo_urls"] = tuple(values["photo_urls"])
    post, created = services.post_create(
        account=account,
        draft=services.PostDraft(**values),
        idempotency_key=idempotency_key or None,
        meta=RequestMeta.from_request(request),
        role=request.workspace.role,
    )
    return Status(202 if created else 200, post)


@router.get(
    "",
    response={200: PostPageOut, **READ_ERRORS},
    summary="List the workspace's posts, newest first",
)
@requires(Role.VIEWER)
@user_rate_limit("read")
def post_list(request: HttpRequest, query: Query[PostListQuery]) -> Any:
    return selectors.post_list_page(access=request.workspace, **query.dict())


@router.get("/{post_id}", response={200: PostOut, **READ_ERRORS, **NOT_FOUND}, summary="One post")
@requires(Role.VIEWER)
@user_rate_limit("read")
def post_detail(request: HttpRequest, post_id: uuid.UUID) -> Any:
    return selectors.post_get(workspace_id=request.workspace.id, post_id=post_id)


@router.delete(
    "/{post_id}",
    response={204: None, 401: ErrorOut, **NOT_FOUND, 409: ErrorOut, **AUTH_ERRORS},
    summary="Cancel a post awaiting its upload, its approval or its time (409 once publishing "
    "has begun)",
)
@requires(Role.EDITOR)
@key_scope(Scope.PUBLISH)
def post_cancel(request: HttpRequest, post_id: uuid.UUID) -> Any:
    meta = RequestMeta.from_request(request)
    services.post_cancel(workspace_id=request.workspace.id, post_id=post_id, meta=meta)
    return Status(204, None)


@router.put(
    "/{post_id}/upload",
    response={200: ChunkAckOut, **AUTH_ERRORS, **NOT_FOUND, 413: ErrorOut},
    summary="Send one chunk of an upload post's file (Content-Range; resumable)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/octet-stream": {"schema": {"type": "string"}}},
        }
    },
)
@requires(Role.EDITOR)
@key_scope(Scope.PUBLISH)
def post_upload(
    request: HttpRequest,
    post_id: uuid.UUID,
    # Checked after the post is found (a missing one is 422): another's post is always 404.
    content_range: str | None = Header(None, alias="Content-Range", max_length=100),
) -> Any:
    # The body is streamed from the request to storage (the middleware lets a chunk through).
    ack = client_upload.upload_receive(
        workspace_id=request.workspace.id,
        post_id=post_id,
        content_range=content_range or "",
        length=declared_length(request),
        body=request,
    )
    return ack


@router.post(
    "/{post_id}/approve",
    response={200: PostOut, **AUTH_ERRORS, **NOT_FOUND, 409: ErrorOut},
    summary="Approve a post waiting for approval: scheduled, or sent at once when due",
)
@requires(Role.ADMIN)
@key_scope(Scope.PUBLISH)
def post_approve(request: HttpRequest, post_id: uuid.UUID) -> Any:
    meta = RequestMeta.from_request(request)
    return approval.post_approve(workspace_id=request.workspace.id, post_id=post_id, meta=meta)


@router.post(
    "/{post_id}/reject",
    response={200: PostOut, **AUTH_ERRORS, **NOT_FOUND, 409: ErrorOut, **BODY_ERRORS},
    summary="Reject a post waiting for approval (final)",
)
@requires(Role.ADMIN)
@key_scope(Scope.PUBLISH)
def post_reject(request: HttpRequest, post_id: uuid.UUID, payload: RejectIn) -> Any:
    meta = RequestMeta.from_request(request)
    return approval.post_reject(
        workspace_id=request.workspace.id, post_id=post_id, reason=payload.reason, meta=meta
    )
