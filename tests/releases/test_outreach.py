import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from core.audit import audit_history
from core.models import Channel
from releases.models import ReleaseNotice
from releases.services.outreach import notice_progress, release_queue_notices, release_send_notices
from releases.services.ship import release_ship
from releases.tasks import send_release_notices
from tickets.models import Contact, ProductVersion

pytestmark = pytest.mark.django_db


@pytest.fixture
def shipped(release, manager, fixed_in, make_ticket, contact, product):
    """A shipped release fixing two of Carol's tickets (one defect each) and one of Dan's."""
    dan = Contact.objects.create(customer=contact.customer, name="Dan Acme", email="dan@acme.test")
    version = ProductVersion.objects.create(product=product, name="2.3.1")
    fixed_in(release, ticket=make_ticket(contact=contact, subject="Export times out", version=version))
    fixed_in(release, ticket=make_ticket(contact=contact, subject="Totals off by a cent"), title="Rounding")
    fixed_in(release, ticket=make_ticket(contact=dan, subject="Logo missing on PDF"), title="Logo")
    release_ship(release=release, actor=manager, channel=Channel.WEB)
    return release


def queue(release, manager, capture):
    with capture(execute=True):
        return release_queue_notices(release=release, actor=manager, channel=Channel.WEB)


def test_each_affected_contact_gets_one_email_in_terms_of_their_own_tickets(
    shipped, manager, django_capture_on_commit_callbacks
):
    queue(shipped, manager, django_capture_on_commit_callbacks)

    by_address = {m.to[0]: m for m in mail.outbox}
    assert sorted(by_address) == ["carol@acme.test", "dan@acme.test"]
    carol = by_address["carol@acme.test"]
    assert carol.subject.startswith("Fixed in Billing 2.4.0: HD-")
    assert "and 1 more" in carol.subject
    assert "Export times out" in carol.body and "Totals off by a cent" in carol.body
    assert "reported on version 2.3.1" in carol.body
    assert "upgrade to Billing 2.4.0" in carol.body
    assert "Logo missing" not in carol.body
    assert notice_progress(shipped) == {"pending": 0, "sending": 0, "sent": 2, "failed": 0, "total": 2}
    assert ReleaseNotice.objects.filter(release=shipped, sent_at__isnull=False).count() == 2
    assert audit_history(shipped).filter(action="customer_notified", channel=Channel.SYSTEM).count() == 2


def test_notifying_again_sends_nothing_already_sent(shipped, manager, django_capture_on_commit_callbacks):
    queue(shipped, manager, django_capture_on_commit_callbacks)
    mail.outbox.clear()

    progress = queue(shipped, manager, django_capture_on_commit_callbacks)
    assert send_release_notices(shipped.pk) == 0

    assert mail.outbox == []
    assert progress["sent"] == 2 and progress["pending"] == 0


def test_a_contact_added_later_is_the_only_one_told_on_the_second_run(
    shipped, manager, fixed_in, make_ticket, contact, django_capture_on_commit_callbacks
):
    queue(shipped, manager, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    eve = Contact.objects.create(customer=contact.customer, name="Eve Acme", email="eve@acme.test")
    from defects.models import Defect, TicketDefectLink

    defect = Defect.objects.filter(fixed_in_release=shipped).first()
    TicketDefectLink.objects.create(ticket=make_ticket(contact=eve, subject="Same timeout"), defect=defect)

    queue(shipped, manager, django_capture_on_commit_callbacks)
    assert [m.to for m in mail.outbox] == [["eve@acme.test"]]


def test_a_notice_claimed_by_another_run_is_not_sent_again(shipped, manager, contact):
    release_queue_notices(release=shipped, actor=manager, channel=Channel.WEB)  # task not run: no commit
    ReleaseNotice.objects.filter(release=shipped, contact=contact).update(status=ReleaseNotice.Status.SENDING)

    assert release_send_notices(release=shipped) == 1
    assert [m.to for m in mail.outbox] == [["dan@acme.test"]]
    assert ReleaseNotice.objects.get(release=shipped, contact=contact).status == ReleaseNotice.Status.SENDING


def test_a_failed_send_is_retried_by_the_next_run_and_only_then(
    shipped, manager, monkeypatch, django_capture_on_commit_callbacks
):
    import releases.services.outreach as outreach

    real = outreach.EmailMessage

    class Flaky(real):
        def send(self, fail_silently=False):
            if self.to == ["dan@acme.test"]:
                raise ConnectionRefusedError("smtp down")
            return super().send(fail_silently)

    monkeypatch.setattr(outreach, "EmailMessage", Flaky)
    progress = queue(shipped, manager, django_capture_on_commit_callbacks)
    assert notice_progress(shipped)["failed"] == 1
    failed = ReleaseNotice.objects.get(status="failed")
    assert failed.error == "Sending failed: ConnectionRefusedError"
    assert [m.to for m in mail.outbox] == [["carol@acme.test"]]

    monkeypatch.setattr(outreach, "EmailMessage", real)
    mail.outbox.clear()
    queue(shipped, manager, django_capture_on_commit_callbacks)
    assert [m.to for m in mail.outbox] == [["dan@acme.test"]]
    assert notice_progress(shipped)["sent"] == 2
    assert progress["pending"] == 2


def test_customers_are_told_only_after_the_release_ships(release, manager, fixed_in, make_ticket, contact):
    fixed_in(release, ticket=make_ticket(contact=contact))
    with pytest.raises(ValidationError) as excinfo:
        release_queue_notices(release=release, actor=manager, channel=Channel.WEB)
    assert "release" in excinfo.value.message_dict
    assert ReleaseNotice.objects.count() == 0


def test_the_task_for_a_deleted_release_does_nothing(db):
    assert send_release_notices(999999) == 0


def test_a_subject_with_line_breaks_cannot_inject_mail_headers(
    release, manager, fixed_in, make_ticket, contact, django_capture_on_commit_callbacks
):
    ticket = make_ticket(contact=contact)
    type(ticket).objects.filter(pk=ticket.pk).update(subject="Broken\nBcc: everyone@evil.test")
    fixed_in(release, ticket=ticket)
    release_ship(release=release, actor=manager, channel=Channel.WEB)

    queue(release, manager, django_capture_on_commit_callbacks)

    [message] = mail.outbox
    assert "\n" not in message.subject and message.subject.endswith("Broken Bcc: everyone@evil.test")
    assert message.bcc == [] and message.to == ["carol@acme.test"]
