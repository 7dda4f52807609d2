from core import roles


def user_roles(request) -> dict:
    user = request.user
    return {
        "is_agent": roles.is_agent(user),
        "is_engineer": roles.is_engineer(user),
        "is_manager": roles.is_manager(user),
        "can_triage_requests": roles.can_triage_requests(user),
    }
