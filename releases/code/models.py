"""Repositories, commits, tags, builds and the first release that contains each fix.

Imported by releases/models.py, so the tables belong to the `releases` app.
Rules live in releases.code.services; reads in releases.code.selectors.
"""

from django.db import models

from core.versions import version_sort_key

SHA_LENGTH = 40


class Repository(models.Model):
    """A git repository of a product, mirrored and read by the portal.

    `credential` (an HTTPS token, or "user:token", or an SSH private key) and
    `webhook_secret` are write-only: stored to fetch and to check deliveries,
    never shown, returned by the API or logged.
    """

    class ScanStatus(models.TextChoices):
        NEVER = "never", "Not scanned yet"
        QUEUED = "queued", "Scan queued"
        RUNNING = "running", "Scanning"
        OK = "ok", "Scanned"
        FAILED = "failed", "Scan failed"

    product = models.ForeignKey("tickets.Product", on_delete=models.PROTECT, related_name="repositories")
    name = models.CharField(max_length=60, unique=True)
    url = models.CharField(max_length=500)
    credential = models.TextField(blank=True, help_text="Token or SSH private key. Write-only: never shown again.")
    default_branch = models.CharField(max_length=200, default="main")
    tag_pattern = models.CharField(
        max_length=100, default="v{version}", help_text="How a release's version appears as a tag: v{version}."
    )
    web_url = models.CharField(
        max_length=300, blank=True, help_text="The repository's web page; commits link to <web_url>/commit/<sha>."
    )
    # The tracker whose issue numbers (#12) the commit messages use; empty: any tracker of the product, when unique.
    connection = models.ForeignKey(
        "sync.Connection", null=True, blank=True, on_delete=models.SET_NULL, related_name="repositories"
    )
    webhook_secret = models.CharField(max_length=200, blank=True, help_text="Push webhook secret. Write-only.")
    scan_status = models.CharField(max_length=10, choices=ScanStatus.choices, default=ScanStatus.NEVER)
    last_scan_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    # Ref name -> commit sha as the last scan saw them: the next scan walks only what is new.
    scanned_refs = models.JSONField(default=dict, blank=True)
    commit_count = models.PositiveIntegerField(default=0)
    # Keys in commit messages that name no defect of this product (another product's, or none), counted.
    ignored_keys = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "repositories"

    def __str__(self) -> str:
        return self.name

    def commit_url(self, sha: str) -> str:
        return f"{self.web_url}/commit/{sha}" if self.web_url else ""


