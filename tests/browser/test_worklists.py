"""In a real browser: sorting a list, saving a view and coming back to it, the bulk box, the skip link,
and the keyboard shortcuts under "?".

Chromium and its fixtures: tests/browser/conftest.py (which also fails a test whose page the
Content-Security-Policy had to block something on).
"""

import re

import pytest

from tests.browser.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def subjects(page) -> list[str]:
    return page.locator("table.list tbody tr td:nth-child(3) a").all_inner_texts()


def test_an_agent_sorts_the_ticket_list_saves_the_view_and_opens_it_again(page, log_in, agent, make_ticket):
    from playwright.sync_api import expect

    for subject in ("Banana export", "Apple login", "Cherry invoice"):
        make_ticket(subject=subject)
    log_in(agent, "/tickets/")
    expect(page.get_by_role("heading", name="Tickets")).to_be_visible()
    assert subjects(page) == ["Cherry invoice", "Apple login", "Banana export"]

    # A click on a header sorts by it; a second click turns it around.
    page.get_by_role("link", name="Subject").click()
    expect(page).to_have_url(re.compile(r"\?sort=subject$"))
    assert subjects(page) == ["Apple login", "Banana export", "Cherry invoice"]
    expect(page.locator("th[aria-sort='ascending']")).to_have_text(re.compile("Subject"))
    page.get_by_role("link", name="Subject").click()
    expect(page).to_have_url(re.compile(r"\?sort=-subject$"))
    assert subjects(page) == ["Cherry invoice", "Banana export", "Apple login"]

    # Saved under a name, the view is offered above the list.
    views = page.get_by_role("region", name="Saved views")
    views.get_by_text("Save this view").click()
    views.get_by_label("Name").fill("Z to A")
    views.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Saved the view “Z to A”.")
    expect(views.get_by_role("link", name="Z to A")).to_have_attribute("aria-current", "true")

    # Elsewhere and back: the list is in its default order until the view is opened again.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Tickets").click()
    assert subjects(page) == ["Cherry invoice", "Apple login", "Banana export"]
    page.get_by_role("region", name="Saved views").get_by_role("link", name="Z to A").click()
    expect(page).to_have_url(re.compile(r"/tickets/\?sort=-subject$"))
    assert subjects(page) == ["Cherry invoice", "Banana export", "Apple login"]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "ticket-list-saved-view.png"), full_page=True)


def test_the_bulk_box_shows_the_fields_of_the_chosen_action_and_assigns(page, log_in, agent, other_agent, make_ticket):
    from playwright.sync_api import expect

    first, second = make_ticket(subject="First"), make_ticket(subject="Second")
    log_in(agent, "/tickets/")
    box = page.locator("#bulk-form fieldset")
    expect(box.get_by_label("Assignee")).to_be_visible()
    expect(box.get_by_label("Help-desk status")).to_be_hidden()
    box.get_by_label("Action").select_option("status")
    expect(box.get_by_label("Help-desk status")).to_be_visible()
    expect(box.get_by_label("Assignee")).to_be_hidden()

    # "Select every ticket" ticks each row's box.
    page.get_by_label("Select every ticket on this page").check()
    expect(page.get_by_label(f"Select {first.number}")).to_be_checked()
    expect(page.get_by_label(f"Select {second.number}")).to_be_checked()
    box.get_by_label("Action").select_option("assign")
    box.get_by_label("Assignee").select_option(str(other_agent.pk))
    box.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("status")).to_contain_text(f"2 tickets assigned to {other_agent.username}.")


def test_the_skip_link_comes_first_and_moves_to_the_content(page, log_in, agent):
    from playwright.sync_api import expect

    log_in(agent, "/tickets/")
    expect(page.get_by_role("heading", name="Tickets")).to_be_visible()
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("main#content")).to_be_focused()
    expect(page).to_have_url(re.compile(r"#content$"))


def test_question_mark_lists_the_shortcuts_and_they_work(page, log_in, agent, make_ticket):
    from playwright.sync_api import expect

    ticket = make_ticket(subject="Printer on fire")
    log_in(agent)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()

    page.keyboard.press("?")
    help_list = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(help_list).to_be_visible()
    expect(help_list).to_contain_text("Search the list on this page")
    expect(help_list.get_by_role("link", name="Go to my tickets")).to_be_visible()
    page.keyboard.press("Escape")
    expect(help_list).to_be_hidden()

    # g t: the tickets; / searches; j chooses the first row and o opens it.
    page.keyboard.press("g")
    page.keyboard.press("t")
    expect(page.get_by_role("heading", name="Tickets")).to_be_visible()
    page.keyboard.press("/")
    expect(page.get_by_label("Search")).to_be_focused()
    page.keyboard.type("x")  # typed into the field, not a shortcut
    expect(page.get_by_label("Search")).to_have_value("x")
    page.locator("main h1").click()
    page.keyboard.press("j")
    expect(page.locator("table.list tbody tr.row-current")).to_contain_text(ticket.number)
    page.keyboard.press("o")
    expect(page).to_have_url(re.compile(rf"/tickets/{ticket.pk}/$"))
