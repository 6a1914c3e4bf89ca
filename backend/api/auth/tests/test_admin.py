import pytest
from django.urls import reverse
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

pytestmark = pytest.mark.django_db


def test_staff_never_see_a_refresh_token_in_the_admin(admin_client, user):
    refresh = str(RefreshToken.for_user(user))
    outstanding = OutstandingToken.objects.get(user=user)
    pages = [
        reverse("admin:token_blacklist_outstandingtoken_changelist"),
        reverse("admin:token_blacklist_outstandingtoken_change", args=[outstanding.pk]),
    ]
    for page in pages:
        response = admin_client.get(page)
        assert response.status_code == 200
        html = response.content.decode()
        assert outstanding.jti in html
        assert refresh not in html
