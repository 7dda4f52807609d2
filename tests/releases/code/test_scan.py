"""Scanning real repositories: commits stored once, linked to defects by words, history rewritten."""

from releases.code.models import Commit, CommitLink


def test_a_scan_stores_every_commit_once_and_rescanning_changes_nothing(upstream, repository, scan):
    upstream.commit("Second")
    first = scan()
    assert first.error == ""
    assert first.new_commits == 2
    again = scan()
    assert again.new_commits == 0
    assert Commit.objects.filter(repository=repository).count() == 2
    assert repository.commit_count == 2 and repository.scan_status == "ok"


def test_fix_words_make_a_fixing_commit_and_ref_words_only_link(upstream, repository, scan, defect, make_defect):
    other = make_defect("Totals wrong in the CSV")
    upstream.commit(f"Round once\n\nFixes {defect.key}, see {other.key}")
    scan()
    links = {link.defect_id: link.kind for link in CommitLink.objects.all()}
    assert links == {defect.pk: "fixes", other.pk: "refs"}


def test_keys_of_no_defect_or_of_another_product_are_ignored_and_counted(upstream, repository, scan, defect):
    from tickets.models import Product

    elsewhere = Product.objects.create(name="Payroll", code="pay")
    from defects.models import Defect

    foreign = Defect.objects.create(
        key="DEF-900", title="x", product=elsewhere, impact="single_user", urgency="blocked", severity="S3"
    )
    upstream.commit(f"fixes {foreign.key} and DEF-99999")
    result = scan()
    assert CommitLink.objects.count() == 0
    assert result.ignored_keys == 2 and repository.ignored_keys == 2


def test_new_commits_only_are_read_on_the_next_scan(upstream, repository, scan, defect):
    scan()
    upstream.commit(f"closes {defect.key}")
    result = scan()
    assert result.new_commits == 1 and result.links == 1


def test_a_force_push_drops_commits_no_longer_reachable(upstream, repository, scan, defect):
    base = upstream.head()
    upstream.commit(f"fixes {defect.key}")
    scan()
    assert CommitLink.objects.filter(defect=defect).exists()
    upstream.git("reset", "-q", "--hard", base)
    upstream.commit("A different change")
    result = scan()
    assert result.dropped_commits == 1
    assert not CommitLink.objects.filter(defect=defect).exists()
    assert Commit.objects.filter(repository=repository).count() == 2


def test_a_deleted_branch_drops_its_commits(upstream, repository, scan):
    upstream.branch("topic")
    upstream.commit("Only on topic")
    upstream.checkout("main")
    scan()
    assert Commit.objects.count() == 2
    upstream.git("branch", "-q", "-D", "topic")
    scan()
    assert Commit.objects.count() == 1


def test_an_unreachable_repository_shows_an_error_on_its_health_and_keeps_what_it_had(upstream, repository, scan):
    import shutil

    scan()
    shutil.rmtree(upstream.path)
    result = scan()
    assert result.error
    assert repository.scan_status == "failed" and "failed" in repository.last_error
    assert Commit.objects.count() == 1


def test_an_enormous_commit_message_is_stored_bounded(upstream, repository, scan, defect):
    upstream.commit(f"Huge\n\nfixes {defect.key}\n" + "x" * 200_000)
    scan()
    commit = Commit.objects.get(subject="Huge")
    assert len(commit.message) == 20_000
    assert CommitLink.objects.filter(defect=defect, kind="fixes").exists()


def test_a_full_rescan_links_keys_of_defects_made_after_the_commit(upstream, repository, scan, make_defect):
    # A key is its defect's id: the next one follows the newest (PostgreSQL's
    # sequences do not restart between tests, so counting rows would not do).
    next_key = f"DEF-{make_defect('The newest so far').pk + 1}"
    upstream.commit(f"fixes {next_key}")
    scan()
    defect = make_defect("Made after the commit")
    assert defect.key == next_key
    scan(full=True)
    assert CommitLink.objects.filter(defect=defect, kind="fixes").exists()


def test_twin_keys_of_github_and_gitlab_link_a_defect_and_so_does_a_gitlab_number(
    upstream, repository, scan, defect, make_defect
):
    from tests.factories import add_twin, connect

    on_github, on_gitlab = make_defect("Totals wrong in the CSV"), make_defect("Empty rows in the CSV")
    github = connect(name="GitHub", kind="github", base_url="https://github.example", project="acme/billing")
    gitlab = connect(name="GitLab", kind="gitlab", base_url="https://gitlab.example", project="acme/apps/billing")
    add_twin(on_github, github, key="acme/billing#4", url="https://github.example/acme/billing/issues/4",
             external_id="4")
    add_twin(on_gitlab, gitlab, key="acme/apps/billing#7", url="https://gitlab.example/acme/apps/billing/-/issues/7",
             external_id="7")
    add_twin(defect, gitlab, key="acme/apps/billing#8", url="https://gitlab.example/acme/apps/billing/-/issues/8",
             external_id="8")
    upstream.commit("Fixes acme/billing#4 and acme/apps/billing#7\n\nRefs #8")

    result = scan()

    links = {link.defect_id: link.kind for link in CommitLink.objects.all()}
    assert links == {on_github.pk: "fixes", on_gitlab.pk: "fixes", defect.pk: "refs"}
    assert result.ignored_keys == 0
