from rest_framework import viewsets

from releases.api.filters import ReleaseFilter
from releases.api.serializers import ReleaseSerializer
from releases.models import Release


class ReleaseViewSet(viewsets.ReadOnlyModelViewSet):
    """Releases, newest version first. Every role reads; nobody writes here."""

    serializer_class = ReleaseSerializer
    filterset_class = ReleaseFilter
    queryset = Release.objects.select_related("product").order_by("-version_key", "product__name", "id")
