"""Repository pages, the defect's Code panel, the release's tag notice and the ship preview."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from core.models import Channel
from releases.code.models import Commit, Repository
from releases.code.selectors import RECENT
from releases.services.releases import release_create


def test_a_manager_registers_a_repository_through_the_page(as_user, manager, upstream, product):
    response = as_user(manager).post("/releases/repositories/new/", {
        "name": "billing", "product": product.pk, "url": str(upstream.path), "default_branch": "main",
        "tag_pattern": "v{version}",
    })
    assert response.status_code == 302
    assert Repository.objects.get().name == "billing"


def test_a_bad_tag_pattern_is_shown_beside_its_field(as_user, manager, upstream, product):
    response = as_user(manager).post("/releases/repositories/new/", {
        "name": "billing", "product": product.pk, "url": str(upstream.path), "default_branch": "main",
        "tag_pattern": "release",
    })
    assert response.status_code == 400 and "{version}" in response.content.decode()
    assert not Repository.objects.exists()


def test_agents_read_repositories_but_cannot_register_or_scan(as_user, agent, repository):
    assert as_user(agent).get("/releases/repositories/").status_code == 200
    assert as_user(agent).get(f"/releases/repositories/{repository.pk}/").status_code == 200
    assert as_user(agent).get("/releases/repositories/new/").status_code == 403
    assert as_user(agent).post(f"/releases/repositories/{repository.pk}/scan/").status_code == 403


def test_the_credential_is_never_shown(as_user, manager, upstream, product, repository):
    repository.credential = "very-secret-token"
    repository.save()
    page = as_user(manager).get(f"/releases/repositories/{repository.pk}/").content.decode()
    assert "very-secret-token" not in page and "Set" in page


def test_a_failed_scan_is_visible_on_the_repository_page(as_user, engineer, upstream, repository, scan):
    import shutil

    shutil.rmtree(upstream.path)
    scan()
    page = as_user(engineer).get(f"/releases/repositories/{repository.pk}/").content.decode()
    assert "Last scan failed" in page


def test_the_defect_page_loads_a_code_panel_with_commits_and_first_releases(as_user, agent, upstream, scan, defect):
    fix = upstream.commit(f"Round once\n\nfixes {defect.key}")
    upstream.tag("v2.4.1")
    scan()
    page = as_user(agent).get(f"/defects/{defect.pk}/").content.decode()
    assert f"/releases/code/defects/{defect.pk}/" in page
    panel = as_user(agent).get(f"/releases/code/defects/{defect.pk}/").content.decode()
    assert fix[:10] in panel and "Round once" in panel and "2.4.1" in panel
    assert f"https://git.example.com/acme/billing/commit/{fix}" in panel


def test_a_tag_of_a_planned_release_offers_to_ship_it(as_user, manager, upstream, scan, product):
    release = release_create(product=product, version="2.6.0", actor=manager, channel=Channel.WEB)
    upstream.tag("v2.6.0")
    scan()
    panel = as_user(manager).get(f"/releases/{release.pk}/code/").content.decode()
    assert "has appeared" in panel and f"/releases/{release.pk}/ship/" in panel


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the plan is PostgreSQL's")
def test_a_repositorys_newest_commits_are_read_from_an_index_not_sorted(repository):
    # A repository holds tens of thousands of commits: its page reads the newest twenty from
    # the top of an index in that order. Sorting forbidden, the plan must still find one.
    sql, params = (
        Commit.objects.filter(repository=repository).order_by("-committed_at", "-id")[:RECENT].query.sql_with_params()
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "commit_recent" in plan and "Sort" not in plan


def test_the_repository_page_lists_the_newest_commits_first(as_user, agent, repository):
    now = timezone.now()
    for n in range(RECENT + 2):
        Commit.objects.create(repository=repository, sha=f"{n:040x}", subject=f"Change {n}",
                              authored_at=now, committed_at=now - timedelta(minutes=n))
    page = as_user(agent).get(f"/releases/repositories/{repository.pk}/").content.decode()
    assert page.index("Change 0<") < page.index("Change 1<") and f"Change {RECENT}<" not in page
