"""Triage through the API: moving a defect, editing it, and the shared comment thread.

Mixed into the defect and ticket viewsets so the routes sit under
/api/defects/{id}/ and /api/tickets/{id}/. Views stay thin: the services in
defects.services hold the rules and raise ValidationError, which the API
turns into a 400 with field messages.
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from core import roles
from core.api import IdField, KnownFieldsOnly
from core.markdown import render_markdown
from core.models import Channel
from core.permissions import IsStaffRole
from defects.api.serializers import DefectDetailSerializer
from defects.models import Comment, Defect, Team
from defects.services.changes import defect_update
from defects.services.comments import (
    comment_add,
    comment_delete,
    comment_edit,
    comment_may_change,
    defect_thread,
    ticket_thread,
)
from defects.services.transitions import defect_transition
from defects.severity import Severity
from releases.models import Release


class DefectWorkers(IsStaffRole):
    """Engineers and managers change defects; agents may only read them (403)."""

    message = "Only engineers and managers can change a defect."

    def has_permission(self, request, view) -> bool:
        return super().has_permission(request, view) and roles.can_work_defects(request.user)


class TransitionSerializer(serializers.Serializer):
    to = serializers.CharField(help_text="The engineering status to move to, e.g. triage.")
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    duplicate_of = IdField(
        queryset=Defect.objects.all(), required=False, allow_null=True, default=None,
        help_text="With to=duplicate: the defect this one duplicates.",
    )


class DefectChangeSerializer(KnownFieldsOnly, serializers.Serializer):
    """Only the fields sent change. A severity change needs severity_reason."""

    elsewhere = {"status": "Move the status with POST /api/defects/{id}/transition/."}

    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    severity_reason = serializers.CharField(required=False, allow_blank=True)
    team = IdField(queryset=Team.objects.all(), required=False, allow_null=True)
    planned_release = IdField(
        queryset=Release.objects.all(), required=False, allow_null=True
    )
    fixed_in_release = IdField(
        queryset=Release.objects.all(), required=False, allow_null=True
    )
    title = serializers.CharField(required=False, max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)


class CommentSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.username", read_only=True, default=None)
    # A customer's reply from the portal: the contact who wrote it (no author then; none either,
    # with from_customer still true, once that contact is deleted).
    author_contact = serializers.CharField(source="author_contact.name", read_only=True, default=None)
    body_html = serializers.SerializerMethodField()
    ticket_number = serializers.CharField(source="ticket.number", read_only=True, default=None)
    defect_key = serializers.CharField(source="defect.key", read_only=True, default=None)

    class Meta:
        model = Comment
        fields = [
            "id", "body", "body_html", "visibility", "side", "author", "author_contact", "from_customer", "defect",
            "defect_key", "ticket", "ticket_number", "created_at", "edited_at", "deleted_at", "deleted_in",
        ]
        read_only_fields = fields

    def get_body_html(self, comment: Comment) -> str:
        """The Markdown body rendered and sanitised: safe to insert as HTML. Empty once deleted."""
        return "" if comment.deleted_at else str(render_markdown(comment.body))

    def to_representation(self, comment: Comment) -> dict:
        data = super().to_representation(comment)
        if comment.deleted_at:
            data["body"] = ""  # a deleted comment shows only that it was deleted, and where
        return data


class CommentEditSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=20_000, help_text="Markdown.")


class CommentCreateSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=20_000, help_text="Markdown.")
    visibility = serializers.ChoiceField(choices=Comment.Visibility.choices)


def _thread_response(view, qs) -> Response:
    page = view.paginate_queryset(qs)
    data = CommentSerializer(page, many=True, context=view.get_serializer_context()).data
    return view.get_paginated_response(data)


def _post_comment(view, request: Request, **where) -> Response:
    data = CommentCreateSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    comment = comment_add(actor=request.user, channel=Channel.API, **data.validated_data, **where)
    body = CommentSerializer(comment, context=view.get_serializer_context())
    return Response(body.data, status=status.HTTP_201_CREATED)


def thread_action(field: str, selector, doc: str):
    """A GET/POST `comments` route on a detail URL: read the thread as the user may, or add to it."""

    def comments(self, request: Request, pk=None) -> Response:
        obj = self.get_object()
        if request.method == "POST":
            return _post_comment(self, request, **{field: obj})
        return _thread_response(self, selector(obj, request.user))

    comments.__doc__ = doc
    route = action(
        detail=True, methods=["get", "post"], permission_classes=[IsStaffRole], filterset_class=None,
        serializer_class=CommentSerializer,
    )(comments)
    route = extend_schema(methods=["POST"], request=CommentCreateSerializer, responses={201: CommentSerializer})(route)
    return extend_schema(methods=["GET"], responses=CommentSerializer(many=True))(route)


class DefectTriageMixin:
    """PATCH /api/defects/{id}/, POST .../transition/, GET/POST .../comments/."""

    def get_permissions(self):
        if getattr(self, "action", None) == "partial_update":
            return [DefectWorkers()]
        return super().get_permissions()

    def _answer(self, defect: Defect) -> Response:
        fresh = self.get_queryset().get(pk=defect.pk)
        return Response(DefectDetailSerializer(fresh, context=self.get_serializer_context()).data)

    @extend_schema(
        request=DefectChangeSerializer,
        responses={200: OpenApiResponse(description="The defect after the change."), 403: None},
    )
    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        """Change severity (with severity_reason), team, planned or fixed-in release, title or description."""
        defect = self.get_object()
        data = DefectChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        defect = defect_update(defect=defect, actor=request.user, channel=Channel.API, **data.validated_data)
        return self._answer(defect)

    @extend_schema(
        request=TransitionSerializer,
        responses={
            200: OpenApiResponse(description="The defect in its new status."),
            400: OpenApiResponse(description="A move the state machine refuses; the message names the allowed ones."),
            403: None,
        },
    )
    @action(detail=True, methods=["post"], permission_classes=[DefectWorkers], filterset_class=None)
    def transition(self, request: Request, pk=None) -> Response:
        """Move the defect's engineering status; its tickets follow and their agents are told."""
        defect = self.get_object()
        data = TransitionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        defect = defect_transition(defect=defect, actor=request.user, channel=Channel.API, **data.validated_data)
        return self._answer(defect)

    comments = thread_action(
        "defect", defect_thread, "The defect's thread as you may read it; post `shared` or `internal` comments."
    )

    @extend_schema(methods=["PATCH"], request=CommentEditSerializer, responses={200: CommentSerializer, 403: None})
    @extend_schema(methods=["DELETE"], request=None, responses={200: CommentSerializer, 403: None})
    @action(detail=True, methods=["patch", "delete"], url_path=r"comments/(?P<comment_id>\d+)",
            permission_classes=[IsStaffRole], filterset_class=None, serializer_class=CommentSerializer)
    def comment(self, request: Request, pk=None, comment_id=None) -> Response:
        """Edit (PATCH {"body"}) or delete a comment of the thread: its author, or a manager.
        A shared comment's tracker twins are edited or deleted too."""
        defect = self.get_object()
        found = defect_thread(defect, request.user).filter(pk=comment_id).first()
        if found is None:
            raise NotFound("No such comment in this defect's thread.")
        if not comment_may_change(found, request.user):
            raise PermissionDenied("Only its author or a manager may change a comment.")
        if request.method == "DELETE":
            found = comment_delete(comment=found, actor=request.user, channel=Channel.API)
        else:
            data = CommentEditSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            found = comment_edit(comment=found, actor=request.user, channel=Channel.API,
                                 body=data.validated_data["body"])
        return Response(CommentSerializer(found, context=self.get_serializer_context()).data)


class TicketThreadMixin:
    """GET/POST /api/tickets/{id}/comments/: the ticket's side of the shared thread."""

    comments = thread_action(
        "ticket", ticket_thread,
        "Comments on the ticket and shared ones from its defects. `shared` reaches engineering; "
        "`customer` is a reply to the customer, shown in the customer portal (the help desk only).",
    )
