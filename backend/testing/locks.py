"""Two database sessions made to interleave on a row lock, rather than hoping they do
(PostgreSQL: SQLite writes one at a time). Tests using it need `django_db(transaction=True)`."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from django.db import connection, connections, transaction

WAIT_SECONDS = 10


def waiting_for_a_lock(pid: int) -> bool:
    """Whether the session of backend `pid` is waiting for a lock now."""
    with connection.cursor() as cursor:
        # Inside a transaction pg_stat_activity is read once and kept: read it afresh.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
        row = cursor.fetchone()
    return row is not None and row[0] == "Lock"


def second_waits_for_first(first: Callable[[], Any], second: Callable[[], Any]) -> tuple[Any, Any]:
    """Runs `first` in a transaction; before it commits, `second` in another connection until
    that waits for a lock `first` holds; then commits. Both results (or `second`'s exception)."""
    other: dict[str, Any] = {}

    def run_second() -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                other["pid"] = cursor.fetchone()[0]
            other["result"] = second()
        except Exception as exc:
            other["result"] = exc
        finally:
            connections.close_all()

    with transaction.atomic():
        result = first()
        thread = threading.Thread(target=run_second)
        thread.start()
        deadline = time.monotonic() + WAIT_SECONDS
        while not ("pid" in other and waiting_for_a_lock(other["pid"])):
            assert thread.is_alive(), "the second ended without waiting for a lock the first held"
            assert time.monotonic() < deadline, "the second never waited for the first's lock"
            time.sleep(0.01)
    thread.join(WAIT_SECONDS)
    return result, other["result"]
