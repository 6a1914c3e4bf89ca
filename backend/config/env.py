"""Reading environment variables for the settings: each reader checks its value at start-up,
so a malformed variable stops the service with a clear message instead of failing later."""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

from apps.core.rates import rate_parts


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, "").strip() or default


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, got {raw!r}.")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name, "").strip()
    try:
        value = int(raw) if raw else default
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}.") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}.")
    return value


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    try:
        value = float(raw) if raw else default
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, got {raw!r}.") from None
    if value <= 0:
        raise ImproperlyConfigured(f"{name} must be positive, got {value}.")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name, "").strip()
    return [item.strip() for item in raw.split(",") if item.strip()] if raw else default


def env_rate(name: str, default: str) -> str:
    """A rate as `N/s`, `N/m` or `N/h`: checked at start-up, not on the first request."""
    value = env_str(name, default)
    try:
        rate_parts(value)
    except ValueError:
        raise ImproperlyConfigured(
            f"{name} must look like 10/m (N/s, N/m or N/h), got {value!r}."
        ) from None
    return value


def env_seconds_list(name: str, default: list[int]) -> list[int]:
    """Comma-separated whole seconds (`5,300,1800`), each at least 0."""
    items = env_list(name, [str(value) for value in default])
    try:
        values = [int(item) for item in items]
    except ValueError:
        raise ImproperlyConfigured(
            f"{name} must be whole seconds separated by commas, got {','.join(items)!r}."
        ) from None
    if any(value < 0 for value in values):
        raise ImproperlyConfigured(f"{name} must not hold a negative delay.")
    return values
