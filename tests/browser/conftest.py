"""A real headless Chromium driven by Playwright against pytest-django's live server.

Skips when Chromium is missing, unless HANDOFF_REQUIRE_BROWSER=1 (CI) makes it fail.
"""

import os
from pathlib import Path

import pytest
from django.db import connection

from tests.conftest import PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Screenshots for a person to look at after a run; CI keeps the folder.
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
TIMEOUT_MS = 15_000


@pytest.fixture(autouse=True)
def _role_groups(role_groups) -> None:
    """Every browser test signs in by role (tests/conftest.py's role_groups)."""


@pytest.fixture
def page(live_server, monkeypatch):
    """A Chromium page. Playwright's sync API runs an event loop in this thread,
    so Django's guard against ORM calls from async code must stand down."""
    if not Path(CHROMIUM).exists():
        reason = f"{CHROMIUM} is not installed (apt-get install chromium)"
        if os.environ.get("HANDOFF_REQUIRE_BROWSER") == "1":
            pytest.fail(f"HANDOFF_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 900})
            page.set_default_timeout(TIMEOUT_MS)
            # Chromium reports what the Content-Security-Policy blocked on the console:
            # an inline script or style left in a page, or htmx or a chart injecting one.
            blocked: list[str] = []
            page.on(
                "console",
                lambda message: "Content Security Policy" in message.text and blocked.append(message.text),
            )
            yield page
            assert blocked == [], "the Content-Security-Policy blocked something"
        finally:
            browser.close()
            # Code run while Playwright is active gets its own database connection
            # (Django keeps connections per context); close it here, or it would
            # stay open and block dropping the test database on PostgreSQL.
            connection.close()


@pytest.fixture
def log_in(page, live_server):
    """Sign `user` in through the login form, opening `path` first: log_in(agent, "/releases/")."""

    def submit(user, path: str = "/") -> None:
        page.goto(f"{live_server.url}{path}")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()

    return submit
