"""The request pages: sending from a ticket, the queue, a request, the report."""

import pytest

from enhancements.models import EnhancementRequest, TicketRequestLink
from enhancements.services.requests import request_link_ticket
from tests.factories import request_from


def test_an_agent_sends_a_request_from_the_ticket_page(as_user, agent, ticket):
    page = as_user(agent).get(f"/tickets/{ticket.pk}/")
    assert b"Send an enhancement request" in page.content
    form = as_user(agent).get(f"/requests/from-ticket/{ticket.pk}/")
    assert form.status_code == 200
    answer = as_user(agent).post(f"/requests/from-ticket/{ticket.pk}/", {
        "title": "VAT per line", "problem": "Accountants need it.", "importance": "important",
    })
    assert answer.status_code == 302
    request = EnhancementRequest.objects.get()
    page = as_user(agent).get(f"/tickets/{ticket.pk}/")
    assert request.key.encode() in page.content


def test_a_bad_form_is_a_400_and_writes_nothing(as_user, agent, ticket):
    answer = as_user(agent).post(f"/requests/from-ticket/{ticket.pk}/", {"title": "", "importance": "x"})
    assert answer.status_code == 400
    assert not EnhancementRequest.objects.exists()


def test_the_send_page_offers_similar_requests_to_join(as_user, agent, make_ticket, other_customer):
    request = request_from(make_ticket(), agent, title="Invoice export with VAT")
    other = make_ticket(customer=other_customer, subject="Invoice export should show VAT")
    page = as_user(agent).get(f"/requests/from-ticket/{other.pk}/")
    assert request.key.encode() in page.content and b"Add this ticket to it" in page.content
    answer = as_user(agent).post(
        f"/requests/from-ticket/{other.pk}/join/", {"request": request.pk, "importance": "blocks_deal"}
    )
    assert answer.status_code == 302
    assert TicketRequestLink.objects.filter(request=request).count() == 2


def test_the_queue_is_for_product_managers_and_managers(as_user, agent, engineer, product_manager, manager):
    assert as_user(agent).get("/requests/").status_code == 403
    assert as_user(engineer).get("/requests/").status_code == 403
    assert as_user(product_manager).get("/requests/").status_code == 200
    assert as_user(manager).get("/requests/").status_code == 200


def test_the_queue_shows_why_and_bulk_plans(as_user, agent, product_manager, make_ticket, release):
    one = request_from(make_ticket(), agent, title="One")
    two = request_from(make_ticket(), agent, title="Two")
    page = as_user(product_manager).get("/requests/")
    assert b"Acme Corp <span class=\"muted\">(Standard)</span>: Important" in page.content
    answer = as_user(product_manager).post("/requests/", {"requests": [one.pk, two.pk], "to": "under_review"})
    assert answer.status_code == 302
    assert set(EnhancementRequest.objects.values_list("status", flat=True)) == {"under_review"}
    refused = as_user(product_manager).post("/requests/", {"requests": [one.pk, two.pk], "to": "delivered"})
    assert refused.status_code == 400
    assert set(EnhancementRequest.objects.values_list("status", flat=True)) == {"under_review"}
    answer = as_user(product_manager).post(
        "/requests/", {"requests": [one.pk, two.pk], "to": "planned", "target_release": release.pk}
    )
    assert answer.status_code == 302
    assert set(EnhancementRequest.objects.values_list("target_release", flat=True)) == {release.pk}


def test_merging_duplicates_from_the_queue(as_user, agent, product_manager, make_ticket, other_customer):
    kept = request_from(make_ticket(), agent, title="Kept")
    dup = request_from(make_ticket(customer=other_customer), agent, title="Dup")
    merge = {"requests": [dup.pk], "to": "duplicate", "duplicate_of": kept.pk}
    answer = as_user(product_manager).post("/requests/", merge)
    assert answer.status_code == 302
    kept.refresh_from_db()
    assert kept.customer_count == 2


def test_a_product_manager_plans_on_the_request_page(as_user, agent, product_manager, engineer, ticket, release):
    request = request_from(ticket, agent)
    assert as_user(engineer).post(f"/requests/{request.pk}/", {"to": "under_review"}).status_code == 403
    as_user(product_manager).post(f"/requests/{request.pk}/", {"to": "under_review"})
    answer = as_user(product_manager).post(f"/requests/{request.pk}/", {"to": "planned"})
    assert answer.status_code == 400
    answer = as_user(product_manager).post(f"/requests/{request.pk}/", {"to": "planned", "target_release": release.pk})
    assert answer.status_code == 302
    page = as_user(agent).get(f"/tickets/{ticket.pk}/")
    assert b"Planned for 2.4.0 (estimate, not a promise)" in page.content


