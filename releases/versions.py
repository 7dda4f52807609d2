"""Version strings that sort by their numbers: 2.10.0 comes after 2.9.0."""

import re

_PART = re.compile(r"(\d+)|([^\d.\-+]+)")


def version_sort_key(version: str) -> str:
    """A text key whose plain ordering is the version ordering.

    Numbers are zero-padded to 8 digits; words (rc, beta) sort before the
    release they precede, so 2.4.0-rc1 < 2.4.0. The key is stored and indexed,
    so lists sort in the database.
    """
    parts: list[str] = []
    for number, word in _PART.findall(version.strip().lower()):
        if number:
            parts.append(f"1{int(number):08d}")
        else:
            parts.append(f"0{word[:12]}")
    # A trailing marker ranks the bare release above its pre-releases.
    return ".".join(parts) + ".~"


def is_older(version: str, than: str) -> bool:
    return version_sort_key(version) < version_sort_key(than)
