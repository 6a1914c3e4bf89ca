"""Admin building blocks shared by the apps, and the JWT blacklist admin without token values."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from rest_framework_simplejwt.token_blacklist import admin as token_blacklist_admin
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken


class ViewOnlyAdmin(admin.ModelAdmin):
    """Ops may look, never add, edit or delete: those rows change only through services."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class OutstandingTokenAdmin(token_blacklist_admin.OutstandingTokenAdmin):
    """simplejwt's admin shows each issued refresh token in full: a live credential that would
    let staff act as the user. Here only its jti, owner and dates are shown."""

    exclude = ("token",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [name for name in super().get_readonly_fields(request, obj) if name != "token"]


admin.site.unregister(OutstandingToken)
admin.site.register(OutstandingToken, OutstandingTokenAdmin)
