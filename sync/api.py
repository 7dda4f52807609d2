"""/api/connections/: managers only. The token and webhook secret are write-only."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.models import Channel
from core.permissions import ManagersOnly
from sync.models import Connection
from sync.services.connections import connection_create, connection_update
from sync.services.health import connection_health, connection_resume


class ConnectionSerializer(serializers.ModelSerializer):
    token = serializers.CharField(write_only=True, required=False, allow_blank=True, trim_whitespace=True,
                                  help_text="API token. Write-only: never returned.")
    webhook_secret = serializers.CharField(write_only=True, required=False, allow_blank=True,
                                           help_text="Shared webhook secret. Write-only: never returned.")
    has_token = serializers.SerializerMethodField()
    base_url = serializers.CharField(max_length=300)

    class Meta:
        model = Connection
        fields = [
            "id", "name", "kind", "base_url", "project", "token", "has_token", "webhook_secret",
            "status_map", "priority_map", "version_map", "request_type", "request_status_map", "enabled", "paused",
            "last_error", "last_error_at",
            "last_success_at", "last_poll_at", "created_at",
        ]
        read_only_fields = ["paused", "last_error", "last_error_at", "last_success_at", "last_poll_at", "created_at"]
        # Validation (including uniqueness) is the service's job.
        validators: list = []
        extra_kwargs = {"name": {"validators": []}}

    def get_has_token(self, obj: Connection) -> bool:
        return bool(obj.token)


class HealthSerializer(serializers.Serializer):
    pending = serializers.IntegerField()
    claimed = serializers.IntegerField()
    failed = serializers.IntegerField()
    done = serializers.IntegerField()
    oldest_pending_at = serializers.DateTimeField(allow_null=True)
    last_done_at = serializers.DateTimeField(allow_null=True)


class ConnectionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Tracker connections. Managers only; tokens go in and never come out."""

    serializer_class = ConnectionSerializer
    permission_classes = [ManagersOnly]
    queryset = Connection.objects.order_by("name")

    def perform_create(self, serializer):
        serializer.instance = connection_create(
            actor=self.request.user, channel=Channel.API, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = connection_update(
            connection=serializer.instance, actor=self.request.user, channel=Channel.API, **serializer.validated_data
        )

    @extend_schema(request=None, responses=ConnectionSerializer)
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        """Unpause after fixing what paused it; waiting rows are pushed at once."""
        connection = connection_resume(connection=self.get_object(), actor=request.user, channel=Channel.API)
        return Response(self.get_serializer(connection).data)

    @extend_schema(responses=HealthSerializer)
    @action(detail=True, methods=["get"])
    def health(self, request, pk=None):
        health = connection_health(self.get_object())
        return Response(HealthSerializer(health).data, status=status.HTTP_200_OK)



