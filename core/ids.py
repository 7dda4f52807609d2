"""Ids that people type or forms post, read as text."""

# The largest value of a bigint primary key: a longer number names no row, and the
# database would refuse it rather than find nothing.
MAX_ID = 2**63 - 1


def id_from_text(text: str | None) -> int | None:
    """The id `text` writes in ASCII digits, or None.

    str.isdigit() alone lets through digits int() refuses ("²", "¹²") and
    ones it reads as other numbers ("٣" is 3): either crashed a page or found a row
    nobody named.
    """
    text = (text or "").strip()
    if not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if value <= MAX_ID else None
