"""Hand and code agree: "fixed in" filled from the code, and a ship checked against its tag."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction

from core.audit import audit_record
from defects.models import Defect
from defects.services.changes import defect_update
from releases.code.keys import FIXES
from releases.code.models import CommitLink, FixRelease, Repository, Tag
from releases.code.services.firsts import _tag_masks
from releases.models import Release

CHANNEL = "code"


def fixed_in_from_code(*, repository_id: int | None = None, release: Release | None = None) -> list[Defect]:
    """Give "fixed in" to defects without one whose fix first reached a shipped release's tag.

    For the repository's product (or only `release`): a defect whose first
    release on a line is a shipped release, and whose "fixed in" is empty,
    gets that release (the lowest such version), with an audit row naming the
    commit. Returns the defects changed.
    """
    rows = FixRelease.objects.filter(inherited=False, defect__fixed_in_release=None).select_related(
        "commit", "tag", "repository"
    )
    if repository_id is not None:
        rows = rows.filter(repository_id=repository_id)
    if release is not None:
        rows = rows.filter(repository__product_id=release.product_id, version_key=release.version_key)
    rows = list(rows.order_by("defect_id", "version_key"))
    if not rows:
        return []
    products = {row.repository.product_id for row in rows}
    shipped = {
        (r.product_id, r.version_key): r
        for r in Release.objects.filter(product_id__in=products, status=Release.Status.RELEASED)
    }
    changed: list[Defect] = []
    done: set[int] = set()
    for row in rows:
        target = shipped.get((row.repository.product_id, row.version_key))
        if target is None or row.defect_id in done:
            continue
        done.add(row.defect_id)
        with transaction.atomic():
            defect = Defect.objects.select_for_update().get(pk=row.defect_id)
            if defect.fixed_in_release_id is not None or defect.product_id != target.product_id:
                continue
            defect = defect_update(defect=defect, actor=None, channel=CHANNEL, fixed_in_release=target)
            audit_record(
                obj=defect, actor=None, channel=CHANNEL, action="fixed_in_from_code", field="fixed_in_release",
                new=target.version,
                reason=f"Commit {row.commit.sha[:10]} ({row.commit.subject[:120]}) of {row.repository.name} "
                f"is in tag {row.tag.name}.",
            )
            changed.append(defect)
    return changed


@dataclass
class ShipCheck:
    """What the code says about shipping a release."""

    tags: list[Tag] = field(default_factory=list)
    # Marked "fixed in" this release, but the tag holds none of their fixing commits.
    missing: list[Defect] = field(default_factory=list)
    # The tag brings their fix to this line first, but they are not marked.
    unmarked: list[Defect] = field(default_factory=list)
    repositories: list[Repository] = field(default_factory=list)

    @property
    def has_warnings(self) -> bool:
        return bool(self.missing)


def _release_tags(release: Release) -> list[Tag]:
    return list(
        Tag.objects.filter(repository__product_id=release.product_id, version_key=release.version_key)
        .select_related("repository").order_by("repository__name")
    )


def ship_check(release: Release) -> ShipCheck:
    """Compare the defects marked "fixed in" `release` with what its tag (in each repository) holds."""
    repositories = list(Repository.objects.filter(product_id=release.product_id).order_by("name"))
    check = ShipCheck(repositories=repositories, tags=_release_tags(release))
    if not repositories or not check.tags:
        return check
    marked = list(Defect.objects.filter(fixed_in_release=release).order_by("severity", "key"))
    fixing = CommitLink.objects.filter(
        defect__in=marked, kind=FIXES, commit__repository__in=[t.repository_id for t in check.tags]
    ).values_list("defect_id", "commit_id")
    by_defect: dict[int, set[int]] = {}
    for defect_id, commit_id in fixing:
        by_defect.setdefault(defect_id, set()).add(commit_id)
    contained: set[int] = set()
    for tag in check.tags:
        _, mask = _tag_masks(tag.repository, [tag])
        contained |= {pk for pk, bits in mask.items() if bits}
    check.missing = [d for d in marked if not (by_defect.get(d.pk, set()) & contained)]
    marked_ids = {d.pk for d in marked}
    firsts = FixRelease.objects.filter(
        tag__in=check.tags, inherited=False
    ).exclude(defect_id__in=marked_ids).values_list("defect_id", flat=True)
    check.unmarked = list(Defect.objects.filter(pk__in=set(firsts)).order_by("severity", "key"))
    return check


def ship_require_reason(*, release: Release, reason: str) -> ShipCheck:
    """Raise ValidationError (`reason`) when the tag lacks fixes marked for the release and no reason is given."""
    check = ship_check(release)
    if check.has_warnings and not (reason or "").strip():
        keys = ", ".join(d.key for d in check.missing[:10])
        raise ValidationError({
            "reason": f"The tag of {release.version} does not contain the fix of {keys}; "
            "give a reason to ship anyway."
        })
    return check


def release_tag_waiting(release: Release) -> list[Tag]:
    """Tags of a planned release: its code is tagged, so it can be shipped."""
    if release.status != Release.Status.PLANNED:
        return []
    return _release_tags(release)




def defect_mark_fixed_from_code(*, defect: Defect, release: Release, actor, channel: str) -> Defect:
    """Mark `defect` fixed in `release` because the release's tag holds its fix; audited with the commit.

    Raises ValidationError (`fixed_in_release`) when the tag does not bring the fix.
    """
    row = (
        FixRelease.objects.filter(
            defect=defect, repository__product_id=release.product_id, version_key=release.version_key
        ).select_related("commit", "tag", "repository").first()
    )
    if row is None:
        raise ValidationError({"fixed_in_release": f"No tag of {release.version} brings the fix of {defect.key}."})
    with transaction.atomic():
        defect = defect_update(defect=defect, actor=actor, channel=channel, fixed_in_release=release)
        audit_record(
            obj=defect, actor=actor, channel=channel, action="fixed_in_from_code", field="fixed_in_release",
            new=release.version,
            reason=f"Commit {row.commit.sha[:10]} ({row.commit.subject[:120]}) of {row.repository.name} "
            f"is in tag {row.tag.name}.",
        )
    return defect
