"""`manage.py rotate_encryption_key`: the runbook end to end, a crash midway, a refusal."""

from __future__ import annotations

from io import StringIO

import encrypted_model_fields.fields
import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import CommandError, call_command
from django.db.models import TextField, Value
from django.db.models.functions import Cast

from apps.tiktok_accounts import key_rotation
from apps.tiktok_accounts.models import TikTokAccount
from testing.factories import TikTokAccountFactory

pytestmark = pytest.mark.django_db

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


@pytest.fixture
def use_keys(settings, monkeypatch):
    """Deploys a FIELD_ENCRYPTION_KEY list (the field library builds its crypter at import)."""

    def deploy(*keys: str) -> None:
        settings.FIELD_ENCRYPTION_KEY = list(keys)
        monkeypatch.setattr(
            encrypted_model_fields.fields, "CRYPTER", encrypted_model_fields.fields.get_crypter()
        )

    return deploy


def _raw(account_id) -> tuple[str, str]:
    return (
        TikTokAccount.all_objects.filter(pk=account_id)
        .annotate(
            a=Cast("access_token", output_field=TextField()),
            r=Cast("refresh_token", output_field=TextField()),
        )
        .values_list("a", "r")
        .get()
    )


def _under(key: str, account_id) -> bool:
    try:
        for ciphertext in _raw(account_id):
            Fernet(key).decrypt(ciphertext.encode())
    except InvalidToken:
        return False
    return True


def _tokens(account_id) -> tuple[str, str, int]:
    row = TikTokAccount.all_objects.get(pk=account_id)
    return row.access_token, row.refresh_token, row.token_version


def _rotate(**options) -> str:
    out = StringIO()
    call_command("rotate_encryption_key", stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


def test_runbook_new_key_first_rotate_then_drop_the_old_key(use_keys) -> None:
    use_keys(OLD)
    ids = [TikTokAccountFactory(is_deleted=number == 0).id for number in range(5)]
    before = {account_id: _tokens(account_id) for account_id in ids}

    use_keys(NEW, OLD)
    output = _rotate(batch_size=2)
    use_keys(NEW)

    assert "Re-encrypted 5 account(s); 0 already" in output
    assert all(_under(NEW, account_id) for account_id in ids)
    assert {account_id: _tokens(account_id) for account_id in ids} == before


def test_a_second_run_changes_nothing(use_keys) -> None:
    use_keys(OLD)
    account_id = TikTokAccountFactory().id
    use_keys(NEW, OLD)
    _rotate()
    rotated = _raw(account_id)

    output = _rotate()

    assert "Re-encrypted 0 account(s); 1 already under the first key" in output
    assert _raw(account_id) == rotated


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
        _rotate(batch_size=2)

    # The first batch committed; the second rolled back whole; every row reads as before.
    assert sum(_under(NEW, account_id) for account_id in ids) == 2
    assert sum(_under(OLD, account_id) for account_id in ids) == 3
    assert {account_id: _tokens(account_id) for account_id in ids} == before
    monkeypatch.setattr(key_rotation, "_reencrypted", real)
    assert "Re-encrypted 3 account(s); 2 already" in _rotate(batch_size=2)


def test_refuses_to_run_while_a_token_no_key_opens_exists(use_keys) -> None:
    use_keys(OLD)
    readable = TikTokAccountFactory().id
    lost = TikTokAccountFactory().id
    # A token encrypted with a key that is not (or no longer) configured.
    foreign = Fernet(Fernet.generate_key()).encrypt(b"act.from-elsewhere").decode()
    TikTokAccount.all_objects.filter(pk=lost).update(access_token=Value(foreign, TextField()))
    use_keys(NEW, OLD)
    untouched = _raw(readable)

    with pytest.raises(CommandError, match="1 account"):
        _rotate()

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
    output = _rotate()

    assert "1 got new tokens meanwhile" in output
    assert _tokens(account.pk)[:2] == ("act.rotated", "rft.rotated")
