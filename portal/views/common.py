"""What every portal page needs: the signed-in contact, or the sign-in page."""

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme


def portal_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Run the view for a signed-in contact (`request.portal`); send anyone else to the portal's sign-in.

    A staff session does not count: the portal reads only its own cookie.
    """

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if getattr(request, "portal", None) is None:
            return redirect(f"{reverse('portal:sign_in')}?{urlencode({'next': request.get_full_path()})}")
        return view(request, *args, **kwargs)

    return wrapped


def safe_next(request: HttpRequest, fallback: str) -> str:
    """The `next` the sign-in page was given, when it is a portal page of this site; else `fallback`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if (
        target.startswith("/portal/")
        and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False)
    ):
        return target
    return fallback
