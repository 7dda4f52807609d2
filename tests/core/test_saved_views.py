import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from core.models import AuditEntry, Channel, SavedView
from core.saved_views import (
    MAX_PER_LIST,
    normalize_query,
    saved_view_delete,
    saved_view_list,
    saved_view_save,
)

pytestmark = pytest.mark.django_db
TICKETS = SavedView.List.TICKETS


def save(owner, name="Waiting", query="waiting=yes&sort=updated", **kwargs):
    return saved_view_save(owner=owner, list_name=TICKETS, name=name, query=query, channel=Channel.WEB, **kwargs)


def test_a_view_keeps_the_filters_in_order_without_the_page_or_empty_values():
    assert normalize_query("status=open&page=3&q=&sort=-updated&customer=") == "sort=-updated&status=open"
    # Only a list with nothing but empty filters keeps them: the queue's "every team, every status".
    assert normalize_query("team=&status=&page=2") == "status=&team="
    assert normalize_query("Bad Key=1&ok=2&" + "x=" + "y" * 300) == "ok=2"


def test_saving_keeps_a_view_for_its_owner_and_audits_it(agent, other_agent):
    view, created = save(agent, query="page=2&waiting=yes&sort=updated")

    assert created and view.query == "sort=updated&waiting=yes" and not view.shared
    assert [v.name for v in saved_view_list(user=agent, list_name=TICKETS)] == ["Waiting"]
    assert saved_view_list(user=other_agent, list_name=TICKETS) == []
    entry = AuditEntry.objects.get(object_id=view.pk, content_type__model="savedview")
    assert entry.action == "created" and entry.actor == agent and entry.new == "sort=updated&waiting=yes"


def test_saving_the_same_name_again_saves_over_it(agent):
    first, _ = save(agent, query="status=open")
    again, created = save(agent, name="  Waiting ", query="status=new")

    assert not created and again.pk == first.pk
    assert SavedView.objects.get().query == "status=new"
    change = AuditEntry.objects.filter(object_id=first.pk, field="query").get()
    assert (change.old, change.new) == ("status=open", "status=new")


def test_only_managers_share_views_and_everyone_sees_the_shared_ones_first(agent, manager, engineer):
    with pytest.raises(ValidationError) as refused:
        save(agent, name="For all", shared=True)
    assert refused.value.message_dict["shared"] == ["Only managers share views with everyone."]

    save(manager, name="Strategic, waiting", shared=True)
    save(agent, name="Another")

    assert [(v.name, v.shared) for v in saved_view_list(user=agent, list_name=TICKETS)] == [
        ("Strategic, waiting", True), ("Another", False),
    ]
    assert [v.name for v in saved_view_list(user=engineer, list_name=TICKETS)] == ["Strategic, waiting"]
    assert saved_view_list(user=engineer, list_name=SavedView.List.QUEUE) == []


def test_a_view_needs_a_name_and_a_known_list(agent):
    with pytest.raises(ValidationError) as refused:
        saved_view_save(owner=agent, list_name="secrets", name=" ", query="", channel=Channel.WEB)
    assert refused.value.message_dict == {
        "name": ["Give the view a name."], "list": ["Choose one of the lists: Tickets, Defects, Triage queue."],
    }
    assert not SavedView.objects.exists()


def test_a_user_keeps_a_bounded_number_of_views_per_list(agent):
    SavedView.objects.bulk_create(
        [SavedView(owner=agent, list=TICKETS, name=f"View {n}", query=f"q={n}") for n in range(MAX_PER_LIST)]
    )
    with pytest.raises(ValidationError):
        save(agent, name="One too many")


def test_only_the_owner_deletes_a_personal_view_and_only_a_manager_a_shared_one(agent, other_agent, manager):
    mine, _ = save(agent)
    shared, _ = save(manager, name="Team view", shared=True)

    with pytest.raises(PermissionDenied):
        saved_view_delete(view=mine, actor=other_agent, channel=Channel.WEB)
    with pytest.raises(PermissionDenied):
        saved_view_delete(view=shared, actor=agent, channel=Channel.WEB)
    saved_view_delete(view=mine, actor=agent, channel=Channel.WEB)
    saved_view_delete(view=shared, actor=manager, channel=Channel.WEB)

    assert not SavedView.objects.exists()
    assert AuditEntry.objects.filter(action="deleted", content_type__model="savedview").count() == 2


# The pages


