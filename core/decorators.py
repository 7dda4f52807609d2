"""Role checks for server-rendered pages.

Anonymous visitors are sent to the login page; signed-in users without the
role get 403. Object-level checks stay in the views (querysets per user).
"""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from core import roles


def role_required(predicate: Callable[[object], bool] = roles.has_any_role):
    """Let the view run only for users for whom `predicate(user)` is true."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not predicate(request.user):
                raise PermissionDenied("Your account has no role that allows this page.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
