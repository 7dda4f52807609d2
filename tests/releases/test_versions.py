import pytest

from releases.models import Release
from releases.versions import is_older, version_sort_key


@pytest.mark.parametrize(
    "older,newer",
    [
        ("2.9.0", "2.10.0"),
        ("2.4.0-rc1", "2.4.0"),
        ("2.4.0-beta", "2.4.0-rc1"),
        ("2.4.0-rc1", "2.4.0-rc2"),
        ("2.4.0", "2.4.1"),
        ("1.99", "2.0"),
        ("2.4", "2.4.1"),
        ("v2.9", "v2.10"),
    ],
)
def test_versions_sort_by_their_numbers(older, newer):
    assert is_older(older, newer)
    assert not is_older(newer, older)


def test_the_same_version_is_not_older_than_itself():
    assert not is_older("2.10.0", "2.10.0")
    assert version_sort_key(" 2.10.0 ") == version_sort_key("2.10.0")


def test_sorting_by_the_key_gives_release_order():
    versions = ["2.10.0", "2.9.0", "2.10.0-rc1", "10.0.0", "2.9.1"]
    assert sorted(versions, key=version_sort_key) == ["2.9.0", "2.9.1", "2.10.0-rc1", "2.10.0", "10.0.0"]


@pytest.mark.django_db
def test_the_database_orders_releases_by_version_too(product):
    for version in ["2.9.0", "2.10.0", "2.10.0-rc1", "2.8.5"]:
        Release.objects.create(product=product, version=version)
    newest_first = list(Release.objects.filter(product=product).values_list("version", flat=True))
    assert newest_first == ["2.10.0", "2.10.0-rc1", "2.9.0", "2.8.5"]


def test_trailing_zeros_do_not_make_a_different_version():
    assert version_sort_key("2.4") == version_sort_key("2.4.0") == version_sort_key("2.4.0.0")
    assert version_sort_key("2.4-rc1") == version_sort_key("2.4.0-rc1")


def test_a_long_version_still_fits_the_stored_key():
    assert len(version_sort_key(".".join(["1"] * 20))) <= 200
