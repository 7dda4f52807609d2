"""GET /api/defects/{id}/sync/: where each synced value of a defect's twins came from, and its conflicts.

Anyone who may read the defect may read this (the defect API's own rule).
"""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.safe_urls import external_link
from defects.models import Defect
from sync.models import Connection, ExternalIssue, FieldSource, SyncConflict
from sync.selectors import defect_sync_sources


class FieldSourceSerializer(serializers.ModelSerializer):
    who = serializers.CharField(source="actor")
    when = serializers.DateTimeField(source="at")
    via = serializers.CharField(source="channel", help_text="web, api, system, webhook, poll or link.")

    class Meta:
        model = FieldSource
        fields = ["value", "side", "who", "when", "via", "delivery_id"]


class TwinSourcesSerializer(serializers.ModelSerializer):
    tracker = serializers.CharField(source="connection.name")
    kind = serializers.ChoiceField(source="connection.kind", choices=Connection.Kind.choices)
    url = serializers.SerializerMethodField()
    sources = serializers.SerializerMethodField()

    class Meta:
        model = ExternalIssue
        fields = ["tracker", "kind", "key", "url", "sources"]

    def get_url(self, twin: ExternalIssue) -> str | None:
        return external_link(twin.url) or None

    @extend_schema_field(serializers.DictField(child=FieldSourceSerializer()))
    def get_sources(self, twin: ExternalIssue) -> dict[str, dict]:
        """Per synced field (status, priority, version, title, description): its current source."""
        return {s.field: FieldSourceSerializer(s).data for s in twin.field_sources.all()}


class ConflictSerializer(serializers.ModelSerializer):
    tracker = serializers.CharField(source="connection.name")
    settled = serializers.SerializerMethodField()

    class Meta:
        model = SyncConflict
        fields = ["tracker", "field", "portal_value", "tracker_value", "winner", "note", "at", "settled"]

    def get_settled(self, conflict: SyncConflict) -> str:
        """How it was settled, in words."""
        kept = conflict.portal_value if conflict.winner == SyncConflict.Winner.PORTAL else conflict.tracker_value
        return f"The {conflict.get_winner_display().lower()}'s value {kept!r} was kept."


class DefectSyncSerializer(serializers.Serializer):
    defect = serializers.CharField()
    twins = TwinSourcesSerializer(many=True)
    conflicts = ConflictSerializer(many=True)


class DefectSyncView(APIView):
    @extend_schema(responses=DefectSyncSerializer)
    def get(self, request, pk: int):
        """Per twin and synced field: the value, which side set it, who, when and through what; and conflicts."""
        defect = get_object_or_404(Defect.objects.only("key"), pk=pk)
        twins, conflicts = defect_sync_sources(defect_id=defect.pk)
        return Response(DefectSyncSerializer({"defect": defect.key, "twins": twins, "conflicts": conflicts}).data)
