"""Account pages: API tokens (/account/tokens/), preferences (/account/preferences/) and the password reset by email."""

from urllib.parse import urlsplit

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_POST

from core.forms import PreferenceForm, TokenForm
from core.models import Channel
from core.preferences import preference_of, preference_update, remember_time_zone
from core.tokens import api_token_issue, api_token_revoke, api_tokens_visible_to


@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    """Your tokens (everyone's for a manager); a new token's key is shown on this one answer only."""
    form = TokenForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        _, new_key = api_token_issue(user=request.user, name=form.cleaned_data["name"],
                                     actor=request.user, channel=Channel.WEB)
        form = TokenForm()
    tokens = api_tokens_visible_to(request.user)
    response = render(request, "core/tokens.html", {"tokens": tokens, "form": form, "new_key": new_key})
    # The page may carry a key: no cache, shared or private, may keep it.
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@login_required
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoke one of your tokens (a manager: anyone's); 404 for a token you cannot see."""
    token = get_object_or_404(api_tokens_visible_to(request.user), pk=pk)
    api_token_revoke(token=token, actor=request.user, channel=Channel.WEB)
    messages.success(request, f"Revoked {token}.")
    return redirect("account-tokens")


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    """How my notification emails come (one each, an hourly or a daily digest) and my time zone."""
    pref = preference_of(request.user)
    form = PreferenceForm(request.POST or None, initial={"digest": pref.digest, "time_zone": pref.time_zone})
    if request.method == "POST" and form.is_valid():
        try:
            preference_update(user=request.user, actor=request.user, channel=Channel.WEB, **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            remember_time_zone(request.session, request.user)
            messages.success(request, "Saved your preferences.")
            return redirect("account-preferences")
    return render(request, "core/preferences.html", {"form": form}, status=400 if form.errors else 200)


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset by email, with links built on HANDOFF_BASE_URL rather than the
    request's Host header, which a client chooses."""

    success_url = reverse_lazy("password_reset_done")

    def form_valid(self, form):
        base = urlsplit(settings.HANDOFF_BASE_URL)
        self.domain_override = base.netloc
        self.use_https = base.scheme == "https"
        self.extra_email_context = {"base_url": f"{base.scheme}://{base.netloc}"}
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Setting a new password through the emailed link also lifts a sign-in lockout on the account."""

    success_url = reverse_lazy("password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        axes_reset(username=self.user.get_username())
        return response
