import pytest
from django.core.management import CommandError, call_command

from apps.audit.models import AuditAction, AuditLog
from apps.tiktok_accounts.models import TikTokAccount
from testing.factories import personal_workspace

pytestmark = pytest.mark.django_db


def test_seed_demo_connects_accounts_through_the_oauth_flow(fake_tiktok, user, settings):
    settings.DEBUG = True
    call_command("seed_demo", user=user.username, count=3)
    call_command("seed_demo", user=user.username, count=2)
    accounts = TikTokAccount.objects.filter(workspace=personal_workspace(user))
    assert accounts.count() == 5
    assert fake_tiktok.count("token") == 5
    assert AuditLog.objects.filter(user=user, action=AuditAction.CONNECT).count() == 5


def test_seed_demo_refuses_without_debug(fake_tiktok, user, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo", user=user.username)


def test_seed_demo_refuses_a_real_tiktok(user, settings):
    settings.DEBUG = True
    settings.TIKTOK_API_BASE_URL = "http://127.0.0.1:9"
    with pytest.raises(CommandError, match="not the fake"):
        call_command("seed_demo", user=user.username)
