"""Refreshes the tokens that expire soon, inline, with a progress bar (when the queue is down)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from apps.scheduling.token_refresh import accounts_refresh_ahead, refresh_due_accounts
from apps.tiktok_accounts.services.bulk_sync import RATE_LIMIT_RETRIES, chunks
from integrations.tiktok import budget


class Command(BaseCommand):
    help = (
        "Refresh, now and in this process, the access tokens of live active accounts that "
        "expire within --ahead seconds, exactly as the periodic refresh does (same lease, "
        "same token_refresh audit entries, same budget)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--ahead",
            type=int,
            default=None,
            help="seconds before expiry (default: TOKEN_REFRESH_AHEAD_SECONDS)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        with budget.budget_waiting():
            self._run(options)

    def _run(self, options: dict[str, Any]) -> None:
        ahead = options["ahead"]
        due = refresh_due_accounts(ahead)
        ids = [
            str(pk) for pk in due.order_by("access_token_expires_at").values_list("id", flat=True)
        ]
        outcomes: Counter[str] = Counter()
        with tqdm(total=len(ids), unit="account", disable=None) as progress:
            for chunk in chunks(ids):
                results = accounts_refresh_ahead(
                    account_ids=chunk, attempt=RATE_LIMIT_RETRIES, ahead_seconds=ahead
                )
                outcomes.update(result.outcome or "refreshed elsewhere" for result in results)
                progress.update(len(chunk))
        summary = ", ".join(f"{count} {outcome}" for outcome, count in sorted(outcomes.items()))
        self.stdout.write(f"{len(ids)} due: {summary or 'nothing to do'}.")