def test_saving_the_current_view_from_a_list_page_opens_it_and_lists_it(client, agent):
    client.force_login(agent)
    response = client.post(reverse("saved-view-save"), {
        "list": "tickets", "name": "Mine, waiting", "query": "assignee=me&waiting=yes&page=3",
        "next": "/tickets/?assignee=me&waiting=yes&page=3",
    })

    assert response.status_code == 302 and response.url == "/tickets/?assignee=me&waiting=yes"
    page = client.get(response.url)
    html = page.content.decode()
    assert "Saved the view “Mine, waiting”." in html
    assert '<a href="/tickets/?assignee=me&amp;waiting=yes" aria-current="true">Mine, waiting</a>' in html
    assert '<input type="hidden" name="query" value="assignee=me&amp;waiting=yes">' in html


def test_a_view_without_a_name_is_refused_with_a_message_and_nothing_is_kept(client, agent):
    client.force_login(agent)
    response = client.post(
        reverse("saved-view-save"), {"list": "defects", "name": "", "query": "q=pdf", "next": "/defects/?q=pdf"},
        follow=True,
    )
    assert "Name: This field is required." in response.content.decode()
    assert response.redirect_chain[-1][0] == "/defects/?q=pdf"
    assert not SavedView.objects.exists()


def test_a_view_is_deleted_from_the_list_page_and_another_users_view_is_not_found(client, agent, other_agent):
    view, _ = save(agent)
    client.force_login(other_agent)
    assert client.post(reverse("saved-view-delete", args=[view.pk])).status_code == 404

    client.force_login(agent)
    response = client.post(reverse("saved-view-delete", args=[view.pk]), {"next": "/tickets/?status=open"})
    assert response.status_code == 302 and response.url == "/tickets/?status=open"
    assert not SavedView.objects.exists()


def test_a_shared_view_cannot_be_deleted_by_an_agent_from_the_page(client, agent, manager):
    view, _ = save(manager, shared=True)
    client.force_login(agent)
    assert client.post(reverse("saved-view-delete", args=[view.pk])).status_code == 403
    assert SavedView.objects.exists()


def test_saving_needs_a_role_and_a_post(client, outsider, agent):
    client.force_login(outsider)
    assert client.post(reverse("saved-view-save"), {"list": "tickets", "name": "x"}).status_code == 403
    client.force_login(agent)
    assert client.get(reverse("saved-view-save")).status_code == 405


# The API


def test_the_api_lists_shared_and_own_views_with_the_path_that_opens_them(api, agent, manager, other_agent):
    save(manager, name="Shared", query="status=open", shared=True)
    save(agent, name="Mine", query="sort=-updated")
    save(other_agent, name="Not mine")

    rows = api(agent).get("/api/views/", {"list": "tickets"}).json()["results"]

    assert [(row["name"], row["shared"], row["owner"], row["path"]) for row in rows] == [
        ("Shared", True, manager.username, "/tickets/?status=open"),
        ("Mine", False, agent.username, "/tickets/?sort=-updated"),
    ]
    assert api(agent).get("/api/views/", {"list": "nope"}).status_code == 400


def test_the_api_saves_a_view_then_saves_over_it_and_refuses_sharing_for_non_managers(api, agent):
    body = {"list": "queue", "name": "Needs info", "query": "team=&status=needs_info&page=2"}
    created = api(agent).post("/api/views/", body, format="json")
    assert created.status_code == 201, created.content
    # Every team: the queue reads an absent team as any team once another filter is set.
    assert created.json()["query"] == "status=needs_info"

    again = api(agent).post("/api/views/", {**body, "query": "status=triage"}, format="json")
    assert again.status_code == 200 and again.json()["id"] == created.json()["id"]

    shared = api(agent).post("/api/views/", {**body, "shared": True}, format="json")
    assert shared.status_code == 400 and "shared" in shared.json()
    assert api(agent).post("/api/views/", {"list": "queue", "name": ""}, format="json").status_code == 400


def test_the_api_deletes_only_what_its_caller_may(api, agent, other_agent, manager):
    mine, _ = save(agent)
    shared, _ = save(manager, name="Shared", shared=True)

    assert api(other_agent).delete(f"/api/views/{mine.pk}/").status_code == 404
    assert api(agent).delete(f"/api/views/{shared.pk}/").status_code == 403
    assert api(agent).delete(f"/api/views/{mine.pk}/").status_code == 204
    assert api(manager).delete(f"/api/views/{shared.pk}/").status_code == 204
    assert api(None).get("/api/views/").status_code in (401, 403)
