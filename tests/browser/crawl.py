"""Walking the pages a signed-in user can reach by following links, for the whole-portal checks.

Same-origin GET links only, from the dashboard on; never the admin, the API, downloads,
logging out or webhooks. Pages that differ only by an object's id are one kind of page:
a few of each kind are visited, so the walk stays short however big the data.
"""

import re
from urllib.parse import urldefrag, urlsplit

from django.apps import apps
from django.db import models

SKIP = re.compile(r"^/(admin|api|hooks|media|static|accounts/logout|portal)(/|$)|/attachments?/\d+|[?&]format=csv")
IDS = re.compile(r"/\d+(?=/|$)")


def page_kind(path: str) -> str:
    """'/tickets/12/' and '/tickets/40/' are the same kind of page: '/tickets/N/'."""
    return IDS.sub("/N", path.split("?")[0]) + ("?" if "?" in path else "")


def internal_codes() -> set[str]:
    """What the database stores and people must never read: choice values and field names
    written with underscores (awaiting_engineering, fix_released, fixed_in_release, ...)."""
    codes = {"fix_released", "fixed_in_from_code", "notices_queued", "customer_notified"}
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if not isinstance(field, models.Field):
                continue
            if "_" in field.name and not field.name.endswith("_id"):
                codes.add(field.name)
            for value, _ in field.flatchoices or ():
                if isinstance(value, str) and "_" in value:
                    codes.add(value)
    # Names a person may well read as words.
    return {code for code in codes if code not in {"first_name", "last_name"}}


def links_on(page, origin: str) -> list[str]:
    """The same-origin paths (with their query) that the page's links lead to."""
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    paths = []
    for href in hrefs:
        href, _ = urldefrag(href)
        parts = urlsplit(href)
        if f"{parts.scheme}://{parts.netloc}" != origin or not parts.path:
            continue
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if not SKIP.search(path):
            paths.append(path)
    return paths


def crawl(page, origin: str, *, start: str = "/", per_kind: int = 2, limit: int = 120, visit=None) -> list[str]:
    """Visit the pages reachable from `start`, calling visit(path) on each once it has loaded.

    Up to `per_kind` pages of each kind and `limit` pages in all. Returns the paths visited.
    """
    queue, seen, kinds, visited = [start], {start}, {}, []
    came_from = {start: "(start)"}
    while queue and len(visited) < limit:
        path = queue.pop(0)
        kind = page_kind(path)
        if kinds.get(kind, 0) >= per_kind:
            continue
        kinds[kind] = kinds.get(kind, 0) + 1
        response = page.goto(origin + path)
        assert response is not None and response.status < 400, (
            f"{path}, linked from {came_from[path]}, answered {response and response.status}"
        )
        visited.append(path)
        if visit is not None:
            visit(path)
        for link in links_on(page, origin):
            if link not in seen:
                seen.add(link)
                came_from[link] = path
                queue.append(link)
    return visited
