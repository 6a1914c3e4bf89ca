"""`manage.py rotate_encryption_key` on TikTok accounts: the runbook end to end, a crash
midway, a refusal, a refresh landing during the run, and the UPDATE it sends."""

from __future__ import annotations

import re

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError
from django.db import connection
from django.db.models import TextField, Value
from django.test.utils import CaptureQueriesContext

from apps.core import key_rotation
from apps.core.tests.ciphertexts import NEW, OLD, rotate, stored, under
from apps.tiktok_accounts.models import TikTokAccount
from testing.factories import TikTokAccountFactory

pytestmark = pytest.mark.django_db

ACCOUNTS = "tiktok_accounts.TikTokAccount"
TOKENS = ("access_token", "refresh_token")


def _raw(account_id) -> tuple[str, ...]:
    return stored(TikTokAccount, account_id, *TOKENS)


def _under(key: str, account_id) -> bool:
    return under(key, *_raw(account_id))


def _tokens(account_id) -> tuple[str, str, int]:
    row = TikTokAccount.all_objects.get(pk=account_id)
    return row.access_token, row.refresh_token, row.token_version


def test_runbook_new_key_first_rotate_then_drop_the_old_key(use_keys) -> None:
    use_keys(OLD)
    ids = [TikTokAccountFactory(is_deleted=number == 0).id for number in range(5)]
    before = {account_id: _tokens(account_id) for account_id in ids}

    use_keys(NEW, OLD)
    output = rotate(batch_size=2)
    use_keys(NEW)

    assert f"{ACCOUNTS}: 5 row(s) re-encrypted, 0 already under the first key" in output
    assert all(_under(NEW, account_id) for account_id in ids)
    # The same tokens, and the same token_version: a rotation is no new grant.
    assert {account_id: _tokens(account_id) for account_id in ids} == before


def test_a_second_run_changes_nothing(use_keys) -> None:
    use_keys(OLD)
    account_id = TikTokAccountFactory().id
    use_keys(NEW, OLD)
    rotate()
    rotated = _raw(account_id)

    with CaptureQueriesContext(connection) as queries:
        output = rotate()

    assert f"{ACCOUNTS}: 0 row(s) re-encrypted, 1 already under the first key" in output
    assert _raw(account_id) == rotated
    writes = ("UPDATE", "INSERT", "DELETE")
    assert not [q for q in queries if q["sql"].lstrip().upper().startswith(writes)]


def test_a_crash_midway_leaves_every_row_readable_and_a_rerun_finishes(
    use_keys, monkeypatch
) -> None:
    use_keys(OLD)
    ids = [TikTokAccountFactory().id for _ in range(5)]
    before = {account_id: _tokens(account_id) for account_id in ids}
    use_keys(NEW, OLD)
    calls = {"n": 0}
    real = key_rotation._reencrypted

    def crash_in_the_second_batch(*args):
        calls["n"] += 1
        if calls["n"] == 5:  # batches of two accounts, two tokens each: the third account
            raise RuntimeError("power cut")
        return real(*args)

    monkeypatch.setattr(key_rotation, "_reencrypted", crash_in_the_second_batch)
    with pytest.raises(RuntimeError):
        rotate(batch_size=2)

    # The first batch committed; the second rolled back whole; every row reads as before.
    assert sum(_under(NEW, account_id) for account_id in ids) == 2
    assert sum(_under(OLD, account_id) for account_id in ids) == 3
    assert {account_id: _tokens(account_id) for account_id in ids} == before
    monkeypatch.setattr(key_rotation, "_reencrypted", real)
    assert f"{ACCOUNTS}: 3 row(s) re-encrypted, 2 already" in rotate(batch_size=2)


def test_refuses_to_run_while_a_token_no_key_opens_exists(use_keys) -> None:
    use_keys(OLD)
    readable = TikTokAccountFactory().id
    lost = TikTokAccountFactory().id
    # A token encrypted with a key that is not (or no longer) configured.
    foreign = Fernet(Fernet.generate_key()).encrypt(b"act.from-elsewhere").decode()
    TikTokAccount.all_objects.filter(pk=lost).update(access_token=Value(foreign, TextField()))
    use_keys(NEW, OLD)
    untouched = _raw(readable)

    with pytest.raises(CommandError, match=re.escape(f"{ACCOUNTS}: 1 row(s)")):
        rotate()

    assert _raw(readable) == untouched


def test_a_token_replaced_during_the_run_is_not_overwritten(use_keys, monkeypatch) -> None:
    use_keys(OLD)
    account = TikTokAccountFactory()
    use_keys(NEW, OLD)
    real = key_rotation._reencrypted

    def refresh_lands_meanwhile(*args):
        # The app stores TikTok's rotated tokens between the read and the write.
        fresh = TikTokAccount.all_objects.get(pk=account.pk)
        fresh.set_tokens(
            access_token="act.rotated",
            refresh_token="rft.rotated",
            expires_in=60,
            refresh_expires_in=600,
        )
        fresh.save()
        return real(*args)

    monkeypatch.setattr(key_rotation, "_reencrypted", refresh_lands_meanwhile)
    output = rotate()

    assert f"{ACCOUNTS}: 0 row(s) re-encrypted, 0 already under the first key, 1 written" in output
    assert _tokens(account.pk)[:2] == ("act.rotated", "rft.rotated")
    assert _under(NEW, account.pk)


def test_each_row_is_one_update_conditioned_on_its_own_columns(use_keys) -> None:
    use_keys(OLD)
    ids = [TikTokAccountFactory().id for _ in range(3)]
    use_keys(NEW, OLD)

    with CaptureQueriesContext(connection) as queries:
        rotate(batch_size=2)

    updates = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("UPDATE")]
    assert len(updates) == len(ids)
    for sql in updates:
        where = sql.upper().split(" WHERE ", 1)[1]
        # No `id IN (SELECT ...)`: a subquery reads the snapshot, the row may have moved on.
        assert "SELECT" not in where
        assert where.count("TEXT") == len(TOKENS), sql  # each rewritten column, as stored
        assert '"ID" = ' in where, sql
