"""The list page and the summary rendered straight to JSON bytes (what the read cache keeps).

A list row is a dict of LIST_FIELDS in AccountOut's field order; only the two timestamps need
converting, so rows skip pydantic (validating 20 to 50 rows per request cost more than the rest
of the serialization). test_rendering proves the bytes equal what Ninja renders through
AccountPageOut / SummaryOut.
"""

from __future__ import annotations

from typing import Any

from api.accounts.schemas import SummaryOut
from apps.core.cursor import Page
from apps.core.renderers import json_dumps, timestamp


def _item(row: dict[str, Any]) -> dict[str, Any]:
    row["last_synced_at"] = timestamp(row["last_synced_at"])
    row["created_at"] = timestamp(row["created_at"])
    return row


def account_page_json(page: Page[dict[str, Any]]) -> bytes:
    return json_dumps(
        {
            "items": [_item(row) for row in page.items],
            "total": page.total,
            "next_cursor": page.next_cursor,
            "has_more": page.has_more,
        }
    )


def summary_json(summary: dict[str, int]) -> bytes:
    return json_dumps(SummaryOut(**summary).model_dump())
