"""Hand and code agree when a release ships: the tag is checked against what is marked fixed in it."""

import pytest

from core.models import Channel
from defects.services.changes import defect_update
from releases.services.releases import release_create


@pytest.fixture
def planned(product, manager):
    return release_create(product=product, version="2.6.0", actor=manager, channel=Channel.WEB)


def test_a_marked_defect_whose_fix_misses_the_tag_needs_a_reason_to_ship(
    api, manager, engineer, upstream, scan, defect, planned
):
    upstream.tag("v2.6.0")
    upstream.commit(f"fixes {defect.key}")  # after the tag: the build cut before the fix
    scan()
    defect_update(defect=defect, actor=engineer, channel=Channel.WEB, fixed_in_release=planned)
    response = api(manager).post(f"/api/releases/{planned.pk}/ship/", {}, format="json")
    assert response.status_code == 400 and defect.key in response.json()["reason"][0]
    planned.refresh_from_db()
    assert planned.status == "planned"
    response = api(manager).post(
        f"/api/releases/{planned.pk}/ship/", {"reason": "Hotfix goes out separately"}, format="json"
    )
    assert response.status_code == 200


def test_the_ship_preview_lists_missing_fixes_and_offers_unmarked_ones(
    as_user, manager, engineer, upstream, scan, defect, make_defect, planned
):
    other = make_defect("Export header missing")
    defect_update(defect=defect, actor=engineer, channel=Channel.WEB, fixed_in_release=planned)
    upstream.commit(f"fixes {other.key}")
    upstream.tag("v2.6.0")
    scan()
    page = as_user(manager).get(f"/releases/{planned.pk}/ship/").content.decode()
    assert "does not contain their fix" in page and defect.key in page
    assert f"/releases/{planned.pk}/mark-fixed/{other.pk}/" in page
    response = as_user(manager).post(f"/releases/{planned.pk}/mark-fixed/{other.pk}/")
    assert response.status_code == 302
    other.refresh_from_db()
    assert other.fixed_in_release == planned


def test_shipping_a_release_whose_tag_holds_a_fix_fills_fixed_in(api, manager, upstream, scan, defect, planned):
    upstream.commit(f"fixes {defect.key}")
    upstream.tag("v2.6.0")
    scan()
    assert api(manager).post(f"/api/releases/{planned.pk}/ship/", {}, format="json").status_code == 200
    defect.refresh_from_db()
    assert defect.fixed_in_release == planned
