"""Thin tasks: fan events out (default queue), deliver (the `webhooks` queue, see settings)."""

from __future__ import annotations

from celery import shared_task

from apps.outbound_webhooks.delivery import delivery_attempt, events_fan_out


@shared_task(name="outbound_webhooks.fan_out")
def fan_out(event_ids: list[str]) -> int:
    return events_fan_out(event_ids=event_ids)


@shared_task(name="outbound_webhooks.deliver")
def deliver(delivery_id: str) -> None:
    delivery_attempt(delivery_id=delivery_id)
