"""The repository forms of the portal; the service checks and probes what it gets."""

from django import forms

from releases.code.services.repositories import CREDENTIAL_LIMIT
from sync.models import Connection
from tickets.models import Product


class RepositoryForm(forms.Form):
    name = forms.CharField(max_length=60)
    product = forms.ModelChoiceField(queryset=Product.objects.order_by("name"))
    url = forms.CharField(
        label="Repository URL", max_length=500, help_text="https://host/owner/repo.git or ssh://git@host/owner/repo.git"
    )
    credential = forms.CharField(
        required=False, max_length=CREDENTIAL_LIMIT, widget=forms.PasswordInput(render_value=False),
        help_text="A token (or user:token) for https://, a private key for ssh://. Write-only: never shown again.",
    )
    default_branch = forms.CharField(max_length=200, initial="main")
    tag_pattern = forms.CharField(max_length=100, initial="v{version}", help_text="For example billing-{version}.")
    web_url = forms.CharField(
        label="Web address", required=False, max_length=300, help_text="Commits link to <web address>/commit/<sha>."
    )
    connection = forms.ModelChoiceField(
        label="Tracker of #numbers", required=False, queryset=Connection.objects.order_by("name"),
        help_text="The tracker whose issue numbers (#12) the commit messages use.",
    )
    webhook_secret = forms.CharField(
        required=False, max_length=200, widget=forms.PasswordInput(render_value=False),
        help_text="Secret of the push and build webhooks. Write-only.",
    )


class RepositoryEditForm(forms.Form):
    """A manager's changes to a repository. The secrets are write-only: left empty, the stored ones stay."""

    name = forms.CharField(max_length=60)
    default_branch = forms.CharField(max_length=200)
    tag_pattern = forms.CharField(max_length=100, help_text="For example billing-{version}.")
    web_url = forms.CharField(
        label="Web address", required=False, max_length=300, help_text="Commits link to <web address>/commit/<sha>."
    )
    credential = forms.CharField(
        required=False, max_length=CREDENTIAL_LIMIT, widget=forms.PasswordInput(render_value=False),
        help_text="A new token (or user:token) for https://, or private key for ssh://. Empty keeps the stored one.",
    )
    webhook_secret = forms.CharField(
        required=False, max_length=200, widget=forms.PasswordInput(render_value=False),
        help_text="A new secret for the push and build webhooks. Empty keeps the stored one.",
    )

    EDITED = ("name", "default_branch", "tag_pattern", "web_url")

    @classmethod
    def for_repository(cls, repository, data=None) -> "RepositoryEditForm":
        return cls(data, initial={field: getattr(repository, field) for field in cls.EDITED})
