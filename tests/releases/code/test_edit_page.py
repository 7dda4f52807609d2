"""Managers change a repository through its edit page: checked fields, write-only secrets, an audit row per change."""

import pytest

from core.audit import audit_history
from core.models import Channel
from releases.code.models import Repository
from releases.code.services.repositories import repository_create

pytestmark = pytest.mark.django_db


def _form(repository, **changes):
    return {
        "name": repository.name, "default_branch": repository.default_branch,
        "tag_pattern": repository.tag_pattern, "web_url": repository.web_url, "credential": "",
        "webhook_secret": "", **changes,
    }


def _changes(repository) -> dict[str, tuple[str, str]]:
    rows = audit_history(repository).filter(action="changed", channel=Channel.WEB)
    return {row.field: (row.old, row.new) for row in rows}


def test_the_edit_page_shows_the_current_values_but_never_the_secrets(as_user, manager, repository):
    Repository.objects.filter(pk=repository.pk).update(credential="tok-very-secret")
    page = as_user(manager).get(f"/releases/repositories/{repository.pk}/edit/").content.decode()
    assert 'value="billing"' in page and 'value="v{version}"' in page
    assert "tok-very-secret" not in page and "s3cret-hook" not in page
    assert "credential set" in page and "webhook secret set" in page


def test_a_manager_changes_the_name_branch_pattern_and_web_address_each_audited(as_user, manager, repository):
    response = as_user(manager).post(f"/releases/repositories/{repository.pk}/edit/", _form(
        repository, name="billing-core", default_branch="trunk", tag_pattern="billing-{version}",
        web_url="https://git.example.com/acme/billing-core",
    ))
    assert response.status_code == 302 and response.url == f"/releases/repositories/{repository.pk}/"
    repository.refresh_from_db()
    assert (repository.name, repository.default_branch, repository.tag_pattern, repository.web_url) == (
        "billing-core", "trunk", "billing-{version}", "https://git.example.com/acme/billing-core"
    )
    assert _changes(repository) == {
        "name": ("billing", "billing-core"),
        "default_branch": ("main", "trunk"),
        "tag_pattern": ("v{version}", "billing-{version}"),
        "web_url": ("https://git.example.com/acme/billing", "https://git.example.com/acme/billing-core"),
    }


def test_empty_secrets_keep_the_stored_ones_and_new_ones_are_audited_without_their_value(
    as_user, manager, repository
):
    as_user(manager).post(f"/releases/repositories/{repository.pk}/edit/", _form(repository))
    repository.refresh_from_db()
    assert repository.webhook_secret == "s3cret-hook" and _changes(repository) == {}

    response = as_user(manager).post(
        f"/releases/repositories/{repository.pk}/edit/", _form(repository, webhook_secret="a-new-hook-secret")
    )
    assert response.status_code == 302
    repository.refresh_from_db()
    assert repository.webhook_secret == "a-new-hook-secret"
    assert _changes(repository) == {"webhook_secret": ("(set)", "(changed)")}
    assert not audit_history(repository).filter(new__contains="a-new-hook-secret").exists()


@pytest.mark.parametrize("change,message", [
    ({"tag_pattern": "release"}, "{version}"),
    ({"web_url": "javascript:alert(1)"}, "web address"),
    ({"default_branch": "bad..branch"}, "not a valid branch name"),
    ({"name": ""}, "This field is required"),
])
def test_bad_input_is_shown_beside_its_field_and_changes_nothing(as_user, manager, repository, change, message):
    response = as_user(manager).post(f"/releases/repositories/{repository.pk}/edit/", _form(repository, **change))
    assert response.status_code == 400
    assert message in response.content.decode()
    repository.refresh_from_db()
    assert repository.name == "billing" and repository.tag_pattern == "v{version}"
    assert _changes(repository) == {}


def test_a_name_taken_by_another_repository_is_refused(as_user, manager, repository, upstream, product):
    repository_create(actor=manager, channel=Channel.API, name="payroll", product=product, url=str(upstream.path))
    response = as_user(manager).post(f"/releases/repositories/{repository.pk}/edit/", _form(repository, name="Payroll"))
    assert response.status_code == 400 and "already exists" in response.content.decode()


def test_only_managers_edit(as_user, agent, engineer, repository):
    for user in (agent, engineer):
        assert as_user(user).get(f"/releases/repositories/{repository.pk}/edit/").status_code == 403
        assert as_user(user).post(
            f"/releases/repositories/{repository.pk}/edit/", _form(repository, name="x")
        ).status_code == 403
    repository.refresh_from_db()
    assert repository.name == "billing"
