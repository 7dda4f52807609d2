"""Checking uploads by their content, not only by their name."""

from dataclasses import dataclass
from pathlib import PurePath

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse, Http404

# Detected type -> the extensions a file of that type may carry.
BINARY_TYPES: dict[str, set[str]] = {
    "image/png": {".png"},
    "image/jpeg": {".jpg", ".jpeg"},
    "image/gif": {".gif"},
    "image/webp": {".webp"},
    "application/pdf": {".pdf"},
    "application/zip": {".zip"},
    "application/gzip": {".gz", ".tgz"},
}
# Checked image types a page may show as a preview (<img>); never SVG, which can carry script.
PREVIEW_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
TEXT_EXTENSIONS = {".txt", ".log", ".csv", ".json", ".xml", ".yaml", ".yml", ".har", ".out", ".trace"}
_SNIFF_BYTES = 64 * 1024


@dataclass(frozen=True)
class CheckedFile:
    upload: UploadedFile
    name: str
    content_type: str
    size: int


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sniffed block is fine.
        return exc.start >= len(head) - 4
    return True


NAME_LIMIT = 200  # Attachment.name's max_length


def _short_name(name: str, limit: int = NAME_LIMIT) -> str:
    """The name cut to `limit` characters in its stem, so its extension (which the check reads) stays.

    A "suffix" too long to be an extension is not one: that name is simply cut.
    """
    if len(name) <= limit:
        return name
    path = PurePath(name)
    suffix = path.suffix
    if not suffix or len(suffix) > 16:
        return name[:limit]
    return path.stem[: limit - len(suffix)] + suffix


def check_upload(upload: UploadedFile, *, field: str = "attachments") -> CheckedFile:
    """Accept screenshots, PDFs, archives and text logs; refuse anything else.

    Raises ValidationError keyed by `field` for an oversized file, an unknown
    type, or a file whose content does not match its name.
    """
    name = _short_name(PurePath(upload.name or "upload").name) or "upload"
    ext = PurePath(name).suffix.lower()
    limit = settings.HANDOFF_MAX_UPLOAD_BYTES
    if upload.size is None or upload.size > limit:
        raise ValidationError(
            {field: f"{name} is larger than the {limit // (1024 * 1024) or limit} MB limit."
             if limit >= 1024 * 1024 else f"{name} is larger than the {limit}-byte limit."}
        )
    if upload.size == 0:
        raise ValidationError({field: f"{name} is empty."})
    upload.seek(0)
    head = upload.read(_SNIFF_BYTES)
    upload.seek(0)
    kind = filetype.guess(head)
    if kind is not None:
        allowed_ext = BINARY_TYPES.get(kind.mime)
        if allowed_ext is None:
            raise ValidationError({field: f"{name}: files of type {kind.mime} are not accepted."})
        if ext not in allowed_ext:
            raise ValidationError(
                {field: f"{name}: its content is {kind.mime}, which does not match its name."}
            )
        return CheckedFile(upload=upload, name=name, content_type=kind.mime, size=upload.size)
    if ext in TEXT_EXTENSIONS and _looks_like_text(head):
        return CheckedFile(upload=upload, name=name, content_type="text/plain", size=upload.size)
    if ext in TEXT_EXTENSIONS:
        raise ValidationError({field: f"{name}: its content is not text, which does not match its name."})
    raise ValidationError(
        {field: f"{name}: only images (PNG, JPEG, GIF, WebP), PDF, ZIP, gzip and text logs are accepted."}
    )


def check_uploads(uploads, *, field: str = "attachments") -> list[CheckedFile]:
    return [check_upload(u, field=field) for u in uploads or ()]


def download_response(attachment, *, inline: bool = False) -> FileResponse:
    """A stored attachment as the response that serves it: a download unless `inline`, its type as
    checked at upload and never sniffed. Http404 when the file is gone from storage."""
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file is missing from storage.") from None
    response = FileResponse(
        handle, as_attachment=not inline, filename=attachment.name, content_type=attachment.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
