"""Create or update the demo user of `make run` (idempotent); development (DEBUG) only.

The user is staff and superuser so the same login opens `/admin/`. Its password is
DEMO_PASSWORD (default below) and is reset to that value on every run.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

DEMO_USERNAME = "demo"
DEMO_EMAIL = "demo@example.com"
DEFAULT_DEMO_PASSWORD = "demo-password-2024"  # noqa: S105 - a documented development login


def main() -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "backend"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model

    if not settings.DEBUG:
        print("DEBUG is off: no demo user is created (use `manage.py createsuperuser`).")
        return 0

    password = os.environ.get("DEMO_PASSWORD", "").strip() or DEFAULT_DEMO_PASSWORD
    user_model = get_user_model()
    user, created = user_model._default_manager.get_or_create(
        **{user_model.USERNAME_FIELD: DEMO_USERNAME},
        defaults={"email": DEMO_EMAIL},
    )
    changed = created or not (user.is_active and user.is_staff and user.is_superuser)
    user.is_active = user.is_staff = user.is_superuser = True
    if not user.check_password(password):
        user.set_password(password)
        changed = True
    if changed:
        user.save()
    print(f"Demo user {'created' if created else 'ready'}: {DEMO_USERNAME} / {password}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
