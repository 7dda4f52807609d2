"""The enhancement requests a release delivers, the customers who asked, and whom to tell.

A fixed number of queries whatever the number of requests, tickets and
contacts: the requests, their links (with tickets and customers), the
contacts, and (when the release has notices) their request notices. A
release that delivers no request costs one query.
"""

from django.db.models import Q

from releases.models import Release, ReleaseNotice
from releases.selectors import release_delivered_requests, release_request_links
from releases.services.report.rows import DeliveredRequest, RequestContact
from tickets.models import Contact, Ticket


def delivered_requests(
    release: Release, *, customer_id: int | None = None, any_notice: bool = True
) -> tuple[list[DeliveredRequest], list[RequestContact]]:
    """The requests `release` delivers (each with the customers and tickets asking) and the contacts to tell.

    Narrowed to `customer_id`, only the requests that customer asked for, with
    only its tickets. As for fixes, a ticket's own contact hears of it; a
    ticket naming nobody goes to every contact of its customer.
    """
    found = {
        pk: DeliveredRequest(pk=pk, key=key, title=title)
        for pk, key, title in release_delivered_requests(release).values_list("pk", "key", "title")
    }
    if not found:
        return [], []
    links = release_request_links(list(found)).select_related("ticket__version", "customer").only(
        "request_id", "ticket__id", "ticket__number", "ticket__subject", "ticket__status", "ticket__customer_id",
        "ticket__contact_id", "ticket__version__name", "customer__id", "customer__name",
    ).order_by("ticket__number")
    if customer_id is not None:
        links = links.filter(customer_id=customer_id)
    asked: dict[int, list[Ticket]] = {}
    for link in links:
        request = found[link.request_id]
        request.tickets.append(link.ticket)
        if (link.customer_id, link.customer.name) not in request.customers:
            request.customers.append((link.customer_id, link.customer.name))
        asked.setdefault(link.request_id, []).append(link.ticket)
    for request in found.values():
        request.customers.sort(key=lambda c: (c[1].lower(), c[0]))
    requests = [r for r in found.values() if customer_id is None or r.tickets]
    tickets = [ticket for request in requests for ticket in request.tickets]
    if not tickets:
        return requests, []
    named = {t.contact_id for t in tickets if t.contact_id}
    unnamed = {t.customer_id for t in tickets if not t.contact_id}
    everyone: dict[int, list[Contact]] = {}
    by_id: dict[int, Contact] = {}
    for contact in Contact.objects.filter(Q(pk__in=named) | Q(customer_id__in=unnamed)).order_by("name", "pk"):
        by_id[contact.pk] = contact
        everyone.setdefault(contact.customer_id, []).append(contact)
    recipients: dict[int, RequestContact] = {}
    for request in requests:
        for ticket in request.tickets:
            for contact in [by_id[ticket.contact_id]] if ticket.contact_id else everyone.get(ticket.customer_id, []):
                recipient = recipients.setdefault(contact.pk, RequestContact(contact=contact))
                if request not in recipient.requests:
                    recipient.requests.append(request)
                recipient.tickets.append(ticket)
    contacts = sorted(recipients.values(), key=lambda r: (r.contact.name.lower(), r.contact.pk))
    if any_notice:
        notices = ReleaseNotice.objects.filter(
            release=release, kind=ReleaseNotice.Kind.REQUEST, contact_id__in=list(recipients)
        )
        for notice in notices:
            recipients[notice.contact_id].notice = notice
    return requests, contacts
