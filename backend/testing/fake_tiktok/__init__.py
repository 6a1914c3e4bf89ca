"""A fake TikTok upstream for tests, benchmarks and the offline demo (never production)."""

from testing.fake_tiktok.server import FakeTikTok, Identity

__all__ = ["FakeTikTok", "Identity"]
