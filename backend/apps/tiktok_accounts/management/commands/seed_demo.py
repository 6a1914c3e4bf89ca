"""`manage.py seed_demo`: connect demo accounts through the real OAuth flow, against the fake."""

from argparse import ArgumentParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from apps.audit.services import RequestMeta
from apps.core.errors import ApplicationError
from apps.tiktok_accounts import services
from apps.tiktok_accounts.models import TikTokAccount
from apps.workspaces.personal import personal_workspace_id


class Command(BaseCommand):
    help = "Connects N fake TikTok identities to a user, the way a browser would. DEBUG only."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--user", default="demo", help="username that owns the accounts")
        parser.add_argument("--count", type=int, default=5, help="how many accounts to connect")

    def handle(self, *args: Any, user: str, count: int, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("seed_demo only runs with DEBUG on, against the fake TikTok.")
        owner = get_user_model().objects.filter(username=user).first()
        if owner is None:
            raise CommandError(f"No user named {user!r}; `make run` creates `demo`.")
        workspace_id = personal_workspace_id(owner.pk)
        live = TikTokAccount.objects.filter(workspace_id=workspace_id)
        connected = set(live.values_list("open_id", flat=True))
        chosen = [oid for oid in self._fake_stats()["open_ids"] if oid not in connected][:count]
        for open_id in chosen:
            authorize_url, state = services.account_connect_start(
                user_id=owner.pk, workspace_id=workspace_id
            )
            code = self._approve(authorize_url, open_id)
            try:
                account, _ = services.account_connect_complete(
                    workspace_id=workspace_id,
                    code=code,
                    state=state,
                    meta=RequestMeta(user_agent="seed_demo", user_id=owner.pk),
                )
            except ApplicationError as exc:
                raise CommandError(
                    f"Connecting {open_id} failed: {exc.code}: {exc.detail}"
                ) from exc
            self.stdout.write(f"connected @{account.username} ({account.follower_count} followers)")
        self.stdout.write(self.style.SUCCESS(f"{len(chosen)} demo account(s) connected to {user}."))

    def _fake_stats(self) -> dict[str, Any]:
        """Refuses to run unless the configured TikTok upstream is the project's fake."""
        try:
            answer = requests.get(f"{settings.TIKTOK_API_BASE_URL}/_fake/stats", timeout=5)
            return answer.json()
        except (requests.RequestException, ValueError) as exc:
            raise CommandError(
                f"{settings.TIKTOK_API_BASE_URL} is not the fake TikTok upstream; start it with "
                "`make run` (or `manage.py run_fake_tiktok`) and set TIKTOK_API_BASE_URL."
            ) from exc

    def _approve(self, authorize_url: str, open_id: str) -> str:
        """What the user's click on the consent page does: TikTok redirects with a code."""
        answer = requests.get(
            authorize_url, params={"approve": open_id}, allow_redirects=False, timeout=5
        )
        location = answer.headers.get("Location", "")
        codes = parse_qs(urlsplit(location).query).get("code")
        if answer.status_code != 302 or not codes:
            raise CommandError(
                f"The consent page did not approve {open_id} ({answer.status_code})."
            )
        return codes[0]
