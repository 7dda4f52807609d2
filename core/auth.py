"""Sign-in throttling with django-axes: the backend, the client address, the lockout answer.

Failed sign-ins on the login form, the admin login and /api/auth/token/ are
counted per account and per client address (settings AXES_*). Past the limit,
sign-in from that account or address is refused, even with the right password,
until the cool-off has passed; axes logs a warning line when it locks.
"""

import copy
import math
from functools import lru_cache

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group
from django.contrib.postgres.fields import ArrayField
from django.db import connection, connections
from django.db.models import CharField
from django.db.models.expressions import RawSQL
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from core import roles
from core.reference import kept


class LoginThrottleBackend(AxesStandaloneBackend):
    """Axes' lockout check, for sign-ins that come with a request.

    Every sign-in over HTTP passes its request (the login form, the admin, the
    token endpoint). Code with no request - the shell, a management command,
    the test client's login() - has no client address to throttle, and axes
    would raise instead of answering; those fall through to the model backend.
    """

    def authenticate(self, request: HttpRequest | None, username: str | None = None,
                     password: str | None = None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class RoleModelBackend(ModelBackend):
    """Django's model backend, whose signed-in user comes with their role names in the same read.

    Every signed-in request loads its user, and every view then asks for the user's
    roles (core.roles): on PostgreSQL both come from one query, the group names read
    by a subquery beside the user's row, instead of a second query per request.

    The row is kept in the process until a user, a group or a membership changes
    (core.reference, watched in core/apps.py), on every node at once: a role taken
    away, a password changed or an account deactivated counts from the next page.
    Each request gets its own copy, so nothing a view sets on its user outlives it.
    """

    def get_user(self, user_id):
        users = get_user_model()._default_manager
        if connections[users.db].vendor != "postgresql":
            return super().get_user(user_id)
        kept_user = kept(("signed-in-user", user_id), lambda: self._read_user(user_id))
        if kept_user is None:
            return None
        user = copy.copy(kept_user)
        if not self.user_can_authenticate(user):
            return None
        roles.remember_groups(user, user.role_names)
        return user

    @staticmethod
    def _read_user(user_id):
        users = get_user_model()._default_manager
        return users.annotate(role_names=role_names_sql()).filter(pk=user_id).first()


@lru_cache(maxsize=1)
def role_names_sql() -> RawSQL:
    """ARRAY(SELECT the names of the user's groups), for a query that reads the user's row
    (the user's own, or one joining it by select_related, as API tokens do).

    Written as SQL, from the models' tables: Django builds this in about half the
    instructions of the same subquery as an ArraySubquery, and less than half of an
    ArrayAgg with its GROUP BY; either costs more than the second query it saves.
    """
    quote = connection.ops.quote_name
    user, link, group = get_user_model()._meta, get_user_model().groups.through._meta, Group._meta
    column = {field: quote(link.get_field(field).column) for field in ("user", "group")}
    sql = (
        f"ARRAY(SELECT g.{quote(group.get_field('name').column)} FROM {quote(group.db_table)} g "
        f"JOIN {quote(link.db_table)} l ON l.{column['group']} = g.{quote(group.pk.column)} "
        f"WHERE l.{column['user']} = {quote(user.db_table)}.{quote(user.pk.column)})"
    )
    return RawSQL(sql, (), output_field=ArrayField(CharField()))


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, or, behind HANDOFF_TRUSTED_PROXIES proxies,
    the address the outermost trusted proxy saw (counted from the right of
    X-Forwarded-For, so a client cannot choose it by sending its own header)."""
    proxies = settings.HANDOFF_TRUSTED_PROXIES
    if proxies:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR")


def lockout_minutes(request: HttpRequest | None = None) -> int:
    cool_off = get_cool_off(request)
    return max(1, math.ceil(cool_off.total_seconds() / 60)) if cool_off else 0


def lockout_message(request: HttpRequest | None = None) -> str:
    minutes = lockout_minutes(request)
    if not minutes:
        return "Sign-in is locked after too many failed attempts. Ask a manager to unlock it."
    return (f"Sign-in is locked for {minutes} minute{'s' if minutes != 1 else ''} after too many "
            "failed attempts. Try again later, or reset your password.")


def lockout_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: a 429 in JSON for the API, a page for the forms."""
    message = lockout_message(request)
    minutes = lockout_minutes(request)
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse({"detail": message}, status=429)
    else:
        response = render(request, "registration/locked_out.html", {"message": message}, status=429)
    if minutes:
        response["Retry-After"] = str(minutes * 60)
    return response
