"""`/api/accounts`: thin routes over the tiktok_accounts services and selectors.

Specific paths (`/stats/summary`, `/batch/sync`, `/batch/sync-all`, `/connect/...`) are
registered before the `/{account_id}` routes so that no literal segment is ever matched as an
account id.
"""

import uuid
from typing import Any

from django.http import HttpRequest
from ninja import Query, Status

from api.accounts.rendering import account_page_json, summary_json
from api.accounts.schemas import (
    AccountDetailOut,
    AccountListQuery,
    AccountPageOut,
    BatchSyncIn,
    BatchSyncOut,
    ConnectCompleteIn,
    ConnectStartOut,
    SummaryOut,
)
from api.caching import cached_read
from api.jobs.schemas import JobOut
from api.round_trip import user_rate_limit
from api.workspace_scope import WorkspaceRouter, requires
from apps.audit.services import RequestMeta
from apps.core.errors import (
    AUTH_ERRORS,
    BODY_ERRORS,
    NOT_FOUND,
    READ_ERRORS,
    TIKTOK_ERRORS,
    TIKTOK_TOKEN_ERRORS,
    ErrorOut,
)
from apps.core.renderers import json_response
from apps.jobs import services as job_services
from apps.tiktok_accounts import selectors, services
from apps.tiktok_accounts.list_page import account_list_page
from apps.workspaces.models import Role

router = WorkspaceRouter(tags=["accounts"])


@router.get(
    "",
    response={200: AccountPageOut, **READ_ERRORS},
    summary="List the workspace's TikTok accounts",
)
@requires(Role.VIEWER)
@cached_read("read")
def account_list(request: HttpRequest, query: Query[AccountListQuery]) -> Any:
    page = account_list_page(access=request.workspace, **query.dict())
    return json_response(account_page_json(page))


@router.get(
    "/stats/summary",
    response={200: SummaryOut, **READ_ERRORS},
    summary="Totals over the workspace's accounts",
)
@requires(Role.VIEWER)
@cached_read("read")
def account_summary(request: HttpRequest) -> Any:
    return json_response(summary_json(selectors.account_summary(workspace_id=request.workspace.id)))


@router.post(
    "/batch/sync",
    response={200: BatchSyncOut, **READ_ERRORS, **BODY_ERRORS},
    summary="Sync up to 50 accounts in parallel",
)
@requires(Role.EDITOR)
@user_rate_limit("batch_sync")
def account_batch_sync(request: HttpRequest, payload: BatchSyncIn) -> Any:
    succeeded, failed = services.account_batch_sync(
        workspace_id=request.workspace.id,
        account_ids=payload.account_ids,
        meta=RequestMeta.from_request(request),
    )
    return {"succeeded": succeeded, "failed": failed}


@router.post(
    "/batch/sync-all",
    response={202: JobOut, **READ_ERRORS, 503: ErrorOut, **BODY_ERRORS},
    summary="Sync every account in the background (returns the running job if there is one)",
)
@requires(Role.EDITOR)
@user_rate_limit("sync_all")
def account_sync_all(request: HttpRequest) -> Any:
    return Status(
        202,
        job_services.job_sync_all_start(workspace_id=request.workspace.id, user_id=request.auth.pk),
    )


@router.post(
    "/connect/start",
    response={200: ConnectStartOut, **READ_ERRORS},
    summary="Start connecting a TikTok account (OAuth)",
)
@requires(Role.ADMIN)
@user_rate_limit("connect")
def account_connect_start(request: HttpRequest) -> Any:
    authorize_url, state = services.account_connect_start(
        user_id=request.auth.pk, workspace_id=request.workspace.id
    )
    return {"authorize_url": authorize_url, "state": state}


@router.post(
    "/connect/complete",
    response={
        200: AccountDetailOut,
        201: AccountDetailOut,
        400: ErrorOut,
        **READ_ERRORS,
        **TIKTOK_ERRORS,
        **BODY_ERRORS,
    },
    summary="Finish connecting: exchange the OAuth code",
)
@requires(Role.ADMIN)
@user_rate_limit("connect")
def account_connect_complete(request: HttpRequest, payload: ConnectCompleteIn) -> Any:
    account, created = services.account_connect_complete(
        workspace_id=request.workspace.id,
        code=payload.code,
        state=payload.state,
        meta=RequestMeta.from_request(request),
    )
    return Status(201 if created else 200, account)


@router.get(
    "/{account_id}",
    response={200: AccountDetailOut, **NOT_FOUND, **READ_ERRORS},
    summary="One account",
)
@requires(Role.VIEWER)
@user_rate_limit("read")
def account_detail(request: HttpRequest, account_id: uuid.UUID) -> Any:
    return selectors.account_get(workspace_id=request.workspace.id, account_id=account_id)


@router.delete(
    "/{account_id}",
    response={204: None, 401: ErrorOut, **NOT_FOUND, **AUTH_ERRORS},
    summary="Disconnect an account (soft delete; revokes the token at TikTok)",
)
@requires(Role.ADMIN)
def account_delete(request: HttpRequest, account_id: uuid.UUID) -> Any:
    account = selectors.account_get(workspace_id=request.workspace.id, account_id=account_id)
    services.account_delete(account=account, meta=RequestMeta.from_request(request))
    return Status(204, None)


@router.post(
    "/{account_id}/sync",
    response={200: AccountDetailOut, **NOT_FOUND, **READ_ERRORS, **TIKTOK_TOKEN_ERRORS},
    summary="Fetch the account's profile and statistics from TikTok",
)
@requires(Role.EDITOR)
@user_rate_limit("sync")
def account_sync(request: HttpRequest, account_id: uuid.UUID) -> Any:
    account = selectors.account_get(workspace_id=request.workspace.id, account_id=account_id)
    return services.account_sync(account=account, meta=RequestMeta.from_request(request))
