"""The hot reads of accounts read indexes, whatever the size of the table (PostgreSQL plans).

The workspace read holds 300 accounts among 3,300: the list's first and deep pages must read
only its rows, through its indexes, and the summary only its kept count and totals' parts
(bench/bench_million.py measures them at a million accounts).
"""

from __future__ import annotations

import pytest
from django.db import connection

from apps.tiktok_accounts.list_page import account_list_page
from apps.tiktok_accounts.models import AccountTotalsPart
from apps.tiktok_accounts.selectors import account_summary
from apps.tiktok_accounts.services.totals import account_totals_compact
from apps.workspaces.models import Workspace
from testing.accounts import personal_access
from testing.factories import UserFactory, personal_workspace
from testing.plans import analyze, bulk_accounts, plans_of

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="EXPLAIN is a PostgreSQL check"),
]


@pytest.fixture
def reader():
    user, other = UserFactory(), UserFactory()
    bulk_accounts(300, workspace=personal_workspace(user))
    bulk_accounts(3000, workspace=personal_workspace(other))
    analyze(
        "tiktok_accounts_tiktokaccount",
        "tiktok_accounts_liveaccountcount",
        "tiktok_accounts_accounttotalspart",
    )
    return user


def test_list_pages_read_the_keyset_index_and_the_kept_count(reader) -> None:
    access = personal_access(reader)
    first = account_list_page(access=access, limit=20)

    plans = plans_of(lambda: account_list_page(access=access, limit=20))
    plans += plans_of(lambda: account_list_page(access=access, limit=20, cursor=first.next_cursor))

    assert len(plans) == 2, plans
    for plan in plans:
        assert "Seq Scan" not in plan, plan
        # The total: read once (an InitPlan) from the workspace's kept count.
        assert "InitPlan" in plan, plan
        assert "tiktok_accounts_liveaccountcount_pkey" in plan, plan
        # The page: the keyset index in order, stopped after limit + 1 rows; no sort.
        assert "tta_live_ws_created_id" in plan, plan
        assert "Sort" not in plan, plan
    # The deep page starts at the cursor's position (the row comparison is an index condition).
    assert "ROW(created_at, id) <" in plans[1], plans[1]


def test_summary_reads_the_workspace_parts_and_count_by_index(reader) -> None:
    """Never the accounts: the kept count by its key, the parts by their workspace index,
    before a compaction (a part per account here) and after it, among 2,000 workspaces."""
    workspace_id = personal_workspace(reader).id
    plans = plans_of(lambda: account_summary(workspace_id=workspace_id))
    account_totals_compact()
    others = Workspace.objects.bulk_create([Workspace(name=f"w{n}") for n in range(2000)])
    AccountTotalsPart.objects.bulk_create(
        AccountTotalsPart(workspace=other, active=1, followers=2, videos=3, likes=4)
        for other in others
    )
    analyze("tiktok_accounts_accounttotalspart")
    plans += plans_of(lambda: account_summary(workspace_id=workspace_id))

    assert len(plans) == 2, plans
    for plan in plans:
        assert "Seq Scan" not in plan, plan
        assert "tiktok_accounts_tiktokaccount" not in plan, plan
        assert "tta_totals_part_ws" in plan, plan
        assert "tiktok_accounts_liveaccountcount_pkey" in plan, plan
