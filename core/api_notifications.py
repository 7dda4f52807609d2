"""GET /api/notifications/ (mine), POST /api/notifications/{id}/read/ and /api/notifications/read-all/."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.models import Notification
from core.notifications import absolute_url, notifications_mark_read


class NotificationSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", read_only=True, default=None)
    link = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "message", "url", "link", "actor", "created_at", "read_at"]
        read_only_fields = fields

    def get_link(self, note: Notification) -> str:
        return absolute_url(note.url)


_MARKED = inline_serializer("MarkedRead", {"marked": serializers.IntegerField()})


class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Your own notifications, newest first; `?unread=1` for the unread ones only."""

    serializer_class = NotificationSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        qs = Notification.objects.filter(user=self.request.user).select_related("actor")
        if self.request.query_params.get("unread") in {"1", "true", "yes"}:
            qs = qs.filter(read_at__isnull=True)
        return qs

    @extend_schema(request=None, responses=_MARKED)
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk=None) -> Response:
        """Mark one of your notifications read (404 for anyone else's)."""
        note = self.get_object()
        return Response({"marked": notifications_mark_read(user=request.user, ids=[note.pk])})

    @extend_schema(request=None, responses=_MARKED)
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request: Request) -> Response:
        """Mark all your notifications read."""
        return Response({"marked": notifications_mark_read(user=request.user)})
