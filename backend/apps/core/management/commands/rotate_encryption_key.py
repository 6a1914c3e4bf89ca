"""`manage.py rotate_encryption_key`: every encrypted value (TikTok tokens, webhook endpoint
secrets, upload URLs, any field added later) under the first FIELD_ENCRYPTION_KEY.

Runbook (docs/operations.md): put the new key first in the list, deploy,
run this, then drop the old key.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper
from tqdm import tqdm

from apps.core.key_rotation import UnreadableValuesError, rows_count, values_rotate


class _ProgressStream:
    """tqdm's file: the command's stderr (so `call_command(stderr=...)` gets it too), written
    without the newline `OutputWrapper.write` adds unless told `ending=""`, and unstyled."""

    def __init__(self, out: OutputWrapper) -> None:
        self.out = out

    def write(self, text: str) -> None:
        self.out.write(text, style_func=str, ending="")

    def flush(self) -> None:
        self.out.flush()

    def isatty(self) -> bool:
        return self.out.isatty()


class Command(BaseCommand):
    help = "Re-encrypts every encrypted value with the first key of FIELD_ENCRYPTION_KEY."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500, help="rows per transaction")

    def handle(self, *args: Any, batch_size: int, **options: Any) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        progress = _ProgressStream(self.stderr)
        with tqdm(total=rows_count(), unit="row", disable=None, file=progress) as bar:
            try:
                results = values_rotate(batch_size=batch_size, on_batch=bar.update)
            except UnreadableValuesError as exc:
                raise CommandError(str(exc)) from None
        for label, result in results.items():
            self.stdout.write(
                f"{label}: {result.rotated} row(s) re-encrypted, {result.current} already under "
                f"the first key, {result.changed_meanwhile} written by the service during the "
                "run (left as it wrote them)."
            )
