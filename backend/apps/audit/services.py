"""The one way audit entries are written."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest

from apps.audit.models import AuditAction, AuditLog


@dataclass(frozen=True)
class RequestMeta:
    """Who asked, from where: captured by the router (or the admin), carried into services.

    `actor` is "user" for a request and "system" for work the service does on its own
    (background refresh, scheduled sync, sync-all jobs), which has no IP address.
    """

    ip_address: str | None = None
    user_agent: str = ""
    actor: str = "user"
    user_id: Any = None  # the acting user (None: the service itself)
    api_key_id: str | None = None  # the API key the request was made with, if any

    @classmethod
    def from_request(cls, request: HttpRequest) -> RequestMeta:
        user = getattr(request, "user", None)
        key = getattr(request, "api_key", None)  # set by the auth (apps.api_keys.access.KeyFacts)
        return cls(
            ip_address=request.META.get("REMOTE_ADDR") or None,
            user_agent=request.headers.get("User-Agent", "")[:512],
            user_id=user.pk if user is not None and user.is_authenticated else None,
            api_key_id=None if key is None else str(key.id),
        )


SYSTEM = RequestMeta(actor="system")


@dataclass(frozen=True)
class AuditEntry:
    workspace_id: uuid.UUID
    action: AuditAction
    resource_id: uuid.UUID
    meta: RequestMeta
    resource_type: str = "tiktok_account"
    changes: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)


def _actor(meta: RequestMeta) -> dict[str, Any]:
    """Who acted, in every entry's metadata; `api_key_id` only when a key was used."""
    found = {"actor": meta.actor, "user_id": meta.user_id}
    if meta.api_key_id is not None:
        found["api_key_id"] = meta.api_key_id
    return found


def audit_record(*entries: AuditEntry) -> None:
    """Writes every entry in one INSERT, so a batch of 50 costs one round trip."""
    AuditLog.objects.bulk_create(
        AuditLog(
            workspace_id=entry.workspace_id,
            user_id=entry.meta.user_id,
            action=entry.action,
            resource_type=entry.resource_type,
            resource_id=entry.resource_id,
            ip_address=entry.meta.ip_address,
            user_agent=entry.meta.user_agent,
            changes=entry.changes,
            metadata={**entry.metadata, **_actor(entry.meta)},
        )
        for entry in entries
    )
