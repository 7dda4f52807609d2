"""Enhancement requests: every role reads; product managers and managers triage."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.models import Channel
from core.pagination import BoundedPagination
from core.paginator import LargeTablePagination
from defects.api.serializers import DefectDetailSerializer
from defects.models import Defect
from defects.selectors import defect_list_queryset
from enhancements.api.permissions import DefectConverters, RequestCommenters, RequestTriage
from enhancements.api.serializers import (
    DefectConvertSerializer,
    EscalateRequestSerializer,
    RequestCommentSerializer,
    RequestConvertSerializer,
    RequestDetailSerializer,
    RequestFilterSerializer,
    RequestSerializer,
    RequestTicketSerializer,
    RequestTransitionSerializer,
    RequestUpdateSerializer,
    SendToTrackerSerializer,
    SimilarRequestQuerySerializer,
)
from enhancements.selectors import (
    converted_defect_id,
    request_comments,
    request_list_queryset,
    request_queue,
    request_ticket_links,
    similar_requests,
)
from enhancements.services.comments import request_comment_add
from enhancements.services.conversion import defect_convert_to_request, request_convert_to_defect
from enhancements.services.requests import (
    AlreadyRequested,
    request_create_from_ticket,
    request_link_ticket,
    request_update,
)
from enhancements.services.tracker import request_send_to_tracker
from enhancements.services.transitions import request_retarget, request_transition

# What the detail shows beside the request's own columns.
DETAIL_PREFETCH = ("attachments", "conversions__defect", "external_issues__connection")


def _defect_detail(pk: int, request: Request) -> dict:
    defect = defect_list_queryset().prefetch_related(
        "affected_versions", "attachments", "external_issues__connection"
    ).get(pk=pk)
    return DefectDetailSerializer(defect, context={"request": request}).data


def _field_errors(exc: DjangoValidationError) -> ValidationError:
    return ValidationError(exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages})


class RequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Requests, most wanted first, filtered by product, component and status."""

    permission_classes = [RequestTriage]
    # A request per ten tickets: counted only so far, as the ticket list is.
    pagination_class = LargeTablePagination

    def get_queryset(self):
        if self.action == "list":
            query = RequestFilterSerializer(data=self.request.query_params)
            query.is_valid(raise_exception=True)
            return request_queue(**query.validated_data)
        qs = request_list_queryset()
        if self.action == "retrieve":
            qs = qs.prefetch_related(*DETAIL_PREFETCH)
        return qs

    def get_serializer_class(self):
        return RequestDetailSerializer if self.action == "retrieve" else RequestSerializer

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        """A request; one converted into a defect answers 301 with the defect's address."""
        obj = self.get_object()
        converted_to = converted_defect_id(obj)
        if converted_to is not None:
            return HttpResponsePermanentRedirect(reverse("defect-detail", args=[converted_to]))
        return Response(self.get_serializer(obj).data)

    def _answer(self, pk, *, status_code: int = status.HTTP_200_OK) -> Response:
        request = request_list_queryset().prefetch_related(*DETAIL_PREFETCH).get(pk=pk)
        data = RequestDetailSerializer(request, context=self.get_serializer_context()).data
        return Response(data, status=status_code)

    @extend_schema(request=RequestConvertSerializer, responses={201: DefectDetailSerializer})
    @action(detail=True, methods=["post"])
    def convert(self, request: Request, pk=None) -> Response:
        """Turn the open request into a defect (with a reason); its tickets, thread and history go with it.

        The request's address then answers 301 with the defect's.
        """
        obj = self.get_object()
        data = RequestConvertSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            defect = request_convert_to_defect(request=obj, actor=request.user, channel=Channel.API,
                                               **data.validated_data)
        except DjangoValidationError as exc:
            raise _field_errors(exc) from None
        return Response(_defect_detail(defect.pk, request), status=status.HTTP_201_CREATED)

    @extend_schema(request=RequestUpdateSerializer, responses=RequestDetailSerializer)
    def partial_update(self, request: Request, pk=None) -> Response:
        """Edit text, component or team; `target_release` moves a planned request's estimate."""
        obj = self.get_object()
        data = RequestUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        target = fields.pop("target_release", None)
        try:
            with transaction.atomic():
                if fields:
                    request_update(request=obj, actor=request.user, channel=Channel.API, **fields)
                if target is not None:
                    request_retarget(request=obj, target_release=target, actor=request.user, channel=Channel.API)
        except DjangoValidationError as exc:
            raise _field_errors(exc) from None
        return self._answer(obj.pk)

    @extend_schema(request=SendToTrackerSerializer, responses={202: RequestDetailSerializer})
    @action(detail=True, methods=["post"], url_path="send-to-tracker")
    def send_to_tracker(self, request: Request, pk=None) -> Response:
        """Send the open request to a tracker by hand (where routing sent it to none); the issue is created
        by the sync, and `external_issues` lists it once it is there."""
        obj = self.get_object()
        data = SendToTrackerSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            request_send_to_tracker(
                request=obj, connection=data.validated_data["connection"], actor=request.user, channel=Channel.API
            )
        except DjangoValidationError as exc:
            raise _field_errors(exc) from None
        return self._answer(obj.pk, status_code=status.HTTP_202_ACCEPTED)

    @extend_schema(request=RequestTransitionSerializer, responses=RequestDetailSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, pk=None) -> Response:
        """Move the request along its status machine; a 400 names the allowed moves."""
        obj = self.get_object()
        data = RequestTransitionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            request_transition(request=obj, actor=request.user, channel=Channel.API, **data.validated_data)
        except DjangoValidationError as exc:
            raise _field_errors(exc) from None
        return self._answer(obj.pk)

    @extend_schema(request=RequestCommentSerializer, responses=RequestCommentSerializer(many=True))
    @action(detail=True, methods=["get", "post"], permission_classes=[RequestCommenters], pagination_class=None)
    def comments(self, request: Request, pk=None) -> Response:
        """The request's thread; POST adds to it."""
        obj = self.get_object()
        if request.method == "POST":
            data = RequestCommentSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            try:
                comment = request_comment_add(
                    request=obj, author=request.user, body=data.validated_data["body"], channel=Channel.API
                )
            except DjangoValidationError as exc:
                raise _field_errors(exc) from None
            return Response(RequestCommentSerializer(comment).data, status=status.HTTP_201_CREATED)
        return Response(RequestCommentSerializer(request_comments(obj), many=True).data)

    @extend_schema(responses=RequestTicketSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=BoundedPagination)
    def tickets(self, request: Request, pk=None) -> Response:
        """Every ticket asking for the request, newest link first, a page at a time."""
        page = self.paginate_queryset(request_ticket_links(self.get_object()))
        return self.get_paginated_response(RequestTicketSerializer(page, many=True).data)

    @extend_schema(parameters=[SimilarRequestQuerySerializer], responses=RequestSerializer(many=True))
    @action(detail=False, methods=["get"], pagination_class=None)
    def similar(self, request: Request) -> Response:
        """Open requests like the text `q`, the given product's first; at most ten."""
        query = SimilarRequestQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        found = similar_requests(text=query.validated_data["q"], product=query.validated_data.get("product"))
        return Response(RequestSerializer(found, many=True, context=self.get_serializer_context()).data)


