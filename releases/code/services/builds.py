"""Recording CI builds: from the API and from GitHub's and GitLab's build webhooks."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import transaction

from core.audit import audit_record
from core.safe_urls import external_link
from releases.code.models import Build, Commit, Repository

SHA_RE = re.compile(r"^[0-9a-f]{40}$")
_VERSION = re.compile(r"^\d[0-9A-Za-z.\-+]*$")


def _clean(*, sha: object, number: object, url: object, status: object, version: object) -> dict:
    errors: dict[str, str] = {}
    sha = str(sha or "").strip().lower()
    if not SHA_RE.match(sha):
        errors["commit"] = "Give the commit's full 40-character sha."
    number = str(number if number is not None else "").strip()
    if not number or len(number) > 60:
        errors["number"] = "Give the build number (at most 60 characters)."
    link = ""
    if url not in (None, ""):
        link = external_link(url)
        if not link or len(link) > 500:
            errors["url"] = "Give the build's http(s) address, or leave it empty."
    if status not in Build.Status.values:
        errors["status"] = f"Choose one of: {', '.join(Build.Status.values)}."
    version = str(version or "").strip()
    if version and (len(version) > 40 or not _VERSION.match(version)):
        errors["version"] = "Give a version such as 2.4.1, or leave it empty."
    if errors:
        raise ValidationError(errors)
    return {"sha": sha, "number": number, "url": link, "status": status, "version": version}


@transaction.atomic
def build_record(
    *, repository: Repository, commit: str, number, status: str, actor, channel: str,
    url: str = "", version: str = "", source: str = "api",
) -> tuple[Build, bool]:
    """Create the build, or update its status, url and version when the number is known. Returns (build, created).

    A build of a commit the portal has not scanned yet is kept; the scan that
    brings the commit links it. Raises ValidationError keyed by field.
    """
    clean = _clean(sha=commit, number=number, url=url, status=status, version=version)
    known = Commit.objects.filter(repository=repository, sha=clean["sha"]).first()
    build = Build.objects.select_for_update().filter(repository=repository, number=clean["number"]).first()
    if build is None:
        build = Build.objects.create(
            repository=repository, sha=clean["sha"], commit=known, number=clean["number"], url=clean["url"],
            status=clean["status"], version=clean["version"], source=source,
        )
        audit_record(obj=build, actor=actor, channel=channel, action="created", new=f"{build.number} {build.status}")
        return build, True
    old = build.status
    build.sha, build.commit, build.status = clean["sha"], known, clean["status"]
    build.url = clean["url"] or build.url
    build.version = clean["version"] or build.version
    build.save()
    if old != build.status:
        audit_record(
            obj=build, actor=actor, channel=channel, action="changed", field="status", old=old, new=build.status
        )
    return build, False
