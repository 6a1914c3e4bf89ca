"""Seeds the service's database with the HTTP benchmark's data and prints an access token.

    .venv/bin/python bench/seed_service.py --accounts 10000 --user bench --other-users 9

The same shape as the DRF baseline's `seed` (`../shared/baselines/drf`): N accounts for the
user and for each of K others, `created_at` spread over a year, 85% active / 7% token_expired /
5% revoked / 3% error, ~3% soft-deleted, deterministic per username. The user's accounts are
replaced on every run. Runs with the environment the server gets (DATABASE_URL, the secrets),
so the printed token is valid for that server. Progress goes to stderr, the token to stdout.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "backend"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework_simplejwt.tokens import AccessToken  # noqa: E402

from apps.tiktok_accounts.models import TikTokAccount  # noqa: E402
from apps.tiktok_accounts.models.account import search_key  # noqa: E402
from apps.workspaces.personal import personal_workspace_id  # noqa: E402

WORDS = [
    "sunny",
    "cooking",
    "travel",
    "dance",
    "gamer",
    "daily",
    "studio",
    "fit",
    "chef",
    "pixel",
    "music",
    "comedy",
    "pets",
    "nature",
    "tech",
    "style",
    "vlog",
    "drift",
    "coffee",
    "ocean",
    "urban",
    "retro",
    "neon",
    "craft",
]
STATUSES = ["active"] * 85 + ["token_expired"] * 7 + ["revoked"] * 5 + ["error"] * 3
SPAN = timedelta(days=365)


def build_accounts(workspace_id: uuid.UUID, n: int, rng: random.Random) -> list[TikTokAccount]:
    now = timezone.now()
    step = SPAN / max(n, 1)
    accounts = []
    for i in range(n):
        jitter = timedelta(microseconds=rng.randrange(1, max(int(step.total_seconds() * 1e6), 2)))
        w1, w2 = rng.choice(WORDS), rng.choice(WORDS)
        status = rng.choice(STATUSES)
        deleted = rng.random() < 0.03
        open_id = f"-000{uuid.UUID(int=rng.getrandbits(128)).hex}"
        username, display_name = f"{w1}_{w2}_{i}", f"{w1.title()} {w2.title()} {i}"
        created = now - step * i - jitter
        accounts.append(
            TikTokAccount(
                id=uuid.UUID(int=rng.getrandbits(128), version=4),
                workspace_id=workspace_id,
                open_id=open_id,
                username=username,
                display_name=display_name,
                search_text=search_key(username, display_name),
                avatar_url=f"https://p16-sign.tiktokcdn-us.com/tos-useast5-avt-0068-tx/{open_id[4:36]}~c5_168x168.jpeg",
                bio_description=f"{w1} and {w2} every day",
                profile_deep_link=f"https://vm.tiktok.com/{open_id[4:14]}/",
                is_verified=rng.random() < 0.05,
                follower_count=int(rng.paretovariate(1.2) * 100),
                following_count=rng.randrange(0, 2000),
                likes_count=int(rng.paretovariate(1.1) * 1000),
                video_count=rng.randrange(0, 800),
                scopes=["user.info.basic", "user.info.profile", "user.info.stats"],
                status=status,
                access_token="act." + uuid.UUID(int=rng.getrandbits(128)).hex,
                refresh_token="rft." + uuid.UUID(int=rng.getrandbits(128)).hex,
                access_token_expires_at=now + timedelta(days=1),
                refresh_token_expires_at=now + timedelta(days=365),
                last_sync_error=None if status == "active" else f"TikTok said {status}",
                last_synced_at=min(now, created + timedelta(hours=rng.randrange(1, 240))),
                is_deleted=deleted,
                deleted_at=now if deleted else None,
                created_at=created,
            )
        )
    return accounts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--user", default="bench")
    parser.add_argument("--other-users", type=int, default=9)
    args = parser.parse_args()
    names = [args.user] + [f"{args.user}-other-{k}" for k in range(1, args.other_users + 1)]
    users = []
    for name in names:
        started = time.perf_counter()
        with transaction.atomic():
            user, _ = get_user_model().objects.get_or_create(username=name)
            workspace_id = personal_workspace_id(user.pk)
            TikTokAccount.all_objects.filter(workspace_id=workspace_id).delete()
            rows = build_accounts(workspace_id, args.accounts, random.Random(f"seed:{name}"))
            TikTokAccount.all_objects.bulk_create(rows, batch_size=2000)
        users.append(user)
        elapsed = time.perf_counter() - started
        print(f"seeded {args.accounts} accounts for {name!r} in {elapsed:.1f}s", file=sys.stderr)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {TikTokAccount._meta.db_table}")
    print(AccessToken.for_user(users[0]))


if __name__ == "__main__":
    main()
