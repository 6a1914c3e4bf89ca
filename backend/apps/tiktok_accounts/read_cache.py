"""The version of each workspace's cached account reads, replaced at every write (domain side).

The HTTP side, `cached_read` in api.caching, serves an answer only while the version it was
stored with is still the workspace's version (the contract's "Caching of reads"). Here:
- `account_reads_invalidate` replaces the version when the writing transaction commits. No
  write path calls it: TikTokAccount's managers and signals do, for every ORM write of an
  account row, however written (models.stale_reads), so a new write path cannot forget it.
- Redis down: an invalidation is logged and lost (docs/operations.md, "After a Redis outage").
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from apps.core.shared_cache import Entry, cache_store_on_commit

# Longer than any answer lives; if it expires, the next read starts a fresh version safely.
VERSION_TIMEOUT_SECONDS = 7 * 24 * 3600


def reads_version_key(workspace_id: object) -> str:
    return f"reads-version:{workspace_id}"


def reads_version_new() -> str:
    return secrets.token_hex(8)


def account_reads_invalidate(*, workspace_ids: Iterable[object]) -> None:
    """Makes every cached read of these workspaces' accounts stale when the current write commits.
    Called by TikTokAccount's own writes only (models.stale_reads), never by a service."""
    entries = [
        Entry(reads_version_key(workspace_id), reads_version_new(), VERSION_TIMEOUT_SECONDS)
        for workspace_id in workspace_ids
    ]
    cache_store_on_commit(*entries, lost="cached reads not invalidated")
