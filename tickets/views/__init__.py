"""Ticket pages: list, create, detail, and escalation to engineering."""

from tickets.views.actions import ticket_comment_page, ticket_status_page
from tickets.views.escalation import (
    severity_preview,
    ticket_escalate_page,
    ticket_link_defect_page,
    ticket_similar_defects_page,
)
from tickets.views.pages import customer_suggestions, ticket_create_page, ticket_detail, ticket_list

__all__ = [
    "customer_suggestions",
    "severity_preview",
    "ticket_comment_page",
    "ticket_create_page",
    "ticket_detail",
    "ticket_escalate_page",
    "ticket_link_defect_page",
    "ticket_list",
    "ticket_similar_defects_page",
    "ticket_status_page",
]
