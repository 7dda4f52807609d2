"""The portal's forms. They shape input; the services decide the rules."""

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from core.widgets import LongSelect
from defects.attachments import check_upload
from defects.services.comments import MAX_BODY
from tickets.forms import MultipleFileField, apply_service_errors

__all__ = [
    "InstallationForm", "LinkRequestForm", "NewTicketForm", "NotificationsForm", "PasswordForm", "ReplyForm",
    "SignInForm", "TokenForm", "apply_service_errors",
]


def _checked(uploads) -> list:
    """Each upload checked by content (defects.attachments), every refusal listed."""
    checked, errors = [], []
    for upload in uploads or []:
        try:
            checked.append(check_upload(upload, field="attachments"))
        except ValidationError as exc:
            errors.extend(exc.message_dict["attachments"])
    if errors:
        raise ValidationError(errors)
    return checked


def _files_field() -> MultipleFileField:
    return MultipleFileField(
        label="Screenshots and logs", required=False,
        help_text="Images, PDF, ZIP, gzip or text logs.",
    )


class SignInForm(forms.Form):
    email = forms.EmailField(label="Email address", max_length=254)
    password = forms.CharField(label="Password", strip=False, max_length=4096, widget=forms.PasswordInput)


class LinkRequestForm(forms.Form):
    email = forms.EmailField(label="Email address", max_length=254)


class PasswordForm(forms.Form):
    password = forms.CharField(
        label="New password", strip=False, max_length=4096, widget=forms.PasswordInput,
        help_text="At least 8 characters.",
    )
    again = forms.CharField(label="The same again", strip=False, max_length=4096, widget=forms.PasswordInput)

    def clean(self) -> dict:
        data = super().clean()
        if data.get("password") and data.get("again") is not None and data["password"] != data["again"]:
            self.add_error("again", "The two passwords differ.")
        return data


class _VersionField(forms.ModelChoiceField):
    """Every product's versions: hundreds of options, drawn by one macro (core.widgets.LongSelect)
    from the (pk, choice_label) pairs that portal.selectors.version_choices() reads."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", LongSelect(label_field="choice_label"))
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj) -> str:
        return f"{obj.product.name} {obj.name}"


class NewTicketForm(forms.Form):
    product = forms.ModelChoiceField(label="Product", queryset=None, empty_label="Choose a product")
    version = _VersionField(
        label="Version", required=False, queryset=None, empty_label="Not sure",
        help_text="The version you run, if you know it.",
    )
    subject = forms.CharField(label="Subject", max_length=200)
    description = forms.CharField(
        label="What happened?", max_length=MAX_BODY, widget=forms.Textarea(attrs={"rows": 8}),
        help_text="What you did, what you expected, what happened instead. Markdown is supported.",
    )
    attachments = _files_field()

    def __init__(self, *args, products: QuerySet, versions: QuerySet, **kwargs):
        """`products`, `versions`: portal.selectors.product_choices() and version_choices()."""
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = products
        self.fields["version"].queryset = versions

    def clean_attachments(self) -> list:
        return _checked(self.cleaned_data.get("attachments"))


class ReplyForm(forms.Form):
    body = forms.CharField(
        label="Your reply", max_length=MAX_BODY, widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Markdown is supported.",
    )
    attachments = _files_field()

    def clean_attachments(self) -> list:
        return _checked(self.cleaned_data.get("attachments"))


class InstallationForm(forms.Form):
    product = forms.ModelChoiceField(label="Product", queryset=None, empty_label="Choose a product")
    version = _VersionField(label="Version", required=False, queryset=None, empty_label="Not sure")
    environment = forms.CharField(
        label="Environment", max_length=100, initial="Production", help_text="e.g. Production, Staging, Test.",
    )

    def __init__(self, *args, products: QuerySet, versions: QuerySet, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = products
        self.fields["version"].queryset = versions


class NotificationsForm(forms.Form):
    notify_by_email = forms.BooleanField(
        label="Email me when the status of one of my tickets changes", required=False
    )


class TokenForm(forms.Form):
    name = forms.CharField(label="Name", max_length=100, help_text="A label to tell your tokens apart.")
