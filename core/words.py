"""Sentences about counts, in proper English: "1 defect", "2 defects", never "1 defect(s)"."""


def count_of(count: int, noun: str, plural: str | None = None) -> str:
    """'1 defect', '3 defects', '0 defects'; `plural` for nouns that do not take an s."""
    return f"{count} {noun if count == 1 else (plural or noun + 's')}"
