"""The URL rules themselves: which links may be shown, which addresses may be called."""

import pytest
from django.core.exceptions import ValidationError

from core.safe_urls import address_refusal, clean_server_url, external_link


@pytest.mark.parametrize("url", [
    "javascript:alert(document.domain)//",
    "JavaScript:alert(1)",
    " javascript:alert(1)",
    "java\nscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "//evil.example/path",
    "/relative/path",
    "https://user:pw@evil.example/",
    "https://evil.example\\@good.example/",
    "https://[::1/",
    "",
    None,
])
def test_a_link_that_is_not_plain_http_or_https_is_dropped(url):
    assert external_link(url) == ""


@pytest.mark.parametrize("url", [
    "https://jira.example.com/browse/HD-12",
    "https://github.com/acme/billing/issues/3#issuecomment-9",
    "http://redmine.example.com:3000/issues/7?tab=history",
])
def test_a_plain_http_or_https_link_is_kept(url):
    assert external_link(url) == url


@pytest.mark.parametrize(("address", "allowed_in_production", "allowed_internally"), [
    ("8.8.8.8", True, True),
    ("2606:4700::1111", True, True),
    ("127.0.0.1", False, True),
    ("10.0.0.1", False, True),
    ("100.64.0.1", False, True),
    ("::1", False, True),
    ("2002:7f00:1::", False, True),
    ("::ffff:10.0.0.1", False, True),
    ("169.254.169.254", False, False),
    ("100.100.100.200", False, False),
    ("fe80::1", False, False),
    ("fd00:ec2::254", False, False),
    ("2002:a9fe:a9fe::", False, False),
    ("224.0.0.1", False, False),
])
def test_which_addresses_may_be_called(address, allowed_in_production, allowed_internally):
    assert (address_refusal(address, allow_internal=False) is None) is allowed_in_production
    assert (address_refusal(address, allow_internal=True) is None) is allowed_internally


def test_a_server_url_is_normalised_and_its_trailing_slash_dropped():
    assert clean_server_url("HTTPS://8.8.8.8/jira/", allow_internal=False) == "https://8.8.8.8/jira"


def test_a_server_url_with_a_bad_ipv6_literal_is_a_validation_error_not_a_crash():
    with pytest.raises(ValidationError):
        clean_server_url("http://[::1", allow_internal=True)
