"""An HTTP(S) repository is fetched with its write-only credential, over a real git server on loopback.

The server is `git http-backend` behind Basic auth (tests/fakes/git_http_server.py);
internal addresses are allowed, as the conftest sets, since it listens on 127.0.0.1.
"""

import logging
import subprocess

import pytest

from releases.code.models import Repository
from releases.code.services.scan import repository_scan
from tests.fakes.git_http_server import GitHttpServer

pytestmark = pytest.mark.django_db

TOKEN = "glpat-right-0123456789"
WRONG = "glpat-wrong-9876543210"


@pytest.fixture
def served(upstream, tmp_path, defect):
    """The upstream repository, with a fix and a tag, served bare at <base_url>/billing.git."""
    upstream.commit(f"Fixes {defect.key}", file="totals.txt")
    upstream.tag("v2.4.1")
    root = tmp_path / "served"
    root.mkdir()
    subprocess.run(
        ["git", "clone", "-q", "--bare", str(upstream.path), str(root / "billing.git")], check=True, capture_output=True
    )
    server = GitHttpServer(root, user="ci", password=TOKEN).start()
    yield server
    server.stop()


def _body(served, product, credential):
    return {"name": "billing", "product": product.pk, "url": f"{served.base_url}/billing.git", "credential": credential}


def test_the_right_credential_fetches_and_scans(
    served, api, manager, product, defect, caplog, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.DEBUG)
    with django_capture_on_commit_callbacks(execute=True):
        response = api(manager).post("/api/repositories/", _body(served, product, f"ci:{TOKEN}"), format="json")
    assert response.status_code == 201, response.json()
    assert TOKEN not in response.content.decode() and response.json()["has_credential"]
    repository = Repository.objects.get()
    assert repository.scan_status == "ok" and repository.commit_count == 2
    first = api(manager).get(f"/api/defects/{defect.pk}/").json()["first_releases"]
    assert [f["version"] for f in first] == ["2.4.1"]
    # The server asked, and the credential answered: a 401 first, then the real exchange.
    assert (("GET", "/billing.git/info/refs", 401) in served.requests
            and ("POST", "/billing.git/git-upload-pack", 200) in served.requests)
    assert TOKEN not in caplog.text


def test_a_wrong_credential_is_a_400_naming_the_credential_and_writes_nothing(served, api, manager, product, caplog):
    caplog.set_level(logging.DEBUG)
    response = api(manager).post("/api/repositories/", _body(served, product, f"ci:{WRONG}"), format="json")
    assert response.status_code == 400
    body = response.json()
    assert list(body) == ["credential"], body
    assert WRONG not in response.content.decode() and WRONG not in caplog.text
    assert not Repository.objects.exists()


def test_a_credential_refused_later_is_a_visible_error_on_the_health(
    served, api, manager, product, caplog, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        created = api(manager).post("/api/repositories/", _body(served, product, f"ci:{TOKEN}"), format="json")
    assert created.status_code == 201
    served.password = "revoked-and-replaced"  # the token was revoked upstream
    caplog.set_level(logging.DEBUG)

    result = repository_scan(repository=Repository.objects.get())

    health = api(manager).get(f"/api/repositories/{created.json()['id']}/")
    assert health.json()["scan_status"] == "failed"
    assert "credential" in health.json()["last_error"].lower()
    assert TOKEN not in health.content.decode() and TOKEN not in result.error and TOKEN not in caplog.text
    page = api(manager).get("/api/repositories/").content.decode()
    assert TOKEN not in page
