"""A fake TikTok upstream for tests, benchmarks and the offline demo (never production)."""

from apps.tiktok_accounts.fake_upstream.server import FakeTikTok, Identity

__all__ = ["FakeTikTok", "Identity"]
