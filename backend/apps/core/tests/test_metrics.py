"""The series' own rules: route templates, bounded labels, outcomes checked, gauges that fail
alone."""

from __future__ import annotations

import pytest

from apps.core import metrics


def sample(name: str, **labels: str) -> float:
    return metrics.REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.mark.parametrize(
    ("route", "template"),
    [
        ("api/accounts/<account_id>", "/api/accounts/{account_id}"),
        (
            "api/accounts/<account_id>/videos/<video_id>/history",
            "/api/accounts/{account_id}/videos/{video_id}/history",
        ),
        ("admin/app/model/<path:object_id>/change/", "/admin/app/model/{object_id}/change/"),
        ("admin/(?P<url>.*)$", "/admin/{url}"),
        ("api/health", "/api/health"),
    ],
)
def test_route_template_names_the_parameters_never_their_values(route, template):
    assert metrics.route_template(route) == template


def test_an_unknown_method_is_counted_as_other():
    before = sample("tta_http_requests_total", method="other", route="/x", status="405")

    metrics.http_request_observed("BREW", "/x", 405, 0.01)

    assert sample("tta_http_requests_total", method="other", route="/x", status="405") == before + 1
    assert sample("tta_http_requests_total", method="BREW", route="/x", status="405") == 0


@pytest.mark.parametrize("outcome", metrics.WEBHOOK_OUTCOMES)
def test_outbound_delivery_counted(outcome):
    before = sample("tta_outbound_webhook_deliveries_total", outcome=outcome)

    metrics.outbound_delivery_counted(outcome)

    assert sample("tta_outbound_webhook_deliveries_total", outcome=outcome) == before + 1


def test_outbound_delivery_refuses_an_outcome_outside_the_contract():
    with pytest.raises(ValueError, match="unknown outbound webhook outcome"):
        metrics.outbound_delivery_counted("maybe")


@pytest.mark.parametrize(
    ("state", "outcome"),
    [
        ("SUCCESS", "succeeded"),
        ("FAILURE", "failed"),
        ("RETRY", "retried"),
        ("REJECTED", "rejected"),
    ],
)
def test_task_outcomes(state, outcome):
    before = sample("tta_tasks_total", task="t.metrics", outcome=outcome)
    count = sample("tta_task_duration_seconds_count", task="t.metrics")

    metrics.task_observed("t.metrics", state, 0.5)

    assert sample("tta_tasks_total", task="t.metrics", outcome=outcome) == before + 1
    assert sample("tta_task_duration_seconds_count", task="t.metrics") == count + 1


def test_budget_exhausted_is_counted_without_a_duration():
    count = sample("tta_tiktok_request_duration_seconds_count", endpoint="/v2/x/")

    metrics.tiktok_call_observed("/v2/x/", "budget_exhausted", None)

    assert sample("tta_tiktok_requests_total", endpoint="/v2/x/", outcome="budget_exhausted") >= 1
    assert sample("tta_tiktok_request_duration_seconds_count", endpoint="/v2/x/") == count


def test_a_gauge_whose_source_fails_is_left_out_and_the_others_stay(caplog):
    def down() -> dict[str, int]:
        raise ConnectionError("database down")

    gauges = metrics.ScrapeGauges(
        counts={"tta_accounts": down, "tta_posts": lambda: {"published": 3, "failed": 1}},
        budget_remaining=lambda: 42,
    )

    families = {family.name: family for family in gauges.collect()}

    assert set(families) == {"tta_posts", "tta_tiktok_budget_remaining"}
    assert {s.labels["status"]: s.value for s in families["tta_posts"].samples} == {
        "failed": 1,
        "published": 3,
    }
    assert families["tta_tiktok_budget_remaining"].samples[0].value == 42
    assert "tta_accounts could not be computed" in caplog.text


def test_scrape_gauges_refuse_a_name_outside_the_contract():
    with pytest.raises(ValueError, match="not a state gauge"):
        metrics.ScrapeGauges(counts={"tta_videos": dict}, budget_remaining=lambda: 0)
