"""Shapes of repositories, commits, builds and first releases in the API."""

from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers

from core.api import IdField
from releases.code.models import Build, CommitLink, Repository
from sync.models import Connection
from tickets.models import Product


class FirstReleaseSerializer(serializers.Serializer):
    """The first release of a maintenance line whose tag holds the fix."""

    version = serializers.CharField()
    line = serializers.CharField(help_text="The maintenance line: 2.3 for 2.3.5.")
    release = serializers.IntegerField(allow_null=True, help_text="The portal's release of that version, if any.")
    released = serializers.BooleanField()
    backport = serializers.BooleanField(help_text="The tag holds a port of the fix (cherry-pick), not the original.")
    repository = serializers.CharField()
    commit = serializers.CharField()


def first_releases_data(firsts) -> list[dict]:
    return [first.as_dict() for first in firsts]


class RepositorySerializer(serializers.ModelSerializer):
    """A repository as every role reads it: the secrets only as has_credential / has_webhook_secret."""

    product_name = serializers.CharField(source="product.name", read_only=True)
    has_credential = serializers.SerializerMethodField()
    has_webhook_secret = serializers.SerializerMethodField()
    webhook_url = serializers.SerializerMethodField()

    class Meta:
        model = Repository
        fields = [
            "id", "name", "product", "product_name", "url", "default_branch", "tag_pattern", "web_url",
            "connection", "has_credential", "has_webhook_secret", "webhook_url", "scan_status", "last_scan_at",
            "last_success_at", "last_error", "last_error_at", "commit_count", "ignored_keys", "created_at",
        ]
        read_only_fields = fields

    def get_has_credential(self, obj: Repository) -> bool:
        return bool(obj.credential)

    def get_has_webhook_secret(self, obj: Repository) -> bool:
        return bool(obj.webhook_secret)

    def get_webhook_url(self, obj: Repository) -> str:
        path = reverse("repository-webhook", args=[obj.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class RepositoryWriteSerializer(serializers.Serializer):
    """What a manager sends; the service checks the URL, probes it and checks the tag pattern."""

    name = serializers.CharField(max_length=60)
    product = IdField(queryset=Product.objects.all())
    url = serializers.CharField(max_length=500, help_text="https://, ssh://, or a local path where allowed.")
    default_branch = serializers.CharField(max_length=200, required=False, default="main")
    tag_pattern = serializers.CharField(max_length=100, required=False, default="v{version}")
    web_url = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    connection = IdField(queryset=Connection.objects.all(), required=False, allow_null=True, default=None)
    credential = serializers.CharField(
        required=False, allow_blank=True, trim_whitespace=False, write_only=True, max_length=20_000,
        help_text="Token (or user:token) for https://, private key for ssh://. Write-only: never returned.",
    )
    webhook_secret = serializers.CharField(
        required=False, allow_blank=True, write_only=True, max_length=200,
        help_text="Secret of the push and build webhooks. Write-only: never returned.",
    )


class ScanRequestSerializer(serializers.Serializer):
    full = serializers.BooleanField(
        required=False, default=False, help_text="Read every commit's message again, not only new commits."
    )


class BuildSerializer(serializers.ModelSerializer):
    repository_name = serializers.CharField(source="repository.name", read_only=True)
    commit = serializers.CharField(source="sha", read_only=True)
    commit_known = serializers.SerializerMethodField()

    class Meta:
        model = Build
        fields = [
            "id", "repository", "repository_name", "commit", "commit_known", "number", "url", "status", "version",
            "source", "created_at", "updated_at",
        ]
        read_only_fields = fields

    def get_commit_known(self, obj: Build) -> bool:
        return obj.commit_id is not None


class BuildWriteSerializer(serializers.Serializer):
    repository = IdField(queryset=Repository.objects.all())
    commit = serializers.CharField(max_length=40, help_text="The commit's full sha.")
    number = serializers.CharField(max_length=60)
    url = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    status = serializers.ChoiceField(choices=Build.Status.choices)
    version = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")


class CommitSerializer(serializers.Serializer):
    sha = serializers.CharField()
    short_sha = serializers.CharField()
    subject = serializers.CharField()
    author = serializers.CharField()
    committed_at = serializers.DateTimeField()
    url = serializers.CharField(help_text="The commit's page, when the repository has a web address.")
    repository = serializers.CharField()
    kind = serializers.ChoiceField(choices=CommitLink.Kind.choices)
    backport = serializers.BooleanField()


class DefectCodeSerializer(serializers.Serializer):
    commits = CommitSerializer(many=True)
    first_releases = FirstReleaseSerializer(many=True)
    builds = BuildSerializer(many=True)
