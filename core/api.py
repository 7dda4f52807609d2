"""API plumbing: errors shaped the same way everywhere, and input read strictly."""

from collections.abc import Mapping
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import JSONParser
from rest_framework.reverse import reverse
from rest_framework.views import exception_handler as drf_exception_handler


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This conflicts with the current state."
    default_code = "conflict"


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "too_large"


class BadRequest(APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "The request could not be read."
    default_code = "bad_request"


def exception_handler(exc, context):
    """Every API error as JSON.

    A Django ValidationError raised by a service becomes a 400 with field
    messages. Django's own refusals while reading the request (too many files
    or fields, a body over DATA_UPLOAD_MAX_MEMORY_SIZE) would otherwise fall
    through to the HTML error page; they become a 413 or a 400 here.
    """
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "message_dict"):
            exc = serializers.ValidationError(exc.message_dict)
        else:
            exc = serializers.ValidationError({"non_field_errors": exc.messages})
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, SuspiciousOperation):
        # Django's messages here are safe to show ("The number of files exceeded
        # settings.DATA_UPLOAD_MAX_NUMBER_FILES.") and say what to change.
        exc = BadRequest(str(exc) or BadRequest.default_detail)
    return drf_exception_handler(exc, context)


class StrictJSONParser(JSONParser):
    """DRF's JSON parser with bounds: nesting depth and body size.

    json.load recurses once per level, so `[` repeated 100,000 times raises
    RecursionError (a 500 through the stock parser). No endpoint takes input
    nested more than a few levels, so anything deeper than MAX_DEPTH is refused
    with a 400 before a serializer walks it. The body is refused with a 413
    when Content-Length is over DATA_UPLOAD_MAX_MEMORY_SIZE, which Django
    applies to forms but not to a stream DRF reads itself.
    """

    MAX_DEPTH = 32

    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        request = (parser_context or {}).get("request")
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if request is not None and limit is not None:
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > limit:
                raise PayloadTooLarge(f"The request body is larger than {limit} bytes.")
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(f"JSON parse error - nested deeper than {self.MAX_DEPTH} levels.") from None
        if _depth_exceeds(data, self.MAX_DEPTH):
            raise ParseError(f"JSON parse error - nested deeper than {self.MAX_DEPTH} levels.")
        return data


def _depth_exceeds(data: Any, limit: int) -> bool:
    """Whether lists and objects nest more than `limit` levels (walked without recursion)."""
    pending = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


class IdField(serializers.PrimaryKeyRelatedField):
    """A related object by its id: a whole number (or a string of digits), nothing else.

    DRF's PrimaryKeyRelatedField hands the value to the model field, which turns
    1.5 into 1 and so picks an object the client did not name. Refused here.
    """

    default_error_messages: ClassVar[dict[str, str]] = {
        "incorrect_type": "Incorrect type. Expected an integer id, received {data_type}.",
    }

    def to_internal_value(self, data: Any):
        if isinstance(data, str) and data.strip().isascii() and data.strip().isdigit():
            data = int(data.strip())
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(data)


# Where a row's key goes in a URL reversed once for a whole list (url_maker).
_PLACEHOLDER = "handoff-pk-placeholder"


def url_maker(view_name: str, request, format: str | None = None, *, kwarg: str = "pk"):
    """key -> the absolute URL a HyperlinkedIdentityField writes for it, for this request and format.

    Reversing costs about as much as writing the rest of a list row (URL resolver,
    active language, absolute URI): the URL is reversed once with a placeholder for
    the key, which each row then fills in.
    """
    template = reverse(view_name, kwargs={kwarg: _PLACEHOLDER}, request=request, format=format)
    return lambda key: template.replace(_PLACEHOLDER, str(key))


class ListIdentityField(serializers.HyperlinkedIdentityField):
    """A HyperlinkedIdentityField that reverses its view once per serializer, not per row (url_maker):
    the same URLs as HyperlinkedIdentityField, for the same request and format."""

    def get_url(self, obj, view_name, request, format):
        if obj.pk is None:
            return None
        makers = self.__dict__.setdefault("_url_makers", {})
        key = (id(request), format)
        if key not in makers:
            makers[key] = url_maker(view_name, request, format, kwarg=self.lookup_url_kwarg)
        return makers[key](getattr(obj, self.lookup_field))


# DRF's own fields, so that rows written from values carry dates and times exactly as serializers write them.
MOMENT = serializers.DateTimeField()
DAY = serializers.DateField()


def moment_data(value):
    """A datetime as a serializer writes it (None stays None)."""
    return MOMENT.to_representation(value) if value is not None else None


def day_data(value):
    """A date as a serializer writes it (None stays None)."""
    return DAY.to_representation(value) if value is not None else None


class KnownFieldsOnly:
    """For a PATCH serializer: a field it does not change is a 400 naming it, never silently dropped.

    `elsewhere` maps such a field to where it is changed instead ("Move the status with ...").
    """

    elsewhere: dict[str, str] = {}

    def validate(self, attrs: dict) -> dict:
        sent = self.initial_data if isinstance(self.initial_data, Mapping) else {}
        unknown = sorted(set(sent) - set(self.fields))
        if unknown:
            raise serializers.ValidationError(
                {name: self.elsewhere.get(name, "This field cannot be changed.") for name in unknown}
            )
        return super().validate(attrs)
