"""GET /api/notifications/ (mine) and /api/notifications/groups/ (one entry per subject),
POST /api/notifications/{id}/read/ and /api/notifications/read-all/."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from core.models import Notification
from core.notifications import (
    FILTERS,
    absolute_url,
    notification_filter,
    notification_group_rows,
    notification_groups_of,
    notifications_mark_read,
)
from core.paginator import OneReadPagination


class ReadSerializer(serializers.Serializer):
    group = serializers.BooleanField(
        default=False, help_text="Mark every notification about the same subject read, not this one alone."
    )


class NotificationSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", read_only=True, default=None)
    link = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "message", "url", "link", "subject", "team_wide", "actor", "created_at", "read_at"]
        read_only_fields = fields

    def get_link(self, note: Notification) -> str:
        return absolute_url(note.url)


class NotificationGroupSerializer(serializers.Serializer):
    subject = serializers.CharField(read_only=True)
    count = serializers.IntegerField(read_only=True)
    unread = serializers.IntegerField(read_only=True)
    latest = NotificationSerializer(read_only=True)


_MARKED = inline_serializer("MarkedRead", {"marked": serializers.IntegerField()})
_SHOW = OpenApiParameter(
    "show", OpenApiTypes.STR, enum=list(FILTERS),
    description="Only mine (not sent to my whole team), questions from engineering, released fixes, or unread.",
)
_UNREAD = OpenApiParameter("unread", OpenApiTypes.BOOL, description="Only the unread ones (as show=unread).")


class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Your own notifications, newest first; `?show=mine|needs_info|released|unread` narrows them
    (`?unread=1` too)."""

    serializer_class = NotificationSerializer

    def _show(self) -> str:
        show = self.request.query_params.get("show", "")
        if show and show not in FILTERS:
            raise ValidationError({"show": [f"Choose one of: {', '.join(FILTERS)}."]})
        return show

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        qs = notification_filter(self.request.user, self._show()).select_related("actor")
        if self.request.query_params.get("unread") in {"1", "true", "yes"}:
            qs = qs.filter(read_at__isnull=True)
        return qs

    @extend_schema(parameters=[_SHOW, _UNREAD])
    def list(self, request: Request, *args, **kwargs) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(parameters=[_SHOW, _UNREAD], responses=NotificationGroupSerializer(many=True))
    @action(detail=False, methods=["get"])
    def groups(self, request: Request) -> Response:
        """One entry per ticket, defect or request (its `subject`), newest first: the latest
        notification about it, how many there are and how many are unread. Same filters as the list."""
        rows = notification_group_rows(self.get_queryset())
        # Counted as they are read: counting apart would group the window a second time.
        pagination = OneReadPagination()
        page = pagination.paginate_queryset(rows, request, view=self)
        groups = notification_groups_of(page if page is not None else rows)
        data = NotificationGroupSerializer(
            [{"subject": g.subject, "count": g.count, "unread": g.unread, "latest": g.latest} for g in groups],
            many=True,
        ).data
        return pagination.get_paginated_response(data) if page is not None else Response(data)

    @extend_schema(request=ReadSerializer, responses=_MARKED)
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk=None) -> Response:
        """Mark one of your notifications read (404 for anyone else's); with `"group": true`, every
        one about the same ticket, defect or request too, as the notifications page's entries do."""
        note = self.get_object()
        asked = ReadSerializer(data=request.data)
        asked.is_valid(raise_exception=True)
        if asked.validated_data["group"]:
            return Response({"marked": notifications_mark_read(user=request.user, subjects=[note.subject])})
        return Response({"marked": notifications_mark_read(user=request.user, ids=[note.pk])})

    @extend_schema(request=None, responses=_MARKED)
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request: Request) -> Response:
        """Mark all your notifications read."""
        return Response({"marked": notifications_mark_read(user=request.user)})
