"""Audit entries in tests: who the entries a request wrote name (the contract's workspace
section: `metadata.user_id` on every entry a request writes, `metadata.api_key_id` with a key)."""

from __future__ import annotations

import uuid

from apps.audit.models import AuditLog


def entry_ids() -> set[uuid.UUID]:
    """The entries written so far: pass to `assert_written_by` after the request."""
    return set(AuditLog.objects.values_list("pk", flat=True))


def assert_written_by(before: set[uuid.UUID], user_id: object, api_key_id: object = None) -> None:
    """Every entry written since `before`: a request's names its user (and its key, if one was
    used, else none); the service's own work (a sync-all job run eagerly) names nobody."""
    for entry in AuditLog.objects.exclude(pk__in=before):
        meta = entry.metadata
        if meta["actor"] == "system":
            assert (meta["user_id"], entry.user_id, entry.ip_address) == (None, None, None), meta
            continue
        assert meta["actor"] == "user", meta
        assert (meta["user_id"], entry.user_id) == (user_id, user_id), (entry.action, meta)
        expected_key = None if api_key_id is None else str(api_key_id)
        assert meta.get("api_key_id") == expected_key, (entry.action, meta)
