"""`manage.py rotate_encryption_key`: every stored token under the first FIELD_ENCRYPTION_KEY.

Runbook (docs/operations.md): put the new key first in the list, deploy,
run this, then drop the old key.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper
from tqdm import tqdm

from apps.tiktok_accounts.key_rotation import UnreadableTokensError, tokens_rotate
from apps.tiktok_accounts.models import TikTokAccount


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
    help = "Re-encrypts every stored TikTok token with the first key of FIELD_ENCRYPTION_KEY."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500, help="accounts per transaction")

    def handle(self, *args: Any, batch_size: int, **options: Any) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        total = TikTokAccount.all_objects.count()
        progress = _ProgressStream(self.stderr)
        with tqdm(total=total, unit="account", disable=None, file=progress) as bar:
            try:
                result = tokens_rotate(batch_size=batch_size, on_batch=bar.update)
            except UnreadableTokensError as exc:
                raise CommandError(str(exc)) from None
        self.stdout.write(
            f"Re-encrypted {result.rotated} account(s); {result.current} already under the "
            f"first key; {result.changed_meanwhile} got new tokens meanwhile (already current)."
        )
