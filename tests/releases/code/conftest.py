"""Repositories registered against real git repositories built in a temporary folder."""

import pytest

from core.models import Channel
from releases.code.services.repositories import repository_create
from tests.factories import escalate
from tests.releases.code.gitrepo import GitRepo


@pytest.fixture(autouse=True)
def _mirrors(settings, tmp_path):
    settings.HANDOFF_GIT_MIRRORS = tmp_path / "mirrors"
    settings.HANDOFF_ALLOW_INTERNAL_URLS = True


@pytest.fixture
def upstream(tmp_path) -> GitRepo:
    repo = GitRepo(tmp_path / "upstream")
    repo.commit("Initial import", file="README")
    return repo


@pytest.fixture
def repository(upstream, product, manager):
    return repository_create(
        actor=manager, channel=Channel.API, name="billing", product=product, url=str(upstream.path),
        web_url="https://git.example.com/acme/billing", webhook_secret="s3cret-hook",
    )


@pytest.fixture
def defect(make_ticket, agent):
    return escalate(make_ticket(), agent, title="Totals are rounded twice")


@pytest.fixture
def make_defect(make_ticket, agent):
    def make(title="Another defect", **kwargs):
        return escalate(make_ticket(**kwargs), agent, title=title)

    return make


@pytest.fixture
def scan(repository):
    """scan(full=False) -> ScanResult of the registered repository, reloaded afterwards."""
    from releases.code.services.scan import repository_scan

    def run(full: bool = False):
        result = repository_scan(repository=repository, full=full)
        repository.refresh_from_db()
        return result

    return run
