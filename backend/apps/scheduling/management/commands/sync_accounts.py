"""Syncs accounts inline, with a progress bar: the scheduled sync or sync-all without a queue."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from apps.scheduling.scheduled_sync import stale_accounts
from apps.tiktok_accounts.models import TikTokAccount
from apps.tiktok_accounts.services.bulk_sync import accounts_fetch, chunks, sync_batch_store
from integrations.tiktok import budget


class Command(BaseCommand):
    help = (
        "Sync accounts now, in this process (for when the queue is down), exactly as a "
        "background sync does: same audit entries (actor system), same budget."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--user", help="every live account in the workspaces of this username")
        which.add_argument(
            "--stale", action="store_true", help="live active accounts not synced recently"
        )
        which.add_argument("--all", action="store_true", help="every live account")

    def handle(self, *args: Any, **options: Any) -> None:
        with budget.budget_waiting():
            self._run(options)

    def _run(self, options: dict[str, Any]) -> None:
        accounts = TikTokAccount.objects.all()
        if options["stale"]:
            accounts = stale_accounts()
        elif options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"No user named {options['user']!r}.")
            accounts = accounts.filter(workspace__memberships__user=user)
        ids = [str(pk) for pk in accounts.order_by("created_at", "id").values_list("id", flat=True)]
        succeeded = failed = 0
        with tqdm(total=len(ids), unit="account", disable=None) as progress:
            for chunk in chunks(ids):
                live = list(TikTokAccount.objects.filter(id__in=chunk))
                batch = accounts_fetch(live, final=True)
                sync_batch_store(batch, extra={"command": "sync_accounts"})
                succeeded += sum(1 for outcome in batch.stored if outcome.error is None)
                failed += sum(1 for outcome in batch.stored if outcome.error is not None)
                progress.update(len(chunk))
        self.stdout.write(f"{succeeded} synced, {failed} failed.")
