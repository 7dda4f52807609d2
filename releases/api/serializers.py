from rest_framework import serializers

from core.api import day_data, moment_data
from releases.models import Release


class ReleaseBriefSerializer(serializers.ModelSerializer):
    """A release as other records show it: planned or shipped, and when."""

    class Meta:
        model = Release
        fields = ["id", "version", "status", "planned_date", "released_at"]
        read_only_fields = fields


# ReleaseBriefSerializer's fields, in order: what a list written from values reads of a release.
RELEASE_BRIEF_FIELDS = ("id", "version", "status", "planned_date", "released_at")


def release_brief_data(values) -> dict | None:
    """ReleaseBriefSerializer's shape from values of RELEASE_BRIEF_FIELDS (None when the id is None)."""
    pk, version, status, planned_date, released_at = values
    if pk is None:
        return None
    return {
        "id": pk, "version": version, "status": status,
        "planned_date": day_data(planned_date), "released_at": moment_data(released_at),
    }


class ReleaseSerializer(serializers.ModelSerializer):
    product_name = serializers.CharField(source="product.name", read_only=True)

    class Meta:
        model = Release
        fields = [
            "id", "product", "product_name", "version", "status", "planned_date", "released_at", "notes",
        ]
        read_only_fields = fields
