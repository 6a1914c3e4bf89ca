"""TikTok's authorization.removed webhook: the accounts of that TikTok user are revoked.

Registered with the webhooks app in TikTokAccountsConfig.ready; runs inside the transaction that
stores the event (apps.webhooks.registry), row updates only.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.utils import timezone
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from apps.audit.models import AuditAction
from apps.audit.services import SYSTEM, AuditEntry, audit_record
from apps.tiktok_accounts.models import AccountStatus, TikTokAccount
from apps.webhooks.envelope import WebhookEnvelope, content_parse
from apps.webhooks.models import WebhookStatus

AUTHORIZATION_REMOVED = "authorization.removed"
# Reference: https://developers.tiktok.com/doc/webhooks-events (authorization.removed)
REMOVAL_REASONS = {
    0: "unknown reason",
    1: "the user disconnected the app in TikTok",
    2: "the TikTok account was deleted",
    3: "the user's age changed",
    4: "the TikTok account was banned",
    5: "the developer revoked the authorization",
}


class AuthorizationRemovedContent(BaseModel):
    model_config = ConfigDict(extra="ignore")

    # Absent: TikTok's own "0 = Unknown". A code TikTok adds later still revokes.
    reason: StrictInt = Field(0, ge=0)


def authorization_removed(envelope: WebhookEnvelope) -> WebhookStatus:
    """Every live account of that TikTok user, in every workspace, becomes `revoked`, unless it was
    connected again after the event (TikTok retries for 72 hours: events arrive late)."""
    reason = content_parse(envelope, AuthorizationRemovedContent).reason
    happened_at = datetime.fromtimestamp(envelope.create_time, UTC)
    # create_time has whole seconds: an event is older than a connect only if its second ended
    # before the connect began (a connect takes seconds of OAuth, so a tie means "after").
    rows = list(
        TikTokAccount.objects.select_for_update()
        .filter(open_id=envelope.user_openid, connected_at__lt=happened_at + timedelta(seconds=1))
        .values_list("id", "workspace_id", "status")
    )
    if not rows:
        return WebhookStatus.IGNORED
    why = REMOVAL_REASONS.get(reason, "unknown reason")
    TikTokAccount.all_objects.filter(pk__in=[pk for pk, _, _ in rows]).update(
        status=AccountStatus.REVOKED,
        last_sync_error=f"AUTHORIZATION_REMOVED: TikTok access was removed: {why} "
        f"(reason {reason}); reconnect the account.",
        updated_at=timezone.now(),
    )
    audit_record(
        *(
            AuditEntry(
                workspace_id=workspace_id,
                action=AuditAction.AUTHORIZATION_REMOVED,
                resource_id=pk,
                meta=SYSTEM,
                changes={"before": {"status": status}, "after": {"status": AccountStatus.REVOKED}}
                if status != AccountStatus.REVOKED
                else {},
                metadata={
                    "reason": reason,
                    "event_time": happened_at.isoformat(),
                },
            )
            for pk, workspace_id, status in rows
        )
    )
    return WebhookStatus.PROCESSED
