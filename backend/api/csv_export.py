"""Streamed CSV answers: the header row first, then rows written as the database yields them.

Memory stays flat whatever the size: the rows come from a chunked iterator (a server-side
cursor, or PostgreSQL's chunked rows) and leave in blocks of about FLUSH_CHARS characters.
Errors are found before the first byte (the route looks the account up and validates its input
first), so they still answer JSON in the one error shape.

Where every cell is a number or a time (account history), PostgreSQL writes each line itself
(`CsvLine`) and hands them over STREAM_ROWS at a time (psycopg's `stream(size=...)`, libpq's
chunked rows): Python then only joins lines, which is what makes a 100,000-point export stream
at the speed docs/performance.md reports. Turning each timestamp into a datetime and back cost
four fifths of the time; `COPY ... TO STDOUT`, the step before this one, handed over one row
per read and cost a third more than chunks of STREAM_ROWS. Both paths write the same bytes (a
test compares them on PostgreSQL).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import psycopg
from django.db import connection
from django.db.models import CharField, Func, QuerySet, TextField, Value
from django.db.models.functions import Cast, Coalesce
from django.http import StreamingHttpResponse
from psycopg.rows import scalar_row

from apps.core.renderers import timestamp

CONTENT_TYPE = "text/csv; charset=utf-8"
# A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FLUSH_CHARS = 64 * 1024
LINE_END = "\r\n"  # RFC 4180
# Lines PostgreSQL hands over at once (libpq >= 17, which psycopg[binary] bundles; one at a
# time before): about 60 KB of history lines.
STREAM_ROWS = 1000 if psycopg.pq.version() >= 170000 else 1


def csv_text(value: str) -> str:
    """A text cell no spreadsheet runs: a leading `'` before a formula's first character."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def csv_time(value: Any) -> str:
    """A time cell exactly as the JSON answers write it (UTC, microseconds, `Z`)."""
    return timestamp(value) or ""


class CsvTime(Func):
    """A time column as `csv_time` writes it, formatted by PostgreSQL (for CsvLine)."""

    template = "to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
    output_field = CharField()


class CsvLine(Func):
    """A row's cells as one CSV line (no line end), written by PostgreSQL: numbers and
    `CsvTime` columns only, which never need quoting; NULL is an empty cell."""

    function = "concat_ws"
    template = "%(function)s(',', %(expressions)s)"
    output_field = TextField()

    def __init__(self, *cells: object) -> None:
        super().__init__(*(Coalesce(Cast(cell, TextField()), Value("")) for cell in cells))


def csv_response(
    *,
    filename: str,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    lines: QuerySet | None = None,
) -> StreamingHttpResponse:
    """An attachment streaming `header` then `rows` (cells already made safe by the caller:
    text through `csv_text`, times through `csv_time`; numbers need nothing).

    `lines`: the same rows as a `values_list` of one `CsvLine`, which PostgreSQL then writes
    itself; elsewhere `rows` is used.
    """
    if lines is not None and connection.vendor == "postgresql":
        body = _streamed(header, lines)
    else:
        body = _encoded(header, rows)
    response = StreamingHttpResponse(body, content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _header(header: Sequence[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=LINE_END).writerow(header)
    return buffer.getvalue()


def _streamed(header: Sequence[str], lines: QuerySet) -> Iterator[bytes]:
    sql, params = lines.query.sql_with_params()
    yield _header(header).encode()
    pending: list[str] = []
    size = 0
    with connection.cursor() as cursor:
        stream = cursor.cursor
        stream.row_factory = scalar_row  # each row its one line, no tuple to unpack
        for line in stream.stream(sql, params, size=STREAM_ROWS):
            pending.append(line)
            size += len(line)
            if size >= FLUSH_CHARS:
                yield _block(pending)
                pending, size = [], 0
    if pending:
        yield _block(pending)


def _block(lines: list[str]) -> bytes:
    return (LINE_END.join(lines) + LINE_END).encode()


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
