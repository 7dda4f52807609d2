"""Version strings that sort by their numbers: 2.10.0 comes after 2.9.0."""

import re
from functools import lru_cache

_PART = re.compile(r"(\d+)|([^\d.\-+]+)")
_ZERO = f"1{0:08d}"


# A report compares each of its fixes with each customer version: the same few
# hundred strings, keyed again tens of thousands of times.
@lru_cache(maxsize=8192)
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
            _drop_trailing_zeros(parts)
            parts.append(f"0{word[:12]}")
    _drop_trailing_zeros(parts)
    # The end marker sorts above any word (2.4.0-rc1 < 2.4.0) and below any
    # number (2.4 < 2.4.1).
    return ".".join([*parts, "0~"])[:200]


def _drop_trailing_zeros(parts: list[str]) -> None:
    # 2.4, 2.4.0 and 2.4.0.0 are the same version, and so are 2.4-rc1 and 2.4.0-rc1.
    while parts and parts[-1] == _ZERO:
        parts.pop()


def is_older(version: str, than: str) -> bool:
    return version_sort_key(version) < version_sort_key(than)
