"""/api/repositories/, /api/builds/ and /api/defects/{id}/commits/.

Every staff role reads; managers register and change repositories; managers
and engineers ask for a scan; build systems (and managers) record builds.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.models import Channel
from core.paginator import LargeTablePagination
from core.permissions import IsStaffRole, ManagersWrite
from defects.models import Defect
from releases.code.models import Build, Repository
from releases.code.permissions import BuildWriters, ScanPermission
from releases.code.selectors import defect_builds, defect_commits, fix_first_releases
from releases.code.serializers import (
    BuildSerializer,
    BuildWriteSerializer,
    DefectCodeSerializer,
    RepositorySerializer,
    RepositoryWriteSerializer,
    ScanRequestSerializer,
    first_releases_data,
)
from releases.code.services.builds import build_record
from releases.code.services.repositories import repository_create, repository_update
from releases.code.services.webhooks import DeliveryRefused, code_webhook_receive
from releases.code.tasks import scan_queue
from sync.services.settings import webhook_max_bytes


class RepositoryViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """A product's git repositories and their scan health. The credential and webhook secret never come back."""

    serializer_class = RepositorySerializer
    queryset = Repository.objects.select_related("product").order_by("name")
    permission_classes = [ManagersWrite]

    def get_permissions(self):
        if self.action == "scan":
            return [ScanPermission()]
        return super().get_permissions()

    @extend_schema(request=RepositoryWriteSerializer, responses={201: RepositorySerializer})
    def create(self, request: Request, *args, **kwargs) -> Response:
        data = RepositoryWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        repository = repository_create(actor=request.user, channel=Channel.API, **data.validated_data)
        scan_queue(repository=repository)
        repository.refresh_from_db()
        return Response(self.get_serializer(repository).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RepositoryWriteSerializer, responses={200: RepositorySerializer})
    def update(self, request: Request, *args, **kwargs) -> Response:
        repository = self.get_object()
        partial = kwargs.get("partial", False)
        data = RepositoryWriteSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        values = {k: v for k, v in data.validated_data.items() if k in data.initial_data}
        repository = repository_update(repository=repository, actor=request.user, channel=Channel.API, **values)
        return Response(self.get_serializer(repository).data)

    @extend_schema(request=ScanRequestSerializer, responses={202: RepositorySerializer})
    @action(detail=True, methods=["post"])
    def scan(self, request: Request, pk=None) -> Response:
        """Fetch and read new commits now (in the background with a broker, before answering without one)."""
        repository = self.get_object()
        data = ScanRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        scan_queue(repository=repository, full=data.validated_data["full"])
        repository.refresh_from_db()
        return Response(self.get_serializer(repository).data, status=status.HTTP_202_ACCEPTED)


class BuildViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """CI builds. Every role reads; build systems' service accounts and managers record them."""

    serializer_class = BuildSerializer
    queryset = Build.objects.select_related("repository").order_by("-created_at", "-id")
    permission_classes = [BuildWriters]
    # Every CI run adds a build: counted exactly up to 10,000, estimated beyond.
    pagination_class = LargeTablePagination

    @extend_schema(request=BuildWriteSerializer, responses={201: BuildSerializer, 200: BuildSerializer})
    def create(self, request: Request, *args, **kwargs) -> Response:
        """Record a build, or update its status when its number is known (200)."""
        data = BuildWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        build, created = build_record(actor=request.user, channel=Channel.API, **data.validated_data)
        return Response(BuildSerializer(build).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class DefectCodeView(APIView):
    """The code of a defect: commits naming it, the first release per line holding the fix, builds with it."""

    permission_classes = [IsStaffRole]

    @extend_schema(responses=DefectCodeSerializer)
    def get(self, request: Request, pk: int) -> Response:
        defect = get_object_or_404(Defect.objects.only("pk"), pk=pk)
        return Response({
            "commits": [row.__dict__ for row in defect_commits(defect.pk)],
            "first_releases": first_releases_data(fix_first_releases([defect.pk]).get(defect.pk, [])),
            "builds": BuildSerializer(defect_builds(defect.pk), many=True).data,
        })


@csrf_exempt
@require_POST
def repository_webhook(request: HttpRequest, pk: int) -> JsonResponse:
    """GitHub and GitLab push and build webhooks: verified, stored once per delivery id, answered at once."""
    repository = get_object_or_404(Repository, pk=pk)
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return JsonResponse({"detail": "The Content-Length header is not a number of bytes."}, status=400)
    if declared > webhook_max_bytes() or len(request.body) > webhook_max_bytes():
        return JsonResponse({"detail": f"The payload is larger than {webhook_max_bytes()} bytes."}, status=413)
    headers = {key.lower(): value for key, value in request.headers.items()}
    try:
        delivery = code_webhook_receive(repository=repository, headers=headers, body=request.body)
    except DeliveryRefused as exc:
        return JsonResponse({"detail": str(exc)}, status=exc.status)
    except ValidationError as exc:
        # A build event whose fields cannot be used: nothing was stored (one transaction).
        return JsonResponse(exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}, status=400)
    return JsonResponse(
        {"delivery": delivery.delivery_id, "duplicate": delivery.duplicate, "scan": delivery.scan,
         "build": delivery.build},
        status=200 if delivery.duplicate else 202,
    )
