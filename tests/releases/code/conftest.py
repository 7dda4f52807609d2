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


def build_lines(upstream: GitRepo, key: str) -> dict[str, str]:
    """main: 2.3.0, 2.4.0, the fix of `key`, 2.4.1, 2.5.0; release-2.3: 2.3.4, the fix picked with -x, 2.3.5."""
    upstream.tag("v2.3.0")
    upstream.branch("release-2.3")
    upstream.commit("Maintenance change", file="maint.txt")
    upstream.tag("v2.3.4")
    upstream.checkout("main")
    upstream.commit("New feature", file="feature.txt")
    upstream.tag("v2.4.0")
    fix = upstream.commit(f"Round totals once\n\nFixes {key}", file="totals.txt")
    upstream.tag("v2.4.1")
    upstream.commit("Next feature", file="next.txt")
    upstream.tag("v2.5.0", annotated=True)
    upstream.checkout("release-2.3")
    port = upstream.cherry_pick(fix, x=True)
    upstream.tag("v2.3.5")
    upstream.checkout("main")
    return {"fix": fix, "port": port}


@pytest.fixture
def lines(upstream, defect):
    """The defect's fix on main (2.4.1) and picked with -x to the 2.3 line (2.3.5)."""
    return build_lines(upstream, defect.key)


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
