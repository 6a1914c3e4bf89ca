"""The followers chart in a real browser: headless Debian Chromium through Selenium.

Nothing is downloaded at run time: the browser and its driver are the Debian packages
`chromium` and `chromium-driver` (`.ci/run` installs them), and the driver path is given to
Selenium explicitly, so Selenium Manager never runs. Skipped where they are missing, except in
CI (CI=true), where a missing browser is a failure.

The server runs at test_admin's fixed instant; the browser keeps the real clock, so its cookies
last until it closes rather than until a date the two clocks disagree on.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import time_machine
from django.urls import reverse

from apps.history.tests.test_admin import NOW, _history
from testing.factories import TikTokAccountFactory

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fixed_clock(settings) -> Iterator[None]:
    """The points and the admin's 90 days from one fixed instant; ticking, since the live
    server and Selenium's waits must see time pass."""
    settings.SESSION_EXPIRE_AT_BROWSER_CLOSE = True
    settings.CSRF_COOKIE_AGE = None
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def browser() -> Iterator[object]:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        message = (
            f"{CHROMIUM} and {CHROMEDRIVER} are needed (apt-get install chromium chromium-driver)"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="tta-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # the console, for get_log
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def test_the_account_page_draws_the_followers_chart(live_server, browser, django_user_model):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    django_user_model.objects.create_superuser("ops", "ops@example.com", "ops-password-123")
    account = TikTokAccountFactory(follower_count=1_300)
    _history(account, (80, 1_000), (40, 1_100), (10, 1_200), (0, 1_300))

    browser.get(f"{live_server.url}{reverse('admin:login')}")
    browser.find_element(By.NAME, "username").send_keys("ops")
    browser.find_element(By.NAME, "password").send_keys("ops-password-123")
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    # The click returns before the navigation ends: wait for the admin index.
    WebDriverWait(browser, 15).until(lambda d: "/admin/login/" not in d.current_url)
    page = reverse("admin:tiktok_accounts_tiktokaccount_change", args=[account.pk])
    browser.get(f"{live_server.url}{page}")

    polyline = browser.find_element(By.CSS_SELECTOR, "svg.history-chart polyline")
    # The browser parsed the SVG: its own geometry, not the HTML text.
    vertices = browser.execute_script("return arguments[0].points.numberOfItems", polyline)
    box = browser.execute_script(
        "const b = arguments[0].getBBox(); return [b.width, b.height]", polyline
    )
    assert vertices == 4
    assert box[0] > 100
    assert box[1] > 50
    assert polyline.is_displayed()
    markers = browser.find_elements(By.CSS_SELECTOR, "svg.history-chart circle")
    assert len(markers) == 4
    assert all(marker.is_displayed() for marker in markers)
    count = browser.find_element(By.CSS_SELECTOR, "svg.history-chart .history-chart-count")
    assert count.text == "4 points"
    # Nothing failed to load, /favicon.ico included (a 404 there was logged on every page).
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == []


def test_the_api_docs_page_logs_no_error(live_server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{live_server.url}/api/docs")
    # Swagger UI renders the operations from /api/openapi.json once it has fetched it.
    WebDriverWait(browser, 15).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, ".swagger-ui .opblock")
    )

    # Ninja's page names its own icons; nothing else may fail either (a CSP refusal, a 404).
    assert [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"] == []
