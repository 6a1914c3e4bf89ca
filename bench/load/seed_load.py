"""Seeds the load test's database and writes what wrk needs into a directory.

    .venv/bin/python bench/load/seed_load.py --out DIR --fake-url http://127.0.0.1:PORT

Two users, so that the syncs' writes (which bump the writer's read-cache version) do not empty
the readers' cache:
- `load-reader`: ACCOUNTS accounts (bench/seed_service.py's shape), HISTORY_ACCOUNTS of them
  with 30 days of history at 5-minute steps and VIDEOS videos each (the benches' seeders);
- `load-syncer`: every identity of the fake TikTok connected through the real OAuth flow
  (services.account_connect_start/complete against the fake), so its tokens are real ones.
Writes reader.token, syncer.token, reader_ids (accounts with history and videos) and
syncer_ids, one id a line. Runs with the environment the server gets.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import requests  # noqa: E402
from bench_history import seed as seed_history  # noqa: E402  (sets Django up)
from bench_videos import seed as seed_videos  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from rest_framework_simplejwt.tokens import AccessToken  # noqa: E402
from seed_service import build_accounts  # noqa: E402

from apps.audit.services import RequestMeta  # noqa: E402
from apps.tiktok_accounts import services  # noqa: E402
from apps.tiktok_accounts.models import TikTokAccount  # noqa: E402
from apps.workspaces.personal import personal_workspace_id  # noqa: E402


def fake_control(fake_url: str, action: str, args: dict | None = None) -> dict:
    response = requests.post(f"{fake_url}/_fake/{action}", json=args or {}, timeout=10)
    response.raise_for_status()
    return response.json()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--fake-url", required=True)
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--history-accounts", type=int, default=10)
    parser.add_argument("--videos", type=int, default=300)
    args = parser.parse_args()
    started = time.perf_counter()
    users = get_user_model().objects

    reader = users.create_user("load-reader", password=None)
    rows = build_accounts(
        personal_workspace_id(reader.pk), args.accounts, random.Random("seed:load-reader")
    )
    TikTokAccount.all_objects.bulk_create(rows, batch_size=2000)
    live = [row for row in rows if not row.is_deleted][: args.history_accounts]
    for account in live:
        seed_history(account, 30 * 24 * 12)
        seed_videos(account, args.videos)

    syncer = users.create_user("load-syncer", password=None)
    open_ids = fake_control(args.fake_url, "stats")["open_ids"]
    synced = []
    for open_id in open_ids:
        workspace_id = personal_workspace_id(syncer.pk)
        _, state = services.account_connect_start(user_id=syncer.pk, workspace_id=workspace_id)
        code = fake_control(args.fake_url, "code", {"open_id": open_id})["code"]
        account, _ = services.account_connect_complete(
            workspace_id=workspace_id,
            code=code,
            state=state,
            meta=RequestMeta(user_id=syncer.pk),
        )
        synced.append(account)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "reader.token").write_text(str(AccessToken.for_user(reader)))
    (args.out / "syncer.token").write_text(str(AccessToken.for_user(syncer)))
    (args.out / "reader_ids").write_text("".join(f"{a.pk}\n" for a in live))
    (args.out / "syncer_ids").write_text("".join(f"{a.pk}\n" for a in synced))
    print(
        f"seeded {args.accounts} accounts ({len(live)} with {30 * 24 * 12} history points and "
        f"{args.videos} videos) for load-reader and {len(synced)} connected through the fake "
        f"for load-syncer in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
