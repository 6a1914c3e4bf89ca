from django.apps import AppConfig


class OutboundWebhooksConfig(AppConfig):
    name = "apps.outbound_webhooks"
    verbose_name = "Outbound webhooks"
