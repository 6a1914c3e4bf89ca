from django.apps import AppConfig


class TestingConfig(AppConfig):
    """Development and test tools (the fake TikTok and its `run_fake_tiktok` command): installed
    only with DEBUG on and only where the package exists, never in the production image."""

    name = "testing"
    label = "dev_testing"
