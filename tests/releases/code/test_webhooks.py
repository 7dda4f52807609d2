"""Push and build webhooks through the test client, with real signatures."""

import hashlib
import hmac
import json

from releases.code.models import Build, CodeDelivery, Commit

SECRET = "s3cret-hook"


def _github(client, repository, event, payload, *, delivery="d-1", secret=SECRET):
    body = json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return client.post(
        f"/api/repositories/{repository.pk}/webhook/", body, content_type="application/json",
        HTTP_X_GITHUB_EVENT=event, HTTP_X_GITHUB_DELIVERY=delivery, HTTP_X_HUB_SIGNATURE_256=signature,
    )


def _gitlab(client, repository, event, payload, *, delivery="g-1", token=SECRET):
    return client.post(
        f"/api/repositories/{repository.pk}/webhook/", json.dumps(payload), content_type="application/json",
        HTTP_X_GITLAB_EVENT=event, HTTP_X_GITLAB_EVENT_UUID=delivery, HTTP_X_GITLAB_TOKEN=token,
    )


def test_a_github_push_scans_at_once_and_a_redelivery_is_a_duplicate(
    client, upstream, repository, django_capture_on_commit_callbacks
):
    upstream.commit("Pushed")
    with django_capture_on_commit_callbacks(execute=True):
        response = _github(client, repository, "push", {"ref": "refs/heads/main"})
    assert response.status_code == 202 and response.json()["scan"] is True
    assert Commit.objects.filter(repository=repository).count() == 2
    again = _github(client, repository, "push", {"ref": "refs/heads/main"})
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert CodeDelivery.objects.count() == 1


def test_a_wrong_signature_is_a_401_and_records_nothing(client, upstream, repository):
    response = _github(client, repository, "push", {"ref": "refs/heads/main"}, secret="not-the-secret")
    assert response.status_code == 401
    assert not CodeDelivery.objects.exists() and not Commit.objects.exists()
    response = _gitlab(client, repository, "Push Hook", {}, token="wrong")
    assert response.status_code == 401 and not CodeDelivery.objects.exists()


def test_a_gitlab_tag_push_scans(client, upstream, repository, django_capture_on_commit_callbacks):
    upstream.tag("v1.0.0")
    with django_capture_on_commit_callbacks(execute=True):
        response = _gitlab(client, repository, "Tag Push Hook", {"ref": "refs/tags/v1.0.0"})
    assert response.status_code == 202
    assert repository.tags.get().version == "1.0.0"


def test_a_github_workflow_run_records_the_build(client, upstream, repository):
    payload = {"workflow_run": {
        "name": "CI", "run_number": 42, "head_sha": upstream.head(), "status": "completed", "conclusion": "success",
        "html_url": "https://github.com/acme/billing/actions/runs/1",
    }}
    assert _github(client, repository, "workflow_run", payload).status_code == 202
    build = Build.objects.get()
    assert (build.number, build.status, build.source) == ("CI #42", "passed", "github")


def test_a_gitlab_pipeline_records_the_build(client, upstream, repository):
    payload = {"object_attributes": {"iid": 5, "sha": upstream.head(), "status": "running"}}
    assert _gitlab(client, repository, "Pipeline Hook", payload).status_code == 202
    payload["object_attributes"]["status"] = "failed"
    assert _gitlab(client, repository, "Pipeline Hook", payload, delivery="g-2").status_code == 202
    assert Build.objects.get().status == "failed"


def test_a_build_event_that_cannot_be_read_leaves_nothing(client, upstream, repository):
    payload = {"workflow_run": {"name": "CI", "run_number": 1, "head_sha": "nope", "status": "completed"}}
    response = _github(client, repository, "workflow_run", payload)
    assert response.status_code == 400 and "commit" in response.json()
    assert not CodeDelivery.objects.exists() and not Build.objects.exists()


def test_a_repository_without_a_secret_refuses_deliveries(client, upstream, repository):
    repository.webhook_secret = ""
    repository.save()
    response = _github(client, repository, "push", {}, secret="")
    assert response.status_code == 401 and not CodeDelivery.objects.exists()