class DefectConvertView(APIView):
    """POST /api/defects/{id}/convert/: engineers and managers turn a defect into an enhancement request.

    Served by this app (above defects) so the defects API needs no import of it.
    """

    permission_classes = [DefectConverters]

    @extend_schema(request=DefectConvertSerializer, responses={201: RequestDetailSerializer})
    def post(self, request: Request, pk: int) -> Response:
        """Turn the open defect into a request (with a reason); its tickets, shared comments, attachments and
        history go with it, and the defect's address then answers 301 with the request's."""
        defect = get_object_or_404(Defect, pk=pk)
        data = DefectConvertSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            created = defect_convert_to_request(
                defect=defect, actor=request.user, channel=Channel.API, **data.validated_data
            )
        except DjangoValidationError as exc:
            raise _field_errors(exc) from None
        found = request_list_queryset().prefetch_related(*DETAIL_PREFETCH).get(pk=created.pk)
        return Response(
            RequestDetailSerializer(found, context={"request": request}).data, status=status.HTTP_201_CREATED
        )


def ticket_send_request(request: Request, ticket, context: dict) -> Response:
    """POST /api/tickets/{id}/escalate/ with kind=enhancement: a new request, or the ticket added to one."""
    data = EscalateRequestSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    fields = dict(data.validated_data)
    existing = fields.pop("request", None)
    try:
        if existing is not None:
            request_link_ticket(
                ticket=ticket, request=existing, importance=fields["importance"], actor=request.user,
                channel=Channel.API,
            )
            request_id = existing.pk
        else:
            request_id = request_create_from_ticket(ticket=ticket, actor=request.user, channel=Channel.API, **fields).pk
    except AlreadyRequested as exc:
        body = {"detail": str(exc), "request": exc.request.pk, "key": exc.request.key}
        return Response(body, status=status.HTTP_409_CONFLICT)
    found = request_list_queryset().get(pk=request_id)
    return Response(RequestSerializer(found, context=context).data, status=status.HTTP_201_CREATED)
