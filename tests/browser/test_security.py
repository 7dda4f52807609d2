"""In a real browser, the pages that bring their own scripts still work under the Content-Security-Policy.

The page fixture fails a test when Chromium reports anything the policy blocked.
Chromium and its fixtures: tests/browser/conftest.py.
"""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_api_docs_draw_swagger_ui_under_the_policy(page, log_in, agent):
    from playwright.sync_api import expect

    log_in(agent, "/accounts/login/?next=/api/docs/")
    expect(page.locator(".swagger-ui .title")).to_contain_text("Handoff API")
    expect(page.locator(".opblock-summary-path", has_text="/api/tickets/").first).to_be_visible()


def test_the_admin_opens_a_user_under_the_policy(page, log_in, manager):
    from playwright.sync_api import expect

    manager.is_staff = manager.is_superuser = True
    manager.save()
    log_in(manager, "/admin/login/?next=/admin/auth/user/")
    expect(page.locator("#changelist")).to_contain_text(manager.username)
    page.get_by_role("link", name=manager.username, exact=True).click()
    # The admin's own scripts ran: the date widgets and the related-object links are drawn by them.
    expect(page.locator("#id_date_joined_0 + .datetimeshortcuts")).to_be_visible()
