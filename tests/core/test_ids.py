import pytest

from core.ids import MAX_ID, id_from_text


@pytest.mark.parametrize("text, expected", [
    ("42", 42), (" 7 ", 7), (str(MAX_ID), MAX_ID),
    ("²", None), ("¹²", None), ("٣", None), ("-3", None), ("4.0", None), ("", None), (None, None),
    (str(MAX_ID + 1), None),
])
def test_an_id_is_ascii_digits_that_fit_a_bigint(text, expected):
    assert id_from_text(text) == expected
