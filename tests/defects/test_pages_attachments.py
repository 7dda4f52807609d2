import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from defects.models import Attachment
from tests.factories import PNG, escalate

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def download(attachment) -> str:
    return reverse("defects:attachment", args=[attachment.pk])


def on_ticket(ticket, content=b"ERROR timeout\n", name="server.log", content_type="text/plain") -> Attachment:
    return Attachment.objects.create(
        ticket=ticket, file=ContentFile(content, name="x"), name=name, content_type=content_type, size=len(content)
    )


def test_a_download_is_an_attachment_with_the_stored_type_and_nosniff(client, agent, ticket, media):
    defect = escalate(ticket, agent)
    shot = Attachment.objects.create(
        defect=defect, file=ContentFile(PNG, name="x"), name="screen shot.png", content_type="image/png", size=len(PNG)
    )
    client.force_login(agent)

    response = client.get(download(shot))

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="screen shot.png"'
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PNG


def test_an_engineer_may_download_from_an_escalated_ticket_only(client, agent, engineer, make_ticket, media):
    escalated = make_ticket()
    escalate(escalated, agent)
    visible = on_ticket(escalated)
    hidden = on_ticket(make_ticket())
    client.force_login(engineer)

    assert client.get(download(visible)).status_code == 200
    assert client.get(download(hidden)).status_code == 404


def test_outsiders_get_403_and_anonymous_visitors_are_sent_to_log_in(client, outsider, ticket, media):
    attachment = on_ticket(ticket)

    anonymous = client.get(download(attachment))
    assert anonymous.status_code == 302 and anonymous.url.startswith(reverse("login"))
    client.force_login(outsider)
    assert client.get(download(attachment)).status_code == 403


def test_an_unknown_or_missing_file_is_not_found(client, agent, ticket, media):
    attachment = on_ticket(ticket)
    attachment.file.storage.delete(attachment.file.name)
    client.force_login(agent)

    assert client.get(download(attachment)).status_code == 404
    assert client.get(reverse("defects:attachment", args=[999999])).status_code == 404