class Commit(models.Model):
    """A commit reachable from a branch or tag of its repository at the last scan."""

    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="commits")
    sha = models.CharField(max_length=SHA_LENGTH)
    parents = models.CharField(max_length=2000, blank=True, help_text="Parent shas, space separated.")
    subject = models.CharField(max_length=300)
    message = models.TextField(blank=True)
    author_name = models.CharField(max_length=200, blank=True)
    author_email = models.CharField(max_length=254, blank=True)
    authored_at = models.DateTimeField()
    committed_at = models.DateTimeField()
    # Two commits with the same patch id make the same change (a cherry-pick without -x).
    patch_id = models.CharField(max_length=SHA_LENGTH, blank=True)
    # The "(cherry picked from commit <sha>)" line that `git cherry-pick -x` writes.
    picked_from = models.CharField(max_length=SHA_LENGTH, blank=True)

    class Meta:
        ordering = ["-committed_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["repository", "sha"], name="commit_unique_sha")]
        indexes = [
            models.Index(fields=["repository", "patch_id"], name="commit_patch_id"),
            models.Index(fields=["repository", "picked_from"], name="commit_picked_from"),
            # A repository's page lists its newest commits: read from the top, not sorted from 80,000.
            models.Index(fields=["repository", "-committed_at", "-id"], name="commit_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.sha[:10]} {self.subject}"

    @property
    def short_sha(self) -> str:
        return self.sha[:10]


class CommitLink(models.Model):
    """A commit names a defect: `fixes` (fixes, closes, resolves) or `refs` (refs, see, a bare key).

    `port_of` is set on a backport: a commit that carries the change of an
    earlier fixing commit (`cherry-pick -x`, or the same patch id).
    """

    class Kind(models.TextChoices):
        FIXES = "fixes", "Fixes"
        REFS = "refs", "Refers to"

    commit = models.ForeignKey(Commit, on_delete=models.CASCADE, related_name="links")
    defect = models.ForeignKey("defects.Defect", on_delete=models.CASCADE, related_name="commit_links")
    kind = models.CharField(max_length=5, choices=Kind.choices)
    key = models.CharField(max_length=120, blank=True, help_text="The key as the message wrote it.")
    port_of = models.ForeignKey(Commit, null=True, blank=True, on_delete=models.SET_NULL, related_name="ports")

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["commit", "defect"], name="commit_link_unique")]
        indexes = [models.Index(fields=["defect", "kind"], name="commit_link_defect")]

    def __str__(self) -> str:
        return f"{self.commit_id} {self.kind} {self.defect_id}"


class Tag(models.Model):
    """A tag that matches the repository's tag pattern: a release's code."""

    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(max_length=250)
    version = models.CharField(max_length=40)
    version_key = models.CharField(max_length=200, editable=False)
    # The maintenance line: the first two numbers of the version (2.3 for 2.3.5).
    line = models.CharField(max_length=40)
    sha = models.CharField(max_length=SHA_LENGTH)
    seen_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["repository_id", "version_key"]
        constraints = [models.UniqueConstraint(fields=["repository", "name"], name="tag_unique_name")]
        indexes = [models.Index(fields=["repository", "version_key"], name="tag_version")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.version_key = version_sort_key(self.version)
        super().save(*args, **kwargs)


class FixRelease(models.Model):
    """Per defect, repository and maintenance line: the first tagged version whose code holds the fix.

    `commit` is the fixing commit the tag holds (an original when the tag has
    one); `backport` says the tag holds only ports of the fix. `inherited`
    marks a line's first version when a lower line held the fix already (2.5.0
    after 2.4.1): true, but not news. Recomputed after every scan.
    """

    defect = models.ForeignKey("defects.Defect", on_delete=models.CASCADE, related_name="fix_releases")
    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="fix_releases")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="+")
    commit = models.ForeignKey(Commit, on_delete=models.CASCADE, related_name="+")
    line = models.CharField(max_length=40)
    version = models.CharField(max_length=40)
    version_key = models.CharField(max_length=200)
    backport = models.BooleanField(default=False)
    inherited = models.BooleanField(default=False)

    class Meta:
        ordering = ["defect_id", "version_key"]
        constraints = [
            models.UniqueConstraint(fields=["defect", "repository", "line"], name="fix_release_unique_line"),
        ]
        indexes = [models.Index(fields=["repository", "version_key"], name="fix_release_version")]

    def __str__(self) -> str:
        return f"{self.defect_id} in {self.version}"


class Build(models.Model):
    """A CI build of a commit. Kept for an unknown commit and linked when a scan brings it."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        PASSED = "passed", "Passed"
        FAILED = "failed", "Failed"

    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="builds")
    sha = models.CharField(max_length=SHA_LENGTH)
    commit = models.ForeignKey(Commit, null=True, blank=True, on_delete=models.SET_NULL, related_name="builds")
    number = models.CharField(max_length=60)
    url = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices)
    version = models.CharField(max_length=40, blank=True)
    source = models.CharField(max_length=20, default="api")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["repository", "number"], name="build_unique_number")]
        indexes = [
            models.Index(fields=["repository", "sha"], name="build_sha"),
            # The API's list, newest first: an index scan of 50 rows, not a sort of every build.
            models.Index(fields=["created_at", "id"], name="build_created"),
        ]

    def __str__(self) -> str:
        return f"{self.repository} build {self.number} ({self.status})"


class CodeDelivery(models.Model):
    """A push or build webhook delivery, stored once per delivery id."""

    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="deliveries")
    delivery_id = models.CharField(max_length=200)
    event = models.CharField(max_length=60)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["repository", "delivery_id"], name="code_delivery_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.repository} {self.event} {self.delivery_id}"
