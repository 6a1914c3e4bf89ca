"""Seeding for bench/bench_million.py: accounts, history and posts in SQL, a million in minutes.

Users, their personal workspaces and memberships go through `bulk_create` (10,000 rows in a
few statements); accounts, history points and posts are `INSERT ... SELECT` over
`generate_series`, never a Python object per row. The accounts' triggers (the live count's,
the totals parts') are switched off while accounts are inserted (a trigger per row would double
the seeding time) and both recomputed from the rows in the same transaction: LiveAccountCount
stays exact, and each workspace gets one AccountTotalsPart, as a compaction leaves it.
"""

from __future__ import annotations

import uuid

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction

from apps.tiktok_accounts.models import TikTokAccount
from apps.workspaces.models import Membership, Role, Workspace
from apps.workspaces.personal import personal_workspace_id

ACCOUNTS = "tiktok_accounts_tiktokaccount"
PARTS = "tiktok_accounts_accounttotalspart"


def users_seed(first: int, last: int) -> list[uuid.UUID]:
    """Users `u<first>`..`u<last>` with their personal workspaces; returns the workspace ids."""
    user_model = get_user_model()
    password = make_password("bench-password-1")
    users = user_model.objects.bulk_create(
        [user_model(username=f"u{n}", password=password) for n in range(first, last + 1)],
        batch_size=2000,
    )
    workspaces = Workspace.objects.bulk_create(
        [
            Workspace(id=personal_workspace_id(u.pk), name="Personal", personal_for_id=u.pk)
            for u in users
        ],
        batch_size=2000,
    )
    Membership.objects.bulk_create(
        [Membership(workspace=w, user_id=w.personal_for_id, role=Role.OWNER) for w in workspaces],
        batch_size=2000,
    )
    return [w.id for w in workspaces]


def _token(value: str) -> str:
    """One encrypted token, the same for every seeded row (the benchmark never reads it)."""
    return TikTokAccount._meta.get_field("access_token").get_db_prep_save(value, connection)


def accounts_seed(plan: list[tuple[uuid.UUID, int]], *, first_number: int) -> int:
    """`count` accounts in each `(workspace, count)` of `plan`, numbered from `first_number`
    (the number sets creation order, statuses, expiries and sync times); returns the next."""
    numbered, base = [], first_number
    for workspace_id, count in plan:
        numbered.append((str(workspace_id), count, base))
        base += count
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE bench_plan (ws uuid, n int, base int) ON COMMIT DROP")
        with cursor.copy("COPY bench_plan (ws, n, base) FROM STDIN") as copy:
            for row in numbered:
                copy.write_row(row)
        cursor.execute(f"ALTER TABLE {ACCOUNTS} DISABLE TRIGGER USER")
        cursor.execute(
            """
            INSERT INTO tiktok_accounts_tiktokaccount (
                id, workspace_id, open_id, union_id, username, display_name, avatar_url,
                avatar_url_100, avatar_large_url, bio_description, profile_deep_link, is_verified,
                follower_count, following_count, likes_count, video_count, search_text, scopes,
                status, access_token, refresh_token, access_token_expires_at,
                refresh_token_expires_at, token_version, last_synced_at, created_at,
                connected_at, updated_at, is_deleted, deleted_at)
            SELECT gen_random_uuid(), p.ws, 'open-' || k.n, '', 'creator_' || k.n,
                'Creator ' || k.n, '', '', '', '', '', false,
                (k.n * 7) %% 1000000, 10, (k.n * 11) %% 10000000, k.n %% 300,
                'creator_' || k.n || chr(10) || 'creator ' || k.n, '["user.info.basic"]',
                CASE k.n %% 20 WHEN 18 THEN 'token_expired' WHEN 19 THEN 'error'
                    ELSE 'active' END,
                %(access)s, %(refresh)s,
                -- 1 in 60 expires within the next 30 minutes: due for a refresh.
                now() + (k.n %% 60) * interval '30 minutes' + interval '5 minutes',
                now() + interval '300 days', 1,
                -- Half synced more than 6 hours ago, 1 in 100 never: stale.
                CASE WHEN k.n %% 100 = 0 THEN NULL
                    ELSE now() - (k.n %% 8) * interval '2 hours' - interval '1 minute' END,
                now() - interval '1 day' + k.n * interval '1 millisecond', now(), now(),
                k.n %% 33 = 0, CASE WHEN k.n %% 33 = 0 THEN now() END
            FROM bench_plan p
            CROSS JOIN LATERAL (SELECT p.base + g AS n FROM generate_series(0, p.n - 1) g) k
            """,
            {"access": _token("act.bench"), "refresh": _token("rft.bench")},
        )
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the deferred FK checks, now
        cursor.execute(f"ALTER TABLE {ACCOUNTS} ENABLE TRIGGER USER")
        cursor.execute(
            """
            INSERT INTO tiktok_accounts_liveaccountcount (workspace_id, live)
            SELECT workspace_id, count(*) FROM tiktok_accounts_tiktokaccount WHERE NOT is_deleted
            GROUP BY workspace_id
            ON CONFLICT (workspace_id) DO UPDATE SET live = EXCLUDED.live
            """
        )
        cursor.execute("DELETE FROM tiktok_accounts_accounttotalspart")
        cursor.execute(
            """
            INSERT INTO tiktok_accounts_accounttotalspart
                (workspace_id, active, followers, videos, likes)
            SELECT workspace_id, count(*) FILTER (WHERE status = 'active'),
                sum(follower_count), sum(video_count), sum(likes_count)
            FROM tiktok_accounts_tiktokaccount WHERE NOT is_deleted GROUP BY workspace_id
            """
        )
    return base


