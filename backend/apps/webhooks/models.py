"""Every TikTok webhook event received, once: the key of at-least-once delivery."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class WebhookStatus(models.TextChoices):
    PROCESSED = "processed"
    IGNORED = "ignored"
    # Never stored: the answer to a redelivery of a stored event.
    DUPLICATE = "duplicate"


class WebhookEvent(models.Model):
    id = models.BigAutoField(primary_key=True)
    # sha256 of (event, user_openid, create_time, content): TikTok sends no delivery id, and
    # those four are what makes two deliveries the same event.
    dedup_key = models.CharField(max_length=64, unique=True)
    event = models.CharField(max_length=64)
    user_openid = models.CharField(max_length=128)
    create_time = models.BigIntegerField(help_text="When TikTok says the event happened (Unix s).")
    content = models.TextField()
    status = models.CharField(max_length=16, choices=WebhookStatus.choices)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-received_at", "-id")
        verbose_name = "TikTok webhook event"

    def __str__(self) -> str:
        return f"{self.event} for {self.user_openid} ({self.status})"
