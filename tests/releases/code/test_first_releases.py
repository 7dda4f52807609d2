"""The first release per maintenance line whose tag holds a fix, with backports."""

from core.models import Channel
from releases.code.models import CommitLink, FixRelease
from releases.code.selectors import fix_first_releases, fix_upgrade_for
from releases.models import Release
from releases.services.releases import release_create
from releases.services.ship import release_ship


def test_a_fix_backported_to_a_maintenance_line_is_first_in_both_lines(lines, scan, defect):
    scan()
    firsts = fix_first_releases([defect.pk])[defect.pk]
    assert [(f.version, f.backport) for f in firsts] == [("2.3.5", True), ("2.4.1", False)]
    port = CommitLink.objects.get(commit__sha=lines["port"])
    assert port.kind == "fixes" and port.port_of.sha == lines["fix"]


def test_later_lines_that_inherit_the_fix_are_kept_apart(lines, scan, defect):
    scan()
    every = fix_first_releases([defect.pk], include_inherited=True)[defect.pk]
    assert [(f.version, f.inherited) for f in every] == [("2.3.5", False), ("2.4.1", False), ("2.5.0", True)]


def test_a_cherry_pick_without_x_is_a_backport_by_its_patch(upstream, scan, defect):
    upstream.tag("v1.0.0")
    upstream.branch("release-1.0")
    upstream.checkout("main")
    fix = upstream.commit(f"fixes {defect.key}", file="calc.txt")
    upstream.tag("v1.1.0")
    upstream.checkout("release-1.0")
    upstream.git("cherry-pick", fix)
    upstream.git("commit", "--amend", "-q", "-m", "Backport the rounding change")  # the key is gone
    upstream.tag("v1.0.1")
    scan()
    firsts = fix_first_releases([defect.pk])[defect.pk]
    assert [(f.version, f.backport) for f in firsts] == [("1.0.1", True), ("1.1.0", False)]


def test_a_merged_branch_brings_its_fix_to_the_tag_after_the_merge(upstream, scan, defect):
    upstream.tag("v3.0.0")
    upstream.branch("topic")
    upstream.commit(f"resolves {defect.key}", file="x.txt")
    upstream.checkout("main")
    upstream.commit("Unrelated", file="y.txt")
    upstream.tag("v3.0.1")
    upstream.merge("topic")
    upstream.tag("v3.0.2")
    scan()
    assert [f.version for f in fix_first_releases([defect.pk])[defect.pk]] == ["3.0.2"]


def test_a_tag_pattern_picks_the_release_tags(upstream, repository, scan, defect):
    from releases.code.services.repositories import repository_update

    repository_update(repository=repository, actor=None, channel=Channel.API, tag_pattern="billing-{version}")
    upstream.commit(f"fixes {defect.key}")
    upstream.tag("v9.9.9")
    upstream.tag("billing-2.6.0")
    scan()
    assert [f.version for f in fix_first_releases([defect.pk])[defect.pk]] == ["2.6.0"]


def test_first_releases_are_recomputed_when_a_new_tag_arrives(upstream, scan, defect):
    upstream.commit(f"fixes {defect.key}")
    scan()
    assert fix_first_releases([defect.pk]) == {}
    upstream.tag("v4.0.1")
    scan()
    assert [f.version for f in fix_first_releases([defect.pk])[defect.pk]] == ["4.0.1"]


def test_a_customer_on_the_maintenance_line_is_told_to_take_the_backport(lines, scan, defect, product, manager):
    for version in ("2.3.5", "2.4.1", "2.5.0"):
        release = release_create(product=product, version=version, actor=manager, channel=Channel.WEB)
        release_ship(release=release, actor=manager, channel=Channel.WEB)
    scan()
    assert fix_upgrade_for([defect.pk], version="2.3.4")[defect.pk].version == "2.3.5"
    assert fix_upgrade_for([defect.pk], version="2.4.0")[defect.pk].version == "2.4.1"
    assert fix_upgrade_for([defect.pk], version="2.2.9")[defect.pk].version == "2.3.5"
    assert fix_upgrade_for([defect.pk], version="2.4.1")[defect.pk] is None
    first = fix_first_releases([defect.pk])[defect.pk][0]
    assert first.release_id == Release.objects.get(version="2.3.5").pk and first.released


def test_a_shipped_release_whose_tag_holds_the_fix_becomes_its_fixed_in_with_the_commit_named(
    lines, scan, defect, product, manager
):
    from core.audit import audit_history

    release = release_create(product=product, version="2.3.5", actor=manager, channel=Channel.WEB)
    release_ship(release=release, actor=manager, channel=Channel.WEB)
    scan()
    defect.refresh_from_db()
    assert defect.fixed_in_release == release
    row = next(a for a in audit_history(defect) if a.action == "fixed_in_from_code")
    assert lines["port"][:10] in row.reason and "v2.3.5" in row.reason
    assert FixRelease.objects.filter(defect=defect).count() == 3


def test_the_original_fix_is_no_backport_even_when_its_pick_is_dated_as_early_or_earlier(upstream, scan, defect):
    upstream.tag("v1.4.0")
    upstream.branch("release-1.4")
    upstream.checkout("main")
    fix = upstream.commit(f"Fix timeout\n\nFixes {defect.key}", file="calc.txt")
    upstream.tag("v1.5.0")
    upstream.checkout("release-1.4")
    upstream.clock -= 30 * 60  # the pick's committer date is half an hour before the original's
    port = upstream.cherry_pick(fix)
    upstream.tag("v1.4.1")

    scan()

    firsts = fix_first_releases([defect.pk])[defect.pk]
    assert [(f.version, f.backport) for f in firsts] == [("1.4.1", True), ("1.5.0", False)]
    original = CommitLink.objects.get(commit__sha=fix)
    assert original.port_of is None
    assert CommitLink.objects.get(commit__sha=port).port_of == original.commit
