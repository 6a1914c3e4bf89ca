"""Streamed CSV answers: the header row first, then rows written as the database yields them.

Memory stays flat whatever the size: the rows come from a chunked iterator (a server-side
cursor on PostgreSQL) and leave in blocks of about FLUSH_CHARS characters. Errors are found
before the first byte (the route looks the account up and validates its input first), so
they still answer JSON in the one error shape.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.http import StreamingHttpResponse

from apps.core.renderers import timestamp

CONTENT_TYPE = "text/csv; charset=utf-8"
# A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FLUSH_CHARS = 64 * 1024


def csv_text(value: str) -> str:
    """A text cell no spreadsheet runs: a leading `'` before a formula's first character."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def csv_time(value: Any) -> str:
    """A time cell exactly as the JSON answers write it (UTC, microseconds, `Z`)."""
    return timestamp(value) or ""


def csv_response(
    *, filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> StreamingHttpResponse:
    """An attachment streaming `header` then `rows` (cells already made safe by the caller:
    text through `csv_text`, times through `csv_time`; numbers need nothing)."""
    response = StreamingHttpResponse(_encoded(header, rows), content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _encoded(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # RFC 4180: CRLF, quotes where a cell needs them
    writer.writerow(header)
    for row in rows:
        writer.writerow(row)
        if buffer.tell() >= FLUSH_CHARS:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


# What a CSV route declares: its 200 is a text/csv document, not JSON.
CSV_OPENAPI = {
    "responses": {
        200: {
            "description": "A CSV document (UTF-8), the header row first.",
            "content": {CONTENT_TYPE.split(";")[0]: {"schema": {"type": "string"}}},
        }
    }
}
