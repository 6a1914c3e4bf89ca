"""Streamed CSV answers: the header row first, then rows written as the database yields them.

Memory stays flat whatever the size: the rows come from a chunked iterator (a server-side
cursor on PostgreSQL) and leave in blocks of about FLUSH_CHARS characters. Errors are found
before the first byte (the route looks the account up and validates its input first), so
they still answer JSON in the one error shape.

Where every cell is a number or a time (account history), PostgreSQL writes the CSV itself
(`COPY (SELECT ...) TO STDOUT`): Python then only passes blocks on, which is what makes a
100,000-point export stream at the speed docs/performance.md reports; turning each timestamp
into a datetime and back cost four fifths of the time. Both paths write the same bytes (a
test compares them on PostgreSQL).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.db import connection
from django.db.models import CharField, Func, QuerySet
from django.http import StreamingHttpResponse

from apps.core.renderers import timestamp

CONTENT_TYPE = "text/csv; charset=utf-8"
# A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FLUSH_CHARS = 64 * 1024
LINE_END = "\r\n"  # RFC 4180


def csv_text(value: str) -> str:
    """A text cell no spreadsheet runs: a leading `'` before a formula's first character."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def csv_time(value: Any) -> str:
    """A time cell exactly as the JSON answers write it (UTC, microseconds, `Z`)."""
    return timestamp(value) or ""


class CsvTime(Func):
    """A time column as `csv_time` writes it, formatted by PostgreSQL (for COPY)."""

    template = "to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
    output_field = CharField()


def csv_response(
    *,
    filename: str,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    copy: QuerySet | None = None,
) -> StreamingHttpResponse:
    """An attachment streaming `header` then `rows` (cells already made safe by the caller:
    text through `csv_text`, times through `csv_time`; numbers need nothing).

    `copy`: the same rows as a `values_list` of numbers and `CsvTime` columns only, which
    PostgreSQL then writes itself; elsewhere `rows` is used.
    """
    if copy is not None and connection.vendor == "postgresql":
        body = _copied(header, copy)
    else:
        body = _encoded(header, rows)
    response = StreamingHttpResponse(body, content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _header(header: Sequence[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=LINE_END).writerow(header)
    return buffer.getvalue()


def _copied(header: Sequence[str], rows: QuerySet) -> Iterator[bytes]:
    """COPY needs its SELECT with the values inlined (no bind parameters): psycopg quotes them."""
    sql, params = rows.query.sql_with_params()
    statement = f"COPY ({connection.ops.compose_sql(sql, params)}) TO STDOUT WITH (FORMAT csv)"
    yield _header(header).encode()
    pending = bytearray()
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        # COPY hands over one row per read: passed on one by one, each row would cost a trip
        # through the response's iterators, which took longer than PostgreSQL's own work.
        for row in copy:
            pending += row
            if len(pending) >= FLUSH_CHARS:
                yield _crlf(pending)
                pending.clear()
    yield _crlf(pending)


def _crlf(block: bytearray) -> bytes:
    """COPY ends lines with LF; its cells here are numbers and times, never a newline."""
    return bytes(block).replace(b"\n", LINE_END.encode())


def _encoded(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=LINE_END)  # quotes where a cell needs them
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
