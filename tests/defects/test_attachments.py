import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from defects.attachments import check_upload, check_uploads

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)
# The start of a Windows executable: "MZ" and a DOS stub.
EXE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48
    + b"This program cannot be run in DOS mode."
)
LOG = b"2024-05-01 10:00:01 ERROR invoice export timed out after 60s\n" * 20


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def refusal(name: str, content: bytes) -> str:
    with pytest.raises(ValidationError) as excinfo:
        check_upload(upload(name, content))
    return " ".join(excinfo.value.message_dict["attachments"])


def test_a_png_screenshot_is_accepted_as_an_image():
    checked = check_upload(upload("screen.png", PNG))
    assert (checked.name, checked.content_type, checked.size) == ("screen.png", "image/png", len(PNG))


def test_html_named_png_is_refused():
    message = refusal("screen.png", b"<html><body><script>alert(1)</script></body></html>")
    assert "screen.png" in message


def test_a_png_named_as_a_log_is_refused_for_not_matching_its_name():
    assert "does not match its name" in refusal("trace.log", PNG)


def test_an_executable_is_refused_whatever_its_name():
    assert "not accepted" in refusal("setup.exe", EXE)
    assert "screenshot.png" in refusal("screenshot.png", EXE)


def test_an_oversized_file_is_refused(settings):
    settings.HANDOFF_MAX_UPLOAD_BYTES = 1024
    assert "limit" in refusal("big.log", b"x" * 1025)


def test_a_file_exactly_at_the_limit_is_accepted(settings):
    settings.HANDOFF_MAX_UPLOAD_BYTES = 1024
    assert check_upload(upload("edge.log", b"x" * 1024)).size == 1024


def test_a_text_log_is_accepted_as_plain_text():
    checked = check_upload(upload("server.log", LOG))
    assert checked.content_type == "text/plain"


def test_binary_content_named_log_is_refused():
    assert "not text" in refusal("server.log", b"\x00\x01\x02\x03binary\xff\xfe" * 10)


def test_an_empty_file_is_refused():
    assert "empty" in refusal("empty.log", b"")


def test_a_path_in_the_name_is_dropped():
    assert check_upload(upload("../../etc/server.log", LOG)).name == "server.log"


def test_errors_are_keyed_by_the_form_field():
    with pytest.raises(ValidationError) as excinfo:
        check_upload(upload("setup.exe", EXE), field="files")
    assert "files" in excinfo.value.message_dict


def test_several_uploads_are_checked_in_turn():
    checked = check_uploads([upload("a.png", PNG), upload("b.log", LOG)])
    assert [c.content_type for c in checked] == ["image/png", "text/plain"]
    assert check_uploads(None) == []
