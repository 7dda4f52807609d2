"""Before every fetch the repository's address is checked again: DNS and settings may have changed since."""

import pytest

from core.models import Channel
from releases.code import git
from releases.code.services.repositories import fetch_refusal, repository_create
from releases.code.services.scan import repository_scan

pytestmark = pytest.mark.django_db


def test_a_host_that_now_resolves_to_an_internal_address_is_never_fetched(settings, product, manager):
    # Saved where internal addresses were allowed; they are not any more.
    repository = repository_create(
        actor=manager, channel=Channel.API, name="internal", product=product,
        url="https://localhost/acme/billing.git", probe=False,
    )
    settings.HANDOFF_ALLOW_INTERNAL_URLS = False

    result = repository_scan(repository=repository)

    repository.refresh_from_db()
    assert repository.scan_status == "failed" and repository.last_error_at is not None
    assert "refused" in result.error and "localhost: 127.0.0.1 is an internal address" in repository.last_error
    assert not git.mirror_path(repository.pk).exists()  # the mirror is made by the first fetch


def test_a_local_path_is_not_fetched_once_internal_addresses_are_no_longer_allowed(settings, repository, scan):
    settings.HANDOFF_ALLOW_INTERNAL_URLS = False
    scan()
    assert repository.scan_status == "failed" and "HANDOFF_ALLOW_INTERNAL_URLS" in repository.last_error
    assert repository.commit_count == 0 and not git.mirror_path(repository.pk).exists()


def test_a_local_path_is_fetched_where_internal_addresses_are_allowed(repository, scan):
    scan()
    assert repository.scan_status == "ok" and repository.commit_count == 1


@pytest.mark.parametrize("url,allowed,refused", [
    ("https://localhost/r.git", False, "internal address"),
    ("ssh://git@localhost/r.git", False, "internal address"),
    ("http://localhost/r.git", False, "plain http://"),
    ("file:///srv/git/r.git", False, "HANDOFF_ALLOW_INTERNAL_URLS"),
    ("https://169.254.169.254/r.git", True, "never allowed"),
    ("https://localhost/r.git", True, None),
    ("/srv/git/r.git", True, None),
])
def test_what_may_be_fetched(settings, url, allowed, refused):
    settings.HANDOFF_ALLOW_INTERNAL_URLS = allowed
    refusal = fetch_refusal(url)
    assert (refusal is None) if refused is None else (refused in refusal)
