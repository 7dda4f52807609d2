"""Registering a product's git repositories: a checked URL, a tag pattern, write-only secrets.

A repository is probed before it is saved: an unreachable URL, a folder that
is not a git repository or a refused credential is a ValidationError keyed
`url` (or `credential`), and nothing is written.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import transaction

from core.audit import audit_changes, audit_record
from core.safe_urls import (
    address_refusal,
    clean_server_url,
    external_link,
    internal_allowed,
)
from releases.code import git
from releases.code.models import Repository
from sync.models import Connection
from tickets.models import Product

SECRET_FIELDS = ("credential", "webhook_secret")
EDITABLE = (
    "name", "product", "url", "credential", "default_branch", "tag_pattern", "web_url", "connection",
    "webhook_secret",
)
_BRANCH = re.compile(r"^(?!/)(?!.*\.\.)(?!.*//)[A-Za-z0-9._/-]{1,200}(?<!/)(?<!\.lock)$")
_PATTERN_TEXT = re.compile(r"^[A-Za-z0-9._/+-]*$")
CREDENTIAL_LIMIT = 20_000


# ---------------------------------------------------------------------- tag patterns
def tag_regex(pattern: str) -> re.Pattern[str]:
    """The tags a pattern matches, with the version as group `version`: v{version} -> ^v(?P<version>...)$."""
    prefix, _, suffix = pattern.partition("{version}")
    return re.compile(rf"^{re.escape(prefix)}(?P<version>\d[0-9A-Za-z.+-]*?){re.escape(suffix)}$")


def validate_tag_pattern(pattern: object) -> str:
    if not isinstance(pattern, str) or not pattern.strip():
        raise ValidationError("Give a tag pattern with {version} in it, for example v{version}.")
    pattern = pattern.strip()
    if pattern.count("{version}") != 1:
        raise ValidationError("The tag pattern must contain {version} exactly once, for example billing-{version}.")
    if len(pattern) > Repository._meta.get_field("tag_pattern").max_length:
        raise ValidationError("The tag pattern is too long.")
    if not _PATTERN_TEXT.match(pattern.replace("{version}", "")):
        raise ValidationError("Around {version}, use only letters, digits and . _ / + -.")
    return pattern


# ---------------------------------------------------------------------- URLs
def _check_host(host: str, port: int | None) -> None:
    allow = internal_allowed()
    try:
        addresses = [str(ipaddress.ip_address(host))]
    except ValueError:
        if allow:
            return  # a name on the office network; link-local literals are refused above
        try:
            addresses = [info[4][0] for info in socket.getaddrinfo(host, port or 22, proto=socket.IPPROTO_TCP)]
        except (OSError, UnicodeError):
            raise ValidationError(f"{host} does not resolve.") from None
    for address in addresses:
        refusal = address_refusal(address, allow_internal=allow)
        if refusal:
            raise ValidationError(refusal)


def clean_repository_url(url: object) -> str:
    """An https:// or ssh:// URL the portal may fetch, or (where internal addresses are allowed) a local path.

    Raises ValidationError saying what is wrong. A user name is allowed in an
    ssh:// URL (git@host); a password never is: it belongs in the credential.
    """
    if not isinstance(url, str) or not url.strip():
        raise ValidationError("Enter the repository's https:// or ssh:// URL.")
    url = url.strip()
    if len(url) > Repository._meta.get_field("url").max_length:
        raise ValidationError("The URL is too long.")
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
        raise ValidationError("A URL may not contain control characters.")
    lowered = url.lower()
    if lowered.startswith(("https://", "http://")):
        if lowered.startswith("http://") and not internal_allowed():
            raise ValidationError("Use https:// (plain http is allowed only for internal servers).")
        return clean_server_url(url)
    if lowered.startswith("ssh://"):
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            raise ValidationError("This is not a valid ssh:// URL.") from None
        if parts.password is not None:
            raise ValidationError("Put the key in the credential, not in the URL.")
        if not parts.hostname or not parts.path.strip("/"):
            raise ValidationError("An ssh:// URL needs a host and a path: ssh://git@host/owner/repo.git.")
        if parts.query or parts.fragment:
            raise ValidationError("A repository URL may not have a query (?) or fragment (#).")
        _check_host(parts.hostname, port)
        return url
    if lowered.startswith("file://") or url.startswith("/"):
        if not internal_allowed():
            raise ValidationError(
                "Local paths and file:// URLs are accepted only where internal addresses are allowed "
                "(HANDOFF_ALLOW_INTERNAL_URLS)."
            )
        path = Path(url[7:] if lowered.startswith("file://") else url)
        if not path.is_absolute() or not path.is_dir():
            raise ValidationError(f"{path} is not a folder on this server.")
        return url
    if re.match(r"^[\w.-]+@[\w.-]+:", url):
        raise ValidationError("Write an scp-style address as ssh://user@host/path.")
    raise ValidationError("Enter an https:// or ssh:// URL.")


def fetch_refusal(url: str) -> str | None:
    """Why the portal may not fetch `url` now, or None when it may.

    Checked before every fetch and probe, not only when the repository is
    saved: a name that resolved to a public address then may resolve to
    127.0.0.1 today. Every address the host resolves to must be global unless
    internal addresses are allowed (link-local and metadata addresses never
    are); a local path or file:// URL needs internal addresses allowed.
    libgit2 resolves the name again when it connects: this narrows the window,
    it does not pin the address (docs/code-traceability.md, Limits).
    """
    allow = internal_allowed()
    lowered = url.lower()
    if not lowered.startswith(("https://", "http://", "ssh://")):
        if allow:
            return None
        return (
            "local paths and file:// URLs are fetched only where internal addresses are allowed "
            "(HANDOFF_ALLOW_INTERNAL_URLS)."
        )
    if lowered.startswith("http://") and not allow:
        return "plain http:// is fetched only where internal addresses are allowed (HANDOFF_ALLOW_INTERNAL_URLS)."
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return "the URL is not valid."
    if not host:
        return "the URL names no host."
    default = {"https": 443, "http": 80, "ssh": 22}[parts.scheme.lower()]
    try:
        infos = socket.getaddrinfo(host, port or default, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return f"{host} does not resolve."
    for info in infos:
        refusal = address_refusal(str(info[4][0]), allow_internal=allow)
        if refusal:
            return f"{host}: {refusal}"
    return None


# ---------------------------------------------------------------------- create and change
def _clean(values: dict[str, Any], *, current: Repository | None) -> dict[str, Any]:
    unknown = sorted(set(values) - set(EDITABLE))
    if unknown:
        raise ValidationError({k: "This field cannot be set." for k in unknown})
    errors: dict[str, list[str]] = {}
    clean = dict(values)

    def check(field: str, fn) -> None:
        if field in clean:
            try:
                clean[field] = fn(clean[field])
            except ValidationError as exc:
                errors[field] = exc.messages

    def name(value: object) -> str:
        text = str(value or "").strip()
        if not text:
            raise ValidationError("This field is required.")
        if len(text) > 60:
            raise ValidationError("A name may be at most 60 characters.")
        taken = Repository.objects.filter(name__iexact=text)
        if current is not None:
            taken = taken.exclude(pk=current.pk)
        if taken.exists():
            raise ValidationError(f"A repository named {text} already exists.")
        return text

    def product(value: object) -> Product:
        if isinstance(value, Product):
            return value
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError("Give a product id.")
        found = Product.objects.filter(pk=value).first()
        if found is None:
            raise ValidationError(f"There is no product {value}.")
        return found

    def branch(value: object) -> str:
        text = str(value or "").strip() or "main"
        if not _BRANCH.match(text):
            raise ValidationError("This is not a valid branch name.")
        return text

    def web_url(value: object) -> str:
        if value in (None, ""):
            return ""
        link = external_link(value)
        if not link:
            raise ValidationError("Enter the repository's http(s) web address, or leave it empty.")
        if len(link) > 300:
            raise ValidationError("The web address is too long.")
        return link.rstrip("/")

    def connection(value: object) -> Connection | None:
        if value in (None, ""):
            return None
        if isinstance(value, Connection):
            return value
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError("Give a tracker connection id.")
        found = Connection.objects.filter(pk=value).first()
        if found is None:
            raise ValidationError(f"There is no tracker connection {value}.")
        return found

    def secret(value: object) -> str:
        if value is None:
            return ""
        if not isinstance(value, str):
            raise ValidationError("Give the secret as text.")
        if len(value) > CREDENTIAL_LIMIT:
            raise ValidationError("This secret is too long.")
        return value.strip()

    check("name", name)
    check("product", product)
    check("url", clean_repository_url)
    check("default_branch", branch)
    check("tag_pattern", validate_tag_pattern)
    check("web_url", web_url)
    check("connection", connection)
    check("credential", secret)
    check("webhook_secret", secret)
    if "webhook_secret" in clean and len(clean["webhook_secret"]) > 200:
        errors["webhook_secret"] = ["A webhook secret may be at most 200 characters."]
    if current is None:
        for required in ("name", "product", "url"):
            if required not in clean and required not in errors:
                errors[required] = ["This field is required."]
    else:
        for kept in SECRET_FIELDS:
            if kept in clean and not clean[kept]:
                clean.pop(kept)  # an empty secret on edit keeps the stored one
    if errors:
        raise ValidationError(errors)
    return clean


def _probe(url: str, credential: str) -> None:
    refusal = fetch_refusal(url)
    if refusal:
        raise ValidationError({"url": f"The repository may not be fetched: {refusal}"})
    with tempfile.TemporaryDirectory(prefix="handoff-probe-") as scratch:
        try:
            git.probe(url=url, credential=credential, scratch=Path(scratch))
        except git.GitError as exc:
            message = str(exc)
            refused = re.search(r"auth|credential|denied|401|403", message, re.IGNORECASE)
            field = "credential" if credential and refused else "url"
            raise ValidationError({field: f"The repository could not be read: {message}"}) from None


def _audited(changes: dict[str, tuple[Any, Any]]) -> dict[str, tuple[Any, Any]]:
    # A secret is recorded as changed, never by value.
    return {k: (("(set)", "(changed)") if k in SECRET_FIELDS else v) for k, v in changes.items()}


def repository_create(*, actor, channel: str, probe: bool = True, **values: Any) -> Repository:
    """A new repository of a product, probed first. Raises ValidationError keyed by field; writes nothing then."""
    clean = _clean(values, current=None)
    clean.setdefault("default_branch", "main")
    clean.setdefault("tag_pattern", "v{version}")
    if probe:
        _probe(clean["url"], clean.get("credential", ""))
    with transaction.atomic():
        repository = Repository.objects.create(**clean)
        audit_record(
            obj=repository, actor=actor, channel=channel, action="created",
            new=f"{repository.product} {repository.url}",
        )
    return repository


def repository_update(*, repository: Repository, actor, channel: str, probe: bool = True, **values: Any) -> Repository:
    """Change only the given fields; a new URL or credential is probed first. Raises ValidationError keyed by field."""
    clean = _clean(values, current=repository)
    if probe and ("url" in clean or "credential" in clean):
        _probe(clean.get("url", repository.url), clean.get("credential", repository.credential))
    with transaction.atomic():
        repository = Repository.objects.select_for_update().get(pk=repository.pk)
        diff = {k: (getattr(repository, k), v) for k, v in clean.items() if getattr(repository, k) != v}
        for field, (_, value) in diff.items():
            setattr(repository, field, value)
        repository.save()
        if diff:
            audit_changes(obj=repository, actor=actor, channel=channel, changes=_audited(diff))
    return repository
