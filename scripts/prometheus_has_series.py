"""Exit 0 when the Prometheus server at argv[1] holds every series the web server's /metrics
must give (CI's scrape of the smoke test's gunicorn, .ci/run); 1 otherwise."""

from __future__ import annotations

import json
import sys
import urllib.parse
import urllib.request

WANTED = (
    'up{job="tta-web"} == 1',
    "tta_http_requests_total",
    "tta_http_request_duration_seconds_bucket",
    "tta_accounts",
    "tta_posts",
    "tta_jobs",
    "tta_tiktok_budget_remaining",
)


def main(base: str) -> int:
    for query in WANTED:
        url = f"{base}/api/v1/query?query={urllib.parse.quote(query)}"
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:  # noqa: S310 (loopback)
                if not json.load(answer)["data"]["result"]:
                    return 1
        except OSError:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