@pytest.mark.parametrize("title", ["=HYPERLINK(\"x\")", "+1", "@SUM(A1)"])
def test_the_report_csv_is_formula_safe(as_user, agent, manager, ticket, product, title):
    request_from(ticket, agent, title=title)
    answer = as_user(manager).get(f"/requests/report/?product={product.pk}&format=csv")
    assert answer["Content-Type"].startswith("text/csv")
    row = answer.content.decode().splitlines()[1]
    assert f"'{title}".replace('"', '""') in row


def test_the_report_names_tiers_and_importance_by_label(as_user, agent, manager, ticket, product):
    request_from(ticket, agent, importance="blocks_deal")
    page = as_user(manager).get(f"/requests/report/?product={product.pk}").content.decode()
    row = as_user(manager).get(f"/requests/report/?product={product.pk}&format=csv").content.decode().splitlines()[1]
    for text in (page, row):
        assert "Acme Corp" in text and "Standard, Blocks a purchase or renewal" in text and "blocks_deal" not in text


def test_the_reports_monthly_demand_is_kept_until_the_next_ask(agent, make_ticket, product, django_assert_num_queries):
    from enhancements.services.report import top_requests

    request = request_from(make_ticket(), agent)
    first = top_requests(product=product).chart["demand_over_time"]
    with django_assert_num_queries(4):  # requests, who asks, their names, the newest change: no aggregate
        assert top_requests(product=product).chart["demand_over_time"] == first
    request_link_ticket(ticket=make_ticket(), request=request, importance="important", actor=agent, channel="web")
    again = top_requests(product=product).chart["demand_over_time"]
    assert sum(again["datasets"][0]["data"]) == sum(first["datasets"][0]["data"]) + 1


def test_the_report_page_embeds_its_chart_data(as_user, agent, manager, ticket, product):
    request_from(ticket, agent)
    page = as_user(manager).get(f"/requests/report/?product={product.pk}")
    assert page.status_code == 200
    assert b'id="chart-data"' in page.content and b"demand_over_time" in page.content


def test_a_comment_on_a_request_comes_back_in_the_thread_and_a_repeat_counts_once(client, agent, ticket):
    import re

    from enhancements.models import RequestComment
    from tests.factories import request_from

    enh = request_from(ticket, agent)
    client.force_login(agent)
    page = client.get(f"/requests/{enh.pk}/").content.decode()
    (token,) = re.findall(r'name="form_token" value="([^"]+)"', page)
    data = {"body": "Two more customers asked", "form_token": token}

    first = client.post(f"/requests/{enh.pk}/comments/", data, headers={"HX-Request": "true"})
    again = client.post(f"/requests/{enh.pk}/comments/", data, headers={"HX-Request": "true"})

    (comment,) = RequestComment.objects.filter(request=enh)
    html = first.content.decode()
    assert html.lstrip().startswith('<section class="card" id="thread"') and f'id="comment-{comment.pk}"' in html
    assert "Comment added." in html and "Two more customers asked</textarea>" not in html
    assert "This comment was already posted." in again.content.decode()
    plain = client.post(f"/requests/{enh.pk}/comments/", data)
    assert plain.url == f"/requests/{enh.pk}/#comment-{comment.pk}"
    assert RequestComment.objects.filter(request=enh).count() == 1


@pytest.mark.parametrize("field", ["product", "component", "team"])
def test_a_queue_filter_id_too_large_for_the_database_is_ignored_not_a_500(as_user, product_manager, field):
    response = as_user(product_manager).get("/requests/", {field: "99999999999999999999"})

    assert response.status_code == 200 and field in response.context["filters"].errors


def test_a_bulk_change_of_an_id_too_large_for_the_database_is_a_400(as_user, product_manager, make_ticket, agent):
    from enhancements.models import EnhancementRequest
    from tests.factories import request_from

    kept = request_from(make_ticket(), agent)
    response = as_user(product_manager).post("/requests/", {
        "requests": [kept.pk, "99999999999999999999"], "to": "under_review", "duplicate_of": "99999999999999999999",
    })

    assert response.status_code == 400
    assert {"requests", "duplicate_of"} <= set(response.context["bulk"].errors)
    assert EnhancementRequest.objects.get(pk=kept.pk).status == "new"


def test_the_request_page_counts_one_customer_and_one_ticket_in_the_singular(as_user, product_manager, make_ticket,
                                                                             agent):
    from tests.factories import request_from

    request = request_from(make_ticket(), agent)

    html = as_user(product_manager).get(f"/requests/{request.pk}/").content.decode()

    assert "(1 customer, 1 ticket)" in html
