from rest_framework import serializers

from releases.models import Release


class ReleaseBriefSerializer(serializers.ModelSerializer):
    """A release as other records show it: planned or shipped, and when."""

    class Meta:
        model = Release
        fields = ["id", "version", "status", "planned_date", "released_at"]
        read_only_fields = fields


class ReleaseSerializer(serializers.ModelSerializer):
    product_name = serializers.CharField(source="product.name", read_only=True)

    class Meta:
        model = Release
        fields = [
            "id", "product", "product_name", "version", "status", "planned_date", "released_at", "notes",
        ]
        read_only_fields = fields
