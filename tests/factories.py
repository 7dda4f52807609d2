"""Setup that many test modules share: escalating a ticket, walking a defect along,
a team syncing through a tracker connection, a defect with its twin, a signed webhook.

Plain functions, not fixtures, so a test reads its own setup in one call.
"""

import hashlib
import hmac
from collections.abc import Callable

from core.models import Channel
from defects.models import Defect, Team
from defects.services.changes import defect_update
from defects.services.transitions import defect_transition
from defects.severity import Impact, Urgency
from enhancements.services.requests import request_create_from_ticket
from releases.models import Release
from sync.models import Connection, ExternalIssue
from sync.services.push import outbox_drain
from tickets.services.escalation import ticket_escalate, ticket_link_defect

# A 1x1 PNG: the smallest image an upload check accepts.
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)

# What an agent types into the escalation form (the page and the API take the same fields).
ESCALATION_FORM = {
    "title": "PDF export times out on large invoices",
    "impact": "entire_customer",
    "urgency": "degraded",
    "steps_to_reproduce": "1. Open a 500-line invoice\n2. Export to PDF",
    "expected_result": "A PDF",
    "actual_result": "A timeout after 30 s",
}

S = Defect.Status
# The shortest manual route from `new` to each state of the forward chain.
ROUTE = {
    S.NEW: [],
    S.TRIAGE: [S.TRIAGE],
    S.IN_PROGRESS: [S.TRIAGE, S.IN_PROGRESS],
    S.IN_VERIFICATION: [S.TRIAGE, S.IN_PROGRESS, S.IN_VERIFICATION],
    S.FIXED: [S.TRIAGE, S.IN_PROGRESS, S.IN_VERIFICATION, S.FIXED],
}


def escalate(ticket, actor, **fields) -> Defect:
    """Escalate `ticket` through the service: S2 (a whole customer, degraded) unless `fields` say otherwise."""
    params = {
        "ticket": ticket,
        "actor": actor,
        "channel": Channel.WEB,
        "title": "PDF export times out on large invoices",
        "impact": Impact.ENTIRE_CUSTOMER,
        "urgency": Urgency.DEGRADED,
        "steps_to_reproduce": "1. Open a 500-line invoice\n2. Export to PDF",
    }
    params.update(fields)
    return ticket_escalate(**params)


def link(ticket, defect, actor):
    return ticket_link_defect(ticket=ticket, defect=defect, actor=actor, channel=Channel.WEB)


def walk(defect: Defect, to: str, actor) -> Defect:
    """Move `defect` from new along the forward chain to `to`.

    A defect walked to fixed that names no release is first planned for its
    product's release 9.9.9 (made if missing): fixed needs a release.
    """
    for step in ROUTE[to]:
        if step == S.FIXED and defect.planned_release_id is None and defect.fixed_in_release_id is None:
            planned, _ = Release.objects.get_or_create(product=defect.product, version="9.9.9")
            defect = defect_update(defect=defect, actor=actor, channel=Channel.WEB, planned_release=planned)
        defect = defect_transition(defect=defect, to=step, actor=actor, channel=Channel.WEB)
    return defect


def move(defect: Defect, to: str, actor, **kwargs) -> Defect:
    return defect_transition(defect=defect, to=to, actor=actor, channel=kwargs.pop("channel", Channel.WEB), **kwargs)


def connect(team: Team | None = None, **fields) -> Connection:
    """A tracker connection; with `team`, that team's defects sync through it."""
    connection = Connection.objects.create(**fields)
    if team is not None:
        team.connection = connection
        team.save()
    return connection


def synced_defect(escalate: Callable[..., Defect], *args, **kwargs) -> Defect:
    """A defect escalated by `escalate(*args, **kwargs)` whose create has reached its tracker.

    `escalate` is this module's helper or a fixture that binds the actor; the outbox is
    drained in-process, so the twin (ExternalIssue) exists when this returns.
    """
    defect = escalate(*args, **kwargs)
    outbox_drain()
    return defect


def add_twin(defect: Defect, connection: Connection, *, key: str, url: str, external_id: str | None = None):
    """Record `defect`'s twin in `connection`'s tracker directly, as a finished sync would."""
    return ExternalIssue.objects.create(
        defect=defect, connection=connection, external_id=key if external_id is None else external_id, key=key,
        url=url,
    )


def hmac_signature(secret: str, body: bytes) -> str:
    """The `sha256=<hex HMAC>` header GitHub and Jira sign their webhook deliveries with."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def request_from(ticket, actor, **fields):
    """Send the ticket to product management as a new enhancement request."""
    params = {
        "title": "Export includes VAT per line",
        "problem": "Our accountants need the VAT of each invoice line in the export.",
        "importance": "important",
    }
    params.update(fields)
    return request_create_from_ticket(ticket=ticket, actor=actor, channel=Channel.WEB, **params)
