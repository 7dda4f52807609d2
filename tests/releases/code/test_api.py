"""The repository, build and defect-code endpoints: roles, clear 400s, secrets that never come back."""

import pytest
from django.contrib.auth.models import Group, User

from releases.code.models import Build, CodeDelivery, Commit, Repository


@pytest.fixture
def builder(db) -> User:
    user = User.objects.create_user("ci-bot", "ci@example.com", "pw")
    user.groups.add(Group.objects.get(name="Build systems"))
    return user


def _body(upstream, product, **extra):
    return {"name": "billing", "product": product.pk, "url": str(upstream.path), **extra}


def test_a_manager_registers_a_repository_and_its_first_scan_runs(
    api, manager, upstream, product, defect, django_capture_on_commit_callbacks
):
    upstream.commit(f"fixes {defect.key}")
    upstream.tag("v2.4.1")
    with django_capture_on_commit_callbacks(execute=True):
        response = api(manager).post(
            "/api/repositories/", _body(upstream, product, credential="tok-123456", webhook_secret="hook-secret"),
            format="json",
        )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["has_credential"] and body["has_webhook_secret"]
    assert "credential" not in body and "webhook_secret" not in body
    assert "tok-123456" not in response.content.decode() and "hook-secret" not in response.content.decode()
    assert body["scan_status"] == "queued"
    detail = api(manager).get(f"/api/repositories/{body['id']}/").json()
    assert detail["scan_status"] == "ok" and detail["commit_count"] == 2
    assert api(manager).get(f"/api/defects/{defect.pk}/").json()["first_releases"][0]["version"] == "2.4.1"


@pytest.mark.parametrize("change,field", [
    ({"product": 999999}, "product"),
    ({"tag_pattern": "release-1"}, "tag_pattern"),
    ({"url": "ftp://example.com/repo.git"}, "url"),
    ({"url": "https://169.254.169.254/repo.git"}, "url"),
])
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(api, manager, upstream, product, change, field):
    response = api(manager).post("/api/repositories/", {**_body(upstream, product), **change}, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Repository.objects.exists()


def test_a_folder_that_is_not_a_git_repository_is_refused(api, manager, product, tmp_path):
    (tmp_path / "plain").mkdir()
    response = api(manager).post(
        "/api/repositories/", {"name": "x", "product": product.pk, "url": str(tmp_path / "plain")}, format="json"
    )
    assert response.status_code == 400 and "url" in response.json()
    assert not Repository.objects.exists()


def test_local_paths_are_refused_where_internal_addresses_are_not_allowed(api, manager, upstream, product, settings):
    settings.HANDOFF_ALLOW_INTERNAL_URLS = False
    response = api(manager).post("/api/repositories/", _body(upstream, product), format="json")
    assert response.status_code == 400
    assert "HANDOFF_ALLOW_INTERNAL_URLS" in response.json()["url"][0]


def test_only_managers_register_and_everyone_staff_reads(
    api, agent, engineer, outsider, upstream, product, repository, django_capture_on_commit_callbacks
):
    response = api(engineer).post("/api/repositories/", _body(upstream, product, name="b2"), format="json")
    assert response.status_code == 403
    assert api(agent).get("/api/repositories/").status_code == 200
    assert api(outsider).get("/api/repositories/").status_code == 403
    assert api(agent).post(f"/api/repositories/{repository.pk}/scan/").status_code == 403
    assert api(engineer).post(f"/api/repositories/{repository.pk}/scan/").status_code == 202


def test_a_scan_request_answers_202_and_reads_new_commits(
    api, engineer, upstream, repository, django_capture_on_commit_callbacks
):
    upstream.commit("New work")
    with django_capture_on_commit_callbacks(execute=True):
        response = api(engineer).post(f"/api/repositories/{repository.pk}/scan/", {}, format="json")
    assert response.status_code == 202
    assert Commit.objects.filter(repository=repository).count() == 2


def test_the_defect_commits_endpoint_lists_commits_first_releases_and_builds(
    api, agent, builder, upstream, repository, scan, defect
):
    fix = upstream.commit(f"Round once\n\nfixes {defect.key}")
    upstream.tag("v2.4.1")
    scan()
    assert api(builder).post("/api/builds/", {
        "repository": repository.pk, "commit": fix, "number": "118", "status": "passed",
        "url": "https://ci.example.com/118",
    }, format="json").status_code == 201
    body = api(agent).get(f"/api/defects/{defect.pk}/commits/").json()
    commit = body["commits"][0]
    assert commit["short_sha"] == fix[:10] and commit["subject"] == "Round once"
    assert commit["author"] == "Dana Developer" and commit["kind"] == "fixes"
    assert commit["url"] == f"https://git.example.com/acme/billing/commit/{fix}"
    assert body["first_releases"] == [{
        "version": "2.4.1", "line": "2.4", "release": None, "released": False, "backport": False,
        "repository": "billing", "commit": fix,
    }]
    assert [(b["number"], b["status"]) for b in body["builds"]] == [("118", "passed")]


def test_a_ticket_shows_the_first_releases_of_its_defect(api, agent, upstream, scan, defect, ticket):
    upstream.commit(f"fixes {defect.key}")
    upstream.tag("v2.4.1")
    scan()
    linked = defect.ticket_links.first().ticket
    assert api(agent).get(f"/api/tickets/{linked.pk}/").json()["first_releases"][0]["version"] == "2.4.1"


def test_a_build_of_an_unknown_commit_is_kept_and_linked_when_the_commit_arrives(
    api, builder, upstream, repository, scan
):
    sha = upstream.commit("Not scanned yet")
    response = api(builder).post("/api/builds/", {
        "repository": repository.pk, "commit": sha, "number": "7", "status": "running",
    }, format="json")
    assert response.status_code == 201 and response.json()["commit_known"] is False
    scan()
    assert Build.objects.get(number="7").commit.sha == sha


def test_a_build_again_with_its_number_updates_the_status(api, builder, upstream, repository):
    sha = upstream.head()
    post = {"repository": repository.pk, "commit": sha, "number": "8", "status": "running"}
    assert api(builder).post("/api/builds/", post, format="json").status_code == 201
    assert api(builder).post("/api/builds/", {**post, "status": "failed"}, format="json").status_code == 200
    assert Build.objects.get(number="8").status == "failed"


@pytest.mark.parametrize("change,field", [
    ({"commit": "abc"}, "commit"), ({"status": "exploded"}, "status"), ({"repository": 99999}, "repository"),
    ({"url": "javascript:alert(1)"}, "url"),
])
def test_bad_builds_are_400s_naming_the_field(api, builder, upstream, repository, change, field):
    post = {"repository": repository.pk, "commit": upstream.head(), "number": "9", "status": "passed", **change}
    response = api(builder).post("/api/builds/", post, format="json")
    assert response.status_code == 400 and field in response.json()
    assert not Build.objects.exists()


def test_builds_are_recorded_by_build_systems_and_managers_only(api, agent, engineer, builder, upstream, repository):
    post = {"repository": repository.pk, "commit": upstream.head(), "number": "10", "status": "passed"}
    assert api(agent).post("/api/builds/", post, format="json").status_code == 403
    assert api(engineer).post("/api/builds/", post, format="json").status_code == 403
    assert api(builder).get("/api/builds/").status_code == 403  # a service account reads nothing
    assert api(builder).get("/api/repositories/").status_code == 403
    assert api(engineer).get("/api/builds/").status_code == 200
    assert not CodeDelivery.objects.exists()
