"""One submission per form: the first post of a token makes, a repeat is told what the first made."""

import pytest
from django.core.exceptions import ValidationError

from core.form_tokens import form_token_new, form_token_once
from core.models import AuditEntry

pytestmark = pytest.mark.django_db


def make_entry() -> AuditEntry:
    return AuditEntry.objects.create(channel="web", content_type_id=1, object_id=1, object_repr="x", action="test")


def test_a_token_makes_once_and_a_repeat_learns_what_was_made():
    token = form_token_new()
    made, earlier = form_token_once(token, make_entry)
    assert (made is not None, earlier) == (True, "")
    again, earlier = form_token_once(token, make_entry)
    assert (again, earlier) == (None, str(made.pk))
    assert AuditEntry.objects.filter(action="test").count() == 1


def test_refused_input_releases_the_token_for_the_corrected_post():
    token = form_token_new()

    def refuse():
        raise ValidationError({"body": "Write something."})

    with pytest.raises(ValidationError):
        form_token_once(token, refuse)
    made, _ = form_token_once(token, make_entry)
    assert made is not None


@pytest.mark.parametrize("token", ["", "short", "not a token at all, with spaces and more than enough"])
def test_without_a_well_formed_token_every_post_makes(token):
    for _ in range(2):
        made, _ = form_token_once(token, make_entry)
        assert made is not None
    assert AuditEntry.objects.filter(action="test").count() == 2


def test_tokens_are_new_each_time():
    assert len({form_token_new() for _ in range(100)}) == 100
