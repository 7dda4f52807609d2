"""Signing in to the portal: a password, a sign-in link, or an invitation; signing out."""

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from core.auth import client_ip
from portal.forms import LinkRequestForm, PasswordForm, SignInForm, apply_service_errors
from portal.middleware import clear_session_cookies, set_session_cookies
from portal.models import PortalLink
from portal.services.accounts import (
    portal_accept_invitation,
    portal_link_valid,
    portal_request_sign_in_link,
    portal_sign_in_with_link,
    portal_sign_in_with_password,
    portal_sign_out,
)
from portal.views.common import safe_next


def _signed_in(request: HttpRequest, key: str, target: str) -> HttpResponse:
    response = redirect(target)
    set_session_cookies(response, key)
    return response


@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    """Address and password; a link to ask for a sign-in link by email instead."""
    if request.portal is not None:
        return redirect("portal:home")
    form = SignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        key = portal_sign_in_with_password(
            email=form.cleaned_data["email"], password=form.cleaned_data["password"], client_ip=client_ip(request)
        )
        if key:
            return _signed_in(request, key, safe_next(request, reverse("portal:home")))
        form.add_error(None, "That address and password do not match, or sign-in is paused after too many "
                             "attempts. Ask for a sign-in link by email instead.")
    status = 400 if form.errors else 200
    return render(request, "portal/sign_in.html", {"form": form, "next": safe_next(request, "")}, status=status)


@require_http_methods(["GET", "POST"])
def link_request(request: HttpRequest) -> HttpResponse:
    """Ask for a sign-in link. The answer is the same whatever the address (and however often it is asked)."""
    form = LinkRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        portal_request_sign_in_link(email=form.cleaned_data["email"], client_ip=client_ip(request))
        return render(request, "portal/link_sent.html", {"email": form.cleaned_data["email"]})
    return render(request, "portal/link_request.html", {"form": form}, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def link(request: HttpRequest, token: str) -> HttpResponse:
    """A sign-in link: opening it shows one button, and only pressing it uses the link.

    Mail scanners that open every link in a message therefore cannot use it up.
    """
    if request.method == "POST":
        key = portal_sign_in_with_link(token=token)
        if key:
            return _signed_in(request, key, reverse("portal:home"))
        return render(request, "portal/link_open.html", {"valid": False}, status=400)
    valid = portal_link_valid(token=token, kind=PortalLink.Kind.SIGN_IN)
    return render(request, "portal/link_open.html", {"valid": valid}, status=200 if valid else 400)


@require_http_methods(["GET", "POST"])
def welcome(request: HttpRequest, token: str) -> HttpResponse:
    """An invitation: choose a password, and be signed in."""
    form = PasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            key = portal_accept_invitation(token=token, password=form.cleaned_data["password"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            if key:
                return _signed_in(request, key, reverse("portal:home"))
            return render(request, "portal/welcome.html", {"valid": False}, status=400)
    valid = portal_link_valid(token=token, kind=PortalLink.Kind.INVITE)
    status = 400 if (form.errors or not valid) else 200
    return render(request, "portal/welcome.html", {"valid": valid, "form": form}, status=status)


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    if request.portal is not None:
        portal_sign_out(session_id=request.portal.session_id)
    response = redirect("portal:sign_in")
    clear_session_cookies(response)
    return response
