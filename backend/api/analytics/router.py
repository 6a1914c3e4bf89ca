"""`/api/accounts/{account_id}/analytics`: an account's figures over 7, 30 or 90 days (JWT,
read limit)."""

import uuid
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query

from api.analytics.schemas import AnalyticsOut, AnalyticsQuery
from api.round_trip import user_rate_limit
from api.workspace_scope import WorkspaceRouter, requires
from apps.analytics.selectors import account_analytics
from apps.core.errors import NOT_FOUND, READ_ERRORS
from apps.tiktok_accounts.selectors import account_get
from apps.workspaces.models import Role

router = WorkspaceRouter(tags=["accounts"])


@router.get(
    "/{account_id}/analytics",
    response={200: AnalyticsOut, **READ_ERRORS, **NOT_FOUND},
    summary="Followers, likes and videos over a period, engagement and the top videos",
)
@requires(Role.VIEWER)
@user_rate_limit("read")
def account_analytics_get(
    request: HttpRequest, account_id: uuid.UUID, query: Query[AnalyticsQuery]
) -> Any:
    account = account_get(workspace_id=request.workspace.id, account_id=account_id)
    return account_analytics(account=account, days=query.days, now=timezone.now())
