"""POST /api/auth/token/ (a new token for a username and password), GET /api/auth/tokens/
and DELETE /api/auth/tokens/{id}/ (yours, or anyone's for a manager)."""

from django.contrib.auth import authenticate
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.auth import lockout_response
from core.models import ApiToken, Channel
from core.tokens import api_token_issue, api_token_revoke, api_tokens_visible_to


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})
    name = serializers.CharField(max_length=100, required=False, default="API token",
                                 help_text="A label to tell your tokens apart.")


_ISSUED = inline_serializer("IssuedToken", {
    "token": serializers.CharField(help_text="Send as `Authorization: Token <token>`. Shown only this once."),
    "expires_at": serializers.DateTimeField(),
})


class ObtainTokenView(APIView):
    """Exchange a username and password for a new API token.

    Failed attempts count towards the sign-in lockout (per account and per
    client address); once locked, the answer is a 429, even for the right password.
    """

    permission_classes = [AllowAny]
    authentication_classes: list = []
    serializer_class = TokenRequestSerializer

    @extend_schema(request=TokenRequestSerializer, responses={
        200: _ISSUED, 400: OpenApiResponse(description="Missing fields or wrong credentials"),
        429: OpenApiResponse(description="Sign-in locked after too many failed attempts"),
    })
    def post(self, request: Request) -> Response:
        form = TokenRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        # The plain Django request: axes marks it when it locks, and its middleware reads the mark.
        django_request = request._request
        user = authenticate(request=django_request, username=form.validated_data["username"],
                            password=form.validated_data["password"])
        if getattr(django_request, "axes_locked_out", False):
            return lockout_response(django_request)
        if user is None:
            raise serializers.ValidationError(
                {"non_field_errors": ["Unable to log in with provided credentials."]}
            )
        token, key = api_token_issue(user=user, name=form.validated_data["name"], actor=user, channel=Channel.API)
        return Response({"token": key, "expires_at": token.expires_at})


class ApiTokenSerializer(serializers.ModelSerializer):
    user = serializers.CharField(source="user.username", read_only=True)
    expired = serializers.BooleanField(source="is_expired", read_only=True)

    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "user", "created_at", "expires_at", "expired", "last_used_at"]
        read_only_fields = fields


class ApiTokenViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """Your API tokens (a manager sees everyone's); DELETE revokes one. Keys are never shown here."""

    serializer_class = ApiTokenSerializer
    # Anyone signed in manages their own tokens, even without a role.
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ApiToken.objects.none()
        return api_tokens_visible_to(self.request.user)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, *args, **kwargs) -> Response:
        api_token_revoke(token=self.get_object(), actor=request.user, channel=Channel.API)
        return Response(status=status.HTTP_204_NO_CONTENT)
