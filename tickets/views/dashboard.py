"""The dashboard at /: what needs each role's attention."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from core import roles
from core.decorators import role_required
from core.notifications import dashboard_inbox
from tickets.dashboard import agent_board, engineer_board, manager_board, manager_request_board


@role_required()
def home(request: HttpRequest) -> HttpResponse:
    """By role: agents see their escalated tickets and asked requests, engineers their queue, managers open
    defects by team, managers and product managers open requests by product team."""
    user = request.user
    inbox = dashboard_inbox(user)
    context = {
        "agent_board": agent_board(user) if roles.is_agent(user) else None,
        "engineer_board": engineer_board(user) if roles.is_engineer(user) else None,
        "manager_rows": manager_board() if roles.is_manager(user) else None,
        "request_rows": manager_request_board() if roles.is_manager(user) or roles.is_product_manager(user) else None,
        # Questions from engineering first, kept until read; then the latest other news.
        "inbox": inbox,
        "unread_count": inbox.unread,
    }
    return render(request, "tickets/dashboard.html", context)
