"""`manage.py run_fake_tiktok`: serve the fake TikTok for the offline demo and benchmarks."""

from __future__ import annotations

import threading
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from testing.fake_tiktok import FakeTikTok


class Command(BaseCommand):
    help = "Serves a fake TikTok API (OAuth, user info, /_fake/ controls). DEBUG only."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--port", type=int, default=8001)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--latency-ms", type=int, default=0)
        parser.add_argument(
            "--service-url",
            default="http://127.0.0.1:8000",
            help="the accounts service, for the curl shown on /demo/callback",
        )

    def handle(
        self, *args: Any, port: int, host: str, latency_ms: int, service_url: str, **options: Any
    ) -> None:
        # The fake hands out tokens to anyone: it must be impossible to run in production.
        if not settings.DEBUG:
            raise CommandError("run_fake_tiktok only runs with DEBUG on; it is not for production.")
        fake = FakeTikTok(
            client_key=settings.TIKTOK_CLIENT_KEY, client_secret=settings.TIKTOK_CLIENT_SECRET
        )
        fake.set_latency(latency_ms / 1000)
        fake.service_url = service_url.rstrip("/")
        base_url = fake.start(host=host, port=port)
        self.stdout.write(
            f"Fake TikTok on {base_url} ({len(fake.identities)} identities). Point the service "
            f"at it with TIKTOK_API_BASE_URL={base_url} "
            f"TIKTOK_AUTHORIZE_URL={base_url}/v2/auth/authorize/. Ctrl-C stops it."
        )
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
        finally:
            fake.stop()