def history_seed(account_ids: list[uuid.UUID]) -> None:
    """A year of history for each account: every 6 hours for 90 days, daily before (as the
    thinning leaves it)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO history_historypoint
                (account_id, at, follower_count, following_count, likes_count, video_count)
            SELECT a.id, t.at, 1000 + t.k, 10, 50000 + 3 * t.k, t.k %% 300
            FROM unnest(%(ids)s::uuid[]) a(id)
            CROSS JOIN LATERAL (
                SELECT at, row_number() OVER (ORDER BY at) AS k FROM (
                    SELECT generate_series(now() - interval '365 days',
                                           now() - interval '91 days', interval '1 day') AS at
                    UNION ALL
                    SELECT generate_series(now() - interval '90 days', now(), interval '6 hours')
                ) s
            ) t
            """,
            {"ids": account_ids},
        )


def posts_seed(account_ids: list[uuid.UUID], *, per_account: int, due: int) -> None:
    """`per_account` published posts for each account, and `due` scheduled ones due now."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO posts_post (
                id, workspace_id, user_id, account_id, status, title, privacy_level, video_url,
                disable_comment, disable_duet, disable_stitch, due_at, sent_at, send_attempts,
                publish_id, polls, request_fingerprint, created_at, updated_at,
                description, media_type, post_mode, source, photo_cover_index, received_bytes,
                requires_approval, upload_chunks, upload_stored)
            SELECT gen_random_uuid(), a.workspace_id, m.user_id, a.id,
                CASE WHEN g <= %(due)s THEN 'scheduled' ELSE 'published' END, '', 'SELF_ONLY',
                'https://videos.example.com/clip.mp4', false, false, false,
                now() - g * interval '1 minute',
                CASE WHEN g > %(due)s THEN now() - g * interval '1 minute' END, 0,
                CASE WHEN g > %(due)s THEN 'p_' || gen_random_uuid() END, 0, '', now(), now(),
                '', 'video', 'direct', 'url', 0, 0, false, '[]', false
            FROM (SELECT id, workspace_id, row_number() OVER () AS r
                  FROM tiktok_accounts_tiktokaccount WHERE id = ANY(%(ids)s::uuid[])) a
            JOIN workspaces_membership m ON m.workspace_id = a.workspace_id AND m.role = 'owner'
            CROSS JOIN LATERAL generate_series(
                CASE WHEN a.r = 1 THEN 1 ELSE %(due)s + 1 END, %(due)s + %(per)s) g
            """,
            {"ids": account_ids, "per": per_account, "due": due},
        )


def vacuum_analyze() -> None:
    """Statistics and the visibility map, as autovacuum would leave them."""
    with connection.cursor() as cursor:
        for table in (ACCOUNTS, PARTS, "history_historypoint", "posts_post"):
            cursor.execute(f"VACUUM (ANALYZE) {table}")
        cursor.execute("ANALYZE")
