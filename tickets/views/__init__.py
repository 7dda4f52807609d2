"""Ticket pages: list, create, detail, and escalation to engineering."""

from tickets.views.actions import ticket_comment_page, ticket_status_page
from tickets.views.bulk import ticket_bulk_page
from tickets.views.escalation import severity_preview, ticket_escalate_page, ticket_similar_defects_page
from tickets.views.links import ticket_link_defect_page, ticket_problem_back_page, ticket_unlink_defect_page
from tickets.views.pages import (
    contact_choices,
    customer_suggestions,
    ticket_create_page,
    ticket_detail,
    ticket_list,
)

__all__ = [
    "contact_choices",
    "customer_suggestions",
    "severity_preview",
    "ticket_bulk_page",
    "ticket_comment_page",
    "ticket_create_page",
    "ticket_detail",
    "ticket_escalate_page",
    "ticket_link_defect_page",
    "ticket_list",
    "ticket_problem_back_page",
    "ticket_similar_defects_page",
    "ticket_status_page",
    "ticket_unlink_defect_page",
]
