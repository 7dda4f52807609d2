"""Helpers shared by the triage tests: escalating a ticket and walking a defect along."""

from defects.models import Defect
from defects.services.transitions import defect_transition
from defects.severity import Impact, Urgency
from core.models import Channel
from tickets.services.escalation import ticket_escalate, ticket_link_defect

S = Defect.Status
# The shortest manual route from `new` to each state of the forward chain.
ROUTE = {
    S.NEW: [],
    S.TRIAGE: [S.TRIAGE],
    S.IN_PROGRESS: [S.TRIAGE, S.IN_PROGRESS],
    S.IN_VERIFICATION: [S.TRIAGE, S.IN_PROGRESS, S.IN_VERIFICATION],
    S.FIXED: [S.TRIAGE, S.IN_PROGRESS, S.IN_VERIFICATION, S.FIXED],
}


def escalate(ticket, actor, **kwargs) -> Defect:
    params = {
        "ticket": ticket,
        "actor": actor,
        "channel": Channel.WEB,
        "title": "PDF export times out on large invoices",
        "impact": Impact.ENTIRE_CUSTOMER,
        "urgency": Urgency.DEGRADED,
    }
    params.update(kwargs)
    return ticket_escalate(**params)


def link(ticket, defect, actor):
    return ticket_link_defect(ticket=ticket, defect=defect, actor=actor, channel=Channel.WEB)


def walk(defect: Defect, to: str, actor) -> Defect:
    """Move `defect` from new along the forward chain to `to`."""
    for step in ROUTE[to]:
        defect = defect_transition(defect=defect, to=step, actor=actor, channel=Channel.WEB)
    return defect


def move(defect: Defect, to: str, actor, **kwargs) -> Defect:
    return defect_transition(defect=defect, to=to, actor=actor, channel=kwargs.pop("channel", Channel.WEB), **kwargs)
