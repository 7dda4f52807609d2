"""In a real browser, the pages that bring their own scripts still work under the Content-Security-Policy.

The page fixture fails a test when Chromium reports anything the policy blocked.
Uses the Chromium setup of tests/test_browser_escalation.py (skips without
Chromium unless HANDOFF_REQUIRE_BROWSER=1).
"""

import pytest

from tests.conftest import PASSWORD
from tests.test_browser_escalation import _role_groups, page  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, live_server, user, path: str) -> None:  # noqa: F811
    page.goto(f"{live_server.url}{path}")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_the_api_docs_draw_swagger_ui_under_the_policy(page, live_server, agent):  # noqa: F811
    from playwright.sync_api import expect

    log_in(page, live_server, agent, "/accounts/login/?next=/api/docs/")
    expect(page.locator(".swagger-ui .title")).to_contain_text("Handoff API")
    expect(page.locator(".opblock-summary-path", has_text="/api/tickets/").first).to_be_visible()


def test_the_admin_opens_a_user_under_the_policy(page, live_server, manager):  # noqa: F811
    from playwright.sync_api import expect

    manager.is_staff = manager.is_superuser = True
    manager.save()
    page.goto(f"{live_server.url}/admin/login/?next=/admin/auth/user/")
    page.get_by_label("Username").fill(manager.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#changelist")).to_contain_text(manager.username)
    page.get_by_role("link", name=manager.username, exact=True).click()
    # The admin's own scripts ran: the date widgets and the related-object links are drawn by them.
    expect(page.locator("#id_date_joined_0 + .datetimeshortcuts")).to_be_visible()
