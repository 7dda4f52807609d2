"""Object URLs for long lists, reversed once per list instead of once per row."""

from functools import lru_cache

from django.urls import get_script_prefix, get_urlconf, reverse

# Stands for a primary key in the reversed URL; digits, as the URLs take <int:pk>.
_MARKER = 9_876_543_210_123


def path_maker(view_name: str):
    """pk -> the path of `view_name` for that object."""
    template = reverse(view_name, args=[_MARKER]).replace(str(_MARKER), "{}")
    return template.format


@lru_cache(maxsize=64)
def _cached_maker(view_name: str, prefix: str, urlconf):
    return path_maker(view_name)


def path_of(view_name: str, pk) -> str:
    """The path of `view_name` for the object `pk`: path_maker's, reversed once per view name
    (and script prefix and URL configuration), for templates that list hundreds of objects."""
    return _cached_maker(view_name, get_script_prefix(), get_urlconf())(pk)
