"""Where a form sends its user back to: the page it was posted from, when that page is ours."""

from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme


def next_path(request: HttpRequest) -> str | None:
    """The form's `next` when it is a path on this site ("/tickets/?page=2"), else None.

    Only a path: "x" is no page of ours (passed to redirect() it was taken for a URL's
    name, and failed once the form's changes were already saved), and another host is
    never one.
    """
    target = request.POST.get("next", "")
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if allowed and target.startswith("/") and not target.startswith("//") else None


def back_to(request: HttpRequest, fallback: str, *args) -> HttpResponseRedirect:
    """Back to the form's `next` page (next_path), or else to the URL named `fallback`."""
    target = next_path(request)
    return HttpResponseRedirect(target) if target is not None else redirect(fallback, *args)
