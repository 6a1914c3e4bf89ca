"""The Grafana dashboard and the Prometheus alert rules name only series /metrics exposes (a
renamed series would leave a panel empty or an alert silent, and no tool would say so)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.conf import settings

from apps.core import metrics

OPS: Path = settings.PROJECT_DIR / "ops"
DASHBOARDS = sorted((OPS / "grafana" / "dashboards").glob("*.json"))
_SERIES = re.compile(r"\btta_[a-z_]+\b")
_HISTOGRAM_PARTS = ("_bucket", "_count", "_sum")


def exposed() -> set[str]:
    """Every sample name /metrics can give."""
    names = {metrics.BUDGET_REMAINING, *metrics.STATE_GAUGES}
    for family in metrics.REGISTRY.collect():
        if family.type == "counter":
            names.add(f"{family.name}_total")
        elif family.type == "histogram":
            names |= {family.name + part for part in _HISTOGRAM_PARTS}
        else:
            names.add(family.name)
    return names


def expressions(dashboard: dict) -> list[str]:
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


def test_there_is_a_dashboard_and_it_uses_the_provisioned_data_source():
    assert DASHBOARDS
    source = (OPS / "grafana" / "provisioning" / "datasources" / "prometheus.yml").read_text()
    for path in DASHBOARDS:
        dashboard = json.loads(path.read_text())
        for panel in dashboard["panels"]:
            assert panel["datasource"]["uid"] in source, panel["title"]


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda path: path.name)
def test_every_panel_queries_series_that_exist(path):
    dashboard = json.loads(path.read_text())
    named = {name for expr in expressions(dashboard) for name in _SERIES.findall(expr)}

    assert named, "the dashboard queries no tta_ series"
    assert named - exposed() == set()


def test_every_alert_rule_queries_series_that_exist():
    named = set(_SERIES.findall((OPS / "prometheus" / "alerts.yml").read_text()))

    assert named - exposed() == set()


def test_the_dashboard_covers_what_the_contract_says_operators_watch():
    queried = " ".join(
        expr for path in DASHBOARDS for expr in expressions(json.loads(path.read_text()))
    )

    for needle in (
        'outcome=~"upstream_error|timeout"',  # TikTok error ratio
        "tta_tiktok_budget_remaining",  # budget saturation
        "tta_jobs",  # queue backlog
        "tta_posts",  # posts stuck in publishing
        "tta_outbound_webhook_deliveries_total",  # failing webhook endpoints
        'status=~"5.."',  # request error ratio
        "tta_http_request_duration_seconds_bucket",  # latency
    ):
        assert needle in queried, needle
