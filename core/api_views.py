"""Shared pieces of API views."""

from django.db.models import ProtectedError
from rest_framework import routers, serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import Conflict
from core.models import Channel
from core.paginator import LargeTablePagination
from core.permissions import ManagersWrite
from core.records import record_delete, record_save


class ValuesListMixin:
    """A list whose page is read as values (`row_fields`) and written by `write_rows`, in its
    serializer's shape, without building the model instances the serializer walks.

    The list pages with its own paginator: the view's other actions (a thread's comments)
    page model instances with the view's pagination class, which the schema documents too.
    """

    row_fields: tuple[str, ...] = ()

    def write_rows(self, rows: list[dict]) -> list[dict]:
        raise NotImplementedError

    def list(self, request: Request, *args, **kwargs) -> Response:
        paginator = LargeTablePagination()
        paginator.row_fields = self.row_fields
        rows = paginator.paginate_queryset(self.filter_queryset(self.get_queryset()), request, view=self)
        return paginator.get_paginated_response(self.write_rows(rows))


class CatalogueViewSet(viewsets.ModelViewSet):
    """Every role reads; managers create, change and delete, each change audited.

    Writes go through core.records, so each one leaves audit rows with the
    API channel. Deleting a record that tickets or defects still use is a 409.
    """

    permission_classes = [ManagersWrite]

    def perform_create(self, serializer: serializers.ModelSerializer) -> None:
        model = serializer.Meta.model
        serializer.instance = record_save(
            instance=model(), values=serializer.validated_data, actor=self.request.user, channel=Channel.API
        )

    def perform_update(self, serializer: serializers.ModelSerializer) -> None:
        serializer.instance = record_save(
            instance=serializer.instance,
            values=serializer.validated_data,
            actor=self.request.user,
            channel=Channel.API,
        )

    def perform_destroy(self, instance) -> None:
        try:
            record_delete(instance=instance, actor=self.request.user, channel=Channel.API)
        except ProtectedError as exc:
            used_by = sorted({str(obj._meta.verbose_name_plural) for obj in exc.protected_objects})
            raise Conflict(f"{instance} is still used by {', '.join(used_by)}; it cannot be deleted.") from None


class ApiRootView(routers.APIRootView):
    """The Handoff REST API: tickets, defects, enhancement requests, releases and their reports,
    tracker connections, notifications and API tokens.

    Every endpoint needs a signed-in user with a role, or a token sent as
    `Authorization: Token <key>` (POST /api/auth/token/). Lists are paginated
    (`?page=`). The schema is at /api/schema/ and its interactive docs at /api/docs/.
    """


class ApiRouter(routers.DefaultRouter):
    """DefaultRouter with a root page that says what the API is."""

    APIRootView = ApiRootView
