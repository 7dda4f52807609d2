import pytest

from core.redact import redact


@pytest.mark.parametrize("text, secret, expected", [
    ("401 for ghp-abcdef123", "ghp-abcdef123", "401 for ***"),
    ("bot@example.com:jira-api-token refused", "bot@example.com:jira-api-token", "*** refused"),
    ("user bot@example.com, token jira-api-token", "bot@example.com:jira-api-token", "user ***, token ***"),
    ("Jira is unreachable (ConnectionError).", "t", "Jira is unreachable (ConnectionError)."),
    ("token t was refused", "t", "token *** was refused"),
    ("nothing to hide", "", "nothing to hide"),
    ("nothing to hide", None, "nothing to hide"),
])
def test_a_secret_and_its_parts_are_written_stars_and_a_short_one_only_where_it_stands_alone(text, secret, expected):
    assert redact(text, secret) == expected
