"""POST /api/defects/{id}/link-tracker/: attach a defect to an existing tracker issue (engineers, managers)."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from core import roles
from core.api import IdField
from core.models import Channel
from defects.models import Defect
from sync.models import Connection, ExternalIssue
from sync.services.link_existing import defect_link_existing


class CanWorkDefects(BasePermission):
    message = "Only engineers and managers can link defects to tracker issues."

    def has_permission(self, request, view) -> bool:
        return roles.can_work_defects(request.user)


class LinkTrackerSerializer(serializers.Serializer):
    connection = IdField(queryset=Connection.objects.all())
    reference = serializers.CharField(max_length=500, help_text='Key or URL, e.g. "HD-12" or "acme/billing#7".')


class TwinSerializer(serializers.ModelSerializer):
    connection = serializers.CharField(source="connection.name")

    class Meta:
        model = ExternalIssue
        fields = ["id", "connection", "external_id", "key", "url"]


class DefectLinkTrackerView(APIView):
    permission_classes = [CanWorkDefects]

    @extend_schema(request=LinkTrackerSerializer, responses={201: TwinSerializer})
    def post(self, request, pk: int):
        """Link the defect to an existing Jira, GitHub or Redmine issue instead of creating one."""
        defect = get_object_or_404(Defect, pk=pk)
        data = LinkTrackerSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        twin = defect_link_existing(
            defect=defect, connection=data.validated_data["connection"],
            reference=data.validated_data["reference"], actor=request.user, channel=Channel.API,
        )
        return Response(TwinSerializer(twin).data, status=status.HTTP_201_CREATED)
