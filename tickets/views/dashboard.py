"""The dashboard at /: what needs each role's attention."""

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.safestring import SafeString

from core import roles
from core.decorators import role_required
from core.jinja2 import render_fragment
from core.notifications import dashboard_inbox, inbox_state
from core.paths import path_maker
from tickets.dashboard import AgentBoard, agent_board, engineer_board, manager_board, manager_request_board


def _agent_sections(board: AgentBoard) -> SafeString:
    """The agent's board, its five sections: templates/jinja2/tickets/agent_board.html."""
    return render_fragment("tickets/agent_board.html", {
        "defect_sections": [
            (board.needs_info, "Engineering needs information", "needs-info", "No questions from engineering."),
            (board.awaiting_engineering, "Awaiting engineering", "awaiting-engineering",
             "Nothing waiting on engineering."),
            (board.fixed, "Fixed", "fixed", "No fixes to pass on."),
        ],
        "request_sections": [
            (board.awaiting_product, "Awaiting product management", "awaiting-product",
             "Nothing waiting on product management."),
            (board.requests_changed, "Requests changed recently", "requests-changed",
             "No request of yours moved in the last two weeks."),
        ],
        "ticket_url": path_maker("tickets:detail"), "request_url": path_maker("enhancements:detail"),
    })


# How long a drawn inbox is kept at most; it is drawn again at once when its state moves.
INBOX_SECONDS = 600


def _notification_items(groups: list) -> SafeString:
    return render_fragment("core/notification_items.html", {"groups": groups}) if groups else SafeString("")


def _inbox(user) -> dict:
    """The inbox's two lists, drawn (templates/jinja2/core/notification_items.html), and the unread count.

    Kept, in the cache every process shares, under the state it was drawn from
    (core.notifications.inbox_state, one query): a message that arrives or is read
    changes the state and so the key, and the next view draws it again. The reader's
    time zone is part of the key, as the entries show their times in it.
    """
    unread, newest = inbox_state(user)
    if not unread:
        return {"unread_count": 0, "needs_action_items": "", "latest_items": ""}

    def draw() -> dict:
        inbox = dashboard_inbox(user)
        return {"needs_action_items": _notification_items(inbox.needs_action),
                "latest_items": _notification_items(inbox.latest)}

    key = f"handoff:inbox:{user.pk}:{unread}:{newest.isoformat()}:{timezone.get_current_timezone_name()}"
    return {**cache.get_or_set(key, draw, INBOX_SECONDS), "unread_count": unread}


@role_required()
def home(request: HttpRequest) -> HttpResponse:
    """By role: agents see their escalated tickets and asked requests, engineers their queue, managers open
    defects by team, managers and product managers open requests by product team."""
    user = request.user
    board = agent_board(user) if roles.is_agent(user) else None
    context = {
        "agent_board": board,
        # Up to a hundred rows, drawn by Jinja2 (a hot fragment).
        "agent_sections": _agent_sections(board) if board is not None else "",
        "engineer_board": engineer_board(user) if roles.is_engineer(user) else None,
        "manager_rows": manager_board() if roles.is_manager(user) else None,
        "request_rows": manager_request_board() if roles.is_manager(user) or roles.is_product_manager(user) else None,
        # Questions from engineering first, kept until read; then the latest other news.
        **_inbox(user),
    }
    return render(request, "tickets/dashboard.html", context)
