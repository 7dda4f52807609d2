"""/api/views/: the saved views of the work lists (mine and the shared ones); save one, delete one."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from core.models import Channel, SavedView
from core.permissions import IsStaffRole
from core.saved_views import saved_view_delete, saved_view_may_delete, saved_view_save, saved_view_url


class SavedViewSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.username", read_only=True)
    path = serializers.SerializerMethodField(help_text="The list page with the view's filters and sort.")
    query = serializers.CharField(
        required=False, allow_blank=True, max_length=4000,
        help_text="The list's query string (filters and sort), e.g. status=open&sort=-updated. "
        "Kept without its page number and empty values.",
    )

    class Meta:
        model = SavedView
        fields = ["id", "list", "name", "query", "shared", "owner", "path", "created_at", "updated_at"]
        read_only_fields = ["id", "owner", "path", "created_at", "updated_at"]
        # Saving a name again replaces that view's query (saved_view_save): no uniqueness check here.
        validators = []

    def get_path(self, view: SavedView) -> str:
        return saved_view_url(list_name=view.list, query=view.query)


_LIST = OpenApiParameter("list", OpenApiTypes.STR, enum=SavedView.List.values, description="Only this list's views.")


class SavedViewViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The shared views, then your own, by name. Any role saves its own; managers share them with everyone."""

    serializer_class = SavedViewSerializer
    permission_classes = [IsStaffRole]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return SavedView.objects.none()
        user = self.request.user
        qs = (SavedView.objects.filter(shared=True) | SavedView.objects.filter(owner=user, shared=False))
        list_name = self.request.query_params.get("list", "")
        if self.action == "list" and list_name:
            if list_name not in SavedView.List.values:
                raise ValidationError({"list": [f"Choose one of: {', '.join(SavedView.List.values)}."]})
            qs = qs.filter(list=list_name)
        return qs.select_related("owner")

    @extend_schema(parameters=[_LIST])
    def list(self, request: Request, *args, **kwargs) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        responses={201: SavedViewSerializer, 200: OpenApiResponse(SavedViewSerializer, description="Saved over.")},
    )
    def create(self, request: Request, *args, **kwargs) -> Response:
        """Save a view; a view of yours of the same name (a shared one, when shared) is saved over (200)."""
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        view, created = saved_view_save(
            owner=request.user, list_name=fields["list"], name=fields["name"], query=fields.get("query", ""),
            shared=fields.get("shared", False), channel=Channel.API,
        )
        return Response(
            self.get_serializer(view).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

    def perform_destroy(self, instance: SavedView) -> None:
        if not saved_view_may_delete(instance, self.request.user):
            raise PermissionDenied("Only a manager deletes a shared view.")
        saved_view_delete(view=instance, actor=self.request.user, channel=Channel.API)
