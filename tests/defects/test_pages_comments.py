"""Posting a comment on a defect or ticket page: the thread comes back with it, and a form counts once."""

import re

import pytest

from defects.models import Comment
from tests.factories import escalate

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def defect(ticket, agent):
    return escalate(ticket, agent)


def token_of(html: str) -> str:
    (token,) = re.findall(r'<input type="hidden" name="form_token" value="([^"]+)"', html)
    return token


@pytest.fixture(params=["defect", "ticket"])
def where(request, ticket, defect):
    """(page url, comment url) of a defect page and of a ticket page."""
    if request.param == "defect":
        return f"/defects/{defect.pk}/", f"/defects/{defect.pk}/comments/"
    return f"/tickets/{ticket.pk}/", f"/tickets/{ticket.pk}/comments/"


def test_posting_with_htmx_answers_with_the_thread_holding_the_comment_and_an_empty_form(client, agent, where):
    page, post = where
    client.force_login(agent)
    token = token_of(client.get(page).content.decode())

    response = client.post(post, {"body": "Customer runs Firefox 128", "visibility": "shared", "form_token": token},
                           headers=HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section class="card" id="thread"') and "<html" not in html
    assert "{%" not in html and "{#" not in html
    comment = Comment.objects.get(body="Customer runs Firefox 128")
    assert f'id="comment-{comment.pk}"' in html
    assert '<p class="message message-success" role="status" id="comment-notice">Comment added.</p>' in html
    # The box is empty again, and the new form carries a new token.
    assert re.search(r"<textarea[^>]*>\s*</textarea>", html)
    assert token_of(html) != token


def test_the_same_form_posted_twice_adds_one_comment_and_shows_it(client, agent, where):
    page, post = where
    client.force_login(agent)
    data = {"body": "Double-clicked", "visibility": "shared", "form_token": token_of(client.get(page).content.decode())}

    client.post(post, data, headers=HTMX)
    again = client.post(post, data, headers=HTMX)

    (comment,) = Comment.objects.filter(body="Double-clicked")
    html = again.content.decode()
    assert "This comment was already posted." in html and f'id="comment-{comment.pk}"' in html
    # Without script, a repeat goes to the comment posted first.
    response = client.post(post, data)
    assert response.status_code == 302 and response.url == f"{page}#comment-{comment.pk}"
    assert Comment.objects.filter(body="Double-clicked").count() == 1


def test_without_script_a_comment_posts_and_redirects_to_it_with_a_confirmation(client, agent, where):
    page, post = where
    client.force_login(agent)
    token = token_of(client.get(page).content.decode())

    response = client.post(post, {"body": "Plain form", "visibility": "shared", "form_token": token})

    comment = Comment.objects.get(body="Plain form")
    assert response.status_code == 302 and response.url == f"{page}#comment-{comment.pk}"
    assert "Comment added." in client.get(response.url).content.decode()


def test_a_refused_comment_keeps_its_text_and_its_token_for_the_corrected_post(client, agent, ticket, where):
    page, post = where
    client.force_login(agent)
    token = token_of(client.get(page).content.decode())

    response = client.post(post, {"body": "x" * 20_001, "visibility": "shared", "form_token": token}, headers=HTMX)

    html = response.content.decode()
    assert "At most 20000 characters." in html and "x" * 100 in html and token_of(html) == token
    assert not Comment.objects.exists()
    client.post(post, {"body": "Shorter", "visibility": "shared", "form_token": token}, headers=HTMX)
    assert Comment.objects.filter(body="Shorter").count() == 1


def test_a_form_with_no_token_still_posts(client, agent, where):
    _, post = where
    client.force_login(agent)
    for _ in range(2):
        client.post(post, {"body": "Scripted", "visibility": "shared"})
    assert Comment.objects.filter(body="Scripted").count() == 2
