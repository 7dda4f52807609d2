"""Images attached to a ticket or defect are previewed on its page, through the same checked download."""

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


def _attach(content: bytes, name: str, content_type: str, **parent) -> Attachment:
    return Attachment.objects.create(
        file=ContentFile(content, name="x"), name=name, content_type=content_type, size=len(content), **parent
    )


def test_an_image_is_shown_as_a_preview_on_the_ticket_and_defect_pages(as_user, agent, ticket, media):
    defect = escalate(ticket, agent)
    shot = _attach(PNG, "screen.png", "image/png", defect=defect)
    log = _attach(b"ERROR\n", "server.log", "text/plain", ticket=ticket)
    url = reverse("defects:attachment", args=[shot.pk])
    client = as_user(agent)
    for page in (f"/tickets/{ticket.pk}/", f"/defects/{defect.pk}/"):
        html = client.get(page).content.decode()
        assert f'<img src="{url}?preview=1" alt="" loading="lazy">' in html
    assert f'{reverse("defects:attachment", args=[log.pk])}?preview=1' not in html


def test_a_preview_is_served_inline_only_for_checked_image_types(client, agent, ticket, media):
    shot = _attach(PNG, "screen.png", "image/png", ticket=ticket)
    report = _attach(b"%PDF-1.4\n", "report.pdf", "application/pdf", ticket=ticket)
    client.force_login(agent)

    inline = client.get(reverse("defects:attachment", args=[shot.pk]) + "?preview=1")
    assert inline["Content-Disposition"] == 'inline; filename="screen.png"'
    assert inline["X-Content-Type-Options"] == "nosniff"

    pdf = client.get(reverse("defects:attachment", args=[report.pk]) + "?preview=1")
    assert pdf["Content-Disposition"] == 'attachment; filename="report.pdf"'
    plain = client.get(reverse("defects:attachment", args=[shot.pk]))
    assert plain["Content-Disposition"] == 'attachment; filename="screen.png"'


def test_a_preview_is_checked_like_a_download(client, outsider, ticket, media):
    shot = _attach(PNG, "screen.png", "image/png", ticket=ticket)
    client.force_login(outsider)
    assert client.get(reverse("defects:attachment", args=[shot.pk]) + "?preview=1").status_code in (403, 404)
