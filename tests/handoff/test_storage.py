"""Attachments go through Django's storage API, so any storage (a bucket, memory) serves them.

Each test runs twice: on the default local folder, and on Django's InMemoryStorage,
which has no path at all (its path() raises), so any code that reached for a file
on disk would fail there, and nothing may appear under MEDIA_ROOT.
"""

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.roles import grant_manager_admin_permissions
from defects.models import Attachment
from handoff.env import storage_config
from sync.services.push import outbox_drain
from tests.factories import ESCALATION_FORM, PNG, connect
from tests.fakes.jira_server import FakeJira

pytestmark = pytest.mark.django_db

LOG = b"ERROR pdf render timeout after 30s\n" * 4

STORAGES = {
    "local": "django.core.files.storage.FileSystemStorage",
    "memory": "django.core.files.storage.InMemoryStorage",
}


@pytest.fixture(params=sorted(STORAGES))
def storage(request, settings, tmp_path) -> str:
    """The storage attachments go to; MEDIA_ROOT is an empty folder either way."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": STORAGES[request.param]}}
    yield request.param
    if request.param == "memory":
        media = Path(settings.MEDIA_ROOT)
        assert not media.exists() or not any(media.rglob("*")), "a file was written to disk, not to the storage"


@pytest.fixture
def jira(team):
    server = FakeJira().start()
    connect(team, name="Jira", kind="jira", base_url=server.base_url, token="bot@example.com:jira-api-token",
            project="HD")
    yield server
    server.stop()


def escalate_with_files(api, agent, ticket) -> list[Attachment]:
    files = [
        SimpleUploadedFile("screen.png", PNG, content_type="image/png"),
        SimpleUploadedFile("export.log", LOG, content_type="text/plain"),
    ]
    response = api(agent).post(
        f"/api/tickets/{ticket.pk}/escalate/", {**ESCALATION_FORM, "attachments": files}, format="multipart"
    )
    assert response.status_code == 201, response.content
    return list(Attachment.objects.filter(defect_id=response.json()["id"]).order_by("name"))


def test_an_uploaded_attachment_is_kept_in_the_configured_storage(storage, api, agent, ticket):
    shot, log = escalate_with_files(api, agent, ticket)[::-1]

    assert type(default_storage._wrapped).__name__ == STORAGES[storage].rsplit(".", 1)[1]
    assert shot.file.storage.exists(shot.file.name) and log.file.storage.exists(log.file.name)
    with log.file.storage.open(log.file.name, "rb") as stored:
        assert stored.read() == LOG


def test_an_attachment_is_downloaded_from_the_storage(storage, client, api, agent, ticket):
    shot = escalate_with_files(api, agent, ticket)[1]
    client.force_login(agent)

    response = client.get(reverse("defects:attachment", args=[shot.pk]))

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="screen.png"'
    assert b"".join(response.streaming_content) == PNG


def test_an_attachment_missing_from_the_storage_is_not_found(storage, client, api, agent, ticket):
    log = escalate_with_files(api, agent, ticket)[0]
    log.file.storage.delete(log.file.name)
    client.force_login(agent)

    assert client.get(reverse("defects:attachment", args=[log.pk])).status_code == 404


def test_an_attachment_reaches_the_tracker_read_from_the_storage(storage, jira, api, agent, ticket):
    escalate_with_files(api, agent, ticket)

    outbox_drain()

    uploaded = {a["filename"]: a["data"] for a in jira.only_issue()["attachments"]}
    assert uploaded == {"screen.png": PNG, "export.log": LOG}


def test_deleting_an_attachment_in_the_admin_removes_it_from_the_storage(storage, client, api, agent, manager,
                                                                         ticket):
    log = escalate_with_files(api, agent, ticket)[0]
    grant_manager_admin_permissions()
    manager.is_staff = True
    manager.save()
    client.force_login(manager)

    response = client.post(reverse("admin:defects_attachment_delete", args=[log.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert not Attachment.objects.filter(pk=log.pk).exists()
    assert not default_storage.exists(log.file.name)


def test_the_default_storage_is_the_local_folder(monkeypatch):
    monkeypatch.delenv("HANDOFF_STORAGE", raising=False)
    assert storage_config("HANDOFF_STORAGE") == {"BACKEND": "django.core.files.storage.FileSystemStorage"}


def test_s3_storage_takes_its_bucket_and_endpoint_from_the_environment(monkeypatch):
    monkeypatch.setenv("HANDOFF_STORAGE", "s3")
    monkeypatch.setenv("AWS_STORAGE_BUCKET_NAME", "handoff-attachments")
    monkeypatch.setenv("AWS_S3_ENDPOINT_URL", "https://minio.example.com:9000")
    monkeypatch.setenv("AWS_S3_REGION_NAME", "eu-west-1")
    monkeypatch.setenv("AWS_S3_ADDRESSING_STYLE", "path")

    config = storage_config("HANDOFF_STORAGE")

    assert config["BACKEND"] == "storages.backends.s3.S3Storage"
    assert config["OPTIONS"] == {
        "bucket_name": "handoff-attachments", "endpoint_url": "https://minio.example.com:9000",
        "region_name": "eu-west-1", "addressing_style": "path",
        "default_acl": None, "querystring_auth": True, "file_overwrite": False,
    }


def test_s3_storage_builds_an_s3_backend_that_keeps_files_private(monkeypatch):
    from storages.backends.s3 import S3Storage

    monkeypatch.setenv("HANDOFF_STORAGE", "s3")
    monkeypatch.setenv("AWS_STORAGE_BUCKET_NAME", "handoff-attachments")
    monkeypatch.delenv("AWS_S3_ENDPOINT_URL", raising=False)

    backend = S3Storage(**storage_config("HANDOFF_STORAGE")["OPTIONS"])

    assert (backend.bucket_name, backend.default_acl, backend.file_overwrite) == ("handoff-attachments", None, False)


@pytest.mark.parametrize(
    "env,message",
    [
        ({"HANDOFF_STORAGE": "ftp"}, "^HANDOFF_STORAGE must be one of local, s3, got 'ftp'"),
        ({"HANDOFF_STORAGE": "s3"}, "^HANDOFF_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME"),
        ({"HANDOFF_STORAGE": "s3", "AWS_STORAGE_BUCKET_NAME": "b", "AWS_S3_ENDPOINT_URL": "minio:9000"},
         "^AWS_S3_ENDPOINT_URL must be an http"),
        ({"HANDOFF_STORAGE": "s3", "AWS_STORAGE_BUCKET_NAME": "b", "AWS_S3_ADDRESSING_STYLE": "sideways"},
         "^AWS_S3_ADDRESSING_STYLE must be one of auto, virtual, path"),
    ],
    ids=["unknown-kind", "no-bucket", "endpoint-without-scheme", "unknown-addressing"],
)
def test_a_bad_storage_setting_names_the_variable(monkeypatch, env, message):
    for name in ("AWS_STORAGE_BUCKET_NAME", "AWS_S3_ENDPOINT_URL", "AWS_S3_ADDRESSING_STYLE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ImproperlyConfigured, match=message):
        storage_config("HANDOFF_STORAGE")
