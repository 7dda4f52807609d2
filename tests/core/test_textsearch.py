"""The similar-items search on PostgreSQL: rare words pick the rows, every word ranks them."""

import pytest
from django.db import connection

from core import textsearch
from defects.models import Defect
from defects.selectors import similar_defects

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="statistics and full-text search are PostgreSQL's"),
]


@pytest.fixture(autouse=True)
def fresh_statistics(monkeypatch):
    # The shares are kept per process: neither read those of another test nor leave these behind.
    monkeypatch.setattr(textsearch, "_shares", {})
    monkeypatch.setattr(textsearch, "MIN_ROWS", 50)
    # A hundred rows here: a word in two of them (2 %) is rare, one in sixty is common.
    monkeypatch.setattr(textsearch, "COMMON_SHARE", 0.05)
    yield


def defects(product, titles: list[str]) -> dict[str, int]:
    made = Defect.objects.bulk_create(
        Defect(key=f"DEF-{n}", title=title, product=product, status=Defect.Status.NEW) for n, title in enumerate(titles)
    )
    # search_vector is written by the database on insert (migration defects 0005).
    return {d.title: d.pk for d in made}


def analyse():
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE defects_defect")


def test_a_common_word_only_ranks_and_the_rare_words_pick_the_rows(product):
    filler = [f"Customer record {n} loads slowly" for n in range(96)]
    ids = defects(product, [*filler, "Customer SMS reminder is late", "SMS gateway rejects reminders",
                            "Customer invoice rounding", "Barcode scanner freezes"])
    analyse()
    assert textsearch.lexeme_shares("defects_defect", "search_vector")["custom"] > 0.9

    found = [d.pk for d in similar_defects(text="customer sms reminder", product=product)]

    # Only the rows holding a rare word; the one that also shares "customer" ranks first.
    assert found == [ids["Customer SMS reminder is late"], ids["SMS gateway rejects reminders"]]
    match, rank = textsearch.match_and_rank(["customer", "sms", "reminder"], table="defects_defect",
                                            column="search_vector")
    assert (match, rank) == ("sms | reminder", "customer | sms | reminder")


def test_when_every_word_is_common_a_row_must_hold_them_all(product):
    ids = defects(product, [*(f"Customer record {n} loads slowly" for n in range(60)),
                            *(f"Customer record {n} exports" for n in range(40))])
    analyse()

    found = {d.pk for d in similar_defects(text="customer record slowly", product=product, limit=100)}

    assert found == {ids[f"Customer record {n} loads slowly"] for n in range(60)}


def test_without_statistics_or_on_a_small_table_any_word_matches(product, monkeypatch):
    ids = defects(product, [*(f"Customer record {n} loads slowly" for n in range(96)), "Barcode scanner freezes"])
    # Not analysed yet: no statistics, so every word is rare.
    found = {d.pk for d in similar_defects(text="customer barcode", product=product, limit=200)}
    assert len(found) == 97

    analyse()
    monkeypatch.setattr(textsearch, "_shares", {})
    monkeypatch.setattr(textsearch, "MIN_ROWS", 1000)  # fewer rows than that: ranking all matches is cheap
    assert textsearch.lexeme_shares("defects_defect", "search_vector") == {}
    assert len(similar_defects(text="customer barcode", product=product, limit=200)) == 97
    assert ids["Barcode scanner freezes"] in found


def test_the_statistics_are_read_once_per_process_for_a_while(product, django_assert_num_queries):
    defects(product, [f"Customer record {n}" for n in range(60)])
    analyse()
    textsearch.lexeme_shares("defects_defect", "search_vector")
    with django_assert_num_queries(0):
        assert textsearch.lexeme_shares("defects_defect", "search_vector")
