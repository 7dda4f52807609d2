"""Background work for releases. Tasks are thin: they reload and call a service."""

from celery import shared_task

from releases.models import Release
from releases.services.outreach import release_recover_notices, release_send_notices


@shared_task(name="releases.send_release_notices")
def send_release_notices(release_id: int) -> int:
    """Email every pending notice of the release; safe to run twice (see the service)."""
    release = Release.objects.select_related("product").filter(pk=release_id).first()
    if release is None:
        return 0
    return release_send_notices(release=release)


@shared_task(name="releases.recover_notices")
def recover_release_notices() -> dict[str, int]:
    """Periodic: settle notices a dead sender left `sending` (see release_recover_notices)."""
    return release_recover_notices()
