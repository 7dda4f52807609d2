from django.http import QueryDict

from core.sorting import DESCENDING, Column, Sorting, SortKey, list_head

SORTS = Sorting(
    {"created": SortKey(("created_at", "id"), first=DESCENDING), "subject": SortKey(("subject", "id"))},
    default="-created",
)


def test_a_known_key_orders_by_its_fields_and_a_minus_reverses_every_one_of_them():
    assert SORTS.order_by("subject") == ("subject", "id")
    assert SORTS.order_by("-subject") == ("-subject", "-id")
    assert SORTS.order_by("-created") == ("-created_at", "-id")


def test_anything_else_falls_back_to_the_default_and_never_reaches_order_by():
    for value in (None, "", "password", "-", "--subject", "subject; DROP TABLE", "customer__name", ["subject"]):
        assert SORTS.chosen(value) == "-created"
        assert SORTS.order_by(value) == ("-created_at", "-id")


def test_a_default_that_is_not_a_key_is_refused_when_the_list_is_declared():
    try:
        Sorting({"subject": SortKey(("subject", "id"))}, default="created")
    except ValueError as exc:
        assert "created" in str(exc)
    else:
        raise AssertionError("an unknown default was accepted")


def test_the_api_choices_are_each_key_both_ways():
    assert SORTS.choices() == [("created", "created"), ("subject", "subject"), ("-created", "-created"),
                               ("-subject", "-subject")]


def test_headers_link_each_sortable_column_keeping_the_filters_and_leaving_the_page():
    query = QueryDict("status=open&page=4&sort=subject")
    created, subject, customer = SORTS.headers(query, [Column("Ticket", "created"), Column("Subject", "subject"),
                                                       Column("Customer")])

    assert subject["sort"] == "ascending" and subject["url"] == "?status=open&sort=-subject"
    # A column not sorted by yet sorts in its own first direction: newest first.
    assert created["sort"] is None and created["url"] == "?status=open&sort=-created"
    assert customer["url"] == "" and customer["sort"] is None


def test_the_default_column_is_marked_and_a_click_turns_it_around():
    (created,) = SORTS.headers(QueryDict(""), [Column("Ticket", "created")])
    assert created["sort"] == "descending" and created["url"] == "?sort=created"


def test_the_header_row_escapes_labels_and_marks_the_sorted_column_for_screen_readers():
    html = str(list_head(SORTS, QueryDict("q=<b>"), [
        Column("Select all <rows>", select_all="tickets"), Column("<Ticket>", "created"), Column("Plain & simple"),
    ]))
    assert "<b>" not in html and "<rows>" not in html
    assert 'aria-sort="descending"' in html
    assert 'href="?q=%3Cb%3E&amp;sort=created"' in html
    assert "&lt;Ticket&gt;" in html and "Plain &amp; simple" in html
    assert '<input type="checkbox" data-select-all="tickets" aria-label="Select all &lt;rows&gt;" hidden>' in html
