import pytest

from core.versions import is_older, version_sort_key
from releases.models import Release
from releases.services.releases import next_planned_release


@pytest.mark.parametrize(
    "older,newer",
    [("2.9.0", "2.10.0"), ("2.4.0-rc1", "2.4.0"), ("2.4.0-beta", "2.4.0-rc1"), ("2.4", "2.4.1"), ("9.9.9", "10.0")],
)
def test_versions_order_by_their_numbers_not_as_text(older, newer):
    assert is_older(older, newer)
    assert not is_older(newer, older)
    assert version_sort_key(older) < version_sort_key(newer)


@pytest.mark.django_db
def test_the_next_planned_release_is_the_nearest_later_one_still_planned(product, release):
    Release.objects.create(product=product, version="2.10.0")
    nearest = Release.objects.create(product=product, version="2.9.0")
    Release.objects.create(product=product, version="2.5.0", status="released", released_at="2026-01-01T00:00Z")
    Release.objects.create(product=product, version="2.3.0")
    assert next_planned_release(release) == nearest
